//! `TestApp`: the binary's own wiring over a fresh database of its own, and requests sent
//! through the real router.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use atmp_graph::app::{prepare, App};
use atmp_graph::config::Config;
use atmp_graph::domain::{natural_id, Rate, RecordKind};
use atmp_graph::graphql::Execution;
use atmp_graph::seed::{generate, GenerateOptions};
use atmp_graph::store::{Source, Store};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

/// A "fragment bomb": fragments that each spread the one below twice, `levels` deep, over
/// `first` (the selection of `F0`), spread once by the query: 2^levels copies of `first`.
pub fn fragment_bomb(levels: usize, first: &str) -> String {
    let mut text = format!("fragment F0 on Query {{ {first} }}\n");
    for level in 1..=levels {
        let below = level - 1;
        text.push_str(&format!(
            "fragment F{level} on Query {{ ...F{below} ...F{below} }}\n"
        ));
    }
    text.push_str(&format!("query {{ ...F{levels} }}"));
    text
}

/// A database made for one test and removed after it.
enum TestDatabase {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDatabase::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with a runtime of its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        let admin = Database::connect(&admin_url).await.unwrap();
                        admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await
                            .unwrap();
                    });
                })
                .join();
            }
        }
    }
}

/// What [`TestApp::spawn_with_generated`] generates: `units` units with 5 cleanrooms and 3
/// people each, from the `generate` command's seed.
pub fn generated_options(units: usize) -> GenerateOptions {
    GenerateOptions {
        units,
        cleanrooms_per_unit: 5,
        people_per_unit: 3,
        ..GenerateOptions::default()
    }
}

/// The global ID (`Node.id`) of the record of GraphQL type `type_name` with ID `id`.
pub fn node_id(type_name: &str, id: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}"))
}

/// How a test's app is set up.
struct Setup {
    /// Generated records to add to the seed.
    generated: Option<GenerateOptions>,
    /// Connect the store through this port on 127.0.0.1 (PostgreSQL only).
    through_port: Option<u16>,
    acquire_timeout_ms: u64,
    /// KI's and KUH's records in databases of their own (`Some(true)`) or in one
    /// (`Some(false)`), whatever `TEST_SOURCES` says.
    split: Option<bool>,
    /// How often the sources are probed (the setting's default otherwise).
    probe_interval_ms: Option<u64>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            generated: None,
            through_port: None,
            acquire_timeout_ms: 5000,
            split: None,
            probe_interval_ms: None,
        }
    }
}

/// `TEST_DATABASE_URL`, when the tests run on PostgreSQL.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Whether `test` must skip, for want of PostgreSQL (saying so).
pub fn skip_without_postgres(test: &str) -> bool {
    if postgres_admin_url().is_none() {
        eprintln!("{test}: skipped, it needs PostgreSQL (set TEST_DATABASE_URL)");
        return true;
    }
    false
}

/// Ends every session on `database` but the admin's own, and waits until they are gone.
pub async fn terminate_connections(admin: &DatabaseConnection, database: &str) -> i64 {
    let terminate = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
        [database.into()],
    );
    let row = admin.query_one_raw(terminate).await.unwrap().unwrap();
    let ended: i64 = row.try_get("", "ended").unwrap();
    for _ in 0..100 {
        let left = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS left FROM pg_stat_activity WHERE datname = $1",
            [database.into()],
        );
        let row = admin.query_one_raw(left).await.unwrap().unwrap();
        if row.try_get::<i64>("", "left").unwrap() == 0 {
            return ended;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the sessions on {database} did not end");
}

/// The `host:port` of a PostgreSQL URL.
pub fn postgres_address(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or("");
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

/// Replaces the `host:port` of a PostgreSQL URL.
fn with_address(url: &str, address: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}{address}{tail}")
}

/// Replaces the database name at the end of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    format!("{base}/{name}{query}")
}

pub struct TestApp {
    pub app: App,
    /// The same store answered field by field: the reference of the planned path.
    reference: std::sync::OnceLock<axum::Router>,
    config: Config,
    /// The URL the store connects to (its first source's, when split).
    pub database_url: String,
    /// The URL of each source.
    database_urls: Vec<String>,
    /// The statements run on each source so far.
    statements: Vec<Arc<AtomicUsize>>,
    /// Each source's name and its pool (the store's own), for a test to take its connections.
    pools: Vec<(String, DatabaseConnection)>,
    /// The text of every statement run so far, in order.
    texts: Arc<std::sync::Mutex<Vec<String>>>,
    databases: Vec<TestDatabase>,
}

/// Whether the suite runs with KI's and KUH's records in databases of their own
/// (`TEST_SOURCES=split`): KI's on PostgreSQL when `TEST_DATABASE_URL` is set, KUH's on SQLite.
pub fn split_sources() -> bool {
    std::env::var("TEST_SOURCES").is_ok_and(|layout| layout == "split")
}

/// A fresh database: on PostgreSQL when `postgres_allowed` and the suite runs there, else a
/// SQLite file; its URL, and what removes it.
async fn create_database(postgres_allowed: bool) -> (String, TestDatabase) {
    let unique = format!("atmp_test_{}", uuid::Uuid::new_v4().simple());
    match postgres_admin_url().filter(|_| postgres_allowed) {
        Some(admin_url) => {
            let admin = Database::connect(&admin_url)
                .await
                .expect("TEST_DATABASE_URL must reach PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{unique}\""))
                .await
                .unwrap();
            (
                with_database(&admin_url, &unique),
                TestDatabase::Postgres {
                    admin_url,
                    name: unique,
                },
            )
        }
        None => {
            let path = std::env::temp_dir().join(format!("{unique}.db"));
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                TestDatabase::Sqlite(path),
            )
        }
    }
}

/// An HTTP answer, its body parsed as JSON.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub content_type: String,
    pub body: Value,
    /// The body as sent, for what `body` loses (the order of members).
    pub text: String,
}

impl TestResponse {
    /// `extensions.code` of every error, in order.
    pub fn error_codes(&self) -> Vec<String> {
        self.errors()
            .iter()
            .map(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or("<none>")
                    .to_owned()
            })
            .collect()
    }

    pub fn error_messages(&self) -> Vec<String> {
        self.errors()
            .iter()
            .map(|e| e["message"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    fn errors(&self) -> Vec<Value> {
        self.body["errors"].as_array().cloned().unwrap_or_default()
    }

    /// `data`, after checking there are no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {self:#?}"
        );
        &self.body["data"]
    }
}

impl TestApp {
    /// The app over a fresh, migrated and seeded database.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Setup::default()).await
    }

    /// The app with `units` generated units ([`generated_options`]) added.
    pub async fn spawn_with_generated(units: usize) -> TestApp {
        Self::spawn_generating(generated_options(units)).await
    }

    /// The app with the records `options` generate added.
    pub async fn spawn_generating(options: GenerateOptions) -> TestApp {
        Self::spawn_with(Setup {
            generated: Some(options),
            ..Setup::default()
        })
        .await
    }

    /// The app with KI's records in one database and KUH's in another (KI's on PostgreSQL when
    /// the suite runs there), however the suite runs.
    pub async fn spawn_split() -> TestApp {
        Self::spawn_with(Setup {
            split: Some(true),
            acquire_timeout_ms: 1000,
            ..Setup::default()
        })
        .await
    }

    /// The app with `generated` filler units, over two sources when `split` else over one
    /// database, however the suite runs.
    pub async fn spawn_laid_out(split: bool, generated: usize) -> TestApp {
        Self::spawn_with(Setup {
            split: Some(split),
            generated: Some(generated_options(generated)),
            ..Setup::default()
        })
        .await
    }

    /// The app over two sources (however the suite runs), each waiting at most
    /// `acquire_timeout_ms` for a connection, and probed every `probe_interval_ms`.
    pub async fn spawn_split_probed(acquire_timeout_ms: u64, probe_interval_ms: u64) -> TestApp {
        Self::spawn_with(Setup {
            split: Some(true),
            acquire_timeout_ms,
            probe_interval_ms: Some(probe_interval_ms),
            ..Setup::default()
        })
        .await
    }

    /// The app over one database (however the suite runs), waiting at most
    /// `acquire_timeout_ms` for a connection, and probed every `probe_interval_ms`.
    pub async fn spawn_one_database_probed(
        acquire_timeout_ms: u64,
        probe_interval_ms: u64,
    ) -> TestApp {
        Self::spawn_with(Setup {
            split: Some(false),
            acquire_timeout_ms,
            probe_interval_ms: Some(probe_interval_ms),
            ..Setup::default()
        })
        .await
    }

    /// The app over two sources, KI's on PostgreSQL reached through `127.0.0.1:{port}` (a proxy
    /// the test runs) and KUH's on SQLite, probed every `probe_interval_ms`; `None` without
    /// PostgreSQL.
    pub async fn spawn_split_through(
        port: u16,
        acquire_timeout_ms: u64,
        probe_interval_ms: u64,
    ) -> Option<TestApp> {
        postgres_admin_url()?;
        Some(
            Self::spawn_with(Setup {
                split: Some(true),
                through_port: Some(port),
                acquire_timeout_ms,
                probe_interval_ms: Some(probe_interval_ms),
                ..Setup::default()
            })
            .await,
        )
    }

    /// The app over one database, however the suite runs (for what only one database does).
    pub async fn spawn_one_database() -> TestApp {
        Self::spawn_with(Setup {
            split: Some(false),
            ..Setup::default()
        })
        .await
    }

    /// The app on PostgreSQL, its store connecting through `127.0.0.1:{port}` (a proxy the test
    /// runs) instead of the address in `TEST_DATABASE_URL`; `None` without PostgreSQL.
    pub async fn spawn_on_postgres_through(
        port: u16,
        acquire_timeout_ms: u64,
        probe_interval_ms: u64,
    ) -> Option<TestApp> {
        postgres_admin_url()?;
        Some(
            Self::spawn_with(Setup {
                through_port: Some(port),
                acquire_timeout_ms,
                probe_interval_ms: Some(probe_interval_ms),
                ..Setup::default()
            })
            .await,
        )
    }

    async fn spawn_with(setup: Setup) -> TestApp {
        // A store reached through a proxy is one database, unless the split is asked for.
        let split = match setup.split {
            Some(split) => split,
            None => split_sources() && setup.through_port.is_none(),
        };
        let names: &[&str] = if split { &["KI", "KUH"] } else { &["main"] };
        let mut databases = Vec::new();
        let mut urls = Vec::new();
        for (i, _) in names.iter().enumerate() {
            // Split, KI's records go to PostgreSQL when the suite runs there, KUH's to SQLite.
            let (url, database) = create_database(i == 0).await;
            urls.push(match setup.through_port {
                Some(port) if url.starts_with("postgres") => {
                    with_address(&url, &format!("127.0.0.1:{port}"))
                }
                _ => url,
            });
            databases.push(database);
        }
        let mut config = Config::for_database(&urls[0]).unwrap();
        // Debug builds on a busy two-core CI machine are slow: give batches room to fill, so
        // answers and statement counts measure the batching design, not the machine's speed.
        config.db_connections = 4;
        config.db_acquire_timeout_ms = setup.acquire_timeout_ms;
        if let Some(interval) = setup.probe_interval_ms {
            config.source_probe_interval_ms = interval;
        }
        // In process every request is the public at no known address, sharing one bucket:
        // the rate limits are off but where a test turns them on (`reconfigured`).
        config.rate_limit_public = Rate::Off;
        config.rate_limit_partner = Rate::Off;
        config.rate_limit_staff = Rate::Off;
        config.rate_limit_admin = Rate::Off;
        let statements: Vec<Arc<AtomicUsize>> = names
            .iter()
            .map(|_| Arc::new(AtomicUsize::new(0)))
            .collect();
        let texts = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut sources = Vec::new();
        let mut pools = Vec::new();
        for ((name, url), counter) in names.iter().zip(&urls).zip(&statements) {
            let mut connection = Source::connect(url, config.pool_settings()).await.unwrap();
            let counter = counter.clone();
            let recorded = texts.clone();
            connection.set_metric_callback(move |metric| {
                counter.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut texts) = recorded.lock() {
                    texts.push(metric.statement.sql.clone());
                }
            });
            pools.push(((*name).to_owned(), connection.clone()));
            sources.push(if split {
                let institution = natural_id(RecordKind::Institution, name);
                Source::holding(
                    name,
                    connection,
                    vec![(institution, (*name).to_owned())],
                    Duration::from_millis(config.source_timeout_ms),
                )
            } else {
                Source::everything(name, connection)
            });
        }
        let store = Store::new(sources);
        prepare(&store).await.unwrap();
        if let Some(options) = setup.generated {
            store.upsert(&generate(options)).await.unwrap();
        }
        TestApp {
            app: App::with_store(&config, store),
            reference: std::sync::OnceLock::new(),
            config,
            database_url: urls[0].clone(),
            database_urls: urls,
            statements,
            pools,
            texts,
            databases,
        }
    }

    /// Takes every connection of the pool of the source named `name`, each in a transaction
    /// left open, so that its reads wait for one until they give up: the source does not
    /// answer until the transactions are dropped.
    pub async fn take_every_connection(&self, name: &str) -> Vec<DatabaseTransaction> {
        let (_, pool) = self
            .pools
            .iter()
            .find(|(source, _)| source == name)
            .unwrap_or_else(|| panic!("no source named {name}"));
        let mut taken = Vec::new();
        for _ in 0..self.config.db_connections {
            taken.push(pool.begin().await.unwrap());
        }
        taken
    }

    /// How long `/ready` takes to answer 200 (asked every 5 ms), up to `limit`; `None` when it
    /// never does.
    pub async fn ready_within(&self, limit: Duration) -> Option<Duration> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if self.get("/ready").await.status == StatusCode::OK {
                return Some(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    }

    /// Runs `sql` on every database of the store (each holds the tables of every kind).
    pub async fn execute_everywhere(&self, sql: &str) {
        for url in &self.database_urls {
            Database::connect(url)
                .await
                .unwrap()
                .execute_unprepared(sql)
                .await
                .unwrap();
        }
    }

    /// What `/ready` says of the sources when each has this `status`.
    pub fn sources_all(&self, status: &str) -> Value {
        let names: &[&str] = if self.is_split() {
            &["KI", "KUH"]
        } else {
            &["main"]
        };
        names
            .iter()
            .map(|name| json!({ "name": name, "status": status }))
            .collect()
    }

    /// `one` on one database, `split` with a database per institution.
    pub fn split_or(&self, one: usize, split: usize) -> usize {
        if self.is_split() {
            split
        } else {
            one
        }
    }

    /// Whether every source is PostgreSQL (the statements differ on SQLite).
    pub fn all_postgres(&self) -> bool {
        self.databases
            .iter()
            .all(|database| matches!(database, TestDatabase::Postgres { .. }))
    }

    /// Whether the records are split over a database per institution.
    pub fn is_split(&self) -> bool {
        self.database_urls.len() > 1
    }

    /// The PostgreSQL database of this test and the admin URL it was created with, if any.
    pub fn postgres_database(&self) -> Option<(&str, &str)> {
        self.databases.iter().find_map(|database| match database {
            TestDatabase::Postgres { admin_url, name } => Some((admin_url.as_str(), name.as_str())),
            TestDatabase::Sqlite(_) => None,
        })
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// Sends a request through the router.
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        send_to(self.app.router.clone(), request).await
    }

    /// The router of the same store and settings that resolves field by field.
    pub fn field_by_field(&self) -> axum::Router {
        self.reference
            .get_or_init(|| {
                let mut config = self.config.clone();
                config.execution = Execution::FieldByField;
                App::with_store(&config, self.app.store.clone()).router
            })
            .clone()
    }

    /// POSTs a query with variables to the field-by-field router.
    pub async fn graphql_field_by_field(&self, query: &str, variables: Value) -> TestResponse {
        send_to(self.field_by_field(), graphql_request(query, variables)).await
    }
}

/// A POST of a query with variables, as a GraphQL-over-HTTP client sends it.
pub fn graphql_request(query: &str, variables: Value) -> Request<Body> {
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/graphql-response+json")
        .body(Body::from(
            json!({ "query": query, "variables": variables }).to_string(),
        ))
        .unwrap()
}

/// Sends a request through `router`.
pub async fn send_to(router: axum::Router, request: Request<Body>) -> TestResponse {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    TestResponse {
        status,
        headers,
        content_type,
        body,
        text,
    }
}

impl TestApp {
    /// POSTs a raw body to /graphql with the given content type and accept headers.
    pub async fn post_raw(&self, body: &str, content_type: &str, accept: &str) -> TestResponse {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, accept)
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.send(request).await
    }

    /// POSTs a query the way a GraphQL-over-HTTP client does.
    pub async fn graphql(&self, query: &str) -> TestResponse {
        self.graphql_with(query, json!({})).await
    }

    pub async fn graphql_with(&self, query: &str, variables: Value) -> TestResponse {
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.post_raw(
            &body,
            "application/json",
            "application/graphql-response+json",
        )
        .await
    }

    /// Runs a query and returns its data, asserting it has no errors.
    pub async fn data(&self, query: &str) -> Value {
        let response = self.graphql(query).await;
        assert_eq!(response.status, StatusCode::OK, "{response:#?}");
        response.data().clone()
    }

    /// How many SQL statements each source has run so far.
    fn statement_counts(&self) -> Vec<usize> {
        self.statements
            .iter()
            .map(|count| count.load(Ordering::SeqCst))
            .collect()
    }

    /// The most statements any one source ran since `before` (its counts then): on one
    /// database, every statement; split, what each level costs a source.
    fn statements_since(&self, before: &[usize]) -> usize {
        self.statement_counts()
            .iter()
            .zip(before)
            .map(|(now, then)| now - then)
            .max()
            .unwrap_or(0)
    }

    /// The text of each SQL statement `query` runs, in order.
    pub async fn statement_texts_for(&self, query: &str) -> Vec<String> {
        let before = self.texts.lock().map(|t| t.len()).unwrap_or(0);
        self.data(query).await;
        self.texts
            .lock()
            .map(|t| t.iter().skip(before).cloned().collect())
            .unwrap_or_default()
    }

    /// How many SQL statements `query` runs (on the source that runs most), and its answer.
    pub async fn statements_and_response(&self, query: &str) -> (usize, TestResponse) {
        let before = self.statement_counts();
        let response = self.graphql(query).await;
        (self.statements_since(&before), response)
    }

    /// How many SQL statements `query` runs field by field (on the source that runs most).
    pub async fn statements_field_by_field(&self, query: &str) -> (usize, TestResponse) {
        let before = self.statement_counts();
        let response = self.graphql_field_by_field(query, json!({})).await;
        (self.statements_since(&before), response)
    }

    /// How many SQL statements `query` runs (on the source that runs most).
    pub async fn statements_for(&self, query: &str) -> (usize, Value) {
        let before = self.statement_counts();
        let data = self.data(query).await;
        (self.statements_since(&before), data)
    }
}

/// Every row of a root list with `fields` selected, walked page by page (100 a page).
pub async fn every_row(app: &TestApp, list: &str, fields: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after = Value::Null;
    loop {
        let response = app
            .graphql_with(
                &format!(
                    "query($after: String) {{ {list}(first: 100, after: $after) {{ nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }}"
                ),
                json!({ "after": after }),
            )
            .await;
        let page = &response.data()[list];
        rows.extend(page["nodes"].as_array().cloned().unwrap_or_default());
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return rows;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

impl TestApp {
    /// Another app over the same databases, laid out the same way, as a second replica or a
    /// restart starts: new connections, its startup run again, nothing shared in memory.
    pub async fn replica(&self) -> axum::Router {
        let split = self.pools.len() > 1;
        let mut sources = Vec::new();
        for ((name, _), url) in self.pools.iter().zip(&self.database_urls) {
            let connection = Source::connect(url, self.config.pool_settings())
                .await
                .unwrap();
            sources.push(if split {
                Source::holding(
                    name,
                    connection,
                    vec![(natural_id(RecordKind::Institution, name), name.clone())],
                    Duration::from_millis(self.config.source_timeout_ms),
                )
            } else {
                Source::everything(name, connection)
            });
        }
        let store = Store::new(sources);
        prepare(&store).await.unwrap();
        App::with_store(&self.config, store).router
    }

    /// Makes this app seal cursors with the secret of `other`, as if both kept their secret in
    /// one database: for tests that compare two apps' answers, cursors included.
    pub async fn share_secret_of(&self, other: &TestApp) {
        let read = |app: &TestApp| app.pools[0].1.clone();
        let (theirs, ours) = (read(other), read(self));
        let select = "SELECT value FROM service_secret WHERE name = 'cursor'";
        let secret: String = theirs
            .query_one_raw(Statement::from_string(
                theirs.get_database_backend(),
                select,
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "value")
            .unwrap();
        ours.execute_raw(Statement::from_string(
            ours.get_database_backend(),
            format!("UPDATE service_secret SET value = '{secret}' WHERE name = 'cursor'"),
        ))
        .await
        .unwrap();
        self.app.store.read_secret().await.unwrap();
    }

    /// The same store served with its settings changed by `change` (such as `--federation`);
    /// statements are still counted.
    pub fn reconfigured(mut self, change: impl FnOnce(&mut Config)) -> TestApp {
        change(&mut self.config);
        self.app = App::with_store(&self.config, self.app.store.clone());
        self.reference = std::sync::OnceLock::new();
        self
    }
}

impl TestApp {
    /// The text of each SQL statement run while `request` is answered (on every source), and
    /// its answer.
    pub async fn statements_and_send(&self, request: Request<Body>) -> (Vec<String>, TestResponse) {
        self.statements_and_send_to(self.app.router.clone(), request)
            .await
    }

    /// As [`TestApp::statements_and_send`], through `router`.
    pub async fn statements_and_send_to(
        &self,
        router: axum::Router,
        request: Request<Body>,
    ) -> (Vec<String>, TestResponse) {
        let before = self.texts.lock().map(|t| t.len()).unwrap_or(0);
        let response = send_to(router, request).await;
        let texts = self
            .texts
            .lock()
            .map(|t| t.iter().skip(before).cloned().collect())
            .unwrap_or_default();
        (texts, response)
    }
}

/// A POST of `query` with `secret` as its bearer token.
pub fn keyed_request(secret: &str, query: &str) -> Request<Body> {
    keyed_request_with(secret, query, json!({}))
}

/// A POST of `query` with `variables` and `secret` as its bearer token.
pub fn keyed_request_with(secret: &str, query: &str, variables: Value) -> Request<Body> {
    let mut request = graphql_request(query, variables);
    request.headers_mut().insert(
        header::AUTHORIZATION,
        axum::http::HeaderValue::from_str(&format!("Bearer {secret}")).unwrap(),
    );
    request
}

/// Runs `atmp-graph --database-url <the app's first source> <args>` with no setting from the
/// environment, off the runtime's thread (so that the app's tasks run meanwhile): whether it
/// exited 0, its stdout and its stderr.
pub async fn run_cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let url = app.database_url.clone();
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_atmp-graph"))
            .arg("--database-url")
            .arg(&url)
            .args(&args)
            .env_remove("DATABASE_URL")
            .env_remove("ATMP_CONFIG")
            .env_remove("ATMP_SOURCES")
            .env_remove("ATMP_KEYS_SOURCE")
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

impl TestApp {
    /// Creates an API key named `name` of `role` for the institutions with these codes,
    /// through the store as the command line does, and returns its secret.
    pub async fn key(
        &self,
        name: &str,
        role: entities::enums::KeyRole,
        institutions: &[&str],
    ) -> String {
        let (_, secret) = self
            .app
            .store
            .create_key(atmp_graph::store::NewKey {
                name: name.to_owned(),
                role,
                institutions: institutions.iter().map(|code| (*code).to_owned()).collect(),
                expires_at: None,
                rate: None,
            })
            .await
            .unwrap();
        secret.secret().to_owned()
    }

    /// POSTs `query` with `secret` as its bearer token.
    pub async fn graphql_as(&self, secret: &str, query: &str) -> TestResponse {
        self.send(keyed_request(secret, query)).await
    }

    /// POSTs `query` with `variables` and `secret` as its bearer token.
    pub async fn graphql_as_with(
        &self,
        secret: &str,
        query: &str,
        variables: Value,
    ) -> TestResponse {
        self.send(keyed_request_with(secret, query, variables))
            .await
    }

    /// POSTs `query` with `secret` as its bearer token to the field-by-field router.
    pub async fn graphql_field_by_field_as(&self, secret: &str, query: &str) -> TestResponse {
        send_to(self.field_by_field(), keyed_request(secret, query)).await
    }
}

/// A TCP proxy on 127.0.0.1 that the test can stop (closing its port and every connection
/// through it) and start again on the same port: PostgreSQL going away and coming back.
pub struct Proxy {
    pub port: u16,
    upstream: String,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Proxy {
    /// A proxy to `upstream` (`host:port`), listening on a port of its own.
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut proxy = Proxy {
            port,
            upstream,
            running: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let upstream = self.upstream.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { continue };
                        let upstream = upstream.clone();
                        connections.spawn(async move {
                            if let Ok(mut server) = TcpStream::connect(upstream).await {
                                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                        });
                    }
                }
            }
            drop(listener);
            connections.shutdown().await;
        });
        self.running = Some((stop, task));
    }

    /// Closes the port and every connection through it.
    pub async fn stop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            task.await.unwrap();
        }
    }

    /// Listens on the same port again.
    pub async fn restart(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}
