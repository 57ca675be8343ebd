//! Every relation, walked both ways.

use atmp_graph::domain::{natural_id, RecordKind};
use atmp_graph::seed::generate;
use entities::enums::TrialPhase;
use entities::trial;
use serde_json::json;

use crate::helpers::{generated_options, TestApp};

#[tokio::test]
async fn institution_units_cleanrooms_lead_back_to_the_institution() {
    let app = TestApp::spawn().await;

    let data = app
        .data(
            r#"{ institution(code: "KUH") { code
                units(filter: { kind: { eq: GMP_FACILITY } }) { nodes { shortName name
                    cleanrooms(first: 2) { nodes { code unit { shortName institution { code } } } } } } } }"#,
        )
        .await;

    assert_eq!(
        data,
        json!({ "institution": { "code": "KUH", "units": { "nodes": [
            { "shortName": null, "name": "GMP facility at the Karolinska Comprehensive Cancer Center", "cleanrooms": { "nodes": [] } },
            { "shortName": "Vecura", "name": "Vecura GMP unit", "cleanrooms": { "nodes": [
                { "code": "VECURA-01", "unit": { "shortName": "Vecura", "institution": { "code": "KUH" } } },
                { "code": "VECURA-02", "unit": { "shortName": "Vecura", "institution": { "code": "KUH" } } },
            ]}},
        ]}}})
    );
}

#[tokio::test]
async fn a_joint_unit_is_listed_under_both_institutions() {
    let app = TestApp::spawn().await;

    let data = app
        .data(r#"{ institutions { code units(filter: { kind: { eq: CENTER } }) { nodes { shortName isJoint } } } }"#)
        .await;

    assert_eq!(
        data,
        json!({ "institutions": [
            { "code": "KI", "units": { "nodes": [{ "shortName": "ATMP Center", "isJoint": true }] } },
            { "code": "KUH", "units": { "nodes": [
                { "shortName": "ATMP Center", "isJoint": true },
                { "shortName": "KCC", "isJoint": false },
                { "shortName": "KCCC", "isJoint": false },
            ]}},
        ]})
    );
}

#[tokio::test]
async fn unit_hierarchy_goes_down_and_up() {
    let app = TestApp::spawn().await;

    let data = app
        .data(
            r#"{ units(filter: { kind: { eq: CENTER } }) { nodes { shortName
                children { nodes { shortName parent { shortName } } } } } }"#,
        )
        .await;

    assert_eq!(
        data["units"]["nodes"],
        json!([
            { "shortName": "ATMP Center", "children": { "nodes": [
                { "shortName": "Management group", "parent": { "shortName": "ATMP Center" } },
                { "shortName": "Steering group", "parent": { "shortName": "ATMP Center" } },
            ]}},
            { "shortName": "KCC", "children": { "nodes": [{ "shortName": "Vecura", "parent": { "shortName": "KCC" } }] } },
            { "shortName": "KCCC", "children": { "nodes": [{ "shortName": null, "parent": { "shortName": "KCCC" } }] } },
        ])
    );
}

#[tokio::test]
async fn people_and_appointments_lead_to_units_and_institutions_and_back() {
    let app = TestApp::spawn().await;

    let data = app
        .data(
            r#"{ institution(code: "KI") { people(first: 3) { totalCount nodes { name
                appointments(filter: { institution: { eq: "KI" } }) { nodes { unit { name people(first: 1) { nodes { name } } } } } } } } }"#,
        )
        .await;

    assert_eq!(
        data,
        json!({ "institution": { "people": { "totalCount": 8, "nodes": [
            { "name": "Gustaf Ahlén", "appointments": { "nodes": [
                { "unit": { "name": "Management group of the Karolinska ATMP Center", "people": { "nodes": [{ "name": "Gustaf Ahlén" }] } } },
            ]}},
            { "name": "Martin Bergö", "appointments": { "nodes": [
                { "unit": null },
                { "unit": { "name": "Steering group of the Karolinska ATMP Center", "people": { "nodes": [{ "name": "Olof Akre" }] } } },
            ]}},
            { "name": "Sabina Bossi", "appointments": { "nodes": [
                { "unit": { "name": "Karolinska ATMP Center", "people": { "nodes": [{ "name": "Sabina Bossi" }] } } },
            ]}},
        ]}}})
    );
}

/// How the API names a trial phase.
fn phase_name(phase: TrialPhase) -> &'static str {
    match phase {
        TrialPhase::Phase1 => "PHASE_1",
        TrialPhase::Phase1And2 => "PHASE_1_AND_2",
        TrialPhase::Phase2 => "PHASE_2",
        TrialPhase::Phase2And3 => "PHASE_2_AND_3",
        TrialPhase::Phase3 => "PHASE_3",
        TrialPhase::Phase4 => "PHASE_4",
    }
}

#[tokio::test]
async fn trials_lead_to_sponsor_investigator_product_and_manufacturer_and_back() {
    let app = TestApp::spawn_with_generated(10).await;
    // A generated KUH trial with every reference set (sponsored by either institution), and the
    // records it names: each leads back to this trial alone.
    let dataset = generate(generated_options(10));
    let kuh = natural_id(RecordKind::Institution, "KUH");
    let product_of = |trial: &trial::Model| {
        dataset
            .products
            .iter()
            .find(|p| Some(p.id) == trial.product_id && p.unit_id.is_some())
    };
    let trial = dataset
        .trials
        .iter()
        .find(|t| {
            t.institution_id == kuh
                && t.sponsor_institution_id.is_some()
                && t.principal_investigator_id.is_some()
                && t.manufacturing_unit_id == product_of(t).and_then(|p| p.unit_id)
                && product_of(t).is_some()
        })
        .unwrap();
    let product = product_of(trial).unwrap();
    let head = dataset
        .people
        .iter()
        .find(|p| Some(p.id) == trial.principal_investigator_id)
        .unwrap();
    let unit = dataset
        .units
        .iter()
        .find(|u| Some(u.id) == trial.manufacturing_unit_id)
        .unwrap();
    let sponsor = if trial.sponsor_institution_id == Some(kuh) {
        "KUH"
    } else {
        "KI"
    };

    let response = app
        .graphql_with(
            r#"query($title: String!) { trials(filter: { title: { eq: $title }, institution: { eq: "KUH" } }, first: 1) { nodes { title nctNumber phase
                institution { code } sponsor { code }
                principalInvestigator { name trialsLed { nodes { title } } }
                product { name trials { nodes { title } } }
                manufacturingUnit { name trialsManufactured { nodes { title } } products { nodes { name } } } } } }"#,
            json!({ "title": trial.title }),
        )
        .await;

    let title = json!([{ "title": trial.title }]);
    assert_eq!(
        response.data()["trials"]["nodes"],
        json!([{
            "title": trial.title, "nctNumber": trial.nct_number,
            "phase": trial.phase.map(phase_name),
            "institution": { "code": "KUH" }, "sponsor": { "code": sponsor },
            "principalInvestigator": { "name": format!("{} {}", head.given_name, head.family_name), "trialsLed": { "nodes": title } },
            "product": { "name": product.name, "trials": { "nodes": title } },
            "manufacturingUnit": { "name": unit.name,
                "trialsManufactured": { "nodes": title },
                "products": { "nodes": [{ "name": product.name }] } },
        }])
    );
}

#[tokio::test]
async fn every_record_is_reachable_by_its_global_id() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            r#"{ units(first: 1) { nodes { id } } people(first: 1) { nodes { id appointments(first: 1) { nodes { id } } } }
                cleanrooms(first: 1) { nodes { id } } products(first: 1) { nodes { id } } trials(first: 1) { nodes { id } }
                accreditations(first: 1) { nodes { id } } milestones(first: 1) { nodes { id } } institutions { id } }"#,
        )
        .await;
    let ids = vec![
        data["units"]["nodes"][0]["id"].clone(),
        data["people"]["nodes"][0]["id"].clone(),
        data["people"]["nodes"][0]["appointments"]["nodes"][0]["id"].clone(),
        data["cleanrooms"]["nodes"][0]["id"].clone(),
        data["products"]["nodes"][0]["id"].clone(),
        data["trials"]["nodes"][0]["id"].clone(),
        data["accreditations"]["nodes"][0]["id"].clone(),
        data["milestones"]["nodes"][0]["id"].clone(),
        data["institutions"][0]["id"].clone(),
    ];

    let response = app
        .graphql_with(
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({ "ids": ids }),
        )
        .await;

    let found: Vec<_> = response.data()["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["__typename"].as_str().unwrap().to_owned(),
                n["id"].clone(),
            )
        })
        .collect();
    let types = [
        "Unit",
        "Person",
        "Appointment",
        "Cleanroom",
        "Product",
        "Trial",
        "Accreditation",
        "Milestone",
        "Institution",
    ];
    assert_eq!(
        found,
        types
            .iter()
            .zip(&ids)
            .map(|(t, id)| (t.to_string(), id.clone()))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn ids_are_the_same_on_every_database_and_every_run() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn().await;
    let query = "{ institutions { id units(first: 100) { nodes { id } } } }";

    assert_eq!(first.data(query).await, second.data(query).await);
    assert_eq!(
        first.data(r#"{ institution(code: "KI") { id } }"#).await,
        json!({ "institution": { "id": "SW5zdGl0dXRpb246ZmRlNzAwMWMtMTIwYy01ODVmLWE3OWQtNDk2OTM3NzdkM2Yx" } }),
        "the ID is UUID v5 of the natural key, so it never changes"
    );
}
