//! `schema.graphql` is the served schema, and every part of it is described.

use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn schema_graphql_equals_the_served_schema() {
    let app = TestApp::spawn().await;
    let served = atmp_graph::graphql::sdl(&app.app.schema);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();

    assert!(
        served == checked_in,
        "schema.graphql differs from the served schema: run `cargo run -- schema > schema.graphql` and review the diff"
    );
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_has_a_description() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            r#"{ __schema { types { name kind description
                fields { name description args { name description } }
                inputFields { name description }
                enumValues { name description } } } }"#,
        )
        .await;

    let mut missing = Vec::new();
    let blank = |v: &Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if blank(&ty["description"]) {
            missing.push(name.to_owned());
        }
        for (list, what) in [
            ("fields", "field"),
            ("inputFields", "input field"),
            ("enumValues", "value"),
        ] {
            for item in ty[list].as_array().into_iter().flatten() {
                let item_name = item["name"].as_str().unwrap();
                if blank(&item["description"]) {
                    missing.push(format!("{name}.{item_name} ({what})"));
                }
                for arg in item["args"].as_array().into_iter().flatten() {
                    if blank(&arg["description"]) {
                        missing.push(format!(
                            "{name}.{item_name}({})",
                            arg["name"].as_str().unwrap()
                        ));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "described nowhere: {missing:#?}");
}
