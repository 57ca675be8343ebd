//! To-one references read in their parent's statement: a plan's references from a list's rows
//! (a cleanroom's unit, that unit's institution) become `LEFT JOIN`s of the list's statement,
//! so the list and its references are one round trip. Over several sources each source joins
//! the rows it holds: every row of the kinds each source keeps whole (people, institutions),
//! and its own institutions' records, which are most of what its rows name (a KI cleanroom's
//! KI unit). A row that a row of another source names (a KUH appointment in a KI joint unit) is
//! not found there; the plan reads it by its ID afterwards, for the whole level at once.
//!
//! Each join carries the caller's row rule on its table in its `ON`: a row the caller may not
//! read is not found, as if absent. Where the join is authoritative ([`Join::found_all`]),
//! a referenced row it did not find is absent for the caller, and is not read by ID again.

use super::HashMap;
use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};
use sea_orm::{DbErr, QueryResult};
use uuid::Uuid;

use super::decode::{position, Columns, FromColumn, Positional};
use super::list::Listable;
use super::scope::{Scope, Select};

/// A row read by a join ([`Row`](super::decode::Row)), of whichever table the join names.
pub type JoinedRow = Arc<dyn Any + Send + Sync>;

/// One to-one reference to read with its parent rows, and the references below it.
pub struct Join {
    /// The parent's column naming the referenced row.
    pub(crate) column: &'static str,
    table: Box<dyn JoinedTable>,
    /// The references of the joined rows, joined in turn.
    pub below: Vec<Join>,
    /// What the statement found, by ID; empty when the reference was not joined.
    pub found: HashMap<Uuid, JoinedRow>,
    /// Whether what it found is every row its parents name that the caller may read (see
    /// [`Join::found_all`]).
    found_all: bool,
    /// The joined table's columns the statement selects.
    columns: Columns,
    /// The position of the joined table's first column in the statement's rows.
    first: usize,
}

impl Join {
    /// Whether `other` reads the same rows: the same column to the same table.
    pub fn same_reference(&self, other: &Join) -> bool {
        self.column == other.column && self.table.name() == other.table.name()
    }

    /// A reference through the parent's `column` to a row of `L`, of which `columns` are
    /// read.
    pub fn to<L: Listable>(column: &'static str, columns: Columns, below: Vec<Join>) -> Self {
        Join {
            column,
            table: Box::new(TableOf::<L>(PhantomData)),
            below,
            found: HashMap::default(),
            found_all: false,
            columns,
            first: 0,
        }
    }

    /// Whether the join found every row its parent rows name that the caller may read, so
    /// that a named row it did not find is absent (hidden from the caller, or dangling) and
    /// needs no read by ID: the statement's one source holds every table, or every source
    /// keeps every row of the joined kind. Over several sources a row of another source's
    /// institution is not found by the join, and must be read by its ID.
    pub fn found_all(&self) -> bool {
        self.found_all
    }
}

/// What a join needs of a table: its name, its columns, and how to read its row.
trait JoinedTable: Send + Sync {
    fn name(&self) -> &'static str;
    /// The names of these columns of the table, in its order.
    fn columns(&self, columns: Columns) -> Vec<&'static str>;
    /// Whether every source keeps every row of the table.
    fn shared(&self) -> bool;
    /// The row whose first column is at `first`, or `None` where the `LEFT JOIN` matched
    /// nothing.
    fn decode(
        &self,
        row: &QueryResult,
        first: usize,
        columns: Columns,
    ) -> Result<Option<(Uuid, JoinedRow)>, DbErr>;
}

struct TableOf<L>(PhantomData<fn() -> L>);

impl<L: Listable> JoinedTable for TableOf<L> {
    fn name(&self) -> &'static str {
        L::TABLE
    }

    fn columns(&self, columns: Columns) -> Vec<&'static str> {
        columns.names::<L::Model>().collect()
    }

    fn shared(&self) -> bool {
        L::SHARED
    }

    fn decode(
        &self,
        row: &QueryResult,
        first: usize,
        columns: Columns,
    ) -> Result<Option<(Uuid, JoinedRow)>, DbErr> {
        // `id` is every table's first column, and always selected.
        if Option::<Uuid>::from_column(row, first)?.is_none() {
            return Ok(None);
        }
        let row = L::Model::read(row, first, columns)?;
        Ok(Some((L::id(&row), Arc::new(row))))
    }
}

/// Adds `joins` (from rows of `parent`, the table or alias the statement reads) to `select`:
/// one `LEFT JOIN` each, aliased `j<first>`, `j<first + 1>`, … in depth-first order, each
/// column selected as `j<n>_<column>`, the caller's row rule on each joined table in its
/// `ON`. Several relations read in one statement number their joins on from where the one
/// before stopped ([`count_joins`]).
pub(crate) fn add_joins(
    select: &mut Select,
    scope: &Scope,
    parent: &'static str,
    joins: &[Join],
    first: usize,
) {
    add_joins_to(select, scope, parent.to_owned(), joins, first);
}

/// [`add_joins`] to the rows of `parent`, a table or a subquery's alias.
pub(crate) fn add_joins_to(
    select: &mut Select,
    scope: &Scope,
    parent: String,
    joins: &[Join],
    first: usize,
) {
    let mut next = first;
    add_below(select, scope, parent, joins, &mut next);
}

/// How many joins `joins` adds, those below included.
pub(crate) fn count_joins(joins: &[Join]) -> usize {
    joins.iter().map(|join| 1 + count_joins(&join.below)).sum()
}

fn add_below(select: &mut Select, scope: &Scope, parent: String, joins: &[Join], next: &mut usize) {
    for join in joins {
        let alias = format!("j{next}");
        *next += 1;
        let on = Expr::col((Alias::new(&alias), Alias::new("id")))
            .equals((Alias::new(&parent), Alias::new(join.column)));
        let table = scope.named_as(join.table.name(), &alias);
        select.left_join(&table, Condition::all().add(on));
        for name in join.table.columns(join.columns) {
            select.cell_as(&table, name, Alias::new(format!("{alias}_{name}")));
        }
        add_below(select, scope, alias, &join.below, next);
    }
}

/// Finds where each join's columns start in the rows of one answer, by the names
/// [`add_joins`] gave them (from `j<first>` on), so that every row is then read by position.
pub(crate) fn locate_joins(
    row: &QueryResult,
    joins: &mut [Join],
    first: usize,
) -> Result<(), DbErr> {
    let mut next = first;
    locate_below(row, joins, &mut next)
}

fn locate_below(row: &QueryResult, joins: &mut [Join], next: &mut usize) -> Result<(), DbErr> {
    for join in joins {
        join.first = position(row, &format!("j{next}_id"))?;
        *next += 1;
        locate_below(row, &mut join.below, next)?;
    }
    Ok(())
}

/// Reads each join's row out of a result row, at the positions [`locate_joins`] found. A row
/// met before (the same unit under many cleanrooms) is known by its ID and not decoded again.
pub(crate) fn read_joins(row: &QueryResult, joins: &mut [Join]) -> Result<(), DbErr> {
    for join in joins {
        // `id` is every table's first column, and always selected.
        let id = Option::<Uuid>::from_column(row, join.first)?;
        if id.is_some_and(|id| !join.found.contains_key(&id)) {
            if let Some((id, found)) = join.table.decode(row, join.first, join.columns)? {
                join.found.insert(id, found);
            }
        }
        read_joins(row, &mut join.below)?;
    }
    Ok(())
}

/// Marks whether `joins` (and the joins below them), once read, found every row their parent
/// rows name that the caller may read: where the store has `one_source`, or where every
/// source keeps the joined kind whole (see [`Join::found_all`]).
pub(crate) fn mark_found_all(joins: &mut [Join], one_source: bool) {
    for join in joins {
        join.found_all = one_source || join.table.shared();
        mark_found_all(&mut join.below, one_source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{natural_id, RecordKind};
    use crate::store::decode::{columns, Row};
    use crate::store::list::{column, QueryOf};
    use crate::store::testing::at_institution;
    use crate::store::{Cleanrooms, Institutions, PageRequest, Store, Units};
    use entities::{cleanroom, institution, unit};
    use sea_orm::sea_query::ExprTrait;
    use sea_orm::DbBackend;

    /// A cleanroom's unit, and that unit's institution.
    fn unit_and_institution() -> Vec<Join> {
        vec![Join::to::<Units>(
            "unit_id",
            columns!(unit::Model: institution_id, name),
            vec![Join::to::<Institutions>(
                "institution_id",
                columns!(institution::Model: code),
                Vec::new(),
            )],
        )]
    }

    /// The SQLite text of the statement that lists cleanrooms' IDs with `joins`, under `scope`.
    fn cleanrooms_joined(scope: &Scope, joins: &[Join]) -> String {
        let mut select = Select::from(&scope.table::<Cleanrooms>());
        select.expr(column("cleanroom", "id"));
        add_joins(&mut select, scope, "cleanroom", joins, 0);
        select.finish().text(DbBackend::Sqlite)
    }

    #[test]
    fn an_open_scope_leaves_a_joined_statement_as_it_was() {
        let statement = cleanrooms_joined(&Scope::open(), &unit_and_institution());

        assert_eq!(
            statement,
            r#"SELECT "cleanroom"."id", "j0"."id" AS "j0_id", "j0"."institution_id" AS "j0_institution_id", "j0"."name" AS "j0_name", "j1"."id" AS "j1_id", "j1"."code" AS "j1_code" FROM "cleanroom" LEFT JOIN "unit" AS "j0" ON "j0"."id" = "cleanroom"."unit_id" LEFT JOIN "institution" AS "j1" ON "j1"."id" = "j0"."institution_id""#
        );
    }

    #[test]
    fn a_row_rule_of_a_joined_kind_is_in_its_join_condition() {
        let scope = Scope::with_rule::<Units>(|alias| {
            Condition::all().add(Expr::col((Alias::new(alias), Alias::new("kind"))).eq("core"))
        });

        let statement = cleanrooms_joined(&scope, &unit_and_institution());

        assert_eq!(
            statement,
            r#"SELECT "cleanroom"."id", "j0"."id" AS "j0_id", "j0"."institution_id" AS "j0_institution_id", "j0"."name" AS "j0_name", "j1"."id" AS "j1_id", "j1"."code" AS "j1_code" FROM "cleanroom" LEFT JOIN "unit" AS "j0" ON "j0"."id" = "cleanroom"."unit_id" AND "j0"."kind" = 'core' LEFT JOIN "institution" AS "j1" ON "j1"."id" = "j0"."institution_id""#
        );
    }

    /// The first 100 cleanrooms under `scope`, with their units joined in.
    async fn cleanrooms_with_units(
        store: &Store,
        scope: &Scope,
    ) -> (Vec<cleanroom::Model>, Vec<Join>) {
        let query = QueryOf::<Cleanrooms> {
            filter: Default::default(),
            order: Vec::new(),
            page: PageRequest::first(100),
        };
        let mut joins = unit_and_institution();
        let columns = columns!(cleanroom::Model: unit_id);
        let page = match store
            .page_joined::<Cleanrooms>(scope, &query, &mut joins, false, columns)
            .await
        {
            Ok((page, _)) => page,
            Err(error) => panic!("the cleanrooms could not be listed: {error}"),
        };
        let rows = page.rows.iter().map(|row| (**row).clone()).collect();
        (rows, joins)
    }

    /// The institution of each unit a join found.
    fn institutions_of_units(join: &Join) -> Vec<Uuid> {
        join.found
            .values()
            .filter_map(|row| row.downcast_ref::<Row<unit::Model>>())
            .map(|unit| unit.institution_id)
            .collect()
    }

    #[tokio::test]
    async fn a_hidden_unit_is_no_joined_row_of_a_cleanroom_it_holds() {
        let test_store = crate::store::testing::seeded().await;
        let store = &test_store.store;
        let (all, public) = cleanrooms_with_units(store, &Scope::default()).await;
        let scope = Scope::with_rule::<Units>(at_institution("KI"));

        let (listed, ruled) = cleanrooms_with_units(store, &scope).await;

        let ki = natural_id(RecordKind::Institution, "KI");
        let (Some(public), Some(ruled)) = (public.first(), ruled.first()) else {
            panic!("no join came back");
        };
        // The cleanrooms themselves are open: every one is listed under the rule too.
        assert_eq!(listed.len(), all.len());
        let named: std::collections::HashSet<Uuid> =
            listed.iter().map(|cleanroom| cleanroom.unit_id).collect();
        assert!(named.iter().all(|unit| public.found.contains_key(unit)));
        let hidden: Vec<&Uuid> = named
            .iter()
            .filter(|unit| !ruled.found.contains_key(unit))
            .collect();
        assert!(!hidden.is_empty(), "no cleanroom's unit is hidden");
        assert!(institutions_of_units(ruled).iter().all(|i| *i == ki));
        assert!(institutions_of_units(public).iter().any(|i| *i != ki));
        // One database holds every table: what the join did not find is absent.
        assert!(ruled.found_all());
    }

    #[tokio::test]
    async fn over_two_sources_only_joins_of_a_kind_every_source_keeps_find_all() {
        let test_store = crate::store::testing::seeded_split().await;
        let (_, joins) = cleanrooms_with_units(&test_store.store, &Scope::default()).await;

        let Some(unit) = joins.first() else {
            panic!("no join came back");
        };
        let Some(institution) = unit.below.first() else {
            panic!("no join below the unit's came back");
        };
        assert!(!unit.found_all());
        assert!(institution.found_all());
    }
}
