//! Creates table `service_secret`: the service's own secrets, by name, such as the one its
//! cursors are sealed with. Created once by the first replica to start and read by every
//! other, so that what one seals another opens.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("service_secret")
                    .if_not_exists()
                    // What the secret is for, as `cursor`.
                    .col(ColumnDef::new("name").text().not_null().primary_key())
                    // The secret's bytes, in base64.
                    .col(ColumnDef::new("value").text().not_null())
                    // When it was made.
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null()
                            .default(Expr::current_timestamp()),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("service_secret").take())
            .await
    }
}
