//! Creates table `milestone`.

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
            .table("milestone")
            .if_not_exists()
            .col(id())
            .col(uuid("institution_id"))
            .col(uuid_null("unit_id"))
            .col(integer("year"))
            .col(text("title"))
            .col(text_null("description"));
        manager.create_table(provenance(&mut table).take()).await?;
        for columns in [
            &["year", "id"][..],
            &["institution_id", "year", "id"],
            &["unit_id", "year", "id"],
        ] {
            manager.create_index(index("milestone", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("milestone").take())
            .await
    }
}
