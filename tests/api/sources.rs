//! Two sources: KI's records in one database, KUH's in another. The whole suite also runs so
//! (`TEST_SOURCES=split`); these tests need the split whatever the suite runs on.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TestResponse};

/// The answer to `query` on both execution paths, which must be the same, text and errors.
async fn answered_on_both_paths(app: &TestApp, query: &str) -> TestResponse {
    let planned = app.graphql(query).await;
    let field_by_field = app.graphql_field_by_field(query, json!({})).await;
    assert_eq!(planned.status, StatusCode::OK, "{planned:?}");
    assert_eq!(planned.text, field_by_field.text, "{query}");
    planned
}

/// The answer to `query` on both execution paths, which must be the same, errors in any order
/// (field by field, they come in the order the fields resolve).
async fn answered_alike_on_both_paths(app: &TestApp, query: &str) -> TestResponse {
    let planned = app.graphql(query).await;
    let field_by_field = app.graphql_field_by_field(query, json!({})).await;
    assert_eq!(planned.status, StatusCode::OK, "{planned:?}");
    assert_eq!(planned.body["data"], field_by_field.body["data"], "{query}");
    let sorted = |response: &TestResponse| {
        let mut errors = response.body["errors"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        errors.sort_by_key(|error| error["path"].to_string());
        errors
    };
    assert_eq!(sorted(&planned), sorted(&field_by_field), "{query}");
    planned
}

/// Each error's path, code and institution.
fn errors_of(response: &TestResponse) -> Vec<Value> {
    response.body["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|error| {
            json!([
                error["path"],
                error["extensions"]["code"],
                error["extensions"]["institution"]
            ])
        })
        .collect()
}

#[tokio::test]
async fn a_list_whose_source_is_down_holds_the_other_sources_rows_and_does_not_pretend_to_be_whole()
{
    let app = TestApp::spawn_split().await;
    let every_unit = "{ units(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { name } } } }";
    let ki_units = r#"{ units(first: 50, filter: { institution: { eq: "KI" } }) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { name } } } }"#;
    let kuh_units =
        r#"{ units(filter: { institution: { eq: "KUH" } }) { totalCount nodes { name } } }"#;
    let counted = "{ units { totalCount } }";
    let ki_cleanrooms = r#"{ cleanrooms(first: 50, filter: { institution: { eq: "KI" } }) { totalCount nodes { code } } }"#;
    let ki_cleanrooms_before = app.data(ki_cleanrooms).await;
    let before = app.data(ki_units).await;
    let whole = app.data(every_unit).await;
    assert_eq!(whole["units"]["totalCount"], 12);
    // KI's six units among the twelve, as the whole list has them, cursors included.
    let ki_names: Vec<&Value> = before["units"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"]["name"])
        .collect();
    let ki_edges: Vec<Value> = whole["units"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|edge| ki_names.contains(&&edge["node"]["name"]))
        .cloned()
        .collect();
    assert_eq!(ki_edges.len(), 6);
    // Joint units are KI's records, placed at KUH too.
    let joint: Vec<Value> = app.data(kuh_units).await["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|unit| ki_names.contains(&&unit["name"]))
        .cloned()
        .collect();
    assert_eq!(joint.len(), 3);

    assert!(app.app.store.close_source("KUH").await.unwrap());
    let ready = app.get("/ready").await;
    let everything = answered_on_both_paths(&app, every_unit).await;
    let only_kuh = answered_on_both_paths(&app, kuh_units).await;
    let count = answered_on_both_paths(&app, counted).await;
    let ki_only = app.graphql(ki_cleanrooms).await;

    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.body,
        json!({ "status": "unavailable", "sources": [
            { "name": "KI", "status": "ready" },
            { "name": "KUH", "status": "unavailable" },
        ] })
    );
    // The rows KI holds, each with the cursor it has in the whole list; no count, which would
    // pretend the page is whole, but a `pageInfo` true of the rows held: KUH may hold more
    // after the last of them. An error names KUH.
    let last_ki_cursor = ki_edges.last().unwrap()["cursor"].clone();
    assert_eq!(
        everything.body["data"],
        json!({ "units": {
            "totalCount": null,
            "pageInfo": { "hasNextPage": true, "endCursor": last_ki_cursor },
            "edges": ki_edges,
        } })
    );
    let unavailable = json!([["units"], "SOURCE_UNAVAILABLE", "KUH"]);
    assert_eq!(errors_of(&everything), std::slice::from_ref(&unavailable));
    assert_eq!(
        everything.error_messages(),
        ["the list lacks the records of KUH: their source `KUH` does not answer, so the page may be short and `totalCount` is null"]
    );
    assert_eq!(
        everything.body["errors"][0]["extensions"]["institutions"],
        json!(["KUH"])
    );
    // Of KUH's units, the joint units KI holds are listed, and the list says what it lacks.
    assert_eq!(
        only_kuh.body["data"],
        json!({ "units": { "totalCount": null, "nodes": joint } })
    );
    assert_eq!(errors_of(&only_kuh), std::slice::from_ref(&unavailable));
    // A count alone is not answered short either.
    assert_eq!(
        count.body["data"],
        json!({ "units": { "totalCount": null } })
    );
    assert_eq!(errors_of(&count), [unavailable]);
    // What only KI's source may hold is answered whole: a list of what KI owns.
    assert_eq!(ki_only.data(), &ki_cleanrooms_before);
    assert!(ki_cleanrooms_before["cleanrooms"]["totalCount"].as_u64() > Some(0));
}

#[tokio::test]
async fn a_partial_page_has_a_page_info_true_of_its_rows_in_either_direction() {
    let app = TestApp::spawn_split().await;
    let forward = "{ units(first: 3) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }";
    let backward = "{ units(last: 3) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }";
    let nested = "{ institutions { code people(first: 2) { pageInfo { hasNextPage hasPreviousPage } nodes { name } } } }";

    assert!(app.app.store.close_source("KUH").await.unwrap());
    let forward = answered_on_both_paths(&app, forward).await;
    let backward = answered_on_both_paths(&app, backward).await;
    let nested = answered_on_both_paths(&app, nested).await;

    for (response, has_next, has_previous) in [(&forward, true, false), (&backward, false, true)] {
        let units = &response.body["data"]["units"];
        let edges = units["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 3, "{response:?}");
        assert_eq!(
            units["pageInfo"],
            json!({
                "hasNextPage": has_next,
                "hasPreviousPage": has_previous,
                "startCursor": edges[0]["cursor"],
                "endCursor": edges[2]["cursor"],
            }),
            "{response:?}"
        );
        assert_eq!(
            errors_of(response),
            [json!([["units"], "SOURCE_UNAVAILABLE", "KUH"])]
        );
    }
    // Each institution's people lack KUH's appointments: each page says more may follow.
    for index in 0..2 {
        assert_eq!(
            nested.body["data"]["institutions"][index]["people"]["pageInfo"],
            json!({ "hasNextPage": true, "hasPreviousPage": false }),
            "{nested:?}"
        );
    }
}

#[tokio::test]
async fn the_lists_under_each_row_that_a_missing_source_may_hold_are_marked_each_with_its_path() {
    let app = TestApp::spawn_split().await;
    let query = r#"{ people(first: 2, filter: { name: { contains: "ellis" } }) { nodes { name appointments { totalCount nodes { title institution { code } } } } } }"#;
    let whole = app.data(query).await;
    let ki_appointments: Vec<Value> = whole["people"]["nodes"][0]["appointments"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|appointment| appointment["institution"]["code"] == "KI")
        .cloned()
        .collect();
    assert_eq!(ki_appointments.len(), 1, "{whole}");

    let owned = "{ institutions { code cleanrooms(first: 50) { totalCount nodes { code } } } }";
    let owned_before = app.data(owned).await;

    assert!(app.app.store.close_source("KUH").await.unwrap());
    let during = answered_on_both_paths(&app, query).await;
    let owned_during = answered_on_both_paths(&app, owned).await;

    // An institution's cleanrooms are its own: KI's list is whole, KUH's lacks all of its own.
    assert_eq!(
        owned_during.body["data"]["institutions"][0],
        owned_before["institutions"][0]
    );
    assert_eq!(
        owned_during.body["data"]["institutions"][1],
        json!({ "code": "KUH", "cleanrooms": { "totalCount": null, "nodes": [] } })
    );
    assert_eq!(
        errors_of(&owned_during),
        [json!([
            ["institutions", 1, "cleanrooms"],
            "SOURCE_UNAVAILABLE",
            "KUH"
        ])]
    );

    // Ewa Ellis is kept by every source; of her appointments, KI's answered.
    assert_eq!(
        during.body["data"],
        json!({ "people": { "nodes": [{ "name": "Ewa Ellis", "appointments": {
            "totalCount": null, "nodes": ki_appointments } }] } })
    );
    assert_eq!(
        errors_of(&during),
        [json!([
            ["people", "nodes", 0, "appointments"],
            "SOURCE_UNAVAILABLE",
            "KUH"
        ])]
    );
}

#[tokio::test]
async fn people_kept_by_both_sources_are_listed_and_counted_once() {
    let app = TestApp::spawn_split().await;
    let data = app
        .data(r#"{ people(first: 100, filter: { name: { contains: "ellis" } }) { totalCount nodes { name appointments { nodes { institution { code } } } } } }"#)
        .await;
    assert_eq!(
        data,
        json!({ "people": { "totalCount": 1, "nodes": [{ "name": "Ewa Ellis", "appointments": { "nodes": [
            { "institution": { "code": "KI" } },
            { "institution": { "code": "KUH" } },
            { "institution": { "code": "KUH" } },
        ] } }] } })
    );
}

/// Queries whose answers, cursors included, must not depend on how the records are split.
const SAME_ANSWERS: &[&str] = &[
    // A joint unit is KI's record, and a unit of KUH too.
    r#"{ units(first: 100, filter: { institution: { eq: "KUH" } }) { totalCount nodes { name } } }"#,
    // Ordered by the unit's name: a joint unit's appointments at the partner institution name
    // a unit the other source holds.
    r#"{ people(first: 100) { nodes { name appointments(first: 10, orderBy: [{ field: UNIT_NAME }, { field: ROLE, direction: DESC }]) {
        totalCount edges { cursor node { title unit { name } } } pageInfo { hasNextPage endCursor } } } } }"#,
    r#"{ people(first: 100) { nodes { appointments(last: 2, orderBy: [{ field: UNIT_NAME, direction: DESC }]) {
        nodes { title unit { name } } pageInfo { hasPreviousPage startCursor } } } } }"#,
    // Filters across relations whose rows sit in the other source.
    r#"{ people(first: 100, filter: { appointments: { some: { institution: { eq: "KUH" } } } }) { totalCount nodes { name } } }"#,
    r#"{ people(first: 100, filter: { appointments: { every: { institution: { eq: "KI" } } }, not: { appointments: { none: { unit: { kind: { eq: CENTER } } } } } }) { totalCount nodes { name } } }"#,
    r#"{ units(first: 100, filter: { appointments: { some: { institution: { eq: "KUH" }, person: { appointments: { some: { institution: { eq: "KI" } } } } } } }) { totalCount nodes { name } } }"#,
    r#"{ trials(first: 100, filter: { principalInvestigator: { appointments: { some: { institution: { eq: "KI" } } } } }) { totalCount nodes { title } } }"#,
    // Children across sources: each source's own in its statement, and the parents that the
    // other source's children name (a KUH appointment in a KI joint unit); a unit's own units.
    r#"{ units(first: 100, filter: { appointments: { every: { institution: { eq: "KI" } } } }) { totalCount nodes { name } } }"#,
    r#"{ units(first: 100, filter: { appointments: { none: { institution: { eq: "KUH" } } }, children: { none: { kind: { eq: GMP_FACILITY } } } }) { totalCount nodes { name } } }"#,
    r#"{ units(first: 100, filter: { children: { some: { appointments: { some: { institution: { eq: "KUH" } } } } } }) { totalCount nodes { name } } }"#,
    // Per parent: people under the joint unit, appointed from both institutions, once each.
    r#"{ units(first: 100) { nodes { name people(first: 3) { totalCount nodes { name } } } } }"#,
    r#"{ institutions { code units(first: 3) { totalCount nodes { name } } people(first: 2) { totalCount nodes { name } } } }"#,
    // Aggregates merged across the sources: distinct people, averages.
    r#"{ appointmentsAggregate(groupBy: [ROLE]) { keys { role } count countDistinct(field: PERSON) } }"#,
    r#"{ appointmentsAggregate { count countDistinct(field: PERSON) ...on AppointmentAggregate { avg(field: START_YEAR) min(field: START_YEAR) } } }"#,
    r#"{ cleanroomsAggregate(groupBy: [INSTITUTION, GRADE]) { keys { institution { code } grade } count countDistinct(field: UNIT) ...on CleanroomAggregate { sum(field: AREA_M2) avg(field: AREA_M2) } } }"#,
    // Search ranks both sources' hits together, and counts people once.
    r#"{ search(text: "ka", first: 20) { totalCount edges { cursor matched node { __typename } } } }"#,
];

#[tokio::test]
async fn every_answer_is_the_same_on_one_database_and_on_two() {
    let one = TestApp::spawn_laid_out(false, 6).await;
    let two = TestApp::spawn_laid_out(true, 6).await;
    two.share_secret_of(&one).await;
    for query in SAME_ANSWERS {
        let expected = one.graphql(query).await;
        let answered = two.graphql(query).await;
        assert_eq!(
            expected.error_codes(),
            Vec::<String>::new(),
            "{query}\n{expected:?}"
        );
        assert_eq!(answered.text, expected.text, "{query}");
    }
}

#[tokio::test]
async fn people_are_still_listed_whole_while_the_first_source_is_down() {
    let app = TestApp::spawn_split().await;
    let people = "{ people(first: 100) { totalCount nodes { name } } }";
    let before = app.data(people).await;
    assert_eq!(before["people"]["totalCount"], 14);

    assert!(app.app.store.close_source("KI").await.unwrap());
    let during = app.graphql(people).await;
    let units = app.graphql("{ units(first: 5) { nodes { name } } }").await;

    // Every source keeps the identities: the next one answers for them.
    assert_eq!(during.data(), &before);
    assert_eq!(units.error_codes(), ["SOURCE_UNAVAILABLE"]);
    assert_eq!(units.body["errors"][0]["extensions"]["institution"], "KI");
}

#[tokio::test]
async fn a_relation_that_finds_too_many_records_across_the_sources_is_refused() {
    let app = TestApp::spawn_split().await;
    // People are read from the first source (KI's): 20 001 more of them than a relation of a
    // filter may bring from one source to another.
    let filler = if app.database_url.starts_with("postgres") {
        "INSERT INTO person (id, given_name, family_name, name_key, provenance, sample_fields) \
         SELECT gen_random_uuid(), 'Filler', 'Person ' || i, 'filler person ' || i, 'GENERATED', '' \
         FROM generate_series(1, 20001) AS i"
    } else {
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20001) \
         INSERT INTO person (id, given_name, family_name, name_key, provenance, sample_fields) \
         SELECT randomblob(16), 'Filler', 'Person ' || i, 'filler person ' || i, 'GENERATED', '' FROM n"
    };
    // Each read by the public, as a person with a public appointment is.
    let readers = "INSERT INTO person_reader (person_id, reader) \
         SELECT id, 'public' FROM person WHERE given_name = 'Filler'";
    let public = "UPDATE person SET read_by_public = TRUE WHERE given_name = 'Filler'";
    let database = sea_orm::Database::connect(&app.database_url).await.unwrap();
    for statement in [filler, readers, public] {
        sea_orm::ConnectionTrait::execute_unprepared(&database, statement)
            .await
            .unwrap();
    }

    let response = app
        .graphql(r#"{ trials(filter: { principalInvestigator: { name: { contains: "person" } } }) { totalCount } }"#)
        .await;

    assert_eq!(
        response.error_codes(),
        ["QUERY_TOO_COMPLEX"],
        "{response:?}"
    );
    assert_eq!(
        response.error_messages(),
        ["a relation of the filter matches more than 20000 records across the sources: narrow what it matches"]
    );
}

#[tokio::test]
async fn a_distinct_count_is_counted_again_across_the_sources_only_where_a_value_may_sit_in_both() {
    let one = TestApp::spawn_laid_out(false, 0).await;
    let two = TestApp::spawn_split().await;
    let per_grade =
        "{ cleanroomsAggregate(groupBy: [GRADE]) { keys { grade } count countDistinct(field: UNIT) } }";
    // (The keys' institutions are not selected: reading them is a statement of its own.)
    let per_institution = "{ cleanroomsAggregate(groupBy: [INSTITUTION, GRADE]) { keys { grade } countDistinct(field: UNIT) } }";
    let of_institutions = "{ unitsAggregate { count countDistinct(field: INSTITUTION) } }";

    for (query, statements) in [
        // A KI cleanroom and a KUH cleanroom may be in one joint unit: the values are read.
        (per_grade, 2),
        // Each group is one institution's, all in its source: counted there, once.
        (per_institution, 1),
        // The owners themselves: no institution is in two sources.
        (of_institutions, 1),
    ] {
        let (counted, answered) = two.statements_for(query).await;
        assert_eq!(answered, one.data(query).await, "{query}");
        assert_eq!(counted, statements, "statements per source: {query}");
    }
}

#[tokio::test]
async fn a_reference_another_source_holds_is_read_for_the_whole_level_in_one_statement_per_source()
{
    let one = TestApp::spawn_laid_out(false, 20).await;
    let two = TestApp::spawn_laid_out(true, 20).await;
    // KUH's appointments in KI's joint units name units KUH's source does not hold.
    let query = r#"{ people(first: 100) { nodes { name appointments(filter: { institution: { eq: "KUH" } }) {
        nodes { title unit { name institution { code } } } } } } }"#;

    let (in_one, expected) = one.statements_for(query).await;
    let (in_two, answered) = two.statements_for(query).await;
    let texts = two.statement_texts_for(query).await;

    assert_eq!(answered, expected);
    let joint = expected["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|person| person["appointments"]["nodes"].as_array().unwrap())
        .filter(|appointment| appointment["unit"]["institution"]["code"] == "KI")
        .count();
    assert!(joint > 0, "{expected}");
    // People; their KUH appointments with each unit joined where KUH's source holds it.
    assert_eq!(in_one, 2);
    // And the units KUH's source does not hold, by ID, all at once, one statement on each
    // source; then their institutions, from the first source (KI's: three statements there).
    assert_eq!(in_two, 3, "{texts:#?}");
    let by_id = texts
        .iter()
        .filter(|text| {
            text.starts_with(r#"SELECT "unit"."id""#) && text.contains(r#"AND "unit"."id" IN"#)
        })
        .count();
    assert_eq!(by_id, 2, "{texts:#?}");
}

/// The global ID and code of the first cleanroom `institution` owns.
async fn first_cleanroom(app: &TestApp, institution: &str) -> (String, Value) {
    let data = app
        .data(&format!(
            r#"{{ cleanrooms(first: 1, filter: {{ institution: {{ eq: "{institution}" }} }}) {{ nodes {{ id code unit {{ name }} }} }} }}"#
        ))
        .await;
    let cleanroom = data["cleanrooms"]["nodes"][0].clone();
    (cleanroom["id"].as_str().unwrap().to_owned(), cleanroom)
}

/// A cleanroom's global ID that no record has.
const NO_CLEANROOM: &str = "Q2xlYW5yb29tOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMQ";

#[tokio::test]
async fn a_record_by_id_is_answered_by_the_source_holding_it_whoever_else_is_down() {
    let app = TestApp::spawn_split().await;
    let (ki, ki_cleanroom) = first_cleanroom(&app, "KI").await;
    let (kuh, _) = first_cleanroom(&app, "KUH").await;
    let ellis = app
        .data(r#"{ people(first: 1, filter: { name: { contains: "ellis" } }) { nodes { id } } }"#)
        .await["people"]["nodes"][0]["id"]
        .clone();
    let by_id =
        format!(r#"{{ node(id: "{ki}") {{ id ... on Cleanroom {{ code unit {{ name }} }} }} }}"#);
    let absent = format!(r#"{{ node(id: "{NO_CLEANROOM}") {{ id }} }}"#);
    assert_eq!(app.data(&absent).await, json!({ "node": null }));

    assert!(app.app.store.close_source("KUH").await.unwrap());
    let held = answered_on_both_paths(&app, &by_id).await;
    let several = answered_on_both_paths(
        &app,
        &format!(r#"{{ nodes(ids: ["{ki}", "{kuh}", {ellis}]) {{ id }} }}"#),
    )
    .await;
    let kuh_alone =
        answered_on_both_paths(&app, &format!(r#"{{ node(id: "{kuh}") {{ id }} }}"#)).await;
    let absent_now = answered_on_both_paths(&app, &absent).await;

    // KI's source holds it: the answer, whole, whoever else is down.
    assert_eq!(held.data(), &json!({ "node": ki_cleanroom }));
    // Of several, each held by a source that answers is answered (a person by every source);
    // the one only KUH's source may hold is null, with the error at its index.
    assert_eq!(
        several.body["data"],
        json!({ "nodes": [{ "id": ki }, null, { "id": ellis }] })
    );
    assert_eq!(
        errors_of(&several),
        [json!([["nodes", 1], "SOURCE_UNAVAILABLE", "KUH"])]
    );
    assert_eq!(
        several.error_messages(),
        ["the records of KUH are unavailable: their source `KUH` does not answer"]
    );
    // Alone, it fails the field; so does an ID no answering source holds, as KUH's might.
    for response in [&kuh_alone, &absent_now] {
        assert_eq!(response.body["data"]["node"], json!(null), "{response:?}");
        assert_eq!(
            errors_of(response),
            [json!([["node"], "SOURCE_UNAVAILABLE", "KUH"])]
        );
    }
}

#[tokio::test]
async fn an_entity_is_answered_by_the_source_holding_it_whoever_else_is_down() {
    let app = TestApp::spawn_split()
        .await
        .reconfigured(|config| config.federation = true);
    let (ki, ki_cleanroom) = first_cleanroom(&app, "KI").await;
    let (kuh, _) = first_cleanroom(&app, "KUH").await;
    let query = format!(
        r#"{{ _entities(representations: [{{ __typename: "Cleanroom", id: "{ki}" }}, {{ __typename: "Cleanroom", id: "{kuh}" }}]) {{ ... on Cleanroom {{ id code unit {{ name }} }} }} }}"#
    );

    assert!(app.app.store.close_source("KUH").await.unwrap());
    let response = answered_on_both_paths(&app, &query).await;

    assert_eq!(
        response.body["data"],
        json!({ "_entities": [ki_cleanroom, null] })
    );
    assert_eq!(
        errors_of(&response),
        [json!([["_entities", 1], "SOURCE_UNAVAILABLE", "KUH"])]
    );
}

#[tokio::test]
async fn a_reference_read_by_id_is_answered_by_the_source_holding_it_and_fails_only_where_none_that_answers_does(
) {
    let app = TestApp::spawn_split().await;
    // KUH's appointments in KI's joint units name units only KI's source holds.
    let query = r#"{ people(first: 100) { nodes { appointments(filter: { institution: { eq: "KUH" } }) {
        nodes { title unit { name institution { code } } } } } } }"#;
    let before = app.data(query).await;
    let in_joint_units = before["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|person| person["appointments"]["nodes"].as_array().unwrap())
        .filter(|appointment| appointment["unit"]["institution"]["code"] == "KI")
        .count();
    assert!(in_joint_units > 0, "{before}");

    // Down, KUH's source answers nothing; KI's records are still read by ID.
    assert!(app.app.store.close_source("KI").await.unwrap());
    let during = answered_alike_on_both_paths(&app, query).await;

    let errors = errors_of(&during);
    let unit_errors: Vec<&Value> = errors
        .iter()
        .filter(|error| error[0].as_array().unwrap().last() == Some(&json!("unit")))
        .collect();
    // Each KUH appointment in a KI joint unit: its unit only KI's source holds.
    assert_eq!(unit_errors.len(), in_joint_units, "{during:?}");
    for error in unit_errors {
        assert_eq!(error[1], "SOURCE_UNAVAILABLE");
        assert_eq!(error[2], "KI");
    }
}

#[tokio::test]
async fn an_institution_filter_anywhere_it_narrows_every_match_asks_only_the_owners_source() {
    let app = TestApp::spawn_split().await;
    let selection = "totalCount nodes { code }";
    let ki = app
        .data(&format!(
            r#"{{ cleanrooms(first: 50, filter: {{ institution: {{ eq: "KI" }} }}) {{ {selection} }} }}"#
        ))
        .await;
    let ki_count = ki["cleanrooms"]["totalCount"].clone();
    assert!(ki_count.as_u64() > Some(0), "{ki}");
    let narrowed = [
        r#"{ and: [{ institution: { eq: "KI" } }] }"#,
        r#"{ and: [{ and: [{ institution: { in: ["KI"] } }] }, { code: { contains: "gmp" } }] }"#,
        r#"{ or: [{ institution: { eq: "KI" } }, { and: [{ institution: { eq: "KI" } }, { code: { contains: "x" } }] }] }"#,
        r#"{ institution: { in: ["KI", "KUH"] }, and: [{ institution: { eq: "KI" } }] }"#,
    ];
    for filter in narrowed {
        let query = format!("{{ cleanrooms(first: 50, filter: {filter}) {{ {selection} }} }}");
        let whole = app.data(&query).await;
        // (Every seeded KI cleanroom is a pre-GMP room.)
        assert_eq!(whole, ki, "{filter}");
    }
    let nobody = r#"{ cleanrooms(filter: { and: [{ institution: { eq: "KI" } }, { institution: { eq: "KUH" } }] }) { totalCount nodes { code } } }"#;
    let aggregate =
        r#"{ cleanroomsAggregate(filter: { and: [{ institution: { eq: "KI" } }] }) { count } }"#;

    assert!(app.app.store.close_source("KUH").await.unwrap());

    // What only KI's source may hold is answered whole, however the filter says so.
    for filter in narrowed {
        let query = format!("{{ cleanrooms(first: 50, filter: {filter}) {{ {selection} }} }}");
        let response = answered_on_both_paths(&app, &query).await;
        assert_eq!(response.data(), &ki, "{filter}");
    }
    assert_eq!(
        answered_on_both_paths(&app, aggregate).await.data(),
        &json!({ "cleanroomsAggregate": [{ "count": ki_count }] })
    );
    // No owner can hold a row owned by both: no source is asked.
    assert_eq!(
        answered_on_both_paths(&app, nobody).await.data(),
        &json!({ "cleanrooms": { "totalCount": 0, "nodes": [] } })
    );
    // An `or` that lets KUH own a row, or a `not`, needs KUH's source: partial, and said so.
    for filter in [
        r#"{ or: [{ institution: { eq: "KI" } }, { institution: { eq: "KUH" } }] }"#,
        r#"{ not: { institution: { eq: "KUH" } } }"#,
        r#"{ or: [{ institution: { eq: "KI" } }, { grade: { eq: A } }] }"#,
    ] {
        let query = format!("{{ cleanrooms(first: 50, filter: {filter}) {{ totalCount }} }}");
        let response = answered_on_both_paths(&app, &query).await;
        assert_eq!(
            response.body["data"],
            json!({ "cleanrooms": { "totalCount": null } }),
            "{filter}"
        );
        assert_eq!(
            errors_of(&response),
            [json!([["cleanrooms"], "SOURCE_UNAVAILABLE", "KUH"])],
            "{filter}"
        );
    }
}
