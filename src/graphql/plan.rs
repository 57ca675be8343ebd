//! Planned execution: each root field's whole selection becomes a plan before anything is read.
//!
//! async-graphql parses, validates, checks limits and resolves the query root; each root field
//! that lists or looks up records then hands its subtree to this module. [`Planner`] walks the
//! selection (fragments, type conditions, aliases and variables resolved; `@skip`/`@include`
//! already applied by async-graphql, with the variables' defaults the handler adds) into a tree
//! of plans, one per record kind and relation, checking every argument first. The tree is then
//! fetched level by level: each relation at each level is one statement per source for all
//! parent rows at once (siblings concurrently), a top-level list's to-one references are joined
//! into its own statement, and nothing waits on a timer. Last, the answer is rendered from the
//! fetched rows in one pass, in the selection's order. Resolvers below the root never run here.
//!
//! Errors follow the specification's "Handling Field Errors": a field that fails (a bad
//! argument, a failed read, a dangling reference) is reported once per object, with the
//! object's path, and is `null` where its type allows; where it does not, its object is `null`
//! in turn, up to the nearest field that may be null ([`Failure::Nulled`]). The field-by-field
//! path gets the same answer from `selection_order`, which completes what async-graphql's
//! resolvers leave out. One response key for different fields or arguments is refused, and an
//! object whose every field is skipped is `{}`.

use std::any::{Any, TypeId};
use std::collections::HashSet;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::EnumType;
use async_graphql::{
    Context, ContextSelectionSet, InputType, Name, OutputType, PathSegment, Pos, Positioned,
    QueryEnv, ServerError, ServerResult, Value, ID,
};
use futures::future::{join_all, try_join_all, BoxFuture};
use uuid::Uuid;

use super::connection::{limits, list_query, loader, Limits, PageArgs};
use super::error::missing_from_list;
use super::filter::{FilterInput, OrderInput};
use super::node::{parse_global_id, write_global_id, NodeType};
use super::{ApiError, Provenance};
use crate::store::{
    self, Columns, HashMap, Join, JoinedRow, Kind, Listable, Page, QueryOf, Relation, StoreError,
    StoreLoader, Unanswered,
};

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

/// A row of record type `R`.
pub(crate) type Row<R> = Arc<<<R as Record>::Table as Kind>::Model>;

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

/// A leaf value, written as JSON the way async-graphql serialises it, with no value built.
pub(crate) trait Leaf {
    fn write(self, out: &mut Out<'_>);
}

impl Leaf for &str {
    fn write(self, out: &mut Out<'_>) {
        out.string(self);
    }
}

impl Leaf for String {
    fn write(self, out: &mut Out<'_>) {
        out.string(&self);
    }
}

impl Leaf for ID {
    fn write(self, out: &mut Out<'_>) {
        out.string(&self);
    }
}

impl Leaf for i32 {
    fn write(self, out: &mut Out<'_>) {
        out.number(self);
    }
}

impl Leaf for f64 {
    fn write(self, out: &mut Out<'_>) {
        // As async-graphql: a number JSON cannot hold is null.
        if self.is_finite() {
            out.number(self);
        } else {
            out.raw("null");
        }
    }
}

impl Leaf for bool {
    fn write(self, out: &mut Out<'_>) {
        out.raw(if self { "true" } else { "false" });
    }
}

impl<T: Leaf> Leaf for Option<T> {
    fn write(self, out: &mut Out<'_>) {
        match self {
            Some(value) => value.write(out),
            None => out.raw("null"),
        }
    }
}

/// Writes an enum's value: its GraphQL name.
pub(crate) fn write_enum<T: EnumType>(value: T, out: &mut Out<'_>) {
    match T::items().iter().find(|item| item.value == value) {
        Some(item) => out.string(item.name),
        None => out.raw("null"),
    }
}

/// Turns selections into plans, reading arguments with the request's variables.
pub(crate) struct Planner<'a> {
    env: &'a QueryEnv,
    /// The schema's types, which say which fields may be null.
    registry: &'a Registry,
    reads: &'a StoreLoader,
    limits: &'a Limits,
    /// The first pair of fields met under one response key that ask for different things.
    conflict: std::cell::RefCell<Option<ServerError>>,
    /// The columns of each table that the planned fields read.
    columns: std::cell::RefCell<HashMap<&'static str, Columns>>,
}

/// The fields of a selection grouped by response key, in the order they are first selected.
type Grouped<'a> = Vec<(&'a Name, Vec<&'a Positioned<Field>>)>;

impl<'a> Planner<'a> {
    fn of(ctx: &'a Context<'a>) -> Result<Self, ApiError> {
        Ok(Planner {
            env: ctx.query_env,
            registry: &ctx.schema_env.registry,
            reads: loader(ctx)?.loader(),
            limits: limits(ctx)?,
            conflict: std::cell::RefCell::new(None),
            columns: std::cell::RefCell::new(HashMap::default()),
        })
    }

    /// The fields the selection sets select on an object for which `applies` holds of a
    /// fragment's type condition (the GraphQL spec's CollectFields over merged selection sets).
    fn collect(&self, sets: &[&'a SelectionSet], applies: &dyn Fn(&str) -> bool) -> Grouped<'a> {
        let mut groups: Grouped<'a> = Vec::new();
        let mut visited: HashSet<&'a str> = HashSet::new();
        let mut stack: Vec<std::slice::Iter<'a, Positioned<Selection>>> =
            sets.iter().rev().map(|set| set.items.iter()).collect();
        while let Some(top) = stack.last_mut() {
            let Some(selection) = top.next() else {
                stack.pop();
                continue;
            };
            match &selection.node {
                Selection::Field(field) => {
                    let key = &field.node.response_key().node;
                    match groups.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, fields)) => {
                            if let Some(first) = fields.first() {
                                self.check_same(first, field);
                            }
                            fields.push(field);
                        }
                        None => groups.push((key, vec![field])),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if !visited.insert(name.as_str()) {
                        continue;
                    }
                    if let Some(fragment) = self.env.fragments.get(name) {
                        if applies(fragment.node.type_condition.node.on.node.as_str()) {
                            stack.push(fragment.node.selection_set.node.items.iter());
                        }
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applied = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| applies(condition.node.on.node.as_str()));
                    if applied {
                        stack.push(inline.node.selection_set.node.items.iter());
                    }
                }
            }
        }
        groups
    }

    /// Records a conflict where two fields under one response key name different fields or
    /// arguments: the GraphQL spec forbids it (async-graphql's validation does not check it).
    fn check_same(&self, first: &Positioned<Field>, other: &Positioned<Field>) {
        let sorted = |field: &Positioned<Field>| {
            let mut arguments: Vec<_> = field
                .node
                .arguments
                .iter()
                .map(|(name, value)| (name.node.clone(), value.node.clone()))
                .collect();
            arguments.sort_by(|(a, _), (b, _)| a.cmp(b));
            arguments
        };
        let key = &first.node.response_key().node;
        let (name, other_name) = (&first.node.name.node, &other.node.name.node);
        let message = if name != other_name {
            format!("`{key}` names both `{name}` and `{other_name}`; give each an alias")
        } else if sorted(first) != sorted(other) {
            format!(
                "`{name}` is selected more than once as `{key}` with different arguments; give each an alias"
            )
        } else {
            return;
        };
        let mut conflict = self.conflict.borrow_mut();
        if conflict.is_none() {
            *conflict = Some(ApiError::BadUserInput(message).into_server_error(Some(other.pos)));
        }
    }

    /// The root fields selected under `field`'s response key, `field` among them, checked for
    /// conflicts like every other group.
    fn root_group(&self, field: &'a Positioned<Field>) -> Vec<&'a Positioned<Field>> {
        let key = &field.node.response_key().node;
        self.collect(
            &[&self.env.operation.node.selection_set.node],
            &|condition| condition == "Query",
        )
        .into_iter()
        .find(|(k, _)| *k == key)
        .map_or_else(|| vec![field], |(_, fields)| fields)
    }

    /// Whether field `field` of type `parent` may be null (a field the schema lacks may).
    fn nullable(&self, parent: &str, field: &str) -> bool {
        self.registry
            .types
            .get(parent)
            .and_then(|ty| ty.field_by_name(field))
            .is_none_or(|field| !field.ty.ends_with('!'))
    }

    /// Notes that a planned field reads these columns of `L`.
    pub(crate) fn needs<L: Listable>(&self, names: &[&str]) {
        let columns = Columns::of::<L::Model>(names);
        self.columns
            .borrow_mut()
            .entry(L::TABLE)
            .and_modify(|known| *known = known.and(columns))
            .or_insert(columns);
    }

    fn variable(&self, name: &str) -> Result<Value, ApiError> {
        self.env
            .operation
            .node
            .variable_definitions
            .iter()
            .find(|definition| definition.node.name.node == name)
            .and_then(|definition| {
                self.env
                    .variables
                    .get(&definition.node.name.node)
                    .or_else(|| definition.node.default_value())
            })
            .cloned()
            .ok_or_else(|| ApiError::BadUserInput(format!("Variable {name} is not defined.")))
    }

    /// Argument `name` of `field`, with variables replaced by their values; a value that does
    /// not parse is refused at its position, as async-graphql refuses it.
    fn argument<T: InputType>(
        &self,
        field: &Positioned<Field>,
        name: &str,
    ) -> Result<Option<T>, ServerError> {
        let Some(value) = field.node.get_argument(name) else {
            return Ok(None);
        };
        let constant = value
            .node
            .clone()
            .into_const_with(|variable| self.variable(&variable))
            .map_err(|error| error.into_server_error(Some(value.pos)))?;
        Option::<T>::parse(Some(constant)).map_err(|error| error.into_server_error(value.pos))
    }

    /// The store query a connection field's arguments ask of `list`.
    fn list_query<L, F, O>(
        &self,
        field: &Positioned<Field>,
        list: store::ListName,
    ) -> Result<QueryOf<L>, ServerError>
    where
        L: Listable,
        F: FilterInput<Store = L::Filter> + InputType,
        O: OrderInput<Field = L::Field> + InputType,
    {
        let page = PageArgs {
            first: self.argument(field, "first")?,
            after: self.argument(field, "after")?,
            last: self.argument(field, "last")?,
            before: self.argument(field, "before")?,
        };
        let refused = |error: ApiError| error.into_server_error(Some(field.pos));
        let query = list_query::<L, F, O>(
            self.reads,
            self.limits,
            page,
            self.argument(field, "filter")?,
            self.argument(field, "orderBy")?,
        )
        .map_err(refused)?;
        // Checked now, as a page read would, even where only `totalCount` is selected.
        store::check_query::<L>(&query, list).map_err(|error| refused(error.into()))?;
        Ok(query)
    }

    /// The plan of a to-one reference from `R` to `T`, read from the column `key` gives.
    pub(crate) fn to_one<R: Record, T: Record>(
        &self,
        fields: &[&'a Positioned<Field>],
        key: fn(&<R::Table as Kind>::Model) -> Option<Uuid>,
        column: &'static str,
        required: bool,
    ) -> FieldPlan<R> {
        self.needs::<R::Table>(&[column]);
        FieldPlan::Nested(Box::new(ToOne::<R, T> {
            key,
            column,
            required,
            pos: fields.first().map(|f| f.pos).unwrap_or_default(),
            target: ById::new(self, &selection_sets(fields)),
            failed: None,
        }))
    }

    /// The plan of connection field `Rel` of `R`, listing `T`.
    pub(crate) fn children<R, Rel, T, F, O>(
        &self,
        fields: &[&'a Positioned<Field>],
    ) -> Result<FieldPlan<R>, ServerError>
    where
        R: Record,
        Rel: Relation,
        T: Record<Table = Rel::Child>,
        F: FilterInput<Store = <T::Table as Listable>::Filter> + InputType,
        O: OrderInput<Field = <T::Table as Listable>::Field> + InputType,
    {
        let Some(field) = fields.first() else {
            return Err(internal(
                "a field group without fields".to_owned(),
                Pos::default(),
            ));
        };
        Ok(FieldPlan::Nested(Box::new(Children::<R, Rel, T> {
            pos: field.pos,
            failed: None,
            query: self.list_query::<T::Table, F, O>(field, store::ListName::relation::<Rel>())?,
            plan: ConnectionPlan::new(self, &selection_sets(fields)),
            pages: HashMap::default(),
            counts: HashMap::default(),
            relation: PhantomData,
        })))
    }

    /// The plan of a record's `provenance`.
    pub(crate) fn provenance<R: Record>(
        &self,
        fields: &[&'a Positioned<Field>],
        of: fn(&R, &Context<'_>) -> Option<Provenance>,
    ) -> FieldPlan<R> {
        self.needs::<R::Table>(&["provenance", "sample_fields"]);
        let fields = self
            .collect(&selection_sets(fields), &|condition| {
                condition == "Provenance"
            })
            .into_iter()
            .map(|(key, fields)| {
                let field = match fields.first().map(|f| f.node.name.node.as_str()) {
                    Some("kind") => ProvenanceField::Kind,
                    Some("sampleFields") => ProvenanceField::SampleFields,
                    _ => ProvenanceField::Typename,
                };
                (key.clone(), field)
            })
            .collect();
        FieldPlan::Provenance(of, fields)
    }
}

fn selection_sets<'a>(fields: &[&'a Positioned<Field>]) -> Vec<&'a SelectionSet> {
    fields
        .iter()
        .map(|field| &field.node.selection_set.node)
        .collect()
}

/// How one field of a record is answered.
pub(crate) enum FieldPlan<R> {
    Typename,
    /// A value of the row itself, from the type's own resolver (which never waits).
    /// Written by the type's own resolver; false when it waited or failed.
    Leaf(fn(&R, &mut Out<'_>) -> bool),
    Provenance(
        fn(&R, &Context<'_>) -> Option<Provenance>,
        Vec<(Name, ProvenanceField)>,
    ),
    /// Rows of another table: fetched for every row of this level at once.
    Nested(Box<dyn Nested<R>>),
    /// A field whose arguments were refused: reported for each row that selects it.
    Failed(ServerError),
}

pub(crate) enum ProvenanceField {
    Typename,
    Kind,
    SampleFields,
}

/// A relation of `R`'s rows: fetched for all of them in one go, then rendered for each.
pub(crate) trait Nested<R: Record>: Send + Sync {
    /// For a reference to one record: its table and the IDs `parents` name, so that the
    /// references of one level to one table are read in one statement.
    fn references(&self, _parents: &[Row<R>]) -> Option<(TypeId, Vec<Uuid>)> {
        None
    }

    /// Reads the rows with these IDs of the table [`Nested::references`] names into the
    /// fetch's rows by ID.
    fn read<'s>(&'s self, _fetch: &'s Fetch<'s>, _ids: Vec<Uuid>) -> BoxFuture<'s, ()> {
        Box::pin(async {})
    }

    /// For a reference: the join that reads it, and the references below it, with the
    /// parent rows' own statement.
    fn join(&self, _fetch: &Fetch<'_>) -> Option<Join> {
        None
    }

    /// Keeps the rows `join` read for `parents` (and those of the joins below it, which read
    /// `below`), for the fetch to find.
    fn joined(&self, _join: &Join, _below: Vec<Join>, _fetch: &Fetch<'_>, _parents: &[Row<R>]) {}

    /// Fetches what every parent row needs, then the levels below. A failure is kept and
    /// reported for each parent row that selects the field, as a resolver's would be.
    fn fetch<'s>(&'s mut self, fetch: &'s Fetch<'s>, parents: &'s [Row<R>]) -> BoxFuture<'s, ()>;

    /// This field's pages (or only its counts) as a branch of its level's statement, read
    /// with its siblings'; `None` when it reads neither (then [`Nested::fetch`] reads what it
    /// needs).
    fn branch(&mut self, _fetch: &Fetch<'_>) -> Option<Box<dyn store::Branch>> {
        None
    }

    /// Takes its branch back once the level's statement has run, then fetches the level
    /// below.
    fn branched<'s>(
        &'s mut self,
        _fetch: &'s Fetch<'s>,
        _read: Result<Box<dyn store::Branch>, Arc<StoreError>>,
    ) -> BoxFuture<'s, ()> {
        Box::pin(async {})
    }

    /// Writes the value for one parent row; on a failure, writes nothing.
    fn render<'p>(&'p self, parent: &Row<R>, out: &mut Out<'p>) -> Result<(), Failure>;
}

/// Why a field has no value.
pub(crate) enum Failure {
    /// The field itself failed, with this error, reported at its path.
    Error(ServerError),
    /// A non-null field below it failed (its error is reported already), which makes this one
    /// null in turn (the specification's "Handling Field Errors").
    Nulled,
}

/// What a plan is fetched with: the caller's reads, and the rows read by ID so far, so that
/// a record referenced at several levels or by several fields is read once.
pub(crate) struct Fetch<'s> {
    reads: &'s StoreLoader,
    by_id: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
    /// The columns of each table that the plan reads anywhere: every read of a table
    /// selects them all, so that a row kept for the request serves each of its fields.
    columns: HashMap<&'static str, Columns>,
}

/// Rows of one table by ID; `None` where the ID names no row the caller may see, and the source
/// that did not answer where no source that answered holds it.
type Known<T> = HashMap<Uuid, Result<Option<Row<T>>, Unanswered>>;

impl<'s> Fetch<'s> {
    fn new(reads: &'s StoreLoader, columns: HashMap<&'static str, Columns>) -> Self {
        Fetch {
            reads,
            by_id: Mutex::new(HashMap::default()),
            columns,
        }
    }

    /// The columns of `L` to read: those the plan's fields of `L` read, and the ID.
    fn columns<L: Listable>(&self) -> Columns {
        self.columns
            .get(L::TABLE)
            .copied()
            .unwrap_or_else(|| Columns::of::<L::Model>(&[]))
    }

    fn with_known<T: Record, V>(&self, use_known: impl FnOnce(&mut Known<T>) -> V) -> V {
        let mut by_id = match self.by_id.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let entry = by_id
            .entry(TypeId::of::<Known<T>>())
            .or_insert_with(|| Box::new(Known::<T>::default()));
        match entry.downcast_mut::<Known<T>>() {
            Some(known) => use_known(known),
            // Unreachable: each entry is keyed by its own type.
            None => use_known(&mut Known::<T>::default()),
        }
    }

    /// Reads the rows of `T` with these IDs that were not read yet.
    async fn read<T: Record>(&self, ids: &[Uuid]) -> Result<(), StoreError> {
        let mut missing: Vec<Uuid> = self.with_known::<T, _>(|known| {
            ids.iter()
                .filter(|id| !known.contains_key(id))
                .copied()
                .collect()
        });
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        let found = self
            .reads
            .records::<T::Table>(&missing, self.columns::<T::Table>())
            .await?;
        self.with_known::<T, _>(|known| {
            for id in missing {
                known.insert(id, found.get(&id));
            }
        });
        Ok(())
    }

    /// Keeps the rows of `T` a join read, and returns them.
    fn keep<T: Record>(&self, found: &HashMap<Uuid, JoinedRow>) -> Vec<Row<T>> {
        let rows: Vec<Row<T>> = found
            .values()
            .filter_map(|row| row.clone().downcast::<<T::Table as Kind>::Model>().ok())
            .collect();
        self.with_known::<T, _>(|known| {
            for row in &rows {
                known.insert(T::Table::id(row), Ok(Some(row.clone())));
            }
        });
        rows
    }

    /// Keeps these IDs of `T` as naming no row the caller may read, where nothing is known of
    /// them yet: an authoritative join did not find them ([`Join::found_all`]), so no read by
    /// ID would.
    fn absent<T: Record>(&self, ids: impl Iterator<Item = Uuid>) {
        self.with_known::<T, _>(|known| {
            for id in ids {
                known.entry(id).or_insert(Ok(None));
            }
        });
    }

    /// The rows of `T` with these IDs, once read, and the IDs whose rows may sit in a source
    /// that did not answer.
    fn rows<T: Record>(&self, ids: &[Uuid]) -> (HashMap<Uuid, Row<T>>, HashMap<Uuid, Unanswered>) {
        self.with_known::<T, _>(|known| {
            let (mut rows, mut unavailable) = (HashMap::default(), HashMap::default());
            for id in ids {
                match known.get(id) {
                    Some(Ok(Some(row))) => {
                        rows.insert(*id, row.clone());
                    }
                    Some(Err(source)) => {
                        unavailable.insert(*id, source.clone());
                    }
                    Some(Ok(None)) | None => {}
                }
            }
            (rows, unavailable)
        })
    }
}

/// A store failure met while fetching a field, as its error.
fn failure(error: StoreError, pos: Pos) -> ServerError {
    ApiError::from(error).into_server_error(Some(pos))
}

/// Where the renderer is, and the errors it met, with their paths.
pub(crate) struct Out<'p> {
    /// The root field's context, which the types' own resolvers take (and leave unused).
    ctx: &'p Context<'p>,
    root: String,
    path: Vec<Segment<'p>>,
    errors: Vec<ServerError>,
    /// The answer so far, as JSON.
    json: Vec<u8>,
}

/// An object being written: where it starts, and how many members it has so far.
struct Members {
    start: usize,
    written: usize,
}

enum Segment<'p> {
    Key(&'p str),
    Index(usize),
}

impl<'p> Out<'p> {
    fn new(ctx: &'p Context<'p>) -> Self {
        Out {
            ctx,
            root: ctx.item.node.response_key().node.to_string(),
            path: Vec::new(),
            errors: Vec::new(),
            json: Vec::with_capacity(4096),
        }
    }

    /// The root field's context, for the types' resolvers.
    pub(crate) fn ctx(&self) -> &'p Context<'p> {
        self.ctx
    }

    fn raw(&mut self, text: &str) {
        self.json.extend_from_slice(text.as_bytes());
    }

    /// A JSON string.
    fn string(&mut self, text: &str) {
        // Writing a string to a vector cannot fail.
        let _ = serde_json::to_writer(&mut self.json, text);
    }

    /// A JSON number.
    fn number<N: serde::Serialize>(&mut self, number: N) {
        // Writing a finite number to a vector cannot fail.
        let _ = serde_json::to_writer(&mut self.json, &number);
    }

    /// A record's global ID, as a JSON string.
    pub(crate) fn global_id(&mut self, kind: NodeType, id: Uuid) {
        self.json.push(b'"');
        write_global_id(kind, id, &mut self.json);
        self.json.push(b'"');
    }

    fn begin_object(&mut self) -> Members {
        let start = self.json.len();
        self.json.push(b'{');
        Members { start, written: 0 }
    }

    /// Writes the key of the next member and returns where the member starts, to take it
    /// back if its value fails.
    fn key(&mut self, members: &Members, key: &str) -> usize {
        let mark = self.json.len();
        if members.written > 0 {
            self.json.push(b',');
        }
        self.string(key);
        self.json.push(b':');
        mark
    }

    /// Keeps the member begun at `mark` when its value was written. A member that failed is
    /// taken back, its error (if its own) recorded, and written as `null` when it may be null;
    /// false when it may not, and its object is then null in turn.
    fn member(
        &mut self,
        members: &mut Members,
        mark: usize,
        key: &str,
        nullable: bool,
        value: Result<(), Failure>,
    ) -> bool {
        match value {
            Ok(()) => {
                members.written += 1;
                true
            }
            Err(failure) => {
                self.json.truncate(mark);
                if let Failure::Error(error) = failure {
                    self.error(key, error);
                }
                if nullable {
                    self.key(members, key);
                    self.raw("null");
                    members.written += 1;
                }
                nullable
            }
        }
    }

    /// Closes an object whose members were all answered (`whole`), or takes it back: a
    /// non-null member failed, and the object is then null.
    fn end_object(&mut self, members: Members, whole: bool) -> Result<(), Failure> {
        if whole {
            self.json.push(b'}');
            Ok(())
        } else {
            self.json.truncate(members.start);
            Err(Failure::Nulled)
        }
    }

    /// A list of `items`, each written by `item` one level down, under its index. An item
    /// that fails is `null` when the items may be null (`nullable`); otherwise the list fails
    /// (and is taken back), as the specification has it.
    fn list<I>(
        &mut self,
        items: impl IntoIterator<Item = I>,
        nullable: bool,
        mut item: impl FnMut(&mut Self, I) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let start = self.json.len();
        self.json.push(b'[');
        let mut whole = true;
        for (index, value) in items.into_iter().enumerate() {
            if index > 0 {
                self.json.push(b',');
            }
            let mark = self.json.len();
            let failed = self.under(Segment::Index(index), |out| match item(out, value) {
                Ok(()) => false,
                Err(failure) => {
                    if let Failure::Error(error) = failure {
                        out.error_here(error);
                    }
                    true
                }
            });
            if failed {
                self.json.truncate(mark);
                self.raw("null");
                whole &= nullable;
            }
        }
        if whole {
            self.json.push(b']');
            Ok(())
        } else {
            self.json.truncate(start);
            Err(Failure::Nulled)
        }
    }

    /// Records the error of field `key` of the current object.
    fn error(&mut self, key: &str, error: ServerError) {
        self.error_at(Some(key), error);
    }

    /// Records an error of the current field, whose value is written all the same.
    fn error_here(&mut self, error: ServerError) {
        self.error_at(None, error);
    }

    fn error_at(&mut self, key: Option<&str>, mut error: ServerError) {
        error.path = std::iter::once(PathSegment::Field(self.root.clone()))
            .chain(self.path.iter().map(|segment| match segment {
                Segment::Key(key) => PathSegment::Field((*key).to_owned()),
                Segment::Index(index) => PathSegment::Index(*index),
            }))
            .chain(key.map(|key| PathSegment::Field(key.to_owned())))
            .collect();
        self.errors.push(error);
    }

    /// Renders `value` one level down, under `segment`.
    fn under<T>(&mut self, segment: Segment<'p>, value: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push(segment);
        let value = value(self);
        self.path.pop();
        value
    }
}

fn internal(message: String, pos: Pos) -> ServerError {
    ApiError::Internal(message).into_server_error(Some(pos))
}

/// The selection on one record type.
pub(crate) struct RecordPlan<R: Record> {
    fields: Vec<PlannedField<R>>,
}

/// A field of a record's selection: its response key, where it was selected, its plan, and
/// whether its type may be null.
struct PlannedField<R> {
    key: Name,
    pos: Pos,
    plan: FieldPlan<R>,
    nullable: bool,
}

impl<R: Record> RecordPlan<R> {
    fn new<'a>(planner: &Planner<'a>, sets: &[&'a SelectionSet]) -> Self {
        let groups = planner.collect(sets, &|condition| {
            condition == R::NAME || condition == "Node"
        });
        let fields = groups
            .into_iter()
            .map(|(key, fields)| {
                let pos = fields.first().map(|f| f.pos).unwrap_or_default();
                let name = fields
                    .first()
                    .map(|f| f.node.name.node.as_str())
                    .unwrap_or_default();
                let plan = if name == "__typename" {
                    FieldPlan::Typename
                } else {
                    match R::plan_field(planner, name, &fields) {
                        Ok(Some(plan)) => plan,
                        Ok(None) => FieldPlan::Failed(internal(
                            format!("no plan for {}.{name}", R::NAME),
                            pos,
                        )),
                        Err(error) => FieldPlan::Failed(error),
                    }
                };
                PlannedField {
                    key: key.clone(),
                    pos,
                    plan,
                    nullable: name != "__typename" && planner.nullable(R::NAME, name),
                }
            })
            .collect();
        RecordPlan { fields }
    }

    fn references<'f>(
        &'f self,
        fetch: &'f Fetch<'_>,
    ) -> impl Iterator<Item = (&'f dyn Nested<R>, Join)> + 'f {
        self.fields
            .iter()
            .filter_map(move |field| match &field.plan {
                FieldPlan::Nested(nested) => nested.join(fetch).map(|join| (nested.as_ref(), join)),
                _ => None,
            })
    }

    /// The joins that read this selection's references with its rows' statement: one per
    /// column, however many fields (aliases) follow it, with all their joins below.
    fn joins(&self, fetch: &Fetch<'_>) -> Vec<Join> {
        let mut joins: Vec<Join> = Vec::new();
        for (_, join) in self.references(fetch) {
            match joins.iter_mut().find(|j| j.same_reference(&join)) {
                Some(same) => same.below.extend(join.below),
                None => joins.push(join),
            }
        }
        joins
    }

    /// Keeps what [`RecordPlan::joins`] read from `rows`: each field takes its column's rows
    /// and, in order, the joins below that it added.
    fn joined(&self, mut joins: Vec<Join>, fetch: &Fetch<'_>, rows: &[Row<R>]) {
        for (nested, mine) in self.references(fetch) {
            if let Some(same) = joins.iter_mut().find(|j| j.same_reference(&mine)) {
                let count = mine.below.len().min(same.below.len());
                let below = same.below.drain(..count).collect();
                nested.joined(same, below, fetch, rows);
            }
        }
    }

    /// Fetches every relation the selection follows from these rows: references to one table
    /// in one read, then each relation's level below; connections alongside.
    async fn fetch(&mut self, fetch: &Fetch<'_>, rows: &[Row<R>]) {
        if rows.is_empty() {
            return;
        }
        let mut references = Vec::new();
        let mut others = Vec::new();
        for field in &mut self.fields {
            if let FieldPlan::Nested(nested) = &mut field.plan {
                match nested.references(rows) {
                    Some((table, ids)) => references.push((table, ids, nested)),
                    None => others.push(nested),
                }
            }
        }
        let references = async {
            let mut tables: Vec<(TypeId, Vec<Uuid>, usize)> = Vec::new();
            for (index, (table, ids, _)) in references.iter().enumerate() {
                match tables.iter_mut().find(|(t, _, _)| t == table) {
                    Some((_, all, _)) => all.extend(ids),
                    None => tables.push((*table, ids.clone(), index)),
                }
            }
            join_all(tables.into_iter().filter_map(|(_, ids, index)| {
                references
                    .get(index)
                    .map(|(_, _, nested)| nested.read(fetch, ids))
            }))
            .await;
            join_all(
                references
                    .iter_mut()
                    .map(|(_, _, nested)| nested.fetch(fetch, rows)),
            )
            .await;
        };
        let others = async {
            // Every relation of this level that pages is a branch of one statement.
            let mut paged = Vec::new();
            let mut branches = Vec::new();
            let mut rest = Vec::new();
            for nested in others {
                match nested.branch(fetch) {
                    Some(branch) => {
                        paged.push(nested);
                        branches.push(branch);
                    }
                    None => rest.push(nested),
                }
            }
            let read = if branches.is_empty() {
                Ok(())
            } else {
                let mut ids: Vec<Uuid> = rows.iter().map(|row| R::Table::id(row)).collect();
                ids.sort_unstable();
                ids.dedup();
                let mut each: Vec<&mut dyn store::Branch> =
                    branches.iter_mut().map(|branch| branch.as_mut()).collect();
                fetch
                    .reads
                    .child_pages_together(&ids, &mut each)
                    .await
                    .map_err(Arc::new)
            };
            let below = paged
                .into_iter()
                .zip(branches)
                .map(|(nested, branch)| nested.branched(fetch, read.clone().map(|()| branch)));
            let rest = rest.into_iter().map(|nested| nested.fetch(fetch, rows));
            join_all(below.chain(rest)).await;
        };
        futures::join!(references, others);
    }

    /// Writes a row's object; fails (writing nothing) when a non-null field of it failed.
    fn render<'p>(&'p self, row: &Row<R>, out: &mut Out<'p>) -> Result<(), Failure> {
        let record = R::of(row.clone());
        let waited = |key: &Name, pos: &Pos| {
            Failure::Error(internal(
                format!("the resolver of {}.{key} waited or failed", R::NAME),
                *pos,
            ))
        };
        let mut members = out.begin_object();
        let mut whole = true;
        for field in &self.fields {
            let key = &field.key;
            let mark = out.key(&members, key);
            let value = match &field.plan {
                FieldPlan::Typename => {
                    out.string(R::NAME);
                    Ok(())
                }
                FieldPlan::Leaf(leaf) => {
                    if leaf(&record, out) {
                        Ok(())
                    } else {
                        Err(waited(key, &field.pos))
                    }
                }
                FieldPlan::Provenance(of, fields) => match of(&record, out.ctx) {
                    Some(provenance) => render_provenance(provenance, fields, out),
                    None => Err(waited(key, &field.pos)),
                },
                FieldPlan::Nested(nested) => {
                    out.under(Segment::Key(key.as_str()), |out| nested.render(row, out))
                }
                FieldPlan::Failed(error) => Err(Failure::Error(error.clone())),
            };
            whole &= out.member(&mut members, mark, key, field.nullable, value);
        }
        out.end_object(members, whole)
    }
}

fn render_provenance(
    provenance: Provenance,
    fields: &[(Name, ProvenanceField)],
    out: &mut Out<'_>,
) -> Result<(), Failure> {
    let mut members = out.begin_object();
    let mut whole = true;
    for (key, field) in fields {
        let mark = out.key(&members, key);
        let value = match field {
            ProvenanceField::Typename => {
                out.string("Provenance");
                Ok(())
            }
            ProvenanceField::Kind => {
                provenance.kind.write(out);
                Ok(())
            }
            ProvenanceField::SampleFields => {
                out.list(&provenance.sample_fields, false, |out, f| {
                    out.string(f);
                    Ok(())
                })
            }
        };
        whole &= out.member(&mut members, mark, key, false, value);
    }
    out.end_object(members, whole)
}

/// The selection on a connection of `T`.
pub(crate) struct ConnectionPlan<T: Record> {
    fields: Vec<(Name, ConnectionField)>,
    /// The selections on the page's rows (`nodes`, `node` of `edges`), which fields name by
    /// index.
    rows: Vec<RecordPlan<T>>,
}

enum ConnectionField {
    Typename,
    TotalCount,
    PageInfo(Vec<(Name, PageInfoField)>),
    Nodes(usize),
    Edges(Vec<(Name, EdgeField)>),
}

enum EdgeField {
    Typename,
    Cursor,
    Node(usize),
}

enum PageInfoField {
    Typename,
    HasNextPage,
    HasPreviousPage,
    StartCursor,
    EndCursor,
}

fn field_name<'a>(fields: &[&'a Positioned<Field>]) -> &'a str {
    fields
        .first()
        .map(|f| f.node.name.node.as_str())
        .unwrap_or_default()
}

impl<T: Record> ConnectionPlan<T> {
    fn new<'a>(planner: &Planner<'a>, sets: &[&'a SelectionSet]) -> Self {
        let mut rows = Vec::new();
        let fields = planner
            .collect(sets, &|condition| condition == T::CONNECTION)
            .into_iter()
            .map(|(key, fields)| {
                let field = match field_name(&fields) {
                    "totalCount" => ConnectionField::TotalCount,
                    "nodes" => {
                        rows.push(RecordPlan::new(planner, &selection_sets(&fields)));
                        ConnectionField::Nodes(rows.len() - 1)
                    }
                    "pageInfo" => ConnectionField::PageInfo(page_info_plan(planner, &fields)),
                    "edges" => ConnectionField::Edges(edge_plan(planner, &fields, &mut rows)),
                    _ => ConnectionField::Typename,
                };
                (key.clone(), field)
            })
            .collect();
        ConnectionPlan { fields, rows }
    }

    /// The joins that read the references of the page's rows with the page's statement.
    fn joins(&self, fetch: &Fetch<'_>) -> Vec<Join> {
        self.rows
            .iter()
            .flat_map(|plan| plan.joins(fetch))
            .collect()
    }

    /// Keeps what [`ConnectionPlan::joins`] read from the pages' `rows`, in the same order.
    fn joined(&self, joins: Vec<Join>, fetch: &Fetch<'_>, rows: &[Row<T>]) {
        let mut joins = joins.into_iter();
        for plan in &self.rows {
            let count = plan.joins(fetch).len();
            plan.joined(joins.by_ref().take(count).collect(), fetch, rows);
        }
    }

    /// Whether any field needs the page's rows (or its cursors).
    fn needs_page(&self) -> bool {
        self.fields.iter().any(|(_, field)| {
            !matches!(
                field,
                ConnectionField::TotalCount | ConnectionField::Typename
            )
        })
    }

    fn needs_count(&self) -> bool {
        self.fields
            .iter()
            .any(|(_, field)| matches!(field, ConnectionField::TotalCount))
    }

    async fn fetch(&mut self, fetch: &Fetch<'_>, rows: &[Row<T>]) {
        join_all(self.rows.iter_mut().map(|plan| plan.fetch(fetch, rows))).await;
    }

    /// Renders the page at `pos`; a page some sources did not answer has their errors, and no
    /// count. Fails when a row fails: the rows of a page are non-null.
    fn render<'p>(
        &'p self,
        page: &Page<<T::Table as Kind>::Model>,
        count: u64,
        pos: Pos,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        for error in missing_from_list(&page.missing) {
            out.error_here(error.into_server_error(Some(pos)));
        }
        let whole_list = page.missing.is_empty();
        let mut members = out.begin_object();
        let mut whole = true;
        for (key, field) in &self.fields {
            let mark = out.key(&members, key);
            let value = match field {
                ConnectionField::Typename => {
                    out.string(T::CONNECTION);
                    Ok(())
                }
                ConnectionField::TotalCount if whole_list => {
                    out.raw(&count.to_string());
                    Ok(())
                }
                ConnectionField::TotalCount => {
                    out.raw("null");
                    Ok(())
                }
                ConnectionField::PageInfo(fields) => render_page_info(page, fields, out),
                ConnectionField::Nodes(plan) => out.under(Segment::Key(key.as_str()), |out| {
                    out.list(&page.rows, false, |out, row| {
                        self.render_row(*plan, row, out)
                    })
                }),
                ConnectionField::Edges(fields) => out.under(Segment::Key(key.as_str()), |out| {
                    out.list(&page.rows, false, |out, row| {
                        self.render_edge(fields, page, row, out)
                    })
                }),
            };
            // Every field of a connection is non-null but `totalCount`, which never fails.
            whole &= out.member(&mut members, mark, key, false, value);
        }
        out.end_object(members, whole)
    }

    /// An edge of the page: its cursor and its row.
    fn render_edge<'p>(
        &'p self,
        fields: &'p [(Name, EdgeField)],
        page: &Page<<T::Table as Kind>::Model>,
        row: &Row<T>,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        let mut edge = out.begin_object();
        let mut whole = true;
        for (key, field) in fields {
            let mark = out.key(&edge, key);
            let value = match field {
                EdgeField::Typename => {
                    out.string(T::EDGE);
                    Ok(())
                }
                EdgeField::Cursor => {
                    out.string(&page.cursor(row));
                    Ok(())
                }
                EdgeField::Node(plan) => out.under(Segment::Key(key.as_str()), |out| {
                    self.render_row(*plan, row, out)
                }),
            };
            whole &= out.member(&mut edge, mark, key, false, value);
        }
        out.end_object(edge, whole)
    }

    /// A row of the page under the selection with this index.
    fn render_row<'p>(
        &'p self,
        plan: usize,
        row: &Row<T>,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        match self.rows.get(plan) {
            Some(plan) => plan.render(row, out),
            None => Err(Failure::Error(internal(
                format!("{}: no plan for a row", T::CONNECTION),
                Pos::default(),
            ))),
        }
    }
}

fn edge_plan<'a, T: Record>(
    planner: &Planner<'a>,
    fields: &[&'a Positioned<Field>],
    rows: &mut Vec<RecordPlan<T>>,
) -> Vec<(Name, EdgeField)> {
    planner
        .collect(&selection_sets(fields), &|condition| condition == T::EDGE)
        .into_iter()
        .map(|(key, fields)| {
            let field = match field_name(&fields) {
                "cursor" => EdgeField::Cursor,
                "node" => {
                    rows.push(RecordPlan::new(planner, &selection_sets(&fields)));
                    EdgeField::Node(rows.len() - 1)
                }
                _ => EdgeField::Typename,
            };
            (key.clone(), field)
        })
        .collect()
}

fn page_info_plan<'a>(
    planner: &Planner<'a>,
    fields: &[&'a Positioned<Field>],
) -> Vec<(Name, PageInfoField)> {
    planner
        .collect(&selection_sets(fields), &|condition| {
            condition == "PageInfo"
        })
        .into_iter()
        .map(|(key, fields)| {
            let field = match field_name(&fields) {
                "hasNextPage" => PageInfoField::HasNextPage,
                "hasPreviousPage" => PageInfoField::HasPreviousPage,
                "startCursor" => PageInfoField::StartCursor,
                "endCursor" => PageInfoField::EndCursor,
                _ => PageInfoField::Typename,
            };
            (key.clone(), field)
        })
        .collect()
}

fn render_page_info<M>(
    page: &Page<M>,
    fields: &[(Name, PageInfoField)],
    out: &mut Out<'_>,
) -> Result<(), Failure> {
    let boolean = |value: bool| if value { "true" } else { "false" };
    let mut members = out.begin_object();
    for (key, field) in fields {
        let mark = out.key(&members, key);
        match field {
            PageInfoField::Typename => out.string("PageInfo"),
            PageInfoField::HasNextPage => out.raw(boolean(page.has_next_page)),
            PageInfoField::HasPreviousPage => out.raw(boolean(page.has_previous_page)),
            PageInfoField::StartCursor => match page.start_cursor() {
                Some(cursor) => out.string(&cursor),
                None => out.raw("null"),
            },
            PageInfoField::EndCursor => match page.end_cursor() {
                Some(cursor) => out.string(&cursor),
                None => out.raw("null"),
            },
        }
        out.member(&mut members, mark, key, false, Ok(()));
    }
    out.end_object(members, true)
}

/// Records of `T` by ID, with the selection on each.
pub(crate) struct ById<T: Record> {
    plan: RecordPlan<T>,
    rows: HashMap<Uuid, Row<T>>,
    /// The IDs no source that answered holds, with a source that did not answer.
    unavailable: HashMap<Uuid, Unanswered>,
}

impl<T: Record> ById<T> {
    fn new<'a>(planner: &Planner<'a>, sets: &[&'a SelectionSet]) -> Self {
        ById {
            plan: RecordPlan::new(planner, sets),
            rows: HashMap::default(),
            unavailable: HashMap::default(),
        }
    }

    /// Reads these records (those not read yet), then what their selection follows.
    async fn fetch(&mut self, fetch: &Fetch<'_>, ids: &[Uuid]) -> Result<(), StoreError> {
        fetch.read::<T>(ids).await?;
        (self.rows, self.unavailable) = fetch.rows::<T>(ids);
        let rows: Vec<Row<T>> = self.rows.values().cloned().collect();
        self.plan.fetch(fetch, &rows).await;
        Ok(())
    }

    /// Writes the record with this ID; `None`, writing nothing, when there is none (see
    /// [`ById::unavailable`] for whether it may sit in a source that did not answer).
    fn render<'p>(&'p self, id: &Uuid, out: &mut Out<'p>) -> Option<Result<(), Failure>> {
        self.rows.get(id).map(|row| self.plan.render(row, out))
    }

    /// The source the record with this ID may sit in, where that did not answer.
    fn unavailable(&self, id: &Uuid) -> Option<&Unanswered> {
        self.unavailable.get(id)
    }
}

/// A to-one reference from `R` to `T`.
struct ToOne<R: Record, T: Record> {
    key: fn(&<R::Table as Kind>::Model) -> Option<Uuid>,
    /// The column of `R` holding the key, to join on.
    column: &'static str,
    /// Whether the field is non-null: a missing target is then a dangling reference.
    required: bool,
    pos: Pos,
    target: ById<T>,
    failed: Option<ServerError>,
}

impl<R: Record, T: Record> ToOne<R, T> {
    fn ids(&self, parents: &[Row<R>]) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = parents.iter().filter_map(|p| (self.key)(p)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

impl<R: Record, T: Record> Nested<R> for ToOne<R, T> {
    fn join(&self, fetch: &Fetch<'_>) -> Option<Join> {
        Some(Join::to::<T::Table>(
            self.column,
            fetch.columns::<T::Table>(),
            self.target.plan.joins(fetch),
        ))
    }

    fn joined(&self, join: &Join, below: Vec<Join>, fetch: &Fetch<'_>, parents: &[Row<R>]) {
        let found = fetch.keep::<T>(&join.found);
        if join.found_all() {
            // What the join did not find is hidden from the caller (or dangling): reading it
            // by ID would cost a statement and find nothing.
            let ids = self.ids(parents);
            fetch.absent::<T>(ids.into_iter().filter(|id| !join.found.contains_key(id)));
        }
        self.target.plan.joined(below, fetch, &found);
    }

    fn references(&self, parents: &[Row<R>]) -> Option<(TypeId, Vec<Uuid>)> {
        Some((TypeId::of::<Known<T>>(), self.ids(parents)))
    }

    fn read<'s>(&'s self, fetch: &'s Fetch<'s>, ids: Vec<Uuid>) -> BoxFuture<'s, ()> {
        // A failure here is met again, and kept, by each reference's own fetch.
        Box::pin(async move {
            let _ = fetch.read::<T>(&ids).await;
        })
    }

    fn fetch<'s>(&'s mut self, fetch: &'s Fetch<'s>, parents: &'s [Row<R>]) -> BoxFuture<'s, ()> {
        Box::pin(async move {
            let ids = self.ids(parents);
            if let Err(error) = self.target.fetch(fetch, &ids).await {
                self.failed = Some(failure(error, self.pos));
            }
        })
    }

    fn render<'p>(&'p self, parent: &Row<R>, out: &mut Out<'p>) -> Result<(), Failure> {
        let Some(id) = (self.key)(parent) else {
            out.raw("null");
            return Ok(());
        };
        if let Some(error) = &self.failed {
            return Err(Failure::Error(error.clone()));
        }
        match self.target.render(&id, out) {
            Some(rendered) => rendered,
            None => match self.target.unavailable(&id) {
                Some(source) => Err(Failure::Error(failure(
                    StoreError::SourceUnavailable(source.clone()),
                    self.pos,
                ))),
                None if self.required => Err(Failure::Error(internal(
                    format!("dangling reference from {} to {} {id}", R::NAME, T::NAME),
                    self.pos,
                ))),
                None => {
                    out.raw("null");
                    Ok(())
                }
            },
        }
    }
}

/// A connection field of `R` listing relation `Rel`'s rows, of type `T`.
struct Children<R: Record, Rel: Relation, T: Record<Table = Rel::Child>> {
    pos: Pos,
    failed: Option<ServerError>,
    query: QueryOf<T::Table>,
    plan: ConnectionPlan<T>,
    pages: HashMap<Uuid, Page<<T::Table as Kind>::Model>>,
    counts: HashMap<Uuid, u64>,
    relation: PhantomData<fn() -> (R, Rel)>,
}

impl<R, Rel, T> Nested<R> for Children<R, Rel, T>
where
    R: Record,
    Rel: Relation,
    T: Record<Table = Rel::Child>,
{
    /// Nothing of its own to read: its pages and counts are a branch of its level's
    /// statement ([`Nested::branch`]).
    fn fetch<'s>(&'s mut self, _fetch: &'s Fetch<'s>, _parents: &'s [Row<R>]) -> BoxFuture<'s, ()> {
        Box::pin(async {})
    }

    fn branch(&mut self, fetch: &Fetch<'_>) -> Option<Box<dyn store::Branch>> {
        let (paged, counted) = (self.plan.needs_page(), self.plan.needs_count());
        if self.failed.is_some() || !(paged || counted) {
            return None;
        }
        // The rows' references are read in the pages' own statement where possible.
        let branch = store::RelationBranch::<Rel>::new(
            self.query.clone(),
            self.plan.joins(fetch),
            paged,
            counted,
            fetch.columns::<T::Table>(),
        );
        match branch {
            Ok(branch) => Some(Box::new(branch)),
            Err(error) => {
                self.failed = Some(failure(error, self.pos));
                None
            }
        }
    }

    fn branched<'s>(
        &'s mut self,
        fetch: &'s Fetch<'s>,
        read: Result<Box<dyn store::Branch>, Arc<StoreError>>,
    ) -> BoxFuture<'s, ()> {
        Box::pin(async move {
            let branch = match read {
                Ok(branch) => branch.into_any().downcast::<store::RelationBranch<Rel>>(),
                Err(error) => {
                    self.failed = Some(ApiError::from(error).into_server_error(Some(self.pos)));
                    return;
                }
            };
            let Ok(mut branch) = branch else {
                self.failed = Some(internal(
                    format!("{}: a branch of another relation came back", T::CONNECTION),
                    self.pos,
                ));
                return;
            };
            let joins = std::mem::take(&mut branch.joins);
            let store::ChildPages { pages, counts } = branch.take_pages();
            let rows: Vec<Row<T>> = pages
                .values()
                .flat_map(|page| page.rows.iter().cloned())
                .collect();
            self.plan.joined(joins, fetch, &rows);
            self.pages = pages;
            self.counts = counts;
            self.plan.fetch(fetch, &rows).await;
        })
    }

    fn render<'p>(&'p self, parent: &Row<R>, out: &mut Out<'p>) -> Result<(), Failure> {
        if let Some(error) = &self.failed {
            return Err(Failure::Error(error.clone()));
        }
        let id = R::Table::id(parent);
        let count = self.counts.get(&id).copied().unwrap_or(0);
        match self.pages.get(&id) {
            Some(page) => self.plan.render(page, count, self.pos, out),
            None => self.plan.render(&Page::default(), count, self.pos, out),
        }
    }
}

/// A root field's answer: rendered by the plan, or resolved field by field.
pub(crate) enum Answer<T> {
    Resolved(T),
    Planned(Mutex<Value>),
    /// Refused before anything was read (an argument, a conflict of fields).
    Refused(ServerError),
}

impl<T> Answer<T> {
    fn planned(value: Value) -> Self {
        Answer::Planned(Mutex::new(value))
    }
}

impl<T: OutputType> OutputType for Answer<T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match self {
            Answer::Resolved(value) => value.resolve(ctx, field).await,
            Answer::Refused(error) => Err(error.clone()),
            // Each answer is rendered once and taken once: no copy of the tree.
            Answer::Planned(value) => Ok(match value.lock() {
                Ok(mut value) => std::mem::take(&mut *value),
                Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
            }),
        }
    }
}

/// Runs the planned path for a root field: plans with `plan`, then renders with `render`,
/// adding the errors met to the response.
async fn answer<'a, P, Fetcher, Render, C>(
    ctx: &'a Context<'a>,
    plan: impl FnOnce(
        &Planner<'a>,
        &'a Positioned<Field>,
        &[&'a SelectionSet],
    ) -> Result<P, ServerError>,
    fetch: Fetcher,
    render: Render,
) -> Result<Answer<C>, ApiError>
where
    Fetcher: for<'s> FnOnce(&'s mut P, &'s Fetch<'s>) -> BoxFuture<'s, Result<(), StoreError>>,
    Render: for<'p> FnOnce(&'p P, &mut Out<'p>) -> Result<(), Failure>,
{
    let planner = Planner::of(ctx)?;
    // async-graphql resolves each root field selected under one key on its own and merges the
    // answers as they come: each answers the merged selection, and only the first reports its
    // errors, so that the merge is the same whichever finishes first.
    let group = planner.root_group(ctx.item);
    let first = group.first().copied().unwrap_or(ctx.item);
    let planned = plan(&planner, first, &selection_sets(&group));
    // A conflict anywhere in the selection refuses the whole root field.
    let planned = match planner.conflict.take() {
        Some(conflict) => Err(conflict),
        None => planned,
    };
    let mut planned = match planned {
        Ok(planned) => planned,
        // Reported once, by the first of the root fields under this key.
        Err(error) if std::ptr::eq(first, ctx.item) => {
            return Ok(Answer::Refused(ctx.set_error_path(error)))
        }
        Err(_) => return Ok(Answer::planned(Value::Null)),
    };
    fetch(
        &mut planned,
        &Fetch::new(planner.reads, planner.columns.take()),
    )
    .await?;
    let mut out = Out::new(ctx);
    let rendered = render(&planned, &mut out);
    if let Err(Failure::Error(error)) = &rendered {
        out.error_here(error.clone());
    }
    if std::ptr::eq(first, ctx.item) {
        for error in out.errors {
            ctx.add_error(error);
        }
    }
    Ok(match rendered {
        // The answer is JSON already: carried as bytes, which no field of the schema answers,
        // and written into the response as they are (`http::graphql`).
        Ok(()) => Answer::planned(Value::Binary(out.json.into())),
        // Null, which makes the response's data null in turn where the field is non-null.
        Err(_) => Answer::planned(Value::Null),
    })
}

/// A top-level list of `T`, filtered with `F` and ordered with `O`.
pub(crate) async fn list<T, F, O, C>(ctx: &Context<'_>) -> Result<Answer<C>, ApiError>
where
    T: Record,
    F: FilterInput<Store = <T::Table as Listable>::Filter> + InputType,
    O: OrderInput<Field = <T::Table as Listable>::Field> + InputType,
{
    struct TopList<T: Record> {
        pos: Pos,
        query: QueryOf<T::Table>,
        plan: ConnectionPlan<T>,
        page: Page<<T::Table as Kind>::Model>,
        count: u64,
    }
    answer(
        ctx,
        |planner, field, sets| {
            Ok(TopList::<T> {
                pos: field.pos,
                query: planner
                    .list_query::<T::Table, F, O>(field, store::ListName::root::<T::Table>())?,
                plan: ConnectionPlan::new(planner, sets),
                page: Page::default(),
                count: 0,
            })
        },
        |list, fetch| {
            Box::pin(async move {
                // The rows' references are read in the page's own statement where possible.
                let mut joins = list.plan.joins(fetch);
                let counted = list.plan.needs_count();
                let (page, count) = if list.plan.needs_page() {
                    fetch
                        .reads
                        .page_joined::<T::Table>(
                            &list.query,
                            &mut joins,
                            counted,
                            fetch.columns::<T::Table>(),
                        )
                        .await?
                } else if counted {
                    let (count, missing) = fetch
                        .reads
                        .count_partly::<T::Table>(&list.query.filter)
                        .await?;
                    let mut page = Page::default();
                    page.missing = missing;
                    (page, count)
                } else {
                    (Page::default(), 0)
                };
                let rows: Vec<Row<T>> = page.rows.clone();
                list.plan.joined(joins, fetch, &rows);
                list.page = page;
                list.count = count;
                list.plan.fetch(fetch, &rows).await;
                Ok(())
            })
        },
        |list, out| list.plan.render(&list.page, list.count, list.pos, out),
    )
    .await
}

/// Every institution the caller may see, by code.
pub(crate) async fn institutions<C>(ctx: &Context<'_>) -> Result<Answer<C>, ApiError> {
    struct All {
        plan: RecordPlan<super::Institution>,
        rows: Vec<Row<super::Institution>>,
    }
    let max = limits(ctx)?.max_page_size;
    answer(
        ctx,
        |planner, _, sets| {
            Ok(All {
                plan: RecordPlan::new(planner, sets),
                rows: Vec::new(),
            })
        },
        move |all, fetch| {
            Box::pin(async move {
                let query = store::ListQuery {
                    filter: store::InstitutionFilter,
                    order: Vec::new(),
                    page: store::PageRequest::first(max),
                };
                let page = fetch.reads.page::<store::Institutions>(&query).await?;
                all.rows = page.rows;
                all.plan.fetch(fetch, &all.rows).await;
                Ok(())
            })
        },
        |all, out| out.list(&all.rows, false, |out, row| all.plan.render(row, out)),
    )
    .await
}

/// One record of `T` by ID; null when there is none.
pub(crate) async fn by_id<T: Record, C>(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> Result<Answer<C>, ApiError> {
    answer(
        ctx,
        |planner, _, sets| Ok(ById::<T>::new(planner, sets)),
        move |by_id, fetch| {
            let ids: Vec<Uuid> = id.into_iter().collect();
            Box::pin(async move {
                by_id.fetch(fetch, &ids).await?;
                alone_unavailable(id.and_then(|id| by_id.unavailable(&id)))
            })
        },
        move |by_id, out| match id.and_then(|id| by_id.render(&id, out)) {
            Some(rendered) => rendered,
            None => {
                out.raw("null");
                Ok(())
            }
        },
    )
    .await
}

/// A record asked for alone (`node`, `institution`) that may sit in a source that did not
/// answer fails its field, as the field-by-field path's resolver does.
fn alone_unavailable(source: Option<&Unanswered>) -> Result<(), StoreError> {
    match source {
        Some(source) => Err(StoreError::SourceUnavailable(source.clone())),
        None => Ok(()),
    }
}

/// Records of any type by ID, one statement per type at most.
trait Lookup: Send + Sync {
    fn fetch<'s>(
        &'s mut self,
        fetch: &'s Fetch<'s>,
        ids: Vec<Uuid>,
    ) -> BoxFuture<'s, Result<(), StoreError>>;
    fn render<'p>(&'p self, id: &Uuid, out: &mut Out<'p>) -> Option<Result<(), Failure>>;
    fn unavailable(&self, id: &Uuid) -> Option<&Unanswered>;
}

impl<T: Record> Lookup for ById<T> {
    fn fetch<'s>(
        &'s mut self,
        fetch: &'s Fetch<'s>,
        ids: Vec<Uuid>,
    ) -> BoxFuture<'s, Result<(), StoreError>> {
        Box::pin(async move { ById::fetch(self, fetch, &ids).await })
    }

    fn render<'p>(&'p self, id: &Uuid, out: &mut Out<'p>) -> Option<Result<(), Failure>> {
        ById::render(self, id, out)
    }

    fn unavailable(&self, id: &Uuid) -> Option<&Unanswered> {
        ById::unavailable(self, id)
    }
}

macro_rules! lookup_by_kind {
    ($($kind:ident: $module:ident, $table:ident, $key:ident, $plural:ident, $owner:ident { $($column:ident),* };)*) => {
        /// The plan of a `node` or `nodes` selection for the records of `kind`.
        fn lookup<'a>(
            kind: NodeType,
            planner: &Planner<'a>,
            sets: &[&'a SelectionSet],
        ) -> Box<dyn Lookup> {
            match kind {
                $(NodeType::$kind => Box::new(ById::<super::$kind>::new(planner, sets)),)*
            }
        }
    };
}

crate::catalog::for_each_kind!(lookup_by_kind);

/// The records with these global IDs, in their order; null where none exists, and null with
/// an error where no source that answered holds it and one did not answer. Each type's
/// records are one statement per source, whatever the number of IDs.
pub(crate) async fn nodes<C>(
    ctx: &Context<'_>,
    ids: &[ID],
    single: bool,
) -> Result<Answer<C>, ApiError> {
    struct Lookups {
        pos: Pos,
        wanted: Vec<(NodeType, Uuid)>,
        by_type: Vec<(NodeType, Box<dyn Lookup>)>,
    }
    impl Lookups {
        fn lookup(&self, kind: NodeType) -> Option<&dyn Lookup> {
            self.by_type
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, lookup)| &**lookup)
        }

        /// Writes the record, or null where there is none; fails where it may sit in a source
        /// that did not answer.
        fn render<'p>(
            &'p self,
            (kind, id): &(NodeType, Uuid),
            out: &mut Out<'p>,
        ) -> Result<(), Failure> {
            let Some(lookup) = self.lookup(*kind) else {
                out.raw("null");
                return Ok(());
            };
            match (lookup.render(id, out), lookup.unavailable(id)) {
                (Some(rendered), _) => rendered,
                (None, Some(source)) => Err(Failure::Error(failure(
                    StoreError::SourceUnavailable(source.clone()),
                    self.pos,
                ))),
                (None, None) => {
                    out.raw("null");
                    Ok(())
                }
            }
        }
    }
    answer(
        ctx,
        |planner, field, sets| {
            let wanted = ids
                .iter()
                .map(parse_global_id)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| error.into_server_error(Some(field.pos)))?;
            let mut by_type: Vec<(NodeType, Box<dyn Lookup>)> = Vec::new();
            for (kind, _) in &wanted {
                if !by_type.iter().any(|(k, _)| k == kind) {
                    by_type.push((*kind, lookup(*kind, planner, sets)));
                }
            }
            Ok(Lookups {
                pos: field.pos,
                wanted,
                by_type,
            })
        },
        |lookups, fetch| {
            Box::pin(async move {
                let wanted = &lookups.wanted;
                try_join_all(lookups.by_type.iter_mut().map(|(kind, lookup)| {
                    let ids = wanted
                        .iter()
                        .filter(|(k, _)| k == kind)
                        .map(|(_, id)| *id)
                        .collect();
                    lookup.fetch(fetch, ids)
                }))
                .await?;
                let first = lookups.wanted.first();
                alone_unavailable(first.filter(|_| single).and_then(|(kind, id)| {
                    lookups
                        .lookup(*kind)
                        .and_then(|lookup| lookup.unavailable(id))
                }))
            })
        },
        move |lookups, out| match (single, lookups.wanted.first()) {
            (true, Some(wanted)) => lookups.render(wanted, out),
            (true, None) => {
                out.raw("null");
                Ok(())
            }
            (false, _) => out.list(&lookups.wanted, true, |out, wanted| {
                lookups.render(wanted, out)
            }),
        },
    )
    .await
}

/// Declares how the planned path answers each field of a record type: leaves through the
/// type's own resolvers, references and connections through the plan.
macro_rules! planned_record {
    ($record:ident: $table:ty {
        leaves { $($leaf:literal => $method:ident $([$($reads:ident),+])?),* $(,)? }
        to_one { $($one:literal => $target:ty, $column:ident, $required:literal;)* }
        children { $($many:literal => $relation:ty, $child:ty, $filter:ty, $order:ty;)* }
    }) => {
        impl $crate::graphql::plan::Record for $record {
            type Table = $table;
            const NAME: &'static str = stringify!($record);
            const CONNECTION: &'static str = concat!(stringify!($record), "Connection");
            const EDGE: &'static str = concat!(stringify!($record), "Edge");

            fn of(row: $crate::graphql::plan::Row<Self>) -> Self {
                $record(row)
            }

            fn row(&self) -> &$crate::graphql::plan::Row<Self> {
                &self.0
            }

            fn plan_field<'a>(
                planner: &$crate::graphql::plan::Planner<'a>,
                name: &str,
                fields: &[&'a async_graphql::Positioned<async_graphql::parser::types::Field>],
            ) -> Result<Option<$crate::graphql::plan::FieldPlan<Self>>, async_graphql::ServerError> {
                use futures::FutureExt as _;
                use $crate::graphql::plan::{FieldPlan, Leaf as _};
                Ok(Some(match name {
                    // Written straight from the key, as the type's `id` resolver gives it.
                    "id" => FieldPlan::Leaf(|record: &$record, out| {
                        out.global_id(
                            $crate::graphql::node::NodeType::$record,
                            <$table as $crate::store::Kind>::id(&record.0),
                        );
                        true
                    }),
                    // `#[Object]` gives each resolver a context parameter; these ignore it.
                    $($leaf => {
                        planner.needs::<$table>($crate::graphql::plan::leaf_columns!(
                            <$table as $crate::store::Kind>::Model, $method $([$($reads),+])?
                        ));
                        FieldPlan::Leaf(|record: &$record, out| {
                            let ctx = out.ctx();
                            match record.$method(ctx).now_or_never() {
                                Some(Ok(value)) => {
                                    value.write(out);
                                    true
                                }
                                _ => false,
                            }
                        })
                    })*
                    "provenance" => planner.provenance(fields, |record: &$record, ctx| {
                        record.provenance(ctx).now_or_never().and_then(Result::ok)
                    }),
                    $($one => planner.to_one::<$record, $target>(
                        fields,
                        |row: &<$table as $crate::store::Kind>::Model| {
                            $crate::graphql::plan::Key::key(row.$column)
                        },
                        stringify!($column),
                        $required,
                    ),)*
                    $($many => planner.children::<$record, $relation, $child, $filter, $order>(fields)?,)*
                    _ => return Ok(None),
                }))
            }
        }
    };
}

pub(crate) use planned_record;

/// A record type with connection fields: its planned fields ([`planned_record!`]), each
/// connection declared once — description, GraphQL name, method, relation, row type, filter
/// and order — for both the plan and the `#[Object]` resolvers, and the rest of its
/// `#[Object]` impl.
macro_rules! record_object {
    (
        $record:ident: $table:ty {
            leaves { $($leaves:tt)* }
            to_one { $($to_one:tt)* }
            connections {
                $(
                    $(#[doc = $doc:literal])*
                    $name:literal $method:ident => $relation:ty, $child:ty;
                )*
            }
        }
        $(#[doc = $type_doc:literal])*
        impl { $($rest:tt)* }
    ) => {
        $crate::graphql::plan::planned_record!($record: $table {
            leaves { $($leaves)* }
            to_one { $($to_one)* }
            children { $(
                $name => $relation,
                $child,
                <$child as $crate::graphql::filter::Listed>::Filter,
                <$child as $crate::graphql::filter::Listed>::Order;
            )* }
        });

        $crate::graphql::connection::object_with_connections! {
            $(#[doc = $type_doc])*
            impl $record {
                connections {
                    $(
                        $(#[doc = $doc])*
                        $name $method(
                            <$child as $crate::graphql::filter::Listed>::Filter,
                            <$child as $crate::graphql::filter::Listed>::Order
                        )
                            -> <$child as $crate::graphql::connection::Connected>::Connection
                            = $crate::graphql::connection::relation::<Self, $relation, $child, _, _>;
                    )*
                }
                $($rest)*
            }
        }
    };
}

pub(crate) use record_object;

/// The columns a leaf's resolver reads: those named in brackets, or else the column its
/// method is named after. Each must be a field of the row (checked when compiled), and the
/// plan reads no other: a column left out would be answered with a placeholder, which the
/// differential tests against the field-by-field path catch.
macro_rules! leaf_columns {
    ($model:ty, $method:ident) => {{
        let _reads = |row: &$model| {
            let _ = &row.$method;
        };
        &[stringify!($method)]
    }};
    ($model:ty, $method:ident [$($column:ident),+]) => {{
        let _reads = |row: &$model| {
            $(let _ = &row.$column;)+
        };
        &[$(stringify!($column)),+]
    }};
}

pub(crate) use leaf_columns;

#[cfg(test)]
mod tests {
    use super::Execution;
    use crate::config::Config;
    use crate::graphql::{build_schema, AtmpSchema};
    use crate::store::testing::{seeded, TestStore};
    use crate::store::{Batcher, Scope, StoreLoader, Units};
    use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

    /// How many statements `query` runs on the planned path under `scope`, and its errors.
    async fn statements(
        schema: &AtmpSchema,
        test_store: &TestStore,
        scope: Scope,
        query: &str,
    ) -> (usize, Vec<async_graphql::ServerError>) {
        let loader = Batcher::new(StoreLoader::scoped(test_store.store.clone(), scope).await);
        let clock = loader.clock();
        let before = test_store.statements();
        let request = async_graphql::Request::new(query).data(loader);
        let response = clock.drive(schema.execute(request)).await;
        (test_store.statements() - before, response.errors)
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
}
