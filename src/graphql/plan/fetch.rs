//! What a plan is fetched with: the caller's reads, the columns read of each table, and the rows
//! read by ID so far.

use std::any::{Any, TypeId};
use std::sync::Mutex;

use uuid::Uuid;

use super::{Record, Row};
use crate::store::{
    Columns, HashMap, JoinedRow, Kind, Listable, StoreError, StoreLoader, Unanswered,
};

/// What a plan is fetched with: the caller's reads, and the rows read by ID so far, so that
/// a record referenced at several levels or by several fields is read once.
pub(crate) struct Fetch<'s> {
    pub(super) reads: &'s StoreLoader,
    by_id: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
    /// The columns of each table that the plan reads anywhere: every read of a table
    /// selects them all, so that a row kept for the request serves each of its fields.
    columns: HashMap<&'static str, Columns>,
}

/// Rows of one table by ID; `None` where the ID names no row the caller may see, and the source
/// that did not answer where no source that answered holds it.
pub(super) type Known<T> = HashMap<Uuid, Result<Option<Row<T>>, Unanswered>>;

impl<'s> Fetch<'s> {
    pub(super) fn new(reads: &'s StoreLoader, columns: HashMap<&'static str, Columns>) -> Self {
        Fetch {
            reads,
            by_id: Mutex::new(HashMap::default()),
            columns,
        }
    }

    /// The columns of `L` to read: those the plan's fields of `L` read, and the ID.
    pub(super) fn columns<L: Listable>(&self) -> Columns {
        self.columns
            .get(L::TABLE)
            .copied()
            .unwrap_or_else(|| Columns::of::<L::Model>(&[]))
    }

    fn with_known<T: Record, V>(&self, use_known: impl FnOnce(&mut Known<T>) -> V) -> V {
        let mut by_id = match self.by_id.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let entry = by_id
            .entry(TypeId::of::<Known<T>>())
            .or_insert_with(|| Box::new(Known::<T>::default()));
        match entry.downcast_mut::<Known<T>>() {
            Some(known) => use_known(known),
            // Unreachable: each entry is keyed by its own type.
            None => use_known(&mut Known::<T>::default()),
        }
    }

    /// Reads the rows of `T` with these IDs that were not read yet.
    pub(super) async fn read<T: Record>(&self, ids: &[Uuid]) -> Result<(), StoreError> {
        let mut missing: Vec<Uuid> = self.with_known::<T, _>(|known| {
            ids.iter()
                .filter(|id| !known.contains_key(id))
                .copied()
                .collect()
        });
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        let found = self
            .reads
            .records::<T::Table>(&missing, self.columns::<T::Table>())
            .await?;
        self.with_known::<T, _>(|known| {
            for id in missing {
                known.insert(id, found.get(&id));
            }
        });
        Ok(())
    }

    /// Keeps the rows of `T` a join read, and returns them.
    pub(super) fn keep<T: Record>(&self, found: &HashMap<Uuid, JoinedRow>) -> Vec<Row<T>> {
        let rows: Vec<Row<T>> = found
            .values()
            .filter_map(|row| row.clone().downcast::<<T::Table as Kind>::Model>().ok())
            .collect();
        self.with_known::<T, _>(|known| {
            for row in &rows {
                known.insert(T::Table::id(row), Ok(Some(row.clone())));
            }
        });
        rows
    }

    /// Keeps these IDs of `T` as naming no row the caller may read, where nothing is known of
    /// them yet: an authoritative join did not find them ([`Join::found_all`](crate::store::Join::found_all)), so no read by
    /// ID would.
    pub(super) fn absent<T: Record>(&self, ids: impl Iterator<Item = Uuid>) {
        self.with_known::<T, _>(|known| {
            for id in ids {
                known.entry(id).or_insert(Ok(None));
            }
        });
    }

    /// The rows of `T` with these IDs, once read, and the IDs whose rows may sit in a source
    /// that did not answer.
    pub(super) fn rows<T: Record>(
        &self,
        ids: &[Uuid],
    ) -> (HashMap<Uuid, Row<T>>, HashMap<Uuid, Unanswered>) {
        self.with_known::<T, _>(|known| {
            let (mut rows, mut unavailable) = (HashMap::default(), HashMap::default());
            for id in ids {
                match known.get(id) {
                    Some(Ok(Some(row))) => {
                        rows.insert(*id, row.clone());
                    }
                    Some(Err(source)) => {
                        unavailable.insert(*id, source.clone());
                    }
                    Some(Ok(None)) | None => {}
                }
            }
            (rows, unavailable)
        })
    }
}
