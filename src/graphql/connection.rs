//! Relay connections: page arguments, `PageInfo`, and the one macro that declares each
//! `XConnection` / `XEdge` pair, so every list pages, counts and reports the same way.

use std::sync::Arc;

use async_graphql::{Context, InputType, SimpleObject};
use uuid::Uuid;

use super::error::missing_from_list;
use super::filter::{FilterInput, OrderInput};
use super::plan::{self, is_planned, Answer, Record};
use super::ApiError;
use crate::store::{
    Batcher, ChildCount, ChildPage, Counter, Cursor, CursorSeal, Kind, ListCount, ListQuery,
    Listable, Page, PageRequest, QueryOf, Relation, StoreLoader,
};

/// Page sizes a client may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rows in a page when the client gives neither `first` nor `last`.
    pub default_page_size: u64,
    /// The largest `first` or `last` accepted.
    pub max_page_size: u64,
}

/// The Relay pagination arguments of one connection field.
#[derive(Debug, Default)]
pub(crate) struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

fn page_size(name: &str, value: i32, limits: &Limits) -> Result<u64, ApiError> {
    let size = u64::try_from(value)
        .map_err(|_| ApiError::BadUserInput(format!("`{name}` must not be negative")))?;
    if size > limits.max_page_size {
        return Err(ApiError::BadUserInput(format!(
            "`{name}` must be at most {}",
            limits.max_page_size
        )));
    }
    Ok(size)
}

impl PageArgs {
    /// The page these arguments select, checked against the limits, its cursor opened with
    /// the caller's seal.
    pub(crate) fn request(
        self,
        limits: &Limits,
        cursors: &CursorSeal,
    ) -> Result<PageRequest, ApiError> {
        let decode = |cursor: Option<String>| -> Result<Option<Cursor>, ApiError> {
            cursor
                .map(|c| cursors.open(&c))
                .transpose()
                .map_err(ApiError::from)
        };
        match (self.first, self.last) {
            (Some(_), Some(_)) => Err(ApiError::BadUserInput(
                "`first` and `last` cannot be used together".to_owned(),
            )),
            (_, Some(_)) if self.after.is_some() => Err(ApiError::BadUserInput(
                "`after` goes with `first`, not with `last`".to_owned(),
            )),
            (None, Some(last)) => Ok(PageRequest {
                limit: page_size("last", last, limits)?,
                backward: true,
                cursor: decode(self.before)?,
            }),
            (first, None) if self.before.is_some() && first.is_some() => Err(
                ApiError::BadUserInput("`before` goes with `last`, not with `first`".to_owned()),
            ),
            (first, None) => match self.before {
                // `before` alone pages backward by the default size.
                Some(before) => Ok(PageRequest {
                    limit: limits.default_page_size,
                    backward: true,
                    cursor: decode(Some(before))?,
                }),
                None => Ok(PageRequest {
                    limit: match first {
                        Some(first) => page_size("first", first, limits)?,
                        None => limits.default_page_size,
                    },
                    backward: false,
                    cursor: decode(self.after)?,
                }),
            },
        }
    }
}

/// Where a page sits in its list.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether rows follow this page.
    pub has_next_page: bool,
    /// Whether rows precede this page.
    pub has_previous_page: bool,
    /// The cursor of the first row of the page; null when the page is empty.
    pub start_cursor: Option<String>,
    /// The cursor of the last row of the page; null when the page is empty.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    pub(crate) fn of<M>(page: &Page<M>) -> Self {
        PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: page.start_cursor(),
            end_cursor: page.end_cursor(),
        }
    }
}

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> Result<&'a Batcher, ApiError> {
    ctx.data::<Batcher>()
        .map_err(|_| ApiError::Internal("no loader attached to the request".to_owned()))
}

pub(crate) fn limits<'a>(ctx: &Context<'a>) -> Result<&'a Limits, ApiError> {
    ctx.data::<Limits>()
        .map_err(|_| ApiError::Internal("no limits attached to the schema".to_owned()))
}

/// The complexity of a connection field: its children's, once per row it may return.
/// Without `first` or `last` the default page size (20 unless configured otherwise) is assumed;
/// a size over 1000 counts as 1000, so that an oversized page gets its own clearer error.
pub(crate) fn connection_complexity(
    first: Option<i32>,
    last: Option<i32>,
    child_complexity: usize,
) -> usize {
    let rows = first.or(last).unwrap_or(20).clamp(1, 1000);
    usize::try_from(rows)
        .unwrap_or(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// A fetched page and the means to count its whole list.
pub(crate) struct Fetched<M> {
    pub page: Arc<Page<M>>,
    pub counter: Arc<dyn Counter>,
}

/// Builds the store query of a connection field from its arguments.
pub(crate) fn list_query<L, F, O>(
    reads: &StoreLoader,
    limits: &Limits,
    args: PageArgs,
    filter: Option<F>,
    order: Option<Vec<O>>,
) -> Result<QueryOf<L>, ApiError>
where
    L: Listable,
    F: FilterInput<Store = L::Filter>,
    O: OrderInput<Field = L::Field>,
{
    Ok(ListQuery {
        filter: F::into_store(filter, reads)?,
        order: O::into_store(order),
        page: args.request(limits, reads.cursors())?,
    })
}

/// A page of a top-level list, from a connection field's arguments.
pub(crate) async fn list<L, F, O>(
    ctx: &Context<'_>,
    args: PageArgs,
    filter: Option<F>,
    order: Option<Vec<O>>,
) -> Result<Fetched<L::Model>, ApiError>
where
    L: Listable,
    F: FilterInput<Store = L::Filter>,
    O: OrderInput<Field = L::Field>,
{
    let loader = loader(ctx)?.loader();
    let query = list_query::<L, F, O>(loader, limits(ctx)?, args, filter, order)?;
    let page = loader.page::<L>(&query).await?;
    Ok(Fetched {
        page: Arc::new(page),
        counter: Arc::new(ListCount::<L> {
            filter: query.filter,
        }),
    })
}

/// A record type listed by connections of this type.
pub(crate) trait Connected: Record {
    type Connection: From<Fetched<<Self::Table as Kind>::Model>>;
}

/// What every connection field takes: the page, the filter and the order.
pub(crate) struct ConnectionArgs<F, O> {
    pub page: PageArgs,
    pub filter: Option<F>,
    pub order: Option<Vec<O>>,
}

/// Resolves a connection field of `parent` listing its relation `R`, as rows of type `T`.
pub(crate) async fn relation<P, R, T, F, O>(
    parent: &P,
    ctx: &Context<'_>,
    args: ConnectionArgs<F, O>,
) -> Result<T::Connection, ApiError>
where
    P: Record,
    R: Relation,
    T: Connected<Table = R::Child>,
    F: FilterInput<Store = <R::Child as Listable>::Filter>,
    O: OrderInput<Field = <R::Child as Listable>::Field>,
{
    let id = <P::Table as Kind>::id(parent.row());
    children::<R, F, O>(ctx, id, args.page, args.filter, args.order)
        .await
        .map(|fetched| report_missing(ctx, fetched))
        .map(T::Connection::from)
}

/// Adds the errors of a page answered without some of its sources, at the connection's path.
fn report_missing<M>(ctx: &Context<'_>, fetched: Fetched<M>) -> Fetched<M> {
    for error in missing_from_list(&fetched.page.missing) {
        ctx.add_error(ctx.set_error_path(error.into_server_error(Some(ctx.item.pos))));
    }
    fetched
}

/// Resolves a top-level connection field listing the rows of `T`: from the plan of the
/// field's whole selection, or field by field.
pub(crate) async fn top_level<T, F, O>(
    _root: &super::Query,
    ctx: &Context<'_>,
    args: ConnectionArgs<F, O>,
) -> Result<Answer<T::Connection>, ApiError>
where
    T: Connected,
    F: FilterInput<Store = <T::Table as Listable>::Filter> + InputType,
    O: OrderInput<Field = <T::Table as Listable>::Field> + InputType,
{
    if is_planned(ctx) {
        return plan::list::<T, F, O, _>(ctx).await;
    }
    list::<T::Table, F, O>(ctx, args.page, args.filter, args.order)
        .await
        .map(|fetched| Answer::Resolved(T::Connection::from(report_missing(ctx, fetched))))
}

/// Declares an `#[Object]` impl with its connection fields, each written as one line: its
/// description, GraphQL name, method, filter and order inputs, answer type and the function
/// that resolves it ([`relation`] or [`top_level`]). The arguments every connection takes,
/// their descriptions and the complexity rule are written here once, for all of them.
macro_rules! object_with_connections {
    (
        $(#[doc = $type_doc:literal])*
        $(#[object $args:tt])?
        impl $type:ident {
            connections {
                $(
                    $(#[doc = $doc:literal])*
                    $name:literal $method:ident($filter:ty, $order:ty) -> $output:ty = $resolve:path;
                )*
            }
            $($rest:tt)*
        }
    ) => {
        $(#[doc = $type_doc])*
        #[async_graphql::Object $($args)?]
        impl $type {
            $($rest)*

            $(
                $(#[doc = $doc])*
                #[graphql(
                    name = $name,
                    complexity = "crate::graphql::connection::connection_complexity(first, last, child_complexity)"
                )]
                async fn $method(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(
                        desc = "Return the first `n` rows after `after` (default 20; at most the maximum page size)."
                    )]
                    first: Option<i32>,
                    #[graphql(desc = "Return rows after this cursor (with `first`).")]
                    after: Option<String>,
                    #[graphql(
                        desc = "Return the last `n` rows before `before` (at most the maximum page size)."
                    )]
                    last: Option<i32>,
                    #[graphql(desc = "Return rows before this cursor (with `last`).")]
                    before: Option<String>,
                    #[graphql(desc = "Only rows matching this filter.")]
                    filter: Option<$filter>,
                    #[graphql(desc = "Order of the rows; the ID always breaks ties.")]
                    order_by: Option<Vec<$order>>,
                ) -> Result<$output, $crate::graphql::ApiError> {
                    let args = $crate::graphql::connection::ConnectionArgs {
                        page: $crate::graphql::connection::PageArgs {
                            first,
                            after,
                            last,
                            before,
                        },
                        filter,
                        order: order_by,
                    };
                    $resolve(self, ctx, args).await
                }
            )*
        }
    };
    // The query root's lists: a line names the field and its row type, whose filter, ordering
    // and connection follow from it.
    (
        $(#[doc = $type_doc:literal])*
        $(#[object $args:tt])?
        impl $type:ident {
            lists {
                $(
                    $(#[doc = $doc:literal])*
                    $name:literal $method:ident => $row:ty;
                )*
            }
            $($rest:tt)*
        }
    ) => {
        $crate::graphql::connection::object_with_connections! {
            $(#[doc = $type_doc])*
            $(#[object $args])?
            impl $type {
                connections {
                    $(
                        $(#[doc = $doc])*
                        $name $method(
                            <$row as $crate::graphql::filter::Listed>::Filter,
                            <$row as $crate::graphql::filter::Listed>::Order
                        ) -> $crate::graphql::plan::Answer<
                            <$row as $crate::graphql::connection::Connected>::Connection,
                        > = $crate::graphql::connection::top_level::<$row, _, _>;
                    )*
                }
                $($rest)*
            }
        }
    };
}

pub(crate) use object_with_connections;

/// A page of a parent's relation `R`, from a connection field's arguments, batched with the
/// same relation of sibling parents.
pub(crate) async fn children<R, F, O>(
    ctx: &Context<'_>,
    parent: Uuid,
    args: PageArgs,
    filter: Option<F>,
    order: Option<Vec<O>>,
) -> Result<Fetched<<R::Child as Kind>::Model>, ApiError>
where
    R: Relation,
    F: FilterInput<Store = <R::Child as Listable>::Filter>,
    O: OrderInput<Field = <R::Child as Listable>::Field>,
{
    let query =
        list_query::<R::Child, F, O>(loader(ctx)?.loader(), limits(ctx)?, args, filter, order)?;
    fetch_children::<R>(ctx, parent, query).await
}

/// A page of a parent's relation, batched with the same relation of sibling parents.
async fn fetch_children<R: Relation>(
    ctx: &Context<'_>,
    parent: Uuid,
    query: QueryOf<R::Child>,
) -> Result<Fetched<<R::Child as Kind>::Model>, ApiError> {
    let filter = Arc::new(query.filter.clone());
    let page = loader(ctx)?
        .load_one(ChildPage::<R>::new(parent, Arc::new(query)))
        .await?
        .unwrap_or_default();
    Ok(Fetched {
        page,
        counter: Arc::new(ChildCount::<R>::new(parent, filter)),
    })
}

/// Declares `$connection` and `$edge` over node type `$node` wrapping rows of `$model`.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ident, $model:ty, $connection_doc:literal, $edge_doc:literal) => {
        #[doc = $connection_doc]
        pub struct $connection(pub(crate) $crate::graphql::connection::Fetched<$model>);

        impl $crate::graphql::connection::Connected for $node {
            type Connection = $connection;
        }

        impl From<$crate::graphql::connection::Fetched<$model>> for $connection {
            fn from(fetched: $crate::graphql::connection::Fetched<$model>) -> Self {
                $connection(fetched)
            }
        }

        #[doc = $connection_doc]
        #[async_graphql::Object]
        impl $connection {
            /// The rows of this page, each with its cursor.
            async fn edges(&self) -> Vec<$edge> {
                self.0
                    .page
                    .rows
                    .iter()
                    .map(|row| $edge {
                        cursor: self.0.page.cursor(row),
                        node: $node(row.clone()),
                    })
                    .collect()
            }

            /// The rows of this page, without cursors.
            async fn nodes(&self) -> Vec<$node> {
                self.0
                    .page
                    .rows
                    .iter()
                    .map(|row| $node(row.clone()))
                    .collect()
            }

            /// Where this page sits in the list. When a source that may hold rows of the list
            /// did not answer (an error with code `SOURCE_UNAVAILABLE` names each institution
            /// missing), the page holds the other sources' rows: its cursors are theirs, and
            /// `hasNextPage` (or, paging backwards, `hasPreviousPage`) is true, as the missing
            /// source may hold more.
            async fn page_info(&self) -> $crate::graphql::connection::PageInfo {
                $crate::graphql::connection::PageInfo::of(&self.0.page)
            }

            /// How many rows match the filter across all pages (counted only when asked for);
            /// null when a source that may hold rows of the list did not answer, as the count
            /// cannot be known then.
            async fn total_count(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> Result<Option<u64>, $crate::graphql::ApiError> {
                if !self.0.page.missing.is_empty() {
                    return Ok(None);
                }
                let loader = $crate::graphql::connection::loader(ctx)?;
                Ok(Some(self.0.counter.count(loader).await?))
            }
        }

        #[doc = $edge_doc]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque position of this row: pass it as `after` or `before`.
            cursor: String,
            /// The row.
            node: $node,
        }
    };
}

pub(crate) use connection;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Scope;

    const LIMITS: Limits = Limits {
        default_page_size: 20,
        max_page_size: 100,
    };

    fn cursors() -> CursorSeal {
        Scope::default().cursors().clone()
    }

    fn request(first: Option<i32>, last: Option<i32>) -> Result<PageRequest, ApiError> {
        PageArgs {
            first,
            last,
            ..PageArgs::default()
        }
        .request(&LIMITS, &cursors())
    }

    #[test]
    fn page_arguments_are_checked_against_the_limits() {
        assert_eq!(request(None, None).ok(), Some(PageRequest::first(20)));
        assert_eq!(request(Some(100), None).ok(), Some(PageRequest::first(100)));
        let bad = [
            (Some(101), None, "`first` must be at most 100"),
            (Some(-1), None, "`first` must not be negative"),
            (None, Some(101), "`last` must be at most 100"),
            (
                Some(1),
                Some(1),
                "`first` and `last` cannot be used together",
            ),
        ];
        for (first, last, message) in bad {
            match request(first, last) {
                Err(ApiError::BadUserInput(m)) => assert_eq!(m, message),
                other => panic!("{first:?} {last:?}: {other:?}"),
            }
        }
    }
}
