//! A source: one database connection pool, the institutions whose records it holds, and the
//! one place where a read meets the database gone. A connection the server dropped is tried
//! again; a source that does not answer (no connection, a socket gone, a read past its
//! timeout) is marked down, and every read of it fails at once, with no wait, until its probe
//! ([`Source::watch`]) finds it answering again.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ConnAcquireErr, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, RuntimeErr, SqlxError, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use uuid::Uuid;

use super::{StoreError, Unanswered};

/// Which institutions' records a source holds.
#[derive(Debug, Clone)]
enum Holds {
    Everything,
    /// These institutions' (federation: each institution in one source of several).
    Institutions(Vec<Uuid>),
}

/// How a source's connection pool behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections in the pool.
    pub max_connections: u32,
    /// Longest wait for a connection, including opening a new one: how long a read (or
    /// `/ready`) takes to fail while the database is down.
    pub acquire_timeout: Duration,
}

/// One database behind the store.
#[derive(Debug, Clone)]
pub struct Source {
    /// What `/ready` and the logs call the source; never its URL, which may hold a password.
    name: String,
    connection: DatabaseConnection,
    holds: Holds,
    /// The codes of the institutions it holds, for the errors of an answer without it.
    codes: Vec<String>,
    /// Longest a read may take, where the answer can go on without this source.
    timeout: Option<Duration>,
    /// Tries a read gets: enough to meet every pooled connection dropped by the server and
    /// then a fresh one.
    attempts: u32,
    /// Whether it answers, as its reads and its probe last found: shared by its clones (the
    /// store's and its probe's), watched by the probe.
    answering: Arc<watch::Sender<bool>>,
}

impl Source {
    /// A source named `name` holding every institution's records.
    pub fn everything(name: &str, connection: DatabaseConnection) -> Self {
        Source {
            name: name.to_owned(),
            attempts: pool_size(&connection).saturating_add(1),
            connection,
            holds: Holds::Everything,
            codes: Vec::new(),
            timeout: None,
            answering: Arc::new(watch::Sender::new(true)),
        }
    }

    /// A source named `name` holding the records of the institutions with these IDs and codes,
    /// each read given up after `timeout`.
    pub fn holding(
        name: &str,
        connection: DatabaseConnection,
        institutions: Vec<(Uuid, String)>,
        timeout: Duration,
    ) -> Self {
        let (ids, codes) = institutions.into_iter().unzip();
        Source {
            name: name.to_owned(),
            attempts: pool_size(&connection).saturating_add(1),
            connection,
            holds: Holds::Institutions(ids),
            codes,
            timeout: Some(timeout),
            answering: Arc::new(watch::Sender::new(true)),
        }
    }

    /// The codes of the institutions it holds (none listed when it holds everything).
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    /// Connects to `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str, pool: PoolSettings) -> Result<DatabaseConnection, StoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(pool.max_connections)
            .min_connections(1)
            .acquire_timeout(pool.acquire_timeout)
            // A ping on every checkout doubles the round trips of each read; ping only
            // connections idle long enough to have been dropped by the server or a firewall.
            // Connections dropped sooner (a restart) are met by `read`, which tries again.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .sqlx_logging(false);
        Ok(Database::connect(options).await?)
    }

    /// The source's name, as `/ready` and the logs show it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PostgreSQL connection options of the source, for a connection of its own that only
    /// listens for notifications (the key cache's, `store/keys`); `None` on another engine.
    pub(super) fn listener_options(&self) -> Option<sea_orm::sqlx::postgres::PgConnectOptions> {
        match self.connection.get_database_backend() {
            DbBackend::Postgres => Some(
                (*self
                    .connection
                    .get_postgres_connection_pool()
                    .connect_options())
                .clone(),
            ),
            _ => None,
        }
    }

    /// The engine of the source, which picks the form of some statements.
    pub(crate) fn backend(&self) -> DbBackend {
        self.connection.get_database_backend()
    }

    /// Runs `maintain` on the pool as a read would be: for startup maintenance
    /// (`maintenance.rs`) and the key table's door (`keys.rs`) only, which read for no caller.
    pub(super) async fn maintain<T, F, Fut>(&self, maintain: F) -> Result<T, DbErr>
    where
        F: Fn(DatabaseConnection) -> Fut,
        Fut: Future<Output = Result<T, DbErr>>,
    {
        self.read(maintain).await
    }

    /// Every row of `select`, read again on a fresh connection if the pooled one was dropped.
    /// Reads for a caller run through [`Source::run`], which takes only scoped statements.
    #[expect(
        clippy::disallowed_methods,
        clippy::disallowed_types,
        reason = "the one place a source runs a read statement; callers hold only scoped ones"
    )]
    pub(super) async fn query_all(
        &self,
        select: &sea_orm::sea_query::SelectStatement,
    ) -> Result<Vec<sea_orm::QueryResult>, StoreError> {
        self.read(|connection| async move { connection.query_all(select).await })
            .await
            .map_err(|error| self.unavailable(error))
    }

    /// A transaction to write in: for writes (`write.rs`) and startup maintenance only.
    pub(super) async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        // On SQLite a write takes the database's write lock at once (waiting for another
        // writer as the busy timeout allows): a transaction that read first and wrote later
        // would fail at once with "database is locked" if another wrote meanwhile.
        self.connection
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..sea_orm::TransactionOptions::default()
            })
            .await
    }

    /// Runs `read` on the pool, unless the source is down: then it fails at once, as the
    /// source did (see [`Source::attempt`]).
    async fn read<T, F, Fut>(&self, read: F) -> Result<T, DbErr>
    where
        F: Fn(DatabaseConnection) -> Fut,
        Fut: Future<Output = Result<T, DbErr>>,
    {
        if !self.is_answering() {
            return Err(DbErr::Conn(RuntimeErr::Internal(format!(
                "the source `{}` does not answer: it is read again once its probe finds it answering",
                self.name
            ))));
        }
        self.attempt(read).await
    }

    /// Runs `read` on the pool, and again while it fails only because the pooled connection
    /// it got had been dropped by the server (a restart, a failover, an idle timeout): the
    /// pool closes such a connection when it comes back, so the next try gets another, and
    /// after every stale one a fresh one. No other error is retried, and nothing waits. A
    /// failure of the source itself marks it down.
    async fn attempt<T, F, Fut>(&self, read: F) -> Result<T, DbErr>
    where
        F: Fn(DatabaseConnection) -> Fut,
        Fut: Future<Output = Result<T, DbErr>>,
    {
        let mut attempt = 1;
        loop {
            let outcome = match self.timeout {
                // Over several sources a slow one must not hold the whole answer.
                Some(timeout) => tokio::time::timeout(timeout, read(self.connection.clone()))
                    .await
                    .unwrap_or(Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))),
                None => read(self.connection.clone()).await,
            };
            match outcome {
                Err(error) if attempt < self.attempts && is_dropped_connection(&error) => {
                    tracing::warn!(
                        source = %self.name,
                        attempt,
                        %error,
                        "the database dropped a pooled connection: reading again on another"
                    );
                    attempt += 1;
                }
                Err(error) if is_lost(&error) => {
                    self.mark_down(&error);
                    return Err(error);
                }
                outcome => return outcome,
            }
        }
    }

    /// Whether the source answers, as its reads and its probe last found.
    pub(crate) fn is_answering(&self) -> bool {
        *self.answering.borrow()
    }

    /// Closes its connections: its reads fail at once from now on.
    pub(crate) async fn close(&self) -> Result<(), DbErr> {
        self.connection.close_by_ref().await?;
        self.answering.send_replace(false);
        Ok(())
    }

    /// Marks the source down: its reads fail at once until its probe finds it answering.
    fn mark_down(&self, error: &DbErr) {
        if self.answering.send_replace(false) {
            tracing::warn!(
                source = %self.name,
                %error,
                "a source does not answer: its reads fail at once until it answers again"
            );
        }
    }

    fn mark_up(&self) {
        if !self.answering.send_replace(true) {
            tracing::info!(source = %self.name, "a source answers again");
        }
    }

    /// Probes the source every `interval`, for as long as the future runs. While it is down,
    /// a ping bounded by the interval (so that one still waiting when the source comes back
    /// never holds back the next): the first that is answered brings it back. While it is up,
    /// a ping on its pool's own timeouts, so that a source that stops answering while no read
    /// asks it is found down too (by `/ready` and the next read); a read that finds it down
    /// first ends the wait.
    pub(crate) async fn watch(&self, interval: Duration) {
        let mut answering = self.answering.subscribe();
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if *answering.borrow_and_update() {
                tokio::select! {
                    // A failure marks it down.
                    _ = self.attempt(|connection| async move { connection.ping().await }) => {}
                    _ = answering.wait_for(|answering| !answering) => {}
                }
            } else {
                let ping = self.attempt(|connection| async move { connection.ping().await });
                if let Ok(Ok(())) = tokio::time::timeout(interval, ping).await {
                    self.mark_up();
                }
            }
        }
    }

    /// The store's error for a failed read: where this source is one of several and the
    /// failure is its connection's (no connection within the timeout, a socket gone), the
    /// records of its institutions are unavailable; any other stays a database error.
    pub(crate) fn unavailable(&self, error: DbErr) -> StoreError {
        if is_lost(&error) && !self.codes.is_empty() {
            StoreError::SourceUnavailable(Unanswered {
                source_name: self.name.clone(),
                institutions: self.codes.clone(),
                institution_ids: match &self.holds {
                    Holds::Institutions(ids) => ids.clone(),
                    Holds::Everything => Vec::new(),
                },
            })
        } else {
            StoreError::Db(error)
        }
    }

    /// Whether the source may hold records of any of `institutions` (`None`: of any at all).
    pub(crate) fn may_hold(&self, institutions: Option<&[Uuid]>) -> bool {
        match (&self.holds, institutions) {
            (Holds::Everything, _) | (_, None) => true,
            (Holds::Institutions(held), Some(wanted)) => wanted.iter().any(|w| held.contains(w)),
        }
    }

    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        Ok(migration::Migrator::up(&self.connection, None).await?)
    }
}

/// The most connections the pool holds.
fn pool_size(connection: &DatabaseConnection) -> u32 {
    // Each pool accessor panics on another backend, so ask only the one the backend names.
    match connection.get_database_backend() {
        DbBackend::Postgres => connection
            .get_postgres_connection_pool()
            .options()
            .get_max_connections(),
        DbBackend::Sqlite => connection
            .get_sqlite_connection_pool()
            .options()
            .get_max_connections(),
        _ => 1,
    }
}

/// Whether a read failed because the source is gone (no connection within the pool's timeout,
/// a connection failed, a read past the source's timeout, a source already down), not because
/// of the statement.
fn is_lost(error: &DbErr) -> bool {
    matches!(error, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) || is_dropped_connection(error)
}

/// Whether a statement failed because its connection was gone, not because of the statement:
/// the socket failed (reset, broken pipe, end of stream), or PostgreSQL reported a connection
/// exception (SQLSTATE class 08) or ended the session (57P01 `admin_shutdown`, 57P02
/// `crash_shutdown`, 57P03 `cannot_connect_now`). A statement on such a connection never ran,
/// so reading again is safe. A pool timeout is not one: the database is down, and waiting
/// again would only double the client's wait.
pub fn is_dropped_connection(error: &DbErr) -> bool {
    let (DbErr::Conn(RuntimeErr::SqlxError(error))
    | DbErr::Exec(RuntimeErr::SqlxError(error))
    | DbErr::Query(RuntimeErr::SqlxError(error))) = error
    else {
        return false;
    };
    match &**error {
        SqlxError::Io(_) => true,
        SqlxError::Database(error) => error.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Arc;

    use super::*;

    fn query_error(error: SqlxError) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(error)))
    }

    #[test]
    fn socket_failures_are_dropped_connections() {
        for kind in [
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::UnexpectedEof,
        ] {
            let error = query_error(SqlxError::Io(io::Error::from(kind)));
            assert!(is_dropped_connection(&error), "{kind:?}");
        }
    }

    #[test]
    fn other_failures_are_not_retried() {
        for error in [
            DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
            query_error(SqlxError::PoolTimedOut),
            query_error(SqlxError::RowNotFound),
            query_error(SqlxError::Protocol("unexpected message".to_owned())),
            DbErr::Custom("a custom error".to_owned()),
        ] {
            assert!(!is_dropped_connection(&error), "{error:?}");
        }
    }
}
