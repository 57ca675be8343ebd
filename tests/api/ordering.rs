//! Ordering by any sortable field, several keys, ties and missing values, on both engines; page
//! walks both ways under filters and orderings, with rows inserted between pages.

use std::cmp::Ordering;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::TestApp;

const ROOM: &str = "id code name grade status regime areaM2 qualifiedOn";

/// The UUID inside a global ID: the ID's tie-breaking key.
fn uuid_of(row: &Value) -> String {
    let bytes = URL_SAFE_NO_PAD.decode(row["id"].as_str().unwrap()).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.split_once(':').unwrap().1.to_owned()
}

/// Compares two values of one key as the API promises: numbers by value, text and enums by
/// their bytes, dates by day, and a missing value after every value.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(a), Value::Number(b)) => a.as_f64().unwrap().total_cmp(&b.as_f64().unwrap()),
        (Value::String(a), Value::String(b)) => a.as_bytes().cmp(b.as_bytes()),
        (a, b) => panic!("{a} and {b} are not of one kind"),
    }
}

/// `rows` ordered by hand by `keys` (field, descending), then by ID in the last key's direction.
fn ordered_by_hand(rows: &[Value], keys: &[(&str, bool)]) -> Vec<String> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| {
        keys.iter()
            .map(|(field, descending)| {
                let order = compare(&a[*field], &b[*field]);
                if *descending {
                    order.reverse()
                } else {
                    order
                }
            })
            .find(|order| order.is_ne())
            .unwrap_or_else(|| {
                // The ID breaks ties in the direction of the last key.
                let order = uuid_of(a).cmp(&uuid_of(b));
                match keys.last() {
                    Some((_, true)) => order.reverse(),
                    _ => order,
                }
            })
    });
    rows.iter()
        .map(|row| row["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The `orderBy` argument of `keys`.
fn order_by(keys: &[(&str, bool)]) -> String {
    let terms: Vec<String> = keys
        .iter()
        .map(|(field, descending)| {
            let name: String = field
                .chars()
                .flat_map(|c| {
                    if c.is_uppercase() {
                        vec!['_', c]
                    } else {
                        vec![c.to_ascii_uppercase()]
                    }
                })
                .collect();
            let direction = if *descending { "DESC" } else { "ASC" };
            format!("{{ field: {name}, direction: {direction} }}")
        })
        .collect();
    format!("[{}]", terms.join(", "))
}

/// The rooms' codes walked page by page (`size` a page), forwards or backwards, in list order.
async fn walk(app: &TestApp, args: &str, size: usize, backward: bool) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..200 {
        let (window, position) = if backward {
            ("last", "before")
        } else {
            ("first", "after")
        };
        let data = app
            .graphql_with(
                &format!(
                    "query($cursor: String) {{ cleanrooms({window}: {size}, {position}: $cursor{args}) {{ nodes {{ code }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
                ),
                json!({ "cursor": cursor }),
            )
            .await;
        let page = &data.data()["cleanrooms"];
        let page_codes: Vec<String> = page["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["code"].as_str().unwrap().to_owned())
            .collect();
        let info = &page["pageInfo"];
        if backward {
            codes.splice(0..0, page_codes);
            cursor = info["startCursor"].clone();
            if info["hasPreviousPage"] != json!(true) {
                return codes;
            }
        } else {
            codes.extend(page_codes);
            cursor = info["endCursor"].clone();
            if info["hasNextPage"] != json!(true) {
                return codes;
            }
        }
    }
    panic!("the walk does not end");
}

async fn every_room(app: &TestApp, filter: &str) -> Vec<Value> {
    let data = app
        .data(&format!(
            "{{ cleanrooms(first: 100{filter}) {{ nodes {{ {ROOM} }} }} }}"
        ))
        .await;
    data["cleanrooms"]["nodes"].as_array().unwrap().clone()
}

#[tokio::test]
async fn orderings_with_ties_and_missing_values_agree_with_the_rows_both_ways() {
    let app = TestApp::spawn_with_generated(5).await;
    let orderings: [&[(&str, bool)]; 7] = [
        &[("grade", false)],
        &[("grade", true), ("areaM2", false)],
        &[("status", false), ("qualifiedOn", true)],
        &[("areaM2", true)],
        &[("regime", true), ("name", false)],
        &[("qualifiedOn", false), ("grade", true), ("code", true)],
        &[("name", true)],
    ];
    for filter in ["", r#", filter: { regime: { eq: GMP }, grade: { ne: C } }"#] {
        let rooms = every_room(&app, filter).await;
        assert!(rooms.len() > 20, "{}", rooms.len());
        for keys in orderings {
            let expected = ordered_by_hand(&rooms, keys);
            let args = format!(", orderBy: {}{filter}", order_by(keys));
            assert_eq!(
                walk(&app, &args, 4, false).await,
                expected,
                "forwards {args}"
            );
            assert_eq!(
                walk(&app, &args, 4, true).await,
                expected,
                "backwards {args}"
            );
        }
    }
}

#[tokio::test]
async fn rows_inserted_between_pages_shift_nothing_under_a_filter_and_an_ordering() {
    let app = TestApp::spawn_with_generated(4).await;
    let filter = r#"filter: { grade: { in: [A, B] }, areaM2: { gte: 21 } }"#;
    let keys: &[(&str, bool)] = &[("areaM2", true), ("qualifiedOn", false)];
    let args = format!("{filter}, orderBy: {}", order_by(keys));
    let first = app
        .data(&format!(
            "{{ cleanrooms(first: 5, {args}) {{ nodes {{ code }} pageInfo {{ endCursor }} }} }}"
        ))
        .await;
    let before: Vec<Value> = every_room(&app, &format!(", {args}")).await;

    // More generated units: their rooms fall on both sides of the cursor.
    let dataset = atmp_graph::seed::generate(atmp_graph::seed::GenerateOptions {
        units: 9,
        cleanrooms_per_unit: 5,
        people_per_unit: 1,
        ..Default::default()
    });
    app.app.store.upsert(&dataset).await.unwrap();

    let cursor = first["cleanrooms"]["pageInfo"]["endCursor"].clone();
    let mut walked: Vec<String> = first["cleanrooms"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["code"].as_str().unwrap().to_owned())
        .collect();
    let page_one = walked.len();
    let rest = app
        .graphql_with(
            &format!(
                "query($after: String) {{ cleanrooms(first: 100, after: $after, {args}) {{ nodes {{ code }} }} }}"
            ),
            json!({ "after": cursor }),
        )
        .await;
    walked.extend(
        rest.data()["cleanrooms"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["code"].as_str().unwrap().to_owned()),
    );
    let after = ordered_by_hand(&every_room(&app, &format!(", {args}")).await, keys);
    assert!(after.len() > before.len(), "the insert added rows");
    // Every row there was is walked once, and the walk follows the order of the rows now.
    let mut seen = walked.clone();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), walked.len(), "no row repeated: {walked:?}");
    for row in &before {
        assert!(
            walked.contains(&row["code"].as_str().unwrap().to_owned()),
            "{row}"
        );
    }
    let positions: Vec<usize> = walked
        .iter()
        .map(|code| after.iter().position(|c| c == code).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{walked:?}");
    // The second page is exactly the rows after page one's last, as they stand now.
    let last = after
        .iter()
        .position(|c| *c == walked[page_one - 1])
        .unwrap();
    assert_eq!(walked[page_one..], after[last + 1..]);
}

#[tokio::test]
async fn a_cursor_is_refused_under_another_ordering_or_filter() {
    let app = TestApp::spawn().await;
    let data = app
        .data(r#"{ cleanrooms(first: 2, filter: { grade: { eq: B } }, orderBy: [{ field: GRADE }]) { pageInfo { endCursor } } }"#)
        .await;
    let cursor = data["cleanrooms"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let same = format!(
        r#"{{ cleanrooms(first: 2, after: "{cursor}", filter: {{ grade: {{ eq: B }} }}, orderBy: [{{ field: GRADE }}]) {{ nodes {{ code }} }} }}"#
    );
    assert_eq!(
        app.data(&same).await["cleanrooms"]["nodes"],
        json!([{ "code": "VECURA-03" }, { "code": "VECURA-04" }])
    );
    let cases = [
        (
            r#"filter: { grade: { eq: D } }, orderBy: [{ field: GRADE }]"#,
            "the cursor was made for another filter of this list",
        ),
        (
            r#"orderBy: [{ field: GRADE }]"#,
            "the cursor was made for another filter of this list",
        ),
        (
            r#"filter: { grade: { eq: B } }, orderBy: [{ field: GRADE, direction: DESC }]"#,
            "the cursor was made for another ordering of this list",
        ),
        (
            r#"filter: { grade: { eq: B } }"#,
            "the cursor was made for another ordering of this list",
        ),
    ];
    for (args, message) in cases {
        let response = app
            .graphql(&format!(
                r#"{{ cleanrooms(first: 2, after: "{cursor}", {args}) {{ nodes {{ code }} }} }}"#
            ))
            .await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{args}");
        assert_eq!(response.error_messages(), [message], "{args}");
    }
}

#[tokio::test]
async fn nested_pages_order_as_the_root_list_does() {
    let app = TestApp::spawn_with_generated(4).await;
    let keys: &[(&str, bool)] = &[("status", true), ("qualifiedOn", false)];
    let data = app
        .data(&format!(
            "{{ units(first: 50) {{ nodes {{ id cleanrooms(first: 3, orderBy: {}) {{ nodes {{ code }} }} }} }} }}",
            order_by(keys)
        ))
        .await;
    let mut compared = 0;
    for unit in data["units"]["nodes"].as_array().unwrap() {
        let filter = format!(
            r#", filter: {{ unit: {{ id: {{ eq: "{}" }} }} }}"#,
            unit["id"].as_str().unwrap()
        );
        let mut expected = ordered_by_hand(&every_room(&app, &filter).await, keys);
        expected.truncate(3);
        let nested: Vec<String> = unit["cleanrooms"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["code"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(nested, expected, "{unit}");
        compared += usize::from(expected.len() > 1);
    }
    assert!(compared >= 4, "{compared}");
}

#[tokio::test]
async fn rooms_order_by_their_facilitys_name_at_the_root_and_nested_both_ways() {
    let app = TestApp::spawn_with_generated(5).await;
    let rooms = every_room(&app, "").await;
    let units = app
        .data("{ cleanrooms(first: 100) { nodes { code unit { name } institution { code } } } }")
        .await;
    let unit_of = |code: &str| -> (String, String) {
        let room = units["cleanrooms"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code)
            .unwrap();
        (
            atmp_graph::domain::fold(room["unit"]["name"].as_str().unwrap()),
            room["institution"]["code"].as_str().unwrap().to_owned(),
        )
    };
    // By the facility's folded name, then by code descending (and the ID descending).
    let mut expected: Vec<(String, String, String)> = rooms
        .iter()
        .map(|r| {
            let code = r["code"].as_str().unwrap().to_owned();
            let (unit, _) = unit_of(&code);
            (unit, code, uuid_of(r))
        })
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
    let expected: Vec<String> = expected.into_iter().map(|(_, code, _)| code).collect();
    let args = ", orderBy: [{ field: UNIT_NAME }, { field: CODE, direction: DESC }]";
    // The facility's name is read in the list's own statement. Split, each source is first
    // asked which rooms name a facility it does not hold (none here).
    let (statements, _) = app
        .statements_for(&format!(
            "{{ cleanrooms(first: 4{args}) {{ nodes {{ code }} pageInfo {{ endCursor }} }} }}"
        ))
        .await;
    assert_eq!(statements, app.split_or(1, 2));
    assert_eq!(walk(&app, args, 4, false).await, expected);
    assert_eq!(walk(&app, args, 4, true).await, expected);

    let data = app
        .data("{ institutions { code cleanrooms(first: 100, orderBy: [{ field: UNIT_NAME }, { field: CODE, direction: DESC }]) { nodes { code } } } }")
        .await;
    for institution in data["institutions"].as_array().unwrap() {
        let code = institution["code"].as_str().unwrap();
        let nested: Vec<String> = institution["cleanrooms"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_owned())
            .collect();
        let mine: Vec<String> = expected
            .iter()
            .filter(|room| unit_of(room).1 == code)
            .cloned()
            .collect();
        assert_eq!(nested, mine, "{code}");
    }
    // A nested page continues after its cursor too.
    let first = app
        .data("{ institutions { cleanrooms(first: 3, orderBy: [{ field: UNIT_NAME }]) { pageInfo { endCursor } } } }")
        .await;
    let cursor = first["institutions"][0]["cleanrooms"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = app
        .data(&format!(
            r#"{{ institutions {{ code cleanrooms(first: 3, after: "{cursor}", orderBy: [{{ field: UNIT_NAME }}]) {{ nodes {{ code }} }} }} }}"#
        ))
        .await;
    let all = app
        .data("{ institutions { cleanrooms(first: 6, orderBy: [{ field: UNIT_NAME }]) { nodes { code } } } }")
        .await;
    assert_eq!(
        next["institutions"][0]["cleanrooms"]["nodes"],
        json!(
            all["institutions"][0]["cleanrooms"]["nodes"]
                .as_array()
                .unwrap()[3..6]
        )
    );
}
