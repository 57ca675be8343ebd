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
    /// Who the owning institution shows the record to: the public, its partners too, or its
    /// staff only.
    pub visibility: Visibility,
    /// The institution whose partners (and staff) may read the record, as its own marking and
    /// every record it references require; null when none does. Computed by the writer.
    pub partner_of: Option<Uuid>,
    /// The institution whose staff alone may read the record, likewise; null when none does.
    pub internal_of: Option<Uuid>,
    /// 1 when first written, one more with each write that changes the record: what an
    /// update or delete names to be applied to this version only.
    pub version: i32,
}

impl ActiveModelBehavior for ActiveModel {}
