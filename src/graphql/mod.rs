//! The GraphQL schema: the query root, one module per domain type, and the shared
//! connection, filter, node and error code. Resolvers never build SQL: they call the store,
//! through the per-request batching loader for anything below the root.

// Arguments are shaped by clients: no index or slice that could panic on them compiles.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

mod accreditation;
mod aggregate;
mod appointment;
mod cleanroom;
pub(crate) mod connection;
mod document;
mod enums;
mod error;
mod federation;
mod filter;
mod institution;
mod milestone;
mod node;
mod person;
mod plan;
mod prepared;
mod product;
mod query;
mod search;
mod selection_order;
mod trial;
mod unit;

use async_graphql::{
    EmptyMutation, EmptySubscription, ObjectType, SDLExportOptions, Schema, SchemaBuilder,
    SimpleObject,
};

pub use accreditation::{Accreditation, AccreditationConnection, AccreditationEdge};
pub use aggregate::{Aggregates, Root, MAX_GROUP_KEYS};
pub use appointment::{Appointment, AppointmentConnection, AppointmentEdge};
pub use cleanroom::{Cleanroom, CleanroomConnection, CleanroomEdge};
pub use connection::Limits;
pub use document::{
    json_nests_deeper_than, parse_checked, Checked, DocumentError, QueryLimits, Weight,
};
pub use enums::{
    AccreditationScheme, AppointmentRole, AtmpClass, CleanroomRegime, CleanroomStatus,
    InstitutionKind, ProductStage, ProvenanceKind, TrialPhase, TrialStatus, UnitKind, Visibility,
};
pub use error::ApiError;
pub use federation::{Entities, SubgraphRoot};
pub use institution::{Institution, InstitutionConnection, InstitutionEdge};
pub use milestone::{Milestone, MilestoneConnection, MilestoneEdge};
pub use person::{Person, PersonConnection, PersonEdge};
pub use plan::Execution;
pub use prepared::{DocumentCache, Prepared};
pub use product::{Product, ProductConnection, ProductEdge};
pub use query::Query;
pub use selection_order::{ask_for_typenames, order_response, with_defaults, Ordering, TypeMap};
pub use trial::{Trial, TrialConnection, TrialEdge};
pub use unit::{Unit, UnitConnection, UnitEdge};

use crate::store::{Kind, RecordKey};

/// The schema atmp-graph serves: the records API, or (with `--federation`) the same API as an
/// Apollo Federation v2 subgraph.
#[derive(Clone)]
pub enum AtmpSchema {
    /// The records API, as `schema.graphql` has it.
    Records(Schema<Root, EmptyMutation, EmptySubscription>),
    /// The records API with `_service` and `_entities`, as `schema.subgraph.graphql` has it.
    Subgraph(Schema<SubgraphRoot, EmptyMutation, EmptySubscription>),
}

impl AtmpSchema {
    /// Runs a request.
    pub async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        match self {
            AtmpSchema::Records(schema) => schema.execute(request).await,
            AtmpSchema::Subgraph(schema) => schema.execute(request).await,
        }
    }

    /// The SDL with these options.
    fn sdl_with_options(&self, options: SDLExportOptions) -> String {
        match self {
            AtmpSchema::Records(schema) => schema.sdl_with_options(options),
            AtmpSchema::Subgraph(schema) => schema.sdl_with_options(options),
        }
    }
}

/// Limits on what one request may ask.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    pub pages: Limits,
    /// Largest complexity: fields to resolve, each connection's counted once per row it may return.
    pub max_complexity: usize,
    /// What the query's text may hold, checked before it is parsed and validated.
    pub query: QueryLimits,
}

/// Builds the schema, resolving fields as `execution` says; with `federation`, as an Apollo
/// Federation v2 subgraph.
pub fn build_schema(limits: RequestLimits, execution: Execution, federation: bool) -> AtmpSchema {
    if federation {
        let builder = Schema::build(
            SubgraphRoot(Query, Aggregates, search::Search, Entities),
            EmptyMutation,
            EmptySubscription,
        );
        AtmpSchema::Subgraph(
            with_settings(builder, limits, execution)
                .enable_federation()
                .finish(),
        )
    } else {
        let builder = Schema::build(
            Root(Query, Aggregates, search::Search),
            EmptyMutation,
            EmptySubscription,
        );
        AtmpSchema::Records(with_settings(builder, limits, execution).finish())
    }
}

/// The settings both schemas share.
fn with_settings<Q: ObjectType + 'static>(
    builder: SchemaBuilder<Q, EmptyMutation, EmptySubscription>,
    limits: RequestLimits,
    execution: Execution,
) -> SchemaBuilder<Q, EmptyMutation, EmptySubscription> {
    builder
        .data(limits.pages)
        .data(execution)
        // Depth, directives and the rest are checked by `parse_checked` first, in linear time;
        // async-graphql's own recursion check stays as deep as the text may nest.
        .limit_recursive_depth(limits.query.max_nesting)
        .limit_complexity(limits.max_complexity)
}

/// The SDL of the schema, sorted so that diffs of `schema.graphql` stay small.
pub fn sdl(schema: &AtmpSchema) -> String {
    schema.sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// The subgraph SDL `_service { sdl }` answers (Federation v2, with `@key` on every entity);
/// `None` unless the schema is served as a subgraph.
pub fn subgraph_sdl(schema: &AtmpSchema) -> Option<String> {
    match schema {
        AtmpSchema::Records(_) => None,
        // The options async-graphql's `_service` resolver exports with.
        AtmpSchema::Subgraph(_) => {
            Some(schema.sdl_with_options(SDLExportOptions::new().federation().compose_directive()))
        }
    }
}

/// Where a record's facts come from.
#[derive(SimpleObject)]
pub struct Provenance {
    /// From the source document, an illustrative sample, or generated filler.
    pub kind: ProvenanceKind,
    /// Fields of a `DOCUMENT` record whose values are illustrative samples, not facts
    /// (GraphQL field names, such as `grade`).
    pub sample_fields: Vec<String>,
}

impl Provenance {
    pub(crate) fn of(kind: entities::enums::Provenance, sample_fields: &str) -> Self {
        Provenance {
            kind: kind.into(),
            sample_fields: sample_fields
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// The record `key` names, or null when it does not exist.
pub(crate) async fn record<K: RecordKey>(
    ctx: &async_graphql::Context<'_>,
    key: K,
) -> Result<Option<std::sync::Arc<<K::Table as Kind>::Model>>, ApiError> {
    Ok(connection::loader(ctx)?.load_one(key).await?)
}

/// The record a non-null reference names; a dangling reference is an internal error.
pub(crate) async fn required<K: RecordKey + std::fmt::Debug>(
    ctx: &async_graphql::Context<'_>,
    key: K,
) -> Result<std::sync::Arc<<K::Table as Kind>::Model>, ApiError> {
    record(ctx, key)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("dangling reference to {key:?}")))
}
