//! The walk over a root field's selection: fields collected by response key (fragments and type
//! conditions applied, conflicts refused), arguments read with the request's variables, and the
//! columns each planned field reads noted per table.

use std::collections::HashSet;

use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{Context, InputType, Name, Pos, Positioned, QueryEnv, ServerError, Value};
use uuid::Uuid;

use super::super::access::{forbidden, may_read};
use super::super::connection::{limits, list_query, loader, Limits, PageArgs};
use super::super::filter::{FilterInput, OrderInput};
use super::super::{ApiError, Provenance};
use super::render::{ById, Children, ConnectionPlan, FieldPlan, ProvenanceField, ToOne};
use super::{internal, provenance_columns, Record};
use crate::store::read::{ReadId, ReadIds, ReferenceRead, RelationRead};
use crate::store::{self, Columns, HashMap, Kind, Listable, QueryOf, Relation, StoreLoader};

/// Turns selections into plans, reading arguments with the request's variables.
pub(crate) struct Planner<'a> {
    env: &'a QueryEnv,
    /// The schema's types, which say which fields may be null.
    registry: &'a Registry,
    pub(super) reads: &'a StoreLoader,
    limits: &'a Limits,
    /// The first pair of fields met under one response key that ask for different things.
    pub(super) conflict: std::cell::RefCell<Option<ServerError>>,
    /// The columns of each table that the planned fields read.
    pub(super) columns: std::cell::RefCell<HashMap<&'static str, Columns>>,
    /// The IDs of the plan's reads.
    read_ids: ReadIds,
}

/// The fields of a selection grouped by response key, in the order they are first selected.
type Grouped<'a> = Vec<(&'a Name, Vec<&'a Positioned<Field>>)>;

impl<'a> Planner<'a> {
    pub(super) fn of(ctx: &'a Context<'a>) -> Result<Self, ApiError> {
        Ok(Planner {
            env: ctx.query_env,
            registry: &ctx.schema_env.registry,
            reads: loader(ctx)?.loader(),
            limits: limits(ctx)?,
            conflict: std::cell::RefCell::new(None),
            columns: std::cell::RefCell::new(HashMap::default()),
            read_ids: ReadIds::default(),
        })
    }

    /// The fields the selection sets select on an object for which `applies` holds of a
    /// fragment's type condition (the GraphQL spec's CollectFields over merged selection sets).
    pub(super) fn collect(
        &self,
        sets: &[&'a SelectionSet],
        applies: &dyn Fn(&str) -> bool,
    ) -> Grouped<'a> {
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
    pub(super) fn root_group(&self, field: &'a Positioned<Field>) -> Vec<&'a Positioned<Field>> {
        let key = &field.node.response_key().node;
        self.collect(
            &[&self.env.operation.node.selection_set.node],
            &|condition| condition == "Query",
        )
        .into_iter()
        .find(|(k, _)| *k == key)
        .map_or_else(|| vec![field], |(_, fields)| fields)
    }

    /// Whether a fragment on type `condition` applies on an object of type `name`: the type
    /// itself, an interface it implements or a union it is in.
    pub(super) fn is_within(&self, name: &str, condition: &str) -> bool {
        condition == name
            || self
                .registry
                .types
                .get(condition)
                .is_some_and(|ty| ty.is_possible_type(name))
    }

    /// Whether field `field` of type `parent` may be null (a field the schema lacks may).
    pub(super) fn nullable(&self, parent: &str, field: &str) -> bool {
        self.registry
            .types
            .get(parent)
            .and_then(|ty| ty.field_by_name(field))
            .is_none_or(|field| !field.ty.ends_with('!'))
    }

    /// Why field `field` of `parent` is not planned, if it is not: a field the schema lacks is
    /// never rendered (validation refuses it first: this only keeps a field hidden from a role
    /// out of its answers whatever reaches the planner), and one the caller's role may not
    /// read (a field of the subgraph's schema) is `FORBIDDEN`.
    pub(super) fn refused(&self, parent: &str, field: &str, pos: Pos) -> Option<ServerError> {
        let known = self
            .registry
            .types
            .get(parent)
            .and_then(|ty| ty.field_by_name(field))
            .is_some();
        if !known {
            return Some(internal(format!("{parent} has no field `{field}`"), pos));
        }
        let role = self.reads.caller().role();
        (!may_read(role, parent, field))
            .then(|| forbidden(parent, field).into_server_error(Some(pos)))
    }

    /// The ID of a new read of the plan.
    pub(super) fn read_id(&self) -> ReadId {
        self.read_ids.next()
    }

    /// Notes that a planned field reads these columns of `L`.
    pub(crate) fn needs<L: Listable>(&self, columns: Columns) {
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
    pub(super) fn argument<T: InputType>(
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
    pub(super) fn list_query<L, F, O>(
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

    /// The plan of a to-one reference from `R` to `T` through `column` (of which `key` reads
    /// the value, and `columns` is the one column).
    pub(crate) fn to_one<R: Record, T: Record>(
        &self,
        fields: &[&'a Positioned<Field>],
        key: fn(&<R::Table as Kind>::Model) -> Option<Uuid>,
        (column, columns): (&'static str, Columns),
        required: bool,
    ) -> FieldPlan<R> {
        self.needs::<R::Table>(columns);
        let (target, read) = ById::<T>::new(self, &selection_sets(fields));
        let pos = fields.first().map(|f| f.pos).unwrap_or_default();
        let reference = ToOne::<R, T>::new(key, (column, columns), required, pos, target);
        FieldPlan::Nested {
            render: Box::new(reference),
            read: Box::new(ReferenceRead::<R::Table, T::Table>::new(key, column, read)),
        }
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
        let query = self.list_query::<T::Table, F, O>(field, store::ListName::relation::<Rel>())?;
        let read = self.read_id();
        let (plan, rows) = ConnectionPlan::<T>::new(self, &selection_sets(fields));
        let (paged, counted) = (plan.needs_page(), plan.needs_count());
        Ok(FieldPlan::Nested {
            render: Box::new(Children::<R, Rel, T>::new(field.pos, read, plan)),
            read: Box::new(RelationRead::<R::Table, Rel>::new(
                read, query, paged, counted, rows,
            )),
        })
    }

    /// The plan of a record's `provenance`.
    pub(crate) fn provenance<R: Record>(
        &self,
        fields: &[&'a Positioned<Field>],
        of: fn(&R) -> Option<Provenance>,
    ) -> FieldPlan<R> {
        self.needs::<R::Table>(provenance_columns::<<R::Table as Kind>::Model>());
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

pub(super) fn selection_sets<'a>(fields: &[&'a Positioned<Field>]) -> Vec<&'a SelectionSet> {
    fields
        .iter()
        .map(|field| &field.node.selection_set.node)
        .collect()
}
