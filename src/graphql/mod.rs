//! The GraphQL schema: the query root, one module per domain type, and the shared
//! connection, filter, node and error code. Resolvers never build SQL: they call the store,
//! through the per-request batching loader for anything below the root.

// Arguments are shaped by clients: no index or slice that could panic on them compiles.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

mod access;
mod accreditation;
mod aggregate;
mod appointment;
mod cleanroom;
pub(crate) mod connection;
mod cost;
mod document;
mod enums;
mod error;
mod federation;
mod filter;
mod institution;
mod milestone;
mod mutation;
mod node;
mod person;
mod plan;
mod prepared;
mod product;
mod query;
mod reads;
mod respond;
mod search;
mod selection_order;
mod trial;
mod unit;

use std::sync::Arc;

use async_graphql::{
    EmptyMutation, EmptySubscription, ObjectType, SDLExportOptions, Schema, SchemaBuilder,
    SimpleObject,
};
use futures::future::BoxFuture;

pub use access::{
    AdminAudience, Audience, ContactsShown, ForRole, PartnerAudience, PublicAudience, SchemaRole,
    StaffAudience, StewardAudience,
};
pub use accreditation::{Accreditation, AccreditationConnection, AccreditationEdge};
pub use aggregate::{Aggregates, Root, MAX_GROUP_KEYS};
pub use appointment::{Appointment, AppointmentConnection, AppointmentEdge};
pub use cleanroom::{Cleanroom, CleanroomConnection, CleanroomEdge};
pub use connection::Limits;
pub use cost::{Meter, RequestMeter};
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
pub use mutation::{Mutation, UserError, UserErrorCode};
pub use person::{Person, PersonConnection, PersonEdge};
pub use plan::Execution;
pub use prepared::{DocumentCache, Prepared};
pub use product::{Product, ProductConnection, ProductEdge};
pub use query::Query;
pub use respond::{respond, Executed, PlannedAnswers, ResponseBody};
pub use selection_order::{ask_for_typenames, order_response, with_defaults, Ordering, TypeMap};
pub use trial::{Trial, TrialConnection, TrialEdge};
pub use unit::{Unit, UnitConnection, UnitEdge};

use crate::store::{Kind, RecordKey, Role};

/// A built schema, whatever its query root.
trait Served: Send + Sync {
    fn execute(&self, request: async_graphql::Request) -> BoxFuture<'_, async_graphql::Response>;
    fn sdl_with_options(&self, options: SDLExportOptions) -> String;
}

impl<Q: ObjectType + 'static, M: ObjectType + 'static> Served for Schema<Q, M, EmptySubscription> {
    fn execute(&self, request: async_graphql::Request) -> BoxFuture<'_, async_graphql::Response> {
        Box::pin(Schema::execute(self, request))
    }

    fn sdl_with_options(&self, options: SDLExportOptions) -> String {
        Schema::sdl_with_options(self, options)
    }
}

/// A schema atmp-graph serves: one role's records API, as `schema.graphql` has it for the
/// public and `schema.<role>.graphql` for the others, or (with `--federation`) the same API
/// as an Apollo Federation v2 subgraph. Cheap to clone.
#[derive(Clone)]
pub struct AtmpSchema {
    schema: Arc<dyn Served>,
    /// The role whose fields it has.
    role: Role,
    /// Whether it is served as a subgraph.
    subgraph: bool,
}

impl AtmpSchema {
    /// Runs a request, with the store its planned root fields answer into.
    pub async fn execute(&self, request: async_graphql::Request) -> Executed {
        let planned = Arc::new(PlannedAnswers::default());
        let request = request
            .data(planned.clone())
            .data(Arc::new(plan::PlannedEntities::default()));
        let response = self.schema.execute(request).await;
        Executed { response, planned }
    }

    /// The SDL with these options.
    fn sdl_with_options(&self, options: SDLExportOptions) -> String {
        self.schema.sdl_with_options(options)
    }

    /// The role whose fields it has.
    pub fn role(&self) -> Role {
        self.role
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

/// Builds the public's schema, resolving fields as `execution` says; with `federation`, as an
/// Apollo Federation v2 subgraph.
pub fn build_schema(limits: RequestLimits, execution: Execution, federation: bool) -> AtmpSchema {
    build_role_schema(limits, execution, federation, Role::Public)
}

/// Builds role `role`'s schema: only the fields it may read ([`access`]).
pub fn build_role_schema(
    limits: RequestLimits,
    execution: Execution,
    federation: bool,
    role: Role,
) -> AtmpSchema {
    match role {
        Role::Public => build::<PublicAudience>(limits, execution, federation),
        Role::Partner => build::<PartnerAudience>(limits, execution, federation),
        Role::Staff => build::<StaffAudience>(limits, execution, federation),
        Role::Steward => build::<StewardAudience>(limits, execution, federation),
        Role::Admin => build::<AdminAudience>(limits, execution, federation),
    }
}

fn build<A: Audience>(limits: RequestLimits, execution: Execution, federation: bool) -> AtmpSchema {
    // Only the roles that write have mutations in their schema.
    let writes = A::ROLE >= Role::Steward;
    let schema: Arc<dyn Served> = match (federation, writes) {
        (true, false) => {
            let root = SubgraphRoot(Query, Aggregates, search::Search, reads::Reads, Entities);
            let builder =
                Schema::build(ForRole::<_, A>::new(root), EmptyMutation, EmptySubscription);
            Arc::new(
                with_settings(builder, limits, execution)
                    .enable_federation()
                    .finish(),
            )
        }
        (true, true) => {
            let root = SubgraphRoot(Query, Aggregates, search::Search, reads::Reads, Entities);
            let builder = Schema::build(
                ForRole::<_, A>::new(root),
                Mutation::default(),
                EmptySubscription,
            );
            Arc::new(
                with_settings(builder, limits, execution)
                    .enable_federation()
                    .finish(),
            )
        }
        (false, false) => {
            let root = Root(Query, Aggregates, search::Search, reads::Reads);
            let builder =
                Schema::build(ForRole::<_, A>::new(root), EmptyMutation, EmptySubscription);
            Arc::new(with_settings(builder, limits, execution).finish())
        }
        (false, true) => {
            let root = Root(Query, Aggregates, search::Search, reads::Reads);
            let builder = Schema::build(
                ForRole::<_, A>::new(root),
                Mutation::default(),
                EmptySubscription,
            );
            Arc::new(with_settings(builder, limits, execution).finish())
        }
    };
    AtmpSchema {
        schema,
        role: A::ROLE,
        subgraph: federation,
    }
}

/// The schemas a server serves, chosen by the caller's role: each role's own, or under
/// federation the one schema of the subgraph's role for every caller (the router's schema is
/// static: see [`access`]).
#[derive(Clone)]
pub enum Schemas {
    /// One schema per role, in the order of [`Role`].
    PerRole(Box<[AtmpSchema; 5]>),
    /// The subgraph's schema.
    Subgraph(AtmpSchema),
}

impl Schemas {
    /// Every role's schema; with `subgraph`, the subgraph schema of that role.
    pub fn build(limits: RequestLimits, execution: Execution, subgraph: Option<Role>) -> Schemas {
        match subgraph {
            Some(role) => Schemas::Subgraph(build_role_schema(limits, execution, true, role)),
            None => Schemas::PerRole(Box::new(
                Role::ALL.map(|role| build_role_schema(limits, execution, false, role)),
            )),
        }
    }

    /// The schema a caller of `role` is served.
    pub fn for_role(&self, role: Role) -> &AtmpSchema {
        match self {
            Schemas::Subgraph(schema) => schema,
            Schemas::PerRole(schemas) => {
                let [public, partner, staff, steward, admin] = &**schemas;
                match role {
                    Role::Public => public,
                    Role::Partner => partner,
                    Role::Staff => staff,
                    Role::Steward => steward,
                    Role::Admin => admin,
                }
            }
        }
    }

    /// The schema with the most fields (the admins', or the subgraph's): every other is a part
    /// of it, so its types serve to put any answer in order.
    pub fn widest(&self) -> &AtmpSchema {
        self.for_role(Role::Admin)
    }
}

/// The settings both schemas share.
fn with_settings<Q: ObjectType + 'static, M: ObjectType + 'static>(
    builder: SchemaBuilder<Q, M, EmptySubscription>,
    limits: RequestLimits,
    execution: Execution,
) -> SchemaBuilder<Q, M, EmptySubscription> {
    builder
        .data(limits.pages)
        .data(execution)
        // Depth, directives and the rest are checked by `parse_checked` first, in linear time;
        // async-graphql's own recursion check stays as deep as the text may nest.
        .limit_recursive_depth(limits.query.max_nesting)
        .limit_complexity(limits.max_complexity)
        // A request that carries a meter is charged its complexity once it is validated.
        .extension(cost::ChargeCostFactory)
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
    // The options async-graphql's `_service` resolver exports with.
    schema
        .subgraph
        .then(|| schema.sdl_with_options(SDLExportOptions::new().federation().compose_directive()))
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
) -> Result<Option<crate::store::Row<<K::Table as Kind>::Model>>, ApiError> {
    Ok(connection::loader(ctx)?.load_one(key).await?)
}

/// The record a non-null reference names; a dangling reference is an internal error.
pub(crate) async fn required<K: RecordKey + std::fmt::Debug>(
    ctx: &async_graphql::Context<'_>,
    key: K,
) -> Result<crate::store::Row<<K::Table as Kind>::Model>, ApiError> {
    record(ctx, key)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("dangling reference to {key:?}")))
}
