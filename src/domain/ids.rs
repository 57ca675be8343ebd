//! Deterministic record IDs: UUID v5 of a natural key, so the same record has the same ID on
//! SQLite and PostgreSQL, after a restart and in every source of a federated deployment.

use uuid::Uuid;

use crate::catalog::KindId;

/// The namespace of every atmp-graph natural key (UUID v5 of the project's URL name).
const NAMESPACE: Uuid = Uuid::from_u128(0x5c0e_0b4e_8f1d_5a43_9a57_3f0c_2d1e_7a11);

/// The stable ID of the record of `kind` whose natural key is `key` (the kind's table is
/// part of the key, so kinds never collide).
pub fn natural_id(kind: KindId, key: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{}:{key}", kind.table()).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_gives_the_same_id_and_kinds_do_not_collide() {
        assert_eq!(
            natural_id(KindId::Unit, "KUH/CAST"),
            natural_id(KindId::Unit, "KUH/CAST")
        );
        assert_ne!(
            natural_id(KindId::Unit, "KI"),
            natural_id(KindId::Institution, "KI")
        );
    }
}
