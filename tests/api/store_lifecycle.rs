//! Migrations and the seed can run again; a database outage is answered, never leaked, and
//! `/ready` says so while `/health` does not.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

const COUNTS: &str = "{ units { totalCount } people { totalCount } cleanrooms { totalCount } products { totalCount }
    trials { totalCount } accreditations { totalCount } milestones { totalCount } institutions { code } }";

#[tokio::test]
async fn migrating_and_seeding_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let before = app.data(COUNTS).await;

    app.app.store.migrate().await.unwrap();
    atmp_graph::seed::seed(&app.app.store).await.unwrap();

    assert_eq!(app.data(COUNTS).await, before);
    assert_eq!(
        before,
        json!({
            "units": { "totalCount": 12 }, "people": { "totalCount": 14 }, "cleanrooms": { "totalCount": 18 },
            "products": { "totalCount": 5 }, "trials": { "totalCount": 4 }, "accreditations": { "totalCount": 1 },
            "milestones": { "totalCount": 5 }, "institutions": [{ "code": "KI" }, { "code": "KUH" }],
        })
    );
}

#[tokio::test]
async fn a_database_outage_is_an_internal_error_that_leaks_nothing() {
    let app = TestApp::spawn().await;
    app.app.store.close().await.unwrap();

    let health = app.get("/health").await;
    let ready = app.get("/ready").await;
    let query = app.graphql("{ units { nodes { name } } }").await;

    assert_eq!(health.status, StatusCode::OK, "the process still runs");
    assert_eq!(health.body, json!({ "status": "ok" }));
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.body,
        json!({ "status": "unavailable", "sources": [{ "name": "main", "status": "unavailable" }] })
    );
    assert_eq!(query.status, StatusCode::OK);
    assert_eq!(query.error_codes(), ["INTERNAL"]);
    assert_eq!(query.error_messages(), ["internal error"]);
    assert_eq!(query.body["data"], json!(null));
}

#[tokio::test]
async fn a_stored_value_outside_its_vocabulary_is_an_internal_error_that_leaks_nothing() {
    let app = TestApp::spawn().await;
    let database = sea_orm::Database::connect(app.database_url.clone())
        .await
        .unwrap();
    // Written past the import's validation, as a hand-edited database could be: one
    // cleanroom's grade and one facility's kind.
    sea_orm::ConnectionTrait::execute_unprepared(
        &database,
        "UPDATE cleanroom SET grade = 'Z' WHERE code = 'VECURA-01';
         UPDATE unit SET kind = 'SHIPYARD' WHERE short_name = 'Vecura'",
    )
    .await
    .unwrap();

    let listed = app
        .graphql("{ cleanrooms(first: 50) { nodes { code grade } } }")
        .await;
    let units = app
        .graphql("{ units(first: 50) { nodes { name kind } } }")
        .await;
    let joined = app
        .graphql("{ cleanrooms(first: 50) { nodes { unit { shortName kind } } } }")
        .await;
    // A query reads only the columns its fields show.
    let unread = app
        .graphql("{ cleanrooms(first: 50) { nodes { code unit { shortName } } } }")
        .await;

    for (what, response) in [
        ("a listed cleanroom", &listed),
        ("a listed unit", &units),
        ("a unit joined to its cleanroom", &joined),
    ] {
        assert_eq!(response.status, StatusCode::OK, "{what}: {response:?}");
        assert_eq!(response.error_codes(), ["INTERNAL"], "{what}: {response:?}");
        assert_eq!(response.error_messages(), ["internal error"], "{what}");
    }
    assert_eq!(unread.error_codes(), Vec::<String>::new(), "{unread:?}");
    assert_eq!(
        unread.data()["cleanrooms"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        18
    );
}
