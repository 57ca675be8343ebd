//! Table `api_key`: an API key, held only as the SHA-256 of its text. Not a record: no
//! institution owns it, and it is read only to authenticate a request.

use sea_orm::entity::prelude::*;

use crate::enums::KeyRole;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub name: String,
    pub role: KeyRole,
    /// The codes of the key's institutions, sorted, between commas; empty for an admin.
    pub institutions: String,
    /// The hex SHA-256 of the whole key.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// The hex SHA-256 of the secret before the last roll, valid until `previous_until`.
    #[sea_orm(unique)]
    pub previous_hash: Option<String>,
    pub previous_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// When the key last authenticated a request, written at most once a minute.
    pub last_used_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// The key's own rate limit (`COST/PERIOD`, such as `6000/1m`, or `off`); null for its role's.
    pub rate: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
