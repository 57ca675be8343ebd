//! Schema migrations of atmp-graph, run by `atmp-graph migrate` and at every `serve`.
//!
//! Each migration writes its own DDL (no dependency on the `entities` crate), so a later
//! entity change can never rewrite history. They run on SQLite and PostgreSQL alike;
//! applied ones are recorded in `seaql_migrations`, so running them twice is harmless.
//! No foreign key crosses institutions: records of KI and KUH may live in different
//! databases, and the server resolves references through its store.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261126_000001_create_institution;
mod m20261126_000002_create_unit;
mod m20261126_000003_create_person;
mod m20261126_000004_create_appointment;
mod m20261126_000005_create_cleanroom;
mod m20261126_000006_create_product;
mod m20261126_000007_create_trial;
mod m20261126_000008_create_accreditation;
mod m20261126_000009_create_milestone;
mod m20261202_000010_index_sort_columns;
mod m20261202_000011_create_search_term;
mod m20261215_000012_create_text_key;
mod m20261216_000013_create_api_key;
mod m20261216_000014_create_service_secret;
mod m20261217_000015_add_visibility;
mod m20261217_000016_add_api_key_rate;
mod m20261217_000017_create_person_contact;
mod m20261217_000018_create_personal_data_read;
mod m20261217_000019_add_personal_data_read_signed_in;
mod m20261218_000020_add_version;
mod m20261218_000021_create_audit_log;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_institution::Migration),
            Box::new(m20261126_000002_create_unit::Migration),
            Box::new(m20261126_000003_create_person::Migration),
            Box::new(m20261126_000004_create_appointment::Migration),
            Box::new(m20261126_000005_create_cleanroom::Migration),
            Box::new(m20261126_000006_create_product::Migration),
            Box::new(m20261126_000007_create_trial::Migration),
            Box::new(m20261126_000008_create_accreditation::Migration),
            Box::new(m20261126_000009_create_milestone::Migration),
            Box::new(m20261202_000010_index_sort_columns::Migration),
            Box::new(m20261202_000011_create_search_term::Migration),
            Box::new(m20261215_000012_create_text_key::Migration),
            Box::new(m20261216_000013_create_api_key::Migration),
            Box::new(m20261216_000014_create_service_secret::Migration),
            Box::new(m20261217_000015_add_visibility::Migration),
            Box::new(m20261217_000016_add_api_key_rate::Migration),
            Box::new(m20261217_000017_create_person_contact::Migration),
            Box::new(m20261217_000018_create_personal_data_read::Migration),
            Box::new(m20261217_000019_add_personal_data_read_signed_in::Migration),
            Box::new(m20261218_000020_add_version::Migration),
            Box::new(m20261218_000021_create_audit_log::Migration),
        ]
    }
}
