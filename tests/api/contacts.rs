//! People's contact details (`email`, `phone`): in the staff and admin schemas only; an admin
//! reads everybody's, a member of staff those of the people with an appointment (current or
//! ended) at their institution and `null` for everybody else, on both execution paths, over
//! one database and two, in every way a person is reached (a list, a unit's people, an
//! appointment's person, by ID, search). The rule is one lookup per row in the statement that
//! reads the person, from `person_contact`, which startup maintenance fills for a database
//! written before it.

use std::collections::BTreeMap;

use entities::enums::KeyRole;
use serde_json::Value;

use crate::helpers::{graphql_request, keyed_request, TestApp, TestResponse};

/// Every person's ID with their contact details and the institutions they are appointed at,
/// as the admin reads them.
const PEOPLE: &str = "{ people(first: 100) { totalCount nodes { id email phone \
    appointments(first: 20) { nodes { institution { code } } } } } }";

/// A person as a test compares them: contact details and the institutions of their
/// appointments.
#[derive(Debug, Clone, PartialEq)]
struct Contact {
    email: Value,
    phone: Value,
    institutions: Vec<String>,
}

/// The people of a `PEOPLE` answer, by ID.
fn people(response: &TestResponse) -> BTreeMap<String, Contact> {
    let data = response.data();
    let nodes = data["people"]["nodes"].as_array().unwrap();
    assert_eq!(
        data["people"]["totalCount"].as_u64(),
        Some(nodes.len() as u64),
        "one page holds every person"
    );
    nodes
        .iter()
        .map(|person| {
            let mut institutions: Vec<String> = person["appointments"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["institution"]["code"].as_str().unwrap().to_owned())
                .collect();
            institutions.sort();
            institutions.dedup();
            (
                person["id"].as_str().unwrap().to_owned(),
                Contact {
                    email: person["email"].clone(),
                    phone: person["phone"].clone(),
                    institutions,
                },
            )
        })
        .collect()
}

/// The app with 6 generated units (3 of KI's, 3 of KUH's, 3 people each, every one with an
/// e-mail address and a phone number), and a key of each role that reads contact details.
async fn app_with_contacts() -> (TestApp, String, String) {
    let app = TestApp::spawn_with_generated(6).await;
    let admin = app.key("admin", KeyRole::Admin, &[]).await;
    let staff = app.key("kuh-desk", KeyRole::Staff, &["KUH"]).await;
    (app, admin, staff)
}

#[tokio::test]
async fn an_admin_reads_everybodys_details_and_staff_only_those_of_people_appointed_at_their_institution(
) {
    let (app, admin, staff) = app_with_contacts().await;

    for planned in [true, false] {
        let (admin_read, staff_read) = if planned {
            (
                app.graphql_as(&admin, PEOPLE).await,
                app.graphql_as(&staff, PEOPLE).await,
            )
        } else {
            (
                app.graphql_field_by_field_as(&admin, PEOPLE).await,
                app.graphql_field_by_field_as(&staff, PEOPLE).await,
            )
        };
        let everybody = people(&admin_read);
        let seen = people(&staff_read);

        let with_details = everybody.values().filter(|p| p.email.is_string()).count();
        assert_eq!(with_details, 18, "every generated person has details");
        assert_eq!(
            everybody.values().filter(|p| p.phone.is_string()).count(),
            18
        );
        let mut at_kuh = 0;
        for (id, person) in &everybody {
            let appointed = person.institutions.contains(&"KUH".to_owned());
            let expected = if appointed {
                at_kuh += usize::from(person.email.is_string());
                person.clone()
            } else {
                Contact {
                    email: Value::Null,
                    phone: Value::Null,
                    institutions: person.institutions.clone(),
                }
            };
            assert_eq!(seen.get(id), Some(&expected), "planned: {planned}, {id}");
        }
        assert!(at_kuh >= 9, "KUH's people with details: {at_kuh}");
        assert!(
            at_kuh < with_details,
            "KI's people are hidden from KUH's staff"
        );
    }
}

/// The details of the people `query` answers, in the order met, wherever they sit in it.
fn details(value: &Value, found: &mut Vec<(Value, Value)>) {
    match value {
        Value::Object(members) => {
            if let (Some(email), Some(phone)) = (members.get("email"), members.get("phone")) {
                found.push((email.clone(), phone.clone()));
            }
            members.values().for_each(|member| details(member, found));
        }
        Value::Array(items) => items.iter().for_each(|item| details(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_rule_holds_wherever_a_person_is_reached() {
    let (app, admin, staff) = app_with_contacts().await;
    let everybody = people(&app.graphql_as(&admin, PEOPLE).await);
    let some_person = everybody
        .iter()
        .find(|(_, p)| p.email.is_string() && !p.institutions.contains(&"KUH".to_owned()))
        .map(|(id, _)| id.clone())
        .unwrap();

    for query in [
        // A unit's people, through their appointments.
        "{ units(first: 50) { nodes { people(first: 10) { nodes { email phone } } } } }".to_owned(),
        // An appointment's person, joined into the appointments' statement; a trial's
        // principal investigator.
        "{ units(first: 50) { nodes { appointments(first: 10) { nodes { person { email phone } } } } } }"
            .to_owned(),
        "{ trials(first: 50) { nodes { principalInvestigator { email phone } } } }".to_owned(),
        // An institution's people.
        "{ institutions { people(first: 100) { nodes { email phone } } } }".to_owned(),
        // By ID, and under a nested connection of the person read by ID.
        format!(
            r#"{{ node(id: "{some_person}") {{ ... on Person {{ email phone appointments(first: 5) {{ nodes {{ person {{ email phone }} }} }} }} }} }}"#
        ),
        // Search.
        r#"{ search(text: "a", first: 100, kinds: [PERSON]) { nodes { ... on Person { email phone } } } }"#
            .to_owned(),
    ] {
        for planned in [true, false] {
            let ask = |secret: String| {
                let app = &app;
                let query = query.clone();
                async move {
                    if planned {
                        app.graphql_as(&secret, &query).await
                    } else {
                        app.graphql_field_by_field_as(&secret, &query).await
                    }
                }
            };
            let (mut all, mut seen) = (Vec::new(), Vec::new());
            details(ask(admin.clone()).await.data(), &mut all);
            details(ask(staff.clone()).await.data(), &mut seen);

            assert_eq!(all.len(), seen.len(), "{query}");
            assert!(
                all.iter().any(|(email, _)| email.is_string()),
                "the admin reads details: {query}"
            );
            // Staff read a subset of the admin's details: each equal, or null.
            for ((email, phone), (seen_email, seen_phone)) in all.iter().zip(&seen) {
                assert!(
                    seen_email.is_null() || seen_email == email,
                    "{query}: {seen_email}"
                );
                assert!(
                    seen_phone.is_null() || seen_phone == phone,
                    "{query}: {seen_phone}"
                );
                assert_eq!(seen_email.is_null(), seen_phone.is_null(), "{query}");
            }
            if query.contains(&some_person) {
                assert_eq!(seen[0], (Value::Null, Value::Null), "{query}");
                assert!(all[0].0.is_string(), "{query}");
            }
        }
    }
}

#[tokio::test]
async fn the_public_and_partners_cannot_ask_for_contact_details() {
    let (app, _, _) = app_with_contacts().await;
    let partner = app.key("acme", KeyRole::Partner, &["KI", "KUH"]).await;
    let query = "{ people(first: 5) { nodes { name email } } }";

    let public = app.graphql(query).await;
    let partnered = app.graphql_as(&partner, query).await;

    for response in [public, partnered] {
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{response:#?}");
        assert_eq!(
            response.error_messages(),
            [r#"Unknown field "email" on type "Person"."#]
        );
    }
}

#[tokio::test]
async fn startup_maintenance_fills_the_appointed_institutions_of_a_database_written_before_them() {
    let (app, admin, staff) = app_with_contacts().await;
    let before = people(&app.graphql_as(&staff, PEOPLE).await);
    app.execute_everywhere("DELETE FROM person_contact").await;
    let emptied = people(&app.graphql_as(&staff, PEOPLE).await);

    atmp_graph::app::prepare(&app.app.store).await.unwrap();
    let after = people(&app.graphql_as(&staff, PEOPLE).await);

    assert!(
        emptied.values().all(|p| p.email.is_null()),
        "without the pairs, staff read nobody's details"
    );
    assert!(before.values().any(|p| p.email.is_string()));
    assert_eq!(after, before);
    assert_eq!(
        people(&app.graphql_as(&admin, PEOPLE).await).len(),
        before.len()
    );
}

#[tokio::test]
async fn contact_details_are_read_only_when_asked_and_never_for_a_role_without_them() {
    let (app, admin, staff) = app_with_contacts().await;
    let partner = app.key("acme", KeyRole::Partner, &["KI"]).await;
    let names = "{ people(first: 100) { nodes { name } } units(first: 5) { nodes { people(first: 5) { nodes { name } } } } }";
    let details = "{ people(first: 100) { nodes { name email } } }";
    let mentions = |texts: &[String], word: &str| texts.iter().any(|text| text.contains(word));

    for planned in [true, false] {
        let router = if planned {
            app.app.router.clone()
        } else {
            app.field_by_field()
        };
        let send = |request| app.statements_and_send_to(router.clone(), request);
        let (public, _) = send(graphql_request(names, serde_json::json!({}))).await;
        let (partnered, _) = send(keyed_request(&partner, names)).await;
        let (staff_names, _) = send(keyed_request(&staff, names)).await;
        let (staff_details, answer) = send(keyed_request(&staff, details)).await;
        let (admin_details, _) = send(keyed_request(&admin, details)).await;

        answer.data();
        for (texts, who) in [(&public, "the public"), (&partnered, "a partner")] {
            assert!(!texts.is_empty(), "{who}");
            assert!(!mentions(texts, "\"email\""), "{who}: {texts:#?}");
            assert!(!mentions(texts, "\"phone\""), "{who}: {texts:#?}");
            assert!(!mentions(texts, "person_contact"), "{who}: {texts:#?}");
        }
        assert!(
            mentions(&staff_details, "person_contact"),
            "{staff_details:#?}"
        );
        assert!(
            !mentions(&admin_details, "person_contact"),
            "{admin_details:#?}"
        );
        assert!(mentions(&admin_details, "\"email\""), "{admin_details:#?}");
        if planned {
            // The plan reads only the columns its fields ask for.
            assert!(!mentions(&staff_names, "\"email\""), "{staff_names:#?}");
            assert!(
                !mentions(&staff_names, "person_contact"),
                "{staff_names:#?}"
            );
            assert!(!mentions(&staff_details, "\"phone\""), "{staff_details:#?}");
        }
    }
}
