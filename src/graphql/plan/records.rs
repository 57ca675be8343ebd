//! The selection on one record type, fetched for a level's rows at once and rendered for each
//! row, and records read by ID with the selection on each.

use std::any::TypeId;
use std::sync::Arc;

use async_graphql::parser::types::SelectionSet;
use async_graphql::{Context, Name, Pos, ServerError};
use futures::future::join_all;
use uuid::Uuid;

use super::super::Provenance;
use super::fetch::Fetch;
use super::nested::Nested;
use super::out::{Failure, Leaf, Out, Segment};
use super::planner::Planner;
use super::{internal, Record, Row};
use crate::store::{self, HashMap, Join, Kind, StoreError, Unanswered};

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
    pub(super) fn new<'a>(planner: &Planner<'a>, sets: &[&'a SelectionSet]) -> Self {
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
    pub(super) fn joins(&self, fetch: &Fetch<'_>) -> Vec<Join> {
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
    pub(super) fn joined(&self, mut joins: Vec<Join>, fetch: &Fetch<'_>, rows: &[Row<R>]) {
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
    pub(super) async fn fetch(&mut self, fetch: &Fetch<'_>, rows: &[Row<R>]) {
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
    pub(super) fn render<'p>(&'p self, row: &Row<R>, out: &mut Out<'p>) -> Result<(), Failure> {
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
                FieldPlan::Provenance(of, fields) => match of(&record, out.ctx()) {
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

/// Records of `T` by ID, with the selection on each.
pub(crate) struct ById<T: Record> {
    pub(super) plan: RecordPlan<T>,
    rows: HashMap<Uuid, Row<T>>,
    /// The IDs no source that answered holds, with a source that did not answer.
    unavailable: HashMap<Uuid, Unanswered>,
}

impl<T: Record> ById<T> {
    pub(super) fn new<'a>(planner: &Planner<'a>, sets: &[&'a SelectionSet]) -> Self {
        ById {
            plan: RecordPlan::new(planner, sets),
            rows: HashMap::default(),
            unavailable: HashMap::default(),
        }
    }

    /// Reads these records (those not read yet), then what their selection follows.
    pub(super) async fn fetch(
        &mut self,
        fetch: &Fetch<'_>,
        ids: &[Uuid],
    ) -> Result<(), StoreError> {
        fetch.read::<T>(ids).await?;
        (self.rows, self.unavailable) = fetch.rows::<T>(ids);
        let rows: Vec<Row<T>> = self.rows.values().cloned().collect();
        self.plan.fetch(fetch, &rows).await;
        Ok(())
    }

    /// Writes the record with this ID; `None`, writing nothing, when there is none (see
    /// [`ById::unavailable`] for whether it may sit in a source that did not answer).
    pub(super) fn render<'p>(
        &'p self,
        id: &Uuid,
        out: &mut Out<'p>,
    ) -> Option<Result<(), Failure>> {
        self.rows.get(id).map(|row| self.plan.render(row, out))
    }

    /// The source the record with this ID may sit in, where that did not answer.
    pub(super) fn unavailable(&self, id: &Uuid) -> Option<&Unanswered> {
        self.unavailable.get(id)
    }
}
