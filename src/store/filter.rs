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
    use crate::store::decode::columns;
    use crate::store::list::{select_rows, Kind, Listable};
    use crate::store::scope::Scope;
    use crate::store::testing::institution;
    use crate::store::{Cleanrooms, Units};
    use sea_orm::sea_query::Alias;

    /// The SQLite text of the statement listing the IDs of `L` matching `predicate`.
    fn ids_matching<L: Listable>(scope: &Scope, predicate: Predicate) -> String {
        let filter = L::with_predicate(&L::Filter::default(), predicate);
        let columns = columns!(<L as Kind>::Model: id);
        select_rows::<L>(scope, &filter, columns)
            .finish()
            .text(sea_orm::DbBackend::Sqlite)
    }

    fn text(column: &'static str, text: TextMatch, test: Test) -> Predicate {
        Predicate::Column { column, text, test }
    }

    fn grade(grade: &str) -> Predicate {
        text(
            "grade",
            TextMatch::Exact,
            Test::Eq(Scalar::Text(grade.into())),
        )
    }

    fn city_containing(part: &str) -> Predicate {
        text("city", TextMatch::Folded, Test::Contains(part.into()))
    }

    fn refers(column: &'static str, table: &'static str, predicate: Predicate) -> Predicate {
        Predicate::Refers {
            column,
            table,
            predicate: Box::new(predicate),
        }
    }

    fn children(
        table: &'static str,
        column: &'static str,
        quantifier: Quantifier,
        predicate: Predicate,
    ) -> Predicate {
        Predicate::Children {
            table,
            column,
            quantifier,
            predicate: Box::new(predicate),
        }
    }

    /// A row rule: the rows whose `column` passes `test`.
    fn rule(
        column: &'static str,
        test: impl Fn(Expr) -> Expr + Send + Sync + 'static,
    ) -> impl Fn(&str) -> Condition + Send + Sync + 'static {
        move |alias| Condition::all().add(test(Expr::col((Alias::new(alias), Alias::new(column)))))
    }

    #[test]
    fn an_open_scope_writes_relation_filters_as_before() {
        let public = Scope::open();
        let by_unit = refers(
            "unit_id",
            "unit",
            text(
                "name_key",
                TextMatch::Key,
                Test::Eq(Scalar::Text("Vecura".into())),
            ),
        );
        let every_room = children("cleanroom", "unit_id", Quantifier::Every, grade("A"));
        let by_parent = refers("parent_id", "unit", city_containing("Hud"));

        assert_eq!(
            ids_matching::<Cleanrooms>(&public, by_unit),
            r#"SELECT "cleanroom"."id" FROM "cleanroom" WHERE TRUE AND ("cleanroom"."unit_id" IS NOT NULL AND "cleanroom"."unit_id" IN (SELECT "unit"."id" FROM "unit" WHERE "unit"."name_key" IS NOT NULL AND "unit"."name_key" = 'vecura'))"#
        );
        assert_eq!(
            ids_matching::<Units>(&public, every_room),
            r#"SELECT "unit"."id" FROM "unit" WHERE TRUE AND "unit"."id" NOT IN (SELECT "cleanroom"."unit_id" FROM "cleanroom" WHERE "cleanroom"."unit_id" IS NOT NULL AND (NOT ("cleanroom"."grade" IS NOT NULL AND "cleanroom"."grade" = 'A')))"#
        );
        assert_eq!(
            ids_matching::<Units>(&public, by_parent),
            r#"SELECT "unit"."id" FROM "unit" WHERE TRUE AND ("unit"."parent_id" IS NOT NULL AND "unit"."parent_id" IN (SELECT "unit"."id" FROM "unit" WHERE "unit"."id" IN (SELECT "text_key"."record_id" FROM "text_key" WHERE "text_key"."field" = 'unit.city' AND "text_key"."folded" LIKE '%hud%' ESCAPE '\')))"#
        );
    }

    #[test]
    fn a_row_rule_of_a_related_kind_is_in_the_subquery_reading_it() {
        let rooms = Scope::with_rule::<Cleanrooms>(rule("grade", |grade| grade.eq("B")));
        let units = Scope::with_rule::<Units>(rule("city", |city| city.eq("Solna")));
        let every_room = children("cleanroom", "unit_id", Quantifier::Every, grade("A"));
        let by_parent = refers("parent_id", "unit", city_containing("Hud"));

        assert_eq!(
            ids_matching::<Units>(&rooms, every_room),
            r#"SELECT "unit"."id" FROM "unit" WHERE TRUE AND "unit"."id" NOT IN (SELECT "cleanroom"."unit_id" FROM "cleanroom" WHERE "cleanroom"."grade" = 'B' AND "cleanroom"."unit_id" IS NOT NULL AND (NOT ("cleanroom"."grade" IS NOT NULL AND "cleanroom"."grade" = 'A')))"#
        );
        assert_eq!(
            ids_matching::<Units>(&units, by_parent),
            r#"SELECT "unit"."id" FROM "unit" WHERE "unit"."city" = 'Solna' AND TRUE AND ("unit"."parent_id" IS NOT NULL AND "unit"."parent_id" IN (SELECT "unit"."id" FROM "unit" WHERE "unit"."city" = 'Solna' AND "unit"."id" IN (SELECT "text_key"."record_id" FROM "text_key" WHERE "text_key"."field" = 'unit.city' AND "text_key"."folded" LIKE '%hud%' ESCAPE '\')))"#
        );
    }

    /// The rows of `L` matching `filter` under `scope` (every one: the seed is small), after
    /// checking that their count agrees.
    async fn matching<L: Listable>(
        store: &crate::store::Store,
        scope: &Scope,
        filter: L::Filter,
    ) -> Vec<crate::store::Row<L::Model>> {
        let query = crate::store::list::QueryOf::<L> {
            filter,
            order: Vec::new(),
            page: crate::store::PageRequest::first(100),
        };
        let rows = match store.page::<L>(scope, &query).await {
            Ok(page) => page.rows,
            Err(error) => panic!("the rows could not be listed: {error}"),
        };
        match store.count::<L>(scope, &query.filter).await {
            Ok(count) => assert_eq!(count, rows.len() as u64, "{:?}", query.filter),
            Err(error) => panic!("the rows could not be counted: {error}"),
        }
        rows
    }

    /// The names of the units matching `predicate` under `scope`, sorted.
    async fn unit_names(
        store: &crate::store::Store,
        scope: &Scope,
        predicate: Predicate,
    ) -> Vec<String> {
        let filter = Units::with_predicate(&Default::default(), predicate);
        let mut names: Vec<String> = matching::<Units>(store, scope, filter)
            .await
            .into_iter()
            .map(|unit| unit.name.clone())
            .collect();
        names.sort();
        names
    }

    /// One database holding every record, and two (where a filter's relations are read
    /// across the sources first, by `store/resolve.rs`).
    async fn stores() -> [crate::store::testing::TestStore; 2] {
        [
            crate::store::testing::seeded().await,
            crate::store::testing::seeded_split().await,
        ]
    }

    #[tokio::test]
    async fn a_reference_to_a_hidden_record_matches_no_filter() {
        let ki_units =
            Scope::with_rule::<Units>(rule("institution_id", |owner| owner.eq(institution("KI"))));
        let no_kcc = Scope::with_rule::<Units>(rule("name", |name| {
            name.ne("Karolinska Center for Cell Therapy")
        }));
        let public = Scope::default();
        for test_store in stores().await {
            let store = &test_store.store;
            let in_huddinge = || refers("unit_id", "unit", city_containing("hudd"));
            let rooms = |scope| async move {
                let filter = Cleanrooms::with_predicate(&Default::default(), in_huddinge());
                let mut codes: Vec<String> = matching::<Cleanrooms>(store, scope, filter)
                    .await
                    .into_iter()
                    .map(|room| room.code.clone())
                    .collect();
                codes.sort();
                codes
            };

            assert_eq!(rooms(&public).await.len(), 18);
            assert_eq!(
                rooms(&ki_units).await,
                [
                    "PRE-GMP-01",
                    "PRE-GMP-02",
                    "PRE-GMP-03",
                    "PRE-GMP-04",
                    "PRE-GMP-05"
                ]
            );
            // A unit's parent is a unit: the rule follows the table into the subquery.
            let parent_in_huddinge = || refers("parent_id", "unit", city_containing("hudd"));
            assert_eq!(
                unit_names(store, &public, parent_in_huddinge()).await,
                ["Vecura GMP unit"]
            );
            assert!(unit_names(store, &no_kcc, parent_in_huddinge())
                .await
                .is_empty());
        }
    }

    #[tokio::test]
    async fn hidden_children_count_for_no_quantifier() {
        let public = Scope::default();
        // Vecura's rooms of grade D and the Pre-GMP unit's ungraded rooms are hidden.
        let grade_b = Scope::with_rule::<Cleanrooms>(rule("grade", |grade| grade.eq("B")));
        for test_store in stores().await {
            let store = &test_store.store;
            let rooms = |quantifier, grade_of| {
                children("cleanroom", "unit_id", quantifier, grade(grade_of))
            };
            let every_unit = unit_names(store, &public, Predicate::True).await;
            let without = |names: &[&str]| -> Vec<String> {
                let mut rest = every_unit.clone();
                rest.retain(|unit| !names.contains(&unit.as_str()));
                rest
            };
            let vecura = "Vecura GMP unit";
            let pre_gmp = "Pre-GMP unit at KI Campus Flemingsberg";

            assert_eq!(every_unit.len(), 12);
            assert_eq!(
                unit_names(store, &public, rooms(Quantifier::Some, "D")).await,
                [vecura]
            );
            assert!(unit_names(store, &grade_b, rooms(Quantifier::Some, "D"))
                .await
                .is_empty());
            assert_eq!(
                unit_names(store, &public, rooms(Quantifier::Every, "B")).await,
                without(&[vecura, pre_gmp])
            );
            // The hidden rooms that are not of grade B do not make `every` false.
            assert_eq!(
                unit_names(store, &grade_b, rooms(Quantifier::Every, "B")).await,
                every_unit
            );
            assert_eq!(
                unit_names(store, &public, rooms(Quantifier::None, "D")).await,
                without(&[vecura])
            );
            assert_eq!(
                unit_names(store, &grade_b, rooms(Quantifier::None, "D")).await,
                every_unit
            );
        }
    }

    #[tokio::test]
    async fn hidden_children_in_another_source_count_for_no_quantifier() {
        let public = Scope::default();
        let no_coordinators =
            Scope::with_rule::<crate::store::Appointments>(rule("role", |role| {
                role.ne("COORDINATOR")
            }));
        for test_store in stores().await {
            let store = &test_store.store;
            // The coordinators are KUH's, appointed in units of KI: over two sources their
            // appointments are in the other source than their units.
            let coordinators = |quantifier| {
                let coordinator = text(
                    "role",
                    TextMatch::Exact,
                    Test::Eq(Scalar::Text("COORDINATOR".into())),
                );
                children("appointment", "unit_id", quantifier, coordinator)
            };
            let every_unit = unit_names(store, &public, Predicate::True).await;
            let center = [
                "Karolinska ATMP Center",
                "Steering group of the Karolinska ATMP Center",
            ];

            assert_eq!(
                unit_names(store, &public, coordinators(Quantifier::Some)).await,
                center
            );
            assert!(
                unit_names(store, &no_coordinators, coordinators(Quantifier::Some))
                    .await
                    .is_empty()
            );
            assert_eq!(
                unit_names(store, &public, coordinators(Quantifier::None))
                    .await
                    .len(),
                every_unit.len() - center.len()
            );
            assert_eq!(
                unit_names(store, &no_coordinators, coordinators(Quantifier::None)).await,
                every_unit
            );
        }
    }

    #[tokio::test]
    async fn a_hidden_unit_is_no_child_of_its_parent() {
        let no_vecura = Scope::with_rule::<Units>(rule("name", |name| name.ne("Vecura GMP unit")));
        for test_store in stores().await {
            let store = &test_store.store;
            let below = || {
                children(
                    "unit",
                    "parent_id",
                    Quantifier::Some,
                    city_containing("hudd"),
                )
            };

            assert_eq!(
                unit_names(store, &Scope::default(), below()).await,
                ["Karolinska Center for Cell Therapy"]
            );
            assert!(unit_names(store, &no_vecura, below()).await.is_empty());
        }
    }

    #[tokio::test]
    async fn people_are_placed_at_an_institution_only_by_appointments_they_may_be_read_by() {
        // The deputies' and operations managers' appointments are hidden.
        let some_roles = Scope::with_rule::<crate::store::Appointments>(rule("role", |role| {
            role.is_not_in(["DEPUTY", "OPERATIONS_MANAGER"])
        }));
        let public = Scope::default();
        for test_store in stores().await {
            let store = &test_store.store;
            let at_kuh = |scope| async move {
                let filter = crate::store::PersonFilter {
                    institutions: Some(vec![institution("KUH")]),
                    ..Default::default()
                };
                let mut names: Vec<String> = matching::<crate::store::People>(store, scope, filter)
                    .await
                    .into_iter()
                    .map(|person| person.family_name.clone())
                    .collect();
                names.sort();
                names
            };

            assert_eq!(
                at_kuh(&public).await,
                [
                    "Akre",
                    "Axelsson",
                    "Blomberg",
                    "Ellis",
                    "Rossi",
                    "Wang",
                    "Zain-Luqman"
                ]
            );
            assert_eq!(
                at_kuh(&some_roles).await,
                ["Akre", "Axelsson", "Ellis", "Rossi"]
            );
        }
    }

    #[tokio::test]
    async fn a_folded_text_filter_matches_only_the_rows_a_rule_leaves() {
        let ki_units =
            Scope::with_rule::<Units>(rule("institution_id", |owner| owner.eq(institution("KI"))));
        for test_store in stores().await {
            let store = &test_store.store;

            assert_eq!(
                unit_names(store, &Scope::default(), city_containing("hudd")).await,
                [
                    "Cell Therapy and Allogeneic Stem Cell Transplantation",
                    "Karolinska Center for Cell Therapy",
                    "Pre-GMP unit at KI Campus Flemingsberg",
                    "Vecura GMP unit"
                ]
            );
            assert_eq!(
                unit_names(store, &ki_units, city_containing("hudd")).await,
                ["Pre-GMP unit at KI Campus Flemingsberg"]
            );
        }
    }

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
