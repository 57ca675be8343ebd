//! Liveness, readiness and recovery: `/health` answers while the process runs, `/ready` only
//! while every source does, and the server recovers by itself when PostgreSQL drops its
//! connections or goes away and comes back. The PostgreSQL tests skip without
//! `TEST_DATABASE_URL`.

use atmp_graph::store::is_dropped_connection;
use axum::http::StatusCode;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::helpers::{
    postgres_address, postgres_admin_url, skip_without_postgres, terminate_connections, TestApp,
};

/// Reads at two levels, so one request runs several statements at once on several connections.
const QUERY: &str = "{ units(first: 5) { nodes { name institution { code } cleanrooms { totalCount } people(first: 2) { nodes { name } } } } }";

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

/// A TCP proxy on 127.0.0.1 that the test can stop (closing its port and every connection
/// through it) and start again on the same port: PostgreSQL going away and coming back.
struct Proxy {
    port: u16,
    upstream: String,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
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
    async fn stop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            task.await.unwrap();
        }
    }

    /// Listens on the same port again.
    async fn restart(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

#[tokio::test]
async fn the_server_recovers_by_itself_when_postgres_comes_back() {
    if skip_without_postgres("the_server_recovers_by_itself_when_postgres_comes_back") {
        return;
    }
    let admin_url = postgres_admin_url().unwrap();
    let mut proxy = Proxy::start(postgres_address(&admin_url)).await;
    let app = TestApp::spawn_on_postgres_through(proxy.port, 1000)
        .await
        .unwrap();
    let expected = app.data(QUERY).await;

    proxy.stop().await;
    let health = app.get("/health").await;
    let ready = app.get("/ready").await;
    let query = app.graphql(QUERY).await;

    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{ready:?}");
    assert_eq!(
        ready.body,
        json!({ "status": "unavailable", "sources": app.sources_all("unavailable") })
    );
    assert_eq!(
        query.status,
        StatusCode::OK,
        "a field error, not a request error"
    );
    assert_eq!(query.error_codes(), ["INTERNAL"], "{query:?}");
    assert_eq!(query.error_messages(), ["internal error"]);

    proxy.restart().await;
    let ready = app.get("/ready").await;

    assert_eq!(ready.status, StatusCode::OK, "{ready:?}");
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
    let app = TestApp::spawn_split_through(proxy.port, 1000)
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
    let ready = app.get("/ready").await;
    let query = app.graphql(QUERY).await;
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
    let ready = app.get("/ready").await;

    assert_eq!(ready.status, StatusCode::OK, "{ready:?}");
    for attempt in 1..=3 {
        let response = app.graphql(QUERY).await;
        assert_eq!(response.data(), &expected, "request {attempt}");
    }
    proxy.stop().await;
}
