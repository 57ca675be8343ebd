//! The store: every read and write of atmp-graph's records, over one or more sources.
//!
//! A source is a database connection plus the institutions whose records it holds. By
//! default one embedded SQLite file holds everything; production may run one PostgreSQL
//! database, or one per institution. Every read names its caller (the scope access rules
//! will narrow), goes to each source that may hold matching rows, and is merged in the
//! requested order. The store knows nothing of GraphQL: filters and orderings are plain
//! Rust. References between records are followed through [`StoreLoader`], or joined in the
//! same statement where its source holds both sides (one source, or a record every source
//! keeps: a person, an institution). A filter or an ordering across a relation (`unit: { kind:
//! … }`, `UNIT_NAME`) is a subquery of its statement; over several sources the related rows
//! may sit in another, so they are read first from every source (`resolve.rs`,
//! `Store::localize`). A source that does not answer is marked down by the read that finds it
//! so, and every read of it fails at once until a background probe ([`Store::watch`]) finds it
//! answering again; `/ready` reads the same state.

mod access;
mod aggregate;
mod audit;
mod batch;
mod by_id;
mod children;
mod decode;
mod domain;
mod error;
mod filter;
mod hash;
mod join;
mod keys;
mod list;
mod loader;
mod maintenance;
mod mutate;
mod owners;
mod page;
pub mod read;
mod resolve;
mod scope;
mod seal;
mod search;
mod source;
#[cfg(test)]
pub(crate) mod testing;
mod text_key;
mod token;
mod write;

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use futures::future::join_all;
use tokio::task::AbortHandle;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

pub use crate::catalog::keys::*;
pub use aggregate::{Group, GroupColumn, GroupKind, GroupValue, Measure, MAX_GROUPS};
pub use audit::{Actor, Broken, Operation, Verified};
pub use batch::{Batcher, Clock, Driven, Load, Loaded};
pub use by_id::Records;
pub use children::{Branch, RelationBranch};
pub(crate) use decode::{columns, positional, FromColumn};
pub use decode::{Columns, Positional, Row};
pub use domain::*;
pub use error::{StoreError, Unanswered};
pub use filter::{Predicate, Quantifier, Real, Scalar, Test, TextMatch};
pub use hash::HashMap;
pub use join::{Join, JoinedRow};
pub use keys::{
    KeyCaller, KeyError, KeyId, KeyInstitution, KeyListing, NewKey, PersonalDataRead, ReadListing,
    ReadsPage, Refusal, SignedIn, UnknownInstitution,
};
pub use list::{check_query, ChildPages, Kind, ListQuery, Listable, QueryOf, Relation};
pub use loader::{ChildCount, ChildPage, Counter, ListCount, RecordKey, StoreLoader};
pub use mutate::{Change, Changed, Grant, Refused};
pub use page::{Cursor, ListName, OrderTerm, Page, PageRequest, SortDirection};
pub use scope::Scope;
pub use seal::{CursorSeal, Seal};
pub use search::{Hit, Match, SearchPage, SearchQuery, MAX_TERM};
pub use source::{is_dropped_connection, PoolSettings, Source};
pub use token::TokenCaller;
pub use write::Dataset;
pub(crate) use write::Held;

/// Who is reading: every read carries it, so access rules can narrow what a caller sees.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Caller {
    /// An anonymous client, one that sent no credentials: sees what the institutions publish.
    #[default]
    Public,
    /// The holder of a valid API key: a partner, a member of staff or an administrator.
    Key(KeyCaller),
    /// A person signed in at the hospital's identity provider, with a verified token.
    Token(TokenCaller),
}

/// What a caller is, for the rules: each role reads what the one before it does, and more
/// (for its institutions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// No credentials: what the institutions publish.
    Public,
    /// A company's key: the public's records, plus its institutions' `PARTNER` records.
    Partner,
    /// A member of an institution's staff: also its `INTERNAL` records and colleagues' details.
    Staff,
    /// A data steward of an institution: reads what its staff read, and writes the records it
    /// owns.
    Steward,
    /// Everything.
    Admin,
}

impl Role {
    /// Every role, in order: each reads what the ones before it read.
    pub const ALL: [Role; 5] = [
        Role::Public,
        Role::Partner,
        Role::Staff,
        Role::Steward,
        Role::Admin,
    ];
}

impl Caller {
    /// The caller's role.
    pub fn role(&self) -> Role {
        match self {
            Caller::Public => Role::Public,
            Caller::Key(holder) => Role::from(holder.role),
            Caller::Token(person) => Role::from(person.role),
        }
    }

    /// The institutions the caller's role is for: none for the public and for an admin.
    pub fn institutions(&self) -> &[KeyInstitution] {
        match self {
            Caller::Public => &[],
            Caller::Key(holder) => &holder.institutions,
            Caller::Token(person) => &person.institutions,
        }
    }

    /// What the caller's cursors are bound to, and what names it in limits and logs: its key's
    /// ID, or for a signed-in person a UUID of their token's issuer and subject; none for the
    /// public.
    pub fn binding(&self) -> Option<uuid::Uuid> {
        match self {
            Caller::Public => None,
            Caller::Key(holder) => Some(holder.key.0),
            Caller::Token(person) => Some(person.binding()),
        }
    }

    /// The key the caller sent: none for the public and for a signed-in person.
    pub fn key_id(&self) -> Option<uuid::Uuid> {
        match self {
            Caller::Key(holder) => Some(holder.key.0),
            Caller::Public | Caller::Token(_) => None,
        }
    }

    /// The person signed in at the identity provider, as their token names them: none for
    /// the public and for a key.
    pub fn signed_in(&self) -> Option<SignedIn> {
        match self {
            Caller::Token(person) => Some(SignedIn {
                issuer: person.issuer.clone(),
                subject: person.subject.clone(),
            }),
            Caller::Public | Caller::Key(_) => None,
        }
    }

    /// The caller's own rate limit, overriding its role's: a key's, when it was given one; none
    /// for the public and for a signed-in person (their role's).
    pub fn rate(&self) -> Option<crate::domain::Rate> {
        match self {
            Caller::Public | Caller::Token(_) => None,
            Caller::Key(holder) => holder.rate,
        }
    }
}

impl From<entities::enums::KeyRole> for Role {
    fn from(role: entities::enums::KeyRole) -> Self {
        match role {
            entities::enums::KeyRole::Partner => Role::Partner,
            entities::enums::KeyRole::Staff => Role::Staff,
            entities::enums::KeyRole::Steward => Role::Steward,
            entities::enums::KeyRole::Admin => Role::Admin,
        }
    }
}

/// The name of the source when one database holds everything.
pub const ONE_DATABASE: &str = "main";

/// The data sources and what is known of them.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    sources: Vec<Source>,
    /// The institutions of every source, kept in memory to check filter codes at no cost.
    institutions: RwLock<Vec<entities::institution::Model>>,
    /// The task probing the sources, once started ([`Store::watch`]).
    probe: Mutex<Option<AbortHandle>>,
    /// Where the API keys live, and the verified ones cached.
    keys: keys::Keys,
    /// The writer of the personal-data read log, in the keys' source.
    reads: keys::ReadLog,
    /// The seal of cursors: a secret of the store's own until startup reads the one every
    /// replica shares ([`Store::read_secret`]).
    seal: RwLock<Arc<Seal>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        stop(&self.probe);
        self.keys.stop();
    }
}

/// Stops the probe, if one runs.
fn stop(probe: &Mutex<Option<AbortHandle>>) {
    let mut probe = probe.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(probe) = probe.take() {
        probe.abort();
    }
}

impl Store {
    /// A store over the given sources, the API keys in the first.
    pub fn new(sources: Vec<Source>) -> Self {
        Store::with_keys_at(sources, 0)
    }

    /// A store over the given sources, the API keys in the one named `keys`; `None` when no
    /// source has that name.
    pub fn with_keys_in(sources: Vec<Source>, keys: &str) -> Option<Self> {
        let index = sources.iter().position(|source| source.name() == keys)?;
        Some(Store::with_keys_at(sources, index))
    }

    fn with_keys_at(sources: Vec<Source>, keys: usize) -> Self {
        Store {
            inner: Arc::new(Inner {
                keys: keys::Keys::new(&sources, keys),
                reads: keys::ReadLog::default(),
                sources,
                institutions: RwLock::new(Vec::new()),
                probe: Mutex::new(None),
                seal: RwLock::new(Arc::new(Seal::ephemeral())),
            }),
        }
    }

    /// A store over one database holding every institution, named [`ONE_DATABASE`].
    pub fn single(connection: DatabaseConnection) -> Self {
        Store::new(vec![Source::everything(ONE_DATABASE, connection)])
    }

    pub(crate) fn sources(&self) -> &[Source] {
        &self.inner.sources
    }

    /// The seal of cursors, for the scopes of requests ([`Scope::of`]).
    pub fn seal(&self) -> Arc<Seal> {
        match self.inner.seal.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Seals cursors with `seal` from now on.
    fn set_seal(&self, seal: Seal) {
        match self.inner.seal.write() {
            Ok(mut guard) => *guard = Arc::new(seal),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(seal),
        }
    }

    /// Runs every pending migration on every source.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        for source in self.sources() {
            source.migrate().await?;
        }
        Ok(())
    }

    /// Replaces the in-memory list of institutions.
    fn set_institutions(&self, all: Vec<entities::institution::Model>) {
        match self.inner.institutions.write() {
            Ok(mut guard) => *guard = all,
            Err(poisoned) => *poisoned.into_inner() = all,
        }
    }

    /// Every institution the scope shows, by code: the list kept in memory where the scope
    /// has no rule on institutions (no statement), else read through the scope from the first
    /// source that answers (every source keeps every institution).
    pub async fn institutions(
        &self,
        scope: &Scope,
    ) -> Result<Vec<entities::institution::Model>, StoreError> {
        if scope.is_open::<Institutions>() {
            return Ok(self.all_institutions());
        }
        let columns = Columns::all::<entities::institution::Model>();
        let select = list::select_rows::<Institutions>(scope, &InstitutionFilter, columns);
        let answer = self.query_any(&select.finish()).await?;
        let mut shown = list::rows_of::<entities::institution::Model>(&answer, columns)?;
        shown.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(shown)
    }

    fn all_institutions(&self) -> Vec<entities::institution::Model> {
        match self.inner.institutions.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The IDs of the institutions with these codes among those the scope shows; any other
    /// code is a filter error.
    pub async fn institution_ids(
        &self,
        scope: &Scope,
        codes: &[String],
    ) -> Result<Vec<Uuid>, StoreError> {
        ids_by_code(&self.institutions(scope).await?, codes)
    }
}

/// The IDs of the institutions of `known` with these codes; any other code is a filter error,
/// which names the codes of `known`.
pub(crate) fn ids_by_code(
    known: &[entities::institution::Model],
    codes: &[String],
) -> Result<Vec<Uuid>, StoreError> {
    codes
        .iter()
        .map(|code| {
            known
                .iter()
                .find(|i| i.code == *code)
                .map(|i| i.id)
                .ok_or_else(|| {
                    let names: Vec<&str> = known.iter().map(|i| i.code.as_str()).collect();
                    StoreError::InvalidFilter(format!(
                        "unknown institution code `{code}`; known codes: {}",
                        names.join(", ")
                    ))
                })
        })
        .collect()
}

impl Store {
    /// Starts probing every source each `interval` in a task of the current runtime, until
    /// the store is closed or dropped: a source that does not answer is marked down, so that
    /// reads of it fail at once, and back up as soon as a probe is answered (see `Source::watch`). A store already watched keeps its probe; outside a runtime there is
    /// none, and only reads mark a source down.
    pub fn watch(&self, interval: Duration) {
        let mut probe = self
            .inner
            .probe
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if probe.is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no runtime to probe the sources in: only reads find them down");
            return;
        };
        // The task holds the sources, not the store, so that dropping the store stops it.
        let sources = self.sources().to_vec();
        let task = runtime.spawn(async move {
            join_all(sources.iter().map(|source| source.watch(interval))).await;
        });
        *probe = Some(task.abort_handle());
    }

    /// Writes the personal-data reads logged so far, stops the probe and the keys' listener,
    /// and closes every source's connections; reads after this fail.
    pub async fn close(&self) -> Result<(), StoreError> {
        self.inner.reads.close().await;
        stop(&self.inner.probe);
        self.inner.keys.stop();
        for source in self.sources() {
            source.close().await?;
        }
        Ok(())
    }

    /// Closes the connections of the source named `name`, as when it is taken down: its reads
    /// then fail as unavailable. Whether a source has that name.
    pub async fn close_source(&self, name: &str) -> Result<bool, StoreError> {
        match self.sources().iter().find(|source| source.name() == name) {
            Some(source) => {
                source.close().await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Whether each source answers, as its reads and its probe last found: no source is
    /// asked, so the answer is immediate.
    pub fn readiness(&self) -> Vec<SourceReadiness> {
        self.sources()
            .iter()
            .map(|source| SourceReadiness {
                name: source.name().to_owned(),
                answering: source.is_answering(),
            })
            .collect()
    }
}

/// Whether one source answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReadiness {
    /// The source's name (never its URL).
    pub name: String,
    /// Whether it answers, as its reads and its probe last found.
    pub answering: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::institution;
    use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

    /// A scope showing only the institution with this code.
    fn only_institution(code: &'static str) -> Scope {
        Scope::with_rule::<Institutions>(move |alias: &str| {
            Condition::all().add(Expr::col((Alias::new(alias), Alias::new("code"))).eq(code))
        })
    }

    fn codes(institutions: &[entities::institution::Model]) -> Vec<&str> {
        institutions.iter().map(|i| i.code.as_str()).collect()
    }

    #[tokio::test]
    async fn a_hidden_institution_is_unknown_by_its_code_in_one_database_and_over_two() {
        for test_store in [testing::seeded().await, testing::seeded_split().await] {
            let store = &test_store.store;
            let scope = only_institution("KI");
            let kuh = vec!["KUH".to_owned()];

            let public = store.institutions(&Scope::default()).await;
            let shown = store.institutions(&scope).await;
            let public_kuh = store.institution_ids(&Scope::default(), &kuh).await;
            let hidden_kuh = store.institution_ids(&scope, &kuh).await;

            assert_eq!(public.as_deref().map(codes).ok(), Some(vec!["KI", "KUH"]));
            assert_eq!(shown.as_deref().map(codes).ok(), Some(vec!["KI"]));
            assert_eq!(
                public_kuh.ok(),
                Some(vec![institution("KUH")]),
                "the public knows KUH"
            );
            match hidden_kuh {
                Err(StoreError::InvalidFilter(message)) => {
                    assert_eq!(message, "unknown institution code `KUH`; known codes: KI")
                }
                other => panic!("KUH is unknown to a scope hiding it: {other:?}"),
            }
        }
    }
}
