//! Stores for the store's own tests: real databases, migrated and seeded with the bundled
//! dataset, each of its own (SQLite files, or a PostgreSQL database where the tests are given
//! one), removed with the store's guard, which also counts the statements run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::ConnectionTrait;

use super::source::PoolSettings;
use super::{Source, Store};
use crate::domain::{natural_id, RecordKind};

/// A seeded store and the databases it reads, removed when dropped.
pub(crate) struct TestStore {
    pub store: Store,
    files: Vec<PathBuf>,
    /// The PostgreSQL database, and the URL of the server's own, where the store reads one.
    postgres: Option<(String, String)>,
    /// How many statements the store's sources have run, seeding included.
    statements: Arc<AtomicUsize>,
}

impl TestStore {
    /// How many statements the store's sources have run so far.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// Another store over the same database (a store of one), as a second replica or a
    /// restart opens it: nothing read of it yet, its secret included.
    pub async fn reopened(&self) -> Store {
        let url = match (&self.postgres, self.files.as_slice()) {
            (Some((name, admin_url)), _) => postgres_url(admin_url, name),
            (None, [file]) => format!("sqlite://{}?mode=rwc", file.display()),
            (None, files) => panic!("only a store of one database reopens, not of {files:?}"),
        };
        Store::single(open(&url, &self.statements).await)
    }
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
        if let Some((name, admin_url)) = self.postgres.take() {
            // Dropped outside the test's runtime, which may be ending.
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async {
                    if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

fn database_file() -> PathBuf {
    std::env::temp_dir().join(format!("atmp-graph-store-{}.db", uuid::Uuid::new_v4()))
}

async fn open(url: &str, statements: &Arc<AtomicUsize>) -> sea_orm::DatabaseConnection {
    let pool = PoolSettings {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(5),
    };
    let mut connection = match Source::connect(url, pool).await {
        Ok(connection) => connection,
        Err(error) => panic!("a test database could not be opened: {error}"),
    };
    let counter = statements.clone();
    connection.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    connection
}

async fn open_file(
    file: &std::path::Path,
    statements: &Arc<AtomicUsize>,
) -> sea_orm::DatabaseConnection {
    open(&format!("sqlite://{}?mode=rwc", file.display()), statements).await
}

/// One empty database, migrated, its secret not read yet: on PostgreSQL where the tests are
/// given one (`test` names the test that says so where they are not), else a SQLite file.
pub(crate) async fn migrated(test: &str) -> TestStore {
    let guard = match postgres(test).await {
        Some(guard) => guard,
        None => {
            let file = database_file();
            let statements = Arc::default();
            let connection = open_file(&file, &statements).await;
            TestStore {
                store: Store::single(connection),
                files: vec![file],
                postgres: None,
                statements,
            }
        }
    };
    if let Err(error) = guard.store.migrate().await {
        panic!("a test database could not be migrated: {error}");
    }
    guard
}

async fn prepared(guard: TestStore) -> TestStore {
    if let Err(error) = crate::app::prepare(&guard.store).await {
        panic!("a test database could not be prepared: {error:#}");
    }
    guard
}

/// One database holding every institution's records.
pub(crate) async fn seeded() -> TestStore {
    let file = database_file();
    let statements = Arc::default();
    let connection = open_file(&file, &statements).await;
    prepared(TestStore {
        store: Store::single(connection),
        files: vec![file],
        postgres: None,
        statements,
    })
    .await
}

/// Two databases: KI's records in one, KUH's in the other.
pub(crate) async fn seeded_split() -> TestStore {
    let statements = Arc::default();
    let mut sources = Vec::new();
    let mut files = Vec::new();
    for code in ["KI", "KUH"] {
        let file = database_file();
        let connection = open_file(&file, &statements).await;
        sources.push(Source::holding(
            code,
            connection,
            vec![(natural_id(RecordKind::Institution, code), code.to_owned())],
            Duration::from_secs(5),
        ));
        files.push(file);
    }
    prepared(TestStore {
        store: Store::new(sources),
        files,
        postgres: None,
        statements,
    })
    .await
}

/// One PostgreSQL database holding every institution's records, made on the server of
/// `TEST_DATABASE_URL`; `None` (saying so) where that is not set.
pub(crate) async fn seeded_postgres(test: &str) -> Option<TestStore> {
    Some(prepared(postgres(test).await?).await)
}

/// The URL of database `name` on the server of `admin_url`.
fn postgres_url(admin_url: &str, name: &str) -> String {
    match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("TEST_DATABASE_URL names no database: {admin_url}"),
    }
}

/// A new, empty PostgreSQL database on the server of `TEST_DATABASE_URL`, as a store; `None`
/// (saying so) where that is not set.
async fn postgres(test: &str) -> Option<TestStore> {
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        eprintln!("{test}: PostgreSQL skipped (set TEST_DATABASE_URL)");
        return None;
    };
    let name = format!("atmp_store_test_{}", uuid::Uuid::new_v4().simple());
    let admin = match sea_orm::Database::connect(&admin_url).await {
        Ok(admin) => admin,
        Err(error) => panic!("TEST_DATABASE_URL must reach PostgreSQL: {error}"),
    };
    if let Err(error) = admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
    {
        panic!("a test database could not be created: {error}");
    }
    let _ = admin.close().await;
    let url = postgres_url(&admin_url, &name);
    let statements = Arc::default();
    let connection = open(&url, &statements).await;
    Some(TestStore {
        store: Store::single(connection),
        files: Vec::new(),
        postgres: Some((name, admin_url)),
        statements,
    })
}

/// The ID of the institution with `code`.
pub(crate) fn institution(code: &str) -> uuid::Uuid {
    natural_id(RecordKind::Institution, code)
}

/// The first cleanroom `loader` lists, read with every column it may read (the seed has
/// cleanrooms).
pub(crate) async fn a_listed_cleanroom(
    loader: &super::StoreLoader,
) -> super::Row<entities::cleanroom::Model> {
    let first = super::QueryOf::<super::Cleanrooms> {
        filter: Default::default(),
        order: Vec::new(),
        page: super::PageRequest::first(1),
    };
    match loader.page::<super::Cleanrooms>(&first).await {
        Ok(page) => match page.rows.first() {
            Some(row) => row.clone(),
            None => panic!("the seed has no cleanroom"),
        },
        Err(error) => panic!("no cleanroom was listed: {error}"),
    }
}

/// A row rule keeping the rows of institution `code` (by their `institution_id`, on the alias
/// the statement reads the table under).
pub(crate) fn at_institution(
    code: &'static str,
) -> impl Fn(&str) -> sea_orm::sea_query::Condition + Send + Sync + 'static {
    use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};
    let institution = institution(code);
    move |alias: &str| {
        Condition::all()
            .add(Expr::col((Alias::new(alias), Alias::new("institution_id"))).eq(institution))
    }
}

/// The holder of a key of `role` for the institutions with these codes.
pub(crate) fn key_holder(role: entities::enums::KeyRole, codes: &[&str]) -> super::Caller {
    use super::{InstitutionId, KeyCaller, KeyId, KeyInstitution};
    super::Caller::Key(KeyCaller {
        key: KeyId(uuid::Uuid::new_v4()),
        role,
        institutions: codes
            .iter()
            .map(|code| KeyInstitution {
                id: InstitutionId(institution(code)),
                code: (*code).to_owned(),
            })
            .collect(),
        rate: None,
    })
}

/// A caller of every role: the public, a partner of KI, a partner of both institutions, a
/// member of KUH's staff and an admin.
pub(crate) fn every_role() -> Vec<super::Caller> {
    use entities::enums::KeyRole;
    vec![
        super::Caller::Public,
        key_holder(KeyRole::Partner, &["KI"]),
        key_holder(KeyRole::Partner, &["KI", "KUH"]),
        key_holder(KeyRole::Staff, &["KUH"]),
        key_holder(KeyRole::Admin, &[]),
    ]
}

/// Generated records of every marking (`generate --mixed-visibility`), to write over the seed.
pub(crate) fn mixed_visibility(units: usize) -> super::Dataset {
    crate::seed::generate(crate::seed::GenerateOptions {
        units,
        cleanrooms_per_unit: 2,
        people_per_unit: 3,
        mixed_visibility: true,
        ..crate::seed::GenerateOptions::default()
    })
}
