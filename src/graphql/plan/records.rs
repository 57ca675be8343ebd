//! The selection on one record type, rendered for each row, and records by ID with the
//! selection on each; planning them also yields what their reads follow.

use async_graphql::parser::types::SelectionSet;
use async_graphql::{Context, Name, Pos, ServerError};
use uuid::Uuid;

use super::super::Provenance;
use super::nested::Nested;
use super::out::{Failure, Leaf, Out, Segment};
use super::planner::Planner;
use super::{internal, Record, Row};
use crate::store::read::{ByIdRead, Fetched, Follow, ReadId, RowsOf};
use crate::store::Unanswered;

/// How one field of a record is answered, as its planning yields it.
pub(crate) enum FieldPlan<R: Record> {
    Typename,
    /// A value of the row itself, written by the type's own resolver (which never waits);
    /// false when it waited or failed.
    Leaf(fn(&R, &mut Out<'_>) -> bool),
    Provenance(
        fn(&R, &Context<'_>) -> Option<Provenance>,
        Vec<(Name, ProvenanceField)>,
    ),
    /// Rows of another table: read for every row of this level at once (`read`), then
    /// rendered for each (`render`).
    Nested {
        render: Box<dyn Nested<R>>,
        read: Box<dyn Follow<R::Table>>,
    },
    /// A field whose arguments were refused: reported for each row that selects it.
    Failed(ServerError),
}

/// How one field of a record is rendered: its plan, less what the read plan took.
enum RenderField<R> {
    Typename,
    Leaf(fn(&R, &mut Out<'_>) -> bool),
    Provenance(
        fn(&R, &Context<'_>) -> Option<Provenance>,
        Vec<(Name, ProvenanceField)>,
    ),
    Nested(Box<dyn Nested<R>>),
    Failed(ServerError),
}

pub(crate) enum ProvenanceField {
    Typename,
    Kind,
    SampleFields,
}

/// The selection on one record type, rendered for each row.
pub(crate) struct RecordPlan<R: Record> {
    fields: Vec<PlannedField<R>>,
}

/// A field of a record's selection: its response key, where it was selected, how it is
/// rendered, and whether its type may be null.
struct PlannedField<R> {
    key: Name,
    pos: Pos,
    render: RenderField<R>,
    nullable: bool,
}

impl<R: Record> RecordPlan<R> {
    /// The selection `sets` on `R`, and what its rows' reads follow.
    pub(super) fn new<'a>(
        planner: &Planner<'a>,
        sets: &[&'a SelectionSet],
    ) -> (Self, RowsOf<R::Table>) {
        let groups = planner.collect(sets, &|condition| {
            condition == R::NAME || condition == "Node"
        });
        let mut reads = RowsOf::default();
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
                let render = match plan {
                    FieldPlan::Typename => RenderField::Typename,
                    FieldPlan::Leaf(leaf) => RenderField::Leaf(leaf),
                    FieldPlan::Provenance(of, fields) => RenderField::Provenance(of, fields),
                    FieldPlan::Nested { render, read } => {
                        reads.follow(read);
                        RenderField::Nested(render)
                    }
                    FieldPlan::Failed(error) => RenderField::Failed(error),
                };
                PlannedField {
                    key: key.clone(),
                    pos,
                    render,
                    nullable: name != "__typename" && planner.nullable(R::NAME, name),
                }
            })
            .collect();
        (RecordPlan { fields }, reads)
    }

    /// Writes a row's object; fails (writing nothing) when a non-null field of it failed.
    pub(super) fn render<'p>(
        &'p self,
        fetched: &Fetched,
        row: &Row<R>,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
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
            let value = match &field.render {
                RenderField::Typename => {
                    out.string(R::NAME);
                    Ok(())
                }
                RenderField::Leaf(leaf) => {
                    if leaf(&record, out) {
                        Ok(())
                    } else {
                        Err(waited(key, &field.pos))
                    }
                }
                RenderField::Provenance(of, fields) => match of(&record, out.ctx()) {
                    Some(provenance) => render_provenance(provenance, fields, out),
                    None => Err(waited(key, &field.pos)),
                },
                RenderField::Nested(nested) => out.under(Segment::Key(key.as_str()), |out| {
                    nested.render(fetched, row, out)
                }),
                RenderField::Failed(error) => Err(Failure::Error(error.clone())),
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
    plan: RecordPlan<T>,
    /// The read of the records, whose result is kept under this ID.
    pub(super) read: ReadId,
}

impl<T: Record> ById<T> {
    /// The selection `sets` on records of `T` by ID, and their read.
    pub(super) fn new<'a>(
        planner: &Planner<'a>,
        sets: &[&'a SelectionSet],
    ) -> (Self, ByIdRead<T::Table>) {
        let read = planner.read_id();
        let (plan, rows) = RecordPlan::new(planner, sets);
        (ById { plan, read }, ByIdRead::new(read, rows))
    }

    /// Writes the record with this ID; `None`, writing nothing, when there is none (see
    /// [`ById::unavailable`] for whether it may sit in a source that did not answer).
    pub(super) fn render<'p>(
        &'p self,
        fetched: &Fetched,
        id: &Uuid,
        out: &mut Out<'p>,
    ) -> Option<Result<(), Failure>> {
        let row = match fetched.records::<T::Table>(self.read) {
            Some(Ok(records)) => records.rows.get(id)?,
            _ => return None,
        };
        Some(self.plan.render(fetched, row, out))
    }

    /// The source the record with this ID may sit in, where that did not answer.
    pub(super) fn unavailable<'f>(
        &self,
        fetched: &'f Fetched,
        id: &Uuid,
    ) -> Option<&'f Unanswered> {
        match fetched.records::<T::Table>(self.read) {
            Some(Ok(records)) => records.unavailable.get(id),
            _ => None,
        }
    }
}
