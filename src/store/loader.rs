//! What the request's [`Batcher`] loads: each key type names one thing, a record by ID, a page
//! of a relation for one parent, or a relation's count, and its [`Load`] turns every key of
//! that kind a request asks for at once into one statement per source.

use super::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use futures::future::BoxFuture;
use uuid::Uuid;

use crate::catalog::KindKey;

use super::batch::{Batcher, Load, Loaded};
use super::children::Branch;
use super::decode::{Columns, Row};
use super::list::{ChildPages, Kind, Listable, QueryOf, Relation};
use super::{
    Caller, CursorSeal, Group, GroupColumn, Join, Measure, Page, ReadListing, ReadsPage, Records,
    Role, Scope, SearchPage, SearchQuery, Store, StoreError, Unanswered,
};

/// Reads for one caller: the one way from the GraphQL layer into the store, so every read
/// carries who is reading.
pub struct StoreLoader {
    store: Store,
    caller: Caller,
    /// What the caller may read, made once for the request.
    scope: Scope,
    /// The institutions the scope shows, by code, read once for the request (no statement
    /// where the scope has no rule on them), for the filters' institution codes, which are
    /// checked before anything is read; or why they could not be read.
    institutions: Result<Vec<entities::institution::Model>, Arc<StoreError>>,
}

impl StoreLoader {
    /// A loader reading `store` on behalf of `caller`.
    pub async fn new(store: Store, caller: Caller) -> Self {
        let scope = Scope::of(&caller, store.seal());
        let institutions = store.institutions(&scope).await.map_err(Arc::new);
        StoreLoader {
            store,
            caller,
            scope,
            institutions,
        }
    }

    /// A loader reading `store` within `scope` (a test's row rules), for the public.
    #[cfg(test)]
    pub(crate) async fn scoped(store: Store, scope: Scope) -> Self {
        let institutions = store.institutions(&scope).await.map_err(Arc::new);
        StoreLoader {
            store,
            caller: Caller::Public,
            scope,
            institutions,
        }
    }

    /// The store it reads (and a mutation writes).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Who is reading.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The seal of the caller's cursors: opens those it sends back.
    pub fn cursors(&self) -> &CursorSeal {
        self.scope.cursors()
    }

    /// Every column of `K` the caller may read: what a read of whole rows selects.
    pub fn readable<K: Kind>(&self) -> Columns {
        self.scope.readable::<K>()
    }

    /// A page of the personal-data read log, newest first, and whether rows follow; `None`
    /// unless the caller is an admin, the only role that reads the log.
    pub async fn personal_data_reads(
        &self,
        page: &ReadsPage,
    ) -> Result<Option<(Vec<ReadListing>, bool)>, StoreError> {
        if self.caller.role() < Role::Admin {
            return Ok(None);
        }
        self.store.personal_data_reads(page).await.map(Some)
    }

    /// How many rows the personal-data read log holds; `None` unless the caller is an admin.
    pub async fn count_personal_data_reads(&self) -> Result<Option<u64>, StoreError> {
        if self.caller.role() < Role::Admin {
            return Ok(None);
        }
        self.store.count_personal_data_reads(None).await.map(Some)
    }

    /// A page of a top-level list, as the caller may see it.
    pub async fn page<L: Listable>(
        &self,
        query: &QueryOf<L>,
    ) -> Result<Page<L::Model>, StoreError> {
        self.store.page::<L>(&self.scope, query).await
    }

    /// A page of a top-level list with the references `joins` names read alongside, in the
    /// same statement, and, when `counted`, the list's count (0 otherwise).
    pub async fn page_joined<L: Listable>(
        &self,
        query: &QueryOf<L>,
        joins: &mut [Join],
        counted: bool,
        columns: Columns,
    ) -> Result<(Page<L::Model>, u64), StoreError> {
        self.store
            .page_joined::<L>(&self.scope, query, joins, counted, columns)
            .await
    }

    /// How many rows of a top-level list the caller may see.
    pub async fn count_partly<L: Listable>(
        &self,
        filter: &L::Filter,
    ) -> Result<(u64, Vec<Unanswered>), StoreError> {
        self.store.count_partly::<L>(&self.scope, filter).await
    }

    /// The rows of `L` with these IDs, as the caller may see them, with these columns
    /// read, from every source that answers (see [`Records::get`]).
    pub async fn records<L: Listable>(
        &self,
        ids: &[Uuid],
        columns: Columns,
    ) -> Result<Records<L::Model>, StoreError> {
        if ids.is_empty() {
            return Ok(Records::default());
        }
        self.store.rows_by_id::<L>(&self.scope, ids, columns).await
    }

    /// One page of relation `R` for each parent, in one statement per source, with the
    /// references `joins` names read alongside, and, when `counted`, each parent's count.
    pub async fn child_pages<R: Relation>(
        &self,
        parents: &[Uuid],
        query: &QueryOf<R::Child>,
        joins: &mut Vec<Join>,
        counted: bool,
        columns: Columns,
    ) -> Result<ChildPages<<R::Child as Kind>::Model>, StoreError> {
        self.store
            .child_pages::<R>(&self.scope, parents, query, joins, counted, columns)
            .await
    }

    /// Every branch's pages for `parents`, in one statement per source: the relations of one
    /// level read together.
    pub async fn child_pages_together(
        &self,
        parents: &[Uuid],
        branches: &mut [&mut dyn Branch],
    ) -> Result<(), StoreError> {
        self.store
            .child_pages_together(&self.scope, parents, branches)
            .await
    }

    /// How many children of relation `R` each parent has, in one statement per source.
    pub async fn child_counts<R: Relation>(
        &self,
        parents: &[Uuid],
        filter: &<R::Child as Listable>::Filter,
    ) -> Result<HashMap<Uuid, u64>, StoreError> {
        if parents.is_empty() {
            return Ok(HashMap::default());
        }
        self.store
            .child_counts::<R>(&self.scope, parents, filter)
            .await
    }

    /// The measures of the rows of `L` matching `filter`, whole or per group of `keys`.
    pub async fn aggregate<L: Listable>(
        &self,
        filter: &L::Filter,
        keys: &[GroupColumn],
        measures: &[Measure],
    ) -> Result<Vec<Group>, StoreError> {
        self.store
            .aggregate::<L>(&self.scope, filter, keys, measures)
            .await
    }

    /// A page of the records matching a search, best first.
    pub async fn search(
        &self,
        query: &SearchQuery,
        limit: u64,
        cursor: Option<&super::Cursor>,
    ) -> Result<SearchPage, StoreError> {
        self.store.search(&self.scope, query, limit, cursor).await
    }

    /// How many records match a search.
    pub async fn search_count(&self, query: &SearchQuery) -> Result<u64, StoreError> {
        self.store.search_count(&self.scope, query).await
    }

    /// Every institution the caller may see, by code.
    pub fn institutions(&self) -> Result<&[entities::institution::Model], Arc<StoreError>> {
        self.institutions.as_deref().map_err(Arc::clone)
    }

    /// The IDs of the institutions the caller may see with these codes; any other code is a
    /// filter error.
    pub fn institution_ids(&self, codes: &[String]) -> Result<Vec<Uuid>, Arc<StoreError>> {
        super::ids_by_code(self.institutions()?, codes).map_err(Arc::new)
    }
}

/// A key naming one record by its ID.
pub trait RecordKey: Copy + Eq + Hash + Send + Sync + 'static {
    /// The table the record is in.
    type Table: Listable;
    fn id(self) -> Uuid;
}

/// Every key of the catalog names a record of its kind's table.
impl<K> RecordKey for K
where
    K: KindKey,
    K::Kind: Listable,
{
    type Table = K::Kind;

    fn id(self) -> Uuid {
        KindKey::id(self)
    }
}

impl<K: RecordKey> Load<K> for StoreLoader {
    type Value = Row<<K::Table as Kind>::Model>;

    async fn load(&self, keys: &[K]) -> Result<Loaded<K, Self::Value>, Arc<StoreError>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.id()).collect();
        let records = self
            .store
            .rows_by_id::<K::Table>(&self.scope, &ids, self.scope.readable::<K::Table>())
            .await?;
        Ok(keys
            .iter()
            .filter_map(|k| match records.get(&k.id()) {
                Ok(row) => row.map(|row| (*k, Ok(row))),
                Err(source) => Some((*k, Err(Arc::new(StoreError::SourceUnavailable(source))))),
            })
            .collect())
    }
}

/// One parent's page of relation `R`.
pub struct ChildPage<R: Relation> {
    pub parent: Uuid,
    pub query: Arc<QueryOf<R::Child>>,
    relation: PhantomData<fn() -> R>,
}

impl<R: Relation> ChildPage<R> {
    /// The page `query` selects among the children of `parent`.
    pub fn new(parent: Uuid, query: Arc<QueryOf<R::Child>>) -> Self {
        ChildPage {
            parent,
            query,
            relation: PhantomData,
        }
    }
}

/// One parent's count of relation `R`.
pub struct ChildCount<R: Relation> {
    pub parent: Uuid,
    pub filter: Arc<<R::Child as Listable>::Filter>,
    relation: PhantomData<fn() -> R>,
}

impl<R: Relation> ChildCount<R> {
    /// How many children of `parent` match `filter`.
    pub fn new(parent: Uuid, filter: Arc<<R::Child as Listable>::Filter>) -> Self {
        ChildCount {
            parent,
            filter,
            relation: PhantomData,
        }
    }
}

// Derives would demand the traits of `R`, a marker type; these compare the data only.
macro_rules! key_traits {
    ($name:ident, $other:ident) => {
        impl<R: Relation> Clone for $name<R> {
            fn clone(&self) -> Self {
                $name {
                    parent: self.parent,
                    $other: self.$other.clone(),
                    relation: PhantomData,
                }
            }
        }

        impl<R: Relation> PartialEq for $name<R> {
            fn eq(&self, other: &Self) -> bool {
                self.parent == other.parent && self.$other == other.$other
            }
        }

        impl<R: Relation> Eq for $name<R> {}

        impl<R: Relation> Hash for $name<R> {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.parent.hash(state);
                self.$other.hash(state);
            }
        }
    };
}

key_traits!(ChildPage, query);
key_traits!(ChildCount, filter);

/// Groups keys that share everything but the parent, so each group is one statement.
fn group_by<K, Q: Eq + Hash + Clone>(
    keys: &[K],
    shared: impl Fn(&K) -> Q,
    parent: impl Fn(&K) -> Uuid,
) -> HashMap<Q, Vec<Uuid>> {
    let mut groups: HashMap<Q, Vec<Uuid>> = HashMap::default();
    for key in keys {
        groups.entry(shared(key)).or_default().push(parent(key));
    }
    groups
}

impl<R: Relation> Load<ChildPage<R>> for StoreLoader {
    type Value = Arc<Page<<R::Child as Kind>::Model>>;

    async fn load(
        &self,
        keys: &[ChildPage<R>],
    ) -> Result<Loaded<ChildPage<R>, Self::Value>, Arc<StoreError>> {
        let mut pages = HashMap::default();
        for (query, parents) in group_by(keys, |k| k.query.clone(), |k| k.parent) {
            let found = self
                .store
                .child_pages::<R>(
                    &self.scope,
                    &parents,
                    &query,
                    &mut Vec::new(),
                    false,
                    self.scope.readable::<R::Child>(),
                )
                .await?;
            for (parent, page) in found.pages {
                pages.insert(ChildPage::new(parent, query.clone()), Ok(Arc::new(page)));
            }
        }
        Ok(pages)
    }
}

impl<R: Relation> Load<ChildCount<R>> for StoreLoader {
    type Value = u64;

    async fn load(
        &self,
        keys: &[ChildCount<R>],
    ) -> Result<Loaded<ChildCount<R>, u64>, Arc<StoreError>> {
        let mut counts = HashMap::default();
        for (filter, parents) in group_by(keys, |k| k.filter.clone(), |k| k.parent) {
            let found = self
                .store
                .child_counts::<R>(&self.scope, &parents, &filter)
                .await?;
            for (parent, count) in found {
                counts.insert(ChildCount::new(parent, filter.clone()), Ok(count));
            }
        }
        Ok(counts)
    }
}

/// Counts a list's rows on demand, so `totalCount` costs a statement only when selected.
pub trait Counter: Send + Sync {
    /// The number of rows.
    fn count<'a>(&'a self, loader: &'a Batcher) -> BoxFuture<'a, Result<u64, Arc<StoreError>>>;
}

/// The count of a top-level list.
pub struct ListCount<L: Listable> {
    pub filter: L::Filter,
}

impl<L: Listable> Counter for ListCount<L> {
    fn count<'a>(&'a self, loader: &'a Batcher) -> BoxFuture<'a, Result<u64, Arc<StoreError>>> {
        Box::pin(async move {
            let loader = loader.loader();
            Ok(loader.store.count::<L>(&loader.scope, &self.filter).await?)
        })
    }
}

impl<R: Relation> Counter for ChildCount<R> {
    fn count<'a>(&'a self, loader: &'a Batcher) -> BoxFuture<'a, Result<u64, Arc<StoreError>>> {
        Box::pin(async move { Ok(loader.load_one(self.clone()).await?.unwrap_or(0)) })
    }
}
