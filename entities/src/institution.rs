//! Table `institution`: a university or hospital; each owns its records.

use sea_orm::entity::prelude::*;

use crate::enums::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "institution")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub kind: InstitutionKind,
    pub ror_id: String,
    pub city: String,
    pub homepage: String,
    pub provenance: Provenance,
    /// Comma-separated names of fields whose values are illustrative samples.
    pub sample_fields: String,
    /// 1 when first written, one more with each write that changes the record: what an
    /// update or delete names to be applied to this version only.
    pub version: i32,
}

impl ActiveModelBehavior for ActiveModel {}
