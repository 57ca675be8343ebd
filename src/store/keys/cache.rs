//! The verified keys kept in memory on PostgreSQL, and the listener that empties them at every
//! change announced on [`CHANNEL`]: a key is served from memory only while the listener listens.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use lru::LruCache;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use entities::api_key;

use super::CHANNEL;

/// Keys kept verified in memory, at most.
const CACHED_KEYS: usize = 4096;

/// Longest a cached key is trusted without reading it again: bounds what a listener whose
/// connection died unnoticed (a half-open socket) can miss.
const CACHE_LIFETIME: Duration = Duration::from_secs(60);

/// How long the listener waits before connecting again after losing its connection.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// Verified keys by the hash of their secret, used only while the listener is connected.
pub(super) struct KeyCache {
    state: Mutex<CacheState>,
}

struct CacheState {
    /// Whether the listener is connected and listening: if not, changes may go unseen.
    listening: bool,
    /// Counts the times the cache was emptied, so that a read that began before a change
    /// does not store what it read after it.
    generation: u64,
    /// Counts the changes announced to the listener.
    heard: u64,
    entries: LruCache<String, (Arc<api_key::Model>, Instant)>,
}

/// What the cache knows of a hash.
pub(super) enum Cached {
    Hit(Arc<api_key::Model>),
    /// Not cached; what is read may be stored under this generation (`None`: not at all).
    Miss(Option<u64>),
}

impl KeyCache {
    pub(super) fn new() -> KeyCache {
        KeyCache {
            state: Mutex::new(CacheState {
                listening: false,
                generation: 0,
                heard: 0,
                entries: LruCache::new(NonZeroUsize::MIN.saturating_add(CACHED_KEYS - 1)),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn get(&self, hash: &str) -> Cached {
        let mut state = self.state();
        if !state.listening {
            return Cached::Miss(None);
        }
        match state.entries.get(hash) {
            Some((row, cached)) if cached.elapsed() < CACHE_LIFETIME => Cached::Hit(row.clone()),
            _ => Cached::Miss(Some(state.generation)),
        }
    }

    /// Stores `row`, read in `generation`, unless the cache was emptied since.
    pub(super) fn put(&self, hash: String, row: Arc<api_key::Model>, generation: u64) {
        let mut state = self.state();
        if state.listening && state.generation == generation {
            state.entries.put(hash, (row, Instant::now()));
        }
    }

    /// How many changes were announced, while the cache is used.
    pub(super) fn heard(&self) -> Option<u64> {
        let state = self.state();
        state.listening.then_some(state.heard)
    }

    /// Empties the cache for a change announced.
    fn changed(&self) {
        let mut state = self.state();
        state.generation = state.generation.wrapping_add(1);
        state.heard = state.heard.wrapping_add(1);
        state.entries.clear();
    }

    fn set_listening(&self, listening: bool) {
        let mut state = self.state();
        state.listening = listening;
        state.generation = state.generation.wrapping_add(1);
        state.entries.clear();
    }
}

/// Listens for changes to the keys on a connection of its own, emptying `cache` at each, and
/// connecting again whenever the connection is lost; the cache is used only while it listens.
pub(super) async fn listen(cache: Arc<KeyCache>, options: PgConnectOptions, source: String) {
    let mut failing = false;
    loop {
        match subscribe(options.clone()).await {
            Ok(mut listener) => {
                cache.set_listening(true);
                if failing {
                    tracing::info!(source = %source, "listening for key changes again: verified keys are cached");
                }
                let error = loop {
                    match listener.try_recv().await {
                        Ok(Some(_)) => {
                            cache.changed();
                            tracing::debug!(source = %source, "the keys changed: verified keys are read again");
                        }
                        Ok(None) => break "the connection was lost".to_owned(),
                        Err(error) => break error.to_string(),
                    }
                };
                cache.set_listening(false);
                tracing::warn!(source = %source, %error, "stopped listening for key changes: keys are read on every request until it listens again");
                // Whether it connects again or not, the next message is the one that says so.
                failing = true;
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(source = %source, %error, "cannot listen for key changes: keys are read on every request until it can");
                    failing = true;
                }
            }
        }
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

/// A listener on [`CHANNEL`], with a connection of its own (never one of the store's pool).
async fn subscribe(options: PgConnectOptions) -> Result<PgListener, sea_orm::sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(options);
    let mut listener = PgListener::connect_with(&pool).await?;
    // A lost connection ends this listener; a new one is made, and the cache emptied, after.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keys::tests::row;

    #[test]
    fn the_cache_keeps_nothing_while_not_listening_nor_a_read_older_than_a_change() {
        let cache = KeyCache::new();
        let key = Arc::new(row("h"));
        assert!(matches!(cache.get("h"), Cached::Miss(None)));
        cache.set_listening(true);
        let Cached::Miss(Some(generation)) = cache.get("h") else {
            panic!("a listening cache may store what is read");
        };
        cache.put("h".to_owned(), key.clone(), generation);
        assert!(matches!(cache.get("h"), Cached::Hit(_)));
        // A change empties it, and a read that began before the change is not stored.
        cache.changed();
        assert!(matches!(cache.get("h"), Cached::Miss(Some(_))));
        cache.put("h".to_owned(), key.clone(), generation);
        assert!(matches!(cache.get("h"), Cached::Miss(Some(_))));
        // A lost listener empties it too, and it keeps nothing until it listens again.
        let Cached::Miss(Some(generation)) = cache.get("h") else {
            panic!("still listening");
        };
        cache.put("h".to_owned(), key.clone(), generation);
        cache.set_listening(false);
        assert!(matches!(cache.get("h"), Cached::Miss(None)));
    }
}
