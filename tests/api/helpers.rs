//! `TestApp`: the binary's own wiring over a fresh database of its own, and requests sent
//! through the real router.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use atmp_graph::app::{prepare, App};
use atmp_graph::config::Config;
use atmp_graph::seed::{generate, GenerateOptions};
use atmp_graph::store::{Source, Store};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use tower::ServiceExt;

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
    statements: Arc<AtomicUsize>,
    _database: TestDatabase,
}

/// An HTTP answer, its body parsed as JSON.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub content_type: String,
    pub body: Value,
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
        Self::spawn_with(None, 25).await
    }

    /// The app with `units` generated filler units (5 cleanrooms and 3 people each) added.
    pub async fn spawn_with_generated(units: usize) -> TestApp {
        Self::spawn_with(Some(units), 25).await
    }

    /// As [`TestApp::spawn_with_generated`], with loaders that wait long enough to gather every
    /// key even when the CI machine is busy, so statement counts are exact.
    pub async fn spawn_for_statement_counts(units: usize) -> TestApp {
        Self::spawn_with(Some(units), 150).await
    }

    /// The app with loaders that hardly wait, for tests that send many requests one by one
    /// and care about answers, not batches.
    pub async fn spawn_for_many_requests() -> TestApp {
        Self::spawn_with(None, 1).await
    }

    async fn spawn_with(generated: Option<usize>, loader_delay_ms: u64) -> TestApp {
        let unique = format!("atmp_test_{}", uuid::Uuid::new_v4().simple());
        let (url, database) = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
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
            _ => {
                let path = std::env::temp_dir().join(format!("{unique}.db"));
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    TestDatabase::Sqlite(path),
                )
            }
        };
        let mut config = Config::for_database(&url);
        // Debug builds on a busy two-core CI machine are slow: give batches room to fill, so
        // answers and statement counts measure the batching design, not the machine's speed.
        config.loader_delay_ms = loader_delay_ms;
        let mut connection = Source::connect(&url, 4).await.unwrap();
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        connection.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let store = Store::single(connection);
        prepare(&store).await.unwrap();
        if let Some(units) = generated {
            let dataset = generate(GenerateOptions {
                units,
                cleanrooms_per_unit: 5,
                people_per_unit: 3,
            });
            store.upsert(&dataset).await.unwrap();
        }
        TestApp {
            app: App::with_store(&config, store),
            statements,
            _database: database,
        }
    }

    /// Sends a request through the router.
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.app.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
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
        }
    }

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

    /// How many SQL statements `query` runs.
    pub async fn statements_for(&self, query: &str) -> (usize, Value) {
        let before = self.statements.load(Ordering::SeqCst);
        let data = self.data(query).await;
        (self.statements.load(Ordering::SeqCst) - before, data)
    }
}
