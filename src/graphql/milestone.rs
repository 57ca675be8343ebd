//! `Milestone`: the history timeline of cell and gene therapy at Karolinska.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use entities::milestone;

use super::connection::connection;
use super::node::{global_id, NodeType};
use super::plan::planned_record;
use super::{record, required, ApiError, Provenance};
use crate::store;

/// An event of the history timeline, such as the first CAR-T cells to enter clinical trials in Europe (2014).
pub struct Milestone(pub(crate) Arc<milestone::Model>);

connection!(
    MilestoneConnection,
    MilestoneEdge,
    Milestone,
    milestone::Model,
    "A page of milestones.",
    "A milestone in a page, with its cursor."
);

planned_record!(Milestone: store::Milestones {
    leaves {
        "visibility" => visibility,
        "year" => year,
        "title" => title,
        "description" => description,
    }
    to_one {
        "institution" => super::Institution, institution_id, true;
        "unit" => super::Unit, unit_id, false;
    }
    children {
    }
});

/// An event of the history timeline, such as the first CAR-T cells to enter clinical trials in Europe (2014).
#[Object]
impl Milestone {
    /// Opaque global ID, stable across restarts and databases.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Milestone, self.0.id)
    }

    /// Year of the event.
    async fn year(&self) -> i32 {
        self.0.year
    }

    /// What happened.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// More on the event.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The institution the event belongs to.
    async fn institution(&self, ctx: &Context<'_>) -> Result<super::Institution, ApiError> {
        required(ctx, store::InstitutionId(self.0.institution_id))
            .await
            .map(super::Institution)
    }

    /// The unit the event concerns, when there is one.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<super::Unit>, ApiError> {
        let Some(id) = self.0.unit_id else {
            return Ok(None);
        };
        Ok(record(ctx, store::UnitId(id)).await?.map(super::Unit))
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
