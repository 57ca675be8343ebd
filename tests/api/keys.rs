//! API keys: made, listed, revoked and rolled by the real binary's `keys` commands against the
//! test's database, sent as `Authorization: Bearer atmp_…`. A request without credentials is
//! the public as before; bad credentials are 401 `UNAUTHENTICATED`, a malformed key with no
//! statement run; a change is seen by the next request (on PostgreSQL, the next once the
//! server's listener has heard of it); and the secret is in no table, database file or log line.

use std::time::Duration;

use atmp_graph::domain::ApiKey;
use atmp_graph::store::NewKey;
use axum::body::Body;
use axum::http::{header, HeaderValue, Request, StatusCode};
use entities::enums::KeyRole;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::json;

use crate::helpers::{graphql_request, run_cli, TestApp, TestResponse};
use crate::request_log::Logs;

/// A query that reads records.
const UNITS: &str = "{ units(first: 3) { nodes { name } } institutions { code } }";

/// What a run of the command line printed, and whether it succeeded.
#[derive(Debug)]
pub(crate) struct Run {
    pub succeeded: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The secret it printed on its `secret: ` line.
    pub fn secret(&self) -> String {
        assert!(self.succeeded, "{self:#?}");
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix("secret: "))
            .unwrap_or_else(|| panic!("no secret printed: {self:#?}"))
            .to_owned()
    }

    /// The ID it printed on its `id: ` line.
    pub fn id(&self) -> String {
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix("id: "))
            .unwrap_or_else(|| panic!("no ID printed: {self:#?}"))
            .to_owned()
    }
}

/// Runs `atmp-graph --database-url <the test's database> keys <args>`, as an operator would
/// while the server runs (its keys' source is the test's first database), with no setting
/// from the environment. On PostgreSQL, waits until the server has heard of the change the
/// run made, if it made one: the notification reaches the server as the change commits, but
/// the operating system may run this test before the database's process that sends it.
pub(crate) async fn keys(app: &TestApp, args: &[&str]) -> Run {
    let before = app.app.store.key_changes_heard();
    let run = run_keys(app, args).await;
    let changed = run.succeeded && args.first().is_some_and(|command| *command != "list");
    // A server that was not listening before the change serves no key from memory it read
    // before the change: only one that was must hear of it.
    if let (true, Some(before)) = (changed, before) {
        for _ in 0..500 {
            match app.app.store.key_changes_heard() {
                Some(heard) if heard <= before => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                _ => return run,
            }
        }
        panic!("the server never heard of the change: {run:#?}");
    }
    run
}

/// Runs `atmp-graph … keys <args>`.
async fn run_keys(app: &TestApp, args: &[&str]) -> Run {
    let mut all = vec!["keys"];
    all.extend_from_slice(args);
    let (succeeded, stdout, stderr) = run_cli(app, &all).await;
    Run {
        succeeded,
        stdout,
        stderr,
    }
}

/// A POST of `query` with this `Authorization` header.
pub(crate) fn with_authorization(authorization: &str, query: &str) -> Request<Body> {
    let mut request = graphql_request(query, json!({}));
    request.headers_mut().insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(authorization).unwrap(),
    );
    request
}

/// Sends `query` with `secret` (an API key, or a JWT) as its bearer token.
pub(crate) async fn with_key(app: &TestApp, secret: &str, query: &str) -> TestResponse {
    app.send(with_authorization(&format!("Bearer {secret}"), query))
        .await
}

/// Asserts `response` refuses the credentials with `message`.
pub(crate) fn assert_refused(response: &TestResponse, message: &str, what: &str) {
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {response:#?}"
    );
    assert_eq!(
        response.headers[header::WWW_AUTHENTICATE],
        "Bearer",
        "{what}"
    );
    assert_eq!(
        response.body,
        json!({ "errors": [{ "message": message, "extensions": { "code": "UNAUTHENTICATED" } }] }),
        "{what}"
    );
}

/// Creates a key through the store, as the command line does.
async fn create(app: &TestApp, name: &str, expires_in: Option<Duration>) -> String {
    let (_, secret) = app
        .app
        .store
        .create_key(NewKey {
            name: name.to_owned(),
            role: KeyRole::Staff,
            institutions: vec!["KUH".to_owned()],
            expires_at: expires_in.map(|after| chrono::Utc::now() + after),
            rate: None,
        })
        .await
        .unwrap();
    secret.secret().to_owned()
}

#[tokio::test]
async fn a_request_without_credentials_is_the_public_and_a_valid_key_reads_the_same() {
    let app = TestApp::spawn().await;
    let secret = create(&app, "reader", None).await;

    let public = app.graphql(UNITS).await;
    let keyed = with_key(&app, &secret, UNITS).await;

    assert_eq!(public.status, StatusCode::OK, "{public:#?}");
    assert_eq!(keyed.status, StatusCode::OK, "{keyed:#?}");
    assert_eq!(keyed.data(), public.data());
    let get = app
        .send(
            Request::get("/graphql?query=%7B__typename%7D")
                .header(header::AUTHORIZATION, format!("Bearer {secret}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(get.body, json!({ "data": { "__typename": "Query" } }));
}

#[tokio::test]
async fn bad_credentials_are_refused_before_any_statement_runs() {
    let app = TestApp::spawn().await;
    let secret = ApiKey::generate().unwrap().secret().to_owned();
    let last = secret.chars().last().unwrap();
    let checksum_typo = format!(
        "{}{}",
        &secret[..secret.len() - 1],
        if last == 'z' { 'y' } else { 'z' }
    );
    let random_typo = format!(
        "{}{}{}",
        &secret[..8],
        if &secret[8..9] == "a" { 'b' } else { 'a' },
        &secret[9..]
    );
    let with_zero = format!("{}0{}", &secret[..8], &secret[9..]);
    let malformed = "the API key is malformed: ";
    let not_bearer = "the `Authorization` header must be `Bearer` and an API key";
    for (authorization, message, what) in [
        (
            format!("Bearer {checksum_typo}"),
            format!("{malformed}its checksum does not match (a mistyped key?)"),
            "a typo in the checksum",
        ),
        (
            format!("Bearer {random_typo}"),
            format!("{malformed}its checksum does not match (a mistyped key?)"),
            "a typo in the random part",
        ),
        (
            format!("Bearer {with_zero}"),
            format!("{malformed}it holds a character that is not base58"),
            "a character outside base58",
        ),
        (
            "Bearer atmp_abc".to_owned(),
            format!("{malformed}it must be 41 characters long"),
            "too short",
        ),
        (
            format!("Bearer {secret}x"),
            format!("{malformed}it must be 41 characters long"),
            "too long",
        ),
        (
            "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln".to_owned(),
            "the bearer token is not an API key: API keys start with `atmp_`".to_owned(),
            "a token that is not an API key",
        ),
        (
            format!("Basic {secret}"),
            not_bearer.to_owned(),
            "another scheme",
        ),
        ("Bearer".to_owned(), not_bearer.to_owned(), "no token"),
        (secret.clone(), not_bearer.to_owned(), "no scheme"),
        (String::new(), not_bearer.to_owned(), "an empty header"),
    ] {
        let (statements, response) = app
            .statements_and_send(with_authorization(&authorization, UNITS))
            .await;
        assert_refused(&response, &message, what);
        assert_eq!(statements, Vec::<String>::new(), "{what}");
    }
    let mut twice = with_authorization(&format!("Bearer {secret}"), UNITS);
    twice.headers_mut().append(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {secret}")).unwrap(),
    );
    let (statements, response) = app.statements_and_send(twice).await;
    assert_refused(
        &response,
        "send one `Authorization` header, not several",
        "two headers",
    );
    assert_eq!(statements, Vec::<String>::new());
}

#[tokio::test]
async fn an_unknown_key_is_refused() {
    let app = TestApp::spawn().await;
    create(&app, "someone", None).await;
    let unknown = ApiKey::generate().unwrap();

    let response = with_key(&app, unknown.secret(), UNITS).await;

    assert_refused(&response, "the API key is unknown", "unknown");
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let app = TestApp::spawn().await;
    let secret = create(&app, "short-lived", Some(Duration::from_millis(1500))).await;
    assert_eq!(with_key(&app, &secret, UNITS).await.status, StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(1600)).await;

    assert_refused(
        &with_key(&app, &secret, UNITS).await,
        "the API key has expired",
        "expired",
    );
}

#[tokio::test]
async fn the_command_line_creates_lists_revokes_and_rolls_keys() {
    let app = TestApp::spawn().await;

    let created = keys(
        &app,
        &[
            "create",
            "--name",
            "partner-ci",
            "--role",
            "partner",
            "--institution",
            "KUH",
            "--institution",
            "KI",
            "--expires",
            "2999-01-01T00:00:00Z",
        ],
    )
    .await;
    let first = created.secret();
    assert_eq!(with_key(&app, &first, UNITS).await.status, StatusCode::OK);

    let list = keys(&app, &["list"]).await;
    assert!(list.succeeded, "{list:#?}");
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{list:#?}");
    assert!(lines[0].starts_with("ID "), "{list:#?}");
    for column in [
        "NAME",
        "ROLE",
        "INSTITUTIONS",
        "CREATED",
        "LAST USED",
        "EXPIRES",
        "REVOKED",
        "RATE",
    ] {
        assert!(lines[0].contains(column), "{column}: {list:#?}");
    }
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        row[..4],
        [created.id().as_str(), "partner-ci", "partner", "KI,KUH"]
    );
    assert_eq!(row[6..], ["2999-01-01T00:00:00Z", "-", "-"]);
    assert!(!list.stdout.contains(&first) && !list.stdout.contains("atmp_"));

    // Rolled with an overlap, both secrets work until it ends, then only the new one.
    let rolled = keys(&app, &["roll", "partner-ci", "--overlap", "2s"]).await;
    let second = rolled.secret();
    assert_eq!(rolled.id(), created.id());
    assert_ne!(second, first);
    assert_eq!(with_key(&app, &first, UNITS).await.status, StatusCode::OK);
    assert_eq!(with_key(&app, &second, UNITS).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_refused(
        &with_key(&app, &first, UNITS).await,
        "the API key has expired: it was rolled, and the overlap of its old secret has ended",
        "the old secret after the overlap",
    );
    assert_eq!(with_key(&app, &second, UNITS).await.status, StatusCode::OK);

    // Rolled with no overlap, the old secret stops at once.
    let third = keys(&app, &["roll", &created.id()]).await.secret();
    assert_refused(
        &with_key(&app, &second, UNITS).await,
        "the API key has expired: it was rolled, and the overlap of its old secret has ended",
        "the old secret rolled with no overlap",
    );
    assert_refused(
        &with_key(&app, &first, UNITS).await,
        "the API key is unknown",
        "a secret rolled twice since",
    );

    let revoked = keys(&app, &["revoke", "partner-ci"]).await;
    assert!(revoked.succeeded, "{revoked:#?}");
    assert_refused(
        &with_key(&app, &third, UNITS).await,
        "the API key was revoked",
        "revoked",
    );
    let list = keys(&app, &["list"]).await;
    let revoked_at = list
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .nth(7);
    assert_ne!(revoked_at, Some("-"), "{list:#?}");
    assert!(revoked_at.is_some_and(|at| at.ends_with('Z')), "{list:#?}");
}

#[tokio::test]
async fn the_command_line_refuses_bad_keys_with_a_message_and_a_failure() {
    let app = TestApp::spawn().await;
    assert!(
        keys(&app, &["create", "--name", "taken", "--role", "admin"])
            .await
            .succeeded
    );

    for (args, message) in [
        (
            &["create", "--name", "p", "--role", "partner"][..],
            "a partner's key needs at least one `--institution`",
        ),
        (
            &[
                "create",
                "--name",
                "s",
                "--role",
                "staff",
                "--institution",
                "KI",
                "--institution",
                "KUH",
            ],
            "a staff key needs exactly one `--institution`",
        ),
        (
            &[
                "create",
                "--name",
                "a",
                "--role",
                "admin",
                "--institution",
                "KI",
            ],
            "an admin's key has no `--institution`",
        ),
        (
            &[
                "create",
                "--name",
                "u",
                "--role",
                "staff",
                "--institution",
                "SU",
            ],
            "unknown institution code `SU`; known codes: KI, KUH",
        ),
        (
            &["create", "--name", "taken", "--role", "admin"],
            "a key named `taken` exists already",
        ),
        (
            &[
                "create",
                "--name",
                "e",
                "--role",
                "admin",
                "--expires",
                "2001-01-01T00:00:00Z",
            ],
            "`--expires` must be in the future",
        ),
        (
            &[
                "create",
                "--name",
                "e",
                "--role",
                "admin",
                "--expires",
                "soon",
            ],
            "`soon` is neither an RFC 3339 time",
        ),
        (&["revoke", "nobody"], "no key has the ID or name `nobody`"),
        (
            &["roll", "nobody", "--overlap", "1h"],
            "no key has the ID or name `nobody`",
        ),
        (
            &["roll", "taken", "--overlap", "a while"],
            "`a while` is not a duration",
        ),
    ] {
        let run = keys(&app, args).await;
        assert!(!run.succeeded, "{args:?}: {run:#?}");
        assert!(run.stderr.contains(message), "{args:?}: {run:#?}");
        assert!(!run.stdout.contains("atmp_"), "{args:?}: {run:#?}");
    }
    let list = keys(&app, &["list"]).await;
    assert_eq!(list.stdout.lines().count(), 2, "{list:#?}");
}

#[tokio::test]
async fn the_secret_is_in_no_table_database_file_or_log() {
    let app = TestApp::spawn().await;
    let (logs, _guard) = Logs::capture();
    let created = keys(&app, &["create", "--name", "leak-check", "--role", "admin"]).await;
    let secret = created.secret();
    let rolled = keys(&app, &["roll", "leak-check", "--overlap", "1h"]).await;
    let new_secret = rolled.secret();
    with_key(&app, &secret, UNITS).await;
    with_key(&app, &new_secret, UNITS).await;
    keys(&app, &["revoke", "leak-check"]).await;
    with_key(&app, &new_secret, UNITS).await;
    let typo = format!("{}1", &new_secret[..new_secret.len() - 1]);
    with_key(&app, &typo, UNITS).await;
    // The last use is written off the request's path: let it land.
    tokio::time::sleep(Duration::from_millis(200)).await;

    for secret in [&secret, &new_secret] {
        let random = &secret["atmp_".len()..];
        assert!(
            logs.lines_with(random).is_empty(),
            "{:?}",
            logs.lines_with(random)
        );
        for run in [&created, &rolled] {
            assert!(!run.stderr.contains(random), "{run:#?}");
        }
        let rows = every_key_row(&app).await;
        assert!(!rows.contains(random), "{rows}");
        if let Some(path) = app.database_url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap();
            for file in [path.to_owned(), format!("{path}-wal")] {
                let bytes = std::fs::read(&file).unwrap_or_default();
                let found = bytes
                    .windows(random.len())
                    .any(|window| window == random.as_bytes());
                assert!(!found, "the secret is in {file}");
            }
        }
    }
    // What is stored is the hash of each secret.
    let rows = every_key_row(&app).await;
    let hash = ApiKey::parse(&new_secret).unwrap().hash();
    assert!(rows.contains(&hash), "{rows}");
    // The logs were captured: every request has its line.
    assert_eq!(
        logs.lines_with(": finished ").len(),
        4,
        "{:#?}",
        logs.lines_with("")
    );
}

/// Every row of the keys' table, as text.
async fn every_key_row(app: &TestApp) -> String {
    let connection = Database::connect(&app.database_url).await.unwrap();
    let backend = connection.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT row_to_json(api_key)::text AS text FROM api_key",
        _ => "SELECT json_object('id', hex(id), 'name', name, 'role', role, 'institutions', institutions, \
              'secret_hash', secret_hash, 'previous_hash', previous_hash, 'created_at', created_at, \
              'previous_until', previous_until, 'last_used_at', last_used_at, \
              'expires_at', expires_at, 'revoked_at', revoked_at) AS text FROM api_key",
    };
    let rows = connection
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "text").unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_key_that_cannot_be_checked_is_answered_unavailable_never_as_the_public() {
    let app = TestApp::spawn_one_database_probed(300, 60_000).await;
    let secret = create(&app, "while-down", None).await;

    let taken = app.take_every_connection("main").await;
    let response = with_key(&app, &secret, UNITS).await;
    drop(taken);

    assert_eq!(
        response.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{response:#?}"
    );
    assert_eq!(
        response.body,
        json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] })
    );
}

/// When the only key was last used.
async fn last_used(app: &TestApp) -> Option<chrono::DateTime<chrono::Utc>> {
    app.app.store.keys().await.unwrap()[0].last_used_at
}

#[tokio::test]
async fn last_used_is_written_after_a_request_and_then_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let secret = create(&app, "busy", None).await;
    assert_eq!(last_used(&app).await, None);

    with_key(&app, &secret, UNITS).await;
    let mut first = None;
    for _ in 0..100 {
        first = last_used(&app).await;
        if first.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(first.is_some(), "last_used_at was never written");
    // The write is seen before its task has counted it: let the task end.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (statements, response) = app
        .statements_and_send(with_authorization(
            &format!("Bearer {secret}"),
            "{ __typename }",
        ))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(last_used(&app).await, first);
    // The key's lookup at most (none when PostgreSQL has it cached), and no write.
    assert!(statements.len() <= 1, "{statements:#?}");
    assert!(
        statements.iter().all(|sql| sql.starts_with("SELECT")),
        "{statements:#?}"
    );
}

#[tokio::test]
async fn on_postgresql_a_cached_key_revoked_by_the_command_line_is_refused_once_the_server_hears_of_it(
) {
    let app = TestApp::spawn().await;
    if !app.keys_on_postgres() {
        eprintln!("skipped: the keys are not on PostgreSQL (set TEST_DATABASE_URL)");
        return;
    }
    let secret = keys(&app, &["create", "--name", "cached", "--role", "admin"])
        .await
        .secret();

    // Once the listener listens, a verified key is served from memory: no statement.
    let mut cached = false;
    for _ in 0..250 {
        let (statements, response) = app
            .statements_and_send(with_authorization(
                &format!("Bearer {secret}"),
                "{ __typename }",
            ))
            .await;
        assert_eq!(response.status, StatusCode::OK, "{response:#?}");
        if statements.is_empty() {
            cached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(cached, "the key was never served from the cache");

    let revoked = keys(&app, &["revoke", "cached"]).await;
    assert!(revoked.succeeded, "{revoked:#?}");

    assert_refused(
        &with_key(&app, &secret, "{ __typename }").await,
        "the API key was revoked",
        "revoked by another process",
    );
}

impl TestApp {
    /// Whether the keys' source, the first database, is PostgreSQL.
    fn keys_on_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }
}

/// The first page of two units under the bearer token `secret` (none: the public), and its end
/// cursor.
pub(crate) async fn first_units(app: &TestApp, secret: Option<&str>) -> String {
    let query = "{ units(first: 2) { pageInfo { endCursor } } }";
    let response = match secret {
        Some(secret) => with_key(app, secret, query).await,
        None => app.send(graphql_request(query, json!({}))).await,
    };
    assert_eq!(response.status, StatusCode::OK, "{response:#?}");
    response.body["data"]["units"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The next page of units after `cursor` under `secret` (none: the public): its first unit's
/// name, or the error's code.
pub(crate) async fn units_after(
    app: &TestApp,
    secret: Option<&str>,
    cursor: &str,
) -> Result<String, String> {
    let query = format!(r#"{{ units(first: 1, after: "{cursor}") {{ nodes {{ name }} }} }}"#);
    let response = match secret {
        Some(secret) => with_key(app, secret, &query).await,
        None => app.send(graphql_request(&query, json!({}))).await,
    };
    match response.body["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => Err(code.to_owned()),
        None => Ok(response.body["data"]["units"]["nodes"][0]["name"]
            .as_str()
            .unwrap()
            .to_owned()),
    }
}

#[tokio::test]
async fn a_cursor_opens_only_for_the_key_it_was_made_for() {
    let app = TestApp::spawn().await;
    let one = create(&app, "one", None).await;
    let other = create(&app, "other", None).await;
    let keyed = first_units(&app, Some(&one)).await;
    let public = first_units(&app, None).await;

    let next = units_after(&app, Some(&one), &keyed).await;
    assert!(next.is_ok(), "{next:?}");
    assert_eq!(next, units_after(&app, None, &public).await);
    let refused = Err("BAD_USER_INPUT".to_owned());
    assert_eq!(units_after(&app, Some(&other), &keyed).await, refused);
    assert_eq!(units_after(&app, None, &keyed).await, refused);
    assert_eq!(units_after(&app, Some(&one), &public).await, refused);
}
