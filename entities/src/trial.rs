//! Table `trial`: a clinical trial.

use sea_orm::entity::prelude::*;

use crate::enums::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "trial")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The institution whose records hold the trial.
    pub institution_id: Uuid,
    pub sponsor_institution_id: Option<Uuid>,
    pub title: String,
    pub title_key: String,
    pub eu_ct_number: Option<String>,
    pub eudract_number: Option<String>,
    pub nct_number: Option<String>,
    pub phase: Option<TrialPhase>,
    pub status: Option<TrialStatus>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub principal_investigator_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub manufacturing_unit_id: Option<Uuid>,
    pub description: Option<String>,
    pub provenance: Provenance,
    /// Comma-separated names of fields whose values are illustrative samples.
    pub sample_fields: String,
}

impl ActiveModelBehavior for ActiveModel {}
