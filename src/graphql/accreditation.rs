//! `Accreditation`: accreditations and authorisations units hold.

use entities::accreditation;

use super::connection::connection;
use super::plan::record_type;
use crate::store;

connection!(
    AccreditationConnection,
    AccreditationEdge,
    Accreditation,
    accreditation::Model,
    "A page of accreditations.",
    "An accreditation in a page, with its cursor."
);

record_type! {
    /// An accreditation or authorisation a unit holds, such as JACIE.
    Accreditation: store::Accreditations {
        id;
        /// The scheme.
        leaf "scheme" scheme: super::AccreditationScheme = |scheme| (*scheme).into();
        /// The accrediting or authorising body, when known.
        leaf "authority" authority: Option<&str> = |authority| authority.as_deref();
        /// Year first granted, when known.
        leaf "sinceYear" since_year: Option<i32> = |since_year| *since_year;
        /// What the source says of it.
        leaf "description" description: Option<&str> = |description| description.as_deref();
        /// The unit holding it.
        reference "unit" unit: super::Unit = unit_id;
        /// The institution of the unit.
        reference "institution" institution: super::Institution = institution_id;
        provenance;
        version;
        visibility;
    }
}
