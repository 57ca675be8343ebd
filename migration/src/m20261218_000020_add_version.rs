//! Adds to every record its `version`: 1 when written first, one more with every write that
//! changes it, so that an update or a delete can say which version it was made against
//! (optimistic concurrency: a write against an older version changes nothing). Rows written
//! before are at version 1, which is what the default says.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables of every kind of record.
const RECORDS: &[&str] = &[
    "institution",
    "unit",
    "person",
    "appointment",
    "cleanroom",
    "product",
    "trial",
    "accreditation",
    "milestone",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in RECORDS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .add_column(ColumnDef::new("version").integer().not_null().default(1))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in RECORDS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .drop_column(Alias::new("version"))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
