//! Creates table `trial`.

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
            .table("trial")
            .if_not_exists()
            .col(id())
            .col(uuid("institution_id"))
            .col(uuid_null("sponsor_institution_id"))
            .col(text("title"))
            .col(sort_key(backend, "title_key"))
            .col(text_null("eu_ct_number"))
            .col(text_null("eudract_number"))
            .col(text_null("nct_number"))
            .col(text_null("phase"))
            .col(text_null("status"))
            .col(integer_null("start_year"))
            .col(integer_null("end_year"))
            .col(uuid_null("principal_investigator_id"))
            .col(uuid_null("product_id"))
            .col(uuid_null("manufacturing_unit_id"))
            .col(text_null("description"));
        manager.create_table(provenance(&mut table).take()).await?;
        for columns in [
            &["title_key", "id"][..],
            &["institution_id", "title_key", "id"],
            &["sponsor_institution_id", "title_key", "id"],
            &["principal_investigator_id", "title_key", "id"],
            &["product_id", "title_key", "id"],
            &["manufacturing_unit_id", "title_key", "id"],
        ] {
            manager.create_index(index("trial", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("trial").take())
            .await
    }
}
