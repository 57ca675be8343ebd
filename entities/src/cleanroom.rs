//! Table `cleanroom`: a cleanroom of a GMP or pre-GMP facility.

use sea_orm::entity::prelude::*;

use crate::enums::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cleanroom")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub institution_id: Uuid,
    pub unit_id: Uuid,
    pub code: String,
    pub name: Option<String>,
    pub regime: CleanroomRegime,
    pub grade: Option<GmpGrade>,
    pub status: Option<CleanroomStatus>,
    pub area_m2: Option<f64>,
    pub qualified_on: Option<Date>,
    pub intended_use: Option<String>,
    pub provenance: Provenance,
    /// Comma-separated names of fields whose values are illustrative samples.
    pub sample_fields: String,
}

impl ActiveModelBehavior for ActiveModel {}
