//! Relations across sources. In one database a filter follows a relation with a subquery of
//! its own statement; over several, the related rows may sit in another source than the rows
//! filtered (a KUH trial led by a person appointed at KI, a joint unit). There each relation
//! of the filter is read first, innermost first, from every source that may hold its rows, in
//! one statement per relation and source, and the filter's statement gets the IDs found:
//! the same rows as the one database gives, in statements bounded by the filter, never by rows.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use futures::future::{try_join_all, BoxFuture};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use uuid::Uuid;

use super::domain::is_shared_table;
use super::filter::{Predicate, Quantifier};
use super::list::{column, Listable};
use super::{Store, StoreError};

/// The most IDs a relation of a filter may find across the sources; past it the filter is
/// refused as too complex rather than sent as an unbounded statement.
pub const MAX_RELATED: usize = 20_000;

/// The name the resolving statements give the column they read.
const RELATED: &str = "related";

/// The alias of the parent table a source is asked whether it holds a row of.
const HELD: &str = "held";

impl Store {
    /// `filter`, its relations resolved across the sources where there are several and it
    /// follows any; else `filter` itself.
    pub(crate) async fn resolve_filter<'a, L: Listable>(
        &self,
        filter: &'a L::Filter,
    ) -> Result<Cow<'a, L::Filter>, StoreError> {
        if self.sources().len() < 2 {
            return Ok(Cow::Borrowed(filter));
        }
        let whole = L::whole_predicate(filter);
        if !whole.follows_relations() {
            return Ok(Cow::Borrowed(filter));
        }
        let resolved = self.resolve(&whole, L::TABLE).await?;
        Ok(Cow::Owned(L::with_predicate(filter, resolved)))
    }

    /// `predicate`, on the rows of `table`, with each relation replaced by the IDs it finds in
    /// every source; or, for the children of records each held by one source (a unit's
    /// cleanrooms), by the children each source holds, read in its own statement, and the IDs
    /// of the parents that other sources' children name.
    fn resolve<'a>(
        &'a self,
        predicate: &'a Predicate,
        table: &'static str,
    ) -> BoxFuture<'a, Result<Predicate, StoreError>> {
        Box::pin(async move {
            if !predicate.follows_relations() {
                return Ok(predicate.clone());
            }
            Ok(match predicate {
                Predicate::All(all) => {
                    Predicate::All(try_join_all(all.iter().map(|p| self.resolve(p, table))).await?)
                }
                Predicate::Any(any) => {
                    Predicate::Any(try_join_all(any.iter().map(|p| self.resolve(p, table))).await?)
                }
                Predicate::Not(inner) => {
                    Predicate::Not(Box::new(self.resolve(inner, table).await?))
                }
                Predicate::Refers {
                    column,
                    table: target,
                    predicate,
                } => {
                    let inner = self.resolve(predicate, target).await?;
                    Predicate::Within {
                        column,
                        ids: self.related(target, "id", &inner, None).await?,
                    }
                }
                Predicate::Children {
                    table: child,
                    column,
                    quantifier,
                    predicate,
                } => {
                    let child = *child;
                    let inner = self.resolve(predicate, child).await?;
                    // A record all of whose children match has none that does not.
                    let matching = match quantifier {
                        Quantifier::Every => Predicate::Not(Box::new(inner)),
                        Quantifier::Some | Quantifier::None => inner,
                    };
                    let parents = if is_shared_table(table) {
                        // Every source keeps the parents, and the one that lists them holds
                        // only its own children: every source's are read first.
                        Predicate::Within {
                            column: "id",
                            ids: self.related(child, column, &matching, None).await?,
                        }
                    } else {
                        // A parent is in one source: its children there are found by that
                        // source's own statement, and those elsewhere name a parent their
                        // source does not hold, which are few.
                        Predicate::Any(vec![
                            Predicate::Local(Box::new(Predicate::Children {
                                table: child,
                                column,
                                quantifier: Quantifier::Some,
                                predicate: Box::new(matching.clone()),
                            })),
                            Predicate::Within {
                                column: "id",
                                ids: self.related(child, column, &matching, Some(table)).await?,
                            },
                        ])
                    };
                    match quantifier {
                        Quantifier::Some => parents,
                        Quantifier::Every | Quantifier::None => Predicate::Not(Box::new(parents)),
                    }
                }
                other => other.clone(),
            })
        })
    }

    /// The distinct values of `table.column` (an ID) in the rows matching `predicate`, from
    /// every source that may hold such rows (one, for a table every source keeps whole); with
    /// `elsewhere`, only the IDs of rows of that table the row's own source does not hold.
    async fn related(
        &self,
        table: &'static str,
        name: &'static str,
        predicate: &Predicate,
        elsewhere: Option<&'static str>,
    ) -> Result<Arc<Vec<Uuid>>, StoreError> {
        let mut select = Query::select();
        select
            .distinct()
            .expr_as(column(table, name), Alias::new(RELATED))
            .from(Alias::new(table))
            .and_where(column(table, name).is_not_null())
            .cond_where(predicate.condition(table));
        if let Some(parent) = elsewhere {
            // Aliased: a relation may name its own table (a unit's parent unit).
            let mut held = Query::select();
            held.expr(Expr::val(1))
                .from_as(Alias::new(parent), Alias::new(HELD))
                .and_where(Expr::col((Alias::new(HELD), Alias::new("id"))).eq(column(table, name)));
            select.and_where(Expr::exists(held).not());
        }
        let answers = if is_shared_table(table) {
            vec![self.query_any_unscoped(&select).await?]
        } else {
            try_join_all(
                self.sources()
                    .iter()
                    .map(|source| source.query_all(&select)),
            )
            .await?
        };
        let mut ids = BTreeSet::new();
        for row in answers.iter().flatten() {
            ids.insert(row.try_get::<Uuid>("", RELATED)?);
            if ids.len() > MAX_RELATED {
                return Err(StoreError::TooManyRelated(MAX_RELATED));
            }
        }
        Ok(Arc::new(ids.into_iter().collect()))
    }
}
