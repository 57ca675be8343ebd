//! Root `search`: ranked hits across kinds, folded for case and diacritics, paged.

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The first hits of a search: each its type, a name and how it matched.
async fn hits(app: &TestApp, args: &str) -> Vec<(String, String, String)> {
    let data = app
        .data(&format!(
            "{{ search({args}) {{ edges {{ matched node {{ __typename
                ... on Person {{ name }} ... on Unit {{ name }} ... on Cleanroom {{ code }}
                ... on Product {{ name }} ... on Trial {{ title }} }} }} }} }}"
        ))
        .await;
    data["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            let name = ["name", "code", "title"]
                .iter()
                .find_map(|key| node[key].as_str())
                .unwrap()
                .to_owned();
            (
                node["__typename"].as_str().unwrap().to_owned(),
                name,
                edge["matched"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn hit(kind: &str, name: &str, matched: &str) -> (String, String, String) {
    (kind.to_owned(), name.to_owned(), matched.to_owned())
}

#[tokio::test]
async fn what_a_person_types_finds_what_they_expect_first() {
    let app = TestApp::spawn().await;
    let vecura = hits(&app, r#"text: "vecura", first: 3"#).await;
    assert_eq!(
        vecura,
        [
            hit("Unit", "Vecura GMP unit", "EXACT"),
            hit("Cleanroom", "VECURA-01", "PREFIX"),
            hit("Cleanroom", "VECURA-02", "PREFIX"),
        ]
    );
    assert_eq!(
        hits(&app, r#"text: "ellis", first: 1"#).await,
        [hit("Person", "Ewa Ellis", "PREFIX")]
    );
    for text in ["sällberg", "sallberg", "SALLBERG"] {
        assert_eq!(
            hits(&app, &format!(r#"text: "{text}", first: 1"#)).await,
            [hit("Person", "Matti Sällberg", "PREFIX")],
            "{text}"
        );
    }
    assert_eq!(
        hits(&app, r#"text: "luqman""#).await,
        [hit("Person", "Rula Zain-Luqman", "WORD")]
    );
    let jacie = hits(&app, r#"text: "jacie", first: 1"#).await;
    assert_eq!(jacie.len(), 1);
    assert_eq!(
        (jacie[0].0.as_str(), jacie[0].2.as_str()),
        ("Unit", "DESCRIPTION")
    );
    assert!(jacie[0].1.contains("Cell Therapy"), "{jacie:?}");
    let car_t = hits(&app, r#"text: "car-t""#).await;
    assert_eq!(
        car_t[0],
        hit("Product", "CAR-T cells for standard treatment", "PREFIX")
    );
    // Names before descriptions, and the ranks never go back.
    let ranks = ["EXACT", "PREFIX", "WORD", "DESCRIPTION"];
    let order: Vec<usize> = car_t
        .iter()
        .map(|(_, _, matched)| ranks.iter().position(|r| r == matched).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{car_t:?}");
    assert!(
        car_t.iter().any(|(kind, _, _)| kind == "Trial"),
        "{car_t:?}"
    );
}

#[tokio::test]
async fn kinds_narrow_a_search_and_pages_continue_where_they_left_off() {
    let app = TestApp::spawn().await;
    let rooms = hits(&app, r#"text: "vecura", kinds: [CLEANROOM], first: 100"#).await;
    assert_eq!(rooms.len(), 13);
    assert!(rooms.iter().all(|(kind, _, _)| kind == "Cleanroom"));

    let all = hits(&app, r#"text: "cell", first: 100"#).await;
    assert!(all.len() > 6, "{all:?}");
    let mut walked = Vec::new();
    let mut after = Value::Null;
    loop {
        let response = app
            .graphql_with(
                r#"query($after: String) { search(text: "cell", first: 4, after: $after) {
                    totalCount pageInfo { hasNextPage endCursor }
                    nodes { ... on Person { name } ... on Unit { name } ... on Cleanroom { code } ... on Product { name } ... on Trial { title } } } }"#,
                json!({ "after": after }),
            )
            .await;
        let page = &response.data()["search"];
        assert_eq!(page["totalCount"], json!(all.len()));
        for node in page["nodes"].as_array().unwrap() {
            let name = ["name", "code", "title"]
                .iter()
                .find_map(|k| node[k].as_str())
                .unwrap();
            walked.push(name.to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let names: Vec<String> = all.into_iter().map(|(_, name, _)| name).collect();
    assert_eq!(walked, names);
}

#[tokio::test]
async fn bad_searches_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let page = app
        .data(r#"{ search(text: "cell", first: 1) { pageInfo { endCursor } } }"#)
        .await;
    let cursor = page["search"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = app
        .data("{ units(first: 1) { pageInfo { endCursor } } }")
        .await;
    let list_cursor = list["units"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let long = "a".repeat(101);
    let cases = [
        (
            r#"text: " -- ""#.to_owned(),
            "`text` must hold a letter or a digit",
        ),
        (
            format!(r#"text: "{long}""#),
            "`text` must be at most 100 characters",
        ),
        (
            r#"text: "cell", first: -1"#.to_owned(),
            "`first` must not be negative",
        ),
        (
            format!(r#"text: "gmp", after: "{cursor}""#),
            "the cursor was made for another search",
        ),
        (
            format!(r#"text: "cell", after: "{list_cursor}""#),
            "the cursor was made for another list",
        ),
        (
            r#"text: "cell", after: "nonsense""#.to_owned(),
            "`nonsense` is not a valid cursor",
        ),
    ];
    for (args, message) in cases {
        let response = app
            .graphql(&format!("{{ search({args}) {{ totalCount }} }}"))
            .await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{args}");
        assert_eq!(response.error_messages(), [message], "{args}");
    }
}

#[tokio::test]
async fn a_search_is_one_statement_and_one_per_kind_found() {
    let app = TestApp::spawn().await;
    let (statements, data) = app
        .statements_for(r#"{ search(text: "vecura", first: 20) { nodes { ... on Unit { name } ... on Cleanroom { code } ... on Product { name } ... on Trial { title } } } }"#)
        .await;
    let nodes = data["search"]["nodes"].as_array().unwrap();
    assert!(nodes.len() >= 14);
    // The hits, then the units and the cleanrooms (and the products and trials whose
    // descriptions name Vecura, if they made the page).
    assert!((3..=5).contains(&statements), "{statements}");
}

#[tokio::test]
async fn records_written_later_are_found() {
    let app = TestApp::spawn().await;
    assert!(hits(&app, r#"text: "gen-000""#).await.is_empty());
    let dataset = atmp_graph::seed::generate(atmp_graph::seed::GenerateOptions {
        units: 2,
        cleanrooms_per_unit: 1,
        people_per_unit: 1,
        ..Default::default()
    });
    app.app.store.upsert(&dataset).await.unwrap();
    let unit = &dataset.units[1].name;
    assert_eq!(
        hits(&app, &format!("text: {}, first: 1", json!(unit))).await,
        [hit("Unit", unit, "EXACT")]
    );
    assert_eq!(hits(&app, r#"text: "gen-000001""#).await.len(), 1);
    // Written again, a record keeps one set of terms.
    app.app.store.upsert(&dataset).await.unwrap();
    assert_eq!(hits(&app, r#"text: "gen-000000""#).await.len(), 1);
}

#[tokio::test]
async fn a_database_written_before_search_is_indexed_when_the_service_starts() {
    let app = TestApp::spawn().await;
    app.execute_everywhere("DELETE FROM search_term").await;
    assert!(hits(&app, r#"text: "vecura""#).await.is_empty());
    atmp_graph::app::prepare(&app.app.store).await.unwrap();
    assert_eq!(
        hits(&app, r#"text: "vecura", first: 1"#).await,
        [hit("Unit", "Vecura GMP unit", "EXACT")]
    );
}
