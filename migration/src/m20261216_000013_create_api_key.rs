//! Creates table `api_key`: the keys that authenticate partners, staff and administrators.
//! A key is held only as the SHA-256 of its text; a rolled key keeps the hash of its old
//! secret until the overlap ends. Not a record table: no institution owns a row, and no
//! request reads it but to authenticate.

use sea_orm_migration::prelude::*;

use crate::columns::{text, text_null, uuid};

/// A point in time with its zone, or null.
fn time_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .take()
}

/// A unique index named after its table and column.
fn unique(column: &'static str) -> IndexCreateStatement {
    Index::create()
        .if_not_exists()
        .name(format!("idx_api_key_{column}"))
        .table("api_key")
        .col(column)
        .unique()
        .take()
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("api_key")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    // What `keys list`, `revoke` and `roll` name it by.
                    .col(text("name"))
                    // `PARTNER`, `STAFF` or `ADMIN`.
                    .col(text("role"))
                    // The codes of its institutions, sorted, between commas; empty for an admin.
                    .col(text("institutions"))
                    // The hex SHA-256 of the whole key.
                    .col(text("secret_hash"))
                    // The hash of the secret before the last roll, valid until `previous_until`.
                    .col(text_null("previous_hash"))
                    .col(time_null("previous_until"))
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // Written at most once a minute.
                    .col(time_null("last_used_at"))
                    .col(time_null("expires_at"))
                    .col(time_null("revoked_at"))
                    .take(),
            )
            .await?;
        // A key is looked up by the hash of either secret; names are unique.
        for column in ["name", "secret_hash", "previous_hash"] {
            manager.create_index(unique(column)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("api_key").take())
            .await
    }
}
