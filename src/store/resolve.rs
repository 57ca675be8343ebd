//! Relations across sources. In one database a filter follows a relation with a subquery of
//! its own statement; over several, the related rows may sit in another source than the rows
//! filtered (a KUH trial led by a person appointed at KI, a joint unit). There each relation
//! of the filter is read first, innermost first, from every source that may hold its rows, in
//! one statement per relation and source, and the filter's statement gets the IDs found:
//! the same rows as the one database gives, in statements bounded by the filter, never by rows.
//!
//! Every statement reads its tables through the caller's scope, so the IDs found are those
//! of rows the caller may read, and the filter's statement, scoped again, meets only such rows.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use futures::future::{try_join_all, BoxFuture};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use uuid::Uuid;

use super::domain::is_shared_table;
use super::filter::{Predicate, Quantifier};
use super::list::Listable;
use super::scope::{Scope, Scoped, Select};
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
        scope: &Scope,
        filter: &'a L::Filter,
    ) -> Result<Cow<'a, L::Filter>, StoreError> {
        if self.sources().len() < 2 {
            return Ok(Cow::Borrowed(filter));
        }
        let whole = L::whole_predicate(filter);
        if !whole.follows_relations() {
            return Ok(Cow::Borrowed(filter));
        }
        let resolved = self.resolve(scope, &whole, L::TABLE).await?;
        Ok(Cow::Owned(L::with_predicate(filter, resolved)))
    }

    /// `predicate`, on the rows of `table`, with each relation replaced by the IDs it finds in
    /// every source; or, for the children of records each held by one source (a unit's
    /// cleanrooms), by the children each source holds, read in its own statement, and the IDs
    /// of the parents that other sources' children name.
    fn resolve<'a>(
        &'a self,
        scope: &'a Scope,
        predicate: &'a Predicate,
        table: &'static str,
    ) -> BoxFuture<'a, Result<Predicate, StoreError>> {
        Box::pin(async move {
            if !predicate.follows_relations() {
                return Ok(predicate.clone());
            }
            Ok(match predicate {
                Predicate::All(all) => {
                    let all = all.iter().map(|p| self.resolve(scope, p, table));
                    Predicate::All(try_join_all(all).await?)
                }
                Predicate::Any(any) => {
                    let any = any.iter().map(|p| self.resolve(scope, p, table));
                    Predicate::Any(try_join_all(any).await?)
                }
                Predicate::Not(inner) => {
                    Predicate::Not(Box::new(self.resolve(scope, inner, table).await?))
                }
                Predicate::Refers {
                    column,
                    table: target,
                    predicate,
                } => {
                    let inner = self.resolve(scope, predicate, target).await?;
                    Predicate::Within {
                        column,
                        ids: self.related(scope, target, "id", &inner, None).await?,
                    }
                }
                Predicate::Children {
                    table: child,
                    column,
                    quantifier,
                    predicate,
                } => {
                    let child = *child;
                    let inner = self.resolve(scope, predicate, child).await?;
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
                            ids: self.related(scope, child, column, &matching, None).await?,
                        }
                    } else {
                        // A parent is in one source: its children there are found by that
                        // source's own statement, and those elsewhere name a parent their
                        // source does not hold (or holds hidden from the caller: the filter's
                        // statement drops it again), which are few.
                        Predicate::Any(vec![
                            Predicate::Local(Box::new(Predicate::Children {
                                table: child,
                                column,
                                quantifier: Quantifier::Some,
                                predicate: Box::new(matching.clone()),
                            })),
                            Predicate::Within {
                                column: "id",
                                ids: self
                                    .related(scope, child, column, &matching, Some(table))
                                    .await?,
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
        scope: &Scope,
        table: &'static str,
        name: &'static str,
        predicate: &Predicate,
        elsewhere: Option<&'static str>,
    ) -> Result<Arc<Vec<Uuid>>, StoreError> {
        let select = related(scope, table, name, predicate, elsewhere);
        let answers = if is_shared_table(table) {
            vec![self.query_any(&select).await?]
        } else {
            try_join_all(self.sources().iter().map(|source| source.run(&select))).await?
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

/// `SELECT DISTINCT table.name FROM table WHERE <the caller's rows> AND table.name IS NOT NULL
/// AND <predicate>`, with `elsewhere`, `AND NOT EXISTS` a row of that table the caller may
/// read with that ID in the same source.
fn related(
    scope: &Scope,
    table: &'static str,
    name: &'static str,
    predicate: &Predicate,
    elsewhere: Option<&'static str>,
) -> Scoped {
    let table = scope.named(table);
    let mut select = Select::from(&table);
    select
        .distinct()
        .expr_as(table.column(name), Alias::new(RELATED))
        .and_where(table.column(name).is_not_null())
        .cond_where(predicate.condition(&table));
    if let Some(parent) = elsewhere {
        // Aliased: a relation may name its own table (a unit's parent unit). A parent hidden
        // from the caller is not held here: its ID is found, and the filter's own statement,
        // which reads only rows the caller may read, drops it.
        let parent = scope.named_as(parent, HELD);
        let mut held = Select::from(&parent);
        held.expr(Expr::val(1))
            .and_where(parent.column("id").eq(table.column(name)));
        select.and_where(held.exists().not());
    }
    select.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::filter::{Scalar, Test, TextMatch};
    use crate::store::Units;
    use sea_orm::sea_query::Condition;

    /// The cleanrooms of grade A.
    fn grade_a() -> Predicate {
        Predicate::Column {
            column: "grade",
            text: TextMatch::Exact,
            test: Test::Eq(Scalar::Text("A".into())),
        }
    }

    #[test]
    fn an_open_scope_reads_the_related_ids_as_before() {
        let public = Scope::open();
        let statement = related(&public, "cleanroom", "unit_id", &grade_a(), Some("unit"));

        assert_eq!(
            statement.text(sea_orm::DbBackend::Sqlite),
            r#"SELECT DISTINCT "cleanroom"."unit_id" AS "related" FROM "cleanroom" WHERE "cleanroom"."unit_id" IS NOT NULL AND ("cleanroom"."grade" IS NOT NULL AND "cleanroom"."grade" = 'A') AND (NOT EXISTS(SELECT 1 FROM "unit" AS "held" WHERE "held"."id" = "cleanroom"."unit_id"))"#
        );
    }

    #[test]
    fn a_parent_hidden_from_the_caller_is_not_held() {
        let scope = Scope::with_rule::<Units>(|alias| {
            Condition::all().add(Expr::col((Alias::new(alias), Alias::new("city"))).eq("Solna"))
        });
        let statement = related(&scope, "cleanroom", "unit_id", &grade_a(), Some("unit"));

        assert_eq!(
            statement.text(sea_orm::DbBackend::Sqlite),
            r#"SELECT DISTINCT "cleanroom"."unit_id" AS "related" FROM "cleanroom" WHERE "cleanroom"."unit_id" IS NOT NULL AND ("cleanroom"."grade" IS NOT NULL AND "cleanroom"."grade" = 'A') AND (NOT EXISTS(SELECT 1 FROM "unit" AS "held" WHERE "held"."city" = 'Solna' AND "held"."id" = "cleanroom"."unit_id"))"#
        );
    }
}
