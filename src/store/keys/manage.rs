//! What the command line does with the keys: create, list, rate-limit, revoke and roll them, each
//! change in a transaction of its own that announces it on [`CHANNEL`] (PostgreSQL).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Set, SqlErr,
};
use uuid::Uuid;

use entities::api_key;
use entities::enums::KeyRole;

use super::{codes, KeyId, CHANNEL};
use crate::domain::{random_uuid, ApiKey, NoRandomness, Rate};
use crate::store::{Store, StoreError};

/// Longest a name may be.
const MAX_NAME_CHARS: usize = 100;

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
    /// The key's own rate limit, as written in its row; `None` for its role's.
    pub rate: Option<String>,
}

/// A key to create.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub role: KeyRole,
    /// Institution codes: at least one for a partner, one for staff, none for an admin.
    pub institutions: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The key's own rate limit, overriding its role's; `None` for its role's.
    pub rate: Option<Rate>,
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
    /// No secret could be made.
    #[error(transparent)]
    Randomness(#[from] NoRandomness),
    /// The keys' source failed.
    #[error("could not read or write the keys")]
    Store(#[from] StoreError),
}

impl From<DbErr> for KeyError {
    fn from(error: DbErr) -> Self {
        KeyError::Store(StoreError::Db(error))
    }
}

impl Store {
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
            rate: Set(new.rate.map(|rate| rate.to_string())),
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

    /// Gives the key with this ID or name its own rate limit, or (`None`) its role's again,
    /// from the next request on.
    #[expect(
        clippy::disallowed_methods,
        reason = "the key table's own door writes keys in a transaction of its own"
    )]
    pub async fn set_key_rate(
        &self,
        which: &str,
        rate: Option<Rate>,
    ) -> Result<KeyListing, KeyError> {
        let source = self.keys_source()?;
        let txn = source.begin_write().await?;
        let row = find(&txn, which)
            .await?
            .ok_or_else(|| KeyError::NotFound(which.to_owned()))?;
        let mut active: api_key::ActiveModel = row.into();
        active.rate = Set(rate.map(|rate| rate.to_string()));
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
            KeyRole::Steward if codes.len() != 1 => {
                Some("a data steward's key needs exactly one `--institution`")
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

/// Tells every server listening that the keys changed, when the transaction commits
/// (PostgreSQL only: on SQLite keys are not cached).
async fn announce(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

/// A key as the list shows it.
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
        rate: row.rate.clone(),
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
}
