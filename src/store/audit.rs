//! The audit log: each change to a record, written in the change's own transaction, in the
//! source that holds the record, hash-chained per source so that an edited or deleted row is
//! found ([`Store::verify_audit`]).
//!
//! A row's `hash` is the SHA-256 (hex) of a JSON array of the `hash` of the row before it (the
//! empty text for the first) and the row's own fields in a fixed order ([`Entry::hash`]). Table
//! `audit_head` names the last row's `seq` and `hash`: every write locks it first
//! ([`lock`]), so the writes to a source are appended one at a time, and a deleted last row
//! is found too.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, EntityTrait, IdenStatic, Iterable, ModelTrait,
    QueryResult,
};
use uuid::Uuid;

use super::{Caller, Role, Store, StoreError};
use crate::domain::sha256_hex;

const LOG: &str = "audit_log";
const HEAD: &str = "audit_head";

/// The columns of `audit_log`, in the order rows are written and read.
const COLUMNS: [&str; 14] = [
    "seq",
    "at",
    "key_id",
    "issuer",
    "subject",
    "role",
    "request_id",
    "operation",
    "kind",
    "record_id",
    "institution_id",
    "before",
    "after",
    "hash",
];

/// Locks the source's audit head for the rest of `txn`: the first statement of every write,
/// so that concurrent writes to a source wait for each other here, and see each other's
/// changes once they go on.
pub(super) async fn lock(txn: &DatabaseTransaction) -> Result<(), StoreError> {
    let mut update = Query::update();
    update
        .table(Alias::new(HEAD))
        .value(Alias::new("seq"), Expr::col(Alias::new("seq")))
        .and_where(Expr::col(Alias::new("id")).eq(1));
    txn.execute(&update).await?;
    Ok(())
}

/// What was done to a record: `CREATE`, `UPDATE` or `DELETE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
        }
    }
}

/// Who made a change, as the audit log names them: the caller, and the request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub caller: Caller,
    /// The request's ID (`x-request-id`), when the change came in one.
    pub request_id: Option<String>,
}

/// One row of the audit log, before it has its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    pub at: String,
    pub key_id: Option<Uuid>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub role: String,
    pub request_id: Option<String>,
    pub operation: String,
    pub kind: String,
    pub record_id: Uuid,
    pub institution_id: Option<Uuid>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Entry {
    /// The entry of a change to record `record_id` of `kind` (its GraphQL type), owned by
    /// `institution_id`, from `before` to `after` (its images: [`image`]).
    pub(super) fn of(
        actor: &Actor,
        operation: Operation,
        kind: &str,
        record_id: Uuid,
        institution_id: Option<Uuid>,
        before: Option<String>,
        after: Option<String>,
    ) -> Entry {
        let signed_in = actor.caller.signed_in();
        Entry {
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            key_id: actor.caller.key_id(),
            issuer: signed_in.as_ref().map(|s| s.issuer.clone()),
            subject: signed_in.map(|s| s.subject),
            role: role_name(actor.caller.role()).to_owned(),
            request_id: actor.request_id.clone(),
            operation: operation.name().to_owned(),
            kind: kind.to_owned(),
            record_id,
            institution_id,
            before,
            after,
        }
    }

    /// The chain's hash of this entry at `seq`, after the row whose hash is `previous`.
    fn hash(&self, seq: i64, previous: &str) -> String {
        let fields = serde_json::json!([
            previous,
            seq,
            self.at,
            self.key_id,
            self.issuer,
            self.subject,
            self.role,
            self.request_id,
            self.operation,
            self.kind,
            self.record_id,
            self.institution_id,
            self.before,
            self.after,
        ]);
        sha256_hex(&fields.to_string())
    }
}

/// The role as the audit log names it.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::Public => "PUBLIC",
        Role::Partner => "PARTNER",
        Role::Staff => "STAFF",
        Role::Steward => "STEWARD",
        Role::Admin => "ADMIN",
    }
}

/// A record's columns as a JSON object (by column name, in the table's order): the image
/// the audit log keeps of it.
pub(super) fn image<E: EntityTrait>(model: &E::Model) -> String
where
    E::Model: ModelTrait<Entity = E>,
{
    let object: serde_json::Map<String, serde_json::Value> = E::Column::iter()
        .map(|column| {
            (
                column.as_str().to_owned(),
                sea_orm::sea_query::sea_value_to_json_value(&model.get(column)),
            )
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// Appends `entry` to the chain of the source `txn` writes to (its head locked by [`lock`]).
pub(super) async fn append(txn: &DatabaseTransaction, entry: &Entry) -> Result<(), StoreError> {
    let (seq, previous) = head(txn).await?;
    let seq = seq + 1;
    let hash = entry.hash(seq, &previous);
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(LOG))
        .columns(COLUMNS.map(Alias::new))
        .values([
            seq.into(),
            entry.at.clone().into(),
            entry.key_id.into(),
            entry.issuer.clone().into(),
            entry.subject.clone().into(),
            entry.role.clone().into(),
            entry.request_id.clone().into(),
            entry.operation.clone().into(),
            entry.kind.clone().into(),
            entry.record_id.into(),
            entry.institution_id.into(),
            entry.before.clone().into(),
            entry.after.clone().into(),
            hash.clone().into(),
        ])
        .map_err(|error| StoreError::Db(sea_orm::DbErr::Custom(error.to_string())))?;
    txn.execute(&insert).await?;
    let mut update = Query::update();
    update
        .table(Alias::new(HEAD))
        .value(Alias::new("seq"), seq)
        .value(Alias::new("hash"), hash)
        .and_where(Expr::col(Alias::new("id")).eq(1));
    txn.execute(&update).await?;
    Ok(())
}

/// The chain's last `seq` and `hash`, as the head names them.
#[expect(
    clippy::disallowed_methods,
    reason = "the audit head is read in a write, for no caller"
)]
async fn head(txn: &impl ConnectionTrait) -> Result<(i64, String), StoreError> {
    let mut select = Query::select();
    select
        .columns([Alias::new("seq"), Alias::new("hash")])
        .from(Alias::new(HEAD))
        .and_where(Expr::col(Alias::new("id")).eq(1));
    let row = txn
        .query_one(&select)
        .await?
        .ok_or_else(|| StoreError::Db(sea_orm::DbErr::RecordNotFound("audit_head".into())))?;
    Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
}

/// What [`Store::verify_audit`] found wrong in one source's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The source.
    pub source: String,
    /// The `seq` of the first row that does not hold, or where a row is missing.
    pub seq: i64,
    /// What is wrong there.
    pub problem: String,
}

/// How many rows a source's chain holds, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub source: String,
    pub rows: i64,
}

impl Store {
    /// Reads every source's audit log in order and checks its chain: each row's hash over its
    /// fields and the row before it, no `seq` missing, and the head naming the last row. The
    /// first break in each source is reported.
    #[expect(
        clippy::disallowed_methods,
        reason = "`audit verify` reads the audit log for an operator, not a caller"
    )]
    pub async fn verify_audit(&self) -> Result<(Vec<Verified>, Vec<Broken>), StoreError> {
        let mut verified = Vec::new();
        let mut broken = Vec::new();
        for source in self.sources() {
            let (rows, problem) = source
                .maintain(|connection| async move { verify_chain(&connection).await })
                .await?;
            match problem {
                None => verified.push(Verified {
                    source: source.name().to_owned(),
                    rows,
                }),
                Some((seq, problem)) => broken.push(Broken {
                    source: source.name().to_owned(),
                    seq,
                    problem,
                }),
            }
        }
        Ok((verified, broken))
    }
}

/// Checks one source's chain: how many rows it holds, and the first break.
#[expect(
    clippy::disallowed_methods,
    reason = "`audit verify` reads the audit log for an operator, not a caller"
)]
async fn verify_chain(
    connection: &impl ConnectionTrait,
) -> Result<(i64, Option<(i64, String)>), sea_orm::DbErr> {
    let mut select = Query::select();
    select
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new(LOG))
        .order_by(Alias::new("seq"), Order::Asc);
    let rows = connection.query_all(&select).await?;
    let mut previous = String::new();
    let mut expected = 1;
    for row in &rows {
        let (seq, entry, hash) = read_entry(row)?;
        if seq != expected {
            return Ok((
                expected - 1,
                Some((expected, format!("row {expected} is missing"))),
            ));
        }
        if entry.hash(seq, &previous) != hash {
            return Ok((
                seq - 1,
                Some((
                    seq,
                    "its hash does not match its fields and the row before it: it was edited, or a row before it was".to_owned(),
                )),
            ));
        }
        previous = hash;
        expected += 1;
    }
    let mut head = Query::select();
    head.columns([Alias::new("seq"), Alias::new("hash")])
        .from(Alias::new(HEAD))
        .and_where(Expr::col(Alias::new("id")).eq(1));
    let last = expected - 1;
    match connection.query_one(&head).await? {
        Some(row) => {
            let seq: i64 = row.try_get("", "seq")?;
            let hash: String = row.try_get("", "hash")?;
            if seq != last || hash != previous {
                return Ok((
                    last,
                    Some((
                        last + 1,
                        format!("the head names row {seq}, and the log ends at row {last}: rows after it were deleted"),
                    )),
                ));
            }
        }
        None => return Ok((last, Some((0, "the head is missing".to_owned())))),
    }
    Ok((last, None))
}

fn read_entry(row: &QueryResult) -> Result<(i64, Entry, String), sea_orm::DbErr> {
    Ok((
        row.try_get("", "seq")?,
        Entry {
            at: row.try_get("", "at")?,
            key_id: row.try_get("", "key_id")?,
            issuer: row.try_get("", "issuer")?,
            subject: row.try_get("", "subject")?,
            role: row.try_get("", "role")?,
            request_id: row.try_get("", "request_id")?,
            operation: row.try_get("", "operation")?,
            kind: row.try_get("", "kind")?,
            record_id: row.try_get("", "record_id")?,
            institution_id: row.try_get("", "institution_id")?,
            before: row.try_get("", "before")?,
            after: row.try_get("", "after")?,
        },
        row.try_get("", "hash")?,
    ))
}
