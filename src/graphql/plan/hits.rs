//! Planned `search`: the root field's selection becomes the store's [`SearchRead`] (the page
//! of hits, their count when selected, and the records of the kinds found, by ID with the
//! columns their selections read and what those follow) and a render tree of the connection
//! here: its edges (cursor, record, how it matched), nodes, page info and count.

use async_graphql::parser::types::{Field, SelectionSet};
use async_graphql::{Name, Pos, Positioned, ServerError};

use super::super::search::{plan_kind, search_request, SearchKind, SearchMatch};
use super::groups::RecordsById;
use super::out::{Failure, Out, Segment};
use super::planner::{selection_sets, Planner};
use super::render::{field_name, page_info_plan, render_page_info, PageInfoField, Paged};
use super::roots::Lookup;
use super::{failure, internal, write_enum};
use crate::store::read::{AnyByIdRead, Fetched, FoundHits, ReadId, SearchRead};
use crate::store::{Hit, SearchPage, StoreError};

const CONNECTION: &str = "SearchConnection";
const EDGE: &str = "SearchEdge";

/// A field of the search's connection.
enum SearchField {
    Typename,
    TotalCount(Pos),
    /// The records, under the selection with this index.
    Nodes(usize),
    Edges(Vec<(Name, EdgeField)>),
    PageInfo(Vec<(Name, PageInfoField)>),
}

/// A field of an edge of the search's connection.
enum EdgeField {
    Typename,
    Cursor,
    /// The record, under the selection with this index.
    Node(usize),
    Matched,
}

/// The render tree of a search's connection.
pub(super) struct SearchPlan {
    pos: Pos,
    fields: Vec<(Name, SearchField)>,
    /// Each selection on a hit's record (`nodes`, an edge's `node`): how a record of each kind
    /// is rendered under it.
    records: Vec<Vec<(SearchKind, Box<dyn Lookup>)>>,
}

/// The selections on hits' records met so far, and the reads of each kind.
struct Selections<'p, 'a> {
    planner: &'p Planner<'a>,
    /// The kinds searched.
    kinds: &'p [SearchKind],
    records: Vec<Vec<(SearchKind, Box<dyn Lookup>)>>,
    reads: Vec<(&'static str, Box<dyn AnyByIdRead>)>,
}

impl<'a> Selections<'_, 'a> {
    /// Adds the selection of `fields` on the hits' records, and returns its index.
    fn add(&mut self, fields: &[&'a Positioned<Field>]) -> usize {
        let sets: Vec<&'a SelectionSet> = selection_sets(fields);
        let mut records = Vec::with_capacity(self.kinds.len());
        for kind in self.kinds {
            let RecordsById { render, read } = plan_kind(*kind, self.planner, &sets);
            records.push((*kind, render));
            self.reads.push((kind.name(), read));
        }
        self.records.push(records);
        self.records.len() - 1
    }
}

impl SearchPlan {
    /// The plan of root field `search` selected as `sets` (with `field`'s arguments), and its
    /// read.
    pub(super) fn new<'a>(
        planner: &Planner<'a>,
        field: &'a Positioned<Field>,
        sets: &[&'a SelectionSet],
        limits: &super::super::connection::Limits,
    ) -> Result<(Self, SearchRead), ServerError> {
        let text: Option<String> = planner.argument(field, "text")?;
        let kinds: Option<Vec<SearchKind>> = planner.argument(field, "kinds")?;
        let (query, page) = search_request(
            planner.reads,
            limits,
            &text.unwrap_or_default(),
            planner.argument(field, "first")?,
            planner.argument(field, "after")?,
            kinds.clone(),
        )
        .map_err(|error| error.into_server_error(Some(field.pos)))?;
        let mut searched: Vec<SearchKind> = Vec::new();
        for kind in kinds.unwrap_or_else(|| SearchKind::ALL.to_vec()) {
            if !searched.contains(&kind) {
                searched.push(kind);
            }
        }
        let mut selections = Selections {
            planner,
            kinds: &searched,
            records: Vec::new(),
            reads: Vec::new(),
        };
        let fields: Vec<(Name, SearchField)> = planner
            .collect(sets, &|condition| condition == CONNECTION)
            .into_iter()
            .map(|(key, fields)| {
                let pos = fields.first().map(|f| f.pos).unwrap_or_default();
                let field = match field_name(&fields) {
                    "totalCount" => SearchField::TotalCount(pos),
                    "nodes" => SearchField::Nodes(selections.add(&fields)),
                    "pageInfo" => SearchField::PageInfo(page_info_plan(planner, &fields)),
                    "edges" => SearchField::Edges(edge_plan(&mut selections, &fields)),
                    _ => SearchField::Typename,
                };
                (key.clone(), field)
            })
            .collect();
        let counted = fields
            .iter()
            .any(|(_, field)| matches!(field, SearchField::TotalCount(_)));
        let Selections { records, reads, .. } = selections;
        let read = SearchRead::new(planner.read_id(), query, page, counted, reads);
        Ok((
            SearchPlan {
                pos: field.pos,
                fields,
                records,
            },
            read,
        ))
    }

    /// Writes the connection from the hits `read` found. Every hit's record is read through
    /// the scope its hit was found through, so one that is missing fails the search (as one
    /// that may sit in a source that did not answer does): leaving it out would make the page
    /// and its count disagree.
    pub(super) fn render<'p>(
        &'p self,
        fetched: &Fetched,
        read: ReadId,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        let hits = match fetched.hits(read) {
            Some(Ok(hits)) => hits,
            Some(Err(error)) => return Err(out.read_error(read, error, self.pos)),
            None => {
                return Err(Failure::Error(internal(
                    "the search was not read".to_owned(),
                    self.pos,
                )))
            }
        };
        if let Some(records) = self.records.first() {
            for hit in &hits.page.hits {
                self.check_read(fetched, records, hit)?;
            }
        }
        let mut members = out.begin_object();
        let mut whole = true;
        for (key, field) in &self.fields {
            let mark = out.key(&members, key);
            let value = match field {
                SearchField::Typename => {
                    out.string(CONNECTION);
                    Ok(())
                }
                SearchField::TotalCount(pos) => match &hits.count {
                    Some(Ok(count)) => {
                        out.raw(&count.to_string());
                        Ok(())
                    }
                    Some(Err(error)) => Err(out.read_error(read, error, *pos)),
                    None => Err(Failure::Error(internal(
                        "the search's count was not read".to_owned(),
                        *pos,
                    ))),
                },
                SearchField::PageInfo(fields) => {
                    render_page_info(&HitsPage(&hits.page), fields, out)
                }
                SearchField::Nodes(selection) => out.under(Segment::Key(key.as_str()), |out| {
                    out.list(&hits.page.hits, false, |out, hit| {
                        self.render_record(fetched, *selection, hit, out)
                    })
                }),
                SearchField::Edges(fields) => out.under(Segment::Key(key.as_str()), |out| {
                    out.list(&hits.page.hits, false, |out, hit| {
                        self.render_edge(fetched, fields, hits, hit, out)
                    })
                }),
            };
            // Every field of the connection is non-null.
            whole &= out.member(&mut members, mark, key, false, value);
        }
        out.end_object(members, whole)
    }

    /// Fails the search where a hit's record was not read.
    fn check_read(
        &self,
        fetched: &Fetched,
        records: &[(SearchKind, Box<dyn Lookup>)],
        hit: &Hit,
    ) -> Result<(), Failure> {
        let lookup = records
            .iter()
            .find(|(kind, _)| kind.name() == hit.kind)
            .map(|(_, lookup)| lookup);
        if let Some(lookup) = lookup {
            if lookup.holds(fetched, &hit.id) {
                return Ok(());
            }
            if let Some(source) = lookup.unavailable(fetched, &hit.id) {
                return Err(Failure::Error(failure(
                    StoreError::SourceUnavailable(source.clone()),
                    self.pos,
                )));
            }
        }
        Err(Failure::Error(internal(
            format!(
                "search found {} {}, which cannot be read by its ID",
                hit.kind, hit.id
            ),
            self.pos,
        )))
    }

    /// An edge: its cursor, its record and how it matched.
    fn render_edge<'p>(
        &'p self,
        fetched: &Fetched,
        fields: &'p [(Name, EdgeField)],
        hits: &FoundHits,
        hit: &Hit,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        let mut edge = out.begin_object();
        let mut whole = true;
        for (key, field) in fields {
            let mark = out.key(&edge, key);
            let value = match field {
                EdgeField::Typename => {
                    out.string(EDGE);
                    Ok(())
                }
                EdgeField::Cursor => {
                    out.string(&hits.page.cursor(hit));
                    Ok(())
                }
                EdgeField::Matched => {
                    write_enum(SearchMatch::from(hit.matched), out);
                    Ok(())
                }
                EdgeField::Node(selection) => out.under(Segment::Key(key.as_str()), |out| {
                    self.render_record(fetched, *selection, hit, out)
                }),
            };
            whole &= out.member(&mut edge, mark, key, false, value);
        }
        out.end_object(edge, whole)
    }

    /// A hit's record under the selection with this index.
    fn render_record<'p>(
        &'p self,
        fetched: &Fetched,
        selection: usize,
        hit: &Hit,
        out: &mut Out<'p>,
    ) -> Result<(), Failure> {
        let rendered = self.records.get(selection).and_then(|records| {
            let (_, lookup) = records.iter().find(|(kind, _)| kind.name() == hit.kind)?;
            lookup.render(fetched, &hit.id, out)
        });
        rendered.unwrap_or_else(|| {
            Err(Failure::Error(internal(
                format!("search: no record of {} {}", hit.kind, hit.id),
                self.pos,
            )))
        })
    }
}

fn edge_plan<'a>(
    selections: &mut Selections<'_, 'a>,
    fields: &[&'a Positioned<Field>],
) -> Vec<(Name, EdgeField)> {
    selections
        .planner
        .collect(&selection_sets(fields), &|condition| condition == EDGE)
        .into_iter()
        .map(|(key, fields)| {
            let field = match field_name(&fields) {
                "cursor" => EdgeField::Cursor,
                "node" => EdgeField::Node(selections.add(&fields)),
                "matched" => EdgeField::Matched,
                _ => EdgeField::Typename,
            };
            (key.clone(), field)
        })
        .collect()
}

/// A page of hits, as page info shows it.
struct HitsPage<'h>(&'h SearchPage);

impl Paged for HitsPage<'_> {
    fn has_next_page(&self) -> bool {
        self.0.has_next_page
    }

    fn has_previous_page(&self) -> bool {
        self.0.has_previous_page
    }

    fn start_cursor(&self) -> Option<String> {
        self.0.hits.first().map(|hit| self.0.cursor(hit))
    }

    fn end_cursor(&self) -> Option<String> {
        self.0.hits.last().map(|hit| self.0.cursor(hit))
    }
}
