//! The root fields answered on the planned path: a top-level list, every institution, a record
//! by ID, records by global ID, a kind's aggregates and `search`, each planned, fetched and
//! rendered at once, its JSON kept in the request's [`PlannedAnswers`].

use std::sync::Arc;

use async_graphql::parser::types::{Field, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{
    Context, ContextSelectionSet, InputType, OutputType, Pos, Positioned, ServerError,
    ServerResult, Value, ID,
};
use futures::future::{try_join_all, BoxFuture};
use uuid::Uuid;

use super::super::connection::limits;
use super::super::filter::{FilterInput, OrderInput};
use super::super::node::{parse_global_id, with_type, Catalogued, EachType, NodeType};
use super::super::respond::PlannedAnswers;
use super::super::ApiError;
use super::groups::{AggregatePlan, Aggregated};
use super::hits::SearchPlan;
use super::out::{Failure, Out};
use super::planner::{selection_sets, Planner};
use super::render::{ById, ConnectionPlan, RecordPlan};
use super::{failure, Record};
use crate::store::read::{
    AnyByIdRead, Fetched, Fetching, InstitutionsRead, ListRead, ReadFailure, ReadId,
};
use crate::store::{self, Listable, Page, StoreError, Unanswered};

/// A root field's (or a planned entity's) answer: rendered by the plan, or resolved field by
/// field.
pub(crate) enum Answer<T> {
    Resolved(T),
    /// Rendered by the plan into the request's [`PlannedAnswers`] (or null where it failed):
    /// null in async-graphql's data.
    Planned,
    /// Refused before anything was read (an argument, a conflict of fields).
    Refused(ServerError),
    /// Rendered by the plan as a value: an entity of a planned `_entities` field, which
    /// async-graphql merges as values.
    Rendered(Value),
}

impl<T: OutputType> OutputType for Answer<T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match self {
            Answer::Resolved(value) => value.resolve(ctx, field).await,
            Answer::Refused(error) => Err(error.clone()),
            Answer::Planned => Ok(Value::Null),
            Answer::Rendered(value) => Ok(value.clone()),
        }
    }
}

/// Runs the planned path for a root field: plans with `plan`, fetches with `fetch`, fails the
/// field where `alone` names a source that did not answer, then renders from what was fetched
/// with `render`, adding the errors met to the response.
async fn answer<'a, P, Fetcher, Render, C>(
    ctx: &'a Context<'a>,
    plan: impl FnOnce(
        &Planner<'a>,
        &'a Positioned<Field>,
        &[&'a SelectionSet],
    ) -> Result<P, ServerError>,
    fetch: Fetcher,
    alone: impl FnOnce(&P, &Fetched) -> Option<Unanswered>,
    render: Render,
) -> Result<Answer<C>, ApiError>
where
    Fetcher: for<'s> FnOnce(&'s P, &'s Fetching<'s>) -> BoxFuture<'s, Result<(), StoreError>>,
    Render: for<'p> FnOnce(&'p P, &Fetched, &mut Out<'p>) -> Result<(), Failure>,
{
    let planner = Planner::of(ctx)?;
    // async-graphql resolves each root field selected under one key on its own and merges the
    // answers as they come: each answers the merged selection, and only the first reports its
    // errors, so that the merge is the same whichever finishes first.
    let group = planner.root_group(ctx.item);
    let first = group.first().copied().unwrap_or(ctx.item);
    let planned = plan(&planner, first, &selection_sets(&group));
    // A conflict anywhere in the selection refuses the whole root field.
    let planned = match planner.conflict.take() {
        Some(conflict) => Err(conflict),
        None => planned,
    };
    let planned = match planned {
        Ok(planned) => planned,
        // Reported once, by the first of the root fields under this key.
        Err(error) if std::ptr::eq(first, ctx.item) => {
            return Ok(Answer::Refused(ctx.set_error_path(error)))
        }
        Err(_) => return Ok(Answer::Planned),
    };
    let fetching = Fetching::new(planner.reads, planner.columns.take());
    fetch(&planned, &fetching).await?;
    let fetched = fetching.finish();
    alone_unavailable(alone(&planned, &fetched).as_ref())?;
    let mut out = Out::new(ctx);
    let rendered = render(&planned, &fetched, &mut out);
    if let Err(Failure::Error(error)) = &rendered {
        out.error_here(error.clone());
    }
    if std::ptr::eq(first, ctx.item) {
        for error in out.errors {
            ctx.add_error(error);
        }
    }
    if rendered.is_ok() {
        // The answer is JSON already: kept under its response key, written into the response
        // body as it is (`graphql::respond`), and null in async-graphql's data meanwhile.
        planned_answers(ctx)?.keep(ctx.item.node.response_key().node.clone(), out.json);
    }
    // Where rendering failed, null is the answer, which makes the response's data null in
    // turn where the field is non-null.
    Ok(Answer::Planned)
}

/// The request's planned answers, which every request [`AtmpSchema`] runs carries.
///
/// [`AtmpSchema`]: super::super::AtmpSchema
fn planned_answers<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<PlannedAnswers>, ApiError> {
    ctx.data::<Arc<PlannedAnswers>>()
        .map_err(|_| ApiError::Internal("a request ran without its planned answers".to_owned()))
}

/// A top-level list of `T`, filtered with `F` and ordered with `O`.
pub(crate) async fn list<T, F, O, C>(ctx: &Context<'_>) -> Result<Answer<C>, ApiError>
where
    T: Record,
    F: FilterInput<Store = <T::Table as Listable>::Filter> + InputType,
    O: OrderInput<Field = <T::Table as Listable>::Field> + InputType,
{
    struct TopList<T: Record> {
        pos: Pos,
        plan: ConnectionPlan<T>,
        read: ListRead<T::Table>,
    }
    answer(
        ctx,
        |planner, field, sets| {
            let read = planner.read_id();
            let query =
                planner.list_query::<T::Table, F, O>(field, store::ListName::root::<T::Table>())?;
            let (plan, rows) = ConnectionPlan::new(planner, sets);
            let (paged, counted) = (plan.needs_page(), plan.needs_count());
            Ok(TopList::<T> {
                pos: field.pos,
                plan,
                read: ListRead::new(read, query, paged, counted, rows),
            })
        },
        |list, fetch| Box::pin(list.read.fetch(fetch)),
        |_, _| None,
        |list, fetched, out| match fetched.list::<T::Table>(list.read.read) {
            Some(Ok(read)) => list
                .plan
                .render(fetched, &read.page, read.count, list.pos, out),
            _ => list
                .plan
                .render(fetched, &Page::default(), 0, list.pos, out),
        },
    )
    .await
}

/// Every institution the caller may see, by code.
pub(crate) async fn institutions<C>(ctx: &Context<'_>) -> Result<Answer<C>, ApiError> {
    struct All {
        plan: RecordPlan<super::super::Institution>,
        read: InstitutionsRead,
    }
    let max = limits(ctx)?.max_page_size;
    answer(
        ctx,
        |planner, _, sets| {
            let read = planner.read_id();
            let (plan, rows) = RecordPlan::new(planner, sets);
            Ok(All {
                plan,
                read: InstitutionsRead::new(read, max, rows),
            })
        },
        |all, fetch| Box::pin(all.read.fetch(fetch)),
        |_, _| None,
        |all, fetched, out| {
            let rows = match fetched.list::<store::Institutions>(all.read.read) {
                Some(Ok(read)) => read.page.rows.as_slice(),
                _ => &[],
            };
            out.list(rows, false, |out, row| all.plan.render(fetched, row, out))
        },
    )
    .await
}

/// One record of `T` by ID; null when there is none.
pub(crate) async fn by_id<T: Record, C>(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> Result<Answer<C>, ApiError> {
    answer(
        ctx,
        |planner, _, sets| Ok(ById::<T>::new(planner, sets)),
        move |(_, read), fetch| {
            let ids: Vec<Uuid> = id.into_iter().collect();
            Box::pin(async move { read.fetch(fetch, &ids).await })
        },
        move |(by_id, _), fetched| id.and_then(|id| by_id.unavailable(fetched, &id).cloned()),
        move |(by_id, _), fetched, out| match id.and_then(|id| by_id.render(fetched, &id, out)) {
            Some(rendered) => rendered,
            None => {
                out.raw("null");
                Ok(())
            }
        },
    )
    .await
}

/// The aggregates of `A`'s rows a `…Aggregate` root field asks for, one per group.
pub(crate) async fn aggregates<A: Aggregated, C>(ctx: &Context<'_>) -> Result<Answer<C>, ApiError> {
    answer(
        ctx,
        |planner, field, sets| {
            AggregatePlan::new::<A>(planner, field, sets)
                .map(|(plan, read)| (field.pos, plan, read))
        },
        |(_, _, read), fetch| Box::pin(read.fetch(fetch)),
        |_, _| None,
        |(pos, plan, read), fetched, out| plan.render(fetched, read.read, *pos, out),
    )
    .await
}

/// Root `search`: a page of hits, with the records found.
pub(crate) async fn search<C>(ctx: &Context<'_>) -> Result<Answer<C>, ApiError> {
    let limits = limits(ctx)?;
    answer(
        ctx,
        |planner, field, sets| SearchPlan::new(planner, field, sets, limits),
        |(_, read), fetch| Box::pin(read.fetch(fetch)),
        |_, _| None,
        |(plan, read), fetched, out| plan.render(fetched, read.read, out),
    )
    .await
}

/// A record asked for alone (`node`, `institution`) that may sit in a source that did not
/// answer fails its field, as the field-by-field path's resolver does.
fn alone_unavailable(source: Option<&Unanswered>) -> Result<(), StoreError> {
    match source {
        Some(source) => Err(StoreError::SourceUnavailable(source.clone())),
        None => Ok(()),
    }
}

/// Records of any type by ID, one statement per type at most.
pub(crate) trait Lookup: Send + Sync {
    fn render<'p>(
        &'p self,
        fetched: &Fetched,
        id: &Uuid,
        out: &mut Out<'p>,
    ) -> Option<Result<(), Failure>>;
    fn unavailable<'f>(&self, fetched: &'f Fetched, id: &Uuid) -> Option<&'f Unanswered>;
    /// The read, and its failure, where it failed.
    fn failed<'f>(&self, fetched: &'f Fetched) -> Option<(ReadId, &'f ReadFailure)>;
    /// Whether the record with this ID was read.
    fn holds(&self, fetched: &Fetched, id: &Uuid) -> bool;
}

impl<T: Record> Lookup for ById<T> {
    fn render<'p>(
        &'p self,
        fetched: &Fetched,
        id: &Uuid,
        out: &mut Out<'p>,
    ) -> Option<Result<(), Failure>> {
        ById::render(self, fetched, id, out)
    }

    fn unavailable<'f>(&self, fetched: &'f Fetched, id: &Uuid) -> Option<&'f Unanswered> {
        ById::unavailable(self, fetched, id)
    }

    fn failed<'f>(&self, fetched: &'f Fetched) -> Option<(ReadId, &'f ReadFailure)> {
        match fetched.records::<T::Table>(self.read) {
            Some(Err(failure)) => Some((self.read, failure)),
            _ => None,
        }
    }

    fn holds(&self, fetched: &Fetched, id: &Uuid) -> bool {
        matches!(
            fetched.records::<T::Table>(self.read),
            Some(Ok(records)) if records.rows.contains_key(id)
        )
    }
}

/// The plan of a `node` or `nodes` selection for the records of `kind`, and their read.
pub(super) fn lookup<'a>(
    kind: NodeType,
    planner: &Planner<'a>,
    sets: &[&'a SelectionSet],
) -> (Box<dyn Lookup>, Box<dyn AnyByIdRead>) {
    /// The plan and read of one record type.
    struct Of<'p, 'a> {
        planner: &'p Planner<'a>,
        sets: &'p [&'a SelectionSet],
    }

    impl EachType for Of<'_, '_> {
        type Output = (Box<dyn Lookup>, Box<dyn AnyByIdRead>);

        fn of<T: Catalogued>(self) -> Self::Output {
            let (render, read) = ById::<T>::new(self.planner, self.sets);
            (Box::new(render), Box::new(read))
        }
    }

    with_type(kind, Of { planner, sets })
}

/// The records of one kind asked for by global ID: how they are rendered, and their read.
pub(super) type OfKind = (NodeType, Box<dyn Lookup>, Box<dyn AnyByIdRead>);

/// The records with these global IDs, in their order; null where none exists, and null with
/// an error where no source that answered holds it and one did not answer. Each type's
/// records are one statement per source, whatever the number of IDs.
pub(crate) async fn nodes<C>(
    ctx: &Context<'_>,
    ids: &[ID],
    single: bool,
) -> Result<Answer<C>, ApiError> {
    struct Lookups {
        pos: Pos,
        wanted: Vec<(NodeType, Uuid)>,
        /// Each type's plan and read.
        by_type: Vec<OfKind>,
    }
    impl Lookups {
        fn lookup(&self, kind: NodeType) -> Option<&dyn Lookup> {
            self.by_type
                .iter()
                .find(|(k, _, _)| *k == kind)
                .map(|(_, lookup, _)| &**lookup)
        }

        /// Writes the record, or null where there is none; fails where it may sit in a source
        /// that did not answer.
        fn render<'p>(
            &'p self,
            fetched: &Fetched,
            (kind, id): &(NodeType, Uuid),
            out: &mut Out<'p>,
        ) -> Result<(), Failure> {
            let Some(lookup) = self.lookup(*kind) else {
                out.raw("null");
                return Ok(());
            };
            match (
                lookup.render(fetched, id, out),
                lookup.unavailable(fetched, id),
            ) {
                (Some(rendered), _) => rendered,
                (None, Some(source)) => Err(Failure::Error(failure(
                    StoreError::SourceUnavailable(source.clone()),
                    self.pos,
                ))),
                (None, None) => {
                    out.raw("null");
                    Ok(())
                }
            }
        }
    }
    answer(
        ctx,
        |planner, field, sets| {
            let wanted = ids
                .iter()
                .map(parse_global_id)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| error.into_server_error(Some(field.pos)))?;
            let mut by_type: Vec<OfKind> = Vec::new();
            for (kind, _) in &wanted {
                if !by_type.iter().any(|(k, _, _)| k == kind) {
                    let (render, read) = lookup(*kind, planner, sets);
                    by_type.push((*kind, render, read));
                }
            }
            Ok(Lookups {
                pos: field.pos,
                wanted,
                by_type,
            })
        },
        |lookups, fetch| {
            Box::pin(async move {
                let wanted = &lookups.wanted;
                try_join_all(lookups.by_type.iter().map(|(kind, _, read)| {
                    let ids = wanted
                        .iter()
                        .filter(|(k, _)| k == kind)
                        .map(|(_, id)| *id)
                        .collect();
                    read.fetch(fetch, ids)
                }))
                .await?;
                Ok(())
            })
        },
        move |lookups, fetched| {
            let first = lookups.wanted.first().filter(|_| single);
            first.and_then(|(kind, id)| {
                lookups
                    .lookup(*kind)
                    .and_then(|lookup| lookup.unavailable(fetched, id))
                    .cloned()
            })
        },
        move |lookups, fetched, out| match (single, lookups.wanted.first()) {
            (true, Some(wanted)) => lookups.render(fetched, wanted, out),
            (true, None) => {
                out.raw("null");
                Ok(())
            }
            (false, _) => out.list(&lookups.wanted, true, |out, wanted| {
                lookups.render(fetched, wanted, out)
            }),
        },
    )
    .await
}
