//! Rate limits: each caller spends its queries' cost (their complexity) from a quota per
//! period, by its key's own rate, else its role's, and the public per client address. A
//! request over what is left is refused 429 before it runs, with `Retry-After` and the
//! `RateLimit-Policy` and `RateLimit` headers, and admitted again once that time has passed.
//! Counters kept in Redis are shared by every server that names it (two real server processes
//! here); while Redis does not answer, each process counts in its own memory, and goes back to
//! Redis when it answers again. The Redis tests use `TEST_REDIS_URL` (by default the local
//! `redis://127.0.0.1:6379`), each under a key prefix of its own that it deletes.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atmp_graph::config::Config;
use atmp_graph::domain::Rate;
use atmp_graph::store::NewKey;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, StatusCode};
use entities::enums::KeyRole;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{graphql_request, Proxy, TestApp, TestResponse};
use crate::keys::{keys, with_authorization, with_key};
use crate::request_log::Logs;

/// Costs 2: one field and its one child.
const SMALL: &str = "{ institution(code: \"KI\") { name } }";
/// Costs 21: ten rows of two fields each, and the connection.
const LIST: &str = "{ units(first: 10) { nodes { name } } }";
/// Costs 20 301: a hundred units with a hundred cleanrooms each.
const NESTED: &str =
    "{ units(first: 100) { nodes { name cleanrooms(first: 100) { nodes { code } } } } }";

fn rate(text: &str) -> Rate {
    text.parse().unwrap()
}

/// The app with its rate limits set by `change`.
async fn spawn_limited(change: impl FnOnce(&mut Config)) -> TestApp {
    let app = TestApp::spawn().await.reconfigured(change);
    app.app.rate.settled().await;
    app
}

/// A POST of `query` from `address` (as the server sees the connection).
fn from_address(address: &str, query: &str) -> Request<Body> {
    let mut request = graphql_request(query, json!({}));
    let address: SocketAddr = address.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

/// `request` with an `X-Forwarded-For` header.
fn forwarded_for(mut request: Request<Body>, hops: &str) -> Request<Body> {
    request
        .headers_mut()
        .insert("x-forwarded-for", HeaderValue::from_str(hops).unwrap());
    request
}

fn header<'a>(response: &'a TestResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .get(name)
        .map(|value| value.to_str().unwrap())
}

/// The `r` and `t` of the `RateLimit` header of `response`, after checking it names `policy`.
fn standing(response: &TestResponse, policy: &str) -> (u64, u64) {
    let value = header(response, "ratelimit").unwrap_or_else(|| panic!("{response:#?}"));
    let parameters = value
        .strip_prefix(&format!("\"{policy}\";"))
        .unwrap_or_else(|| panic!("{value} names {policy}"));
    let number = |name: &str| -> u64 {
        parameters
            .split(';')
            .find_map(|parameter| parameter.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{value} has {name}"))
            .parse()
            .unwrap()
    };
    (number("r"), number("t"))
}

/// Asserts `response` is admitted, with `remaining` left of `policy`'s `quota` per `window`
/// seconds.
fn assert_admitted(response: &TestResponse, policy: &str, quota: &str, remaining: u64) {
    assert_eq!(response.status, StatusCode::OK, "{response:#?}");
    assert!(response.body.get("errors").is_none(), "{response:#?}");
    assert_eq!(
        header(response, "ratelimit-policy"),
        Some(format!("\"{policy}\";{quota}").as_str())
    );
    assert_eq!(standing(response, policy).0, remaining, "{response:#?}");
    assert_eq!(header(response, "retry-after"), None);
}

/// Asserts `response` is refused for its rate: 429, no data, one `RATE_LIMITED` error, with
/// `remaining` left; returns its `Retry-After`, which the `RateLimit` header's `t` repeats.
fn assert_refused(response: &TestResponse, policy: &str, remaining: u64) -> u64 {
    assert_eq!(
        response.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{response:#?}"
    );
    assert_eq!(response.error_codes(), ["RATE_LIMITED"], "{response:#?}");
    assert!(response.body.get("data").is_none(), "{response:#?}");
    let retry_after: u64 = header(response, "retry-after")
        .unwrap_or_else(|| panic!("{response:#?}"))
        .parse()
        .unwrap();
    assert_eq!(standing(response, policy), (remaining, retry_after));
    retry_after
}

#[tokio::test]
async fn a_query_over_what_is_left_is_refused_429_with_retry_after_and_the_ratelimit_headers() {
    // 42 units per 42 minutes: each unit comes back in a minute.
    let app = spawn_limited(|config| config.rate_limit_public = rate("42/42m")).await;

    let started = Instant::now();
    let first = app.graphql(LIST).await;
    let second = app.graphql(LIST).await;
    let (statements, over) = app
        .statements_and_send(graphql_request(LIST, json!({})))
        .await;
    let small = app.graphql(SMALL).await;
    // Whole seconds the server's clock may have moved on since the first charge.
    let moved = started.elapsed().as_secs() + 1;
    let counted_down = |from: u64| (from - moved)..=from;

    assert_admitted(&first, "public", "q=42;w=2520", 21);
    // The whole quota is back 21 minutes after the first charge.
    assert_eq!(standing(&first, "public"), (21, 1260));
    assert_admitted(&second, "public", "q=42;w=2520", 0);
    assert!(counted_down(2520).contains(&standing(&second, "public").1));
    // 21 units come back in 21 minutes (less the moments since the first charge).
    let retry_after = assert_refused(&over, "public", 0);
    assert!(counted_down(1260).contains(&retry_after), "{over:#?}");
    assert_eq!(
        over.error_messages(),
        [format!(
            "rate limit reached: this query costs 21, and 0 of the public rate limit's 42 cost units per 42m are left; try again in {retry_after} s (`Retry-After`)"
        )]
    );
    assert_eq!(
        header(&over, "ratelimit-policy"),
        Some("\"public\";q=42;w=2520")
    );
    assert_eq!(
        statements,
        Vec::<String>::new(),
        "a refused query runs no statement"
    );
    // A smaller query waits less: its 2 units are back in 2 minutes.
    let retry_after = assert_refused(&small, "public", 0);
    assert!(counted_down(120).contains(&retry_after), "{small:#?}");
}

#[tokio::test]
async fn a_refused_caller_is_admitted_again_after_retry_after() {
    let app = spawn_limited(|config| config.rate_limit_public = rate("21/2s")).await;

    // Sent together, both are charged within moments: the first charged spends the quota.
    let (one, other) = tokio::join!(app.graphql(LIST), app.graphql(LIST));
    let (spent, over) = if one.status == StatusCode::OK {
        (one, other)
    } else {
        (other, one)
    };
    assert_admitted(&spent, "public", "q=21;w=2", 0);
    let retry_after = assert_refused(&over, "public", 0);
    assert!((1..=2).contains(&retry_after), "{over:#?}");

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let again = app.graphql(LIST).await;

    assert_admitted(&again, "public", "q=21;w=2", 0);
    assert_eq!(again.data()["units"]["nodes"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn a_bigger_query_costs_more_and_one_over_the_whole_quota_never_runs() {
    let app = spawn_limited(|config| config.rate_limit_public = rate("1000/1d")).await;

    let small = app.graphql(SMALL).await;
    let list = app.graphql(LIST).await;
    let (statements, nested) = app
        .statements_and_send(graphql_request(NESTED, json!({})))
        .await;
    let after = app.graphql(SMALL).await;

    assert_admitted(&small, "public", "q=1000;w=86400", 998);
    assert_admitted(&list, "public", "q=1000;w=86400", 977);
    assert_eq!(nested.status, StatusCode::TOO_MANY_REQUESTS, "{nested:#?}");
    assert_eq!(
        nested.body,
        json!({ "errors": [{
            "message": "this query costs 20301, more than the whole public rate limit of 1000 cost units per 1d: it can never run; ask for fewer fields or smaller pages",
            "extensions": { "code": "RATE_LIMITED" }
        }] })
    );
    // Waiting does not help: no `Retry-After`, and nothing was charged.
    assert_eq!(header(&nested, "retry-after"), None);
    assert_eq!(header(&nested, "ratelimit"), None);
    assert_eq!(
        header(&nested, "ratelimit-policy"),
        Some("\"public\";q=1000;w=86400")
    );
    assert_eq!(statements, Vec::<String>::new());
    assert_admitted(&after, "public", "q=1000;w=86400", 975);
}

#[tokio::test]
async fn the_public_is_counted_per_client_address_and_x_forwarded_for_only_behind_trusted_proxies()
{
    let app = spawn_limited(|config| config.rate_limit_public = rate("30/1d")).await;

    let first = app.send(from_address("192.0.2.1:5000", LIST)).await;
    let again = app.send(from_address("192.0.2.1:5001", LIST)).await;
    let other = app.send(from_address("192.0.2.2:5000", LIST)).await;
    let unknown = app.graphql(LIST).await;
    let claimed = app
        .send(forwarded_for(
            from_address("192.0.2.1:5002", LIST),
            "198.51.100.7",
        ))
        .await;

    assert_admitted(&first, "public", "q=30;w=86400", 9);
    assert_refused(&again, "public", 9);
    assert_admitted(&other, "public", "q=30;w=86400", 9);
    // A request with no known address (made in process) is counted on its own.
    assert_admitted(&unknown, "public", "q=30;w=86400", 9);
    // No proxy is trusted by default: the header a client wrote changes nothing.
    assert_refused(&claimed, "public", 9);

    // Behind one trusted proxy, the address it appended is the client's; what the client
    // wrote before it is not trusted.
    let behind = app.reconfigured(|config| config.rate_limit_trusted_proxies = 1);
    let through = |hops: &str| forwarded_for(from_address("10.0.0.1:40000", LIST), hops);
    let client = behind.send(through("203.0.113.5, 198.51.100.7")).await;
    let client_again = behind.send(through("203.0.113.6, 198.51.100.7")).await;
    let neighbour = behind.send(through("198.51.100.8")).await;
    assert_admitted(&client, "public", "q=30;w=86400", 9);
    assert_refused(&client_again, "public", 9);
    assert_admitted(&neighbour, "public", "q=30;w=86400", 9);
}

/// Creates a key of `role` through the store, with its own `rate` if any.
async fn create(app: &TestApp, name: &str, role: KeyRole, rate: Option<Rate>) -> String {
    let institutions = match role {
        KeyRole::Admin => vec![],
        _ => vec!["KI".to_owned()],
    };
    let (_, secret) = app
        .app
        .store
        .create_key(NewKey {
            name: name.to_owned(),
            role,
            institutions,
            expires_at: None,
            rate,
        })
        .await
        .unwrap();
    secret.secret().to_owned()
}

#[tokio::test]
async fn each_role_has_its_default_rate_admins_included_and_the_public_may_be_unlimited() {
    let app = spawn_limited(|config| {
        config.rate_limit_public = Rate::Off;
        config.rate_limit_partner = rate("100/1d");
        config.rate_limit_staff = rate("200/1d");
        config.rate_limit_admin = rate("30/1d");
    })
    .await;
    let partner = create(&app, "partner", KeyRole::Partner, None).await;
    let staff = create(&app, "staff", KeyRole::Staff, None).await;
    let admin = create(&app, "admin", KeyRole::Admin, None).await;

    let public = app.graphql(LIST).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(header(&public, "ratelimit-policy"), None);
    assert_eq!(header(&public, "ratelimit"), None);

    assert_admitted(
        &with_key(&app, &partner, LIST).await,
        "partner",
        "q=100;w=86400",
        79,
    );
    assert_admitted(
        &with_key(&app, &staff, LIST).await,
        "staff",
        "q=200;w=86400",
        179,
    );
    assert_admitted(
        &with_key(&app, &admin, LIST).await,
        "admin",
        "q=30;w=86400",
        9,
    );
    assert_refused(&with_key(&app, &admin, LIST).await, "admin", 9);
    // Each key has its own counter: the partner's is untouched by the admin's.
    assert_admitted(
        &with_key(&app, &partner, LIST).await,
        "partner",
        "q=100;w=86400",
        58,
    );
}

#[tokio::test]
async fn a_key_created_with_its_own_rate_is_limited_by_it_and_the_list_shows_it() {
    let app = spawn_limited(|config| config.rate_limit_partner = rate("1000/1d")).await;

    let bulk = keys(
        &app,
        &[
            "create",
            "--name",
            "bulk",
            "--role",
            "partner",
            "--institution",
            "KI",
            "--rate",
            "50/1h",
        ],
    )
    .await;
    let free = keys(
        &app,
        &[
            "create",
            "--name",
            "free",
            "--role",
            "partner",
            "--institution",
            "KI",
            "--rate",
            "off",
        ],
    )
    .await;
    let plain = create(&app, "plain", KeyRole::Partner, None).await;
    let list = keys(&app, &["list"]).await;

    assert!(list.succeeded, "{list:#?}");
    let rates: Vec<(String, String)> = list
        .stdout
        .lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            (cells[1].to_owned(), cells.last().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        rates,
        [("bulk", "50/1h"), ("free", "off"), ("plain", "-")]
            .map(|(name, rate)| (name.to_owned(), rate.to_owned()))
    );

    assert_admitted(
        &with_key(&app, &bulk.secret(), LIST).await,
        "key",
        "q=50;w=3600",
        29,
    );
    assert_admitted(
        &with_key(&app, &bulk.secret(), LIST).await,
        "key",
        "q=50;w=3600",
        8,
    );
    assert_refused(&with_key(&app, &bulk.secret(), LIST).await, "key", 8);
    // Back to its role's rate, with what it spent: 42 units of 50 an hour take 3024 s to come
    // back, which is 35 units of 1000 a day.
    let role = keys(&app, &["rate", "bulk", "role"]).await;
    assert!(role.succeeded, "{role:#?}");
    assert_eq!(
        role.stdout,
        format!(
            "key `bulk` ({}) is limited by its role's rate (partner)\n",
            bulk.id()
        )
    );
    assert_admitted(
        &with_key(&app, &bulk.secret(), LIST).await,
        "partner",
        "q=1000;w=86400",
        944,
    );
    let off = keys(&app, &["rate", "bulk", "off"]).await;
    assert!(off.stdout.ends_with("is limited to off\n"), "{off:#?}");
    assert_eq!(
        header(
            &with_key(&app, &bulk.secret(), LIST).await,
            "ratelimit-policy"
        ),
        None
    );
    let bad = keys(&app, &["rate", "bulk", "fast"]).await;
    assert!(!bad.succeeded);
    assert!(bad.stderr.contains("`fast` is not a rate"), "{bad:#?}");
    let nobody = keys(&app, &["rate", "nobody", "off"]).await;
    assert!(!nobody.succeeded);
    assert!(
        nobody
            .stderr
            .contains("could not set the key's rate limit: no key has the ID or name `nobody`"),
        "{nobody:#?}"
    );
    let unlimited = with_key(&app, &free.secret(), NESTED).await;
    assert_eq!(unlimited.status, StatusCode::OK, "{unlimited:#?}");
    assert_eq!(header(&unlimited, "ratelimit-policy"), None);
    assert_admitted(
        &with_key(&app, &plain, LIST).await,
        "partner",
        "q=1000;w=86400",
        979,
    );
}

#[tokio::test]
async fn health_graphiql_and_refused_credentials_are_not_charged() {
    let app = spawn_limited(|config| config.rate_limit_public = rate("21/1d")).await;

    for _ in 0..3 {
        assert_eq!(app.get("/health").await.status, StatusCode::OK);
        assert_eq!(app.get("/ready").await.status, StatusCode::OK);
        assert_eq!(app.get("/").await.status, StatusCode::OK);
        let refused = app
            .send(with_authorization("Bearer atmp_nonsense", LIST))
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(header(&refused, "ratelimit"), None);
    }
    // A query refused before it is validated is not charged either.
    assert_eq!(
        app.graphql("{ units { nope } }").await.status,
        StatusCode::BAD_REQUEST
    );

    assert_admitted(&app.graphql(LIST).await, "public", "q=21;w=86400", 0);
}

#[tokio::test]
async fn a_get_request_is_charged_as_a_post_is() {
    let app = spawn_limited(|config| config.rate_limit_public = rate("30/1d")).await;
    let query: String = serde_urlencoded::to_string([("query", LIST)]).unwrap();
    let get = || {
        Request::get(format!("/graphql?{query}"))
            .header(header::ACCEPT, "application/graphql-response+json")
            .body(Body::empty())
            .unwrap()
    };

    assert_admitted(&app.send(get()).await, "public", "q=30;w=86400", 9);
    assert_refused(&app.send(get()).await, "public", 9);
}

/// The Redis the tests use.
fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
}

/// A key prefix of the test's own, whose keys are deleted when it is dropped.
struct RedisPrefix(String);

impl RedisPrefix {
    fn new() -> RedisPrefix {
        RedisPrefix(format!("atmp-test:{}:", uuid::Uuid::new_v4().simple()))
    }

    /// The keys under the prefix.
    fn keys(&self) -> Vec<String> {
        let mut connection = redis::Client::open(redis_url())
            .unwrap()
            .get_connection()
            .unwrap_or_else(|error| panic!("the tests need Redis at {}: {error}", redis_url()));
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.0))
            .query(&mut connection)
            .unwrap();
        keys.sort();
        keys
    }
}

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        let Ok(mut connection) =
            redis::Client::open(redis_url()).and_then(|client| client.get_connection())
        else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.0))
            .query(&mut connection)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<(), _> = redis::cmd("DEL").arg(keys).query(&mut connection);
        }
    }
}

/// The `host:port` of a Redis URL.
fn redis_address(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_owned()
}

#[tokio::test]
async fn while_redis_does_not_answer_the_process_counts_in_memory_and_goes_back_when_it_does() {
    let prefix = RedisPrefix::new();
    let mut proxy = Proxy::start(redis_address(&redis_url())).await;
    proxy.stop().await;
    let port = proxy.port;
    let (logs, _capturing) = Logs::capture();
    let app = spawn_limited(|config| {
        config.rate_limit_public = rate("42/1d");
        config.rate_limit_redis = Some(format!("redis://127.0.0.1:{port}"));
        config.rate_limit_redis_prefix = prefix.0.clone();
        config.rate_limit_redis_timeout_ms = 2000;
    })
    .await;

    // Down from the start: counted in memory, never an error for it.
    assert!(!app.app.rate.counting_in_redis());
    assert_admitted(&app.graphql(LIST).await, "public", "q=42;w=86400", 21);
    assert_admitted(&app.graphql(LIST).await, "public", "q=42;w=86400", 0);
    assert_refused(&app.graphql(LIST).await, "public", 0);
    assert_eq!(prefix.keys(), Vec::<String>::new());
    // Tried again every second meanwhile, and said once.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        logs.lines_with("cannot reach Redis").len(),
        1,
        "cannot reach Redis"
    );

    // Redis answers: the process counts there again, within a second or so.
    proxy.restart().await;
    let mut waited = 0;
    while !app.app.rate.counting_in_redis() {
        assert!(waited < 1000, "the limiter never went back to Redis");
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
    assert_admitted(&app.graphql(LIST).await, "public", "q=42;w=86400", 21);
    assert_eq!(prefix.keys(), [format!("{}public", prefix.0)]);

    assert_eq!(
        logs.lines_with("Redis answers again").len(),
        1,
        "Redis answers again"
    );

    // Redis goes away mid-way: the next requests are answered from memory, and that is said
    // once.
    proxy.stop().await;
    for _ in 0..3 {
        assert_refused(&app.graphql(LIST).await, "public", 0);
    }
    assert!(!app.app.rate.counting_in_redis());
    assert_eq!(
        logs.lines_with("Redis does not answer").len(),
        1,
        "Redis does not answer"
    );
}

/// A server process of the real binary, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `atmp-graph serve` on a free port with `args`, and waits until it listens.
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_atmp-graph"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .arg("serve")
            .env_clear()
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (listening, address) = std::sync::mpsc::channel();
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.split("GraphQL at http://").nth(1) {
                    let _ = listening.send(at.trim_end_matches("/graphql").to_owned());
                }
                kept.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let address = address
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("the server did not start: {}", log.lock().unwrap()));
        Server {
            child,
            address: address.parse().unwrap(),
            log,
        }
    }

    /// POSTs `query` over TCP: the status, the `RateLimit` header and the body.
    async fn post(&self, query: &str) -> (u16, String, Value) {
        let body = json!({ "query": query }).to_string();
        let mut stream = tokio::net::TcpStream::connect(self.address).await.unwrap();
        let request = format!(
            "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let ratelimit = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("ratelimit")
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default();
        (status, ratelimit, serde_json::from_str(body).unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn two_server_processes_sharing_a_redis_share_every_limit() {
    let app = TestApp::spawn().await;
    let prefix = RedisPrefix::new();
    let redis = redis_url();
    let args = [
        "--database-url",
        &app.database_url,
        "--rate-limit-public",
        "50/1d",
        "--rate-limit-redis",
        &redis,
        "--rate-limit-redis-prefix",
        &prefix.0,
        "--rate-limit-redis-timeout-ms",
        "2000",
    ];
    let first = Server::start(&args);
    let second = Server::start(&args);
    for server in [&first, &second] {
        assert!(
            server
                .log
                .lock()
                .unwrap()
                .contains("rate limits: counting in Redis"),
            "{}",
            server.log.lock().unwrap()
        );
    }

    let (status, ratelimit, _) = first.post(LIST).await;
    assert_eq!(
        (status, ratelimit.as_str()),
        (200, "\"public\";r=29;t=36288")
    );
    // The second server sees what the first spent, and the first what the second did.
    let (status, ratelimit, _) = second.post(LIST).await;
    assert_eq!(status, 200);
    assert!(ratelimit.starts_with("\"public\";r=8;"), "{ratelimit}");
    let (status, ratelimit, body) = first.post(LIST).await;
    assert_eq!(status, 429, "{body}");
    assert!(ratelimit.starts_with("\"public\";r=8;"), "{ratelimit}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    // Both counted the one client, by its address.
    assert_eq!(prefix.keys(), [format!("{}address:127.0.0.1", prefix.0)]);
}

/// Runs the binary with `args` and no environment: whether it succeeded, and its stderr.
fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_atmp-graph"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_rate_limit_settings_are_refused_at_startup_with_what_is_wrong() {
    for (args, env, expected) in [
        (
            vec!["--rate-limit-public", "6000", "schema"],
            vec![],
            "invalid value '6000' for '--rate-limit-public <COST/PERIOD>': `6000` is not a rate: write `COST/PERIOD`, such as `6000/1m` (cost units per minute), or `off`",
        ),
        (
            vec!["schema"],
            vec![("ATMP_RATE_LIMIT_STAFF", "0/1m")],
            "the cost of `0/1m` must be a whole number of at least 1",
        ),
        (
            vec!["--rate-limit-admin", "100/500ms", "schema"],
            vec![],
            "the period of `100/500ms` must be whole seconds from 1s to 1d",
        ),
        (
            vec![
                "--database-url",
                "sqlite::memory:",
                "--listen",
                "127.0.0.1:0",
                "--rate-limit-redis",
                "http://127.0.0.1:6379",
                "--rate-limit-redis-prefix",
                "",
                "serve",
            ],
            vec![],
            "invalid settings:\n  `rate-limit-redis` is not a Redis URL (`redis://HOST:PORT/DB`): `http://127.0.0.1:6379`",
        ),
        (
            vec![
                "--database-url",
                "sqlite::memory:",
                "keys",
                "create",
                "--name",
                "x",
                "--role",
                "admin",
                "--rate",
                "lots",
            ],
            vec![],
            "invalid value 'lots' for '--rate <COST/PERIOD>': `lots` is not a rate",
        ),
    ] {
        let (succeeded, stderr) = run(&args, &env);
        assert!(!succeeded, "{args:?} {env:?}");
        assert!(stderr.contains(expected), "{args:?} {env:?}: {stderr}");
    }
    let (_, stderr) = run(
        &[
            "--database-url",
            "sqlite::memory:",
            "--rate-limit-redis-prefix",
            "",
            "serve",
        ],
        &[],
    );
    assert!(
        stderr.contains("`rate-limit-redis-prefix` must not be empty"),
        "{stderr}"
    );
}
