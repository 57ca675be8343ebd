//! Creates the audit log: table `audit_log`, one row per change to a record, written in the
//! change's own transaction (who, when, the request, the operation, the record, and its images
//! before and after), hash-chained per source (each row's `hash` covers its fields and the
//! `hash` of the row before it), and table `audit_head`, the one row naming the chain's last
//! row. Every write locks its source's head first: changes to a source are appended, and
//! written, one at a time, in the order of the chain.
//!
//! Adds the rule that a cleanroom's code is unique within its facility, which the records
//! written so far keep (a cleanroom's ID is made from its facility and code).

use sea_orm_migration::prelude::*;

use crate::columns::{text, text_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .if_not_exists()
                    // The row's place in its source's chain: 1, 2, 3 …
                    .col(ColumnDef::new("seq").big_integer().not_null().primary_key())
                    // When, as RFC 3339 text in UTC (hashed as written).
                    .col(text("at"))
                    // Who: the key's ID, or the signed-in person's issuer and subject.
                    .col(uuid_null("key_id"))
                    .col(text_null("issuer"))
                    .col(text_null("subject"))
                    // Their role: `STEWARD` or `ADMIN`.
                    .col(text("role"))
                    // The request's ID, as its log line and `x-request-id` name it.
                    .col(text_null("request_id"))
                    // `CREATE`, `UPDATE` or `DELETE`.
                    .col(text("operation"))
                    // The record: its GraphQL type, ID and owning institution.
                    .col(text("kind"))
                    .col(uuid("record_id"))
                    .col(uuid_null("institution_id"))
                    // Its columns before and after, as JSON objects; null where it did not
                    // exist.
                    .col(text_null("before"))
                    .col(text_null("after"))
                    // SHA-256 (hex) of the row before's `hash` and this row's fields.
                    .col(text("hash"))
                    .take(),
            )
            .await?;
        for columns in [&["institution_id", "seq"][..], &["record_id", "seq"]] {
            manager
                .create_index(crate::columns::index("audit_log", columns))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("audit_head")
                    .if_not_exists()
                    // Always 1: one row.
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    // The last row's `seq` and `hash`; 0 and the empty text before the first.
                    .col(ColumnDef::new("seq").big_integer().not_null())
                    .col(text("hash"))
                    .take(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("audit_head")
                    .columns(["id", "seq", "hash"])
                    .values_panic([1.into(), 0i64.into(), "".into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .unique()
                    .name("uq_cleanroom_unit_id_code")
                    .table("cleanroom")
                    .col("unit_id")
                    .col("code")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("uq_cleanroom_unit_id_code")
                    .table("cleanroom")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("audit_head").take())
            .await?;
        manager
            .drop_table(Table::drop().table("audit_log").take())
            .await
    }
}
