//! The query root: global lookups and the top-level lists.

use async_graphql::{Context, Object, ID};
use futures::future::try_join_all;

use super::connection::{connection_complexity, limits, list, PageArgs};
use super::filter::{
    AccreditationFilter, AccreditationOrder, CleanroomFilter, CleanroomOrder, MilestoneFilter,
    MilestoneOrder, PersonFilter, PersonOrder, ProductFilter, ProductOrder, TrialFilter,
    TrialOrder, UnitFilter, UnitOrder,
};
use super::node::{parse_global_id, Node, NodeType};
use super::plan::{self, is_planned, Answer};
use super::{
    record, Accreditation, AccreditationConnection, ApiError, Appointment, Cleanroom,
    CleanroomConnection, Institution, Milestone, MilestoneConnection, Person, PersonConnection,
    Product, ProductConnection, Trial, TrialConnection, Unit, UnitConnection,
};
use crate::store;

/// Read access to the records of KI and KUH around the Karolinska ATMP Center.
pub struct Query;

async fn node(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>, ApiError> {
    let (kind, uuid) = parse_global_id(id)?;
    Ok(match kind {
        NodeType::Institution => record(ctx, store::InstitutionId(uuid))
            .await?
            .map(|m| Node::Institution(Institution(m))),
        NodeType::Unit => record(ctx, store::UnitId(uuid))
            .await?
            .map(|m| Node::Unit(Unit(m))),
        NodeType::Person => record(ctx, store::PersonId(uuid))
            .await?
            .map(|m| Node::Person(Person(m))),
        NodeType::Appointment => record(ctx, store::AppointmentId(uuid))
            .await?
            .map(|m| Node::Appointment(Appointment(m))),
        NodeType::Cleanroom => record(ctx, store::CleanroomId(uuid))
            .await?
            .map(|m| Node::Cleanroom(Cleanroom(m))),
        NodeType::Product => record(ctx, store::ProductId(uuid))
            .await?
            .map(|m| Node::Product(Product(m))),
        NodeType::Trial => record(ctx, store::TrialId(uuid))
            .await?
            .map(|m| Node::Trial(Trial(m))),
        NodeType::Accreditation => record(ctx, store::AccreditationId(uuid))
            .await?
            .map(|m| Node::Accreditation(Accreditation(m))),
        NodeType::Milestone => record(ctx, store::MilestoneId(uuid))
            .await?
            .map(|m| Node::Milestone(Milestone(m))),
    })
}

/// Read access to the records of KI and KUH around the Karolinska ATMP Center.
#[Object]
impl Query {
    /// The record with this global ID; null when none exists.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID, as found in any record's `id`.")] id: ID,
    ) -> Result<Answer<Option<Node>>, ApiError> {
        if is_planned(ctx) {
            return plan::nodes(ctx, std::slice::from_ref(&id), true).await;
        }
        node(ctx, &id).await.map(Answer::Resolved)
    }

    /// The records with these global IDs, in the same order; null where none exists.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global IDs (at most the maximum page size).")] ids: Vec<ID>,
    ) -> Result<Answer<Vec<Option<Node>>>, ApiError> {
        let max = limits(ctx)?.max_page_size;
        if ids.len() as u64 > max {
            return Err(ApiError::BadUserInput(format!(
                "`ids` must hold at most {max} IDs"
            )));
        }
        if is_planned(ctx) {
            return plan::nodes(ctx, &ids, false).await;
        }
        try_join_all(ids.iter().map(|id| node(ctx, id)))
            .await
            .map(Answer::Resolved)
    }

    /// Both institutions, by code.
    async fn institutions(&self, ctx: &Context<'_>) -> Result<Answer<Vec<Institution>>, ApiError> {
        if is_planned(ctx) {
            return plan::institutions(ctx).await;
        }
        let loader = super::connection::loader(ctx)?.loader();
        let query = store::ListQuery {
            filter: store::InstitutionFilter,
            order: Vec::new(),
            page: store::PageRequest::first(limits(ctx)?.max_page_size),
        };
        let page = loader.page::<store::Institutions>(&query).await?;
        Ok(Answer::Resolved(
            page.rows.into_iter().map(Institution).collect(),
        ))
    }

    /// The institution with this code (`KI` or `KUH`); null when none has it.
    async fn institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution's code, such as `KI` or `KUH`.")] code: String,
    ) -> Result<Answer<Option<Institution>>, ApiError> {
        let loader = super::connection::loader(ctx)?.loader();
        let known = loader.institutions().into_iter().find(|i| i.code == code);
        if is_planned(ctx) {
            return plan::by_id::<Institution, _>(ctx, known.map(|i| i.id)).await;
        }
        let Some(known) = known else {
            return Ok(Answer::Resolved(None));
        };
        Ok(Answer::Resolved(
            record(ctx, store::InstitutionId(known.id))
                .await?
                .map(Institution),
        ))
    }

    /// Organisational units of both institutions.
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
    ) -> Result<Answer<UnitConnection>, ApiError> {
        if is_planned(ctx) {
            return plan::list::<Unit, UnitFilter, UnitOrder, _>(ctx).await;
        }
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        list::<store::Units, _, _>(ctx, page, filter, order_by)
            .await
            .map(|fetched| Answer::Resolved(UnitConnection(fetched)))
    }

    /// People named in the records of either institution.
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
    ) -> Result<Answer<PersonConnection>, ApiError> {
        if is_planned(ctx) {
            return plan::list::<Person, PersonFilter, PersonOrder, _>(ctx).await;
        }
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        list::<store::People, _, _>(ctx, page, filter, order_by)
            .await
            .map(|fetched| Answer::Resolved(PersonConnection(fetched)))
    }

    /// Cleanrooms of the GMP and pre-GMP facilities.
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
    ) -> Result<Answer<CleanroomConnection>, ApiError> {
        if is_planned(ctx) {
            return plan::list::<Cleanroom, CleanroomFilter, CleanroomOrder, _>(ctx).await;
        }
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        list::<store::Cleanrooms, _, _>(ctx, page, filter, order_by)
            .await
            .map(|fetched| Answer::Resolved(CleanroomConnection(fetched)))
    }

    /// ATMP products.
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
    ) -> Result<Answer<ProductConnection>, ApiError> {
        if is_planned(ctx) {
            return plan::list::<Product, ProductFilter, ProductOrder, _>(ctx).await;
        }
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        list::<store::Products, _, _>(ctx, page, filter, order_by)
            .await
            .map(|fetched| Answer::Resolved(ProductConnection(fetched)))
    }

    /// Clinical trials.
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
    ) -> Result<Answer<TrialConnection>, ApiError> {
        if is_planned(ctx) {
            return plan::list::<Trial, TrialFilter, TrialOrder, _>(ctx).await;
        }
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        list::<store::Trials, _, _>(ctx, page, filter, order_by)
            .await
            .map(|fetched| Answer::Resolved(TrialConnection(fetched)))
    }

    /// Accreditations and authorisations held by units.
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
    ) -> Result<Answer<AccreditationConnection>, ApiError> {
        if is_planned(ctx) {
            return plan::list::<Accreditation, AccreditationFilter, AccreditationOrder, _>(ctx)
                .await;
        }
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        list::<store::Accreditations, _, _>(ctx, page, filter, order_by)
            .await
            .map(|fetched| Answer::Resolved(AccreditationConnection(fetched)))
    }

    /// The history timeline, oldest first by default.
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
    ) -> Result<Answer<MilestoneConnection>, ApiError> {
        if is_planned(ctx) {
            return plan::list::<Milestone, MilestoneFilter, MilestoneOrder, _>(ctx).await;
        }
        let page = PageArgs {
            first,
            after,
            last,
            before,
        };
        list::<store::Milestones, _, _>(ctx, page, filter, order_by)
            .await
            .map(|fetched| Answer::Resolved(MilestoneConnection(fetched)))
    }
}
