//! API keys: created, listed, revoked and rolled by the command line, and checked for each
//! request that sends one. The keys live in one source (`--keys-source`, by default the first),
//! as the SHA-256 of their text (`domain::ApiKey`).
//!
//! A door of its own, beside the request's ([`super::scope`]), the writes' ([`super::write`])
//! and startup maintenance ([`super::maintenance`]): it reads the key table to authenticate a
//! request, and never a record for a caller, so it runs its statements through
//! [`Source::maintain`] and [`Source::begin_write`] and reads with `EntityTrait::find`, each
//! use marked with the reason the workspace's clippy.toml asks for.
//!
//! A change must be seen by the next request, even when another process (the command line)
//! makes it. On SQLite each request looks its key up (one indexed read, in process). On
//! PostgreSQL verified keys are cached, and every change sends `NOTIFY atmp_keys` in its own
//! transaction: a listener empties the cache when one arrives, and while it is not connected
//! (or the source is found down) the cache is not used at all. Expiry and a rolled key's
//! overlap are checked against the clock on every request, cached or not.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lru::LruCache;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Set, SqlErr,
};
use tokio::task::AbortHandle;
use tracing::Instrument;
use uuid::Uuid;

use entities::api_key;
use entities::enums::KeyRole;

use super::{HashMap, InstitutionId, Source, Store, StoreError};
use crate::domain::{natural_id, random_uuid, ApiKey, NoRandomness, RecordKind};

/// The channel every change to the keys is announced on.
const CHANNEL: &str = "atmp_keys";

/// Keys kept verified in memory, at most.
const CACHED_KEYS: usize = 4096;

/// Longest a cached key is trusted without reading it again: bounds what a listener whose
/// connection died unnoticed (a half-open socket) can miss.
const CACHE_LIFETIME: Duration = Duration::from_secs(60);

/// How often `last_used_at` is written for a key, at most.
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// How long the listener waits before connecting again after losing its connection.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// Longest a name may be.
const MAX_NAME_CHARS: usize = 100;

/// A key's ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub Uuid);

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An institution a key is scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyInstitution {
    pub id: InstitutionId,
    pub code: String,
}

/// Who sent a valid key: the key, its role and its institutions (none for an admin).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyCaller {
    pub key: KeyId,
    pub role: KeyRole,
    pub institutions: Vec<KeyInstitution>,
}

/// Why a well-formed key is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No key has this secret (never had, or rolled more than once since).
    Unknown,
    /// The key was revoked.
    Revoked,
    /// The key's expiry has passed.
    Expired,
    /// The secret was rolled, and the overlap it was given has ended.
    Rolled,
}

/// A key as `keys list` shows it: never its secret, nor its hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyListing {
    pub id: KeyId,
    pub name: String,
    pub role: KeyRole,
    /// The codes of its institutions, sorted.
    pub institutions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Until when the secret before the last roll still works.
    pub previous_until: Option<DateTime<Utc>>,
}

/// A key to create.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub role: KeyRole,
    /// Institution codes: at least one for a partner, one for staff, none for an admin.
    pub institutions: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why a key could not be created, revoked or rolled.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The request breaks a rule, which the message names.
    #[error("{0}")]
    Invalid(String),
    /// No key has this ID or name.
    #[error("no key has the ID or name `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Randomness(#[from] NoRandomness),
    #[error("could not read or write the keys")]
    Store(#[from] StoreError),
}

impl From<DbErr> for KeyError {
    fn from(error: DbErr) -> Self {
        KeyError::Store(StoreError::Db(error))
    }
}

/// Where the keys live and what is kept of them in memory: part of the store.
pub(super) struct Keys {
    /// The index of the source that holds them.
    source: usize,
    /// Verified keys, on PostgreSQL only.
    cache: Option<Arc<KeyCache>>,
    /// The task listening for changes, once started.
    listener: Mutex<Option<AbortHandle>>,
    /// When `last_used_at` was last written for each key, by this process.
    last_used: Arc<Mutex<HashMap<Uuid, Instant>>>,
}

impl Keys {
    /// The keys of `sources[source]`, cached when that is a PostgreSQL database.
    pub(super) fn new(sources: &[Source], source: usize) -> Keys {
        let postgres = sources.get(source).is_some_and(|source| {
            source.connection().get_database_backend() == DbBackend::Postgres
        });
        Keys {
            source,
            cache: postgres.then(|| Arc::new(KeyCache::new())),
            listener: Mutex::new(None),
            last_used: Arc::new(Mutex::new(HashMap::default())),
        }
    }

    /// Stops the listener, if one runs.
    pub(super) fn stop(&self) {
        let mut listener = self.listener.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(listener) = listener.take() {
            listener.abort();
        }
    }
}

/// Verified keys by the hash of their secret, used only while the listener is connected.
struct KeyCache {
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
enum Cached {
    Hit(Arc<api_key::Model>),
    /// Not cached; what is read may be stored under this generation (`None`: not at all).
    Miss(Option<u64>),
}

impl KeyCache {
    fn new() -> KeyCache {
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

    fn get(&self, hash: &str) -> Cached {
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
    fn put(&self, hash: String, row: Arc<api_key::Model>, generation: u64) {
        let mut state = self.state();
        if state.listening && state.generation == generation {
            state.entries.put(hash, (row, Instant::now()));
        }
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

impl Store {
    /// The source the keys live in.
    fn keys_source(&self) -> Result<&Source, StoreError> {
        self.sources()
            .get(self.inner.keys.source)
            .ok_or_else(|| StoreError::Db(DbErr::Custom("the store has no source".to_owned())))
    }

    /// Who `key` belongs to, or why it is refused. One indexed read of the keys' source, none
    /// for a key cached on PostgreSQL; a valid key's `last_used_at` is written at most once a
    /// minute, after the answer, and a failure to write it is only logged.
    pub async fn authenticate(
        &self,
        key: &ApiKey,
    ) -> Result<Result<KeyCaller, Refusal>, StoreError> {
        let source = self.keys_source()?;
        let hash = key.hash();
        let cache = self
            .inner
            .keys
            .cache
            .as_ref()
            .filter(|_| source.is_answering());
        let cached = match cache {
            Some(cache) => {
                // A change's notification may be on the listener's socket already: yielding
                // lets the runtime poll its I/O and run the listener before the cache is read
                // (tokio wakes a yielded task only after that), so that a change committed
                // before this request is not missed for want of a turn.
                tokio::task::yield_now().await;
                cache.get(&hash)
            }
            None => Cached::Miss(None),
        };
        let row = match cached {
            Cached::Hit(row) => row,
            Cached::Miss(generation) => {
                let Some(row) = find_by_hash(source, &hash).await? else {
                    return Ok(Err(Refusal::Unknown));
                };
                let row = Arc::new(row);
                if let (Some(cache), Some(generation)) = (cache, generation) {
                    cache.put(hash.clone(), row.clone(), generation);
                }
                row
            }
        };
        let now = Utc::now();
        if let Some(refusal) = refusal(&row, &hash, now) {
            return Ok(Err(refusal));
        }
        self.touch(source, row.id, now);
        Ok(Ok(caller(&row)))
    }

    /// Writes `last_used_at` of key `id` in a task of its own, unless this process wrote it
    /// less than a minute ago; the statement itself skips a row another process wrote since.
    fn touch(&self, source: &Source, id: Uuid, now: DateTime<Utc>) {
        {
            let mut written = self
                .inner
                .keys
                .last_used
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if written
                .get(&id)
                .is_some_and(|at| at.elapsed() < LAST_USED_EVERY)
            {
                return;
            }
            written.insert(id, Instant::now());
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let source = source.clone();
        runtime.spawn(
            async move {
                if let Err(error) = write_last_used(&source, id, now).await {
                    tracing::warn!(key = %id, %error, "could not write when a key was last used");
                }
            }
            .instrument(tracing::Span::current()),
        );
    }

    /// Starts listening for changes to the keys in a task of the current runtime, when they
    /// are cached (on PostgreSQL), until the store is closed or dropped. Until the listener
    /// is connected, and whenever it is not, every key is read from the database.
    pub fn listen_for_key_changes(&self) {
        let Some(cache) = self.inner.keys.cache.clone() else {
            return;
        };
        let Ok(source) = self.keys_source() else {
            return;
        };
        let mut listener = self
            .inner
            .keys
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if listener.is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(
                "no runtime to listen for key changes in: keys are read on every request"
            );
            return;
        };
        let pool = source.connection().get_postgres_connection_pool();
        let options = (*pool.connect_options()).clone();
        let name = source.name().to_owned();
        let task = runtime.spawn(listen(cache, options, name));
        *listener = Some(task.abort_handle());
    }

    /// How many changes to the keys this store has been told of, each of which emptied its
    /// cache before the next request; `None` while no key is served from memory (on SQLite,
    /// or while the listener is not listening).
    pub fn key_changes_heard(&self) -> Option<u64> {
        let cache = self.inner.keys.cache.as_ref()?;
        let state = cache.state();
        state.listening.then_some(state.heard)
    }

    /// Every key, by name.
    #[expect(
        clippy::disallowed_methods,
        reason = "the key table's own door lists the keys for the command line, for no caller"
    )]
    pub async fn keys(&self) -> Result<Vec<KeyListing>, StoreError> {
        let source = self.keys_source()?;
        let rows = source
            .maintain(|connection| async move {
                api_key::Entity::find()
                    .order_by_asc(api_key::Column::Name)
                    .all(&connection)
                    .await
            })
            .await
            .map_err(|error| source.unavailable(error))?;
        Ok(rows.iter().map(listing).collect())
    }

    /// Creates a key and returns it with its secret, which is shown once and never stored.
    #[expect(
        clippy::disallowed_methods,
        reason = "the key table's own door writes keys in a transaction of its own"
    )]
    pub async fn create_key(&self, new: NewKey) -> Result<(KeyListing, ApiKey), KeyError> {
        let name = checked_name(&new.name)?;
        let institutions = self.checked_institutions(new.role, &new.institutions)?;
        let now = Utc::now();
        if let Some(expires_at) = new.expires_at.filter(|at| *at <= now) {
            return Err(KeyError::Invalid(format!(
                "`--expires` must be in the future, not {}",
                expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        let secret = ApiKey::generate()?;
        let source = self.keys_source()?;
        let txn = source.begin_write().await?;
        if find(&txn, &name).await?.is_some() {
            return Err(KeyError::Invalid(format!(
                "a key named `{name}` exists already: names are unique"
            )));
        }
        let row = api_key::ActiveModel {
            id: Set(random_uuid()?),
            name: Set(name.clone()),
            role: Set(new.role),
            institutions: Set(institutions.join(",")),
            secret_hash: Set(secret.hash()),
            previous_hash: Set(None),
            previous_until: Set(None),
            created_at: Set(now),
            last_used_at: Set(None),
            expires_at: Set(new.expires_at),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(|error| match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => KeyError::Invalid(format!(
                "a key named `{name}` exists already: names are unique"
            )),
            _ => KeyError::from(error),
        })?;
        announce(&txn).await?;
        txn.commit().await?;
        Ok((listing(&row), secret))
    }

    /// Revokes the key with this ID or name: it is refused from the next request on. A key
    /// revoked already stays as it was.
    #[expect(
        clippy::disallowed_methods,
        reason = "the key table's own door writes keys in a transaction of its own"
    )]
    pub async fn revoke_key(&self, which: &str) -> Result<KeyListing, KeyError> {
        let source = self.keys_source()?;
        let txn = source.begin_write().await?;
        let row = find(&txn, which)
            .await?
            .ok_or_else(|| KeyError::NotFound(which.to_owned()))?;
        if row.revoked_at.is_some() {
            return Ok(listing(&row));
        }
        let mut active: api_key::ActiveModel = row.into();
        active.revoked_at = Set(Some(Utc::now()));
        let row = active.update(&txn).await?;
        announce(&txn).await?;
        txn.commit().await?;
        Ok(listing(&row))
    }

    /// Gives the key with this ID or name a new secret, returned to be shown once; the old
    /// secret works for `overlap` more (and no longer at once when it is zero). A secret
    /// rolled earlier, still in its overlap, stops working.
    #[expect(
        clippy::disallowed_methods,
        reason = "the key table's own door writes keys in a transaction of its own"
    )]
    pub async fn roll_key(
        &self,
        which: &str,
        overlap: Duration,
    ) -> Result<(KeyListing, ApiKey), KeyError> {
        let overlap = chrono::Duration::from_std(overlap)
            .map_err(|_| KeyError::Invalid("`--overlap` is too long".to_owned()))?;
        let secret = ApiKey::generate()?;
        let source = self.keys_source()?;
        let txn = source.begin_write().await?;
        let row = find(&txn, which)
            .await?
            .ok_or_else(|| KeyError::NotFound(which.to_owned()))?;
        let now = Utc::now();
        if let Some(revoked_at) = row.revoked_at {
            return Err(KeyError::Invalid(format!(
                "key `{}` was revoked at {}: a revoked key cannot be rolled",
                row.name,
                revoked_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        if let Some(expires_at) = row.expires_at.filter(|at| *at <= now) {
            return Err(KeyError::Invalid(format!(
                "key `{}` expired at {}: create a new key instead",
                row.name,
                expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        let until = now
            .checked_add_signed(overlap)
            .ok_or_else(|| KeyError::Invalid("`--overlap` is too long".to_owned()))?;
        let mut active: api_key::ActiveModel = row.clone().into();
        active.previous_hash = Set(Some(row.secret_hash));
        active.previous_until = Set(Some(until));
        active.secret_hash = Set(secret.hash());
        let row = active.update(&txn).await?;
        announce(&txn).await?;
        txn.commit().await?;
        Ok((listing(&row), secret))
    }

    /// The sorted codes of `codes` after checking them against the role's rule and the
    /// institutions the store knows.
    fn checked_institutions(
        &self,
        role: KeyRole,
        codes: &[String],
    ) -> Result<Vec<String>, KeyError> {
        let mut codes: Vec<String> = codes.iter().map(|code| code.trim().to_owned()).collect();
        codes.sort();
        codes.dedup();
        let rule = match role {
            KeyRole::Partner if codes.is_empty() => {
                Some("a partner's key needs at least one `--institution`")
            }
            KeyRole::Staff if codes.len() != 1 => {
                Some("a staff key needs exactly one `--institution`")
            }
            KeyRole::Admin if !codes.is_empty() => {
                Some("an admin's key has no `--institution`: it is not scoped to one")
            }
            _ => None,
        };
        if let Some(rule) = rule {
            return Err(KeyError::Invalid(rule.to_owned()));
        }
        let known: Vec<String> = self
            .all_institutions()
            .into_iter()
            .map(|institution| institution.code)
            .collect();
        if let Some(unknown) = codes.iter().find(|code| !known.contains(code)) {
            return Err(KeyError::Invalid(format!(
                "unknown institution code `{unknown}`; known codes: {}",
                known.join(", ")
            )));
        }
        Ok(codes)
    }
}

/// The key whose current or previous secret has this hash, if any.
#[expect(
    clippy::disallowed_methods,
    reason = "the key table's own door reads a key to authenticate a request, for no caller"
)]
async fn find_by_hash(source: &Source, hash: &str) -> Result<Option<api_key::Model>, StoreError> {
    source
        .maintain(|connection| async move {
            api_key::Entity::find()
                .filter(
                    api_key::Column::SecretHash
                        .eq(hash)
                        .or(api_key::Column::PreviousHash.eq(hash)),
                )
                .one(&connection)
                .await
        })
        .await
        .map_err(|error| source.unavailable(error))
}

/// The key with this ID, or else with this name, in `txn`.
#[expect(
    clippy::disallowed_methods,
    reason = "the key table's own door reads the key it changes, in the change's transaction"
)]
async fn find(txn: &DatabaseTransaction, which: &str) -> Result<Option<api_key::Model>, DbErr> {
    if let Ok(id) = Uuid::parse_str(which) {
        if let Some(row) = api_key::Entity::find_by_id(id).one(txn).await? {
            return Ok(Some(row));
        }
    }
    api_key::Entity::find()
        .filter(api_key::Column::Name.eq(which))
        .one(txn)
        .await
}

/// Writes `last_used_at` of key `id`, unless it was written less than a minute before `now`.
#[expect(
    clippy::disallowed_methods,
    reason = "the key table's own door notes when a key was used, outside any request's reads"
)]
async fn write_last_used(source: &Source, id: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    let recently = now - chrono::Duration::from_std(LAST_USED_EVERY).unwrap_or_default();
    source
        .maintain(|connection| async move {
            api_key::Entity::update_many()
                .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
                .filter(api_key::Column::Id.eq(id))
                .filter(
                    api_key::Column::LastUsedAt
                        .is_null()
                        .or(api_key::Column::LastUsedAt.lt(recently)),
                )
                .exec(&connection)
                .await
        })
        .await?;
    Ok(())
}

/// Tells every server listening that the keys changed, when the transaction commits
/// (PostgreSQL only: on SQLite keys are not cached).
async fn announce(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

/// Listens for changes to the keys on a connection of its own, emptying `cache` at each, and
/// connecting again whenever the connection is lost; the cache is used only while it listens.
async fn listen(cache: Arc<KeyCache>, options: PgConnectOptions, source: String) {
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

/// Why the key in `row`, found by the hash `hash`, is refused at `now`, if it is.
fn refusal(row: &api_key::Model, hash: &str, now: DateTime<Utc>) -> Option<Refusal> {
    if row.revoked_at.is_some() {
        Some(Refusal::Revoked)
    } else if row.expires_at.is_some_and(|at| at <= now) {
        Some(Refusal::Expired)
    } else if row.secret_hash != hash && row.previous_until.is_none_or(|until| until <= now) {
        Some(Refusal::Rolled)
    } else {
        None
    }
}

/// The caller of a valid key.
fn caller(row: &api_key::Model) -> KeyCaller {
    KeyCaller {
        key: KeyId(row.id),
        role: row.role,
        institutions: codes(&row.institutions)
            .map(|code| KeyInstitution {
                id: InstitutionId(natural_id(RecordKind::Institution, code)),
                code: code.to_owned(),
            })
            .collect(),
    }
}

/// The codes of a key's `institutions` column.
fn codes(institutions: &str) -> impl Iterator<Item = &str> {
    institutions.split(',').filter(|code| !code.is_empty())
}

fn listing(row: &api_key::Model) -> KeyListing {
    KeyListing {
        id: KeyId(row.id),
        name: row.name.clone(),
        role: row.role,
        institutions: codes(&row.institutions).map(str::to_owned).collect(),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        previous_until: row.previous_until,
    }
}

/// `name` trimmed, if it is a usable name: not empty, at most 100 characters, no control
/// characters, and not a UUID (so that a key's ID and a name never mean two keys).
fn checked_name(name: &str) -> Result<String, KeyError> {
    let name = name.trim();
    let problem = if name.is_empty() {
        Some("`--name` must not be empty")
    } else if name.chars().count() > MAX_NAME_CHARS {
        Some("`--name` must be at most 100 characters")
    } else if name.chars().any(char::is_control) {
        Some("`--name` must not hold control characters")
    } else if Uuid::parse_str(name).is_ok() {
        Some("`--name` must not be a UUID: keys are named by their ID or their name")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(KeyError::Invalid(problem.to_owned())),
        None => Ok(name.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(hash: &str) -> api_key::Model {
        api_key::Model {
            id: Uuid::nil(),
            name: "ci".to_owned(),
            role: KeyRole::Partner,
            institutions: "KI,KUH".to_owned(),
            secret_hash: hash.to_owned(),
            previous_hash: None,
            previous_until: None,
            created_at: Utc::now(),
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_key_is_refused_when_revoked_expired_or_rolled_past_its_overlap() {
        let now = Utc::now();
        let hour = chrono::Duration::hours(1);
        let valid = row("new");
        let revoked = api_key::Model {
            revoked_at: Some(now - hour),
            ..row("new")
        };
        let expired = api_key::Model {
            expires_at: Some(now - hour),
            ..row("new")
        };
        let expiring = api_key::Model {
            expires_at: Some(now + hour),
            ..row("new")
        };
        let rolled = |until| api_key::Model {
            previous_hash: Some("old".to_owned()),
            previous_until: Some(until),
            ..row("new")
        };
        for (row, hash, expected, what) in [
            (&valid, "new", None, "a valid key"),
            (&expiring, "new", None, "a key expiring later"),
            (&revoked, "new", Some(Refusal::Revoked), "a revoked key"),
            (&expired, "new", Some(Refusal::Expired), "an expired key"),
            (
                &rolled(now + hour),
                "old",
                None,
                "an old secret in its overlap",
            ),
            (
                &rolled(now + hour),
                "new",
                None,
                "the new secret in the overlap",
            ),
            (
                &rolled(now - hour),
                "old",
                Some(Refusal::Rolled),
                "an old secret after it",
            ),
            (&rolled(now - hour), "new", None, "the new secret after it"),
        ] {
            assert_eq!(refusal(row, hash, now), expected, "{what}");
        }
    }

    #[test]
    fn a_valid_key_names_its_role_and_institutions() {
        let caller = caller(&row("h"));
        assert_eq!(caller.role, KeyRole::Partner);
        assert_eq!(
            caller.institutions,
            ["KI", "KUH"].map(|code| KeyInstitution {
                id: InstitutionId(natural_id(RecordKind::Institution, code)),
                code: code.to_owned(),
            })
        );
        assert!(super::caller(&api_key::Model {
            institutions: String::new(),
            role: KeyRole::Admin,
            ..row("h")
        })
        .institutions
        .is_empty());
    }

    #[test]
    fn every_key_holder_reads_as_the_public_until_the_rules_per_role_are_written() {
        use crate::store::{Caller, Scope};
        for role in [KeyRole::Partner, KeyRole::Staff, KeyRole::Admin] {
            let scope = Scope::of(&Caller::Key(caller(&api_key::Model { role, ..row("h") })));
            assert!(scope.is_open::<crate::store::Units>(), "{role:?}");
            assert!(scope.is_open::<crate::store::People>(), "{role:?}");
        }
    }

    #[test]
    fn names_must_be_usable_and_not_uuids() {
        assert_eq!(checked_name("  ci pipeline ").unwrap(), "ci pipeline");
        for (name, what) in [
            ("", "empty"),
            ("   ", "blank"),
            ("a\tb", "a control character"),
            ("67e55044-10b1-426f-9247-bb680e5fe0c8", "a UUID"),
            (&"x".repeat(101), "too long"),
        ] {
            assert!(checked_name(name).is_err(), "{what}");
        }
    }

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
