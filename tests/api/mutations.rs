//! Mutations (README, "Changing records"): a data steward of KI keeps KI's cleanrooms, an admin
//! every record; user mistakes are `userErrors`, never GraphQL errors; versions; the audit log
//! in the same transaction, and its chain verified.

use entities::enums::KeyRole;
use serde_json::{json, Value};

use crate::helpers::{keyed_request_with, run_cli, TestApp};

const CREATE: &str = r#"
mutation ($input: CreateCleanroomInput!) {
  createCleanroom(input: $input) {
    clientMutationId
    cleanroom { id code name regime grade areaM2 qualifiedOn visibility version unit { id } institution { code } }
    userErrors { field code message }
  }
}"#;

const UPDATE: &str = r#"
mutation ($input: UpdateCleanroomInput!) {
  updateCleanroom(input: $input) {
    clientMutationId
    cleanroom { id code name grade areaM2 qualifiedOn version }
    userErrors { field code message }
  }
}"#;

const DELETE: &str = r#"
mutation ($input: DeleteCleanroomInput!) {
  deleteCleanroom(input: $input) {
    clientMutationId
    deletedCleanroomId
    cleanroom { id version }
    userErrors { field code message }
  }
}"#;

/// The first cleanroom of `code`'s institution, by code: its ID, code, version and unit's ID.
async fn a_cleanroom_of(app: &TestApp, code: &str) -> (String, String, i64, String) {
    let data = app
        .data(&format!(
            r#"{{ cleanrooms(first: 1, filter: {{ institution: {{ eq: "{code}" }} }}) {{
                nodes {{ id code version unit {{ id }} }} }} }}"#
        ))
        .await;
    let room = &data["cleanrooms"]["nodes"][0];
    (
        room["id"].as_str().unwrap().to_owned(),
        room["code"].as_str().unwrap().to_owned(),
        room["version"].as_i64().unwrap(),
        room["unit"]["id"].as_str().unwrap().to_owned(),
    )
}

/// How many cleanrooms the public reads.
async fn cleanroom_count(app: &TestApp) -> i64 {
    app.data("{ cleanrooms(first: 1) { totalCount } }").await["cleanrooms"]["totalCount"]
        .as_i64()
        .unwrap()
}

/// The user errors of a payload as `(field path joined by '.', message)`.
fn messages(payload: &Value) -> Vec<(String, String)> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            let field: Vec<&str> = error["field"]
                .as_array()
                .unwrap()
                .iter()
                .map(|name| name.as_str().unwrap())
                .collect();
            (
                field.join("."),
                error["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `(field, message)` pairs, owned.
fn said(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(field, message)| ((*field).to_owned(), (*message).to_owned()))
        .collect()
}

/// The user errors of a payload as `(field path joined by '.', code)`.
fn mistakes(payload: &Value) -> Vec<(String, String)> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            let field: Vec<&str> = error["field"]
                .as_array()
                .unwrap()
                .iter()
                .map(|name| name.as_str().unwrap())
                .collect();
            (field.join("."), error["code"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// Renames cleanroom `room`, at `version`, `times` times in a row ("Name 0", "Name 1" …), each
/// change made.
async fn rename_times(app: &TestApp, key: &str, room: &str, version: i64, times: i64) {
    for (i, expected) in (version..version + times).enumerate() {
        let answer = app
            .graphql_as_with(
                key,
                UPDATE,
                json!({ "input": { "id": room, "expectedVersion": expected, "patch": { "name": format!("Name {i}") } } }),
            )
            .await;
        assert_eq!(answer.data()["updateCleanroom"]["userErrors"], json!([]));
    }
}

#[tokio::test]
async fn a_steward_creates_changes_and_deletes_a_cleanroom_of_their_institution() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let (_, _, _, unit) = a_cleanroom_of(&app, "KI").await;
    let before = cleanroom_count(&app).await;

    let created = app
        .graphql_as_with(
            &steward,
            CREATE,
            json!({ "input": {
                "clientMutationId": "c-1", "unit": unit, "code": " TEST-101 ", "name": "Sterile filling",
                "regime": "GMP", "grade": "B", "areaM2": 21.5, "qualifiedOn": "2026-11-30"
            }}),
        )
        .await;
    let payload = &created.data()["createCleanroom"];
    assert_eq!(payload["clientMutationId"], "c-1");
    assert_eq!(payload["userErrors"], json!([]));
    let room = &payload["cleanroom"];
    assert_eq!(room["code"], "TEST-101", "trimmed");
    assert_eq!(room["name"], "Sterile filling");
    assert_eq!(room["grade"], "B");
    assert_eq!(room["areaM2"], 21.5);
    assert_eq!(room["qualifiedOn"], "2026-11-30");
    assert_eq!(room["visibility"], "PUBLIC");
    assert_eq!(room["version"], 1);
    assert_eq!(room["unit"]["id"], unit);
    assert_eq!(room["institution"]["code"], "KI");
    let id = room["id"].as_str().unwrap().to_owned();
    assert_eq!(cleanroom_count(&app).await, before + 1);
    // The public reads it, by ID and in the facility's list.
    let read = app
        .data(&format!(
            r#"{{ node(id: "{id}") {{ ... on Cleanroom {{ code version }} }} }}"#
        ))
        .await;
    assert_eq!(read["node"], json!({ "code": "TEST-101", "version": 1 }));

    // A change: fields set, one emptied, the rest kept; the version goes up.
    let updated = app
        .graphql_as_with(
            &steward,
            UPDATE,
            json!({ "input": { "id": id, "expectedVersion": 1,
                "patch": { "grade": "A", "name": null, "areaM2": 30 } } }),
        )
        .await;
    let payload = &updated.data()["updateCleanroom"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(
        payload["cleanroom"],
        json!({ "id": id, "code": "TEST-101", "name": null, "grade": "A", "areaM2": 30.0,
                "qualifiedOn": "2026-11-30", "version": 2 })
    );

    // Deleted at its current version.
    let deleted = app
        .graphql_as_with(
            &steward,
            DELETE,
            json!({ "input": { "id": id, "expectedVersion": 2 } }),
        )
        .await;
    let payload = &deleted.data()["deleteCleanroom"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["deletedCleanroomId"], id.as_str());
    assert_eq!(cleanroom_count(&app).await, before);
    let read = app
        .data(&format!(r#"{{ node(id: "{id}") {{ id }} }}"#))
        .await;
    assert_eq!(read["node"], Value::Null);
    // Nor does search find it any more.
    let found = app
        .data(r#"{ search(text: "TEST-101", first: 5) { totalCount } }"#)
        .await;
    assert_eq!(found["search"]["totalCount"], 0);
}

#[tokio::test]
async fn every_mistake_of_an_input_is_a_user_error_at_its_path_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let (room, _, version, unit) = a_cleanroom_of(&app, "KI").await;
    let before = cleanroom_count(&app).await;

    let created = app
        .graphql_as_with(
            &steward,
            CREATE,
            json!({ "input": {
                "unit": room, "code": "  ", "regime": "GMP", "areaM2": -1,
                "qualifiedOn": "30/11/2026", "name": "x".repeat(2001)
            }}),
        )
        .await;
    let payload = &created.data()["createCleanroom"];
    assert_eq!(payload["cleanroom"], Value::Null);
    let mut found = mistakes(payload);
    found.sort();
    assert_eq!(
        found,
        [
            ("areaM2", "INVALID_VALUE"),
            ("code", "INVALID_VALUE"),
            ("name", "INVALID_VALUE"),
            ("qualifiedOn", "INVALID_VALUE"),
            ("unit", "INVALID_VALUE"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    let unit_error = &payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == json!(["unit"]))
        .unwrap()["message"];
    assert_eq!(unit_error, "is the ID of a Cleanroom, not of a Unit");
    let mut told = messages(payload);
    told.sort();
    assert_eq!(
        told,
        said(&[
            ("areaM2", "must be a number that is not negative"),
            ("code", "must not be empty"),
            ("name", "is longer than 2000 characters"),
            (
                "qualifiedOn",
                "`30/11/2026` is not an ISO 8601 date such as 2024-05-31"
            ),
            ("unit", "is the ID of a Cleanroom, not of a Unit"),
        ])
    );

    let garbage = app
        .graphql_as_with(
            &steward,
            CREATE,
            json!({ "input": { "unit": "not-an-id", "code": "X", "regime": "GMP" } }),
        )
        .await;
    assert_eq!(
        mistakes(&garbage.data()["createCleanroom"]),
        [("unit".to_owned(), "INVALID_VALUE".to_owned())]
    );
    assert_eq!(
        messages(&garbage.data()["createCleanroom"]),
        said(&[("unit", "`not-an-id` is not an ID")])
    );

    let updated = app
        .graphql_as_with(
            &steward,
            UPDATE,
            json!({ "input": { "id": room, "expectedVersion": version,
                "patch": { "code": null, "regime": null, "unit": null, "qualifiedOn": "tomorrow" } } }),
        )
        .await;
    let payload = &updated.data()["updateCleanroom"];
    let mut found = mistakes(payload);
    found.sort();
    assert_eq!(
        found,
        [
            ("patch.code", "INVALID_VALUE"),
            ("patch.qualifiedOn", "INVALID_VALUE"),
            ("patch.regime", "INVALID_VALUE"),
            ("patch.unit", "INVALID_VALUE"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    assert_eq!(cleanroom_count(&app).await, before);
    let (_, _, after, _) = a_cleanroom_of(&app, "KI").await;
    assert_eq!(after, version, "nothing was changed");
    assert!(!unit.is_empty());
    let (verified, broken) = app.app.store.verify_audit().await.unwrap();
    assert!(broken.is_empty());
    assert_eq!(
        verified.iter().map(|source| source.rows).sum::<i64>(),
        0,
        "no audit row for a change not made"
    );
}

#[tokio::test]
async fn a_record_the_steward_may_not_write_is_not_found_whether_or_not_it_exists() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let (kuh_room, _, kuh_version, kuh_unit) = a_cleanroom_of(&app, "KUH").await;
    let (ki_room, _, _, _) = a_cleanroom_of(&app, "KI").await;
    // An ID of no cleanroom at all.
    let nowhere = crate::helpers::node_id("Cleanroom", uuid::Uuid::from_u128(7));

    let mut refusals = Vec::new();
    for id in [&kuh_room, &nowhere] {
        let answer = app
            .graphql_as_with(
                &steward,
                UPDATE,
                json!({ "input": { "id": id, "expectedVersion": kuh_version, "patch": { "name": "Mine" } } }),
            )
            .await;
        let payload = &answer.data()["updateCleanroom"];
        assert_eq!(payload["cleanroom"], Value::Null);
        assert_eq!(
            mistakes(payload),
            [("id".to_owned(), "NOT_FOUND".to_owned())]
        );
        refusals.push(payload["userErrors"][0]["message"].clone());
        let deleted = app
            .graphql_as_with(
                &steward,
                DELETE,
                json!({ "input": { "id": id, "expectedVersion": kuh_version } }),
            )
            .await;
        assert_eq!(
            mistakes(&deleted.data()["deleteCleanroom"]),
            [("id".to_owned(), "NOT_FOUND".to_owned())]
        );
    }
    assert_eq!(
        refusals[0], refusals[1],
        "the answer never tells which exists"
    );
    assert_eq!(
        refusals[0],
        "no cleanroom you may see and change has this ID"
    );

    // Nor may it create a cleanroom in KUH's facility, or move its own there.
    let created = app
        .graphql_as_with(
            &steward,
            CREATE,
            json!({ "input": { "unit": kuh_unit, "code": "MINE-1", "regime": "GMP" } }),
        )
        .await;
    assert_eq!(
        mistakes(&created.data()["createCleanroom"]),
        [("unit".to_owned(), "NOT_FOUND".to_owned())]
    );
    assert_eq!(
        messages(&created.data()["createCleanroom"]),
        said(&[(
            "unit",
            "no record of an institution whose records you keep has this ID"
        )])
    );
    let (_, _, ki_version, _) = a_cleanroom_of(&app, "KI").await;
    let moved = app
        .graphql_as_with(
            &steward,
            UPDATE,
            json!({ "input": { "id": ki_room, "expectedVersion": ki_version, "patch": { "unit": kuh_unit } } }),
        )
        .await;
    assert_eq!(
        mistakes(&moved.data()["updateCleanroom"]),
        [("patch.unit".to_owned(), "NOT_FOUND".to_owned())]
    );
    let kuh = app
        .data(&format!(
            r#"{{ node(id: "{kuh_room}") {{ ... on Cleanroom {{ name version }} }} }}"#
        ))
        .await;
    assert_ne!(kuh["node"]["name"], "Mine");
    assert_eq!(kuh["node"]["version"], kuh_version);

    // An admin may write KUH's.
    let admin = app.key("admin", KeyRole::Admin, &[]).await;
    let answer = app
        .graphql_as_with(
            &admin,
            UPDATE,
            json!({ "input": { "id": kuh_room, "expectedVersion": kuh_version, "patch": { "name": "Renamed" } } }),
        )
        .await;
    let payload = &answer.data()["updateCleanroom"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["cleanroom"]["name"], "Renamed");
}

#[tokio::test]
async fn an_old_version_is_stale_and_the_payload_holds_the_record_as_it_is() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let (room, code, version, _) = a_cleanroom_of(&app, "KI").await;
    let first = app
        .graphql_as_with(
            &steward,
            UPDATE,
            json!({ "input": { "id": room, "expectedVersion": version, "patch": { "name": "First" } } }),
        )
        .await;
    assert_eq!(first.data()["updateCleanroom"]["userErrors"], json!([]));

    let second = app
        .graphql_as_with(
            &steward,
            UPDATE,
            json!({ "input": { "id": room, "expectedVersion": version, "patch": { "name": "Second" } } }),
        )
        .await;
    let payload = &second.data()["updateCleanroom"];
    assert_eq!(
        mistakes(payload),
        [("expectedVersion".to_owned(), "STALE".to_owned())]
    );
    assert_eq!(
        messages(payload),
        said(&[(
            "expectedVersion",
            "the cleanroom has changed since that version; nothing was changed"
        )])
    );
    assert_eq!(payload["cleanroom"]["name"], "First");
    assert_eq!(payload["cleanroom"]["version"], version + 1);
    assert_eq!(payload["cleanroom"]["code"], code.as_str());

    let deleted = app
        .graphql_as_with(
            &steward,
            DELETE,
            json!({ "input": { "id": room, "expectedVersion": version } }),
        )
        .await;
    let payload = &deleted.data()["deleteCleanroom"];
    assert_eq!(
        mistakes(payload),
        [("expectedVersion".to_owned(), "STALE".to_owned())]
    );
    assert_eq!(payload["deletedCleanroomId"], Value::Null);
    assert_eq!(payload["cleanroom"]["version"], version + 1);
}

#[tokio::test]
async fn of_concurrent_changes_at_one_version_exactly_one_is_made() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let (room, _, version, _) = a_cleanroom_of(&app, "KI").await;
    let answers = futures::future::join_all((0..6).map(|i| {
        app.graphql_as_with(
            &steward,
            UPDATE,
            json!({ "input": { "id": room, "expectedVersion": version, "patch": { "name": format!("Writer {i}") } } }),
        )
    }))
    .await;
    let mut made = Vec::new();
    for answer in &answers {
        let payload = &answer.data()["updateCleanroom"];
        match mistakes(payload).as_slice() {
            [] => made.push(payload["cleanroom"]["name"].clone()),
            [(field, code)] => assert_eq!(
                (field.as_str(), code.as_str()),
                ("expectedVersion", "STALE")
            ),
            other => panic!("unexpected user errors: {other:?}"),
        }
    }
    assert_eq!(made.len(), 1, "{answers:#?}");
    let read = app
        .data(&format!(
            r#"{{ node(id: "{room}") {{ ... on Cleanroom {{ name version }} }} }}"#
        ))
        .await;
    assert_eq!(read["node"]["name"], made[0]);
    assert_eq!(read["node"]["version"], version + 1);
}

#[tokio::test]
async fn a_code_used_in_the_facility_is_a_duplicate_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let (_, code, _, unit) = a_cleanroom_of(&app, "KI").await;
    let before = cleanroom_count(&app).await;
    let created = app
        .graphql_as_with(
            &steward,
            CREATE,
            json!({ "input": { "unit": unit, "code": code, "regime": "GMP" } }),
        )
        .await;
    let payload = &created.data()["createCleanroom"];
    assert_eq!(
        mistakes(payload),
        [("code".to_owned(), "DUPLICATE".to_owned())]
    );
    assert_eq!(
        messages(payload),
        said(&[("code", "another cleanroom already has this value")])
    );
    assert_eq!(payload["cleanroom"], Value::Null);
    assert_eq!(cleanroom_count(&app).await, before);
    let (verified, _) = app.app.store.verify_audit().await.unwrap();
    assert_eq!(verified.iter().map(|source| source.rows).sum::<i64>(), 0);
}

#[tokio::test]
async fn only_stewards_and_admins_have_mutations_in_their_schema() {
    let app = TestApp::spawn().await;
    let introspect = "{ __schema { mutationType { name } } }";
    assert_eq!(
        app.data(introspect).await["__schema"]["mutationType"],
        Value::Null
    );
    for (role, institutions, writes) in [
        (KeyRole::Partner, &["KI"][..], false),
        (KeyRole::Staff, &["KI"], false),
        (KeyRole::Steward, &["KI"], true),
        (KeyRole::Admin, &[], true),
    ] {
        let key = app.key(&format!("{role:?}"), role, institutions).await;
        let answer = app.graphql_as(&key, introspect).await;
        assert_eq!(
            answer.data()["__schema"]["mutationType"],
            if writes {
                json!({ "name": "Mutation" })
            } else {
                Value::Null
            },
            "{role:?}"
        );
    }
    // A staff key sending a mutation is refused before anything runs.
    let staff = app.key("staff-2", KeyRole::Staff, &["KI"]).await;
    let (room, _, version, _) = a_cleanroom_of(&app, "KI").await;
    let answer = app
        .graphql_as_with(
            &staff,
            UPDATE,
            json!({ "input": { "id": room, "expectedVersion": version, "patch": { "name": "x" } } }),
        )
        .await;
    // Refused as any unknown name is, with the caller's own schema's words.
    assert_eq!(answer.status, 400);
    let codes = answer.error_codes();
    assert!(
        !codes.is_empty() && codes.iter().all(|code| code == "BAD_USER_INPUT"),
        "{answer:#?}"
    );
    assert!(
        answer
            .error_messages()
            .iter()
            .all(|message| message == "Schema is not configured for mutations."),
        "{answer:#?}"
    );
    let (_, _, after, _) = a_cleanroom_of(&app, "KI").await;
    assert_eq!(after, version);
}

#[tokio::test]
async fn each_change_is_audited_in_a_chain_that_finds_an_edited_or_deleted_row() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let (room, _, version, _) = a_cleanroom_of(&app, "KI").await;
    rename_times(&app, &steward, &room, version, 3).await;
    let (verified, broken) = app.app.store.verify_audit().await.unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    assert_eq!(verified.iter().map(|source| source.rows).sum::<i64>(), 3);

    // An edited image breaks the chain at that row.
    app.execute_everywhere(
        "UPDATE audit_log SET \"after\" = replace(\"after\", 'Name 1', 'Name X') WHERE seq = 2",
    )
    .await;
    let (_, broken) = app.app.store.verify_audit().await.unwrap();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(broken[0].seq, 2);
    app.execute_everywhere(
        "UPDATE audit_log SET \"after\" = replace(\"after\", 'Name X', 'Name 1') WHERE seq = 2",
    )
    .await;
    let (_, broken) = app.app.store.verify_audit().await.unwrap();
    assert!(broken.is_empty(), "restored: {broken:?}");

    // A deleted row in the middle, and the last row deleted.
    app.execute_everywhere("DELETE FROM audit_log WHERE seq = 3")
        .await;
    let (_, broken) = app.app.store.verify_audit().await.unwrap();
    assert_eq!(broken.len(), 1);
    assert!(broken[0].problem.contains("deleted"), "{broken:?}");
    app.execute_everywhere("DELETE FROM audit_log WHERE seq = 1")
        .await;
    let (_, broken) = app.app.store.verify_audit().await.unwrap();
    assert_eq!(broken[0].seq, 1);
    assert!(broken[0].problem.contains("missing"), "{broken:?}");
}

#[tokio::test]
async fn a_cleanroom_made_internal_is_hidden_from_the_public_at_once_and_read_by_its_staff() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let staff = app.key("ki-desk", KeyRole::Staff, &["KI"]).await;
    let (room, code, version, _) = a_cleanroom_of(&app, "KI").await;
    let before = cleanroom_count(&app).await;
    let answer = app
        .graphql_as_with(
            &steward,
            UPDATE,
            json!({ "input": { "id": room, "expectedVersion": version, "patch": { "visibility": "INTERNAL" } } }),
        )
        .await;
    assert_eq!(answer.data()["updateCleanroom"]["userErrors"], json!([]));

    let by_id = format!(r#"{{ node(id: "{room}") {{ ... on Cleanroom {{ code visibility }} }} }}"#);
    assert_eq!(app.data(&by_id).await["node"], Value::Null);
    assert_eq!(cleanroom_count(&app).await, before - 1);
    let read = app.graphql_as(&staff, &by_id).await;
    assert_eq!(
        read.data()["node"],
        json!({ "code": code, "visibility": "INTERNAL" })
    );
}

#[tokio::test]
async fn a_code_changed_to_one_used_in_the_facility_is_a_duplicate_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let (_, code, _, unit) = a_cleanroom_of(&app, "KI").await;
    let created = app
        .graphql_as_with(
            &steward,
            CREATE,
            json!({ "input": { "unit": unit, "code": "NEW-1", "regime": "PRE_GMP" } }),
        )
        .await;
    let room = created.data()["createCleanroom"]["cleanroom"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let renamed = app
        .graphql_as_with(
            &steward,
            UPDATE,
            json!({ "input": { "id": room, "expectedVersion": 1, "patch": { "code": code } } }),
        )
        .await;
    let payload = &renamed.data()["updateCleanroom"];
    assert_eq!(
        mistakes(payload),
        [("patch.code".to_owned(), "DUPLICATE".to_owned())]
    );
    let read = app
        .data(&format!(
            r#"{{ node(id: "{room}") {{ ... on Cleanroom {{ code version }} }} }}"#
        ))
        .await;
    assert_eq!(read["node"], json!({ "code": "NEW-1", "version": 1 }));
    // One audit row: the creation.
    let (verified, broken) = app.app.store.verify_audit().await.unwrap();
    assert!(broken.is_empty());
    assert_eq!(verified.iter().map(|source| source.rows).sum::<i64>(), 1);
}

#[tokio::test]
async fn a_change_of_no_reference_or_marking_reads_and_writes_its_own_row_only() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    let (room, _, version, _) = a_cleanroom_of(&app, "KI").await;
    let request = keyed_request_with(
        &steward,
        UPDATE,
        json!({ "input": { "id": room, "expectedVersion": version, "patch": { "name": "Renamed", "grade": "C" } } }),
    );
    let (texts, answer) = app.statements_and_send(request).await;
    assert_eq!(answer.data()["updateCleanroom"]["userErrors"], json!([]));
    // No table is read whole: the people's audiences, the units and the appointments are not
    // read at all, and the cleanroom table only by ID.
    let writes: Vec<&String> = texts
        .iter()
        .filter(|text| !text.contains("api_key") && !text.contains("personal_data_read"))
        .collect();
    assert!(
        !writes
            .iter()
            .any(|text| text.contains("person_reader") || text.contains("FROM \"appointment\"")),
        "{writes:#?}"
    );
    assert!(
        writes
            .iter()
            .filter(|text| text.contains("FROM \"cleanroom\""))
            .all(|text| text.contains("WHERE")),
        "{writes:#?}"
    );
    assert!(
        writes.iter().any(|text| text.contains("audit_log")),
        "{writes:#?}"
    );

    // A new marking takes the whole path, which composes access from every source's rows.
    let (_, _, version, _) = a_cleanroom_of(&app, "KI").await;
    let request = keyed_request_with(
        &steward,
        UPDATE,
        json!({ "input": { "id": room, "expectedVersion": version, "patch": { "visibility": "PARTNER" } } }),
    );
    let (texts, answer) = app.statements_and_send(request).await;
    assert_eq!(answer.data()["updateCleanroom"]["userErrors"], json!([]));
    assert!(
        texts.iter().any(|text| text.contains("person_reader")),
        "{texts:#?}"
    );
}

/// Runs `atmp-graph --database-url <the app's first source> audit verify`.
async fn audit_verify(app: &TestApp) -> (bool, String, String) {
    run_cli(app, &["audit", "verify"]).await
}

#[tokio::test]
async fn audit_verify_on_the_command_line_exits_non_zero_naming_the_broken_row() {
    let app = TestApp::spawn().await;
    let steward = app.key("ki-steward", KeyRole::Steward, &["KI"]).await;
    // KI's records are in the first source in every layout, which the command reads.
    let (room, _, version, _) = a_cleanroom_of(&app, "KI").await;
    rename_times(&app, &steward, &room, version, 2).await;
    let (ok, stdout, stderr) = audit_verify(&app).await;
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("2 rows, the chain holds"), "{stdout}");

    app.execute_everywhere("UPDATE audit_log SET role = 'ADMIN' WHERE seq = 1")
        .await;
    let (ok, stdout, stderr) = audit_verify(&app).await;
    assert!(!ok, "{stdout}");
    assert!(stdout.contains("BROKEN at row 1"), "{stdout}");
    assert!(stderr.contains("is broken"), "{stderr}");
}
