//! What one caller may read, and the statements built through it. A [`Scope`] is made once
//! per request from the [`Caller`]; a table enters a statement only as a [`ScopedTable`] it
//! hands out, which carries the caller's row rule for its kind; and a [`Scoped`] statement,
//! the only kind [`Source::run`] runs, is made only by a [`Select`] that starts from a
//! scoped table, so its row rule cannot be forgotten.
//!
//! Every read of a request goes through here: `clippy.toml` forbids building or running a
//! statement anywhere else but the writes' and startup maintenance's own modules, and a test
//! below greps the sources for the same.

// The door itself: the only module that builds statements and subqueries from tables, which
// the workspace's clippy.toml forbids everywhere else.
#![expect(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the read door builds every statement"
)]

use std::sync::Arc;

use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, ExprTrait, Func, IntoColumnRef, IntoCondition, IntoIden,
    JoinType, NullOrdering, Order, Query, SelectExpr, SelectStatement, WindowStatement,
};
#[cfg(test)]
use sea_orm::DbBackend;
use uuid::Uuid;

use super::access::{audiences, read_by, ReadBy};
use super::decode::Columns;
use super::list::Kind;
use super::seal::{CursorSeal, Seal};
use super::{text_key, Caller, HashMap, Role, Source, StoreError};
use crate::catalog::KindId;

/// A kind's row rule: the condition its rows must meet, over the table named by the alias
/// the statement reads it under.
type Rule = Arc<dyn Fn(&str) -> Condition + Send + Sync>;

/// What one caller may read: per kind, the rows (no rule: every row); whose contact details
/// (the catalog's personal columns); and the seal of the caller's cursors. Cheap to clone.
#[derive(Clone)]
pub struct Scope {
    /// The row rules, by the kind's table; a kind without one is open.
    rules: Arc<HashMap<&'static str, Rule>>,
    /// Whose contact details the caller reads.
    contacts: Contacts,
    /// Seals the cursors the caller is given and opens those it sends back.
    cursors: CursorSeal,
}

/// Whose contact details a caller reads: the cells of the catalog's personal columns
/// (annotated `personal`: a person's `email` and `phone`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Contacts {
    /// Nobody's: the columns are never read (the public, partners).
    Hidden,
    /// Those of the people with an appointment, current or ended, at one of these
    /// institutions (a member of their staff); `NULL` for everybody else.
    AppointedAt(Arc<[Uuid]>),
    /// Everybody's (an admin).
    All,
}

impl Contacts {
    /// Whose contact details `caller` reads, by its role and institutions.
    fn of(caller: &Caller) -> Contacts {
        match caller.role() {
            Role::Public | Role::Partner => Contacts::Hidden,
            Role::Staff | Role::Steward => Contacts::AppointedAt(
                caller
                    .institutions()
                    .iter()
                    .map(|institution| institution.id.0)
                    .collect(),
            ),
            Role::Admin => Contacts::All,
        }
    }
}

/// Whether column `name` of `table` is one of the catalog's personal columns.
fn is_personal(table: &str, name: &str) -> bool {
    KindId::of_table(table).is_some_and(|kind| kind.personal().contains(&name))
}

/// The table of the institutions each person is appointed at (see
/// `migration::m20261217_000017_create_person_contact`).
const PERSON_CONTACT: &str = "person_contact";

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("ruled", &self.rules.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The public's scope, with a secret of its own for its cursors (a test's scope).
#[cfg(test)]
impl Default for Scope {
    fn default() -> Self {
        Scope::of(&Caller::Public, Arc::new(Seal::ephemeral()))
    }
}

impl Scope {
    /// The scope of `caller`, whose cursors `seal` seals (the store's, [`super::Store::seal`]):
    /// the rows its role reads of each kind, as the catalog's access annotation says how that
    /// kind is read (README, "Roles and what they read"); its cursors are bound to its key, or
    /// to none for the public.
    ///
    /// A person's contact details are read by staff for the people with an appointment at
    /// their institution, by admins for everybody, and by nobody else ([`Contacts`]).
    pub fn of(caller: &Caller, seal: Arc<Seal>) -> Scope {
        let institutions: Vec<Uuid> = caller.institutions().iter().map(|i| i.id.0).collect();
        Scope {
            rules: Arc::new(rules(caller.role(), &institutions)),
            contacts: Contacts::of(caller),
            cursors: CursorSeal::new(seal, caller.binding()),
        }
    }

    /// Every column of `K` the caller may read: every column, less the personal ones where
    /// the caller reads nobody's contact details. What a read of whole rows selects.
    pub(super) fn readable<K: Kind>(&self) -> Columns {
        let all = Columns::all::<K::Model>();
        if self.contacts != Contacts::Hidden {
            return all;
        }
        let personal = match KindId::of_table(K::TABLE) {
            Some(kind) => kind.personal(),
            None => return all,
        };
        if personal.is_empty() {
            return all;
        }
        // None: the catalog's personal columns are columns (`decode`'s tests): the ID alone is
        // read then, never a personal column.
        match Columns::named::<K::Model>(personal) {
            Some(personal) => all.without(personal),
            None => Columns::id(),
        }
    }

    /// The scope of `caller`, with a secret of its own for its cursors (tests of the contact
    /// details' cells).
    #[cfg(test)]
    pub(crate) fn of_caller(caller: &Caller) -> Scope {
        Scope::of(caller, Arc::new(Seal::ephemeral()))
    }

    /// The seal of the caller's cursors.
    pub fn cursors(&self) -> &CursorSeal {
        &self.cursors
    }

    /// A scope reading every row, as an admin's does, with a secret of its own for its
    /// cursors (a test's scope, for statements as they are before any row rule).
    #[cfg(test)]
    pub(crate) fn open() -> Scope {
        Scope {
            rules: Arc::default(),
            ..Scope::default()
        }
    }

    /// A scope with one row rule, on the rows of `K` (the rule gets the table's alias).
    #[cfg(test)]
    pub(crate) fn with_rule<K: Kind>(
        rule: impl Fn(&str) -> Condition + Send + Sync + 'static,
    ) -> Scope {
        Scope::with_table_rule(K::TABLE, rule)
    }

    /// A scope with one row rule, on the rows of `table`.
    #[cfg(test)]
    pub(crate) fn with_table_rule(
        table: &'static str,
        rule: impl Fn(&str) -> Condition + Send + Sync + 'static,
    ) -> Scope {
        let mut rules: HashMap<&'static str, Rule> = HashMap::default();
        rules.insert(table, Arc::new(rule));
        Scope {
            rules: Arc::new(rules),
            ..Scope::default()
        }
    }

    /// The table of `K`, under its own name.
    pub(super) fn table<K: Kind>(&self) -> ScopedTable<'_> {
        self.named(K::TABLE)
    }

    /// A record table named by the catalog (a filter's relation names its table), under its
    /// own name.
    pub(super) fn named(&self, table: &'static str) -> ScopedTable<'_> {
        self.named_as(table, table)
    }

    /// A record table named by the catalog, under `alias`.
    pub(super) fn named_as(
        &self,
        table: &'static str,
        alias: impl Into<String>,
    ) -> ScopedTable<'_> {
        ScopedTable {
            scope: self,
            table,
            alias: alias.into(),
        }
    }

    /// `<value>`, a reference from a row the caller reads to a row of `target`, as a group key
    /// or a counted value may show it: as it is where every row it can name is one the
    /// caller reads, else `CASE WHEN EXISTS (SELECT 1 FROM <target> AS shown WHERE <the
    /// caller's rows of it> AND shown.id = <value>) THEN <value> END`, so that a hidden record
    /// is a missing value (correlated: a lookup of the record's key per row). A reference
    /// to a record an institution owns is as it is: the writer composes what such a record
    /// requires into what the rows naming it require ([`super::access`]), so the caller reads
    /// it. A person is read by their own audiences, which every source keeps, so the test is
    /// the same in every source.
    pub(super) fn shown_reference(&self, value: Expr, target: &'static str) -> Expr {
        if read_by(target) != ReadBy::Appointed || self.is_open_named(target) {
            return value;
        }
        let shown = self.named_as(target, "shown");
        let mut ids = Select::from(&shown);
        ids.expr(Expr::val(1));
        ids.statement
            .and_where(shown.column("id").eq(value.clone()));
        Expr::case(ids.exists(), value).into()
    }

    /// Whether every row of `K` is open to the caller.
    pub(super) fn is_open<K: Kind>(&self) -> bool {
        self.is_open_named(K::TABLE)
    }

    /// Whether every row of `table` is open to the caller.
    pub(super) fn is_open_named(&self, table: &str) -> bool {
        !self.rules.contains_key(table)
    }
}

/// The row rules of a caller of `role` for `institutions`, by table: one per kind the
/// catalog does not declare open, none at all for an admin.
fn rules(role: Role, institutions: &[Uuid]) -> HashMap<&'static str, Rule> {
    let marked = marked_rule(role, institutions);
    let appointed = appointed_rule(role, institutions);
    let mut rules: HashMap<&'static str, Rule> = HashMap::default();
    for kind in KindId::ALL {
        let rule = match kind.access() {
            ReadBy::Open => None,
            ReadBy::Marked => marked.clone(),
            ReadBy::Appointed => appointed.clone(),
        };
        if let Some(rule) = rule {
            rules.insert(kind.table(), rule);
        }
    }
    rules
}

/// `<alias>.<name>`.
fn aliased(alias: &str, name: &str) -> Expr {
    Expr::col((Alias::new(alias), Alias::new(name)))
}

/// `<alias>.<name> IS NULL OR <alias>.<name> IN (<institutions>)`; only the first where
/// there are none.
fn none_or_among(alias: &str, name: &str, institutions: &[Uuid]) -> Condition {
    let mut test = Condition::any().add(aliased(alias, name).is_null());
    if !institutions.is_empty() {
        test = test.add(aliased(alias, name).is_in(institutions.iter().copied()));
    }
    test
}

/// The rule on the rows of a kind an institution owns, by what each requires of its reader
/// (its `partner_of` and `internal_of`, see [`super::access`]); one arm per role.
fn marked_rule(role: Role, institutions: &[Uuid]) -> Option<Rule> {
    let institutions = institutions.to_vec();
    match role {
        // What no institution restricts.
        Role::Public => Some(Arc::new(|alias: &str| {
            Condition::all()
                .add(aliased(alias, "partner_of").is_null())
                .add(aliased(alias, "internal_of").is_null())
        })),
        // Also what its institutions show their partners.
        Role::Partner => Some(Arc::new(move |alias: &str| {
            Condition::all()
                .add(none_or_among(alias, "partner_of", &institutions))
                .add(aliased(alias, "internal_of").is_null())
        })),
        // Also what its institution shows its partners and its staff.
        Role::Staff | Role::Steward => Some(Arc::new(move |alias: &str| {
            Condition::all()
                .add(none_or_among(alias, "partner_of", &institutions))
                .add(none_or_among(alias, "internal_of", &institutions))
        })),
        Role::Admin => None,
    }
}

/// The rule on people, whom a caller reads when one of the person's audiences is one of the
/// caller's ([`audiences`]). The public's: `<alias>.read_by_public`, a column of the row
/// (the writer keeps it with the audiences), so the most frequent reads test no other table.
/// Every other role's: `<alias>.read_by_public OR EXISTS (SELECT 1 FROM person_reader WHERE
/// person_id = <alias>.id AND reader IN (<the caller's audiences>) LIMIT 1 OFFSET 0)`, an
/// index lookup per person the public does not read ([`probe`]).
fn appointed_rule(role: Role, institutions: &[Uuid]) -> Option<Rule> {
    let audiences = audiences(role, institutions)?;
    if role == Role::Public {
        return Some(Arc::new(|alias: &str| {
            Condition::all().add(aliased(alias, "read_by_public").eq(true))
        }));
    }
    Some(Arc::new(move |alias: &str| {
        let reader = |name: &str| aliased(PERSON_READER, name);
        let mut readers = Query::select();
        readers
            .expr(Expr::val(1))
            .from(Alias::new(PERSON_READER))
            .and_where(reader("person_id").equals((Alias::new(alias), Alias::new("id"))))
            .and_where(reader("reader").is_in(audiences.iter().map(String::as_str)));
        Condition::any()
            .add(aliased(alias, "read_by_public").eq(true))
            .add(probe(readers))
    }))
}

/// The table of the people's audiences.
const PERSON_READER: &str = "person_reader";

/// `EXISTS (<query> LIMIT 1 OFFSET 0)`: a correlated test PostgreSQL answers with one index
/// probe per outer row. The `OFFSET` keeps it from turning an `EXISTS` (under `OR` or in a
/// `CASE`) into a hashed subplan, which reads every row the query could match, for every
/// outer row's sake, before the first: the staff's people statement ran at 0.04 times the speed
/// of the public's on mixed visibility, and the contact cells of 101 people took 33-44 ms
/// instead of 5 (pgbench). SQLite reads it the same either way.
fn probe(mut query: SelectStatement) -> Expr {
    query.limit(1).offset(0);
    Expr::exists(query)
}

/// A record table in a statement: its name, its alias and the caller's row rule on it. Only
/// a [`Scope`] makes one.
pub struct ScopedTable<'s> {
    scope: &'s Scope,
    table: &'static str,
    alias: String,
}

impl<'s> ScopedTable<'s> {
    /// The caller's row rule on this table, `None` where every row is open.
    fn rows(&self) -> Option<Condition> {
        self.scope
            .rules
            .get(self.table)
            .map(|rule| rule(&self.alias))
    }

    /// The scope it came from, for the tables a condition on it reads (a filter's related
    /// rows).
    pub(super) fn scope(&self) -> &'s Scope {
        self.scope
    }

    /// One of its columns, as the statement reads it.
    pub(super) fn column(&self, name: &str) -> Expr {
        Expr::col((Alias::new(&self.alias), Alias::new(name)))
    }

    /// Column `name` as the caller may read it, and whether that differs from the column: a
    /// personal column's cell rule ([`Contacts`]). Nobody's: `NULL` (the column is not read).
    /// Staff's: `CASE WHEN EXISTS (SELECT 1 FROM person_contact WHERE person_id = <alias>.id
    /// AND institution_id IN (<theirs>) LIMIT 1 OFFSET 0) THEN <alias>.<name> END`, one lookup of the pair's
    /// primary key per row, in the source the row is read from (every source keeps every
    /// pair). Everybody's, or any other column: the column itself.
    fn cell(&self, name: &str) -> (Expr, bool) {
        if !is_personal(self.table, name) {
            return (self.column(name), false);
        }
        let cell = match &self.scope.contacts {
            Contacts::All => return (self.column(name), false),
            Contacts::Hidden => Expr::cust("CAST(NULL AS TEXT)"),
            Contacts::AppointedAt(institutions) => {
                let pair =
                    |column: &str| Expr::col((Alias::new(PERSON_CONTACT), Alias::new(column)));
                let mut appointed = Query::select();
                appointed
                    .expr(Expr::val(1))
                    .from(Alias::new(PERSON_CONTACT))
                    .and_where(
                        pair("person_id").equals((Alias::new(&self.alias), Alias::new("id"))),
                    )
                    .and_where(pair("institution_id").is_in(institutions.iter().copied()));
                Expr::case(probe(appointed), self.column(name)).into()
            }
        };
        (cell, true)
    }

    /// `<on> AND <the caller's rows of it>`: a join's condition.
    fn on(&self, on: Condition) -> Condition {
        match self.rows() {
            Some(rows) => Condition::all().add(on).add(rows),
            None => on,
        }
    }
}

/// A statement being built (`from_…` methods add a row source to it, as
/// `SelectStatement::from` does). Its row sources are only scoped tables, other scoped statements
/// and row sources that read no table (the parents' IDs, branch numbers), so its row rules
/// cannot be forgotten.
///
/// Until step 4 of docs/access-plan.md it still derefs mutably to the `SelectStatement`, for
/// the builders not yet converted.
pub struct Select {
    statement: SelectStatement,
}

#[allow(
    clippy::wrong_self_convention,
    reason = "`from_…` add a row source to the statement being built, as sea_query's `from` does"
)]
impl Select {
    /// A statement with no row source yet (one that starts with the parents' IDs, say).
    pub(super) fn new() -> Select {
        Select {
            statement: Query::select(),
        }
    }

    /// `SELECT … FROM <table> [WHERE <the caller's rows of it>]`.
    pub(super) fn from(table: &ScopedTable<'_>) -> Select {
        let mut select = Select::new();
        select.from_table(table);
        select
    }

    /// `FROM <table>` with the caller's rows of it in `WHERE`.
    pub(super) fn from_table(&mut self, table: &ScopedTable<'_>) -> &mut Self {
        if table.alias == table.table {
            self.statement.from(Alias::new(table.table));
        } else {
            self.statement
                .from_as(Alias::new(table.table), Alias::new(&table.alias));
        }
        if let Some(rows) = table.rows() {
            self.statement.cond_where(rows);
        }
        self
    }

    /// `FROM (<inner>) AS <alias>`: a derived table of a scoped statement.
    pub(super) fn from_select(&mut self, inner: Select, alias: &str) -> &mut Self {
        self.statement
            .from_subquery(inner.statement, Alias::new(alias));
        self
    }

    /// `FROM unnest(string_to_array($1, ',')::uuid[]) AS <alias>` (PostgreSQL): the IDs
    /// `ids` as rows of one column named `alias`, in one parameter whatever their number, so
    /// that the statement's text is the same for every page size. Reads no table.
    pub(super) fn from_ids(&mut self, ids: &[Uuid], alias: &str) -> &mut Self {
        let ids = ids
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",");
        self.statement.from_function(
            Func::cust("unnest").arg(Expr::cust_with_values(
                "string_to_array($1, ',')::uuid[]",
                [ids],
            )),
            Alias::new(alias),
        );
        self
    }

    /// `(VALUES (0), (1), …)`: the numbers below `count`, as one column `column1`. Reads no
    /// table.
    fn numbers(count: usize) -> SelectStatement {
        let mut numbers = Query::select();
        numbers
            .column(Asterisk)
            .from_values((0..count as i64).collect::<Vec<_>>(), Alias::new("n"));
        numbers
    }

    /// `FROM (VALUES (0), … (count - 1)) AS <alias>`.
    pub(super) fn from_numbers(&mut self, count: usize, alias: &str) -> &mut Self {
        self.statement
            .from_subquery(Select::numbers(count), Alias::new(alias));
        self
    }

    /// `INNER JOIN (VALUES (0), … (count - 1)) AS <alias> ON TRUE`.
    pub(super) fn join_numbers(&mut self, count: usize, alias: &str) -> &mut Self {
        self.statement.join_subquery(
            JoinType::InnerJoin,
            Select::numbers(count),
            Alias::new(alias),
            Condition::all(),
        );
        self
    }

    /// `LEFT JOIN <table> ON <on> AND <the caller's rows of it>`: a row the caller may not
    /// read is not found, as if absent.
    pub(super) fn left_join(&mut self, table: &ScopedTable<'_>, on: Condition) -> &mut Self {
        self.join_table(JoinType::LeftJoin, table, on)
    }

    /// `INNER JOIN <table> ON <on> AND <the caller's rows of it>`.
    pub(super) fn inner_join(&mut self, table: &ScopedTable<'_>, on: Condition) -> &mut Self {
        self.join_table(JoinType::InnerJoin, table, on)
    }

    fn join_table(&mut self, join: JoinType, table: &ScopedTable<'_>, on: Condition) -> &mut Self {
        let on = table.on(on);
        if table.alias == table.table {
            self.statement.join(join, Alias::new(table.table), on);
        } else {
            self.statement
                .join_as(join, Alias::new(table.table), Alias::new(&table.alias), on);
        }
        self
    }

    /// `<join> (<inner>) AS <alias> ON <on>`.
    pub(super) fn join_select(
        &mut self,
        join: JoinType,
        inner: Select,
        alias: &str,
        on: Condition,
    ) -> &mut Self {
        self.statement
            .join_subquery(join, inner.statement, Alias::new(alias), on);
        self
    }

    /// `<join> LATERAL (<inner>) AS <alias> ON <on>` (PostgreSQL).
    pub(super) fn join_lateral(
        &mut self,
        join: JoinType,
        inner: Select,
        alias: &str,
        on: Condition,
    ) -> &mut Self {
        self.statement
            .join_lateral(join, inner.statement, Alias::new(alias), on);
        self
    }

    /// `SELECT <expr>`.
    pub(super) fn expr(&mut self, expr: impl Into<SelectExpr>) -> &mut Self {
        self.statement.expr(expr);
        self
    }

    /// `SELECT <expr> AS <alias>`.
    pub(super) fn expr_as(&mut self, expr: impl Into<Expr>, alias: impl IntoIden) -> &mut Self {
        self.statement.expr_as(expr, alias);
        self
    }

    /// `SELECT <expr> OVER (<window>) AS <alias>`.
    pub(super) fn expr_window_as(
        &mut self,
        expr: impl Into<Expr>,
        window: WindowStatement,
        alias: impl IntoIden,
    ) -> &mut Self {
        self.statement.expr_window_as(expr, window, alias);
        self
    }

    /// `SELECT <table>.<name>`, as the caller may read it: a personal column's cell rule
    /// ([`Contacts`]) under the column's own name, so that a derived table's rows and the
    /// decoding by position meet it where they meet any column.
    pub(super) fn cell(&mut self, table: &ScopedTable<'_>, name: &str) -> &mut Self {
        match table.cell(name) {
            (column, false) => self.statement.expr(column),
            (cell, true) => self.statement.expr_as(cell, Alias::new(name)),
        };
        self
    }

    /// `SELECT <table>.<name> AS <alias>`, as the caller may read it (see [`Select::cell`]).
    pub(super) fn cell_as(
        &mut self,
        table: &ScopedTable<'_>,
        name: &str,
        alias: impl IntoIden,
    ) -> &mut Self {
        self.statement.expr_as(table.cell(name).0, alias);
        self
    }

    /// `SELECT <column>`.
    pub(super) fn column(&mut self, column: impl IntoColumnRef) -> &mut Self {
        self.statement.column(column);
        self
    }

    /// `SELECT <columns>`.
    pub(super) fn columns<C: IntoColumnRef>(
        &mut self,
        columns: impl IntoIterator<Item = C>,
    ) -> &mut Self {
        self.statement.columns(columns);
        self
    }

    /// `SELECT DISTINCT`.
    pub(super) fn distinct(&mut self) -> &mut Self {
        self.statement.distinct();
        self
    }

    /// `WHERE … AND <condition>`.
    pub(super) fn and_where(&mut self, condition: Expr) -> &mut Self {
        self.statement.and_where(condition);
        self
    }

    /// `WHERE … AND <condition>`.
    pub(super) fn cond_where(&mut self, condition: impl IntoCondition) -> &mut Self {
        self.statement.cond_where(condition);
        self
    }

    /// `GROUP BY <exprs>`.
    pub(super) fn add_group_by(&mut self, exprs: impl IntoIterator<Item = Expr>) -> &mut Self {
        self.statement.add_group_by(exprs);
        self
    }

    /// `GROUP BY <column>`.
    pub(super) fn group_by_col(&mut self, column: impl IntoColumnRef) -> &mut Self {
        self.statement.group_by_col(column);
        self
    }

    /// `ORDER BY <column> <order>`.
    pub(super) fn order_by(&mut self, column: impl IntoColumnRef, order: Order) -> &mut Self {
        self.statement.order_by(column, order);
        self
    }

    /// `ORDER BY <expr> <order>`.
    pub(super) fn order_by_expr(&mut self, expr: Expr, order: Order) -> &mut Self {
        self.statement.order_by_expr(expr, order);
        self
    }

    /// `ORDER BY <expr> <order> NULLS <nulls>`.
    pub(super) fn order_by_expr_with_nulls(
        &mut self,
        expr: Expr,
        order: Order,
        nulls: NullOrdering,
    ) -> &mut Self {
        self.statement.order_by_expr_with_nulls(expr, order, nulls);
        self
    }

    /// `LIMIT <limit>`.
    pub(super) fn limit(&mut self, limit: u64) -> &mut Self {
        self.statement.limit(limit);
        self
    }

    /// The statement, ready to run.
    pub(super) fn finish(self) -> Scoped {
        Scoped(self.statement)
    }

    /// The statement as a scalar subquery of another.
    pub(super) fn scalar(self) -> Expr {
        Expr::SubQuery(None, Box::new(self.statement.into()))
    }

    /// `<value> IN (<the statement>)`.
    pub(super) fn contains(self, value: Expr) -> Expr {
        value.in_subquery(self.statement)
    }

    /// `<value> NOT IN (<the statement>)`.
    pub(super) fn not_contains(self, value: Expr) -> Expr {
        value.not_in_subquery(self.statement)
    }

    /// `EXISTS (<the statement>)`.
    pub(super) fn exists(self) -> Expr {
        Expr::exists(self.statement)
    }
}

// Relation filters (step 3 of docs/access-plan.md): the folded keys of text columns.
impl Select {
    /// `<outer>.id IN (SELECT record_id FROM text_key WHERE field = '<table>.<column>' AND
    /// <test of the folded key>)`: whether a row of `outer` holds text in `column` whose key
    /// passes `test`.
    ///
    /// `text_key` is an index of the record tables, not one of them, so it has no row rule of
    /// its own. Reading it is safe because the keys only narrow `outer`'s rows, which came
    /// through the scope: the key of a record the caller may not read finds no row, and
    /// nothing of it reaches the statement's answer.
    pub(super) fn text_key_test(
        outer: &ScopedTable<'_>,
        column: &str,
        test: impl FnOnce(Expr) -> Expr,
    ) -> Expr {
        let key = |name: &str| Expr::col((Alias::new(text_key::TABLE), Alias::new(name)));
        let mut keys = Select::new();
        keys.statement
            .expr(key("record_id"))
            .from(Alias::new(text_key::TABLE))
            .and_where(key("field").eq(text_key::field(outer.table, column)))
            .and_where(test(key("folded")));
        keys.contains(outer.column("id"))
    }
}

/// `COUNT(*)`.
pub(super) fn count_all() -> Expr {
    Expr::cust("COUNT(*)")
}

/// `COUNT(*) OVER ()`: the rows of the whole result, on each row.
pub(super) fn count_over_all() -> Expr {
    Expr::cust("COUNT(*) OVER ()")
}

/// `ROW_NUMBER()`, for a window.
pub(super) fn row_number() -> Expr {
    Expr::cust("ROW_NUMBER()")
}

/// A statement whose tables all came through the scope: what a source runs for a caller.
pub struct Scoped(SelectStatement);

// Joins and relation pages (step 2): the text of a scoped statement, for the tests of the
// modules that build one.
#[cfg(test)]
impl Scoped {
    /// The statement's text on `backend`, its values written in.
    pub(super) fn text(&self, backend: DbBackend) -> String {
        match backend {
            DbBackend::Postgres => self.0.to_string(sea_orm::sea_query::PostgresQueryBuilder),
            _ => self.0.to_string(sea_orm::sea_query::SqliteQueryBuilder),
        }
    }
}

impl Source {
    /// Every row of a scoped statement.
    pub(super) async fn run(
        &self,
        statement: &Scoped,
    ) -> Result<Vec<sea_orm::QueryResult>, StoreError> {
        self.query_all(&statement.0).await
    }
}

// Index tables of records (step 3 of docs/access-plan.md: search). An index table names a
// record by its kind and ID, so a kind's row rule reaches it through the kind's table.

/// An index table whose rows each name one record, by its kind's name (`kind`) and its ID
/// (`record_id`): search's terms. Only a [`Scope`] makes one, and it enters a statement with
/// only the rows of the records the caller may read.
pub struct IndexTable<'s> {
    scope: &'s Scope,
    table: &'static str,
    /// The kinds its rows name: the name its `kind` column holds, and the kind's table.
    kinds: &'static [(&'static str, &'static str)],
}

impl Scope {
    /// The index table `table`, whose rows name records of `kinds` (each the name its `kind`
    /// column holds, and the kind's table).
    pub(super) fn index_table(
        &self,
        table: &'static str,
        kinds: &'static [(&'static str, &'static str)],
    ) -> IndexTable<'_> {
        IndexTable {
            scope: self,
            table,
            kinds,
        }
    }
}

impl IndexTable<'_> {
    /// Its rows naming records the caller may read: for each kind with a row rule, `(kind <>
    /// '<kind>' OR EXISTS (SELECT 1 FROM <kind's table> AS readable WHERE readable.id =
    /// <index>.record_id AND <the rule> LIMIT 1 OFFSET 0))` ([`probe`]); `None` where every
    /// kind it names is open. The test
    /// is correlated, one lookup of the record's primary key per index row the other tests
    /// leave: an `IN (SELECT id …)` under `OR` would make PostgreSQL read every readable
    /// record of the kind for each statement.
    fn rows(&self) -> Option<Condition> {
        let column = |name: &str| Expr::col((Alias::new(self.table), Alias::new(name)));
        let mut rows: Option<Condition> = None;
        for (kind, table) in self.kinds {
            let records = self.scope.named_as(table, "readable");
            if records.rows().is_none() {
                continue;
            }
            let mut readable = Select::from(&records);
            readable.statement.expr(Expr::val(1));
            readable
                .statement
                .and_where(records.column("id").eq(column("record_id")));
            let named = Condition::any()
                .add(column("kind").ne(*kind))
                .add(probe(readable.statement));
            rows = Some(rows.unwrap_or_else(Condition::all).add(named));
        }
        rows
    }
}

impl Select {
    /// `SELECT … FROM <index> [WHERE <only the rows of records the caller may read>]`.
    pub(super) fn from_index(index: &IndexTable<'_>) -> Select {
        let mut select = Select::new();
        select.statement.from(Alias::new(index.table));
        if let Some(rows) = index.rows() {
            select.statement.cond_where(rows);
        }
        select
    }
}

#[cfg(test)]
impl Scoped {
    /// The statement's SQLite text, for tests that pin it.
    pub(super) fn sqlite(&self) -> String {
        self.0.to_string(sea_orm::sea_query::SqliteQueryBuilder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::decode::columns;
    use crate::store::list::column;
    use crate::store::list::{select_rows, Listable};
    use crate::store::testing::at_institution;
    use crate::store::Units;
    use sea_orm::sea_query::{ExprTrait, SqliteQueryBuilder};

    fn sql(statement: Scoped) -> String {
        statement.0.to_string(SqliteQueryBuilder)
    }

    fn units_of_one_institution(alias: &str) -> Condition {
        Condition::all().add(
            Expr::col((Alias::new(alias), Alias::new("institution_id")))
                .eq(uuid::Uuid::from_u128(1)),
        )
    }

    /// The SQLite text of the statement that lists the units' IDs under `scope`.
    fn unit_ids(scope: &Scope) -> String {
        let filter = <Units as Listable>::Filter::default();
        sql(select_rows::<Units>(scope, &filter, columns!(<Units as Kind>::Model: id)).finish())
    }

    #[test]
    fn a_row_rule_of_a_kind_is_in_every_statement_reading_its_rows() {
        let scope = Scope::with_rule::<Units>(units_of_one_institution);
        let statement = unit_ids(&scope);

        assert_eq!(
            statement,
            r#"SELECT "unit"."id" FROM "unit" WHERE "unit"."institution_id" = '00000000-0000-0000-0000-000000000001' AND TRUE AND TRUE"#
        );
    }

    #[test]
    fn an_open_scope_adds_nothing_to_a_statement() {
        let statement = unit_ids(&Scope::open());

        assert_eq!(
            statement,
            r#"SELECT "unit"."id" FROM "unit" WHERE TRUE AND TRUE"#
        );
    }

    #[test]
    fn a_row_rule_follows_the_alias_a_table_is_read_under() {
        let scope = Scope::with_rule::<Units>(units_of_one_institution);

        let mut select = Select::from(&scope.named_as(Units::TABLE, "parent_unit"));
        select.expr(column("parent_unit", "id"));

        assert_eq!(
            sql(select.finish()),
            r#"SELECT "parent_unit"."id" FROM "unit" AS "parent_unit" WHERE "parent_unit"."institution_id" = '00000000-0000-0000-0000-000000000001'"#
        );
    }

    #[test]
    fn a_row_rule_of_another_kind_leaves_a_statement_alone() {
        let scope = Scope::with_rule::<crate::store::Cleanrooms>(units_of_one_institution);
        let statement = unit_ids(&scope);

        assert_eq!(
            statement,
            r#"SELECT "unit"."id" FROM "unit" WHERE TRUE AND TRUE"#
        );
    }

    /// The caller of `role` for the institutions with IDs 1 and 2 (`institutions` of them).
    fn key_holder(role: entities::enums::KeyRole, institutions: usize) -> Caller {
        use crate::store::{InstitutionId, KeyCaller, KeyId, KeyInstitution};
        Caller::Key(KeyCaller {
            key: KeyId(uuid::Uuid::from_u128(9)),
            role,
            institutions: (1..=institutions as u128)
                .map(|id| KeyInstitution {
                    id: InstitutionId(uuid::Uuid::from_u128(id)),
                    code: format!("I{id}"),
                })
                .collect(),
            rate: None,
        })
    }

    /// The SQLite text of a statement listing the IDs of the units and of the people `caller`
    /// reads.
    fn units_and_people(caller: &Caller) -> (String, String) {
        let scope = Scope::of(caller, Arc::new(Seal::ephemeral()));
        let ids = |table: &'static str| {
            let mut select = Select::from(&scope.named(table));
            select.expr(column(table, "id"));
            sql(select.finish())
        };
        (ids("unit"), ids("person"))
    }

    #[test]
    fn each_role_reads_the_rows_its_rule_says() {
        use entities::enums::KeyRole;
        const ONE: &str = "'00000000-0000-0000-0000-000000000001'";
        const TWO: &str = "'00000000-0000-0000-0000-000000000002'";
        let people = |audiences: &str| {
            if audiences == "'public'" {
                return r#"SELECT "person"."id" FROM "person" WHERE "person"."read_by_public" = TRUE"#.to_owned();
            }
            format!(
                r#"SELECT "person"."id" FROM "person" WHERE "person"."read_by_public" = TRUE OR EXISTS(SELECT 1 FROM "person_reader" WHERE "person_reader"."person_id" = "person"."id" AND "person_reader"."reader" IN ({audiences}) LIMIT 1 OFFSET 0)"#
            )
        };
        for (caller, units, audiences) in [
            (
                Caller::Public,
                r#"SELECT "unit"."id" FROM "unit" WHERE "unit"."partner_of" IS NULL AND "unit"."internal_of" IS NULL"#.to_owned(),
                "'public'".to_owned(),
            ),
            (
                key_holder(KeyRole::Partner, 2),
                format!(
                    r#"SELECT "unit"."id" FROM "unit" WHERE ("unit"."partner_of" IS NULL OR "unit"."partner_of" IN ({ONE}, {TWO})) AND "unit"."internal_of" IS NULL"#
                ),
                "'public', 'partner:00000000-0000-0000-0000-000000000001', 'partner:00000000-0000-0000-0000-000000000002'".to_owned(),
            ),
            (
                key_holder(KeyRole::Staff, 1),
                format!(
                    r#"SELECT "unit"."id" FROM "unit" WHERE ("unit"."partner_of" IS NULL OR "unit"."partner_of" IN ({ONE})) AND ("unit"."internal_of" IS NULL OR "unit"."internal_of" IN ({ONE}))"#
                ),
                "'public', 'staff', 'partner:00000000-0000-0000-0000-000000000001', 'internal:00000000-0000-0000-0000-000000000001'".to_owned(),
            ),
        ] {
            let (unit_ids, person_ids) = units_and_people(&caller);
            assert_eq!(unit_ids, units, "{caller:?}");
            assert_eq!(person_ids, people(&audiences), "{caller:?}");
        }
        assert_eq!(
            units_and_people(&key_holder(KeyRole::Admin, 0)),
            (
                r#"SELECT "unit"."id" FROM "unit""#.to_owned(),
                r#"SELECT "person"."id" FROM "person""#.to_owned()
            )
        );
    }

    #[test]
    fn a_reference_to_a_person_is_shown_only_where_the_caller_reads_the_person() {
        let public = Scope::default();
        let reference = column("trial", "principal_investigator_id");

        let shown = public.shown_reference(reference.clone(), "person");
        let unit = public.shown_reference(column("trial", "product_id"), "product");
        let open = Scope::open().shown_reference(reference, "person");

        let mut select = Select::from(&Scope::open().named("trial"));
        select.expr(shown).expr(unit).expr(open);
        assert_eq!(
            sql(select.finish()),
            r#"SELECT (CASE WHEN (EXISTS(SELECT 1 FROM "person" AS "shown" WHERE "shown"."read_by_public" = TRUE AND "shown"."id" = "trial"."principal_investigator_id")) THEN "trial"."principal_investigator_id" END), "trial"."product_id", "trial"."principal_investigator_id" FROM "trial""#
        );
    }

    /// The first 100 units under `scope`, and how many there are.
    async fn units_listed(store: &crate::store::Store, scope: &Scope) -> (Vec<uuid::Uuid>, u64) {
        let query = crate::store::list::QueryOf::<Units> {
            filter: Default::default(),
            order: Vec::new(),
            page: crate::store::PageRequest::first(100),
        };
        let page = match store.page::<Units>(scope, &query).await {
            Ok(page) => page,
            Err(error) => panic!("the units could not be listed: {error}"),
        };
        let count = match store.count::<Units>(scope, &query.filter).await {
            Ok(count) => count,
            Err(error) => panic!("the units could not be counted: {error}"),
        };
        (page.rows.iter().map(|unit| unit.id).collect(), count)
    }

    #[tokio::test]
    async fn a_row_rule_narrows_a_list_and_its_count_in_one_database_and_over_two() {
        for test_store in [
            crate::store::testing::seeded().await,
            crate::store::testing::seeded_split().await,
        ] {
            let store = &test_store.store;
            let (all, all_count) = units_listed(store, &Scope::default()).await;
            let (ki, ki_count) =
                units_listed(store, &Scope::with_rule::<Units>(at_institution("KI"))).await;

            assert!(
                ki.len() > 1 && ki.len() < all.len(),
                "{} of {}",
                ki.len(),
                all.len()
            );
            assert_eq!(ki_count, ki.len() as u64);
            assert_eq!(all_count, all.len() as u64);
        }
    }

    /// The SQLite text of the statement that reads people's IDs, names and contact details
    /// under the scope of `caller`.
    fn contact_details(caller: &Caller) -> String {
        use crate::store::People;
        let filter = <People as Listable>::Filter::default();
        let columns = columns!(<People as Kind>::Model: family_name, email, phone);
        sql(select_rows::<People>(&Scope::of_caller(caller), &filter, columns).finish())
    }

    #[test]
    fn contact_details_are_read_whole_by_an_admin_per_person_by_staff_and_never_by_others() {
        use crate::store::testing::{institution, key_holder};
        use entities::enums::KeyRole;
        let kuh = institution("KUH");
        let staff = format!(
            r#"(CASE WHEN (EXISTS(SELECT 1 FROM "person_contact" WHERE "person_contact"."person_id" = "person"."id" AND "person_contact"."institution_id" IN ('{kuh}') LIMIT 1 OFFSET 0)) THEN "person"."{{column}}" END) AS "{{column}}""#
        );
        let staff = |column: &str| staff.replace("{column}", column);

        for (caller, details, what) in [
            (
                key_holder(KeyRole::Admin, &[]),
                r#""person"."email", "person"."phone""#.to_owned(),
                "an admin reads every cell",
            ),
            (
                key_holder(KeyRole::Staff, &["KUH"]),
                format!("{}, {}", staff("email"), staff("phone")),
                "staff read the cells of their institution's people",
            ),
            (
                key_holder(KeyRole::Partner, &["KI", "KUH"]),
                r#"CAST(NULL AS TEXT) AS "email", CAST(NULL AS TEXT) AS "phone""#.to_owned(),
                "a partner reads none",
            ),
            (
                Caller::Public,
                r#"CAST(NULL AS TEXT) AS "email", CAST(NULL AS TEXT) AS "phone""#.to_owned(),
                "the public reads none",
            ),
        ] {
            // What follows `FROM` is the role's row rule on people, tested on its own.
            let statement = contact_details(&caller);
            let (selected, _) = statement
                .split_once(r#" FROM "person" WHERE "#)
                .unwrap_or((&statement, ""));
            assert_eq!(
                selected,
                format!(r#"SELECT "person"."id", "person"."family_name", {details}"#),
                "{what}"
            );
        }
    }

    #[test]
    fn a_whole_row_is_read_without_the_contact_details_where_the_caller_reads_none() {
        use crate::store::testing::key_holder;
        use crate::store::People;
        use entities::enums::KeyRole;
        let names = |caller: &Caller| {
            Scope::of_caller(caller)
                .readable::<People>()
                .names::<<People as Kind>::Model>()
                .collect::<Vec<_>>()
        };
        let without = [
            "id",
            "given_name",
            "family_name",
            "name_key",
            "orcid",
            "provenance",
            "sample_fields",
            "read_by_public",
            "version",
        ];

        assert_eq!(names(&Caller::Public), without);
        assert_eq!(names(&key_holder(KeyRole::Partner, &["KI"])), without);
        assert_eq!(names(&key_holder(KeyRole::Staff, &["KI"])).len(), 11);
        assert_eq!(names(&key_holder(KeyRole::Steward, &["KI"])).len(), 11);
        assert_eq!(names(&key_holder(KeyRole::Admin, &[])).len(), 11);
        assert_eq!(
            Scope::of_caller(&Caller::Public)
                .readable::<Units>()
                .names::<<Units as Kind>::Model>()
                .count(),
            <entities::unit::Column as sea_orm::Iterable>::iter().count(),
            "other kinds are read whole"
        );
    }

    /// The source files under `dir`, recursively.
    fn rust_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            panic!("{} could not be read", dir.display());
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                found.push(path);
            }
        }
    }

    /// A backstop to clippy.toml's fence, which a moved path in sea_query could silently void:
    /// outside the read door and the doors beside it (writes, startup maintenance, the key
    /// table), and the source that runs what they build, no code builds, embeds or runs a
    /// statement.
    #[test]
    fn no_module_outside_the_doors_builds_or_runs_a_statement() {
        const DOORS: &[&str] = &[
            "src/store/scope.rs",
            "src/store/source.rs",
            "src/store/write.rs",
            // The audit log: appended by writes, read whole by `audit verify`, for no caller.
            "src/store/audit.rs",
            "src/store/maintenance.rs",
            // The key table, read to authenticate a request before it has a scope.
            "src/store/keys/",
        ];
        const FORBIDDEN: &[&str] = &[
            "Query::select",
            "SelectStatement",
            "SubQueryStatement",
            "Expr::SubQuery",
            "Expr::cust",
            "Func::cust",
            "in_subquery",
            "Expr::exists",
            "from_subquery",
            "join_subquery",
            "join_as(",
            "from_as(",
            "query_all(",
            "query_one(",
            "::find()",
            "find_by_id(",
            "begin_write(",
            ".maintain(",
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        assert!(files.len() > 50, "only {} source files found", files.len());
        let mut found = Vec::new();
        for file in files {
            let name = file
                .strip_prefix(root)
                .map_or_else(|_| file.display().to_string(), |p| p.display().to_string());
            if DOORS.iter().any(|door| name.starts_with(door)) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&file) else {
                panic!("{name} could not be read");
            };
            for (number, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for pattern in FORBIDDEN.iter().filter(|pattern| line.contains(*pattern)) {
                    found.push(format!("{name}:{}: {pattern}", number + 1));
                }
            }
        }
        assert!(
            found.is_empty(),
            "statements built outside the doors:\n{}",
            found.join("\n")
        );
    }
}
