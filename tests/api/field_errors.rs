//! A field that fails is `null` where its type allows, and makes its nearest nullable parent
//! `null` where it does not (the specification's "Handling Field Errors"), on both execution
//! paths, at the root and below.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TestResponse};

/// The answer to `query` on both execution paths, which must be the same: the data, and the
/// errors in any order (the resolvers of the field-by-field path finish in any order).
async fn answered_on_both_paths(app: &TestApp, query: &str) -> TestResponse {
    let planned = app.graphql(query).await;
    let field_by_field = app.graphql_field_by_field(query, json!({})).await;
    assert_eq!(planned.status, StatusCode::OK, "{planned:?}");
    assert_eq!(planned.body["data"], field_by_field.body["data"], "{query}");
    let sorted = |response: &TestResponse| {
        let mut errors: Vec<String> = response.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(Value::to_string)
            .collect();
        errors.sort();
        errors
    };
    assert_eq!(sorted(&planned), sorted(&field_by_field), "{query}");
    planned
}

/// Each error's path and code.
fn paths_and_codes(response: &TestResponse) -> Vec<Value> {
    response.body["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|error| json!([error["path"], error["extensions"]["code"]]))
        .collect()
}

async fn institution_ids(app: &TestApp) -> (String, String) {
    let data = app.data("{ institutions { id code } }").await;
    let id = |index: usize| {
        data["institutions"][index]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    (id(0), id(1))
}

#[tokio::test]
async fn a_nullable_root_field_that_fails_is_null_beside_the_others() {
    let app = TestApp::spawn().await;

    let response = answered_on_both_paths(
        &app,
        r#"{ a: node(id: "bad-id") { id } institutions { code } }"#,
    )
    .await;

    assert_eq!(
        response.body["data"],
        json!({ "a": null, "institutions": [{ "code": "KI" }, { "code": "KUH" }] })
    );
    assert_eq!(
        paths_and_codes(&response),
        [json!([["a"], "BAD_USER_INPUT"])]
    );
}

#[tokio::test]
async fn a_nullable_root_field_that_fails_alone_leaves_its_key_with_null() {
    let app = TestApp::spawn().await;

    let response = answered_on_both_paths(&app, r#"{ a: node(id: "bad-id") { id } }"#).await;

    assert_eq!(response.body["data"], json!({ "a": null }));
    assert_eq!(
        paths_and_codes(&response),
        [json!([["a"], "BAD_USER_INPUT"])]
    );
}

#[tokio::test]
async fn a_non_null_root_field_that_fails_makes_the_data_null() {
    let app = TestApp::spawn().await;

    let response = answered_on_both_paths(
        &app,
        "{ institutions { code } units(first: -1) { totalCount } }",
    )
    .await;

    assert_eq!(response.body["data"], Value::Null);
    assert!(response.body.get("data").is_some(), "{response:?}");
    assert_eq!(
        paths_and_codes(&response),
        [json!([["units"], "BAD_USER_INPUT"])]
    );
    assert_eq!(response.error_messages(), ["`first` must not be negative"]);
}

#[tokio::test]
async fn a_non_null_field_that_fails_below_makes_its_nearest_nullable_parent_null() {
    let app = TestApp::spawn().await;
    let (ki, kuh) = institution_ids(&app).await;

    let one = answered_on_both_paths(
        &app,
        &format!(
            r#"{{ node(id: "{ki}") {{ ... on Institution {{ code units(first: -1) {{ totalCount }} }} }} institutions {{ code }} }}"#
        ),
    )
    .await;
    let each = answered_on_both_paths(
        &app,
        &format!(
            r#"{{ nodes(ids: ["{ki}", "{kuh}"]) {{ ... on Institution {{ code units(first: -1) {{ totalCount }} }} }} }}"#
        ),
    )
    .await;

    // `units` is non-null, and so is `Institution.code`'s object in no list: `node` may be null.
    assert_eq!(
        one.body["data"],
        json!({ "node": null, "institutions": [{ "code": "KI" }, { "code": "KUH" }] })
    );
    assert_eq!(
        paths_and_codes(&one),
        [json!([["node", "units"], "BAD_USER_INPUT"])]
    );
    // The items of `nodes` may be null: each is, with its own error.
    assert_eq!(each.body["data"], json!({ "nodes": [null, null] }));
    assert_eq!(
        paths_and_codes(&each),
        [
            json!([["nodes", 0, "units"], "BAD_USER_INPUT"]),
            json!([["nodes", 1, "units"], "BAD_USER_INPUT"]),
        ]
    );
}

#[tokio::test]
async fn a_non_null_field_that_fails_in_a_list_of_non_null_rows_nulls_the_list_up_to_the_root() {
    let app = TestApp::spawn().await;

    let response = answered_on_both_paths(
        &app,
        "{ institutions { code } units(first: 2) { nodes { name cleanrooms(first: 1000) { totalCount } } } }",
    )
    .await;

    // `cleanrooms`, a unit in `nodes: [Unit!]!`, `nodes`, and `units: UnitConnection!` are
    // all non-null: the data itself is null, with an error for each unit.
    assert_eq!(response.body["data"], Value::Null);
    assert_eq!(
        paths_and_codes(&response),
        [
            json!([["units", "nodes", 0, "cleanrooms"], "BAD_USER_INPUT"]),
            json!([["units", "nodes", 1, "cleanrooms"], "BAD_USER_INPUT"]),
        ]
    );
}

#[tokio::test]
async fn an_object_whose_every_field_is_skipped_is_an_empty_object() {
    let app = TestApp::spawn().await;

    let response = answered_on_both_paths(&app, "{ institutions { code @skip(if: true) } }").await;

    assert_eq!(
        response.body,
        json!({ "data": { "institutions": [{}, {}] } })
    );
}

#[tokio::test]
async fn a_nullable_reference_that_fails_is_null_in_its_row_while_the_rest_answers() {
    let app = TestApp::spawn_split().await;
    let query = r#"{ people(first: 5, filter: { name: { contains: "ellis" } }) { nodes { name appointments { nodes { title institution { code } unit { name } } } } } }"#;

    assert!(app.app.store.close_source("KI").await.unwrap());
    let response = answered_on_both_paths(&app, query).await;

    // KUH answers for Ewa Ellis and her KUH appointments; the units KI holds cannot be read.
    let person = &response.body["data"]["people"]["nodes"][0];
    assert_eq!(person["name"], "Ewa Ellis", "{response:?}");
    let appointments = person["appointments"]["nodes"].as_array().unwrap();
    assert!(!appointments.is_empty(), "{response:?}");
    let failed_units: Vec<Value> = response.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|error| error["path"].as_array().unwrap().last() == Some(&json!("unit")))
        .map(|error| {
            assert_eq!(error["extensions"]["code"], "SOURCE_UNAVAILABLE", "{error}");
            error["path"][5].clone()
        })
        .collect();
    for (index, appointment) in appointments.iter().enumerate() {
        assert_eq!(appointment["institution"]["code"], "KUH", "{response:?}");
        // Every appointment answers `unit`: its unit, or null with an error at its path.
        let unit = appointment.get("unit").expect("the key `unit` is there");
        assert_eq!(
            unit.is_null(),
            failed_units.contains(&json!(index)),
            "{response:?}"
        );
    }
    assert!(
        !failed_units.is_empty(),
        "a KI unit named by a KUH appointment: {response:?}"
    );
}

#[tokio::test]
async fn an_operation_whose_every_root_field_is_skipped_has_empty_data() {
    let app = TestApp::spawn().await;

    let response = answered_on_both_paths(&app, "{ institutions @skip(if: true) { code } }").await;

    assert_eq!(response.body, json!({ "data": {} }));
}
