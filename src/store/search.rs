//! Search across people, units, cleanrooms, products and trials.
//!
//! Each record's names, short names, codes and identifiers (and, ranked last, its description)
//! are folded ([`fold`]) and written to `search_term` once per word start: "Vecura GMP unit" as
//! `vecura gmp unit`, `gmp unit` and `unit`. A search is then one range scan of that table's
//! index for the folded text as a prefix, on SQLite and PostgreSQL alike, ranked in SQL:
//!
//! 0. a name (or code) that is the text exactly;
//! 1. a name that starts with it;
//! 2. a name with a word that starts with it;
//! 3. a description with a word that starts with it;
//!
//! ties in the order of the records' folded names, then kind and ID. Every comparison is of
//! folded ASCII, byte by byte, so both engines give the same hits in the same order. (Their
//! own full-text search would not: FTS5's bm25 and PostgreSQL's `ts_rank` rank differently,
//! and neither matches a code such as `VECURA-01` by its prefix.)

use std::any::Any;

use futures::future::try_join_all;
use sea_orm::sea_query::{Alias, CaseStatement, Condition, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use super::list::Kind;
use super::page::{check_list, filter_fingerprint, Cursor, ListName, SortValue};
use super::scope::{count_all, Scope, Scoped, Select};
use super::seal::CursorSeal;
use super::{Cleanrooms, HashMap, People, Products, Store, StoreError, Trials, Units};
use crate::domain::fold;

pub(super) const TABLE: &str = "search_term";

/// The kinds search finds: the name a term's `kind` holds, and the kind's table, through
/// which a kind's row rule reaches its terms.
const SEARCHED: &[(&str, &str)] = &[
    ("Person", People::TABLE),
    ("Unit", Units::TABLE),
    ("Cleanroom", Cleanrooms::TABLE),
    ("Product", Products::TABLE),
    ("Trial", Trials::TABLE),
];

/// The searched kinds whose records every source keeps (see [`super::Kind::SHARED`]).
const SHARED_KINDS: &[&str] = &["Person"];

/// The longest term kept: a word start and at most this much of what follows it.
pub const MAX_TERM: usize = 100;
/// Terms per INSERT, under SQLite's bound-parameter limit.
const CHUNK: usize = 200;

/// What a record offers search: its names (codes, identifiers) and descriptions.
pub(crate) struct Entry {
    pub kind: &'static str,
    pub id: Uuid,
    pub institution: Option<Uuid>,
    /// The folded name its hits are listed by.
    pub label: String,
    pub names: Vec<String>,
    pub descriptions: Vec<String>,
}

/// A record kind whose records search finds: what it finds of a record.
pub(crate) trait Searchable {
    fn entry(&self) -> Option<Entry>;
}

/// The kinds search finds, by their entity modules: each has a [`Searchable`] entry. A row of
/// any other kind has no entry, so a kind search need not find is written with no code here.
macro_rules! searched {
    ($($module:ident),*) => {
        /// The search entry of a row of any kind.
        fn entry_of<M: Any>(row: &M) -> Option<Entry> {
            let row: &dyn Any = row;
            $(
                if let Some(row) = row.downcast_ref::<entities::$module::Model>() {
                    return row.entry();
                }
            )*
            None
        }
    };
}

searched!(person, unit, cleanroom, product, trial);

impl Searchable for entities::person::Model {
    fn entry(&self) -> Option<Entry> {
        let mut names = vec![
            format!("{} {}", self.given_name, self.family_name),
            format!("{} {}", self.family_name, self.given_name),
        ];
        names.extend(self.orcid.clone());
        Some(Entry {
            kind: "Person",
            id: self.id,
            institution: None,
            label: self.name_key.clone(),
            names,
            descriptions: Vec::new(),
        })
    }
}

impl Searchable for entities::unit::Model {
    fn entry(&self) -> Option<Entry> {
        let mut names = vec![self.name.clone()];
        names.extend(self.short_name.clone());
        Some(Entry {
            kind: "Unit",
            id: self.id,
            institution: Some(self.institution_id),
            label: self.name_key.clone(),
            names,
            descriptions: self.description.iter().cloned().collect(),
        })
    }
}

impl Searchable for entities::cleanroom::Model {
    fn entry(&self) -> Option<Entry> {
        let mut names = vec![self.code.clone()];
        names.extend(self.name.clone());
        Some(Entry {
            kind: "Cleanroom",
            id: self.id,
            institution: Some(self.institution_id),
            label: fold(&self.code),
            names,
            descriptions: self.intended_use.iter().cloned().collect(),
        })
    }
}

impl Searchable for entities::product::Model {
    fn entry(&self) -> Option<Entry> {
        Some(Entry {
            kind: "Product",
            id: self.id,
            institution: Some(self.institution_id),
            label: self.name_key.clone(),
            names: vec![self.name.clone()],
            descriptions: self.description.iter().cloned().collect(),
        })
    }
}

impl Searchable for entities::trial::Model {
    fn entry(&self) -> Option<Entry> {
        let mut names = vec![self.title.clone()];
        names.extend(self.eu_ct_number.clone());
        names.extend(self.eudract_number.clone());
        names.extend(self.nct_number.clone());
        Some(Entry {
            kind: "Trial",
            id: self.id,
            institution: Some(self.institution_id),
            label: self.title_key.clone(),
            names,
            descriptions: self.description.iter().cloned().collect(),
        })
    }
}

/// One row of `search_term`.
#[derive(Debug, PartialEq, Eq)]
struct Term {
    field: i32,
    position: i32,
    term: String,
    whole: bool,
}

/// The terms of one field: its folded text from each word start (the field's start, and after
/// a space or a hyphen), each at most [`MAX_TERM`] bytes.
fn terms_of(text: &str, field: i32) -> Vec<Term> {
    let folded = fold(text);
    let bytes = folded.as_bytes();
    let mut terms = Vec::new();
    for (at, byte) in bytes.iter().enumerate() {
        let starts = at == 0 || matches!(bytes.get(at - 1), Some(b' ' | b'-'));
        if !starts || !byte.is_ascii_alphanumeric() {
            continue;
        }
        // Folded text is ASCII: every byte is a character boundary.
        let rest = folded.get(at..).unwrap_or_default();
        let cut = rest.get(..MAX_TERM.min(rest.len())).unwrap_or(rest);
        terms.push(Term {
            field,
            position: i32::try_from(terms.len()).unwrap_or(i32::MAX),
            term: cut.to_owned(),
            whole: at == 0 && cut.len() == rest.len(),
        });
    }
    terms
}

/// Replaces the search terms of `rows` (written in the same transaction).
pub(super) async fn index<M: Any>(txn: &DatabaseTransaction, rows: &[M]) -> Result<(), StoreError> {
    let entries: Vec<Entry> = rows.iter().filter_map(entry_of).collect();
    for chunk in entries.chunks(CHUNK) {
        let mut delete = Query::delete();
        delete
            .from_table(Alias::new(TABLE))
            .and_where(Expr::col(Alias::new("record_id")).is_in(chunk.iter().map(|e| e.id)));
        txn.execute(&delete).await?;
    }
    let mut rows = Vec::new();
    for entry in &entries {
        let fields = entry
            .names
            .iter()
            .map(|name| (0, name))
            .chain(entry.descriptions.iter().map(|text| (1, text)));
        for (field, text) in fields {
            for term in terms_of(text, field) {
                rows.push((entry, term));
            }
        }
    }
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(TABLE)).columns(
            [
                "kind",
                "record_id",
                "institution_id",
                "field",
                "position",
                "term",
                "whole",
                "label",
            ]
            .map(Alias::new),
        );
        for (entry, term) in chunk {
            insert
                .values([
                    entry.kind.into(),
                    entry.id.into(),
                    entry.institution.into(),
                    term.field.into(),
                    term.position.into(),
                    term.term.clone().into(),
                    i32::from(term.whole).into(),
                    entry.label.clone().into(),
                ])
                .map_err(|error| StoreError::Db(sea_orm::DbErr::Custom(error.to_string())))?;
        }
        txn.execute(&insert).await?;
    }
    Ok(())
}

/// How well a hit matches, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Match {
    /// A name or code is the text.
    Exact,
    /// A name or code starts with it.
    Prefix,
    /// A word of a name starts with it.
    Word,
    /// A word of the description starts with it.
    Description,
}

impl Match {
    fn of(rank: i64) -> Match {
        match rank {
            0 => Match::Exact,
            1 => Match::Prefix,
            2 => Match::Word,
            _ => Match::Description,
        }
    }
}

/// A search as the store runs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    /// The text, folded (see [`SearchQuery::new`]).
    text: String,
    /// The kinds to search (`Person`, …); all when `None`.
    kinds: Option<Vec<&'static str>>,
}

impl SearchQuery {
    /// A search for `text`, folded as the terms are; `None` when nothing of it can match
    /// (no letter or digit).
    pub fn new(text: &str, kinds: Option<Vec<&'static str>>) -> Option<Self> {
        let text = fold(text);
        text.bytes()
            .any(|b| b.is_ascii_alphanumeric())
            .then_some(SearchQuery { text, kinds })
    }

    /// The folded text's length, to check against a limit.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the folded text is empty (never, for a query made by [`SearchQuery::new`]).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The terms matching in one source, one row per record the scope may read: kind, ID,
    /// rank and label. `shared` says whether the source answers for the records every source
    /// keeps (people): only the first does, so that each is found once.
    fn hits(&self, scope: &Scope, shared: bool) -> Select {
        let col = |name: &str| Expr::col(Alias::new(name));
        let name_field = || col("field").eq(0);
        let start = || col("position").eq(0);
        let rank = CaseStatement::new()
            .case(
                name_field()
                    .and(start())
                    .and(col("whole").eq(1))
                    .and(col("term").eq(self.text.clone())),
                0,
            )
            .case(name_field().and(start()), 1)
            .case(name_field(), 2)
            .finally(3);
        let mut hits = Select::from_index(&scope.index_table(TABLE, SEARCHED));
        hits.column(Alias::new("kind"))
            .column(Alias::new("record_id"))
            .expr_as(Func::min(Into::<Expr>::into(rank)), Alias::new("rank"))
            .expr_as(Func::min(col("label")), Alias::new("label"))
            .and_where(col("term").gte(self.text.clone()))
            // Terms are ASCII: every term starting with the text sorts below this bound.
            .and_where(col("term").lt(format!("{}\u{7f}", self.text)))
            .group_by_col(Alias::new("kind"))
            .group_by_col(Alias::new("record_id"));
        if let Some(kinds) = &self.kinds {
            hits.and_where(col("kind").is_in(kinds.iter().copied()));
        }
        if !shared {
            hits.and_where(col("kind").is_not_in(SHARED_KINDS.iter().copied()));
        }
        hits
    }
}

/// One record found.
#[derive(Debug, Clone)]
pub struct Hit {
    pub kind: String,
    pub id: Uuid,
    pub matched: Match,
    label: String,
    rank: i64,
}

/// A page of hits, best first.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub hits: Vec<Hit>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    filter: u64,
    /// Seals the hits' cursors for the caller.
    seal: CursorSeal,
}

const ORDERING: &str = "SEARCH";
/// The list search cursors are made for.
const LIST: ListName = ListName::other("search");

impl SearchPage {
    /// The sealed cursor of a hit of this page.
    pub fn cursor(&self, hit: &Hit) -> String {
        self.seal.seal(&Cursor {
            list: LIST.name().to_owned(),
            ordering: ORDERING.to_owned(),
            filter: self.filter,
            keys: vec![
                SortValue::Int(hit.rank),
                SortValue::Text(hit.label.clone()),
                SortValue::Text(hit.kind.clone()),
                SortValue::Uuid(hit.id),
            ],
        })
    }
}

/// The hits after `cursor` in rank order: `(rank, label, kind, id) > cursor`.
fn after(cursor: &Cursor, filter: u64) -> Result<Condition, StoreError> {
    let invalid = |message: &str| StoreError::InvalidCursor(message.to_owned());
    check_list(cursor, LIST)?;
    if cursor.ordering != ORDERING {
        return Err(invalid("the cursor was made for another list"));
    }
    if cursor.filter != filter {
        return Err(invalid("the cursor was made for another search"));
    }
    let [SortValue::Int(rank), SortValue::Text(label), SortValue::Text(kind), SortValue::Uuid(id)] =
        cursor.keys.as_slice()
    else {
        return Err(invalid("the cursor does not belong to this list"));
    };
    let col = |name: &str| Expr::col((Alias::new("hits"), Alias::new(name)));
    let keys: [(Expr, sea_orm::Value); 4] = [
        (col("rank"), (*rank).into()),
        (col("label"), label.clone().into()),
        (col("kind"), kind.clone().into()),
        (col("record_id"), (*id).into()),
    ];
    let mut any = Condition::any();
    for (i, (key, value)) in keys.iter().enumerate() {
        let mut all = Condition::all();
        for (equal, equal_value) in keys.iter().take(i) {
            all = all.add(equal.clone().eq(equal_value.clone()));
        }
        any = any.add(all.add(key.clone().gt(value.clone())));
    }
    Ok(any)
}

impl SearchQuery {
    /// The statement of one source's hits after `cursor`, best first, `limit + 1` of them
    /// (see [`SearchQuery::hits`] for `shared`).
    fn page(
        &self,
        scope: &Scope,
        shared: bool,
        limit: u64,
        cursor: Option<&Cursor>,
    ) -> Result<Scoped, StoreError> {
        let mut select = Select::new();
        select
            .from_select(self.hits(scope, shared), "hits")
            .columns(["kind", "record_id", "rank", "label"].map(Alias::new));
        if let Some(cursor) = cursor {
            select.cond_where(after(cursor, filter_fingerprint(self))?);
        }
        for key in ["rank", "label", "kind", "record_id"] {
            select.order_by(Alias::new(key), Order::Asc);
        }
        select.limit(limit.saturating_add(1));
        Ok(select.finish())
    }

    /// The statement counting one source's hits (see [`SearchQuery::hits`] for `shared`).
    fn count(&self, scope: &Scope, shared: bool) -> Scoped {
        let mut select = Select::new();
        select
            .from_select(self.hits(scope, shared), "hits")
            .expr_as(count_all(), Alias::new("row_count"));
        select.finish()
    }
}

impl Store {
    /// A page of the records matching `query` that the scope may read, best first, `limit`
    /// of them after `cursor`.
    pub(crate) async fn search(
        &self,
        scope: &Scope,
        query: &SearchQuery,
        limit: u64,
        cursor: Option<&Cursor>,
    ) -> Result<SearchPage, StoreError> {
        let filter = filter_fingerprint(query);
        let statements = [
            query.page(scope, true, limit, cursor)?,
            query.page(scope, false, limit, cursor)?,
        ];
        let answers = try_join_all(
            self.sources()
                .iter()
                .enumerate()
                .map(|(i, source)| source.run(&statements[usize::from(i > 0)])),
        )
        .await?;
        let mut hits: Vec<Hit> = Vec::new();
        let mut seen: HashMap<(String, Uuid), ()> = HashMap::default();
        for row in answers.iter().flatten() {
            let kind: String = row.try_get("", "kind")?;
            let id: Uuid = row.try_get("", "record_id")?;
            let rank: i64 = row.try_get::<i32>("", "rank").map(i64::from)?;
            // Only the first source answers for people; a hit is still kept once.
            if seen.insert((kind.clone(), id), ()).is_some() {
                continue;
            }
            hits.push(Hit {
                kind,
                id,
                matched: Match::of(rank),
                label: row.try_get("", "label")?,
                rank,
            });
        }
        if self.sources().len() > 1 {
            hits.sort_by(|a, b| {
                (
                    a.rank,
                    a.label.as_bytes(),
                    a.kind.as_bytes(),
                    a.id.as_bytes(),
                )
                    .cmp(&(
                        b.rank,
                        b.label.as_bytes(),
                        b.kind.as_bytes(),
                        b.id.as_bytes(),
                    ))
            });
        }
        let has_next_page = hits.len() as u64 > limit;
        hits.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(SearchPage {
            hits,
            has_next_page,
            has_previous_page: cursor.is_some(),
            filter,
            seal: scope.cursors().clone(),
        })
    }

    /// How many records match `query` that the scope may read.
    pub(crate) async fn search_count(
        &self,
        scope: &Scope,
        query: &SearchQuery,
    ) -> Result<u64, StoreError> {
        let statements = [query.count(scope, true), query.count(scope, false)];
        let answers = try_join_all(
            self.sources()
                .iter()
                .enumerate()
                .map(|(i, source)| source.run(&statements[usize::from(i > 0)])),
        )
        .await?;
        let mut total = 0u64;
        for row in answers.iter().flatten() {
            let count: i64 = row.try_get("", "row_count")?;
            total += u64::try_from(count).unwrap_or(0);
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::at_institution;

    #[test]
    fn the_shared_kinds_searched_are_the_catalogs() {
        let shared: Vec<&str> = SEARCHED
            .iter()
            .filter(|(_, table)| super::super::domain::is_shared_table(table))
            .map(|(kind, _)| *kind)
            .collect();
        assert_eq!(shared, SHARED_KINDS);
    }

    /// A search for `Vec` among units.
    fn units_named_vec() -> SearchQuery {
        match SearchQuery::new("Vec", Some(vec!["Unit"])) {
            Some(query) => query,
            None => panic!("`Vec` is searchable"),
        }
    }

    #[test]
    fn an_open_scope_searches_with_the_statements_it_always_had() {
        let scope = Scope::open();
        let query = units_named_vec();
        // Every term starting with `vec` sorts below `vec` and DEL.
        let hits = format!(
            r#"SELECT "kind", "record_id", MIN((CASE WHEN ("field" = 0 AND "position" = 0 AND "whole" = 1 AND "term" = 'vec') THEN 0 WHEN ("field" = 0 AND "position" = 0) THEN 1 WHEN ("field" = 0) THEN 2 ELSE 3 END)) AS "rank", MIN("label") AS "label" FROM "search_term" WHERE "term" >= 'vec' AND "term" < 'vec{}' AND "kind" IN ('Unit')"#,
            '\u{7f}'
        );

        let page = match query.page(&scope, false, 20, None) {
            Ok(page) => page.sqlite(),
            Err(error) => panic!("the page's statement could not be made: {error}"),
        };
        assert_eq!(
            page,
            format!(
                r#"SELECT "kind", "record_id", "rank", "label" FROM ({hits} AND "kind" NOT IN ('Person') GROUP BY "kind", "record_id") AS "hits" ORDER BY "rank" ASC, "label" ASC, "kind" ASC, "record_id" ASC LIMIT 21"#
            )
        );
        assert_eq!(
            query.count(&scope, true).sqlite(),
            format!(
                r#"SELECT COUNT(*) AS "row_count" FROM ({hits} GROUP BY "kind", "record_id") AS "hits""#
            )
        );
    }

    #[test]
    fn a_row_rule_keeps_only_the_terms_of_records_it_shows() {
        let scope = Scope::with_rule::<Units>(at_institution("KI"));
        let ki = crate::domain::natural_id(crate::domain::RecordKind::Institution, "KI");

        let statement = units_named_vec().count(&scope, true).sqlite();

        assert!(
            statement.contains(&format!(
                r#"WHERE ("search_term"."kind" <> 'Unit' OR EXISTS(SELECT 1 FROM "unit" AS "readable" WHERE "readable"."institution_id" = '{ki}' AND "readable"."id" = "search_term"."record_id" LIMIT 1 OFFSET 0)) AND "term" >= 'vec'"#
            )),
            "{statement}"
        );
    }

    /// The hits of `text` under `scope`, all on one page, and their count.
    async fn searched(store: &Store, scope: &Scope, text: &str) -> (Vec<Hit>, u64) {
        let Some(query) = SearchQuery::new(text, None) else {
            panic!("`{text}` is searchable");
        };
        let page = match store.search(scope, &query, 1000, None).await {
            Ok(page) => page,
            Err(error) => panic!("`{text}` could not be searched: {error}"),
        };
        let count = match store.search_count(scope, &query).await {
            Ok(count) => count,
            Err(error) => panic!("the hits of `{text}` could not be counted: {error}"),
        };
        (page.hits, count)
    }

    /// The IDs of the units `scope` shows.
    async fn units_shown(store: &Store, scope: &Scope) -> Vec<Uuid> {
        let query = crate::store::QueryOf::<Units> {
            filter: Default::default(),
            order: Vec::new(),
            page: crate::store::PageRequest::first(1000),
        };
        match store.page::<Units>(scope, &query).await {
            Ok(page) => page.rows.iter().map(|unit| unit.id).collect(),
            Err(error) => panic!("the units could not be listed: {error}"),
        }
    }

    #[tokio::test]
    async fn a_hidden_unit_is_never_a_hit_in_one_database_or_over_two() {
        for test_store in [
            crate::store::testing::seeded().await,
            crate::store::testing::seeded_split().await,
        ] {
            let store = &test_store.store;
            let (public, public_count) = searched(store, &Scope::default(), "Vecura").await;
            let vecura = public
                .iter()
                .find(|hit| hit.kind == "Unit" && hit.label == "vecura gmp unit")
                .map(|hit| hit.id);
            let Some(vecura) = vecura else {
                panic!("the public finds the Vecura GMP unit: {public:?}");
            };
            // Vecura is KUH's: a scope showing only KI's units hides it.
            let (ki, ki_count) = searched(
                store,
                &Scope::with_rule::<Units>(at_institution("KI")),
                "Vecura",
            )
            .await;

            let kuh_units =
                units_shown(store, &Scope::with_rule::<Units>(at_institution("KUH"))).await;

            assert!(kuh_units.contains(&vecura));
            let hidden = |hit: &&Hit| hit.kind == "Unit" && kuh_units.contains(&hit.id);
            let expected: Vec<(&str, Uuid)> = public
                .iter()
                .filter(|hit| !hidden(hit))
                .map(|hit| (hit.kind.as_str(), hit.id))
                .collect();
            let found: Vec<(&str, Uuid)> =
                ki.iter().map(|hit| (hit.kind.as_str(), hit.id)).collect();
            assert_eq!(
                found, expected,
                "every hit but KUH's units, in the same order"
            );
            assert_eq!(ki_count, ki.len() as u64);
            assert_eq!(public_count, public.len() as u64);
        }
    }

    #[test]
    fn a_field_has_a_term_for_every_word_start() {
        let terms: Vec<(i32, String, bool)> = terms_of("Zain-Luqman  Rula", 0)
            .into_iter()
            .map(|t| (t.position, t.term, t.whole))
            .collect();
        assert_eq!(
            terms,
            [
                (0, "zain-luqman rula".to_owned(), true),
                (1, "luqman rula".to_owned(), false),
                (2, "rula".to_owned(), false),
            ]
        );
    }

    #[test]
    fn a_long_field_is_cut_and_never_exact() {
        let long = "word ".repeat(40);
        let terms = terms_of(&long, 1);
        assert!(terms.iter().all(|t| t.term.len() <= MAX_TERM));
        assert!(!terms[0].whole);
    }

    #[test]
    fn text_without_letters_or_digits_searches_nothing() {
        assert!(SearchQuery::new(" -- ", None).is_none());
        assert_eq!(
            SearchQuery::new("Sällberg", None).map(|q| q.text),
            Some("sallberg".to_owned())
        );
    }
}
