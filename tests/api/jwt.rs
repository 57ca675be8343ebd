//! Staff sign-in: bearer JWTs of a pretend identity provider that the test runs itself (its key
//! set served over HTTP on 127.0.0.1, or kept in a file), signed with the test-only keys of
//! `tests/fixtures/jwt`. A valid token reads as the person it names, and their cursors are
//! theirs; a token that cannot be trusted is 401 `UNAUTHENTICATED` saying why; a rotated key
//! set is read again for a new `kid`, at most once per interval; and while the provider is
//! down, the keys read before still verify and a new `kid` is 503.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atmp_graph::app::{open_identity, App};
use atmp_graph::config::{Config, IdentityConfig};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::helpers::{graphql_request, send_to, TestApp, TestResponse};
use crate::keys::{assert_refused, first_units, units_after, with_key};
use crate::request_log::Logs;

/// The issuer the service is configured to trust.
const ISSUER: &str = "https://login.karolinska.example/realms/staff";
/// The service's name at the provider.
const AUDIENCE: &str = "atmp-graph";
/// A query that reads records.
const UNITS: &str = "{ units(first: 3) { nodes { name } } institutions { code } }";

/// A test-only key of the pretend provider.
#[derive(Debug, Clone, Copy)]
enum Key {
    /// The RSA key it signs with first.
    First,
    /// The RSA key it rotates to.
    Second,
    /// An RSA key it never publishes: a forger's, signing under `kid: first`.
    Stranger,
    /// A P-256 key (ES256).
    Ec,
    /// An Ed25519 key (EdDSA).
    Ed,
}

impl Key {
    fn file(self) -> &'static str {
        match self {
            Key::First => "rsa-first",
            Key::Second => "rsa-second",
            Key::Stranger => "rsa-stranger",
            Key::Ec => "ec",
            Key::Ed => "ed25519",
        }
    }

    fn kid(self) -> &'static str {
        match self {
            Key::First | Key::Stranger => "first",
            Key::Second => "second",
            Key::Ec => "ec",
            Key::Ed => "ed",
        }
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Key::First | Key::Second | Key::Stranger => Algorithm::RS256,
            Key::Ec => Algorithm::ES256,
            Key::Ed => Algorithm::EdDSA,
        }
    }

    /// Its public half, as the provider publishes it.
    fn jwk(self) -> Value {
        let text = std::fs::read_to_string(fixture(&format!("{}.jwk.json", self.file()))).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Its private half, to sign with.
    fn encoding(self) -> EncodingKey {
        let pem = std::fs::read(fixture(&format!("{}.pem", self.file()))).unwrap();
        match self.algorithm() {
            Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
            Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem),
            _ => EncodingKey::from_rsa_pem(&pem),
        }
        .unwrap()
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/jwt")
        .join(name)
}

/// A key set of these keys.
fn jwks(keys: &[Key]) -> Value {
    json!({ "keys": keys.iter().map(|key| key.jwk()).collect::<Vec<_>>() })
}

/// The time now, in seconds since the epoch.
fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The claims of `subject`, a member of KI's staff, valid for an hour.
fn staff(subject: &str) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now(), "exp": now() + 3600,
        "roles": ["staff"], "institution": "KI",
    })
}

/// The claims of `anna`, changed by `change`.
fn anna_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut claims = staff("anna");
    change(claims.as_object_mut().unwrap());
    claims
}

/// `claims` signed with `key`, the header naming its algorithm and `kid`.
fn sign(key: Key, claims: &Value) -> String {
    sign_as(key, key.algorithm(), Some(key.kid()), claims)
}

/// `claims` signed with `key` by `algorithm`, the header naming `kid`.
fn sign_as(key: Key, algorithm: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key.encoding()).unwrap()
}

/// base64url without padding, as JWTs write their parts.
fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The pretend identity provider: its key set at `/jwks`, changed by [`Provider::publish`],
/// each read of it counted.
struct Provider {
    address: std::net::SocketAddr,
    /// The set served, and how many times it was read: one lock, so that a read counted after
    /// a change served the change.
    served: Arc<Mutex<(Value, usize)>>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl Provider {
    async fn serve(keys: &[Key]) -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let served = Arc::new(Mutex::new((jwks(keys), 0)));
        let router = Router::new()
            .route("/jwks", get(read_jwks))
            .with_state(served.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Provider {
            address,
            served,
            stop: Some(stop),
            server: Some(server),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/jwks", self.address)
    }

    /// Serves a set of these keys from now on.
    fn publish(&self, keys: &[Key]) {
        self.served.lock().unwrap().0 = jwks(keys);
    }

    /// How many times the set was read.
    fn reads(&self) -> usize {
        self.served.lock().unwrap().1
    }

    /// Stops serving: the port is closed, and every connection to it.
    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }
}

async fn read_jwks(State(served): State<Arc<Mutex<(Value, usize)>>>) -> Json<Value> {
    let mut served = served.lock().unwrap();
    served.1 += 1;
    Json(served.0.clone())
}

/// Trusts the pretend provider whose keys are at `jwks`, with settings changed by `change`.
/// Tokens naming an unknown `kid` may read the keys again once an hour, so that no test depends
/// on the time it takes.
fn trusting(config: &mut Config, jwks: &str, change: impl FnOnce(&mut IdentityConfig)) {
    config.identity.issuer = Some(ISSUER.to_owned());
    config.identity.audience = Some(AUDIENCE.to_owned());
    config.identity.jwks = Some(jwks.to_owned());
    config.identity.jwks_refetch_interval_seconds = 3600;
    change(&mut config.identity);
}

/// The app over a fresh database, trusting the provider whose keys are at `jwks`.
async fn signing_in(jwks: &str, change: impl FnOnce(&mut IdentityConfig)) -> TestApp {
    TestApp::spawn()
        .await
        .reconfigured(|config| trusting(config, jwks, change))
}

/// Asserts `response` is the 503 of a token that cannot be checked now.
fn assert_unavailable(response: &TestResponse, what: &str) {
    assert_eq!(
        response.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {response:#?}"
    );
    assert_eq!(response.headers[header::RETRY_AFTER], "3600", "{what}");
    assert_eq!(
        response.body,
        json!({ "errors": [{
            "message": "the token cannot be checked now: the identity provider's keys could not be read; try again later",
            "extensions": { "code": "IDENTITY_PROVIDER_UNAVAILABLE" },
        }] }),
        "{what}"
    );
}

const UNKNOWN_KID: &str =
    "the token was signed with a key the identity provider does not publish (unknown `kid`)";

#[tokio::test]
async fn a_staff_token_reads_and_its_cursors_open_only_for_the_person_it_names() {
    let provider = Provider::serve(&[Key::First]).await;
    let app = signing_in(&provider.url(), |_| {}).await;
    let anna = sign(Key::First, &staff("anna"));
    let bertil = sign(Key::First, &staff("bertil"));

    let response = with_key(&app, &anna, UNITS).await;

    assert_eq!(response.status, StatusCode::OK, "{response:#?}");
    // The rules per role are not written yet: staff read what the public does.
    assert_eq!(response.body, app.graphql(UNITS).await.body);
    assert_eq!(
        response.data()["institutions"],
        json!([{ "code": "KI" }, { "code": "KUH" }])
    );

    let cursor = first_units(&app, Some(&anna)).await;
    let next = units_after(&app, Some(&anna), &cursor).await;
    assert!(next.is_ok(), "{next:?}");
    let public = first_units(&app, None).await;
    assert_eq!(next, units_after(&app, None, &public).await);
    // Another token of the same person (a later one, valid longer) opens it too.
    let anna_later = sign(
        Key::First,
        &anna_with(|c| {
            c.insert("exp".to_owned(), json!(now() + 7200));
        }),
    );
    assert_eq!(units_after(&app, Some(&anna_later), &cursor).await, next);
    let refused = Err("BAD_USER_INPUT".to_owned());
    assert_eq!(units_after(&app, Some(&bertil), &cursor).await, refused);
    assert_eq!(units_after(&app, None, &cursor).await, refused);
    assert_eq!(units_after(&app, Some(&anna), &public).await, refused);
    // The keys were read once, for the first token.
    assert_eq!(provider.reads(), 1);
}

#[tokio::test]
async fn a_signed_in_persons_read_of_contact_details_is_logged_with_the_person_not_a_key() {
    let provider = Provider::serve(&[Key::First]).await;
    let app = TestApp::spawn_with_generated(4)
        .await
        .reconfigured(|config| trusting(config, &provider.url(), |_| {}));
    let admin = app.key("admin", entities::enums::KeyRole::Admin, &[]).await;
    let anna = sign(Key::First, &staff("anna"));

    let read = with_key(
        &app,
        &anna,
        "query Colleagues { people(first: 100) { nodes { email } } }",
    )
    .await;
    app.app.store.personal_data_reads_written().await;
    let log = app
        .graphql_as(
            &admin,
            "{ personalDataReads(first: 5) { nodes { keyId keyName signedIn { issuer subject } people operationName } } }",
        )
        .await;

    let shown = read.data()["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|person| !person["email"].is_null())
        .count();
    assert!(shown >= 6, "KI's generated people: {read:#?}");
    assert_eq!(
        log.data()["personalDataReads"]["nodes"],
        json!([{
            "keyId": null,
            "keyName": null,
            "signedIn": { "issuer": ISSUER, "subject": "anna" },
            "people": shown,
            "operationName": "Colleagues",
        }])
    );
}

#[tokio::test]
async fn tokens_signed_with_rsa_p256_and_ed25519_keys_are_accepted() {
    let provider = Provider::serve(&[Key::First, Key::Ec, Key::Ed]).await;
    let app = signing_in(&provider.url(), |_| {}).await;

    for key in [Key::First, Key::Ec, Key::Ed] {
        let token = sign(key, &staff("anna"));
        let response = with_key(&app, &token, "{ institutions { code } }").await;
        assert_eq!(response.status, StatusCode::OK, "{key:?}: {response:#?}");
        assert_eq!(response.data()["institutions"][0]["code"], "KI", "{key:?}");
    }
    assert_eq!(provider.reads(), 1);
}

#[tokio::test]
async fn tokens_that_cannot_be_trusted_are_refused_saying_why_and_never_repeated() {
    let provider = Provider::serve(&[Key::First, Key::Ec]).await;
    let app = signing_in(&provider.url(), |_| {}).await;
    let (logs, _guard) = Logs::capture();
    let valid = sign(Key::First, &staff("anna"));
    let admin = sign(
        Key::First,
        &anna_with(|c| {
            c.insert("roles".to_owned(), json!("admin"));
        }),
    );
    let forged_payload = {
        let parts: Vec<&str> = valid.split('.').collect();
        let admin_payload = admin.split('.').nth(1).unwrap();
        format!("{}.{admin_payload}.{}", parts[0], parts[2])
    };
    let header_json = |header: Value| base64url(header.to_string().as_bytes());
    let payload = base64url(staff("anna").to_string().as_bytes());
    let unsigned = format!(
        "{}.{payload}.",
        header_json(json!({ "alg": "none", "typ": "JWT", "kid": "first" }))
    );
    let hmac = jsonwebtoken::encode(
        &Header {
            kid: Some("first".to_owned()),
            ..Header::new(Algorithm::HS256)
        },
        &staff("anna"),
        &EncodingKey::from_secret(Key::First.jwk()["n"].as_str().unwrap().as_bytes()),
    )
    .unwrap();
    let without = |claim: &'static str| {
        sign(
            Key::First,
            &anna_with(|c| {
                c.remove(claim);
            }),
        )
    };
    let with = |claim: &'static str, value: Value| {
        sign(
            Key::First,
            &anna_with(|c| {
                c.insert(claim.to_owned(), value);
            }),
        )
    };
    let malformed = "the bearer token is neither an API key (`atmp_…`) nor a well-formed JWT";
    let algorithm = "the token's algorithm is refused: only asymmetric signatures are accepted (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA), never `none` or `HS…`";
    let mismatch = "the token's algorithm does not fit the key its `kid` names";
    let signature = "the token's signature is not valid";
    let cases: Vec<(String, String, &str)> = vec![
        ("not-a-jwt".to_owned(), malformed.to_owned(), "not a JWT"),
        ("eyJhbGciOi.eyJzdWIi.c2ln".to_owned(), malformed.to_owned(), "parts that are no JSON"),
        (
            format!("{}.{payload}.c2ln", header_json(json!({ "alg": "RS256", "kid": 7 }))),
            malformed.to_owned(),
            "a header of the wrong shape",
        ),
        (unsigned, algorithm.to_owned(), "`alg: none`"),
        (hmac, algorithm.to_owned(), "HS256 with the RSA key's modulus as the secret"),
        (
            sign_as(Key::First, Algorithm::RS256, None, &staff("anna")),
            "the token's header has no `kid`: it must name the identity provider's key that signed it".to_owned(),
            "no `kid`",
        ),
        (
            sign_as(Key::Ec, Algorithm::ES256, Some("first"), &staff("anna")),
            mismatch.to_owned(),
            "an ES256 token naming an RSA key",
        ),
        (
            sign_as(Key::First, Algorithm::PS256, Some("first"), &staff("anna")),
            mismatch.to_owned(),
            "PS256 with a key published for RS256",
        ),
        (sign(Key::Stranger, &staff("anna")), signature.to_owned(), "a forger's key under a published `kid`"),
        (forged_payload, signature.to_owned(), "a payload swapped for an admin's"),
        (
            with("iss", json!("https://login.elsewhere.example")),
            format!("the token's issuer (`iss`) is not `{ISSUER}`"),
            "another issuer",
        ),
        (
            with("aud", json!(["another-service"])),
            format!("the token's audience (`aud`) does not include `{AUDIENCE}`"),
            "another audience",
        ),
        (with("exp", json!(now() - 3600)), "the token has expired".to_owned(), "expired an hour ago"),
        (
            with("nbf", json!(now() + 3600)),
            "the token is not valid yet (`nbf` is in the future)".to_owned(),
            "valid from an hour on",
        ),
        (with("exp", json!("soon")), "the token has no valid `exp` claim".to_owned(), "`exp` a string"),
        (with("nbf", json!("soon")), "the token's `nbf` claim is malformed".to_owned(), "`nbf` a string"),
        (without("exp"), "the token has no valid `exp` claim".to_owned(), "no `exp`"),
        (without("iss"), "the token has no valid `iss` claim".to_owned(), "no `iss`"),
        (without("aud"), "the token has no valid `aud` claim".to_owned(), "no `aud`"),
        (without("sub"), "the token has no valid `sub` claim".to_owned(), "no `sub`"),
        (with("sub", json!(42)), "the token has no valid `sub` claim".to_owned(), "`sub` a number"),
        (
            without("roles"),
            "the token has no `roles` claim: it must name a role, `partner`, `staff`, `steward` or `admin`".to_owned(),
            "no role",
        ),
        (
            with("roles", json!(["staff", "surgeon"])),
            "the token's `roles` claim names no role of this service, `surgeon`: roles are `partner`, `staff` and `admin`".to_owned(),
            "a role that is no role",
        ),
        (
            without("institution"),
            "the token has no `institution` claim: a member of staff is of an institution, and the claim must name its code".to_owned(),
            "staff of no institution",
        ),
        (
            with("institution", json!("XX")),
            "the token's `institution` claim names an unknown institution code `XX`; known codes: KI, KUH".to_owned(),
            "an unknown institution",
        ),
        (
            with("institution", json!(["KI", "KUH"])),
            "the token's `institution` claim names 2 institutions: a member of staff or a data steward is of exactly one".to_owned(),
            "staff of two institutions",
        ),
        (
            sign_as(Key::First, Algorithm::RS256, Some("nobody"), &staff("anna")),
            UNKNOWN_KID.to_owned(),
            "a `kid` the provider does not publish",
        ),
    ];
    let tokens: Vec<String> = cases.iter().map(|(token, _, _)| token.clone()).collect();

    for (token, message, what) in &cases {
        assert_refused(&with_key(&app, token, UNITS).await, message, what);
    }
    let mut basic = graphql_request(UNITS, json!({}));
    basic.headers_mut().insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Basic {valid}")).unwrap(),
    );
    assert_refused(
        &app.send(basic).await,
        "the `Authorization` header must be `Bearer` and an API key or a JWT",
        "not `Bearer`",
    );

    // No log line repeats a token, nor a signature.
    for token in tokens.iter().chain([&valid]) {
        let signature = token.rsplit('.').next().unwrap();
        for text in [token.as_str(), signature] {
            if text.len() > 8 {
                assert!(
                    logs.lines_with(text).is_empty(),
                    "{:?}",
                    logs.lines_with(text)
                );
            }
        }
    }
    // The logs were captured: every request has its line.
    assert_eq!(logs.lines_with(": finished ").len(), cases.len() + 1);
}

#[tokio::test]
async fn without_staff_sign_in_a_jwt_is_refused_as_a_token_that_is_not_an_api_key() {
    let app = TestApp::spawn().await;

    let response = with_key(&app, &sign(Key::First, &staff("anna")), UNITS).await;

    assert_refused(
        &response,
        "the bearer token is not an API key: API keys start with `atmp_`",
        "a valid token, no provider configured",
    );
}

#[tokio::test]
async fn a_key_set_rotated_by_the_provider_is_read_again_for_a_new_kid() {
    let provider = Provider::serve(&[Key::First]).await;
    let app = signing_in(&provider.url(), |_| {}).await;
    let first = with_key(&app, &sign(Key::First, &staff("anna")), UNITS).await;
    assert_eq!(first.status, StatusCode::OK, "{first:#?}");
    assert_eq!(provider.reads(), 1);

    provider.publish(&[Key::Second]);
    let second = with_key(&app, &sign(Key::Second, &staff("anna")), UNITS).await;

    assert_eq!(second.status, StatusCode::OK, "{second:#?}");
    assert_eq!(provider.reads(), 2);
    // The set read replaced the one before: the retired key verifies nothing any more.
    assert_refused(
        &with_key(&app, &sign(Key::First, &staff("anna")), UNITS).await,
        UNKNOWN_KID,
        "a token of the retired key",
    );
    assert_eq!(provider.reads(), 2);
}

#[tokio::test]
async fn made_up_kids_read_the_key_set_again_at_most_once_per_interval() {
    let provider = Provider::serve(&[Key::First]).await;
    let app = signing_in(&provider.url(), |_| {}).await;
    let valid = with_key(&app, &sign(Key::First, &staff("anna")), UNITS).await;
    assert_eq!(valid.status, StatusCode::OK, "{valid:#?}");

    for kid in ["made-up-1", "made-up-2", "made-up-3", "made-up-4"] {
        let token = sign_as(Key::First, Algorithm::RS256, Some(kid), &staff("anna"));
        assert_refused(&with_key(&app, &token, UNITS).await, UNKNOWN_KID, kid);
    }

    // The first read, and one more for the first made-up `kid`.
    assert_eq!(provider.reads(), 2);
}

#[tokio::test]
async fn while_the_provider_is_down_kept_keys_verify_and_a_new_kid_is_unavailable() {
    let mut provider = Provider::serve(&[Key::First]).await;
    let app = signing_in(&provider.url(), |_| {}).await;
    let anna = sign(Key::First, &staff("anna"));
    assert_eq!(with_key(&app, &anna, UNITS).await.status, StatusCode::OK);

    provider.stop().await;

    let kept = with_key(&app, &anna, UNITS).await;
    assert_eq!(kept.status, StatusCode::OK, "{kept:#?}");
    let rotated = sign(Key::Second, &staff("anna"));
    assert_unavailable(
        &with_key(&app, &rotated, UNITS).await,
        "a new `kid`, refetched",
    );
    assert_unavailable(
        &with_key(&app, &rotated, UNITS).await,
        "a new `kid` again, not refetched",
    );
    // A browser's script may read when to try again.
    let mut from_a_page = graphql_request(UNITS, json!({}));
    let headers = from_a_page.headers_mut();
    headers.insert(
        header::ORIGIN,
        HeaderValue::from_static("https://staff.example"),
    );
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {rotated}")).unwrap(),
    );
    let answered = app.send(from_a_page).await;
    assert_unavailable(&answered, "from a page");
    let exposed = answered.headers[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
    // Neither the public nor API keys depend on the provider.
    assert_eq!(app.graphql(UNITS).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_provider_that_accepts_connections_but_never_answers_costs_one_short_timeout_per_interval(
) {
    // A listener that accepts every connection, counts it and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = accepted.clone();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let app = signing_in(&format!("http://{address}/jwks"), |identity| {
        identity.jwks_timeout_ms = 200;
    })
    .await;
    let anna = sign(Key::First, &staff("anna"));

    for attempt in [
        "the first read",
        "the one refetch of the interval",
        "no read",
    ] {
        assert_unavailable(&with_key(&app, &anna, UNITS).await, attempt);
    }

    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    silent.abort();
}

#[tokio::test]
async fn a_key_set_in_a_file_is_read_and_read_again_for_a_new_kid() {
    let file = std::env::temp_dir().join(format!("atmp_jwks_{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, jwks(&[Key::First]).to_string()).unwrap();
    let app = signing_in(file.to_str().unwrap(), |_| {}).await;

    let first = with_key(&app, &sign(Key::First, &staff("anna")), UNITS).await;
    assert_eq!(first.status, StatusCode::OK, "{first:#?}");
    std::fs::write(&file, jwks(&[Key::First, Key::Second]).to_string()).unwrap();
    let second = with_key(&app, &sign(Key::Second, &staff("bertil")), UNITS).await;

    assert_eq!(second.status, StatusCode::OK, "{second:#?}");
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test]
async fn at_startup_an_unusable_key_file_is_an_error_and_a_provider_that_is_down_is_not() {
    let missing = std::env::temp_dir().join(format!("atmp_jwks_{}.json", uuid::Uuid::new_v4()));
    let mut config = Config::for_database("sqlite::memory:").unwrap();
    trusting(&mut config, missing.to_str().unwrap(), |_| {});
    let error = open_identity(&config).await.err().unwrap().to_string();
    assert!(
        error.starts_with(&format!(
            "could not read the identity provider's keys from `{}` (`jwt-jwks`): could not read the file",
            missing.display()
        )),
        "{error}"
    );

    let shared_secret =
        std::env::temp_dir().join(format!("atmp_jwks_{}.json", uuid::Uuid::new_v4()));
    std::fs::write(
        &shared_secret,
        json!({ "keys": [{ "kty": "oct", "kid": "first", "k": "c2VjcmV0" }] }).to_string(),
    )
    .unwrap();
    trusting(&mut config, shared_secret.to_str().unwrap(), |_| {});
    let error = open_identity(&config).await.err().unwrap().to_string();
    assert!(error.ends_with("it holds no key that can verify tokens: each needs a `kid` and an asymmetric algorithm (RS…, PS…, ES256, ES384 or EdDSA)"), "{error}");
    std::fs::remove_file(&shared_secret).unwrap();

    let mut provider = Provider::serve(&[Key::First]).await;
    let url = provider.url();
    provider.stop().await;
    trusting(&mut config, &url, |_| {});
    let identity = open_identity(&config).await.unwrap();
    assert!(identity.is_some());
    // The service starts; tokens wait for the keys, and the public does not.
    let app = TestApp::spawn().await;
    let router = App::with_parts(&config, app.app.store.clone(), identity).router;
    let token = sign(Key::First, &staff("anna"));
    let mut request = graphql_request(UNITS, json!({}));
    request.headers_mut().insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    assert_unavailable(&send_to(router.clone(), request).await, "no keys read yet");
    let public = send_to(router, graphql_request(UNITS, json!({}))).await;
    assert_eq!(public.status, StatusCode::OK, "{public:#?}");
}

#[tokio::test]
async fn the_key_set_is_read_again_in_the_background_when_its_lifetime_ends() {
    let provider = Provider::serve(&[Key::First]).await;
    let app = signing_in(&provider.url(), |identity| {
        identity.jwks_lifetime_seconds = 1;
    })
    .await;
    let anna = sign(Key::First, &staff("anna"));
    assert_eq!(with_key(&app, &anna, UNITS).await.status, StatusCode::OK);
    // A made-up `kid` takes the one refetch of the (hour-long) interval: from here on, only the
    // background reads the set again.
    let made_up = sign_as(
        Key::First,
        Algorithm::RS256,
        Some("made-up"),
        &staff("anna"),
    );
    assert_refused(
        &with_key(&app, &made_up, UNITS).await,
        UNKNOWN_KID,
        "made up",
    );

    provider.publish(&[Key::Second]);
    let rotated = sign(Key::Second, &staff("anna"));
    let mut accepted = false;
    for _ in 0..100 {
        let response = with_key(&app, &rotated, UNITS).await;
        if response.status == StatusCode::OK {
            accepted = true;
            break;
        }
        assert_refused(&response, UNKNOWN_KID, "before the background read");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert!(accepted, "the set was never read again");
    assert_refused(
        &with_key(&app, &anna, UNITS).await,
        UNKNOWN_KID,
        "the retired key, after the background read",
    );
}
