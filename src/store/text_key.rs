//! The folded keys of the text columns that filters match with `contains` and `startsWith`
//! (a unit's city, an appointment's area, a cleanroom's code, …): table `text_key`, one row per
//! record and column holding text, written with the record in the same transaction.
//!
//! A key is the column's text folded by [`fold`], the function that folds the text a filter
//! asks for, so both sides of a match are folded by one function, identically on SQLite and
//! PostgreSQL, whatever the characters (SQL's `LOWER` folds only ASCII on SQLite, and neither
//! engine transliterates `ø` or an en dash). A part of a text folds to a part of its key, so
//! every part of a text finds it. The fields folded in every test (the name or title a record
//! is listed by) have key columns of their own (`name_key`, `title_key`), not repeated here.

use sea_orm::sea_query::{Alias, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use super::list::{column, Kind};
use super::{Institutions, StoreError};
use crate::domain::fold;

/// The table of keys.
pub(super) const TABLE: &str = "text_key";
/// Rows per statement, under SQLite's bound-parameter limit (three values a row).
const CHUNK: usize = 300;

/// A record kind whose text columns filters match folded, as the catalog declares them.
/// A list's text columns, from the catalog's `text` filter fields (written by the store's
/// `lists!`, in `domain.rs`).
pub(crate) trait FoldedText: Kind {
    /// The text columns matched folded.
    fn columns() -> Vec<&'static str>;
    /// The text of each such column of `row` that holds one.
    fn texts(row: &Self::Model) -> Vec<(&'static str, &str)>;
}

/// A column's text, whether the column may be null or not.
/// A column's text, where it holds one.
pub(super) trait Text {
    fn text(&self) -> Option<&str>;
}

impl Text for String {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl Text for Option<String> {
    fn text(&self) -> Option<&str> {
        self.as_deref()
    }
}

/// The name of a text column in `text_key`: its table and column, as `appointment.area`.
pub(super) fn field(table: &str, column: &str) -> String {
    format!("{table}.{column}")
}

/// The text of a filter field matched folded (`text c`) in `row`; nothing for any other shape.
macro_rules! folded_text {
    ($row:ident, text $column:ident) => {
        $crate::store::text_key::Text::text(&$row.$column).map(|text| (stringify!($column), text))
    };
    ($row:ident, $shape:ident $column:ident) => {
        None
    };
}

/// The name of a filter field's column matched folded (`text c`); nothing for any other shape.
macro_rules! folded_column {
    (text $column:ident) => {
        Some(stringify!($column))
    };
    ($shape:ident $column:ident) => {
        None
    };
}

pub(super) use {folded_column, folded_text};

impl FoldedText for Institutions {
    fn columns() -> Vec<&'static str> {
        Vec::new()
    }

    fn texts(_row: &Self::Model) -> Vec<(&'static str, &str)> {
        Vec::new()
    }
}

/// Replaces the text keys of `rows` (written in the same transaction).
pub(super) async fn index<K: FoldedText>(
    txn: &DatabaseTransaction,
    rows: &[K::Model],
) -> Result<(), StoreError> {
    if K::columns().is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(CHUNK) {
        let mut delete = Query::delete();
        delete
            .from_table(Alias::new(TABLE))
            .and_where(column(TABLE, "record_id").is_in(chunk.iter().map(K::id)));
        txn.execute(&delete).await?;
    }
    let keys: Vec<(uuid::Uuid, String, String)> = rows
        .iter()
        .flat_map(|row| {
            K::texts(row)
                .into_iter()
                .map(|(name, text)| (K::id(row), field(K::TABLE, name), fold(text)))
        })
        .collect();
    for chunk in keys.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(TABLE))
            .columns(["record_id", "field", "folded"].map(Alias::new));
        for (id, field, folded) in chunk {
            insert
                .values([(*id).into(), field.clone().into(), folded.clone().into()])
                .map_err(|error| StoreError::Db(sea_orm::DbErr::Custom(error.to_string())))?;
        }
        txn.execute(&insert).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Appointments, Cleanrooms, People, Units};
    use super::*;

    #[test]
    fn the_columns_kept_folded_are_the_catalogs_text_fields() {
        assert_eq!(Units::columns(), ["short_name", "campus", "city"]);
        assert_eq!(People::columns(), ["given_name", "family_name", "orcid"]);
        assert_eq!(Appointments::columns(), ["title", "area"]);
        assert_eq!(Cleanrooms::columns(), ["code", "name", "intended_use"]);
        assert!(Institutions::columns().is_empty());
    }
}
