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

use crate::catalog::{CatalogKind, Marking, ReadBy};

use super::access::{Access, Requirement};
use super::{HashMap, Source, Store, StoreError};
use entities::person_reader;

macro_rules! dataset {
    ($($kind:ident, $module:ident, $table:ident, $key:ident, $plural:ident;)*) => {
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
                    $($plural: owned(source, &self.$plural, <entities::$module::Entity as CatalogKind>::owner_of),)*
                }
            }

            /// Every record of `parts`, one per ID: a later part's in place of an earlier's.
            fn whole<'a>(parts: impl IntoIterator<Item = &'a Dataset> + Clone) -> Dataset {
                Dataset {
                    source: String::new(),
                    $($plural: by_id::<entities::$module::Entity>(parts.clone().into_iter().map(|part| &part.$plural)),)*
                }
            }

            /// Gives each row what `access` says it requires.
            fn require(&mut self, access: &Access) {
                $(require::<entities::$module::Entity>(&mut self.$plural, access);)*
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
                $(changed_of::<entities::$module::Entity>(&self.$plural, access, written, &mut changed);)*
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
            pub(super) async fn write(&self, txn: &DatabaseTransaction) -> Result<(), StoreError> {
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

/// Gives each row of kind `E` what `access` says it requires (its kind's marking).
fn require<E: CatalogKind>(rows: &mut [E::Model], access: &Access) {
    for row in rows {
        let id = E::id(row);
        let marking = match E::KIND.access() {
            ReadBy::Open => return,
            ReadBy::Marked => {
                let requirement = access.requirement(E::KIND.table(), Some(id));
                Marking::Marked {
                    partner_of: requirement.partner_of,
                    internal_of: requirement.internal_of,
                }
            }
            ReadBy::Appointed => Marking::Appointed {
                read_by_public: access.read_by_public(id),
            },
        };
        E::mark(row, marking);
    }
}

/// Collects the rows of kind `E` whose stored requirement is not the one `access` computes,
/// leaving out those in `written`; only `marked` kinds store one.
fn changed_of<E: CatalogKind>(
    rows: &[E::Model],
    access: &Access,
    written: &BTreeSet<Uuid>,
    changed: &mut HashMap<(&'static str, Requirement), Vec<Uuid>>,
) {
    for row in rows {
        let Marking::Marked {
            partner_of,
            internal_of,
        } = E::marking(row)
        else {
            return;
        };
        let id = E::id(row);
        let requirement = access.requirement(E::KIND.table(), Some(id));
        let stored = Requirement {
            partner_of,
            internal_of,
        };
        if stored != requirement && !written.contains(&id) {
            changed
                .entry((E::KIND.table(), requirement))
                .or_default()
                .push(id);
        }
    }
}

crate::catalog::kind_names!(dataset);

/// The rows of one kind in a [`Dataset`].
pub(crate) trait Held: CatalogKind {
    fn held(dataset: &Dataset) -> &Vec<Self::Model>;
    fn held_mut(dataset: &mut Dataset) -> &mut Vec<Self::Model>;
}

macro_rules! held {
    ($($kind:ident, $module:ident, $table:ident, $key:ident, $plural:ident;)*) => {
        $(
            impl Held for entities::$module::Entity {
                fn held(dataset: &Dataset) -> &Vec<Self::Model> {
                    &dataset.$plural
                }

                fn held_mut(dataset: &mut Dataset) -> &mut Vec<Self::Model> {
                    &mut dataset.$plural
                }
            }
        )*
    };
}

crate::catalog::kind_names!(held);

/// One source in a write: its transaction, what it held before, and the people's audiences
/// it kept.
pub(super) struct Writing<'s> {
    pub(super) source: &'s Source,
    pub(super) txn: DatabaseTransaction,
    pub(super) held: Dataset,
    readers: Vec<person_reader::Model>,
}

impl Store {
    /// Writes every record of `dataset`, replacing records with the same IDs: in each
    /// source the records of its institutions, and every shared record, with their
    /// search terms, text keys and access (what each row requires of its readers, and who
    /// reads each person, in every source), and the institutions each person is appointed at
    /// (every pair of the whole, in every source written: see [`contacts_of`]).
    pub async fn upsert(&self, dataset: &Dataset) -> Result<(), StoreError> {
        let all: Vec<&str> = self.sources().iter().map(Source::name).collect();
        self.upsert_into(dataset, &all).await
    }

    /// As [`Store::upsert`], into the sources with these names only. The access of every
    /// source's rows is composed again from the whole, and written where it changed.
    pub async fn upsert_into(&self, dataset: &Dataset, names: &[&str]) -> Result<(), StoreError> {
        let writing = self.begin_writing().await?;
        write_whole(&writing, dataset, names).await?;
        commit(writing).await?;
        self.refresh_institutions().await
    }

    /// Opens a write on every source, in their order: a transaction, its audit chain's head
    /// locked (so that writes to a source are one at a time, and no two writes wait for each
    /// other across sources), and what the source holds, read whole.
    #[expect(
        clippy::disallowed_methods,
        reason = "writes take their transaction from the source"
    )]
    pub(super) async fn begin_writing(&self) -> Result<Vec<Writing<'_>>, StoreError> {
        let mut writing = Vec::new();
        for source in self.sources() {
            let txn = source.begin_write().await?;
            super::audit::lock(&txn).await?;
            let held = Dataset::read_all(&txn).await?;
            let readers = read_table::<person_reader::Entity>(&txn).await?;
            writing.push(Writing {
                source,
                txn,
                held,
                readers,
            });
        }
        Ok(writing)
    }
}

/// Commits every source's transaction, in their order.
pub(super) async fn commit(writing: Vec<Writing<'_>>) -> Result<(), StoreError> {
    for w in writing {
        w.txn.commit().await?;
    }
    Ok(())
}

/// Writes `dataset` into the sources named `names` of `writing`, with what each source holds
/// in place of the rows it replaces, and corrects the access of every source's rows that the
/// whole then composes otherwise.
pub(super) async fn write_whole(
    writing: &[Writing<'_>],
    dataset: &Dataset,
    names: &[&str],
) -> Result<(), StoreError> {
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
    let whole = Dataset::whole(writing.iter().map(|w| &w.held).chain(&written));
    let access = Access::of(&whole);
    let contacts = contacts_of(&whole.appointments);
    for (w, mut rows) in writing.iter().zip(written) {
        if names.contains(&w.source.name()) {
            write_contacts(&w.txn, &contacts).await?;
        }
        rows.require(&access);
        rows.write(&w.txn).await?;
        let ids = rows.ids();
        for ((table, requirement), changed) in w.held.changed(&access, &ids) {
            update_requirement(&w.txn, table, requirement, &changed).await?;
        }
        let people = w.held.people.iter().chain(&rows.people).map(|p| p.id);
        write_readers(&w.txn, &access, people, &w.readers).await?;
    }
    Ok(())
}

/// The row of kind `E` with this ID in the source `txn` writes to, if it holds one.
#[expect(
    clippy::disallowed_methods,
    reason = "a write reads the row it changes in its own transaction, for no caller"
)]
pub(super) async fn row_by_id<E: CatalogKind>(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> Result<Option<E::Model>, StoreError> {
    use sea_orm::sea_query::{Alias, ExprTrait};
    Ok(E::find()
        .filter(Expr::col((Alias::new(E::KIND.table()), Alias::new("id"))).eq(id))
        .one(txn)
        .await?)
}

/// Opens a write on one source: a transaction with its audit head locked (see
/// [`Store::begin_writing`], which opens one on every source).
#[expect(
    clippy::disallowed_methods,
    reason = "writes take their transaction from the source"
)]
pub(super) async fn begin_one(source: &Source) -> Result<DatabaseTransaction, StoreError> {
    let txn = source.begin_write().await?;
    super::audit::lock(&txn).await?;
    Ok(txn)
}

/// Deletes the record `id` of kind `E` from the source `txn` writes to, with its search terms
/// and text keys.
pub(super) async fn delete<E: CatalogKind>(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::{Alias, ExprTrait, Query};
    use sea_orm::ConnectionTrait;
    for table in [super::search::TABLE, super::text_key::TABLE] {
        let mut delete = Query::delete();
        delete
            .from_table(Alias::new(table))
            .and_where(Expr::col(Alias::new("record_id")).eq(id));
        txn.execute(&delete).await?;
    }
    let mut delete = Query::delete();
    delete
        .from_table(Alias::new(E::KIND.table()))
        .and_where(Expr::col(Alias::new("id")).eq(id));
    txn.execute(&delete).await?;
    Ok(())
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

/// The column every record's version is kept in.
pub(super) const VERSION: &str = "version";

/// Rows per INSERT: keeps every statement under SQLite's bound-parameter limit.
const CHUNK: usize = 400;

/// Inserts `rows`, replacing every column of rows whose ID exists already, whose version
/// goes up by one.
async fn upsert<E>(txn: &DatabaseTransaction, rows: Vec<E::Model>) -> Result<(), StoreError>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let (ids, others): (Vec<E::Column>, Vec<E::Column>) =
        E::Column::iter().partition(|c| c.as_str() == "id");
    let (versions, others): (Vec<E::Column>, Vec<E::Column>) =
        others.into_iter().partition(|c| c.as_str() == VERSION);
    let mut on_conflict = OnConflict::columns(ids);
    on_conflict.update_columns(others);
    for version in versions {
        on_conflict.value(
            version,
            sea_orm::sea_query::ExprTrait::add(Expr::col((E::default(), version)), 1),
        );
    }
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
    // Whether the public reads them, on the people's own rows.
    let (public, not): (Vec<Uuid>, Vec<Uuid>) = changed
        .iter()
        .partition(|person| access.read_by_public(**person));
    for (read_by_public, people) in [(true, public), (false, not)] {
        for chunk in people.chunks(CHUNK) {
            entities::person::Entity::update_many()
                .col_expr(
                    entities::person::Column::ReadByPublic,
                    Expr::value(read_by_public),
                )
                .filter(entities::person::Column::Id.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
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

/// The rows of `parts`, one per ID, a later part's in place of an earlier's.
fn by_id<'a, K: CatalogKind>(parts: impl Iterator<Item = &'a Vec<K::Model>>) -> Vec<K::Model>
where
    K::Model: Clone,
{
    let mut rows: HashMap<Uuid, K::Model> = HashMap::default();
    for part in parts {
        for row in part {
            rows.insert(K::id(row), row.clone());
        }
    }
    rows.into_values().collect()
}

#[cfg(test)]
mod tests {
    use entities::enums::Visibility;

    use super::super::access::audiences;
    use super::super::testing::{self, institution};
    use super::super::Role;
    use super::*;
    use crate::domain::{natural_id, RecordKind};

    /// What each source holds: its records and its people's audiences.
    #[expect(
        clippy::disallowed_methods,
        reason = "the test reads every source whole"
    )]
    async fn held(store: &Store) -> Vec<(Dataset, Vec<person_reader::Model>)> {
        let mut held = Vec::new();
        for source in store.sources() {
            let txn = source.begin_write().await.unwrap();
            let records = Dataset::read_all(&txn).await.unwrap();
            let readers = read_table::<person_reader::Entity>(&txn).await.unwrap();
            txn.rollback().await.unwrap();
            held.push((records, readers));
        }
        held
    }

    /// Callers of every role, for KI, KUH or both.
    fn callers() -> Vec<(Role, Vec<Uuid>)> {
        let (ki, kuh) = (institution("KI"), institution("KUH"));
        let mut callers = vec![(Role::Public, vec![]), (Role::Admin, vec![])];
        for role in [Role::Partner, Role::Staff] {
            for institutions in [vec![ki], vec![kuh], vec![ki, kuh]] {
                callers.push((role, institutions));
            }
        }
        callers
    }

    /// The requirement a row holds.
    fn stored(partner_of: Option<Uuid>, internal_of: Option<Uuid>) -> Requirement {
        Requirement {
            partner_of,
            internal_of,
        }
    }

    /// An owned row: its table, ID, owner, marking, stored requirement and the owned records
    /// it references.
    struct Owned {
        table: &'static str,
        id: Uuid,
        owner: Uuid,
        visibility: Visibility,
        requirement: Requirement,
        references: Vec<(&'static str, Uuid)>,
    }

    /// Every owned row of `data`.
    fn owned_rows(data: &Dataset) -> Vec<Owned> {
        let mut rows = Vec::new();
        macro_rules! rows {
            ($plural:ident, $table:literal, |$row:ident| $references:expr) => {
                for $row in &data.$plural {
                    let references: Vec<(&'static str, Option<Uuid>)> = $references;
                    rows.push(Owned {
                        table: $table,
                        id: $row.id,
                        owner: $row.institution_id,
                        visibility: $row.visibility,
                        requirement: stored($row.partner_of, $row.internal_of),
                        references: references
                            .into_iter()
                            .filter_map(|(table, id)| Some((table, id?)))
                            .collect(),
                    });
                }
            };
        }
        rows!(units, "unit", |row| vec![("unit", row.parent_id)]);
        rows!(appointments, "appointment", |row| vec![(
            "unit",
            row.unit_id
        )]);
        rows!(cleanrooms, "cleanroom", |row| vec![(
            "unit",
            Some(row.unit_id)
        )]);
        rows!(products, "product", |row| vec![("unit", row.unit_id)]);
        rows!(trials, "trial", |row| vec![
            ("product", row.product_id),
            ("unit", row.manufacturing_unit_id)
        ]);
        rows!(accreditations, "accreditation", |row| vec![(
            "unit",
            Some(row.unit_id)
        )]);
        rows!(milestones, "milestone", |row| vec![("unit", row.unit_id)]);
        rows
    }

    /// Asserts that each source holds the requirements and audiences composed from the whole
    /// of what every source holds, and that they keep the rules' promises: a caller reading a
    /// row meets its own marking and reads every record it references; a caller reads a person
    /// exactly when it reads one of their appointments, or, for a person with none, when it is
    /// staff or an admin.
    async fn assert_composed(store: &Store, layout: &str) {
        let held = held(store).await;
        let whole = Dataset::whole(held.iter().map(|(records, _)| records));
        let access = Access::of(&whole);
        let all = owned_rows(&whole);
        let by_id: HashMap<(&str, Uuid), Requirement> = all
            .iter()
            .map(|row| ((row.table, row.id), row.requirement))
            .collect();
        let mut marked = 0;
        for row in &all {
            let what = format!("{layout}: {} {}", row.table, row.id);
            assert_eq!(
                row.requirement,
                access.requirement(row.table, Some(row.id)),
                "{what}"
            );
            marked += usize::from(row.visibility != Visibility::Public);
            for (role, institutions) in callers() {
                if !row.requirement.is_met_by(role, &institutions) {
                    continue;
                }
                let own = Requirement::marked(row.visibility, row.owner);
                assert!(own.is_met_by(role, &institutions), "{what}");
                for reference in &row.references {
                    if let Some(referenced) = by_id.get(reference) {
                        assert!(
                            referenced.is_met_by(role, &institutions),
                            "{what} reads {reference:?} for {role:?}"
                        );
                    }
                }
            }
        }
        assert!(marked > 50, "{layout}: {marked} records marked");
        let mut appointments: HashMap<Uuid, Vec<Requirement>> = HashMap::default();
        for appointment in &whole.appointments {
            appointments
                .entry(appointment.person_id)
                .or_default()
                .push(stored(appointment.partner_of, appointment.internal_of));
        }
        for (records, readers) in &held {
            for person in &records.people {
                let kept: BTreeSet<String> = readers
                    .iter()
                    .filter(|row| row.person_id == person.id)
                    .map(|row| row.reader.clone())
                    .collect();
                assert_eq!(kept, access.readers(person.id), "{layout}: {}", person.id);
                for (role, institutions) in callers() {
                    let read = audiences(role, &institutions)
                        .is_none_or(|audiences| audiences.iter().any(|a| kept.contains(a)));
                    let expected = match appointments.get(&person.id) {
                        Some(appointed) => appointed
                            .iter()
                            .any(|requirement| requirement.is_met_by(role, &institutions)),
                        None => matches!(role, Role::Staff | Role::Admin),
                    };
                    assert_eq!(read, expected, "{layout}: {} for {role:?}", person.id);
                }
            }
        }
    }

    /// Generated records of every marking over the seed.
    fn mixed() -> Dataset {
        testing::mixed_visibility(24)
    }

    /// The ATMP Center's steering group (KI's, with KUH appointments in it), marked `marking`.
    fn steering_group(marking: Visibility) -> Dataset {
        let mut seed = crate::seed::dataset().unwrap();
        let id = natural_id(RecordKind::Unit, "ATMP-STEERING-GROUP");
        seed.units.retain(|unit| unit.id == id);
        assert_eq!(seed.units.len(), 1);
        seed.units[0].visibility = marking;
        Dataset {
            units: seed.units,
            ..Dataset::default()
        }
    }

    #[tokio::test]
    async fn every_source_holds_the_access_composed_from_the_whole_after_every_write() {
        let mut stores = vec![
            ("one database", testing::seeded().await),
            ("two sources", testing::seeded_split().await),
        ];
        if let Some(postgres) = testing::seeded_postgres(
            "every_source_holds_the_access_composed_from_the_whole_after_every_write",
        )
        .await
        {
            stores.push(("PostgreSQL", postgres));
        }
        for (layout, test_store) in stores {
            let store = &test_store.store;
            store.upsert(&mixed()).await.unwrap();
            assert_composed(store, layout).await;

            // A unit alone, written again with another marking: the KUH appointments in it
            // (in KUH's source, over two) and the people they place follow it.
            store
                .upsert(&steering_group(Visibility::Internal))
                .await
                .unwrap();
            assert_composed(store, layout).await;
            let held = held(store).await;
            let whole = Dataset::whole(held.iter().map(|(records, _)| records));
            let unit = natural_id(RecordKind::Unit, "ATMP-STEERING-GROUP");
            let in_it: Vec<_> = whole
                .appointments
                .iter()
                .filter(|a| a.unit_id == Some(unit) && a.institution_id == institution("KUH"))
                .collect();
            assert!(in_it.len() >= 4, "{layout}");
            assert!(
                in_it
                    .iter()
                    .all(|a| a.internal_of == Some(institution("KI"))
                        && a.visibility == Visibility::Public),
                "{layout}"
            );

            store
                .upsert(&steering_group(Visibility::Public))
                .await
                .unwrap();
            assert_composed(store, layout).await;
        }
    }

    #[tokio::test]
    async fn a_database_written_before_the_audiences_of_people_gets_them_at_startup() {
        for (layout, test_store) in [
            ("one database", testing::seeded().await),
            ("two sources", testing::seeded_split().await),
        ] {
            let store = &test_store.store;
            store.upsert(&mixed()).await.unwrap();
            let before = held(store).await;
            for source in store.sources() {
                #[expect(clippy::disallowed_methods, reason = "the test empties a table")]
                let txn = source.begin_write().await.unwrap();
                person_reader::Entity::delete_many()
                    .exec(&txn)
                    .await
                    .unwrap();
                txn.commit().await.unwrap();
            }

            crate::app::prepare(store).await.unwrap();

            let after = held(store).await;
            for ((_, kept), (_, written)) in before.iter().zip(&after) {
                let sorted = |rows: &[person_reader::Model]| {
                    let mut rows: Vec<_> = rows
                        .iter()
                        .map(|row| (row.person_id, row.reader.clone()))
                        .collect();
                    rows.sort();
                    rows
                };
                assert!(!kept.is_empty(), "{layout}");
                assert_eq!(sorted(kept), sorted(written), "{layout}");
            }
            assert_composed(store, layout).await;
        }
    }
}
