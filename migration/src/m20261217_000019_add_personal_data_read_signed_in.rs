//! Adds to `personal_data_read` who read people's contact details when they signed in at the
//! hospital's identity provider rather than with a key: the token's issuer and subject. A
//! key's reads name the key (`key_id`); a signed-in person's, the person.

use sea_orm_migration::prelude::*;

use crate::columns::text_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column at a time.
        for column in ["signed_in_issuer", "signed_in_subject"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("personal_data_read")
                        .add_column(text_null(column))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["signed_in_subject", "signed_in_issuer"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("personal_data_read")
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
