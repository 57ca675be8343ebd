//! The fields of a record that follow a relation, rendered from what their reads found: a
//! to-one reference and a connection.

use std::marker::PhantomData;

use async_graphql::Pos;
use uuid::Uuid;

use super::connection_plan::ConnectionPlan;
use super::out::{Failure, Out};
use super::records::ById;
use super::{failure, internal, Record, Row};
use crate::store::read::{Fetched, ReadId};
use crate::store::{Kind, Page, Relation, StoreError};

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
    /// Whether the field is non-null: a missing target is then a dangling reference.
    required: bool,
    pos: Pos,
    /// The records referenced, whose read keeps the reference's failure too.
    target: ById<T>,
}

impl<R: Record, T: Record> ToOne<R, T> {
    /// The reference whose value `key` reads, selected at `pos`, to the records `target`
    /// renders.
    pub(super) fn new(
        key: fn(&<R::Table as Kind>::Model) -> Option<Uuid>,
        required: bool,
        pos: Pos,
        target: ById<T>,
    ) -> Self {
        ToOne {
            key,
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
