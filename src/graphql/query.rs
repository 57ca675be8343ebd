//! The query root: global lookups and the top-level lists.

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{
    Context, ContextSelectionSet, OutputType, Positioned, ServerResult, Value, ID,
};
use futures::future::{join_all, BoxFuture};

use super::connection::{limits, object_with_connections};
use super::node::{parse_global_id, with_type, Catalogued, EachType, Node};
use super::plan::{self, is_planned, Answer};
use super::{
    record, Accreditation, ApiError, Cleanroom, Institution, Milestone, Person, Product, Trial,
    Unit,
};
use crate::store;

/// Read access to the records of KI and KUH around the Karolinska ATMP Center.
pub struct Query;

/// The record with this global ID, field by field.
async fn node(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>, ApiError> {
    /// The record of one type with this ID.
    struct Of<'c, 'x> {
        ctx: &'c Context<'x>,
        uuid: uuid::Uuid,
    }

    impl<'c, 'x> EachType for Of<'c, 'x> {
        type Output = BoxFuture<'c, Result<Option<Node>, ApiError>>;

        fn of<T: Catalogued>(self) -> Self::Output {
            Box::pin(async move {
                Ok(record(self.ctx, T::key(self.uuid))
                    .await?
                    .map(|row| T::of(row).into()))
            })
        }
    }

    let (kind, uuid) = parse_global_id(id)?;
    with_type(kind, Of { ctx, uuid }).await
}

/// An item of `nodes` looked up field by field: the record, or the error of a record that no
/// source that answered holds while one did not answer, which leaves the item null with that
/// error at its index (as [`Option`] answers an item that fails), the other items answered.
enum Looked {
    Found(Node),
    Unavailable(async_graphql::Error),
}

impl OutputType for Looked {
    fn type_name() -> Cow<'static, str> {
        Node::type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        match self {
            Looked::Found(node) => node.introspection_type_name(),
            Looked::Unavailable(_) => Node::type_name(),
        }
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Node::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match self {
            Looked::Found(node) => node.resolve(ctx, field).await,
            Looked::Unavailable(error) => {
                Err(ctx.set_error_path(error.clone().into_server_error(field.pos)))
            }
        }
    }
}

/// The records with these global IDs field by field, in their order: any error but a record's
/// source not answering fails them all, as on the planned path.
async fn looked_up(ctx: &Context<'_>, ids: &[ID]) -> Result<Vec<Option<Looked>>, ApiError> {
    let mut looked = Vec::with_capacity(ids.len());
    for node in join_all(ids.iter().map(|id| node(ctx, id))).await {
        looked.push(match node {
            Ok(node) => node.map(Looked::Found),
            Err(error @ ApiError::SourceUnavailable { .. }) => {
                Some(Looked::Unavailable(error.into()))
            }
            Err(error) => return Err(error),
        });
    }
    Ok(looked)
}

object_with_connections! {
    /// Read access to the records of KI and KUH around the Karolinska ATMP Center.
    #[object (name = "Records")]
    impl Query {
        lists {
            /// Organisational units of both institutions.
            "units" units => Unit;
            /// People named in the records of either institution.
            "people" people => Person;
            /// Cleanrooms of the GMP and pre-GMP facilities.
            "cleanrooms" cleanrooms => Cleanroom;
            /// ATMP products.
            "products" products => Product;
            /// Clinical trials.
            "trials" trials => Trial;
            /// Accreditations and authorisations held by units.
            "accreditations" accreditations => Accreditation;
            /// The history timeline, oldest first by default.
            "milestones" milestones => Milestone;
        }

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
        ) -> Result<Answer<Vec<Option<Looked>>>, ApiError> {
            let max = limits(ctx)?.max_page_size;
            if ids.len() as u64 > max {
                return Err(ApiError::BadUserInput(format!(
                    "`ids` must hold at most {max} IDs"
                )));
            }
            if is_planned(ctx) {
                return plan::nodes(ctx, &ids, false).await;
            }
            looked_up(ctx, &ids).await.map(Answer::Resolved)
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
            let known = loader.institutions()?.iter().find(|i| i.code == code);
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
    }
}
