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
//! `Store::localize`).

mod aggregate;
mod batch;
mod by_id;
mod children;
mod decode;
mod domain;
mod error;
mod filter;
mod hash;
mod join;
mod list;
mod loader;
mod owners;
mod page;
mod resolve;
mod search;
mod source;
mod write;

use std::sync::{Arc, RwLock};

use futures::future::join_all;

use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

pub use aggregate::{Group, GroupColumn, GroupKind, GroupValue, Measure, MAX_GROUPS};
pub use batch::{Batcher, Clock, Driven, Load, Loaded};
pub use by_id::Records;
pub use children::{Branch, RelationBranch};
pub use decode::{Columns, Positional};
pub use domain::*;
pub use error::{StoreError, Unanswered};
pub use filter::{Predicate, Quantifier, Real, Scalar, Test, TextMatch};
pub use hash::HashMap;
pub use join::{Join, JoinedRow};
pub use list::{check_query, ChildPages, Kind, ListQuery, Listable, QueryOf, Relation};
pub use loader::{
    AccreditationId, AppointmentId, ChildCount, ChildPage, CleanroomId, Counter, InstitutionId,
    ListCount, MilestoneId, PersonId, ProductId, RecordKey, StoreLoader, TrialId, UnitId,
};
pub use page::{Cursor, OrderTerm, Page, PageRequest, SortDirection};
pub use search::{Hit, Match, SearchPage, SearchQuery, MAX_TERM};
pub use source::{is_dropped_connection, PoolSettings, Source};
pub use write::Dataset;

/// Who is reading: every read carries it, so access rules can narrow what a caller sees.
/// Until API keys arrive everyone is the public.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Caller {
    /// An anonymous client: sees what the institutions publish.
    #[default]
    Public,
}

/// The data sources and what is known of them.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    sources: Vec<Source>,
    /// The institutions of every source, kept in memory to check filter codes at no cost.
    institutions: RwLock<Vec<entities::institution::Model>>,
}

impl Store {
    /// A store over the given sources.
    pub fn new(sources: Vec<Source>) -> Self {
        Store {
            inner: Arc::new(Inner {
                sources,
                institutions: RwLock::new(Vec::new()),
            }),
        }
    }

    /// A store over one database holding every institution, named `main`.
    pub fn single(connection: DatabaseConnection) -> Self {
        Store::new(vec![Source::everything("main", connection)])
    }

    pub(crate) fn sources(&self) -> &[Source] {
        &self.inner.sources
    }

    /// Runs every pending migration on every source.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        for source in self.sources() {
            source.migrate().await?;
        }
        Ok(())
    }

    /// Whether no source holds any institution yet (a new database, to be seeded).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.empty_sources().await?.len() == self.sources().len())
    }

    /// The names of the sources that hold no institution yet: new databases, to be seeded.
    pub async fn empty_sources(&self) -> Result<Vec<&str>, StoreError> {
        let mut empty = Vec::new();
        for source in self.sources() {
            let any = source
                .read(|connection| async move {
                    entities::institution::Entity::find().one(&connection).await
                })
                .await?;
            if any.is_none() {
                empty.push(source.name());
            }
        }
        Ok(empty)
    }

    /// Reloads the in-memory list of institutions from the sources.
    pub async fn refresh_institutions(&self) -> Result<(), StoreError> {
        let mut all = Vec::new();
        for source in self.sources() {
            let institutions = source
                .read(|connection| async move {
                    entities::institution::Entity::find().all(&connection).await
                })
                .await?;
            for institution in institutions {
                if !all
                    .iter()
                    .any(|i: &entities::institution::Model| i.id == institution.id)
                {
                    all.push(institution);
                }
            }
        }
        all.sort_by(|a, b| a.code.cmp(&b.code));
        match self.inner.institutions.write() {
            Ok(mut guard) => *guard = all,
            Err(poisoned) => *poisoned.into_inner() = all,
        }
        Ok(())
    }

    /// Every institution the caller may see, by code.
    pub fn institutions(&self, _caller: &Caller) -> Vec<entities::institution::Model> {
        // Every caller sees both institutions until access rules arrive; they narrow this.
        self.all_institutions()
    }

    fn all_institutions(&self) -> Vec<entities::institution::Model> {
        match self.inner.institutions.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The IDs of the institutions with these codes; an unknown code is a filter error.
    pub fn institution_ids(
        &self,
        caller: &Caller,
        codes: &[String],
    ) -> Result<Vec<Uuid>, StoreError> {
        let known = self.institutions(caller);
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
}

impl Store {
    /// Closes every source's connections; reads after this fail.
    pub async fn close(&self) -> Result<(), StoreError> {
        for source in self.sources() {
            source.connection().close_by_ref().await?;
        }
        Ok(())
    }

    /// Closes the connections of the source named `name`, as when it is taken down: its reads
    /// then fail as unavailable. Whether a source has that name.
    pub async fn close_source(&self, name: &str) -> Result<bool, StoreError> {
        match self.sources().iter().find(|source| source.name() == name) {
            Some(source) => {
                source.connection().close_by_ref().await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Whether each source answers, every source asked at once.
    pub async fn readiness(&self) -> Vec<SourceReadiness> {
        join_all(self.sources().iter().map(|source| async move {
            SourceReadiness {
                name: source.name().to_owned(),
                answer: source.ping().await.map_err(StoreError::from),
            }
        }))
        .await
    }
}

/// Whether one source answers.
#[derive(Debug)]
pub struct SourceReadiness {
    /// The source's name (never its URL).
    pub name: String,
    /// `Ok` when it answered a ping.
    pub answer: Result<(), StoreError>,
}
