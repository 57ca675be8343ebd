//! The log of who read personal data: one row of `personal_data_read` per response that
//! carried people's contact details, in the keys' source, beside the keys it names.
//!
//! A response is answered before its row is written: the request hands the row to a channel
//! and returns ([`Store::log_personal_data_read`] never waits), and a task of the store's
//! writes what the channel holds, as many rows as have come in one statement. A write that
//! fails is tried again a few times; a row that still cannot be written is logged whole as an
//! error, so that the operator's log keeps it. Closing the store ([`Store::close`], which
//! `serve` does at its graceful shutdown) writes every row sent before it returns.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use entities::{api_key, personal_data_read};

use super::super::page::{Cursor, SortValue};
use super::super::{Source, Store, StoreError};
use super::KeyId;

/// The list name and ordering the log's cursors carry.
const LIST: &str = "personalDataReads";
const ORDERING: &str = "ID.DESC";

/// Rows per statement, at most.
const BATCH: usize = 200;

/// How often a failed write is tried again, and how long the writer waits before the first
/// retry (doubled for each next): the writer's own task waits, never a request.
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_millis(200);

/// A person signed in at the hospital's identity provider, as its token names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The identity provider that issued the token (`iss`).
    pub issuer: String,
    /// The person, as the identity provider names them (`sub`).
    pub subject: String,
}

/// A response that carried people's contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalDataRead {
    /// The API key the response was made for; none for a signed-in person.
    pub key: Option<Uuid>,
    /// The signed-in person the response was made for; none for a key.
    pub signed_in: Option<SignedIn>,
    /// When the response was made.
    pub at: DateTime<Utc>,
    /// The hex SHA-256 of the query's text.
    pub operation_hash: String,
    /// The operation's name, when the request named one.
    pub operation_name: Option<String>,
    /// How many people's contact details it carried.
    pub people: u32,
}

/// A row of the log as it is listed: with the name of the key, where it still exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadListing {
    /// The row's ID (a UUID v7, in the order the reads were made).
    pub id: Uuid,
    pub key: Option<KeyId>,
    pub key_name: Option<String>,
    pub signed_in: Option<SignedIn>,
    pub at: DateTime<Utc>,
    pub operation_hash: String,
    pub operation_name: Option<String>,
    pub people: u32,
}

/// Which rows of the log to list: newest first, `first` of them, after the row with ID
/// `after`, of the key `key` only when given.
#[derive(Debug, Clone, Default)]
pub struct ReadsPage {
    pub first: u64,
    pub after: Option<Uuid>,
    pub key: Option<Uuid>,
}

impl ReadListing {
    /// The cursor of this row, to list the rows after it.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            list: LIST.to_owned(),
            ordering: ORDERING.to_owned(),
            filter: 0,
            keys: vec![SortValue::Uuid(self.id)],
        }
    }
}

impl ReadsPage {
    /// The row `cursor` names, to list the rows after it; a cursor of another list is refused.
    pub fn after(cursor: &Cursor) -> Result<Uuid, StoreError> {
        match cursor.keys.as_slice() {
            [SortValue::Uuid(id)] if cursor.list == LIST && cursor.ordering == ORDERING => Ok(*id),
            _ => Err(StoreError::InvalidCursor(
                "the cursor was made for another list".to_owned(),
            )),
        }
    }
}

/// What goes down the channel to the writer.
enum Message {
    Read(Box<personal_data_read::Model>),
    /// Answered once every row sent before is written (or given up).
    Flush(oneshot::Sender<()>),
}

/// The channel to the writer and the writer's task, once started; part of the keys' door.
#[derive(Default)]
pub(crate) struct ReadLog {
    writer: Mutex<Option<Writer>>,
    /// Whether the log was closed: no writer starts again.
    closed: Mutex<bool>,
}

struct Writer {
    sender: mpsc::UnboundedSender<Message>,
    task: JoinHandle<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ReadLog {
    /// Sends `message` to the writer, starting it in the current runtime if it is not running
    /// yet; `Err` gives the message back where there is no runtime or the log is closed.
    fn send(&self, source: &Source, message: Message) -> Result<(), Message> {
        if *lock(&self.closed) {
            return Err(message);
        }
        let mut writer = lock(&self.writer);
        if writer.is_none() {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return Err(message);
            };
            let (sender, receiver) = mpsc::unbounded_channel();
            let task = runtime.spawn(write(source.clone(), receiver));
            *writer = Some(Writer { sender, task });
        }
        match writer.as_ref() {
            Some(writer) => writer.sender.send(message).map_err(|error| error.0),
            None => Err(message),
        }
    }

    /// Closes the channel and waits until the writer has written every row sent before.
    pub(crate) async fn close(&self) {
        *lock(&self.closed) = true;
        let writer = lock(&self.writer).take();
        if let Some(Writer { sender, task }) = writer {
            drop(sender);
            if let Err(error) = task.await {
                tracing::error!(%error, "the writer of the personal-data read log failed");
            }
        }
    }
}

/// Writes what comes down the channel until it is closed and empty.
async fn write(source: Source, mut receiver: mpsc::UnboundedReceiver<Message>) {
    while let Some(first) = receiver.recv().await {
        let mut rows = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Read(row) => rows.push(*row),
                Message::Flush(flushed) => flushes.push(flushed),
            }
            if rows.len() < BATCH {
                next = receiver.try_recv().ok();
            }
        }
        if !rows.is_empty() {
            write_rows(&source, rows).await;
        }
        for flushed in flushes {
            let _ = flushed.send(());
        }
    }
}

/// Writes `rows` in one statement, trying again a few times; rows that cannot be written are
/// logged whole.
async fn write_rows(source: &Source, rows: Vec<personal_data_read::Model>) {
    let mut wait = FIRST_RETRY;
    for attempt in 1..=ATTEMPTS {
        match insert(source, &rows).await {
            Ok(()) => return,
            Err(error) if attempt < ATTEMPTS => {
                tracing::warn!(%error, attempt, "could not write the personal-data read log: trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(error) => tracing::error!(%error, "could not write the personal-data read log"),
        }
    }
    for row in rows {
        tracing::error!(
            id = %row.id,
            key = ?row.key_id,
            signed_in_issuer = ?row.signed_in_issuer,
            signed_in_subject = ?row.signed_in_subject,
            read_at = %row.read_at,
            operation_hash = %row.operation_hash,
            operation_name = ?row.operation_name,
            people = row.people,
            "a personal-data read that the log could not keep"
        );
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the key table's door writes the read log in a transaction of its own"
)]
async fn insert(source: &Source, rows: &[personal_data_read::Model]) -> Result<(), StoreError> {
    let txn = source.begin_write().await?;
    personal_data_read::Entity::insert_many(
        rows.iter().cloned().map(IntoActiveModel::into_active_model),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

impl Store {
    /// Hands `read` to the log's writer and returns at once: the row is written off the
    /// request path. Where it cannot be (no runtime, or the store is closed), it is logged
    /// whole as an error instead.
    pub fn log_personal_data_read(&self, read: PersonalDataRead) {
        let row = personal_data_read::Model {
            id: Uuid::now_v7(),
            key_id: read.key,
            read_at: read.at,
            operation_hash: read.operation_hash,
            operation_name: read.operation_name,
            people: i32::try_from(read.people).unwrap_or(i32::MAX),
            signed_in_issuer: read.signed_in.as_ref().map(|s| s.issuer.clone()),
            signed_in_subject: read.signed_in.map(|s| s.subject),
        };
        let sent = self
            .keys_source()
            .map_err(|_| Message::Read(Box::new(row.clone())))
            .and_then(|source| self.inner.reads.send(source, Message::Read(Box::new(row))));
        if let Err(Message::Read(row)) = sent {
            tracing::error!(
                id = %row.id,
                key = ?row.key_id,
                signed_in_issuer = ?row.signed_in_issuer,
                signed_in_subject = ?row.signed_in_subject,
                read_at = %row.read_at,
                operation_hash = %row.operation_hash,
                operation_name = ?row.operation_name,
                people = row.people,
                "a personal-data read that the log could not keep"
            );
        }
    }

    /// Waits until every read logged before is written (or given up and logged as an error).
    pub async fn personal_data_reads_written(&self) {
        let Ok(source) = self.keys_source() else {
            return;
        };
        let (flushed, written) = oneshot::channel();
        if self
            .inner
            .reads
            .send(source, Message::Flush(flushed))
            .is_ok()
        {
            let _ = written.await;
        }
    }

    /// A page of the log, newest first, with each key's name, and whether rows follow it.
    #[expect(
        clippy::disallowed_methods,
        reason = "the key table's door lists the read log, for an admin or the command line"
    )]
    pub async fn personal_data_reads(
        &self,
        page: &ReadsPage,
    ) -> Result<(Vec<ReadListing>, bool), StoreError> {
        let source = self.keys_source()?;
        let (after, key, limit) = (page.after, page.key, page.first.saturating_add(1));
        let mut rows = source
            .maintain(|connection| async move {
                let mut select = personal_data_read::Entity::find()
                    .order_by_desc(personal_data_read::Column::Id)
                    .limit(limit);
                if let Some(after) = after {
                    select = select.filter(personal_data_read::Column::Id.lt(after));
                }
                if let Some(key) = key {
                    select = select.filter(personal_data_read::Column::KeyId.eq(key));
                }
                select.all(&connection).await
            })
            .await
            .map_err(|error| source.unavailable(error))?;
        let more = rows.len() as u64 > page.first;
        rows.truncate(usize::try_from(page.first).unwrap_or(usize::MAX));
        let mut ids: Vec<Uuid> = rows.iter().filter_map(|row| row.key_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let keys = if ids.is_empty() {
            Vec::new()
        } else {
            source
                .maintain(|connection| {
                    let ids = ids.clone();
                    async move {
                        api_key::Entity::find()
                            .filter(api_key::Column::Id.is_in(ids))
                            .all(&connection)
                            .await
                    }
                })
                .await
                .map_err(|error| source.unavailable(error))?
        };
        let name = |id: Option<Uuid>| {
            keys.iter()
                .find(|key| Some(key.id) == id)
                .map(|key| key.name.clone())
        };
        let listed = rows
            .into_iter()
            .map(|row| ReadListing {
                id: row.id,
                key: row.key_id.map(KeyId),
                key_name: name(row.key_id),
                signed_in: row
                    .signed_in_issuer
                    .zip(row.signed_in_subject)
                    .map(|(issuer, subject)| SignedIn { issuer, subject }),
                at: row.read_at,
                operation_hash: row.operation_hash,
                operation_name: row.operation_name,
                people: u32::try_from(row.people).unwrap_or(0),
            })
            .collect();
        Ok((listed, more))
    }

    /// How many rows the log holds, of the key `key` only when given.
    #[expect(
        clippy::disallowed_methods,
        reason = "the key table's door counts the read log, for an admin"
    )]
    pub async fn count_personal_data_reads(&self, key: Option<Uuid>) -> Result<u64, StoreError> {
        let source = self.keys_source()?;
        source
            .maintain(|connection| async move {
                let mut select = personal_data_read::Entity::find();
                if let Some(key) = key {
                    select = select.filter(personal_data_read::Column::KeyId.eq(key));
                }
                select.count(&connection).await
            })
            .await
            .map_err(|error: DbErr| source.unavailable(error))
    }

    /// The ID of the key with this ID or name, for listing its reads.
    pub async fn key_id(&self, which: &str) -> Result<Option<KeyId>, StoreError> {
        let id = Uuid::parse_str(which).ok();
        Ok(self
            .keys()
            .await?
            .into_iter()
            .find(|key| Some(key.id.0) == id || key.name == which)
            .map(|key| key.id))
    }
}
