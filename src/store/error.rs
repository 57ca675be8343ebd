//! Errors of the store. The GraphQL layer decides what a client sees of them.

use sea_orm::DbErr;

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
    #[error("the records of {} are unavailable: their source `{source_name}` does not answer", institutions.join(", "))]
    SourceUnavailable {
        source_name: String,
        institutions: Vec<String>,
    },
    /// A relation of a filter finds more records across the sources than may be read first.
    #[error("a relation of the filter matches more than {0} records across the sources: narrow what it matches")]
    TooManyRelated(usize),
}
