//! atmp-graph: one GraphQL endpoint over the records of Karolinska Institutet and Karolinska
//! University Hospital around the Karolinska ATMP Center.
//!
//! Data flows one way: [`http`] (axum router, GraphiQL, health) → [`graphql`] (schema, one
//! module per type) → [`store`] (sources, keyset pages, the request's batcher) → `entities`.
//! [`domain`] holds validated identifiers used by every layer; [`identity`] verifies staff
//! tokens of the hospital's identity provider; [`seed`] is the ATMP Center dataset; [`app`]
//! wires it all from a [`config::Config`].

pub mod app;
mod catalog;
pub mod cli;
pub mod config;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod identity;
pub mod import;
pub mod seed;
pub mod store;
