//! Rows per role (README, "Roles and what they read"), asked through the API by the public, a
//! partner of KI, a partner of both institutions, a member of KUH's staff and an admin, over the
//! seed and generated records of mixed visibility (`generate --mixed-visibility`): one test per
//! way a hidden row could show. What each caller should read is computed here, apart from the
//! service's rules, from each record's marking and the records it references ([`Reader::reads`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use atmp_graph::seed::{generate, GenerateOptions};
use atmp_graph::store::{Dataset, NewKey};
use axum::http::{header, HeaderValue};
use entities::enums::{KeyRole, Visibility};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{generated_options, graphql_request, node_id, run_cli, TestApp, TestResponse};

/// What is generated over the seed: every owned kind with records of each marking at each
/// institution.
pub fn mixed_options() -> GenerateOptions {
    GenerateOptions {
        mixed_visibility: true,
        ..generated_options(12)
    }
}

/// A caller: its role (`None`: the public) and the codes of its institutions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub role: Option<KeyRole>,
    pub institutions: Vec<&'static str>,
}

/// Every caller the tests ask as.
pub fn readers() -> Vec<Reader> {
    let reader = |role, institutions: &[&'static str]| Reader {
        role,
        institutions: institutions.to_vec(),
    };
    vec![
        reader(None, &[]),
        reader(Some(KeyRole::Partner), &["KI"]),
        reader(Some(KeyRole::Partner), &["KI", "KUH"]),
        reader(Some(KeyRole::Staff), &["KUH"]),
        reader(Some(KeyRole::Steward), &["KI"]),
        reader(Some(KeyRole::Admin), &[]),
    ]
}

/// The ID of the institution with `code`.
fn institution(code: &str) -> Uuid {
    atmp_graph::domain::natural_id(atmp_graph::domain::RecordKind::Institution, code)
}

impl Reader {
    /// The README's table: whether this caller reads a record whose own marking and those of
    /// every record it references (all the way up) are `markings`, each with its owner. A
    /// partner record needing two institutions' partners is for admins only.
    pub fn reads(&self, markings: &[(Visibility, Uuid)]) -> bool {
        let of_mine = |owner: &Uuid| {
            self.institutions
                .iter()
                .any(|code| institution(code) == *owner)
        };
        match self.role {
            None => markings.iter().all(|(v, _)| *v == Visibility::Public),
            Some(KeyRole::Partner) => {
                let partners: BTreeSet<&Uuid> = markings
                    .iter()
                    .filter(|(v, _)| *v == Visibility::Partner)
                    .map(|(_, owner)| owner)
                    .collect();
                partners.len() <= 1
                    && markings.iter().all(|(v, owner)| match v {
                        Visibility::Public => true,
                        Visibility::Partner => of_mine(owner),
                        Visibility::Internal => false,
                    })
            }
            Some(KeyRole::Staff | KeyRole::Steward) => markings
                .iter()
                .all(|(v, owner)| *v == Visibility::Public || of_mine(owner)),
            Some(KeyRole::Admin) => true,
        }
    }

    /// Whether this caller reads a person with no appointment.
    fn reads_the_unappointed(&self) -> bool {
        matches!(
            self.role,
            Some(KeyRole::Staff | KeyRole::Steward | KeyRole::Admin)
        )
    }
}

/// Every record the app holds (the seed and what is generated over it), and what each reader
/// should read of them.
pub struct Records {
    pub whole: Dataset,
    /// Markings of each owned record and of those it references, by its ID.
    markings: HashMap<Uuid, Vec<(Visibility, Uuid)>>,
}

impl Records {
    pub fn of(generated: &Dataset) -> Records {
        let mut whole = atmp_graph::seed::dataset().unwrap();
        macro_rules! add {
            ($($plural:ident),*) => {$(whole.$plural.extend(generated.$plural.iter().cloned());)*};
        }
        add!(
            units,
            people,
            appointments,
            cleanrooms,
            products,
            trials,
            accreditations,
            milestones
        );
        let mut markings: HashMap<Uuid, Vec<(Visibility, Uuid)>> = HashMap::new();
        let units: HashMap<Uuid, &entities::unit::Model> =
            whole.units.iter().map(|u| (u.id, u)).collect();
        let of_unit = |id: Option<Uuid>| {
            let mut chain = Vec::new();
            let mut next = id.and_then(|id| units.get(&id));
            while let Some(unit) = next {
                chain.push((unit.visibility, unit.institution_id));
                next = unit.parent_id.and_then(|id| units.get(&id));
            }
            chain
        };
        for unit in &whole.units {
            markings.insert(unit.id, of_unit(Some(unit.id)));
        }
        macro_rules! below_a_unit {
            ($plural:ident, |$row:ident| $unit:expr) => {
                for $row in &whole.$plural {
                    let mut chain = vec![($row.visibility, $row.institution_id)];
                    chain.extend(of_unit($unit));
                    markings.insert($row.id, chain);
                }
            };
        }
        below_a_unit!(appointments, |row| row.unit_id);
        below_a_unit!(cleanrooms, |row| Some(row.unit_id));
        below_a_unit!(products, |row| row.unit_id);
        below_a_unit!(accreditations, |row| Some(row.unit_id));
        below_a_unit!(milestones, |row| row.unit_id);
        for trial in &whole.trials {
            let mut chain = vec![(trial.visibility, trial.institution_id)];
            chain.extend(of_unit(trial.manufacturing_unit_id));
            if let Some(product) = trial.product_id {
                chain.extend(markings.get(&product).cloned().unwrap_or_default());
            }
            markings.insert(trial.id, chain);
        }
        Records { whole, markings }
    }

    /// Whether `reader` reads the owned record with ID `id`.
    pub fn reads(&self, reader: &Reader, id: Uuid) -> bool {
        reader.reads(self.markings.get(&id).map_or(&[][..], Vec::as_slice))
    }

    /// Whether `reader` reads the person with ID `id`: one of their appointments, or, for a
    /// person with none, staff and admins.
    pub fn reads_person(&self, reader: &Reader, id: Uuid) -> bool {
        let mut appointed = self
            .whole
            .appointments
            .iter()
            .filter(|a| a.person_id == id)
            .peekable();
        if appointed.peek().is_none() {
            return reader.reads_the_unappointed();
        }
        appointed.any(|a| self.reads(reader, a.id))
    }

    /// Only what `reader` reads of the generated records, each reference to a person it does
    /// not read left out and each contact detail it does not read emptied: the records of its
    /// redacted twin.
    pub fn redacted(&self, generated: &Dataset, reader: &Reader) -> Dataset {
        let mut twin = Dataset::default();
        macro_rules! keep {
            ($($plural:ident),*) => {$(
                twin.$plural = generated
                    .$plural
                    .iter()
                    .filter(|row| self.reads(reader, row.id))
                    .cloned()
                    .collect();
            )*};
        }
        keep!(
            units,
            appointments,
            cleanrooms,
            products,
            trials,
            accreditations,
            milestones
        );
        twin.people = generated
            .people
            .iter()
            .filter(|p| self.reads_person(reader, p.id))
            .cloned()
            .collect();
        for trial in &mut twin.trials {
            trial.principal_investigator_id = trial
                .principal_investigator_id
                .filter(|id| self.reads_person(reader, *id));
        }
        // Staff read the contact details of the people with an appointment, current or ended,
        // at their institutions, whoever else reads the appointment; of the others, none.
        if matches!(reader.role, Some(KeyRole::Staff | KeyRole::Steward)) {
            let contacts: BTreeSet<Uuid> = self
                .whole
                .appointments
                .iter()
                .filter(|a| {
                    reader
                        .institutions
                        .iter()
                        .any(|code| institution(code) == a.institution_id)
                })
                .map(|a| a.person_id)
                .collect();
            for person in &mut twin.people {
                if !contacts.contains(&person.id) {
                    person.email = None;
                    person.phone = None;
                }
            }
        }
        twin
    }
}

/// The app over the seed and mixed generated records, with a key for each reader but the public.
pub struct Roles {
    pub app: TestApp,
    pub records: Records,
    /// Each reader and its key's secret (none for the public).
    pub keys: Vec<(Reader, Option<String>)>,
}

/// Creates a key for `reader` in `app`'s store; `None` for the public. Its ID and secret.
pub async fn key_for(app: &TestApp, reader: &Reader, name: &str) -> Option<(Uuid, String)> {
    let role = reader.role?;
    let (key, secret) = app
        .app
        .store
        .create_key(NewKey {
            name: name.to_owned(),
            role,
            institutions: reader
                .institutions
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            expires_at: None,
            rate: None,
        })
        .await
        .unwrap();
    Some((key.id.0, secret.secret().to_owned()))
}

impl Roles {
    pub async fn spawn() -> Roles {
        let app = TestApp::spawn_generating(mixed_options()).await;
        let records = Records::of(&generate(mixed_options()));
        let mut keys = Vec::new();
        for (i, reader) in readers().into_iter().enumerate() {
            let secret = key_for(&app, &reader, &format!("reader-{i}"))
                .await
                .map(|(_, secret)| secret);
            keys.push((reader, secret));
        }
        Roles { app, records, keys }
    }
}

/// Sends `query` with `variables` as the holder of `secret` (the public without one).
pub async fn ask_with(
    app: &TestApp,
    secret: Option<&str>,
    query: &str,
    variables: Value,
) -> TestResponse {
    let mut request = graphql_request(query, variables);
    if let Some(secret) = secret {
        request.headers_mut().insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {secret}")).unwrap(),
        );
    }
    app.send(request).await
}

/// The data of `query` asked as the holder of `secret`, asserting it has no errors.
async fn data(app: &TestApp, secret: Option<&str>, query: &str) -> Value {
    let response = ask_with(app, secret, query, json!({})).await;
    assert!(
        response.body.get("errors").is_none(),
        "{query}: {response:#?}"
    );
    response.body["data"].clone()
}

/// The UUID a global ID names.
fn uuid_of(global: &Value) -> Uuid {
    use base64::Engine;
    let text = global.as_str().unwrap();
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap();
    let decoded = String::from_utf8(decoded).unwrap();
    decoded.split_once(':').unwrap().1.parse().unwrap()
}

/// Every row of `list` (with `arguments`) as the holder of `secret`, walked page by page with
/// its cursors, `fields` selected; and its `totalCount`.
async fn every_row(
    app: &TestApp,
    secret: Option<&str>,
    list: &str,
    arguments: &str,
    fields: &str,
) -> (Vec<Value>, u64) {
    let mut rows = Vec::new();
    let mut after = Value::Null;
    loop {
        let query = format!(
            "query($after: String) {{ {list}(first: 100, after: $after{arguments}) {{ totalCount nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        );
        let response = ask_with(app, secret, &query, json!({ "after": after })).await;
        assert!(
            response.body.get("errors").is_none(),
            "{query}: {response:#?}"
        );
        let page = &response.body["data"][list];
        rows.extend(page["nodes"].as_array().cloned().unwrap_or_default());
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return (rows, page["totalCount"].as_u64().unwrap());
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// The UUIDs of `rows`' `id`s.
fn ids(rows: &[Value]) -> BTreeSet<Uuid> {
    rows.iter().map(|row| uuid_of(&row["id"])).collect()
}

/// The IDs of the records of `rows` that `reads` says the reader reads.
fn expected<T>(
    rows: &[T],
    id: impl Fn(&T) -> Uuid,
    reads: impl Fn(Uuid) -> bool,
) -> BTreeSet<Uuid> {
    rows.iter().map(id).filter(|id| reads(*id)).collect()
}

#[tokio::test]
async fn every_list_and_its_count_hold_exactly_the_records_each_role_reads() {
    let roles = Roles::spawn().await;
    let whole = &roles.records.whole;
    let mut sizes = Vec::new();
    for (reader, secret) in &roles.keys {
        let secret = secret.as_deref();
        let reads = |id| roles.records.reads(reader, id);
        for (list, wanted) in [
            ("units", expected(&whole.units, |r| r.id, reads)),
            ("cleanrooms", expected(&whole.cleanrooms, |r| r.id, reads)),
            ("products", expected(&whole.products, |r| r.id, reads)),
            ("trials", expected(&whole.trials, |r| r.id, reads)),
            (
                "accreditations",
                expected(&whole.accreditations, |r| r.id, reads),
            ),
            ("milestones", expected(&whole.milestones, |r| r.id, reads)),
            (
                "people",
                expected(
                    &whole.people,
                    |r| r.id,
                    |id| roles.records.reads_person(reader, id),
                ),
            ),
        ] {
            let (rows, count) = every_row(&roles.app, secret, list, "", "id").await;
            assert_eq!(ids(&rows), wanted, "{reader:?}: {list}");
            assert_eq!(rows.len(), wanted.len(), "{reader:?}: {list}, each once");
            assert_eq!(count, wanted.len() as u64, "{reader:?}: {list}");
            sizes.push(wanted.len());
        }
        // Appointments are counted by their aggregate.
        let counted = data(&roles.app, secret, "{ appointmentsAggregate { count } }").await;
        assert_eq!(
            counted["appointmentsAggregate"][0]["count"],
            json!(expected(&whole.appointments, |r| r.id, reads).len()),
            "{reader:?}"
        );
    }
    // The public reads fewer records than an admin, of every list.
    let per_reader: Vec<&[usize]> = sizes.chunks(7).collect();
    for (public, admin) in per_reader[0].iter().zip(per_reader[4]) {
        assert!(public < admin, "{sizes:?}");
    }
}

/// The global IDs of every record of each node type, with whether `reader` reads it.
fn every_node(records: &Records, reader: &Reader) -> Vec<(String, bool)> {
    let whole = &records.whole;
    let mut nodes = Vec::new();
    macro_rules! owned {
        ($($type:literal: $plural:ident),*) => {$(
            for row in &whole.$plural {
                nodes.push((node_id($type, row.id), records.reads(reader, row.id)));
            }
        )*};
    }
    owned!(
        "Unit": units,
        "Appointment": appointments,
        "Cleanroom": cleanrooms,
        "Product": products,
        "Trial": trials,
        "Accreditation": accreditations,
        "Milestone": milestones
    );
    for person in &whole.people {
        nodes.push((
            node_id("Person", person.id),
            records.reads_person(reader, person.id),
        ));
    }
    nodes
}

#[tokio::test]
async fn a_hidden_record_asked_for_by_id_is_null_with_no_error() {
    let Roles { app, records, keys } = Roles::spawn().await;
    let subgraph = app.reconfigured(|config| config.federation = true);
    for (reader, secret) in &keys {
        let secret = secret.as_deref();
        let nodes = every_node(&records, reader);
        let hidden = nodes.iter().filter(|(_, read)| !read).count();
        if reader.role == Some(KeyRole::Admin) {
            assert_eq!(hidden, 0);
        } else {
            assert!(hidden > 20, "{reader:?}: {hidden}");
        }
        for chunk in nodes.chunks(100) {
            let ids: Vec<&str> = chunk.iter().map(|(id, _)| id.as_str()).collect();
            let response = ask_with(
                &subgraph,
                secret,
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                json!({ "ids": ids }),
            )
            .await;
            assert!(response.body.get("errors").is_none(), "{response:#?}");
            for ((id, read), found) in chunk
                .iter()
                .zip(response.body["data"]["nodes"].as_array().unwrap())
            {
                if *read {
                    assert_eq!(found["id"], json!(id), "{reader:?}");
                } else {
                    assert_eq!(found, &Value::Null, "{reader:?}: {id}");
                }
            }
        }
        // One by one, by `node` and `_entities`.
        let Some((id, _)) = nodes.iter().find(|(_, read)| !read) else {
            continue;
        };
        let typename = {
            use base64::Engine;
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(id)
                .unwrap();
            String::from_utf8(decoded)
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned()
        };
        let response = ask_with(
            &subgraph,
            secret,
            &format!(
                r#"{{ node(id: "{id}") {{ id }} _entities(representations: [{{ __typename: "{typename}", id: "{id}" }}]) {{ ... on Node {{ id }} }} }}"#
            ),
            json!({}),
        )
        .await;
        assert_eq!(
            response.body,
            json!({ "data": { "node": null, "_entities": [null] } }),
            "{reader:?}"
        );
    }
}

#[tokio::test]
async fn search_finds_and_counts_only_the_records_each_role_reads() {
    let roles = Roles::spawn().await;
    let whole = &roles.records.whole;
    for (reader, secret) in &roles.keys {
        let secret = secret.as_deref();
        // Every generated cleanroom's code starts `GEN-`, and every generated unit is named.
        let wanted: BTreeSet<Uuid> = whole
            .cleanrooms
            .iter()
            .filter(|room| room.code.starts_with("GEN-"))
            .map(|room| room.id)
            .filter(|id| roles.records.reads(reader, *id))
            .collect();
        let mut found = BTreeSet::new();
        let mut after = Value::Null;
        let total = loop {
            let response = ask_with(
                &roles.app,
                secret,
                "query($after: String) { search(text: \"gen\", kinds: [CLEANROOM], first: 100, after: $after) { totalCount nodes { ... on Cleanroom { id } } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": after }),
            )
            .await;
            assert!(response.body.get("errors").is_none(), "{response:#?}");
            let page = &response.body["data"]["search"];
            found.extend(ids(page["nodes"].as_array().unwrap()));
            if page["pageInfo"]["hasNextPage"] != json!(true) {
                break page["totalCount"].as_u64().unwrap();
            }
            after = page["pageInfo"]["endCursor"].clone();
        };
        assert_eq!(found, wanted, "{reader:?}");
        assert_eq!(total, wanted.len() as u64, "{reader:?}");
        // A hidden unit is not found by its own name.
        for unit in whole
            .units
            .iter()
            .filter(|u| !roles.records.reads(reader, u.id))
            .take(3)
        {
            let hits = data(
                &roles.app,
                secret,
                &format!(
                    r#"{{ search(text: {}, kinds: [UNIT], first: 100) {{ nodes {{ ... on Unit {{ id }} }} }} }}"#,
                    json!(unit.name)
                ),
            )
            .await;
            assert!(
                !ids(hits["search"]["nodes"].as_array().unwrap()).contains(&unit.id),
                "{reader:?}: {}",
                unit.name
            );
        }
    }
}

/// The groups of an aggregate as `(key, count)`: the key's record ID, or none.
fn groups(answer: &Value, key: &str) -> BTreeMap<Option<Uuid>, u64> {
    answer
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            let id = group["keys"][key]["id"].clone();
            let id = (!id.is_null()).then(|| uuid_of(&id));
            (id, group["count"].as_u64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn aggregates_group_keys_and_distinct_counts_reflect_only_readable_rows() {
    let roles = Roles::spawn().await;
    let whole = &roles.records.whole;
    let mut people_hidden_from_a_trial = 0;
    for (reader, secret) in &roles.keys {
        let secret = secret.as_deref();
        let answer = data(
            &roles.app,
            secret,
            "{ cleanroomsAggregate(groupBy: [UNIT]) { count keys { unit { id } } } \
               trialsAggregate(groupBy: [PRINCIPAL_INVESTIGATOR]) { count keys { principalInvestigator { id } } } \
               whole: trialsAggregate { count leaders: countDistinct(field: PRINCIPAL_INVESTIGATOR) products: countDistinct(field: PRODUCT) } }",
        )
        .await;
        let mut rooms: BTreeMap<Option<Uuid>, u64> = BTreeMap::new();
        for room in whole
            .cleanrooms
            .iter()
            .filter(|r| roles.records.reads(reader, r.id))
        {
            *rooms.entry(Some(room.unit_id)).or_default() += 1;
        }
        assert_eq!(
            groups(&answer["cleanroomsAggregate"], "unit"),
            rooms,
            "{reader:?}"
        );
        let trials: Vec<_> = whole
            .trials
            .iter()
            .filter(|t| roles.records.reads(reader, t.id))
            .collect();
        let leader = |trial: &&entities::trial::Model| {
            trial
                .principal_investigator_id
                .filter(|id| roles.records.reads_person(reader, *id))
        };
        people_hidden_from_a_trial += trials
            .iter()
            .filter(|t| t.principal_investigator_id.is_some() && leader(t).is_none())
            .count();
        let mut led: BTreeMap<Option<Uuid>, u64> = BTreeMap::new();
        for trial in &trials {
            *led.entry(leader(trial)).or_default() += 1;
        }
        assert_eq!(
            groups(&answer["trialsAggregate"], "principalInvestigator"),
            led,
            "{reader:?}"
        );
        let distinct =
            |values: Vec<Option<Uuid>>| values.into_iter().flatten().collect::<BTreeSet<_>>().len();
        assert_eq!(
            answer["whole"][0],
            json!({
                "count": trials.len(),
                "leaders": distinct(trials.iter().map(leader).collect()),
                "products": distinct(trials.iter().map(|t| t.product_id).collect()),
            }),
            "{reader:?}"
        );
    }
    assert!(
        people_hidden_from_a_trial > 0,
        "no trial's leader is hidden from a role"
    );
}

#[tokio::test]
async fn relation_filters_see_only_the_records_each_role_reads() {
    let roles = Roles::spawn().await;
    let whole = &roles.records.whole;
    for (reader, secret) in &roles.keys {
        let secret = secret.as_deref();
        let reads = |id| roles.records.reads(reader, id);
        let answer = data(
            &roles.app,
            secret,
            r#"{ some: units(filter: { cleanrooms: { some: { code: { startsWith: "GEN" } } } }) { totalCount }
                 none: units(filter: { cleanrooms: { none: { code: { startsWith: "GEN" } } } }) { totalCount }
                 every: units(filter: { cleanrooms: { every: { regime: { eq: GMP } } } }) { totalCount }
                 inUnits: cleanrooms(filter: { unit: { establishedYear: { isNull: false } } }) { totalCount }
                 appointed: people(filter: { appointments: { some: { startYear: { isNull: false } } } }) { totalCount } }"#,
        )
        .await;
        let units: Vec<_> = whole.units.iter().filter(|u| reads(u.id)).collect();
        let rooms_of = |unit: Uuid| {
            whole
                .cleanrooms
                .iter()
                .filter(move |r| r.unit_id == unit && reads(r.id))
        };
        let some = units
            .iter()
            .filter(|u| rooms_of(u.id).any(|r| r.code.starts_with("GEN")))
            .count();
        let every = units
            .iter()
            .filter(|u| rooms_of(u.id).all(|r| r.regime == entities::enums::CleanroomRegime::Gmp))
            .count();
        let established: BTreeSet<Uuid> = units
            .iter()
            .filter(|u| u.established_year.is_some())
            .map(|u| u.id)
            .collect();
        let rooms = whole
            .cleanrooms
            .iter()
            .filter(|r| reads(r.id) && established.contains(&r.unit_id))
            .count();
        let appointed: BTreeSet<Uuid> = whole
            .appointments
            .iter()
            .filter(|a| reads(a.id) && a.start_year.is_some())
            .map(|a| a.person_id)
            .collect();
        assert_eq!(
            answer,
            json!({
                "some": { "totalCount": some },
                "none": { "totalCount": units.len() - some },
                "every": { "totalCount": every },
                "inUnits": { "totalCount": rooms },
                "appointed": { "totalCount": appointed.len() },
            }),
            "{reader:?}"
        );
    }
}

#[tokio::test]
async fn an_ordering_by_a_referenced_name_lists_the_readable_rows_in_the_admins_order() {
    let roles = Roles::spawn().await;
    let order = r#", orderBy: [{ field: UNIT_NAME, direction: DESC }]"#;
    let (_, admin) = roles.keys.last().unwrap();
    let (all, _) = every_row(&roles.app, admin.as_deref(), "cleanrooms", order, "id").await;
    let all: Vec<Uuid> = all.iter().map(|row| uuid_of(&row["id"])).collect();
    for (reader, secret) in &roles.keys {
        let (rows, count) = every_row(
            &roles.app,
            secret.as_deref(),
            "cleanrooms",
            order,
            "id unit { id }",
        )
        .await;
        let listed: Vec<Uuid> = rows.iter().map(|row| uuid_of(&row["id"])).collect();
        let wanted: Vec<Uuid> = all
            .iter()
            .copied()
            .filter(|id| roles.records.reads(reader, *id))
            .collect();
        assert_eq!(listed, wanted, "{reader:?}");
        assert_eq!(count, wanted.len() as u64, "{reader:?}");
        assert!(
            rows.iter().all(|row| !row["unit"]["id"].is_null()),
            "{reader:?}"
        );
    }
}

#[tokio::test]
async fn an_institutions_relations_list_only_the_records_each_role_reads() {
    let roles = Roles::spawn().await;
    let whole = &roles.records.whole;
    for (reader, secret) in &roles.keys {
        for code in ["KI", "KUH"] {
            let at = institution(code);
            let reads = |id| roles.records.reads(reader, id);
            let answer = data(
                &roles.app,
                secret.as_deref(),
                &format!(
                    r#"{{ institution(code: "{code}") {{ units {{ totalCount }} cleanrooms {{ totalCount }}
                        products {{ totalCount }} trials {{ totalCount }} milestones {{ totalCount }}
                        people {{ totalCount }} }} }}"#
                ),
            )
            .await;
            let count = |ids: Vec<Uuid>| ids.into_iter().filter(|id| reads(*id)).count();
            let people: BTreeSet<Uuid> = whole
                .appointments
                .iter()
                .filter(|a| a.institution_id == at && reads(a.id))
                .map(|a| a.person_id)
                .collect();
            assert_eq!(
                answer["institution"],
                json!({
                    "units": { "totalCount": count(whole.units.iter().filter(|u| u.institution_id == at || u.partner_institution_id == Some(at)).map(|u| u.id).collect()) },
                    "cleanrooms": { "totalCount": count(whole.cleanrooms.iter().filter(|r| r.institution_id == at).map(|r| r.id).collect()) },
                    "products": { "totalCount": count(whole.products.iter().filter(|r| r.institution_id == at).map(|r| r.id).collect()) },
                    "trials": { "totalCount": count(whole.trials.iter().filter(|r| r.institution_id == at).map(|r| r.id).collect()) },
                    "milestones": { "totalCount": count(whole.milestones.iter().filter(|r| r.institution_id == at).map(|r| r.id).collect()) },
                    "people": { "totalCount": people.len() },
                }),
                "{reader:?} at {code}"
            );
        }
    }
}

#[tokio::test]
async fn no_reference_from_a_readable_record_fails_and_a_hidden_leader_is_null() {
    let roles = Roles::spawn().await;
    for (reader, secret) in &roles.keys {
        let secret = secret.as_deref();
        for (list, fields) in [
            (
                "cleanrooms",
                "id unit { id parent { id } institution { code } }",
            ),
            ("accreditations", "id unit { id }"),
            ("milestones", "id unit { id }"),
            ("products", "id developingUnit { id }"),
            ("units", "id parent { id } partnerInstitution { code }"),
            (
                "people",
                "id appointments(first: 20) { nodes { id person { id } unit { id } } }",
            ),
        ] {
            // `every_row` asserts that no answer carries an error.
            let (rows, _) = every_row(&roles.app, secret, list, "", fields).await;
            assert!(!rows.is_empty(), "{reader:?}: {list}");
        }
        let (trials, _) = every_row(
            &roles.app,
            secret,
            "trials",
            "",
            "id principalInvestigator { id } product { id } manufacturingUnit { id }",
        )
        .await;
        for trial in trials {
            let id = uuid_of(&trial["id"]);
            let model = roles
                .records
                .whole
                .trials
                .iter()
                .find(|t| t.id == id)
                .unwrap();
            let leader = model
                .principal_investigator_id
                .filter(|person| roles.records.reads_person(reader, *person));
            assert_eq!(
                trial["principalInvestigator"]["id"]
                    .as_str()
                    .map(|_| uuid_of(&trial["principalInvestigator"]["id"])),
                leader,
                "{reader:?}"
            );
            assert_eq!(
                trial["product"]["id"].is_null(),
                model.product_id.is_none(),
                "{reader:?}: a trial's product is read where the trial is"
            );
        }
    }
}

#[tokio::test]
async fn every_generated_record_shows_its_marking_and_the_public_sees_only_public_ones() {
    let roles = Roles::spawn().await;
    let (_, admin) = roles.keys.last().unwrap();
    for (secret, only_public) in [(None, true), (admin.as_deref(), false)] {
        let (rows, _) = every_row(&roles.app, secret, "cleanrooms", "", "id visibility").await;
        let markings: BTreeSet<&str> = rows
            .iter()
            .filter_map(|r| r["visibility"].as_str())
            .collect();
        for row in &rows {
            let id = uuid_of(&row["id"]);
            let model = roles
                .records
                .whole
                .cleanrooms
                .iter()
                .find(|r| r.id == id)
                .unwrap();
            let marking = match model.visibility {
                Visibility::Public => "PUBLIC",
                Visibility::Partner => "PARTNER",
                Visibility::Internal => "INTERNAL",
            };
            assert_eq!(row["visibility"], json!(marking));
        }
        if only_public {
            assert_eq!(markings, BTreeSet::from(["PUBLIC"]));
        } else {
            assert_eq!(markings, BTreeSet::from(["INTERNAL", "PARTNER", "PUBLIC"]));
        }
    }
}

/// A sample of the global IDs of every kind of record, hidden ones included, for generated
/// queries to look up.
pub fn some_ids(records: &Records) -> Vec<String> {
    let admin = Reader {
        role: Some(KeyRole::Admin),
        institutions: Vec::new(),
    };
    every_node(records, &admin)
        .into_iter()
        .step_by(7)
        .map(|(id, _)| id)
        .collect()
}

/// What a generated query is asked with on both sides of the noninterference test.
pub struct Twins {
    /// The app over the seed and only what the reader reads of the generated records.
    pub twin: TestApp,
    /// The reader's key in the app (none for the public).
    pub reader: Option<String>,
    /// An admin's key in the twin, of the same key ID as the reader's (none for the public,
    /// who reads every row of its twin), so that the cursors of both are bound alike.
    pub admin: Option<String>,
}

/// The redacted twin of `app` for `reader`: the seed, and of `generated` only the records
/// `reader` reads (computed by [`Records::redacted`], apart from the service's rules), its
/// cursors sealed with the app's secret.
pub async fn twin_for(
    app: &TestApp,
    records: &Records,
    generated: &Dataset,
    reader: &Reader,
    name: &str,
) -> Twins {
    let twin = TestApp::spawn().await;
    twin.app
        .store
        .upsert(&records.redacted(generated, reader))
        .await
        .unwrap();
    twin.share_secret_of(app).await;
    let Some((id, secret)) = key_for(app, reader, name).await else {
        return Twins {
            twin,
            reader: None,
            admin: None,
        };
    };
    let admin = Reader {
        role: Some(KeyRole::Admin),
        institutions: Vec::new(),
    };
    let (_, admin_secret) = key_for(&twin, &admin, name).await.unwrap();
    {
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let keys = sea_orm::Database::connect(&twin.database_url)
            .await
            .unwrap();
        entities::api_key::Entity::update_many()
            .col_expr(entities::api_key::Column::Id, Expr::value(id))
            .filter(entities::api_key::Column::Name.eq(name))
            .exec(&keys)
            .await
            .unwrap();
    }
    Twins {
        twin,
        reader: Some(secret),
        admin: Some(admin_secret),
    }
}

/// Runs `atmp-graph --database-url <the app's database> generate <args>`, with no setting from
/// the environment; whether it succeeded.
async fn run_generate(app: &TestApp, args: &[&str]) -> bool {
    let mut all = vec!["generate"];
    all.extend_from_slice(args);
    run_cli(app, &all).await.0
}

#[tokio::test]
async fn the_command_line_generates_records_of_every_marking_only_when_asked() {
    let admin = Reader {
        role: Some(KeyRole::Admin),
        institutions: Vec::new(),
    };
    for (args, markings) in [
        (&["--units", "12"][..], vec!["PUBLIC"]),
        (
            &["--units", "12", "--mixed-visibility"][..],
            vec!["INTERNAL", "PARTNER", "PUBLIC"],
        ),
    ] {
        // The command writes one database (as a server of one would read it).
        let app = TestApp::spawn_one_database().await;
        let (_, secret) = key_for(&app, &admin, "admin").await.unwrap();
        assert!(run_generate(&app, args).await, "{args:?}");

        let (rows, count) = every_row(
            &app,
            Some(&secret),
            "trials",
            "",
            "id visibility provenance { kind }",
        )
        .await;
        let generated: BTreeSet<&str> = rows
            .iter()
            .filter(|row| row["provenance"]["kind"] == "GENERATED")
            .filter_map(|row| row["visibility"].as_str())
            .collect();
        assert_eq!(
            generated.into_iter().collect::<Vec<_>>(),
            markings,
            "{args:?}"
        );
        let (_, public) = every_row(&app, None, "trials", "", "id").await;
        assert_eq!(
            public < count,
            markings.len() > 1,
            "{args:?}: {public} of {count}"
        );
    }
}
