//! `Institution`: KI or KUH, the owners of every record.

use std::sync::Arc;

use async_graphql::ID;
use entities::institution;

use super::connection::connection;
use super::node::{global_id, NodeType};
use super::plan::record_object;
use super::Provenance;
use crate::store;

/// A university or hospital: Karolinska Institutet (KI) or Karolinska University Hospital (KUH). Every record but a person belongs to one.
pub struct Institution(pub(crate) Arc<institution::Model>);

connection!(
    InstitutionConnection,
    InstitutionEdge,
    Institution,
    institution::Model,
    "A page of institutions.",
    "An institution in a page, with its cursor."
);

record_object! {
    Institution: store::Institutions {
        leaves {
            "code" => code,
            "name" => name,
            "kind" => kind,
            "rorId" => ror_id,
            "city" => city,
            "homepage" => homepage,
        }
        to_one {
        }
        connections {
            /// Units of this institution, joint units (such as the ATMP Center) included.
            "units" units => store::UnitsOfInstitution, super::Unit;
            /// People with an appointment at this institution.
            "people" people => store::PeopleOfInstitution, super::Person;
            /// Cleanrooms of this institution's facilities.
            "cleanrooms" cleanrooms => store::CleanroomsOfInstitution, super::Cleanroom;
            /// ATMP products in this institution's records.
            "products" products => store::ProductsOfInstitution, super::Product;
            /// Clinical trials in this institution's records.
            "trials" trials => store::TrialsOfInstitution, super::Trial;
            /// Milestones of this institution's history.
            "milestones" milestones => store::MilestonesOfInstitution, super::Milestone;
        }
    }
    /// A university or hospital: Karolinska Institutet (KI) or Karolinska University Hospital (KUH). Every record but a person belongs to one.
    impl {
        /// Opaque global ID, stable across restarts and databases.
        pub async fn id(&self) -> ID {
            global_id(NodeType::Institution, self.0.id)
        }

        /// Short code, such as `KI` or `KUH`: what filters take.
        async fn code(&self) -> &str {
            &self.0.code
        }

        /// Full name.
        async fn name(&self) -> &str {
            &self.0.name
        }

        /// University or university hospital.
        async fn kind(&self) -> super::InstitutionKind {
            self.0.kind.into()
        }

        /// ROR ID as a URL, such as `https://ror.org/056d84691` (checksum-validated).
        async fn ror_id(&self) -> &str {
            &self.0.ror_id
        }

        /// City of the institution's seat.
        async fn city(&self) -> &str {
            &self.0.city
        }

        /// Public website.
        async fn homepage(&self) -> &str {
            &self.0.homepage
        }

        /// Where this record's facts come from.
        async fn provenance(&self) -> Provenance {
            Provenance::of(self.0.provenance, &self.0.sample_fields)
        }
    }
}
