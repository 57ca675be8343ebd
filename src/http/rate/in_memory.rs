//! The rate limits' counters in this process's memory: each bucket's TAT in a map split into
//! shards, each behind its own lock held for one lookup. Used when no Redis is configured, and
//! while the configured one does not answer.
//!
//! Not `governor`: its keyed limiter does take weighted costs, but its GCRA keeps time in its
//! own units and rounding, and tells neither the time until the whole quota is back nor the
//! largest cost admitted now; the counters in Redis must admit the same requests and answer the
//! same header values as these, so both run the one [`decide`] in whole microseconds.

use std::hash::BuildHasher;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::gcra::{decide, Charge, Verdict};
use super::Bucket;
use crate::store::HashMap;

/// Shards of the map: enough that concurrent requests rarely wait for one another.
const SHARDS: usize = 16;

/// A shard holding this many buckets drops those that are full again (the quota all back,
/// as good as never charged) before it takes a new one.
const SWEEP_AT: usize = 4096;

/// Buckets by caller, in memory.
pub(super) struct MemoryCounters {
    /// The clock's zero: TATs are microseconds since.
    origin: Instant,
    shards: Vec<Mutex<Shard>>,
    hasher: foldhash::fast::RandomState,
}

struct Shard {
    tats: HashMap<Bucket, u64>,
    /// Past this many buckets the shard is swept: twice what a sweep left, so that buckets
    /// that all stay charged cost one sweep per doubling, not one per new bucket.
    sweep_at: usize,
}

impl MemoryCounters {
    pub(super) fn new() -> MemoryCounters {
        MemoryCounters {
            origin: Instant::now(),
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        tats: HashMap::default(),
                        sweep_at: SWEEP_AT,
                    })
                })
                .collect(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Charges `bucket` now.
    pub(super) fn charge(&self, bucket: &Bucket, charge: Charge) -> Verdict {
        // From 1, so that a bucket never charged (TAT 0) is full from the first microsecond.
        let now = u64::try_from(self.origin.elapsed().as_micros())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        self.charge_at(bucket, charge, now)
    }

    /// Charges `bucket` at `now`, microseconds since the clock's zero.
    fn charge_at(&self, bucket: &Bucket, charge: Charge, now: u64) -> Verdict {
        let index = usize::try_from(self.hasher.hash_one(bucket) % SHARDS as u64).unwrap_or(0);
        let Some(shard) = self.shards.get(index) else {
            return decide(0, now, charge);
        };
        let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let verdict = decide(shard.tats.get(bucket).copied().unwrap_or(0), now, charge);
        if verdict.admitted {
            if shard.tats.len() >= shard.sweep_at && !shard.tats.contains_key(bucket) {
                shard.tats.retain(|_, tat| *tat > now);
                shard.sweep_at = (2 * shard.tats.len()).max(SWEEP_AT);
            }
            shard.tats.insert(bucket.clone(), verdict.tat);
        }
        verdict
    }

    /// How many buckets are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().map_or(0, |shard| shard.tats.len()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    fn address(n: u32) -> Bucket {
        Bucket::Address(IpAddr::V4(Ipv4Addr::from(n)))
    }

    #[test]
    fn each_bucket_is_charged_on_its_own() {
        let counters = MemoryCounters::new();
        let whole = Charge {
            increment: 1_000_000,
            period: 1_000_000,
        };

        assert!(counters.charge(&address(1), whole).admitted);
        assert!(!counters.charge(&address(1), whole).admitted);
        assert!(counters.charge(&address(2), whole).admitted);
        assert!(counters.charge(&Bucket::Public, whole).admitted);
        assert_eq!(counters.len(), 3);
    }

    #[test]
    fn buckets_full_again_are_dropped_when_a_shard_grows() {
        let counters = MemoryCounters::new();
        // Each charge is back within a microsecond, and each comes two microseconds after the last.
        let tiny = Charge {
            increment: 1,
            period: 1_000_000,
        };
        for n in 0..(SHARDS * SWEEP_AT * 2) as u32 {
            counters.charge_at(&address(n), tiny, u64::from(n) * 2);
        }
        assert!(
            counters.len() < SHARDS * SWEEP_AT * 2,
            "{} buckets kept",
            counters.len()
        );
    }
}
