//! `Unit`: departments, facilities, centers and governance bodies, in a hierarchy.

use entities::unit;

use super::connection::connection;
use super::plan::record_type;
use crate::store;

connection!(
    UnitConnection,
    UnitEdge,
    Unit,
    unit::Model,
    "A page of units.",
    "A unit in a page, with its cursor."
);

record_type! {
    /// An organisational unit of KI or KUH: a department, a GMP facility, a clinical unit, a center or a governance body.
    Unit: store::Units {
        id;
        /// Full name.
        leaf "name" name: &str = |name| name;
        /// Short name in everyday use, such as `CAST` or `Vecura`.
        leaf "shortName" short_name: Option<&str> = |short_name| short_name.as_deref();
        /// What kind of unit this is.
        leaf "kind" kind: super::UnitKind = |kind| (*kind).into();
        /// Campus or site, such as `Huddinge` or `Campus Flemingsberg`.
        leaf "campus" campus: Option<&str> = |campus| campus.as_deref();
        /// City or municipality.
        leaf "city" city: Option<&str> = |city| city.as_deref();
        /// Year the unit was established or inaugurated.
        leaf "establishedYear" established_year: Option<i32> = |established_year| *established_year;
        /// What the unit does, as the source describes it.
        leaf "description" description: Option<&str> = |description| description.as_deref();
        /// Whether the unit is run jointly by both institutions.
        leaf "isJoint" is_joint: bool = |partner_institution_id| partner_institution_id.is_some();
        /// The institution whose records hold the unit.
        reference "institution" institution: super::Institution = institution_id;
        /// The other institution of a joint unit; null otherwise.
        reference "partnerInstitution" partner_institution: Option<super::Institution> = partner_institution_id;
        /// The unit this one belongs to; null at the top of a hierarchy.
        reference "parent" parent: Option<super::Unit> = parent_id;
        provenance;
        version;
        visibility;
        /// Units directly below this one.
        connection "children" children: super::Unit = store::ChildrenOfUnit;
        /// Cleanrooms of this facility.
        connection "cleanrooms" cleanrooms: super::Cleanroom = store::CleanroomsOfUnit;
        /// Appointments in this unit, in the order the source lists them.
        connection "appointments" appointments: super::Appointment = store::AppointmentsOfUnit;
        /// People with an appointment in this unit.
        connection "people" people: super::Person = store::PeopleOfUnit;
        /// ATMP products this unit develops or makes.
        connection "products" products: super::Product = store::ProductsOfUnit;
        /// Clinical trials whose product this unit manufactures.
        connection "trialsManufactured" trials_manufactured: super::Trial = store::TrialsManufacturedBy;
        /// Accreditations and authorisations this unit holds.
        connection "accreditations" accreditations: super::Accreditation = store::AccreditationsOfUnit;
        /// Milestones of this unit's history.
        connection "milestones" milestones: super::Milestone = store::MilestonesOfUnit;
    }
}
