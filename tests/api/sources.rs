//! Two sources: KI's records in one database, KUH's in another. The whole suite also runs so
//! (`TEST_SOURCES=split`); these tests need the split whatever the suite runs on.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_source_that_is_down_is_named_by_its_institution_and_the_other_still_answers() {
    let app = TestApp::spawn_split().await;
    let every_unit = "{ units(first: 50) { totalCount nodes { name } } }";
    let ki_units = r#"{ units(first: 50, filter: { institution: { eq: "KI" } }) { totalCount nodes { name } } }"#;
    let before = app.data(ki_units).await;
    assert_eq!(app.data(every_unit).await["units"]["totalCount"], 12);

    assert!(app.app.store.close_source("KUH").await.unwrap());
    let ready = app.get("/ready").await;
    let everything = app.graphql(every_unit).await;
    let ki_only = app.graphql(ki_units).await;

    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.body,
        json!({ "status": "unavailable", "sources": [
            { "name": "KI", "status": "ready" },
            { "name": "KUH", "status": "unavailable" },
        ] })
    );
    // No short list presented as complete: the list that needs KUH's records fails, saying so.
    assert_eq!(everything.status, StatusCode::OK, "{everything:?}");
    assert_eq!(everything.body["data"], json!(null));
    assert_eq!(everything.error_codes(), ["SOURCE_UNAVAILABLE"]);
    let error = &everything.body["errors"][0];
    assert_eq!(error["extensions"]["institution"], "KUH");
    assert_eq!(error["extensions"]["institutions"], json!(["KUH"]));
    assert_eq!(
        error["message"],
        "the records of KUH are unavailable: their source `KUH` does not answer"
    );
    // What only KI holds is answered whole.
    assert_eq!(ki_only.data(), &before);
    assert_eq!(before["units"]["totalCount"], 6);
}

#[tokio::test]
async fn people_kept_by_both_sources_are_listed_and_counted_once() {
    let app = TestApp::spawn_split().await;
    let data = app
        .data(r#"{ people(first: 100, filter: { name: { contains: "ellis" } }) { totalCount nodes { name appointments { nodes { institution { code } } } } } }"#)
        .await;
    assert_eq!(
        data,
        json!({ "people": { "totalCount": 1, "nodes": [{ "name": "Ewa Ellis", "appointments": { "nodes": [
            { "institution": { "code": "KI" } },
            { "institution": { "code": "KUH" } },
            { "institution": { "code": "KUH" } },
        ] } }] } })
    );
}
