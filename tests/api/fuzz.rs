//! Fuzzing: requests built from the served schema, valid and broken, sent to the real app.
//!
//! Whatever arrives, the answer is JSON in the GraphQL response shape (`data` and/or `errors`,
//! each error with a `message` and an `extensions.code`), never a 5xx, and `/health` still
//! answers after it. The cases are drawn by proptest from a fixed seed, so a run is repeatable;
//! `ATMP_FUZZ_CASES` sets how many (the README gives the command for a long run).
//!
//! Each case is a class and a tape of random numbers that the class's builder reads its
//! choices from (zero when the tape runs out), so proptest shrinks a failure towards a short
//! tape of small numbers: the simplest request of its class that still fails.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    fragment_bomb, graphql_request as graphql_request_with, node_id, TestApp, TestResponse,
};
use crate::planned::difference;

/// Cases in a plain `cargo test` run: a few seconds in a debug build on two cores.
const DEFAULT_CASES: u32 = 500;
/// The seed every run starts from.
const SEED: u64 = 0x00a7_3a9f_0220_2025;
/// Deepest nesting of brackets a case sends: the parser must refuse it, not overflow its stack.
/// `ATMP_FUZZ_MAX_NESTING` lowers it, to fuzz everything else while a crash is being fixed.
const MAX_NESTING: usize = 5000;
/// Most levels of a fragment bomb (each level doubles the spreads: 2^30 at 30).
/// `ATMP_FUZZ_MAX_BOMB_LEVELS` lowers it.
const MAX_BOMB_LEVELS: usize = 30;
/// Longest a request may take before the server counts as hung.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);
/// Deepest selection of a generated valid query (the server allows 15).
const MAX_SELECTION_DEPTH: usize = 4;

#[test]
fn every_request_gets_a_graphql_answer_and_the_server_keeps_serving() {
    let cases = setting("ATMP_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    let sizes = Sizes {
        nesting: setting("ATMP_FUZZ_MAX_NESTING").map_or(MAX_NESTING, |n: usize| n.max(1)),
        bomb_levels: setting("ATMP_FUZZ_MAX_BOMB_LEVELS")
            .map_or(MAX_BOMB_LEVELS, |n: usize| n.max(1)),
    };
    let runtime = two_workers();
    let app = runtime.block_on(TestApp::spawn());
    let schema = runtime.block_on(Schema::introspect(&app));
    let address = runtime.block_on(serve_over_tcp(&app));

    let mut runner = seeded_runner(cases);
    // A crash takes the captured output with it: `ATMP_FUZZ_TRACE=1 … -- --nocapture` prints
    // each request before it is sent, so the last one printed is the culprit.
    let trace = std::env::var_os("ATMP_FUZZ_TRACE").is_some();
    let hung = Cell::new(false);
    // Per class: cases sent, and answers that carried data without errors.
    let tally: RefCell<BTreeMap<&str, (u32, u32)>> = RefCell::default();
    let started = Instant::now();
    let result = runner.run(&(0..CLASSES, vec(any::<u32>(), 0..256)), |(class, tape)| {
        // A hung server answers nothing more: stop shrinking and report the case as found.
        if hung.get() {
            return Ok(());
        }
        let probe = Builder::new(&schema, sizes, &tape).probe(class);
        if trace {
            eprintln!("fuzz: sending {probe}");
        }
        let outcome = runtime.block_on(async {
            let sent = tokio::spawn(send(app.app.router.clone(), address, probe.clone()));
            tokio::time::timeout(ANSWER_WITHIN, sent).await
        });
        let answer = match outcome {
            Err(_) => {
                hung.set(true);
                return Err(TestCaseError::fail(format!(
                    "no answer within {ANSWER_WITHIN:?} to {probe}"
                )));
            }
            Ok(Err(error)) => return Err(TestCaseError::fail(format!("{error}: {probe}"))),
            Ok(Ok(Err(error))) => return Err(TestCaseError::fail(format!("{error}: {probe}"))),
            Ok(Ok(Ok(answer))) => answer,
        };
        let clean = answer.has_clean_data();
        let mut tally = tally.borrow_mut();
        let counts = tally.entry(probe.class).or_default();
        counts.0 += 1;
        counts.1 += u32::from(clean);
        drop(tally);
        if let Err(problem) = answer.problem(&probe.method) {
            return Err(TestCaseError::fail(format!("{problem}: {probe}\n{answer}")));
        }
        let health =
            runtime.block_on(async { tokio::time::timeout(ANSWER_WITHIN, health(&app)).await });
        if health != Ok(StatusCode::OK) {
            return Err(TestCaseError::fail(format!(
                "/health answered {health:?} after {probe}"
            )));
        }
        Ok(())
    });
    let sent: u32 = tally.borrow().values().map(|(sent, _)| sent).sum();
    eprintln!(
        "fuzz: {sent} requests for {cases} cases (shrinking adds some) in {:.1?}",
        started.elapsed()
    );
    for (class, (sent, clean)) in tally.borrow().iter() {
        eprintln!("fuzz: {sent:>6} {class} ({clean} answered with data and no error)");
    }
    if let Err(failure) = result {
        if hung.get() {
            // The hung worker would keep the runtime, and so the test, from finishing.
            runtime.block_on(async { drop(app) });
            runtime.shutdown_background();
        }
        panic!("{failure}");
    }
}

/// Generated queries compared in a plain `cargo test` run.
const DIFFERENTIAL_CASES: u32 = 300;

/// Both ways of resolving a query answer every generated valid query alike: the planned path
/// and async-graphql's resolvers field by field, over one store with generated filler.
/// `ATMP_DIFFERENTIAL_CASES` sets how many queries.
#[test]
fn planned_and_field_by_field_answer_every_generated_query_alike() {
    let cases = setting("ATMP_DIFFERENTIAL_CASES").unwrap_or(DIFFERENTIAL_CASES);
    let runtime = two_workers();
    let app = runtime.block_on(TestApp::spawn_with_generated(4));
    let schema = runtime.block_on(Schema::introspect(&app));
    answered_alike("differential", cases, &schema, |query, variables| {
        runtime.block_on(async {
            (
                app.graphql_with(query, variables.clone()).await,
                app.graphql_field_by_field(query, variables.clone()).await,
            )
        })
    });
}

/// Generated queries per role in a plain `cargo test` (five roles).
const ROLES_CASES: u32 = 80;

/// Noninterference: for each role (the public, a partner of KI, a partner of both
/// institutions, KUH's staff), every generated valid query of the role's own schema is
/// answered as an admin answers it over a twin database holding the seed and only what the
/// role reads of generated records of mixed visibility (the rest deleted, references to people
/// it does not read left out, contact details it does not read emptied), worked out from the
/// records' markings apart from the service's rules: data, errors and cursors byte for byte,
/// and with as many statements. The admin's own twin holds everything. Roles that read contact
/// details also answer generated queries reaching people every way and reading them.
/// `ATMP_ROLES_CASES` sets how many queries per role.
#[test]
fn every_role_answers_each_generated_query_as_an_admin_over_only_what_it_reads() {
    use crate::roles::{mixed_options, readers, some_ids, twin_for, Records};
    use entities::enums::KeyRole;
    let cases = setting("ATMP_ROLES_CASES").unwrap_or(ROLES_CASES);
    let runtime = two_workers();
    let generated = atmp_graph::seed::generate(mixed_options());
    let records = Records::of(&generated);
    let app = runtime.block_on(TestApp::spawn_generating(mixed_options()));
    for (i, reader) in readers().into_iter().enumerate() {
        let twins = runtime.block_on(twin_for(
            &app,
            &records,
            &generated,
            &reader,
            &format!("reader-{i}"),
        ));
        // The reader's own schema, so that what only its role may select (a person's contact
        // details, for staff and admins) is generated too. The log of who read personal data
        // is left out: each app keeps its own (tests/api/read_log.rs).
        let mut schema = runtime.block_on(Schema::introspect_as(&app, twins.reader.as_deref()));
        if let Some(query) = schema.types.get_mut(&schema.query) {
            query
                .fields
                .retain(|field| field.name != "personalDataReads");
        }
        schema.ids = some_ids(&records);
        let statements = RefCell::new(Vec::new());
        let contacts_read = Cell::new(0usize);
        let ask = |query: &str, variables: &Value| {
            runtime.block_on(async {
                let (expected_count, expected) =
                    counted(&twins.twin, twins.admin.as_deref(), query, variables).await;
                let (count, answered) =
                    counted(&app, twins.reader.as_deref(), query, variables).await;
                if count != expected_count {
                    statements
                        .borrow_mut()
                        .push(format!("{count} != {expected_count}: {query}"));
                }
                contacts_read.set(contacts_read.get() + contacts_in(&answered.body));
                (expected, answered)
            })
        };
        answered_alike(&format!("{reader:?}"), cases, &schema, ask);
        // Where the role reads contact details, as many queries again of people reached every
        // way a query reaches them, each reading their contact details.
        if schema.has_field("Person", "email") {
            contacts_alike(&format!("{reader:?}"), cases, &records, ask);
        }
        let statements = statements.into_inner();
        assert!(
            statements.is_empty(),
            "{reader:?}: statements per query differ from the twin's:\n{}",
            statements.join("\n")
        );
        // Staff's cells are compared too, not only rows: some generated queries read contact
        // details (the generator is seeded, so this holds run after run).
        if matches!(reader.role, Some(KeyRole::Staff | KeyRole::Steward)) {
            assert!(
                contacts_read.get() > 0,
                "{reader:?}: no generated query read a contact detail"
            );
        }
    }
}

/// Compares `cases` generated queries that read people's contact details, reaching the people
/// every way a query can: their list (filtered by institution, ordered, paged), search,
/// `nodes`, a trial's principal investigator, a unit's appointments, a person's appointments.
fn contacts_alike(
    label: &str,
    cases: u32,
    records: &crate::roles::Records,
    answer: impl Fn(&str, &Value) -> (TestResponse, TestResponse),
) {
    let people: Vec<&entities::person::Model> = records.whole.people.iter().collect();
    let mut runner = seeded_runner(cases);
    let strategy = (
        0..6u8,
        1..40u8,
        0..4u8,
        0..4u8,
        vec(any::<u16>(), 1..6),
        1..8u8,
    );
    let result = runner.run(&strategy, |(path, first, place, order, picks, fields)| {
        let mut selected = Vec::new();
        for (bit, field) in [(1, "email"), (2, "phone"), (4, "name id")] {
            if fields & bit != 0 {
                selected.push(field);
            }
        }
        if !selected.iter().any(|f| *f == "email" || *f == "phone") {
            selected.push("alias: email");
        }
        let person = format!("{{ {} }}", selected.join(" "));
        let institution = match place {
            0 => "",
            1 => r#"filter: { institution: { eq: "KI" } }, "#,
            2 => r#"filter: { institution: { eq: "KUH" } }, "#,
            _ => r#"filter: { institution: { in: ["KI", "KUH"] } }, "#,
        };
        let ordering = match order {
            0 => "",
            1 => "orderBy: [{ field: NAME, direction: DESC }], ",
            2 => "orderBy: [{ field: GIVEN_NAME }], ",
            _ => "orderBy: [{ field: GIVEN_NAME, direction: DESC }], ",
        };
        let picked: Vec<&entities::person::Model> = picks
            .iter()
            .map(|pick| people[usize::from(*pick) % people.len()])
            .collect();
        let query = match path {
            0 => format!(
                "{{ people({institution}{ordering}first: {first}) {{ totalCount nodes {person} }} }}"
            ),
            1 => format!(
                r#"{{ search(text: "{}", kinds: [PERSON], first: {first}) {{ nodes {{ ... on Person {person} }} }} }}"#,
                picked[0].family_name
            ),
            2 => format!(
                "{{ nodes(ids: [{}]) {{ ... on Person {person} }} }}",
                picked
                    .iter()
                    .map(|p| format!("{:?}", node_id("Person", p.id)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            3 => format!(
                "{{ trials({institution}first: {first}) {{ nodes {{ principalInvestigator {person} }} }} }}"
            ),
            4 => format!(
                "{{ units({institution}first: {first}) {{ nodes {{ appointments(first: 5) {{ nodes {{ person {person} }} }} }} }} }}"
            ),
            _ => format!(
                "{{ people({institution}{ordering}first: {first}) {{ nodes {{ id appointments(first: 3) {{ nodes {{ person {person} }} }} }} }} }}"
            ),
        };
        let (expected, answered) = answer(&query, &Value::Object(Default::default()));
        if expected.body.get("errors").is_some() {
            return Err(TestCaseError::fail(format!("{query}\n{:#}", expected.body)));
        }
        match difference(&query, &expected, &answered) {
            None => Ok(()),
            Some(difference) => Err(TestCaseError::fail(format!("{query}\n{difference}"))),
        }
    });
    eprintln!("{label}: {cases} queries reading contact details");
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// How many non-null `email` and `phone` values `answer` holds, at any depth.
fn contacts_in(answer: &Value) -> usize {
    match answer {
        Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| match (key.as_str(), value) {
                ("email" | "phone", Value::String(_)) => 1,
                _ => contacts_in(value),
            })
            .sum(),
        Value::Array(items) => items.iter().map(contacts_in).sum(),
        _ => 0,
    }
}

/// The answer to `query` asked as the holder of `secret` (the public without one), and how
/// many statements it ran but those on the key table (each side of a comparison looks its key
/// up alike, and writes when it was last used once, after some request) and on the log of who
/// read personal data (written in the background, after the answer).
async fn counted(
    app: &TestApp,
    secret: Option<&str>,
    query: &str,
    variables: &Value,
) -> (usize, TestResponse) {
    let mut request = graphql_request_with(query, variables.clone());
    if let Some(secret) = secret {
        request.headers_mut().insert(
            axum::http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {secret}")).unwrap(),
        );
    }
    let (texts, response) = app.statements_and_send(request).await;
    let count = texts
        .iter()
        .filter(|text| !text.contains("api_key") && !text.contains("personal_data_read"))
        .count();
    (count, response)
}

/// Generated queries compared between one database and two sources in a plain `cargo test`.
const SOURCES_CASES: u32 = 400;

/// Institution filters of real codes, as a literal and as a variable's JSON: mostly these,
/// which choose the sources a list asks (a joint unit is placed at both institutions, and kept
/// by its owner's source only).
const REAL_CODES: [(&str, &str); 4] = [
    (r#"{ eq: "KI" }"#, r#"{ "eq": "KI" }"#),
    (r#"{ eq: "KUH" }"#, r#"{ "eq": "KUH" }"#),
    (r#"{ in: ["KUH"] }"#, r#"{ "in": ["KUH"] }"#),
    (r#"{ in: ["KI", "KUH"] }"#, r#"{ "in": ["KI", "KUH"] }"#),
];

/// The property of federation: every generated valid query (filters across relations,
/// orderings, pages forwards and backwards, aggregates, search) answers the same, data byte
/// for byte and cursors included, over KI's and KUH's records in two databases as over the
/// same records in one. `ATMP_SOURCES_CASES` sets how many queries.
#[test]
fn two_sources_answer_every_generated_query_as_one_database_does() {
    let cases = setting("ATMP_SOURCES_CASES").unwrap_or(SOURCES_CASES);
    let runtime = two_workers();
    let one = runtime.block_on(TestApp::spawn_laid_out(false, 4));
    let two = runtime.block_on(TestApp::spawn_laid_out(true, 4));
    runtime.block_on(two.share_secret_of(&one));
    let schema = runtime.block_on(Schema::introspect(&one));
    answered_alike("two sources", cases, &schema, |query, variables| {
        runtime.block_on(async {
            (
                one.graphql_with(query, variables.clone()).await,
                two.graphql_with(query, variables.clone()).await,
            )
        })
    });
}

/// Sends `cases` generated valid queries to `answer`, which answers each both ways compared
/// (the reference first), and fails at the first query whose two answers differ (errors
/// compared as a set: async-graphql's validation reports them in no fixed order).
fn answered_alike(
    label: &str,
    cases: u32,
    schema: &Schema,
    answer: impl Fn(&str, &Value) -> (TestResponse, TestResponse),
) {
    let sizes = Sizes {
        nesting: MAX_NESTING,
        bomb_levels: MAX_BOMB_LEVELS,
    };
    let mut runner = seeded_runner(cases);
    let with_data = Cell::new(0);
    let result = runner.run(&vec(any::<u32>(), 0..256), |tape| {
        let mut builder = Builder::new(schema, sizes, &tape);
        let query = builder.valid_query();
        let variables = Value::Object(builder.values.clone());
        let (expected, answered) = answer(&query, &variables);
        with_data.set(with_data.get() + u32::from(expected.body.get("errors").is_none()));
        match difference(&query, &expected, &answered) {
            None => Ok(()),
            Some(difference) => Err(TestCaseError::fail(format!(
                "{query}\nvariables {variables}\n{difference}"
            ))),
        }
    });
    eprintln!(
        "{label}: {cases} queries, {} answered without errors",
        with_data.get()
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// Each field of each record type, selected on its own, at the top and one level down (a
/// reference's or a relation's rows): the plan reads only the columns its fields declare, so
/// a declaration that misses one answers differently from the reference, which reads whole
/// rows. Selected alone, no other field's columns can hide the miss.
#[tokio::test]
async fn every_field_of_every_record_on_its_own_is_answered_as_field_by_field() {
    let app = TestApp::spawn_with_generated(4).await;
    let schema = Schema::introspect(&app).await;
    let node_type = |field: &Field| -> Option<String> {
        let connection = schema.types.get(field.ty.name())?;
        let nodes = connection.fields.iter().find(|f| f.name == "nodes")?;
        Some(nodes.ty.name().to_owned())
    };
    // Each field of a type as a selection: leaves as they are, objects (provenance) in full.
    let fields = |type_name: &str| -> Vec<(String, String)> {
        schema.types[type_name]
            .fields
            .iter()
            .filter(|f| f.args.is_empty() && node_type(f).is_none())
            .filter_map(|f| {
                let target = f.ty.name();
                if !schema.is_composite(target) {
                    return Some((f.name.clone(), f.name.clone()));
                }
                let leaves: Vec<&str> = schema.types[target]
                    .fields
                    .iter()
                    .filter(|g| !schema.is_composite(g.ty.name()))
                    .map(|g| g.name.as_str())
                    .collect();
                // A reference to another record is a level down, below.
                (!leaves.contains(&"id")).then(|| {
                    (
                        f.name.clone(),
                        format!("{} {{ {} }}", f.name, leaves.join(" ")),
                    )
                })
            })
            .collect()
    };
    let mut queries: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut candidates: Vec<(usize, String, String, String, String)> = Vec::new();
    for root in &schema.types[&schema.query].fields {
        // The root's selection, with `{}` where the record's own selection goes.
        let (node, root_selection) = match (node_type(root), root.name.as_str()) {
            (Some(node), name) => (
                node,
                format!("{{ {name}(first: 30) {{ nodes {{ {{}} }} }} }}"),
            ),
            (None, "institutions") => (
                "Institution".to_owned(),
                "{ institutions { {} } }".to_owned(),
            ),
            _ => continue,
        };
        let mut levels: Vec<(String, String)> = vec![(node.clone(), "{}".to_owned())];
        for field in &schema.types[&node].fields {
            let below = match node_type(field) {
                Some(child) => (
                    child,
                    format!("{}(first: 3) {{ nodes {{ {{}} }} }}", field.name),
                ),
                None if field.args.is_empty() && schema.is_composite(field.ty.name()) => (
                    field.ty.name().to_owned(),
                    format!("{} {{ {{}} }}", field.name),
                ),
                None => continue,
            };
            levels.push(below);
        }
        for (depth, (type_name, path)) in levels.into_iter().enumerate() {
            for (name, selection) in fields(&type_name) {
                let query = root_selection.replace("{}", &path.replace("{}", &selection));
                let field = format!("{type_name}.{name}");
                candidates.push((depth.min(1), field, type_name.clone(), name, query));
            }
        }
    }
    // A field is tried where it is met first on a top-level list of its own type, whose
    // rows are the most varied, and otherwise a level down.
    candidates.sort_by_key(|(depth, ..)| *depth);
    for (_, field, type_name, name, query) in candidates {
        if seen.insert((type_name, name)) {
            queries.push((field, query));
        }
    }
    let types: std::collections::HashSet<&str> = seen
        .iter()
        .map(|(type_name, _)| type_name.as_str())
        .collect();
    assert_eq!(
        types.len(),
        10,
        "the nine record types and Provenance: {types:?}"
    );

    // 63 leaves, a provenance on each of the nine types, and provenance's two fields.
    assert!(queries.len() >= 74, "{} fields", queries.len());
    for (field, query) in &queries {
        let planned = app.graphql_with(query, json!({})).await;
        let reference = app.graphql_field_by_field(query, json!({})).await;

        assert_eq!(
            planned.error_codes(),
            Vec::<String>::new(),
            "{field}: {query}\n{planned:?}"
        );
        if let Some(difference) = difference(query, &planned, &reference) {
            panic!("{field}: {query}\n{difference}");
        }
    }
}

/// proptest's runner is synchronous: it drives each request on a runtime of the test's own,
/// with two workers, so that a request that hangs one worker cannot stop the timer.
fn two_workers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A runner of `cases` cases from the fixed seed, shrinking a failure to its simplest form.
fn seeded_runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        max_shrink_iters: 500,
        ..Config::default()
    })
}

/// A number from the environment, if set.
fn setting<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|n| n.parse().ok())
}

/// Serves the app on a local port, for the cases sent over real TCP.
async fn serve_over_tcp(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app.app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

async fn health(app: &TestApp) -> StatusCode {
    let request = Request::get("/health").body(Body::empty()).unwrap();
    app.send(request).await.status
}

/// The kinds of request a case may be.
const CLASSES: u8 = 12;

/// One HTTP request of a case.
#[derive(Clone)]
struct Probe {
    class: &'static str,
    method: Method,
    /// Path and query string.
    target: String,
    content_type: Option<Vec<u8>>,
    accept: Option<Vec<u8>>,
    body: Vec<u8>,
    over_tcp: bool,
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            let chars: Vec<char> = text.chars().collect();
            if chars.len() <= 600 {
                format!("{text:?}")
            } else {
                let head: String = chars.iter().take(400).collect();
                let tail: String = chars.iter().skip(chars.len() - 100).collect();
                format!("{head:?} … {tail:?} ({} bytes)", bytes.len())
            }
        };
        write!(
            f,
            "{} case: {} {}{} (content-type {}, accept {}) body {}",
            self.class,
            self.method,
            self.target,
            if self.over_tcp { " over TCP" } else { "" },
            self.content_type.as_deref().map_or("none".to_owned(), show),
            self.accept.as_deref().map_or("none".to_owned(), show),
            show(&self.body),
        )
    }
}

/// What came back.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = String::from_utf8_lossy(&self.body);
        let text: String = text.chars().take(1000).collect();
        write!(f, "answer {}: {text}", self.status)
    }
}

impl Answer {
    fn has_clean_data(&self) -> bool {
        serde_json::from_slice::<Value>(&self.body)
            .is_ok_and(|body| body.get("errors").is_none() && body["data"].is_object())
    }

    /// What is wrong with the answer to a `method` request, if anything.
    fn problem(&self, method: &Method) -> Result<(), String> {
        if self.status >= 500 {
            return Err(format!("status {}", self.status));
        }
        // CORS answers every OPTIONS request as a preflight, with headers and no body.
        if method == Method::OPTIONS {
            return Ok(());
        }
        let body: Value = serde_json::from_slice(&self.body)
            .map_err(|error| format!("the body is not JSON ({error})"))?;
        let Some(object) = body.as_object() else {
            return Err("the body is not a JSON object".to_owned());
        };
        if object.keys().any(|key| key != "data" && key != "errors") {
            return Err("the body has keys besides `data` and `errors`".to_owned());
        }
        match object.get("errors") {
            None if object.contains_key("data") => Ok(()),
            None => Err("the body has neither `data` nor `errors`".to_owned()),
            Some(Value::Array(errors)) if !errors.is_empty() => {
                for error in errors {
                    if !error["message"].is_string() {
                        return Err("an error has no `message`".to_owned());
                    }
                    match error["extensions"]["code"].as_str() {
                        None => return Err("an error has no `extensions.code`".to_owned()),
                        Some("INTERNAL") => return Err("an internal error".to_owned()),
                        Some(_) => {}
                    }
                }
                Ok(())
            }
            Some(_) => Err("`errors` is not a non-empty list".to_owned()),
        }
    }
}

/// Sends `probe` through the router in process, or over TCP to the served router.
async fn send(router: axum::Router, address: SocketAddr, probe: Probe) -> Result<Answer, String> {
    if probe.over_tcp {
        return send_over_tcp(address, &probe).await;
    }
    use tower::ServiceExt;
    let mut request = Request::builder()
        .method(probe.method.clone())
        .uri(&probe.target);
    // Bytes no header may hold are sent only over TCP; in process the header is left out.
    if let Some(value) = probe.content_type.as_deref() {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            request = request.header("content-type", value);
        }
    }
    if let Some(value) = probe.accept.as_deref() {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            request = request.header("accept", value);
        }
    }
    let request = request
        .body(Body::from(probe.body.clone()))
        .map_err(|error| format!("the test built a bad request ({error})"))?;
    let response = router
        .oneshot(request)
        .await
        .map_err(|error| format!("the router failed ({error})"))?;
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|error| format!("the body could not be read ({error})"))?;
    Ok(Answer {
        status,
        body: body.to_vec(),
    })
}

/// HTTP/1.1 by hand, so that any bytes can go into the headers.
async fn send_over_tcp(address: SocketAddr, probe: &Probe) -> Result<Answer, String> {
    let mut request = format!(
        "{} {} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        probe.method,
        probe.target,
        probe.body.len()
    )
    .into_bytes();
    for (name, value) in [
        ("Content-Type", &probe.content_type),
        ("Accept", &probe.accept),
    ] {
        if let Some(value) = value {
            request.extend_from_slice(format!("{name}: ").as_bytes());
            request.extend_from_slice(value);
            request.extend_from_slice(b"\r\n");
        }
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(&probe.body);
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|error| format!("could not connect ({error})"))?;
    stream
        .write_all(&request)
        .await
        .map_err(|error| format!("could not send ({error})"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .map_err(|error| format!("could not read the answer ({error})"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no HTTP answer: {:?}", String::from_utf8_lossy(&raw)))?;
    let (head, body) = raw.split_at(split);
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    let body = body.get(4..).unwrap_or_default();
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Ok(Answer { status, body })
}

/// The payload of a chunked HTTP/1.1 body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|size| usize::from_str_radix(size.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        payload.extend_from_slice(&body[start..(start + size).min(body.len())]);
        body = body.get(start + size + 2..).unwrap_or_default();
    }
    payload
}

/// A type reference as introspection gives it.
#[derive(Debug, Clone)]
enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    fn from_introspection(value: &Value) -> TypeRef {
        match value["kind"].as_str() {
            Some("NON_NULL") => {
                TypeRef::NonNull(Box::new(TypeRef::from_introspection(&value["ofType"])))
            }
            Some("LIST") => TypeRef::List(Box::new(TypeRef::from_introspection(&value["ofType"]))),
            _ => TypeRef::Named(value["name"].as_str().unwrap_or("String").to_owned()),
        }
    }

    fn name(&self) -> &str {
        match self {
            TypeRef::Named(name) => name,
            TypeRef::List(inner) | TypeRef::NonNull(inner) => inner.name(),
        }
    }

    /// The type as a variable definition writes it.
    fn sdl(&self) -> String {
        match self {
            TypeRef::Named(name) => name.clone(),
            TypeRef::List(inner) => format!("[{}]", inner.sdl()),
            TypeRef::NonNull(inner) => format!("{}!", inner.sdl()),
        }
    }
}

struct InputValue {
    name: String,
    ty: TypeRef,
}

struct Field {
    name: String,
    args: Vec<InputValue>,
    ty: TypeRef,
}

#[derive(Default)]
struct TypeInfo {
    fields: Vec<Field>,
    input_fields: Vec<InputValue>,
    enum_values: Vec<String>,
    possible_types: Vec<String>,
}

/// The served schema, as much of it as the builders need.
struct Schema {
    query: String,
    types: HashMap<String, TypeInfo>,
    /// Global IDs and cursors of seeded records, so that some arguments find something.
    ids: Vec<String>,
    cursors: Vec<String>,
}

impl Schema {
    async fn introspect(app: &TestApp) -> Schema {
        Schema::introspect_as(app, None).await
    }

    /// The schema the holder of `secret` is served (the public's without one).
    async fn introspect_as(app: &TestApp, secret: Option<&str>) -> Schema {
        let response = crate::roles::ask_with(
            app,
            secret,
            "{ __schema { queryType { name } types { name kind
                fields { name args { name type { ...T } } type { ...T } }
                inputFields { name type { ...T } }
                enumValues { name }
                possibleTypes { name } } } }
            fragment T on __Type { kind name ofType { kind name ofType { kind name
                ofType { kind name } } } }",
            serde_json::json!({}),
        )
        .await;
        assert!(
            response.body.get("errors").is_none(),
            "introspection: {response:#?}"
        );
        let data = response.body["data"].clone();
        let inputs = |list: &Value| -> Vec<InputValue> {
            list.as_array()
                .into_iter()
                .flatten()
                .map(|v| InputValue {
                    name: v["name"].as_str().unwrap().to_owned(),
                    ty: TypeRef::from_introspection(&v["type"]),
                })
                .collect()
        };
        let names = |list: &Value| -> Vec<String> {
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v["name"].as_str().map(str::to_owned))
                .collect()
        };
        let mut types = HashMap::new();
        for ty in data["__schema"]["types"].as_array().unwrap() {
            let fields = ty["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| Field {
                    name: f["name"].as_str().unwrap().to_owned(),
                    args: inputs(&f["args"]),
                    ty: TypeRef::from_introspection(&f["type"]),
                })
                .collect();
            let info = TypeInfo {
                fields,
                input_fields: inputs(&ty["inputFields"]),
                enum_values: names(&ty["enumValues"]),
                possible_types: names(&ty["possibleTypes"]),
            };
            types.insert(ty["name"].as_str().unwrap().to_owned(), info);
        }
        let query = data["__schema"]["queryType"]["name"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(types.contains_key(&query), "no query type in {data}");
        let records = app
            .data(
                "{ units(first: 3) { edges { cursor node { id } } }
                   people(first: 3, orderBy: [{ field: NAME }]) { edges { cursor node { id } } }
                   cleanrooms(last: 3) { edges { cursor node { id } } } }",
            )
            .await;
        let edges: Vec<&Value> = ["units", "people", "cleanrooms"]
            .iter()
            .flat_map(|list| records[list]["edges"].as_array().unwrap())
            .collect();
        let texts = |pointer: &str| -> Vec<String> {
            edges
                .iter()
                .filter_map(|edge| edge.pointer(pointer)?.as_str().map(str::to_owned))
                .collect()
        };
        Schema {
            query,
            types,
            ids: texts("/node/id"),
            cursors: texts("/cursor"),
        }
    }

    fn has_field(&self, type_name: &str, field: &str) -> bool {
        self.types
            .get(type_name)
            .is_some_and(|t| t.fields.iter().any(|f| f.name == field))
    }

    fn is_composite(&self, name: &str) -> bool {
        self.types.get(name).is_some_and(|t| !t.fields.is_empty())
    }
}

/// The largest hostile structures the builders make.
#[derive(Clone, Copy)]
struct Sizes {
    nesting: usize,
    bomb_levels: usize,
}

/// Builds the request of a case, taking every choice from the case's tape.
struct Builder<'a> {
    schema: &'a Schema,
    sizes: Sizes,
    tape: &'a [u32],
    at: usize,
    /// Variable definitions (`$v0: Int = 3`) and the values sent for them.
    variables: Vec<String>,
    values: serde_json::Map<String, Value>,
    fragments: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(schema: &'a Schema, sizes: Sizes, tape: &'a [u32]) -> Self {
        Builder {
            schema,
            sizes,
            tape,
            at: 0,
            variables: Vec::new(),
            values: serde_json::Map::new(),
            fragments: Vec::new(),
        }
    }

    /// A number below `n` from the tape; zero once the tape is used up.
    fn pick(&mut self, n: usize) -> usize {
        let value = self.tape.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 {
            0
        } else {
            value as usize % n
        }
    }

    /// One of `choices`, the first when the tape is used up.
    fn one_of<T: Clone>(&mut self, choices: &[T]) -> T {
        choices[self.pick(choices.len())].clone()
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.pick(one_in) == 1 % one_in
    }

    fn probe(mut self, class: u8) -> Probe {
        match class {
            0..=2 => {
                let query = self.valid_query();
                self.post("valid query", &query)
            }
            3 => {
                let query = self.valid_query();
                self.get("valid query over GET", &query)
            }
            4 => {
                let query = self.valid_query();
                let chars: Vec<char> = query.chars().collect();
                let cut = self.pick(chars.len() + 1);
                let truncated: String = chars.into_iter().take(cut).collect();
                self.post("truncated query", &truncated)
            }
            5 => {
                let query = self.valid_query();
                let mutated = self.mutate(&query);
                self.post("mutated query", &mutated)
            }
            6 => {
                let query = self.deep_nesting();
                self.post("deep nesting", &query)
            }
            7 => {
                let query = self.fragment_bomb();
                self.post("fragment bomb", &query)
            }
            8 => self.huge_numbers(),
            9 => self.bad_bytes(),
            10 => self.odd_media_types(),
            _ => self.odd_envelopes(),
        }
    }

    fn post(&mut self, class: &'static str, query: &str) -> Probe {
        let mut body = json!({ "query": query });
        if !self.values.is_empty() {
            body["variables"] = Value::Object(self.values.clone());
        }
        let over_tcp = self.chance(16);
        Probe {
            class,
            method: Method::POST,
            target: "/graphql".to_owned(),
            content_type: Some(b"application/json".to_vec()),
            accept: Some(
                self.one_of(&[
                    "application/graphql-response+json",
                    "application/json",
                    "application/graphql-response+json, application/json;q=0.9",
                ])
                .as_bytes()
                .to_vec(),
            ),
            body: body.to_string().into_bytes(),
            over_tcp,
        }
    }

    fn get(&mut self, class: &'static str, query: &str) -> Probe {
        let mut target = format!("/graphql?query={}", percent_encode(query.as_bytes()));
        if !self.values.is_empty() {
            let variables = Value::Object(self.values.clone()).to_string();
            target.push_str(&format!(
                "&variables={}",
                percent_encode(variables.as_bytes())
            ));
        }
        Probe {
            class,
            method: Method::GET,
            target,
            content_type: None,
            accept: Some(b"application/graphql-response+json".to_vec()),
            body: Vec::new(),
            over_tcp: self.chance(16),
        }
    }

    /// A query of the schema's fields, with aliases, arguments, variables, fragments and
    /// directives, valid in shape though its argument values may be out of range.
    fn valid_query(&mut self) -> String {
        let root = self.schema.query.clone();
        let selection = self.selection_set(&root, 0);
        let mut query = String::new();
        for fragment in &self.fragments {
            query.push_str(fragment);
            query.push('\n');
        }
        if self.variables.is_empty() && self.chance(2) {
            query.push_str(&selection);
        } else {
            let n = self.pick(1000);
            query.push_str(&format!("query Q{n}"));
            if !self.variables.is_empty() {
                query.push_str(&format!("({})", self.variables.join(", ")));
            }
            query.push(' ');
            query.push_str(&selection);
        }
        query
    }

    fn selection_set(&mut self, type_name: &str, depth: usize) -> String {
        let count = 1 + self.pick(3);
        let mut selections = Vec::new();
        for _ in 0..count {
            selections.push(self.selection(type_name, depth));
        }
        format!("{{ {} }}", selections.join(" "))
    }

    fn selection(&mut self, type_name: &str, depth: usize) -> String {
        let schema = self.schema;
        let Some(info) = schema.types.get(type_name) else {
            return "__typename".to_owned();
        };
        match self.pick(10) {
            // An inline fragment on the type itself or, for an interface, on an implementation.
            7 if depth < MAX_SELECTION_DEPTH => {
                let on = if info.possible_types.is_empty() {
                    type_name.to_owned()
                } else {
                    self.one_of(&info.possible_types)
                };
                let directive = self.directive();
                let inner = self.selection_set(&on, depth + 1);
                format!("... on {on}{directive} {inner}")
            }
            // A named fragment, defined once for this use.
            8 if depth < MAX_SELECTION_DEPTH && self.fragments.len() < 4 => {
                let name = format!("Fragment{}", self.fragments.len());
                // Reserve the slot first: the fragment's own selection may add fragments.
                self.fragments.push(String::new());
                let index = self.fragments.len() - 1;
                let inner = self.selection_set(type_name, depth + 1);
                self.fragments[index] = format!("fragment {name} on {type_name} {inner}");
                let directive = self.directive();
                format!("...{name}{directive}")
            }
            9 => "__typename".to_owned(),
            _ => {
                let candidates: Vec<&Field> = info
                    .fields
                    .iter()
                    .filter(|f| depth < MAX_SELECTION_DEPTH || !schema.is_composite(f.ty.name()))
                    .collect();
                if candidates.is_empty() {
                    return "__typename".to_owned();
                }
                let field = candidates[self.pick(candidates.len())];
                self.field(field, depth)
            }
        }
    }

    fn field(&mut self, field: &Field, depth: usize) -> String {
        let mut text = String::new();
        if self.chance(4) {
            let n = self.pick(100);
            text.push_str(&format!("alias{n}: "));
        }
        text.push_str(&field.name);
        let mut arguments = Vec::new();
        for arg in &field.args {
            let required = matches!(arg.ty, TypeRef::NonNull(_));
            if required || self.chance(2) {
                let value = self.argument_value(&arg.ty);
                arguments.push(format!("{}: {value}", arg.name));
            }
        }
        if !arguments.is_empty() {
            text.push_str(&format!("({})", arguments.join(", ")));
        }
        text.push_str(&self.directive());
        if self.schema.is_composite(field.ty.name()) {
            let inner = self.selection_set(field.ty.name(), depth + 1);
            text.push(' ');
            text.push_str(&inner);
        }
        text
    }

    /// `@skip` or `@include` now and then, with a literal or a variable.
    fn directive(&mut self) -> String {
        if !self.chance(5) {
            return String::new();
        }
        let name = self.one_of(&["skip", "include"]);
        let condition = if self.chance(2) {
            let variable = self.variable(&TypeRef::NonNull(Box::new(TypeRef::Named(
                "Boolean".to_owned(),
            ))));
            format!("${variable}")
        } else {
            self.one_of(&["true", "false"]).to_owned()
        };
        format!(" @{name}(if: {condition})")
    }

    /// A literal, or a variable (with a default or a value sent beside the query).
    fn argument_value(&mut self, ty: &TypeRef) -> String {
        if self.chance(4) {
            format!("${}", self.variable(ty))
        } else {
            self.literal(ty, 0)
        }
    }

    /// Declares a variable of type `ty` and returns its name.
    fn variable(&mut self, ty: &TypeRef) -> String {
        let name = format!("v{}", self.variables.len());
        let definition = if self.chance(2) {
            let default = self.literal(ty, 0);
            // A default makes a required variable optional.
            let ty = match ty {
                TypeRef::NonNull(inner) => inner.sdl(),
                other => other.sdl(),
            };
            format!("${name}: {ty} = {default}")
        } else {
            let value = self.json_value(ty, 0);
            self.values.insert(name.clone(), value);
            format!("${name}: {}", ty.sdl())
        };
        self.variables.push(definition);
        name
    }

    fn literal(&mut self, ty: &TypeRef, depth: usize) -> String {
        match ty {
            TypeRef::NonNull(inner) => self.literal(inner, depth),
            TypeRef::List(inner) => {
                let n = self.pick(3);
                let items: Vec<String> = (0..n).map(|_| self.literal(inner, depth + 1)).collect();
                format!("[{}]", items.join(", "))
            }
            TypeRef::Named(name) => match name.as_str() {
                "Int" => self.int().to_owned(),
                "Float" => self.one_of(&["0.5", "1e308", "-0.0", "3"]).to_owned(),
                "Boolean" => self.one_of(&["true", "false"]).to_owned(),
                "String" | "ID" => {
                    let text = self.text(name == "ID");
                    serde_json::to_string(&text).unwrap()
                }
                // Mostly real codes, which pick the sources a list asks (a joint unit is
                // placed at both institutions, kept by one source).
                "InstitutionCodeFilter" if !self.chance(4) => self.one_of(&REAL_CODES).0.to_owned(),
                other => {
                    let schema = self.schema;
                    let Some(info) = schema.types.get(other) else {
                        return "null".to_owned();
                    };
                    if !info.enum_values.is_empty() {
                        if self.chance(16) {
                            return "NOT_A_VALUE".to_owned();
                        }
                        return self.one_of(&info.enum_values);
                    }
                    if depth > 3 || info.input_fields.is_empty() {
                        return "{}".to_owned();
                    }
                    let mut fields = Vec::new();
                    for field in &info.input_fields {
                        if matches!(field.ty, TypeRef::NonNull(_)) || self.chance(3) {
                            let value = self.literal(&field.ty, depth + 1);
                            fields.push(format!("{}: {value}", field.name));
                        }
                    }
                    format!("{{ {} }}", fields.join(", "))
                }
            },
        }
    }

    /// The value of a variable, mostly of its type: sometimes not, to test coercion.
    fn json_value(&mut self, ty: &TypeRef, depth: usize) -> Value {
        if self.chance(10) {
            return self.one_of(&[json!(null), json!("x"), json!([1]), json!({ "a": 1 })]);
        }
        match ty {
            TypeRef::NonNull(inner) => self.json_value(inner, depth),
            TypeRef::List(inner) => {
                let n = self.pick(3);
                Value::Array((0..n).map(|_| self.json_value(inner, depth + 1)).collect())
            }
            TypeRef::Named(name) => match name.as_str() {
                "Int" => serde_json::from_str(self.int()).unwrap_or(json!(7)),
                "Float" => json!(0.5),
                "Boolean" => json!(self.chance(2)),
                "String" | "ID" => json!(self.text(name == "ID")),
                "InstitutionCodeFilter" if !self.chance(4) => {
                    serde_json::from_str(self.one_of(&REAL_CODES).1).unwrap_or(json!({}))
                }
                other => {
                    let schema = self.schema;
                    let Some(info) = schema.types.get(other) else {
                        return json!(null);
                    };
                    if !info.enum_values.is_empty() {
                        return json!(self.one_of(&info.enum_values));
                    }
                    let mut fields = serde_json::Map::new();
                    if depth <= 3 {
                        for field in &info.input_fields {
                            if matches!(field.ty, TypeRef::NonNull(_)) || self.chance(3) {
                                let value = self.json_value(&field.ty, depth + 1);
                                fields.insert(field.name.clone(), value);
                            }
                        }
                    }
                    Value::Object(fields)
                }
            },
        }
    }

    /// A page size or other integer: mostly in range, else at the limits or past them.
    fn int(&mut self) -> &'static str {
        if self.chance(4) {
            self.one_of(&[
                "101",
                "-1",
                "2147483647",
                "-2147483648",
                "2147483648",
                "99999999999999999999999",
                "1.5",
            ])
        } else {
            self.one_of(&["0", "1", "3", "20", "100"])
        }
    }

    /// Text for a `String` or `ID` argument: real IDs and cursors, codes, forged global IDs
    /// and cursors, and garbage.
    fn text(&mut self, id: bool) -> String {
        let uuid = "6b1f3a52-0000-5000-8000-000000000000";
        let schema = self.schema;
        if self.chance(2) {
            let real = if id { &schema.ids } else { &schema.cursors };
            if !real.is_empty() {
                return self.one_of(real);
            }
        }
        match self.pick(if id { 4 } else { 8 }) {
            0 => URL_SAFE_NO_PAD.encode(format!(
                "{}:{uuid}",
                self.one_of(&["Unit", "Person", "Institution", "Trial", "Bogus", ""])
            )),
            1 => self
                .one_of(&["", "KI", "KUH", "é", "\u{0}", "\u{10FFFF}", "'; --", "\\"])
                .to_owned(),
            2 => "x".repeat(self.one_of(&[1, 1, 100, 100, 10_000])),
            3 => URL_SAFE_NO_PAD.encode(self.one_of(&["", ":", "Unit:", "\u{ff}:x"])),
            // Cursors: well-formed JSON with hostile keys, and near misses.
            _ => {
                let keys = self.one_of(&[
                    json!([{ "t": "\u{0}" }, { "u": uuid }]),
                    json!([{ "i": i64::MIN }, { "u": uuid }]),
                    json!([{ "t": "x".repeat(5000) }, { "u": uuid }]),
                    json!([{ "u": uuid }]),
                    json!([]),
                    json!([{ "t": "a" }, { "i": 1 }, { "u": uuid }]),
                ]);
                let ordering = self.one_of(&["", "NAME.ASC", "NAME.DESC,KIND.ASC", "\u{0}"]);
                URL_SAFE_NO_PAD.encode(json!({ "o": ordering, "k": keys }).to_string())
            }
        }
    }

    /// The query with a few characters inserted, deleted or replaced.
    fn mutate(&mut self, query: &str) -> String {
        let mut chars: Vec<char> = query.chars().collect();
        for _ in 0..1 + self.pick(4) {
            let at = self.pick(chars.len() + 1);
            let c = self.one_of(&[
                '{', '}', '(', ')', '[', ']', '$', '@', '.', ':', '"', '#', '!', '=', '|', '&',
                '\\', '\n', '\u{0}', 'é', '\u{FEFF}', '1', '-',
            ]);
            match self.pick(3) {
                0 => chars.insert(at, c),
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                _ if at < chars.len() => chars[at] = c,
                _ => chars.push(c),
            }
        }
        chars.into_iter().collect()
    }

    /// Brackets of every kind nested deep, in arguments, variable defaults and selections.
    fn deep_nesting(&mut self) -> String {
        let depth = match self.pick(3) {
            0 => 1 + self.pick(64),
            1 => 1 + self.pick(self.sizes.nesting),
            _ => self.sizes.nesting,
        }
        .min(self.sizes.nesting);
        let closed = !self.chance(5);
        let nest = |open: &str, inner: &str, close: &str| {
            format!(
                "{}{inner}{}",
                open.repeat(depth),
                if closed {
                    close.repeat(depth)
                } else {
                    String::new()
                }
            )
        };
        match self.pick(8) {
            0 => format!(
                "{{ units(first: {}) {{ totalCount }} }}",
                nest("[", "1", "]")
            ),
            1 => format!("query($v: Int = {}) {{ __typename }}", nest("[", "1", "]")),
            2 => format!(
                "{{ units(filter: {}) {{ totalCount }} }}",
                nest("{a: ", "1", "}")
            ),
            3 => format!(
                "query($v: Int = {}) {{ __typename }}",
                nest("{a: ", "1", "}")
            ),
            4 => nest("{ units ", "{ totalCount }", " }"),
            5 => format!("{{ units{} }}", nest("(", "", ")")),
            6 => format!("{{ a(b: {}) }}", nest("[{a: (", "", ")}]")),
            _ => nest("{ ... on Query ", "{ __typename }", " }"),
        }
    }

    /// Fragments that each spread the one before twice (or form a cycle).
    fn fragment_bomb(&mut self) -> String {
        let levels = match self.pick(3) {
            0 => 1 + self.pick(8),
            1 => 1 + self.pick(self.sizes.bomb_levels),
            _ => self.sizes.bomb_levels,
        }
        .min(self.sizes.bomb_levels);
        let first = match self.pick(3) {
            0 => "__typename".to_owned(),
            1 => "institutions { code }".to_owned(),
            // F0 spreads the top one: a cycle.
            _ => format!("...F{levels}"),
        };
        fragment_bomb(levels, &first)
    }

    /// Numbers past every limit, in literals and in variables.
    fn huge_numbers(&mut self) -> Probe {
        let number = self.one_of(&[
            "2147483648",
            "-2147483649",
            "9223372036854775808",
            "18446744073709551616",
            "99999999999999999999999999999999999999999",
            "1e400",
            "-1e400",
            "1e-400",
            "0.0000000000000000000000000001",
            "1.7976931348623157e309",
            "00",
            "-0",
            "0x10",
            "1_000",
            "NaN",
            "Infinity",
        ]);
        match self.pick(3) {
            0 => {
                let query = format!("{{ units(first: {number}) {{ totalCount }} }}");
                self.post("huge numbers", &query)
            }
            1 => {
                let query =
                    format!("query($n: Int = {number}) {{ units(first: $n) {{ totalCount }} }}");
                self.post("huge numbers", &query)
            }
            _ => {
                // JSON numbers as written, not as serde_json would round them.
                let body = format!(
                    r#"{{"query":"query($n: Int) {{ units(first: $n) {{ totalCount }} }}","variables":{{"n":{number}}}}}"#
                );
                self.raw(
                    "huge numbers in variables",
                    Method::POST,
                    b"application/json",
                    body.into_bytes(),
                )
            }
        }
    }

    /// Bodies that are not UTF-8, or whose JSON escapes name no character.
    fn bad_bytes(&mut self) -> Probe {
        let bad: &[u8] = self.one_of(&[
            &b"\xff"[..],
            b"\xc3",
            b"\xc0\x80",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\xfe\xff",
            b"\\ud800",
            b"\\udc00\\ud800",
            b"\\u00",
            b"\x00",
        ]);
        let mut body = Vec::new();
        match self.pick(3) {
            0 => {
                body.extend_from_slice(br#"{"query":"{ __typename "#);
                body.extend_from_slice(bad);
                body.extend_from_slice(br#" }"}"#);
            }
            1 => {
                body.extend_from_slice(br#"{"query":"query($s: String) { institution(code: $s) { code } }","variables":{"s":""#);
                body.extend_from_slice(bad);
                body.extend_from_slice(br#""}}"#);
            }
            _ => {
                for _ in 0..1 + self.pick(64) {
                    body.push(self.pick(256) as u8);
                }
                body.extend_from_slice(bad);
            }
        }
        self.raw("bad bytes", Method::POST, b"application/json", body)
    }

    /// Requests with unusual methods, content types and `Accept` headers.
    fn odd_media_types(&mut self) -> Probe {
        let content_type: &[u8] = self.one_of(&[
            &b"application/json"[..],
            b"application/json; charset=latin1",
            b"APPLICATION/JSON;charset=utf-8",
            b"application/graphql",
            b"application/graphql-response+json",
            b"text/plain",
            b"multipart/form-data; boundary=x",
            b"application/x-www-form-urlencoded",
            b"",
            b";",
            b"application/json\xff",
            b"\xe9t\xe9",
        ]);
        let accept: &[u8] = self.one_of(&[
            &b"application/json"[..],
            b"text/html",
            b"application/graphql-response+json;q=0",
            b"*/*;q=0.1, text/html",
            b"application/*",
            b"",
            b",,,",
            b"application/graphql-response+json\xff",
            b"\xc3(",
        ]);
        let method = self.one_of(&[
            Method::POST,
            Method::POST,
            Method::GET,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
            Method::OPTIONS,
        ]);
        let body = json!({ "query": "{ institutions { code } }" }).to_string();
        let mut probe = self.raw(
            "odd media types",
            method.clone(),
            content_type,
            body.into_bytes(),
        );
        probe.accept = Some(accept.to_vec());
        if method == Method::GET {
            probe.target = "/graphql?query=%7B__typename%7D".to_owned();
            probe.body.clear();
        }
        probe
    }

    /// Envelopes that are JSON but not a GraphQL request, or odd query strings.
    fn odd_envelopes(&mut self) -> Probe {
        if self.chance(3) {
            let target = self.one_of(&[
                "/graphql",
                "/graphql?",
                "/graphql?query=",
                "/graphql?query=%ff%fe",
                "/graphql?query=%7B__typename%7D&variables=%5B",
                "/graphql?query=%7B__typename%7D&variables=%ff",
                "/graphql?query=%7B__typename%7D&extensions=1",
                "/graphql?query=mutation%7Ba%7D",
                "/graphql?query=%7B__typename%7D&query=%7B__typename%7D",
                "/graphql?%%%",
                "/graphql?query=%7B__typename%7D&operationName=%00",
            ]);
            let mut probe = self.raw("odd query string", Method::GET, b"", Vec::new());
            probe.content_type = None;
            probe.target = target.to_owned();
            return probe;
        }
        let deep = self.sizes.nesting;
        let body = self.one_of(&[
            String::new(),
            " ".to_owned(),
            "null".to_owned(),
            "[]".to_owned(),
            "\"{ __typename }\"".to_owned(),
            "{}".to_owned(),
            r#"{"query":1}"#.to_owned(),
            r#"{"query":null}"#.to_owned(),
            r#"{"query":["{ __typename }"]}"#.to_owned(),
            r#"[{"query":"{ __typename }"}]"#.to_owned(),
            r#"{"query":"{ __typename }","variables":"{}"}"#.to_owned(),
            r#"{"query":"{ __typename }","variables":[]}"#.to_owned(),
            r#"{"query":"{ __typename }","extensions":1}"#.to_owned(),
            r#"{"query":"{ __typename }","operationName":7}"#.to_owned(),
            r#"{"query":"{ __typename }","operationName":"Nope"}"#.to_owned(),
            r#"{"query":"{ __typename }","unknown":true}"#.to_owned(),
            r#"{"query":"{ __typename }","query":"{ __typename }"}"#.to_owned(),
            r#"{"query":"{ __typename }"} trailing"#.to_owned(),
            r#"{"query":"query A { __typename } query A { __typename }"}"#.to_owned(),
            r#"{"query":"subscription { __typename }"}"#.to_owned(),
            r#"{"query":"mutation { __typename }"}"#.to_owned(),
            format!(
                r#"{{"query":"{{ __typename }}","variables":{}}}"#,
                "[".repeat(deep)
            ),
            format!(
                r#"{{"query":"{{ __typename }}","variables":{{"v":{}1{}}}}}"#,
                "[".repeat(deep),
                "]".repeat(deep)
            ),
            format!(
                r#"{{"query":"{{ __typename }}","extensions":{}}}"#,
                "{\"a\":".repeat(deep)
            ),
            format!(r#"{{"query":"{}"}}"#, " ".repeat(2_000_000)),
        ]);
        self.raw(
            "odd envelope",
            Method::POST,
            b"application/json",
            body.into_bytes(),
        )
    }

    fn raw(
        &mut self,
        class: &'static str,
        method: Method,
        content_type: &[u8],
        body: Vec<u8>,
    ) -> Probe {
        Probe {
            class,
            method,
            target: "/graphql".to_owned(),
            content_type: Some(content_type.to_vec()),
            accept: Some(b"application/graphql-response+json".to_vec()),
            // Over the body limit the server may close before the client has sent it all.
            over_tcp: self.chance(8) && body.len() < 1 << 20,
            body,
        }
    }
}

/// Percent-encodes every byte but the unreserved ones.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
