//! `--federation`: the schema as an Apollo Federation v2 subgraph, with `@key(fields: "id")` on
//! every `Node` type, `_service { sdl }` and batched `_entities`; without the flag, neither.

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The `Node` types, each an entity of the subgraph.
const ENTITIES: [&str; 9] = [
    "Institution",
    "Unit",
    "Person",
    "Appointment",
    "Cleanroom",
    "Product",
    "Trial",
    "Accreditation",
    "Milestone",
];

/// The app over a fresh seeded database, served as a subgraph.
async fn subgraph() -> TestApp {
    TestApp::spawn()
        .await
        .reconfigured(|config| config.federation = true)
}

/// The global ID of the row of `list` whose `field` is `value`.
async fn id_of(app: &TestApp, list: &str, field: &str, value: &str) -> String {
    let data = app
        .data(&format!(
            "{{ {list}(first: 100) {{ nodes {{ id {field} }} }} }}"
        ))
        .await;
    data[list]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row[field] == value)
        .and_then(|row| row["id"].as_str())
        .unwrap_or_else(|| panic!("no {list} with {field} {value}"))
        .to_owned()
}

/// `_entities` of these representations (`__typename`, `id`), written into the query's text.
fn entities_query(representations: &[(&str, &str)], selection: &str) -> String {
    let representations: Vec<String> = representations
        .iter()
        .map(|(typename, id)| format!(r#"{{ __typename: "{typename}", id: "{id}" }}"#))
        .collect();
    format!(
        "{{ _entities(representations: [{}]) {{ {selection} }} }}",
        representations.join(", ")
    )
}

#[tokio::test]
async fn the_subgraph_sdl_links_federation_v2_and_keys_every_entity_by_its_id() {
    let app = subgraph().await;

    let data = app.data("{ _service { sdl } }").await;

    let sdl = data["_service"]["sdl"].as_str().unwrap();
    assert!(
        sdl.contains(
            r#"@link(
	url: "https://specs.apollo.dev/federation/v2.5","#
        ),
        "{sdl}"
    );
    for entity in ENTITIES {
        assert!(
            sdl.contains(&format!(
                "type {entity} implements Node @key(fields: \"id\") {{"
            )),
            "{entity} is not an entity keyed by its id"
        );
    }
    assert_eq!(sdl.matches("@key(").count(), ENTITIES.len(), "{sdl}");
    assert!(
        !sdl.contains("_entities"),
        "the subgraph SDL leaves out _entities"
    );
}

#[tokio::test]
async fn schema_subgraph_graphql_equals_what_service_sdl_serves() {
    let app = subgraph().await;

    let data = app.data("{ _service { sdl } }").await;

    let served = data["_service"]["sdl"].as_str().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.subgraph.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        atmp_graph::graphql::subgraph_sdl(&app.app.schema).as_deref(),
        Some(served)
    );
    assert!(
        served == checked_in,
        "schema.subgraph.graphql differs from the served subgraph SDL: run `cargo run -- --federation schema > schema.subgraph.graphql` and review the diff"
    );
}

#[tokio::test]
async fn entities_of_several_types_are_read_in_one_statement_per_type() {
    let app = subgraph().await;
    let vecura = id_of(&app, "units", "shortName", "Vecura").await;
    let cast = id_of(&app, "units", "shortName", "CAST").await;
    let car_t = id_of(
        &app,
        "products",
        "name",
        "First CAR-T cells to enter clinical trials in Europe",
    )
    .await;
    let trial = id_of(
        &app,
        "trials",
        "title",
        "First clinical trial of CAR-T cells in Europe",
    )
    .await;
    // A well-formed unit ID that names no record.
    let nobody = "VW5pdDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA";
    let query = entities_query(
        &[
            ("Unit", &vecura),
            ("Product", &car_t),
            ("Unit", nobody),
            ("Trial", &trial),
            ("Unit", &cast),
        ],
        "__typename
         ... on Unit { shortName name campus }
         ... on Product { name atmpClass firstYear }
         ... on Trial { startYear title }",
    );

    let (statements, data) = app.statements_for(&query).await;

    assert_eq!(
        data,
        json!({ "_entities": [
            { "__typename": "Unit", "shortName": "Vecura", "name": "Vecura GMP unit", "campus": "Huddinge" },
            { "__typename": "Product", "name": "First CAR-T cells to enter clinical trials in Europe", "atmpClass": "GENE_THERAPY", "firstYear": 2014 },
            null,
            { "__typename": "Trial", "startYear": 2014, "title": "First clinical trial of CAR-T cells in Europe" },
            { "__typename": "Unit", "shortName": "CAST", "name": "Cell Therapy and Allogeneic Stem Cell Transplantation", "campus": "Huddinge" },
        ]})
    );
    assert_eq!(
        statements, 3,
        "one statement for the units, one for the product, one for the trial"
    );
    let field_by_field = app.graphql_field_by_field(&query, json!({})).await;
    let planned = app.graphql(&query).await;
    assert_eq!(
        planned.text, field_by_field.text,
        "both paths answer alike, in selection order"
    );
}

#[tokio::test]
async fn entities_nest_their_references_one_statement_per_level() {
    let app = subgraph().await;
    let vecura = id_of(&app, "units", "shortName", "Vecura").await;
    let car_t = id_of(
        &app,
        "products",
        "name",
        "First CAR-T cells to enter clinical trials in Europe",
    )
    .await;
    let query = entities_query(
        &[("Product", &car_t), ("Unit", &vecura)],
        "... on Product { developingUnit { shortName parent { shortName } } }
         ... on Unit { parent { shortName } institution { code } }",
    );

    let (statements, data) = app.statements_for(&query).await;

    assert_eq!(
        data,
        json!({ "_entities": [
            { "developingUnit": { "shortName": "Vecura", "parent": { "shortName": "KCC" } } },
            { "parent": { "shortName": "KCC" }, "institution": { "code": "KUH" } },
        ]})
    );
    // The product, and Vecura; then KCC, the parent both ask for (Vecura, the developing
    // unit, is cached), and KUH.
    assert_eq!(statements, 4, "one statement per kind and level");
}

#[tokio::test]
async fn a_bad_representation_is_bad_user_input_and_nulls_only_its_entity() {
    let app = subgraph().await;
    let vecura = id_of(&app, "units", "shortName", "Vecura").await;
    let cases: [(Value, &str, &str); 6] = [
        (
            json!({ "__typename": "Unit", "id": "not-an-id" }),
            "the `id` of a `Unit` representation must be a global ID, not `not-an-id`",
            "a malformed ID",
        ),
        (
            json!({ "__typename": "Product", "id": vecura }),
            "the `id` of a `Product` representation names a `Unit`, not a `Product`",
            "an ID of another type",
        ),
        (
            json!({ "__typename": "Bogus", "id": vecura }),
            "`Bogus` is not an entity type of this subgraph",
            "a type that is no entity",
        ),
        (
            json!({ "__typename": "Unit", "key": vecura }),
            "a `Unit` representation needs its `id`, a global ID",
            "no id",
        ),
        (
            json!({ "__typename": "Unit", "id": { "nested": true } }),
            "a `Unit` representation needs its `id`, a global ID",
            "an id that is no string",
        ),
        (
            json!({ "id": vecura }),
            r#""__typename" must be an existing string."#,
            "no __typename",
        ),
    ];

    let good = json!({ "__typename": "Unit", "id": vecura });
    for (representation, message, what) in cases {
        let response = app
            .graphql_with(
                "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
                json!({ "r": [good, representation] }),
            )
            .await;

        assert_eq!(
            response.error_codes(),
            ["BAD_USER_INPUT"],
            "{what}: {response:?}"
        );
        assert_eq!(response.error_messages(), [message], "{what}");
        // Only the bad representation's entity is null; the error is at its index.
        assert_eq!(
            response.body["data"],
            json!({ "_entities": [{ "__typename": "Unit" }, null] }),
            "{what}"
        );
        assert_eq!(
            response.body["errors"][0]["path"],
            json!(["_entities", 1]),
            "{what}"
        );
    }
}

#[tokio::test]
async fn without_the_flag_service_and_entities_are_refused() {
    let app = TestApp::spawn().await;

    for query in [
        "{ _service { sdl } }",
        r#"{ _entities(representations: [{ __typename: "Unit", id: "x" }]) { __typename } }"#,
    ] {
        let response = app.graphql(query).await;

        assert_eq!(
            response.error_codes(),
            ["BAD_USER_INPUT"],
            "{query}: {response:?}"
        );
        assert!(
            response.error_messages()[0].starts_with("Unknown field \"_"),
            "{query}: {response:?}"
        );
    }
}

/// The app with 4 generated units (people with contact details), served as a subgraph of
/// `role`'s schema.
async fn subgraph_of(role: atmp_graph::graphql::SchemaRole) -> TestApp {
    TestApp::spawn_with_generated(4)
        .await
        .reconfigured(|config| {
            config.federation = true;
            config.subgraph_role = role;
        })
}

#[tokio::test]
async fn the_subgraph_serves_the_sdl_of_its_role_to_every_caller() {
    use atmp_graph::graphql::SchemaRole;
    use entities::enums::KeyRole;

    for (role, contacts, log) in [
        (SchemaRole::Public, false, false),
        (SchemaRole::Partner, false, false),
        (SchemaRole::Staff, true, false),
        (SchemaRole::Admin, true, true),
    ] {
        let app = subgraph_of(role).await;
        let partner = app.key("router", KeyRole::Partner, &["KI"]).await;

        let public = app.data("{ _service { sdl } }").await;
        let keyed = app.graphql_as(&partner, "{ _service { sdl } }").await;

        let sdl = public["_service"]["sdl"].as_str().unwrap();
        assert_eq!(keyed.data(), &public, "{role:?}");
        assert_eq!(sdl.contains("\temail: String\n"), contacts, "{role:?}");
        assert_eq!(sdl.contains("\tphone: String\n"), contacts, "{role:?}");
        assert_eq!(sdl.contains("personalDataReads("), log, "{role:?}");
        assert_eq!(
            atmp_graph::graphql::subgraph_sdl(&app.app.schema).as_deref(),
            Some(sdl),
            "{role:?}"
        );
    }
}

#[tokio::test]
async fn a_field_the_forwarded_key_may_not_read_is_null_with_forbidden_on_both_paths() {
    use atmp_graph::graphql::SchemaRole;
    use entities::enums::KeyRole;

    let app = subgraph_of(SchemaRole::Admin).await;
    let staff = app.key("kuh-desk", KeyRole::Staff, &["KUH"]).await;
    let partner = app.key("acme", KeyRole::Partner, &["KI"]).await;
    let query = "{ people(first: 3) { nodes { name email } } }";
    let message = "`Person.email` is not readable with the credentials sent";

    for planned in [true, false] {
        let ask = |secret: Option<&str>, query: &str| {
            let (app, secret, query) = (&app, secret.map(str::to_owned), query.to_owned());
            async move {
                match (secret, planned) {
                    (Some(secret), true) => app.graphql_as(&secret, &query).await,
                    (Some(secret), false) => app.graphql_field_by_field_as(&secret, &query).await,
                    (None, true) => app.graphql(&query).await,
                    (None, false) => app.graphql_field_by_field(&query, json!({})).await,
                }
            }
        };
        for (who, secret) in [("the public", None), ("a partner", Some(partner.as_str()))] {
            let response = ask(secret, query).await;

            let nodes = response.body["data"]["people"]["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), 3, "{who}: {response:#?}");
            assert!(
                nodes
                    .iter()
                    .all(|person| person["email"].is_null() && person["name"].is_string()),
                "{who}: {response:#?}"
            );
            assert_eq!(
                response.error_codes(),
                ["FORBIDDEN"; 3],
                "{who}, planned {planned}"
            );
            assert_eq!(response.error_messages(), [message; 3], "{who}");
            let paths: Vec<Value> = response.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|error| error["path"].clone())
                .collect();
            assert_eq!(
                paths,
                (0..3)
                    .map(|i| json!(["people", "nodes", i, "email"]))
                    .collect::<Vec<_>>(),
                "{who}"
            );
        }
        // A member of staff reads the cells the rule gives, with no error; the log is theirs
        // to read as little as the public's.
        let read = ask(Some(&staff), "{ people(first: 100) { nodes { email } } }").await;
        assert!(read.body.get("errors").is_none(), "{read:#?}");
        assert!(read.body["data"]["people"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|person| person["email"].is_string()));
        let log = ask(Some(&staff), "{ personalDataReads { totalCount } }").await;
        assert_eq!(
            log.body["data"],
            json!({ "personalDataReads": null }),
            "{log:#?}"
        );
        assert_eq!(log.error_codes(), ["FORBIDDEN"]);
    }
}

#[tokio::test]
async fn an_entity_the_router_asks_for_answers_contact_details_by_the_forwarded_key() {
    use atmp_graph::graphql::SchemaRole;
    use entities::enums::KeyRole;

    let app = subgraph_of(SchemaRole::Staff).await;
    let admin = app.key("admin", KeyRole::Admin, &[]).await;
    let people = app
        .graphql_as(&admin, "{ people(first: 100) { nodes { id email } } }")
        .await;
    let (id, email) = people.data()["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|person| person["email"].is_string())
        .map(|person| (person["id"].as_str().unwrap(), person["email"].clone()))
        .unwrap();
    let query = entities_query(&[("Person", id)], "... on Person { id email }");

    let public = app.graphql(&query).await;
    let admin_read = app.graphql_as(&admin, &query).await;

    assert_eq!(
        public.body["data"],
        json!({ "_entities": [{ "id": id, "email": null }] }),
        "{public:#?}"
    );
    assert_eq!(public.error_codes(), ["FORBIDDEN"]);
    assert_eq!(
        admin_read.data(),
        &json!({ "_entities": [{ "id": id, "email": email }] })
    );
}
