//! `Trial`: clinical trials of ATMPs, with their registry identifiers.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use entities::trial;

use super::connection::connection;
use super::node::{global_id, NodeType};
use super::plan::planned_record;
use super::{record, required, ApiError, Provenance};
use crate::store;

/// A clinical trial of an ATMP.
pub struct Trial(pub(crate) Arc<trial::Model>);

connection!(
    TrialConnection,
    TrialEdge,
    Trial,
    trial::Model,
    "A page of trials.",
    "A trial in a page, with its cursor."
);

planned_record!(Trial: store::Trials {
    leaves {
        "visibility" => visibility,
        "title" => title,
        "euCtNumber" => eu_ct_number,
        "eudractNumber" => eudract_number,
        "nctNumber" => nct_number,
        "phase" => phase,
        "status" => status,
        "startYear" => start_year,
        "endYear" => end_year,
        "description" => description,
    }
    to_one {
        "institution" => super::Institution, institution_id, true;
        "sponsor" => super::Institution, sponsor_institution_id, false;
        "principalInvestigator" => super::Person, principal_investigator_id, false;
        "product" => super::Product, product_id, false;
        "manufacturingUnit" => super::Unit, manufacturing_unit_id, false;
    }
    children {
    }
});

/// A clinical trial of an ATMP.
#[Object]
impl Trial {
    /// Opaque global ID, stable across restarts and databases.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Trial, self.0.id)
    }

    /// Title of the trial.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// EU CT number in CTIS (`YYYY-NNNNNN-NN-NN`), when known.
    async fn eu_ct_number(&self) -> Option<&str> {
        self.0.eu_ct_number.as_deref()
    }

    /// EudraCT number (`YYYY-NNNNNN-CC`), when known.
    async fn eudract_number(&self) -> Option<&str> {
        self.0.eudract_number.as_deref()
    }

    /// ClinicalTrials.gov identifier (`NCT` + 8 digits), when known.
    async fn nct_number(&self) -> Option<&str> {
        self.0.nct_number.as_deref()
    }

    /// Trial phase, when known.
    async fn phase(&self) -> Option<super::TrialPhase> {
        self.0.phase.map(Into::into)
    }

    /// Normalised status, when known.
    async fn status(&self) -> Option<super::TrialStatus> {
        self.0.status.map(Into::into)
    }

    /// Year the trial started, when known.
    async fn start_year(&self) -> Option<i32> {
        self.0.start_year
    }

    /// Year the trial ended; null while ongoing or unknown.
    async fn end_year(&self) -> Option<i32> {
        self.0.end_year
    }

    /// What the source says of the trial.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The institution whose records hold the trial.
    async fn institution(&self, ctx: &Context<'_>) -> Result<super::Institution, ApiError> {
        required(ctx, store::InstitutionId(self.0.institution_id))
            .await
            .map(super::Institution)
    }

    /// The sponsoring institution, when known.
    async fn sponsor(&self, ctx: &Context<'_>) -> Result<Option<super::Institution>, ApiError> {
        let Some(id) = self.0.sponsor_institution_id else {
            return Ok(None);
        };
        Ok(record(ctx, store::InstitutionId(id))
            .await?
            .map(super::Institution))
    }

    /// The principal investigator, when known.
    async fn principal_investigator(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::Person>, ApiError> {
        let Some(id) = self.0.principal_investigator_id else {
            return Ok(None);
        };
        Ok(record(ctx, store::PersonId(id)).await?.map(super::Person))
    }

    /// The product under trial, when known.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<super::Product>, ApiError> {
        let Some(id) = self.0.product_id else {
            return Ok(None);
        };
        Ok(record(ctx, store::ProductId(id)).await?.map(super::Product))
    }

    /// The unit that manufactures the product for the trial, when known.
    async fn manufacturing_unit(&self, ctx: &Context<'_>) -> Result<Option<super::Unit>, ApiError> {
        let Some(id) = self.0.manufacturing_unit_id else {
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
