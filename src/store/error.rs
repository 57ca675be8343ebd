//! Errors of the store. The GraphQL layer decides what a client sees of them.

use sea_orm::DbErr;
use uuid::Uuid;

/// What can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A database answered with an error, or could not be reached.
    #[error("database error")]
    Db(#[from] DbErr),
    /// A pagination cursor that this store did not make, or made for another ordering.
    #[error("{0}")]
    InvalidCursor(String),
    /// A filter names something that does not exist, such as an unknown institution code.
    #[error("{0}")]
    InvalidFilter(String),
    /// An aggregate would make more groups than the limit allows.
    #[error("the grouping makes more than {0} groups: filter the rows or group by fewer keys")]
    TooManyGroups(usize),
    /// A source of several does not answer (down, unreachable or slower than its timeout):
    /// the records of its institutions cannot be read.
    #[error("{0}")]
    SourceUnavailable(Unanswered),
    /// The service's secret could not be made or read.
    #[error("the service's secret: {0}")]
    Secret(String),
    /// A relation of a filter finds more records across the sources than may be read first.
    #[error("a relation of the filter matches more than {0} records across the sources: narrow what it matches")]
    TooManyRelated(usize),
}

/// A source of several that did not answer a read, and the institutions whose records it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    pub source_name: String,
    /// The codes of its institutions.
    pub institutions: Vec<String>,
    /// Their IDs.
    pub institution_ids: Vec<Uuid>,
}

impl std::fmt::Display for Unanswered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the records of {} are unavailable: their source `{}` does not answer",
            self.institutions.join(", "),
            self.source_name
        )
    }
}
