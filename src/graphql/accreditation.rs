//! `Accreditation`: accreditations and authorisations units hold.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use entities::accreditation;

use super::connection::connection;
use super::node::{global_id, NodeType};
use super::plan::planned_record;
use super::{required, ApiError, Provenance};
use crate::store;

/// An accreditation or authorisation a unit holds, such as JACIE.
pub struct Accreditation(pub(crate) Arc<accreditation::Model>);

connection!(
    AccreditationConnection,
    AccreditationEdge,
    Accreditation,
    accreditation::Model,
    "A page of accreditations.",
    "An accreditation in a page, with its cursor."
);

planned_record!(Accreditation: store::Accreditations {
    leaves {
        "visibility" => visibility,
        "scheme" => scheme,
        "authority" => authority,
        "sinceYear" => since_year,
        "description" => description,
    }
    to_one {
        "unit" => super::Unit, unit_id, true;
        "institution" => super::Institution, institution_id, true;
    }
    children {
    }
});

/// An accreditation or authorisation a unit holds, such as JACIE.
#[Object]
impl Accreditation {
    /// Opaque global ID, stable across restarts and databases.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Accreditation, self.0.id)
    }

    /// The scheme.
    async fn scheme(&self) -> super::AccreditationScheme {
        self.0.scheme.into()
    }

    /// The accrediting or authorising body, when known.
    async fn authority(&self) -> Option<&str> {
        self.0.authority.as_deref()
    }

    /// Year first granted, when known.
    async fn since_year(&self) -> Option<i32> {
        self.0.since_year
    }

    /// What the source says of it.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The unit holding it.
    async fn unit(&self, ctx: &Context<'_>) -> Result<super::Unit, ApiError> {
        required(ctx, store::UnitId(self.0.unit_id))
            .await
            .map(super::Unit)
    }

    /// The institution of the unit.
    async fn institution(&self, ctx: &Context<'_>) -> Result<super::Institution, ApiError> {
        required(ctx, store::InstitutionId(self.0.institution_id))
            .await
            .map(super::Institution)
    }

    /// Where this record's facts come from.
    async fn provenance(&self) -> Provenance {
        Provenance::of(self.0.provenance, &self.0.sample_fields)
    }

    /// Who its institution shows it to: `PUBLIC` (everyone), `PARTNER` (its partners and staff) or `INTERNAL` (its staff). The record's own marking: a caller reads a record only where it reads the records it references too.
    async fn visibility(&self) -> super::Visibility {
        self.0.visibility.into()
    }
}
