//! Table `accreditation`: an accreditation or authorisation a unit holds.

use sea_orm::entity::prelude::*;

use crate::enums::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "accreditation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub institution_id: Uuid,
    pub unit_id: Uuid,
    pub scheme: AccreditationScheme,
    pub authority: Option<String>,
    pub since_year: Option<i32>,
    pub description: Option<String>,
    pub provenance: Provenance,
    /// Comma-separated names of fields whose values are illustrative samples.
    pub sample_fields: String,
}

impl ActiveModelBehavior for ActiveModel {}
