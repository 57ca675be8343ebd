//! `Institution`: KI or KUH, the owners of every record.

use async_graphql::{Context, Object, ID};
use entities::institution;

use super::connection::{connection, connection_complexity, fetch_children, list_query, PageArgs};
use super::filter::*;
use super::node::{global_id, NodeType};
use super::{ApiError, Provenance};
use crate::store;

/// A university or hospital: Karolinska Institutet (KI) or Karolinska University Hospital (KUH). Every record but a person belongs to one.
pub struct Institution(pub(crate) institution::Model);

connection!(
    InstitutionConnection,
    InstitutionEdge,
    Institution,
    institution::Model,
    "A page of institutions.",
    "An institution in a page, with its cursor."
);

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
        let query = list_query::<store::Units>(
            ctx,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            UnitFilter::into_store(filter, ctx)?,
            UnitOrder::into_store(order_by),
        )?;
        Ok(super::UnitConnection(
            fetch_children::<store::UnitsOfInstitution>(ctx, self.0.id, query).await?,
        ))
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
        let query = list_query::<store::People>(
            ctx,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            PersonFilter::into_store(filter, ctx)?,
            PersonOrder::into_store(order_by),
        )?;
        Ok(super::PersonConnection(
            fetch_children::<store::PeopleOfInstitution>(ctx, self.0.id, query).await?,
        ))
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
        let query = list_query::<store::Cleanrooms>(
            ctx,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            CleanroomFilter::into_store(filter, ctx)?,
            CleanroomOrder::into_store(order_by),
        )?;
        Ok(super::CleanroomConnection(
            fetch_children::<store::CleanroomsOfInstitution>(ctx, self.0.id, query).await?,
        ))
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
        let query = list_query::<store::Products>(
            ctx,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            ProductFilter::into_store(filter, ctx)?,
            ProductOrder::into_store(order_by),
        )?;
        Ok(super::ProductConnection(
            fetch_children::<store::ProductsOfInstitution>(ctx, self.0.id, query).await?,
        ))
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
        let query = list_query::<store::Trials>(
            ctx,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            TrialFilter::into_store(filter, ctx)?,
            TrialOrder::into_store(order_by),
        )?;
        Ok(super::TrialConnection(
            fetch_children::<store::TrialsOfInstitution>(ctx, self.0.id, query).await?,
        ))
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
        let query = list_query::<store::Milestones>(
            ctx,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            MilestoneFilter::into_store(filter, ctx)?,
            MilestoneOrder::into_store(order_by),
        )?;
        Ok(super::MilestoneConnection(
            fetch_children::<store::MilestonesOfInstitution>(ctx, self.0.id, query).await?,
        ))
    }

    /// Where this record's facts come from.
    async fn provenance(&self) -> Provenance {
        Provenance::of(self.0.provenance, &self.0.sample_fields)
    }
}
