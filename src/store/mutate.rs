//! One record created, changed or deleted for a caller who may write it: the write door of
//! mutations.
//!
//! What a caller may write is its [`Grant`]: a data steward the records its institution owns,
//! an admin every record; no other role writes. A write is one transaction per source, opened
//! as every write is ([`Store::begin_writing`]: the audit head of each source locked first, in
//! the sources' order, so writes to a source go one at a time and see each other's results):
//!
//! 1. the record is found in what its source holds, and must be the caller's to write and at
//!    the version the caller names (else `NotFound`, or `Stale` with the record as it is);
//! 2. the new row must still be the caller's to write (a cleanroom moved to another
//!    institution's facility is not);
//! 3. it is written with its search terms and text keys, the access of every row composed
//!    again from the whole ([`super::write`]), its version one more than before;
//! 4. the change is appended to the source's audit log, in the same transaction;
//! 5. every source commits, in order.
//!
//! An update that changes no reference and no marking leaves every other row's access as it
//! was: it is made in the record's source alone ([`Store::update_in_place`]: that source's head
//! locked, the row read and written, its audit row), without reading the rest.
//!
//! A clash with a unique rule of the table (a cleanroom code used twice in a facility) rolls
//! everything back and is `Duplicate`.

use sea_orm::{DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait, SqlErr};
use uuid::Uuid;

use super::audit::{self, Actor, Entry, Operation};
use super::write::{begin_one, commit, row_by_id, write_whole, Held, Writing};
use super::{Caller, Dataset, Role, Source, Store, StoreError};

/// What a caller may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// Every record (an admin).
    Every,
    /// The records these institutions own (a data steward's one).
    Owned(Vec<Uuid>),
}

impl Grant {
    /// What `caller` may write; `None` for the roles that write nothing.
    pub fn of(caller: &Caller) -> Option<Grant> {
        match caller.role() {
            Role::Admin => Some(Grant::Every),
            Role::Steward => Some(Grant::Owned(
                caller
                    .institutions()
                    .iter()
                    .map(|institution| institution.id.0)
                    .collect(),
            )),
            Role::Public | Role::Partner | Role::Staff => None,
        }
    }

    /// Whether it covers a record owned by `owner` (`None`: a record every source keeps,
    /// which only an admin writes for now).
    pub fn covers(&self, owner: Option<Uuid>) -> bool {
        match (self, owner) {
            (Grant::Every, _) => true,
            (Grant::Owned(owned), Some(owner)) => owned.contains(&owner),
            (Grant::Owned(_), None) => false,
        }
    }
}

/// What an update does to a row.
pub type Patch<M> = Box<dyn FnOnce(&mut M) + Send>;

/// A change to one record of kind `E`.
pub enum Change<E: EntityTrait> {
    /// A new record, at version 1.
    Create(E::Model),
    /// The record `id`, at version `expected`, changed by `patch`.
    Update {
        id: Uuid,
        expected: i32,
        patch: Patch<E::Model>,
    },
    /// The record `id`, at version `expected`, deleted.
    Delete { id: Uuid, expected: i32 },
}

/// Why a change was not made: what the caller can correct.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused<M> {
    /// No record with that ID that the caller may write (it may exist, unseen or not theirs).
    NotFound,
    /// The record is at another version than the one named: here it is, as it is now.
    Stale(M),
    /// The new row would belong to an institution the caller does not write for.
    NotOwned,
    /// The new row clashes with another on a unique rule of its table.
    Duplicate,
}

/// What a change made: the record before and after it (`None` where it does not exist).
#[derive(Debug, Clone, PartialEq)]
pub struct Changed<M> {
    pub before: Option<M>,
    pub after: Option<M>,
}

impl Store {
    /// Makes `change` to a record of kind `E` for `actor`, whose grant is `grant`, in one
    /// transaction per source with its audit row; changes nothing when it is refused.
    pub(crate) async fn change<E>(
        &self,
        actor: &Actor,
        grant: &Grant,
        change: Change<E>,
    ) -> Result<Result<Changed<E::Model>, Refused<E::Model>>, StoreError>
    where
        E: Held,
        E::Model: ModelTrait<Entity = E> + Clone,
    {
        let change = match change {
            // A change that leaves every row's access as it was is made in its source alone.
            Change::Update {
                id,
                expected,
                patch,
            } if E::OWNER.is_some() => {
                match self
                    .update_in_place::<E>(actor, grant, id, expected, patch)
                    .await?
                {
                    InPlace::Done(result) => return Ok(result),
                    InPlace::Whole(after) => Change::Update {
                        id,
                        expected,
                        patch: Box::new(move |row| *row = after),
                    },
                }
            }
            other => other,
        };
        let mut writing = self.begin_writing().await?;
        let made = match plan::<E>(&mut writing, grant, change) {
            Ok(made) => made,
            // Dropping the transactions rolls them back.
            Err(refused) => return Ok(Err(refused)),
        };
        match apply::<E>(&writing, actor, &made).await {
            Ok(()) => {}
            Err(StoreError::Db(error)) if is_unique_violation(&error) => {
                return Ok(Err(Refused::Duplicate));
            }
            Err(error) => return Err(error),
        }
        commit(writing).await?;
        self.refresh_institutions().await?;
        Ok(Ok(made.changed))
    }
}

/// What an update in place came to: done (or refused), or to be made over the whole.
enum InPlace<M> {
    Done(Result<Changed<M>, Refused<M>>),
    /// The record as the update makes it, which changes access: for [`Store::change`]'s whole
    /// path, which checks its version again.
    Whole(M),
}

impl Store {
    /// Updates a record of an owned kind in the source that holds it, if the change leaves
    /// every row's access as it was ([`keeps_access`]): its source's audit head locked, the row
    /// read, checked and written with its search terms and text keys, the audit row appended.
    /// No other source and no other row is read.
    async fn update_in_place<E>(
        &self,
        actor: &Actor,
        grant: &Grant,
        id: Uuid,
        expected: i32,
        patch: Patch<E::Model>,
    ) -> Result<InPlace<E::Model>, StoreError>
    where
        E: Held,
        E::Model: ModelTrait<Entity = E> + Clone,
    {
        for source in self.sources() {
            let txn = begin_one(source).await?;
            // Dropping a transaction rolls it back.
            let Some(before) = row_by_id::<E>(&txn, id).await? else {
                continue;
            };
            if !grant.covers(E::owner_of(&before)) {
                return Ok(InPlace::Done(Err(Refused::NotFound)));
            }
            if E::version(&before) != expected {
                return Ok(InPlace::Done(Err(Refused::Stale(before))));
            }
            let mut after = before.clone();
            patch(&mut after);
            if !keeps_access::<E>(&before, &after) {
                return Ok(InPlace::Whole(after));
            }
            E::set_version(&mut after, expected + 1);
            let mut dataset = Dataset::default();
            E::held_mut(&mut dataset).push(after.clone());
            match dataset.write(&txn).await {
                Ok(()) => {}
                Err(StoreError::Db(error)) if is_unique_violation(&error) => {
                    return Ok(InPlace::Done(Err(Refused::Duplicate)));
                }
                Err(error) => return Err(error),
            }
            let changed = Changed {
                before: Some(before),
                after: Some(after),
            };
            if let Some(entry) = entry_of::<E>(actor, Operation::Update, &changed) {
                audit::append(&txn, &entry).await?;
            }
            txn.commit().await?;
            return Ok(InPlace::Done(Ok(changed)));
        }
        Ok(InPlace::Done(Err(Refused::NotFound)))
    }
}

/// Whether a change from `before` to `after` leaves every row's access as it was: it changes
/// no reference (no column holding an ID), no marking and no composed requirement, so no row's
/// requirement, no person's audiences and no one's contact details change.
fn keeps_access<E>(before: &E::Model, after: &E::Model) -> bool
where
    E: EntityTrait,
    E::Model: ModelTrait<Entity = E>,
{
    E::Column::iter().all(|column| {
        let value = before.get(column);
        let access = matches!(value, sea_orm::Value::Uuid(_))
            || matches!(
                column.as_str(),
                "visibility" | "partner_of" | "internal_of" | "read_by_public"
            );
        !access || value == after.get(column)
    })
}

/// A change checked against what the sources hold: the record before and after, and the
/// source it is written to.
struct Made<M> {
    changed: Changed<M>,
    operation: Operation,
    /// The index in `writing` of the source that holds the record.
    source: usize,
}

/// Checks `change` against what `writing` holds, and for a deletion removes the record from
/// the source's part (so that access is composed without it).
fn plan<E>(
    writing: &mut [Writing<'_>],
    grant: &Grant,
    change: Change<E>,
) -> Result<Made<E::Model>, Refused<E::Model>>
where
    E: Held,
    E::Model: Clone,
{
    match change {
        Change::Create(row) => {
            let owner = E::owner_of(&row);
            if !grant.covers(owner) {
                return Err(Refused::NotOwned);
            }
            let source = writing
                .iter()
                .position(|w| holds(w.source, owner))
                .ok_or(Refused::NotOwned)?;
            let id = E::id(&row);
            if writing
                .iter()
                .any(|w| E::held(&w.held).iter().any(|held| E::id(held) == id))
            {
                return Err(Refused::Duplicate);
            }
            Ok(Made {
                changed: Changed {
                    before: None,
                    after: Some(row),
                },
                operation: Operation::Create,
                source,
            })
        }
        Change::Update {
            id,
            expected,
            patch,
        } => {
            let (source, before) = find::<E>(writing, grant, id, expected)?;
            let mut after = before.clone();
            patch(&mut after);
            if !grant.covers(E::owner_of(&after)) {
                return Err(Refused::NotOwned);
            }
            if !holds(
                writing
                    .get(source)
                    .map(|w| w.source)
                    .ok_or(Refused::NotFound)?,
                E::owner_of(&after),
            ) {
                // Moving a record to an institution another source holds is not a change
                // one source can make.
                return Err(Refused::NotOwned);
            }
            E::set_version(&mut after, E::version(&before) + 1);
            Ok(Made {
                changed: Changed {
                    before: Some(before),
                    after: Some(after),
                },
                operation: Operation::Update,
                source,
            })
        }
        Change::Delete { id, expected } => {
            let (source, before) = find::<E>(writing, grant, id, expected)?;
            if let Some(w) = writing.get_mut(source) {
                E::held_mut(&mut w.held).retain(|held| E::id(held) != id);
            }
            Ok(Made {
                changed: Changed {
                    before: Some(before),
                    after: None,
                },
                operation: Operation::Delete,
                source,
            })
        }
    }
}

/// The record `id` of kind `E`, with the index of the source holding it: only one the grant
/// covers, at version `expected`.
fn find<E>(
    writing: &[Writing<'_>],
    grant: &Grant,
    id: Uuid,
    expected: i32,
) -> Result<(usize, E::Model), Refused<E::Model>>
where
    E: Held,
    E::Model: Clone,
{
    let (source, row) = writing
        .iter()
        .enumerate()
        .find_map(|(i, w)| {
            E::held(&w.held)
                .iter()
                .find(|row| E::id(row) == id)
                .map(|row| (i, row))
        })
        .ok_or(Refused::NotFound)?;
    if !grant.covers(E::owner_of(row)) {
        return Err(Refused::NotFound);
    }
    if E::version(row) != expected {
        return Err(Refused::Stale(row.clone()));
    }
    Ok((source, row.clone()))
}

/// Whether `source` holds records owned by `owner`.
fn holds(source: &Source, owner: Option<Uuid>) -> bool {
    match owner {
        Some(owner) => source.may_hold(Some(&[owner])),
        None => true,
    }
}

/// Writes a planned change and its audit row.
async fn apply<E>(
    writing: &[Writing<'_>],
    actor: &Actor,
    made: &Made<E::Model>,
) -> Result<(), StoreError>
where
    E: Held,
    E::Model: ModelTrait<Entity = E> + Clone,
{
    let Some(w) = writing.get(made.source) else {
        return Err(StoreError::Db(DbErr::Custom(
            "the source of a change is gone".to_owned(),
        )));
    };
    let names = [w.source.name()];
    let mut dataset = Dataset::default();
    match &made.changed.after {
        Some(after) => E::held_mut(&mut dataset).push(after.clone()),
        None => {
            if let Some(before) = &made.changed.before {
                super::write::delete::<E>(&w.txn, E::id(before)).await?;
            }
        }
    }
    write_whole(writing, &dataset, &names).await?;
    if let Some(entry) = entry_of::<E>(actor, made.operation, &made.changed) {
        audit::append(&w.txn, &entry).await?;
    }
    Ok(())
}

/// The audit log's entry of `changed`, by `actor`: the record as it is after the change (or
/// was before a deletion), with its images before and after.
fn entry_of<E>(actor: &Actor, operation: Operation, changed: &Changed<E::Model>) -> Option<Entry>
where
    E: Held,
    E::Model: ModelTrait<Entity = E>,
{
    let record = changed.after.as_ref().or(changed.before.as_ref())?;
    Some(Entry::of(
        actor,
        operation,
        E::KIND.name(),
        E::id(record),
        E::owner_of(record),
        changed.before.as_ref().map(audit::image::<E>),
        changed.after.as_ref().map(audit::image::<E>),
    ))
}

/// Whether a database refused a statement for a unique rule.
fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
