//! `schema.graphql` is the served schema, and every part of it is described.

use serde_json::Value;

use atmp_graph::store::Role;
use entities::enums::KeyRole;

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
async fn each_roles_schema_file_equals_the_schema_served_to_that_role() {
    let app = TestApp::spawn().await;
    for (role, name) in [
        (Role::Public, "public"),
        (Role::Partner, "partner"),
        (Role::Staff, "staff"),
        (Role::Steward, "steward"),
        (Role::Admin, "admin"),
    ] {
        let served = atmp_graph::graphql::sdl(app.app.schemas.for_role(role));
        let file = match role {
            Role::Public => "schema.graphql".to_owned(),
            _ => format!("schema.{name}.graphql"),
        };
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();

        assert!(
            served == checked_in,
            "{file} differs from the schema served to the role `{name}`: run `cargo run -- schema --role {name} > {file}` and review the diff"
        );
    }
}

/// What `atmp-graph <args>` prints on stdout, with no setting from the environment.
fn printed(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_atmp-graph"))
        .args(args)
        .env_remove("ATMP_FEDERATION")
        .env_remove("ATMP_SUBGRAPH_ROLE")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn schema_role_prints_each_checked_in_file() {
    let file = |name: &str| {
        std::fs::read_to_string(format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    for (args, name) in [
        (&["schema"][..], "schema.graphql"),
        (&["schema", "--role", "public"], "schema.graphql"),
        (&["schema", "--role", "partner"], "schema.partner.graphql"),
        (&["schema", "--role", "staff"], "schema.staff.graphql"),
        (&["schema", "--role", "steward"], "schema.steward.graphql"),
        (&["schema", "--role", "admin"], "schema.admin.graphql"),
        (&["--federation", "schema"], "schema.subgraph.graphql"),
    ] {
        assert!(
            printed(args) == file(name),
            "`atmp-graph {}` differs from {name}",
            args.join(" ")
        );
    }
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_has_a_description() {
    let app = TestApp::spawn().await;
    // The admins' schema holds every field of every other role's.
    let admin = app.key("admin", KeyRole::Admin, &[]).await;
    let response = app
        .graphql_as(
            &admin,
            r#"{ __schema { types { name kind description
                fields { name description args { name description } }
                inputFields { name description }
                enumValues { name description } } } }"#,
        )
        .await;
    let data = response.data();

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

/// The Relay Cursor Connections specification, checked on every SDL file (each equal to what
/// its server serves): a connection has `edges: [Edge!]!` and `pageInfo: PageInfo!`, an edge a
/// `node` and a non-null `cursor`, `PageInfo` its two non-null booleans and nullable cursors, and
/// a field returning a connection takes `first` and `after`, and `last` and `before` together.
#[test]
fn every_sdl_file_follows_the_relay_cursor_connections_specification() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    for (file, connection_types) in [
        ("schema.graphql", 9),
        ("schema.subgraph.graphql", 9),
        ("schema.partner.graphql", 9),
        ("schema.staff.graphql", 9),
        ("schema.steward.graphql", 9),
        // And the read log's.
        ("schema.admin.graphql", 10),
    ] {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let sdl = std::fs::read_to_string(&path).unwrap();
        let document = async_graphql::parser::parse_schema(&sdl).unwrap();
        let mut objects = std::collections::HashMap::new();
        for definition in document.definitions {
            if let TypeSystemDefinition::Type(definition) = definition {
                if let TypeKind::Object(object) = definition.node.kind {
                    let fields: Vec<(String, String, Vec<String>)> = object
                        .fields
                        .into_iter()
                        .map(|field| {
                            let arguments = field
                                .node
                                .arguments
                                .iter()
                                .map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node))
                                .collect();
                            (
                                field.node.name.node.to_string(),
                                field.node.ty.node.to_string(),
                                arguments,
                            )
                        })
                        .collect();
                    objects.insert(definition.node.name.node.to_string(), fields);
                }
            }
        }
        let type_of = |object: &str, field: &str| {
            objects[object]
                .iter()
                .find(|(name, _, _)| name == field)
                .map(|(_, ty, _)| ty.clone())
        };
        let mut broken = Vec::new();
        let mut connections = 0;
        for (name, fields) in &objects {
            for (field, ty, arguments) in fields {
                let returned = ty.trim_end_matches('!');
                if !returned.ends_with("Connection") {
                    continue;
                }
                let takes = |wanted: &str| arguments.iter().any(|a| a == wanted);
                // Forward pagination always; backward pagination whole or not at all.
                if !takes("first: Int") || !takes("after: String") {
                    broken.push(format!("{file}: {name}.{field} lacks `first` or `after`"));
                }
                if takes("last: Int") != takes("before: String") {
                    broken.push(format!(
                        "{file}: {name}.{field} has one of `last`, `before`"
                    ));
                }
            }
            let Some(node) = name.strip_suffix("Connection") else {
                continue;
            };
            connections += 1;
            let edge = format!("{node}Edge");
            let checks = [
                (name.as_str(), "pageInfo", "PageInfo!".to_owned()),
                (name.as_str(), "edges", format!("[{edge}!]!")),
                (edge.as_str(), "cursor", "String!".to_owned()),
            ];
            if !type_of(&edge, "node").is_some_and(|ty| ty.ends_with('!')) {
                broken.push(format!("{file}: {edge}.node is missing or nullable"));
            }
            for (object, field, wanted) in checks {
                let found = type_of(object, field);
                if found.as_deref() != Some(wanted.as_str()) {
                    broken.push(format!(
                        "{file}: {object}.{field} is {found:?}, not {wanted}"
                    ));
                }
            }
        }
        for (field, wanted) in [
            ("hasNextPage", "Boolean!"),
            ("hasPreviousPage", "Boolean!"),
            ("startCursor", "String"),
            ("endCursor", "String"),
        ] {
            let found = type_of("PageInfo", field);
            if found.as_deref() != Some(wanted) {
                broken.push(format!(
                    "{file}: PageInfo.{field} is {found:?}, not {wanted}"
                ));
            }
        }
        assert_eq!(
            connections, connection_types,
            "{file}: the connection types"
        );
        assert!(broken.is_empty(), "{}", broken.join("\n"));
    }
}
