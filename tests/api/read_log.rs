//! The log of who read personal data: each response that carries a non-null `email` or
//! `phone` is an entry (its key, when, the operation's hash and name, how many people's
//! details it carried), written off the request path; admins list it through
//! `personalDataReads`, operators with `atmp-graph keys reads`.

use atmp_graph::config::Config;
use atmp_graph::domain::sha256_hex;
use atmp_graph::store::{ReadsPage, Source, Store};
use entities::enums::KeyRole;
use serde_json::{json, Value};

use crate::helpers::{run_cli, TestApp};

/// Every person's details, as a named operation.
const COLLEAGUES: &str = "query Colleagues { people(first: 100) { nodes { email phone } } }";

/// The log as the admin with `secret` lists it.
const LOG: &str = "{ personalDataReads(first: 10) { totalCount nodes { keyId keyName signedIn { \
    subject } people operationName operationHash readAt } } }";

/// How many people's details `data` carries (an email or a phone that is not null).
fn carried(data: &Value) -> u64 {
    data["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|person| !person["email"].is_null() || !person["phone"].is_null())
        .count() as u64
}

#[tokio::test]
async fn a_staff_read_is_logged_with_its_key_operation_and_number_of_people() {
    let app = TestApp::spawn_with_generated(4).await;
    let admin = app.key("admin", KeyRole::Admin, &[]).await;
    let staff = app.key("kuh-desk", KeyRole::Staff, &["KUH"]).await;
    let staff_id = app.app.store.key_id("kuh-desk").await.unwrap().unwrap();

    let read = app.graphql_as(&staff, COLLEAGUES).await;
    let people = carried(read.data());
    app.app.store.personal_data_reads_written().await;
    let log = app.graphql_as(&admin, LOG).await;

    assert!(people >= 6, "KUH's generated people: {people}");
    let entries = &log.data()["personalDataReads"];
    assert_eq!(entries["totalCount"], 1, "{log:#?}");
    let entry = &entries["nodes"][0];
    assert_eq!(
        entry,
        &json!({
            "keyId": staff_id.to_string(),
            "keyName": "kuh-desk",
            "signedIn": null,
            "people": people,
            "operationName": "Colleagues",
            "operationHash": sha256_hex(COLLEAGUES),
            "readAt": entry["readAt"],
        })
    );
    let read_at = entry["readAt"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(read_at).is_ok(),
        "{read_at}"
    );
}

#[tokio::test]
async fn the_field_by_field_path_logs_the_same_entry() {
    let app = TestApp::spawn_with_generated(4).await;
    let staff = app.key("kuh-desk", KeyRole::Staff, &["KUH"]).await;

    let planned = app.graphql_as(&staff, COLLEAGUES).await;
    let by_field = app.graphql_field_by_field_as(&staff, COLLEAGUES).await;
    app.app.store.personal_data_reads_written().await;
    let (entries, _) = app
        .app
        .store
        .personal_data_reads(&ReadsPage {
            first: 10,
            ..ReadsPage::default()
        })
        .await
        .unwrap();

    assert_eq!(planned.data(), by_field.data());
    let people: Vec<u32> = entries.iter().map(|entry| entry.people).collect();
    let carried = carried(planned.data()) as u32;
    assert_eq!(people, [carried, carried]);
}

#[tokio::test]
async fn a_response_carrying_no_contact_detail_is_not_logged() {
    let app = TestApp::spawn_with_generated(4).await;
    let staff = app.key("ki-desk", KeyRole::Staff, &["KI"]).await;
    let admin = app.key("admin", KeyRole::Admin, &[]).await;
    let partner = app.key("acme", KeyRole::Partner, &["KI"]).await;
    // A person of KUH's only, whose details KI's staff read as null.
    let everybody = app
        .graphql_as(
            &admin,
            "{ people(first: 100) { nodes { id email appointments(first: 10) { nodes { institution { code } } } } } }",
        )
        .await;
    let kuh_only = everybody.data()["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|person| {
            person["email"].is_string()
                && person["appointments"]["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|a| a["institution"]["code"] == "KUH")
        })
        .map(|person| person["id"].as_str().unwrap().to_owned())
        .unwrap();
    app.app.store.personal_data_reads_written().await;
    let logged = app.app.store.count_personal_data_reads(None).await.unwrap();

    let null_details = app
        .graphql_as(
            &staff,
            &format!(r#"{{ node(id: "{kuh_only}") {{ ... on Person {{ name email phone }} }} }}"#),
        )
        .await;
    let no_details = app
        .graphql_as(&staff, "{ people(first: 100) { nodes { name } } }")
        .await;
    let partners = app
        .graphql_as(&partner, "{ people(first: 100) { nodes { name } } }")
        .await;
    let public = app
        .graphql("{ people(first: 100) { nodes { name } } }")
        .await;
    app.app.store.personal_data_reads_written().await;

    assert_eq!(logged, 1, "the admin's read above");
    assert_eq!(
        null_details.data()["node"]["email"],
        Value::Null,
        "{null_details:#?}"
    );
    for response in [&no_details, &partners, &public] {
        assert!(response.body.get("errors").is_none(), "{response:#?}");
    }
    assert_eq!(
        app.app.store.count_personal_data_reads(None).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn the_log_pages_newest_first_for_an_admin_and_is_absent_for_staff() {
    let app = TestApp::spawn_with_generated(2).await;
    let admin = app.key("admin", KeyRole::Admin, &[]).await;
    let staff = app.key("kuh-desk", KeyRole::Staff, &["KUH"]).await;
    for name in ["First", "Second", "Third"] {
        let query = format!("query {name} {{ people(first: 100) {{ nodes {{ email }} }} }}");
        app.graphql_as(&staff, &query).await.data();
    }
    app.app.store.personal_data_reads_written().await;
    let page = |after: Option<&str>| {
        let after = after.map_or_else(String::new, |cursor| format!(r#", after: "{cursor}""#));
        format!(
            "{{ personalDataReads(first: 2{after}) {{ edges {{ cursor node {{ operationName }} }} \
             pageInfo {{ hasNextPage hasPreviousPage endCursor }} }} }}"
        )
    };

    let first = app.graphql_as(&admin, &page(None)).await;
    let first = &first.data()["personalDataReads"];
    let end = first["pageInfo"]["endCursor"].as_str().unwrap();
    let second = app.graphql_as(&admin, &page(Some(end))).await;
    let second = &second.data()["personalDataReads"];
    let names = |page: &Value| {
        page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["operationName"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let units = app
        .data("{ units(first: 1) { pageInfo { endCursor } } }")
        .await;
    let foreign = units["units"]["pageInfo"]["endCursor"].as_str().unwrap();
    let refused = app.graphql_as(&admin, &page(Some(foreign))).await;
    let hidden = app
        .graphql_as(&staff, "{ personalDataReads { totalCount } }")
        .await;

    assert_eq!(names(first), ["Third", "Second"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(names(second), ["First"]);
    assert_eq!(
        second["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": true, "endCursor": second["edges"][0]["cursor"] })
    );
    assert_eq!(refused.error_codes(), ["BAD_USER_INPUT"], "{refused:#?}");
    assert_eq!(hidden.error_codes(), ["BAD_USER_INPUT"], "{hidden:#?}");
    assert_eq!(
        hidden.error_messages(),
        [r#"Unknown field "personalDataReads" on type "Query"."#]
    );
}

#[tokio::test]
async fn a_read_logged_as_the_store_closes_is_written_before_it_is_closed() {
    let app = TestApp::spawn_with_generated(2).await;
    let staff = app.key("kuh-desk", KeyRole::Staff, &["KUH"]).await;

    app.graphql_as(&staff, COLLEAGUES).await.data();
    app.app.store.close().await.unwrap();
    let pool = Config::for_database(&app.database_url)
        .unwrap()
        .pool_settings();
    let reopened = Store::single(Source::connect(&app.database_url, pool).await.unwrap());

    assert_eq!(reopened.count_personal_data_reads(None).await.unwrap(), 1);
}

/// Runs `atmp-graph --database-url <the test's database> keys reads <args>`, off the
/// runtime's thread: whether it succeeded, its stdout and its stderr.
async fn keys_reads(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["keys", "reads"];
    all.extend_from_slice(args);
    run_cli(app, &all).await
}

#[tokio::test]
async fn keys_reads_lists_the_log_and_the_reads_of_one_key() {
    let app = TestApp::spawn_with_generated(2).await;
    let kuh = app.key("kuh-desk", KeyRole::Staff, &["KUH"]).await;
    let ki = app.key("ki-desk", KeyRole::Staff, &["KI"]).await;
    let kuh_read = app.graphql_as(&kuh, COLLEAGUES).await;
    app.graphql_as(&ki, "{ people(first: 100) { nodes { phone } } }")
        .await
        .data();
    app.app.store.personal_data_reads_written().await;

    let every = keys_reads(&app, &[]).await;
    let one = keys_reads(&app, &["--key", "kuh-desk", "--limit", "5"]).await;
    let unknown = keys_reads(&app, &["--key", "nobody"]).await;

    let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
    let (succeeded, stdout, _) = every;
    assert!(succeeded, "{stdout}");
    let every = lines(&stdout);
    assert_eq!(every.len(), 3, "{stdout}");
    assert!(every[0].starts_with("READ AT "), "{stdout}");
    assert!(every[1].contains(" ki-desk "), "newest first: {stdout}");
    assert!(every[2].contains(" kuh-desk "), "{stdout}");
    let (succeeded, stdout, _) = one;
    assert!(succeeded, "{stdout}");
    let one = lines(&stdout);
    assert_eq!(one.len(), 2, "{stdout}");
    let cells: Vec<&str> = one[1].split_whitespace().collect();
    assert_eq!(
        cells[2..],
        [
            "kuh-desk",
            "-",
            &carried(kuh_read.data()).to_string(),
            "Colleagues",
            &sha256_hex(COLLEAGUES)
        ]
    );
    let (succeeded, _, stderr) = unknown;
    assert!(!succeeded);
    assert!(
        stderr.contains("no key has the ID or name `nobody`"),
        "{stderr}"
    );
}
