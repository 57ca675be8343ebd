//! `Institution`: KI or KUH, the owners of every record.

use entities::institution;

use super::connection::connection;
use super::plan::record_type;
use crate::store;

connection!(
    InstitutionConnection,
    InstitutionEdge,
    Institution,
    institution::Model,
    "A page of institutions.",
    "An institution in a page, with its cursor."
);

record_type! {
    /// A university or hospital: Karolinska Institutet (KI) or Karolinska University Hospital (KUH). Every record but a person belongs to one.
    Institution: store::Institutions {
        id;
        /// Short code, such as `KI` or `KUH`: what filters take.
        leaf "code" code: &str = |code| code;
        /// Full name.
        leaf "name" name: &str = |name| name;
        /// University or university hospital.
        leaf "kind" kind: super::InstitutionKind = |kind| (*kind).into();
        /// ROR ID as a URL, such as `https://ror.org/056d84691` (checksum-validated).
        leaf "rorId" ror_id: &str = |ror_id| ror_id;
        /// City of the institution's seat.
        leaf "city" city: &str = |city| city;
        /// Public website.
        leaf "homepage" homepage: &str = |homepage| homepage;
        provenance;
        version;
        /// Units of this institution, joint units (such as the ATMP Center) included.
        connection "units" units: super::Unit = store::UnitsOfInstitution;
        /// People with an appointment at this institution.
        connection "people" people: super::Person = store::PeopleOfInstitution;
        /// Cleanrooms of this institution's facilities.
        connection "cleanrooms" cleanrooms: super::Cleanroom = store::CleanroomsOfInstitution;
        /// ATMP products in this institution's records.
        connection "products" products: super::Product = store::ProductsOfInstitution;
        /// Clinical trials in this institution's records.
        connection "trials" trials: super::Trial = store::TrialsOfInstitution;
        /// Milestones of this institution's history.
        connection "milestones" milestones: super::Milestone = store::MilestonesOfInstitution;
    }
}
