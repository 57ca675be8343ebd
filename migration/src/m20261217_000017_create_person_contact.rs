//! Creates table `person_contact`: which institutions a person has (or had) an appointment
//! at, the institutions whose staff may read the person's e-mail address and phone number.
//! Appointments live in the source of their institution, but every source keeps every person,
//! so each source keeps every pair, written with the records from the whole dataset: the cell
//! rule of a person's contact details is then one indexed test in the source that reads them.

use sea_orm_migration::prelude::*;

use crate::columns::uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("person_contact")
                    .if_not_exists()
                    // The person.
                    .col(uuid("person_id"))
                    // An institution the person has, or had, an appointment at.
                    .col(uuid("institution_id"))
                    // The cell rule looks a pair up by both columns, in this order.
                    .primary_key(
                        Index::create()
                            .name("pk_person_contact")
                            .col("person_id")
                            .col("institution_id"),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("person_contact").take())
            .await
    }
}
