//! The service over real TCP, health, GraphiQL and CORS.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;

#[tokio::test]
async fn the_real_server_answers_over_tcp() {
    let app = TestApp::spawn().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app.app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let body = json!({ "query": "{ institution(code: \"KUH\") { name } }" }).to_string();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nAccept: application/graphql-response+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();

    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/graphql-response+json"),
        "{answer}"
    );
    assert!(
        answer.ends_with(r#"{"data":{"institution":{"name":"Karolinska University Hospital"}}}"#),
        "{answer}"
    );
}

#[tokio::test]
async fn health_and_ready_say_ok_when_the_database_answers() {
    let app = TestApp::spawn().await;

    let health = app.get("/health").await;
    let ready = app.get("/ready").await;

    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({ "status": "ok" }));
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(
        ready.body,
        json!({ "status": "ready", "sources": app.sources_all("ready") })
    );
}

#[tokio::test]
async fn graphiql_is_served_at_the_root_with_its_assets() {
    let app = TestApp::spawn().await;

    let page = app
        .send(Request::get("/").body(Body::empty()).unwrap())
        .await;
    let html = page.body.as_str().unwrap().to_owned();

    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(html.contains("/graphql"), "the page points at the endpoint");
    let assets: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/graphiql/"))
        .collect();
    if atmp_graph::http::graphiql_assets_embedded() {
        assert!(!assets.is_empty(), "the page loads bundled assets: {html}");
        for asset in assets {
            let response = app
                .send(Request::get(asset).body(Body::empty()).unwrap())
                .await;
            assert_eq!(response.status, StatusCode::OK, "{asset}");
        }
    }
    let missing = app
        .send(
            Request::get("/graphiql/missing.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn browsers_from_other_origins_may_query() {
    let app = TestApp::spawn().await;

    let preflight = app
        .send(
            Request::options("/graphql")
                .header(header::ORIGIN, "https://frontend.example")
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
                .body(Body::empty())
                .unwrap(),
        )
        .await;

    assert_eq!(preflight.status, StatusCode::OK);
    assert_eq!(preflight.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
}
