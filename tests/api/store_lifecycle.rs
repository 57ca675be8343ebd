//! Migrations and the seed can run again; a database outage is answered, never leaked, and
//! `/ready` says so while `/health` does not.

use axum::http::StatusCode;
use serde_json::{json, Value};

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
        json!({ "status": "unavailable", "sources": app.sources_all("unavailable") })
    );
    assert_eq!(query.status, StatusCode::OK);
    if app.is_split() {
        // Over several sources, an error names each institution whose records are missing
        // from the list, which holds what the sources that answered hold: nothing.
        assert_eq!(
            query.error_codes(),
            ["SOURCE_UNAVAILABLE", "SOURCE_UNAVAILABLE"]
        );
        let institutions: Vec<&Value> = query.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| &error["extensions"]["institution"])
            .collect();
        assert_eq!(institutions, [&json!("KI"), &json!("KUH")]);
        assert_eq!(query.body["data"], json!({ "units": { "nodes": [] } }));
    } else {
        assert_eq!(query.error_codes(), ["INTERNAL"]);
        assert_eq!(query.error_messages(), ["internal error"]);
        assert_eq!(query.body["data"], json!(null));
    }
    assert!(!query.text.contains("sqlite") && !query.text.contains("postgres"));
}

#[tokio::test]
async fn a_stored_value_outside_its_vocabulary_is_an_internal_error_that_leaks_nothing() {
    let app = TestApp::spawn().await;
    // Written past the import's validation, as a hand-edited database could be: one
    // cleanroom's grade and one facility's kind.
    app.execute_everywhere(
        "UPDATE cleanroom SET grade = 'Z' WHERE code = 'VECURA-01';
         UPDATE unit SET kind = 'SHIPYARD' WHERE short_name = 'Vecura'",
    )
    .await;

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

#[tokio::test]
async fn every_source_that_cannot_be_opened_at_startup_is_reported_at_once() {
    let missing = std::env::temp_dir().join(format!(
        "atmp_no_such_dir_{}/kuh.db",
        uuid::Uuid::new_v4().simple()
    ));
    let mut config = atmp_graph::config::Config::for_database("sqlite::memory:").unwrap();
    config.db_acquire_timeout_ms = 500;
    config.sources = vec![
        // Nothing listens on port 1.
        "KI=postgres://postgres:secret@127.0.0.1:1/ki".to_owned(),
        format!("KUH=sqlite://{}", missing.display()),
    ];
    assert_eq!(config.problems(), Vec::<String>::new());

    let error = match atmp_graph::app::connect(&config).await {
        Ok(_) => panic!("the sources cannot be opened"),
        Err(error) => format!("{error:#}"),
    };

    assert!(error.starts_with("could not open the sources:"), "{error}");
    assert!(
        error.contains("source `KI` (`postgres://postgres:***@127.0.0.1:1/ki`)"),
        "{error}"
    );
    assert!(error.contains("source `KUH` (`sqlite://"), "{error}");
    assert!(!error.contains("secret"), "{error}");
}

#[tokio::test]
async fn a_configuration_file_lists_the_sources_and_its_problems_are_reported() {
    let dir = std::env::temp_dir();
    let file = dir.join(format!("atmp_{}.toml", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &file,
        r#"source_timeout_ms = 2000

[[sources]]
name = "ki"
url = "postgres://postgres@127.0.0.1/ki"
institutions = ["KI"]

[[sources]]
url = "sqlite://kuh.db?mode=rwc"
institutions = ["KUH"]
timeout_ms = 500
"#,
    )
    .unwrap();
    let mut config = atmp_graph::config::Config::for_database("sqlite::memory:").unwrap();
    config.config_file = Some(file.clone());
    assert_eq!(config.problems(), Vec::<String>::new());
    let specs: Vec<(String, Vec<String>, u128)> = config
        .source_specs()
        .into_iter()
        .map(|(spec, timeout)| (spec.name(), spec.institutions, timeout.as_millis()))
        .collect();
    assert_eq!(
        specs,
        [
            ("ki".to_owned(), vec!["KI".to_owned()], 2000),
            ("KUH".to_owned(), vec!["KUH".to_owned()], 500),
        ]
    );

    // A flag adds a source of its own: KUH is then held twice, and an unknown key is named.
    std::fs::write(
        &file,
        "[[sources]]\nurl = \"sqlite://x.db\"\ninstitution = [\"KI\"]\n",
    )
    .unwrap();
    config.sources = vec![
        "KUH=sqlite://kuh.db".to_owned(),
        "KUH=sqlite://other.db".to_owned(),
    ];
    let problems = config.problems();
    let _ = std::fs::remove_file(&file);
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems[0].contains("is not valid: unknown field `institution`"),
        "{problems:?}"
    );
    assert_eq!(
        problems[1..],
        [
            "2 sources are named `KUH`: each needs a name of its own",
            "no source holds institution `KI`: add it to one source's institutions",
            "institution `KUH` is held by 2 sources (KUH, KUH): a record has one home",
        ]
    );
}

#[tokio::test]
async fn a_source_added_empty_gets_its_part_of_the_seed_and_the_others_are_left_as_they_are() {
    let dir = std::env::temp_dir();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (ki, kuh) = (
        dir.join(format!("atmp_{id}_ki.db")),
        dir.join(format!("atmp_{id}_kuh.db")),
    );
    let url = |path: &std::path::Path| format!("sqlite://{}?mode=rwc", path.display());
    let mut config = atmp_graph::config::Config::for_database("sqlite::memory:").unwrap();
    config.sources = vec![format!("KI={}", url(&ki)), format!("KUH={}", url(&kuh))];
    let count = |path: std::path::PathBuf, sql: &'static str| async move {
        let connection = sea_orm::Database::connect(url(&path)).await.unwrap();
        let row = sea_orm::ConnectionTrait::query_one_raw(
            &connection,
            sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, sql),
        )
        .await
        .unwrap()
        .unwrap();
        let value: i64 = row.try_get_by_index(0).unwrap();
        connection.close().await.unwrap();
        value
    };
    let store = atmp_graph::app::connect(&config).await.unwrap();
    atmp_graph::app::prepare(&store).await.unwrap();
    store.close().await.unwrap();
    // An edit in KI's database that the seed would undo.
    let connection = sea_orm::Database::connect(url(&ki)).await.unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(
        &connection,
        "UPDATE unit SET name = 'Renamed' WHERE short_name = 'CAST' OR name = 'KI South'",
    )
    .await
    .unwrap();
    connection.close().await.unwrap();
    let kuh_units = count(kuh.clone(), "SELECT COUNT(*) FROM unit").await;
    let kuh_people = count(kuh.clone(), "SELECT COUNT(*) FROM person").await;
    // KUH's database is replaced by a new, empty one.
    std::fs::remove_file(&kuh).unwrap();

    let store = atmp_graph::app::connect(&config).await.unwrap();
    atmp_graph::app::prepare(&store).await.unwrap();
    store.close().await.unwrap();

    assert_eq!(
        count(kuh.clone(), "SELECT COUNT(*) FROM unit").await,
        kuh_units
    );
    assert_eq!(
        count(kuh.clone(), "SELECT COUNT(*) FROM person").await,
        kuh_people
    );
    assert_eq!(
        count(kuh.clone(), "SELECT COUNT(*) FROM institution").await,
        2
    );
    assert_eq!(
        count(
            ki.clone(),
            "SELECT COUNT(*) FROM unit WHERE name = 'Renamed'"
        )
        .await,
        1,
        "KI's records are left as they are"
    );
    for path in [ki, kuh] {
        let _ = std::fs::remove_file(path);
    }
}
