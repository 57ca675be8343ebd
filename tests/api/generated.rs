//! Generated records (`atmp-graph generate`), read through the API: varied as real records are
//! (names beyond ASCII, every value of every vocabulary, nulls and values in every nullable
//! field, years that spread, joint units, people at both institutions, long descriptions), and
//! the same for the same seed.

use std::collections::BTreeSet;

use atmp_graph::seed::GenerateOptions;
use serde_json::{json, Value};

use crate::helpers::{every_row, generated_options, TestApp};

/// Units generated for these tests: enough that every rare value turns up.
const UNITS: usize = 200;

/// The nullable fields of each list's records (references by their `id`).
const NULLABLE: &[(&str, &str)] = &[
    (
        "units",
        "shortName campus city establishedYear description parent { id } partnerInstitution { code }",
    ),
    (
        "cleanrooms",
        "name grade status areaM2 qualifiedOn intendedUse isoClassAtRest isoClassInOperation",
    ),
    ("people", "orcid"),
    ("appointments", "unit { id } area startYear endYear"),
    (
        "products",
        "developingUnit { id } stage firstYear description",
    ),
    (
        "trials",
        "sponsor { code } euCtNumber eudractNumber nctNumber phase status startYear endYear
         principalInvestigator { id } product { id } manufacturingUnit { id } description",
    ),
    ("accreditations", "authority sinceYear description"),
    ("milestones", "unit { id } description"),
];

/// The names of a selection's fields, without what is selected under them.
fn top_level(selection: &str) -> Vec<&str> {
    let mut depth = 0;
    let mut names = Vec::new();
    for word in selection.split_whitespace() {
        match word {
            "{" => depth += 1,
            "}" => depth -= 1,
            name if depth == 0 => names.push(name),
            _ => {}
        }
    }
    names
}

/// The generated rows of the root list `list`, with `fields`.
async fn generated(app: &TestApp, list: &str, fields: &str) -> Vec<Value> {
    every_row(app, list, &format!("{fields} provenance {{ kind }}"))
        .await
        .into_iter()
        .filter(|row| row["provenance"]["kind"] == "GENERATED")
        .collect()
}

/// Every generated appointment, with `fields` (appointments are listed under people).
async fn appointments(app: &TestApp, fields: &str) -> Vec<Value> {
    generated(
        app,
        "people",
        &format!("appointments(first: 10) {{ nodes {{ {fields} }} }}"),
    )
    .await
    .iter()
    .flat_map(|person| person["appointments"]["nodes"].as_array().unwrap().clone())
    .collect()
}

/// The generated rows of `list` (`appointments` too) with `fields`.
async fn rows(app: &TestApp, list: &str, fields: &str) -> Vec<Value> {
    if list == "appointments" {
        appointments(app, fields).await
    } else {
        generated(app, list, fields).await
    }
}

/// The values of `field` among `rows`, as text (`null` for none).
fn values(rows: &[Value], field: &str) -> BTreeSet<String> {
    rows.iter()
        .map(|row| match &row[field] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The names of the values of the enum type `name`, and `null`.
async fn vocabulary(app: &TestApp, name: &str) -> BTreeSet<String> {
    let data = app
        .data(&format!(
            r#"{{ __type(name: "{name}") {{ enumValues {{ name }} }} }}"#
        ))
        .await;
    data["__type"]["enumValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|value| value["name"].as_str().unwrap().to_owned())
        .chain(["null".to_owned()])
        .collect()
}

#[tokio::test]
async fn every_nullable_field_of_generated_records_is_null_for_some_and_set_for_others() {
    let app = TestApp::spawn_with_generated(UNITS).await;
    for (list, fields) in NULLABLE {
        let rows = rows(&app, list, fields).await;
        assert!(rows.len() >= 40, "{list}: {}", rows.len());
        for field in top_level(fields) {
            let nulls = rows.iter().filter(|row| row[field].is_null()).count();
            assert!(
                nulls > 0 && nulls < rows.len(),
                "{list}.{field}: {nulls} null of {}",
                rows.len()
            );
        }
    }
    // Cleanroom names, by value: some rooms are named, others not.
    let rooms = rows(&app, "cleanrooms", "code name").await;
    let named: Vec<&Value> = rooms.iter().filter(|r| r["name"].is_string()).collect();
    assert!(
        named.len() > 100 && named.len() < rooms.len(),
        "{}",
        named.len()
    );
    assert_eq!(rooms.len(), UNITS * 5);
}

#[tokio::test]
async fn generated_records_take_every_value_of_every_vocabulary() {
    let app = TestApp::spawn_with_generated(UNITS).await;
    let columns = [
        ("units", "kind", "UnitKind", false),
        ("cleanrooms", "regime", "CleanroomRegime", false),
        ("cleanrooms", "grade", "GmpGrade", true),
        ("cleanrooms", "status", "CleanroomStatus", true),
        ("appointments", "role", "AppointmentRole", false),
        ("products", "atmpClass", "AtmpClass", false),
        ("products", "stage", "ProductStage", true),
        ("trials", "phase", "TrialPhase", true),
        ("trials", "status", "TrialStatus", true),
        ("accreditations", "scheme", "AccreditationScheme", false),
    ];
    for (list, field, enum_type, nullable) in columns {
        let mut expected = vocabulary(&app, enum_type).await;
        if !nullable {
            expected.remove("null");
        }
        let rows = rows(&app, list, field).await;
        assert_eq!(values(&rows, field), expected, "{list}.{field}");
    }
}

#[tokio::test]
async fn generated_trials_run_in_every_phase_and_status_and_end_no_earlier_than_they_start() {
    let app = TestApp::spawn_with_generated(UNITS).await;
    let trials = rows(&app, "trials", "phase status startYear endYear").await;
    assert_eq!(trials.len(), UNITS);
    let phases = values(&trials, "phase");
    assert_eq!(
        phases,
        BTreeSet::from(
            [
                "PHASE_1",
                "PHASE_1_AND_2",
                "PHASE_2",
                "PHASE_2_AND_3",
                "PHASE_3",
                "PHASE_4",
                "null"
            ]
            .map(str::to_owned)
        )
    );
    let statuses = values(&trials, "status");
    assert_eq!(
        statuses,
        BTreeSet::from(
            ["PLANNED", "ONGOING", "COMPLETED", "ENDED_EARLY", "null"].map(str::to_owned)
        )
    );
    let spans: Vec<(i64, i64)> = trials
        .iter()
        .filter_map(|t| Some((t["startYear"].as_i64()?, t["endYear"].as_i64()?)))
        .collect();
    assert!(spans.len() > 40, "{}", spans.len());
    assert!(spans.iter().all(|(start, end)| end >= start), "{spans:?}");
    assert!(spans.iter().any(|(start, end)| end > start));
    let starts = values(&trials, "startYear");
    assert!(starts.len() > 15, "start years spread: {starts:?}");
    // Appointments' years spread too, and end after they start.
    let appointments = rows(&app, "appointments", "startYear endYear").await;
    let spans: Vec<(i64, i64)> = appointments
        .iter()
        .filter_map(|a| Some((a["startYear"].as_i64()?, a["endYear"].as_i64()?)))
        .collect();
    assert!(!spans.is_empty() && spans.iter().all(|(start, end)| end > start));
}

#[tokio::test]
async fn generated_names_are_spelled_with_letters_beyond_ascii() {
    let app = TestApp::spawn_with_generated(UNITS).await;
    let people = rows(&app, "people", "name givenName familyName").await;
    // The public reads the people with an appointment; the rest are for staff.
    let generated = atmp_graph::seed::generate(crate::helpers::generated_options(UNITS));
    let appointed: BTreeSet<_> = generated.appointments.iter().map(|a| a.person_id).collect();
    assert_eq!(people.len(), appointed.len());
    assert!(appointed.len() > UNITS * 3 * 9 / 10 && appointed.len() < UNITS * 3);
    let letters: BTreeSet<char> = people
        .iter()
        .flat_map(|p| p["name"].as_str().unwrap().chars().collect::<Vec<_>>())
        .filter(|c| !c.is_ascii())
        .collect();
    for letter in ['å', 'ä', 'ö', 'ø', 'é', 'ü', 'Å', 'Ö', 'Ł'] {
        assert!(letters.contains(&letter), "{letter} in {letters:?}");
    }
    let plain = people
        .iter()
        .filter(|p| p["name"].as_str().unwrap().is_ascii())
        .count();
    assert!(plain > people.len() / 2, "most names are plain: {plain}");
    // A person's name is the given name and the family name.
    assert!(people.iter().all(|p| p["name"]
        == json!(format!(
            "{} {}",
            p["givenName"].as_str().unwrap(),
            p["familyName"].as_str().unwrap()
        ))));
    let units = rows(&app, "units", "name").await;
    assert!(units
        .iter()
        .any(|u| !u["name"].as_str().unwrap().is_ascii()));
}

#[tokio::test]
async fn generated_units_include_joint_units_and_people_appointed_at_both_institutions() {
    let app = TestApp::spawn_with_generated(UNITS).await;
    let units = rows(
        &app,
        "units",
        "institution { code } partnerInstitution { code } isJoint",
    )
    .await;
    let joint: Vec<&Value> = units.iter().filter(|u| u["isJoint"] == true).collect();
    assert!(joint.len() >= 5, "{}", joint.len());
    for unit in joint {
        assert!(unit["partnerInstitution"]["code"].is_string());
        assert_ne!(unit["partnerInstitution"], unit["institution"]);
    }
    let at_both = generated(
        &app,
        "people",
        "appointments(first: 10) { nodes { institution { code } unit { institution { code } } } }",
    )
    .await
    .into_iter()
    .filter(|person| {
        let codes = values(
            person["appointments"]["nodes"].as_array().unwrap(),
            "institution",
        );
        codes.len() == 2
    })
    .collect::<Vec<_>>();
    assert!(at_both.len() >= 10, "{}", at_both.len());
    // Each appointment of theirs in a unit is in a unit of the institution it is at.
    for person in &at_both {
        for appointment in person["appointments"]["nodes"].as_array().unwrap() {
            if !appointment["unit"].is_null() {
                assert_eq!(
                    appointment["unit"]["institution"],
                    appointment["institution"]
                );
            }
        }
    }
    // The filter for people at both institutions finds them.
    let found = app
        .data(r#"{ people(filter: { and: [{ institution: { eq: "KI" } }, { institution: { eq: "KUH" } }] }) { totalCount } }"#)
        .await;
    assert!(found["people"]["totalCount"].as_u64().unwrap() >= at_both.len() as u64);
}

#[tokio::test]
async fn some_generated_descriptions_run_to_hundreds_of_characters_and_others_to_a_line() {
    let app = TestApp::spawn_with_generated(UNITS).await;
    for list in [
        "units",
        "products",
        "trials",
        "accreditations",
        "milestones",
    ] {
        let lengths: Vec<usize> = rows(&app, list, "description")
            .await
            .iter()
            .filter_map(|row| row["description"].as_str())
            .map(|text| text.chars().count())
            .collect();
        assert!(lengths.iter().any(|n| *n > 300), "{list}: {lengths:?}");
        assert!(lengths.iter().any(|n| *n < 120), "{list}: {lengths:?}");
    }
}

/// A query over every kind of generated record, IDs and every field a seed could change.
const EVERYTHING: &str = r#"{
    units(first: 100) { nodes { id name shortName kind campus city establishedYear description
        partnerInstitution { code } parent { id }
        cleanrooms(first: 10) { nodes { id code name regime grade status areaM2 qualifiedOn intendedUse } }
        appointments(first: 10) { nodes { id title role area startYear endYear person { id name orcid } } }
        products(first: 10) { nodes { id name atmpClass stage firstYear description } }
        trialsManufactured(first: 10) { nodes { id title phase status startYear endYear euCtNumber eudractNumber nctNumber
            sponsor { code } principalInvestigator { id } } }
        milestones(first: 10) { nodes { id year title description } }
        accreditations(first: 10) { nodes { id scheme authority sinceYear description } } } }
}"#;

#[tokio::test]
async fn the_same_seed_generates_the_same_records_and_another_seed_other_values() {
    let options = GenerateOptions {
        seed: 20261207,
        ..generated_options(40)
    };
    let first = TestApp::spawn_generating(options).await;
    let again = TestApp::spawn_generating(options).await;
    let other = TestApp::spawn_generating(GenerateOptions { seed: 7, ..options }).await;

    let answer = first.data(EVERYTHING).await;
    assert_eq!(again.data(EVERYTHING).await, answer);

    let ids = |data: &Value| -> BTreeSet<String> {
        data["units"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|unit| unit["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let answered_other = other.data(EVERYTHING).await;
    // The same records (IDs come from their places), with other values.
    assert_eq!(ids(&answered_other), ids(&answer));
    assert_ne!(answered_other, answer);
    assert_eq!(answer["units"]["nodes"].as_array().unwrap().len(), 52);
}
