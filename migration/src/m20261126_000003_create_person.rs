//! Creates table `person`.

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
            .table("person")
            .if_not_exists()
            .col(id())
            .col(text("given_name"))
            .col(text("family_name"))
            .col(sort_key(backend, "name_key"))
            .col(ColumnDef::new("orcid").text().null().unique_key())
            .col(text_null("email"))
            .col(text_null("phone"));
        manager.create_table(provenance(&mut table).take()).await?;
        for columns in [&["name_key", "id"][..]] {
            manager.create_index(index("person", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("person").take())
            .await
    }
}
