//! The render tree: the selection on each record type, connection and reference, rendered
//! from what the reads found ([`Fetched`]) and never from the store. Planning a selection here
//! also yields what its reads follow ([`RowsOf`]), so that the planner makes both trees at once.

use std::marker::PhantomData;

use async_graphql::parser::types::{Field, SelectionSet};
use async_graphql::{Name, Pos, Positioned, ServerError};
use uuid::Uuid;

use super::super::error::missing_from_list;
use super::super::{ApiError, Provenance};
use super::out::{Failure, Leaf as _, Out, Segment};
use super::planner::{selection_sets, Planner};
use super::{failure, internal, unread, Record, Row};
use crate::store::read::{ByIdRead, Fetched, Follow, ReadId, RowsOf};
use crate::store::{Columns, Kind, Page, Relation, StoreError, Unanswered};

/// A leaf of `R`: writes its value from the row, or fails with its error (writing nothing).
pub(crate) type LeafFn<R> = fn(&R, &mut Out<'_>) -> Result<(), ApiError>;

/// How one field of a record is answered, as its planning yields it.
pub(crate) enum FieldPlan<R: Record> {
    Typename,
    /// A value of the row itself, written from its columns by its declaration
    /// ([`record_type!`](super::record_type)); its error when it cannot be answered.
    Leaf(LeafFn<R>),
    /// Where the record's facts come from; `None` where its row lacks their columns.
    Provenance(fn(&R) -> Option<Provenance>, Vec<(Name, ProvenanceField)>),
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
    Leaf(LeafFn<R>),
    Provenance(fn(&R) -> Option<Provenance>, Vec<(Name, ProvenanceField)>),
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
        // A fragment applies on `R`, on an interface it implements, or on a union it is in.
        let groups = planner.collect(sets, &|condition| planner.is_within(R::NAME, condition));
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
                } else if let Some(refused) = planner.refused(R::NAME, name, pos) {
                    FieldPlan::Failed(refused)
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
                RenderField::Leaf(leaf) => leaf(&record, out)
                    .map_err(|error| Failure::Error(error.into_server_error(Some(field.pos)))),
                RenderField::Provenance(of, fields) => match of(&record) {
                    Some(provenance) => render_provenance(provenance, fields, out),
                    None => Err(Failure::Error(
                        unread(R::NAME, key).into_server_error(Some(field.pos)),
                    )),
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

/// A relation of `R`'s rows, rendered for each from what its read found.
pub(crate) trait Nested<R: Record>: Send + Sync {
    /// Writes the value for one parent row from what the plan fetched; on a failure, writes
    /// nothing.
    fn render<'p>(
        &'p self,
        fetched: &Fetched,
        parent: &Row<R>,
        out: &mut Out<'p>,
    ) -> Result<(), Failure>;
}

/// A to-one reference from `R` to `T`.
pub(super) struct ToOne<R: Record, T: Record> {
    key: fn(&<R::Table as Kind>::Model) -> Option<Uuid>,
    /// The column `key` reads, by name and as a set, which a row must have been read with.
    column: (&'static str, Columns),
    /// Whether the field is non-null: a missing target is then a dangling reference.
    required: bool,
    pos: Pos,
    /// The records referenced, whose read keeps the reference's failure too.
    target: ById<T>,
}

impl<R: Record, T: Record> ToOne<R, T> {
    /// The reference whose value `key` reads from `column`, selected at `pos`, to the records
    /// `target` renders.
    pub(super) fn new(
        key: fn(&<R::Table as Kind>::Model) -> Option<Uuid>,
        column: (&'static str, Columns),
        required: bool,
        pos: Pos,
        target: ById<T>,
    ) -> Self {
        ToOne {
            key,
            column,
            required,
            pos,
            target,
        }
    }
}

impl<R: Record, T: Record> Nested<R> for ToOne<R, T> {
    fn render<'p>(
        &'p self,
        fetched: &Fetched,
        parent: &Row<R>,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        let (name, column) = self.column;
        if !parent.has(column) {
            return Err(Failure::Error(
                unread(R::NAME, name).into_server_error(Some(self.pos)),
            ));
        }
        let Some(id) = (self.key)(parent) else {
            out.raw("null");
            return Ok(());
        };
        if let Some(Err(error)) = fetched.records::<T::Table>(self.target.read) {
            return Err(out.read_error(self.target.read, error, self.pos));
        }
        match self.target.render(fetched, &id, out) {
            Some(rendered) => rendered,
            None => match self.target.unavailable(fetched, &id) {
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
pub(super) struct Children<R: Record, Rel: Relation, T: Record<Table = Rel::Child>> {
    pos: Pos,
    /// The read of its pages and counts, whose result is kept under this ID.
    read: ReadId,
    plan: ConnectionPlan<T>,
    relation: PhantomData<fn() -> (R, Rel)>,
}

impl<R: Record, Rel: Relation, T: Record<Table = Rel::Child>> Children<R, Rel, T> {
    /// The connection selected at `pos`, rendered with `plan` from what the read `read`
    /// found.
    pub(super) fn new(pos: Pos, read: ReadId, plan: ConnectionPlan<T>) -> Self {
        Children {
            pos,
            read,
            plan,
            relation: PhantomData,
        }
    }
}

impl<R, Rel, T> Nested<R> for Children<R, Rel, T>
where
    R: Record,
    Rel: Relation,
    T: Record<Table = Rel::Child>,
{
    fn render<'p>(
        &'p self,
        fetched: &Fetched,
        parent: &Row<R>,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        let id = R::Table::id(parent);
        let (page, count) = match fetched.pages::<T::Table>(self.read) {
            Some(Err(error)) => return Err(out.read_error(self.read, error, self.pos)),
            Some(Ok(read)) => (read.pages.get(&id), read.counts.get(&id).copied()),
            // Nothing read: only `__typename` is selected.
            None => (None, None),
        };
        let count = count.unwrap_or(0);
        match page {
            Some(page) => self.plan.render(fetched, page, count, self.pos, out),
            None => self
                .plan
                .render(fetched, &Page::default(), count, self.pos, out),
        }
    }
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

pub(super) enum PageInfoField {
    Typename,
    HasNextPage,
    HasPreviousPage,
    StartCursor,
    EndCursor,
}

pub(super) fn field_name<'a>(fields: &[&'a Positioned<Field>]) -> &'a str {
    fields
        .first()
        .map(|f| f.node.name.node.as_str())
        .unwrap_or_default()
}

/// The selections on a page's rows met so far, and what each one's reads follow.
struct Selections<T: Record> {
    rows: Vec<RecordPlan<T>>,
    reads: Vec<RowsOf<T::Table>>,
}

impl<T: Record> Selections<T> {
    /// Adds the selection of `fields` on the page's rows, and returns its index.
    fn add<'a>(&mut self, planner: &Planner<'a>, fields: &[&'a Positioned<Field>]) -> usize {
        let (rows, reads) = RecordPlan::new(planner, &selection_sets(fields));
        self.rows.push(rows);
        self.reads.push(reads);
        self.rows.len() - 1
    }
}

impl<T: Record> ConnectionPlan<T> {
    /// The selection `sets` on a connection of `T`, and what the reads of its rows follow
    /// (one selection each for `nodes` and edges' `node`).
    pub(super) fn new<'a>(
        planner: &Planner<'a>,
        sets: &[&'a SelectionSet],
    ) -> (Self, Vec<RowsOf<T::Table>>) {
        let mut selections = Selections {
            rows: Vec::new(),
            reads: Vec::new(),
        };
        let fields = planner
            .collect(sets, &|condition| condition == T::CONNECTION)
            .into_iter()
            .map(|(key, fields)| {
                let field = match field_name(&fields) {
                    "totalCount" => ConnectionField::TotalCount,
                    "nodes" => ConnectionField::Nodes(selections.add(planner, &fields)),
                    "pageInfo" => ConnectionField::PageInfo(page_info_plan(planner, &fields)),
                    "edges" => ConnectionField::Edges(edge_plan(planner, &fields, &mut selections)),
                    _ => ConnectionField::Typename,
                };
                (key.clone(), field)
            })
            .collect();
        let plan = ConnectionPlan {
            fields,
            rows: selections.rows,
        };
        (plan, selections.reads)
    }

    /// Whether any field needs the page's rows (or its cursors).
    pub(super) fn needs_page(&self) -> bool {
        self.fields.iter().any(|(_, field)| {
            !matches!(
                field,
                ConnectionField::TotalCount | ConnectionField::Typename
            )
        })
    }

    /// Whether `totalCount` is selected.
    pub(super) fn needs_count(&self) -> bool {
        self.fields
            .iter()
            .any(|(_, field)| matches!(field, ConnectionField::TotalCount))
    }

    /// Renders the page at `pos`; a page some sources did not answer has their errors, and no
    /// count. Fails when a row fails: the rows of a page are non-null.
    pub(super) fn render<'p>(
        &'p self,
        fetched: &Fetched,
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
                        self.render_row(fetched, *plan, row, out)
                    })
                }),
                ConnectionField::Edges(fields) => out.under(Segment::Key(key.as_str()), |out| {
                    out.list(&page.rows, false, |out, row| {
                        self.render_edge(fetched, fields, page, row, out)
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
        fetched: &Fetched,
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
                    self.render_row(fetched, *plan, row, out)
                }),
            };
            whole &= out.member(&mut edge, mark, key, false, value);
        }
        out.end_object(edge, whole)
    }

    /// A row of the page under the selection with this index.
    fn render_row<'p>(
        &'p self,
        fetched: &Fetched,
        plan: usize,
        row: &Row<T>,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        match self.rows.get(plan) {
            Some(plan) => plan.render(fetched, row, out),
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
    selections: &mut Selections<T>,
) -> Vec<(Name, EdgeField)> {
    planner
        .collect(&selection_sets(fields), &|condition| condition == T::EDGE)
        .into_iter()
        .map(|(key, fields)| {
            let field = match field_name(&fields) {
                "cursor" => EdgeField::Cursor,
                "node" => EdgeField::Node(selections.add(planner, &fields)),
                _ => EdgeField::Typename,
            };
            (key.clone(), field)
        })
        .collect()
}

pub(super) fn page_info_plan<'a>(
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

/// A page, as its page info shows it.
pub(super) trait Paged {
    fn has_next_page(&self) -> bool;
    fn has_previous_page(&self) -> bool;
    fn start_cursor(&self) -> Option<String>;
    fn end_cursor(&self) -> Option<String>;
}

impl<M> Paged for Page<M> {
    fn has_next_page(&self) -> bool {
        self.has_next_page
    }

    fn has_previous_page(&self) -> bool {
        self.has_previous_page
    }

    fn start_cursor(&self) -> Option<String> {
        Page::start_cursor(self)
    }

    fn end_cursor(&self) -> Option<String> {
        Page::end_cursor(self)
    }
}

pub(super) fn render_page_info(
    page: &impl Paged,
    fields: &[(Name, PageInfoField)],
    out: &mut Out<'_>,
) -> Result<(), Failure> {
    let boolean = |value: bool| if value { "true" } else { "false" };
    let mut members = out.begin_object();
    for (key, field) in fields {
        let mark = out.key(&members, key);
        match field {
            PageInfoField::Typename => out.string("PageInfo"),
            PageInfoField::HasNextPage => out.raw(boolean(page.has_next_page())),
            PageInfoField::HasPreviousPage => out.raw(boolean(page.has_previous_page())),
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
