//! Statements per request are bounded by the query's depth, never by its rows.

use std::collections::BTreeSet;

use atmp_graph::domain::{natural_id, RecordKind};
use atmp_graph::seed::generate;
use atmp_graph::store::Dataset;
use serde_json::{json, Value};

use crate::helpers::{generated_options, node_id, TestApp};

/// Each generated unit among `units` (rows with their `id`), with its record, and how many
/// people are appointed in it.
fn generated_units<'a>(
    units: &'a [Value],
    dataset: &'a Dataset,
) -> Vec<(&'a Value, &'a entities::unit::Model, usize)> {
    dataset
        .units
        .iter()
        .filter_map(|record| {
            let row = units
                .iter()
                .find(|u| u["id"] == node_id("Unit", record.id))?;
            let people: BTreeSet<_> = dataset
                .appointments
                .iter()
                .filter(|a| a.unit_id == Some(record.id))
                .map(|a| a.person_id)
                .collect();
            Some((row, record, people.len()))
        })
        .collect()
}

const NESTED: &str = r#"{ units(first: 100) { totalCount nodes { id name
    institution { code }
    cleanrooms(first: 5) { totalCount nodes { code grade } }
    people(first: 5) { nodes { name } } } } }"#;

#[tokio::test]
async fn a_hundred_units_with_institution_cleanrooms_and_people_take_two_statements() {
    let app = TestApp::spawn_with_generated(120).await;

    let (statements, data) = app.statements_for(NESTED).await;

    let units = data["units"]["nodes"].as_array().unwrap();
    assert_eq!(units.len(), 100);
    assert_eq!(
        data["units"]["totalCount"], 132,
        "12 seeded units and 120 generated"
    );
    let dataset = generate(generated_options(120));
    let generated = generated_units(units, &dataset);
    assert!(generated.len() >= 88, "{}", generated.len());
    let ki = natural_id(RecordKind::Institution, "KI");
    for (unit, record, people) in generated {
        let code = if record.institution_id == ki {
            "KI"
        } else {
            "KUH"
        };
        assert_eq!(unit["institution"]["code"], code, "{unit}");
        assert_eq!(unit["cleanrooms"]["totalCount"], 5, "{unit}");
        assert_eq!(unit["people"]["nodes"].as_array().unwrap().len(), people);
    }
    // units page with their institution joined and the units' count; the level below in one
    // statement: cleanroom pages with their counts and people pages, two branches
    assert_eq!(statements, 2);
}

#[tokio::test]
async fn ten_units_take_as_many_statements_as_a_hundred() {
    let app = TestApp::spawn_with_generated(120).await;

    let (statements, data) = app
        .statements_for(&NESTED.replace("first: 100", "first: 10"))
        .await;

    assert_eq!(data["units"]["nodes"].as_array().unwrap().len(), 10);
    assert_eq!(statements, 2);
}

#[tokio::test]
async fn a_deeper_query_costs_one_statement_per_level_and_no_count_unless_asked() {
    let app = TestApp::spawn_with_generated(30).await;

    let (statements, _) = app
        .statements_for(
            r#"{ trials(first: 30) { nodes { title
                principalInvestigator { name appointments { nodes { unit { name products { nodes { name } } } } } } } } }"#,
        )
        .await;

    // trials with their principal investigator joined, appointment pages with their unit
    // joined, product pages; split, the same per source: each source joins the units it holds
    // (these appointments' units are all their own institution's)
    assert_eq!(statements, 3);
}

#[tokio::test]
async fn a_heavy_query_run_off_the_workers_batches_the_same() {
    let app = TestApp::spawn_with_generated(120).await;
    let aliases: String = (0..45)
        .map(|i| format!("i{i}: institution {{ {} }} ", "code name kind ".repeat(4)))
        .collect();

    let (statements, data) = app
        .statements_for(&format!(
            "{{ units(first: 100) {{ nodes {{ {aliases} }} }} }}"
        ))
        .await;

    assert_eq!(data["units"]["nodes"].as_array().unwrap().len(), 100);
    // units page, with their institution joined once for all 45 aliases
    assert_eq!(statements, 1);
}

#[tokio::test]
async fn every_readme_example_takes_one_statement_per_relation_and_level() {
    let app = TestApp::spawn_with_generated(30).await;
    // What each level loads, one statement each (a page's count is read with it). Split, the
    // second figure, per source: each source joins the references it holds, and the rows a
    // reference names in another source (none here) would be read as a level of their own;
    // people under a joint unit are counted again, each once.
    let expected = [
        // institutions; their units pages with counts; the units' people pages with counts
        ("01-institutions-and-units", 3, 4),
        // units with their institution joined; their cleanroom pages with counts
        ("02-cleanrooms", 2, 2),
        // units; their appointment pages with each appointment's person and institution joined
        ("03-atmp-center-leadership", 2, 2),
        // people with their count; their appointment pages with institution and unit joined
        ("04-people-across-institutions", 2, 2),
        // milestones with their institution and unit joined
        ("05-timeline", 1, 1),
        // products with their institution and developing unit joined; their trials; the
        // trials' manufacturing units are units already read, answered from the request's rows
        ("06-products-and-trials", 2, 2),
        // accreditations with their unit and its institution joined; institutions; the
        // institutions' cleanroom counts (only the count is selected: no page)
        ("07-accreditations-and-facilities", 3, 3),
        // cleanrooms with their unit and its institution joined
        ("08-cleanroom-list", 1, 1),
    ];
    for (name, one, split) in expected {
        let statements = app.split_or(one, split);
        let path = format!("{}/examples/{name}.graphql", env!("CARGO_MANIFEST_DIR"));
        let query = std::fs::read_to_string(&path).unwrap();

        let (counted, _) = app.statements_for(&query).await;

        assert_eq!(counted, statements, "{name}");
    }
}

/// The units after the first `first` units, 5 at most, with their count.
async fn units_after_the_first(app: &TestApp, first: usize) -> (usize, Value) {
    let page = app
        .data(&format!(
            "{{ units(first: {first}) {{ pageInfo {{ endCursor }} }} }}"
        ))
        .await;
    let cursor = page["units"]["pageInfo"]["endCursor"].as_str().unwrap();
    app.statements_for(&format!(
        r#"{{ units(first: 5, after: "{cursor}") {{ totalCount nodes {{ name }} }} }}"#
    ))
    .await
}

#[tokio::test]
async fn a_count_past_a_cursor_is_the_whole_lists_and_read_with_its_page() {
    let app = TestApp::spawn_with_generated(30).await;

    let (statements, data) = units_after_the_first(&app, 40).await;

    assert_eq!(
        data["units"]["totalCount"], 42,
        "12 seeded units and 30 generated"
    );
    assert_eq!(data["units"]["nodes"].as_array().unwrap().len(), 2);
    // the page and its count in one statement
    assert_eq!(statements, 1);
}

#[tokio::test]
async fn an_empty_page_past_the_end_still_counts_the_whole_list() {
    let app = TestApp::spawn().await;

    let (statements, data) = units_after_the_first(&app, 100).await;

    assert_eq!(
        data["units"],
        json!({ "totalCount": 12, "nodes": [] }),
        "the seed's 12 units"
    );
    // an empty page carries no count: the count is a statement of its own
    assert_eq!(statements, 2);
}

#[tokio::test]
async fn nested_counts_under_a_cursor_count_every_child_of_each_parent() {
    let app = TestApp::spawn_with_generated(3).await;
    let query = |position: &str| {
        format!(
            r#"{{ units(first: 100, filter: {{ kind: {{ eq: GMP_FACILITY }} }}) {{ nodes {{ name
                cleanrooms({position}) {{ totalCount pageInfo {{ endCursor }} nodes {{ code }} }} }} }} }}"#
        )
    };
    // Vecura's rooms, past the cursor of its first two.
    let vecura = |data: &Value| -> Value {
        data["units"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == "Vecura GMP unit")
            .unwrap()["cleanrooms"]
            .clone()
    };
    let counts = |data: &Value| -> Vec<(Value, Value)> {
        data["units"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (u["name"].clone(), u["cleanrooms"]["totalCount"].clone()))
            .collect()
    };
    let unpaged = app.data(&query("first: 2")).await;
    let cursor = vecura(&unpaged)["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let (statements, paged) = app
        .statements_for(&query(&format!(r#"first: 2, after: "{cursor}""#)))
        .await;

    assert_eq!(
        counts(&paged),
        counts(&unpaged),
        "a cursor narrows no count"
    );
    assert_eq!(vecura(&paged)["totalCount"], 13);
    assert_eq!(
        vecura(&paged)["nodes"],
        json!([{ "code": "VECURA-03" }, { "code": "VECURA-04" }])
    );
    // units; the cleanroom pages past the cursor, and their counts: on PostgreSQL lateral
    // counts in the pages' statement, on SQLite a statement alongside
    assert_eq!(statements, if app.all_postgres() { 2 } else { 3 });
}

#[tokio::test]
async fn every_relation_of_a_level_is_one_statement_whatever_its_shape() {
    let app = TestApp::spawn_with_generated(40).await;
    // A cursor of a unit's appointments, from the first appointment of a unit that has one.
    let cursor = app
        .data(
            "{ units(first: 1, filter: { appointments: { some: {} } }) { nodes { appointments(first: 1) { pageInfo { endCursor } } } } }",
        )
        .await["units"]["nodes"][0]["appointments"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("the unit has an appointment")
        .to_owned();
    // Five connections under each unit: cleanrooms with their count, people, appointments
    // with each one's person and institution joined, products ordered backwards, only the
    // count of accreditations; and the same appointments again under an alias, past a
    // cursor, counted.
    let query = format!(
        r#"{{ units(first: 30) {{ nodes {{ id name
            cleanrooms(first: 3) {{ totalCount nodes {{ code grade }} }}
            people(first: 2) {{ nodes {{ name }} }}
            appointments(first: 2) {{ nodes {{ title person {{ name }} institution {{ code }} }} }}
            products(last: 2) {{ nodes {{ name }} }}
            later: appointments(first: 2, after: {}) {{ totalCount nodes {{ title }} }}
            accreditations {{ totalCount }}
        }} }} }}"#,
        serde_json::to_string(&cursor).unwrap()
    );

    let (statements, data) = app.statements_for(&query).await;
    let planned = crate::planned::assert_same_answer(&app, &query, json!({})).await;

    assert_eq!(planned.data(), &data);
    let units = data["units"]["nodes"].as_array().unwrap();
    assert_eq!(units.len(), 30);
    let dataset = generate(generated_options(40));
    let generated = generated_units(units, &dataset);
    assert!(generated.len() >= 18, "{}", generated.len());
    for (unit, _, people) in generated {
        assert_eq!(unit["cleanrooms"]["totalCount"], 5, "{unit}");
        assert_eq!(unit["cleanrooms"]["nodes"].as_array().unwrap().len(), 3);
        assert_eq!(
            unit["people"]["nodes"].as_array().unwrap().len(),
            people.min(2)
        );
        let appointments = unit["appointments"]["nodes"].as_array().unwrap();
        assert!(appointments.iter().all(|a| a["person"]["name"].is_string()));
    }
    let cast = units
        .iter()
        .find(|u| u["name"] == "Cell Therapy and Allogeneic Stem Cell Transplantation");
    assert!(
        cast.is_some_and(|u| u["accreditations"]["totalCount"].as_u64() > Some(0)),
        "{cast:?}"
    );
    // units; the level below in one statement, six branches; the aliased appointments'
    // counts under a cursor, which its rows no longer carry: on PostgreSQL a lateral count in
    // that statement, on SQLite a statement of their own
    assert_eq!(statements, if app.all_postgres() { 2 } else { 3 });
}

#[tokio::test]
async fn a_level_s_statement_is_the_same_text_whatever_the_number_of_parents_on_postgres() {
    if crate::helpers::skip_without_postgres("statement text per number of parents") {
        return;
    }
    let app = TestApp::spawn_with_generated(20).await;
    if !app.all_postgres() {
        eprintln!("statement text per number of parents: skipped, a source is SQLite");
        return;
    }
    let query = |n: usize| {
        format!("{{ units(first: {n}) {{ nodes {{ cleanrooms(first: 2) {{ totalCount nodes {{ code }} }} people(first: 1) {{ nodes {{ name }} }} }} }} }}")
    };
    let seven = app.statement_texts_for(&query(7)).await;
    let nine = app.statement_texts_for(&query(9)).await;
    // The units, then their cleanrooms and people in one statement, the parents one parameter:
    // the driver's prepared statement and PostgreSQL's plan serve both page sizes.
    assert_eq!(seven.len(), 2, "{seven:#?}");
    assert_eq!(seven, nine);
}
