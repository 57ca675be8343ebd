//! Root `search`: people, units, cleanrooms, products and trials matching a text, ranked
//! (exact names and codes, then names starting with it, then names with a word starting with
//! it, then descriptions), as a connection over the `SearchResult` union. One statement finds
//! the page's hits; each kind among them is then read in one more. The planned path plans the
//! same from the selection (`plan::search`, reading only the selected columns); the resolvers
//! here are the field-by-field path's.

use async_graphql::{Context, Enum, Object, SimpleObject, Union};

use async_graphql::parser::types::SelectionSet;

use super::connection::{limits, loader, Limits, PageArgs, PageInfo};
use super::plan::{self, is_planned, Answer, Planner, RecordsById};
use super::{ApiError, Cleanroom, Person, Product, Trial, Unit};
use crate::store::{self, Hit, Match, PageRequest, SearchPage, SearchQuery, StoreLoader, MAX_TERM};

/// A record search found.
#[derive(Union)]
pub enum SearchResult {
    Person(Person),
    Unit(Unit),
    Cleanroom(Cleanroom),
    Product(Product),
    Trial(Trial),
}

/// A kind of record search looks through.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// People, by given and family name (either first) and ORCID iD.
    Person,
    /// Units, by name and short name (and description).
    Unit,
    /// Cleanrooms, by code and name (and intended use).
    Cleanroom,
    /// ATMP products, by name (and description).
    Product,
    /// Clinical trials, by title and registry numbers (and description).
    Trial,
}

impl SearchKind {
    /// Every kind, in the order of the schema.
    pub(super) const ALL: [SearchKind; 5] = [
        SearchKind::Person,
        SearchKind::Unit,
        SearchKind::Cleanroom,
        SearchKind::Product,
        SearchKind::Trial,
    ];

    /// The kind's name, as hits carry it.
    pub(super) fn name(self) -> &'static str {
        match self {
            SearchKind::Person => "Person",
            SearchKind::Unit => "Unit",
            SearchKind::Cleanroom => "Cleanroom",
            SearchKind::Product => "Product",
            SearchKind::Trial => "Trial",
        }
    }
}

/// How a hit matches the text, best first.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMatch {
    /// A name or code is the text (ignoring case and diacritics).
    Exact,
    /// A name or code starts with it.
    Prefix,
    /// A word of a name starts with it.
    Word,
    /// A word of the description starts with it.
    Description,
}

impl From<Match> for SearchMatch {
    fn from(matched: Match) -> Self {
        match matched {
            Match::Exact => SearchMatch::Exact,
            Match::Prefix => SearchMatch::Prefix,
            Match::Word => SearchMatch::Word,
            Match::Description => SearchMatch::Description,
        }
    }
}

/// A row found, as read.
#[derive(Clone)]
enum Found {
    Person(store::Row<entities::person::Model>),
    Unit(store::Row<entities::unit::Model>),
    Cleanroom(store::Row<entities::cleanroom::Model>),
    Product(store::Row<entities::product::Model>),
    Trial(store::Row<entities::trial::Model>),
}

impl Found {
    fn result(&self) -> SearchResult {
        match self {
            Found::Person(row) => SearchResult::Person(Person(row.clone())),
            Found::Unit(row) => SearchResult::Unit(Unit(row.clone())),
            Found::Cleanroom(row) => SearchResult::Cleanroom(Cleanroom(row.clone())),
            Found::Product(row) => SearchResult::Product(Product(row.clone())),
            Found::Trial(row) => SearchResult::Trial(Trial(row.clone())),
        }
    }
}

/// A page of search hits, best first.
pub struct SearchConnection {
    page: SearchPage,
    found: Vec<(Hit, Found)>,
    query: SearchQuery,
}

/// A record in a page of search hits, with its cursor and how it matched.
#[derive(SimpleObject)]
pub struct SearchEdge {
    /// Opaque position of this hit: pass it as `after`.
    cursor: String,
    /// The record.
    node: SearchResult,
    /// How it matches the text.
    matched: SearchMatch,
}

/// A page of search hits, best first.
#[Object]
impl SearchConnection {
    /// The hits of this page, each with its cursor and how it matched.
    async fn edges(&self) -> Vec<SearchEdge> {
        self.found
            .iter()
            .map(|(hit, found)| SearchEdge {
                cursor: self.page.cursor(hit),
                node: found.result(),
                matched: hit.matched.into(),
            })
            .collect()
    }

    /// The records of this page, best first.
    async fn nodes(&self) -> Vec<SearchResult> {
        self.found.iter().map(|(_, found)| found.result()).collect()
    }

    /// Where this page sits among all hits.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.page.has_next_page,
            has_previous_page: self.page.has_previous_page,
            start_cursor: self.found.first().map(|(hit, _)| self.page.cursor(hit)),
            end_cursor: self.found.last().map(|(hit, _)| self.page.cursor(hit)),
        }
    }

    /// How many records match (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64, ApiError> {
        Ok(loader(ctx)?.loader().search_count(&self.query).await?)
    }
}

/// The planned path's records of `kind` by ID, with the selection `sets` on each.
pub(super) fn plan_kind<'a>(
    kind: SearchKind,
    planner: &Planner<'a>,
    sets: &[&'a SelectionSet],
) -> RecordsById {
    match kind {
        SearchKind::Person => RecordsById::of::<Person>(planner, sets),
        SearchKind::Unit => RecordsById::of::<Unit>(planner, sets),
        SearchKind::Cleanroom => RecordsById::of::<Cleanroom>(planner, sets),
        SearchKind::Product => RecordsById::of::<Product>(planner, sets),
        SearchKind::Trial => RecordsById::of::<Trial>(planner, sets),
    }
}

/// The search a `search` field's arguments ask for, and its page, checked.
pub(super) fn search_request(
    reads: &StoreLoader,
    limits: &Limits,
    text: &str,
    first: Option<i32>,
    after: Option<String>,
    kinds: Option<Vec<SearchKind>>,
) -> Result<(SearchQuery, PageRequest), ApiError> {
    let kinds = kinds.map(|kinds| kinds.into_iter().map(SearchKind::name).collect());
    let query = SearchQuery::new(text, kinds)
        .ok_or_else(|| ApiError::BadUserInput("`text` must hold a letter or a digit".to_owned()))?;
    if query.len() > MAX_TERM {
        return Err(ApiError::BadUserInput(format!(
            "`text` must be at most {MAX_TERM} characters"
        )));
    }
    // Checked as every connection's page arguments are.
    let request = PageArgs {
        first,
        after,
        ..PageArgs::default()
    }
    .request(limits, reads.cursors())?;
    Ok((query, request))
}

/// The IDs of the hits of one kind.
fn ids_of(hits: &[Hit], kind: &str) -> Vec<uuid::Uuid> {
    hits.iter()
        .filter(|h| h.kind == kind)
        .map(|h| h.id)
        .collect()
}

/// Root `search`.
pub struct Search;

#[Object]
impl Search {
    /// People, units, cleanrooms, products and trials whose names, codes or descriptions
    /// match `text`, ignoring case and diacritics (`sallberg` finds Sällberg), best first:
    /// a name or code that is the text, then names that start with it, then names with a word
    /// that starts with it, then descriptions with such a word; ties by name. SQLite and
    /// PostgreSQL give the same hits in the same order.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "What to look for: a name, a code, the start of a word (at most 100 characters)."
        )]
        text: String,
        #[graphql(
            desc = "Return the first `n` hits after `after` (default 20; at most the maximum page size)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return hits after this cursor.")] after: Option<String>,
        #[graphql(desc = "Only records of these kinds; all when left out.")] kinds: Option<
            Vec<SearchKind>,
        >,
    ) -> Result<Answer<SearchConnection>, ApiError> {
        if is_planned(ctx) {
            return plan::search(ctx).await;
        }
        let reads = loader(ctx)?.loader();
        let (query, request) = search_request(reads, limits(ctx)?, &text, first, after, kinds)?;
        let page = reads
            .search(&query, request.limit, request.cursor.as_ref())
            .await?;
        let ids = |kind| ids_of(&page.hits, kind);
        let (person_ids, unit_ids, cleanroom_ids, product_ids, trial_ids) = (
            ids("Person"),
            ids("Unit"),
            ids("Cleanroom"),
            ids("Product"),
            ids("Trial"),
        );
        let (people, units, cleanrooms, products, trials) = futures::try_join!(
            reads.records::<store::People>(&person_ids, reads.readable::<store::People>()),
            reads.records::<store::Units>(&unit_ids, reads.readable::<store::Units>()),
            reads.records::<store::Cleanrooms>(
                &cleanroom_ids,
                reads.readable::<store::Cleanrooms>()
            ),
            reads.records::<store::Products>(&product_ids, reads.readable::<store::Products>()),
            reads.records::<store::Trials>(&trial_ids, reads.readable::<store::Trials>()),
        )?;
        let mut found = Vec::with_capacity(page.hits.len());
        for hit in &page.hits {
            let record = match hit.kind.as_str() {
                "Person" => people.get(&hit.id)?.map(Found::Person),
                "Unit" => units.get(&hit.id)?.map(Found::Unit),
                "Cleanroom" => cleanrooms.get(&hit.id)?.map(Found::Cleanroom),
                "Product" => products.get(&hit.id)?.map(Found::Product),
                "Trial" => trials.get(&hit.id)?.map(Found::Trial),
                _ => None,
            };
            // Hits and records are read through the same scope, and records are never
            // removed, so every hit is read: one that is not means the terms and the records
            // disagree, and leaving it out would make the page and its counts disagree too.
            let Some(record) = record else {
                return Err(ApiError::Internal(format!(
                    "search found {} {}, which cannot be read by its ID",
                    hit.kind, hit.id
                )));
            };
            found.push((hit.clone(), record));
        }
        Ok(Answer::Resolved(SearchConnection { page, found, query }))
    }
}
