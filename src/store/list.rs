//! The one implementation of every read: rows by ID, ordered keyset pages of a list, the
//! same per parent for a relation (one statement for all parents, with a window function),
//! and counts. Each asks every source that may hold matching rows, concurrently, and merges
//! their answers in the requested order, so callers never know how many sources there are.

use super::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

use futures::future::{join_all, try_join_all};
use sea_orm::sea_query::{
    Alias, Asterisk, CaseStatement, Condition, Expr, ExprTrait, Func, NullOrdering, Order,
    OverStatement, Value, WindowStatement,
};
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::catalog::CatalogKind;

use super::children::RelationBranch;
use super::decode::{Columns, Positional, Row};
use super::filter::Predicate;
use super::filter::Real;
use super::join::{add_joins, locate_joins, mark_found_all, read_joins, Join};
use super::page::{
    check_cursor, filter_fingerprint, ordering_signature, Cursor, ListName, Reference,
    SortDirection, SortField, SortKind, SortValue,
};
use super::scope::{count_all, count_over_all, row_number, Scope, Scoped, ScopedTable, Select};
use super::seal::CursorSeal;
use super::{OrderTerm, Page, PageRequest, Source, Store, StoreError, Unanswered};

/// The table of a record kind of the catalog: its entity, its rows, its name and its key.
/// Every [`CatalogKind`] is one (the impl below).
pub trait Kind: Send + Sync + 'static {
    /// The SeaORM entity of the table.
    type Entity: EntityTrait<Model = Self::Model> + Default;
    /// A row.
    type Model: Positional + Clone + Send + Sync + 'static;
    /// The table's name, qualifying every column of its statements.
    const TABLE: &'static str;
    /// Whether every source keeps every record of the kind (shared identities, reference
    /// data), so that one source answers for all.
    const SHARED: bool;
    /// The column naming the institution that owns a row, which only that institution's
    /// source holds (`None` where every source keeps the kind).
    const OWNER: Option<&'static str>;
    /// The row's primary key.
    fn id(row: &Self::Model) -> Uuid;
}

/// Every kind of the catalog is a table of the store, its name, owner and key read from its
/// catalog row.
impl<E> Kind for E
where
    E: CatalogKind,
    <E as EntityTrait>::Model: Positional + Clone + Send + Sync + 'static,
{
    type Entity = E;
    type Model = <E as EntityTrait>::Model;
    const TABLE: &'static str = E::KIND.table();
    const SHARED: bool = E::KIND.is_shared();
    const OWNER: Option<&'static str> = E::KIND.owner();

    fn id(row: &Self::Model) -> Uuid {
        <E as CatalogKind>::id(row)
    }
}

/// A table the store can list, page, count and load by ID.
pub trait Listable: Kind {
    /// The plain-Rust filter of the list.
    type Filter: Clone + Debug + Default + PartialEq + Eq + Hash + Send + Sync + 'static;
    /// The fields the list can be ordered by.
    type Field: SortField<Model = Self::Model>;
    /// The ordering used when a client asks for none.
    const DEFAULT_ORDER: &'static [OrderTerm<Self::Field>];
    /// The filter as a SQL condition on this table, read as `table` (its relations read
    /// through the scope `table` came from).
    fn condition(table: &ScopedTable<'_>, filter: &Self::Filter) -> Condition;
    /// The rows placed at any of these institutions, as a predicate (for a filter nested in
    /// another, which cannot narrow the sources asked).
    fn placed_at(institutions: &[Uuid]) -> Predicate;
    /// The institutions owning every row the filter can match, where it limits them (by a test
    /// of the owner column anywhere it narrows every match, see `store/owners.rs`): only the
    /// sources holding them are asked.
    fn institutions(filter: &Self::Filter) -> Option<Vec<Uuid>>;
    /// The filter's whole condition as one predicate, its institutions' placement included.
    fn whole_predicate(filter: &Self::Filter) -> Predicate;
    /// The filter with `predicate` as its whole condition, asking the same sources.
    fn with_predicate(filter: &Self::Filter, predicate: Predicate) -> Self::Filter;
}

/// A one-to-many relation, listed per parent.
pub trait Relation: Send + Sync + 'static {
    /// The listed side.
    type Child: Listable;
    /// The relation's name, which its cursors carry.
    const NAME: &'static str;
    /// Limits `select` (over the child table) to the children of `parents` and returns the
    /// expression that names each row's parent. A table it joins for that is read through
    /// `scope`: a child placed only by a row the caller may not read (a hidden parent, a
    /// hidden appointment) is not listed.
    fn scope(select: &mut Select, scope: &Scope, parents: &Parents<'_>) -> Expr;
    /// Whether the parent is the institution that owns each child (an institution's
    /// cleanrooms): only the parent's source holds its children.
    const OWNED_BY_PARENT: bool = false;
}

/// A filtered, ordered page request for a list of `L`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListQuery<F, O: 'static> {
    pub filter: F,
    /// Empty for the list's default order; the primary key always breaks ties.
    pub order: Vec<OrderTerm<O>>,
    pub page: PageRequest,
}

/// The list query of `L`.
pub type QueryOf<L> = ListQuery<<L as Listable>::Filter, <L as Listable>::Field>;

/// Checks a query of `list` before anything is read: its cursor must belong to the list, its
/// ordering and its filter.
pub fn check_query<L: Listable>(query: &QueryOf<L>, list: ListName) -> Result<(), StoreError> {
    Plan::<L>::new(query, list).map(|_| ())
}

pub(super) const PARENT_KEY: &str = "parent_key";
pub(super) const PARENTS: &str = "parents";
pub(super) const ROW_NUMBER: &str = "row_number";
pub(super) const COUNT: &str = "row_count";

/// `table.column`: every column of the store's statements is qualified by its table.
pub(crate) fn column(table: &'static str, column: &'static str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(column)))
}

fn sql_value(value: &SortValue) -> Value {
    match value {
        SortValue::Int(v) => (*v).into(),
        SortValue::Text(v) => v.clone().into(),
        SortValue::Uuid(v) => (*v).into(),
        SortValue::Real(v) => v.get().into(),
        SortValue::Date(v) => (*v).into(),
        // Never compared: a missing value is matched with `IS NULL`.
        SortValue::Null => Value::Int(None),
    }
}

/// One key of the order rows are fetched in.
#[derive(Debug, Clone)]
pub(super) struct FetchKey {
    column: &'static str,
    direction: SortDirection,
    /// Whether the column may be null; a missing value sorts after every value.
    nullable: bool,
    /// Where the key is a referenced record's column, the reference.
    reference: Option<Reference>,
    /// The values of referenced records that other sources hold, by their IDs.
    foreign: Foreign,
}

/// The key values of the referenced records some rows name but their own source does not
/// hold (a joint unit's appointments at the partner institution), read from the sources that
/// do; `None` where every reference is to a record of the row's own source.
pub(super) type Foreign = Option<Arc<Vec<(Uuid, SortValue)>>>;

/// The value of a key read from a referenced record: `(SELECT t.target FROM t WHERE t.id =
/// row.column)`, one index lookup per row, on the primary key; where some records are held by
/// other sources, their values, named outright, for the rows whose lookup finds nothing. A
/// record the scope hides is not found: its key is a missing value.
fn referenced(scope: &Scope, table: &'static str, reference: Reference, foreign: &Foreign) -> Expr {
    let lookup = local_lookup(scope, table, reference);
    match foreign {
        Some(values) if !values.is_empty() => {
            let mut elsewhere = CaseStatement::new();
            for (id, value) in values.iter() {
                elsewhere = elsewhere.case(
                    column(table, reference.column).eq(*id),
                    Expr::val(sql_value(value)),
                );
            }
            Func::coalesce([lookup, elsewhere.into()]).into()
        }
        _ => lookup,
    }
}

/// `(SELECT t.target FROM t WHERE <the scope's rows of t> AND t.id = row.column)` in the
/// row's own source.
fn local_lookup(scope: &Scope, table: &'static str, reference: Reference) -> Expr {
    let referenced = scope.named_as(reference.table, "sort_ref");
    let mut lookup = Select::from(&referenced);
    lookup.expr(referenced.column(reference.target)).and_where(
        referenced
            .column("id")
            .equals((Alias::new(table), Alias::new(reference.column))),
    );
    lookup.scalar()
}

/// The values of a page's keys read from referenced records, by row ID: one per term, missing
/// for the terms of the row's own columns.
pub(super) type Extras = HashMap<Uuid, Vec<SortValue>>;

impl FetchKey {
    /// The key's value in SQL, a referenced record's as the scope may read it.
    fn expr(&self, scope: &Scope, table: &'static str) -> Expr {
        match self.reference {
            Some(reference) => referenced(scope, table, reference, &self.foreign),
            None => column(table, self.column),
        }
    }

    /// The key's place in an `ORDER BY`: a missing value last ascending, first descending,
    /// said outright because SQLite and PostgreSQL default to opposite ends.
    fn order_by(&self, scope: &Scope, table: &'static str) -> (Expr, Order, Option<NullOrdering>) {
        let nulls = self.nullable.then_some(match self.direction {
            SortDirection::Ascending => NullOrdering::Last,
            SortDirection::Descending => NullOrdering::First,
        });
        (self.expr(scope, table), sql_order(self.direction), nulls)
    }

    /// The rows whose key equals `value`.
    fn equal(&self, scope: &Scope, table: &'static str, value: &SortValue) -> Condition {
        let key = self.expr(scope, table);
        Condition::all().add(match value {
            SortValue::Null => key.is_null(),
            value => key.eq(sql_value(value)),
        })
    }

    /// The rows whose key comes after `value` in fetch order.
    fn beyond(&self, scope: &Scope, table: &'static str, value: &SortValue) -> Condition {
        let key = self.expr(scope, table);
        match (self.direction, value) {
            // Nothing sorts after a missing value.
            (SortDirection::Ascending, SortValue::Null) => Condition::all().add(Expr::val(1).eq(0)),
            (SortDirection::Ascending, value) if self.nullable => Condition::any()
                .add(key.clone().gt(sql_value(value)))
                .add(key.is_null()),
            (SortDirection::Ascending, value) => Condition::all().add(key.gt(sql_value(value))),
            (SortDirection::Descending, SortValue::Null) => Condition::all().add(key.is_not_null()),
            (SortDirection::Descending, value) => Condition::all().add(key.lt(sql_value(value))),
        }
    }

    /// The rows at or after `value` in fetch order, when that is a bound an index can seek.
    fn seek(&self, scope: &Scope, table: &'static str, value: &SortValue) -> Option<Condition> {
        let key = self.expr(scope, table);
        match (self.direction, value) {
            (SortDirection::Ascending, SortValue::Null) => {
                Some(Condition::all().add(key.is_null()))
            }
            (SortDirection::Ascending, value) if self.nullable => Some(
                Condition::any()
                    .add(key.clone().gte(sql_value(value)))
                    .add(key.is_null()),
            ),
            (SortDirection::Ascending, value) => {
                Some(Condition::all().add(key.gte(sql_value(value))))
            }
            (SortDirection::Descending, SortValue::Null) => None,
            (SortDirection::Descending, value) => {
                Some(Condition::all().add(key.lte(sql_value(value))))
            }
        }
    }
}

/// An ordering resolved for execution: the client's terms (or the default), then the key.
pub(super) struct Plan<L: Listable> {
    /// The list paged, which its cursors name.
    list: ListName,
    terms: Vec<OrderTerm<L::Field>>,
    signature: String,
    /// The fingerprint of the query's filter, which its cursors carry.
    filter: u64,
    page: PageRequest,
    /// Per term, the referenced records other sources hold (see [`Store::localize`]).
    foreign: Vec<Foreign>,
}

impl<L: Listable> Plan<L> {
    pub(super) fn new(query: &QueryOf<L>, list: ListName) -> Result<Self, StoreError> {
        let terms = if query.order.is_empty() {
            L::DEFAULT_ORDER.to_vec()
        } else {
            query.order.clone()
        };
        let filter = filter_fingerprint(&query.filter);
        if let Some(cursor) = &query.page.cursor {
            check_cursor(cursor, list, &terms, filter)?;
        }
        Ok(Plan {
            list,
            signature: ordering_signature(&terms),
            foreign: vec![None; terms.len()],
            terms,
            filter,
            page: query.page.clone(),
        })
    }

    /// The keys the rows are fetched in (directions reversed for `last`). The ID breaks ties
    /// in the direction of the last term, so that one index on the terms and the ID serves
    /// the whole ordering, scanned forwards or backwards.
    fn fetch_order(&self) -> Vec<FetchKey> {
        let id = FetchKey {
            column: "id",
            direction: self
                .terms
                .last()
                .map_or(SortDirection::Ascending, |t| t.direction),
            nullable: false,
            reference: None,
            foreign: None,
        };
        self.terms
            .iter()
            .zip(&self.foreign)
            .map(|(t, foreign)| FetchKey {
                column: t.field.column(),
                direction: t.direction,
                nullable: t.field.nullable() || t.field.reference().is_some(),
                reference: t.field.reference(),
                foreign: foreign.clone(),
            })
            .chain([id])
            .map(|key| FetchKey {
                direction: if self.page.backward {
                    key.direction.reversed()
                } else {
                    key.direction
                },
                ..key
            })
            .collect()
    }

    fn keys(&self, row: &L::Model, extras: &Extras) -> Vec<SortValue> {
        sort_keys::<L>(&self.terms, row, extras)
    }

    /// Whether a term reads a referenced record (its values come with the rows, as extras).
    fn references(&self) -> bool {
        self.terms.iter().any(|t| t.field.reference().is_some())
    }

    /// Selects each referenced key's value as `{prefix}sort_{term}`.
    pub(super) fn select_extras(&self, scope: &Scope, select: &mut Select, prefix: &str) {
        for (i, (term, foreign)) in self.terms.iter().zip(&self.foreign).enumerate() {
            if let Some(reference) = term.field.reference() {
                select.expr_as(
                    referenced(scope, L::TABLE, reference, foreign),
                    Alias::new(format!("{prefix}sort_{i}")),
                );
            }
        }
    }

    /// Reads a row's referenced key values, selected by [`Plan::select_extras`], into `extras`.
    pub(super) fn read_extras(
        &self,
        row: &sea_orm::QueryResult,
        prefix: &str,
        id: Uuid,
        extras: &mut Extras,
    ) -> Result<(), StoreError> {
        if !self.references() {
            return Ok(());
        }
        let mut values = Vec::with_capacity(self.terms.len());
        for (i, term) in self.terms.iter().enumerate() {
            let value = if term.field.reference().is_some() {
                sort_value(row, &format!("{prefix}sort_{i}"), term.field.kind())?
            } else {
                SortValue::Null
            };
            values.push(value);
        }
        extras.insert(id, values);
        Ok(())
    }

    /// `(k1, k2, …) > (v1, v2, …)` in the fetch order, spelled out so that mixed directions
    /// and missing values work.
    fn after_cursor(&self, scope: &Scope) -> Option<Condition> {
        let cursor = self.page.cursor.as_ref()?;
        let order = self.fetch_order();
        let mut any = Condition::any();
        for (i, (key, value)) in order.iter().zip(&cursor.keys).enumerate() {
            let mut all = Condition::all();
            for (equal_key, equal_value) in order.iter().zip(&cursor.keys).take(i) {
                all = all.add(equal_key.equal(scope, L::TABLE, equal_value));
            }
            any = any.add(all.add(key.beyond(scope, L::TABLE, value)));
        }
        // The expansion above is exact but opaque to index range scans; a redundant bound
        // lets both engines seek straight to the cursor instead of filtering every earlier
        // row, so a deep page costs what the first does. Where the keys share a direction and
        // hold no null (the ID always does), the bound is the row value of all of them, which
        // an index on them seeks exactly, however many rows tie on the first key; otherwise
        // it is the leading key's.
        let direction = order.first().map(|key| key.direction);
        let tuple = order.len() > 1
            && order
                .iter()
                .all(|key| !key.nullable && Some(key.direction) == direction);
        let seek = if tuple {
            let keys = Expr::tuple(order.iter().map(|key| key.expr(scope, L::TABLE)));
            let values = Expr::tuple(cursor.keys.iter().map(|v| Expr::val(sql_value(v))));
            Some(Condition::all().add(match direction {
                Some(SortDirection::Descending) => keys.lt(values),
                _ => keys.gt(values),
            }))
        } else {
            order
                .first()
                .zip(cursor.keys.first())
                .and_then(|(key, value)| key.seek(scope, L::TABLE, value))
        };
        Some(match seek {
            Some(seek) => Condition::all().add(seek).add(any),
            None => Condition::all().add(any),
        })
    }

    /// `columns` and those the ordering's keys are read from (for cursors and merging).
    pub(super) fn with_sort_keys(&self, columns: Columns) -> Columns {
        let keys: Vec<&str> = self
            .terms
            .iter()
            // A referenced key is read through the row's reference column.
            .map(|t| t.field.reference().map_or(t.field.column(), |r| r.column))
            .collect();
        // None: the catalog's sort columns are fields of the row. Reading every column reads
        // more than asked, never less.
        columns.and(Columns::named::<L::Model>(&keys).unwrap_or_else(Columns::all::<L::Model>))
    }

    fn fetch_limit(&self) -> u64 {
        self.page.limit.saturating_add(1)
    }

    /// Turns rows fetched in fetch order (at most `limit + 1`) into a page in the requested order.
    /// `missing` are the sources that may hold rows of the list and did not answer: rows may
    /// then follow the page in the direction it was read, whatever the others answered.
    pub(super) fn page(
        &self,
        mut rows: Vec<L::Model>,
        columns: Columns,
        extras: Arc<Extras>,
        missing: Vec<Unanswered>,
        seal: CursorSeal,
    ) -> Page<L::Model> {
        let more = rows.len() as u64 > self.page.limit || !missing.is_empty();
        rows.truncate(usize::try_from(self.page.limit).unwrap_or(usize::MAX));
        if self.page.backward {
            rows.reverse();
        }
        let has_cursor = self.page.cursor.is_some();
        // A cursor is made only for a row whose cursor is asked for.
        let terms = self.terms.clone();
        let ordering = self.signature.clone();
        let filter = self.filter;
        let list = self.list;
        let cursor_of = Arc::new(move |row: &L::Model| Cursor {
            list: list.name().to_owned(),
            ordering: ordering.clone(),
            filter,
            keys: sort_keys::<L>(&terms, row, &extras),
        });
        let mut page = Page::new(
            rows.into_iter().map(|row| Row::new(row, columns)).collect(),
            if self.page.backward { has_cursor } else { more },
            if self.page.backward { more } else { has_cursor },
            cursor_of,
            seal,
        );
        page.missing = missing;
        page
    }

    /// Merges per-source row lists, each in fetch order, into one list in fetch order.
    pub(super) fn merge(&self, lists: Vec<Vec<L::Model>>, extras: &Extras) -> Vec<L::Model> {
        if lists.len() == 1 {
            return lists.into_iter().flatten().collect();
        }
        let directions: Vec<SortDirection> =
            self.fetch_order().iter().map(|key| key.direction).collect();
        let mut rows: Vec<(Vec<SortValue>, L::Model)> = lists
            .into_iter()
            .flatten()
            .map(|row| (self.keys(&row, extras), row))
            .collect();
        rows.sort_by(|(a, _), (b, _)| {
            a.iter()
                .zip(b)
                .zip(&directions)
                .map(|((a, b), d)| match d {
                    SortDirection::Ascending => a.compare(b),
                    SortDirection::Descending => b.compare(a),
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        // A shared record (a person) may sit in several sources under the same ID.
        rows.dedup_by(|(a, _), (b, _)| a.last() == b.last());
        rows.truncate(usize::try_from(self.fetch_limit()).unwrap_or(usize::MAX));
        rows.into_iter().map(|(_, row)| row).collect()
    }

    fn order_rows(&self, scope: &Scope, select: &mut Select) {
        for key in self.fetch_order() {
            match key.order_by(scope, L::TABLE) {
                (expr, order, Some(nulls)) => select.order_by_expr_with_nulls(expr, order, nulls),
                (expr, order, None) => select.order_by_expr(expr, order),
            };
        }
    }
}

/// A key value of kind `kind` read from column `name` of a row.
fn sort_value(
    row: &sea_orm::QueryResult,
    name: &str,
    kind: SortKind,
) -> Result<SortValue, StoreError> {
    Ok(match kind {
        SortKind::Text => row
            .try_get::<Option<String>>("", name)?
            .map_or(SortValue::Null, SortValue::Text),
        SortKind::Int => row
            .try_get::<Option<i32>>("", name)?
            .map_or(SortValue::Null, |v| SortValue::Int(v.into())),
        SortKind::Real => row
            .try_get::<Option<f64>>("", name)?
            .and_then(Real::new)
            .map_or(SortValue::Null, SortValue::Real),
        SortKind::Date => row
            .try_get::<Option<chrono::NaiveDate>>("", name)?
            .map_or(SortValue::Null, SortValue::Date),
    })
}

impl Store {
    /// Over several sources, reads for each term of `plan` ordered by a referenced record's
    /// column the values of the referenced records that a row's own source does not hold:
    /// per term, one statement per source for the references that find nothing locally,
    /// and, if any, one per source for those records' values. Both read through the scope,
    /// so a record it hides is never found, and its value never named.
    pub(super) async fn localize<L: Listable>(
        &self,
        scope: &Scope,
        plan: &mut Plan<L>,
    ) -> Result<(), StoreError> {
        if self.sources().len() < 2 {
            return Ok(());
        }
        for (term, foreign) in plan.terms.iter().zip(plan.foreign.iter_mut()) {
            let Some(reference) = term.field.reference() else {
                continue;
            };
            let fk = column(L::TABLE, reference.column);
            let referenced = scope.named(reference.table);
            let mut known = Select::from(&referenced);
            known.expr(referenced.column("id"));
            let mut dangling = Select::from(&scope.table::<L>());
            dangling
                .distinct()
                .expr_as(fk.clone(), Alias::new("related"))
                .and_where(fk.clone().is_not_null())
                .and_where(known.not_contains(fk));
            let dangling = dangling.finish();
            let answers =
                try_join_all(self.sources().iter().map(|source| source.run(&dangling))).await?;
            let mut ids = std::collections::BTreeSet::new();
            for row in answers.iter().flatten() {
                ids.insert(row.try_get::<Uuid>("", "related")?);
            }
            if ids.is_empty() {
                continue;
            }
            if ids.len() > super::resolve::MAX_RELATED {
                return Err(StoreError::TooManyRelated(super::resolve::MAX_RELATED));
            }
            let mut values = Select::from(&referenced);
            values
                .expr_as(referenced.column("id"), Alias::new("id"))
                .expr_as(referenced.column(reference.target), Alias::new("value"))
                .and_where(referenced.column("id").is_in(ids.iter().copied()));
            let values = values.finish();
            let answers =
                try_join_all(self.sources().iter().map(|source| source.run(&values))).await?;
            let mut found = Vec::new();
            for row in answers.iter().flatten() {
                found.push((
                    row.try_get::<Uuid>("", "id")?,
                    sort_value(row, "value", term.field.kind())?,
                ));
            }
            found.sort_by_key(|(id, _)| *id);
            *foreign = Some(Arc::new(found));
        }
        Ok(())
    }
}

/// A row's values of the ordering's terms (a referenced record's from `extras`), then its ID.
fn sort_keys<L: Listable>(
    terms: &[OrderTerm<L::Field>],
    row: &L::Model,
    extras: &Extras,
) -> Vec<SortValue> {
    let id = L::id(row);
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| match t.field.reference() {
            Some(_) => extras
                .get(&id)
                .and_then(|values| values.get(i))
                .cloned()
                .unwrap_or(SortValue::Null),
            None => t.field.value(row),
        })
        .chain([SortValue::Uuid(id)])
        .collect()
}

fn sql_order(direction: SortDirection) -> Order {
    match direction {
        SortDirection::Ascending => Order::Asc,
        SortDirection::Descending => Order::Desc,
    }
}

/// `SELECT <these columns of L> FROM L WHERE <the scope's rows> AND <filter>`.
pub(super) fn select_rows<L: Listable>(
    scope: &Scope,
    filter: &L::Filter,
    columns: Columns,
) -> Select {
    let table = scope.table::<L>();
    let mut select = Select::from(&table);
    for name in columns.names::<L::Model>() {
        select.cell(&table, name);
    }
    select.cond_where(L::condition(&table, filter));
    select
}

/// `SELECT COUNT(*) FROM L WHERE <the scope's rows> AND <filter>`.
fn count_rows<L: Listable>(scope: &Scope, filter: &L::Filter) -> Select {
    let table = scope.table::<L>();
    let mut select = Select::from(&table);
    select
        .expr_as(count_all(), Alias::new(COUNT))
        .cond_where(L::condition(&table, filter));
    select
}

/// The count a row carries in its `row_count` column.
fn count_of(row: &sea_orm::QueryResult) -> Result<u64, StoreError> {
    let count: i64 = row.try_get("", COUNT)?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// The rows of a statement that selects these columns of the table first.
pub(super) fn rows_of<M: Positional>(
    results: &[sea_orm::QueryResult],
    columns: Columns,
) -> Result<Vec<M>, StoreError> {
    results
        .iter()
        .map(|row| M::decode(row, 0, columns).map_err(StoreError::from))
        .collect()
}

impl Store {
    /// The answers to `select` of the sources asked for rows of `L` limited to `institutions`:
    /// every source that may hold them, concurrently; for a kind every source keeps whole, the
    /// first source that answers.
    pub(super) async fn query_sources<L: Kind>(
        &self,
        institutions: Option<&[Uuid]>,
        select: &Scoped,
    ) -> Result<Vec<Vec<sea_orm::QueryResult>>, StoreError> {
        whole(self.query_sources_partly::<L>(institutions, select).await?)
    }

    /// As [`Store::query_sources`], but a source that does not answer is left out and named,
    /// so that a list can be answered with the rows of the others: the answers of the sources
    /// that answered, and those that did not. Any other failure fails the read.
    pub(super) async fn query_sources_partly<L: Kind>(
        &self,
        institutions: Option<&[Uuid]>,
        select: &Scoped,
    ) -> Result<(Vec<Vec<sea_orm::QueryResult>>, Vec<Unanswered>), StoreError> {
        if L::SHARED {
            return Ok((vec![self.query_any(select).await?], Vec::new()));
        }
        partly(
            join_all(
                self.sources()
                    .iter()
                    .filter(|source| source.may_hold(institutions))
                    .map(|source| source.run(select)),
            )
            .await,
        )
    }

    /// The answer to `select` of the first source that answers, for the records every source
    /// keeps: a source that is down is passed over for the next.
    pub(super) async fn query_any(
        &self,
        select: &Scoped,
    ) -> Result<Vec<sea_orm::QueryResult>, StoreError> {
        self.first_answer(|source| source.run(select)).await
    }

    /// The answer of `read` on the first source that answers.
    async fn first_answer<'a, F, A>(
        &'a self,
        read: F,
    ) -> Result<Vec<sea_orm::QueryResult>, StoreError>
    where
        F: Fn(&'a Source) -> A,
        A: std::future::Future<Output = Result<Vec<sea_orm::QueryResult>, StoreError>>,
    {
        let mut unavailable = None;
        for source in self.sources() {
            match read(source).await {
                Err(error @ StoreError::SourceUnavailable(_)) => unavailable = Some(error),
                outcome => return outcome,
            }
        }
        unavailable.map_or(Ok(Vec::new()), Err)
    }

    /// One page of the list of `L`.
    pub(crate) async fn page<L: Listable>(
        &self,
        scope: &Scope,
        query: &QueryOf<L>,
    ) -> Result<Page<L::Model>, StoreError> {
        let columns = scope.readable::<L>();
        let (page, _) = self
            .page_joined::<L>(scope, query, &mut [], false, columns)
            .await?;
        Ok(page)
    }

    /// One page of the list of `L`, its rows with these `columns` read (and those of its
    /// ordering), with the rows `joins` reference that the caller may read joined in the
    /// same statement (each source finds those it holds, see [`Join::found_all`]), and, when
    /// `counted`, how many rows match the filter (0 otherwise).
    ///
    /// The count is a scalar subquery of the page's own statement, which both engines run
    /// once: the list and its `totalCount` are one round trip. Only an empty page past a
    /// cursor, which carries no count, is counted by a statement of its own.
    pub(crate) async fn page_joined<L: Listable>(
        &self,
        scope: &Scope,
        query: &QueryOf<L>,
        joins: &mut [Join],
        counted: bool,
        columns: Columns,
    ) -> Result<(Page<L::Model>, u64), StoreError> {
        let mut plan = Plan::<L>::new(query, ListName::root::<L>())?;
        self.localize(scope, &mut plan).await?;
        let filter = self.resolve_filter::<L>(scope, &query.filter).await?;
        let columns = plan.with_sort_keys(columns);
        let mut select = select_rows::<L>(scope, &filter, columns);
        if let Some(after) = plan.after_cursor(scope) {
            select.cond_where(after);
        }
        plan.order_rows(scope, &mut select);
        select.limit(plan.fetch_limit());
        if counted {
            let count = count_rows::<L>(scope, &filter);
            select.expr_as(count.scalar(), Alias::new(COUNT));
        }
        plan.select_extras(scope, &mut select, "");
        // Over several sources each joins the rows it holds; the rest are read afterwards.
        let joined = !joins.is_empty();
        if joined {
            add_joins(&mut select, scope, L::TABLE, joins, 0);
        }
        let (answers, mut missing) = self
            .query_sources_partly::<L>(L::institutions(&filter).as_deref(), &select.finish())
            .await?;
        if joined {
            mark_found_all(joins, self.sources().len() == 1);
            for answer in &answers {
                if let Some(first) = answer.first() {
                    locate_joins(first, joins, 0)?;
                }
                for row in answer {
                    read_joins(row, joins)?;
                }
            }
        }
        let mut total = 0u64;
        let mut uncounted = false;
        if counted {
            for answer in &answers {
                match answer.first() {
                    Some(row) => total += count_of(row)?,
                    // No row and no cursor: the filter itself matches nothing.
                    None => uncounted |= query.page.cursor.is_some(),
                }
            }
        }
        let mut extras = Extras::default();
        let lists = answers
            .into_iter()
            .map(|answer| {
                let rows = rows_of::<L::Model>(&answer, columns)?;
                for (result, row) in answer.iter().zip(&rows) {
                    plan.read_extras(result, "", L::id(row), &mut extras)?;
                }
                Ok(rows)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        if uncounted && missing.is_empty() {
            let (count, uncounted) = self.count_partly::<L>(scope, &query.filter).await?;
            total = count;
            missing = uncounted;
        }
        let rows = plan.merge(lists, &extras);
        Ok((
            plan.page(
                rows,
                columns,
                Arc::new(extras),
                missing,
                scope.cursors().clone(),
            ),
            total,
        ))
    }

    /// One page of children for each parent, in one statement per source, with the rows
    /// `joins` reference that the caller may read joined in the same statement, and, when
    /// `counted`, how many children of each parent match the filter (none otherwise).
    ///
    /// The counts are read in the pages' own statement (a count per parent beside its page),
    /// so pages and counts are one round trip. A cursor narrows the paged rows but not the
    /// count: the counts then take a statement of their own, run alongside.
    pub(crate) async fn child_pages<R: Relation>(
        &self,
        scope: &Scope,
        parents: &[Uuid],
        query: &QueryOf<R::Child>,
        joins: &mut Vec<Join>,
        counted: bool,
        columns: Columns,
    ) -> Result<ChildPages<<R::Child as Kind>::Model>, StoreError> {
        let mut branch =
            RelationBranch::<R>::new(query.clone(), std::mem::take(joins), true, counted, columns)?;
        let read = self
            .child_pages_together(scope, parents, &mut [&mut branch])
            .await;
        *joins = std::mem::take(&mut branch.joins);
        read?;
        Ok(branch.take_pages())
    }

    /// How many rows of `L` match the filter.
    pub(crate) async fn count<L: Listable>(
        &self,
        scope: &Scope,
        filter: &L::Filter,
    ) -> Result<u64, StoreError> {
        whole(self.count_partly::<L>(scope, filter).await?)
    }

    /// How many rows of `L` match the filter in the sources that answered, and the sources
    /// that did not: the whole count only when none is missing.
    pub(crate) async fn count_partly<L: Listable>(
        &self,
        scope: &Scope,
        filter: &L::Filter,
    ) -> Result<(u64, Vec<Unanswered>), StoreError> {
        let filter = self.resolve_filter::<L>(scope, filter).await?;
        let select = count_rows::<L>(scope, &filter).finish();
        let (answers, missing) = self
            .query_sources_partly::<L>(L::institutions(&filter).as_deref(), &select)
            .await?;
        let mut total = 0u64;
        for row in answers.iter().flatten() {
            total += count_of(row)?;
        }
        Ok((total, missing))
    }

    /// How many children of each parent match the filter, in one statement per source. A
    /// relation reaches its children in every source (a joint unit's appointments sit in both
    /// institutions'); children every source keeps (people, through their appointments) are
    /// counted once each however many sources name them.
    pub(crate) async fn child_counts<R: Relation>(
        &self,
        scope: &Scope,
        parents: &[Uuid],
        filter: &<R::Child as Listable>::Filter,
    ) -> Result<HashMap<Uuid, u64>, StoreError> {
        whole(
            self.child_counts_partly::<R>(scope, parents, filter)
                .await?,
        )
    }

    /// As [`Store::child_counts`], in the sources that answered, with the sources that did
    /// not: the whole counts only when none is missing.
    pub(crate) async fn child_counts_partly<R: Relation>(
        &self,
        scope: &Scope,
        parents: &[Uuid],
        filter: &<R::Child as Listable>::Filter,
    ) -> Result<(HashMap<Uuid, u64>, Vec<Unanswered>), StoreError> {
        type L<R> = <R as Relation>::Child;
        let filter = self.resolve_filter::<L<R>>(scope, filter).await?;
        let owners = L::<R>::institutions(&filter);
        let distinct = L::<R>::SHARED && self.sources().len() > 1;
        let table = scope.table::<L<R>>();
        let mut select = Select::from(&table);
        select.cond_where(L::<R>::condition(&table, &filter));
        let parent = R::scope(&mut select, scope, &Parents::Listed(parents));
        select.expr_as(parent.clone(), Alias::new(PARENT_KEY));
        if distinct {
            select
                .distinct()
                .expr_as(column(L::<R>::TABLE, "id"), Alias::new("child_id"));
        } else {
            select
                .expr_as(count_all(), Alias::new(COUNT))
                .add_group_by([parent]);
        }
        let select = select.finish();
        let (answers, missing) = partly(
            join_all(
                self.sources()
                    .iter()
                    .filter(|source| source.may_hold(owners.as_deref()))
                    // Children owned by their parent sit only in the parent's source.
                    .filter(|source| !R::OWNED_BY_PARENT || source.may_hold(Some(parents)))
                    .map(|source| source.run(&select)),
            )
            .await,
        )?;
        let mut counts: HashMap<Uuid, u64> = parents.iter().map(|p| (*p, 0)).collect();
        if distinct {
            let mut pairs = std::collections::HashSet::new();
            for row in answers.iter().flatten() {
                let parent: Uuid = row.try_get("", PARENT_KEY)?;
                let child: Uuid = row.try_get("", "child_id")?;
                if pairs.insert((parent, child)) {
                    *counts.entry(parent).or_default() += 1;
                }
            }
            return Ok((counts, missing));
        }
        for row in answers.iter().flatten() {
            let parent: Uuid = row.try_get("", PARENT_KEY)?;
            *counts.entry(parent).or_default() += count_of(row)?;
        }
        Ok((counts, missing))
    }
}

/// A read's value where it must be whole: a source that did not answer fails it, named.
fn whole<T>((value, mut missing): (T, Vec<Unanswered>)) -> Result<T, StoreError> {
    if missing.is_empty() {
        Ok(value)
    } else {
        Err(StoreError::SourceUnavailable(missing.swap_remove(0)))
    }
}

/// The answers of the sources asked that answered, and the sources that did not answer; any
/// other failure is the read's.
pub(super) fn partly<T>(
    outcomes: Vec<Result<T, StoreError>>,
) -> Result<(Vec<T>, Vec<Unanswered>), StoreError> {
    let mut answers = Vec::with_capacity(outcomes.len());
    let mut missing = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(answer) => answers.push(answer),
            Err(StoreError::SourceUnavailable(unanswered)) => missing.push(unanswered),
            Err(error) => return Err(error),
        }
    }
    Ok((answers, missing))
}

/// The statement of a relation's pages for many parents, as branch `branch` of a level's
/// statement: the child table's selected columns first, then the joined references' (aliased
/// from `j<first_alias>` on), then its rank (`b<branch>_row_number`), each parent's count
/// (`b<branch>_row_count`) when counted, and, where it has no lateral join, the parent's ID
/// (`b<branch>_parent_key`).
pub(super) struct ChildStatement<'a, L: Listable> {
    pub scope: &'a Scope,
    pub query: &'a QueryOf<L>,
    pub plan: &'a Plan<L>,
    /// The references joined in, none where they are read on their own.
    pub joins: &'a [Join],
    /// Whether its rows are read, or only each parent's count.
    pub paged: bool,
    pub counted: bool,
    pub columns: Columns,
    pub branch: usize,
    pub first_alias: usize,
}

/// The names a branch gives its own columns, so that branches of one statement differ.
pub(super) fn branch_column(branch: usize, name: &str) -> String {
    format!("b{branch}_{name}")
}

impl<L: Listable> ChildStatement<'_, L> {
    /// The child rows of `parents`, not yet limited to a page, with their references joined
    /// in when `joined` (a lateral page has them joined outside, to its rows).
    fn rows<R: Relation<Child = L>>(&self, parents: &Parents<'_>, joined: bool) -> (Select, Expr) {
        let mut rows = select_rows::<L>(self.scope, &self.query.filter, self.columns);
        if joined && !self.joins.is_empty() {
            add_joins(
                &mut rows,
                self.scope,
                L::TABLE,
                self.joins,
                self.first_alias,
            );
        }
        self.plan
            .select_extras(self.scope, &mut rows, &branch_column(self.branch, ""));
        let parent = R::scope(&mut rows, self.scope, parents);
        if let Some(after) = self.plan.after_cursor(self.scope) {
            rows.cond_where(after);
        }
        (rows, parent)
    }

    fn ranked_by(&self, partition: Option<Expr>) -> WindowStatement {
        let mut window = WindowStatement::new();
        if let Some(partition) = partition {
            window.add_partition_by(partition);
        }
        for key in self.plan.fetch_order() {
            match key.order_by(self.scope, L::TABLE) {
                (expr, order, Some(nulls)) => window.order_by_expr_with_nulls(expr, order, nulls),
                (expr, order, None) => window.order_by_expr(expr, order),
            };
        }
        window
    }

    /// Every child of every parent, ranked per parent by a window function, the first
    /// `limit + 1` of each kept: one pass over all the parents' children, which SQLite
    /// (without lateral joins) runs well. Unordered: the rows are put in order by their rank
    /// when read.
    pub(super) fn windowed<R: Relation<Child = L>>(&self, parents: &[Uuid]) -> Select {
        if !self.paged {
            return self.grouped::<R>(parents);
        }
        let (mut inner, parent) = self.rows::<R>(&Parents::Listed(parents), true);
        if self.counted {
            let mut whole = WindowStatement::new();
            whole.add_partition_by(parent.clone());
            inner.expr_window_as(
                count_all(),
                whole,
                Alias::new(branch_column(self.branch, COUNT)),
            );
        }
        let window = self.ranked_by(Some(parent.clone()));
        let rank = branch_column(self.branch, ROW_NUMBER);
        inner.expr_as(parent, Alias::new(branch_column(self.branch, PARENT_KEY)));
        inner.expr_window_as(row_number(), window, Alias::new(&rank));
        let mut select = Select::new();
        select.from_select(inner, "ranked");
        select
            .column(Asterisk)
            .and_where(Expr::col(Alias::new(&rank)).lte(self.plan.fetch_limit() as i64));
        select
    }

    /// Only each parent's count, grouped by parent (SQLite, nothing paged).
    fn grouped<R: Relation<Child = L>>(&self, parents: &[Uuid]) -> Select {
        let table = self.scope.table::<L>();
        let mut select = Select::from(&table);
        select.cond_where(L::condition(&table, &self.query.filter));
        let parent = R::scope(&mut select, self.scope, &Parents::Listed(parents));
        select
            .expr_as(
                parent.clone(),
                Alias::new(branch_column(self.branch, PARENT_KEY)),
            )
            .expr_as(count_all(), Alias::new(branch_column(self.branch, COUNT)))
            .add_group_by([parent]);
        select
    }

    /// The parent `outer`'s page as a `LATERAL` subquery, `ORDER BY … LIMIT` on the child
    /// table's index for that parent: PostgreSQL reads `limit + 1` rows per parent, however
    /// many children it has. When counted, the page carries the count of its parent's rows
    /// (a window over them, so every child is read), or without a page or under a cursor a
    /// subquery counts them on the index. `gate` keeps both empty but for the statement's rows of this branch.
    pub(super) fn lateral<R: Relation<Child = L>>(
        &self,
        outer: &Expr,
        gate: Option<Expr>,
    ) -> (Option<Select>, Option<Select>) {
        let page = self.paged.then(|| {
            let (mut page, _) = self.rows::<R>(&Parents::Outer(outer.clone()), false);
            let window = self.ranked_by(None);
            page.expr_window_as(
                row_number(),
                window,
                Alias::new(branch_column(self.branch, ROW_NUMBER)),
            );
            if self.counted && self.query.page.cursor.is_none() {
                // Counted over every row of the parent before the limit: the rows the page
                // is ranked from are the rows counted, read once.
                page.expr_as(
                    count_over_all(),
                    Alias::new(branch_column(self.branch, COUNT)),
                );
            }
            self.plan.order_rows(self.scope, &mut page);
            page.limit(self.plan.fetch_limit());
            if let Some(gate) = &gate {
                page.and_where(gate.clone());
            }
            page
        });
        // A page carries its parent's count; a count without a page, or under a cursor (which
        // narrows the page's rows), is a subquery of its own.
        let count =
            (self.counted && (!self.paged || self.query.page.cursor.is_some())).then(|| {
                let table = self.scope.table::<L>();
                let mut count = Select::from(&table);
                count
                    .expr_as(count_all(), Alias::new(branch_column(self.branch, COUNT)))
                    .cond_where(L::condition(&table, &self.query.filter));
                R::scope(&mut count, self.scope, &Parents::Outer(outer.clone()));
                if let Some(gate) = gate {
                    count.and_where(gate);
                }
                count
            });
        (page, count)
    }
}

/// Which parents a relation's rows are read for.
pub enum Parents<'a> {
    /// These parents, all in one statement.
    Listed(&'a [Uuid]),
    /// The one parent an enclosing statement names: a lateral join's current parent.
    Outer(Expr),
}

impl Parents<'_> {
    /// The condition that `parent`, a child row's parent, is one of these.
    pub(crate) fn contain(&self, parent: Expr) -> Expr {
        match self {
            Parents::Listed(ids) => parent.is_in(ids.iter().copied()),
            Parents::Outer(outer) => parent.eq(outer.clone()),
        }
    }
}

/// A relation's page for each parent, and its count for each parent when one was asked for.
pub struct ChildPages<M> {
    pub pages: HashMap<Uuid, Page<M>>,
    pub counts: HashMap<Uuid, u64>,
}

impl<M> Default for ChildPages<M> {
    fn default() -> Self {
        ChildPages {
            pages: HashMap::default(),
            counts: HashMap::default(),
        }
    }
}

/// A relation whose child rows name their parent in one column.
pub(crate) fn scope_by_column(
    select: &mut Select,
    table: &'static str,
    parent_column: &'static str,
    parents: &Parents<'_>,
) -> Expr {
    let parent = column(table, parent_column);
    select.and_where(parents.contain(parent.clone()));
    parent
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::page::{SortField, SortValue};
    use crate::store::testing::at_institution;
    use crate::store::testing::{seeded, seeded_split};
    use crate::store::{CleanroomField, Cleanrooms, Units};

    /// The SQLite text of a statement listing the cleanrooms' IDs by their unit's name.
    fn cleanrooms_by_unit_name(scope: &Scope) -> String {
        let reference = CleanroomField::UnitName.reference();
        let Some(reference) = reference else {
            panic!("a cleanroom's unit name is read from its unit");
        };
        let mut select = Select::from(&scope.table::<Cleanrooms>());
        select.expr(column(Cleanrooms::TABLE, "id")).order_by_expr(
            local_lookup(scope, Cleanrooms::TABLE, reference),
            Order::Asc,
        );
        select.finish().text(sea_orm::DbBackend::Sqlite)
    }

    #[test]
    fn an_open_scope_looks_a_referenced_record_up_as_before() {
        assert_eq!(
            cleanrooms_by_unit_name(&Scope::open()),
            r#"SELECT "cleanroom"."id" FROM "cleanroom" ORDER BY (SELECT "sort_ref"."name_key" FROM "unit" AS "sort_ref" WHERE "sort_ref"."id" = "cleanroom"."unit_id") ASC"#
        );
    }

    #[test]
    fn a_row_rule_of_the_referenced_kind_is_in_its_lookup() {
        let scope = Scope::with_rule::<Units>(at_institution("KUH"));

        let expected = format!(
            r#"SELECT "cleanroom"."id" FROM "cleanroom" ORDER BY (SELECT "sort_ref"."name_key" FROM "unit" AS "sort_ref" WHERE "sort_ref"."institution_id" = '{}' AND "sort_ref"."id" = "cleanroom"."unit_id") ASC"#,
            crate::domain::natural_id(crate::domain::RecordKind::Institution, "KUH")
        );
        assert_eq!(cleanrooms_by_unit_name(&scope), expected);
    }

    /// Every cleanroom under `scope` ordered by its unit's name, read in pages of `size`
    /// (following their cursors): each with its unit and its unit-name key.
    async fn cleanrooms_in_pages(
        store: &Store,
        scope: &Scope,
        size: u64,
    ) -> Vec<(Uuid, Uuid, SortValue)> {
        let mut read = Vec::new();
        let mut cursor = None;
        loop {
            let query = QueryOf::<Cleanrooms> {
                filter: Default::default(),
                order: vec![OrderTerm {
                    field: CleanroomField::UnitName,
                    direction: SortDirection::Ascending,
                }],
                page: PageRequest {
                    cursor: cursor.take(),
                    ..PageRequest::first(size)
                },
            };
            let page = match store.page::<Cleanrooms>(scope, &query).await {
                Ok(page) => page,
                Err(error) => panic!("the cleanrooms could not be listed: {error}"),
            };
            for row in &page.rows {
                let keys = match scope.cursors().open(&page.cursor(row)) {
                    Ok(cursor) => cursor.keys,
                    Err(error) => panic!("a cleanroom's cursor could not be read: {error}"),
                };
                read.push((row.id, row.unit_id, keys[0].clone()));
            }
            match page.rows.last() {
                Some(last) if page.has_next_page => {
                    cursor = scope.cursors().open(&page.cursor(last)).ok();
                }
                _ => return read,
            }
        }
    }

    /// The IDs of the units `scope` may read.
    async fn visible_units(store: &Store, scope: &Scope) -> Vec<Uuid> {
        let query = QueryOf::<Units> {
            filter: Default::default(),
            order: Vec::new(),
            page: PageRequest::first(1000),
        };
        match store.page::<Units>(scope, &query).await {
            Ok(page) => page.rows.iter().map(|unit| unit.id).collect(),
            Err(error) => panic!("the units could not be listed: {error}"),
        }
    }

    #[tokio::test]
    async fn a_hidden_unit_sorts_its_cleanrooms_as_missing_in_one_database_and_over_two() {
        for test_store in [seeded().await, seeded_split().await] {
            let store = &test_store.store;
            let scope = Scope::with_rule::<Units>(at_institution("KUH"));
            let visible = visible_units(store, &scope).await;

            let whole = cleanrooms_in_pages(store, &scope, 1000).await;
            let paged = cleanrooms_in_pages(store, &scope, 3).await;

            let under_hidden = whole
                .iter()
                .filter(|(_, unit, _)| !visible.contains(unit))
                .count();
            assert!(
                under_hidden > 0 && under_hidden < whole.len(),
                "{under_hidden} of {} cleanrooms under hidden units",
                whole.len()
            );
            let named = whole.len() - under_hidden;
            for (i, (id, unit, key)) in whole.iter().enumerate() {
                let shown = visible.contains(unit);
                assert_eq!(
                    shown,
                    matches!(key, SortValue::Text(_)),
                    "cleanroom {id}: unit {unit:?}, key {key:?}"
                );
                // A missing value sorts after every name, ascending.
                assert_eq!(i < named, shown, "cleanroom {id} at {i}");
            }
            assert_eq!(paged, whole, "paged by cursors as in one page");
        }
    }

    #[tokio::test]
    async fn the_public_scope_sorts_every_cleanroom_by_its_units_name() {
        for test_store in [seeded().await, seeded_split().await] {
            let whole = cleanrooms_in_pages(&test_store.store, &Scope::default(), 1000).await;

            assert!(whole
                .iter()
                .all(|(_, _, key)| matches!(key, SortValue::Text(_))));
        }
    }
}
