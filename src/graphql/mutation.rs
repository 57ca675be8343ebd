//! The mutation root, in the schemas of the roles that write (data stewards and admins; every
//! other role's schema has none). Mutations are Relay-style: one `input` argument, with an
//! optional `clientMutationId` echoed in the payload, and a payload holding the record as the
//! caller may see it and `userErrors`. A mistake the client can correct (a malformed value, a
//! reference to no record it may see, a duplicate, a stale version) is data in `userErrors`,
//! with the path into the input and a code, and changes nothing; a GraphQL error is left for
//! what the client cannot correct (a source down, a failure of the service).
//!
//! Each kind's mutations live in its type file (`cleanroom.rs` …) and are merged here; what
//! they share is here: the user errors, the checks of input values, the references, and the
//! write door ([`Writer`]: [`crate::store::Store::change`] for the caller's grant).

use async_graphql::{Context, Enum, MaybeUndefined, MergedObject, SimpleObject, ID};
use uuid::Uuid;

use super::connection::loader;
use super::node::{parse_global_id, Catalogued};
use super::plan::Record;
use super::{record, ApiError};
use crate::store::{
    Actor, Batcher, Change, Changed, Grant, Kind, Listable, Refused, Row, StoreError,
};

/// Changes to the records of KI and KUH, for the data stewards who keep them (each their own
/// institution's records) and for admins.
#[derive(MergedObject, Default)]
pub struct Mutation(super::cleanroom::CleanroomMutations);

/// The longest text a field of a record takes, in characters.
pub(crate) const MAX_TEXT: usize = 2_000;

/// A mistake in a mutation's input that the client can correct. Answered as data in the
/// payload's `userErrors`, never as a GraphQL error; the mutation changed nothing.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct UserError {
    /// The path to the input field at fault, from the mutation's `input`, such as
    /// `["patch", "code"]`.
    pub field: Vec<String>,
    /// What kind of mistake it is.
    pub code: UserErrorCode,
    /// What is wrong, for a person to read.
    pub message: String,
}

/// What kind of mistake a [`UserError`] is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserErrorCode {
    /// The value is not one the field takes: a malformed ID or ID of another type, an empty
    /// code, a date that is no ISO 8601 date, a negative area, a text too long, a `null` for
    /// a field that cannot be empty.
    InvalidValue,
    /// No record with this ID that you may see and write. A record that exists but that you
    /// may not see, or not write, is answered so too: this never says whether it exists.
    NotFound,
    /// Another record already has this value where it must be unique, such as a cleanroom
    /// code within its facility. The other record is not named.
    Duplicate,
    /// The record has changed since the version you named (`expectedVersion`): nothing was
    /// changed, and the payload holds the record as it is now, with its current `version`.
    Stale,
}

/// The user errors of one input, collected while it is checked.
#[derive(Debug, Default)]
pub(crate) struct Mistakes(Vec<UserError>);

impl Mistakes {
    /// Notes a mistake at `field` (the path into the input).
    pub(crate) fn add(&mut self, field: &[&str], code: UserErrorCode, message: impl Into<String>) {
        self.0.push(UserError {
            field: field.iter().map(|name| (*name).to_owned()).collect(),
            code,
            message: message.into(),
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn into_vec(self) -> Vec<UserError> {
        self.0
    }

    /// A text that may not be empty: trimmed, at most [`MAX_TEXT`] characters.
    pub(crate) fn required_text(&mut self, field: &[&str], value: &str) -> Option<String> {
        let value = value.trim();
        if value.is_empty() {
            self.add(field, UserErrorCode::InvalidValue, "must not be empty");
            return None;
        }
        self.text(field, value)
    }

    /// A text as written, at most [`MAX_TEXT`] characters; an empty one is no value.
    pub(crate) fn optional_text(&mut self, field: &[&str], value: Option<&str>) -> Option<String> {
        let value = value.map(str::trim).filter(|value| !value.is_empty())?;
        self.text(field, value)
    }

    fn text(&mut self, field: &[&str], value: &str) -> Option<String> {
        if value.chars().count() > MAX_TEXT {
            self.add(
                field,
                UserErrorCode::InvalidValue,
                format!("is longer than {MAX_TEXT} characters"),
            );
            return None;
        }
        Some(value.to_owned())
    }

    /// An ISO 8601 calendar date (`2024-05-31`).
    pub(crate) fn date(&mut self, field: &[&str], value: &str) -> Option<chrono::NaiveDate> {
        match chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                self.add(
                    field,
                    UserErrorCode::InvalidValue,
                    format!("`{value}` is not an ISO 8601 date such as 2024-05-31"),
                );
                None
            }
        }
    }

    /// A finite number that is not negative.
    pub(crate) fn measure(&mut self, field: &[&str], value: f64) -> Option<f64> {
        if value.is_finite() && value >= 0.0 {
            Some(value)
        } else {
            self.add(
                field,
                UserErrorCode::InvalidValue,
                "must be a number that is not negative",
            );
            None
        }
    }

    /// The value of a patch's field that cannot be empty: `null` is a mistake.
    pub(crate) fn not_null<'v, T>(
        &mut self,
        field: &[&str],
        value: &'v MaybeUndefined<T>,
    ) -> Option<&'v T> {
        match value {
            MaybeUndefined::Value(value) => Some(value),
            MaybeUndefined::Null => {
                self.add(
                    field,
                    UserErrorCode::InvalidValue,
                    "cannot be null: leave the field out to keep its value",
                );
                None
            }
            MaybeUndefined::Undefined => None,
        }
    }
}

/// The write door as a mutation sees it: the caller's reads (to check references and answer
/// with records as the caller sees them), who it is for the audit log, and what it may write.
pub(crate) struct Writer<'a> {
    loader: &'a Batcher,
    actor: &'a Actor,
    grant: Grant,
}

/// The write door of the request; an error for a caller whose role writes nothing (its schema
/// has no mutation, so only a subgraph serving a writing role's schema gets here).
pub(crate) fn writer<'a>(ctx: &Context<'a>) -> Result<Writer<'a>, ApiError> {
    let loader = loader(ctx)?;
    let actor = ctx
        .data::<Actor>()
        .map_err(|_| ApiError::Internal("the request carries no actor".to_owned()))?;
    let grant = Grant::of(&actor.caller).ok_or_else(|| {
        ApiError::Forbidden(
            "your role does not write records: a data steward's or an admin's key does".to_owned(),
        )
    })?;
    Ok(Writer {
        loader,
        actor,
        grant,
    })
}

/// The model of record type `T`.
pub(crate) type Model<T> = <<T as Record>::Table as Kind>::Model;
/// The entity of record type `T`.
pub(crate) type Entity<T> = <<T as Record>::Table as Kind>::Entity;

impl Writer<'_> {
    /// The ID of a record of type `T` that the input names at `field`, if it is one.
    pub(crate) fn id_of<T: Catalogued>(
        &self,
        mistakes: &mut Mistakes,
        field: &[&str],
        id: &ID,
    ) -> Option<Uuid> {
        match parse_global_id(id) {
            Ok((kind, uuid)) if kind == T::NODE => Some(uuid),
            Ok((kind, _)) => {
                mistakes.add(
                    field,
                    UserErrorCode::InvalidValue,
                    format!(
                        "is the ID of a {}, not of a {}",
                        kind.name(),
                        T::NODE.name()
                    ),
                );
                None
            }
            Err(_) => {
                mistakes.add(
                    field,
                    UserErrorCode::InvalidValue,
                    format!("`{}` is not an ID", id.as_str()),
                );
                None
            }
        }
    }

    /// The record of type `T` an input field names, as the caller sees it: a mistake when
    /// the value is no ID of `T`, or when the caller sees no such record.
    pub(crate) async fn reference<T: Catalogued>(
        &self,
        ctx: &Context<'_>,
        mistakes: &mut Mistakes,
        field: &[&str],
        id: &ID,
    ) -> Result<Option<Row<Model<T>>>, ApiError> {
        let Some(uuid) = self.id_of::<T>(mistakes, field, id) else {
            return Ok(None);
        };
        let found = record(ctx, T::key(uuid)).await?;
        if found.is_none() {
            mistakes.add(
                field,
                UserErrorCode::NotFound,
                format!("no {} you may see has this ID", T::NODE.name()),
            );
        }
        Ok(found)
    }

    /// Makes `change` to a record of `T` (an update or deletion of one the caller sees, or a
    /// creation), through the store's write door for the caller's grant.
    pub(crate) async fn change<T: Catalogued>(
        &self,
        ctx: &Context<'_>,
        change: Change<Entity<T>>,
    ) -> Result<Result<Changed<Model<T>>, Refused<Model<T>>>, ApiError>
    where
        Entity<T>: crate::store::Held,
        Model<T>: sea_orm::ModelTrait<Entity = Entity<T>>,
    {
        if let Change::Update { id, .. } | Change::Delete { id, .. } = &change {
            // A record the caller cannot see is no record, whatever its grant.
            if record(ctx, T::key(*id)).await?.is_none() {
                return Ok(Err(Refused::NotFound));
            }
        }
        Ok(self
            .loader
            .loader()
            .store()
            .change::<Entity<T>>(self.actor, &self.grant, change)
            .await?)
    }

    /// The record of `T` with this ID as the caller sees it now, read past the request's
    /// cache (a write has changed it); `None` when the caller does not see it.
    pub(crate) async fn reread<T: Catalogued>(&self, id: Uuid) -> Result<Option<T>, ApiError>
    where
        T::Table: Listable,
    {
        let reads = self.loader.loader();
        let columns = reads.readable::<T::Table>();
        let records = reads.records::<T::Table>(&[id], columns).await?;
        let row = records
            .get(&id)
            .map_err(|unanswered| ApiError::from(StoreError::SourceUnavailable(unanswered)))?;
        Ok(row.map(T::of))
    }

    /// What the payload of a refused change holds: after `STALE`, the record as the caller
    /// sees it now (with its current version); after any other refusal, nothing.
    pub(crate) async fn current<T: Catalogued>(
        &self,
        refused: &Refused<Model<T>>,
        id: Uuid,
    ) -> Result<Option<T>, ApiError>
    where
        T::Table: Listable,
    {
        match refused {
            Refused::Stale(_) => self.reread::<T>(id).await,
            Refused::NotFound | Refused::NotOwned | Refused::Duplicate => Ok(None),
        }
    }
}

/// What a refusal other than `Stale` says, at `id_field` (the record's ID) or `owner_field`
/// (the reference that decides who owns it) or `unique_field` (what must be unique).
pub(crate) fn refusal<M>(
    mistakes: &mut Mistakes,
    kind: &str,
    refused: &Refused<M>,
    fields: RefusalFields<'_>,
) {
    match refused {
        Refused::NotFound => mistakes.add(
            fields.id,
            UserErrorCode::NotFound,
            format!("no {kind} you may see and change has this ID"),
        ),
        Refused::NotOwned => mistakes.add(
            fields.owner,
            UserErrorCode::NotFound,
            "no record of an institution whose records you keep has this ID",
        ),
        Refused::Duplicate => mistakes.add(
            fields.unique,
            UserErrorCode::Duplicate,
            format!("another {kind} already has this value"),
        ),
        Refused::Stale(_) => mistakes.add(
            &["expectedVersion"],
            UserErrorCode::Stale,
            format!("the {kind} has changed since that version; nothing was changed"),
        ),
    }
}

/// Where the refusals of a kind's mutation point into its input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefusalFields<'a> {
    pub id: &'a [&'a str],
    pub owner: &'a [&'a str],
    pub unique: &'a [&'a str],
}
