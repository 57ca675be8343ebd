//! Integration tests: the real app (router + store) over HTTP, on SQLite always and on
//! PostgreSQL when `TEST_DATABASE_URL` is set. One binary, one link step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod aggregates;
mod bad_input;
mod contacts;
mod cursors;
mod examples;
mod federation;
mod field_errors;
mod filters;
mod folding;
mod fuzz;
mod generated;
mod helpers;
mod http;
mod jwt;
mod keys;
mod limits;
mod mutations;
mod no_n_plus_one;
mod ordering;
mod pagination;
mod planned;
mod rate_limits;
mod read_log;
mod readiness;
mod relations;
mod request_log;
mod response_order;
mod roles;
mod schema_file;
mod schemas;
mod search;
mod seed_facts;
mod sources;
mod store_lifecycle;
