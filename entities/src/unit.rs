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
