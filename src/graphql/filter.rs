//! Filter and ordering inputs. Each converts into the store's plain-Rust filter or ordering;
//! this conversion is the boundary between the schema and the store. A filter's limits (how
//! deep it nests, how many values its lists hold) are checked here, before anything is read.

use async_graphql::{InputObject, ID};
use entities::enums as db;

use super::enums::{
    AccreditationScheme, AppointmentRole, AtmpClass, CleanroomRegime, CleanroomStatus, GmpGrade,
    OrderDirection, ProductStage, TrialPhase, TrialStatus, UnitKind,
};
use super::node::{parse_global_id, NodeType};
use super::plan::Record;
use super::ApiError;
use crate::store::{
    self, Kind, Listable, OrderTerm, Predicate, Quantifier, Real, Scalar, StoreLoader, Test,
    TextMatch,
};

/// How deep a filter may nest: each `and`, `or`, `not` and each relation followed is a level,
/// so a filter with this many of them around one another is answered, and one more refused.
pub const MAX_FILTER_DEPTH: usize = 8;
/// How many values the `in` and `notIn` lists of one filter may hold together.
pub const MAX_IN_VALUES: usize = 500;

/// A filter being converted: the reads that name institutions, and what the filter has used
/// of its limits so far.
pub(crate) struct Conversion<'a> {
    reads: &'a StoreLoader,
    depth: usize,
    values: usize,
}

impl<'a> Conversion<'a> {
    fn new(reads: &'a StoreLoader) -> Self {
        // The top of a filter is no level: only what nests below it counts.
        Conversion {
            reads,
            depth: 0,
            values: 0,
        }
    }

    /// Converts a part of the filter one level deeper.
    fn nested<T>(
        &mut self,
        convert: impl FnOnce(&mut Self) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(ApiError::QueryTooComplex(format!(
                "the filter nests deeper than {MAX_FILTER_DEPTH} levels (each `and`, `or`, `not` and relation is one)"
            )));
        }
        let converted = convert(self);
        self.depth -= 1;
        converted
    }

    /// Counts the values of an `in` or `notIn` list against the limit.
    fn values<T>(&mut self, values: Vec<T>) -> Result<Vec<T>, ApiError> {
        self.values += values.len();
        if self.values > MAX_IN_VALUES {
            return Err(ApiError::QueryTooComplex(format!(
                "the filter lists more than {MAX_IN_VALUES} values in its `in` and `notIn` lists"
            )));
        }
        Ok(values)
    }
}

/// A GraphQL filter input that converts into the store's filter of a list.
pub(crate) trait FilterInput: Sized {
    /// The store's filter.
    type Store;
    /// The store filter; `None` (no filter given) matches every row.
    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError>;
    /// The filter as one predicate, its institutions included (a filter nested in another).
    fn predicate(self, cx: &mut Conversion<'_>) -> Result<Predicate, ApiError>;
}

/// A filter on a list of children, with `some`, `every` and `none`.
pub(crate) trait ManyInput: Sized {
    /// The predicate on a parent whose children name it in `column`.
    fn predicate(
        self,
        column: &'static str,
        cx: &mut Conversion<'_>,
    ) -> Result<Predicate, ApiError>;
}

/// The filter and ordering inputs of a record type's lists (written from the catalog).
pub(crate) trait Listed {
    /// The filter input of its lists.
    type Filter: FilterInput;
    /// The filter input of a list of them seen from a parent (`some`, `every`, `none`).
    type Many: ManyInput;
    /// The ordering input of its lists.
    type Order: OrderInput;
}

/// A GraphQL ordering input that converts into the store's ordering terms.
pub(crate) trait OrderInput: Sized {
    /// The store's sort field.
    type Field: 'static;
    /// The terms; empty (no ordering given) for the list's default.
    fn into_store(order: Option<Vec<Self>>) -> Vec<OrderTerm<Self::Field>>;
}

/// Both operators given: a value must satisfy both, so `eq` counts only if `in` holds it.
fn eq_and_in<T: PartialEq>(eq: Option<T>, within: Option<Vec<T>>) -> Option<Vec<T>> {
    match (eq, within) {
        (None, None) => None,
        (Some(eq), None) => Some(vec![eq]),
        (None, Some(within)) => Some(within),
        (Some(eq), Some(within)) => Some(if within.contains(&eq) {
            vec![eq]
        } else {
            vec![]
        }),
    }
}

/// A test of `column`.
fn test(column: &'static str, text: TextMatch, test: Test) -> Predicate {
    Predicate::Column { column, text, test }
}

/// Every one of `tests` (the one itself when there is one).
fn all(mut tests: Vec<Predicate>) -> Predicate {
    if tests.len() == 1 {
        if let Some(only) = tests.pop() {
            return only;
        }
    }
    Predicate::All(tests)
}

/// Text sent to the database: PostgreSQL cannot hold a NUL in text, so none is asked for.
fn checked_text(text: String) -> Result<String, ApiError> {
    if text.contains('\0') {
        return Err(ApiError::BadUserInput(
            "text in a filter cannot hold a NUL character".to_owned(),
        ));
    }
    Ok(text)
}

/// Matches text. `contains` and `startsWith` always ignore case and diacritics (`sallberg`
/// finds Sällberg, an en dash is a hyphen). `eq`, `ne`, `in` and `notIn` ignore them as well
/// on a field described as folded (the name or title a record is listed by: a unit's, a
/// person's and a product's `name`, a trial's `title`), and compare exactly on every other
/// field (given and family names, the titles of appointments and milestones, codes, …). Every
/// test but `isNull: true` is false on a missing value.
#[derive(InputObject, Debug, Default)]
pub struct StringFilter {
    /// The text equals this.
    pub eq: Option<String>,
    /// The text differs from this.
    pub ne: Option<String>,
    /// The text is one of these.
    #[graphql(name = "in")]
    pub within: Option<Vec<String>>,
    /// The text is none of these.
    pub not_in: Option<Vec<String>>,
    /// The text contains this, ignoring case and diacritics.
    pub contains: Option<String>,
    /// The text starts with this, ignoring case and diacritics.
    pub starts_with: Option<String>,
    /// The text is missing (`true`) or present (`false`).
    pub is_null: Option<bool>,
}

impl StringFilter {
    /// The tests of `column`: a folded key throughout, or text folded only where it is searched.
    fn predicate(
        self,
        column: &'static str,
        text: TextMatch,
        cx: &mut Conversion<'_>,
    ) -> Result<Predicate, ApiError> {
        let exact = if text == TextMatch::Key {
            TextMatch::Key
        } else {
            TextMatch::Exact
        };
        let list =
            |values: Vec<String>, cx: &mut Conversion<'_>| -> Result<Vec<Scalar>, ApiError> {
                cx.values(values)?
                    .into_iter()
                    .map(|v| checked_text(v).map(Scalar::Text))
                    .collect()
            };
        let mut tests = Vec::new();
        if let Some(v) = self.eq {
            tests.push(test(
                column,
                exact,
                Test::Eq(Scalar::Text(checked_text(v)?)),
            ));
        }
        if let Some(v) = self.ne {
            tests.push(test(
                column,
                exact,
                Test::Ne(Scalar::Text(checked_text(v)?)),
            ));
        }
        if let Some(vs) = self.within {
            tests.push(test(column, exact, Test::In(list(vs, cx)?)));
        }
        if let Some(vs) = self.not_in {
            tests.push(test(column, exact, Test::NotIn(list(vs, cx)?)));
        }
        if let Some(v) = self.contains {
            tests.push(test(column, text, Test::Contains(checked_text(v)?)));
        }
        if let Some(v) = self.starts_with {
            tests.push(test(column, text, Test::StartsWith(checked_text(v)?)));
        }
        if let Some(null) = self.is_null {
            tests.push(test(column, exact, Test::IsNull(null)));
        }
        Ok(all(tests))
    }
}

/// The order tests of a number or date filter, in one place for every such filter.
macro_rules! range_filter {
    ($(#[doc = $doc:literal])* $name:ident of $value:ty, $noun:literal, $scalar:expr) => {
        $(#[doc = $doc])*
        #[derive(InputObject, Debug, Default)]
        pub struct $name {
            #[doc = concat!("The ", $noun, " equals this.")]
            pub eq: Option<$value>,
            #[doc = concat!("The ", $noun, " differs from this.")]
            pub ne: Option<$value>,
            #[doc = concat!("The ", $noun, " is one of these.")]
            #[graphql(name = "in")]
            pub within: Option<Vec<$value>>,
            #[doc = concat!("The ", $noun, " is greater than this.")]
            pub gt: Option<$value>,
            #[doc = concat!("The ", $noun, " is greater than or equal to this.")]
            pub gte: Option<$value>,
            #[doc = concat!("The ", $noun, " is less than this.")]
            pub lt: Option<$value>,
            #[doc = concat!("The ", $noun, " is less than or equal to this.")]
            pub lte: Option<$value>,
            #[doc = concat!("The ", $noun, " is missing (`true`) or present (`false`).")]
            pub is_null: Option<bool>,
        }

        impl $name {
            fn predicate(
                self,
                column: &'static str,
                cx: &mut Conversion<'_>,
            ) -> Result<Predicate, ApiError> {
                let scalar: fn($value) -> Result<Scalar, ApiError> = $scalar;
                let exact = TextMatch::Exact;
                let mut tests = Vec::new();
                for (value, make) in [
                    (self.eq, Test::Eq as fn(Scalar) -> Test),
                    (self.ne, Test::Ne),
                    (self.gt, Test::Gt),
                    (self.gte, Test::Gte),
                    (self.lt, Test::Lt),
                    (self.lte, Test::Lte),
                ] {
                    if let Some(value) = value {
                        tests.push(test(column, exact, make(scalar(value)?)));
                    }
                }
                if let Some(values) = self.within {
                    let values = cx.values(values)?
                        .into_iter()
                        .map(scalar)
                        .collect::<Result<_, _>>()?;
                    tests.push(test(column, exact, Test::In(values)));
                }
                if let Some(null) = self.is_null {
                    tests.push(test(column, exact, Test::IsNull(null)));
                }
                Ok(all(tests))
            }
        }
    };
}

range_filter!(
    /// Matches a whole number, such as a year. Every test but `isNull: true` is false on a
    /// missing value.
    IntFilter of i32, "number", |v| Ok(Scalar::Int(v.into()))
);
range_filter!(
    /// Matches a number, such as an area in m². Every test but `isNull: true` is false on a
    /// missing value.
    FloatFilter of f64, "number", |v| Real::new(v)
        .map(Scalar::Real)
        .ok_or_else(|| ApiError::BadUserInput(format!("`{v}` is not a finite number")))
);
range_filter!(
    /// Matches a date, written `YYYY-MM-DD`. Every test but `isNull: true` is false on a
    /// missing value.
    DateFilter of String, "date", |v| chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
        .map(Scalar::Date)
        .map_err(|_| ApiError::BadUserInput(format!("`{v}` is not a date of the form YYYY-MM-DD")))
);

/// Matches records by their global ID.
#[derive(InputObject, Debug, Default)]
pub struct IdFilter {
    /// The ID equals this.
    pub eq: Option<ID>,
    /// The ID is one of these.
    #[graphql(name = "in")]
    pub within: Option<Vec<ID>>,
}

impl IdFilter {
    fn predicate(
        self,
        column: &'static str,
        kind: NodeType,
        cx: &mut Conversion<'_>,
    ) -> Result<Predicate, ApiError> {
        let uuid = |id: ID| -> Result<Scalar, ApiError> {
            match parse_global_id(&id)? {
                (named, uuid) if named == kind => Ok(Scalar::Uuid(uuid)),
                _ => Err(ApiError::BadUserInput(format!(
                    "`{}` is not the ID of a {}",
                    id.as_str(),
                    kind.name()
                ))),
            }
        };
        let mut tests = Vec::new();
        if let Some(id) = self.eq {
            tests.push(test(column, TextMatch::Exact, Test::Eq(uuid(id)?)));
        }
        if let Some(ids) = self.within {
            let ids = cx
                .values(ids)?
                .into_iter()
                .map(uuid)
                .collect::<Result<_, _>>()?;
            tests.push(test(column, TextMatch::Exact, Test::In(ids)));
        }
        Ok(all(tests))
    }
}

/// Matches records by the code of their institution (`KI`, `KUH`).
#[derive(InputObject, Debug, Default)]
pub struct InstitutionCodeFilter {
    /// The institution's code equals this.
    pub eq: Option<String>,
    /// The institution's code is one of these.
    #[graphql(name = "in")]
    pub within: Option<Vec<String>>,
}

impl InstitutionCodeFilter {
    /// The IDs of the institutions named; an unknown code is bad user input.
    fn ids(self, cx: &mut Conversion<'_>) -> Result<Option<Vec<uuid::Uuid>>, ApiError> {
        let within = self.within.map(|codes| cx.values(codes)).transpose()?;
        match eq_and_in(self.eq, within) {
            None => Ok(None),
            Some(codes) => Ok(Some(cx.reads.institution_ids(&codes)?)),
        }
    }

    /// The test of a reference to an institution in `column`.
    fn predicate(
        self,
        column: &'static str,
        cx: &mut Conversion<'_>,
    ) -> Result<Predicate, ApiError> {
        Ok(match self.ids(cx)? {
            None => Predicate::True,
            Some(ids) => test(
                column,
                TextMatch::Exact,
                Test::In(ids.into_iter().map(Scalar::Uuid).collect()),
            ),
        })
    }
}

macro_rules! enum_filter {
    ($(#[doc = $doc:literal])* $name:ident of $enum:ident) => {
        $(#[doc = $doc])*
        /// Every test but `isNull: true` is false on a missing value.
        #[derive(InputObject, Debug, Default)]
        pub struct $name {
            /// The value equals this.
            pub eq: Option<$enum>,
            /// The value differs from this.
            pub ne: Option<$enum>,
            /// The value is one of these.
            #[graphql(name = "in")]
            pub within: Option<Vec<$enum>>,
            /// The value is none of these.
            pub not_in: Option<Vec<$enum>>,
            /// The value is missing (`true`) or present (`false`).
            pub is_null: Option<bool>,
        }

        impl $name {
            fn predicate(
                self,
                column: &'static str,
                cx: &mut Conversion<'_>,
            ) -> Result<Predicate, ApiError> {
                let scalar = |v: $enum| Scalar::enumerated(&db::$enum::from(v));
                let exact = TextMatch::Exact;
                let mut tests = Vec::new();
                if let Some(v) = self.eq {
                    tests.push(test(column, exact, Test::Eq(scalar(v))));
                }
                if let Some(v) = self.ne {
                    tests.push(test(column, exact, Test::Ne(scalar(v))));
                }
                if let Some(vs) = self.within {
                    let vs = cx.values(vs)?;
                    tests.push(test(column, exact, Test::In(vs.into_iter().map(scalar).collect())));
                }
                if let Some(vs) = self.not_in {
                    let vs = cx.values(vs)?;
                    tests.push(test(column, exact, Test::NotIn(vs.into_iter().map(scalar).collect())));
                }
                if let Some(null) = self.is_null {
                    tests.push(test(column, exact, Test::IsNull(null)));
                }
                Ok(all(tests))
            }
        }
    };
}

enum_filter!(
    /// Matches units by kind.
    UnitKindFilter of UnitKind
);
enum_filter!(
    /// Matches appointments by role.
    AppointmentRoleFilter of AppointmentRole
);
enum_filter!(
    /// Matches cleanrooms by EU GMP grade.
    GmpGradeFilter of GmpGrade
);
enum_filter!(
    /// Matches cleanrooms by regime (GMP or pre-GMP).
    CleanroomRegimeFilter of CleanroomRegime
);
enum_filter!(
    /// Matches cleanrooms by status.
    CleanroomStatusFilter of CleanroomStatus
);
enum_filter!(
    /// Matches products by ATMP class.
    AtmpClassFilter of AtmpClass
);
enum_filter!(
    /// Matches products by stage of development.
    ProductStageFilter of ProductStage
);
enum_filter!(
    /// Matches trials by phase.
    TrialPhaseFilter of TrialPhase
);
enum_filter!(
    /// Matches trials by status.
    TrialStatusFilter of TrialStatus
);
enum_filter!(
    /// Matches accreditations by scheme.
    AccreditationSchemeFilter of AccreditationScheme
);

/// The input type of a filter field of each shape of the catalog.
macro_rules! field_input {
    (id) => { IdFilter };
    (key) => { StringFilter };
    (text) => { StringFilter };
    (int) => { IntFilter };
    (real) => { FloatFilter };
    (date) => { DateFilter };
    (enumeration $input:ident) => { $input };
    (institution) => { InstitutionCodeFilter };
    (one $target:ident) => { Box<<super::$target as Listed>::Filter> };
    (many $target:ident) => { Box<<super::$target as Listed>::Many> };
}

/// The predicate of a filter field of each shape of the catalog, given as `$value`.
macro_rules! field_predicate {
    ($cx:ident, $value:ident, $kind:ident, id $column:ident) => {
        $value.predicate(stringify!($column), NodeType::$kind, $cx)
    };
    ($cx:ident, $value:ident, $kind:ident, key $column:ident) => {
        $value.predicate(stringify!($column), TextMatch::Key, $cx)
    };
    ($cx:ident, $value:ident, $kind:ident, text $column:ident) => {
        $value.predicate(stringify!($column), TextMatch::Folded, $cx)
    };
    ($cx:ident, $value:ident, $kind:ident, one $column:ident $target:ident) => {
        $cx.nested(|cx| {
            Ok(Predicate::Refers {
                column: stringify!($column),
                table: <<super::$target as Record>::Table as Kind>::TABLE,
                predicate: Box::new((*$value).predicate(cx)?),
            })
        })
    };
    ($cx:ident, $value:ident, $kind:ident, many $column:ident $target:ident) => {{
        // The children's column is a field of their row (checked when compiled).
        let _column = |row: &<<super::$target as Record>::Table as Kind>::Model| {
            let _ = &row.$column;
        };
        $cx.nested(|cx| (*$value).predicate(stringify!($column), cx))
    }};
    ($cx:ident, $value:ident, $kind:ident, $shape:ident $column:ident $($input:ident)?) => {
        $value.predicate(stringify!($column), $cx)
    };
}

/// Each list's filter and ordering inputs, written from the catalog ([`crate::catalog`]):
/// the filter's fields with their operators, `and`, `or` and `not`, converted into the store's
/// filter of the same name; the ordering's fields are the store's.
macro_rules! inputs {
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
        #[doc = concat!("Which ", $noun, " to list: every field given must match, and each of `and`, `or` and `not` as it says.")]
        #[derive(InputObject, Debug, Default)]
        pub struct $filter {
            $(#[doc = $institution_doc])*
            pub institution: Option<InstitutionCodeFilter>,
            $($(#[doc = $field_doc])* pub $field: Option<field_input!($shape $($target)?)>,)*
            /// Every one of these filters matches.
            pub and: Option<Vec<$filter>>,
            /// At least one of these filters matches (none, when the list is empty).
            pub or: Option<Vec<$filter>>,
            /// This filter does not match.
            pub not: Option<Box<$filter>>,
        }

        impl $filter {
            /// The predicate of every field but the institution.
            fn fields(self, cx: &mut Conversion<'_>) -> Result<Predicate, ApiError> {
                let mut tests = Vec::new();
                $(if let Some(value) = self.$field {
                    tests.push(field_predicate!(cx, value, $kind, $shape $column $($target)?)?);
                })*
                for filter in self.and.unwrap_or_default() {
                    tests.push(cx.nested(|cx| filter.predicate(cx))?);
                }
                if let Some(any) = self.or {
                    let any = any
                        .into_iter()
                        .map(|filter| cx.nested(|cx| filter.predicate(cx)))
                        .collect::<Result<_, _>>()?;
                    tests.push(Predicate::Any(any));
                }
                if let Some(not) = self.not {
                    let not = cx.nested(|cx| (*not).predicate(cx))?;
                    tests.push(Predicate::Not(Box::new(not)));
                }
                Ok(all(tests))
            }
        }

        impl FilterInput for $filter {
            type Store = store::$filter;

            fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
                let mut filter = filter.unwrap_or_default();
                let cx = &mut Conversion::new(reads);
                let institutions = filter.institution.take().map(|i| i.ids(cx)).transpose()?.flatten();
                Ok(store::$filter {
                    institutions,
                    predicate: filter.fields(cx)?,
                    ..Default::default()
                })
            }

            fn predicate(mut self, cx: &mut Conversion<'_>) -> Result<Predicate, ApiError> {
                let placed = match self.institution.take().map(|i| i.ids(cx)).transpose()?.flatten() {
                    Some(ids) => <store::$list as Listable>::placed_at(&ids),
                    None => Predicate::True,
                };
                Ok(all(vec![placed, self.fields(cx)?]))
            }
        }

        #[doc = concat!("Which ", $noun, " of a record must match a filter: at least one, all or none. Every one given must hold.")]
        #[derive(InputObject, Debug, Default)]
        pub struct $many {
            #[doc = concat!("At least one of its ", $noun, " matches.")]
            pub some: Option<Box<$filter>>,
            #[doc = concat!("Every one of its ", $noun, " matches (true when it has none).")]
            pub every: Option<Box<$filter>>,
            #[doc = concat!("None of its ", $noun, " matches.")]
            pub none: Option<Box<$filter>>,
        }

        impl ManyInput for $many {
            fn predicate(
                self,
                column: &'static str,
                cx: &mut Conversion<'_>,
            ) -> Result<Predicate, ApiError> {
                let mut tests = Vec::new();
                for (filter, quantifier) in [
                    (self.some, Quantifier::Some),
                    (self.every, Quantifier::Every),
                    (self.none, Quantifier::None),
                ] {
                    if let Some(filter) = filter {
                        tests.push(Predicate::Children {
                            table: <store::$list as Kind>::TABLE,
                            column,
                            quantifier,
                            predicate: Box::new((*filter).predicate(cx)?),
                        });
                    }
                }
                Ok(all(tests))
            }
        }

        impl Listed for super::$kind {
            type Filter = $filter;
            type Many = $many;
            type Order = $order;
        }

        #[doc = "A field the list can be ordered by."]
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $order_field {
            $($(#[doc = $sort_doc])* $variant,)+
        }

        #[doc = concat!("One term of an ordering of ", $noun, "; ties are broken by ID, in the direction of the last term.")]
        #[derive(InputObject, Debug)]
        pub struct $order {
            /// The field to order by.
            pub field: $order_field,
            /// The direction; ascending when left out.
            #[graphql(default)]
            pub direction: OrderDirection,
        }

        impl OrderInput for $order {
            type Field = store::$sort;

            fn into_store(order: Option<Vec<Self>>) -> Vec<OrderTerm<store::$sort>> {
                order
                    .unwrap_or_default()
                    .into_iter()
                    .map(|term| OrderTerm {
                        field: match term.field {
                            $($order_field::$variant => store::$sort::$variant,)+
                        },
                        direction: term.direction.into(),
                    })
                    .collect()
            }
        }
    )*};
}

crate::catalog::for_each_list!(inputs);
