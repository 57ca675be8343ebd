//! Aggregates and group-by: counts, distinct counts, minimum, maximum, sum and average of a
//! list's rows under its filter, whole or per group of key values, computed by the database in
//! one statement per source; no row is loaded.

use futures::future::try_join_all;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, NullOrdering, Order};
use uuid::Uuid;

use super::list::{column, Listable};
use super::scope::{count_all, Scope, Select};
use super::{HashMap, Store, StoreError};

/// The most groups one aggregate may make; more is refused, never cut short.
pub const MAX_GROUPS: usize = 1000;

/// What a group key's column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// An enum, stored as its name.
    Text,
    Int,
    /// A reference to a record of the table named.
    Reference(&'static str),
}

/// A column rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupColumn {
    pub column: &'static str,
    pub kind: GroupKind,
}

/// A group's value of one key; `Null` for rows without one (a group of their own).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupValue {
    Null,
    Text(String),
    Int(i64),
    Uuid(Uuid),
}

/// One aggregate of a group's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// How many rows.
    Count,
    /// How many distinct values the column holds (nulls not counted).
    Distinct(GroupColumn),
    /// The least value of a number column.
    Min(&'static str),
    /// The greatest value of a number column.
    Max(&'static str),
    /// The sum of a number column (null when every value is missing).
    Sum(&'static str),
    /// The average of a number column's values (null when every value is missing).
    Avg(&'static str),
}

/// The groups of an aggregate: each its key values (in the order grouped by) and its measures
/// (in the order asked for).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub keys: Vec<GroupValue>,
    pub values: Vec<Option<f64>>,
}

/// A grouped or counted column of `table`, as the scope shows it: a reference to a record
/// the caller may not read is a missing value.
fn shown(scope: &Scope, table: &'static str, key: GroupColumn) -> Expr {
    let value = column(table, key.column);
    match key.kind {
        GroupKind::Reference(target) => scope.shown_reference(value, target),
        GroupKind::Text | GroupKind::Int => value,
    }
}

/// The SQL columns a measure is read from: what it needs to be merged across sources.
fn measure_columns(scope: &Scope, table: &'static str, measure: Measure) -> Vec<Expr> {
    let double = |expr: Expr| expr.cast_as(Alias::new("DOUBLE PRECISION"));
    let of = |name| column(table, name);
    match measure {
        Measure::Count => vec![double(count_all())],
        Measure::Distinct(key) => {
            vec![double(
                Func::count_distinct(shown(scope, table, key)).into(),
            )]
        }
        Measure::Min(name) => vec![double(Func::min(of(name)).into())],
        Measure::Max(name) => vec![double(Func::max(of(name)).into())],
        // A sum and the count of values it is over: an average across sources is their ratio.
        Measure::Sum(name) | Measure::Avg(name) => vec![
            double(Func::sum(of(name)).into()),
            double(Func::count(of(name)).into()),
        ],
    }
}

fn decode_key(
    row: &sea_orm::QueryResult,
    name: &str,
    kind: GroupKind,
) -> Result<GroupValue, StoreError> {
    Ok(match kind {
        GroupKind::Text => row
            .try_get::<Option<String>>("", name)?
            .map_or(GroupValue::Null, GroupValue::Text),
        GroupKind::Int => row
            .try_get::<Option<i32>>("", name)?
            .map_or(GroupValue::Null, |v| GroupValue::Int(v.into())),
        GroupKind::Reference(_) => row
            .try_get::<Option<Uuid>>("", name)?
            .map_or(GroupValue::Null, GroupValue::Uuid),
    })
}

/// A group as read: its keys and, per measure, its columns' values.
struct Partial {
    keys: Vec<GroupValue>,
    columns: Vec<Vec<Option<f64>>>,
}

impl Partial {
    /// Adds another source's part of the same group.
    fn merge(&mut self, other: Partial, measures: &[Measure]) {
        for ((mine, theirs), measure) in self.columns.iter_mut().zip(other.columns).zip(measures) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a = match (*a, b, measure) {
                    (None, b, _) => b,
                    (a, None, _) => a,
                    (Some(a), Some(b), Measure::Min(_)) => Some(a.min(b)),
                    (Some(a), Some(b), Measure::Max(_)) => Some(a.max(b)),
                    // Counts, sums and the counts beside them add up. (A distinct count is
                    // counted again from the values themselves: see `distinct_values`.)
                    (Some(a), Some(b), _) => Some(a + b),
                };
            }
        }
    }

    fn finish(self, measures: &[Measure]) -> Group {
        let values = self
            .columns
            .into_iter()
            .zip(measures)
            .map(|(columns, measure)| match (measure, columns.as_slice()) {
                (Measure::Avg(_), [sum, count]) => match (sum, count) {
                    (Some(sum), Some(count)) if *count > 0.0 => Some(sum / count),
                    _ => None,
                },
                (Measure::Sum(_), [sum, count]) => sum.filter(|_| count.is_some_and(|c| c > 0.0)),
                (_, columns) => columns.first().copied().flatten(),
            })
            .collect();
        Group {
            keys: self.keys,
            values,
        }
    }
}

impl Store {
    /// The measures of the rows of `L` matching `filter`, whole (no keys) or per group of the
    /// keys' values, groups in ascending order of their keys (missing values last).
    pub(crate) async fn aggregate<L: Listable>(
        &self,
        scope: &Scope,
        filter: &L::Filter,
        keys: &[GroupColumn],
        measures: &[Measure],
    ) -> Result<Vec<Group>, StoreError> {
        let filter = self.resolve_filter::<L>(scope, filter).await?;
        let table = scope.table::<L>();
        let mut select = Select::from(&table);
        select.cond_where(L::condition(&table, &filter));
        for (i, key) in keys.iter().enumerate() {
            // Grouped and ordered by the key's name: its expression may hold bound values (a
            // person's test), which PostgreSQL would not match between its three places.
            let name = format!("g{i}");
            let named = Expr::col(Alias::new(&name));
            select
                .expr_as(shown(scope, L::TABLE, *key), Alias::new(&name))
                .add_group_by([named.clone()])
                .order_by_expr_with_nulls(named, Order::Asc, NullOrdering::Last);
        }
        let mut widths = Vec::with_capacity(measures.len());
        let mut position = keys.len();
        for measure in measures {
            let columns = measure_columns(scope, L::TABLE, *measure);
            widths.push(columns.len());
            for expr in columns {
                select.expr_as(expr, Alias::new(format!("m{position}")));
                position += 1;
            }
        }
        if !keys.is_empty() {
            select.limit(MAX_GROUPS as u64 + 1);
        }
        // Over several sources a distinct count is counted again from the values themselves,
        // alongside, unless no value can sit in two sources: where the groups or the values
        // are the owner institutions, each group's values are all in one source.
        let recounted: Vec<(usize, GroupColumn)> = measures
            .iter()
            .enumerate()
            .filter_map(|(at, measure)| match measure {
                Measure::Distinct(key) if self.sources().len() > 1 => Some((at, *key)),
                _ => None,
            })
            .filter(|(_, counted)| {
                !L::OWNER.is_some_and(|owner| {
                    counted.column == owner || keys.iter().any(|key| key.column == owner)
                })
            })
            .collect();
        let owners = L::institutions(&filter);
        let select = select.finish();
        let (answers, recounts) =
            futures::try_join!(
                self.query_sources::<L>(owners.as_deref(), &select),
                try_join_all(recounted.iter().map(|(_, counted)| {
                    self.distinct_values::<L>(scope, &filter, keys, *counted)
                })),
            )?;
        let mut groups: Vec<Partial> = Vec::new();
        let mut index: HashMap<Vec<GroupValue>, usize> = HashMap::default();
        for row in answers.iter().flatten() {
            let keys = keys
                .iter()
                .enumerate()
                .map(|(i, key)| decode_key(row, &format!("g{i}"), key.kind))
                .collect::<Result<Vec<_>, _>>()?;
            let mut position = keys.len();
            let mut columns = Vec::with_capacity(widths.len());
            for width in &widths {
                let mut values = Vec::with_capacity(*width);
                for _ in 0..*width {
                    values.push(row.try_get::<Option<f64>>("", &format!("m{position}"))?);
                    position += 1;
                }
                columns.push(values);
            }
            let partial = Partial {
                keys: keys.clone(),
                columns,
            };
            match index.get(&keys) {
                Some(&at) => {
                    if let Some(group) = groups.get_mut(at) {
                        group.merge(partial, measures);
                    }
                }
                None => {
                    index.insert(keys, groups.len());
                    groups.push(partial);
                }
            }
        }
        if groups.len() > MAX_GROUPS {
            return Err(StoreError::TooManyGroups(MAX_GROUPS));
        }
        if keys.is_empty() && groups.is_empty() {
            // No source was asked: the whole of nothing is still one group.
            groups.push(Partial {
                keys: Vec::new(),
                columns: widths.iter().map(|w| vec![None; *w]).collect(),
            });
        }
        if self.sources().len() > 1 {
            groups.sort_by(|a, b| compare_keys(&a.keys, &b.keys));
        }
        for ((at, _), counts) in recounted.iter().zip(&recounts) {
            for group in &mut groups {
                let count = counts.get(&group.keys).copied().unwrap_or(0);
                if let Some(columns) = group.columns.get_mut(*at) {
                    *columns = vec![Some(count as f64)];
                }
            }
        }
        Ok(groups.into_iter().map(|g| g.finish(measures)).collect())
    }
}

impl Store {
    /// How many distinct values of `counted` each group of `keys` holds across the sources: a
    /// value two sources hold (the same person appointed at both institutions) counts once.
    /// One statement per source, reading each group's distinct values.
    async fn distinct_values<L: Listable>(
        &self,
        scope: &Scope,
        filter: &L::Filter,
        keys: &[GroupColumn],
        counted: GroupColumn,
    ) -> Result<HashMap<Vec<GroupValue>, u64>, StoreError> {
        let table = scope.table::<L>();
        let mut select = Select::from(&table);
        select
            .distinct()
            .cond_where(L::condition(&table, filter))
            .and_where(shown(scope, L::TABLE, counted).is_not_null());
        for (i, key) in keys.iter().enumerate() {
            select.expr_as(shown(scope, L::TABLE, *key), Alias::new(format!("g{i}")));
        }
        select.expr_as(shown(scope, L::TABLE, counted), Alias::new("counted"));
        let answers = self
            .query_sources::<L>(L::institutions(filter).as_deref(), &select.finish())
            .await?;
        let mut seen = std::collections::HashSet::new();
        let mut counts: HashMap<Vec<GroupValue>, u64> = HashMap::default();
        for row in answers.iter().flatten() {
            let group = keys
                .iter()
                .enumerate()
                .map(|(i, key)| decode_key(row, &format!("g{i}"), key.kind))
                .collect::<Result<Vec<_>, _>>()?;
            let value = decode_key(row, "counted", counted.kind)?;
            if seen.insert((group.clone(), value)) {
                *counts.entry(group).or_default() += 1;
            }
        }
        Ok(counts)
    }
}

/// Orders groups as the statement does: ascending, missing values last.
fn compare_keys(a: &[GroupValue], b: &[GroupValue]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let rank = |v: &GroupValue| match v {
        GroupValue::Null => 1,
        _ => 0,
    };
    a.iter()
        .zip(b)
        .map(|(a, b)| match (a, b) {
            (GroupValue::Text(a), GroupValue::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (GroupValue::Int(a), GroupValue::Int(b)) => a.cmp(b),
            (GroupValue::Uuid(a), GroupValue::Uuid(b)) => a.as_bytes().cmp(b.as_bytes()),
            (a, b) => rank(a).cmp(&rank(b)),
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

impl GroupValue {
    /// The value of an enum key, if it is one of the enum's.
    pub fn enumerated<E: sea_orm::ActiveEnum<Value = String>>(&self) -> Option<E> {
        match self {
            GroupValue::Text(text) => E::try_from_value(text).ok(),
            _ => None,
        }
    }
}
