//! The fields of a record that follow a relation: a to-one reference, read by ID or joined into
//! its parents' statement, and a connection, read as a branch of its level's statement.

use std::any::TypeId;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::{Pos, ServerError};
use futures::future::BoxFuture;
use uuid::Uuid;

use super::super::ApiError;
use super::connection_plan::ConnectionPlan;
use super::fetch::{Fetch, Known};
use super::out::{Failure, Out};
use super::records::ById;
use super::{failure, internal, Record, Row};
use crate::store::{self, HashMap, Join, Kind, Page, QueryOf, Relation, StoreError};

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

/// A to-one reference from `R` to `T`.
pub(super) struct ToOne<R: Record, T: Record> {
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
    /// The reference through `column` (whose value `key` reads), selected at `pos`, to the
    /// records `target` reads and renders.
    pub(super) fn new(
        key: fn(&<R::Table as Kind>::Model) -> Option<Uuid>,
        column: &'static str,
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
            failed: None,
        }
    }

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
pub(super) struct Children<R: Record, Rel: Relation, T: Record<Table = Rel::Child>> {
    pos: Pos,
    failed: Option<ServerError>,
    query: QueryOf<T::Table>,
    plan: ConnectionPlan<T>,
    pages: HashMap<Uuid, Page<<T::Table as Kind>::Model>>,
    counts: HashMap<Uuid, u64>,
    relation: PhantomData<fn() -> (R, Rel)>,
}

impl<R: Record, Rel: Relation, T: Record<Table = Rel::Child>> Children<R, Rel, T> {
    /// The connection selected at `pos`, listing what `query` asks with the selection `plan`.
    pub(super) fn new(pos: Pos, query: QueryOf<T::Table>, plan: ConnectionPlan<T>) -> Self {
        Children {
            pos,
            failed: None,
            query,
            plan,
            pages: HashMap::default(),
            counts: HashMap::default(),
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
