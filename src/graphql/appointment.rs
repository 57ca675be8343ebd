//! `Appointment`: a role a person holds at an institution, optionally in a unit.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use entities::appointment;

use super::connection::connection;
use super::node::{global_id, NodeType};
use super::plan::planned_record;
use super::{record, required, ApiError, Provenance};
use crate::store;

/// A role a person holds at an institution, optionally in one of its units, such as a member of the ATMP Center's steering group.
pub struct Appointment(pub(crate) Arc<appointment::Model>);

connection!(
    AppointmentConnection,
    AppointmentEdge,
    Appointment,
    appointment::Model,
    "A page of appointments.",
    "An appointment in a page, with its cursor."
);

planned_record!(Appointment: store::Appointments {
    leaves {
        "visibility" => visibility,
        "title" => title,
        "role" => role,
        "area" => area,
        "startYear" => start_year,
        "endYear" => end_year,
    }
    to_one {
        "person" => super::Person, person_id, true;
        "institution" => super::Institution, institution_id, true;
        "unit" => super::Unit, unit_id, false;
    }
    children {
    }
});

/// A role a person holds at an institution, optionally in one of its units, such as a member of the ATMP Center's steering group.
#[Object]
impl Appointment {
    /// Opaque global ID, stable across restarts and databases.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Appointment, self.0.id)
    }

    /// The title as the source words it, such as `R&D Director`.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The normalised role.
    async fn role(&self) -> super::AppointmentRole {
        self.0.role.into()
    }

    /// The area of responsibility, such as `Clinical application – care and treatment`.
    async fn area(&self) -> Option<&str> {
        self.0.area.as_deref()
    }

    /// Year the appointment began, when known.
    async fn start_year(&self) -> Option<i32> {
        self.0.start_year
    }

    /// Year the appointment ended; null while current or unknown.
    async fn end_year(&self) -> Option<i32> {
        self.0.end_year
    }

    /// Who holds the appointment.
    async fn person(&self, ctx: &Context<'_>) -> Result<super::Person, ApiError> {
        required(ctx, store::PersonId(self.0.person_id))
            .await
            .map(super::Person)
    }

    /// The institution of the appointment.
    async fn institution(&self, ctx: &Context<'_>) -> Result<super::Institution, ApiError> {
        required(ctx, store::InstitutionId(self.0.institution_id))
            .await
            .map(super::Institution)
    }

    /// The unit of the appointment; null for an institution-wide role such as Vice President.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<super::Unit>, ApiError> {
        let Some(id) = self.0.unit_id else {
            return Ok(None);
        };
        Ok(record(ctx, store::UnitId(id)).await?.map(super::Unit))
    }

    /// Where this record's facts come from.
    async fn provenance(&self) -> Provenance {
        Provenance::of(self.0.provenance, &self.0.sample_fields)
    }

    /// Who its institution shows it to: `PUBLIC` (everyone), `PARTNER` (its partners and staff) or `INTERNAL` (its staff). The record's own marking: a caller reads a record only where it reads the records it references too.
    async fn visibility(&self) -> super::Visibility {
        self.0.visibility.into()
    }
}
