//! Response members in the order of the selection set, as the specification's CollectFields
//! gives it: each response key at its first occurrence, fragments expanded in place where
//! their type condition holds and `@skip` / `@include` allow.
//!
//! async-graphql resolves an object's fields concurrently and inserts each answer when it
//! completes, so a field that waits on the database can land after one that does not. The
//! answer is put back in order afterwards, in one pass over it. Where a field's type is
//! abstract (`Node`), the object's own type decides which fragments apply, so such selection
//! sets also ask for `__typename`, which is dropped again unless the client asked for it.

use std::collections::{HashMap, HashSet};

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, Directive, DocumentOperations, ExecutableDocument, Field, OperationDefinition,
    OperationType, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, PathSegment, Positioned, ServerError, Value, Variables};

use super::aggregate::FIELD_BY_FIELD_ROOTS;
use super::respond::{Executed, PlannedAnswers};

const TYPENAME: &str = "__typename";

/// What the ordering needs of the schema: each field's type, and which types are abstract.
#[derive(Debug, Default)]
pub struct TypeMap {
    /// The type of each field, by object or interface type.
    fields: HashMap<String, HashMap<String, FieldType>>,
    /// The object types of each interface and union.
    possible: HashMap<String, HashSet<String>>,
    /// The root query type.
    query: String,
}

impl TypeMap {
    /// Reads the types from the schema's SDL (which the schema itself printed, so it parses).
    pub fn from_sdl(sdl: &str) -> TypeMap {
        let mut types = TypeMap {
            query: "Query".to_owned(),
            ..TypeMap::default()
        };
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            tracing::error!("the schema's own SDL does not parse: responses keep resolver order");
            return types;
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let name = definition.node.name.node.to_string();
            let (fields, implements) = match definition.node.kind {
                TypeKind::Object(object) => (object.fields, object.implements),
                TypeKind::Interface(interface) => {
                    types.possible.entry(name.clone()).or_default();
                    (interface.fields, interface.implements)
                }
                TypeKind::Union(union) => {
                    types.possible.entry(name.clone()).or_default().extend(
                        union
                            .members
                            .into_iter()
                            .map(|member| member.node.to_string()),
                    );
                    continue;
                }
                _ => continue,
            };
            for interface in implements {
                types
                    .possible
                    .entry(interface.node.to_string())
                    .or_default()
                    .insert(name.clone());
            }
            types.fields.insert(
                name,
                fields
                    .into_iter()
                    .map(|field| {
                        let mut ty = &field.node.ty.node;
                        let mut nullable = vec![ty.nullable];
                        while let BaseType::List(inner) = &ty.base {
                            ty = inner;
                            nullable.push(ty.nullable);
                        }
                        let named = match &ty.base {
                            BaseType::Named(named) => named.to_string(),
                            BaseType::List(_) => String::new(),
                        };
                        (
                            field.node.name.node.to_string(),
                            FieldType { named, nullable },
                        )
                    })
                    .collect(),
            );
        }
        types
    }

    fn field_type(&self, parent: &str, field: &str) -> Option<&str> {
        self.field(parent, field).map(|field| field.named.as_str())
    }

    fn field(&self, parent: &str, field: &str) -> Option<&FieldType> {
        self.fields.get(parent)?.get(field)
    }

    fn is_abstract(&self, name: &str) -> bool {
        self.possible.contains_key(name)
    }

    /// Whether an object of type `concrete` matches the type condition `condition`.
    fn satisfies(&self, concrete: &str, condition: &str) -> bool {
        concrete == condition
            || self
                .possible
                .get(condition)
                .is_some_and(|members| members.contains(concrete))
    }
}

/// A field's type: the named type, and whether each level may be null, outermost first
/// (`[Unit!]!` is `Unit` with `[false, false]`).
#[derive(Debug)]
struct FieldType {
    named: String,
    nullable: Vec<bool>,
}

/// Adds `__typename` to the selection set of every field of abstract type that lacks it, so
/// that [`order_response`] knows which fragments apply to each object.
pub fn ask_for_typenames(types: &TypeMap, document: &mut ExecutableDocument) {
    let operations: Vec<&mut Positioned<OperationDefinition>> = match &mut document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values_mut().collect(),
    };
    for operation in operations {
        if operation.node.ty == OperationType::Query {
            add_typenames(types, &mut operation.node.selection_set.node, &types.query);
        }
    }
    for fragment in document.fragments.values_mut() {
        let condition = fragment.node.type_condition.node.on.node.to_string();
        add_typenames(types, &mut fragment.node.selection_set.node, &condition);
    }
}

/// Adds `__typename` as [`ask_for_typenames`] does, but only below the root fields named in
/// `roots` (wherever the root's selection set or a fragment on the root type selects them).
pub fn ask_for_typenames_below(types: &TypeMap, document: &mut ExecutableDocument, roots: &[&str]) {
    let operations: Vec<&mut Positioned<OperationDefinition>> = match &mut document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values_mut().collect(),
    };
    for operation in operations {
        if operation.node.ty == OperationType::Query {
            add_typenames_below(types, &mut operation.node.selection_set.node, roots);
        }
    }
    for fragment in document.fragments.values_mut() {
        if fragment.node.type_condition.node.on.node == types.query {
            add_typenames_below(types, &mut fragment.node.selection_set.node, roots);
        }
    }
}

fn add_typenames_below(types: &TypeMap, set: &mut SelectionSet, roots: &[&str]) {
    for selection in &mut set.items {
        match &mut selection.node {
            Selection::Field(field) if roots.contains(&field.node.name.node.as_str()) => {
                if let Some(child) = types.field_type(&types.query, &field.node.name.node) {
                    let child = child.to_owned();
                    add_typenames(types, &mut field.node.selection_set.node, &child);
                }
            }
            Selection::InlineFragment(inline) => {
                add_typenames_below(types, &mut inline.node.selection_set.node, roots);
            }
            Selection::Field(_) | Selection::FragmentSpread(_) => {}
        }
    }
}

fn add_typenames(types: &TypeMap, set: &mut SelectionSet, parent: &str) {
    for selection in &mut set.items {
        match &mut selection.node {
            Selection::Field(field) => {
                let Some(child) = types.field_type(parent, &field.node.name.node) else {
                    continue;
                };
                let child = child.to_owned();
                let inner = &mut field.node.selection_set.node;
                // An empty selection of an abstract field is invalid: left so, validation says it.
                if types.is_abstract(&child)
                    && !inner.items.is_empty()
                    && !has_plain_typename(inner)
                {
                    inner.items.insert(
                        0,
                        Positioned::new(
                            Selection::Field(Positioned::new(
                                Field {
                                    alias: None,
                                    name: Positioned::new(Name::new(TYPENAME), Default::default()),
                                    arguments: Vec::new(),
                                    directives: Vec::new(),
                                    selection_set: Default::default(),
                                },
                                Default::default(),
                            )),
                            Default::default(),
                        ),
                    );
                }
                add_typenames(types, inner, &child);
            }
            Selection::InlineFragment(inline) => {
                let condition = inline
                    .node
                    .type_condition
                    .as_ref()
                    .map_or_else(|| parent.to_owned(), |c| c.node.on.node.to_string());
                add_typenames(types, &mut inline.node.selection_set.node, &condition);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

fn has_plain_typename(set: &SelectionSet) -> bool {
    set.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => {
            field.node.name.node == TYPENAME
                && field.node.alias.is_none()
                && field.node.directives.is_empty()
        }
        _ => false,
    })
}

/// Puts every object of `data` in the order of the selection set that asked for it, and
/// completes it as the specification's "Handling Field Errors" says: a field that failed is
/// `null` where its type allows, and makes its nearest nullable parent `null` where it does not.
///
/// async-graphql leaves a failed field out of its object (and answers an object whose every
/// field failed as `null`); its error is in `errors` already, with the field's path.
/// `document` is the client's document as sent (before [`ask_for_typenames`]); `variables`
/// decide `@skip` and `@include`, with the operation's defaults for those not given.
pub fn order_response(
    types: &TypeMap,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    executed: &mut Executed,
    depth: Ordering,
) {
    let Executed { response, planned } = executed;
    let Some(operation) = operation(document, operation_name) else {
        return;
    };
    if operation.node.ty != OperationType::Query {
        return;
    }
    // Errors with no path come from before execution: then there is no data to complete.
    // Null data with no error at all is an execution that selected nothing (all skipped).
    let executed = response.data != Value::Null
        || response.errors.is_empty()
        || response.errors.iter().any(|e| !e.path.is_empty());
    if !executed {
        return;
    }
    let orderer = Orderer {
        types,
        document,
        variables,
        depth,
        errors: &response.errors,
        planned,
    };
    // The root object is null only when a non-null root field failed.
    orderer.value(
        &mut response.data,
        &[&operation.node.selection_set.node],
        &types.query,
        &[false],
        &mut HashMap::new(),
        &mut Vec::new(),
    );
}

/// The operation a request runs.
fn operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    document
        .operations
        .iter()
        .find(|(name, _)| match operation_name {
            Some(wanted) => name.is_some_and(|name| name.as_str() == wanted),
            None => true,
        })
        .map(|(_, operation)| operation)
}

/// The request's variables with the operation's defaults added where a value is missing, as
/// the specification coerces them: async-graphql applies `@skip`/`@include` with the sent
/// values only.
pub fn with_defaults(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Variables {
    let mut variables = variables.clone();
    if let Some(operation) = operation(document, operation_name) {
        for definition in &operation.node.variable_definitions {
            let name = &definition.node.name.node;
            if !variables.contains_key(name) {
                if let Some(default) = &definition.node.default_value {
                    variables.insert(name.clone(), default.node.clone());
                }
            }
        }
    }
    variables
}

/// The fields collected for one object type: response key → (field name, its selection sets).
type Collected<'a> = IndexMap<&'a Name, (&'a Name, Vec<&'a SelectionSet>)>;

#[derive(Clone, Copy)]
struct Orderer<'a> {
    types: &'a TypeMap,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    depth: Ordering,
    /// The errors met, whose paths tell a failed object from a null one.
    errors: &'a [ServerError],
    /// The root fields answered by their plans, which are null in the data.
    planned: &'a PlannedAnswers,
}

/// How much of an answer to put in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// Every object: async-graphql resolved every field.
    Whole,
    /// The root's members, and the whole of the root fields resolved field by field on either
    /// path: the planned path renders each other root field's answer in order, but
    /// async-graphql still resolves the root fields concurrently.
    Root,
}

impl<'a> Orderer<'a> {
    /// Orders and completes `value`, an answer for `sets` of declared type `declared` at `path`,
    /// where `nullable` says which levels of its type may be null, outermost first. Objects of
    /// one list share `collected`, so a hundred rows of one type are collected once. False when
    /// the value is null where its type is not: its parent is then null in turn.
    fn value(
        &self,
        value: &mut Value,
        sets: &[&'a SelectionSet],
        declared: &str,
        nullable: &[bool],
        collected: &mut HashMap<String, Collected<'a>>,
        path: &mut Vec<PathSegment>,
    ) -> bool {
        let (here, below) = nullable.split_first().unwrap_or((&true, &[]));
        if below.is_empty() && *value == Value::Null && !sets.is_empty() {
            self.revive(value, sets, declared, *here, path);
        }
        let whole = match value {
            Value::List(items) => {
                let mut whole = true;
                let tracked = !self.errors.is_empty();
                for (index, item) in items.iter_mut().enumerate() {
                    if tracked {
                        path.push(PathSegment::Index(index));
                    }
                    whole &= self.value(item, sets, declared, below, collected, path);
                    if tracked {
                        path.pop();
                    }
                }
                whole
            }
            Value::Object(members) if !sets.is_empty() => {
                self.object(members, sets, declared, collected, path)
            }
            _ => true,
        };
        if !whole {
            *value = Value::Null;
        }
        *here || *value != Value::Null
    }

    /// Makes an object of `null` that async-graphql answered for an object none of whose fields
    /// could be answered: `{}` when no field was selected (all skipped) where the type is
    /// non-null, and an object to complete when fields under it failed. Where the type may be
    /// null and nothing failed below, a null is the resolver's own answer, and stays.
    fn revive(
        &self,
        value: &mut Value,
        sets: &[&'a SelectionSet],
        declared: &str,
        nullable: bool,
        path: &[PathSegment],
    ) {
        if self.types.is_abstract(declared) || !self.types.fields.contains_key(declared) {
            return;
        }
        // The field itself failed: null is its answer.
        if self.errors.iter().any(|error| error.path == path) {
            return;
        }
        let failed_below = self
            .errors
            .iter()
            .any(|error| error.path.len() > path.len() && error.path.starts_with(path));
        let nothing_selected = self.collect(sets, declared).is_empty();
        if failed_below || (nothing_selected && !nullable) {
            *value = Value::Object(IndexMap::new());
        }
    }

    /// Orders and completes the members of an object; false when a non-null field is null.
    fn object(
        &self,
        members: &mut IndexMap<Name, Value>,
        sets: &[&'a SelectionSet],
        declared: &str,
        collected: &mut HashMap<String, Collected<'a>>,
        path: &mut Vec<PathSegment>,
    ) -> bool {
        let concrete = if self.types.is_abstract(declared) {
            match members.get(TYPENAME) {
                Some(Value::String(name)) => name.clone(),
                _ => return true,
            }
        } else {
            declared.to_owned()
        };
        let fields = collected
            .entry(concrete.clone())
            .or_insert_with(|| self.collect(sets, &concrete));
        let mut unordered = std::mem::take(members);
        let mut ordered = IndexMap::with_capacity(unordered.len());
        let mut whole = true;
        let root = concrete == self.types.query;
        for (key, (field, inner)) in fields.iter() {
            // A field left out failed: its error is in the response already.
            let mut child = unordered.swap_remove(*key).unwrap_or(Value::Null);
            // A planned root field's answer is rendered in order and whole, apart from the data.
            if root && self.planned.holds(key.as_str()) {
                ordered.insert((*key).clone(), child);
                continue;
            }
            if let Some(ty) = self.types.field(&concrete, field) {
                let descend = match self.depth {
                    Ordering::Whole => true,
                    // `_service` is resolved field by field on either path; the other root fields' answers (`_entities`' entities too) are rendered whole by the plan.
                    Ordering::Root => root && FIELD_BY_FIELD_ROOTS.contains(&field.as_str()),
                };
                let whole_orderer = Orderer {
                    depth: Ordering::Whole,
                    ..*self
                };
                let sets: &[&SelectionSet] = if descend { inner } else { &[] };
                // Paths are compared with the errors' only: none, no path.
                let tracked = !self.errors.is_empty();
                if tracked {
                    path.push(PathSegment::Field(key.to_string()));
                }
                whole &= whole_orderer.value(
                    &mut child,
                    sets,
                    &ty.named,
                    &ty.nullable,
                    &mut HashMap::new(),
                    path,
                );
                if tracked {
                    path.pop();
                }
            }
            ordered.insert((*key).clone(), child);
        }
        // What is left was not asked for by the client: the `__typename` added above.
        unordered.swap_remove(TYPENAME);
        ordered.extend(unordered);
        *members = ordered;
        whole
    }

    /// CollectFields for an object of type `concrete`.
    fn collect(&self, sets: &[&'a SelectionSet], concrete: &str) -> Collected<'a> {
        let mut fields = Collected::new();
        let mut visited = HashSet::new();
        for set in sets {
            self.collect_set(set, concrete, &mut fields, &mut visited);
        }
        fields
    }

    fn collect_set(
        &self,
        set: &'a SelectionSet,
        concrete: &str,
        fields: &mut Collected<'a>,
        visited: &mut HashSet<&'a Name>,
    ) {
        for selection in &set.items {
            if !self.included(selection.node.directives()) {
                continue;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let entry = fields
                        .entry(&field.response_key().node)
                        .or_insert_with(|| (&field.name.node, Vec::new()));
                    if !field.selection_set.node.items.is_empty() {
                        entry.1.push(&field.selection_set.node);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.types.satisfies(concrete, &c.node.on.node));
                    if applies {
                        self.collect_set(
                            &inline.node.selection_set.node,
                            concrete,
                            fields,
                            visited,
                        );
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if !visited.insert(name) {
                        continue;
                    }
                    let condition = &fragment.node.type_condition.node.on.node;
                    if self.types.satisfies(concrete, condition) {
                        self.collect_set(
                            &fragment.node.selection_set.node,
                            concrete,
                            fields,
                            visited,
                        );
                    }
                }
            }
        }
    }

    /// Whether `@skip` and `@include` let a selection through.
    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().all(|directive| {
            let wanted = match directive.node.name.node.as_str() {
                "skip" => false,
                "include" => true,
                _ => return true,
            };
            let condition = directive.node.get_argument("if").and_then(|value| {
                value
                    .node
                    .clone()
                    .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()))
                    .ok()
            });
            match condition {
                Some(Value::Boolean(condition)) => condition == wanted,
                // Invalid conditions are refused by validation; keep the field either way.
                _ => true,
            }
        })
    }
}
