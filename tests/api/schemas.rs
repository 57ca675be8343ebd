//! Each role's schema: its introspection lists only what it may read, and a field it may not
//! read is refused in validation exactly as a misspelt one, on both execution paths, with no
//! suggestion that names it. (That each is the checked-in `schema.<role>.graphql` is
//! `schema_file.rs`'s.)

use entities::enums::KeyRole;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TestResponse};

/// A caller of each role: its name and its secret (none for the public).
async fn callers(app: &TestApp) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("public", None),
        (
            "partner",
            Some(app.key("partner", KeyRole::Partner, &["KI", "KUH"]).await),
        ),
        (
            "staff",
            Some(app.key("staff", KeyRole::Staff, &["KUH"]).await),
        ),
        ("admin", Some(app.key("admin", KeyRole::Admin, &[]).await)),
    ]
}

/// `query` sent as the caller with this secret (none: the public), on the planned path or the
/// field-by-field one.
async fn ask(app: &TestApp, secret: Option<&str>, query: &str, planned: bool) -> TestResponse {
    match (secret, planned) {
        (Some(secret), true) => app.graphql_as(secret, query).await,
        (Some(secret), false) => app.graphql_field_by_field_as(secret, query).await,
        (None, true) => app.graphql(query).await,
        (None, false) => app.graphql_field_by_field(query, json!({})).await,
    }
}

/// The names of the fields of type `name` in the caller's introspection; `None` where it has
/// no such type.
async fn fields_of(app: &TestApp, secret: Option<&str>, name: &str) -> Option<Vec<String>> {
    let query = format!(r#"{{ __type(name: "{name}") {{ fields {{ name }} }} }}"#);
    let response = ask(app, secret, &query, true).await;
    let fields = response.data()["__type"]["fields"].as_array()?.clone();
    Some(
        fields
            .iter()
            .map(|field| field["name"].as_str().unwrap().to_owned())
            .collect(),
    )
}

#[tokio::test]
async fn each_roles_introspection_lists_only_what_it_may_read() {
    let app = TestApp::spawn().await;

    for (role, secret) in callers(&app).await {
        let secret = secret.as_deref();
        let person = fields_of(&app, secret, "Person").await.unwrap();
        let query = fields_of(&app, secret, "Query").await.unwrap();
        let log = fields_of(&app, secret, "PersonalDataRead").await;
        let contacts = ["staff", "admin"].contains(&role);

        assert!(person.contains(&"name".to_owned()), "{role}: {person:?}");
        assert_eq!(person.contains(&"email".to_owned()), contacts, "{role}");
        assert_eq!(person.contains(&"phone".to_owned()), contacts, "{role}");
        assert_eq!(
            query.contains(&"personalDataReads".to_owned()),
            role == "admin",
            "{role}"
        );
        assert_eq!(log.is_some(), role == "admin", "{role}: {log:?}");
    }
}

/// The message async-graphql refuses an unknown field `field` of `type_name` with, no
/// suggestion after it.
fn unknown(field: &str, type_name: &str) -> String {
    format!(r#"Unknown field "{field}" on type "{type_name}"."#)
}

/// The one error of `response`, which refused the query before running it.
fn refusal(response: &TestResponse) -> (Vec<String>, String) {
    assert_eq!(response.body.get("data"), None, "{response:#?}");
    let messages = response.error_messages();
    assert_eq!(messages.len(), 1, "{response:#?}");
    (response.error_codes(), messages[0].clone())
}

#[tokio::test]
async fn a_field_a_role_may_not_read_is_refused_as_unknown_on_both_paths_and_no_suggestion_names_it(
) {
    let app = TestApp::spawn().await;
    let people = |field: &str| format!("{{ people(first: 2) {{ nodes {{ name {field} }} }} }}");

    for (role, secret) in callers(&app).await {
        let secret = secret.as_deref();
        for planned in [true, false] {
            let path = if planned { "planned" } else { "field by field" };
            // Hidden fields, and names close to them that no role has.
            let mut cases = vec![
                (people("emal"), unknown("emal", "Person")),
                (people("phon"), unknown("phon", "Person")),
                (
                    "{ personalDataRead { totalCount } }".to_owned(),
                    unknown("personalDataRead", "Query"),
                ),
            ];
            if !["staff", "admin"].contains(&role) {
                cases.push((people("email"), unknown("email", "Person")));
                cases.push((people("phone"), unknown("phone", "Person")));
            }
            if role != "admin" {
                cases.push((
                    "{ personalDataReads { totalCount } }".to_owned(),
                    unknown("personalDataReads", "Query"),
                ));
            }
            for (query, expected) in cases {
                let response = ask(&app, secret, &query, planned).await;
                let (codes, message) = refusal(&response);

                assert_eq!(codes, ["BAD_USER_INPUT"], "{role}, {path}: {query}");
                // Misspelt and hidden alike: the message and nothing after it where only hidden
                // fields are near; a suggestion, where there is one, names a field of the role's.
                let visible_suggestion = message
                    .strip_prefix(&expected)
                    .unwrap_or_else(|| panic!("{role}, {path}: {message}"));
                let named_hidden = ["\"email\"", "\"phone\"", "\"personalDataReads\""]
                    .iter()
                    .any(|name| visible_suggestion.contains(name));
                assert_eq!(
                    named_hidden,
                    match role {
                        "admin" => true,
                        "staff" => !query.contains("personalDataRead"),
                        _ => false,
                    },
                    "{role}, {path}: {message}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_misspelt_hidden_field_is_suggested_to_a_role_that_reads_it_only() {
    let app = TestApp::spawn().await;
    let query = "{ people(first: 1) { nodes { emai } } }";
    let staff = app.key("staff", KeyRole::Staff, &["KI"]).await;

    let public = app.graphql(query).await;
    let reader = app.graphql_as(&staff, query).await;

    assert_eq!(
        public.error_messages(),
        [r#"Unknown field "emai" on type "Person"."#]
    );
    assert_eq!(
        reader.error_messages(),
        [r#"Unknown field "emai" on type "Person". Did you mean "email"?"#]
    );
}

#[tokio::test]
async fn a_hidden_field_behind_a_fragment_or_an_alias_is_refused_as_well() {
    let app = TestApp::spawn().await;
    let partner = app.key("partner", KeyRole::Partner, &["KI"]).await;

    for query in [
        "{ people(first: 1) { nodes { ...contact } } } fragment contact on Person { email }",
        "{ people(first: 1) { nodes { ... on Person { mail: phone } } } }",
        "{ nodes(ids: []) { ... on Person { email } } }",
        r#"{ node(id: "UGVyc29uOng") { ... on Person { phone } } }"#,
    ] {
        let response = app.graphql_as(&partner, query).await;
        let (codes, message) = refusal(&response);

        assert_eq!(codes, ["BAD_USER_INPUT"], "{query}");
        assert!(
            message.starts_with(r#"Unknown field "email" on type "Person"."#)
                || message.starts_with(r#"Unknown field "phone" on type "Person"."#),
            "{query}: {message}"
        );
    }
}

#[tokio::test]
async fn a_role_schema_answers_the_fields_of_every_role_below_it_alike() {
    let app = TestApp::spawn().await;
    let query = "{ units(first: 5) { totalCount nodes { name institution { code } } } }";
    let public: Value = app.data(query).await;

    for (role, secret) in callers(&app).await {
        let response = ask(&app, secret.as_deref(), query, true).await;
        assert_eq!(response.data(), &public, "{role}");
    }
}
