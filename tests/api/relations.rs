//! Every relation, walked both ways.

use serde_json::json;

use crate::helpers::TestApp;

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

#[tokio::test]
async fn trials_lead_to_sponsor_investigator_product_and_manufacturer_and_back() {
    let app = TestApp::spawn_with_generated(2).await;

    let data = app
        .data(
            r#"{ trials(filter: { status: { eq: ONGOING }, institution: { eq: "KUH" } }, first: 1) { nodes { title nctNumber phase
                institution { code } sponsor { code }
                principalInvestigator { name trialsLed { nodes { title } } }
                product { name trials { nodes { title } } }
                manufacturingUnit { name trialsManufactured { nodes { title } } products { nodes { name } } } } } }"#,
        )
        .await;

    assert_eq!(
        data["trials"]["nodes"],
        json!([{
            "title": "Generated trial 000001", "nctNumber": "NCT00000001", "phase": "PHASE_1",
            "institution": { "code": "KUH" }, "sponsor": { "code": "KUH" },
            "principalInvestigator": { "name": "Given00 Family000001", "trialsLed": { "nodes": [{ "title": "Generated trial 000001" }] } },
            "product": { "name": "Generated product 000001", "trials": { "nodes": [{ "title": "Generated trial 000001" }] } },
            "manufacturingUnit": { "name": "Generated unit 000001",
                "trialsManufactured": { "nodes": [{ "title": "Generated trial 000001" }] },
                "products": { "nodes": [{ "name": "Generated product 000001" }] } },
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
