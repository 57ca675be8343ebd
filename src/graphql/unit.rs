//! `Unit`: departments, facilities, centers and governance bodies, in a hierarchy.

use std::sync::Arc;

use async_graphql::{Context, ID};
use entities::unit;

use super::connection::connection;
use super::node::{global_id, NodeType};
use super::plan::record_object;
use super::{record, required, ApiError, Provenance};
use crate::store;

/// An organisational unit of KI or KUH: a department, a GMP facility, a clinical unit, a center or a governance body.
pub struct Unit(pub(crate) Arc<unit::Model>);

connection!(
    UnitConnection,
    UnitEdge,
    Unit,
    unit::Model,
    "A page of units.",
    "A unit in a page, with its cursor."
);

record_object! {
    Unit: store::Units {
        leaves {
            "visibility" => visibility,
            "name" => name,
            "shortName" => short_name,
            "kind" => kind,
            "campus" => campus,
            "city" => city,
            "establishedYear" => established_year,
            "description" => description,
            "isJoint" => is_joint [partner_institution_id],
        }
        to_one {
            "institution" => super::Institution, institution_id, true;
            "partnerInstitution" => super::Institution, partner_institution_id, false;
            "parent" => super::Unit, parent_id, false;
        }
        connections {
            /// Units directly below this one.
            "children" children => store::ChildrenOfUnit, super::Unit;
            /// Cleanrooms of this facility.
            "cleanrooms" cleanrooms => store::CleanroomsOfUnit, super::Cleanroom;
            /// Appointments in this unit, in the order the source lists them.
            "appointments" appointments => store::AppointmentsOfUnit, super::Appointment;
            /// People with an appointment in this unit.
            "people" people => store::PeopleOfUnit, super::Person;
            /// ATMP products this unit develops or makes.
            "products" products => store::ProductsOfUnit, super::Product;
            /// Clinical trials whose product this unit manufactures.
            "trialsManufactured" trials_manufactured => store::TrialsManufacturedBy, super::Trial;
            /// Accreditations and authorisations this unit holds.
            "accreditations" accreditations => store::AccreditationsOfUnit, super::Accreditation;
            /// Milestones of this unit's history.
            "milestones" milestones => store::MilestonesOfUnit, super::Milestone;
        }
    }
    /// An organisational unit of KI or KUH: a department, a GMP facility, a clinical unit, a center or a governance body.
    impl {
        /// Opaque global ID, stable across restarts and databases.
        pub async fn id(&self) -> ID {
            global_id(NodeType::Unit, self.0.id)
        }

        /// Full name.
        async fn name(&self) -> &str {
            &self.0.name
        }

        /// Short name in everyday use, such as `CAST` or `Vecura`.
        async fn short_name(&self) -> Option<&str> {
            self.0.short_name.as_deref()
        }

        /// What kind of unit this is.
        async fn kind(&self) -> super::UnitKind {
            self.0.kind.into()
        }

        /// Campus or site, such as `Huddinge` or `Campus Flemingsberg`.
        async fn campus(&self) -> Option<&str> {
            self.0.campus.as_deref()
        }

        /// City or municipality.
        async fn city(&self) -> Option<&str> {
            self.0.city.as_deref()
        }

        /// Year the unit was established or inaugurated.
        async fn established_year(&self) -> Option<i32> {
            self.0.established_year
        }

        /// What the unit does, as the source describes it.
        async fn description(&self) -> Option<&str> {
            self.0.description.as_deref()
        }

        /// Whether the unit is run jointly by both institutions.
        async fn is_joint(&self) -> bool {
            self.0.partner_institution_id.is_some()
        }

        /// The institution whose records hold the unit.
        async fn institution(&self, ctx: &Context<'_>) -> Result<super::Institution, ApiError> {
            required(ctx, store::InstitutionId(self.0.institution_id))
                .await
                .map(super::Institution)
        }

        /// The other institution of a joint unit; null otherwise.
        async fn partner_institution(
            &self,
            ctx: &Context<'_>,
        ) -> Result<Option<super::Institution>, ApiError> {
            let Some(id) = self.0.partner_institution_id else {
                return Ok(None);
            };
            Ok(record(ctx, store::InstitutionId(id))
                .await?
                .map(super::Institution))
        }

        /// The unit this one belongs to; null at the top of a hierarchy.
        async fn parent(&self, ctx: &Context<'_>) -> Result<Option<super::Unit>, ApiError> {
            let Some(id) = self.0.parent_id else {
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
}
