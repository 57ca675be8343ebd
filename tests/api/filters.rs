//! Filters: every operator, folding, `and`/`or`/`not`, relations to-one and to-many, on root
//! and nested connections. Each filter's answer is checked against the same question answered
//! by hand from every row, read unfiltered.

use serde_json::{json, Value};

use crate::helpers::{every_row, TestApp};

/// The values of `key` of the rows a filtered list answers, sorted.
async fn filtered(app: &TestApp, list: &str, key: &str, filter: &str) -> Vec<String> {
    let response = app
        .graphql(&format!(
            "{{ {list}(first: 100, filter: {filter}) {{ totalCount nodes {{ {key} }} }} }}"
        ))
        .await;
    let data = response.data();
    let mut values: Vec<String> = data[list]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[key].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        data[list]["totalCount"],
        json!(values.len()),
        "{list} {filter}: the count and the rows"
    );
    values.sort();
    values
}

/// The values of `key` of the rows meeting `test`, sorted.
fn by_hand(rows: &[Value], key: &str, test: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut values: Vec<String> = rows
        .iter()
        .filter(|row| test(row))
        .map(|row| row[key].as_str().unwrap().to_owned())
        .collect();
    values.sort();
    values
}

/// A question answered by hand about one row.
type Test<'a> = Box<dyn Fn(&Value) -> bool + 'a>;

fn area(row: &Value) -> Option<f64> {
    row["areaM2"].as_f64()
}

#[tokio::test]
async fn every_operator_answers_as_the_rows_say() {
    let app = TestApp::spawn_with_generated(6).await;
    let rooms = every_row(
        &app,
        "cleanrooms",
        "code name grade status areaM2 qualifiedOn regime unit { kind name }",
    )
    .await;
    assert!(rooms.len() > 40, "{}", rooms.len());
    // Values some rooms have, for the tests of equality: two areas and a qualification day.
    let areas: Vec<f64> = rooms.iter().filter_map(area).collect();
    let (one_area, other_area) = (areas[0], areas[areas.len() / 2]);
    let day = rooms
        .iter()
        .find_map(|r| r["qualifiedOn"].as_str())
        .unwrap()
        .to_owned();
    let area_eq = format!("{{ areaM2: {{ eq: {one_area} }} }}");
    let area_ne = format!("{{ areaM2: {{ ne: {one_area} }} }}");
    let area_in = format!("{{ areaM2: {{ in: [{one_area}, {other_area:.1}] }} }}");
    let day_eq = format!(r#"{{ qualifiedOn: {{ eq: "{day}" }} }}"#);
    let cases: Vec<(&str, Test)> = vec![
        (
            r#"{ code: { eq: "VECURA-03" } }"#,
            Box::new(|r| r["code"] == "VECURA-03"),
        ),
        (
            r#"{ code: { ne: "VECURA-03" } }"#,
            Box::new(|r| r["code"] != "VECURA-03"),
        ),
        (
            r#"{ code: { in: ["VECURA-01", "PRE-GMP-02", "NONE"] } }"#,
            Box::new(|r| ["VECURA-01", "PRE-GMP-02"].contains(&r["code"].as_str().unwrap())),
        ),
        (
            r#"{ code: { notIn: ["VECURA-01", "PRE-GMP-02"] } }"#,
            Box::new(|r| !["VECURA-01", "PRE-GMP-02"].contains(&r["code"].as_str().unwrap())),
        ),
        (
            r#"{ code: { contains: "gmp-0" } }"#,
            Box::new(|r| r["code"].as_str().unwrap().to_lowercase().contains("gmp-0")),
        ),
        (
            r#"{ code: { startsWith: "vecura-1" } }"#,
            Box::new(|r| r["code"].as_str().unwrap().starts_with("VECURA-1")),
        ),
        (
            r#"{ name: { isNull: false } }"#,
            Box::new(|r| !r["name"].is_null()),
        ),
        (r#"{ grade: { eq: B } }"#, Box::new(|r| r["grade"] == "B")),
        // `ne` and `notIn` are false on a missing grade, like every test but `isNull: true`.
        (
            r#"{ grade: { ne: B } }"#,
            Box::new(|r| !r["grade"].is_null() && r["grade"] != "B"),
        ),
        (
            r#"{ grade: { in: [A, D] } }"#,
            Box::new(|r| r["grade"] == "A" || r["grade"] == "D"),
        ),
        (
            r#"{ grade: { notIn: [A, D] } }"#,
            Box::new(|r| !r["grade"].is_null() && r["grade"] != "A" && r["grade"] != "D"),
        ),
        (
            r#"{ grade: { isNull: true } }"#,
            Box::new(|r| r["grade"].is_null()),
        ),
        (
            r#"{ status: { eq: QUALIFIED } }"#,
            Box::new(|r| r["status"] == "QUALIFIED"),
        ),
        (
            r#"{ status: { isNull: true } }"#,
            Box::new(|r| r["status"].is_null()),
        ),
        (
            r#"{ regime: { eq: PRE_GMP } }"#,
            Box::new(|r| r["regime"] == "PRE_GMP"),
        ),
        (&area_eq, Box::new(|r| area(r) == Some(one_area))),
        (
            &area_ne,
            Box::new(|r| area(r).is_some_and(|a| a != one_area)),
        ),
        (
            &area_in,
            Box::new(|r| area(r).is_some_and(|a| a == one_area || a == other_area)),
        ),
        (
            r#"{ areaM2: { gt: 22 } }"#,
            Box::new(|r| area(r).is_some_and(|a| a > 22.0)),
        ),
        (
            r#"{ areaM2: { gte: 22 } }"#,
            Box::new(|r| area(r).is_some_and(|a| a >= 22.0)),
        ),
        (
            r#"{ areaM2: { lt: 22 } }"#,
            Box::new(|r| area(r).is_some_and(|a| a < 22.0)),
        ),
        (
            r#"{ areaM2: { lte: 22 } }"#,
            Box::new(|r| area(r).is_some_and(|a| a <= 22.0)),
        ),
        (
            r#"{ areaM2: { gt: 20, lt: 24 } }"#,
            Box::new(|r| area(r).is_some_and(|a| a > 20.0 && a < 24.0)),
        ),
        (
            r#"{ areaM2: { isNull: true } }"#,
            Box::new(|r| area(r).is_none()),
        ),
        (
            r#"{ qualifiedOn: { gte: "2021-03-01" } }"#,
            Box::new(|r| r["qualifiedOn"].as_str().is_some_and(|d| d >= "2021-03-01")),
        ),
        (
            r#"{ qualifiedOn: { lt: "2021-03-01" } }"#,
            Box::new(|r| r["qualifiedOn"].as_str().is_some_and(|d| d < "2021-03-01")),
        ),
        (&day_eq, Box::new(|r| r["qualifiedOn"] == day.as_str())),
        (
            r#"{ qualifiedOn: { isNull: true } }"#,
            Box::new(|r| r["qualifiedOn"].is_null()),
        ),
        (
            r#"{ and: [{ grade: { eq: A } }, { areaM2: { gte: 22 } }] }"#,
            Box::new(|r| r["grade"] == "A" && area(r).is_some_and(|a| a >= 22.0)),
        ),
        (
            r#"{ or: [{ grade: { eq: A } }, { regime: { eq: PRE_GMP } }] }"#,
            Box::new(|r| r["grade"] == "A" || r["regime"] == "PRE_GMP"),
        ),
        // `not` is the complement, rooms without a grade included.
        (
            r#"{ not: { grade: { eq: B } } }"#,
            Box::new(|r| r["grade"] != "B"),
        ),
        (
            r#"{ not: { or: [{ grade: { eq: B } }, { status: { isNull: true } }] } }"#,
            Box::new(|r| r["grade"] != "B" && !r["status"].is_null()),
        ),
        (r#"{ or: [] }"#, Box::new(|_| false)),
        (r#"{ not: {} }"#, Box::new(|_| false)),
        (r#"{ and: [] }"#, Box::new(|_| true)),
        (r#"{ grade: { in: [] } }"#, Box::new(|_| false)),
        (
            r#"{ unit: { kind: { eq: PRE_GMP_FACILITY } } }"#,
            Box::new(|r| r["unit"]["kind"] == "PRE_GMP_FACILITY"),
        ),
        (
            r#"{ unit: { name: { contains: "vecura" } }, grade: { eq: D } }"#,
            Box::new(|r| {
                r["unit"]["name"]
                    .as_str()
                    .unwrap()
                    .to_lowercase()
                    .contains("vecura")
                    && r["grade"] == "D"
            }),
        ),
    ];
    let mut answered = 0;
    for (filter, test) in &cases {
        let expected = by_hand(&rooms, "code", test);
        answered += usize::from(!expected.is_empty() && expected.len() < rooms.len());
        assert_eq!(
            filtered(&app, "cleanrooms", "code", filter).await,
            expected,
            "{filter}"
        );
    }
    // Nearly every case picks some rooms and leaves others: none passes by matching nothing.
    assert!(answered >= cases.len() - 5, "{answered} of {}", cases.len());
}

#[tokio::test]
async fn text_is_folded_for_case_and_diacritics_where_a_person_expects_it() {
    let app = TestApp::spawn().await;
    let family = |filter: &'static str| {
        let app = &app;
        async move { filtered(app, "people", "familyName", filter).await }
    };
    assert_eq!(
        family(r#"{ familyName: { contains: "sallberg" } }"#).await,
        ["Sällberg"]
    );
    assert_eq!(
        family(r#"{ familyName: { startsWith: "SÄLL" } }"#).await,
        ["Sällberg"]
    );
    assert_eq!(
        family(r#"{ name: { startsWith: "ahlen" } }"#).await,
        ["Ahlén"]
    );
    assert_eq!(
        family(r#"{ name: { eq: "ahlen gustaf" } }"#).await,
        ["Ahlén"]
    );
    assert_eq!(
        family(r#"{ name: { contains: "BERGO" } }"#).await,
        ["Bergö"]
    );
    // `eq` on text as written is exact.
    assert_eq!(
        family(r#"{ familyName: { eq: "Sällberg" } }"#).await,
        ["Sällberg"]
    );
    assert!(family(r#"{ familyName: { eq: "sallberg" } }"#)
        .await
        .is_empty());
    // `%` and `_` are matched as themselves, not as patterns.
    assert!(family(r#"{ familyName: { contains: "%" } }"#)
        .await
        .is_empty());
    assert!(family(r#"{ familyName: { startsWith: "_" } }"#)
        .await
        .is_empty());
    assert_eq!(
        filtered(
            &app,
            "units",
            "name",
            r#"{ shortName: { contains: "vécura" } }"#
        )
        .await,
        ["Vecura GMP unit"]
    );
}

#[tokio::test]
async fn ids_and_institutions_filter_by_their_codes_and_global_ids() {
    let app = TestApp::spawn().await;
    let rooms = every_row(&app, "cleanrooms", "id code institution { code }").await;
    let first = rooms[0]["id"].as_str().unwrap().to_owned();
    let second = rooms[1]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        filtered(
            &app,
            "cleanrooms",
            "code",
            &format!(r#"{{ id: {{ eq: "{first}" }} }}"#)
        )
        .await,
        [rooms[0]["code"].as_str().unwrap()]
    );
    assert_eq!(
        filtered(
            &app,
            "cleanrooms",
            "code",
            &format!(r#"{{ id: {{ in: ["{first}", "{second}"] }} }}"#)
        )
        .await,
        by_hand(&rooms, "code", |r| r["id"] == first.as_str()
            || r["id"] == second.as_str())
    );
    // An institution inside `or` is a test like any other.
    assert_eq!(
        filtered(
            &app,
            "cleanrooms",
            "code",
            r#"{ or: [{ institution: { eq: "KUH" } }, { code: { eq: "PRE-GMP-01" } }] }"#
        )
        .await,
        by_hand(&rooms, "code", |r| r["institution"]["code"] == "KUH"
            || r["code"] == "PRE-GMP-01")
    );
}

#[tokio::test]
async fn to_many_relations_match_with_some_every_and_none() {
    let app = TestApp::spawn_with_generated(4).await;
    let units = every_row(
        &app,
        "units",
        "name cleanrooms(first: 100) { nodes { grade } }",
    )
    .await;
    let grades = |unit: &Value| -> Vec<Value> {
        unit["cleanrooms"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|room| room["grade"].clone())
            .collect()
    };
    let cases: Vec<(&str, Test<'_>)> = vec![
        (
            r#"{ cleanrooms: { some: { grade: { eq: A } } } }"#,
            Box::new(|u| grades(u).iter().any(|g| g == "A")),
        ),
        (
            r#"{ cleanrooms: { every: { grade: { eq: B } } } }"#,
            Box::new(|u| grades(u).iter().all(|g| g == "B")),
        ),
        (
            r#"{ cleanrooms: { none: { grade: { eq: B } } } }"#,
            Box::new(|u| !grades(u).iter().any(|g| g == "B")),
        ),
        // A room without a grade is not of grade B: `every` fails on it.
        (
            r#"{ cleanrooms: { some: {}, every: { grade: { in: [B, D] } } } }"#,
            Box::new(|u| !grades(u).is_empty() && grades(u).iter().all(|g| g == "B" || g == "D")),
        ),
    ];
    for (filter, test) in cases {
        assert_eq!(
            filtered(&app, "units", "name", filter).await,
            by_hand(&units, "name", test),
            "{filter}"
        );
    }
    // Vecura has rooms of grades B and D only; the pre-GMP unit's rooms have no grade.
    let every_b_or_d = filtered(
        &app,
        "units",
        "name",
        r#"{ cleanrooms: { some: {}, every: { grade: { in: [B, D] } } } }"#,
    )
    .await;
    assert!(
        every_b_or_d.contains(&"Vecura GMP unit".to_owned()),
        "{every_b_or_d:?}"
    );
    assert!(!every_b_or_d.contains(&"Pre-GMP unit at KI Campus Flemingsberg".to_owned()));
}

#[tokio::test]
async fn analysts_questions_across_relations_are_one_query_each() {
    let app = TestApp::spawn().await;
    // The people with an appointment in the ATMP Center's management group.
    let people = every_row(
        &app,
        "people",
        "familyName appointments(first: 100) { nodes { unit { name } } }",
    )
    .await;
    let in_management = by_hand(&people, "familyName", |p| {
        p["appointments"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["unit"]["name"] == "Management group of the Karolinska ATMP Center")
    });
    assert!(!in_management.is_empty());
    assert_eq!(
        filtered(
            &app,
            "people",
            "familyName",
            r#"{ appointments: { some: { unit: { name: { eq: "Management group of the Karolinska ATMP Center" } } } } }"#
        )
        .await,
        in_management
    );
    // The people with appointments at both institutions.
    let institutions = every_row(
        &app,
        "people",
        "familyName appointments(first: 100) { nodes { institution { code } } }",
    )
    .await;
    let at = |p: &Value, code: &str| {
        p["appointments"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["institution"]["code"] == code)
    };
    assert_eq!(
        filtered(
            &app,
            "people",
            "familyName",
            r#"{ and: [{ institution: { eq: "KI" } }, { institution: { eq: "KUH" } }] }"#
        )
        .await,
        by_hand(&institutions, "familyName", |p| at(p, "KI") && at(p, "KUH"))
    );
    // Cleanrooms of a GMP facility, asked from the room's side.
    let rooms = filtered(
        &app,
        "cleanrooms",
        "code",
        r#"{ unit: { kind: { eq: GMP_FACILITY } } }"#,
    )
    .await;
    assert_eq!(rooms.len(), 13, "{rooms:?}");
    assert!(rooms.iter().all(|code| code.starts_with("VECURA-")));
}

#[tokio::test]
async fn nested_connections_take_the_same_filters() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            r#"{ units(filter: { kind: { eq: GMP_FACILITY }, cleanrooms: { some: {} } }) { nodes { name
                cleanrooms(filter: { grade: { eq: D }, unit: { kind: { eq: GMP_FACILITY } } }) { totalCount nodes { code } } } } }"#,
        )
        .await;
    assert_eq!(
        data["units"]["nodes"],
        json!([{ "name": "Vecura GMP unit", "cleanrooms": { "totalCount": 2, "nodes": [{ "code": "VECURA-12" }, { "code": "VECURA-13" }] } }])
    );
}

#[tokio::test]
async fn a_filter_is_part_of_its_levels_statement() {
    let app = TestApp::spawn_with_generated(10).await;
    let plain = "{ units(first: 50) { nodes { name cleanrooms(first: 5) { nodes { code } } } } }";
    let filtered = r#"{ units(first: 50, filter: { cleanrooms: { some: { grade: { eq: A } } }, or: [{ kind: { eq: GMP_FACILITY } }, { name: { contains: "unit" } }] }) {
        nodes { name cleanrooms(first: 5, filter: { unit: { kind: { eq: GMP_FACILITY } }, not: { grade: { isNull: true } } }) { nodes { code } } } } }"#;
    let (plain_count, _) = app.statements_for(plain).await;
    let (filtered_count, data) = app.statements_for(filtered).await;
    assert!(!data["units"]["nodes"].as_array().unwrap().is_empty());
    // Split, each level's relation (`cleanrooms`, `unit`) is read first, one statement per
    // source: the related rows may sit in either.
    let resolved = app.split_or(0, 2);
    assert_eq!(filtered_count, plain_count + resolved);
}

#[tokio::test]
async fn bad_filter_values_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let unit_id = every_row(&app, "units", "id").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        (
            r#"{ qualifiedOn: { gt: "2020-13-01" } }"#.to_owned(),
            "BAD_USER_INPUT",
            "`2020-13-01` is not a date of the form YYYY-MM-DD".to_owned(),
        ),
        (
            format!(r#"{{ id: {{ eq: "{unit_id}" }} }}"#),
            "BAD_USER_INPUT",
            format!("`{unit_id}` is not the ID of a Cleanroom"),
        ),
        (
            r#"{ id: { eq: "nonsense" } }"#.to_owned(),
            "BAD_USER_INPUT",
            "`nonsense` is not a valid node ID".to_owned(),
        ),
        (
            r#"{ code: { contains: "a\u0000b" } }"#.to_owned(),
            "BAD_USER_INPUT",
            "text in a filter cannot hold a NUL character".to_owned(),
        ),
        (
            r#"{ unit: { institution: { eq: "XX" } } }"#.to_owned(),
            "BAD_USER_INPUT",
            "unknown institution code `XX`; known codes: KI, KUH".to_owned(),
        ),
    ];
    for (filter, code, message) in cases {
        let response = app
            .graphql(&format!(
                "{{ cleanrooms(filter: {filter}) {{ nodes {{ code }} }} }}"
            ))
            .await;
        assert_eq!(response.error_codes(), [code], "{filter}");
        assert_eq!(response.error_messages(), [message], "{filter}");
        assert_eq!(response.body["data"], Value::Null, "{filter}");
    }
}

#[tokio::test]
async fn a_filter_over_its_limits_is_refused_naming_the_limit() {
    let app = TestApp::spawn().await;
    let deep = (0..9).fold("{ grade: { eq: A } }".to_owned(), |inner, _| {
        format!("{{ not: {inner} }}")
    });
    let within_depth = (0..8).fold("{ grade: { eq: A } }".to_owned(), |inner, _| {
        format!("{{ not: {inner} }}")
    });
    let many: Vec<String> = (0..501).map(|i| format!("\"C{i}\"")).collect();
    let enough: Vec<String> = (0..500).map(|i| format!("\"C{i}\"")).collect();
    let cases = [
        (
            deep,
            "the filter nests deeper than 8 levels (each `and`, `or`, `not` and relation is one)",
        ),
        (
            format!("{{ code: {{ in: [{}] }} }}", many.join(", ")),
            "the filter lists more than 500 values in its `in` and `notIn` lists",
        ),
        (
            format!(
                "{{ code: {{ in: [{}] }}, unit: {{ name: {{ in: [\"x\"] }} }} }}",
                enough.join(", ")
            ),
            "the filter lists more than 500 values in its `in` and `notIn` lists",
        ),
    ];
    for (filter, message) in cases {
        let response = app
            .graphql(&format!(
                "{{ cleanrooms(filter: {filter}) {{ nodes {{ code }} }} }}"
            ))
            .await;
        assert_eq!(response.error_codes(), ["QUERY_TOO_COMPLEX"]);
        assert_eq!(response.error_messages(), [message]);
    }
    for filter in [
        within_depth,
        format!("{{ code: {{ in: [{}] }} }}", enough.join(", ")),
    ] {
        let response = app
            .graphql(&format!(
                "{{ cleanrooms(filter: {filter}) {{ totalCount }} }}"
            ))
            .await;
        assert!(response.data()["cleanrooms"]["totalCount"].is_u64());
    }
}

/// A filter given how many levels it nests.
type Deepened = Box<dyn Fn(usize) -> String>;

/// `inner` wrapped `levels` times by `wrap`.
fn nested(levels: usize, inner: &str, wrap: impl Fn(&str) -> String) -> String {
    (0..levels).fold(inner.to_owned(), |inner, _| wrap(&inner))
}

#[tokio::test]
async fn a_filter_nests_eight_levels_of_and_or_not_and_relations_and_not_nine() {
    let app = TestApp::spawn().await;
    const GRADE_B: &str = "{ grade: { eq: B } }";
    // Each level of each kind; the relations alternate between a room's unit and its rooms.
    let kinds: [(&str, Deepened, u64); 4] = [
        (
            "not",
            Box::new(|levels| nested(levels, GRADE_B, |f| format!("{{ not: {f} }}"))),
            11,
        ),
        (
            "and",
            Box::new(|levels| nested(levels, GRADE_B, |f| format!("{{ and: [{f}] }}"))),
            11,
        ),
        (
            "or",
            Box::new(|levels| nested(levels, GRADE_B, |f| format!("{{ or: [{f}] }}"))),
            11,
        ),
        (
            "relation",
            Box::new(|levels| {
                // After an odd number of relations the innermost filter is a unit's.
                let inner = if levels % 2 == 0 {
                    GRADE_B
                } else {
                    "{ kind: { eq: GMP_FACILITY } }"
                };
                (0..levels).fold(inner.to_owned(), |inner, level| {
                    if (levels - level) % 2 == 1 {
                        format!("{{ unit: {inner} }}")
                    } else {
                        format!("{{ cleanrooms: {{ some: {inner} }} }}")
                    }
                })
            }),
            // The rooms of Vecura, the one facility with rooms of grade B.
            13,
        ),
    ];
    for (kind, filter, count) in &kinds {
        // An even number of `not`s is the test itself; eight relations end on a room's unit.
        let query = |levels| {
            format!(
                "{{ cleanrooms(filter: {}) {{ totalCount }} }}",
                filter(levels)
            )
        };
        let answered = app.graphql(&query(8)).await;
        assert_eq!(
            answered.body,
            json!({ "data": { "cleanrooms": { "totalCount": count } } }),
            "eight levels of {kind}"
        );
        let refused = app.graphql(&query(9)).await;
        assert_eq!(
            refused.error_codes(),
            ["QUERY_TOO_COMPLEX"],
            "nine levels of {kind}"
        );
        assert_eq!(
            refused.error_messages(),
            ["the filter nests deeper than 8 levels (each `and`, `or`, `not` and relation is one)"],
            "nine levels of {kind}"
        );
    }
}

#[tokio::test]
async fn trials_led_from_the_institution_that_does_not_sponsor_them_are_one_query() {
    use atmp_graph::domain::{natural_id, RecordKind};
    use atmp_graph::seed::generate;
    let app = TestApp::spawn_with_generated(4).await;
    // The KUH trial of generated unit 1, led by the unit's head (appointed at KUH), gets KI as
    // its sponsor.
    let mut dataset = generate(crate::helpers::generated_options(4));
    let trial_id = natural_id(RecordKind::Trial, "generated-unit-000001");
    dataset.trials.retain(|trial| trial.id == trial_id);
    dataset.trials[0].sponsor_institution_id = Some(natural_id(RecordKind::Institution, "KI"));
    dataset.trials[0].principal_investigator_id =
        Some(natural_id(RecordKind::Person, "generated-person-000001-00"));
    let title = dataset.trials[0].title.clone();
    let trials_only = atmp_graph::store::Dataset {
        trials: dataset.trials,
        ..Default::default()
    };
    app.app.store.upsert(&trials_only).await.unwrap();
    let trials = every_row(
        &app,
        "trials",
        "title sponsor { code } principalInvestigator { appointments(first: 100) { nodes { institution { code } } } }",
    )
    .await;
    let by_hand = by_hand(&trials, "title", |trial| {
        let Some(sponsor) = trial["sponsor"]["code"].as_str() else {
            return false;
        };
        trial["principalInvestigator"]["appointments"]["nodes"]
            .as_array()
            .is_some_and(|appointments| {
                appointments.iter().any(|a| {
                    a["institution"]["code"]
                        .as_str()
                        .is_some_and(|c| c != sponsor)
                })
            })
    });
    assert!(by_hand.contains(&title), "{by_hand:?}");
    let led_elsewhere = r#"{ or: [
        { sponsor: { eq: "KI" }, principalInvestigator: { appointments: { some: { institution: { eq: "KUH" } } } } },
        { sponsor: { eq: "KUH" }, principalInvestigator: { appointments: { some: { institution: { eq: "KI" } } } } }
    ] }"#;
    assert_eq!(
        filtered(&app, "trials", "title", led_elsewhere).await,
        by_hand
    );
}
