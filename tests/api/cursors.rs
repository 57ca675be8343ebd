//! Sealed cursors: a cursor opens only as it was made, for the caller it was made for, in
//! every replica and after a restart; every list and search still pages whole with them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{every_row, graphql_request, send_to, TestApp};

/// A connection to page: the query around it (with `{}` where the connection's field goes), the
/// field with its arguments but the page's, and the path from `data` to the connection.
struct Connection {
    around: &'static str,
    field: &'static str,
    arguments: &'static str,
    path: &'static [&'static str],
}

impl Connection {
    /// The query of the page of `size` rows `after` (or `before`, backwards) a cursor given as
    /// variable `$cursor`, selecting `selection`.
    fn page(&self, size: usize, backward: bool, selection: &str) -> String {
        let (size_argument, cursor_argument) = if backward {
            ("last", "before")
        } else {
            ("first", "after")
        };
        let field = format!(
            "{}({size_argument}: {size}, {cursor_argument}: $cursor{}) {{ {selection} }}",
            self.field, self.arguments
        );
        format!(
            "query($cursor: String) {{ {} }}",
            self.around.replace("{}", &field)
        )
    }

    /// The connection in `data`, an answer to one of its pages.
    fn in_answer<'a>(&self, data: &'a Value) -> &'a Value {
        if self.path.is_empty() {
            return &data[self.field];
        }
        self.path
            .iter()
            .fold(data, |value, key| match key.parse::<usize>() {
                Ok(index) => &value[index],
                Err(_) => &value[*key],
            })
    }
}

/// The root lists, a relation's lists and search.
const CONNECTIONS: [Connection; 11] = [
    root("units"),
    root("people"),
    root("cleanrooms"),
    root("products"),
    root("trials"),
    root("accreditations"),
    root("milestones"),
    Connection {
        around: r#"institution(code: "KUH") { {} }"#,
        field: "cleanrooms",
        arguments: "",
        path: &["institution", "cleanrooms"],
    },
    Connection {
        around: r#"institution(code: "KI") { {} }"#,
        field: "people",
        arguments: "",
        path: &["institution", "people"],
    },
    Connection {
        around: r#"units(filter: { name: { eq: "Vecura GMP unit" } }) { nodes { {} } }"#,
        field: "cleanrooms",
        arguments: "",
        path: &["units", "nodes", "0", "cleanrooms"],
    },
    Connection {
        around: "{}",
        field: "search",
        arguments: r#", text: "cell""#,
        path: &["search"],
    },
];

const fn root(list: &'static str) -> Connection {
    Connection {
        around: "{}",
        field: list,
        arguments: "",
        path: &[],
    }
}

/// The search's selection of a hit's ID, or a record's.
fn ids(connection: &Connection) -> &'static str {
    if connection.field == "search" {
        "nodes { ... on Node { id } }"
    } else {
        "nodes { id }"
    }
}

/// Every row of `connection`, read `size` at a time forwards (or backwards) with its cursors.
async fn walked(app: &TestApp, connection: &Connection, size: usize, backward: bool) -> Vec<Value> {
    let selection = format!(
        "{} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}",
        ids(connection)
    );
    let query = connection.page(size, backward, &selection);
    let mut rows: Vec<Value> = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..200 {
        let response = app.graphql_with(&query, json!({ "cursor": cursor })).await;
        let page = connection.in_answer(response.data());
        let nodes = page["nodes"].as_array().cloned().unwrap_or_default();
        let info = &page["pageInfo"];
        if backward {
            rows.splice(0..0, nodes);
            if info["hasPreviousPage"] != json!(true) {
                return rows;
            }
            cursor = info["startCursor"].clone();
        } else {
            rows.extend(nodes);
            if info["hasNextPage"] != json!(true) {
                return rows;
            }
            cursor = info["endCursor"].clone();
        }
    }
    panic!("{query} does not end");
}

/// The end cursor of the first page of `size` rows of `connection`.
async fn end_cursor(app: &TestApp, connection: &Connection, size: usize) -> String {
    let query = connection.page(size, false, "pageInfo { endCursor }");
    let response = app.graphql_with(&query, json!({ "cursor": null })).await;
    connection.in_answer(response.data())["pageInfo"]["endCursor"]
        .as_str()
        .unwrap_or_else(|| panic!("{query} has no end cursor"))
        .to_owned()
}

#[tokio::test]
async fn every_list_and_search_pages_whole_with_sealed_cursors_both_ways() {
    let app = TestApp::spawn().await;
    for connection in &CONNECTIONS {
        let whole = walked(&app, connection, 100, false).await;
        assert!(!whole.is_empty(), "{} lists nothing", connection.field);
        if connection.path.is_empty() && connection.field != "search" {
            assert_eq!(whole, every_row(&app, connection.field, "id").await);
        }

        let forwards = walked(&app, connection, 1, false).await;
        assert_eq!(forwards, whole, "{} forwards", connection.field);
        if connection.field != "search" {
            let backwards = walked(&app, connection, 1, true).await;
            assert_eq!(backwards, whole, "{} backwards", connection.field);
        }
    }
}

#[tokio::test]
async fn a_cursor_edited_by_one_byte_is_bad_user_input_on_every_list_and_search() {
    let app = TestApp::spawn().await;
    for connection in &CONNECTIONS {
        let cursor = end_cursor(&app, connection, 1).await;
        let query = connection.page(1, false, ids(connection));
        let untouched = app.graphql_with(&query, json!({ "cursor": cursor })).await;
        assert!(untouched.error_codes().is_empty(), "{untouched:?}");
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();

        // The payload's first byte, a byte of its middle, and the tag's last.
        for position in [0, bytes.len() / 2, bytes.len() - 1] {
            let mut edited = bytes.clone();
            edited[position] ^= 0x20;
            let edited = URL_SAFE_NO_PAD.encode(edited);

            let response = app.graphql_with(&query, json!({ "cursor": edited })).await;

            let case = format!("{}, byte {position}", connection.field);
            assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{case}");
            assert_eq!(
                response.error_messages(),
                [format!("`{edited}` is not a valid cursor")],
                "{case}"
            );
        }
    }
}

#[tokio::test]
async fn an_unsealed_cursor_is_refused_even_where_it_names_the_right_list() {
    let app = TestApp::spawn().await;
    let connection = root("units");
    let sealed = URL_SAFE_NO_PAD
        .decode(end_cursor(&app, &connection, 1).await)
        .unwrap();
    // The payload alone, as cursors were before they were sealed.
    let unsealed = URL_SAFE_NO_PAD.encode(&sealed[..sealed.len() - 16]);
    let query = connection.page(1, false, "nodes { id }");

    let response =
        crate::planned::assert_same_answer(&app, &query, json!({ "cursor": unsealed })).await;

    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    assert_eq!(
        response.error_messages(),
        ["the cursor was made by an earlier version of the service: start the list again"]
    );
}

#[tokio::test]
async fn a_cursor_opens_in_another_replica_and_after_a_restart() {
    let app = TestApp::spawn().await;
    let replica = app.replica().await;
    for connection in &CONNECTIONS {
        let cursor = end_cursor(&app, connection, 2).await;
        let next = connection.page(2, false, ids(connection));
        let variables = json!({ "cursor": cursor });

        let here = app.graphql_with(&next, variables.clone()).await;
        let there = send_to(replica.clone(), graphql_request(&next, variables)).await;

        assert_eq!(
            there.data(),
            here.data(),
            "{}: the replica opens the cursor",
            connection.field
        );
    }
}
