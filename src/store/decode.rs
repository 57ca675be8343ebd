//! Rows decoded by position: each table's columns are read in the order its statements select
//! them (the entity's column order), straight from the driver's row.
//!
//! SeaORM's `FromQueryResult` finds every column by name, formats `{prefix}{column}` for each
//! column of a joined table, and formats an error for every NULL it reads into an `Option`;
//! the profile of a 100-row list put a quarter of the server's time there. Here a column is an
//! index, a NULL is `None`, and only a real failure builds a message. `tests` below checks
//! each table's list against its entity, so a column added to one and not the other fails.

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
    /// The value a row holds for a column its statement did not select: a plan selects only
    /// the columns its fields read, so no answer shows it.
    fn absent() -> Result<Self, DbErr>;
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

            fn absent() -> Result<Self, DbErr> {
                Ok(<$type>::default())
            }
        }

        impl FromColumn for Option<$type> {
            fn from_column(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                decode(row, index)
            }

            fn absent() -> Result<Self, DbErr> {
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

            fn absent() -> Result<Self, DbErr> {
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

            fn absent() -> Result<Self, DbErr> {
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
    /// Every column of `M`.
    pub fn all<M: Positional>() -> Self {
        let unused = 64 - M::COLUMNS.len().min(64);
        Columns(u64::MAX.checked_shr(unused as u32).unwrap_or(0))
    }

    /// The columns of `M` with these names (a name `M` lacks adds nothing), and `id`.
    pub fn of<M: Positional>(names: &[&str]) -> Self {
        let mut columns = Columns(1);
        for (index, column) in M::COLUMNS.iter().enumerate() {
            if names.contains(column) {
                columns.0 |= 1u64.checked_shl(index as u32).unwrap_or(0);
            }
        }
        columns
    }

    /// These columns and those of `other`.
    pub fn and(self, other: Columns) -> Self {
        Columns(self.0 | other.0)
    }

    /// These columns but those of `other`, and `id` always.
    pub fn without(self, other: Columns) -> Self {
        Columns((self.0 & !other.0) | 1)
    }

    fn has(self, index: usize) -> bool {
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

/// A row of a table, decoded from its columns in the entity's order.
pub trait Positional: Sized {
    /// The columns, in the order they are selected and decoded; `id` first.
    const COLUMNS: &'static [&'static str];
    /// The row whose first selected column is at `first`, the statement selecting `columns`
    /// of the table in their order; the others hold [`FromColumn::absent`] values.
    fn decode(row: &QueryResult, first: usize, columns: Columns) -> Result<Self, DbErr>;
}

macro_rules! positional {
    ($($model:path { $($field:ident),+ $(,)? })+) => {$(
        impl Positional for $model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn decode(row: &QueryResult, first: usize, columns: Columns) -> Result<Self, DbErr> {
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
                        None => FromColumn::absent()?,
                    }),+
                })
            }
        }
    )+};
}

macro_rules! positional_kinds {
    ($($kind:ident: $module:ident, $table:ident, $key:ident, $plural:ident, $owner:ident, $access:ident { $($column:ident),* };)*) => {
        positional! {
            $(entities::$module::Model { $($column),* })*
        }

        /// Every kind of the catalog decodes its entity's columns, in the entity's order.
        #[cfg(test)]
        fn assert_every_kind_decodes_its_entity(check: &mut dyn FnMut(&str, Vec<&str>, &[&str])) {
            use sea_orm::{EntityName, EntityTrait, IdenStatic, Iterable};
            $(
                check(
                    entities::$module::Entity.table_name(),
                    <entities::$module::Entity as EntityTrait>::Column::iter()
                        .map(|column| column.as_str())
                        .collect(),
                    <entities::$module::Model as Positional>::COLUMNS,
                );
            )*
        }
    };
}

crate::catalog::for_each_kind!(positional_kinds);

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

#[cfg(test)]
mod tests {
    use entities::cleanroom;

    use super::*;

    #[test]
    fn every_table_decodes_its_entitys_columns_in_their_order() {
        let mut tables = Vec::new();
        assert_every_kind_decodes_its_entity(&mut |table, entity, decoded| {
            assert_eq!(entity, decoded, "{table}");
            assert_eq!(decoded.first(), Some(&"id"), "{table}");
            tables.push(table.to_owned());
        });
        assert_eq!(tables.len(), 9, "{tables:?}");
    }

    #[test]
    fn a_column_set_names_its_columns_in_the_tables_order_with_the_id() {
        let columns = Columns::of::<cleanroom::Model>(&["grade", "code", "no_such_column"]);

        let names: Vec<&str> = columns.names::<cleanroom::Model>().collect();

        assert_eq!(names, ["id", "code", "grade"]);
        assert_eq!(
            Columns::all::<cleanroom::Model>()
                .names::<cleanroom::Model>()
                .count(),
            16
        );
        assert_eq!(
            columns
                .and(Columns::of::<cleanroom::Model>(&["unit_id"]))
                .names::<cleanroom::Model>()
                .collect::<Vec<_>>(),
            ["id", "unit_id", "code", "grade"]
        );
    }
}
