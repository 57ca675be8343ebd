//! Creates table `personal_data_read`: a log of the responses that carried people's contact
//! details (a non-null `email` or `phone`), one row per response: who read them (the key),
//! when, which operation (the SHA-256 of its text, and its name) and how many people's
//! details it carried. Kept in the keys' database, beside the keys it names; written off the
//! request path.

use sea_orm_migration::prelude::*;

use crate::columns::{integer, text, text_null, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("personal_data_read")
                    .if_not_exists()
                    // A UUID v7: its order is the order the reads were made in, which the log
                    // is listed and paged by.
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    // What the caller's reads are bound to: its API key's ID.
                    .col(uuid_null("key_id"))
                    // When the response was made.
                    .col(
                        ColumnDef::new("read_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // The hex SHA-256 of the query's text.
                    .col(text("operation_hash"))
                    // The operation's name, when the request named one.
                    .col(text_null("operation_name"))
                    // How many people's details the response carried.
                    .col(integer("people"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_personal_data_read_key_id")
                    .table("personal_data_read")
                    .col("key_id")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("personal_data_read").take())
            .await
    }
}
