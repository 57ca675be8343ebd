//! Creates table `text_key`: the folded key of each text column that filters match with
//! `contains` and `startsWith`, one row per record and column that holds text. The server folds
//! the text when it writes the record, with the function that folds the text asked for, so
//! both sides of a match are folded alike, on both engines, whatever the characters.

use sea_orm_migration::prelude::*;

use crate::columns::{index, sort_key, text, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("text_key")
                    .if_not_exists()
                    // The record's ID.
                    .col(uuid("record_id"))
                    // Its table and column, as `appointment.area`.
                    .col(text("field"))
                    // The column's text, folded.
                    .col(sort_key(backend, "folded"))
                    .take(),
            )
            .await?;
        // No index on the folded text: `contains` cannot seek one, and a long text would
        // exceed PostgreSQL's largest index entry.
        for columns in [&["field"][..], &["record_id"]] {
            manager.create_index(index("text_key", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("text_key").take())
            .await
    }
}
