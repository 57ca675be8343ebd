//! Adds to every record an institution owns its `visibility` (`PUBLIC`, `PARTNER` or
//! `INTERNAL`: who the institution shows it to) and the requirements the server composes from
//! it and from the records it references (`partner_of`, `internal_of`: the institution whose
//! partners, or whose staff alone, may read the row; null where none). Rows written before
//! are public and require nothing, which is what the defaults say.
//!
//! Creates table `person_reader`: who may read each person (kept by every source, owned by
//! none), one row per person and audience, as the server derives it from their appointments
//! in every source, so that a source tests a person by an index lookup; and adds to `person`
//! `read_by_public`, whether the public is among those audiences, so that the public's reads,
//! the most frequent, test a column of the row itself. Startup fills both for a database
//! written before them (until then the people are read by no one but admins).

use sea_orm_migration::prelude::*;

use crate::columns::{text, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables of the records an institution owns.
const OWNED: &[&str] = &[
    "unit",
    "appointment",
    "cleanroom",
    "product",
    "trial",
    "accreditation",
    "milestone",
];

/// The columns each owned table gets, one statement each (SQLite alters one at a time).
fn columns() -> [ColumnDef; 3] {
    [
        ColumnDef::new("visibility")
            .text()
            .not_null()
            .default("PUBLIC")
            .take(),
        ColumnDef::new("partner_of").uuid().null().take(),
        ColumnDef::new("internal_of").uuid().null().take(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in OWNED {
            for mut column in columns() {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(*table))
                            .add_column(&mut column)
                            .take(),
                    )
                    .await?;
            }
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("person"))
                    .add_column(
                        ColumnDef::new("read_by_public")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("person_reader")
                    .if_not_exists()
                    .col(uuid("person_id"))
                    // An audience: `public`, `partner:<institution ID>`,
                    // `internal:<institution ID>`, both joined by `+`, or `staff` (any
                    // institution's staff: a person with no appointment).
                    .col(text("reader"))
                    .primary_key(Index::create().col("person_id").col("reader"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("person_reader").take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("person"))
                    .drop_column(Alias::new("read_by_public"))
                    .take(),
            )
            .await?;
        for table in OWNED {
            for column in ["visibility", "partner_of", "internal_of"] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(*table))
                            .drop_column(Alias::new(column))
                            .take(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
