//! Creates table `search_term`: the word starts of the names, codes and descriptions that
//! root `search` matches, folded, one row each. A match is a range scan of its index on both
//! engines, ranked the same way on both.

use sea_orm_migration::prelude::*;

use crate::columns::{index, integer, sort_key, text, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("search_term")
                    .if_not_exists()
                    // The record's kind (`Unit`, …), its ID and its owning institution.
                    .col(text("kind"))
                    .col(uuid("record_id"))
                    .col(uuid_null("institution_id"))
                    // 0 for a name, short name, code or identifier; 1 for a description.
                    .col(integer("field"))
                    // 0 where the term starts its field, else the word's place in it.
                    .col(integer("position"))
                    // The folded text from a word's start to the field's end (cut short).
                    .col(sort_key(backend, "term"))
                    // 1 where the term is its whole field, uncut: an exact match is possible.
                    .col(integer("whole"))
                    // The record's folded name: ties of rank are listed by it.
                    .col(sort_key(backend, "label"))
                    .take(),
            )
            .await?;
        for columns in [&["term"][..], &["record_id"]] {
            manager.create_index(index("search_term", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("search_term").take())
            .await
    }
}
