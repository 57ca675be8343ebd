//! Who sent a verified token of the hospital's identity provider: the person it names, and the
//! role and institutions its claims give them. The token itself is checked before the store
//! sees it (`crate::identity`); the store only reads as the caller it makes.

use entities::enums::KeyRole;
use uuid::Uuid;

use super::KeyInstitution;

/// The namespace of token bindings (UUID v5), apart from the records' own namespace, so that a
/// binding never equals a record's ID (nor a key's, which is random: UUID v4).
const BINDING_NAMESPACE: Uuid = Uuid::from_u128(0x3b9e_61d2_4c0a_5f7e_8d21_6a4f_0e93_b7c5);

/// A person signed in at the hospital's identity provider, as its verified token names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenCaller {
    /// The identity provider that issued the token (`iss`).
    pub issuer: String,
    /// The person, as the identity provider names them (`sub`).
    pub subject: String,
    /// The role the token's claims give.
    pub role: KeyRole,
    /// The institutions the role is for (none for an admin).
    pub institutions: Vec<KeyInstitution>,
    /// What the person's cursors are bound to: derived from `issuer` and `subject`.
    binding: Uuid,
}

impl TokenCaller {
    /// The caller the token of `subject` by `issuer` makes, with this role and institutions.
    pub fn new(
        issuer: &str,
        subject: &str,
        role: KeyRole,
        institutions: Vec<KeyInstitution>,
    ) -> Self {
        TokenCaller {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
            role,
            institutions,
            binding: binding(issuer, subject),
        }
    }

    /// The same for every token of this person from this issuer, and for no one else: what
    /// their cursors are bound to and what names them in limits and logs.
    pub fn binding(&self) -> Uuid {
        self.binding
    }
}

/// UUID v5 of the issuer and the subject; the issuer's length comes first, so that no two
/// pairs are written alike (`a` + `bc` and `ab` + `c`).
fn binding(issuer: &str, subject: &str) -> Uuid {
    let name = format!("{}:{issuer}{subject}", issuer.len());
    Uuid::new_v5(&BINDING_NAMESPACE, name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_is_the_same_for_one_person_and_differs_for_any_other() {
        let person = binding("https://idp.example", "anna");
        assert_eq!(person, binding("https://idp.example", "anna"));
        for (issuer, subject, what) in [
            ("https://idp.example", "bertil", "another subject"),
            ("https://other.example", "anna", "another issuer"),
            (
                "https://idp.exampl",
                "eanna",
                "the same text split elsewhere",
            ),
        ] {
            assert_ne!(person, binding(issuer, subject), "{what}");
        }
        assert_eq!(person.get_version_num(), 5);
    }
}
