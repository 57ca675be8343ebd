//! The planned path answers exactly as async-graphql's own resolvers do, field by field, over
//! the same store: the README examples, and queries that exercise what planning must get right
//! (aliases with different arguments, fragments, type conditions, directives with variables,
//! `node`/`nodes`, counts, cursors, and errors). `fuzz.rs` compares generated queries too.

use serde_json::{json, Value};

use crate::helpers::{TestApp, TestResponse};

/// The distinct errors of an answer in a stable order: the field-by-field path adds them in
/// the order its futures finish.
fn sorted_errors(response: &TestResponse) -> Vec<String> {
    let mut errors: Vec<String> = response.body["errors"]
        .as_array()
        .map(|errors| errors.iter().map(Value::to_string).collect())
        .unwrap_or_default();
    errors.sort();
    // A root field selected twice reports its error once on the planned path.
    errors.dedup();
    errors
}

/// What differs between the planned answer and the field-by-field one to `query`, if anything:
/// the status, the data (members in the same order), or the errors.
pub fn difference(query: &str, planned: &TestResponse, reference: &TestResponse) -> Option<String> {
    // The spec forbids one response key for different fields or arguments; the planned path
    // refuses them, async-graphql's resolvers merge their answers as they come.
    if planned.text.contains("; give each an alias") {
        return None;
    }
    if planned.status != reference.status {
        return Some(format!("status {} != {}", planned.status, reference.status));
    }
    let differs = || {
        format!(
            "planned {}\nfield by field {}",
            planned.text, reference.text
        )
    };
    if planned.text == reference.text {
        return None;
    }
    if sorted_errors(planned) != sorted_errors(reference) {
        return Some(differs());
    }
    // An object whose every field is skipped is `{}` on the planned path, as the spec has it;
    // async-graphql's resolvers answer null, and keep that null when the same field is selected
    // again with fields left. They also keep a null for an object whose selected fields all
    // failed when the same root field, selected twice, answers it in full. Where the query
    // skips or includes, or where an error lies below it, such a null is no difference.
    let skips = query.contains("@skip") || query.contains("@include");
    let failed: Vec<Value> = reference.body["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["path"].clone()).collect())
        .unwrap_or_default();
    let tolerated = |path: &[Value]| {
        skips
            || failed.iter().any(|error| {
                error
                    .as_array()
                    .is_some_and(|error| error.len() > path.len() && error.starts_with(path))
            })
    };
    let same = agrees(
        &planned.body["data"],
        &reference.body["data"],
        &mut Vec::new(),
        &tolerated,
    );
    // Without errors, the members must also come in the same order.
    let ordered = reference.body.get("errors").is_some() || skips;
    (!same || !ordered).then(differs)
}

/// Whether the planned data agrees with the reference's, where `tolerated` says at which paths
/// a planned object may stand for the reference's null.
fn agrees(
    planned: &Value,
    reference: &Value,
    path: &mut Vec<Value>,
    tolerated: &dyn Fn(&[Value]) -> bool,
) -> bool {
    match (planned, reference) {
        (Value::Object(_), Value::Null) => tolerated(path),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().all(|(key, value)| {
                    b.get(key).is_some_and(|other| {
                        path.push(Value::String(key.clone()));
                        let agrees = agrees(value, other, path, tolerated);
                        path.pop();
                        agrees
                    })
                })
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len()
                && a.iter().zip(b).enumerate().all(|(index, (a, b))| {
                    path.push(Value::from(index));
                    let agrees = agrees(a, b, path, tolerated);
                    path.pop();
                    agrees
                })
        }
        (a, b) => a == b,
    }
}

/// Asserts that both paths give `query` the same answer; returns the planned one.
pub async fn assert_same_answer(app: &TestApp, query: &str, variables: Value) -> TestResponse {
    let planned = app.graphql_with(query, variables.clone()).await;
    let reference = app.graphql_field_by_field(query, variables).await;
    if let Some(difference) = difference(query, &planned, &reference) {
        panic!("{query}\n{difference}");
    }
    planned
}

#[tokio::test]
async fn the_reference_really_resolves_field_by_field() {
    let app = TestApp::spawn().await;
    let query = "{ institutions { cleanrooms { totalCount } } }";

    let (field_by_field, reference) = app.statements_field_by_field(query).await;
    let (planned, answer) = app.statements_and_response(query).await;

    assert_eq!(answer.text, reference.text);
    // Institutions, then a page of cleanrooms per institution (each resolver reads its page),
    // then the counts; the plan knows no page is selected.
    assert_eq!((field_by_field, planned), (3, 2));
}

#[tokio::test]
async fn every_readme_example_is_answered_as_field_by_field() {
    let app = TestApp::spawn_with_generated(30).await;
    let examples = format!("{}/examples", env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = std::fs::read_dir(examples)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();

    for path in &paths {
        let query = std::fs::read_to_string(path).unwrap();
        let answer = assert_same_answer(&app, &query, json!({})).await;
        assert!(answer.body.get("errors").is_none(), "{path:?}: {answer:?}");
    }
    assert!(paths.len() >= 10, "{paths:?}");
}

#[tokio::test]
async fn planning_features_are_answered_as_field_by_field() {
    let app = TestApp::spawn_with_generated(12).await;
    let ids = app
        .data("{ units(first: 2) { nodes { id } } cleanrooms(first: 1) { nodes { id } } people(first: 1) { nodes { id } } }")
        .await;
    let unit = ids["units"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let other_unit = ids["units"]["nodes"][1]["id"].as_str().unwrap().to_owned();
    let cleanroom = ids["cleanrooms"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let person = ids["people"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let cursor = app
        .data("{ cleanrooms(first: 7) { pageInfo { endCursor } } }")
        .await["cleanrooms"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let cases: Vec<(String, Value)> = vec![
        // One field under aliases with different arguments, at the root and below.
        (
            r#"{ a: units(first: 2) { nodes { name } } b: units(first: 3, orderBy: [{ field: KIND, direction: DESC }]) { totalCount nodes { kind name } } }"#.to_owned(),
            json!({}),
        ),
        (
            r#"{ units(first: 4) { nodes { ki: cleanrooms(first: 2, filter: { grade: { eq: B } }) { totalCount nodes { code grade } }
                 all: cleanrooms(first: 5) { nodes { code } pageInfo { hasNextPage endCursor } } } } }"#.to_owned(),
            json!({}),
        ),
        // Fragments, inline fragments, fields selected twice and merged, `__typename`.
        (
            r#"query Q { units(first: 3) { ...Page nodes { institution { code } } } }
               fragment Page on UnitConnection { __typename totalCount nodes { __typename ...Named institution { name } } }
               fragment Named on Unit { name shortName ... on Node { id } }"#.to_owned(),
            json!({}),
        ),
        // Directives with variables, and variables with defaults.
        (
            r#"query Q($with: Boolean!, $without: Boolean = false, $size: Int = 2, $grade: GmpGrade) {
                 cleanrooms(first: $size, filter: { grade: { eq: $grade } }) {
                   nodes { code unit @include(if: $with) { name } name @skip(if: $without) grade @skip(if: $with) }
                   edges @include(if: $without) { cursor }
                 } }"#.to_owned(),
            json!({ "with": true, "grade": "C" }),
        ),
        // `node` and `nodes` with inline fragments on their types, a missing ID among them.
        (
            format!(
                r#"{{ node(id: "{unit}") {{ id ... on Unit {{ name children {{ totalCount }} }} ... on Cleanroom {{ code }} }}
                     nodes(ids: ["{cleanroom}", "{person}", "{other_unit}", "VW5pdDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA", "{unit}"]) {{
                       __typename id ... on Cleanroom {{ code unit {{ name }} }} ... on Person {{ name appointments(first: 2) {{ nodes {{ title }} }} }}
                       ... on Unit {{ shortName parent {{ name }} }} }} }}"#
            ),
            json!({}),
        ),
        // Cursors, backward pages and page info, at the root and below.
        (
            format!(
                r#"{{ cleanrooms(first: 3, after: "{cursor}") {{ edges {{ cursor node {{ code }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }}
                     units(last: 2) {{ pageInfo {{ hasPreviousPage hasNextPage }} nodes {{ name people(last: 1) {{ edges {{ cursor node {{ name }} }} }} }} }} }}"#
            ),
            json!({}),
        ),
        // Every kind of record, with its references both ways.
        (
            r#"{ institutions { code name kind rorId city homepage provenance { kind sampleFields }
                   milestones(first: 2) { nodes { year title unit { shortName } institution { code } } }
                   products(first: 2) { nodes { name atmpClass stage developingUnit { name } trials { nodes { title phase status sponsor { code } principalInvestigator { name orcid } product { name } } } } } }
                 accreditations { nodes { scheme authority sinceYear unit { name accreditations { totalCount } } institution { code } } }
                 people(first: 3) { nodes { givenName familyName name orcid trialsLed { totalCount } appointments { nodes { role area startYear endYear unit { name } institution { code } person { name } } } } } }"#.to_owned(),
            json!({}),
        ),
        // Errors: a bad argument below a list, reported for each row; an unknown code; a
        // cursor of another list.
        (
            r#"{ units(first: 3) { totalCount nodes { name cleanrooms(first: -1) { totalCount } people { totalCount } } } }"#.to_owned(),
            json!({}),
        ),
        (
            r#"{ institutions { code units(filter: { institution: { eq: "XX" } }) { totalCount } } }"#.to_owned(),
            json!({}),
        ),
        (
            format!(r#"{{ a: units(after: "{cursor}") {{ totalCount }} b: cleanrooms(first: 1) {{ nodes {{ code }} }} }}"#),
            json!({}),
        ),
        (
            r#"{ node(id: "not an id") { id } institution(code: "KI") { code } missing: institution(code: "XX") { code } }"#.to_owned(),
            json!({}),
        ),
    ];
    for (query, variables) in cases {
        assert_same_answer(&app, &query, variables).await;
    }
}

#[tokio::test]
async fn a_nested_bad_argument_is_reported_for_each_row_before_anything_is_read() {
    let app = TestApp::spawn_with_generated(3).await;

    let (statements, response) = app
        .statements_and_response(
            "{ units(first: 2) { nodes { name cleanrooms(first: 1000) { totalCount } } } }",
        )
        .await;

    assert_eq!(
        response.error_messages(),
        ["`first` must be at most 100", "`first` must be at most 100"]
    );
    assert_eq!(
        response.body["errors"][1]["path"],
        json!(["units", "nodes", 1, "cleanrooms"])
    );
    // Each row's `cleanrooms` is non-null, and so is everything up to the root: the data is
    // null, as the specification's "Handling Field Errors" has it.
    assert_eq!(response.body["data"], Value::Null);
    assert!(response.body.get("data").is_some(), "{response:?}");
    // The units' page only: the refused field reads nothing.
    assert_eq!(statements, 1);
}

#[tokio::test]
async fn an_object_whose_every_field_is_skipped_is_an_empty_object() {
    let app = TestApp::spawn().await;

    let data = app
        .data("query($skip: Boolean = true) { institutions { code @skip(if: $skip) } }")
        .await;

    assert_eq!(data, json!({ "institutions": [{}, {}] }));
}

#[tokio::test]
async fn one_response_key_for_different_fields_or_arguments_is_refused() {
    let app = TestApp::spawn().await;
    let cases = [
        // async-graphql's validation refuses this within one selection set…
        (
            "{ units(first: 1) { nodes { a: name a: shortName } } }",
            "Fields \"a\" conflict because \"name\" and \"shortName\" are different fields. Use different aliases on the fields to fetch both if this was intentional.",
        ),
        // …but not across the selection sets of one field selected twice.
        (
            "{ units(first: 1) { nodes { a: name } nodes { a: shortName } } }",
            "`a` names both `name` and `shortName`; give each an alias",
        ),
        (
            "{ units(first: 1) { nodes { cleanrooms(first: 1) { totalCount } ... on Unit { cleanrooms(first: 2) { totalCount } } } } }",
            "`cleanrooms` is selected more than once as `cleanrooms` with different arguments; give each an alias",
        ),
        (
            r#"{ node(id: "VW5pdDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDE") { id } ... on Query { node(id: "VW5pdDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDI") { id } } }"#,
            "`node` is selected more than once as `node` with different arguments; give each an alias",
        ),
    ];
    for (query, message) in cases {
        let response = app.graphql(query).await;

        assert_eq!(
            response.error_codes(),
            ["BAD_USER_INPUT"],
            "{query}: {response:?}"
        );
        assert_eq!(response.error_messages(), [message], "{query}");
    }
}

#[tokio::test]
async fn aggregates_are_answered_as_field_by_field() {
    let app = TestApp::spawn_with_generated(12).await;

    let cases: Vec<(&str, Value, bool)> = vec![
        // Keys of every shape, two of them naming institutions, records with their own
        // references and relations, keys not grouped by, `__typename` at each level.
        (
            r#"{ trialsAggregate(groupBy: [SPONSOR, INSTITUTION, MANUFACTURING_UNIT, PRINCIPAL_INVESTIGATOR]) {
                   __typename count keys { __typename sponsor { code } institution { code name }
                     manufacturingUnit { name parent { name } cleanrooms(first: 2) { totalCount nodes { code } } }
                     principalInvestigator { name appointments(first: 1) { nodes { title } } }
                     phase product { name } startYear } } }"#,
            json!({}),
            true,
        ),
        // Every measure, under aliases and in fragments; a count selected twice.
        (
            r#"query Q { unitsAggregate(groupBy: [KIND, ESTABLISHED_YEAR]) { ...Counts
                   keys { kind establishedYear parent { name } }
                   min(field: ESTABLISHED_YEAR) latest: max(field: ESTABLISHED_YEAR)
                   sum(field: ESTABLISHED_YEAR) avg(field: ESTABLISHED_YEAR)
                   ... on UnitAggregate { count parents: countDistinct(field: PARENT) } } }
               fragment Counts on UnitAggregate { count institutions: countDistinct(field: INSTITUTION) }"#,
            json!({}),
            true,
        ),
        // Variables for the keys and the filter; a filter matching nothing, with and without
        // keys; one response key selected twice and merged.
        (
            r#"query Q($keys: [CleanroomGroupField!], $grade: GmpGrade = B) {
                 cleanroomsAggregate(groupBy: $keys, filter: { grade: { eq: $grade } }) { count keys { grade unit { name } } sum(field: AREA_M2) }
                 none: productsAggregate(filter: { name: { eq: "no such product" } }) { count avg: min(field: FIRST_YEAR) }
                 noneGrouped: productsAggregate(filter: { name: { eq: "no such product" } }, groupBy: [INSTITUTION]) { count }
                 appointmentsAggregate(groupBy: [PERSON]) { count }
                 appointmentsAggregate(groupBy: [PERSON]) { keys { person { name } } } }"#,
            json!({ "keys": ["UNIT", "GRADE"] }),
            true,
        ),
        // Refused: too many keys, an unknown institution in the filter.
        (
            r#"{ trialsAggregate(groupBy: [SPONSOR, INSTITUTION, PHASE, STATUS, PRODUCT]) { count }
                 unitsAggregate { count } }"#,
            json!({}),
            false,
        ),
        (
            r#"{ unitsAggregate(filter: { institution: { eq: "XX" } }) { count } }"#,
            json!({}),
            false,
        ),
    ];
    for (query, variables, answered) in cases {
        let answer = assert_same_answer(&app, query, variables).await;
        assert_eq!(
            answer.body.get("errors").is_none(),
            answered,
            "{query}: {answer:?}"
        );
        if answered {
            assert!(answer.text.contains("\"count\":"), "{query}: {answer:?}");
        }
    }
}

#[tokio::test]
async fn an_aggregates_keys_naming_one_kind_are_read_in_one_statement_as_field_by_field() {
    let app = TestApp::spawn_with_generated(6).await;
    // The sponsor and the institution are both institutions; the manufacturing unit and its
    // parent are units, the parent a level below.
    let query = "{ trialsAggregate(groupBy: [SPONSOR, INSTITUTION, MANUFACTURING_UNIT]) { count \
        keys { sponsor { code } institution { name } manufacturingUnit { name parent { name } } } } }";

    let (planned, answer) = app.statements_and_response(query).await;
    let (field_by_field, reference) = app.statements_field_by_field(query).await;

    assert!(answer.body.get("errors").is_none(), "{answer:?}");
    assert_eq!(answer.text, reference.text);
    // The aggregate, the institutions, the units, then their parents (in each source).
    assert_eq!(planned, 4);
    assert_eq!(planned, field_by_field);
}

#[tokio::test]
async fn search_is_answered_as_field_by_field() {
    let app = TestApp::spawn_with_generated(12).await;
    let cursor = app
        .data(r#"{ search(text: "gen", first: 3) { pageInfo { endCursor } } }"#)
        .await["search"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let cases: Vec<(String, Value, bool)> = vec![
        // Edges and nodes with different selections on each kind, fragments on the union, on
        // `Node` and on the members, `__typename` at every level, references and relations
        // below the records.
        (
            r#"query Q { search(text: "gen", first: 30) { __typename totalCount
                 edges { __typename cursor matched node { __typename ... on Node { id }
                   ... on Unit { name parent { name } cleanrooms(first: 2) { totalCount nodes { code } } }
                   ... on Person { ...Person } } }
                 nodes { ... on SearchResult { __typename } ... on Cleanroom { code unit { name } } ... on Trial { title product { name } }
                   ... on Product { name developingUnit { shortName } } ... on Unit { shortName } }
                 pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } } }
               fragment Person on Person { name appointments(first: 1) { nodes { title unit { name } } } }"#
                .to_owned(),
            json!({}),
            true,
        ),
        // Kinds, a cursor and variables; a search that finds nothing; one response key
        // selected twice and merged.
        (
            format!(
                r#"query Q($kinds: [SearchKind!], $first: Int = 4) {{
                     search(text: "gen", first: $first, kinds: $kinds) {{ edges {{ cursor node {{ ... on Unit {{ name }} ... on Person {{ name }} }} }} totalCount }}
                     next: search(text: "gen", first: $first, after: "{cursor}") {{ edges {{ cursor matched }} pageInfo {{ hasPreviousPage }} }}
                     none: search(text: "no such record at all") {{ totalCount nodes {{ __typename }} pageInfo {{ startCursor endCursor }} }}
                     again: search(text: "vecura") {{ nodes {{ ... on Unit {{ name }} }} }}
                     again: search(text: "vecura") {{ totalCount nodes {{ ... on Cleanroom {{ code }} }} }} }}"#
            ),
            json!({ "kinds": ["UNIT", "PERSON", "UNIT"] }),
            true,
        ),
        // Refused: no letter or digit, a page too large, a cursor of another list.
        (
            r#"{ search(text: "  --  ") { totalCount } units(first: 1) { totalCount } }"#
                .to_owned(),
            json!({}),
            false,
        ),
        (
            r#"{ search(text: "gen", first: 1000) { nodes { __typename } } }"#.to_owned(),
            json!({}),
            false,
        ),
        (
            format!(
                r#"{{ cleanrooms(after: "{cursor}") {{ totalCount }} search(text: "gen", after: "{cursor}") {{ totalCount }} }}"#
            ),
            json!({}),
            false,
        ),
    ];
    for (query, variables, answered) in cases {
        let answer = assert_same_answer(&app, &query, variables).await;
        assert_eq!(
            answer.body.get("errors").is_none(),
            answered,
            "{query}: {answer:?}"
        );
    }
}

#[tokio::test]
async fn a_search_reads_each_kind_found_once_and_no_record_when_none_is_selected() {
    let app = TestApp::spawn().await;
    let query = r#"{ search(text: "vecura", first: 20) {
        nodes { ... on Unit { name } ... on Cleanroom { code } }
        edges { node { ... on Unit { shortName } ... on Cleanroom { name } } } } }"#;

    let (with_records, answer) = app.statements_and_response(query).await;
    let (field_by_field, reference) = app.statements_field_by_field(query).await;
    let (without_records, counted) = app
        .statements_and_response(
            r#"{ search(text: "vecura", first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { cursor matched } } }"#,
        )
        .await;

    assert!(answer.body.get("errors").is_none(), "{answer:?}");
    assert!(counted.body.get("errors").is_none(), "{counted:?}");
    assert_eq!(answer.text, reference.text);
    // The hits, then one statement per kind found (the units, the cleanrooms, and the
    // products and trials whose descriptions name Vecura), for both selections at once.
    assert!((3..=5).contains(&with_records), "{with_records}");
    assert_eq!(with_records, field_by_field);
    // The hits and their count: no record is read where none is selected.
    assert_eq!(without_records, 2);
}

#[tokio::test]
async fn a_fragment_on_a_union_applies_to_its_members_in_a_list() {
    let app = TestApp::spawn().await;

    // The specification's DoesFragmentTypeApply: a unit is a `SearchResult`. (async-graphql's
    // resolvers skip such a fragment outside a field of the union's type, so the
    // field-by-field path is no reference here.)
    let data = app
        .data(r#"{ units(first: 2) { nodes { ... on SearchResult { __typename ... on Unit { name } } } } }"#)
        .await;

    let nodes = data["units"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    for node in nodes {
        assert_eq!(node["__typename"], "Unit", "{data}");
        assert!(node["name"].is_string(), "{data}");
    }
}

#[tokio::test]
async fn a_query_that_introspects_answers_its_planned_fields_as_field_by_field() {
    let app = TestApp::spawn().await;
    let id = app.data("{ units(first: 1) { nodes { id } } }").await["units"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The fields of abstract type below the planned roots (`SearchResult`, `Node`) show only
    // what the client selected, whatever the ordering of the answer needs.
    let query = format!(
        r#"{{ __schema {{ queryType {{ name }} }}
             search(text: "vecura", first: 3) {{ nodes {{ ... on Unit {{ name }} }} }}
             node(id: "{id}") {{ ... on Unit {{ shortName }} }} }}"#
    );
    let answer = assert_same_answer(&app, &query, json!({})).await;

    assert!(answer.body.get("errors").is_none(), "{answer:?}");
    assert!(!answer.text.contains("__typename"), "{answer:?}");
}
