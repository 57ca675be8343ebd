//! Liveness, readiness and recovery: `/health` answers while the process runs, `/ready` only
//! while every source does, a source that does not answer is answered for at once (not after
//! its timeout, every time), and the server recovers by itself, within a probe interval, when
//! PostgreSQL drops its connections or goes away and comes back. The PostgreSQL tests skip
//! without `TEST_DATABASE_URL`.

use std::time::{Duration, Instant};

use atmp_graph::store::is_dropped_connection;
use axum::http::StatusCode;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

use crate::helpers::{
    postgres_address, postgres_admin_url, skip_without_postgres, terminate_connections, Proxy,
    TestApp, TestResponse,
};

/// Reads at two levels, so one request runs several statements at once on several connections.
const QUERY: &str = "{ units(first: 5) { nodes { name institution { code } cleanrooms { totalCount } people(first: 2) { nodes { name } } } } }";

/// How long a source waits for a connection in the outage tests: the first read that finds a
/// source gone waits this long.
const ACQUIRE_TIMEOUT_MS: u64 = 1000;
/// How often the sources are probed in the outage tests.
const PROBE_INTERVAL: Duration = Duration::from_millis(200);
/// What a busy machine may add to a probe interval before a source that answers is used again.
const RECOVERY_MARGIN: Duration = Duration::from_millis(300);
/// The longest an answer may take while a source is known to be down: well under the time it
/// would take to wait for the source.
const AT_ONCE: Duration = Duration::from_millis(100);

/// `query`'s answers while a source is known to be down, asked `times` times, all the same, and
/// the longest any took.
async fn answered_at_once(app: &TestApp, query: &str, times: usize) -> (TestResponse, Duration) {
    let mut slowest = Duration::ZERO;
    let mut answers = Vec::new();
    for _ in 0..times {
        let started = Instant::now();
        answers.push(app.graphql(query).await);
        slowest = slowest.max(started.elapsed());
    }
    let first = answers.remove(0);
    for answer in &answers {
        assert_eq!(answer.text, first.text);
    }
    (first, slowest)
}

/// Asserts that `/ready` answers 200 within a probe interval (and a margin).
async fn assert_ready_within_a_probe_interval(app: &TestApp) {
    let limit = PROBE_INTERVAL + RECOVERY_MARGIN;
    let recovered = app.ready_within(Duration::from_secs(10)).await;
    assert!(
        recovered.is_some_and(|recovered| recovered < limit),
        "ready again after {recovered:?}, not within {limit:?}"
    );
}

#[tokio::test]
async fn health_answers_without_the_database_and_ready_names_the_source_that_does_not() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/ready").await.status, StatusCode::OK);

    app.app.store.close().await.unwrap();
    let health = app.get("/health").await;
    let ready = app.get("/ready").await;

    assert_eq!(
        (health.status, health.body),
        (StatusCode::OK, json!({ "status": "ok" }))
    );
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.body,
        json!({ "status": "unavailable", "sources": app.sources_all("unavailable") })
    );
}

#[tokio::test]
async fn statement_errors_are_not_taken_for_dropped_connections() {
    let app = TestApp::spawn().await;
    let connection = Database::connect(&app.database_url).await.unwrap();

    for (sql, what) in [
        ("SELEC 1", "a syntax error"),
        ("SELECT no_such_column FROM unit", "an unknown column"),
        (
            "INSERT INTO institution SELECT * FROM institution",
            "a primary key violation",
        ),
    ] {
        let error = connection.execute_unprepared(sql).await.unwrap_err();
        assert!(!is_dropped_connection(&error), "{what}: {error:?}");
    }
}

#[tokio::test]
async fn a_connection_ended_by_postgres_is_a_dropped_connection() {
    if skip_without_postgres("a_connection_ended_by_postgres_is_a_dropped_connection") {
        return;
    }
    let app = TestApp::spawn().await;
    let connection = Database::connect(app.database_url.clone()).await.unwrap();

    // A session that ends itself gets PostgreSQL's own error for an ended session at once,
    // with no race against the server's shutting it down.
    let error = connection
        .execute_unprepared("SELECT pg_terminate_backend(pg_backend_pid())")
        .await
        .unwrap_err();

    assert!(is_dropped_connection(&error), "{error:?}");
}

#[tokio::test]
async fn no_request_fails_after_postgres_terminates_every_connection_of_the_server() {
    if skip_without_postgres(
        "no_request_fails_after_postgres_terminates_every_connection_of_the_server",
    ) {
        return;
    }
    let app = TestApp::spawn().await;
    let expected = app.data(QUERY).await;
    // Concurrent requests fill the pool, so that every pooled connection goes stale.
    join_all((0..4).map(|_| app.data(QUERY))).await;
    let (admin_url, database) = app.postgres_database().unwrap();
    let admin = Database::connect(admin_url).await.unwrap();

    let ended = terminate_connections(&admin, database).await;

    assert!(ended >= 2, "the pool held {ended} connection(s)");
    for attempt in 1..=5 {
        let response = app.graphql(QUERY).await;
        assert_eq!(response.status, StatusCode::OK, "request {attempt}");
        assert_eq!(response.data(), &expected, "request {attempt}");
    }
    assert_eq!(app.get("/ready").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_server_recovers_by_itself_when_postgres_comes_back() {
    if skip_without_postgres("the_server_recovers_by_itself_when_postgres_comes_back") {
        return;
    }
    let admin_url = postgres_admin_url().unwrap();
    let mut proxy = Proxy::start(postgres_address(&admin_url)).await;
    let app = TestApp::spawn_on_postgres_through(
        proxy.port,
        ACQUIRE_TIMEOUT_MS,
        PROBE_INTERVAL.as_millis() as u64,
    )
    .await
    .unwrap();
    let expected = app.data(QUERY).await;

    proxy.stop().await;
    let health = app.get("/health").await;
    // The first read finds the database gone, after the pool's timeout.
    let first = app.graphql(QUERY).await;
    let (query, slowest) = answered_at_once(&app, QUERY, 5).await;
    let ready = app.get("/ready").await;

    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{ready:?}");
    assert_eq!(
        ready.body,
        json!({ "status": "unavailable", "sources": app.sources_all("unavailable") })
    );
    for query in [&first, &query] {
        assert_eq!(
            query.status,
            StatusCode::OK,
            "a field error, not a request error"
        );
        assert_eq!(query.error_codes(), ["INTERNAL"], "{query:?}");
        assert_eq!(query.error_messages(), ["internal error"]);
    }
    assert!(slowest < AT_ONCE, "answered in {slowest:?} while down");

    proxy.restart().await;
    assert_ready_within_a_probe_interval(&app).await;

    for attempt in 1..=3 {
        let response = app.graphql(QUERY).await;
        assert_eq!(response.status, StatusCode::OK, "request {attempt}");
        assert_eq!(response.data(), &expected, "request {attempt}");
    }
    proxy.stop().await;
}

#[tokio::test]
async fn a_source_that_goes_away_is_named_and_used_again_when_it_comes_back() {
    if skip_without_postgres("a_source_that_goes_away_is_named_and_used_again_when_it_comes_back") {
        return;
    }
    let admin_url = postgres_admin_url().unwrap();
    let mut proxy = Proxy::start(postgres_address(&admin_url)).await;
    // KI's records on PostgreSQL through the proxy, KUH's on SQLite.
    let app = TestApp::spawn_split_through(
        proxy.port,
        ACQUIRE_TIMEOUT_MS,
        PROBE_INTERVAL.as_millis() as u64,
    )
    .await
    .unwrap();
    let kuh = r#"{ cleanrooms(first: 50, filter: { institution: { eq: "KUH" } }) { totalCount nodes { code } } }"#;
    let expected = app.data(QUERY).await;
    let kuh_cleanrooms = app.data(kuh).await;
    // The first five of the units KUH's source holds (KUH owns them), in the list's order.
    let every_unit = app
        .data("{ units(first: 50) { nodes { name institution { code } } } }")
        .await;
    let kuh_units: Vec<&Value> = every_unit["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|unit| unit["institution"]["code"] == "KUH")
        .map(|unit| &unit["name"])
        .take(5)
        .collect();

    proxy.stop().await;
    // The first read finds KI's source gone, after the pool's timeout; then every answer comes
    // at once, with what KUH's source holds.
    let first = app.graphql(QUERY).await;
    let (query, slowest) = answered_at_once(&app, QUERY, 5).await;
    let ready = app.get("/ready").await;
    let kuh_only = app.graphql(kuh).await;

    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{ready:?}");
    assert_eq!(
        ready.body,
        json!({ "status": "unavailable", "sources": [
            { "name": "KI", "status": "unavailable" },
            { "name": "KUH", "status": "ready" },
        ] })
    );
    assert_eq!(query.status, StatusCode::OK, "{query:?}");
    assert_eq!(query.text, first.text);
    assert!(
        slowest < AT_ONCE,
        "answered in {slowest:?} while KI is down"
    );
    // The units KUH's source holds; an error names KI for the list, and for each list under a
    // unit that KI's source may hold rows of.
    let names: Vec<&Value> = query.body["data"]["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|unit| &unit["name"])
        .collect();
    assert_eq!(names, kuh_units, "{query:?}");
    assert_eq!(
        query.body["data"]["units"]["nodes"][0]["cleanrooms"]["totalCount"],
        json!(null)
    );
    let errors = query.body["errors"].as_array().unwrap();
    assert_eq!(errors[0]["path"], json!(["units"]));
    for error in errors {
        assert_eq!(error["extensions"]["code"], "SOURCE_UNAVAILABLE", "{error}");
        assert_eq!(error["extensions"]["institution"], "KI", "{error}");
    }
    assert_eq!(kuh_only.data(), &kuh_cleanrooms);

    proxy.restart().await;
    assert_ready_within_a_probe_interval(&app).await;

    for attempt in 1..=3 {
        let response = app.graphql(QUERY).await;
        assert_eq!(response.data(), &expected, "request {attempt}");
    }
    proxy.stop().await;
}

#[tokio::test]
async fn while_a_source_does_not_answer_every_answer_comes_at_once_and_it_is_used_again_within_a_probe_interval(
) {
    let app =
        TestApp::spawn_split_probed(ACQUIRE_TIMEOUT_MS, PROBE_INTERVAL.as_millis() as u64).await;
    let whole = app.data(QUERY).await;
    // Concurrent requests fill the pools, so that no answer below waits for a connection to
    // be opened (a tenth of a second on PostgreSQL in a debug build).
    join_all((0..4).map(|_| app.data(QUERY))).await;
    let ki_cleanrooms = r#"{ cleanrooms(first: 50, filter: { institution: { eq: "KI" } }) { totalCount nodes { code unit { name } } } }"#;
    let ki_only = app.data(ki_cleanrooms).await;

    // KUH's database gives no connection: each read of it would wait the pool's timeout.
    let taken = app.take_every_connection("KUH").await;
    let started = Instant::now();
    let first = app.graphql(QUERY).await;
    let first_took = started.elapsed();
    let (during, slowest) = answered_at_once(&app, QUERY, 5).await;
    let started = Instant::now();
    let ready = app.get("/ready").await;
    let ready_took = started.elapsed();
    let ki_during = app.graphql(ki_cleanrooms).await;

    // The first read waited for KUH's source and found it gone; the others knew.
    assert!(
        first_took >= Duration::from_millis(ACQUIRE_TIMEOUT_MS),
        "{first_took:?}"
    );
    assert_eq!(during.text, first.text);
    assert!(
        slowest < AT_ONCE,
        "answered in {slowest:?} while KUH is down"
    );
    assert!(ready_took < AT_ONCE, "/ready answered in {ready_took:?}");
    // The partial answers and errors of a source that does not answer, as before.
    assert_eq!(during.status, StatusCode::OK);
    let errors = during.body["errors"].as_array().unwrap();
    assert_eq!(errors[0]["path"], json!(["units"]), "{during:?}");
    for error in errors {
        assert_eq!(error["extensions"]["code"], "SOURCE_UNAVAILABLE", "{error}");
        assert_eq!(error["extensions"]["institution"], "KUH", "{error}");
    }
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.body,
        json!({ "status": "unavailable", "sources": [
            { "name": "KI", "status": "ready" },
            { "name": "KUH", "status": "unavailable" },
        ] })
    );
    // What KI's source holds alone is answered whole.
    assert_eq!(ki_during.data(), &ki_only);

    drop(taken);
    assert_ready_within_a_probe_interval(&app).await;

    assert_eq!(app.data(QUERY).await, whole);
}

#[tokio::test]
async fn while_the_one_database_does_not_answer_every_query_fails_at_once_until_it_does() {
    let app =
        TestApp::spawn_one_database_probed(ACQUIRE_TIMEOUT_MS, PROBE_INTERVAL.as_millis() as u64)
            .await;
    let whole = app.data(QUERY).await;

    let taken = app.take_every_connection("main").await;
    let first = app.graphql(QUERY).await;
    let (during, slowest) = answered_at_once(&app, QUERY, 5).await;
    let ready = app.get("/ready").await;

    for response in [&first, &during] {
        assert_eq!(response.error_codes(), ["INTERNAL"], "{response:?}");
        assert_eq!(response.error_messages(), ["internal error"]);
    }
    assert!(
        slowest < AT_ONCE,
        "answered in {slowest:?} while the database is down"
    );
    assert_eq!(
        (ready.status, ready.body),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable", "sources": [{ "name": "main", "status": "unavailable" }] })
        )
    );

    drop(taken);
    assert_ready_within_a_probe_interval(&app).await;

    assert_eq!(app.data(QUERY).await, whole);
}
