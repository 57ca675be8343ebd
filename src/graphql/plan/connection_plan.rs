//! The selection on a connection: which of its page, count, edges and cursors are asked for,
//! the selections on its rows, and the page rendered.

use async_graphql::parser::types::{Field, SelectionSet};
use async_graphql::{Name, Pos, Positioned};

use super::super::error::missing_from_list;
use super::out::{Failure, Out, Segment};
use super::planner::{selection_sets, Planner};
use super::records::RecordPlan;
use super::{internal, Record, Row};
use crate::store::read::{Fetched, RowsOf};
use crate::store::{Kind, Page};

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
