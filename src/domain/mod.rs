//! Validated domain values shared by every layer: identifiers are parsed once, here, and
//! passed on as types, never re-checked as strings.

// Identifiers arrive from clients and import files: no index or slice that could panic on them compiles.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

mod api_key;
mod ids;
mod orcid;
mod rate;
mod ror;
mod text;
mod trial_ids;

/// The kinds of record a natural key may name: the catalog's.
pub use crate::catalog::KindId as RecordKind;
pub use api_key::{
    random_uuid, sha256_hex, ApiKey, MalformedKey, NoRandomness, KEY_CHARS,
    PREFIX as API_KEY_PREFIX,
};
pub use ids::natural_id;
pub use orcid::Orcid;
pub use rate::{InvalidRate, Quota, Rate, MAX_PERIOD};
pub use ror::RorId;
pub use text::fold;
pub use trial_ids::{EuCtNumber, EudractNumber, NctNumber};

/// Why a value is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    /// The value does not have the identifier's shape.
    #[error("`{value}` is not a valid {kind}: expected {expected}")]
    Format {
        kind: &'static str,
        value: String,
        expected: &'static str,
    },
    /// The value has the right shape but its check digits do not match.
    #[error("`{value}` is not a valid {kind}: the check digits do not match")]
    Checksum { kind: &'static str, value: String },
}
