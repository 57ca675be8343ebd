//! Indexes every column lists can be ordered by, with the ID after it (the keyset), and gives
//! PostgreSQL's sorted text and enum columns the `C` collation, so that they sort byte by
//! byte as SQLite's `BINARY` does, whatever the database's locale.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The sortable columns of each table that are neither keys nor already indexed for sorting;
/// `true` marks text (or enum) columns, which need the byte-wise collation.
const SORTED: &[(&str, &[(&str, bool)])] = &[
    (
        "unit",
        &[
            ("short_name", true),
            ("established_year", false),
            ("city", true),
            ("kind", true),
        ],
    ),
    ("person", &[("given_name", true)]),
    (
        "appointment",
        &[
            ("title", true),
            ("role", true),
            ("start_year", false),
            ("end_year", false),
        ],
    ),
    (
        "cleanroom",
        &[
            ("name", true),
            ("regime", true),
            ("grade", true),
            ("status", true),
            ("area_m2", false),
            ("qualified_on", false),
        ],
    ),
    (
        "product",
        &[("atmp_class", true), ("stage", true), ("first_year", false)],
    ),
    (
        "trial",
        &[
            ("phase", true),
            ("status", true),
            ("start_year", false),
            ("end_year", false),
        ],
    ),
    ("accreditation", &[("scheme", true), ("since_year", false)]),
    ("milestone", &[("title", true)]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (table, columns) in SORTED {
            for (column, text) in *columns {
                if postgres && *text {
                    manager
                        .get_connection()
                        .execute_unprepared(&format!(
                            "ALTER TABLE \"{table}\" ALTER COLUMN \"{column}\" TYPE text COLLATE \"C\""
                        ))
                        .await?;
                }
                manager.create_index(index(table, &[column, "id"])).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in SORTED {
            for (column, _) in *columns {
                let mut drop = Index::drop();
                drop.name(format!("idx_{table}_{column}_id")).table(*table);
                manager.drop_index(drop).await?;
            }
        }
        Ok(())
    }
}
