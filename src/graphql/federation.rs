//! Apollo Federation v2: with `--federation` the same API is also a subgraph a partner can
//! compose into a graph of their own. Every `Node` type is an entity keyed by its global `id`
//! (the ID `node(id:)` takes), `_service { sdl }` answers the subgraph SDL (with the v2 `@link`),
//! and `_entities(representations:)` answers the records the representations name.
//!
//! The entity lookups go through the request's batching loader like any other field: async-graphql
//! resolves the representations concurrently, so those of one type become one statement. Both
//! execution paths resolve `_entities` and `_service` field by field (see `FIELD_BY_FIELD_ROOTS`).

use async_graphql::{Context, MergedObject, Object, ID};

use super::node::{parse_global_id, NodeType};
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
    pub Entities,
);

/// The entity lookups of the subgraph, one per `Node` type; no fields of their own.
pub struct Entities;

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
    ($($kind:ident: $module:ident, $table:ident, $key:ident, $plural:ident, $owner:ident { $($column:ident),* };)*) => {
        #[Object]
        impl Entities {
            $(
                #[doc = concat!("The `", stringify!($kind), "` a representation's global `id` names; null when none exists.")]
                #[graphql(entity)]
                async fn $module(
                    &self,
                    ctx: &Context<'_>,
                    id: ID,
                ) -> Result<Option<super::$kind>, ApiError> {
                    let uuid = entity_key(NodeType::$kind, &id)?;
                    Ok(record(ctx, store::$key(uuid)).await?.map(super::$kind))
                }
            )*
        }
    };
}

crate::catalog::for_each_kind!(entity_lookups);

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
