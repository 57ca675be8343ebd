//! Bad input: each gets a clear error with its code and the right status, never a 500.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test]
async fn malformed_requests_are_400_with_a_graphql_error_body() {
    let app = TestApp::spawn().await;
    let cases = [
        ("{\"query\": ", "the request body is not valid JSON"),
        (
            "[{\"query\": \"{ __typename }\"}]",
            "the request body is not a GraphQL request",
        ),
        (
            "{\"query\": 42}",
            "the request body is not a GraphQL request",
        ),
        (
            "{\"query\": \"{ __typename }\", \"colour\": 1}",
            "the request body is not a GraphQL request",
        ),
        ("{}", "the request has no `query`"),
        (
            "{\"query\": \"{ __typename }\", \"variables\": [1]}",
            "`variables` must be a JSON object",
        ),
    ];
    for (body, message) in cases {
        let response = app
            .post_raw(body, "application/json", GRAPHQL_RESPONSE)
            .await;

        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{body}: {response:?}"
        );
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{body}");
        assert!(
            response.error_messages()[0].starts_with(message),
            "{body}: {response:?}"
        );
        assert!(
            response.body.get("data").is_none(),
            "{body}: a request error has no data"
        );
    }
}

#[tokio::test]
async fn parse_and_validation_errors_are_400_for_graphql_response_json_and_200_for_json() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "{ units { nodes { colour } } }",
            "Unknown field \"colour\" on type \"Unit\".",
        ),
        ("{ units(", "expected"),
        (
            "{ units(first: \"ten\") { totalCount } }",
            "Invalid value for argument \"first\"",
        ),
        (
            "{ units(filter: { kind: { eq: LAB } }) { totalCount } }",
            "Invalid value for argument \"filter.kind.eq\"",
        ),
    ];
    for (query, message) in cases {
        let body = json!({ "query": query }).to_string();
        let strict = app
            .post_raw(&body, "application/json", GRAPHQL_RESPONSE)
            .await;
        let legacy = app
            .post_raw(&body, "application/json", "application/json")
            .await;

        assert_eq!(
            strict.status,
            StatusCode::BAD_REQUEST,
            "{query}: {strict:?}"
        );
        assert_eq!(
            strict.content_type,
            "application/graphql-response+json; charset=utf-8"
        );
        assert_eq!(legacy.status, StatusCode::OK, "{query}: {legacy:?}");
        assert_eq!(legacy.content_type, "application/json; charset=utf-8");
        for response in [&strict, &legacy] {
            let codes = response.error_codes();
            assert!(
                !codes.is_empty() && codes.iter().all(|c| c == "BAD_USER_INPUT"),
                "{query}: {response:?}"
            );
            assert!(
                response.error_messages()[0].contains(message),
                "{query}: {response:?}"
            );
        }
    }
}

#[tokio::test]
async fn bad_arguments_are_bad_user_input_naming_the_rule() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "{ units(first: 100000) { totalCount } }",
            "`first` must be at most 100",
        ),
        (
            "{ units(last: 101) { totalCount } }",
            "`last` must be at most 100",
        ),
        (
            "{ units(first: -1) { totalCount } }",
            "`first` must not be negative",
        ),
        (
            "{ units(first: 1, last: 1) { totalCount } }",
            "`first` and `last` cannot be used together",
        ),
        (
            "{ units(after: \"bogus\") { totalCount } }",
            "`bogus` is not a valid cursor",
        ),
        (
            "{ units(filter: { institution: { eq: \"SU\" } }) { totalCount } }",
            "unknown institution code `SU`; known codes: KI, KUH",
        ),
        (
            "{ node(id: \"not-an-id\") { id } }",
            "`not-an-id` is not a valid node ID",
        ),
        (
            "{ institution(code: \"KI\") { units(first: 500) { totalCount } } }",
            "`first` must be at most 100",
        ),
    ];
    for (query, message) in cases {
        let response = app.graphql(query).await;

        assert_eq!(
            response.status,
            StatusCode::OK,
            "{query}: execution errors keep 200: {response:?}"
        );
        assert_eq!(
            response.error_codes(),
            ["BAD_USER_INPUT"],
            "{query}: {response:?}"
        );
        assert_eq!(response.error_messages(), [message], "{query}");
    }
}

#[tokio::test]
async fn a_cursor_from_another_ordering_or_list_is_rejected() {
    let app = TestApp::spawn().await;
    let page = app.data("{ units(first: 1) { pageInfo { endCursor } } milestones(first: 1) { pageInfo { endCursor } } }").await;
    let unit_cursor = page["units"]["pageInfo"]["endCursor"].as_str().unwrap();
    let milestone_cursor = page["milestones"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap();

    let other_order = app
        .graphql(&format!(
            r#"{{ units(after: "{unit_cursor}", orderBy: [{{ field: KIND }}]) {{ totalCount }} }}"#
        ))
        .await;
    let other_list = app
        .graphql(&format!(
            r#"{{ people(after: "{milestone_cursor}") {{ totalCount }} }}"#
        ))
        .await;

    assert_eq!(other_order.error_codes(), ["BAD_USER_INPUT"]);
    assert_eq!(
        other_order.error_messages(),
        ["the cursor was made for another ordering of this list"]
    );
    assert_eq!(other_list.error_codes(), ["BAD_USER_INPUT"]);
    assert_eq!(
        other_list.error_messages(),
        ["the cursor was made for another list"]
    );
}

#[tokio::test]
async fn a_valid_id_of_a_missing_record_is_null_not_an_error() {
    let app = TestApp::spawn().await;
    // "Unit:00000000-0000-0000-0000-000000000000"
    let response = app.graphql(r#"{ node(id: "VW5pdDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA") { id } institution(code: "SU") { id } }"#).await;

    assert_eq!(
        response.data(),
        &json!({ "node": null, "institution": null })
    );
}

#[tokio::test]
async fn over_deep_or_over_complex_queries_are_refused() {
    let app = TestApp::spawn().await;
    let deep = format!(
        "{{ units {{ nodes {{ {}id{} }} }} }}",
        "parent { ".repeat(20),
        " }".repeat(20)
    );
    let wide = "{ units(first: 100) { nodes { people(first: 100) { nodes { appointments(first: 100) { nodes { id title } } } } } } }";

    for query in [deep.as_str(), wide] {
        let response = app.graphql(query).await;

        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{response:?}");
        assert_eq!(
            response.error_codes(),
            ["QUERY_TOO_COMPLEX"],
            "{response:?}"
        );
    }
}

#[tokio::test]
async fn wrong_media_types_and_methods_get_their_status() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": "{ __typename }" }).to_string();

    let text = app.post_raw(&body, "text/plain", GRAPHQL_RESPONSE).await;
    let not_acceptable = app.post_raw(&body, "application/json", "text/html").await;
    let put = app
        .send(
            Request::put("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.clone()))
                .unwrap(),
        )
        .await;
    let too_big = app
        .post_raw(
            &format!(
                "{{\"query\": \"{{ __typename }}\", \"x\": \"{}\"}}",
                "a".repeat(2_000_000)
            ),
            "application/json",
            GRAPHQL_RESPONSE,
        )
        .await;

    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(not_acceptable.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    for response in [&text, &not_acceptable, &put, &too_big] {
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{response:?}");
    }
}

#[tokio::test]
async fn get_serves_queries_and_refuses_mutations() {
    let app = TestApp::spawn().await;
    let get = |uri: &str| {
        Request::get(uri)
            .header(header::ACCEPT, GRAPHQL_RESPONSE)
            .body(Body::empty())
            .unwrap()
    };

    let query = app
        .send(get(
            "/graphql?query=%7B%20institutions%20%7B%20code%20%7D%20%7D",
        ))
        .await;
    let mutation = app
        .send(get("/graphql?query=mutation%20%7B%20x%20%7D"))
        .await;
    let bad_variables = app
        .send(get("/graphql?query=%7B__typename%7D&variables=%5B"))
        .await;

    assert_eq!(query.status, StatusCode::OK);
    assert_eq!(
        query.data(),
        &json!({ "institutions": [{ "code": "KI" }, { "code": "KUH" }] })
    );
    assert_eq!(mutation.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(bad_variables.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_variables.error_messages(),
        ["`variables` must be a JSON object"]
    );
}
