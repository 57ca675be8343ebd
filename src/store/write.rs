//! Writing records: the seed (and, later, imports and mutations) upsert whole datasets,
//! each record into the sources that hold its institution, in one transaction per source.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, EntityTrait, IdenStatic, IntoActiveModel, Iterable,
    TransactionTrait,
};
use uuid::Uuid;

use entities::{
    accreditation, appointment, cleanroom, institution, milestone, person, product, trial, unit,
};

use super::{Source, Store, StoreError};

/// Validated records, ready to be written.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The document the records come from, for the log.
    pub source: String,
    pub institutions: Vec<institution::Model>,
    pub units: Vec<unit::Model>,
    pub people: Vec<person::Model>,
    pub appointments: Vec<appointment::Model>,
    pub cleanrooms: Vec<cleanroom::Model>,
    pub products: Vec<product::Model>,
    pub trials: Vec<trial::Model>,
    pub accreditations: Vec<accreditation::Model>,
    pub milestones: Vec<milestone::Model>,
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

/// The rows whose institution `source` holds.
fn owned<M: Clone>(source: &Source, rows: &[M], institution: impl Fn(&M) -> Uuid) -> Vec<M> {
    rows.iter()
        .filter(|row| source.may_hold(Some(&[institution(row)])))
        .cloned()
        .collect()
}

impl Store {
    /// Writes every record of `dataset`, replacing records with the same IDs.
    pub async fn upsert(&self, dataset: &Dataset) -> Result<(), StoreError> {
        for source in self.sources() {
            let txn = source.connection().begin().await?;
            upsert::<institution::Entity>(
                &txn,
                owned(source, &dataset.institutions, |r: &institution::Model| r.id),
            )
            .await?;
            // A person's identity is shared: every source keeps it, under the same ID.
            upsert::<person::Entity>(&txn, dataset.people.clone()).await?;
            upsert::<unit::Entity>(
                &txn,
                owned(source, &dataset.units, |r: &unit::Model| r.institution_id),
            )
            .await?;
            upsert::<appointment::Entity>(
                &txn,
                owned(source, &dataset.appointments, |r: &appointment::Model| {
                    r.institution_id
                }),
            )
            .await?;
            upsert::<cleanroom::Entity>(
                &txn,
                owned(source, &dataset.cleanrooms, |r: &cleanroom::Model| {
                    r.institution_id
                }),
            )
            .await?;
            upsert::<product::Entity>(
                &txn,
                owned(source, &dataset.products, |r: &product::Model| {
                    r.institution_id
                }),
            )
            .await?;
            upsert::<trial::Entity>(
                &txn,
                owned(source, &dataset.trials, |r: &trial::Model| r.institution_id),
            )
            .await?;
            upsert::<accreditation::Entity>(
                &txn,
                owned(
                    source,
                    &dataset.accreditations,
                    |r: &accreditation::Model| r.institution_id,
                ),
            )
            .await?;
            upsert::<milestone::Entity>(
                &txn,
                owned(source, &dataset.milestones, |r: &milestone::Model| {
                    r.institution_id
                }),
            )
            .await?;
            txn.commit().await?;
        }
        self.refresh_institutions().await
    }
}
