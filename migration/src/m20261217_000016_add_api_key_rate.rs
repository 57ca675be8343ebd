//! Adds `api_key.rate`: a key's own rate limit (`COST/PERIOD` such as `6000/1m`, or `off`),
//! which overrides its role's; null for the role's.

use sea_orm_migration::prelude::*;

use crate::columns::text_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_key")
                    .add_column(text_null("rate"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("api_key").drop_column("rate").take())
            .await
    }
}
