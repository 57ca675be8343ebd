//! `Person`: one identity shared by both institutions, with appointments at either.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use entities::person;

use super::connection::{children, connection, connection_complexity, PageArgs};
use super::filter::{AppointmentFilter, AppointmentOrder, TrialFilter, TrialOrder};
use super::node::{global_id, NodeType};
use super::plan::planned_record;
use super::{ApiError, Provenance};
use crate::store;

/// A person named in the records. The identity is shared: one person may hold appointments at both institutions. Contact details are personal data and are not published.
pub struct Person(pub(crate) Arc<person::Model>);

connection!(
    PersonConnection,
    PersonEdge,
    Person,
    person::Model,
    "A page of people.",
    "A person in a page, with its cursor."
);

planned_record!(Person: store::People {
    leaves {
        "givenName" => given_name,
        "familyName" => family_name,
        "name" => name [given_name, family_name],
        "orcid" => orcid,
    }
    to_one {
    }
    children {
        "appointments" => store::AppointmentsOfPerson, super::Appointment, AppointmentFilter, AppointmentOrder;
        "trialsLed" => store::TrialsLedBy, super::Trial, TrialFilter, TrialOrder;
    }
});

/// A person named in the records. The identity is shared: one person may hold appointments at both institutions. Contact details are personal data and are not published.
#[Object]
impl Person {
    /// Opaque global ID, stable across restarts and databases.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Person, self.0.id)
    }

    /// Given name.
    async fn given_name(&self) -> &str {
        &self.0.given_name
    }

    /// Family name.
    async fn family_name(&self) -> &str {
        &self.0.family_name
    }

    /// Full name as usually written: given name, then family name.
    async fn name(&self) -> String {
        format!("{} {}", self.0.given_name, self.0.family_name)
    }

    /// ORCID iD as a URL (checksum-validated); null when not known.
    async fn orcid(&self) -> Option<String> {
        self.0
            .orcid
            .as_deref()
            .map(|orcid| format!("https://orcid.org/{orcid}"))
    }

    /// This person's appointments, at either institution.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn appointments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return the first `n` rows after `after` (default 20; at most the maximum page size)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return rows after this cursor (with `first`).")] after: Option<String>,
        #[graphql(
            desc = "Return the last `n` rows before `before` (at most the maximum page size)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Return rows before this cursor (with `last`).")] before: Option<String>,
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<AppointmentFilter>,
        #[graphql(desc = "Order of the rows; the ID always breaks ties.")] order_by: Option<
            Vec<AppointmentOrder>,
        >,
    ) -> Result<super::AppointmentConnection, ApiError> {
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        children::<store::AppointmentsOfPerson, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::AppointmentConnection)
    }

    /// Clinical trials this person leads as principal investigator.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn trials_led(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return the first `n` rows after `after` (default 20; at most the maximum page size)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return rows after this cursor (with `first`).")] after: Option<String>,
        #[graphql(
            desc = "Return the last `n` rows before `before` (at most the maximum page size)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Return rows before this cursor (with `last`).")] before: Option<String>,
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<TrialFilter>,
        #[graphql(desc = "Order of the rows; the ID always breaks ties.")] order_by: Option<
            Vec<TrialOrder>,
        >,
    ) -> Result<super::TrialConnection, ApiError> {
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        children::<store::TrialsLedBy, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::TrialConnection)
    }

    /// Where this record's facts come from.
    async fn provenance(&self) -> Provenance {
        Provenance::of(self.0.provenance, &self.0.sample_fields)
    }
}
