//! What a plan's reads found: kept while the plan is fetched ([`Fetching`]), then read only
//! ([`Fetched`]).

use std::any::{Any, TypeId};
use std::cell::Cell;
use std::sync::{Arc, Mutex, MutexGuard};

use uuid::Uuid;

use super::super::decode::{Columns, Row};
use super::super::list::{ChildPages, Kind, Listable};
use super::super::{Group, HashMap, JoinedRow, Page, StoreError, StoreLoader, Unanswered};

/// Names one read of a plan: a reference's records, a relation's pages and counts, or a root's
/// list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadId(usize);

/// Hands out a plan's read IDs, each once.
#[derive(Debug, Default)]
pub struct ReadIds(Cell<usize>);

impl ReadIds {
    /// A read ID not handed out before.
    pub fn next(&self) -> ReadId {
        let id = self.0.get();
        self.0.set(id + 1);
        ReadId(id)
    }
}

/// Why a read has no result.
#[derive(Debug, Clone)]
pub enum ReadFailure {
    /// The store failed to read it.
    Store(Arc<StoreError>),
    /// The plan itself went wrong (a bug, not the caller's doing), as this says.
    Internal(String),
}

impl From<StoreError> for ReadFailure {
    fn from(error: StoreError) -> Self {
        ReadFailure::Store(Arc::new(error))
    }
}

impl From<Arc<StoreError>> for ReadFailure {
    fn from(error: Arc<StoreError>) -> Self {
        ReadFailure::Store(error)
    }
}

/// A read's result, or why it has none.
pub type ReadResult<T> = Result<T, ReadFailure>;

/// The records one read asked for by ID.
pub struct FoundRecords<M> {
    /// The records found, by ID: none where the ID names no record the caller may read.
    pub rows: HashMap<Uuid, Row<M>>,
    /// The IDs no source that answered holds, with a source that did not answer (the record
    /// may sit there).
    pub unavailable: HashMap<Uuid, Unanswered>,
}

/// A list's page, and its count when one was asked for (0 otherwise).
pub struct FoundList<M> {
    pub page: Page<M>,
    pub count: u64,
}

/// Rows of one table by ID; `None` where the ID names no row the caller may see, and the source
/// that did not answer where no source that answered holds it.
type Known<L> = HashMap<Uuid, Result<Option<Row<<L as Kind>::Model>>, Unanswered>>;

/// Whether what is known of a row serves a read of `columns`: its absence or unavailability,
/// or a row read with every one of them (a row read with fewer is read again).
fn serves<M>(known: &Result<Option<Row<M>>, Unanswered>, columns: Columns) -> bool {
    match known {
        Ok(Some(row)) => row.has(columns),
        Ok(None) | Err(_) => true,
    }
}

/// A value of some type, found again by its type.
type Typed = Box<dyn Any + Send + Sync>;

/// What a plan is fetched with: the caller's reads, the columns read of each table, the rows
/// read by ID so far (so that a record referenced at several levels or by several fields is
/// read once), and each read's result.
pub struct Fetching<'s> {
    loader: &'s StoreLoader,
    /// The columns of each table that the plan reads anywhere: every read of a table selects
    /// them all, so that a row kept for the request serves each of its fields. A row kept with
    /// fewer (none should be) is not served from the rows by ID: it is read again.
    columns: HashMap<&'static str, Columns>,
    known: Mutex<HashMap<TypeId, Typed>>,
    /// The rows by ID being read now, by their table's `Known` type: each ends (its sender
    /// dropped) when its read is over.
    reading: Mutex<HashMap<(TypeId, Uuid), tokio::sync::watch::Receiver<()>>>,
    reads: Mutex<HashMap<ReadId, Typed>>,
}

/// Takes a lock whose holder panicked as it is: what it guards is only ever inserted into.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl<'s> Fetching<'s> {
    /// A fetch through `loader`, reading these columns of each table.
    pub fn new(loader: &'s StoreLoader, columns: HashMap<&'static str, Columns>) -> Self {
        Fetching {
            loader,
            columns,
            known: Mutex::new(HashMap::default()),
            reading: Mutex::new(HashMap::default()),
            reads: Mutex::new(HashMap::default()),
        }
    }

    /// The caller's reads.
    pub fn loader(&self) -> &'s StoreLoader {
        self.loader
    }

    /// The columns of `L` to read: those the plan's fields of `L` read, and the ID.
    pub fn columns<L: Listable>(&self) -> Columns {
        self.columns
            .get(L::TABLE)
            .copied()
            .unwrap_or_else(Columns::id)
    }

    fn with_known<L: Listable, V>(&self, use_known: impl FnOnce(&mut Known<L>) -> V) -> V {
        let mut known = lock(&self.known);
        let entry = known
            .entry(TypeId::of::<Known<L>>())
            .or_insert_with(|| Box::new(Known::<L>::default()));
        match entry.downcast_mut::<Known<L>>() {
            Some(known) => use_known(known),
            // Unreachable: each entry is keyed by its own type.
            None => use_known(&mut Known::<L>::default()),
        }
    }

    /// Reads the rows of `L` with these IDs that were not read yet, or not with every column
    /// the plan reads of `L`. IDs another read of this fetch is reading already are waited
    /// for, not read twice, so that the reads of a kind that branches of the plan make at
    /// once take one statement.
    pub async fn read<L: Listable>(&self, ids: &[Uuid]) -> Result<(), StoreError> {
        let (done, _) = tokio::sync::watch::channel(());
        let (missing, reading) = self.claim::<L>(ids, &done);
        if !missing.is_empty() {
            let found = self
                .loader
                .records::<L>(&missing, self.columns::<L>())
                .await;
            self.with_known::<L, _>(|known| {
                if let Ok(found) = &found {
                    for id in &missing {
                        known.insert(*id, found.get(id));
                    }
                }
            });
            self.unmark_reading::<L>(&missing);
            found?;
        }
        if reading.is_empty() {
            return Ok(());
        }
        for mut other in reading {
            // Ended whether it read or was dropped; what it did not read is read below.
            let _ = other.changed().await;
        }
        let left = self.unserved::<L>(ids);
        if left.is_empty() {
            return Ok(());
        }
        let found = self.loader.records::<L>(&left, self.columns::<L>()).await?;
        self.with_known::<L, _>(|known| {
            for id in left {
                known.insert(id, found.get(&id));
            }
        });
        Ok(())
    }

    /// The IDs of `L` among `ids` that no row known serves, each once.
    fn unserved<L: Listable>(&self, ids: &[Uuid]) -> Vec<Uuid> {
        let columns = self.columns::<L>();
        let mut missing: Vec<Uuid> = self.with_known::<L, _>(|known| {
            ids.iter()
                .filter(|id| !known.get(id).is_some_and(|row| serves(row, columns)))
                .copied()
                .collect()
        });
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    /// The IDs of `L` among `ids` to read now, marked as being read until `done` is dropped,
    /// and the reads under way of the others that no known row serves.
    fn claim<L: Listable>(
        &self,
        ids: &[Uuid],
        done: &tokio::sync::watch::Sender<()>,
    ) -> (Vec<Uuid>, Vec<tokio::sync::watch::Receiver<()>>) {
        let unserved = self.unserved::<L>(ids);
        let mut reading = lock(&self.reading);
        let (mut missing, mut others) = (Vec::new(), Vec::new());
        for id in unserved {
            let key = (TypeId::of::<Known<L>>(), id);
            match reading.get(&key) {
                Some(other) => others.push(other.clone()),
                None => {
                    reading.insert(key, done.subscribe());
                    missing.push(id);
                }
            }
        }
        (missing, others)
    }

    fn unmark_reading<L: Listable>(&self, ids: &[Uuid]) {
        let mut reading = lock(&self.reading);
        for id in ids {
            reading.remove(&(TypeId::of::<Known<L>>(), *id));
        }
    }

    /// Keeps the rows of `L` a join read (but where a row read with every column the plan
    /// reads of `L` is kept already), and returns them.
    pub fn keep<L: Listable>(&self, found: &HashMap<Uuid, JoinedRow>) -> Vec<Row<L::Model>> {
        let rows: Vec<Row<L::Model>> = found
            .values()
            .filter_map(|row| row.downcast_ref::<Row<L::Model>>().cloned())
            .collect();
        let columns = self.columns::<L>();
        self.with_known::<L, _>(|known| {
            for row in &rows {
                let id = L::id(row);
                let served = matches!(known.get(&id), Some(Ok(Some(kept))) if kept.has(columns));
                if !served {
                    known.insert(id, Ok(Some(row.clone())));
                }
            }
        });
        rows
    }

    /// Keeps these IDs of `L` as naming no row the caller may read, where nothing is known of
    /// them yet: an authoritative join did not find them
    /// ([`Join::found_all`](super::super::Join::found_all)), so no read by ID would.
    pub fn absent<L: Listable>(&self, ids: impl Iterator<Item = Uuid>) {
        self.with_known::<L, _>(|known| {
            for id in ids {
                known.entry(id).or_insert(Ok(None));
            }
        });
    }

    /// The rows of `L` with these IDs, once read, and the IDs whose rows may sit in a source
    /// that did not answer.
    pub fn records<L: Listable>(&self, ids: &[Uuid]) -> FoundRecords<L::Model> {
        self.with_known::<L, _>(|known| {
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
            FoundRecords { rows, unavailable }
        })
    }

    /// Keeps the result of `read`, for the answer to be rendered from.
    pub fn keep_result<T: Send + Sync + 'static>(&self, read: ReadId, result: ReadResult<T>) {
        lock(&self.reads).insert(read, Box::new(result));
    }

    /// Ends the fetch: what every read found.
    pub fn finish(self) -> Fetched {
        let reads = match self.reads.into_inner() {
            Ok(reads) => reads,
            Err(poisoned) => poisoned.into_inner(),
        };
        Fetched { reads }
    }
}

/// What a plan's reads found, by read: the one place a planned answer is rendered from.
pub struct Fetched {
    reads: HashMap<ReadId, Typed>,
}

impl Fetched {
    fn result<T: 'static>(&self, read: ReadId) -> Option<&ReadResult<T>> {
        self.reads
            .get(&read)
            .and_then(|result| result.downcast_ref::<ReadResult<T>>())
    }

    /// The records `read` found by ID; `None` when it was not read (its level had no rows).
    pub fn records<L: Listable>(
        &self,
        read: ReadId,
    ) -> Option<&ReadResult<FoundRecords<L::Model>>> {
        self.result(read)
    }

    /// A relation's pages and counts for its parents; `None` when it was not read (its level
    /// had no rows, or only `__typename` was selected).
    pub fn pages<L: Listable>(&self, read: ReadId) -> Option<&ReadResult<ChildPages<L::Model>>> {
        self.result(read)
    }

    /// An aggregate's groups; `None` when it was not read.
    pub fn groups(&self, read: ReadId) -> Option<&ReadResult<Vec<Group>>> {
        self.result(read)
    }

    /// A search's hits; `None` when they were not read.
    pub fn hits(&self, read: ReadId) -> Option<&ReadResult<super::FoundHits>> {
        self.result(read)
    }

    /// A list's page and count; `None` when it was not read.
    pub fn list<L: Listable>(&self, read: ReadId) -> Option<&ReadResult<FoundList<L::Model>>> {
        self.result(read)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::decode::columns;
    use crate::store::testing::{a_listed_cleanroom, seeded};
    use crate::store::{Cleanrooms, Scope};
    use entities::cleanroom;

    #[tokio::test]
    async fn a_row_kept_with_fewer_columns_than_the_plan_reads_is_read_again_never_served() {
        let test_store = seeded().await;
        let loader = StoreLoader::scoped(test_store.store.clone(), Scope::default()).await;
        let row = a_listed_cleanroom(&loader).await;
        let id = row.id;
        let planned = columns!(cleanroom::Model: code, grade, unit_id);
        let fetching = Fetching::new(
            &loader,
            [(Cleanrooms::TABLE, planned)].into_iter().collect(),
        );
        // A join of another reference read the row with its code alone.
        let narrow = Row::new(row.into_model(), columns!(cleanroom::Model: code));
        let joined: JoinedRow = Arc::new(narrow);
        fetching.keep::<Cleanrooms>(&[(id, joined)].into_iter().collect());

        let before = test_store.statements();
        if let Err(error) = fetching.read::<Cleanrooms>(&[id]).await {
            panic!("the cleanroom was not read: {error}");
        }
        let read_again = test_store.statements() - before;
        let served = fetching.records::<Cleanrooms>(&[id]);
        // Read with every column the plan reads, the row is kept, and a narrower one found by
        // a later join does not replace it.
        let whole: JoinedRow = Arc::new(Row::new(
            cleanroom_of(&served, id),
            columns!(cleanroom::Model: code),
        ));
        fetching.keep::<Cleanrooms>(&[(id, whole)].into_iter().collect());
        let kept = fetching.records::<Cleanrooms>(&[id]);

        assert_eq!(read_again, 1);
        for found in [served, kept] {
            let Some(row) = found.rows.get(&id) else {
                panic!("the cleanroom was not served")
            };
            assert!(row.has(planned), "{:?}", row.columns());
        }
    }

    fn cleanroom_of(found: &FoundRecords<cleanroom::Model>, id: Uuid) -> cleanroom::Model {
        match found.rows.get(&id) {
            Some(row) => row.clone().into_model(),
            None => panic!("the cleanroom was not served"),
        }
    }
}
