//! Rows decoded by position: each table's columns are read in the order its statements select
//! them (the entity's column order), straight from the driver's row.
//!
//! SeaORM's `FromQueryResult` finds every column by name, formats `{prefix}{column}` for each
//! column of a joined table, and formats an error for every NULL it reads into an `Option`;
//! the profile of a 100-row list put a quarter of the server's time there. Here a column is an
//! index, a NULL is `None`, and only a real failure builds a message. `tests` below checks
//! each table's list against its entity, so a column added to one and not the other fails.

use std::sync::Arc;

use entities::enums::{
    AccreditationScheme, AppointmentRole, AtmpClass, CleanroomRegime, CleanroomStatus, GmpGrade,
    InstitutionKind, ProductStage, Provenance, TrialPhase, TrialStatus, UnitKind, Visibility,
};
use sea_orm::sqlx::{self, postgres::Postgres, sqlite::Sqlite, Row as _};
use sea_orm::{ActiveEnum, DbErr, QueryResult};
use uuid::Uuid;

/// A value read from the column at one position of a result row.
pub(crate) trait FromColumn: Sized {
    fn from_column(row: &QueryResult, index: usize) -> Result<Self, DbErr>;
    /// The filler a model holds for a column its statement did not select (a plan selects
    /// only the columns its fields read): its [`Row`] says the column was not read, so no
    /// answer shows it.
    fn unread() -> Result<Self, DbErr>;
}

fn decoding_failed(index: usize, error: sqlx::Error) -> DbErr {
    DbErr::Type(format!("column {index}: {error}"))
}

/// Decodes with the driver's own decoder for the row's backend, as SeaORM does.
fn decode<T>(row: &QueryResult, index: usize) -> Result<T, DbErr>
where
    T: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    T: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    if let Some(row) = row.try_as_pg_row() {
        return row
            .try_get::<T, usize>(index)
            .map_err(|error| decoding_failed(index, error));
    }
    if let Some(row) = row.try_as_sqlite_row() {
        return row
            .try_get::<T, usize>(index)
            .map_err(|error| decoding_failed(index, error));
    }
    Err(DbErr::Type(
        "rows are decoded from PostgreSQL and SQLite only".to_owned(),
    ))
}

macro_rules! from_driver {
    ($($type:ty),* $(,)?) => {$(
        impl FromColumn for $type {
            fn from_column(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                decode(row, index)
            }

            fn unread() -> Result<Self, DbErr> {
                Ok(<$type>::default())
            }
        }

        impl FromColumn for Option<$type> {
            fn from_column(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                decode(row, index)
            }

            fn unread() -> Result<Self, DbErr> {
                Ok(None)
            }
        }
    )*};
}

from_driver!(Uuid, String, i32, f64, bool, chrono::NaiveDate);

/// A closed vocabulary, stored as its text.
macro_rules! from_text {
    ($($type:ty),* $(,)?) => {$(
        impl FromColumn for $type {
            fn from_column(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                <$type as ActiveEnum>::try_from_value(&decode::<String>(row, index)?)
            }

            fn unread() -> Result<Self, DbErr> {
                <$type as sea_orm::Iterable>::iter().next().ok_or_else(|| {
                    DbErr::Type(concat!(stringify!($type), " has no value").to_owned())
                })
            }
        }

        impl FromColumn for Option<$type> {
            fn from_column(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                decode::<Option<String>>(row, index)?
                    .map(|text| <$type as ActiveEnum>::try_from_value(&text))
                    .transpose()
            }

            fn unread() -> Result<Self, DbErr> {
                Ok(None)
            }
        }
    )*};
}

from_text!(
    AccreditationScheme,
    AppointmentRole,
    AtmpClass,
    CleanroomRegime,
    CleanroomStatus,
    GmpGrade,
    InstitutionKind,
    ProductStage,
    Provenance,
    TrialPhase,
    TrialStatus,
    UnitKind,
    Visibility,
);

/// Which of a table's columns a statement selects: bit `i` for the table's column `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Columns(u64);

impl Columns {
    /// The ID alone: every statement selects it.
    pub const fn id() -> Self {
        Columns(1)
    }

    /// Every column of `M`.
    pub fn all<M: Positional>() -> Self {
        let unused = 64 - M::COLUMNS.len().min(64);
        Columns(u64::MAX.checked_shr(unused as u32).unwrap_or(0))
    }

    /// The columns of `M` with these names, and `id`; `None` when a name is no column of `M`
    /// (never a set that silently lacks it). Written with `columns!`, a name that is no
    /// column does not compile.
    pub const fn named<M: Positional>(names: &[&str]) -> Option<Self> {
        let mut columns = 1u64;
        let mut next = 0;
        while next < names.len() {
            match index_of(M::COLUMNS, names[next]) {
                Some(index) if index < 64 => columns |= 1u64 << index,
                _ => return None,
            }
            next += 1;
        }
        Some(Columns(columns))
    }

    /// These columns and those of `other`.
    pub fn and(self, other: Columns) -> Self {
        Columns(self.0 | other.0)
    }

    /// These columns but those of `other`, and `id` always.
    pub fn without(self, other: Columns) -> Self {
        Columns((self.0 & !other.0) | 1)
    }

    /// Whether these columns are all of `other`'s, and more.
    pub fn contain(self, other: Columns) -> bool {
        other.0 & !self.0 == 0
    }

    pub(crate) fn has(self, index: usize) -> bool {
        u32::try_from(index)
            .ok()
            .and_then(|index| 1u64.checked_shl(index))
            .is_some_and(|bit| self.0 & bit != 0)
    }

    /// The names of these columns of `M`, in the table's order.
    pub fn names<M: Positional>(self) -> impl Iterator<Item = &'static str> {
        M::COLUMNS
            .iter()
            .enumerate()
            .filter(move |(index, _)| self.has(*index))
            .map(|(_, name)| *name)
    }
}

/// The position of the column named `name` among `columns`.
const fn index_of(columns: &[&str], name: &str) -> Option<usize> {
    let mut index = 0;
    while index < columns.len() {
        if same(columns[index], name) {
            return Some(index);
        }
        index += 1;
    }
    None
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut at = 0;
    while at < a.len() {
        if a[at] != b[at] {
            return false;
        }
        at += 1;
    }
    true
}

/// The [`Columns`] of a row type with these names, and `id`, computed when compiled: a name
/// that is no column of the row does not compile. `columns!(unit::Model: name, short_name)`.
macro_rules! columns {
    ($model:ty: $($name:ident),* $(,)?) => {
        const {
            match $crate::store::Columns::named::<$model>(&[$(stringify!($name)),*]) {
                Some(columns) => columns,
                None => panic!(concat!(
                    "one of `", $(stringify!($name), " ",)* "` is no column of `",
                    stringify!($model), "`"
                )),
            }
        }
    };
}

pub(crate) use columns;

/// A row as its statement read it: the model, and which of its columns the statement selected.
/// Only those hold the row's values; the model's other fields hold fillers
/// (`FromColumn::unread`) that nothing may show: each field answered from a row first checks
/// that the row has every column the field reads ([`Row::has`]), and is `null` with an error
/// where it does not. Cheap to clone (the model is shared); derefs to the model, so that its
/// fields read as the model's.
pub struct Row<M> {
    model: Arc<M>,
    columns: Columns,
}

impl<M> Row<M> {
    /// A row of which `columns` were read.
    pub fn new(model: M, columns: Columns) -> Self {
        Row {
            model: Arc::new(model),
            columns,
        }
    }

    /// The columns read.
    pub fn columns(&self) -> Columns {
        self.columns
    }

    /// Whether every one of `columns` was read.
    pub fn has(&self, columns: Columns) -> bool {
        self.columns.contain(columns)
    }

    /// The model, whichever of its columns were read.
    pub fn into_model(self) -> M
    where
        M: Clone,
    {
        Arc::unwrap_or_clone(self.model)
    }
}

impl<M: Positional> Row<M> {
    /// A row with every column read (one built whole, such as a test's).
    pub fn whole(model: M) -> Self {
        Row::new(model, Columns::all::<M>())
    }
}

impl<M> Clone for Row<M> {
    fn clone(&self) -> Self {
        Row {
            model: Arc::clone(&self.model),
            columns: self.columns,
        }
    }
}

impl<M> std::ops::Deref for Row<M> {
    type Target = M;

    fn deref(&self) -> &M {
        &self.model
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for Row<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("columns", &self.columns)
            .field("model", &self.model)
            .finish()
    }
}

impl<M: PartialEq> PartialEq for Row<M> {
    fn eq(&self, other: &Self) -> bool {
        self.columns == other.columns && self.model == other.model
    }
}

/// A row of a table, decoded from its columns in the entity's order.
pub trait Positional: Sized {
    /// The columns, in the order they are selected and decoded; `id` first.
    const COLUMNS: &'static [&'static str];
    /// The row whose first selected column is at `first`, the statement selecting `columns`
    /// of the table in their order; the others hold `FromColumn::unread` fillers, which
    /// only a [`Row`] that says so may carry (see [`Positional::read`]).
    fn decode(row: &QueryResult, first: usize, columns: Columns) -> Result<Self, DbErr>;

    /// The row whose first selected column is at `first`, with the columns read.
    fn read(row: &QueryResult, first: usize, columns: Columns) -> Result<Row<Self>, DbErr> {
        Ok(Row::new(Self::decode(row, first, columns)?, columns))
    }
}

/// `impl Positional` for each model, from its columns in the entity's order: expanded by the
/// catalog, once, with every kind's columns (`catalog::kinds`).
macro_rules! positional {
    ($($model:path { $($field:ident),+ $(,)? })+) => {$(
        impl $crate::store::Positional for $model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn decode(
                row: &sea_orm::QueryResult,
                first: usize,
                columns: $crate::store::Columns,
            ) -> Result<Self, sea_orm::DbErr> {
                use $crate::store::FromColumn;
                let mut index = 0;
                let mut next = first;
                let mut column = || {
                    let selected = columns.has(index);
                    index += 1;
                    selected.then(|| {
                        next += 1;
                        next - 1
                    })
                };
                // A struct expression evaluates its fields in the order written.
                Ok(Self {
                    $($field: match column() {
                        Some(at) => FromColumn::from_column(row, at)?,
                        None => FromColumn::unread()?,
                    }),+
                })
            }
        }
    )+};
}

pub(crate) use positional;

/// The position of the column named `name` in `row`.
pub(crate) fn position(row: &QueryResult, name: &str) -> Result<usize, DbErr> {
    let missing = || DbErr::Type(format!("the statement selects no column `{name}`"));
    if let Some(row) = row.try_as_pg_row() {
        return sqlx::Row::try_column(row, name)
            .map(sqlx::Column::ordinal)
            .map_err(|_| missing());
    }
    if let Some(row) = row.try_as_sqlite_row() {
        return sqlx::Row::try_column(row, name)
            .map(sqlx::Column::ordinal)
            .map_err(|_| missing());
    }
    Err(missing())
}

/// A cleanroom of grade B, every column of it with a value (a test's row).
#[cfg(test)]
pub(crate) fn a_cleanroom() -> entities::cleanroom::Model {
    entities::cleanroom::Model {
        id: Uuid::from_u128(1),
        institution_id: Uuid::from_u128(2),
        unit_id: Uuid::from_u128(3),
        code: "B-101".to_owned(),
        name: Some("Clean corridor".to_owned()),
        regime: CleanroomRegime::Gmp,
        grade: Some(GmpGrade::B),
        status: Some(CleanroomStatus::Qualified),
        area_m2: Some(12.5),
        qualified_on: chrono::NaiveDate::from_ymd_opt(2024, 3, 1),
        intended_use: Some("Aseptic filling".to_owned()),
        provenance: Provenance::Document,
        sample_fields: String::new(),
        visibility: Visibility::Public,
        partner_of: None,
        internal_of: None,
        version: 1,
    }
}

#[cfg(test)]
mod tests {
    use entities::cleanroom;

    use super::*;

    #[test]
    fn a_column_set_names_its_columns_in_the_tables_order_with_the_id() {
        let columns = columns!(cleanroom::Model: grade, code);

        let names: Vec<&str> = columns.names::<cleanroom::Model>().collect();

        assert_eq!(names, ["id", "code", "grade"]);
        assert_eq!(
            Columns::all::<cleanroom::Model>()
                .names::<cleanroom::Model>()
                .count(),
            17
        );
        assert_eq!(
            columns
                .and(columns!(cleanroom::Model: unit_id))
                .names::<cleanroom::Model>()
                .collect::<Vec<_>>(),
            ["id", "unit_id", "code", "grade"]
        );
    }

    #[test]
    fn a_name_that_is_no_column_makes_no_column_set() {
        assert_eq!(
            Columns::named::<cleanroom::Model>(&["grade", "no_such_column"]),
            None
        );
        assert_eq!(Columns::named::<cleanroom::Model>(&["Grade"]), None);
        assert_eq!(
            Columns::named::<cleanroom::Model>(&["grade"]),
            Some(columns!(cleanroom::Model: grade))
        );
    }

    #[test]
    fn every_personal_column_is_a_column_of_the_people() {
        for &name in crate::catalog::KindId::Person.personal() {
            assert!(
                Columns::named::<entities::person::Model>(&[name]).is_some(),
                "{name}"
            );
        }
    }

    #[test]
    fn a_row_has_the_columns_its_statement_read_and_no_other() {
        let read = columns!(cleanroom::Model: code, unit_id);
        let row = Row::new(a_cleanroom(), read);

        assert!(row.has(columns!(cleanroom::Model: code)));
        assert!(row.has(columns!(cleanroom::Model: code, unit_id)));
        assert!(row.has(Columns::id()));
        assert!(!row.has(columns!(cleanroom::Model: grade)));
        assert!(!row.has(columns!(cleanroom::Model: code, grade)));
        assert!(Row::whole(a_cleanroom()).has(Columns::all::<cleanroom::Model>()));
    }
}
