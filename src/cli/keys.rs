//! `atmp-graph keys`: create, list, rate-limit, revoke and roll API keys in the keys' source. A
//! secret is printed once, on stdout, when it is made (by `create` and `roll`), and never again:
//! the database holds only its hash. Every refusal is an error message and a non-zero exit.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Subcommand, ValueEnum};
use entities::enums::KeyRole;

use crate::domain::Rate;
use crate::store::{KeyError, KeyListing, NewKey, ReadListing, ReadsPage, Store};

/// What `atmp-graph keys` does.
#[derive(Subcommand, Debug)]
pub(crate) enum KeysCommand {
    /// Create a key, and print its ID and its secret: the secret is shown this once.
    Create {
        /// A name of its own, to list, revoke and roll the key by.
        #[arg(long)]
        name: String,
        /// What the key's holder is.
        #[arg(long, value_enum)]
        role: Role,
        /// The code of an institution the key is for (`KI`, `KUH`); repeat it for several. A
        /// partner's key needs one or more, a staff or steward key exactly one, an admin's
        /// none.
        #[arg(long = "institution", value_name = "CODE")]
        institutions: Vec<String>,
        /// When the key stops working: an RFC 3339 time (`2027-01-01T00:00:00Z`) or a time
        /// from now (`30d`, `24h`, `90m`). By default, never.
        #[arg(long, value_name = "TIME_OR_DURATION", value_parser = parse_expires)]
        expires: Option<DateTime<Utc>>,
        /// The key's own rate limit, instead of its role's (`--rate-limit-partner` and the
        /// others): cost units per period, such as `6000/1m`, or `off` for none.
        #[arg(long, value_name = "COST/PERIOD")]
        rate: Option<Rate>,
    },
    /// List every key: ID, name, role, institutions, created, last used, expires, revoked and
    /// its own rate limit (never a secret).
    List,
    /// Give a key its own rate limit, or its role's again, from the next request on.
    Rate {
        /// The key's ID or name.
        key: String,
        /// Cost units per period (`6000/1m`), `off` for none, or `role` for its role's rate.
        #[arg(value_name = "COST/PERIOD|off|role", value_parser = parse_own_rate)]
        rate: OwnRate,
    },
    /// Revoke a key, by its ID or name: it is refused from the next request on.
    Revoke {
        /// The key's ID or name.
        key: String,
    },
    /// List who read people's contact details, newest first: when, the key (ID and name), how
    /// many people's details the response carried, the operation's name and the SHA-256 of
    /// its text.
    Reads {
        /// Only the reads made with this key (its ID or name).
        #[arg(long)]
        key: Option<String>,
        /// How many reads to list, at most.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Give a key a new secret, and print it: it is shown this once. The old secret keeps
    /// working for the overlap.
    Roll {
        /// The key's ID or name.
        key: String,
        /// How long the old secret keeps working (`24h`, `90m`); by default not at all.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0s")]
        overlap: Duration,
    },
}

/// A key's own rate limit, or none (its role's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OwnRate(Option<Rate>);

/// `keys rate`'s rate: `COST/PERIOD`, `off`, or `role`.
fn parse_own_rate(text: &str) -> Result<OwnRate, String> {
    if text.trim().eq_ignore_ascii_case("role") {
        return Ok(OwnRate(None));
    }
    text.parse()
        .map(|rate| OwnRate(Some(rate)))
        .map_err(|error: crate::domain::InvalidRate| {
            format!("{error}, or `role` for the key's role's")
        })
}

/// What a key's holder is.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A company's key, for one or more institutions.
    Partner,
    /// A member of one institution's staff.
    Staff,
    /// A data steward of one institution: reads as its staff, writes the records it owns.
    Steward,
    /// An administrator.
    Admin,
}

impl From<Role> for KeyRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Partner => KeyRole::Partner,
            Role::Staff => KeyRole::Staff,
            Role::Steward => KeyRole::Steward,
            Role::Admin => KeyRole::Admin,
        }
    }
}

/// How a role is shown: as the command line takes it.
fn role_name(role: KeyRole) -> &'static str {
    match role {
        KeyRole::Partner => "partner",
        KeyRole::Staff => "staff",
        KeyRole::Steward => "steward",
        KeyRole::Admin => "admin",
    }
}

impl KeysCommand {
    /// Runs the command on `store`, printing what it made or found.
    pub(crate) async fn run(self, store: &Store) -> anyhow::Result<()> {
        match self {
            KeysCommand::Create {
                name,
                role,
                institutions,
                expires,
                rate,
            } => {
                let (key, secret) = store
                    .create_key(NewKey {
                        name,
                        role: role.into(),
                        institutions,
                        expires_at: expires,
                        rate,
                    })
                    .await
                    .context("could not create the key")?;
                tracing::info!(key = %key.id, name = %key.name, "key created: its secret is printed once, and only its hash is stored");
                println!("id: {}\nsecret: {}", key.id, secret.secret());
            }
            KeysCommand::List => {
                let keys = store.keys().await.context("could not list the keys")?;
                print!("{}", table(&keys));
            }
            KeysCommand::Reads { key, limit } => {
                let key = match key {
                    None => None,
                    Some(which) => Some(
                        store
                            .key_id(&which)
                            .await
                            .context("could not read the keys")?
                            .ok_or_else(|| KeyError::NotFound(which.clone()))?
                            .0,
                    ),
                };
                let page = ReadsPage {
                    first: limit,
                    after: None,
                    key,
                };
                let (reads, _) = store
                    .personal_data_reads(&page)
                    .await
                    .context("could not read the personal-data read log")?;
                print!("{}", reads_table(&reads));
            }
            KeysCommand::Rate {
                key,
                rate: OwnRate(rate),
            } => {
                let key = store
                    .set_key_rate(&key, rate)
                    .await
                    .context("could not set the key's rate limit")?;
                match &key.rate {
                    Some(rate) => println!("key `{}` ({}) is limited to {rate}", key.name, key.id),
                    None => println!(
                        "key `{}` ({}) is limited by its role's rate ({})",
                        key.name,
                        key.id,
                        role_name(key.role)
                    ),
                }
            }
            KeysCommand::Revoke { key } => {
                let key = store
                    .revoke_key(&key)
                    .await
                    .context("could not revoke the key")?;
                println!(
                    "key `{}` ({}) revoked at {}",
                    key.name,
                    key.id,
                    shown(key.revoked_at)
                );
            }
            KeysCommand::Roll { key, overlap } => {
                let (key, secret) = store
                    .roll_key(&key, overlap)
                    .await
                    .context("could not roll the key")?;
                tracing::info!(key = %key.id, name = %key.name, old_secret_until = %shown(key.previous_until), "key rolled: its new secret is printed once");
                println!("id: {}\nsecret: {}", key.id, secret.secret());
            }
        }
        Ok(())
    }
}

/// `--expires`: an RFC 3339 time, or a duration from now.
fn parse_expires(text: &str) -> Result<DateTime<Utc>, String> {
    expires_at(text, Utc::now())
}

/// `text` as a point in time, a duration being counted from `now`.
fn expires_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let wrong = || {
        format!("`{text}` is neither an RFC 3339 time (`2027-01-01T00:00:00Z`) nor a duration (`30d`, `24h`, `90m`)")
    };
    let duration = humantime::parse_duration(text).map_err(|_| wrong())?;
    chrono::Duration::from_std(duration)
        .ok()
        .and_then(|duration| now.checked_add_signed(duration))
        .ok_or_else(wrong)
}

/// A duration such as `24h`, `90m` or `30d`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|_| format!("`{text}` is not a duration such as `30d`, `24h` or `90m`"))
}

/// A time as the list shows it (to the second, in UTC), or `-`.
fn shown(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |at| at.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// The keys as a table with a header, columns aligned.
fn table(keys: &[KeyListing]) -> String {
    let header = [
        "ID",
        "NAME",
        "ROLE",
        "INSTITUTIONS",
        "CREATED",
        "LAST USED",
        "EXPIRES",
        "REVOKED",
        "RATE",
    ];
    let rows: Vec<[String; 9]> = keys
        .iter()
        .map(|key| {
            [
                key.id.to_string(),
                key.name.clone(),
                role_name(key.role).to_owned(),
                if key.institutions.is_empty() {
                    "-".to_owned()
                } else {
                    key.institutions.join(",")
                },
                shown(Some(key.created_at)),
                shown(key.last_used_at),
                shown(key.expires_at),
                shown(key.revoked_at),
                key.rate.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    aligned(header, &rows)
}

/// The personal-data reads as a table with a header, columns aligned.
fn reads_table(reads: &[ReadListing]) -> String {
    let header = [
        "READ AT",
        "KEY ID",
        "KEY NAME",
        "SIGNED IN",
        "PEOPLE",
        "OPERATION",
        "OPERATION HASH",
    ];
    let rows: Vec<[String; 7]> = reads
        .iter()
        .map(|read| {
            [
                shown(Some(read.at)),
                read.key
                    .map_or_else(|| "-".to_owned(), |key| key.to_string()),
                read.key_name.clone().unwrap_or_else(|| "-".to_owned()),
                read.signed_in.as_ref().map_or_else(
                    || "-".to_owned(),
                    |person| format!("{} at {}", person.subject, person.issuer),
                ),
                read.people.to_string(),
                read.operation_name
                    .clone()
                    .unwrap_or_else(|| "-".to_owned()),
                read.operation_hash.clone(),
            ]
        })
        .collect();
    aligned(header, &rows)
}

/// `rows` under `header`, each column as wide as its widest cell, two spaces apart.
fn aligned<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let header = header.map(str::to_owned);
    let mut widths = header.clone().map(|cell| cell.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KeyId;

    #[test]
    fn expiry_is_a_time_or_a_duration_from_now() {
        let now = DateTime::parse_from_rfc3339("2026-12-16T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for (text, expected) in [
            ("2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            ("2027-01-01T01:00:00+01:00", "2027-01-01T00:00:00Z"),
            ("30d", "2027-01-15T12:00:00Z"),
            ("24h", "2026-12-17T12:00:00Z"),
            ("90m", "2026-12-16T13:30:00Z"),
        ] {
            assert_eq!(
                shown(Some(expires_at(text, now).unwrap())),
                expected,
                "{text}"
            );
        }
        for text in ["", "tomorrow", "30", "2027-01-01", "-1d"] {
            assert!(expires_at(text, now).is_err(), "{text}");
        }
    }

    #[test]
    fn a_key_rate_is_a_rate_off_or_the_roles() {
        assert_eq!(
            parse_own_rate("6000/1m"),
            Ok(OwnRate(Some("6000/1m".parse().unwrap())))
        );
        assert_eq!(parse_own_rate("off"), Ok(OwnRate(Some(Rate::Off))));
        assert_eq!(parse_own_rate("role"), Ok(OwnRate(None)));
        assert_eq!(
            parse_own_rate("fast"),
            Err("`fast` is not a rate: write `COST/PERIOD`, such as `6000/1m` (cost units per minute), or `off`, or `role` for the key's role's".to_owned())
        );
    }

    #[test]
    fn an_overlap_is_a_duration() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(24 * 3600)));
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(90 * 60)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(
            parse_duration("a day"),
            Err("`a day` is not a duration such as `30d`, `24h` or `90m`".to_owned())
        );
    }

    #[test]
    fn the_reads_are_a_table_newest_first_as_listed() {
        let at = DateTime::parse_from_rfc3339("2026-12-17T09:30:00.25Z")
            .unwrap()
            .with_timezone(&Utc);
        let read = |key: Option<&str>, operation: Option<&str>, people| ReadListing {
            id: uuid::Uuid::nil(),
            key: key.map(|_| KeyId(uuid::Uuid::from_u128(1))),
            key_name: key.map(str::to_owned),
            signed_in: key.is_none().then(|| crate::store::SignedIn {
                issuer: "https://idp.example".to_owned(),
                subject: "anna".to_owned(),
            }),
            at,
            operation_hash: "ab12".to_owned(),
            operation_name: operation.map(str::to_owned),
            people,
        };
        assert_eq!(
            reads_table(&[read(Some("kuh-desk"), Some("Colleagues"), 12), read(None, None, 1)]),
            "READ AT               KEY ID                                KEY NAME  SIGNED IN                    PEOPLE  OPERATION   OPERATION HASH\n\
             2026-12-17T09:30:00Z  00000000-0000-0000-0000-000000000001  kuh-desk  -                            12      Colleagues  ab12\n\
             2026-12-17T09:30:00Z  -                                     -         anna at https://idp.example  1       -           ab12\n"
        );
        assert_eq!(
            reads_table(&[]),
            "READ AT  KEY ID  KEY NAME  SIGNED IN  PEOPLE  OPERATION  OPERATION HASH\n"
        );
    }

    #[test]
    fn the_list_is_a_table_without_secrets() {
        let created = DateTime::parse_from_rfc3339("2026-12-16T12:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        let key = KeyListing {
            id: KeyId(uuid::Uuid::nil()),
            name: "ci".to_owned(),
            role: KeyRole::Partner,
            institutions: vec!["KI".to_owned(), "KUH".to_owned()],
            created_at: created,
            last_used_at: None,
            expires_at: None,
            revoked_at: Some(created),
            previous_until: None,
            rate: None,
        };
        let limited = KeyListing {
            name: "bulk".to_owned(),
            revoked_at: None,
            rate: Some("6000/1m".to_owned()),
            ..key.clone()
        };
        assert_eq!(
            table(&[key, limited]),
            "ID                                    NAME  ROLE     INSTITUTIONS  CREATED               LAST USED  EXPIRES  REVOKED               RATE\n\
             00000000-0000-0000-0000-000000000000  ci    partner  KI,KUH        2026-12-16T12:00:00Z  -          -        2026-12-16T12:00:00Z  -\n\
             00000000-0000-0000-0000-000000000000  bulk  partner  KI,KUH        2026-12-16T12:00:00Z  -          -        -                     6000/1m\n"
        );
    }
}
