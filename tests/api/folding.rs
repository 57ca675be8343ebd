//! Folding: `contains` and `startsWith` compare the text asked for and the text stored, both
//! folded by one function, so every part of a stored text finds it whatever its characters
//! (letters that do not decompose, dashes, quotes); which fields fold for `eq` as well.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{json, Map, Value};

use atmp_graph::seed::{generate, GenerateOptions};

use crate::helpers::TestApp;

/// People by a test of their appointments' area.
async fn people_by_area(app: &TestApp, test: &str) -> Value {
    app.data(&format!(
        "{{ people(filter: {{ appointments: {{ some: {{ area: {{ {test} }} }} }} }}) {{ totalCount nodes {{ familyName }} }} }}"
    ))
    .await
}

#[tokio::test]
async fn an_en_dash_is_found_by_contains_and_starts_with_as_by_eq() {
    let app = TestApp::spawn().await;
    let both = json!({
        "people": { "totalCount": 2, "nodes": [{ "familyName": "Mielke" }, { "familyName": "Wang" }] }
    });
    for test in [
        r#"eq: "Clinical application – care and treatment""#,
        r#"contains: "–""#,
        r#"contains: "Clinical application – care and treatment""#,
        r#"startsWith: "Clinical application –""#,
        // Folded, an en dash is a hyphen, and case does not count.
        r#"contains: "APPLICATION - CARE""#,
    ] {
        assert_eq!(people_by_area(&app, test).await, both, "{test}");
    }
    assert_eq!(
        people_by_area(&app, r#"contains: "application — care""#).await,
        json!({ "people": { "totalCount": 0, "nodes": [] } }),
        "an em dash is two hyphens"
    );
}

#[tokio::test]
async fn a_database_written_before_text_keys_is_keyed_when_the_service_starts() {
    let app = TestApp::spawn().await;
    app.execute_everywhere("DELETE FROM text_key").await;
    let none = json!({ "people": { "totalCount": 0, "nodes": [] } });
    assert_eq!(people_by_area(&app, r#"contains: "–""#).await, none);
    atmp_graph::app::prepare(&app.app.store).await.unwrap();
    assert_eq!(
        people_by_area(&app, r#"contains: "–""#).await["people"]["totalCount"],
        2
    );
}

/// Rooms generated in one unit, written through the store's write path.
fn rooms(count: usize) -> atmp_graph::store::Dataset {
    let mut dataset = generate(GenerateOptions {
        units: 1,
        cleanrooms_per_unit: count,
        people_per_unit: 0,
        ..Default::default()
    });
    dataset.cleanrooms.truncate(count);
    atmp_graph::store::Dataset {
        source: dataset.source,
        units: dataset.units,
        cleanrooms: dataset.cleanrooms,
        ..Default::default()
    }
}

/// How many rooms with code `code` each of `tests` on `name` finds, asked in one request.
async fn rooms_found(app: &TestApp, code: &str, tests: &[(&str, &str)]) -> Vec<Value> {
    let mut fields = Vec::new();
    let mut declared = Vec::new();
    let mut variables = Map::new();
    for (i, (operator, text)) in tests.iter().enumerate() {
        declared.push(format!("$t{i}: String!"));
        fields.push(format!(
            r#"f{i}: cleanrooms(filter: {{ code: {{ eq: "{code}" }}, name: {{ {operator}: $t{i} }} }}) {{ totalCount }}"#
        ));
        variables.insert(format!("t{i}"), json!(text));
    }
    let query = format!("query({}) {{ {} }}", declared.join(", "), fields.join(" "));
    let response = app.graphql_with(&query, Value::Object(variables)).await;
    assert!(response.error_codes().is_empty(), "{response:?}");
    (0..tests.len())
        .map(|i| response.data()[format!("f{i}")]["totalCount"].clone())
        .collect()
}

#[tokio::test]
async fn a_renamed_record_is_found_by_its_new_text_only() {
    let app = TestApp::spawn().await;
    let mut dataset = rooms(1);
    let code = dataset.cleanrooms[0].code.clone();
    dataset.cleanrooms[0].name = Some("Øresund – “A”".to_owned());
    app.app.store.upsert(&dataset).await.unwrap();
    dataset.cleanrooms[0].name = Some("Łódź".to_owned());
    app.app.store.upsert(&dataset).await.unwrap();
    let tests = [
        ("contains", "oresund"),
        ("startsWith", "Ø"),
        ("contains", "lodz"),
        ("startsWith", "ŁÓ"),
    ];
    assert_eq!(
        rooms_found(&app, &code, &tests).await,
        [json!(0), json!(0), json!(1), json!(1)]
    );
}

/// Texts drawn mostly from characters folding takes apart (letters NFKD does not decompose,
/// dashes, quotes, white space, control characters, CJK, one without a transliteration), and
/// any other but NUL, which PostgreSQL cannot hold.
fn text() -> impl Strategy<Value = String> {
    let tricky = proptest::sample::select(vec![
        'ø', 'Ø', 'æ', 'ß', 'Ł', 'ł', 'đ', 'þ', 'ı', 'ﬁ', 'é', 'ö', 'Å', '–', '—', '’', '“', '”',
        '„', ' ', '\t', '\n', '\u{a0}', '\u{1}', '\u{7f}', '\u{301}', '中', '☃', '\u{e000}', 'a',
        'Z', '-', '%', '_', '\\',
    ]);
    let character =
        prop_oneof![3 => tricky, 1 => any::<char>().prop_filter("not NUL", |c| *c != '\0')];
    proptest::collection::vec(character, 1..8).prop_map(|chars| chars.into_iter().collect())
}

/// Every part of `text` between character boundaries, and whether it begins the text.
fn parts(text: &str) -> Vec<(bool, &str)> {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(at, _)| at)
        .chain([text.len()])
        .collect();
    let mut parts = Vec::new();
    for (n, &start) in bounds.iter().enumerate() {
        for &end in bounds.iter().skip(n + 1) {
            parts.push((start == 0, &text[start..end]));
        }
    }
    parts
}

#[tokio::test]
async fn every_part_of_a_stored_name_finds_it_and_every_beginning_with_starts_with() {
    let app = TestApp::spawn().await;
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(6),
        ..Config::default()
    });
    let strategy = text();
    let mut dataset = rooms(12);
    for room in &mut dataset.cleanrooms {
        room.name = Some(strategy.new_tree(&mut runner).unwrap().current());
    }
    app.app.store.upsert(&dataset).await.unwrap();
    for room in &dataset.cleanrooms {
        let name = room.name.as_deref().unwrap();
        let mut tests = Vec::new();
        for (begins, part) in parts(name) {
            tests.push(("contains", part));
            if begins {
                tests.push(("startsWith", part));
            }
        }
        // Within the limits of aliases and root fields of one request.
        for chunk in tests.chunks(25) {
            let found = rooms_found(&app, &room.code, chunk).await;
            for (test, found) in chunk.iter().zip(found) {
                assert_eq!(found, json!(1), "{test:?} of {name:?}");
            }
        }
    }
}

/// The values of `key` of the rows of `list` matching `filter`, sorted.
async fn found(app: &TestApp, list: &str, key: &str, filter: &str) -> Vec<String> {
    let data = app
        .data(&format!(
            "{{ {list}(first: 100, filter: {filter}) {{ nodes {{ {key} }} }} }}"
        ))
        .await;
    let mut values: Vec<String> = data[list]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[key].as_str().unwrap().to_owned())
        .collect();
    values.sort();
    values
}

#[tokio::test]
async fn eq_ne_in_and_not_in_fold_on_the_folded_fields_and_compare_exactly_on_the_others() {
    let app = TestApp::spawn().await;
    let cases: [(&str, &str, &str, &[&str]); 15] = [
        // The four folded fields: each operator ignores case and diacritics.
        (
            "units",
            "name",
            r#"{ name: { eq: "VECURA gmp UNIT" } }"#,
            &["Vecura GMP unit"],
        ),
        (
            "people",
            "familyName",
            r#"{ name: { eq: "ahlen gustaf" } }"#,
            &["Ahlén"],
        ),
        (
            "products",
            "name",
            r#"{ name: { in: ["car-t cells for standard treatment"] } }"#,
            &["CAR-T cells for standard treatment"],
        ),
        (
            "trials",
            "title",
            r#"{ title: { eq: "CLINICAL TRIAL OF THERAPEUTIC PRODUCT A" } }"#,
            &["Clinical trial of therapeutic product A"],
        ),
        (
            "units",
            "name",
            r#"{ shortName: { eq: "Vecura" }, name: { notIn: ["vecura gmp unit"] } }"#,
            &[],
        ),
        (
            "units",
            "name",
            r#"{ shortName: { eq: "Vecura" }, name: { ne: "vecura gmp unit" } }"#,
            &[],
        ),
        // Every other text field: `eq`, `ne`, `in` and `notIn` as written.
        (
            "people",
            "familyName",
            r#"{ familyName: { eq: "ahlen" } }"#,
            &[],
        ),
        (
            "people",
            "familyName",
            r#"{ familyName: { eq: "Ahlén" } }"#,
            &["Ahlén"],
        ),
        (
            "people",
            "givenName",
            r#"{ givenName: { in: ["gustaf"] } }"#,
            &[],
        ),
        (
            "people",
            "givenName",
            r#"{ givenName: { in: ["Gustaf"] } }"#,
            &["Gustaf"],
        ),
        (
            "people",
            "familyName",
            r#"{ appointments: { some: { title: { eq: "ACTING CEO" } } } }"#,
            &[],
        ),
        (
            "people",
            "familyName",
            r#"{ appointments: { some: { title: { eq: "Acting CEO" } } } }"#,
            &["Rossi"],
        ),
        (
            "milestones",
            "title",
            r#"{ title: { eq: "the first pre-gmp unit in the nordic region is inaugurated at ki campus flemingsberg" } }"#,
            &[],
        ),
        (
            "milestones",
            "title",
            r#"{ title: { eq: "The first pre-GMP unit in the Nordic region is inaugurated at KI Campus Flemingsberg" } }"#,
            &["The first pre-GMP unit in the Nordic region is inaugurated at KI Campus Flemingsberg"],
        ),
        (
            "units",
            "shortName",
            r#"{ name: { eq: "Vecura GMP unit" }, shortName: { ne: "vecura" } }"#,
            &["Vecura"],
        ),
    ];
    for (list, key, filter, expected) in cases {
        assert_eq!(
            found(&app, list, key, filter).await,
            expected,
            "{list} {filter}"
        );
    }
}

#[tokio::test]
async fn the_schema_describes_as_folded_exactly_the_fields_that_fold_for_eq() {
    let app = TestApp::spawn().await;
    let data = app
        .data("{ __schema { types { name description inputFields { name description type { name } } } } }")
        .await;
    let types = data["__schema"]["types"].as_array().unwrap();
    let string_filter = types.iter().find(|t| t["name"] == "StringFilter").unwrap();
    assert_eq!(
        string_filter["description"],
        "Matches text. `contains` and `startsWith` always ignore case and diacritics (`sallberg`\n\
         finds Sällberg, an en dash is a hyphen). `eq`, `ne`, `in` and `notIn` ignore them as well\n\
         on a field described as folded (the name or title a record is listed by: a unit's, a\n\
         person's and a product's `name`, a trial's `title`), and compare exactly on every other\n\
         field (given and family names, the titles of appointments and milestones, codes, …). Every\n\
         test but `isNull: true` is false on a missing value."
    );
    let mut described = Vec::new();
    for kind in types {
        for field in kind["inputFields"].as_array().into_iter().flatten() {
            let description = field["description"].as_str().unwrap_or_default();
            if field["type"]["name"] == "StringFilter" && description.contains("folded") {
                described.push(format!(
                    "{}.{}",
                    kind["name"].as_str().unwrap(),
                    field["name"].as_str().unwrap()
                ));
            }
        }
    }
    described.sort();
    assert_eq!(
        described,
        [
            "PersonFilter.name",
            "ProductFilter.name",
            "TrialFilter.title",
            "UnitFilter.name"
        ]
    );
}
