//! What each table adds to the generic listing: its filter, its sortable fields, how the
//! filter becomes SQL, and the relations listed per parent.

use entities::enums::{
    AppointmentRole, AtmpClass, CleanroomRegime, GmpGrade, TrialStatus, UnitKind,
};
use entities::{
    accreditation, appointment, cleanroom, institution, milestone, person, product, trial, unit,
};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{ActiveEnum, ColumnTrait};
use uuid::Uuid;

use super::list::{column, scope_by_column, Kind, Listable, Parents, Relation};
use super::page::{SortField, SortKind, SortValue};
use super::{OrderTerm, SortDirection};

/// Declares a sort-field enum and its [`SortField`] implementation.
macro_rules! sort_fields {
    ($(#[$doc:meta])* $name:ident of $model:ty {
        $($(#[$vdoc:meta])* $variant:ident => $label:literal, $column:literal, $kind:ident, $value:expr;)+
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl SortField for $name {
            type Model = $model;

            fn name(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            fn column(self) -> &'static str {
                match self { $($name::$variant => $column,)+ }
            }

            fn kind(self) -> SortKind {
                match self { $($name::$variant => SortKind::$kind,)+ }
            }

            fn value(self, row: &$model) -> SortValue {
                match self { $($name::$variant => ($value)(row),)+ }
            }
        }
    };
}

/// Declares a relation whose children name their parent in one column.
macro_rules! column_relation {
    ($(#[$doc:meta])* $name:ident: $child:ty, $column:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl Relation for $name {
            type Child = $child;

            fn scope(select: &mut SelectStatement, parents: &Parents<'_>) -> Expr {
                scope_by_column(select, <$child as Kind>::TABLE, $column, parents)
            }
        }
    };
}

const fn ascending<F>(field: F) -> OrderTerm<F> {
    OrderTerm {
        field,
        direction: SortDirection::Ascending,
    }
}

/// `column IN (values)`, or no restriction when the filter leaves it open.
fn one_of<T>(table: &'static str, name: &'static str, values: &Option<Vec<T>>) -> Condition
where
    T: Clone + Into<sea_orm::Value>,
{
    match values {
        Some(values) => Condition::all().add(column(table, name).is_in(values.iter().cloned())),
        None => Condition::all(),
    }
}

fn text(value: &str) -> SortValue {
    SortValue::Text(value.to_owned())
}

// ---------------------------------------------------------------- units

/// The list of organisational units.
pub type Units = unit::Entity;

/// Which units to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UnitFilter {
    /// Units of any of these institutions, joint units included.
    pub institutions: Option<Vec<Uuid>>,
    pub kinds: Option<Vec<UnitKind>>,
}

sort_fields! {
    /// What units can be ordered by.
    UnitField of unit::Model {
        Name => "NAME", "name_key", Text, |row: &unit::Model| text(&row.name_key);
        Kind => "KIND", "kind", Text, |row: &unit::Model| SortValue::Text(row.kind.to_value());
    }
}

impl Listable for Units {
    type Filter = UnitFilter;
    type Field = UnitField;
    const DEFAULT_ORDER: &'static [OrderTerm<UnitField>] = &[ascending(UnitField::Name)];

    fn condition(filter: &UnitFilter) -> Condition {
        let institutions = match &filter.institutions {
            Some(ids) => Condition::any()
                .add(unit::Column::InstitutionId.is_in(ids.iter().copied()))
                .add(unit::Column::PartnerInstitutionId.is_in(ids.iter().copied())),
            None => Condition::all(),
        };
        Condition::all().add(institutions).add(one_of(
            Self::TABLE,
            "kind",
            &filter
                .kinds
                .as_ref()
                .map(|k| k.iter().map(|k| k.to_value()).collect()),
        ))
    }

    fn institutions(filter: &UnitFilter) -> Option<&[Uuid]> {
        filter.institutions.as_deref()
    }
}

/// The units of an institution, joint units included.
pub struct UnitsOfInstitution;

impl Relation for UnitsOfInstitution {
    type Child = Units;

    fn scope(select: &mut SelectStatement, parents: &Parents<'_>) -> Expr {
        // A joint unit belongs to two institutions, so it is joined once for each of them.
        let member = Alias::new("member_of");
        let member_id = Expr::col((member.clone(), Alias::new("id")));
        select.join_as(
            JoinType::InnerJoin,
            Alias::new("institution"),
            member,
            Condition::any()
                .add(column("unit", "institution_id").eq(member_id.clone()))
                .add(column("unit", "partner_institution_id").eq(member_id.clone())),
        );
        select.and_where(parents.contain(member_id.clone()));
        member_id
    }
}

column_relation!(
    /// The units directly below a unit.
    ChildrenOfUnit: Units, "parent_id"
);

// ---------------------------------------------------------------- people

/// The list of people.
pub type People = person::Entity;

/// Which people to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PersonFilter {
    /// People with an appointment at any of these institutions.
    pub institutions: Option<Vec<Uuid>>,
}

sort_fields! {
    /// What people can be ordered by.
    PersonField of person::Model {
        Name => "NAME", "name_key", Text, |row: &person::Model| text(&row.name_key);
    }
}

impl Listable for People {
    type Filter = PersonFilter;
    type Field = PersonField;
    const DEFAULT_ORDER: &'static [OrderTerm<PersonField>] = &[ascending(PersonField::Name)];

    fn condition(filter: &PersonFilter) -> Condition {
        match &filter.institutions {
            Some(ids) => {
                let mut appointed = Query::select();
                appointed
                    .column(appointment::Column::PersonId)
                    .from(appointment::Entity)
                    .and_where(appointment::Column::InstitutionId.is_in(ids.iter().copied()));
                Condition::all().add(person::Column::Id.in_subquery(appointed))
            }
            None => Condition::all(),
        }
    }

    fn institutions(filter: &PersonFilter) -> Option<&[Uuid]> {
        filter.institutions.as_deref()
    }
}

/// People with an appointment whose `column` is one of the parents.
fn scope_by_appointment(
    select: &mut SelectStatement,
    column: &'static str,
    parents: &Parents<'_>,
) -> Expr {
    let scope = Alias::new("appointed");
    let mut appointed = Query::select();
    appointed
        .distinct()
        .expr_as(Expr::col(Alias::new(column)), Alias::new("parent"))
        .column(Alias::new("person_id"))
        .from(appointment::Entity)
        .and_where(parents.contain(Expr::col(Alias::new(column))));
    select.join_subquery(
        JoinType::InnerJoin,
        appointed,
        scope.clone(),
        Expr::col((scope.clone(), Alias::new("person_id")))
            .equals((Alias::new("person"), Alias::new("id"))),
    );
    Expr::col((scope, Alias::new("parent")))
}

/// The people with an appointment at an institution.
pub struct PeopleOfInstitution;

impl Relation for PeopleOfInstitution {
    type Child = People;

    fn scope(select: &mut SelectStatement, parents: &Parents<'_>) -> Expr {
        scope_by_appointment(select, "institution_id", parents)
    }
}

/// The people with an appointment in a unit.
pub struct PeopleOfUnit;

impl Relation for PeopleOfUnit {
    type Child = People;

    fn scope(select: &mut SelectStatement, parents: &Parents<'_>) -> Expr {
        scope_by_appointment(select, "unit_id", parents)
    }
}

// ---------------------------------------------------------------- appointments

/// The list of appointments.
pub type Appointments = appointment::Entity;

/// Which appointments to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AppointmentFilter {
    pub institutions: Option<Vec<Uuid>>,
    pub roles: Option<Vec<AppointmentRole>>,
}

sort_fields! {
    /// What appointments can be ordered by.
    AppointmentField of appointment::Model {
        Rank => "RANK", "rank", Int, |row: &appointment::Model| SortValue::Int(row.rank.into());
    }
}

impl Listable for Appointments {
    type Filter = AppointmentFilter;
    type Field = AppointmentField;
    const DEFAULT_ORDER: &'static [OrderTerm<AppointmentField>] =
        &[ascending(AppointmentField::Rank)];

    fn condition(filter: &AppointmentFilter) -> Condition {
        Condition::all()
            .add(one_of(Self::TABLE, "institution_id", &filter.institutions))
            .add(one_of(
                Self::TABLE,
                "role",
                &filter
                    .roles
                    .as_ref()
                    .map(|r| r.iter().map(|r| r.to_value()).collect()),
            ))
    }

    fn institutions(filter: &AppointmentFilter) -> Option<&[Uuid]> {
        filter.institutions.as_deref()
    }
}

column_relation!(
    /// The appointments of a person.
    AppointmentsOfPerson: Appointments, "person_id"
);
column_relation!(
    /// The appointments in a unit.
    AppointmentsOfUnit: Appointments, "unit_id"
);

// ---------------------------------------------------------------- cleanrooms

/// The list of cleanrooms.
pub type Cleanrooms = cleanroom::Entity;

/// Which cleanrooms to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CleanroomFilter {
    pub institutions: Option<Vec<Uuid>>,
    pub grades: Option<Vec<GmpGrade>>,
    pub regimes: Option<Vec<CleanroomRegime>>,
}

sort_fields! {
    /// What cleanrooms can be ordered by.
    CleanroomField of cleanroom::Model {
        Code => "CODE", "code", Text, |row: &cleanroom::Model| text(&row.code);
    }
}

impl Listable for Cleanrooms {
    type Filter = CleanroomFilter;
    type Field = CleanroomField;
    const DEFAULT_ORDER: &'static [OrderTerm<CleanroomField>] = &[ascending(CleanroomField::Code)];

    fn condition(filter: &CleanroomFilter) -> Condition {
        Condition::all()
            .add(one_of(Self::TABLE, "institution_id", &filter.institutions))
            .add(one_of(
                Self::TABLE,
                "grade",
                &filter
                    .grades
                    .as_ref()
                    .map(|g| g.iter().map(|g| g.to_value()).collect()),
            ))
            .add(one_of(
                Self::TABLE,
                "regime",
                &filter
                    .regimes
                    .as_ref()
                    .map(|r| r.iter().map(|r| r.to_value()).collect()),
            ))
    }

    fn institutions(filter: &CleanroomFilter) -> Option<&[Uuid]> {
        filter.institutions.as_deref()
    }
}

column_relation!(
    /// The cleanrooms of an institution.
    CleanroomsOfInstitution: Cleanrooms, "institution_id"
);
column_relation!(
    /// The cleanrooms of a facility.
    CleanroomsOfUnit: Cleanrooms, "unit_id"
);

// ---------------------------------------------------------------- products

/// The list of ATMP products.
pub type Products = product::Entity;

/// Which products to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProductFilter {
    pub institutions: Option<Vec<Uuid>>,
    pub classes: Option<Vec<AtmpClass>>,
}

sort_fields! {
    /// What products can be ordered by.
    ProductField of product::Model {
        Name => "NAME", "name_key", Text, |row: &product::Model| text(&row.name_key);
    }
}

impl Listable for Products {
    type Filter = ProductFilter;
    type Field = ProductField;
    const DEFAULT_ORDER: &'static [OrderTerm<ProductField>] = &[ascending(ProductField::Name)];

    fn condition(filter: &ProductFilter) -> Condition {
        Condition::all()
            .add(one_of(Self::TABLE, "institution_id", &filter.institutions))
            .add(one_of(
                Self::TABLE,
                "atmp_class",
                &filter
                    .classes
                    .as_ref()
                    .map(|c| c.iter().map(|c| c.to_value()).collect()),
            ))
    }

    fn institutions(filter: &ProductFilter) -> Option<&[Uuid]> {
        filter.institutions.as_deref()
    }
}

column_relation!(
    /// The products of an institution.
    ProductsOfInstitution: Products, "institution_id"
);
column_relation!(
    /// The products a unit develops.
    ProductsOfUnit: Products, "unit_id"
);

// ---------------------------------------------------------------- trials

/// The list of clinical trials.
pub type Trials = trial::Entity;

/// Which trials to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TrialFilter {
    pub institutions: Option<Vec<Uuid>>,
    pub statuses: Option<Vec<TrialStatus>>,
}

sort_fields! {
    /// What trials can be ordered by.
    TrialField of trial::Model {
        Title => "TITLE", "title_key", Text, |row: &trial::Model| text(&row.title_key);
    }
}

impl Listable for Trials {
    type Filter = TrialFilter;
    type Field = TrialField;
    const DEFAULT_ORDER: &'static [OrderTerm<TrialField>] = &[ascending(TrialField::Title)];

    fn condition(filter: &TrialFilter) -> Condition {
        Condition::all()
            .add(one_of(Self::TABLE, "institution_id", &filter.institutions))
            .add(one_of(
                Self::TABLE,
                "status",
                &filter
                    .statuses
                    .as_ref()
                    .map(|s| s.iter().map(|s| s.to_value()).collect()),
            ))
    }

    fn institutions(filter: &TrialFilter) -> Option<&[Uuid]> {
        filter.institutions.as_deref()
    }
}

column_relation!(
    /// The trials in an institution's records.
    TrialsOfInstitution: Trials, "institution_id"
);
column_relation!(
    /// The trials of a product.
    TrialsOfProduct: Trials, "product_id"
);
column_relation!(
    /// The trials whose product a unit manufactures.
    TrialsManufacturedBy: Trials, "manufacturing_unit_id"
);
column_relation!(
    /// The trials a person leads as principal investigator.
    TrialsLedBy: Trials, "principal_investigator_id"
);

// ---------------------------------------------------------------- accreditations

/// The list of accreditations.
pub type Accreditations = accreditation::Entity;

/// Which accreditations to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AccreditationFilter {
    pub institutions: Option<Vec<Uuid>>,
}

sort_fields! {
    /// What accreditations can be ordered by.
    AccreditationField of accreditation::Model {
        Scheme => "SCHEME", "scheme", Text, |row: &accreditation::Model| SortValue::Text(row.scheme.to_value());
    }
}

impl Listable for Accreditations {
    type Filter = AccreditationFilter;
    type Field = AccreditationField;
    const DEFAULT_ORDER: &'static [OrderTerm<AccreditationField>] =
        &[ascending(AccreditationField::Scheme)];

    fn condition(filter: &AccreditationFilter) -> Condition {
        one_of(Self::TABLE, "institution_id", &filter.institutions)
    }

    fn institutions(filter: &AccreditationFilter) -> Option<&[Uuid]> {
        filter.institutions.as_deref()
    }
}

column_relation!(
    /// The accreditations a unit holds.
    AccreditationsOfUnit: Accreditations, "unit_id"
);

// ---------------------------------------------------------------- milestones

/// The history timeline.
pub type Milestones = milestone::Entity;

/// Which milestones to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MilestoneFilter {
    pub institutions: Option<Vec<Uuid>>,
}

sort_fields! {
    /// What milestones can be ordered by.
    MilestoneField of milestone::Model {
        Year => "YEAR", "year", Int, |row: &milestone::Model| SortValue::Int(row.year.into());
    }
}

impl Listable for Milestones {
    type Filter = MilestoneFilter;
    type Field = MilestoneField;
    const DEFAULT_ORDER: &'static [OrderTerm<MilestoneField>] = &[ascending(MilestoneField::Year)];

    fn condition(filter: &MilestoneFilter) -> Condition {
        one_of(Self::TABLE, "institution_id", &filter.institutions)
    }

    fn institutions(filter: &MilestoneFilter) -> Option<&[Uuid]> {
        filter.institutions.as_deref()
    }
}

column_relation!(
    /// The milestones in an institution's history.
    MilestonesOfInstitution: Milestones, "institution_id"
);
column_relation!(
    /// The milestones of a unit.
    MilestonesOfUnit: Milestones, "unit_id"
);

// ---------------------------------------------------------------- institutions

/// The institutions (a short list, read whole).
pub type Institutions = institution::Entity;

/// Which institutions to list: all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InstitutionFilter;

sort_fields! {
    /// What institutions can be ordered by.
    InstitutionField of institution::Model {
        Code => "CODE", "code", Text, |row: &institution::Model| text(&row.code);
    }
}

impl Listable for Institutions {
    type Filter = InstitutionFilter;
    type Field = InstitutionField;
    const DEFAULT_ORDER: &'static [OrderTerm<InstitutionField>] =
        &[ascending(InstitutionField::Code)];

    fn condition(_filter: &InstitutionFilter) -> Condition {
        Condition::all()
    }

    fn institutions(_filter: &InstitutionFilter) -> Option<&[Uuid]> {
        None
    }
}

macro_rules! kinds {
    ($($kind:ident: $module:ident, $table:ident, $key:ident, $plural:ident, $owner:ident { $($column:ident),* };)*) => {$(
        impl Kind for $table {
            type Entity = $module::Entity;
            type Model = $module::Model;
            const TABLE: &'static str = stringify!($module);

            fn id(row: &$module::Model) -> Uuid {
                row.id
            }
        }
    )*};
}

crate::catalog::for_each_kind!(kinds);
