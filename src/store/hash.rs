//! The maps of one request's rows, keyed by record IDs, parents and loader keys.
//!
//! They are built and read for every row a request meets (a level's pages per parent, the
//! rows read by ID, the counts), so they use foldhash, several times cheaper per lookup than
//! the standard library's SipHash for a 16-byte UUID. Its seed is still random per process,
//! so a client that chooses IDs cannot choose their buckets.

/// A `HashMap` with foldhash's per-process seeded hasher.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
