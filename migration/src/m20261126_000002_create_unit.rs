//! Creates table `unit`.

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
            .table("unit")
            .if_not_exists()
            .col(id())
            .col(uuid("institution_id"))
            .col(uuid_null("partner_institution_id"))
            .col(uuid_null("parent_id"))
            .col(text("name"))
            .col(sort_key(backend, "name_key"))
            .col(text_null("short_name"))
            .col(text("kind"))
            .col(text_null("campus"))
            .col(text_null("city"))
            .col(integer_null("established_year"))
            .col(text_null("description"));
        manager.create_table(provenance(&mut table).take()).await?;
        for columns in [
            &["name_key", "id"][..],
            &["institution_id", "name_key", "id"],
            &["partner_institution_id"],
            &["parent_id", "name_key", "id"],
        ] {
            manager.create_index(index("unit", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("unit").take()).await
    }
}
