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

/// `_entities` of `representations` (JSON values), with `selection` on each entity.
const ENTITIES_OF: &str = "query($r: [_Any!]!) { _entities(representations: $r) { SELECTION } }";

/// The answers of the planned path and of the field-by-field one to `_entities` of
/// `representations` with `selection`, which must be the same; the planned one.
async fn entities_alike(app: &TestApp, representations: Value, selection: &str) -> Value {
    let query = ENTITIES_OF.replace("SELECTION", selection);
    crate::planned::assert_same_answer(app, &query, json!({ "r": representations }))
        .await
        .body
}

/// A representation of `typename` with this `id`.
fn representation(typename: &str, id: &str) -> Value {
    json!({ "__typename": typename, "id": id })
}

#[tokio::test]
async fn entities_are_answered_as_field_by_field() {
    let app = TestApp::spawn_with_generated(6)
        .await
        .reconfigured(|config| config.federation = true);
    let units = app.data("{ units(first: 5) { nodes { id } } }").await["units"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|unit| unit["id"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let trial = app.data("{ trials(first: 1) { nodes { id } } }").await["trials"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let person = app.data("{ people(first: 1) { nodes { id } } }").await["people"]["nodes"][0]
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let nobody = "VW5pdDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA";
    let many = json!([
        representation("Unit", &units[0]),
        representation("Trial", &trial),
        representation("Unit", &units[1]),
        representation("Unit", nobody),
        representation("Person", &person),
        // Equal representations, each answered.
        representation("Unit", &units[0]),
        representation("Unit", &units[2]),
    ]);
    // Selections of every shape: references and relations below the entities, fragments on
    // `Node` and on the members, aliases, `__typename` at every level, nothing but
    // `__typename`.
    let selections = [
        "__typename ... on Node { id } ... on Unit { shortName parent { name parent { shortName } } \
           institution { code } cleanrooms(first: 2) { totalCount nodes { code unit { shortName } } } } \
         ... on Trial { title sponsor { code } product { name developingUnit { shortName } } } \
         ... on Person { name appointments(first: 3) { nodes { title unit { shortName } } } }",
        "... on Unit { a: name b: name parent { __typename } } ... on Trial { __typename }",
        "__typename",
        "... on Institution { code }",
    ];
    for selection in selections {
        let answer = entities_alike(&app, many.clone(), selection).await;
        assert!(answer.get("errors").is_none(), "{selection}: {answer}");
        let entities = answer["data"]["_entities"].as_array().unwrap();
        assert_eq!(entities.len(), 7, "{selection}");
        assert!(entities[3].is_null(), "{selection}: {answer}");
        assert_eq!(entities[0], entities[5], "{selection}: {answer}");
    }

    // Bad representations among good ones, each null with its error at its index; equal bad
    // ones reported at the first one's index, as field by field.
    let bad = json!([
        representation("Unit", &units[0]),
        representation("Bogus", &units[0]),
        representation("Product", &units[1]),
        representation("Unit", "not-an-id"),
        { "__typename": "Unit", "key": units[0] },
        { "__typename": "Unit", "id": { "nested": true } },
        { "id": units[0] },
        "no object",
        representation("Trial", &trial),
        representation("Unit", "not-an-id"),
    ]);
    let answer = entities_alike(
        &app,
        bad,
        "__typename ... on Unit { name } ... on Trial { title }",
    )
    .await;
    let entities = answer["data"]["_entities"].as_array().unwrap();
    assert_eq!(
        entities.iter().map(Value::is_null).collect::<Vec<_>>(),
        [false, true, true, true, true, true, true, true, false, true],
        "{answer}"
    );
    assert_eq!(answer["errors"].as_array().unwrap().len(), 8, "{answer}");
}

#[tokio::test]
async fn an_entity_the_caller_may_not_read_is_null_with_no_error_on_both_paths() {
    use atmp_graph::graphql::SchemaRole;
    use entities::enums::KeyRole;

    let app = TestApp::spawn_generating(crate::roles::mixed_options())
        .await
        .reconfigured(|config| {
            config.federation = true;
            config.subgraph_role = SchemaRole::Admin;
        });
    let admin = app.key("admin", KeyRole::Admin, &[]).await;
    let units = app
        .graphql_as(&admin, "{ units(first: 100) { nodes { id visibility } } }")
        .await;
    let visibility_of = |wanted: &str| {
        units.data()["units"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|unit| unit["visibility"] == wanted)
            .map(|unit| unit["id"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no {wanted} unit"))
    };
    let (hidden, shown) = (visibility_of("INTERNAL"), visibility_of("PUBLIC"));
    let representations = json!([
        representation("Unit", &hidden),
        representation("Unit", &shown),
    ]);

    let public = entities_alike(&app, representations.clone(), "... on Unit { id }").await;
    let query = entities_query(&[("Unit", &hidden), ("Unit", &shown)], "... on Unit { id }");
    let read = app.graphql_as(&admin, &query).await;

    assert_eq!(
        public,
        json!({ "data": { "_entities": [null, { "id": shown }] } })
    );
    assert_eq!(
        read.body,
        json!({ "data": { "_entities": [{ "id": hidden }, { "id": shown }] } })
    );
}

#[tokio::test]
async fn entities_take_one_statement_per_kind_and_level_on_one_database_and_split() {
    for split in [false, true] {
        let app = TestApp::spawn_laid_out(split, 12)
            .await
            .reconfigured(|config| config.federation = true);
        let data = app
            .data("{ units(first: 20) { nodes { id } } cleanrooms(first: 10) { nodes { id } } }")
            .await;
        let mut representations = Vec::new();
        for (list, typename) in [("units", "Unit"), ("cleanrooms", "Cleanroom")] {
            for node in data[list]["nodes"].as_array().unwrap() {
                representations.push(format!(
                    r#"{{ __typename: "{typename}", id: "{}" }}"#,
                    node["id"].as_str().unwrap()
                ));
            }
        }
        let query = format!(
            "{{ _entities(representations: [{}]) {{ \
               ... on Unit {{ name parent {{ name institution {{ code }} }} }} \
               ... on Cleanroom {{ code unit {{ name parent {{ name }} }} }} }} }}",
            representations.join(", ")
        );

        let (planned, answer) = app.statements_and_response(&query).await;
        let (field_by_field, reference) = app.statements_field_by_field(&query).await;

        assert!(answer.body.get("errors").is_none(), "{answer:?}");
        assert_eq!(answer.text, reference.text, "split {split}");
        // At most the units and the cleanrooms; the units they name (parents and cleanrooms'
        // units, one statement); those units' parents; the institutions.
        assert!(
            planned <= 5 && planned <= field_by_field,
            "split {split}: planned {planned}, field by field {field_by_field}"
        );
    }
}

#[tokio::test]
async fn an_entity_in_a_source_that_does_not_answer_fails_alone_as_field_by_field() {
    let app = TestApp::spawn_split_probed(300, 60_000)
        .await
        .reconfigured(|config| config.federation = true);
    let units = app
        .data("{ units(first: 50) { nodes { id institution { code } } } }")
        .await;
    let of = |code: &str| {
        units["units"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|unit| unit["institution"]["code"] == code)
            .map(|unit| unit["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let representations = json!([
        representation("Unit", &of("KI")),
        representation("Unit", &of("KUH")),
    ]);

    let _taken = app.take_every_connection("KUH").await;
    let answer = entities_alike(&app, representations, "... on Unit { name }").await;

    assert!(
        answer["data"]["_entities"][0]["name"].is_string(),
        "{answer}"
    );
    assert!(answer["data"]["_entities"][1].is_null(), "{answer}");
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{answer}");
    assert_eq!(errors[0]["path"], json!(["_entities", 1]));
    assert_eq!(errors[0]["extensions"]["code"], "SOURCE_UNAVAILABLE");
}

#[tokio::test]
async fn a_mutation_through_a_stewards_subgraph_is_forbidden_to_a_forwarded_key_that_writes_nothing(
) {
    use atmp_graph::graphql::SchemaRole;
    use entities::enums::KeyRole;

    // The router composes with a steward's SDL, so every caller meets `Mutation`; the
    // forwarded key decides whether it may write.
    let app = subgraph_of(SchemaRole::Steward).await;
    let staff = app.key("ki-desk", KeyRole::Staff, &["KI"]).await;
    let room = app
        .data(r#"{ cleanrooms(first: 1, filter: { institution: { eq: "KI" } }) { nodes { id version name } } }"#)
        .await["cleanrooms"]["nodes"][0]
        .clone();
    let update = format!(
        r#"mutation {{ updateCleanroom(input: {{ id: "{}", expectedVersion: {}, patch: {{ name: "x" }} }}) {{ userErrors {{ code }} }} }}"#,
        room["id"].as_str().unwrap(),
        room["version"]
    );
    for answer in [
        app.graphql(&update).await,
        app.graphql_as(&staff, &update).await,
    ] {
        assert_eq!(answer.body["data"], serde_json::Value::Null, "{answer:#?}");
        assert_eq!(answer.error_codes(), ["FORBIDDEN"], "{answer:#?}");
        assert_eq!(
            answer.error_messages(),
            ["your role does not write records: a data steward's or an admin's key does"]
        );
    }
    let after = app
        .data(&format!(
            r#"{{ node(id: "{}") {{ ... on Cleanroom {{ version name }} }} }}"#,
            room["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(after["node"]["version"], room["version"]);
    assert_eq!(after["node"]["name"], room["name"]);
}
