//! Request logs: with `RUST_LOG` unset, one `info` line per request with its method, path,
//! status, latency, GraphQL operation and request ID; the ID answered in `x-request-id` and
//! carried by every line the request logs, errors and panics included.

use std::io::Write;
use std::sync::{Arc, Mutex};

use atmp_graph::cli::{log_subscriber, DEFAULT_LOG_FILTER};
use atmp_graph::config::Config;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use tower::ServiceExt;
use tracing::subscriber::{DefaultGuard, NoSubscriber};
use tracing::Dispatch;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::helpers::{TestApp, TestResponse};

/// The log output of the current thread (a `#[tokio::test]` runs on one), in the server's
/// format and at its default level.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Logs captured on this thread until it is dropped.
pub(crate) struct Capturing {
    _default: DefaultGuard,
    _second: Dispatch,
}

impl Logs {
    pub(crate) fn capture() -> (Logs, Capturing) {
        let logs = Logs::default();
        let subscriber = log_subscriber(EnvFilter::new(DEFAULT_LOG_FILTER), false, logs.clone());
        let default = tracing::subscriber::set_default(subscriber);
        // While a single subscriber is registered in the process, tracing decides whether a
        // log statement is wanted from the default subscriber of the thread that reaches it
        // first: another test's thread, with none, would silence it here for good. With two
        // registered it asks both, this thread's among them.
        let second = Dispatch::new(NoSubscriber::default());
        (
            logs,
            Capturing {
                _default: default,
                _second: second,
            },
        )
    }

    /// The lines containing `text`.
    pub(crate) fn lines_with(&self, text: &str) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|line| line.contains(text))
            .map(str::to_owned)
            .collect()
    }

    /// The request log lines.
    fn requests(&self) -> Vec<String> {
        self.lines_with(": finished ")
    }
}

fn request_id(response: &TestResponse) -> String {
    response.headers[REQUEST_ID].to_str().unwrap().to_owned()
}

const REQUEST_ID: &str = "x-request-id";

fn post(body: Value) -> Request<Body> {
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn assert_contains_all(line: &str, parts: &[&str]) {
    for part in parts {
        assert!(line.contains(part), "`{part}` is missing from: {line}");
    }
}

#[tokio::test]
async fn every_request_is_logged_once_at_info_with_its_status_operation_and_request_id() {
    let app = TestApp::spawn().await;
    let (logs, _guard) = Logs::capture();

    let named = app
        .send(post(
            json!({ "query": "query Codes { institutions { code } }" }),
        ))
        .await;
    let chosen = app
        .send(post(json!({
            "query": "query A { institutions { code } } query B { institutions { name } }",
            "operationName": "B"
        })))
        .await;
    let anonymous = app
        .send(post(json!({ "query": "{ institutions { code } }" })))
        .await;
    let health = app.get("/health").await;
    let missing = app.get("/nowhere").await;

    let lines = logs.requests();
    assert_eq!(lines.len(), 5, "{lines:#?}");
    for (line, response, parts) in [
        (
            &lines[0],
            &named,
            &["POST", "/graphql", "operation=Codes"][..],
        ),
        (&lines[1], &chosen, &["POST", "/graphql", "operation=B"]),
        (&lines[2], &anonymous, &["POST", "/graphql"]),
        (&lines[3], &health, &["GET", "/health"]),
        (&lines[4], &missing, &["GET", "/nowhere"]),
    ] {
        let id = request_id(response);
        uuid::Uuid::parse_str(&id).unwrap();
        let (method, path) = (parts[0], parts[1]);
        assert_contains_all(
            line,
            &[
                " INFO ",
                &format!("request_id={id} "),
                &format!("method={method} "),
                &format!("path={path}"),
                &format!("status={}", response.status.as_u16()),
                "latency_ms=",
            ],
        );
        match parts.get(2) {
            Some(operation) => assert_contains_all(line, &[operation]),
            None => assert!(!line.contains("operation="), "{line}"),
        }
    }
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_usable_client_request_id_is_kept_and_any_other_replaced() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(129);
    let (logs, _guard) = Logs::capture();

    for (sent, kept) in [
        ("client-42", true),
        ("Root=1-67891233-abcdef012345678912345678", true),
        ("two words", false),
        ("a\"quote", false),
        (long.as_str(), false),
    ] {
        let request = Request::get("/health")
            .header(REQUEST_ID, sent)
            .body(Body::empty())
            .unwrap();
        let response = app.send(request).await;
        let answered = request_id(&response);

        if kept {
            assert_eq!(answered, sent);
        } else {
            uuid::Uuid::parse_str(&answered)
                .unwrap_or_else(|_| panic!("{sent:?} is replaced by a UUID, not {answered:?}"));
        }
        let line = logs.requests().pop().unwrap();
        assert_contains_all(&line, &[&format!("request_id={answered} ")]);
    }
}

#[tokio::test]
async fn an_internal_error_is_logged_with_the_request_id() {
    // Over several sources an outage is `SOURCE_UNAVAILABLE` (tests/api/sources.rs).
    let app = TestApp::spawn_one_database().await;
    app.app.store.close().await.unwrap();
    let (logs, _guard) = Logs::capture();

    let response = app
        .graphql("query Units { units { nodes { name } } }")
        .await;

    assert_eq!(response.error_codes(), ["INTERNAL"]);
    let errors = logs.lines_with(" ERROR ");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_contains_all(
        &errors[0],
        &[
            &format!("request_id={} ", request_id(&response)),
            "operation=Units",
            "internal error while resolving a request",
        ],
    );
}

#[tokio::test]
async fn a_failed_read_is_logged_once_with_the_request_id_of_its_request() {
    let app = TestApp::spawn().await;
    // The institutions are read at the root; their cleanrooms in one batch, which fails.
    Database::connect(app.database_url.clone())
        .await
        .unwrap()
        .execute_unprepared("DROP TABLE cleanroom")
        .await
        .unwrap();
    let (logs, _guard) = Logs::capture();

    let response = app
        .graphql("query Rooms { institutions { code cleanrooms { totalCount } } }")
        .await;

    assert_eq!(
        response.error_codes(),
        ["INTERNAL", "INTERNAL"],
        "{response:?}"
    );
    assert_eq!(
        response.body["errors"][0]["path"][2],
        json!("cleanrooms"),
        "{response:?}"
    );
    let id = request_id(&response);
    // One failed statement: logged once, reported for each institution that selects it.
    let errors = logs.lines_with(" ERROR ");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    for line in errors {
        assert_contains_all(&line, &[&format!("request_id={id} "), "operation=Rooms"]);
    }
}

async fn panicking_handler() -> &'static str {
    panic!("the handler broke")
}

#[tokio::test]
async fn a_panic_is_answered_as_an_internal_error_and_logged_with_the_request_id() {
    let config = Config::for_database("sqlite::memory:").unwrap();
    let routes = Router::new().route("/panic", get(panicking_handler));
    let router = atmp_graph::http::with_layers(routes, &config);
    let (logs, _guard) = Logs::capture();

    let response = router
        .oneshot(Request::get("/panic").body(Body::empty()).unwrap())
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = response.headers()[REQUEST_ID].to_str().unwrap().to_owned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] })
    );
    let errors = logs.lines_with(" ERROR ");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_contains_all(
        &errors[0],
        &[&format!("request_id={id} "), "the handler broke"],
    );
    assert_contains_all(
        &logs.requests()[0],
        &["status=500", &format!("request_id={id} ")],
    );
}
