//! Table `person_contact`: an institution a person has, or had, an appointment at, whose staff
//! may therefore read the person's contact details. Not a record: written with the
//! appointments, in every source, and read only by the contact details' cell rule.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_contact")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub institution_id: Uuid,
}

impl ActiveModelBehavior for ActiveModel {}
