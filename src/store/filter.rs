//! Filters as plain Rust: a tree of tests on a table's columns, composed with `and`, `or` and
//! `not`, and followed across relations (a record's reference, a record's children). The
//! GraphQL layer builds the tree from a filter input; [`Predicate::condition`] turns it into
//! the `WHERE` of the statement it is part of, so a filter never costs a statement of its own.
//!
//! Every test is two-valued: a test on a null column is false (`ne` and `notIn` included), and
//! `not` is the complement of what it negates, nulls included. SQL's three-valued logic would
//! make `not: { grade: { eq: A } }` drop the rooms without a grade; here it keeps them.
//!
//! A relation is followed with an uncorrelated `IN (SELECT …)`: the subquery names only its
//! own table, so it reads the same inside any statement, lateral or windowed, and both engines
//! run it as a semi-join on the referencing column's index. The subquery reads its table
//! through the caller's scope, so a related row the caller may not read counts as absent: it
//! neither matches a reference nor counts among a record's children. Related rows are read
//! from the source that holds the filtered rows; across sources see `store/resolve.rs`.

use sea_orm::sea_query::{Condition, Expr, ExprTrait, LikeExpr, SimpleExpr};
use std::sync::Arc;

use uuid::Uuid;

use super::scope::{ScopedTable, Select};
use crate::domain::fold;

/// A condition on the rows of one table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Predicate {
    /// Every row.
    #[default]
    True,
    /// Rows matching every one of these (every row when empty).
    All(Vec<Predicate>),
    /// Rows matching at least one of these (no row when empty).
    Any(Vec<Predicate>),
    /// Rows not matching this.
    Not(Box<Predicate>),
    /// A test of one of the table's columns.
    Column {
        column: &'static str,
        /// How the column's text compares: as written, or folded for case and diacritics.
        text: TextMatch,
        test: Test,
    },
    /// Rows whose reference in `column` names a row of `table` matching `predicate`.
    Refers {
        column: &'static str,
        table: &'static str,
        predicate: Box<Predicate>,
    },
    /// Rows whose children (rows of `table` naming them in `column`) match as `quantifier` says.
    Children {
        table: &'static str,
        column: &'static str,
        quantifier: Quantifier,
        predicate: Box<Predicate>,
    },
    /// Rows whose `column` is one of `ids`: a relation resolved before the statement, where
    /// the related rows may sit in other sources (see `store/resolve.rs`).
    Within {
        column: &'static str,
        ids: Arc<Vec<Uuid>>,
    },
    /// A relation already resolved across the sources that each source answers for its own
    /// rows, with the rows it names in the other sources given beside it as `Within` (see
    /// `store/resolve.rs`): written as its inner predicate, and not resolved again.
    Local(Box<Predicate>),
}

/// How text is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextMatch {
    /// Exactly as stored (numbers, enums, IDs, codes).
    Exact,
    /// The column holds a folded key (lowercase ASCII, see [`fold`]): the value is folded too.
    Key,
    /// The column holds text as written and its key (folded by [`fold`], as the value is) is
    /// kept in table `text_key` (see `store/text_key.rs`): the test compares the keys. A test
    /// whether the column is null reads the column.
    Folded,
}

/// Which of a record's children must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// At least one.
    Some,
    /// All of them (true for a record without children).
    Every,
    /// None of them.
    None,
}

/// A test of one column's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Test {
    /// The column is null (`true`) or holds a value (`false`).
    IsNull(bool),
    Eq(Scalar),
    Ne(Scalar),
    In(Vec<Scalar>),
    NotIn(Vec<Scalar>),
    Gt(Scalar),
    Gte(Scalar),
    Lt(Scalar),
    Lte(Scalar),
    /// The text holds this (folded as the column's [`TextMatch`] says).
    Contains(String),
    /// The text starts with this.
    StartsWith(String),
}

/// A value a column is compared with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scalar {
    Text(String),
    Int(i64),
    Real(Real),
    Date(chrono::NaiveDate),
    Uuid(Uuid),
}

impl Scalar {
    /// The stored value of an enum column's value.
    pub fn enumerated<E: sea_orm::ActiveEnum<Value = String>>(value: &E) -> Self {
        Scalar::Text(value.to_value())
    }
}

/// A finite floating-point value, comparable and hashable by its bits.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Real(f64);

impl Real {
    /// The value, if finite (GraphQL floats always are).
    pub fn new(value: f64) -> Option<Self> {
        value.is_finite().then_some(Real(value))
    }

    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl PartialEq for Real {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Real {}

impl std::hash::Hash for Real {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

/// A value folded as the column it is compared with: by [`fold`], which folded the keys.
fn folded_value(text: TextMatch, value: &str) -> String {
    match text {
        TextMatch::Exact => value.to_owned(),
        TextMatch::Key | TextMatch::Folded => fold(value),
    }
}

fn sql_scalar(text: TextMatch, value: &Scalar) -> sea_orm::Value {
    match value {
        Scalar::Text(v) => folded_value(text, v).into(),
        Scalar::Int(v) => (*v).into(),
        Scalar::Real(v) => v.0.into(),
        Scalar::Date(v) => (*v).into(),
        Scalar::Uuid(v) => (*v).into(),
    }
}

/// `%` and `_` in a pattern's literal part, escaped for `LIKE … ESCAPE '\'`.
fn like_literal(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl Predicate {
    /// Whether this matches every row.
    pub fn is_true(&self) -> bool {
        match self {
            Predicate::True => true,
            Predicate::All(all) => all.iter().all(Predicate::is_true),
            _ => false,
        }
    }

    /// Whether it follows a relation (and so reads other rows than the filtered table's).
    pub fn follows_relations(&self) -> bool {
        match self {
            Predicate::True
            | Predicate::Column { .. }
            | Predicate::Within { .. }
            | Predicate::Local(_) => false,
            Predicate::All(all) | Predicate::Any(all) => {
                all.iter().any(Predicate::follows_relations)
            }
            Predicate::Not(inner) => inner.follows_relations(),
            Predicate::Refers { .. } | Predicate::Children { .. } => true,
        }
    }

    /// The predicate as a condition on the rows of `table`, reading related rows through the
    /// scope `table` came from.
    pub(crate) fn condition(&self, table: &ScopedTable<'_>) -> Condition {
        match self {
            // Constants are written out: an empty condition is left out of its statement,
            // which would make `not: {}` and `or: []` match every row.
            _ if self.is_true() => Condition::all(),
            Predicate::Any(any) if any.is_empty() => never(),
            Predicate::Not(inner) if inner.is_true() => never(),
            Predicate::True => Condition::all(),
            Predicate::All(all) => all
                .iter()
                .fold(Condition::all(), |c, p| c.add(p.condition(table))),
            Predicate::Any(any) => any
                .iter()
                .fold(Condition::any(), |c, p| c.add(p.condition(table))),
            Predicate::Not(inner) => inner.condition(table).not(),
            Predicate::Column {
                column: name,
                text,
                test,
            } => Condition::all().add(column_test(table, name, *text, test)),
            Predicate::Refers {
                column: name,
                table: target,
                predicate,
            } => {
                // Under its own name even where it is `table`'s (a unit's parent unit): inside
                // the subquery the name means the subquery's rows, and so does the row rule.
                let target = table.scope().named(target);
                let mut referenced = Select::from(&target);
                referenced
                    .expr(target.column("id"))
                    .cond_where(predicate.condition(&target));
                Condition::all()
                    .add(table.column(name).is_not_null())
                    .add(referenced.contains(table.column(name)))
            }
            Predicate::Within { column: name, ids } => {
                if ids.is_empty() {
                    never()
                } else {
                    // Not null first, so that `not` over it keeps the rows without a reference.
                    Condition::all()
                        .add(table.column(name).is_not_null())
                        .add(table.column(name).is_in(ids.iter().copied()))
                }
            }
            Predicate::Local(inner) => inner.condition(table),
            Predicate::Children {
                table: child,
                column: name,
                quantifier,
                predicate,
            } => {
                let child = table.scope().named(child);
                // Every child matches where no child the caller may read fails to: a hidden
                // child is in neither set, as if absent.
                let matching = match quantifier {
                    Quantifier::Every => predicate.condition(&child).not(),
                    Quantifier::Some | Quantifier::None => predicate.condition(&child),
                };
                let parents = children_parents(&child, name, matching);
                let id = table.column("id");
                match quantifier {
                    Quantifier::Some => Condition::all().add(parents.contains(id)),
                    Quantifier::Every | Quantifier::None => {
                        Condition::all().add(parents.not_contains(id))
                    }
                }
            }
        }
    }
}

/// A condition no row meets.
fn never() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

/// `SELECT child.column FROM child WHERE <the caller's rows> AND child.column IS NOT NULL AND
/// matching`: the parents named by the children matching that the caller may read; no null,
/// so `NOT IN` over it is two-valued.
fn children_parents(child: &ScopedTable<'_>, name: &str, matching: Condition) -> Select {
    let mut parents = Select::from(child);
    parents
        .expr(child.column(name))
        .and_where(child.column(name).is_not_null())
        .cond_where(matching);
    parents
}

/// One test of a column; false where the column is null, but for `isNull: true`.
fn column_test(table: &ScopedTable<'_>, name: &str, text: TextMatch, test: &Test) -> SimpleExpr {
    let value = table.column(name);
    match (text, test) {
        (_, Test::IsNull(true)) => value.is_null(),
        (_, Test::IsNull(false)) => value.is_not_null(),
        (TextMatch::Folded, _) => {
            // The rows whose key passes: a row without text has no key, so no test holds.
            Select::text_key_test(table, name, |key| value_test(key, TextMatch::Key, test))
        }
        (TextMatch::Exact | TextMatch::Key, _) => value
            .clone()
            .is_not_null()
            .and(value_test(value, text, test)),
    }
}

/// A test of a value that is not null.
fn value_test(compared: Expr, text: TextMatch, test: &Test) -> SimpleExpr {
    let scalar = |v: &Scalar| sql_scalar(text, v);
    match test {
        Test::IsNull(null) => Expr::val(!null),
        Test::Eq(v) => compared.eq(scalar(v)),
        Test::Ne(v) => compared.ne(scalar(v)),
        Test::In(vs) => compared.is_in(vs.iter().map(scalar)),
        Test::NotIn(vs) => compared.is_not_in(vs.iter().map(scalar)),
        Test::Gt(v) => compared.gt(scalar(v)),
        Test::Gte(v) => compared.gte(scalar(v)),
        Test::Lt(v) => compared.lt(scalar(v)),
        Test::Lte(v) => compared.lte(scalar(v)),
        Test::Contains(v) => compared.like(
            LikeExpr::new(format!("%{}%", like_literal(&folded_value(text, v)))).escape('\\'),
        ),
        Test::StartsWith(v) => {
            let prefix = folded_value(text, v);
            let like = compared
                .clone()
                .like(LikeExpr::new(format!("{}%", like_literal(&prefix))).escape('\\'));
            if text == TextMatch::Key {
                // A key is ASCII and compared byte by byte: the range lets both engines seek
                // the key's index; `LIKE` alone would scan it.
                compared
                    .clone()
                    .gte(prefix.clone())
                    .and(compared.lt(format!("{prefix}\u{7f}")))
                    .and(like)
            } else {
                like
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_like_pattern_matches_percent_and_underscore_literally() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
    }

    #[test]
    fn values_fold_like_the_column_they_meet() {
        assert_eq!(
            folded_value(TextMatch::Key, "  Sällberg  Lars"),
            "sallberg lars"
        );
        assert_eq!(folded_value(TextMatch::Folded, " Ahlén – Ø "), "ahlen - o");
        assert_eq!(folded_value(TextMatch::Exact, "KI"), "KI");
    }
}
