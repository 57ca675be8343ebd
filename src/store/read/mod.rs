//! A request's planned reads and what they found, as plain data: no response keys and nothing
//! of GraphQL. Each read of a plan (a reference's records, a relation's pages and counts, a
//! root's list) is named by a [`ReadId`]; while a plan is fetched, [`Fetching`] reads the
//! records named by ID (each at most once for the request) and keeps every read's result, and
//! once it is fetched, [`Fetched`] is the one place the answer is rendered from.

mod fetched;
mod plan;

pub use fetched::{
    Fetched, Fetching, FoundList, FoundRecords, ReadFailure, ReadId, ReadIds, ReadResult,
};
pub use plan::{
    AggregateRead, AnyByIdRead, ByIdRead, Follow, FoundHits, InstitutionsRead, ListRead,
    ReferenceRead, RelationRead, RowOf, RowsOf, SearchRead,
};
