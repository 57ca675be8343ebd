//! Table `unit`: an organisational unit, with its place in the hierarchy.

use sea_orm::entity::prelude::*;

use crate::enums::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "unit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub institution_id: Uuid,
    /// The second institution of a joint unit (the ATMP Center is run by both).
    pub partner_institution_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// Folded name (lowercase, no diacritics) that lists order and search by.
    pub name_key: String,
    pub short_name: Option<String>,
    pub kind: UnitKind,
    pub campus: Option<String>,
    pub city: Option<String>,
    pub established_year: Option<i32>,
    pub description: Option<String>,
    pub provenance: Provenance,
    /// Comma-separated names of fields whose values are illustrative samples.
    pub sample_fields: String,
}

impl ActiveModelBehavior for ActiveModel {}
