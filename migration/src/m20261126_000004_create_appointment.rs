//! Creates table `appointment`.

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
            .table("appointment")
            .if_not_exists()
            .col(id())
            .col(uuid("institution_id"))
            .col(uuid("person_id"))
            .col(uuid_null("unit_id"))
            .col(text("title"))
            .col(text("role"))
            .col(text_null("area"))
            .col(integer_null("start_year"))
            .col(integer_null("end_year"))
            .col(integer("rank"));
        manager.create_table(provenance(&mut table).take()).await?;
        for columns in [
            &["person_id", "rank", "id"][..],
            &["unit_id", "rank", "id"],
            &["institution_id", "rank", "id"],
        ] {
            manager.create_index(index("appointment", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("appointment").take())
            .await
    }
}
