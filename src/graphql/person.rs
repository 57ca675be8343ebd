//! `Person`: one identity shared by both institutions, with appointments at either.

use std::sync::Arc;

use async_graphql::{Context, ID};
use entities::person;

use super::access::personal;
use super::connection::connection;
use super::node::{global_id, NodeType};
use super::plan::record_object;
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

record_object! {
    Person: store::People {
        leaves {
            "givenName" => given_name,
            "familyName" => family_name,
            "name" => name [given_name, family_name],
            "orcid" => orcid,
            "email" => email,
            "phone" => phone,
        }
        to_one {
        }
        connections {
            /// This person's appointments, at either institution.
            "appointments" appointments => store::AppointmentsOfPerson, super::Appointment;
            /// Clinical trials this person leads as principal investigator.
            "trialsLed" trials_led => store::TrialsLedBy, super::Trial;
        }
    }
    /// A person named in the records. The identity is shared: one person may hold appointments at both institutions. Contact details are personal data and are not published.
    impl {
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

        /// E-mail address; personal data. Staff read it for the people with an appointment,
        /// current or ended, at their institution, and null for others; admins read
        /// everybody's. Null when not known.
        async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>, ApiError> {
            personal(ctx, "email", self.0.id, self.0.email.as_deref())
        }

        /// Phone number; personal data, read as `email` is.
        async fn phone(&self, ctx: &Context<'_>) -> Result<Option<&str>, ApiError> {
            personal(ctx, "phone", self.0.id, self.0.phone.as_deref())
        }

        /// Where this record's facts come from.
        async fn provenance(&self) -> Provenance {
            Provenance::of(self.0.provenance, &self.0.sample_fields)
        }
    }
}
