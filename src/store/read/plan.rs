//! The read plan and its execution: what a request reads, level by level, as plain data (which
//! kind, which references to join or read by ID, which relations with their queries, paged or
//! counted), and the executor that reads it into [`Fetching`]. Each level is at most one
//! statement per source for every parent row at once: the references of one level to one kind
//! are read by ID together, the relations of one level are branches of one statement, and a
//! list's to-one references are joined into the statement that reads the list.

use std::any::TypeId;
use std::marker::PhantomData;
use std::sync::Arc;

use futures::future::{join_all, BoxFuture};
use uuid::Uuid;

use super::super::children::{Branch, RelationBranch};
use super::super::decode::Row;
use super::super::list::{ChildPages, Kind, ListQuery, Listable, QueryOf, Relation};
use super::super::{
    GroupColumn, GroupKind, GroupValue, InstitutionFilter, Institutions, Join, Measure, Page,
    PageRequest, SearchPage, SearchQuery, StoreError,
};
use super::fetched::{Fetching, FoundList, FoundRecords, ReadFailure, ReadId, ReadResult};

/// A row of `L`, shared between the levels that read it and the answer.
pub type RowOf<L> = Row<<L as Kind>::Model>;

/// Something followed from each row of `P` at one level: a reference or a relation. It reads
/// what every parent row needs at once, then the level below.
pub trait Follow<P: Listable>: Send + Sync {
    /// For a reference to one record: its kind and the IDs `parents` name, so that the
    /// references of one level to one kind are read in one statement.
    fn references(&self, _parents: &[RowOf<P>]) -> Option<(TypeId, Vec<Uuid>)> {
        None
    }

    /// Reads the rows with these IDs of the kind [`Follow::references`] names into the fetch's
    /// rows by ID.
    fn read<'s>(&'s self, _fetch: &'s Fetching<'s>, _ids: Vec<Uuid>) -> BoxFuture<'s, ()> {
        Box::pin(async {})
    }

    /// For a reference: the join that reads it, and the references below it, with the parent
    /// rows' own statement.
    fn join(&self, _fetch: &Fetching<'_>) -> Option<Join> {
        None
    }

    /// Keeps the rows `join` read for `parents` (and those of the joins below it, which read
    /// `below`), for the fetch to find.
    fn joined(
        &self,
        _join: &Join,
        _below: Vec<Join>,
        _fetch: &Fetching<'_>,
        _parents: &[RowOf<P>],
    ) {
    }

    /// Fetches what every parent row needs, then the levels below. A failure is kept as the
    /// read's result, for each parent row that selects the field to report.
    fn fetch<'s>(&'s self, fetch: &'s Fetching<'s>, parents: &'s [RowOf<P>]) -> BoxFuture<'s, ()>;

    /// This relation's pages (or only its counts) as a branch of its level's statement, read
    /// with its siblings'; `None` when it reads neither (then [`Follow::fetch`] reads what it
    /// needs).
    fn branch(&self, _fetch: &Fetching<'_>) -> Option<Box<dyn Branch>> {
        None
    }

    /// Takes its branch back once the level's statement has run, then fetches the level below.
    fn branched<'s>(
        &'s self,
        _fetch: &'s Fetching<'s>,
        _read: Result<Box<dyn Branch>, Arc<StoreError>>,
    ) -> BoxFuture<'s, ()> {
        Box::pin(async {})
    }
}

/// What is read of the rows of `L` at one level: the references and relations followed from
/// them (their columns are the plan's columns of `L`, read by every read of `L`).
pub struct RowsOf<L: Listable> {
    follows: Vec<Box<dyn Follow<L>>>,
}

impl<L: Listable> Default for RowsOf<L> {
    fn default() -> Self {
        RowsOf {
            follows: Vec::new(),
        }
    }
}

impl<L: Listable> RowsOf<L> {
    /// Follows a reference or a relation from every row too.
    pub fn follow(&mut self, follow: Box<dyn Follow<L>>) {
        self.follows.push(follow);
    }

    fn references<'f>(
        &'f self,
        fetch: &'f Fetching<'_>,
    ) -> impl Iterator<Item = (&'f dyn Follow<L>, Join)> + 'f {
        self.follows
            .iter()
            .filter_map(move |follow| follow.join(fetch).map(|join| (follow.as_ref(), join)))
    }

    /// The joins that read these rows' references with their own statement: one per column,
    /// however many fields (aliases) follow it, with all their joins below.
    pub fn joins(&self, fetch: &Fetching<'_>) -> Vec<Join> {
        let mut joins: Vec<Join> = Vec::new();
        for (_, join) in self.references(fetch) {
            match joins.iter_mut().find(|j| j.same_reference(&join)) {
                Some(same) => same.below.extend(join.below),
                None => joins.push(join),
            }
        }
        joins
    }

    /// Keeps what [`RowsOf::joins`] read from `rows`: each reference takes its column's rows
    /// and, in order, the joins below that it added.
    pub fn joined(&self, mut joins: Vec<Join>, fetch: &Fetching<'_>, rows: &[RowOf<L>]) {
        for (follow, mine) in self.references(fetch) {
            if let Some(same) = joins.iter_mut().find(|j| j.same_reference(&mine)) {
                let count = mine.below.len().min(same.below.len());
                let below = same.below.drain(..count).collect();
                follow.joined(same, below, fetch, rows);
            }
        }
    }

    /// Fetches everything followed from these rows: references to one kind in one read, then
    /// each reference's level below; relations alongside, as branches of one statement.
    pub async fn fetch(&self, fetch: &Fetching<'_>, rows: &[RowOf<L>]) {
        if rows.is_empty() {
            return;
        }
        let mut references = Vec::new();
        let mut others = Vec::new();
        for follow in &self.follows {
            match follow.references(rows) {
                Some((kind, ids)) => references.push((kind, ids, follow)),
                None => others.push(follow),
            }
        }
        let references = async {
            let mut kinds: Vec<(TypeId, Vec<Uuid>, usize)> = Vec::new();
            for (index, (kind, ids, _)) in references.iter().enumerate() {
                match kinds.iter_mut().find(|(k, _, _)| k == kind) {
                    Some((_, all, _)) => all.extend(ids),
                    None => kinds.push((*kind, ids.clone(), index)),
                }
            }
            join_all(kinds.into_iter().filter_map(|(_, ids, index)| {
                references
                    .get(index)
                    .map(|(_, _, follow)| follow.read(fetch, ids))
            }))
            .await;
            join_all(
                references
                    .iter()
                    .map(|(_, _, follow)| follow.fetch(fetch, rows)),
            )
            .await;
        };
        let others = async {
            // Every relation of this level that pages is a branch of one statement.
            let mut paged = Vec::new();
            let mut branches = Vec::new();
            let mut rest = Vec::new();
            for follow in others {
                match follow.branch(fetch) {
                    Some(branch) => {
                        paged.push(follow);
                        branches.push(branch);
                    }
                    None => rest.push(follow),
                }
            }
            let read = if branches.is_empty() {
                Ok(())
            } else {
                let mut ids: Vec<Uuid> = rows.iter().map(|row| L::id(row)).collect();
                ids.sort_unstable();
                ids.dedup();
                let mut each: Vec<&mut dyn Branch> =
                    branches.iter_mut().map(|branch| branch.as_mut()).collect();
                fetch
                    .loader()
                    .child_pages_together(&ids, &mut each)
                    .await
                    .map_err(Arc::new)
            };
            let below = paged
                .into_iter()
                .zip(branches)
                .map(|(follow, branch)| follow.branched(fetch, read.clone().map(|()| branch)));
            let rest = rest.into_iter().map(|follow| follow.fetch(fetch, rows));
            join_all(below.chain(rest)).await;
        };
        futures::join!(references, others);
    }
}

/// The joins of several selections on the same rows (a connection's `nodes` and its edges'
/// `node`), in order.
fn joins_of<L: Listable>(selections: &[RowsOf<L>], fetch: &Fetching<'_>) -> Vec<Join> {
    selections
        .iter()
        .flat_map(|rows| rows.joins(fetch))
        .collect()
}

/// Keeps what [`joins_of`] read from `rows`, in the same order.
fn joined_of<L: Listable>(
    selections: &[RowsOf<L>],
    joins: Vec<Join>,
    fetch: &Fetching<'_>,
    rows: &[RowOf<L>],
) {
    let mut joins = joins.into_iter();
    for selection in selections {
        let count = selection.joins(fetch).len();
        selection.joined(joins.by_ref().take(count).collect(), fetch, rows);
    }
}

/// Fetches what several selections on the same rows follow.
async fn fetch_of<L: Listable>(selections: &[RowsOf<L>], fetch: &Fetching<'_>, rows: &[RowOf<L>]) {
    join_all(
        selections
            .iter()
            .map(|selection| selection.fetch(fetch, rows)),
    )
    .await;
}

/// Records of `L` by ID, and what is followed from them.
pub struct ByIdRead<L: Listable> {
    /// The read, whose [`FoundRecords`] (or failure) is kept under this ID.
    pub read: ReadId,
    rows: RowsOf<L>,
}

impl<L: Listable> ByIdRead<L> {
    /// The read `read` of records of `L`, with `rows` followed from them.
    pub fn new(read: ReadId, rows: RowsOf<L>) -> Self {
        ByIdRead { read, rows }
    }

    /// Reads these records (those not read yet), then what is followed from them.
    pub async fn fetch(&self, fetch: &Fetching<'_>, ids: &[Uuid]) -> Result<(), StoreError> {
        fetch.read::<L>(ids).await?;
        let records = fetch.records::<L>(ids);
        let rows: Vec<RowOf<L>> = records.rows.values().cloned().collect();
        fetch.keep_result(self.read, Ok(records));
        self.rows.fetch(fetch, &rows).await;
        Ok(())
    }
}

/// A to-one reference from rows of `P` to a record of `L`: joined into its parents' statement
/// where it can be, else read by ID for the whole level.
pub struct ReferenceRead<P: Listable, L: Listable> {
    key: fn(&P::Model) -> Option<Uuid>,
    /// The column of `P` holding the key, to join on.
    column: &'static str,
    target: ByIdRead<L>,
}

impl<P: Listable, L: Listable> ReferenceRead<P, L> {
    /// The reference through `column` (whose value `key` reads) to the records `target` reads.
    pub fn new(
        key: fn(&P::Model) -> Option<Uuid>,
        column: &'static str,
        target: ByIdRead<L>,
    ) -> Self {
        ReferenceRead {
            key,
            column,
            target,
        }
    }

    fn ids(&self, parents: &[RowOf<P>]) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = parents.iter().filter_map(|p| (self.key)(p)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

impl<P: Listable, L: Listable> Follow<P> for ReferenceRead<P, L> {
    fn join(&self, fetch: &Fetching<'_>) -> Option<Join> {
        Some(Join::to::<L>(
            self.column,
            fetch.columns::<L>(),
            self.target.rows.joins(fetch),
        ))
    }

    fn joined(&self, join: &Join, below: Vec<Join>, fetch: &Fetching<'_>, parents: &[RowOf<P>]) {
        let found = fetch.keep::<L>(&join.found);
        if join.found_all() {
            // What the join did not find is hidden from the caller (or dangling): reading it
            // by ID would cost a statement and find nothing.
            let ids = self.ids(parents);
            fetch.absent::<L>(ids.into_iter().filter(|id| !join.found.contains_key(id)));
        }
        self.target.rows.joined(below, fetch, &found);
    }

    fn references(&self, parents: &[RowOf<P>]) -> Option<(TypeId, Vec<Uuid>)> {
        Some((TypeId::of::<L>(), self.ids(parents)))
    }

    fn read<'s>(&'s self, fetch: &'s Fetching<'s>, ids: Vec<Uuid>) -> BoxFuture<'s, ()> {
        // A failure here is met again, and kept, by each reference's own fetch.
        Box::pin(async move {
            let _ = fetch.read::<L>(&ids).await;
        })
    }

    fn fetch<'s>(&'s self, fetch: &'s Fetching<'s>, parents: &'s [RowOf<P>]) -> BoxFuture<'s, ()> {
        Box::pin(async move {
            let ids = self.ids(parents);
            if let Err(error) = self.target.fetch(fetch, &ids).await {
                fetch.keep_result::<FoundRecords<L::Model>>(self.target.read, Err(error.into()));
            }
        })
    }
}

/// Relation `R` followed from rows of `P`: its pages (when `paged`) and counts (when
/// `counted`) for every parent row, read as a branch of the level's statement, and what is
/// followed from the pages' rows (one selection each for `nodes` and edges' `node`).
pub struct RelationRead<P: Listable, R: Relation> {
    /// The read, whose [`ChildPages`] (or failure) is kept under
    /// this ID.
    pub read: ReadId,
    query: QueryOf<R::Child>,
    paged: bool,
    counted: bool,
    rows: Vec<RowsOf<R::Child>>,
    parent: PhantomData<fn() -> P>,
}

impl<P: Listable, R: Relation> RelationRead<P, R> {
    /// The read `read` of what `query` asks of relation `R`: its pages when `paged`, its
    /// counts when `counted`, and the selections `rows` on the pages' rows.
    pub fn new(
        read: ReadId,
        query: QueryOf<R::Child>,
        paged: bool,
        counted: bool,
        rows: Vec<RowsOf<R::Child>>,
    ) -> Self {
        RelationRead {
            read,
            query,
            paged,
            counted,
            rows,
            parent: PhantomData,
        }
    }

    /// Keeps the read's failure, for each parent row to report.
    fn failed(&self, fetch: &Fetching<'_>, failure: ReadFailure) {
        fetch.keep_result::<ChildPages<<R::Child as Kind>::Model>>(self.read, Err(failure));
    }
}

impl<P: Listable, R: Relation> Follow<P> for RelationRead<P, R> {
    /// Nothing of its own to read: its pages and counts are a branch of its level's
    /// statement ([`Follow::branch`]).
    fn fetch<'s>(
        &'s self,
        _fetch: &'s Fetching<'s>,
        _parents: &'s [RowOf<P>],
    ) -> BoxFuture<'s, ()> {
        Box::pin(async {})
    }

    fn branch(&self, fetch: &Fetching<'_>) -> Option<Box<dyn Branch>> {
        if !(self.paged || self.counted) {
            return None;
        }
        // The rows' references are read in the pages' own statement where possible.
        let branch = RelationBranch::<R>::new(
            self.query.clone(),
            joins_of(&self.rows, fetch),
            self.paged,
            self.counted,
            fetch.columns::<R::Child>(),
        );
        match branch {
            Ok(branch) => Some(Box::new(branch)),
            Err(error) => {
                self.failed(fetch, error.into());
                None
            }
        }
    }

    fn branched<'s>(
        &'s self,
        fetch: &'s Fetching<'s>,
        read: Result<Box<dyn Branch>, Arc<StoreError>>,
    ) -> BoxFuture<'s, ()> {
        Box::pin(async move {
            let branch = match read {
                Ok(branch) => branch.into_any().downcast::<RelationBranch<R>>(),
                Err(error) => {
                    self.failed(fetch, error.into());
                    return;
                }
            };
            let Ok(mut branch) = branch else {
                self.failed(
                    fetch,
                    ReadFailure::Internal(format!(
                        "{}: a branch of another relation came back",
                        R::NAME
                    )),
                );
                return;
            };
            let joins = std::mem::take(&mut branch.joins);
            let pages = branch.take_pages();
            let rows: Vec<RowOf<R::Child>> = pages
                .pages
                .values()
                .flat_map(|page| page.rows.iter().cloned())
                .collect();
            joined_of(&self.rows, joins, fetch, &rows);
            fetch.keep_result(self.read, Ok(pages));
            fetch_of(&self.rows, fetch, &rows).await;
        })
    }
}

/// A top-level list of `L`: its page (when `paged`) and count (when `counted`), and what is
/// followed from the page's rows.
pub struct ListRead<L: Listable> {
    /// The read, whose [`FoundList`] is kept under this ID.
    pub read: ReadId,
    query: QueryOf<L>,
    paged: bool,
    counted: bool,
    rows: Vec<RowsOf<L>>,
}

impl<L: Listable> ListRead<L> {
    /// The read `read` of what `query` asks of the list of `L`: its page when `paged`, its
    /// count when `counted`, and the selections `rows` on the page's rows.
    pub fn new(
        read: ReadId,
        query: QueryOf<L>,
        paged: bool,
        counted: bool,
        rows: Vec<RowsOf<L>>,
    ) -> Self {
        ListRead {
            read,
            query,
            paged,
            counted,
            rows,
        }
    }

    /// Reads the page (with its rows' references joined in where possible) or only the count,
    /// then what is followed from the page's rows.
    pub async fn fetch(&self, fetch: &Fetching<'_>) -> Result<(), StoreError> {
        let mut joins = joins_of(&self.rows, fetch);
        let (page, count) = if self.paged {
            fetch
                .loader()
                .page_joined::<L>(&self.query, &mut joins, self.counted, fetch.columns::<L>())
                .await?
        } else if self.counted {
            let (count, missing) = fetch.loader().count_partly::<L>(&self.query.filter).await?;
            let mut page = Page::default();
            page.missing = missing;
            (page, count)
        } else {
            (Page::default(), 0)
        };
        let rows: Vec<RowOf<L>> = page.rows.clone();
        joined_of(&self.rows, joins, fetch, &rows);
        fetch.keep_result(self.read, Ok(FoundList { page, count }));
        fetch_of(&self.rows, fetch, &rows).await;
        Ok(())
    }
}

/// Every institution the caller may see, by code, and what is followed from them.
pub struct InstitutionsRead {
    /// The read, whose [`FoundList`] is kept under this ID.
    pub read: ReadId,
    /// The largest page a client may ask for: the most institutions listed.
    max: u64,
    rows: RowsOf<Institutions>,
}

impl InstitutionsRead {
    /// The read `read` of at most `max` institutions, with `rows` followed from them.
    pub fn new(read: ReadId, max: u64, rows: RowsOf<Institutions>) -> Self {
        InstitutionsRead { read, max, rows }
    }

    /// Reads the institutions, then what is followed from them.
    pub async fn fetch(&self, fetch: &Fetching<'_>) -> Result<(), StoreError> {
        let query = ListQuery {
            filter: InstitutionFilter,
            order: Vec::new(),
            page: PageRequest::first(self.max),
        };
        let page = fetch.loader().page::<Institutions>(&query).await?;
        let rows: Vec<RowOf<Institutions>> = page.rows.clone();
        fetch.keep_result(self.read, Ok(FoundList { page, count: 0 }));
        self.rows.fetch(fetch, &rows).await;
        Ok(())
    }
}

/// Records of some kind by ID ([`ByIdRead`]), whichever the kind.
pub trait AnyByIdRead: Send + Sync {
    /// Reads these records (those not read yet), then what is followed from them.
    fn fetch<'s>(
        &'s self,
        fetch: &'s Fetching<'s>,
        ids: Vec<Uuid>,
    ) -> BoxFuture<'s, Result<(), StoreError>>;

    /// Reads these records (those not read yet) and nothing below them, so that the reads of
    /// one kind take one statement.
    fn read<'s>(&'s self, fetch: &'s Fetching<'s>, ids: Vec<Uuid>) -> BoxFuture<'s, ()>;

    /// As [`AnyByIdRead::fetch`], keeping a failure as the read's result.
    fn fetch_or_fail<'s>(&'s self, fetch: &'s Fetching<'s>, ids: Vec<Uuid>) -> BoxFuture<'s, ()>;
}

impl<L: Listable> AnyByIdRead for ByIdRead<L> {
    fn fetch<'s>(
        &'s self,
        fetch: &'s Fetching<'s>,
        ids: Vec<Uuid>,
    ) -> BoxFuture<'s, Result<(), StoreError>> {
        Box::pin(async move { ByIdRead::fetch(self, fetch, &ids).await })
    }

    fn read<'s>(&'s self, fetch: &'s Fetching<'s>, ids: Vec<Uuid>) -> BoxFuture<'s, ()> {
        // A failure here is met again, and kept, by the read's own fetch.
        Box::pin(async move {
            let _ = fetch.read::<L>(&ids).await;
        })
    }

    fn fetch_or_fail<'s>(&'s self, fetch: &'s Fetching<'s>, ids: Vec<Uuid>) -> BoxFuture<'s, ()> {
        Box::pin(async move {
            if let Err(error) = ByIdRead::fetch(self, fetch, &ids).await {
                fetch.keep_result::<FoundRecords<L::Model>>(self.read, Err(error.into()));
            }
        })
    }
}

/// Aggregates of the rows of `L` matching a filter, one per group of the keys' values (one
/// statement), then the records the keys name, read by ID one statement per kind, with what
/// is followed from them.
pub struct AggregateRead<L: Listable> {
    /// The read, whose groups ([`Group`](super::super::Group)s) are kept under this ID.
    pub read: ReadId,
    filter: L::Filter,
    keys: Vec<GroupColumn>,
    measures: Vec<Measure>,
    /// The records a key names, by the key's index in `keys`.
    key_records: Vec<(usize, Box<dyn AnyByIdRead>)>,
}

impl<L: Listable> AggregateRead<L> {
    /// The read `read` of `measures` over the rows matching `filter`, grouped by `keys`, and
    /// of the records the keys name (`key_records`, by the key's index).
    pub fn new(
        read: ReadId,
        filter: L::Filter,
        keys: Vec<GroupColumn>,
        measures: Vec<Measure>,
        key_records: Vec<(usize, Box<dyn AnyByIdRead>)>,
    ) -> Self {
        AggregateRead {
            read,
            filter,
            keys,
            measures,
            key_records,
        }
    }

    /// Computes the groups, then reads the records their keys name.
    pub async fn fetch(&self, fetch: &Fetching<'_>) -> Result<(), StoreError> {
        let groups = fetch
            .loader()
            .aggregate::<L>(&self.filter, &self.keys, &self.measures)
            .await?;
        let named = |index: usize| -> Vec<Uuid> {
            let mut ids: Vec<Uuid> = groups
                .iter()
                .filter_map(|group| match group.keys.get(index) {
                    Some(GroupValue::Uuid(id)) => Some(*id),
                    _ => None,
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let reads: Vec<(GroupKind, Vec<Uuid>, &dyn AnyByIdRead)> = self
            .key_records
            .iter()
            .filter_map(|(index, read)| {
                let key = self.keys.get(*index)?;
                Some((key.kind, named(*index), read.as_ref()))
            })
            .collect();
        fetch.keep_result(self.read, Ok(groups));
        // The keys naming one kind are read in one statement, then each follows its own.
        let mut kinds: Vec<(GroupKind, Vec<Uuid>, &dyn AnyByIdRead)> = Vec::new();
        for (kind, ids, read) in &reads {
            match kinds.iter_mut().find(|(k, _, _)| k == kind) {
                Some((_, all, _)) => all.extend(ids),
                None => kinds.push((*kind, ids.clone(), *read)),
            }
        }
        join_all(
            kinds
                .into_iter()
                .map(|(_, ids, read)| read.read(fetch, ids)),
        )
        .await;
        join_all(
            reads
                .into_iter()
                .map(|(_, ids, read)| read.fetch_or_fail(fetch, ids)),
        )
        .await;
        Ok(())
    }
}

/// A search's page of hits and, when asked, their count.
pub struct FoundHits {
    pub page: SearchPage,
    /// How many records match; `None` when not asked for.
    pub count: Option<ReadResult<u64>>,
}

/// A search: its page of hits (one statement), their count when `counted` (one more, beside
/// the records), then the records of each kind found, by ID with the selected columns and
/// what is followed from them (one statement per kind found).
pub struct SearchRead {
    /// The read, whose [`FoundHits`] are kept under this ID.
    pub read: ReadId,
    query: SearchQuery,
    page: PageRequest,
    counted: bool,
    /// The reads of the records a hit may be, by kind (`Unit`, …); empty when no hit's record
    /// is selected.
    kinds: Vec<(&'static str, Box<dyn AnyByIdRead>)>,
}

impl SearchRead {
    /// The read `read` of the page `page` of the hits of `query`, their count when `counted`,
    /// and the records of the `kinds` found.
    pub fn new(
        read: ReadId,
        query: SearchQuery,
        page: PageRequest,
        counted: bool,
        kinds: Vec<(&'static str, Box<dyn AnyByIdRead>)>,
    ) -> Self {
        SearchRead {
            read,
            query,
            page,
            counted,
            kinds,
        }
    }

    /// Reads the hits, then their count and the records they name.
    pub async fn fetch(&self, fetch: &Fetching<'_>) -> Result<(), StoreError> {
        let page = fetch
            .loader()
            .search(&self.query, self.page.limit, self.page.cursor.as_ref())
            .await?;
        let count = async {
            if self.counted {
                Some(
                    fetch
                        .loader()
                        .search_count(&self.query)
                        .await
                        .map_err(ReadFailure::from),
                )
            } else {
                None
            }
        };
        let found: Vec<(&'static str, Vec<Uuid>, &dyn AnyByIdRead)> = self
            .kinds
            .iter()
            .filter_map(|(kind, read)| {
                let ids: Vec<Uuid> = page
                    .hits
                    .iter()
                    .filter(|hit| hit.kind == *kind)
                    .map(|hit| hit.id)
                    .collect();
                (!ids.is_empty()).then_some((*kind, ids, read.as_ref()))
            })
            .collect();
        let records = async {
            // Each kind found is one statement, however many selections read it.
            let mut kinds: Vec<&'static str> = Vec::new();
            let mut first_reads = Vec::new();
            for (kind, ids, read) in &found {
                if !kinds.contains(kind) {
                    kinds.push(*kind);
                    first_reads.push(read.read(fetch, ids.clone()));
                }
            }
            join_all(first_reads).await;
            futures::future::try_join_all(
                found
                    .iter()
                    .map(|(_, ids, read)| read.fetch(fetch, ids.clone())),
            )
            .await
        };
        let (count, records) = futures::join!(count, records);
        records?;
        fetch.keep_result(self.read, Ok(FoundHits { page, count }));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{natural_id, RecordKind};
    use crate::store::decode::columns;
    use crate::store::read::{Fetched, ReadIds};
    use crate::store::testing::{seeded, seeded_split, TestStore};
    use crate::store::{Cleanrooms, HashMap, Scope, StoreLoader, Units};
    use entities::{cleanroom, unit};
    use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

    /// The first 100 cleanrooms and each one's unit, read under `scope` as a plan's list and
    /// reference: what the reads found, the list's and the units' read IDs, and how many
    /// statements they took.
    async fn cleanrooms_and_units(
        test_store: &TestStore,
        scope: Scope,
    ) -> (Fetched, ReadId, ReadId, usize) {
        let loader = StoreLoader::scoped(test_store.store.clone(), scope).await;
        let ids = ReadIds::default();
        let (list, units) = (ids.next(), ids.next());
        let mut rows = RowsOf::<Cleanrooms>::default();
        rows.follow(Box::new(ReferenceRead::<Cleanrooms, Units>::new(
            |cleanroom| Some(cleanroom.unit_id),
            "unit_id",
            ByIdRead::new(units, RowsOf::default()),
        )));
        let query = QueryOf::<Cleanrooms> {
            filter: Default::default(),
            order: Vec::new(),
            page: PageRequest::first(100),
        };
        let plan = ListRead::new(list, query, true, false, vec![rows]);
        let mut columns = HashMap::default();
        columns.insert(Cleanrooms::TABLE, columns!(cleanroom::Model: unit_id));
        columns.insert(Units::TABLE, columns!(unit::Model: institution_id));
        let fetching = Fetching::new(&loader, columns);

        let before = test_store.statements();
        if let Err(error) = plan.fetch(&fetching).await {
            panic!("the plan could not be read: {error}");
        }
        let statements = test_store.statements() - before;
        (fetching.finish(), list, units, statements)
    }

    /// The cleanrooms listed, and the units of their reference that were found.
    fn listed_and_found(
        fetched: &Fetched,
        list: ReadId,
        units: ReadId,
    ) -> (Vec<cleanroom::Model>, Vec<unit::Model>) {
        let Some(Ok(listed)) = fetched.list::<Cleanrooms>(list) else {
            panic!("the list was not read");
        };
        let Some(Ok(found)) = fetched.records::<Units>(units) else {
            panic!("the units were not read");
        };
        assert!(found.unavailable.is_empty());
        (
            listed.page.rows.iter().map(|row| (**row).clone()).collect(),
            found.rows.values().map(|row| (**row).clone()).collect(),
        )
    }

    #[tokio::test]
    async fn a_hidden_unit_is_absent_from_a_listed_cleanrooms_reference_in_one_database_and_over_two(
    ) {
        let ki = natural_id(RecordKind::Institution, "KI");
        let only_ki = move || {
            Scope::with_rule::<Units>(move |alias: &str| {
                Condition::all()
                    .add(Expr::col((Alias::new(alias), Alias::new("institution_id"))).eq(ki))
            })
        };
        for (layout, test_store) in [
            ("one database", seeded().await),
            ("two sources", seeded_split().await),
        ] {
            let (public, list, units, public_statements) =
                cleanrooms_and_units(&test_store, Scope::default()).await;
            let (ruled, _, _, ruled_statements) =
                cleanrooms_and_units(&test_store, only_ki()).await;

            let (all_rooms, all_units) = listed_and_found(&public, list, units);
            let (rooms, shown_units) = listed_and_found(&ruled, list, units);
            // The cleanrooms are open: all are listed under the rule too, each naming its unit.
            assert_eq!(rooms.len(), all_rooms.len(), "{layout}");
            let named: std::collections::HashSet<Uuid> =
                rooms.iter().map(|room| room.unit_id).collect();
            assert_eq!(all_units.len(), named.len(), "{layout}");
            assert!(
                shown_units.iter().all(|unit| unit.institution_id == ki),
                "{layout}"
            );
            assert!(
                shown_units.len() < all_units.len(),
                "{layout}: no unit is hidden"
            );
            if layout == "one database" {
                // The join found every unit the caller may read: the hidden ones cost no read
                // by ID.
                assert_eq!((public_statements, ruled_statements), (1, 1));
            } else {
                // Each source lists its cleanrooms with their units joined; the join is not
                // authoritative over two sources, so the units it did not find (the hidden
                // ones) are read by ID, one statement per source, and found absent.
                assert_eq!((public_statements, ruled_statements), (2, 4));
            }
        }
    }
}
