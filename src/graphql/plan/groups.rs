//! Planned aggregates: a `…Aggregate` root field's selection becomes the store's
//! [`AggregateRead`] (the group keys, the measures its fields ask for, and the records the keys
//! name, by ID with their own selections) and a render tree of each group's object here.

use async_graphql::parser::types::{Field, SelectionSet};
use async_graphql::resolver_utils::EnumType;
use async_graphql::{InputType, Name, OutputType, Pos, Positioned, ServerError};
use uuid::Uuid;

use super::super::aggregate::{count, group_keys, is_count, measure_named, measure_of};
use super::super::filter::FilterInput;
use super::out::{Failure, Leaf, Out, Segment};
use super::planner::{selection_sets, Planner};
use super::render::ById;
use super::roots::Lookup;
use super::{failure, internal, Record};
use crate::store::read::{AggregateRead, AnyByIdRead, Fetched, ReadId};
use crate::store::{Group, GroupColumn, GroupValue, Listable, Measure, StoreError};

/// The aggregate type of a kind's rows, as the planner needs it: its inputs, its keys, and how
/// each key is planned.
pub(crate) trait Aggregated: OutputType + Send + Sync + 'static {
    /// The rows aggregated.
    type Table: Listable;
    /// The `filter` argument.
    type Filter: FilterInput<Store = <Self::Table as Listable>::Filter> + InputType;
    /// A key grouped by and counted distinct.
    type GroupField: InputType + Copy + PartialEq;
    /// A number column.
    type NumberField: InputType;
    /// The object of a group's key values.
    type Keys: OutputType;

    fn group_column(field: Self::GroupField) -> GroupColumn;
    fn number_column(field: Self::NumberField) -> &'static str;
    /// The key a field of the keys' object named `name` shows, and how it is planned.
    fn key_field(name: &str) -> Option<(Self::GroupField, KeyShape)>;
}

/// How a group key's value is shown.
pub(crate) enum KeyShape {
    /// As a value of its own.
    Value(fn(Option<&GroupValue>, &mut Out<'_>)),
    /// As the record it names, planned with the selection on it.
    Record(for<'a> fn(&Planner<'a>, &[&'a SelectionSet]) -> RecordsById),
}

/// Records of one kind by ID (those a key names, a search's hits of the kind): how each is
/// rendered, and their read.
pub(crate) struct RecordsById {
    pub(super) render: Box<dyn Lookup>,
    pub(super) read: Box<dyn AnyByIdRead>,
}

impl RecordsById {
    /// The records of `T` by ID, with the selection `sets` on each.
    pub(crate) fn of<'a, T: Record>(planner: &Planner<'a>, sets: &[&'a SelectionSet]) -> Self {
        let (render, read) = ById::<T>::new(planner, sets);
        RecordsById {
            render: Box::new(render),
            read: Box::new(read),
        }
    }
}

/// Writes an enum key's value, or null.
pub(crate) fn write_optional_enum<E: EnumType>(value: Option<E>, out: &mut Out<'_>) {
    match value {
        Some(value) => super::write_enum(value, out),
        None => out.raw("null"),
    }
}

/// A field of a group's object.
struct AggregateField {
    key: Name,
    pos: Pos,
    nullable: bool,
    render: AggregateRender,
}

enum AggregateRender {
    Typename(String),
    Measure(Measure),
    Keys(Vec<KeyField>),
    Failed(ServerError),
}

/// A field of a group's keys.
struct KeyField {
    key: Name,
    pos: Pos,
    render: KeyRender,
}

enum KeyRender {
    Typename(String),
    /// A key not grouped by: null.
    NotGrouped,
    Value(usize, fn(Option<&GroupValue>, &mut Out<'_>)),
    Record(usize, Box<dyn Lookup>),
    Failed(ServerError),
}

/// The render tree of an aggregate's groups.
pub(super) struct AggregatePlan {
    fields: Vec<AggregateField>,
    measures: Vec<Measure>,
}

impl AggregatePlan {
    /// The plan of root field `field` of aggregate type `A`, selected as `sets`, and its read.
    pub(super) fn new<'a, A: Aggregated>(
        planner: &Planner<'a>,
        field: &'a Positioned<Field>,
        sets: &[&'a SelectionSet],
    ) -> Result<(Self, AggregateRead<A::Table>), ServerError> {
        let refused = |error: super::super::ApiError| error.into_server_error(Some(field.pos));
        let filter = planner.argument::<A::Filter>(field, "filter")?;
        let filter = A::Filter::into_store(filter, planner.reads).map_err(refused)?;
        let group_by = planner.argument::<Vec<A::GroupField>>(field, "groupBy")?;
        let (grouped, columns) = group_keys(group_by, A::group_column).map_err(refused)?;
        let name = A::type_name();
        let mut measures = vec![Measure::Count];
        let mut key_records = Vec::new();
        let mut fields = Vec::new();
        for (key, selected) in planner.collect(sets, &|condition| condition == name) {
            let Some(first) = selected.first() else {
                continue;
            };
            let (pos, field_name) = (first.pos, first.node.name.node.as_str());
            let render = if field_name == "__typename" {
                AggregateRender::Typename(name.to_string())
            } else if let Some(refused) = planner.refused(&name, field_name, pos) {
                AggregateRender::Failed(refused)
            } else if field_name == "keys" {
                AggregateRender::Keys(plan_keys::<A>(
                    planner,
                    &selection_sets(&selected),
                    &grouped,
                    &mut key_records,
                ))
            } else {
                let distinct = || match planner.argument(first, "field") {
                    Ok(Some(field)) => Ok(A::group_column(field)),
                    Ok(None) => Err(internal(format!("`{field_name}` has no `field`"), pos)),
                    Err(error) => Err(error),
                };
                let number = || match planner.argument(first, "field") {
                    Ok(Some(field)) => Ok(A::number_column(field)),
                    Ok(None) => Err(internal(format!("`{field_name}` has no `field`"), pos)),
                    Err(error) => Err(error),
                };
                match measure_named(field_name, distinct, number) {
                    Ok(Some(measure)) => {
                        if !measures.contains(&measure) {
                            measures.push(measure);
                        }
                        AggregateRender::Measure(measure)
                    }
                    Ok(None) => AggregateRender::Failed(internal(
                        format!("no plan for {name}.{field_name}"),
                        pos,
                    )),
                    Err(error) => AggregateRender::Failed(error),
                }
            };
            fields.push(AggregateField {
                key: key.clone(),
                pos,
                nullable: field_name != "__typename" && planner.nullable(&name, field_name),
                render,
            });
        }
        let read = AggregateRead::new(
            planner.read_id(),
            filter,
            columns,
            measures.clone(),
            key_records,
        );
        Ok((AggregatePlan { fields, measures }, read))
    }

    /// Writes the groups `read` found.
    pub(super) fn render<'p>(
        &'p self,
        fetched: &Fetched,
        read: ReadId,
        pos: Pos,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        let groups: &[Group] = match fetched.groups(read) {
            Some(Ok(groups)) => groups,
            Some(Err(error)) => return Err(out.read_error(read, error, pos)),
            None => &[],
        };
        out.list(groups, false, |out, group| {
            self.render_group(fetched, group, out)
        })
    }

    fn render_group<'p>(
        &'p self,
        fetched: &Fetched,
        group: &Group,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        let mut members = out.begin_object();
        let mut whole = true;
        for field in &self.fields {
            let key = field.key.as_str();
            let mark = out.key(&members, key);
            let value = match &field.render {
                AggregateRender::Typename(name) => {
                    out.string(name);
                    Ok(())
                }
                AggregateRender::Measure(measure) => {
                    match measure_of(&self.measures, &group.values, *measure) {
                        Ok(value) if is_count(measure) => {
                            count(value).write(out);
                            Ok(())
                        }
                        Ok(value) => {
                            value.write(out);
                            Ok(())
                        }
                        Err(error) => Err(Failure::Error(error.into_server_error(Some(field.pos)))),
                    }
                }
                AggregateRender::Keys(keys) => out.under(Segment::Key(key), |out| {
                    render_keys(fetched, keys, group, out)
                }),
                AggregateRender::Failed(error) => Err(Failure::Error(error.clone())),
            };
            whole &= out.member(&mut members, mark, key, field.nullable, value);
        }
        out.end_object(members, whole)
    }
}

/// The plan of a group's `keys` selected as `sets`, where the keys `grouped` are grouped by;
/// the reads of the records the keys name join `key_records`, by the key's index.
fn plan_keys<'a, A: Aggregated>(
    planner: &Planner<'a>,
    sets: &[&'a SelectionSet],
    grouped: &[A::GroupField],
    key_records: &mut Vec<(usize, Box<dyn AnyByIdRead>)>,
) -> Vec<KeyField> {
    let name = A::Keys::type_name();
    planner
        .collect(sets, &|condition| condition == name)
        .into_iter()
        .map(|(key, selected)| {
            let pos = selected.first().map(|f| f.pos).unwrap_or_default();
            let field_name = selected
                .first()
                .map(|f| f.node.name.node.as_str())
                .unwrap_or_default();
            let render = if field_name == "__typename" {
                KeyRender::Typename(name.to_string())
            } else if let Some(refused) = planner.refused(&name, field_name, pos) {
                KeyRender::Failed(refused)
            } else {
                match A::key_field(field_name) {
                    None => {
                        KeyRender::Failed(internal(format!("no plan for {name}.{field_name}"), pos))
                    }
                    Some((group_field, shape)) => {
                        match (grouped.iter().position(|g| *g == group_field), shape) {
                            // Not grouped by: null, and nothing below it is read.
                            (None, _) => KeyRender::NotGrouped,
                            (Some(index), KeyShape::Value(write)) => KeyRender::Value(index, write),
                            (Some(index), KeyShape::Record(plan)) => {
                                let RecordsById { render, read } =
                                    plan(planner, &selection_sets(&selected));
                                key_records.push((index, read));
                                KeyRender::Record(index, render)
                            }
                        }
                    }
                }
            };
            KeyField {
                key: key.clone(),
                pos,
                render,
            }
        })
        .collect()
}

/// Writes a group's keys: each key's value (null where the rows have none or it is not
/// grouped by), or the record it names.
fn render_keys<'p>(
    fetched: &Fetched,
    keys: &'p [KeyField],
    group: &Group,
    out: &mut Out<'p>,
) -> Result<(), Failure> {
    let mut members = out.begin_object();
    let mut whole = true;
    for field in keys {
        let key = field.key.as_str();
        let mark = out.key(&members, key);
        let (nullable, value) = match &field.render {
            KeyRender::Typename(name) => {
                out.string(name);
                (false, Ok(()))
            }
            KeyRender::NotGrouped => {
                out.raw("null");
                (true, Ok(()))
            }
            KeyRender::Value(index, write) => {
                write(group.keys.get(*index), out);
                (true, Ok(()))
            }
            KeyRender::Record(index, lookup) => {
                let value = match group.keys.get(*index) {
                    Some(GroupValue::Uuid(id)) => {
                        render_record(fetched, lookup.as_ref(), id, field.pos, out)
                    }
                    _ => {
                        out.raw("null");
                        Ok(())
                    }
                };
                (true, value)
            }
            KeyRender::Failed(error) => (true, Err(Failure::Error(error.clone()))),
        };
        whole &= out.member(&mut members, mark, key, nullable, value);
    }
    out.end_object(members, whole)
}

/// Writes the record a key names: null where the caller reads none, an error where its read
/// failed or it may sit in a source that did not answer.
fn render_record<'p>(
    fetched: &Fetched,
    lookup: &'p dyn Lookup,
    id: &Uuid,
    pos: Pos,
    out: &mut Out<'p>,
) -> Result<(), Failure> {
    if let Some((read, error)) = lookup.failed(fetched) {
        return Err(out.read_error(read, error, pos));
    }
    match lookup.render(fetched, id, out) {
        Some(rendered) => rendered,
        None => match lookup.unavailable(fetched, id) {
            Some(source) => Err(Failure::Error(failure(
                StoreError::SourceUnavailable(source.clone()),
                pos,
            ))),
            None => {
                out.raw("null");
                Ok(())
            }
        },
    }
}
