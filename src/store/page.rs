//! Keyset pagination: page requests, orderings, opaque cursors and the pages they select.
//!
//! A cursor holds the sort-key values of a row (the primary key last) and the list, ordering
//! and filter it was made for, so the next page starts with a `WHERE (key) > (cursor)`
//! condition that an index serves: page 500 costs what page 1 does, and rows inserted
//! meanwhile shift nothing. A cursor passed to another list, ordering or filter is refused.
//! Clients see cursors only sealed for their caller ([`super::seal`]).

// Cursors come back from clients: no index or slice that could panic on them compiles.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use std::cmp::Ordering;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::decode::Row;
use super::filter::Real;
use super::list::{Kind, Relation};
use super::seal::CursorSeal;
use super::{StoreError, Unanswered};

/// Which way an ordering term sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortDirection {
    Ascending,
    Descending,
}

impl SortDirection {
    pub(crate) fn reversed(self) -> Self {
        match self {
            SortDirection::Ascending => SortDirection::Descending,
            SortDirection::Descending => SortDirection::Ascending,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            SortDirection::Ascending => "ASC",
            SortDirection::Descending => "DESC",
        }
    }
}

/// One term of an ordering: a sortable field of the listed type, and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderTerm<F> {
    pub field: F,
    pub direction: SortDirection,
}

/// Which slice of a list to return: `first` rows after a cursor, or `last` rows before one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub limit: u64,
    pub backward: bool,
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// The first `limit` rows.
    pub fn first(limit: u64) -> Self {
        PageRequest {
            limit,
            backward: false,
            cursor: None,
        }
    }
}

/// A value of a sort key, as kept in a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortValue {
    #[serde(rename = "i")]
    Int(i64),
    #[serde(rename = "t")]
    Text(String),
    #[serde(rename = "u")]
    Uuid(Uuid),
    #[serde(rename = "r")]
    Real(Real),
    #[serde(rename = "d")]
    Date(chrono::NaiveDate),
    /// A missing value of a nullable key: it sorts after every value, on both engines.
    #[serde(rename = "n")]
    Null,
}

/// The kind of value a sort field holds, to check cursors before they reach SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    Int,
    Text,
    Real,
    Date,
}

impl SortValue {
    fn is(&self, kind: SortKind, nullable: bool) -> bool {
        matches!(
            (self, kind),
            (SortValue::Int(_), SortKind::Int)
                | (SortValue::Text(_), SortKind::Text)
                | (SortValue::Real(_), SortKind::Real)
                | (SortValue::Date(_), SortKind::Date)
        ) || (nullable && *self == SortValue::Null)
    }

    /// Compares as both databases do: numbers by value, text and UUIDs byte by byte, dates
    /// by day, and a missing value after every value.
    pub(crate) fn compare(&self, other: &SortValue) -> Ordering {
        match (self, other) {
            (SortValue::Int(a), SortValue::Int(b)) => a.cmp(b),
            (SortValue::Text(a), SortValue::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (SortValue::Uuid(a), SortValue::Uuid(b)) => a.as_bytes().cmp(b.as_bytes()),
            (SortValue::Real(a), SortValue::Real(b)) => a.get().total_cmp(&b.get()),
            (SortValue::Date(a), SortValue::Date(b)) => a.cmp(b),
            // Values of one position always share a kind; order kinds arbitrarily but totally,
            // a missing value last.
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            SortValue::Int(_) => 0,
            SortValue::Text(_) => 1,
            SortValue::Uuid(_) => 2,
            SortValue::Real(_) => 3,
            SortValue::Date(_) => 4,
            SortValue::Null => 5,
        }
    }
}

/// The list a cursor is made for and may be used in: a kind's top-level list (`cleanrooms`),
/// or the lists of one relation (every unit's `cleanrooms`). The lists of one relation share
/// their cursors: a nested connection's `after` applies to each parent's page, and a cursor is
/// a position in the relation's ordering whichever parent's page it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListName(&'static str);

impl ListName {
    /// The top-level list of `L`.
    pub fn root<L: Kind>() -> Self {
        ListName(L::TABLE)
    }

    /// The lists of relation `R`, one per parent.
    pub fn relation<R: Relation>() -> Self {
        ListName(R::NAME)
    }

    /// The name of a list that is no record kind's nor relation's (search).
    pub(crate) const fn other(name: &'static str) -> Self {
        ListName(name)
    }

    /// The name cursors carry.
    pub(crate) fn name(self) -> &'static str {
        self.0
    }
}

/// A position in an ordered list, which clients see sealed ([`CursorSeal`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The list the cursor was made for ([`ListName`]).
    #[serde(rename = "l")]
    pub(crate) list: String,
    /// The ordering the cursor was made for, such as `NAME.ASC`.
    #[serde(rename = "o")]
    pub(crate) ordering: String,
    /// The fingerprint of the filter the cursor was made under ([`filter_fingerprint`]).
    #[serde(rename = "f")]
    pub(crate) filter: u64,
    /// The row's sort-key values, its ID last.
    #[serde(rename = "k")]
    pub(crate) keys: Vec<SortValue>,
}

/// The text naming an ordering inside its cursors.
pub(crate) fn ordering_signature<F: SortField>(order: &[OrderTerm<F>]) -> String {
    order
        .iter()
        .map(|term| format!("{}.{}", term.field.name(), term.direction.tag()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The fingerprint of a list's filter that its cursors carry, so that a cursor is used only
/// under the filter it was made for. Stable across restarts of the same build (a fixed seed).
pub(crate) fn filter_fingerprint<T: std::hash::Hash>(filter: &T) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x6375_7273_6f72).hash_one(filter)
}

/// A field a list can be ordered by.
pub trait SortField: Copy + std::fmt::Debug + Eq + std::hash::Hash + Send + Sync + 'static {
    /// The row type the field belongs to.
    type Model;
    /// The field's name in cursors.
    fn name(self) -> &'static str;
    /// The column it sorts by.
    fn column(self) -> &'static str;
    /// What kind of value the column holds.
    fn kind(self) -> SortKind;
    /// Whether the column may be null (a missing value sorts after every value).
    fn nullable(self) -> bool;
    /// Where the field is a referenced record's column (a cleanroom's unit's name): the
    /// reference, read in the same statement; `None` for a column of the row itself.
    fn reference(self) -> Option<Reference> {
        None
    }
    /// The row's value of the field.
    fn value(self, row: &Self::Model) -> SortValue;
}

/// A sort key read from a referenced record: column `target` of the row of `table` that the
/// listed row's `column` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reference {
    pub column: &'static str,
    pub table: &'static str,
    pub target: &'static str,
}

/// Checks that a cursor was made for `list`, so that it is not taken for a position in
/// another list.
pub(crate) fn check_list(cursor: &Cursor, list: ListName) -> Result<(), StoreError> {
    if cursor.list == list.name() {
        Ok(())
    } else {
        Err(StoreError::InvalidCursor(
            "the cursor was made for another list".to_owned(),
        ))
    }
}

/// Checks that a cursor was made for `list` in `order` under the filter of fingerprint
/// `filter`, and carries values of the right kinds.
pub(crate) fn check_cursor<F: SortField>(
    cursor: &Cursor,
    list: ListName,
    order: &[OrderTerm<F>],
    filter: u64,
) -> Result<(), StoreError> {
    check_list(cursor, list)?;
    if cursor.ordering != ordering_signature(order) {
        return Err(StoreError::InvalidCursor(
            "the cursor was made for another ordering of this list".to_owned(),
        ));
    }
    if cursor.filter != filter {
        return Err(StoreError::InvalidCursor(
            "the cursor was made for another filter of this list".to_owned(),
        ));
    }
    let kinds_match = cursor.keys.len() == order.len() + 1
        && order
            .iter()
            .zip(&cursor.keys)
            .all(|(term, value)| value.is(term.field.kind(), term.field.nullable()))
        && matches!(cursor.keys.last(), Some(SortValue::Uuid(_)));
    if kinds_match {
        Ok(())
    } else {
        Err(StoreError::InvalidCursor(
            "the cursor does not belong to this list".to_owned(),
        ))
    }
}

/// A page of rows with what lies beyond it.
#[derive(Clone)]
pub struct Page<M> {
    /// The rows in the requested order; shared, so handing a row to several resolvers
    /// copies a pointer, not the row.
    pub rows: Vec<Row<M>>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// The sources that may hold rows of the list and did not answer: when any, the page holds
    /// only the other sources' rows, and its place in the list and the list's length are
    /// unknown.
    pub missing: Vec<Unanswered>,
    /// Makes a row's cursor, for the rows whose cursor is asked for, and seals it for the
    /// caller.
    cursor_of: Option<(CursorOf<M>, CursorSeal)>,
}

/// How the cursor of a row of one page is made: from its sort keys and the page's ordering.
pub(crate) type CursorOf<M> = Arc<dyn Fn(&M) -> Cursor + Send + Sync>;

impl<M> Page<M> {
    pub(crate) fn new(
        rows: Vec<Row<M>>,
        has_next_page: bool,
        has_previous_page: bool,
        cursor_of: CursorOf<M>,
        seal: CursorSeal,
    ) -> Self {
        Page {
            rows,
            has_next_page,
            has_previous_page,
            missing: Vec::new(),
            cursor_of: Some((cursor_of, seal)),
        }
    }

    /// The sealed cursor of `row`, a row of this page.
    pub fn cursor(&self, row: &M) -> String {
        self.cursor_of
            .as_ref()
            .map(|(cursor_of, seal)| seal.seal(&cursor_of(row)))
            .unwrap_or_default()
    }

    /// The cursor of the page's first row, if any.
    pub fn start_cursor(&self) -> Option<String> {
        self.rows.first().map(|row| self.cursor(row))
    }

    /// The cursor of the page's last row, if any.
    pub fn end_cursor(&self) -> Option<String> {
        self.rows.last().map(|row| self.cursor(row))
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for Page<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("rows", &self.rows)
            .field("has_next_page", &self.has_next_page)
            .field("has_previous_page", &self.has_previous_page)
            .field("missing", &self.missing)
            .finish_non_exhaustive()
    }
}

impl<M> Default for Page<M> {
    fn default() -> Self {
        Page {
            rows: Vec::new(),
            has_next_page: false,
            has_previous_page: false,
            missing: Vec::new(),
            cursor_of: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_used_only_in_the_list_it_names() {
        let cursor = |list: &str| Cursor {
            list: list.to_owned(),
            ordering: "NAME.ASC".to_owned(),
            filter: 0,
            keys: Vec::new(),
        };
        let message = |result: Result<(), StoreError>| match result {
            Ok(()) => None,
            Err(StoreError::InvalidCursor(message)) => Some(message),
            Err(other) => Some(format!("{other:?}")),
        };
        let units = ListName::other("unit");
        assert_eq!(message(check_list(&cursor("unit"), units)), None);
        assert_eq!(
            message(check_list(&cursor("person"), units)).as_deref(),
            Some("the cursor was made for another list")
        );
    }

    #[test]
    fn a_missing_value_sorts_after_every_value() {
        for value in [
            SortValue::Int(i64::MAX),
            SortValue::Text("\u{10ffff}".to_owned()),
            SortValue::Real(Real::new(f64::MAX).unwrap()),
        ] {
            assert_eq!(value.compare(&SortValue::Null), Ordering::Less);
            assert_eq!(SortValue::Null.compare(&value), Ordering::Greater);
        }
        assert_eq!(SortValue::Null.compare(&SortValue::Null), Ordering::Equal);
    }

    #[test]
    fn text_compares_byte_by_byte_like_the_c_collation() {
        let a = SortValue::Text("EL".to_owned());
        let b = SortValue::Text("el".to_owned());
        assert_eq!(a.compare(&b), Ordering::Less);
    }
}
