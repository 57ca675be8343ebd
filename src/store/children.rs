//! The relations of one level read together: every connection a plan follows from the same
//! parent rows (a unit's cleanrooms and its people) is a branch of one statement per source,
//! so that a level costs one round trip however many relations it pages.
//!
//! On PostgreSQL each branch is a `LATERAL` subquery per parent (its page, carrying the
//! parent's count; or its count alone, or beside a page under a cursor), its references joined
//! to the page's rows; on SQLite a window-ranked subquery. With more than one branch the
//! parents are crossed with the branch numbers and each branch's subqueries are empty but on
//! its own rows, so that no branch multiplies another's rows. Each branch's columns follow a marker
//! column `b<n>`, its own columns are named `b<n>_…` and its joins numbered on from the
//! branch before, so that every branch decodes its rows by position.

use super::HashMap;
use std::sync::Arc;

use futures::future::{join_all, try_join_all};
use futures::FutureExt;
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, ExprTrait, JoinType};
use sea_orm::{DbBackend, QueryResult};
use uuid::Uuid;

use super::decode::{position, Columns, FromColumn, Positional};
use super::join::{add_joins_to, count_joins, locate_joins, mark_found_all, read_joins, Join};
use super::list::{
    branch_column, ChildPages, ChildStatement, Extras, Kind, Listable, Plan, QueryOf, Relation,
    COUNT, PARENTS, PARENT_KEY, ROW_NUMBER,
};
use super::page::ListName;
use super::scope::{Scope, Scoped, Select};
use super::{Source, Store, StoreError, Unanswered};

/// The column that names a row's branch, where a statement has more than one.
const BRANCH: &str = "branch";
const BRANCHES: &str = "branches";

/// One relation's pages (and counts) for a level's parents: a branch of that level's
/// statement. It builds its part of the statement and reads its rows back.
pub trait Branch: Send + 'static {
    /// The branch itself, for its owner to take its typed pages back.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send>;
    /// The institutions its rows may belong to, which pick the sources it asks.
    fn institutions(&self) -> Option<Vec<Uuid>>;
    /// Whether it has a part in the statement: a page, or counts read with it.
    fn in_statement(&self) -> bool;
    /// Whether its references are read in its statement: its rows are, and have references.
    fn joins_in_statement(&self) -> bool;
    /// How many join aliases it takes.
    fn aliases(&self, joined: bool) -> usize;
    /// Its part of the statement, at its place `at` (its number, its first join alias).
    fn part(&self, scope: &Scope, backend: DbBackend, parents: &[Uuid], at: &Shape) -> Part<'_>;
    /// Finds its columns in the rows of one answer, its marker at `marker`.
    fn locate(&mut self, row: &QueryResult, at: &Shape, marker: usize) -> Result<(), StoreError>;
    /// Reads one of its rows.
    fn read(&mut self, row: &QueryResult, at: &Shape) -> Result<(), StoreError>;
    /// Ends one source's answer.
    fn end_answer(&mut self);
    /// A source that may hold its rows did not answer: its pages hold only the others' rows.
    fn missed(&mut self, source: &Unanswered);
    /// Turns what every source answered into pages and counts for `parents`, their cursors
    /// sealed for the caller of `scope`.
    fn finish(&mut self, scope: &Scope, parents: &[Uuid]);
    /// Whether its counts need a statement of their own (a cursor narrows its paged rows).
    fn counts_apart(&self) -> bool;
    /// Every source is PostgreSQL: its counts are read in the statement even under a cursor,
    /// as lateral counts beside the page.
    fn read_laterally(&mut self);
    /// Readies it for a store of several sources: its filter's relations read across them.
    fn federate<'a>(
        &'a mut self,
        store: &'a Store,
        scope: &'a Scope,
    ) -> futures::future::BoxFuture<'a, Result<(), StoreError>>;
    /// Over several sources, counts again, each child once, the children of the parents that
    /// more than one source found children of, where a child may sit in several (a person
    /// appointed in a joint unit from both institutions).
    fn recount_shared<'a>(
        &'a mut self,
        store: &'a Store,
        scope: &'a Scope,
    ) -> futures::future::BoxFuture<'a, Result<(), StoreError>>;
    /// Reads its counts on their own.
    fn count_apart<'a>(
        &'a mut self,
        store: &'a Store,
        scope: &'a Scope,
        parents: &'a [Uuid],
    ) -> futures::future::BoxFuture<'a, Result<(), StoreError>>;
}

/// Where a branch is in its statement.
pub struct Shape {
    /// Its number, which names its columns.
    pub index: usize,
    /// How many branches the statement has.
    pub branches: usize,
    /// The alias number of its first join.
    pub first_alias: usize,
    /// Whether its references are joined in.
    pub joined: bool,
}

/// The parent of a PostgreSQL statement's row: the one column of `unnest` over the parents.
fn parent_of_row() -> Expr {
    Expr::col((Alias::new(PARENTS), Alias::new(PARENTS)))
}

/// A branch's part of a statement.
pub enum Part<'a> {
    /// PostgreSQL: the page of the current parent, when paged, and its count, when counted;
    /// the references joined to the page's rows, outside it.
    Lateral(Box<(Option<Select>, Option<Select>)>, &'a [Join]),
    /// SQLite: every parent's ranked rows, or only each parent's count.
    Windowed(Box<Select>),
}

/// A parent's rows with their ranks in its page, as one source answered them.
type Ranked<M> = Vec<(i64, M)>;

/// The pages of relation `R`, read as a branch.
pub struct RelationBranch<R: Relation> {
    query: QueryOf<R::Child>,
    plan: Plan<R::Child>,
    /// The references of its rows; what they found once read.
    pub joins: Vec<Join>,
    /// Whether its rows are read, or only their counts (`totalCount` alone selected).
    paged: bool,
    counted: bool,
    columns: Columns,
    /// Whether every source reads it with lateral subqueries (see [`Branch::read_laterally`]).
    laterally: bool,
    /// Whether the store has one source, which then holds every row its joins may find.
    one_source: bool,
    /// Whether a child may sit in several of the sources asked, so that a parent whose
    /// children several sources found is counted again (see [`Branch::recount_shared`]).
    counts_distinct: bool,
    /// How many sources found children of each parent, where `counts_distinct`.
    sources_seen: HashMap<Uuid, u32>,
    /// The positions of its columns in the current answer.
    first: usize,
    parent_at: usize,
    count_at: Option<usize>,
    rank_at: usize,
    from_source: HashMap<Uuid, Ranked<<R::Child as Kind>::Model>>,
    counts_from_source: HashMap<Uuid, u64>,
    per_parent: HashMap<Uuid, Vec<Vec<<R::Child as Kind>::Model>>>,
    counts: HashMap<Uuid, u64>,
    pages: ChildPages<<R::Child as Kind>::Model>,
    /// The rows' keys read from referenced records, where the ordering has such keys.
    extras: Extras,
    /// The sources that may hold its rows and did not answer.
    missing: Vec<Unanswered>,
}

impl<R: Relation> RelationBranch<R> {
    /// The pages `query` asks of relation `R` when `paged`, their rows with these `columns`
    /// read (and those of the ordering), their references `joins` read with them where they
    /// can be, and each parent's count when `counted`.
    pub fn new(
        query: QueryOf<R::Child>,
        joins: Vec<Join>,
        paged: bool,
        counted: bool,
        columns: Columns,
    ) -> Result<Self, StoreError> {
        let plan = Plan::<R::Child>::new(&query, ListName::relation::<R>())?;
        // The columns the references are joined on: on PostgreSQL they are joined to the page's
        // rows outside its lateral subquery, which must then have selected them.
        let keys: Vec<&str> = joins.iter().map(|join| join.column).collect();
        let columns = plan.with_sort_keys(columns).and(
            Columns::named::<<R::Child as Kind>::Model>(&keys).unwrap_or_else(
                // None: a join's column is a reference's, a field of the row. Reading every
                // column reads more than asked, never less.
                Columns::all::<<R::Child as Kind>::Model>,
            ),
        );
        Ok(RelationBranch {
            query,
            plan,
            joins,
            paged,
            counted,
            columns,
            laterally: false,
            one_source: true,
            counts_distinct: false,
            sources_seen: HashMap::default(),
            first: 0,
            parent_at: 0,
            count_at: None,
            rank_at: 0,
            from_source: HashMap::default(),
            counts_from_source: HashMap::default(),
            per_parent: HashMap::default(),
            counts: HashMap::default(),
            pages: ChildPages::default(),
            extras: Extras::default(),
            missing: Vec::new(),
        })
    }

    /// The pages and counts read.
    pub fn take_pages(&mut self) -> ChildPages<<R::Child as Kind>::Model> {
        std::mem::take(&mut self.pages)
    }

    /// Whether the statement reads the counts: not under a cursor, which narrows the rows,
    /// unless every source counts them in a lateral subquery of their own.
    fn counted_in_statement(&self) -> bool {
        self.counted && (self.query.page.cursor.is_none() || self.laterally)
    }
}

impl<R: Relation> Branch for RelationBranch<R> {
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send> {
        self
    }

    fn institutions(&self) -> Option<Vec<Uuid>> {
        <R::Child as Listable>::institutions(&self.query.filter)
    }

    fn in_statement(&self) -> bool {
        self.paged || self.counted_in_statement()
    }

    fn joins_in_statement(&self) -> bool {
        self.paged && !self.joins.is_empty()
    }

    fn aliases(&self, joined: bool) -> usize {
        if joined {
            count_joins(&self.joins)
        } else {
            0
        }
    }

    fn part(&self, scope: &Scope, backend: DbBackend, parents: &[Uuid], at: &Shape) -> Part<'_> {
        let joins: &[Join] = if at.joined { &self.joins } else { &[] };
        let statement = ChildStatement {
            scope,
            query: &self.query,
            plan: &self.plan,
            joins,
            paged: self.paged,
            counted: self.counted_in_statement(),
            columns: self.columns,
            branch: at.index,
            first_alias: at.first_alias,
        };
        match backend {
            DbBackend::Postgres => {
                let outer = parent_of_row();
                let gate = (at.branches > 1).then(|| {
                    Expr::col((Alias::new(BRANCHES), Alias::new("column1"))).eq(at.index as i64)
                });
                let (page, count) = statement.lateral::<R>(&outer, gate);
                Part::Lateral(Box::new((page, count)), joins)
            }
            _ => Part::Windowed(Box::new(statement.windowed::<R>(parents))),
        }
    }

    fn locate(&mut self, row: &QueryResult, at: &Shape, marker: usize) -> Result<(), StoreError> {
        self.first = marker + 1;
        let index = at.index;
        // The lateral statement names the parent once, for every branch.
        self.parent_at = match position(row, &branch_column(index, PARENT_KEY)) {
            Ok(at) => at,
            Err(_) => position(row, PARENT_KEY)?,
        };
        self.count_at = if self.counted_in_statement() {
            Some(position(row, &branch_column(index, COUNT))?)
        } else {
            None
        };
        if self.paged {
            self.rank_at = position(row, &branch_column(index, ROW_NUMBER))?;
        }
        if at.joined {
            locate_joins(row, &mut self.joins, at.first_alias)?;
        }
        Ok(())
    }

    fn read(&mut self, row: &QueryResult, at: &Shape) -> Result<(), StoreError> {
        let parent: Option<Uuid> = FromColumn::from_column(row, self.parent_at)?;
        // A branch's row of NULLs where the other branches' rows are (SQLite).
        let Some(parent) = parent else {
            return Ok(());
        };
        // Every row of a parent carries its count.
        // (NULL on a paged parent's row of NULLs: it has no child, and `finish` counts it 0.)
        if let Some(count_at) = self.count_at {
            let count: Option<i64> = row.try_get_by_index(count_at)?;
            if let Some(count) = count {
                self.counts_from_source
                    .entry(parent)
                    .or_insert(u64::try_from(count).unwrap_or(0));
            }
        }
        let rows = self.from_source.entry(parent).or_default();
        // A parent with no child: the lateral join's one row of NULLs, for its count.
        if !self.paged || Option::<Uuid>::from_column(row, self.first)?.is_none() {
            return Ok(());
        }
        if at.joined {
            read_joins(row, &mut self.joins)?;
        }
        let rank: i64 = row.try_get_by_index(self.rank_at)?;
        let child = <R::Child as Kind>::Model::decode(row, self.first, self.columns)?;
        self.plan.read_extras(
            row,
            &branch_column(at.index, ""),
            <R::Child as Kind>::id(&child),
            &mut self.extras,
        )?;
        rows.push((rank, child));
        Ok(())
    }

    fn end_answer(&mut self) {
        for (parent, mut rows) in std::mem::take(&mut self.from_source) {
            // The statement leaves the order of its rows unspecified.
            rows.sort_by_key(|(rank, _)| *rank);
            let rows = rows.into_iter().map(|(_, row)| row).collect();
            self.per_parent.entry(parent).or_default().push(rows);
        }
        for (parent, count) in std::mem::take(&mut self.counts_from_source) {
            *self.counts.entry(parent).or_default() += count;
            if self.counts_distinct && count > 0 {
                *self.sources_seen.entry(parent).or_default() += 1;
            }
        }
    }

    fn missed(&mut self, source: &Unanswered) {
        if !self.missing.contains(source) {
            self.missing.push(source.clone());
        }
    }

    fn finish(&mut self, scope: &Scope, parents: &[Uuid]) {
        mark_found_all(&mut self.joins, self.one_source);
        // Every parent's page shares the one map its cursors read.
        let extras = Arc::new(std::mem::take(&mut self.extras));
        let pages = parents
            .iter()
            .map(|parent| {
                let lists = self.per_parent.remove(parent).unwrap_or_default();
                let rows = self.plan.merge(lists, &extras);
                // Whether a parent's children sit in a missing source is unknown, unless the
                // parent owns them: only its own source holds them then.
                let missing = self
                    .missing
                    .iter()
                    .filter(|source| !R::OWNED_BY_PARENT || source.institution_ids.contains(parent))
                    .cloned()
                    .collect();
                (
                    *parent,
                    self.plan.page(
                        rows,
                        self.columns,
                        extras.clone(),
                        missing,
                        scope.cursors().clone(),
                    ),
                )
            })
            .collect();
        let mut counts = std::mem::take(&mut self.counts);
        if self.counted_in_statement() {
            // Without a cursor, a parent with no ranked row has no matching child at all.
            for parent in parents {
                counts.entry(*parent).or_default();
            }
        }
        self.pages.pages = pages;
        if !self.counts_apart() {
            self.pages.counts = counts;
        }
    }

    fn counts_apart(&self) -> bool {
        self.counted && !self.counted_in_statement()
    }

    fn read_laterally(&mut self) {
        self.laterally = true;
    }

    fn federate<'a>(
        &'a mut self,
        store: &'a Store,
        scope: &'a Scope,
    ) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let resolved = store
                .resolve_filter::<R::Child>(scope, &self.query.filter)
                .await?
                .into_owned();
            self.query.filter = resolved;
            store.localize(scope, &mut self.plan).await?;
            self.counts_distinct = <R::Child as Kind>::SHARED;
            self.one_source = false;
            Ok(())
        })
    }

    fn recount_shared<'a>(
        &'a mut self,
        store: &'a Store,
        scope: &'a Scope,
    ) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if !self.counted_in_statement() {
                return Ok(());
            }
            let overlapping: Vec<Uuid> = std::mem::take(&mut self.sources_seen)
                .into_iter()
                .filter(|(_, sources)| *sources > 1)
                .map(|(parent, _)| parent)
                .collect();
            if overlapping.is_empty() {
                return Ok(());
            }
            let (counts, missing) = store
                .child_counts_partly::<R>(scope, &overlapping, &self.query.filter)
                .await?;
            self.counts.extend(counts);
            for source in &missing {
                self.missed(source);
            }
            Ok(())
        })
    }

    fn count_apart<'a>(
        &'a mut self,
        store: &'a Store,
        scope: &'a Scope,
        parents: &'a [Uuid],
    ) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let (counts, missing) = store
                .child_counts_partly::<R>(scope, parents, &self.query.filter)
                .await?;
            self.pages.counts = counts;
            for source in &missing {
                self.missed(source);
            }
            Ok(())
        })
    }
}

impl Store {
    /// Every branch's pages for `parents`, in one statement per source (counts under a
    /// cursor, where a source is SQLite, in statements of their own, run alongside). Each
    /// branch keeps what it read.
    pub(crate) async fn child_pages_together(
        &self,
        scope: &Scope,
        parents: &[Uuid],
        branches: &mut [&mut dyn Branch],
    ) -> Result<(), StoreError> {
        if parents.is_empty() || branches.is_empty() {
            // No statement to run.
            for branch in branches.iter_mut() {
                branch.finish(scope, parents);
            }
            return Ok(());
        }
        let sources = self.sources().len();
        if sources > 1 {
            try_join_all(
                branches
                    .iter_mut()
                    .map(|branch| branch.federate(self, scope)),
            )
            .await?;
        }
        let lateral = |source: &Source| source.backend() == DbBackend::Postgres;
        if self.sources().iter().all(lateral) {
            for branch in branches.iter_mut() {
                branch.read_laterally();
            }
        }
        // Each source with the branches that may find rows there.
        let owners: Vec<Option<Vec<Uuid>>> = branches.iter().map(|b| b.institutions()).collect();
        let asked: Vec<(&Source, Vec<usize>)> = self
            .sources()
            .iter()
            .map(|source| {
                let mine = (0..branches.len())
                    .filter(|&b| {
                        branches.get(b).is_some_and(|branch| {
                            branch.in_statement()
                                && source.may_hold(owners.get(b).and_then(Option::as_deref))
                        })
                    })
                    .collect();
                (source, mine)
            })
            .filter(|(_, mine): &(&Source, Vec<usize>)| !mine.is_empty())
            .collect();
        let statements: Vec<(Scoped, Vec<Shape>)> = asked
            .iter()
            .map(|(source, mine)| {
                let (select, shapes) = together(scope, source.backend(), parents, branches, mine);
                (select.finish(), shapes)
            })
            .collect();
        // A source that does not answer leaves its branches' pages to the others' rows.
        let reads = join_all(
            asked
                .iter()
                .zip(&statements)
                .map(|((source, _), (select, _))| source.run(select)),
        );
        let counts = try_join_all(
            branches
                .iter_mut()
                .filter(|branch| branch.counts_apart())
                .map(|branch| branch.count_apart(self, scope, parents)),
        );
        let (answers, _) = futures::try_join!(reads.map(Ok), counts)?;
        for ((_, mine), ((_, shapes), answer)) in asked.iter().zip(statements.iter().zip(answers)) {
            let answer = match answer {
                Ok(answer) => answer,
                Err(StoreError::SourceUnavailable(source)) => {
                    for &b in mine {
                        if let Some(branch) = branches.get_mut(b) {
                            branch.missed(&source);
                        }
                    }
                    continue;
                }
                Err(error) => return Err(error),
            };
            let Some(first) = answer.first() else {
                for &b in mine {
                    if let Some(branch) = branches.get_mut(b) {
                        branch.end_answer();
                    }
                }
                continue;
            };
            let several = mine.len() > 1;
            let branch_at = if several {
                Some(position(first, BRANCH)?)
            } else {
                None
            };
            for (&b, shape) in mine.iter().zip(shapes) {
                let marker = position(first, &format!("b{}", shape.index))?;
                if let Some(branch) = branches.get_mut(b) {
                    branch.locate(first, shape, marker)?;
                }
            }
            for row in &answer {
                let index = match branch_at {
                    Some(at) => usize::try_from(row.try_get_by_index::<i64>(at)?).unwrap_or(0),
                    None => 0,
                };
                let (Some(&b), Some(shape)) = (mine.get(index), shapes.get(index)) else {
                    continue;
                };
                if let Some(branch) = branches.get_mut(b) {
                    branch.read(row, shape)?;
                }
            }
            for &b in mine {
                if let Some(branch) = branches.get_mut(b) {
                    branch.end_answer();
                }
            }
        }
        if sources > 1 {
            try_join_all(
                branches
                    .iter_mut()
                    .map(|branch| branch.recount_shared(self, scope)),
            )
            .await?;
        }
        for branch in branches.iter_mut() {
            branch.finish(scope, parents);
        }
        Ok(())
    }
}

/// The statement of the branches `mine` for `parents` on one source, and where each branch is
/// in it.
fn together(
    scope: &Scope,
    backend: DbBackend,
    parents: &[Uuid],
    branches: &[&mut dyn Branch],
    mine: &[usize],
) -> (Select, Vec<Shape>) {
    let several = mine.len() > 1;
    let mut first_alias = 0;
    let shapes: Vec<Shape> = mine
        .iter()
        .enumerate()
        .filter_map(|(index, &b)| {
            let branch = branches.get(b)?;
            let joined = branch.joins_in_statement();
            let shape = Shape {
                index,
                branches: mine.len(),
                first_alias,
                joined,
            };
            first_alias += branch.aliases(joined);
            Some(shape)
        })
        .collect();
    let branch_number = Expr::col((Alias::new(BRANCHES), Alias::new("column1")));
    let mut select = Select::new();
    match backend {
        DbBackend::Postgres => {
            // The parents as one parameter, whatever their number: the statement's text is the
            // same for every page size, so the driver's prepared statement and PostgreSQL's
            // plan of it serve every request of the same shape.
            select.expr_as(parent_of_row(), Alias::new(PARENT_KEY));
            select.from_ids(parents, PARENTS);
            if several {
                select.expr_as(branch_number.clone(), Alias::new(BRANCH));
                select.join_numbers(mine.len(), BRANCHES);
            }
        }
        _ => {
            if several {
                select.expr_as(branch_number.clone(), Alias::new(BRANCH));
                select.from_numbers(mine.len(), BRANCHES);
            }
        }
    }
    for (&b, shape) in mine.iter().zip(&shapes) {
        let Some(branch) = branches.get(b) else {
            continue;
        };
        let index = shape.index;
        let rows = format!("r{index}");
        select.expr_as(Expr::val(0), Alias::new(format!("b{index}")));
        match branch.part(scope, backend, parents, shape) {
            Part::Lateral(parts, joins) => {
                let (page, count) = *parts;
                if page.is_some() {
                    select.column((Alias::new(&rows), Asterisk));
                }
                if let Some(count) = count {
                    // Joined before the page, so that it is counted once per parent.
                    let counted = format!("c{index}");
                    select.join_lateral(JoinType::InnerJoin, count, &counted, Condition::all());
                    select.column((Alias::new(counted), Alias::new(branch_column(index, COUNT))));
                }
                if let Some(page) = page {
                    select.join_lateral(JoinType::LeftJoin, page, &rows, Condition::all());
                    // The page's references, joined to its rows only: inside the subquery
                    // they would be joined again for every parent's candidate rows.
                    add_joins_to(&mut select, scope, rows, joins, shape.first_alias);
                }
            }
            Part::Windowed(ranked) => {
                let ranked = *ranked;
                select.column((Alias::new(&rows), Asterisk));
                if several {
                    select.join_select(
                        JoinType::LeftJoin,
                        ranked,
                        &rows,
                        Condition::all().add(branch_number.clone().eq(index as i64)),
                    );
                } else {
                    select.from_select(ranked, &rows);
                }
            }
        }
    }
    (select, shapes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{natural_id, RecordKind};
    use crate::store::decode::{columns, Columns};
    use crate::store::testing::{seeded, seeded_postgres, seeded_split, TestStore};
    use crate::store::{
        ChildPages, CleanroomsOfUnit, Institutions, PageRequest, People, PeopleOfUnit, Units,
        UnitsOfInstitution,
    };
    use entities::{cleanroom, person, unit};

    /// The first `limit` children of `R` of every parent, with no filter and the default order.
    fn query<R: Relation>(limit: u64) -> QueryOf<R::Child> {
        QueryOf::<R::Child> {
            filter: Default::default(),
            order: Vec::new(),
            page: PageRequest::first(limit),
        }
    }

    /// A rule keeping the rows of a table, by the alias it is read under, whose `column` is not
    /// `value`.
    fn all_but(
        column: &'static str,
        value: impl Into<sea_orm::Value> + Clone + Send + Sync + 'static,
    ) -> impl Fn(&str) -> Condition + Send + Sync + 'static {
        move |alias: &str| {
            Condition::all()
                .add(Expr::col((Alias::new(alias), Alias::new(column))).ne(value.clone()))
        }
    }

    /// The text of the statement of one branch of `R` for `parents` under `scope` on
    /// `backend`, its pages with `joins` when `paged`, its counts when `counted`.
    fn branch_text<R: Relation>(
        scope: &Scope,
        backend: DbBackend,
        parents: &[Uuid],
        joins: Vec<Join>,
        (paged, counted): (bool, bool),
    ) -> String {
        let columns = columns!(<R::Child as Kind>::Model: );
        let branch = match RelationBranch::<R>::new(query::<R>(2), joins, paged, counted, columns) {
            Ok(branch) => branch,
            Err(error) => panic!("the branch could not be planned: {error}"),
        };
        let mut branch = branch;
        if backend == DbBackend::Postgres {
            branch.read_laterally();
        }
        let branches: [&mut dyn Branch; 1] = [&mut branch];
        let (select, _) = together(scope, backend, parents, &branches, &[0]);
        select.finish().text(backend)
    }

    fn unit_of_cleanroom() -> Vec<Join> {
        vec![Join::to::<Units>(
            "unit_id",
            columns!(unit::Model: name),
            Vec::new(),
        )]
    }

    #[test]
    fn an_open_scope_leaves_a_relation_page_as_it_was() {
        let parent = Uuid::from_u128(7);
        let scope = Scope::open();

        let windowed = branch_text::<CleanroomsOfUnit>(
            &scope,
            DbBackend::Sqlite,
            &[parent],
            unit_of_cleanroom(),
            (true, true),
        );
        let lateral = branch_text::<CleanroomsOfUnit>(
            &scope,
            DbBackend::Postgres,
            &[parent],
            unit_of_cleanroom(),
            (true, true),
        );
        let people = branch_text::<PeopleOfUnit>(
            &scope,
            DbBackend::Sqlite,
            &[parent],
            Vec::new(),
            (false, true),
        );

        assert_eq!(
            windowed,
            r#"SELECT 0 AS "b0", "r0".* FROM (SELECT * FROM (SELECT "cleanroom"."id", "cleanroom"."unit_id", "cleanroom"."code", "j0"."id" AS "j0_id", "j0"."name" AS "j0_name", COUNT(*) OVER ( PARTITION BY "cleanroom"."unit_id" ) AS "b0_row_count", "cleanroom"."unit_id" AS "b0_parent_key", ROW_NUMBER() OVER ( PARTITION BY "cleanroom"."unit_id" ORDER BY "cleanroom"."code" ASC, "cleanroom"."id" ASC ) AS "b0_row_number" FROM "cleanroom" LEFT JOIN "unit" AS "j0" ON "j0"."id" = "cleanroom"."unit_id" WHERE TRUE AND TRUE AND "cleanroom"."unit_id" IN ('00000000-0000-0000-0000-000000000007')) AS "ranked" WHERE "b0_row_number" <= 3) AS "r0""#
        );
        assert_eq!(
            lateral,
            r#"SELECT "parents"."parents" AS "parent_key", 0 AS "b0", "r0".*, "j0"."id" AS "j0_id", "j0"."name" AS "j0_name" FROM unnest(string_to_array('00000000-0000-0000-0000-000000000007', ',')::uuid[]) AS "parents" LEFT JOIN LATERAL (SELECT "cleanroom"."id", "cleanroom"."unit_id", "cleanroom"."code", ROW_NUMBER() OVER (  ORDER BY "cleanroom"."code" ASC, "cleanroom"."id" ASC ) AS "b0_row_number", COUNT(*) OVER () AS "b0_row_count" FROM "cleanroom" WHERE TRUE AND TRUE AND "cleanroom"."unit_id" = "parents"."parents" ORDER BY "cleanroom"."code" ASC, "cleanroom"."id" ASC LIMIT 3) AS "r0" ON TRUE LEFT JOIN "unit" AS "j0" ON "j0"."id" = "r0"."unit_id""#
        );
        assert_eq!(
            people,
            r#"SELECT 0 AS "b0", "r0".* FROM (SELECT "appointed"."parent" AS "b0_parent_key", COUNT(*) AS "b0_row_count" FROM "person" INNER JOIN (SELECT DISTINCT "unit_id" AS "parent", "person_id" FROM "appointment" WHERE "unit_id" IN ('00000000-0000-0000-0000-000000000007')) AS "appointed" ON "appointed"."person_id" = "person"."id" WHERE TRUE AND TRUE GROUP BY "appointed"."parent") AS "r0""#
        );
    }

    #[test]
    fn a_row_rule_of_a_relation_s_parents_or_appointments_is_in_the_page_s_statement() {
        let parent = Uuid::from_u128(7);
        let hidden = Uuid::from_u128(9);

        let units = branch_text::<UnitsOfInstitution>(
            &Scope::with_rule::<Institutions>(all_but("id", hidden)),
            DbBackend::Sqlite,
            &[parent],
            Vec::new(),
            (false, true),
        );
        let people = branch_text::<PeopleOfUnit>(
            &Scope::with_rule::<crate::store::Appointments>(all_but("id", hidden)),
            DbBackend::Postgres,
            &[parent],
            Vec::new(),
            (false, true),
        );

        assert_eq!(
            units,
            r#"SELECT 0 AS "b0", "r0".* FROM (SELECT "parent_of"."id" AS "b0_parent_key", COUNT(*) AS "b0_row_count" FROM "unit" INNER JOIN "institution" AS "parent_of" ON ("unit"."institution_id" = "parent_of"."id" OR "unit"."partner_institution_id" = "parent_of"."id") AND "parent_of"."id" <> '00000000-0000-0000-0000-000000000009' WHERE TRUE AND TRUE AND "parent_of"."id" IN ('00000000-0000-0000-0000-000000000007') GROUP BY "parent_of"."id") AS "r0""#
        );
        assert_eq!(
            people,
            r#"SELECT "parents"."parents" AS "parent_key", 0 AS "b0", "c0"."b0_row_count" FROM unnest(string_to_array('00000000-0000-0000-0000-000000000007', ',')::uuid[]) AS "parents" INNER JOIN LATERAL (SELECT COUNT(*) AS "b0_row_count" FROM "person" INNER JOIN (SELECT DISTINCT "unit_id" AS "parent", "person_id" FROM "appointment" WHERE "appointment"."id" <> '00000000-0000-0000-0000-000000000009' AND "unit_id" = "parents"."parents") AS "appointed" ON "appointed"."person_id" = "person"."id" WHERE TRUE AND TRUE) AS "c0" ON TRUE"#
        );
    }

    /// Relation `R`'s first 100 children of each of `parents` under `scope` (when `paged`), and
    /// their counts.
    async fn pages<R: Relation>(
        store: &Store,
        scope: &Scope,
        parents: &[Uuid],
        paged: bool,
    ) -> ChildPages<<R::Child as Kind>::Model> {
        let columns = Columns::all::<<R::Child as Kind>::Model>();
        let mut branch =
            match RelationBranch::<R>::new(query::<R>(100), Vec::new(), paged, true, columns) {
                Ok(branch) => branch,
                Err(error) => panic!("the branch could not be planned: {error}"),
            };
        if let Err(error) = store
            .child_pages_together(scope, parents, &mut [&mut branch])
            .await
        {
            panic!("the pages could not be read: {error}");
        }
        branch.take_pages()
    }

    /// The IDs on each parent's page.
    fn listed<M>(pages: &ChildPages<M>, parent: &Uuid, id: impl Fn(&M) -> Uuid) -> Vec<Uuid> {
        pages
            .pages
            .get(parent)
            .map(|page| page.rows.iter().map(|row| id(row)).collect())
            .unwrap_or_default()
    }

    /// The stores to read: one database, two, and PostgreSQL where the tests are given one.
    async fn stores(test: &str) -> Vec<TestStore> {
        let mut stores = vec![seeded().await, seeded_split().await];
        stores.extend(seeded_postgres(test).await);
        stores
    }

    /// Every unit's ID.
    async fn unit_ids(store: &Store) -> Vec<Uuid> {
        let query = QueryOf::<Units> {
            filter: Default::default(),
            order: Vec::new(),
            page: PageRequest::first(100),
        };
        match store.page::<Units>(&Scope::default(), &query).await {
            Ok(page) => page.rows.iter().map(|unit| unit.id).collect(),
            Err(error) => panic!("the units could not be listed: {error}"),
        }
    }

    #[tokio::test]
    async fn a_hidden_child_is_absent_from_its_parent_s_page_and_count() {
        for test_store in stores("a_hidden_child_is_absent_from_its_parent_s_page_and_count").await
        {
            let store = &test_store.store;
            let units = unit_ids(store).await;
            let public = pages::<CleanroomsOfUnit>(store, &Scope::default(), &units, true).await;
            let Some((&unit, &before)) = public.counts.iter().max_by_key(|(_, count)| **count)
            else {
                panic!("no unit has cleanrooms");
            };
            let all = listed(&public, &unit, |c: &cleanroom::Model| c.id);
            let Some(&hidden) = all.first() else {
                panic!("the unit's page is empty");
            };
            let scope = Scope::with_rule::<crate::store::Cleanrooms>(all_but("id", hidden));

            let ruled = pages::<CleanroomsOfUnit>(store, &scope, &units, true).await;
            let counted = pages::<CleanroomsOfUnit>(store, &scope, &units, false).await;

            let left = listed(&ruled, &unit, |c: &cleanroom::Model| c.id);
            assert!(before > 1, "{before}");
            assert_eq!(left.len(), all.len() - 1);
            assert!(!left.contains(&hidden));
            assert_eq!(ruled.counts.get(&unit), Some(&(before - 1)));
            assert_eq!(counted.counts.get(&unit), Some(&(before - 1)));
        }
    }

    #[tokio::test]
    async fn a_hidden_appointment_places_no_one_in_its_unit() {
        for test_store in stores("a_hidden_appointment_places_no_one_in_its_unit").await {
            let store = &test_store.store;
            let units = unit_ids(store).await;
            let public = pages::<PeopleOfUnit>(store, &Scope::default(), &units, true).await;
            let Some((&unit, &before)) = public.counts.iter().max_by_key(|(_, count)| **count)
            else {
                panic!("no unit has people");
            };
            let Some(&person) = listed(&public, &unit, |p: &person::Model| p.id).first() else {
                panic!("the unit's page is empty");
            };
            // Every appointment of that person in that unit is hidden; the person is not.
            let scope = Scope::with_rule::<crate::store::Appointments>(move |alias: &str| {
                let column = |name: &str| Expr::col((Alias::new(alias), Alias::new(name)));
                Condition::any()
                    .add(column("person_id").ne(person))
                    .add(column("unit_id").ne(unit))
            });

            let ruled = pages::<PeopleOfUnit>(store, &scope, &units, true).await;
            let counted = pages::<PeopleOfUnit>(store, &scope, &units, false).await;

            assert!(!listed(&ruled, &unit, |p: &person::Model| p.id).contains(&person));
            assert_eq!(ruled.counts.get(&unit), Some(&(before - 1)));
            assert_eq!(counted.counts.get(&unit), Some(&(before - 1)));
            let people = store.count::<People>(&scope, &Default::default()).await;
            let everyone = store
                .count::<People>(&Scope::default(), &Default::default())
                .await;
            assert_eq!(people.ok(), everyone.ok(), "the person is still listed");
        }
    }

    #[tokio::test]
    async fn a_hidden_parent_has_no_children_listed() {
        for test_store in stores("a_hidden_parent_has_no_children_listed").await {
            let store = &test_store.store;
            let ki = natural_id(RecordKind::Institution, "KI");
            let kuh = natural_id(RecordKind::Institution, "KUH");
            let parents = [ki, kuh];
            let public =
                pages::<UnitsOfInstitution>(store, &Scope::default(), &parents, true).await;
            let scope = Scope::with_rule::<Institutions>(all_but("id", kuh));

            let ruled = pages::<UnitsOfInstitution>(store, &scope, &parents, true).await;
            let counted = pages::<UnitsOfInstitution>(store, &scope, &parents, false).await;

            assert!(public.counts.get(&kuh).is_some_and(|count| *count > 0));
            assert!(listed(&ruled, &kuh, |u: &unit::Model| u.id).is_empty());
            assert_eq!(ruled.counts.get(&kuh), Some(&0));
            assert_eq!(counted.counts.get(&kuh), Some(&0));
            assert_eq!(
                listed(&ruled, &ki, |u: &unit::Model| u.id),
                listed(&public, &ki, |u: &unit::Model| u.id)
            );
            assert_eq!(ruled.counts.get(&ki), public.counts.get(&ki));
        }
    }
}
