//! Keyset pagination: forwards and backwards, no row lost or repeated, under any ordering.

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// Walks a connection page by page; returns the names and the pages' `pageInfo`s.
async fn walk(
    app: &TestApp,
    list: &str,
    field: &str,
    args: &str,
    backward: bool,
) -> (Vec<String>, Vec<Value>) {
    let mut cursor: Option<String> = None;
    let mut names = Vec::new();
    let mut infos = Vec::new();
    loop {
        let position = match (&cursor, backward) {
            (None, false) => "first: 3".to_owned(),
            (Some(c), false) => format!("first: 3, after: \"{c}\""),
            (None, true) => "last: 3".to_owned(),
            (Some(c), true) => format!("last: 3, before: \"{c}\""),
        };
        let query = format!(
            "{{ {list}({position}{args}) {{ edges {{ cursor node {{ {field} }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
        );
        let data = app.data(&query).await;
        let page = &data[list];
        let mut page_names: Vec<String> = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"][field].as_str().unwrap().to_owned())
            .collect();
        let info = page["pageInfo"].clone();
        infos.push(info.clone());
        let more = if backward {
            info["hasPreviousPage"] == true
        } else {
            info["hasNextPage"] == true
        };
        if backward {
            page_names.extend(names);
            names = page_names;
            cursor = info["startCursor"].as_str().map(str::to_owned);
        } else {
            names.extend(page_names);
            cursor = info["endCursor"].as_str().map(str::to_owned);
        }
        if !more {
            return (names, infos);
        }
        assert!(infos.len() < 50, "pagination does not end");
    }
}

#[tokio::test]
async fn paging_forwards_and_backwards_returns_every_person_once_in_order() {
    let app = TestApp::spawn().await;
    let all = app.data("{ people(first: 100) { nodes { name } } }").await;
    let all: Vec<String> = all["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();

    let (forwards, forward_pages) = walk(&app, "people", "name", "", false).await;
    let (backwards, backward_pages) = walk(&app, "people", "name", "", true).await;

    assert_eq!(all.len(), 14);
    assert_eq!(
        &all[..4],
        [
            "Gustaf Ahlén",
            "Olof Akre",
            "Mathias Axelsson",
            "Martin Bergö"
        ],
        "by family name, diacritics folded"
    );
    assert_eq!(forwards, all);
    assert_eq!(backwards, all);
    assert_eq!(forward_pages.len(), 5);
    assert_eq!(forward_pages[0]["hasPreviousPage"], false);
    assert_eq!(forward_pages[4]["hasNextPage"], false);
    assert_eq!(backward_pages[0]["hasNextPage"], false);
}

#[tokio::test]
async fn paging_under_a_descending_multi_key_order_and_a_filter_loses_nothing() {
    let app = TestApp::spawn().await;
    let args = r#", orderBy: [{ field: KIND, direction: DESC }, { field: NAME }], filter: { institution: { in: ["KI", "KUH"] } }"#;
    let all = app
        .data(&format!(
            "{{ units(first: 100{args}) {{ totalCount nodes {{ name kind }} }} }}"
        ))
        .await;
    let names: Vec<String> = all["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_owned())
        .collect();
    let kinds: Vec<&str> = all["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["kind"].as_str().unwrap())
        .collect();

    let (forwards, _) = walk(&app, "units", "name", args, false).await;
    let (backwards, _) = walk(&app, "units", "name", args, true).await;

    assert_eq!(all["units"]["totalCount"], 12);
    assert_eq!(
        kinds.first(),
        Some(&"PRE_GMP_FACILITY"),
        "kinds descending: {kinds:?}"
    );
    assert_eq!(
        kinds.last(),
        Some(&"ACADEMIC_AREA"),
        "kinds descending: {kinds:?}"
    );
    assert_eq!(forwards, names);
    assert_eq!(backwards, names);
}

#[tokio::test]
async fn nested_connections_page_per_parent() {
    let app = TestApp::spawn().await;

    let first = app
        .data(r#"{ institution(code: "KUH") { cleanrooms(first: 5) { totalCount pageInfo { endCursor hasNextPage } nodes { code } } } }"#)
        .await;
    let cursor = first["institution"]["cleanrooms"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap();
    let second = app
        .data(&format!(r#"{{ institution(code: "KUH") {{ cleanrooms(first: 5, after: "{cursor}") {{ nodes {{ code }} }} }} }}"#))
        .await;

    assert_eq!(first["institution"]["cleanrooms"]["totalCount"], 13);
    assert_eq!(
        first["institution"]["cleanrooms"]["pageInfo"]["hasNextPage"],
        true
    );
    assert_eq!(
        second["institution"]["cleanrooms"]["nodes"],
        json!([{ "code": "VECURA-06" }, { "code": "VECURA-07" }, { "code": "VECURA-08" }, { "code": "VECURA-09" }, { "code": "VECURA-10" }])
    );
}

#[tokio::test]
async fn a_cursor_stays_valid_when_rows_are_added_before_it() {
    let app = TestApp::spawn().await;
    let page = app
        .data("{ cleanrooms(first: 2) { pageInfo { endCursor } } }")
        .await;
    let cursor = page["cleanrooms"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = format!(r#"{{ cleanrooms(first: 2, after: "{cursor}") {{ nodes {{ code }} }} }}"#);
    let before = app.data(&next).await;

    // Generated rooms (codes GEN-…) sort before the cursor's PRE-GMP-02: an offset would shift.
    let dataset = atmp_graph::seed::generate(atmp_graph::seed::GenerateOptions {
        units: 3,
        cleanrooms_per_unit: 2,
        people_per_unit: 1,
        ..Default::default()
    });
    app.app.store.upsert(&dataset).await.unwrap();

    assert_eq!(
        before["cleanrooms"]["nodes"],
        json!([{ "code": "PRE-GMP-03" }, { "code": "PRE-GMP-04" }])
    );
    assert_eq!(app.data(&next).await, before);
}

/// The end cursor of the connection at `path` in the answer to `query`.
async fn end_cursor(app: &TestApp, query: &str, path: &[&str]) -> String {
    let data = app.data(query).await;
    let connection = path
        .iter()
        .fold(&data, |value, key| match key.parse::<usize>() {
            Ok(index) => &value[index],
            Err(_) => &value[*key],
        });
    connection["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned()
}

const VECURA: &str = r#"filter: { name: { eq: "Vecura GMP unit" } }"#;
const PRE_GMP: &str = r#"filter: { name: { startsWith: "Pre-GMP unit" } }"#;

#[tokio::test]
async fn a_cursor_made_for_another_list_is_refused_on_both_execution_paths() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    let units = end_cursor(
        &app,
        "{ units(first: 1) { pageInfo { endCursor } } }",
        &["units"],
    )
    .await;
    let rooms = end_cursor(
        &app,
        "{ cleanrooms(first: 1) { pageInfo { endCursor } } }",
        &["cleanrooms"],
    )
    .await;
    let unit_rooms = end_cursor(
        &app,
        &format!("{{ units({VECURA}) {{ nodes {{ cleanrooms(first: 1) {{ pageInfo {{ endCursor }} }} }} }} }}"),
        &["units", "nodes", "0", "cleanrooms"],
    )
    .await;
    let search = end_cursor(
        &app,
        r#"{ search(text: "vecura", first: 1) { pageInfo { endCursor } } }"#,
        &["search"],
    )
    .await;
    // A cursor as made before cursors were sealed and named their list: the same payload,
    // without its tag (the last 16 bytes) and without the list.
    let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&units)
        .unwrap();
    let mut old: Value = serde_json::from_slice(&sealed[..sealed.len() - 16]).unwrap();
    old.as_object_mut().unwrap().remove("l");
    let old = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(old.to_string());
    let another = "the cursor was made for another list";
    let cases = [
        // The same ordering (`NAME`, ascending) of another kind.
        (
            format!(r#"{{ people(after: "{units}") {{ nodes {{ familyName }} }} }}"#),
            another,
        ),
        (
            format!(
                r#"{{ cleanrooms(after: "{units}", orderBy: [{{ field: NAME }}]) {{ nodes {{ code }} }} }}"#
            ),
            another,
        ),
        // A unit's rooms and the root list of rooms, both by code.
        (
            format!(r#"{{ cleanrooms(after: "{unit_rooms}") {{ nodes {{ code }} }} }}"#),
            another,
        ),
        (
            format!(
                r#"{{ units({VECURA}) {{ nodes {{ cleanrooms(after: "{rooms}") {{ nodes {{ code }} }} }} }} }}"#
            ),
            another,
        ),
        // Another relation listing rooms: an institution's.
        (
            format!(
                r#"{{ institution(code: "KI") {{ cleanrooms(after: "{unit_rooms}") {{ nodes {{ code }} }} }} }}"#
            ),
            another,
        ),
        (
            format!(r#"{{ units(after: "{search}") {{ nodes {{ name }} }} }}"#),
            another,
        ),
        (
            format!(r#"{{ search(text: "vecura", after: "{units}") {{ totalCount }} }}"#),
            another,
        ),
        (
            format!(r#"{{ units(after: "{old}") {{ nodes {{ name }} }} }}"#),
            "the cursor was made by an earlier version of the service: start the list again",
        ),
    ];
    for (query, message) in cases {
        let response = crate::planned::assert_same_answer(&app, &query, json!({})).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{query}");
        assert_eq!(response.error_messages(), [message], "{query}");
    }
}

#[tokio::test]
async fn a_cursor_pages_its_own_list_and_the_same_relation_of_another_parent_on_both_paths() {
    let app = TestApp::spawn().await;
    let units = end_cursor(
        &app,
        "{ units(first: 1) { pageInfo { endCursor } } }",
        &["units"],
    )
    .await;
    let pre_gmp_rooms = end_cursor(
        &app,
        &format!("{{ units({PRE_GMP}) {{ nodes {{ cleanrooms(first: 1) {{ pageInfo {{ endCursor }} }} }} }} }}"),
        &["units", "nodes", "0", "cleanrooms"],
    )
    .await;
    let cases = [
        (
            format!(r#"{{ units(first: 2, after: "{units}") {{ nodes {{ name }} }} }}"#),
            json!({ "units": { "nodes": [
                { "name": "Department of Laboratory Medicine" },
                { "name": "GMP facility at the Karolinska Comprehensive Cancer Center" },
            ] } }),
        ),
        // The next room of the pre-GMP unit after its first.
        (
            format!(
                r#"{{ units({PRE_GMP}) {{ nodes {{ cleanrooms(first: 1, after: "{pre_gmp_rooms}") {{ nodes {{ code }} }} }} }} }}"#
            ),
            json!({ "units": { "nodes": [{ "cleanrooms": { "nodes": [{ "code": "PRE-GMP-02" }] } }] } }),
        ),
        // In Vecura's rooms, the same cursor is a place in the same ordering: after PRE-GMP-01.
        (
            format!(
                r#"{{ units({VECURA}) {{ nodes {{ cleanrooms(first: 2, after: "{pre_gmp_rooms}") {{ nodes {{ code }} }} }} }} }}"#
            ),
            json!({ "units": { "nodes": [{ "cleanrooms": { "nodes": [
                { "code": "VECURA-01" },
                { "code": "VECURA-02" },
            ] } }] } }),
        ),
    ];
    for (query, expected) in cases {
        let response = crate::planned::assert_same_answer(&app, &query, json!({})).await;
        assert_eq!(response.body, json!({ "data": expected }), "{query}");
    }
}
