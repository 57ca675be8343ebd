//! Apollo Federation v2: with `--federation` the same API is also a subgraph a partner can
//! compose into a graph of their own. Every `Node` type is an entity keyed by its global `id`
//! (the ID `node(id:)` takes), `_service { sdl }` answers the subgraph SDL (with the v2 `@link`),
//! and `_entities(representations:)` answers the records the representations name.
//!
//! async-graphql resolves the representations concurrently, each through the lookup of its type.
//! On the planned path the first lookup of an `_entities` field plans and fetches the records
//! of all its representations at once, and each lookup answers what was rendered of its record
//! ([`plan::entity`]); field by field, the lookups go through the request's batching loader.
//! Either way, the records of one type are one statement per level.

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::ContainerType;
use async_graphql::{
    Context, ContextSelectionSet, InputType, MergedObject, Object, ObjectType, OutputType,
    PathSegment, Positioned, ServerResult, Value, ID,
};

use super::node::{parse_global_id, NodeType};
use super::plan::{self, is_planned, Answer};
use super::{record, ApiError, Query};
use crate::store;

/// Read access to the records of KI and KUH around the Karolinska ATMP Center: lists, lookups
/// and aggregates.
#[derive(MergedObject)]
#[graphql(name = "Query")]
pub struct SubgraphRoot(
    pub Query,
    pub super::Aggregates,
    pub super::search::Search,
    pub super::reads::Reads,
    pub Entities,
);

/// The entity lookups of the subgraph, one per `Node` type (no fields of their own), and a clear
/// error for a representation none of them takes.
pub struct Entities;

/// The lookups async-graphql derives from the `#[graphql(entity)]` methods below.
struct Lookups;

impl OutputType for Entities {
    fn type_name() -> Cow<'static, str> {
        Lookups::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Lookups::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        Lookups.resolve(ctx, field).await
    }
}

impl ContainerType for Entities {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        Lookups.resolve_field(ctx).await
    }

    /// The entity `representation` names, or null with an error at its index in
    /// `_entities` when it names none or its lookup fails: one bad representation leaves the
    /// others' entities answered.
    async fn find_entity(
        &self,
        ctx: &Context<'_>,
        representation: &Value,
    ) -> ServerResult<Option<Value>> {
        let mut error = match Lookups.find_entity(ctx, representation).await {
            Ok(Some(entity)) => return Ok(Some(entity)),
            // Without this, async-graphql answers "Entity not found." whatever was wrong.
            Ok(None) => unmatched(representation).into_server_error(Some(ctx.item.pos)),
            Err(error) => error,
        };
        error = ctx.set_error_path(error);
        // The representations are answered each on its own, and told apart by value: equal
        // representations have equal errors, reported at the first one's index.
        let index = ctx
            .param_value::<Vec<async_graphql::Any>>("representations", None)
            .ok()
            .and_then(|(_, all)| all.iter().position(|any| any.0 == *representation));
        if let Some(index) = index {
            error.path.push(PathSegment::Index(index));
        }
        ctx.add_error(error);
        Ok(Some(Value::Null))
    }
}

impl ObjectType for Entities {}

/// What is wrong with a representation no lookup takes.
fn unmatched(representation: &Value) -> ApiError {
    let typename = match representation {
        Value::Object(fields) => fields.get("__typename"),
        _ => None,
    };
    ApiError::BadUserInput(match typename {
        Some(Value::String(name)) if NodeType::named(name).is_some() => {
            format!("a `{name}` representation needs its `id`, a global ID")
        }
        Some(Value::String(name)) => format!("`{name}` is not an entity type of this subgraph"),
        _ => "a representation must be an object with `__typename` and `id`".to_owned(),
    })
}

/// The record a representation names, as the lookups read it: `None` where they refuse it.
fn representation_key(representation: &Value) -> Option<(NodeType, uuid::Uuid)> {
    let Value::Object(fields) = representation else {
        return None;
    };
    let Some(Value::String(typename)) = fields.get("__typename") else {
        return None;
    };
    let kind = NodeType::named(typename)?;
    let id = <ID as InputType>::parse(fields.get("id").cloned()).ok()?;
    entity_key(kind, &id).ok().map(|uuid| (kind, uuid))
}

/// The primary key of a representation of `kind`: its `id` must be a global ID of that type.
fn entity_key(kind: NodeType, id: &ID) -> Result<uuid::Uuid, ApiError> {
    let name = kind.name();
    let (named, uuid) = parse_global_id(id).map_err(|_| {
        ApiError::BadUserInput(format!(
            "the `id` of a `{name}` representation must be a global ID, not `{}`",
            id.as_str()
        ))
    })?;
    if named != kind {
        return Err(ApiError::BadUserInput(format!(
            "the `id` of a `{name}` representation names a `{}`, not a `{name}`",
            named.name()
        )));
    }
    Ok(uuid)
}

macro_rules! entity_lookups {
    ($($kind:ident, $module:ident, $table:ident, $key:ident, $plural:ident;)*) => {
        #[Object]
        impl Lookups {
            $(
                #[doc = concat!("The `", stringify!($kind), "` a representation's global `id` names; null when none exists.")]
                #[graphql(entity)]
                async fn $module(
                    &self,
                    ctx: &Context<'_>,
                    id: ID,
                ) -> Result<Option<Answer<super::$kind>>, ApiError> {
                    let uuid = entity_key(NodeType::$kind, &id)?;
                    if is_planned(ctx) {
                        return plan::entity(ctx, NodeType::$kind, uuid, representation_key).await;
                    }
                    Ok(record(ctx, store::$key(uuid))
                        .await?
                        .map(|row| Answer::Resolved(super::$kind(row))))
                }
            )*
        }
    };
}

crate::catalog::kind_names!(entity_lookups);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::node::global_id;

    #[test]
    fn a_representation_needs_a_global_id_of_its_own_type() {
        let uuid = uuid::Uuid::from_u128(7);

        assert_eq!(
            entity_key(NodeType::Unit, &global_id(NodeType::Unit, uuid)).ok(),
            Some(uuid)
        );
        for (id, message) in [
            (
                global_id(NodeType::Product, uuid),
                "the `id` of a `Unit` representation names a `Product`, not a `Unit`",
            ),
            (
                ID("nonsense".to_owned()),
                "the `id` of a `Unit` representation must be a global ID, not `nonsense`",
            ),
        ] {
            match entity_key(NodeType::Unit, &id) {
                Err(ApiError::BadUserInput(got)) => assert_eq!(got, message),
                other => panic!("{id:?}: {other:?}"),
            }
        }
    }
}
