//! Table `person`: a person identity, shared by both institutions (no owner).

use sea_orm::entity::prelude::*;

use crate::enums::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    /// Folded "family given" name that lists order and search by.
    pub name_key: String,
    #[sea_orm(unique)]
    pub orcid: Option<String>,
    /// Personal data: never exposed to the public API.
    pub email: Option<String>,
    /// Personal data: never exposed to the public API.
    pub phone: Option<String>,
    pub provenance: Provenance,
    /// Comma-separated names of fields whose values are illustrative samples.
    pub sample_fields: String,
    /// Whether the public reads the person (one of their appointments is public): written by
    /// the server with the person's audiences (`person_reader`), never by a document.
    pub read_by_public: bool,
    /// 1 when first written, one more with each write that changes the record: what an
    /// update or delete names to be applied to this version only.
    pub version: i32,
}

impl ActiveModelBehavior for ActiveModel {}
