//! What one caller may read, and the statements built through it. A [`Scope`] is made once
//! per request from the [`Caller`]; a table enters a statement only as a [`ScopedTable`] it
//! hands out, which carries the caller's row rule for its kind; and a [`Scoped`] statement,
//! the only kind [`Source::run`] runs, is made only by a [`Select`] that starts from a
//! scoped table, so its row rule cannot be forgotten.
//!
//! Not every read goes through here yet: docs/access-plan.md (section 5) lists the builders
//! still to convert, which run through `Source::query_all` until then.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sea_orm::sea_query::{Alias, Condition, Expr, Query, SelectStatement};

use super::list::Kind;
use super::{Caller, HashMap, Source, StoreError};

/// A kind's row rule: the condition its rows must meet, over the table named by the alias
/// the statement reads it under.
type Rule = Arc<dyn Fn(&str) -> Condition + Send + Sync>;

/// What one caller may read: per kind, the rows (no rule: every row). Cheap to clone.
#[derive(Clone, Default)]
pub struct Scope {
    /// The row rules, by the kind's table; a kind without one is open.
    rules: Arc<HashMap<&'static str, Rule>>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("ruled", &self.rules.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Scope {
    /// The scope of `caller`. Every caller is the public until access rules arrive, and the
    /// public sees every row.
    pub fn of(caller: &Caller) -> Scope {
        match caller {
            Caller::Public => Scope::default(),
        }
    }

    /// A scope with one row rule, on the rows of `K` (the rule gets the table's alias).
    #[cfg(test)]
    pub(crate) fn with_rule<K: Kind>(
        rule: impl Fn(&str) -> Condition + Send + Sync + 'static,
    ) -> Scope {
        let mut rules: HashMap<&'static str, Rule> = HashMap::default();
        rules.insert(K::TABLE, Arc::new(rule));
        Scope {
            rules: Arc::new(rules),
        }
    }

    /// The table of `K`, under its own name.
    pub(super) fn table<K: Kind>(&self) -> ScopedTable<'_, K> {
        self.table_as(K::TABLE)
    }

    /// The table of `K` under `alias` (a table a statement reads twice).
    pub(super) fn table_as<K: Kind>(&self, alias: &'static str) -> ScopedTable<'_, K> {
        ScopedTable {
            scope: self,
            alias,
            kind: PhantomData,
        }
    }

    /// Whether every row of `K` is open to the caller.
    pub(super) fn is_open<K: Kind>(&self) -> bool {
        !self.rules.contains_key(K::TABLE)
    }
}

/// A table in a statement: its alias and the caller's row rule on it. Only a [`Scope`] makes
/// one.
pub struct ScopedTable<'s, K: Kind> {
    scope: &'s Scope,
    alias: &'static str,
    kind: PhantomData<fn() -> K>,
}

impl<K: Kind> ScopedTable<'_, K> {
    /// The caller's row rule on this table, `None` where every row is open.
    fn rows(&self) -> Option<Condition> {
        self.scope.rules.get(K::TABLE).map(|rule| rule(self.alias))
    }
}

/// A statement being built from a scoped table: `FROM` it, with its row rule in `WHERE`.
/// The rest of the statement is built on the `SelectStatement` it derefs to (steps 2–4 of
/// docs/access-plan.md narrow that to methods that take only scoped row sources).
pub struct Select {
    statement: SelectStatement,
}

impl Select {
    /// `SELECT … FROM <table> [WHERE <the caller's rows of it>]`.
    pub(super) fn from<K: Kind>(table: &ScopedTable<'_, K>) -> Select {
        let mut statement = Query::select();
        if table.alias == K::TABLE {
            statement.from(Alias::new(K::TABLE));
        } else {
            statement.from_as(Alias::new(K::TABLE), Alias::new(table.alias));
        }
        if let Some(rows) = table.rows() {
            statement.cond_where(rows);
        }
        Select { statement }
    }

    /// The statement, ready to run.
    pub(super) fn finish(self) -> Scoped {
        Scoped(self.statement)
    }

    /// The statement as a scalar subquery of another.
    pub(super) fn scalar(self) -> Expr {
        Expr::SubQuery(None, Box::new(self.statement.into()))
    }

    /// The statement, to embed in one the scope does not build yet (the pages of relations,
    /// children.rs: step 2 of docs/access-plan.md).
    pub(super) fn into_inner(self) -> SelectStatement {
        self.statement
    }
}

impl Deref for Select {
    type Target = SelectStatement;

    fn deref(&self) -> &SelectStatement {
        &self.statement
    }
}

impl DerefMut for Select {
    fn deref_mut(&mut self) -> &mut SelectStatement {
        &mut self.statement
    }
}

/// A statement whose tables all came through the scope: what a source runs for a caller.
pub struct Scoped(SelectStatement);

impl Source {
    /// Every row of a scoped statement.
    pub(super) async fn run(
        &self,
        statement: &Scoped,
    ) -> Result<Vec<sea_orm::QueryResult>, StoreError> {
        self.query_all(&statement.0).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::decode::Columns;
    use crate::store::list::column;
    use crate::store::list::{select_rows, Listable};
    use crate::store::Units;
    use sea_orm::sea_query::{ExprTrait, SqliteQueryBuilder};

    fn sql(statement: Scoped) -> String {
        statement.0.to_string(SqliteQueryBuilder)
    }

    fn units_of_one_institution(alias: &str) -> Condition {
        Condition::all().add(
            Expr::col((Alias::new(alias), Alias::new("institution_id")))
                .eq(uuid::Uuid::from_u128(1)),
        )
    }

    /// The SQLite text of the statement that lists the units' IDs under `scope`.
    fn unit_ids(scope: &Scope) -> String {
        let filter = <Units as Listable>::Filter::default();
        sql(select_rows::<Units>(
            scope,
            &filter,
            Columns::of::<<Units as Kind>::Model>(&["id"]),
        )
        .finish())
    }

    #[test]
    fn a_row_rule_of_a_kind_is_in_every_statement_reading_its_rows() {
        let scope = Scope::with_rule::<Units>(units_of_one_institution);
        let statement = unit_ids(&scope);

        assert_eq!(
            statement,
            r#"SELECT "unit"."id" FROM "unit" WHERE "unit"."institution_id" = '00000000-0000-0000-0000-000000000001' AND TRUE AND TRUE"#
        );
    }

    #[test]
    fn the_public_scope_adds_nothing_to_a_statement() {
        let statement = unit_ids(&Scope::of(&Caller::Public));

        assert_eq!(
            statement,
            r#"SELECT "unit"."id" FROM "unit" WHERE TRUE AND TRUE"#
        );
    }

    #[test]
    fn a_row_rule_follows_the_alias_a_table_is_read_under() {
        let scope = Scope::with_rule::<Units>(units_of_one_institution);

        let mut select = Select::from(&scope.table_as::<Units>("parent_unit"));
        select.expr(column("parent_unit", "id"));

        assert_eq!(
            sql(select.finish()),
            r#"SELECT "parent_unit"."id" FROM "unit" AS "parent_unit" WHERE "parent_unit"."institution_id" = '00000000-0000-0000-0000-000000000001'"#
        );
    }

    #[test]
    fn a_row_rule_of_another_kind_leaves_a_statement_alone() {
        let scope = Scope::with_rule::<crate::store::Cleanrooms>(units_of_one_institution);
        let statement = unit_ids(&scope);

        assert_eq!(
            statement,
            r#"SELECT "unit"."id" FROM "unit" WHERE TRUE AND TRUE"#
        );
    }
}
