//! The facts of the source document, checked by value.

use serde_json::json;

use crate::helpers::TestApp;

/// The global ID of the unit with this short name.
async fn unit_named(app: &TestApp, short_name: &str) -> serde_json::Value {
    let data = app
        .data("{ units(first: 100) { nodes { id shortName name } } }")
        .await;
    data["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["shortName"] == short_name)
        .cloned()
        .unwrap_or_else(|| panic!("no unit {short_name}"))
}

#[tokio::test]
async fn both_institutions_are_there_with_their_ror_ids() {
    let app = TestApp::spawn().await;

    let data = app.data("{ institutions { code name kind rorId } }").await;

    assert_eq!(
        data,
        json!({ "institutions": [
            { "code": "KI", "name": "Karolinska Institutet", "kind": "UNIVERSITY", "rorId": "https://ror.org/056d84691" },
            { "code": "KUH", "name": "Karolinska University Hospital", "kind": "UNIVERSITY_HOSPITAL", "rorId": "https://ror.org/00m8d6786" },
        ]})
    );
}

#[tokio::test]
async fn vecura_at_kcc_in_huddinge_has_13_cleanrooms_and_the_pre_gmp_unit_5() {
    let app = TestApp::spawn().await;
    let vecura = unit_named(&app, "Vecura").await;
    let pre_gmp = unit_named(&app, "Pre-GMP unit").await;

    let query = r#"query($id: ID!) { node(id: $id) { ... on Unit {
        name kind campus parent { shortName name }
        cleanrooms(first: 1) { totalCount nodes { regime provenance { kind sampleFields } } } } } }"#;
    let vecura = app.graphql_with(query, json!({ "id": vecura["id"] })).await;
    let pre_gmp = app
        .graphql_with(query, json!({ "id": pre_gmp["id"] }))
        .await;

    assert_eq!(
        vecura.data()["node"],
        json!({
            "name": "Vecura GMP unit", "kind": "GMP_FACILITY", "campus": "Huddinge",
            "parent": { "shortName": "KCC", "name": "Karolinska Center for Cell Therapy" },
            "cleanrooms": { "totalCount": 13, "nodes": [
                { "regime": "GMP", "provenance": { "kind": "DOCUMENT", "sampleFields": ["code", "grade"] } }
            ]}
        })
    );
    assert_eq!(
        pre_gmp.data()["node"],
        json!({
            "name": "Pre-GMP unit at KI Campus Flemingsberg", "kind": "PRE_GMP_FACILITY", "campus": "Campus Flemingsberg",
            "parent": null,
            "cleanrooms": { "totalCount": 5, "nodes": [
                { "regime": "PRE_GMP", "provenance": { "kind": "DOCUMENT", "sampleFields": ["code"] } }
            ]}
        })
    );
}

#[tokio::test]
async fn cast_was_established_in_1975_and_is_jacie_accredited() {
    let app = TestApp::spawn().await;
    let cast = unit_named(&app, "CAST").await;

    let response = app
        .graphql_with(
            r#"query($id: ID!) { node(id: $id) { ... on Unit {
                name establishedYear institution { code }
                accreditations { nodes { scheme } }
                milestones { nodes { year title } } } } }"#,
            json!({ "id": cast["id"] }),
        )
        .await;

    assert_eq!(
        response.data()["node"],
        json!({
            "name": "Cell Therapy and Allogeneic Stem Cell Transplantation",
            "establishedYear": 1975,
            "institution": { "code": "KUH" },
            "accreditations": { "nodes": [{ "scheme": "JACIE" }] },
            "milestones": { "nodes": [
                { "year": 1975, "title": "The Cell Therapy and Allogeneic Stem Cell Transplantation (CAST) unit is established" },
                { "year": 2019, "title": "CAST performs Sweden's first standard treatment with CAR-T cells" },
            ]}
        })
    );
}

#[tokio::test]
async fn the_acting_director_of_the_atmp_center_is_also_dean_ki_south_at_ki() {
    let app = TestApp::spawn().await;

    let data = app
        .data(
            r#"{ units(filter: { kind: { eq: CENTER } }, first: 10) { nodes { shortName
                appointments(filter: { role: { eq: ACTING_DIRECTOR } }) { nodes {
                    title person { name appointments { nodes { title role institution { code } unit { name } } } } } } } } }"#,
        )
        .await;
    let center = data["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["shortName"] == "ATMP Center")
        .unwrap();

    assert_eq!(
        center["appointments"]["nodes"],
        json!([{ "title": "Acting Director", "person": { "name": "Matti Sällberg", "appointments": { "nodes": [
            { "title": "Dean KI South", "role": "DEAN", "institution": { "code": "KI" }, "unit": { "name": "KI South" } },
            { "title": "Member of the steering group", "role": "MEMBER", "institution": { "code": "KI" }, "unit": { "name": "Steering group of the Karolinska ATMP Center" } },
            { "title": "Acting Director", "role": "ACTING_DIRECTOR", "institution": { "code": "KI" }, "unit": { "name": "Karolinska ATMP Center" } },
        ]}}}])
    );
}

#[tokio::test]
async fn the_steering_group_has_six_members_and_a_coordinator_from_both_institutions() {
    let app = TestApp::spawn().await;
    let group = unit_named(&app, "Steering group").await;

    let response = app
        .graphql_with(
            r#"query($id: ID!) { node(id: $id) { ... on Unit { isJoint institutions: partnerInstitution { code }
                appointments { nodes { role person { name } institution { code } } } } } }"#,
            json!({ "id": group["id"] }),
        )
        .await;

    let member = |name: &str, code: &str| json!({ "role": "MEMBER", "person": { "name": name }, "institution": { "code": code } });
    assert_eq!(
        response.data()["node"],
        json!({ "isJoint": true, "institutions": { "code": "KUH" }, "appointments": { "nodes": [
            member("Olof Akre", "KUH"),
            member("Mathias Axelsson", "KUH"),
            member("Martin Bergö", "KI"),
            member("Jonas Fuxe", "KI"),
            member("Patrik Rossi", "KUH"),
            member("Matti Sällberg", "KI"),
            { "role": "COORDINATOR", "person": { "name": "Ewa Ellis" }, "institution": { "code": "KUH" } },
        ]}})
    );
}

#[tokio::test]
async fn the_management_group_pairs_operations_managers_and_deputies_across_institutions() {
    let app = TestApp::spawn().await;
    let group = unit_named(&app, "Management group").await;

    let response = app
        .graphql_with(
            r#"query($id: ID!) { node(id: $id) { ... on Unit {
                appointments { nodes { title area person { name } institution { code } } } } } }"#,
            json!({ "id": group["id"] }),
        )
        .await;

    let row = |title: &str, area: Option<&str>, name: &str, code: &str| json!({ "title": title, "area": area, "person": { "name": name }, "institution": { "code": code } });
    let clinical = Some("Clinical application – care and treatment");
    assert_eq!(
        response.data()["node"]["appointments"]["nodes"],
        json!([
            row("Operations manager", None, "Samir EL Andaloussi", "KI"),
            row("Deputy", None, "Rula Zain-Luqman", "KUH"),
            row("Operations manager", None, "Pontus Blomberg", "KUH"),
            row("Deputy", None, "Gustaf Ahlén", "KI"),
            row("Operations manager", clinical, "Stephan Mielke", "KI"),
            row("Deputy", clinical, "Teng Wang", "KUH"),
        ])
    );
}

#[tokio::test]
async fn ewa_ellis_is_one_person_with_appointments_at_both_institutions() {
    let app = TestApp::spawn().await;

    let data = app
        .data(r#"{ people(first: 100) { totalCount nodes { name appointments { nodes { title institution { code } } } } } }"#)
        .await;
    let ellis: Vec<_> = data["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "Ewa Ellis")
        .collect();

    assert_eq!(data["people"]["totalCount"], 14);
    assert_eq!(
        ellis,
        [&json!({ "name": "Ewa Ellis", "appointments": { "nodes": [
            { "title": "Associate Professor", "institution": { "code": "KI" } },
            { "title": "Coordinator of the steering group", "institution": { "code": "KUH" } },
            { "title": "ATMP Coordinator", "institution": { "code": "KUH" } },
        ]}})]
    );
}

#[tokio::test]
async fn the_milestones_run_from_1975_to_2019_across_both_institutions() {
    let app = TestApp::spawn().await;

    let data = app
        .data("{ milestones { nodes { year institution { code } unit { shortName } } } }")
        .await;

    let mut milestones: Vec<(i64, String, String)> = data["milestones"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
            (
                m["year"].as_i64().unwrap(),
                text(&m["institution"]["code"]),
                text(&m["unit"]["shortName"]),
            )
        })
        .collect();
    let years: Vec<i64> = milestones.iter().map(|m| m.0).collect();
    milestones.sort();
    assert_eq!(years, [1975, 1997, 2014, 2019, 2019], "oldest first");
    let row = |y: i64, c: &str, u: &str| (y, c.to_owned(), u.to_owned());
    assert_eq!(
        milestones,
        [
            row(1975, "KUH", "CAST"),
            row(1997, "KUH", "Vecura"),
            row(2014, "KUH", "Vecura"),
            row(2019, "KI", "Pre-GMP unit"),
            row(2019, "KUH", "CAST"),
        ]
    );
}

#[tokio::test]
async fn the_products_and_trials_of_the_document_are_there_with_samples_marked() {
    let app = TestApp::spawn().await;

    let data = app
        .data(
            r#"{ products { totalCount nodes { name atmpClass firstYear developingUnit { shortName }
                 provenance { kind sampleFields } trials { nodes { status startYear manufacturingUnit { shortName } } } } } }"#,
        )
        .await;

    assert_eq!(data["products"]["totalCount"], 5);
    let vecura_1997 = data["products"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["firstYear"] == 1997)
        .unwrap();
    assert_eq!(
        vecura_1997,
        &json!({ "name": "Sweden's first gene therapy drug for clinical trials", "atmpClass": "GENE_THERAPY",
            "firstYear": 1997, "developingUnit": { "shortName": "Vecura" },
            "provenance": { "kind": "DOCUMENT", "sampleFields": [] },
            "trials": { "nodes": [{ "status": null, "startYear": 1997, "manufacturingUnit": { "shortName": "Vecura" } }] } })
    );
    let pre_gmp: Vec<_> = data["products"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["developingUnit"]["shortName"] == "Pre-GMP unit")
        .map(|p| {
            (
                p["provenance"]["sampleFields"].clone(),
                p["trials"]["nodes"][0]["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        pre_gmp,
        vec![(json!(["name", "atmpClass"]), json!("ONGOING")); 2],
        "two products developed with the pre-GMP unit are in clinical trials"
    );
}
