//! Root `personalDataReads`: the log of who read people's contact details, one entry per
//! response that carried a non-null `email` or `phone`. Admins only: every other role's schema
//! lacks the field ([`super::access`]), and under federation it is `FORBIDDEN` to them.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::SecondsFormat;

use super::access::readable;
use super::connection::{connection_complexity, limits, loader, PageArgs, PageInfo};
use super::ApiError;
use crate::store::{ReadListing, ReadsPage};

/// One response that carried people's contact details: who read them, when, with which
/// operation, and how many people's.
#[derive(SimpleObject)]
pub struct PersonalDataRead {
    /// The entry's own ID.
    id: ID,
    /// The ID of the API key the response was made for, as `atmp-graph keys list` shows it;
    /// null for a person signed in at the identity provider.
    key_id: Option<ID>,
    /// The key's name; null where the key no longer exists, and for a signed-in person.
    key_name: Option<String>,
    /// The person signed in at the identity provider the response was made for, as their
    /// token named them; null for a key.
    signed_in: Option<SignedInPerson>,
    /// When the response was made: an RFC 3339 time in UTC.
    read_at: String,
    /// The SHA-256 of the query's text, in hex: the same query always has the same hash.
    operation_hash: String,
    /// The operation's name, where the request named one.
    operation_name: Option<String>,
    /// How many people's contact details the response carried.
    people: u32,
}

/// A person signed in at the hospital's identity provider, as their token named them.
#[derive(SimpleObject)]
pub struct SignedInPerson {
    /// The identity provider that issued the token (its `iss` claim).
    issuer: String,
    /// The person, as the identity provider names them (the token's `sub` claim).
    subject: String,
}

impl From<&ReadListing> for PersonalDataRead {
    fn from(read: &ReadListing) -> Self {
        PersonalDataRead {
            id: ID(read.id.to_string()),
            key_id: read.key.map(|key| ID(key.to_string())),
            key_name: read.key_name.clone(),
            signed_in: read.signed_in.as_ref().map(|person| SignedInPerson {
                issuer: person.issuer.clone(),
                subject: person.subject.clone(),
            }),
            read_at: read.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            operation_hash: read.operation_hash.clone(),
            operation_name: read.operation_name.clone(),
            people: read.people,
        }
    }
}

/// An entry of a page of the personal-data read log, with its cursor.
#[derive(SimpleObject)]
pub struct PersonalDataReadEdge {
    /// Opaque position of this entry: pass it as `after`.
    cursor: String,
    /// The entry.
    node: PersonalDataRead,
}

/// A page of the personal-data read log, newest first.
pub struct PersonalDataReadConnection {
    reads: Vec<ReadListing>,
    cursors: Vec<String>,
    has_next_page: bool,
    has_previous_page: bool,
}

/// A page of the personal-data read log, newest first.
#[Object]
impl PersonalDataReadConnection {
    /// The entries of this page, each with its cursor.
    async fn edges(&self) -> Vec<PersonalDataReadEdge> {
        self.reads
            .iter()
            .zip(&self.cursors)
            .map(|(read, cursor)| PersonalDataReadEdge {
                cursor: cursor.clone(),
                node: read.into(),
            })
            .collect()
    }

    /// The entries of this page, newest first.
    async fn nodes(&self) -> Vec<PersonalDataRead> {
        self.reads.iter().map(PersonalDataRead::from).collect()
    }

    /// Where this page sits in the log.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start_cursor: self.cursors.first().cloned(),
            end_cursor: self.cursors.last().cloned(),
        }
    }

    /// How many entries the log holds (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64, ApiError> {
        loader(ctx)?
            .loader()
            .count_personal_data_reads()
            .await?
            .ok_or_else(|| super::access::forbidden("Query", "personalDataReads"))
    }
}

/// Root `personalDataReads`.
pub struct Reads;

#[Object]
impl Reads {
    /// Who read people's contact details: one entry per response that carried a non-null
    /// `email` or `phone`, with the key or signed-in person it was made for, when, the
    /// operation and how many people's details it carried; newest first. Admins only.
    #[graphql(complexity = "connection_complexity(first, None, child_complexity)")]
    async fn personal_data_reads(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return the first `n` entries after `after` (default 20; at most the maximum page size)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return entries after this cursor.")] after: Option<String>,
    ) -> Result<Option<PersonalDataReadConnection>, ApiError> {
        readable(ctx, "Query", "personalDataReads")?;
        let reads = loader(ctx)?.loader();
        let request = PageArgs {
            first,
            after,
            ..PageArgs::default()
        }
        .request(limits(ctx)?, reads.cursors())?;
        let after = request.cursor.as_ref().map(ReadsPage::after).transpose()?;
        let page = ReadsPage {
            first: request.limit,
            after,
            key: None,
        };
        let (listed, has_next_page) = reads
            .personal_data_reads(&page)
            .await?
            .ok_or_else(|| super::access::forbidden("Query", "personalDataReads"))?;
        let cursors = listed
            .iter()
            .map(|read| reads.cursors().seal(&read.cursor()))
            .collect();
        Ok(Some(PersonalDataReadConnection {
            reads: listed,
            cursors,
            has_next_page,
            has_previous_page: after.is_some(),
        }))
    }
}
