//! `_entities` on the planned path. async-graphql asks for each representation on its own (the
//! entity lookups of `graphql::federation`, concurrently) and merges the entities as
//! [`Value`]s; the first lookup of an `_entities` field plans the records of every
//! representation at once (one read by ID per kind, with the kind's selection and what it
//! follows, as `nodes` reads them), fetches them, and renders each. Every lookup of that field
//! then answers its record from what was rendered, and fails or is null as the lookup
//! resolved field by field would be.

use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::{Any, Context, Pos, ServerError, Value};
use futures::future::join_all;
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::super::node::NodeType;
use super::super::ApiError;
use super::out::{Failure, Out};
use super::planner::{selection_sets, Planner};
use super::roots::{lookup, Answer as Answered, OfKind};
use crate::store::read::{Fetching, ReadFailure};
use crate::store::{HashMap, StoreError};

/// The answers of a request's `_entities` fields, each made by the first of its lookups.
#[derive(Default)]
pub(crate) struct PlannedEntities {
    /// By the position of the `_entities` field in the document.
    fields: Mutex<Vec<(Pos, Arc<OnceCell<Answers>>)>>,
}

impl PlannedEntities {
    fn of(&self, field: Pos) -> Arc<OnceCell<Answers>> {
        // A panic while holding the lock left a whole list: every push completes.
        let mut fields = self.fields.lock().unwrap_or_else(PoisonError::into_inner);
        match fields.iter().find(|(pos, _)| *pos == field) {
            Some((_, answers)) => answers.clone(),
            None => {
                let answers = Arc::default();
                fields.push((field, Arc::clone(&answers)));
                answers
            }
        }
    }
}

/// Each record an `_entities` field's representations name, as rendered; or the error that
/// refused the field's plan, which each of its entities then answers.
type Answers = Result<HashMap<(NodeType, Uuid), Answer>, ServerError>;

/// What the plan found of one record.
enum Answer {
    /// Rendered, with the errors met below it.
    Found(Value, Vec<ServerError>),
    /// Null, because a non-null field below it failed with one of these errors.
    Nulled(Vec<ServerError>),
    /// No record the caller may read has this ID.
    Absent,
    /// Its read failed, or its source did not answer.
    Failed(ReadFailure),
}

/// The entity of `kind` with ID `id` that a representation of the current `_entities` field
/// names, as the plan of all that field's representations answers it. `key` is how the lookups
/// read a representation: the record it names, or none where it is refused.
pub(crate) async fn entity<T>(
    ctx: &Context<'_>,
    kind: NodeType,
    id: Uuid,
    key: fn(&Value) -> Option<(NodeType, Uuid)>,
) -> Result<Option<Answered<T>>, ApiError> {
    let fields = ctx
        .data::<Arc<PlannedEntities>>()
        .map_err(|_| ApiError::Internal("a request ran without its planned entities".to_owned()))?;
    let answers = fields.of(ctx.item.pos);
    let answers = answers.get_or_init(|| plan(ctx, key)).await;
    let answers = match answers {
        Ok(answers) => answers,
        Err(refused) => {
            ctx.add_error(refused.clone());
            return Ok(None);
        }
    };
    match answers.get(&(kind, id)) {
        None | Some(Answer::Absent) => Ok(None),
        Some(Answer::Failed(ReadFailure::Store(error))) => Err(ApiError::from(error.clone())),
        Some(Answer::Failed(ReadFailure::Internal(message))) => {
            Err(ApiError::Internal(message.clone()))
        }
        Some(Answer::Found(value, errors)) => {
            for error in errors {
                ctx.add_error(error.clone());
            }
            Ok(Some(Answered::Rendered(value.clone())))
        }
        Some(Answer::Nulled(errors)) => {
            for error in errors {
                ctx.add_error(error.clone());
            }
            Ok(None)
        }
    }
}

/// Plans, fetches and renders the records every representation of the current `_entities`
/// field names: one read by ID per kind.
async fn plan(ctx: &Context<'_>, key: fn(&Value) -> Option<(NodeType, Uuid)>) -> Answers {
    let planner = Planner::of(ctx).map_err(|error| error.into_server_error(Some(ctx.item.pos)))?;
    // The lookups read the representations already: an argument that does not parse fails the
    // field before any of them runs.
    let representations = ctx
        .param_value::<Vec<Any>>("representations", None)
        .map(|(_, representations)| representations)
        .unwrap_or_default();
    let mut wanted: Vec<(NodeType, Uuid)> = Vec::new();
    for wanted_key in representations.iter().filter_map(|any| key(&any.0)) {
        if !wanted.contains(&wanted_key) {
            wanted.push(wanted_key);
        }
    }
    let sets = selection_sets(&[ctx.item]);
    let mut by_kind: Vec<OfKind> = Vec::new();
    for (kind, _) in &wanted {
        if !by_kind.iter().any(|(k, _, _)| k == kind) {
            let (render, read) = lookup(*kind, &planner, &sets);
            by_kind.push((*kind, render, read));
        }
    }
    if let Some(conflict) = planner.conflict.take() {
        return Err(ctx.set_error_path(conflict));
    }
    let fetching = Fetching::new(planner.reads, planner.columns.take());
    // A read that fails fails the entities it was to read, each on its own, as their lookups
    // do field by field.
    join_all(by_kind.iter().map(|(kind, _, read)| {
        let ids = wanted
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, id)| *id)
            .collect();
        read.fetch_or_fail(&fetching, ids)
    }))
    .await;
    let fetched = fetching.finish();
    let mut answers = HashMap::default();
    for (kind, id) in wanted {
        let Some((_, lookup, _)) = by_kind.iter().find(|(k, _, _)| *k == kind) else {
            continue;
        };
        let mut out = Out::new(ctx);
        let answer = match lookup.render(&fetched, &id, &mut out) {
            Some(Ok(())) => match serde_json::from_slice::<Value>(&out.json) {
                Ok(value) => Answer::Found(value, out.errors),
                Err(error) => Answer::Failed(ReadFailure::Internal(format!(
                    "an entity's rendered JSON does not parse: {error}"
                ))),
            },
            Some(Err(failure)) => {
                if let Failure::Error(error) = failure {
                    out.error_here(error);
                }
                Answer::Nulled(out.errors)
            }
            None => match (lookup.unavailable(&fetched, &id), lookup.failed(&fetched)) {
                (Some(source), _) => Answer::Failed(ReadFailure::from(
                    StoreError::SourceUnavailable(source.clone()),
                )),
                (None, Some((_, failure))) => Answer::Failed(failure.clone()),
                (None, None) => Answer::Absent,
            },
        };
        answers.insert((kind, id), answer);
    }
    Ok(answers)
}
