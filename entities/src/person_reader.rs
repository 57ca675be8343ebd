//! Table `person_reader`: who may read each person, one row per person and audience, derived
//! by the server from the person's appointments in every source (see the server's
//! `store::access`).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_reader")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    /// An audience: `public`, `partner:<institution ID>`, `internal:<institution ID>`, both
    /// joined by `+`, or `staff` (any institution's staff).
    #[sea_orm(primary_key, auto_increment = false)]
    pub reader: String,
}

impl ActiveModelBehavior for ActiveModel {}
