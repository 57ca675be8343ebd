//! The maps of one request's rows, keyed by record IDs, parents and loader keys.
//!
//! They are built and read for every row a request meets (a level's pages per parent, the
//! rows read by ID, the counts), so they use foldhash, cheaper per key than the standard library's
//! SipHash (about 3 % of the server's CPU on a nested query). Its seed is still random per
//! process, so the buckets of IDs a client chooses are not known in advance.

/// A `HashMap` with foldhash's per-process seeded hasher.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
