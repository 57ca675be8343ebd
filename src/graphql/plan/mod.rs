//! Planned execution: each root field's whole selection becomes a plan before anything is read.
//!
//! async-graphql parses, validates, checks limits and resolves the query root; each root field
//! that lists, looks up, aggregates or searches records then hands its subtree to this module. [`Planner`] walks the
//! selection (fragments, type conditions, aliases and variables resolved; `@skip`/`@include`
//! already applied by async-graphql, with the variables' defaults the handler adds), checking
//! every argument first, into two trees at once: the store's read plan
//! ([`store::read`](crate::store::read): which kinds, references and relations are read, with
//! their queries, and nothing of GraphQL), and a render tree here, which knows the response keys
//! and points at the reads by [`ReadId`](crate::store::read::ReadId). The store executes the
//! read plan level by level: each relation at each level is one statement per source for all
//! parent rows at once (siblings concurrently), a top-level list's to-one references are joined
//! into its own statement, and nothing waits on a timer. Last, the answer is rendered from what
//! the reads found ([`Fetched`](crate::store::read::Fetched)) in one pass, in the selection's
//! order, without reading the store, and kept as JSON under the root field's response key for
//! [`respond`](super::respond) to write into the body. Resolvers below the root never run here.
//!
//! Errors follow the specification's "Handling Field Errors": a field that fails (a bad
//! argument, a failed read, a dangling reference) is reported once per object, with the
//! object's path, and is `null` where its type allows; where it does not, its object is `null`
//! in turn, up to the nearest field that may be null
//! ([`Failure::Nulled`](out::Failure::Nulled)). The field-by-field path gets the same answer
//! from `selection_order`, which completes what async-graphql's resolvers leave out. One
//! response key for different fields or arguments is refused, and an object whose every field
//! is skipped is `{}`.

mod entities;
mod groups;
mod hits;
mod macros;
mod out;
mod planner;
mod render;
mod roots;

use async_graphql::parser::types::Field;
use async_graphql::{Context, Pos, Positioned, ServerError};
use uuid::Uuid;

use super::ApiError;
use crate::store::read::ReadFailure;
use crate::store::{self, Kind, Listable, StoreError};

pub(crate) use entities::entity;
pub(crate) use entities::PlannedEntities;
pub(crate) use groups::{write_optional_enum, Aggregated, KeyShape, RecordsById};
pub(crate) use macros::{record_type, reference};
pub(crate) use out::{write_enum, Leaf, Out};
pub(crate) use planner::Planner;
pub(crate) use render::FieldPlan;
pub(crate) use roots::{aggregates, by_id, institutions, list, nodes, search, Answer};

/// How the fields of a request are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Execution {
    /// From a plan of each root field's whole selection, fetched level by level and rendered at
    /// once.
    #[default]
    Planned,
    /// Field by field through async-graphql's resolvers and the request's batching loader: the
    /// reference the planned path is tested against.
    FieldByField,
}

/// Whether this request runs on the planned path.
pub(crate) fn is_planned(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<Execution>().copied().unwrap_or_default() == Execution::Planned
}

/// A row of record type `R`, with the columns its statement read.
pub(crate) type Row<R> = store::Row<<<R as Record>::Table as Kind>::Model>;

/// A GraphQL type whose values are the rows of one table.
pub(crate) trait Record: Sized + Send + Sync + 'static {
    /// The table.
    type Table: Listable;
    /// The GraphQL type's name.
    const NAME: &'static str;
    /// The name of its connection type.
    const CONNECTION: &'static str;
    /// The name of its edge type.
    const EDGE: &'static str;
    /// Each field but the connections, by GraphQL name, with the columns it reads (which
    /// decide the roles that read it: `graphql::access::RESTRICTED`).
    const DECLARED: &'static [(&'static str, store::Columns)];
    /// The GraphQL value of a row.
    fn of(row: Row<Self>) -> Self;
    /// The row of a GraphQL value.
    fn row(&self) -> &Row<Self>;
    /// The plan of field `name` of this type, selected as `fields` (one response key); `None`
    /// when the type has no such field.
    fn plan_field<'a>(
        planner: &Planner<'a>,
        name: &str,
        fields: &[&'a Positioned<Field>],
    ) -> Result<Option<FieldPlan<Self>>, ServerError>;
}

/// A reference column's value: the ID it names, if any.
pub(crate) trait Key {
    fn key(self) -> Option<Uuid>;
}

impl Key for Uuid {
    fn key(self) -> Option<Uuid> {
        Some(self)
    }
}

impl Key for Option<Uuid> {
    fn key(self) -> Option<Uuid> {
        self
    }
}

/// A store failure met while fetching a field, as its error.
fn failure(error: StoreError, pos: Pos) -> ServerError {
    ApiError::from(error).into_server_error(Some(pos))
}

/// A read's failure, as the error of the field that made the read.
fn read_failure(failure: &ReadFailure, pos: Pos) -> ServerError {
    match failure {
        ReadFailure::Store(error) => ApiError::from(error.clone()).into_server_error(Some(pos)),
        ReadFailure::Internal(message) => internal(message.clone(), pos),
    }
}

/// The columns a record's `provenance` reads, of rows of `M`.
pub(crate) const fn provenance_columns<M: store::Positional>() -> store::Columns {
    store::columns!(M: provenance, sample_fields)
}

/// The error of field `field` of `type_name` answered from a row whose statement did not read
/// every column the field reads: the field is `null` (or its nearest nullable parent is), never
/// a value the row does not hold.
pub(crate) fn unread(type_name: &str, field: &str) -> ApiError {
    ApiError::Internal(format!(
        "`{type_name}.{field}` reads a column its row was read without"
    ))
}

fn internal(message: String, pos: Pos) -> ServerError {
    ApiError::Internal(message).into_server_error(Some(pos))
}

#[cfg(test)]
mod tests {
    use super::{out, planner, render, Execution, Planner};
    use crate::config::Config;
    use crate::graphql::{build_schema, respond, ApiError, AtmpSchema, Cleanroom, Executed};
    use crate::store::read::Fetching;
    use crate::store::testing::{a_listed_cleanroom, every_role, seeded, seeded_split, TestStore};
    use crate::store::{
        self, columns, Batcher, Caller, Cleanrooms, HashMap, Scope, StoreLoader, Units,
    };
    use async_graphql::Context;
    use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

    /// How many statements `query` runs on the planned path under `scope`, and its errors.
    async fn statements(
        schema: &AtmpSchema,
        test_store: &TestStore,
        scope: Scope,
        query: &str,
    ) -> (usize, Vec<async_graphql::ServerError>) {
        let loader = StoreLoader::scoped(test_store.store.clone(), scope).await;
        run(schema, test_store, loader, query).await
    }

    /// How many statements `query` runs on the planned path for `caller`, and its answer.
    async fn statements_of(
        schema: &AtmpSchema,
        test_store: &TestStore,
        caller: &Caller,
        query: &str,
    ) -> (usize, Executed) {
        let loader = StoreLoader::new(test_store.store.clone(), caller.clone()).await;
        let loader = Batcher::new(loader);
        let clock = loader.clock();
        let before = test_store.statements();
        let request = async_graphql::Request::new(query).data(loader);
        let executed = clock.drive(schema.execute(request)).await;
        (test_store.statements() - before, executed)
    }

    /// How many statements `query` runs on the planned path with `loader`, and its errors.
    async fn run(
        schema: &AtmpSchema,
        test_store: &TestStore,
        loader: StoreLoader,
        query: &str,
    ) -> (usize, Vec<async_graphql::ServerError>) {
        let loader = Batcher::new(loader);
        let clock = loader.clock();
        let before = test_store.statements();
        let request = async_graphql::Request::new(query).data(loader);
        let executed = clock.drive(schema.execute(request)).await;
        (test_store.statements() - before, executed.response.errors)
    }

    /// A cleanroom whose row was read (decoded by the store) with its code and unit only, as
    /// the root fields answer it: `room` field by field (`Cleanroom`'s resolvers), `planned`
    /// rendered by the plan into `Rendered` (and null itself).
    struct NarrowRoot(store::Row<entities::cleanroom::Model>);

    /// What the plan rendered of `planned`: its JSON and its errors' paths and codes.
    #[derive(Default)]
    struct Rendered(std::sync::Mutex<Option<(String, Located)>>);

    /// Errors as `(path, code)`.
    type Located = Vec<(String, String)>;

    /// A response's errors as `(path, code)`, in order.
    fn located(errors: &[async_graphql::ServerError]) -> Located {
        let mut located: Vec<(String, String)> = errors
            .iter()
            .map(|error| {
                let path = error
                    .path
                    .iter()
                    .map(|segment| match segment {
                        async_graphql::PathSegment::Field(name) => name.clone(),
                        async_graphql::PathSegment::Index(index) => index.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(".");
                let code = error
                    .extensions
                    .as_ref()
                    .and_then(|extensions| extensions.get("code"))
                    .map(|code| code.to_string())
                    .unwrap_or_default();
                (path, code)
            })
            .collect();
        located.sort();
        located
    }

    #[async_graphql::Object]
    impl NarrowRoot {
        /// The cleanroom, field by field.
        async fn room(&self) -> Option<Cleanroom> {
            Some(Cleanroom(self.0.clone()))
        }

        /// The cleanroom as the plan renders it.
        async fn planned(&self, ctx: &Context<'_>) -> Result<Option<Cleanroom>, ApiError> {
            let planner = Planner::of(ctx)?;
            let sets = planner::selection_sets(&[ctx.item]);
            let (plan, _) = render::RecordPlan::<Cleanroom>::new(&planner, &sets);
            let fetched = Fetching::new(planner.reads, HashMap::default()).finish();
            let mut out = out::Out::new(ctx);
            let json = match plan.render(&fetched, &self.0, &mut out) {
                Ok(()) => String::from_utf8_lossy(&out.json).into_owned(),
                Err(_) => "null".to_owned(),
            };
            if let Ok(rendered) = ctx.data::<std::sync::Arc<Rendered>>() {
                if let Ok(mut rendered) = rendered.0.lock() {
                    *rendered = Some((json, located(&out.errors)));
                }
            }
            Ok(None)
        }
    }

    #[tokio::test]
    async fn a_column_its_row_was_read_without_is_null_with_an_error_on_both_paths_never_a_filler()
    {
        let test_store = seeded().await;
        let loader = StoreLoader::scoped(test_store.store.clone(), Scope::default()).await;
        let id = a_listed_cleanroom(&loader).await.id;
        // Read by the store with two columns: the model's others hold fillers ("" and the
        // first enum value for the columns that cannot be null).
        let narrow = columns!(entities::cleanroom::Model: code, unit_id);
        let row = match loader.records::<Cleanrooms>(&[id], narrow).await {
            Ok(records) => records.get(&id),
            Err(error) => panic!("the cleanroom was not read: {error}"),
        };
        let Ok(Some(row)) = row else {
            panic!("the cleanroom was not found")
        };
        assert_eq!(row.columns(), narrow);
        let code = row.code.clone();
        assert!(!code.is_empty());
        let schema = async_graphql::Schema::build(
            NarrowRoot(row),
            async_graphql::EmptyMutation,
            async_graphql::EmptySubscription,
        )
        .finish();
        let limits = match Config::for_database("sqlite::memory:") {
            Ok(config) => config.request_limits().pages,
            Err(error) => panic!("no configuration: {error}"),
        };

        // Nullable fields over unread columns: null, each with an internal error.
        let nullable = "{ planned { code name grade isoClassAtRest } \
            room { code name grade isoClassAtRest } }";
        // A non-null one: its object is null in turn.
        let non_null = "{ planned { code regime } room { code regime } }";
        let mut answers = Vec::new();
        for query in [nullable, non_null] {
            let batcher =
                Batcher::new(StoreLoader::scoped(test_store.store.clone(), Scope::default()).await);
            let clock = batcher.clock();
            let rendered = std::sync::Arc::new(Rendered::default());
            let request = async_graphql::Request::new(query)
                .data(batcher)
                .data(limits)
                .data(std::sync::Arc::clone(&rendered));
            let response = clock.drive(schema.execute(request)).await;
            let planned = match rendered.0.lock() {
                Ok(mut planned) => planned.take(),
                Err(_) => None,
            };
            answers.push((response, planned));
        }

        let internal = "\"INTERNAL\"".to_owned();
        let (response, planned) = &answers[0];
        let Some((json, errors)) = planned else {
            panic!("the plan rendered nothing")
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(json).ok(),
            Some(serde_json::json!({
                "code": code, "name": null, "grade": null, "isoClassAtRest": null
            }))
        );
        let unread = |root: &str| {
            ["grade", "isoClassAtRest", "name"]
                .map(|field| (format!("{root}.{field}"), internal.clone()))
                .to_vec()
        };
        assert_eq!(errors, &unread("planned"));
        assert_eq!(located(&response.errors), unread("room"));
        // async-graphql leaves a failed field out of its object; the handler writes it as
        // null (`selection_order`).
        assert_eq!(
            response.data.clone().into_json().ok(),
            Some(serde_json::json!({ "planned": null, "room": { "code": code } }))
        );

        let (response, planned) = &answers[1];
        assert_eq!(
            planned
                .as_ref()
                .map(|(json, errors)| (json.as_str(), errors.clone())),
            Some((
                "null",
                vec![("planned.regime".to_owned(), internal.clone())]
            ))
        );
        // The handler nulls `room` in turn (`selection_order`, as `tests/api/field_errors.rs`
        // shows); async-graphql itself leaves `regime` out, never its filler.
        assert_eq!(
            response.data.clone().into_json().ok(),
            Some(serde_json::json!({ "planned": null, "room": { "code": code } }))
        );
        assert_eq!(
            located(&response.errors),
            [("room.regime".to_owned(), internal.clone())]
        );
    }

    #[tokio::test]
    async fn a_nested_read_runs_as_many_statements_under_a_row_rule_as_for_the_public() {
        let test_store = seeded().await;
        let config = match Config::for_database("sqlite::memory:") {
            Ok(config) => config,
            Err(error) => panic!("no configuration: {error}"),
        };
        let schema = build_schema(config.request_limits(), Execution::Planned, false);
        // Units in a hierarchy and the units above them, some hidden by the rule; each unit's
        // cleanrooms; an institution's units and theirs.
        let query = "{ units(first: 100) { totalCount nodes { name \
            parent { name parent { name } } cleanrooms(first: 5) { totalCount nodes { code } } } } \
            institutions { units(first: 20) { nodes { name parent { name } } } } }";
        // The units at the top of a hierarchy are hidden: every unit below one names a hidden
        // parent.
        let below_the_top = Scope::with_rule::<Units>(|alias: &str| {
            Condition::all()
                .add(Expr::col((Alias::new(alias), Alias::new("parent_id"))).is_not_null())
        });

        let (public, public_errors) =
            statements(&schema, &test_store, Scope::default(), query).await;
        let (ruled, ruled_errors) = statements(&schema, &test_store, below_the_top, query).await;

        assert!(public_errors.is_empty(), "{public_errors:?}");
        assert!(ruled_errors.is_empty(), "{ruled_errors:?}");
        assert!(public > 0);
        assert_eq!(ruled, public);
    }

    /// Queries of every shape a role's rules reach: nested lists and counts, references
    /// (required, nullable, to people), relations through appointments, orderings by a
    /// referenced name, relation filters, aggregates grouped by a person, search and an
    /// institution's relations.
    const EVERY_SHAPE: &[&str] = &[
        "{ units(first: 40) { totalCount nodes { name visibility parent { name } \
            cleanrooms(first: 3) { totalCount nodes { code unit { name } } } \
            people(first: 3) { totalCount nodes { name } } } } }",
        "{ trials(first: 40) { totalCount nodes { title principalInvestigator { name } \
            product { name developingUnit { name } } manufacturingUnit { name } } } }",
        "{ people(first: 40, orderBy: [{ field: GIVEN_NAME }]) { nodes { \
            appointments(first: 5, orderBy: [{ field: UNIT_NAME }]) { totalCount \
            nodes { title unit { name } person { name } } } } } }",
        "{ people(first: 40) { totalCount nodes { name appointments(first: 3) { \
            nodes { unit { name } institution { code } } } trialsLed(first: 2) { totalCount } } } }",
        "{ units(filter: { cleanrooms: { some: { grade: { in: [A, B] } } } }) { totalCount } \
            none: units(filter: { cleanrooms: { none: { grade: { eq: A } } } }) { totalCount } \
            cleanrooms(filter: { unit: { kind: { eq: GMP_FACILITY } } }) { totalCount } }",
        "{ trialsAggregate(groupBy: [PRINCIPAL_INVESTIGATOR]) { count \
            keys { principalInvestigator { name } } } \
            cleanroomsAggregate(groupBy: [INSTITUTION]) { count units: countDistinct(field: UNIT) } }",
        "{ search(text: \"gen\", first: 20) { totalCount nodes { ... on Unit { name } \
            ... on Person { name } ... on Cleanroom { code } } } }",
        "{ institution(code: \"KUH\") { units(first: 10) { totalCount nodes { name } } \
            people(first: 10) { totalCount nodes { name } } cleanrooms(first: 5) { totalCount } } }",
    ];

    /// The statements `query` runs for each caller of `callers`, each answer asserted free
    /// of errors, and the answers.
    async fn per_role(
        schema: &AtmpSchema,
        test_store: &TestStore,
        callers: &[Caller],
        query: &str,
    ) -> (Vec<usize>, Vec<Vec<u8>>) {
        let mut counts = Vec::new();
        let mut answers = Vec::new();
        for caller in callers {
            let (count, executed) = statements_of(schema, test_store, caller, query).await;
            assert!(
                executed.response.errors.is_empty(),
                "{caller:?}: {query}: {:?}",
                executed.response.errors
            );
            counts.push(count);
            match respond(&executed) {
                Ok(body) => answers.push(body.bytes),
                Err(error) => panic!("{caller:?}: {query}: no body: {error}"),
            }
        }
        (counts, answers)
    }

    #[tokio::test]
    async fn the_rules_add_conditions_to_a_requests_statements_never_a_statement() {
        let config = match Config::for_database("sqlite::memory:") {
            Ok(config) => config,
            Err(error) => panic!("no configuration: {error}"),
        };
        let schema = build_schema(config.request_limits(), Execution::Planned, false);
        let callers = every_role();
        for (layout, test_store) in [
            ("one database", seeded().await),
            ("two sources", seeded_split().await),
        ] {
            // Every record public: every role reads the rows an admin does (but the people
            // with no appointment), under its rules, with as many statements. (Over records of
            // mixed visibility a role reads fewer rows, and may have fewer to follow: the API's
            // noninterference test compares its statements with an admin's over the same rows.)
            let public = crate::seed::generate(crate::seed::GenerateOptions {
                mixed_visibility: false,
                units: 16,
                cleanrooms_per_unit: 2,
                people_per_unit: 3,
                ..crate::seed::GenerateOptions::default()
            });
            if let Err(error) = test_store.store.upsert(&public).await {
                panic!("the generated records could not be written: {error}");
            }
            for query in EVERY_SHAPE {
                let (counts, _) = per_role(&schema, &test_store, &callers, query).await;
                assert!(counts[0] > 0, "{layout}: {query}");
                assert!(
                    counts.iter().all(|count| *count == counts[0]),
                    "{layout}, all public: {query}: {counts:?}"
                );
            }
        }
    }
}
