//! Creates table `cleanroom`.

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
            .table("cleanroom")
            .if_not_exists()
            .col(id())
            .col(uuid("institution_id"))
            .col(uuid("unit_id"))
            .col(sort_key(backend, "code"))
            .col(text_null("name"))
            .col(text("regime"))
            .col(text_null("grade"))
            .col(text_null("status"))
            .col(ColumnDef::new("area_m2").double().null())
            .col(ColumnDef::new("qualified_on").date().null())
            .col(text_null("intended_use"));
        manager.create_table(provenance(&mut table).take()).await?;
        for columns in [
            &["code", "id"][..],
            &["institution_id", "code", "id"],
            &["unit_id", "code", "id"],
        ] {
            manager.create_index(index("cleanroom", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("cleanroom").take())
            .await
    }
}
