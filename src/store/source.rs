//! A source: one database connection and the institutions whose records it holds.

use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

use super::StoreError;

/// Which institutions' records a source holds.
#[derive(Debug, Clone)]
enum Holds {
    Everything,
    /// One database per institution (federation); read by the roadmap's federation issue.
    #[allow(dead_code)]
    Institutions(Vec<Uuid>),
}

/// One database behind the store.
#[derive(Debug, Clone)]
pub struct Source {
    connection: DatabaseConnection,
    holds: Holds,
}

impl Source {
    /// A source holding every institution's records.
    pub fn everything(connection: DatabaseConnection) -> Self {
        Source {
            connection,
            holds: Holds::Everything,
        }
    }

    /// Connects to `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(
        url: &str,
        max_connections: u32,
    ) -> Result<DatabaseConnection, StoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections)
            .min_connections(1)
            // A ping on every checkout doubles the round trips of each read; ping only
            // connections idle long enough to have been dropped by the server or a firewall.
            .test_before_acquire_if_idle_for(std::time::Duration::from_secs(30))
            .sqlx_logging(false);
        Ok(Database::connect(options).await?)
    }

    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.connection
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
