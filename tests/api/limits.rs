//! Hostile and oversized requests: each refused before any work grows with it, with the
//! limit it is over named, and the service still answering afterwards.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{fragment_bomb, TestApp};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

fn nested_list(levels: usize) -> String {
    format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
}

/// Asserts a request error: 400, no data, one `QUERY_TOO_COMPLEX` error naming `limit`.
fn assert_refused(response: &crate::helpers::TestResponse, limit: &str, what: &str) {
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{what}: {response:?}"
    );
    assert_eq!(response.error_codes(), ["QUERY_TOO_COMPLEX"], "{what}");
    assert!(
        response.error_messages()[0].contains(&format!("(limit `{limit}`)")),
        "{what}: {response:?}"
    );
    assert!(response.body.get("data").is_none(), "{what}");
}

#[tokio::test]
async fn a_list_nested_thousands_deep_is_refused_over_post_and_get() {
    let app = TestApp::spawn().await;
    let in_default = format!("query($v: Int = {}) {{ __typename }}", nested_list(3_000));
    let in_argument = format!("{{ institution(code: {}) {{ name }} }}", nested_list(3_000));

    for query in [&in_default, &in_argument] {
        let post = app.graphql(query).await;
        let get = app
            .send(
                Request::get(format!(
                    "/graphql?{}",
                    serde_urlencoded::to_string([("query", query)]).unwrap()
                ))
                .header(header::ACCEPT, GRAPHQL_RESPONSE)
                .body(Body::empty())
                .unwrap(),
            )
            .await;

        assert_refused(&post, "max-nesting", "POST");
        assert_refused(&get, "max-nesting", "GET");
    }
    assert_eq!(
        app.data("{ institution(code: \"KI\") { code } }").await,
        json!({ "institution": { "code": "KI" } })
    );
}

#[tokio::test]
async fn deeply_nested_variables_are_refused() {
    let app = TestApp::spawn().await;
    let mut variables = json!(1);
    for _ in 0..100 {
        variables = json!([variables]);
    }

    let response = app
        .graphql_with("query($v: [Int]) { __typename }", json!({ "v": variables }))
        .await;

    assert_refused(&response, "max-nesting", "variables");
    assert!(response.error_messages()[0].starts_with("`variables` nests"));
}

#[tokio::test]
async fn a_fragment_bomb_is_refused_at_once_while_health_answers() {
    let app = TestApp::spawn().await;
    let bomb = fragment_bomb(30, "__typename");

    // A generous bound: what matters is that it comes back at all (it used to run for minutes).
    let (bomb, health) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(
            app.graphql(&bomb),
            app.send(Request::get("/health").body(Body::empty()).unwrap())
        )
    })
    .await
    .expect("the fragment bomb is refused, not expanded");

    assert_refused(&bomb, "max-fields", "fragment bomb");
    assert_eq!(health.status, StatusCode::OK);
}

#[tokio::test]
async fn each_limit_is_refused_with_its_code_and_name() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..1_000).map(|i| format!("a{i}: __typename ")).collect();
    let roots: String = (0..31)
        .map(|i| format!("r{i}: institutions {{ code }} "))
        .collect();
    let deep = format!(
        "{{ units {{ nodes {{ {}id{} }} }} }}",
        "parent { ".repeat(20),
        " }".repeat(20)
    );
    let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(6));
    let tokens = format!("{{ {} }}", "__typename ".repeat(20_000));
    let wide = "{ units(first: 100) { nodes { people(first: 100) { nodes { appointments(first: 100) { nodes { id title } } } } } } }";
    let fields = format!(
        "{{ units {{ nodes {{ {} }} }} }}",
        (0..45)
            .map(|i| format!("u{i}: parent {{ {} }}", "id name ".repeat(25)))
            .collect::<String>()
    );
    let cases = [
        (
            format!("{{ {aliases} }}"),
            "max-aliases",
            "the message for 1 000 aliases",
        ),
        (
            format!("{{ {roots} }}"),
            "max-root-fields",
            "31 root fields",
        ),
        (deep, "max-depth", "22 levels"),
        (directives, "max-directives", "6 directives"),
        (tokens, "max-tokens", "20 000 tokens"),
        (wide.to_owned(), "max-complexity", "a million rows"),
        (fields, "max-fields", "2 295 fields"),
        (
            fragment_bomb(12, "__typename"),
            "max-fields",
            "a fragment bomb",
        ),
    ];
    for (query, limit, what) in cases {
        let response = app.graphql(&query).await;

        assert_refused(&response, limit, what);
    }
}

#[tokio::test]
async fn a_refused_query_does_not_reach_the_database() {
    let app = TestApp::spawn_with_generated(0).await;
    let aliases: String = (0..1_000)
        .map(|i| format!("a{i}: institutions {{ code }} "))
        .collect();

    let (statements, response) = app
        .statements_and_response(&format!("{{ {aliases} }}"))
        .await;

    assert_eq!(response.error_codes(), ["QUERY_TOO_COMPLEX"]);
    assert_eq!(statements, 0);
}

#[tokio::test]
async fn limits_answer_200_under_application_json() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": fragment_bomb(30, "__typename") }).to_string();

    let response = app
        .post_raw(&body, "application/json", "application/json")
        .await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.error_codes(), ["QUERY_TOO_COMPLEX"]);
}

#[tokio::test]
async fn a_fragment_that_spreads_itself_is_bad_user_input() {
    let app = TestApp::spawn().await;

    let response = app
        .graphql("fragment A on Query { ...B } fragment B on Query { __typename ...A } { ...A }")
        .await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    assert_eq!(
        response.error_messages(),
        ["fragment `A` spreads itself, directly or through other fragments"]
    );
}

#[tokio::test]
async fn a_syntax_error_is_one_line_with_line_and_column() {
    let app = TestApp::spawn().await;

    let response = app.graphql("{\n  units(first: ) { totalCount }\n}").await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    assert_eq!(
        response.error_messages(),
        ["syntax error: expected value (line 2, column 16)"]
    );
    assert_eq!(
        response.body["errors"][0]["locations"],
        json!([{ "line": 2, "column": 16 }])
    );
}

#[tokio::test]
async fn a_ten_megabyte_body_gets_413_before_the_connection_closes() {
    let app = TestApp::spawn().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app.app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let body = format!(
        "{{\"query\": \"{{ __typename }}\", \"x\": \"{}\"}}",
        "a".repeat(10 * 1024 * 1024)
    );
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nAccept: {GRAPHQL_RESPONSE}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // Written whole, as a client does: the server reads the body to its end before it answers.
    // (The write side stays open: hyper drops a connection whose client half-closes it.)
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();

    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "{} bytes: {answer}",
        answer.len()
    );
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).unwrap(),
        json!({ "errors": [{
            "message": "the request body must be at most 1048576 bytes",
            "extensions": { "code": "BAD_USER_INPUT" }
        }] })
    );
}

#[tokio::test]
async fn a_heavy_query_within_the_limits_is_answered_in_full() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..45)
        .map(|i| format!("i{i}: institution {{ code name kind rorId city homepage code name kind rorId city homepage }} "))
        .collect();
    let query = format!(
        "{{ units(first: 3, orderBy: [{{ field: NAME }}]) {{ nodes {{ name {aliases} }} }} }}"
    );

    let data = app.data(&query).await;

    let nodes = data["units"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    for node in nodes {
        let first = &node["i0"];
        assert!(
            ["KI", "KUH"].contains(&first["code"].as_str().unwrap()),
            "{node}"
        );
        for i in 1..45 {
            assert_eq!(&node[format!("i{i}")], first, "alias i{i}");
        }
    }
}
