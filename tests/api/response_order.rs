//! Members of every answer come in the order of the selection set, fragments merged where
//! they apply, whichever resolver finishes first.

use async_graphql::Value as Ordered;

use crate::helpers::TestApp;

/// The member names of the object at `path` (keys, or list indexes as numbers), in order.
fn keys_at(text: &str, path: &[&str]) -> Vec<String> {
    let mut value: Ordered = serde_json::from_str(text).unwrap();
    for step in path {
        value = match value {
            Ordered::Object(mut members) => members.swap_remove(*step).unwrap(),
            Ordered::List(mut items) => items.swap_remove(step.parse().unwrap()),
            other => panic!("no {step} in {other}"),
        };
    }
    match value {
        Ordered::Object(members) => members.keys().map(|k| k.to_string()).collect(),
        other => panic!("not an object: {other}"),
    }
}

#[tokio::test]
async fn members_follow_the_selection_set_in_every_answer() {
    let app = TestApp::spawn().await;
    let query = "{ units(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { name cleanrooms(first: 1) { totalCount nodes { code } } institution { code } id } } }";

    for attempt in 0..20 {
        let response = app.graphql(query).await;

        let text = &response.text;
        assert_eq!(keys_at(text, &["data"]), ["units"], "{attempt}");
        assert_eq!(
            keys_at(text, &["data", "units"]),
            ["totalCount", "pageInfo", "nodes"],
            "attempt {attempt}: {text}"
        );
        assert_eq!(
            keys_at(text, &["data", "units", "pageInfo"]),
            ["hasNextPage", "endCursor"]
        );
        for row in ["0", "1"] {
            assert_eq!(
                keys_at(text, &["data", "units", "nodes", row]),
                ["name", "cleanrooms", "institution", "id"],
                "attempt {attempt}: {text}"
            );
            assert_eq!(
                keys_at(text, &["data", "units", "nodes", row, "cleanrooms"]),
                ["totalCount", "nodes"]
            );
        }
    }
}

#[tokio::test]
async fn fragments_merge_in_place_and_skipped_fields_do_not_count() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "{ ...Lists institutions { code } } fragment Lists on Query { units(first: 1) { nodes { id } } milestones(first: 1) { totalCount } }",
            vec!["data"],
            vec!["units", "milestones", "institutions"],
        ),
        (
            "{ institutions { name ... on Institution { code name } rorId } }",
            vec!["data", "institutions", "0"],
            vec!["name", "code", "rorId"],
        ),
        (
            "query($skip: Boolean = true) { institutions { name @skip(if: $skip) code name } }",
            vec!["data", "institutions", "1"],
            vec!["code", "name"],
        ),
        (
            "{ institutions { b: code a: name units(first: 1) { totalCount } c: code } }",
            vec!["data", "institutions", "0"],
            vec!["b", "a", "units", "c"],
        ),
    ];
    for (query, path, keys) in cases {
        let response = app.graphql(query).await;

        assert_eq!(
            keys_at(&response.text, &path),
            keys,
            "{query}: {response:?}"
        );
    }
}

#[tokio::test]
async fn a_node_takes_the_fragments_of_its_own_type_and_no_added_typename() {
    let app = TestApp::spawn().await;
    let ids = app
        .data("{ units(first: 1) { nodes { id } } cleanrooms(first: 1) { nodes { id } } }")
        .await;
    let unit = ids["units"]["nodes"][0]["id"].as_str().unwrap();
    let cleanroom = ids["cleanrooms"]["nodes"][0]["id"].as_str().unwrap();
    let query = format!(
        "{{ unit: node(id: \"{unit}\") {{ ...Room id ... on Unit {{ name id }} }} room: node(id: \"{cleanroom}\") {{ ...Room id ... on Unit {{ name id }} }} both: nodes(ids: [\"{cleanroom}\", \"{unit}\"]) {{ ... on Unit {{ name }} ...Room id }} }} fragment Room on Cleanroom {{ code }}"
    );

    let response = app.graphql(&query).await;

    let text = &response.text;
    assert_eq!(keys_at(text, &["data"]), ["unit", "room", "both"]);
    assert_eq!(keys_at(text, &["data", "unit"]), ["id", "name"], "{text}");
    assert_eq!(keys_at(text, &["data", "room"]), ["code", "id"], "{text}");
    assert_eq!(
        keys_at(text, &["data", "both", "0"]),
        ["code", "id"],
        "{text}"
    );
    assert_eq!(
        keys_at(text, &["data", "both", "1"]),
        ["name", "id"],
        "{text}"
    );
}
