//! Stores for the store's own tests: real SQLite databases, migrated and seeded with the
//! bundled dataset, each in a file of its own that is removed with the store's guard.

use std::path::PathBuf;
use std::time::Duration;

use super::source::PoolSettings;
use super::{Source, Store};
use crate::domain::{natural_id, RecordKind};

/// A seeded store and the files it reads, removed when dropped.
pub(crate) struct TestStore {
    pub store: Store,
    files: Vec<PathBuf>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        for file in &self.files {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = file.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

fn database_file() -> PathBuf {
    std::env::temp_dir().join(format!("atmp-graph-store-{}.db", uuid::Uuid::new_v4()))
}

async fn open(file: &std::path::Path) -> sea_orm::DatabaseConnection {
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let pool = PoolSettings {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(5),
    };
    match Source::connect(&url, pool).await {
        Ok(connection) => connection,
        Err(error) => panic!("a test database could not be opened: {error}"),
    }
}

async fn prepared(store: Store, files: Vec<PathBuf>) -> TestStore {
    let guard = TestStore { store, files };
    if let Err(error) = crate::app::prepare(&guard.store).await {
        panic!("a test database could not be prepared: {error:#}");
    }
    guard
}

/// One database holding every institution's records.
pub(crate) async fn seeded() -> TestStore {
    let file = database_file();
    let connection = open(&file).await;
    prepared(Store::single(connection), vec![file]).await
}

/// Two databases: KI's records in one, KUH's in the other.
pub(crate) async fn seeded_split() -> TestStore {
    let mut sources = Vec::new();
    let mut files = Vec::new();
    for code in ["KI", "KUH"] {
        let file = database_file();
        let connection = open(&file).await;
        sources.push(Source::holding(
            code,
            connection,
            vec![(natural_id(RecordKind::Institution, code), code.to_owned())],
            Duration::from_secs(5),
        ));
        files.push(file);
    }
    prepared(Store::new(sources), files).await
}
