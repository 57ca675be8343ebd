//! `Institution`: KI or KUH, the owners of every record.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use entities::institution;

use super::connection::{children, connection, connection_complexity, PageArgs};
use super::filter::{
    CleanroomFilter, CleanroomOrder, MilestoneFilter, MilestoneOrder, PersonFilter, PersonOrder,
    ProductFilter, ProductOrder, TrialFilter, TrialOrder, UnitFilter, UnitOrder,
};
use super::node::{global_id, NodeType};
use super::plan::planned_record;
use super::{ApiError, Provenance};
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

planned_record!(Institution: store::Institutions {
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
    children {
        "units" => store::UnitsOfInstitution, super::Unit, UnitFilter, UnitOrder;
        "people" => store::PeopleOfInstitution, super::Person, PersonFilter, PersonOrder;
        "cleanrooms" => store::CleanroomsOfInstitution, super::Cleanroom, CleanroomFilter, CleanroomOrder;
        "products" => store::ProductsOfInstitution, super::Product, ProductFilter, ProductOrder;
        "trials" => store::TrialsOfInstitution, super::Trial, TrialFilter, TrialOrder;
        "milestones" => store::MilestonesOfInstitution, super::Milestone, MilestoneFilter, MilestoneOrder;
    }
});

/// A university or hospital: Karolinska Institutet (KI) or Karolinska University Hospital (KUH). Every record but a person belongs to one.
#[Object]
impl Institution {
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

    /// Units of this institution, joint units (such as the ATMP Center) included.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn units(
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
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<UnitFilter>,
        #[graphql(desc = "Order of the rows; the ID always breaks ties.")] order_by: Option<
            Vec<UnitOrder>,
        >,
    ) -> Result<super::UnitConnection, ApiError> {
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        children::<store::UnitsOfInstitution, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::UnitConnection)
    }

    /// People with an appointment at this institution.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn people(
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
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<PersonFilter>,
        #[graphql(desc = "Order of the rows; the ID always breaks ties.")] order_by: Option<
            Vec<PersonOrder>,
        >,
    ) -> Result<super::PersonConnection, ApiError> {
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        children::<store::PeopleOfInstitution, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::PersonConnection)
    }

    /// Cleanrooms of this institution's facilities.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn cleanrooms(
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
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<CleanroomFilter>,
        #[graphql(desc = "Order of the rows; the ID always breaks ties.")] order_by: Option<
            Vec<CleanroomOrder>,
        >,
    ) -> Result<super::CleanroomConnection, ApiError> {
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        children::<store::CleanroomsOfInstitution, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::CleanroomConnection)
    }

    /// ATMP products in this institution's records.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn products(
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
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<ProductFilter>,
        #[graphql(desc = "Order of the rows; the ID always breaks ties.")] order_by: Option<
            Vec<ProductOrder>,
        >,
    ) -> Result<super::ProductConnection, ApiError> {
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        children::<store::ProductsOfInstitution, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::ProductConnection)
    }

    /// Clinical trials in this institution's records.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn trials(
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
        children::<store::TrialsOfInstitution, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::TrialConnection)
    }

    /// Milestones of this institution's history.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn milestones(
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
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<MilestoneFilter>,
        #[graphql(desc = "Order of the rows; the ID always breaks ties.")] order_by: Option<
            Vec<MilestoneOrder>,
        >,
    ) -> Result<super::MilestoneConnection, ApiError> {
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        children::<store::MilestonesOfInstitution, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::MilestoneConnection)
    }

    /// Where this record's facts come from.
    async fn provenance(&self) -> Provenance {
        Provenance::of(self.0.provenance, &self.0.sample_fields)
    }
}
