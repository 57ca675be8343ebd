//! `Appointment`: a role a person holds at an institution, optionally in a unit.

use entities::appointment;

use super::connection::connection;
use super::plan::record_type;
use crate::store;

connection!(
    AppointmentConnection,
    AppointmentEdge,
    Appointment,
    appointment::Model,
    "A page of appointments.",
    "An appointment in a page, with its cursor."
);

record_type! {
    /// A role a person holds at an institution, optionally in one of its units, such as a member of the ATMP Center's steering group.
    Appointment: store::Appointments {
        id;
        /// The title as the source words it, such as `R&D Director`.
        leaf "title" title: &str = |title| title;
        /// The normalised role.
        leaf "role" role: super::AppointmentRole = |role| (*role).into();
        /// The area of responsibility, such as `Clinical application – care and treatment`.
        leaf "area" area: Option<&str> = |area| area.as_deref();
        /// Year the appointment began, when known.
        leaf "startYear" start_year: Option<i32> = |start_year| *start_year;
        /// Year the appointment ended; null while current or unknown.
        leaf "endYear" end_year: Option<i32> = |end_year| *end_year;
        /// Who holds the appointment.
        reference "person" person: super::Person = person_id;
        /// The institution of the appointment.
        reference "institution" institution: super::Institution = institution_id;
        /// The unit of the appointment; null for an institution-wide role such as Vice President.
        reference "unit" unit: Option<super::Unit> = unit_id;
        provenance;
        version;
        visibility;
    }
}
