//! Sealed cursors. A cursor a client sees is its payload (the list, ordering, filter
//! fingerprint and key values, as JSON) followed by an HMAC-SHA256 tag, cut to 16 bytes, of the
//! payload and the caller it was made for (the caller's key ID, or none for the public), all in
//! URL-safe base64. The secret is the service's own, created once and kept in the keys'
//! database ([`super::maintenance`]), so every replica and every restart opens the cursors of
//! the others. A cursor is opened only with its tag checked in constant time and only for the
//! caller it was made for: one edited by a byte, or sent by another caller, is refused like
//! garbage, with the same message, so a refusal tells nothing of why.

// Cursors come back from clients: no index or slice that could panic on them compiles.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::page::{Cursor, SortValue};
use super::StoreError;

/// The length of the service's secret, in bytes.
pub(crate) const SECRET_LENGTH: usize = 32;

/// The length of a cursor's tag, in bytes: HMAC-SHA256 cut to its first half.
const TAG_LENGTH: usize = 16;

/// What the tag covers before the binding and the payload, so that a tag made by this secret
/// for anything else is never a cursor's.
const CONTEXT: &[u8] = b"atmp-graph cursor 1\0";

/// The service's secret for cursors, keyed once.
pub struct Seal {
    /// The keyed MAC, cloned for each cursor; `None` only where the system gave no randomness
    /// for a secret of the store's own, and then every cursor is refused.
    mac: Option<Hmac<Sha256>>,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seal").finish_non_exhaustive()
    }
}

impl Seal {
    /// A seal with this secret.
    pub(crate) fn new(secret: &[u8]) -> Seal {
        Seal {
            // HMAC takes a key of any length: this never fails.
            mac: Hmac::<Sha256>::new_from_slice(secret).ok(),
        }
    }

    /// A seal with a fresh random secret of its own, for a store until it reads the shared one
    /// ([`super::Store::read_secret`]): its cursors open only in this process.
    pub(crate) fn ephemeral() -> Seal {
        match random_secret() {
            Ok(secret) => Seal::new(&secret),
            Err(error) => {
                tracing::error!(%error, "no randomness for a cursor secret: cursors are refused until the shared secret is read");
                Seal { mac: None }
            }
        }
    }

    /// The MAC of `payload` for `binding`, to finish into a tag or to verify one; `None`
    /// without a secret.
    fn mac(&self, binding: Option<Uuid>, payload: &[u8]) -> Option<Hmac<Sha256>> {
        let mut mac = self.mac.clone()?;
        mac.update(CONTEXT);
        match binding {
            Some(key) => {
                mac.update(&[1]);
                mac.update(key.as_bytes());
            }
            None => mac.update(&[0]),
        }
        mac.update(payload);
        Some(mac)
    }
}

/// A fresh random secret, from the operating system.
pub(crate) fn random_secret() -> Result<[u8; SECRET_LENGTH], getrandom::Error> {
    let mut secret = [0u8; SECRET_LENGTH];
    getrandom::fill(&mut secret)?;
    Ok(secret)
}

/// The seal of one caller's cursors: the service's secret and the caller's key ID (`None` for
/// the public). Cheap to clone.
#[derive(Debug, Clone)]
pub struct CursorSeal {
    seal: Arc<Seal>,
    binding: Option<Uuid>,
}

impl CursorSeal {
    /// Seals the cursors of the caller of key `binding` (`None`: the public) with `seal`.
    pub(crate) fn new(seal: Arc<Seal>, binding: Option<Uuid>) -> Self {
        CursorSeal { seal, binding }
    }

    /// The opaque text of `cursor` a client sees.
    pub fn seal(&self, cursor: &Cursor) -> String {
        // Serialising plain strings, numbers and UUIDs cannot fail; an empty payload would
        // only be refused when used.
        let mut sealed = serde_json::to_vec(cursor).unwrap_or_default();
        let tag = self
            .seal
            .mac(self.binding, &sealed)
            .map(|mac| mac.finalize().into_bytes());
        let tag = tag.as_ref().and_then(|tag| tag.get(..TAG_LENGTH));
        sealed.extend_from_slice(tag.unwrap_or(&[0; TAG_LENGTH]));
        URL_SAFE_NO_PAD.encode(sealed)
    }

    /// Opens a cursor a client sent back, if this seal made it for this caller.
    pub fn open(&self, text: &str) -> Result<Cursor, StoreError> {
        let invalid = || StoreError::InvalidCursor(format!("`{text}` is not a valid cursor"));
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let Some((payload, tag)) = bytes.split_last_chunk::<TAG_LENGTH>() else {
            return Err(earlier_or_invalid(&bytes, invalid));
        };
        let genuine = self
            .seal
            .mac(self.binding, payload)
            .is_some_and(|mac| mac.verify_truncated_left(tag).is_ok());
        if !genuine {
            return Err(earlier_or_invalid(&bytes, invalid));
        }
        let cursor: Cursor = serde_json::from_slice(payload).map_err(|_| invalid())?;
        // No row holds a NUL in its text (PostgreSQL cannot store one), and sent as a bound
        // value PostgreSQL rejects it with a database error: refuse it here as a user error.
        let holds_nul = cursor
            .keys
            .iter()
            .any(|key| matches!(key, SortValue::Text(text) if text.contains('\0')));
        if holds_nul {
            return Err(invalid());
        }
        Ok(cursor)
    }
}

/// Why unsealed `bytes` are refused: a cursor of the service before cursors were sealed (a
/// plain JSON object with an ordering and keys, which anyone could have written, so saying so
/// tells nothing of the secret), or not a cursor.
fn earlier_or_invalid(bytes: &[u8], invalid: impl Fn() -> StoreError) -> StoreError {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(fields))
            if fields.contains_key("o") && fields.contains_key("k") =>
        {
            StoreError::InvalidCursor(
                "the cursor was made by an earlier version of the service: start the list again"
                    .to_owned(),
            )
        }
        _ => invalid(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::filter::Real;

    fn cursor() -> Cursor {
        Cursor {
            list: "unit".to_owned(),
            ordering: "NAME.ASC".to_owned(),
            filter: 7,
            keys: vec![
                SortValue::Text("vecura".to_owned()),
                SortValue::Int(7),
                SortValue::Real(Real::new(20.5).unwrap()),
                SortValue::Date(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
                SortValue::Null,
                SortValue::Uuid(Uuid::nil()),
            ],
        }
    }

    fn sealed_by(secret: u8, binding: Option<Uuid>) -> CursorSeal {
        CursorSeal::new(Arc::new(Seal::new(&[secret; SECRET_LENGTH])), binding)
    }

    fn message(result: Result<Cursor, StoreError>) -> String {
        match result {
            Err(StoreError::InvalidCursor(message)) => message,
            other => panic!("the cursor is not refused as invalid: {other:?}"),
        }
    }

    #[test]
    fn a_sealed_cursor_opens_as_it_was_made() {
        let key = Some(Uuid::from_u128(7));
        for seal in [sealed_by(1, None), sealed_by(1, key)] {
            assert_eq!(seal.open(&seal.seal(&cursor())).ok(), Some(cursor()));
        }
    }

    #[test]
    fn a_cursor_opens_with_another_seal_of_the_same_secret() {
        let text = sealed_by(1, None).seal(&cursor());

        assert_eq!(sealed_by(1, None).open(&text).ok(), Some(cursor()));
    }

    #[test]
    fn a_cursor_edited_by_one_byte_is_refused_like_garbage() {
        let seal = sealed_by(1, None);
        let bytes = URL_SAFE_NO_PAD.decode(seal.seal(&cursor())).unwrap();
        for position in 0..bytes.len() {
            let mut edited = bytes.clone();
            edited[position] ^= 0x01;
            let text = URL_SAFE_NO_PAD.encode(&edited);

            assert_eq!(
                message(seal.open(&text)),
                format!("`{text}` is not a valid cursor"),
                "byte {position}"
            );
        }
    }

    #[test]
    fn a_cursor_is_refused_to_every_caller_but_its_own() {
        let (one, other) = (Some(Uuid::from_u128(1)), Some(Uuid::from_u128(2)));
        let cases = [
            (one, other, "a cursor of another key"),
            (one, None, "a keyed cursor sent with no key"),
            (None, one, "a public cursor sent with a key"),
        ];
        for (made_for, sent_by, case) in cases {
            let text = sealed_by(1, made_for).seal(&cursor());

            let refused = message(sealed_by(1, sent_by).open(&text));

            assert_eq!(refused, format!("`{text}` is not a valid cursor"), "{case}");
        }
    }

    #[test]
    fn a_cursor_of_another_secret_is_refused() {
        let text = sealed_by(1, None).seal(&cursor());

        assert_eq!(
            message(sealed_by(2, None).open(&text)),
            format!("`{text}` is not a valid cursor")
        );
    }

    #[test]
    fn a_seal_without_a_secret_opens_nothing_it_made() {
        let seal = CursorSeal::new(Arc::new(Seal { mac: None }), None);

        assert!(seal.open(&seal.seal(&cursor())).is_err());
    }

    #[test]
    fn garbage_is_not_a_cursor() {
        let seal = sealed_by(1, None);
        for text in [
            "",
            "!!!",
            "bm90IGpzb24",
            "eyJvIjoxfQ",
            "AAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(
                message(seal.open(text)),
                format!("`{text}` is not a valid cursor")
            );
        }
    }

    #[test]
    fn an_unsealed_cursor_of_an_earlier_version_is_refused_as_such() {
        let mut without_list = serde_json::to_value(cursor()).unwrap();
        without_list.as_object_mut().unwrap().remove("l");
        for unsealed in [serde_json::to_value(cursor()).unwrap(), without_list] {
            let text = URL_SAFE_NO_PAD.encode(unsealed.to_string());

            assert_eq!(
                message(sealed_by(1, None).open(&text)),
                "the cursor was made by an earlier version of the service: start the list again",
                "{unsealed}"
            );
        }
    }

    #[test]
    fn a_sealed_cursor_with_a_nul_in_its_text_is_invalid() {
        let seal = sealed_by(1, None);
        let cursor = Cursor {
            keys: vec![
                SortValue::Text("a\0b".to_owned()),
                SortValue::Uuid(Uuid::nil()),
            ],
            ..cursor()
        };
        assert!(matches!(
            seal.open(&seal.seal(&cursor)),
            Err(StoreError::InvalidCursor(_))
        ));
    }
}
