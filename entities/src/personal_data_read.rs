//! Table `personal_data_read`: one response that carried people's contact details, and who
//! read it. Not a record: kept in the keys' database, written off the request path, and read
//! by admins only.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "personal_data_read")]
pub struct Model {
    /// A UUID v7: its order is the order the reads were made in.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The API key the response was made for; null for a signed-in person.
    pub key_id: Option<Uuid>,
    pub read_at: DateTimeUtc,
    /// The hex SHA-256 of the query's text.
    pub operation_hash: String,
    pub operation_name: Option<String>,
    /// How many people's contact details the response carried.
    pub people: i32,
    /// The identity provider that signed the token of the person the response was made for
    /// (`iss`); null for a key.
    pub signed_in_issuer: Option<String>,
    /// That person, as the identity provider names them (`sub`).
    pub signed_in_subject: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
