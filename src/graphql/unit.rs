//! `Unit`: departments, facilities, centers and governance bodies, in a hierarchy.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use entities::unit;

use super::connection::{children, connection, connection_complexity, PageArgs};
use super::filter::{
    AccreditationFilter, AccreditationOrder, AppointmentFilter, AppointmentOrder, CleanroomFilter,
    CleanroomOrder, MilestoneFilter, MilestoneOrder, PersonFilter, PersonOrder, ProductFilter,
    ProductOrder, TrialFilter, TrialOrder, UnitFilter, UnitOrder,
};
use super::node::{global_id, NodeType};
use super::plan::planned_record;
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

planned_record!(Unit: store::Units {
    leaves {
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
    children {
        "children" => store::ChildrenOfUnit, super::Unit, UnitFilter, UnitOrder;
        "cleanrooms" => store::CleanroomsOfUnit, super::Cleanroom, CleanroomFilter, CleanroomOrder;
        "appointments" => store::AppointmentsOfUnit, super::Appointment, AppointmentFilter, AppointmentOrder;
        "people" => store::PeopleOfUnit, super::Person, PersonFilter, PersonOrder;
        "products" => store::ProductsOfUnit, super::Product, ProductFilter, ProductOrder;
        "trialsManufactured" => store::TrialsManufacturedBy, super::Trial, TrialFilter, TrialOrder;
        "accreditations" => store::AccreditationsOfUnit, super::Accreditation, AccreditationFilter, AccreditationOrder;
        "milestones" => store::MilestonesOfUnit, super::Milestone, MilestoneFilter, MilestoneOrder;
    }
});

/// An organisational unit of KI or KUH: a department, a GMP facility, a clinical unit, a center or a governance body.
#[Object]
impl Unit {
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

    /// Units directly below this one.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn children(
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
        children::<store::ChildrenOfUnit, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::UnitConnection)
    }

    /// Cleanrooms of this facility.
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
        children::<store::CleanroomsOfUnit, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::CleanroomConnection)
    }

    /// Appointments in this unit, in the order the source lists them.
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
        children::<store::AppointmentsOfUnit, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::AppointmentConnection)
    }

    /// People with an appointment in this unit.
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
        children::<store::PeopleOfUnit, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::PersonConnection)
    }

    /// ATMP products this unit develops or makes.
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
        children::<store::ProductsOfUnit, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::ProductConnection)
    }

    /// Clinical trials whose product this unit manufactures.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn trials_manufactured(
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
        children::<store::TrialsManufacturedBy, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::TrialConnection)
    }

    /// Accreditations and authorisations this unit holds.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn accreditations(
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
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<AccreditationFilter>,
        #[graphql(desc = "Order of the rows; the ID always breaks ties.")] order_by: Option<
            Vec<AccreditationOrder>,
        >,
    ) -> Result<super::AccreditationConnection, ApiError> {
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        children::<store::AccreditationsOfUnit, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::AccreditationConnection)
    }

    /// Milestones of this unit's history.
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
        children::<store::MilestonesOfUnit, _, _>(ctx, self.0.id, page, filter, order_by)
            .await
            .map(super::MilestoneConnection)
    }

    /// Where this record's facts come from.
    async fn provenance(&self) -> Provenance {
        Provenance::of(self.0.provenance, &self.0.sample_fields)
    }
}
