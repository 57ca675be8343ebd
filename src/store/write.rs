//! Writing records: the seed (and, later, imports and mutations) upsert whole datasets,
//! each record into the sources that hold its institution, in one transaction per source.
//! Writes are a door of their own: their transactions come from [`Source::begin_write`],
//! which only this module and startup maintenance may call, and they read no rows for a
//! caller.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, EntityTrait, IdenStatic, IntoActiveModel, Iterable,
};
use uuid::Uuid;

use super::{Source, Store, StoreError};

macro_rules! dataset {
    ($($kind:ident: $module:ident, $table:ident, $key:ident, $plural:ident, $owner:ident { $($column:ident),* };)*) => {
        /// Validated records, ready to be written.
        #[derive(Debug, Clone, Default)]
        pub struct Dataset {
            /// The document the records come from, for the log.
            pub source: String,
            $(pub $plural: Vec<entities::$module::Model>,)*
        }

        impl Store {
            /// Writes every record of `dataset`, replacing records with the same IDs: in each
            /// source the records of its institutions, and every shared record, with their
            /// search terms and text keys, and the institutions each person is appointed at
            /// (every pair of the dataset, in every source: see [`contacts_of`]).
            pub async fn upsert(&self, dataset: &Dataset) -> Result<(), StoreError> {
                let all: Vec<&str> = self.sources().iter().map(Source::name).collect();
                self.upsert_into(dataset, &all).await
            }

            /// As [`Store::upsert`], into the sources with these names only.
            #[expect(
                clippy::disallowed_methods,
                reason = "writes take their transaction from the source"
            )]
            pub async fn upsert_into(
                &self,
                dataset: &Dataset,
                names: &[&str],
            ) -> Result<(), StoreError> {
                let contacts = contacts_of(&dataset.appointments);
                for source in self.sources() {
                    if !names.contains(&source.name()) {
                        continue;
                    }
                    let txn = source.begin_write().await?;
                    write_contacts(&txn, &contacts).await?;
                    $(
                        let rows = owned(source, &dataset.$plural, |row: &entities::$module::Model| {
                            owner!(row, $owner)
                        });
                        super::search::index(&txn, &rows).await?;
                        super::text_key::index::<super::$table>(&txn, &rows).await?;
                        upsert::<entities::$module::Entity>(&txn, rows).await?;
                    )*
                    txn.commit().await?;
                }
                self.refresh_institutions().await
            }
        }

        impl Dataset {
            /// Every record of one source, read whole in `txn`: what its index tables are
            /// written from when they are missing (startup maintenance, never a request).
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

crate::catalog::for_each_kind!(dataset);

/// Every row of a table.
#[expect(
    clippy::disallowed_methods,
    reason = "startup maintenance reads whole tables to rebuild their index rows, for no caller"
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

/// The rows of `person_contact` for these appointments: each person with each institution
/// they have an appointment at, current or ended, once. Every source keeps every person, but
/// only its own institutions' appointments, so every source gets every pair: the cell rule of
/// contact details ([`super::scope`]) then reads only the source the person is read from.
/// Pairs are added, never removed: no write deletes an appointment or moves it to another
/// person or institution.
pub(super) fn contacts_of(
    appointments: &[entities::appointment::Model],
) -> Vec<entities::person_contact::Model> {
    let mut pairs: Vec<(Uuid, Uuid)> = appointments
        .iter()
        .map(|appointment| (appointment.person_id, appointment.institution_id))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
        .into_iter()
        .map(
            |(person_id, institution_id)| entities::person_contact::Model {
                person_id,
                institution_id,
            },
        )
        .collect()
}

/// Adds these pairs to `person_contact`, leaving those it holds already.
pub(super) async fn write_contacts(
    txn: &DatabaseTransaction,
    contacts: &[entities::person_contact::Model],
) -> Result<(), StoreError> {
    use entities::person_contact::{Column, Entity};
    for chunk in contacts.chunks(CHUNK) {
        Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .on_conflict(
            OnConflict::columns([Column::PersonId, Column::InstitutionId])
                .do_nothing()
                .to_owned(),
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
