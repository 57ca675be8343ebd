//! Two sources: KI's records in one database, KUH's in another. The whole suite also runs so
//! (`TEST_SOURCES=split`); these tests need the split whatever the suite runs on.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_source_that_is_down_is_named_by_its_institution_and_the_other_still_answers() {
    let app = TestApp::spawn_split().await;
    let every_unit = "{ units(first: 50) { totalCount nodes { name } } }";
    let ki_units = r#"{ units(first: 50, filter: { institution: { eq: "KI" } }) { totalCount nodes { name } } }"#;
    let before = app.data(ki_units).await;
    assert_eq!(app.data(every_unit).await["units"]["totalCount"], 12);

    assert!(app.app.store.close_source("KUH").await.unwrap());
    let ready = app.get("/ready").await;
    let everything = app.graphql(every_unit).await;
    let ki_only = app.graphql(ki_units).await;

    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.body,
        json!({ "status": "unavailable", "sources": [
            { "name": "KI", "status": "ready" },
            { "name": "KUH", "status": "unavailable" },
        ] })
    );
    // No short list presented as complete: the list that needs KUH's records fails, saying so.
    assert_eq!(everything.status, StatusCode::OK, "{everything:?}");
    assert_eq!(everything.body["data"], json!(null));
    assert_eq!(everything.error_codes(), ["SOURCE_UNAVAILABLE"]);
    let error = &everything.body["errors"][0];
    assert_eq!(error["extensions"]["institution"], "KUH");
    assert_eq!(error["extensions"]["institutions"], json!(["KUH"]));
    assert_eq!(
        error["message"],
        "the records of KUH are unavailable: their source `KUH` does not answer"
    );
    // What only KI holds is answered whole.
    assert_eq!(ki_only.data(), &before);
    assert_eq!(before["units"]["totalCount"], 6);
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
    sea_orm::ConnectionTrait::execute_unprepared(
        &sea_orm::Database::connect(&app.database_url).await.unwrap(),
        filler,
    )
    .await
    .unwrap();

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
