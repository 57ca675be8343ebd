//! Creates table `institution`.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        #[allow(unused_variables)]
        let backend = manager.get_database_backend();
        let mut table = Table::create();
        table
            .table("institution")
            .if_not_exists()
            .col(id())
            .col(ColumnDef::new("code").text().not_null().unique_key())
            .col(text("name"))
            .col(text("kind"))
            .col(text("ror_id"))
            .col(text("city"))
            .col(text("homepage"));
        manager.create_table(provenance(&mut table).take()).await?;
        for columns in [&["kind"][..]] {
            manager.create_index(index("institution", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("institution").take())
            .await
    }
}
