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

mod cache;
mod manage;
mod reads;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DbBackend, DbErr, EntityTrait, QueryFilter};
use tokio::task::AbortHandle;
use tracing::Instrument;
use uuid::Uuid;

use entities::api_key;
use entities::enums::KeyRole;

use super::{HashMap, InstitutionId, Source, Store, StoreError};
use crate::domain::{natural_id, ApiKey, Rate, RecordKind};
use cache::{Cached, KeyCache};
pub use manage::{KeyError, KeyListing, NewKey};
pub(crate) use reads::ReadLog;
pub use reads::{PersonalDataRead, ReadListing, ReadsPage, SignedIn};

/// The channel every change to the keys is announced on.
const CHANNEL: &str = "atmp_keys";

/// How often `last_used_at` is written for a key, at most.
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

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

/// An institution code that no institution has, with those that do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown institution code `{code}`; known codes: {}", known.join(", "))]
pub struct UnknownInstitution {
    /// The code asked for.
    pub code: String,
    /// Every institution's code.
    pub known: Vec<String>,
}

/// Who sent a valid key: the key, its role, its institutions (none for an admin) and its own
/// rate limit, if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyCaller {
    pub key: KeyId,
    pub role: KeyRole,
    pub institutions: Vec<KeyInstitution>,
    /// The key's own rate limit; `None` for its role's.
    pub rate: Option<Rate>,
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

/// Where the keys live and what is kept of them in memory: part of the store.
pub(super) struct Keys {
    /// The index of the source that holds them.
    source: usize,
    /// Verified keys, on PostgreSQL only.
    cache: Option<Arc<KeyCache>>,
    /// The task listening for changes, once started.
    listener: Mutex<Option<AbortHandle>>,
    /// When `last_used_at` was last written for each key, by this process.
    last_used: Mutex<HashMap<Uuid, Instant>>,
}

impl Keys {
    /// The keys of `sources[source]`, cached when that is a PostgreSQL database.
    pub(super) fn new(sources: &[Source], source: usize) -> Keys {
        let postgres = sources
            .get(source)
            .is_some_and(|source| source.backend() == DbBackend::Postgres);
        Keys {
            source,
            cache: postgres.then(|| Arc::new(KeyCache::new())),
            listener: Mutex::new(None),
            last_used: Mutex::new(HashMap::default()),
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

impl Store {
    /// The source the keys live in, and with them the service's own secret (the cursors').
    pub(crate) fn keys_source(&self) -> Result<&Source, StoreError> {
        self.sources()
            .get(self.inner.keys.source)
            .ok_or_else(|| StoreError::Db(DbErr::Custom("the store has no source".to_owned())))
    }

    /// The institutions with these codes, as a key or a token is scoped to them, from the
    /// list kept in memory (no statement); the first code that no institution has is refused.
    pub fn institutions_by_code(
        &self,
        codes: &[String],
    ) -> Result<Vec<KeyInstitution>, UnknownInstitution> {
        let known = self.all_institutions();
        codes
            .iter()
            .map(|code| match known.iter().find(|i| i.code == *code) {
                Some(institution) => Ok(KeyInstitution {
                    id: InstitutionId(institution.id),
                    code: institution.code.clone(),
                }),
                None => Err(UnknownInstitution {
                    code: code.clone(),
                    known: known.iter().map(|i| i.code.clone()).collect(),
                }),
            })
            .collect()
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
    #[expect(
        clippy::disallowed_methods,
        reason = "the key table's listener connects with the keys source's options"
    )]
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
        let Some(options) = source.listener_options() else {
            return;
        };
        let name = source.name().to_owned();
        let task = runtime.spawn(cache::listen(cache, options, name));
        *listener = Some(task.abort_handle());
    }

    /// How many changes to the keys this store has been told of, each of which emptied its
    /// cache before the next request; `None` while no key is served from memory (on SQLite,
    /// or while the listener is not listening).
    pub fn key_changes_heard(&self) -> Option<u64> {
        self.inner.keys.cache.as_ref()?.heard()
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
        rate: own_rate(row),
    }
}

/// The key's own rate limit, from its `rate` column. A value that does not read as a rate (the
/// command line writes none such) is logged and the role's rate used instead.
fn own_rate(row: &api_key::Model) -> Option<Rate> {
    let text = row.rate.as_deref()?;
    match text.parse() {
        Ok(rate) => Some(rate),
        Err(error) => {
            tracing::warn!(key = %row.id, %error, "the key's own rate limit is unreadable: its role's applies");
            None
        }
    }
}

/// The codes of a key's `institutions` column.
fn codes(institutions: &str) -> impl Iterator<Item = &str> {
    institutions.split(',').filter(|code| !code.is_empty())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn row(hash: &str) -> api_key::Model {
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
            rate: None,
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
    fn a_key_has_its_own_rate_when_its_column_holds_one() {
        assert_eq!(caller(&row("h")).rate, None);
        let own = api_key::Model {
            rate: Some("6000/1m".to_owned()),
            ..row("h")
        };
        assert_eq!(caller(&own).rate, Some("6000/1m".parse().unwrap()));
        let off = api_key::Model {
            rate: Some("off".to_owned()),
            ..row("h")
        };
        assert_eq!(caller(&off).rate, Some(Rate::Off));
        let unreadable = api_key::Model {
            rate: Some("lots".to_owned()),
            ..row("h")
        };
        assert_eq!(caller(&unreadable).rate, None);
    }

    #[test]
    fn a_key_holder_reads_every_row_as_an_admin_and_by_the_rules_of_its_role_otherwise() {
        use crate::store::{Caller, Institutions, People, Scope, Units};
        for (role, open) in [
            (KeyRole::Partner, false),
            (KeyRole::Staff, false),
            (KeyRole::Steward, false),
            (KeyRole::Admin, true),
        ] {
            let seal = std::sync::Arc::new(crate::store::seal::Seal::new(&[7; 32]));
            let holder = Caller::Key(caller(&api_key::Model { role, ..row("h") }));
            let scope = Scope::of(&holder, seal);
            assert_eq!(scope.is_open::<Units>(), open, "{role:?}");
            assert_eq!(scope.is_open::<People>(), open, "{role:?}");
            assert!(scope.is_open::<Institutions>(), "{role:?}");
        }
    }
}
