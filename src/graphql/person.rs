//! `Person`: one identity shared by both institutions, with appointments at either.

use entities::person;

use super::connection::connection;
use super::plan::record_type;
use crate::store;

connection!(
    PersonConnection,
    PersonEdge,
    Person,
    person::Model,
    "A page of people.",
    "A person in a page, with its cursor."
);

record_type! {
    /// A person named in the records. The identity is shared: one person may hold appointments at both institutions. Contact details are personal data and are not published.
    Person: store::People {
        id;
        /// Given name.
        leaf "givenName" given_name: &str = |given_name| given_name;
        /// Family name.
        leaf "familyName" family_name: &str = |family_name| family_name;
        /// Full name as usually written: given name, then family name.
        leaf "name" name: String = |given_name, family_name| format!("{given_name} {family_name}");
        /// ORCID iD as a URL (checksum-validated); null when not known.
        leaf "orcid" orcid: Option<String> =
            |orcid| orcid.as_deref().map(|orcid| format!("https://orcid.org/{orcid}"));
        /// E-mail address; personal data. Staff read it for the people with an appointment,
        /// current or ended, at their institution, and null for others; admins read
        /// everybody's. Null when not known.
        personal "email" email: Option<&str> = email;
        /// Phone number; personal data, read as `email` is.
        personal "phone" phone: Option<&str> = phone;
        provenance;
        version;
        /// This person's appointments, at either institution.
        connection "appointments" appointments: super::Appointment = store::AppointmentsOfPerson;
        /// Clinical trials this person leads as principal investigator.
        connection "trialsLed" trials_led: super::Trial = store::TrialsLedBy;
    }
}
