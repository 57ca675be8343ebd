//! What each table adds to the generic listing, written from the catalog
//! ([`crate::catalog`]): its filter and how it becomes SQL, its sortable fields and default
//! order, and the relations listed per parent.

use entities::{appointment, institution};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType};
use sea_orm::ActiveEnum;
use uuid::Uuid;

use crate::catalog::KindId;

use super::filter::{Predicate, Quantifier, Real, Scalar, Test, TextMatch};
use super::list::{column, scope_by_column, Kind, Listable, Parents, Relation};
use super::owners::owners;
use super::page::{Reference, SortField, SortKind, SortValue};
use super::scope::{Scope, ScopedTable, Select};
use super::{OrderTerm, SortDirection};

const fn ascending<F>(field: F) -> OrderTerm<F> {
    OrderTerm {
        field,
        direction: SortDirection::Ascending,
    }
}

/// Rows placed at any of `institutions` by any of `columns`.
fn at_institutions(columns: &[&'static str], institutions: &[Uuid]) -> Predicate {
    let ids: Vec<Scalar> = institutions.iter().copied().map(Scalar::Uuid).collect();
    Predicate::Any(
        columns
            .iter()
            .map(|name| Predicate::Column {
                column: name,
                text: TextMatch::Exact,
                test: Test::In(ids.clone()),
            })
            .collect(),
    )
}

/// People with an appointment at any of `institutions`.
fn appointed_at(institutions: &[Uuid]) -> Predicate {
    Predicate::Children {
        table: <Appointments as Kind>::TABLE,
        column: "person_id",
        quantifier: Quantifier::Some,
        predicate: Box::new(at_institutions(&["institution_id"], institutions)),
    }
}

/// Where a list's records are placed at an institution, as the catalog says.
macro_rules! institution_placement {
    ($model:ty, $institutions:expr, columns $($column:ident),+) => {{
        // Each column is a field of the row (checked when compiled).
        let _columns = |row: &$model| {
            $(let _ = &row.$column;)+
        };
        at_institutions(&[$(stringify!($column)),+], $institutions)
    }};
    ($model:ty, $institutions:expr, appointed) => {
        appointed_at($institutions)
    };
}

/// Checks, when compiled, that a filter field's column is a field of the row; the children of
/// a `many` field are checked where their filter is written.
macro_rules! filter_column {
    ($row:ident, many $column:ident) => {};
    ($row:ident, $shape:ident $column:ident) => {
        let _ = &$row.$column;
    };
}

/// What a sort field's kind of column reads as in a cursor (`Opt…`: a nullable column).
macro_rules! sort_value {
    (Text, $value:expr) => {
        SortValue::Text($value.clone())
    };
    (Enum, $value:expr) => {
        SortValue::Text($value.to_value())
    };
    (Int, $value:expr) => {
        SortValue::Int($value.into())
    };
    (OptText, $value:expr) => {
        $value
            .as_ref()
            .map_or(SortValue::Null, |v| SortValue::Text(v.clone()))
    };
    (OptEnum, $value:expr) => {
        $value
            .as_ref()
            .map_or(SortValue::Null, |v| SortValue::Text(v.to_value()))
    };
    (OptInt, $value:expr) => {
        $value.map_or(SortValue::Null, |v| SortValue::Int(v.into()))
    };
    (OptReal, $value:expr) => {
        $value
            .and_then(Real::new)
            .map_or(SortValue::Null, SortValue::Real)
    };
    (OptDate, $value:expr) => {
        $value.map_or(SortValue::Null, SortValue::Date)
    };
}

/// A sort field's value read from the row itself, or, for a referenced record's column (read
/// with the rows, not from them), nothing here.
macro_rules! row_sort_value {
    ($row:ident, $kind:ident, $column:ident) => {
        sort_value!($kind, $row.$column)
    };
    ($row:ident, $kind:ident, $column:ident, $fk:ident $table:ident) => {{
        // The reference is a column of the row, the key one of the referenced row's.
        let _ = &$row.$fk;
        let _ = |target: &entities::$table::Model| {
            let _ = &target.$column;
        };
        SortValue::Null
    }};
}

/// The reference a sort field is read through, if any.
macro_rules! sort_reference {
    ($column:ident) => {
        None
    };
    ($column:ident, $fk:ident $table:ident) => {
        Some(Reference {
            column: stringify!($fk),
            table: stringify!($table),
            target: stringify!($column),
        })
    };
}

/// The kind of value a sort field's column holds, and whether it may be null.
macro_rules! sort_kind {
    (Text) => {
        (SortKind::Text, false)
    };
    (Enum) => {
        (SortKind::Text, false)
    };
    (Int) => {
        (SortKind::Int, false)
    };
    (OptText) => {
        (SortKind::Text, true)
    };
    (OptEnum) => {
        (SortKind::Text, true)
    };
    (OptInt) => {
        (SortKind::Int, true)
    };
    (OptReal) => {
        (SortKind::Real, true)
    };
    (OptDate) => {
        (SortKind::Date, true)
    };
}

/// Each list of the catalog: its filter, its condition, its sort fields, its default order and
/// its text columns kept folded (`text_key`).
macro_rules! lists {
    ($($kind:ident: $list:ident $noun:literal {
        filter $filter:ident, $many:ident {
            $(#[doc = $institution_doc:literal])*
            institution ($($placed:tt)+);
            $($(#[doc = $field_doc:literal])* $field:ident: $shape:ident $column:ident $($target:ident)?;)*
        }
        order $order:ident, $order_field:ident, $sort:ident default $default:ident {
            $($(#[doc = $sort_doc:literal])* $variant:ident: $label:literal, $sort_column:ident, $sort_kind:ident $(via $fk:ident $ref_table:ident)?;)+
        }
    })*) => {$(
        #[doc = concat!("Which ", $noun, " to list: those of some institutions (only the sources holding them are asked), and those matching a predicate.")]
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
        pub struct $filter {
            $(#[doc = $institution_doc])*
            pub institutions: Option<Vec<Uuid>>,
            /// The rows' other tests, on this table's columns.
            pub predicate: Predicate,
            /// Whether `predicate` holds the institutions' placement already (a filter whose
            /// relations were resolved across sources): `institutions` then only choose the
            /// sources asked.
            pub resolved: bool,
        }

        #[doc = concat!("What ", $noun, " can be ordered by.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $sort {
            $($(#[doc = $sort_doc])* $variant,)+
        }

        impl SortField for $sort {
            type Model = <$list as Kind>::Model;

            fn name(self) -> &'static str {
                match self { $($sort::$variant => $label,)+ }
            }

            fn column(self) -> &'static str {
                match self { $($sort::$variant => stringify!($sort_column),)+ }
            }

            fn kind(self) -> SortKind {
                match self { $($sort::$variant => sort_kind!($sort_kind).0,)+ }
            }

            fn nullable(self) -> bool {
                match self { $($sort::$variant => sort_kind!($sort_kind).1,)+ }
            }

            fn value(self, row: &Self::Model) -> SortValue {
                match self { $($sort::$variant => row_sort_value!(row, $sort_kind, $sort_column $(, $fk $ref_table)?),)+ }
            }

            fn reference(self) -> Option<Reference> {
                match self { $($sort::$variant => sort_reference!($sort_column $(, $fk $ref_table)?),)+ }
            }
        }

        impl super::text_key::FoldedText for $list {
            fn columns() -> Vec<&'static str> {
                [$(super::text_key::folded_column!($shape $column)),*].into_iter().flatten().collect()
            }

            fn texts(row: &Self::Model) -> Vec<(&'static str, &str)> {
                // A kind without text columns reads nothing of its rows.
                let _ = row;
                [$(super::text_key::folded_text!(row, $shape $column)),*].into_iter().flatten().collect()
            }
        }

        impl Listable for $list {
            type Filter = $filter;
            type Field = $sort;
            const DEFAULT_ORDER: &'static [OrderTerm<$sort>] = &[ascending($sort::$default)];

            fn condition(table: &ScopedTable<'_>, filter: &$filter) -> Condition {
                // Each column the filter names is a field of the row (checked when compiled).
                let _columns = |_row: &Self::Model| {
                    $(filter_column!(_row, $shape $column);)*
                };
                let placed = match &filter.institutions {
                    Some(ids) if !filter.resolved => Self::placed_at(ids).condition(table),
                    _ => Condition::all(),
                };
                // Both hold: `placed` may itself be an `any`, which `add` would extend.
                Condition::all()
                    .add(placed)
                    .add(filter.predicate.condition(table))
            }

            fn placed_at(institutions: &[Uuid]) -> Predicate {
                institution_placement!(Self::Model, institutions, $($placed)+)
            }

            fn institutions(filter: &$filter) -> Option<Vec<Uuid>> {
                // A joint unit is placed at its partner institution too, though its owner's
                // source holds it: only a test of the owner column narrows the sources.
                let owned = owners(&Self::whole_predicate(filter), Self::OWNER?)?;
                Some(owned.into_iter().collect())
            }

            fn whole_predicate(filter: &$filter) -> Predicate {
                match &filter.institutions {
                    Some(ids) if !filter.resolved => Predicate::All(vec![
                        Self::placed_at(ids),
                        filter.predicate.clone(),
                    ]),
                    _ => filter.predicate.clone(),
                }
            }

            fn with_predicate(filter: &$filter, predicate: Predicate) -> $filter {
                $filter {
                    institutions: filter.institutions.clone(),
                    predicate,
                    resolved: true,
                }
            }
        }
    )*};
}

crate::catalog::for_each_list!(lists);

/// How a relation's children are limited to their parents, as the catalog declares it.
macro_rules! relation_scope {
    ($select:expr, $scope:expr, $parents:expr, $child:ty, column $column:ident) => {{
        // A child names its parent itself: no other table is read.
        let _ = $scope;
        scope_by_column($select, <$child as Kind>::TABLE, stringify!($column), $parents)
    }};
    ($select:expr, $scope:expr, $parents:expr, $child:ty, columns $($column:ident),+ of $parent:ident) => {
        scope_by_any_column(
            $select,
            $scope,
            <$child as Kind>::TABLE,
            &[$(stringify!($column)),+],
            stringify!($parent),
            $parents,
        )
    };
    ($select:expr, $scope:expr, $parents:expr, $child:ty, appointed $column:ident) => {
        scope_by_appointment($select, $scope, stringify!($column), $parents)
    };
}

/// The row type whose columns a relation names: the appointment for people placed by their
/// appointments, else the child's.
macro_rules! relation_row {
    ($child:ty, appointed $($rest:tt)*) => {
        appointment::Model
    };
    ($child:ty, $($rest:tt)*) => {
        <$child as Kind>::Model
    };
}

/// The columns a relation names (checked against its row type when compiled).
macro_rules! relation_columns {
    ($row:ident, $kind:ident $($column:ident),+ $(of $parent:ident)?) => {
        $(let _ = &$row.$column;)+
    };
}

/// Whether a relation's parent is its children's owner: children placed by the owner column.
macro_rules! owned_by_parent {
    (column institution_id) => {
        true
    };
    (appointed institution_id) => {
        true
    };
    ($($how:tt)+) => {
        false
    };
}

/// Each relation of the catalog.
macro_rules! relations {
    ($($(#[doc = $doc:literal])* $name:ident: $child:ident ($($how:tt)+);)*) => {$(
        $(#[doc = $doc])*
        pub struct $name;

        const _: () = {
            let _columns = |row: &relation_row!($child, $($how)+)| {
                relation_columns!(row, $($how)+);
            };
        };

        impl Relation for $name {
            type Child = $child;
            const NAME: &'static str = stringify!($name);
            const OWNED_BY_PARENT: bool = owned_by_parent!($($how)+);

            fn scope(select: &mut Select, scope: &Scope, parents: &Parents<'_>) -> Expr {
                relation_scope!(select, scope, parents, $child, $($how)+)
            }
        }
    )*};
}

crate::catalog::for_each_relation!(relations);

/// Children placed under a parent (a row of `parent_table`) by any of `columns`: a joint
/// unit belongs to two institutions, so it is joined once for each of them. The parent is
/// joined through the scope: the children of a parent the caller may not read are not
/// listed.
fn scope_by_any_column(
    select: &mut Select,
    scope: &Scope,
    table: &'static str,
    columns: &[&'static str],
    parent_table: &'static str,
    parents: &Parents<'_>,
) -> Expr {
    let parent = scope.named_as(parent_table, "parent_of");
    let parent_id = parent.column("id");
    let on = columns.iter().fold(Condition::any(), |any, name| {
        any.add(column(table, name).eq(parent_id.clone()))
    });
    // The parent table's columns are never read: the join repeats each row once per parent
    // it names (that the caller may read).
    select.inner_join(&parent, on);
    select.and_where(parents.contain(parent_id.clone()));
    parent_id
}

/// People with an appointment whose `column` is one of the parents. The appointments are
/// read through the scope: an appointment the caller may not read places no one.
fn scope_by_appointment(
    select: &mut Select,
    scope: &Scope,
    column: &'static str,
    parents: &Parents<'_>,
) -> Expr {
    let placed = Alias::new("appointed");
    let mut appointed = Select::from(&scope.table::<Appointments>());
    appointed
        .distinct()
        .expr_as(Expr::col(Alias::new(column)), Alias::new("parent"))
        .column(Alias::new("person_id"))
        .and_where(parents.contain(Expr::col(Alias::new(column))));
    select.join_select(
        JoinType::InnerJoin,
        appointed,
        "appointed",
        Condition::all().add(
            Expr::col((placed.clone(), Alias::new("person_id")))
                .equals((Alias::new("person"), Alias::new("id"))),
        ),
    );
    Expr::col((placed, Alias::new("parent")))
}

/// Which institutions to list: all of them (a short list, read whole).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InstitutionFilter;

/// What institutions are ordered by: their code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstitutionField {
    Code,
}

impl SortField for InstitutionField {
    type Model = institution::Model;

    fn name(self) -> &'static str {
        "CODE"
    }

    fn column(self) -> &'static str {
        "code"
    }

    fn kind(self) -> SortKind {
        SortKind::Text
    }

    fn nullable(self) -> bool {
        false
    }

    fn value(self, row: &institution::Model) -> SortValue {
        SortValue::Text(row.code.clone())
    }
}

impl Listable for Institutions {
    type Filter = InstitutionFilter;
    type Field = InstitutionField;
    const DEFAULT_ORDER: &'static [OrderTerm<InstitutionField>] =
        &[ascending(InstitutionField::Code)];

    fn condition(_table: &ScopedTable<'_>, _filter: &InstitutionFilter) -> Condition {
        Condition::all()
    }

    fn placed_at(institutions: &[Uuid]) -> Predicate {
        at_institutions(&["id"], institutions)
    }

    fn institutions(_filter: &InstitutionFilter) -> Option<Vec<Uuid>> {
        None
    }

    fn whole_predicate(_filter: &InstitutionFilter) -> Predicate {
        Predicate::True
    }

    fn with_predicate(_filter: &InstitutionFilter, _predicate: Predicate) -> InstitutionFilter {
        InstitutionFilter
    }
}

// The catalog's tables (`Units` …), each named in its catalog row.
pub use crate::catalog::tables::*;

/// Whether every source keeps every row of `table` (see [`Kind::SHARED`]).
pub(crate) fn is_shared_table(table: &str) -> bool {
    KindId::of_table(table).is_some_and(KindId::is_shared)
}
