//! SeaORM 2.0 entities of atmp-graph: one module per table, plus the closed vocabularies
//! (`enums`) stored as text. Nothing else lives here: queries belong to the server's store,
//! GraphQL types to its `graphql` layer.
//!
//! Relations are deliberately not declared as SeaORM relations: records of different
//! institutions may live in different databases, so the store resolves every reference
//! through batching loaders instead of SQL joins.

// The derives read through `EntityTrait::find`, which the workspace's clippy.toml keeps to the
// server's store (its read door); the entities themselves read nothing.
#![allow(clippy::disallowed_methods)]

pub mod accreditation;
pub mod api_key;
pub mod appointment;
pub mod cleanroom;
pub mod enums;
pub mod institution;
pub mod milestone;
pub mod person;
pub mod person_contact;
pub mod person_reader;
pub mod personal_data_read;
pub mod product;
pub mod trial;
pub mod unit;
