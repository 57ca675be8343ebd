//! Aggregates and group-by, checked against the same figures computed from the rows.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::{every_row, TestApp};

/// Figures of one group, computed by hand.
#[derive(Debug, Default)]
struct Figures {
    count: u64,
    areas: Vec<f64>,
    units: std::collections::BTreeSet<String>,
}

fn close(a: &Value, b: Option<f64>) -> bool {
    match (a.as_f64(), b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => a.is_null(),
        _ => false,
    }
}

#[tokio::test]
async fn cleanrooms_by_institution_and_grade_match_their_rows() {
    let app = TestApp::spawn_with_generated(6).await;
    let rooms = every_row(
        &app,
        "cleanrooms",
        "grade areaM2 institution { code } unit { id }",
    )
    .await;
    let mut by_hand: BTreeMap<(String, String), Figures> = BTreeMap::new();
    for room in &rooms {
        let key = (
            room["institution"]["code"].as_str().unwrap().to_owned(),
            room["grade"].as_str().unwrap_or("-").to_owned(),
        );
        let figures = by_hand.entry(key).or_default();
        figures.count += 1;
        if let Some(area) = room["areaM2"].as_f64() {
            figures.areas.push(area);
        }
        figures
            .units
            .insert(room["unit"]["id"].as_str().unwrap().to_owned());
    }
    let data = app
        .data(
            "{ cleanroomsAggregate(groupBy: [INSTITUTION, GRADE]) { keys { institution { code } grade regime }
                count units: countDistinct(field: UNIT) min(field: AREA_M2) max(field: AREA_M2)
                sum(field: AREA_M2) avg(field: AREA_M2) } }",
        )
        .await;
    let groups = data["cleanroomsAggregate"].as_array().unwrap();
    assert_eq!(groups.len(), by_hand.len(), "{groups:?}");
    let mut seen = Vec::new();
    for group in groups {
        let key = (
            group["keys"]["institution"]["code"]
                .as_str()
                .unwrap()
                .to_owned(),
            group["keys"]["grade"].as_str().unwrap_or("-").to_owned(),
        );
        // A key not grouped by is null.
        assert_eq!(group["keys"]["regime"], Value::Null);
        let figures = &by_hand[&key];
        assert_eq!(group["count"], json!(figures.count), "{key:?}");
        assert_eq!(group["units"], json!(figures.units.len()), "{key:?}");
        let sum: f64 = figures.areas.iter().sum();
        let (min, max, sum, avg) = if figures.areas.is_empty() {
            (None, None, None, None)
        } else {
            (
                figures.areas.iter().copied().reduce(f64::min),
                figures.areas.iter().copied().reduce(f64::max),
                Some(sum),
                Some(sum / figures.areas.len() as f64),
            )
        };
        assert!(close(&group["min"], min), "{key:?} {group}");
        assert!(close(&group["max"], max), "{key:?} {group}");
        assert!(close(&group["sum"], sum), "{key:?} {group}");
        assert!(close(&group["avg"], avg), "{key:?} {group}");
        seen.push(key);
    }
    // Ascending by the keys (a reference by its ID): each institution's groups together, its
    // grades in order and rooms without a grade last.
    let mut institutions: Vec<&String> = seen.iter().map(|(code, _)| code).collect();
    institutions.dedup();
    assert_eq!(institutions.len(), 2, "{seen:?}");
    for code in institutions {
        let grades: Vec<(bool, &String)> = seen
            .iter()
            .filter(|(c, _)| c == code)
            .map(|(_, grade)| (grade == "-", grade))
            .collect();
        let mut sorted = grades.clone();
        sorted.sort();
        assert_eq!(grades, sorted, "{code}");
    }
}

#[tokio::test]
async fn trials_by_phase_and_appointments_by_institution_and_role_match_their_rows() {
    let app = TestApp::spawn_with_generated(3).await;
    let trials = every_row(&app, "trials", "phase status startYear").await;
    let mut by_hand: BTreeMap<(String, String), (u64, Vec<i64>)> = BTreeMap::new();
    for trial in &trials {
        let key = (
            trial["phase"].as_str().unwrap_or("-").to_owned(),
            trial["status"].as_str().unwrap_or("-").to_owned(),
        );
        let entry = by_hand.entry(key).or_default();
        entry.0 += 1;
        if let Some(year) = trial["startYear"].as_i64() {
            entry.1.push(year);
        }
    }
    let data = app
        .data("{ trialsAggregate(groupBy: [PHASE, STATUS]) { keys { phase status } count min(field: START_YEAR) } }")
        .await;
    let mut answered = BTreeMap::new();
    for group in data["trialsAggregate"].as_array().unwrap() {
        answered.insert(
            (
                group["keys"]["phase"].as_str().unwrap_or("-").to_owned(),
                group["keys"]["status"].as_str().unwrap_or("-").to_owned(),
            ),
            (group["count"].as_u64().unwrap(), group["min"].as_f64()),
        );
    }
    let expected: BTreeMap<_, _> = by_hand
        .into_iter()
        .map(|(key, (count, years))| (key, (count, years.into_iter().min().map(|y| y as f64))))
        .collect();
    assert_eq!(answered, expected);

    let people = every_row(
        &app,
        "people",
        "appointments(first: 100) { nodes { role institution { code } } }",
    )
    .await;
    let appointments = people
        .iter()
        .flat_map(|person| person["appointments"]["nodes"].as_array().unwrap().clone());
    let mut by_hand: BTreeMap<(String, String), u64> = BTreeMap::new();
    for appointment in appointments {
        *by_hand
            .entry((
                appointment["institution"]["code"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                appointment["role"].as_str().unwrap().to_owned(),
            ))
            .or_default() += 1;
    }
    let data = app
        .data("{ appointmentsAggregate(groupBy: [INSTITUTION, ROLE]) { keys { institution { code } role } count } }")
        .await;
    let answered: BTreeMap<(String, String), u64> = data["appointmentsAggregate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                (
                    g["keys"]["institution"]["code"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    g["keys"]["role"].as_str().unwrap().to_owned(),
                ),
                g["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(answered, by_hand);
}

#[tokio::test]
async fn an_aggregate_takes_the_lists_filter_and_is_one_statement() {
    let app = TestApp::spawn_with_generated(4).await;
    let filter = r#"{ unit: { kind: { eq: GMP_FACILITY } }, grade: { in: [A, B] } }"#;
    let listed = app
        .data(&format!(
            "{{ cleanrooms(first: 100, filter: {filter}) {{ totalCount nodes {{ areaM2 }} }} }}"
        ))
        .await;
    let largest = listed["cleanrooms"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|room| room["areaM2"].as_f64())
        .reduce(f64::max);
    let (statements, data) = app
        .statements_for(&format!(
            "{{ cleanroomsAggregate(filter: {filter}) {{ count ...on CleanroomAggregate {{ max(field: AREA_M2) }} }} }}"
        ))
        .await;
    // Split, the filter's relation is read first, one statement per source.
    assert_eq!(statements, app.split_or(1, 2));
    let whole = &data["cleanroomsAggregate"][0];
    assert_eq!(whole["count"], listed["cleanrooms"]["totalCount"]);
    assert!(whole["count"].as_u64().unwrap() > 3);
    assert_eq!(
        whole["max"].as_f64(),
        largest,
        "a measure asked in a fragment"
    );
    assert!(largest.is_some());
    // References among the keys are loaded in one more statement, whatever the groups.
    let (statements, _) = app
        .statements_for("{ cleanroomsAggregate(groupBy: [UNIT]) { keys { unit { name } } count } }")
        .await;
    assert_eq!(statements, 2);
    // Nothing matches: one group, of no rows.
    let data = app
        .data(r#"{ cleanroomsAggregate(filter: { code: { eq: "NONE" } }) { count avg(field: AREA_M2) } }"#)
        .await;
    assert_eq!(
        data["cleanroomsAggregate"],
        json!([{ "count": 0, "avg": null }])
    );
}

#[tokio::test]
async fn aggregates_over_their_limits_are_refused_naming_the_limit() {
    let app = TestApp::spawn().await;
    let response = app
        .graphql("{ trialsAggregate(groupBy: [INSTITUTION, SPONSOR, PHASE, STATUS, PRODUCT]) { count } }")
        .await;
    assert_eq!(response.error_codes(), ["QUERY_TOO_COMPLEX"]);
    assert_eq!(
        response.error_messages(),
        ["`groupBy` names 5 keys; at most 4 are allowed"]
    );
    let response = app
        .graphql(r#"{ unitsAggregate(filter: { name: { in: ["x"] }, id: { eq: "nonsense" } }) { count } }"#)
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn more_groups_than_the_limit_are_refused_not_cut_short() {
    let app = TestApp::spawn().await;
    // Some milestones are the institution's, of no unit: more units than groups.
    let dataset = atmp_graph::seed::generate(atmp_graph::seed::GenerateOptions {
        units: 1200,
        cleanrooms_per_unit: 0,
        people_per_unit: 0,
        ..Default::default()
    });
    app.app.store.upsert(&dataset).await.unwrap();
    let response = app
        .graphql("{ milestonesAggregate(groupBy: [UNIT]) { count } }")
        .await;
    assert_eq!(response.error_codes(), ["QUERY_TOO_COMPLEX"]);
    assert_eq!(
        response.error_messages(),
        ["the grouping makes more than 1000 groups: filter the rows or group by fewer keys"]
    );
    let data = app
        .data("{ milestonesAggregate(groupBy: [INSTITUTION]) { count } }")
        .await;
    let total: u64 = data["milestonesAggregate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1200 + 5);
}
