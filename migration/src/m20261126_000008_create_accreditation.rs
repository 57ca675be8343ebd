//! Creates table `accreditation`.

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
            .table("accreditation")
            .if_not_exists()
            .col(id())
            .col(uuid("institution_id"))
            .col(uuid("unit_id"))
            .col(text("scheme"))
            .col(text_null("authority"))
            .col(integer_null("since_year"))
            .col(text_null("description"));
        manager.create_table(provenance(&mut table).take()).await?;
        for columns in [
            &["unit_id", "scheme", "id"][..],
            &["institution_id", "scheme", "id"],
        ] {
            manager
                .create_index(index("accreditation", columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("accreditation").take())
            .await
    }
}
