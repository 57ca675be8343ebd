//! Writing records: the seed (and, later, imports and mutations) upsert whole datasets,
//! each record into the sources that hold its institution, in one transaction per source.
//! Writes are a door of their own: their transactions come from [`Source::begin_write`],
//! which only this module and startup maintenance may call, and they read no rows for a
//! caller.
//!
//! What a row requires of its readers depends on the records it references, which another
//! source may hold, and who may read a person on their appointments in every source
//! ([`super::access`]). So a write opens a transaction on every source, reads what each
//! holds, computes the requirements and the people's audiences from the whole (what is held,
//! with the records written in place of theirs), writes the records with theirs, corrects the
//! rows of every source whose requirement or audiences changed, and commits.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IdenStatic, IntoActiveModel,
    Iterable, QueryFilter,
};
use uuid::Uuid;

use super::access::{Access, Requirement};
use super::{HashMap, Source, Store, StoreError};
use entities::person_reader;

macro_rules! dataset {
    ($($kind:ident: $module:ident, $table:ident, $key:ident, $plural:ident, $owner:ident, $access:ident { $($column:ident),* };)*) => {
        /// Validated records, ready to be written.
        #[derive(Debug, Clone, Default)]
        pub struct Dataset {
            /// The document the records come from, for the log.
            pub source: String,
            $(pub $plural: Vec<entities::$module::Model>,)*
        }

        impl Dataset {
            /// Every record of one source, read whole in `txn`: what a write composes access
            /// from, and what index tables are written from when they are missing (startup
            /// maintenance, never a request).
            pub(super) async fn read_all(txn: &DatabaseTransaction) -> Result<Dataset, StoreError> {
                Ok(Dataset {
                    source: String::new(),
                    $($plural: read_table::<entities::$module::Entity>(txn).await?,)*
                })
            }

            /// Writes the index rows of every record: the search terms when `search`, the
            /// text keys when `text_keys`.
            pub(super) async fn index(
                &self,
                txn: &DatabaseTransaction,
                search: bool,
                text_keys: bool,
            ) -> Result<(), StoreError> {
                $(
                    if search {
                        super::search::index(txn, &self.$plural).await?;
                    }
                    if text_keys {
                        super::text_key::index::<super::$table>(txn, &self.$plural).await?;
                    }
                )*
                Ok(())
            }

            /// The records `source` holds of these: those of its institutions, and every shared
            /// one.
            fn held_by(&self, source: &Source) -> Dataset {
                Dataset {
                    source: self.source.clone(),
                    $($plural: owned(source, &self.$plural, |row: &entities::$module::Model| {
                        owner!(row, $owner)
                    }),)*
                }
            }

            /// Every record of `parts`, one per ID: a later part's in place of an earlier's.
            fn whole<'a>(parts: impl IntoIterator<Item = &'a Dataset> + Clone) -> Dataset {
                Dataset {
                    source: String::new(),
                    $($plural: by_id(parts.clone().into_iter().map(|part| &part.$plural)),)*
                }
            }

            /// Gives each row what `access` says it requires.
            fn require(&mut self, access: &Access) {
                $(require!($access, self.$plural, $module, access);)*
            }

            /// The IDs of the rows whose stored requirement is not what `access` says, by
            /// table and requirement, leaving out the rows whose IDs are in `written`.
            fn changed(
                &self,
                access: &Access,
                written: &BTreeSet<Uuid>,
            ) -> HashMap<(&'static str, Requirement), Vec<Uuid>> {
                let mut changed: HashMap<(&'static str, Requirement), Vec<Uuid>> =
                    HashMap::default();
                $(changed!($access, self.$plural, $module, access, written, changed);)*
                changed
            }

            /// The IDs of every record.
            fn ids(&self) -> BTreeSet<Uuid> {
                let mut ids = BTreeSet::new();
                $(ids.extend(self.$plural.iter().map(|row| row.id));)*
                ids
            }

            /// Writes every record, replacing the rows with the same IDs, with its search terms
            /// and text keys.
            async fn write(&self, txn: &DatabaseTransaction) -> Result<(), StoreError> {
                $(
                    super::search::index(txn, &self.$plural).await?;
                    super::text_key::index::<super::$table>(txn, &self.$plural).await?;
                    upsert::<entities::$module::Entity>(txn, self.$plural.clone()).await?;
                )*
                Ok(())
            }
        }
    };
}

/// The institution owning `row`, by the catalog's owner column; `None` when shared.
macro_rules! owner {
    ($row:ident, shared) => {{
        let _ = $row;
        None
    }};
    ($row:ident, $column:ident) => {
        Some($row.$column)
    };
}

/// Sets the requirement of each row of a `marked` kind; other kinds have none.
macro_rules! require {
    (marked, $rows:expr, $module:ident, $access:ident) => {
        for row in &mut $rows {
            let requirement = $access.requirement(stringify!($module), Some(row.id));
            row.partner_of = requirement.partner_of;
            row.internal_of = requirement.internal_of;
        }
    };
    ($other:ident, $rows:expr, $module:ident, $access:ident) => {};
}

/// Collects the rows of a `marked` kind whose stored requirement is not the computed one.
macro_rules! changed {
    (marked, $rows:expr, $module:ident, $access:ident, $written:ident, $changed:ident) => {
        for row in &$rows {
            let requirement = $access.requirement(stringify!($module), Some(row.id));
            let stored = Requirement {
                partner_of: row.partner_of,
                internal_of: row.internal_of,
            };
            if stored != requirement && !$written.contains(&row.id) {
                $changed
                    .entry((stringify!($module), requirement))
                    .or_default()
                    .push(row.id);
            }
        }
    };
    ($other:ident, $rows:expr, $module:ident, $access:ident, $written:ident, $changed:ident) => {};
}

crate::catalog::for_each_kind!(dataset);

/// One source in a write: its transaction, what it held before, and the people's audiences
/// it kept.
struct Writing<'s> {
    source: &'s Source,
    txn: DatabaseTransaction,
    held: Dataset,
    readers: Vec<person_reader::Model>,
}

impl Store {
    /// Writes every record of `dataset`, replacing records with the same IDs: in each
    /// source the records of its institutions, and every shared record, with their
    /// search terms, text keys and access (what each row requires of its readers, and who
    /// reads each person, in every source).
    pub async fn upsert(&self, dataset: &Dataset) -> Result<(), StoreError> {
        let all: Vec<&str> = self.sources().iter().map(Source::name).collect();
        self.upsert_into(dataset, &all).await
    }

    /// As [`Store::upsert`], into the sources with these names only. The access of every
    /// source's rows is composed again from the whole, and written where it changed.
    #[expect(
        clippy::disallowed_methods,
        reason = "writes take their transaction from the source"
    )]
    pub async fn upsert_into(&self, dataset: &Dataset, names: &[&str]) -> Result<(), StoreError> {
        let mut writing = Vec::new();
        for source in self.sources() {
            let txn = source.begin_write().await?;
            let held = Dataset::read_all(&txn).await?;
            let readers = read_table::<person_reader::Entity>(&txn).await?;
            writing.push(Writing {
                source,
                txn,
                held,
                readers,
            });
        }
        let written: Vec<Dataset> = writing
            .iter()
            .map(|w| {
                if names.contains(&w.source.name()) {
                    dataset.held_by(w.source)
                } else {
                    Dataset::default()
                }
            })
            .collect();
        let access = Access::of(&Dataset::whole(
            writing.iter().map(|w| &w.held).chain(&written),
        ));
        for (w, mut rows) in writing.iter().zip(written) {
            rows.require(&access);
            rows.write(&w.txn).await?;
            let ids = rows.ids();
            for ((table, requirement), changed) in w.held.changed(&access, &ids) {
                update_requirement(&w.txn, table, requirement, &changed).await?;
            }
            let people = w.held.people.iter().chain(&rows.people).map(|p| p.id);
            write_readers(&w.txn, &access, people, &w.readers).await?;
        }
        for w in writing {
            w.txn.commit().await?;
        }
        self.refresh_institutions().await
    }
}

/// Every row of a table.
#[expect(
    clippy::disallowed_methods,
    reason = "writes and startup maintenance read whole tables to compose access and rebuild index rows, for no caller"
)]
async fn read_table<E: EntityTrait>(
    txn: &DatabaseTransaction,
) -> Result<Vec<E::Model>, StoreError> {
    Ok(E::find().all(txn).await?)
}

/// Rows per INSERT: keeps every statement under SQLite's bound-parameter limit.
const CHUNK: usize = 400;

/// Inserts `rows`, replacing every column of rows whose ID exists already.
async fn upsert<E>(txn: &DatabaseTransaction, rows: Vec<E::Model>) -> Result<(), StoreError>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let (ids, others): (Vec<E::Column>, Vec<E::Column>) =
        E::Column::iter().partition(|c| c.as_str() == "id");
    let mut on_conflict = OnConflict::columns(ids);
    on_conflict.update_columns(others);
    for chunk in rows.chunks(CHUNK) {
        E::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .on_conflict(on_conflict.clone())
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// `UPDATE <table> SET partner_of = …, internal_of = … WHERE id IN (<ids>)`.
async fn update_requirement(
    txn: &DatabaseTransaction,
    table: &'static str,
    requirement: Requirement,
    ids: &[Uuid],
) -> Result<(), StoreError> {
    use sea_orm::sea_query::{Alias, ExprTrait, Query};
    use sea_orm::ConnectionTrait;
    for chunk in ids.chunks(CHUNK) {
        let mut update = Query::update();
        update
            .table(Alias::new(table))
            .value(Alias::new("partner_of"), requirement.partner_of)
            .value(Alias::new("internal_of"), requirement.internal_of)
            .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().copied()));
        txn.execute(&update).await?;
    }
    Ok(())
}

/// Writes the audiences `access` gives each of `people` where they are not those `kept`: the
/// person's rows are replaced.
async fn write_readers(
    txn: &DatabaseTransaction,
    access: &Access,
    people: impl Iterator<Item = Uuid>,
    kept: &[person_reader::Model],
) -> Result<(), StoreError> {
    let mut stored: HashMap<Uuid, BTreeSet<&str>> = HashMap::default();
    for row in kept {
        stored.entry(row.person_id).or_default().insert(&row.reader);
    }
    let mut changed = BTreeSet::new();
    let mut rows = Vec::new();
    for person in people {
        let readers = access.readers(person);
        let same = stored.get(&person).is_some_and(|kept| {
            kept.len() == readers.len() && readers.iter().all(|r| kept.contains(r.as_str()))
        });
        if same || (readers.is_empty() && !stored.contains_key(&person)) {
            continue;
        }
        if changed.insert(person) {
            rows.extend(readers.into_iter().map(|reader| person_reader::Model {
                person_id: person,
                reader,
            }));
        }
    }
    let changed: Vec<Uuid> = changed.into_iter().collect();
    for chunk in changed.chunks(CHUNK) {
        person_reader::Entity::delete_many()
            .filter(person_reader::Column::PersonId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    for chunk in rows.chunks(CHUNK) {
        person_reader::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// The rows whose institution `source` holds, and the shared rows (no institution).
fn owned<M: Clone>(
    source: &Source,
    rows: &[M],
    institution: impl Fn(&M) -> Option<Uuid>,
) -> Vec<M> {
    rows.iter()
        .filter(|row| match institution(row) {
            Some(owner) => source.may_hold(Some(&[owner])),
            None => true,
        })
        .cloned()
        .collect()
}

/// A record of the catalog, by its ID.
trait Identified {
    fn id(&self) -> Uuid;
}

macro_rules! identified {
    ($($kind:ident: $module:ident, $table:ident, $key:ident, $plural:ident, $owner:ident, $access:ident { $($column:ident),* };)*) => {$(
        impl Identified for entities::$module::Model {
            fn id(&self) -> Uuid {
                self.id
            }
        }
    )*};
}

crate::catalog::for_each_kind!(identified);

/// The rows of `parts`, one per ID, a later part's in place of an earlier's.
fn by_id<'a, M: Identified + Clone + 'a>(parts: impl Iterator<Item = &'a Vec<M>>) -> Vec<M> {
    let mut rows: HashMap<Uuid, M> = HashMap::default();
    for part in parts {
        for row in part {
            rows.insert(row.id(), row.clone());
        }
    }
    rows.into_values().collect()
}
