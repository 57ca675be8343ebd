//! Aggregates and group-by at the query root: for each kind a field such as
//! `cleanroomsAggregate(filter:, groupBy:)`, answering one aggregate of the matching rows, or
//! one per group of the `groupBy` keys' values. Only the measures the selection asks for are
//! computed, by the database, in one statement; references among the keys (an institution, a
//! unit) are read by ID, one statement per kind. The planned path plans the same from the
//! selection ([`plan::Aggregated`], implemented here per kind); the resolvers below are the
//! field-by-field path's.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputType, MergedObject, Object};
use entities::enums as db;
use uuid::Uuid;

use super::connection::loader;
use super::enums::{
    AccreditationScheme, AppointmentRole, AtmpClass, CleanroomRegime, CleanroomStatus, GmpGrade,
    ProductStage, TrialPhase, TrialStatus, UnitKind,
};
use super::filter::{FilterInput, Listed};
use super::plan::{
    self, is_planned, write_optional_enum, Aggregated, Answer, KeyShape, Leaf, RecordsById,
};
use super::{record, ApiError};
use crate::store::{self, GroupColumn, GroupKind, GroupValue, Kind, Measure, RecordKey};

/// The most keys one aggregate may group by.
pub const MAX_GROUP_KEYS: usize = 4;

/// Read access to the records of KI and KUH around the Karolinska ATMP Center: lists, lookups
/// and aggregates.
#[derive(MergedObject)]
#[graphql(name = "Query")]
pub struct Root(
    pub super::Query,
    pub Aggregates,
    pub super::search::Search,
    pub super::reads::Reads,
);

/// The aggregates of each kind's rows.
pub struct Aggregates;

/// The measure field `name` of an aggregate computes, with the key (`distinct`) or number
/// column (`number`) its `field` argument names; `None` for a field that is no measure.
pub(super) fn measure_named<E>(
    name: &str,
    distinct: impl FnOnce() -> Result<GroupColumn, E>,
    number: impl FnOnce() -> Result<&'static str, E>,
) -> Result<Option<Measure>, E> {
    Ok(Some(match name {
        "count" => Measure::Count,
        "countDistinct" => Measure::Distinct(distinct()?),
        "min" => Measure::Min(number()?),
        "max" => Measure::Max(number()?),
        "sum" => Measure::Sum(number()?),
        "avg" => Measure::Avg(number()?),
        _ => return Ok(None),
    }))
}

/// Whether a measure is a count, shown as a whole number.
pub(super) fn is_count(measure: &Measure) -> bool {
    matches!(measure, Measure::Count | Measure::Distinct(_))
}

/// The measures a selection of an aggregate asks for, each once, `count` always.
fn measures_asked<G, N>(
    ctx: &Context<'_>,
    distinct: fn(G) -> GroupColumn,
    number: fn(N) -> &'static str,
) -> Result<Vec<Measure>, ApiError>
where
    G: InputType,
    N: InputType,
{
    let argument = |field: &async_graphql::SelectionField<'_>| -> Result<_, ApiError> {
        let value = field
            .arguments()
            .map_err(|error| ApiError::Internal(error.message))?
            .into_iter()
            .find(|(name, _)| name.as_str() == "field")
            .map(|(_, value)| value);
        Ok(value)
    };
    let internal = |what: &str| ApiError::Internal(format!("an unreadable `field` of `{what}`"));
    let mut measures = vec![Measure::Count];
    for field in ctx.field().selection_set() {
        let name = field.name();
        let measure = measure_named(
            name,
            || -> Result<_, ApiError> {
                Ok(distinct(
                    G::parse(argument(&field)?).map_err(|_| internal(name))?,
                ))
            },
            || -> Result<_, ApiError> {
                Ok(number(
                    N::parse(argument(&field)?).map_err(|_| internal(name))?,
                ))
            },
        )?;
        if let Some(measure) = measure.filter(|measure| !measures.contains(measure)) {
            measures.push(measure);
        }
    }
    Ok(measures)
}

/// The group keys asked for, each once, within the limit.
pub(super) fn group_keys<G: PartialEq + Copy>(
    group_by: Option<Vec<G>>,
    column: fn(G) -> GroupColumn,
) -> Result<(Vec<G>, Vec<GroupColumn>), ApiError> {
    let mut fields: Vec<G> = Vec::new();
    for field in group_by.unwrap_or_default() {
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    if fields.len() > MAX_GROUP_KEYS {
        return Err(ApiError::QueryTooComplex(format!(
            "`groupBy` names {} keys; at most {MAX_GROUP_KEYS} are allowed",
            fields.len()
        )));
    }
    let columns = fields.iter().map(|f| column(*f)).collect();
    Ok((fields, columns))
}

/// A measure of a group, as the statement computed it.
pub(super) fn measure_of(
    measures: &[Measure],
    values: &[Option<f64>],
    measure: Measure,
) -> Result<Option<f64>, ApiError> {
    measures
        .iter()
        .position(|m| *m == measure)
        .and_then(|at| values.get(at).copied())
        .ok_or_else(|| ApiError::Internal(format!("{measure:?} was not computed")))
}

/// A count as GraphQL shows it.
pub(super) fn count(value: Option<f64>) -> u64 {
    // Counts are whole numbers, read as floating point for one decoding path.
    value.map_or(0, |v| v.max(0.0).round() as u64)
}

/// The record a reference key names.
fn reference_key(value: Option<&GroupValue>) -> Option<Uuid> {
    match value {
        Some(GroupValue::Uuid(id)) => Some(*id),
        _ => None,
    }
}

/// An enum key's value.
fn enum_key<D, E>(value: Option<&GroupValue>) -> Option<E>
where
    D: sea_orm::ActiveEnum<Value = String>,
    E: From<D>,
{
    value.and_then(|v| v.enumerated::<D>()).map(E::from)
}

/// A number key's value.
fn int_key(value: Option<&GroupValue>) -> Option<i32> {
    match value {
        Some(GroupValue::Int(v)) => i32::try_from(*v).ok(),
        _ => None,
    }
}

/// A key field's name in the Rust of its declaration (`startYear` is `start_year`).
fn declared_name(name: &str) -> String {
    let mut declared = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            declared.push('_');
            declared.push(c.to_ascii_lowercase());
        } else {
            declared.push(c);
        }
    }
    declared
}

macro_rules! group_kind {
    (institution) => {
        GroupKind::Reference(<store::Institutions as Kind>::TABLE)
    };
    (one $target:ident $key:ident) => {
        GroupKind::Reference(<<store::$key as RecordKey>::Table as Kind>::TABLE)
    };
    (enumeration $enum:ident) => {
        GroupKind::Text
    };
    (int) => {
        GroupKind::Int
    };
}

macro_rules! group_output {
    (institution) => {
        super::Institution
    };
    (one $target:ident $key:ident) => {
        super::$target
    };
    (enumeration $enum:ident) => {
        $enum
    };
    (int) => {
        i32
    };
}

macro_rules! group_resolve {
    ($ctx:ident, $value:expr, institution) => {
        match reference_key($value) {
            Some(id) => Ok(record($ctx, store::InstitutionId(id))
                .await?
                .map(super::Institution)),
            None => Ok(None),
        }
    };
    ($ctx:ident, $value:expr, one $target:ident $key:ident) => {
        match reference_key($value) {
            Some(id) => Ok(record($ctx, store::$key(id)).await?.map(super::$target)),
            None => Ok(None),
        }
    };
    ($ctx:ident, $value:expr, enumeration $enum:ident) => {
        Ok(enum_key::<db::$enum, $enum>($value))
    };
    ($ctx:ident, $value:expr, int) => {
        Ok(int_key($value))
    };
}

/// How the planned path shows a key of this shape.
macro_rules! group_shape {
    (institution) => {
        KeyShape::Record(RecordsById::of::<super::Institution>)
    };
    (one $target:ident $key:ident) => {
        KeyShape::Record(RecordsById::of::<super::$target>)
    };
    (enumeration $enum:ident) => {
        KeyShape::Value(|value, out| write_optional_enum(enum_key::<db::$enum, $enum>(value), out))
    };
    (int) => {
        KeyShape::Value(|value, out| int_key(value).write(out))
    };
}

macro_rules! aggregates {
    ($($kind:ident: $list:ident $noun:literal $method:ident $name:literal {
        aggregate $aggregate:ident, $keys:ident;
        groups $group_field:ident {
            $($(#[doc = $gdoc:literal])* $gvariant:ident $gfield:ident: $gshape:ident $gcolumn:ident $($gtarget:ident)*;)+
        }
        numbers $number_field:ident {
            $($(#[doc = $ndoc:literal])* $nvariant:ident $ncolumn:ident;)+
        }
    })*) => {
        $(
            #[doc = concat!("A key ", $noun, " are grouped by, and counted distinct.")]
            #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum $group_field {
                $($(#[doc = $gdoc])* $gvariant,)+
            }

            impl $group_field {
                fn column(self) -> GroupColumn {
                    // Each column is a field of the row (checked when compiled).
                    let _columns = |row: &<store::$list as Kind>::Model| {
                        $(let _ = &row.$gcolumn;)+
                    };
                    match self {
                        $($group_field::$gvariant => GroupColumn {
                            column: stringify!($gcolumn),
                            kind: group_kind!($gshape $($gtarget)*),
                        },)+
                    }
                }

                fn distinct(self) -> GroupColumn {
                    self.column()
                }
            }

            #[doc = concat!("A number column of ", $noun, " with a minimum, maximum, sum and average.")]
            #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum $number_field {
                $($(#[doc = $ndoc])* $nvariant,)+
            }

            impl $number_field {
                fn column(self) -> &'static str {
                    let _columns = |row: &<store::$list as Kind>::Model| {
                        $(let _ = &row.$ncolumn;)+
                    };
                    match self {
                        $($number_field::$nvariant => stringify!($ncolumn),)+
                    }
                }
            }

            #[doc = concat!("The values of the keys a group of ", $noun, " shares; null for a key not grouped by, and for the group of rows without a value.")]
            pub struct $keys {
                values: Vec<($group_field, GroupValue)>,
            }

            impl $keys {
                fn value(&self, field: $group_field) -> Option<&GroupValue> {
                    self.values.iter().find(|(f, _)| *f == field).map(|(_, v)| v)
                }
            }

            #[doc = concat!("The values of the keys a group of ", $noun, " shares; null for a key not grouped by, and for the group of rows without a value.")]
            #[Object]
            impl $keys {
                $(
                    $(#[doc = $gdoc])*
                    async fn $gfield(&self, ctx: &Context<'_>) -> Result<Option<group_output!($gshape $($gtarget)*)>, ApiError> {
                        let _ = ctx;
                        group_resolve!(ctx, self.value($group_field::$gvariant), $gshape $($gtarget)*)
                    }
                )+
            }

            impl Aggregated for $aggregate {
                type Table = store::$list;
                type Filter = <super::$kind as Listed>::Filter;
                type GroupField = $group_field;
                type NumberField = $number_field;
                type Keys = $keys;

                fn group_column(field: $group_field) -> GroupColumn {
                    field.column()
                }

                fn number_column(field: $number_field) -> &'static str {
                    field.column()
                }

                fn key_field(name: &str) -> Option<($group_field, KeyShape)> {
                    let declared = declared_name(name);
                    $(if declared == stringify!($gfield) {
                        return Some(($group_field::$gvariant, group_shape!($gshape $($gtarget)*)));
                    })+
                    None
                }
            }

            #[doc = concat!("An aggregate of ", $noun, ": all that match, or one group of them.")]
            pub struct $aggregate {
                keys: $keys,
                measures: Arc<Vec<Measure>>,
                values: Vec<Option<f64>>,
            }

            #[doc = concat!("An aggregate of ", $noun, ": all that match, or one group of them.")]
            #[Object]
            impl $aggregate {
                /// The values the group's rows share (all null without `groupBy`).
                async fn keys(&self) -> &$keys {
                    &self.keys
                }

                /// How many rows.
                async fn count(&self) -> Result<u64, ApiError> {
                    Ok(count(measure_of(&self.measures, &self.values, Measure::Count)?))
                }

                /// How many distinct values of a key the rows hold (missing values not counted).
                async fn count_distinct(&self, #[graphql(desc = "The key counted.")] field: $group_field) -> Result<u64, ApiError> {
                    Ok(count(measure_of(&self.measures, &self.values, Measure::Distinct(field.distinct()))?))
                }

                /// The least value of a number; null when no row has one.
                async fn min(&self, #[graphql(desc = "The number.")] field: $number_field) -> Result<Option<f64>, ApiError> {
                    measure_of(&self.measures, &self.values, Measure::Min(field.column()))
                }

                /// The greatest value of a number; null when no row has one.
                async fn max(&self, #[graphql(desc = "The number.")] field: $number_field) -> Result<Option<f64>, ApiError> {
                    measure_of(&self.measures, &self.values, Measure::Max(field.column()))
                }

                /// The sum of a number; null when no row has one.
                async fn sum(&self, #[graphql(desc = "The number.")] field: $number_field) -> Result<Option<f64>, ApiError> {
                    measure_of(&self.measures, &self.values, Measure::Sum(field.column()))
                }

                /// The average of a number over the rows that have one; null when none has.
                async fn avg(&self, #[graphql(desc = "The number.")] field: $number_field) -> Result<Option<f64>, ApiError> {
                    measure_of(&self.measures, &self.values, Measure::Avg(field.column()))
                }
            }
        )*

        /// The root fields both execution paths resolve field by field: a subgraph's
        /// `_service`.
        pub(crate) const FIELD_BY_FIELD_ROOTS: &[&str] = &["_service"];

        #[Object]
        impl Aggregates {
            $(
                #[doc = concat!("Aggregates of the ", $noun, " matching `filter`: one of them all, or with `groupBy` one per group of the keys' values, in ascending order of the keys (missing values last). Computed by the database; at most ", stringify!(1000), " groups.")]
                #[graphql(name = $name)]
                async fn $method(
                    &self,
                    ctx: &Context<'_>,
                    #[graphql(desc = "Only rows matching this filter.")]
                    filter: Option<<super::$kind as Listed>::Filter>,
                    #[graphql(desc = "Group the rows by these keys (at most 4), in this order.")]
                    group_by: Option<Vec<$group_field>>,
                ) -> Result<Answer<Vec<$aggregate>>, ApiError> {
                    if is_planned(ctx) {
                        return plan::aggregates::<$aggregate, _>(ctx).await;
                    }
                    let reads = loader(ctx)?.loader();
                    let filter = <<super::$kind as Listed>::Filter as FilterInput>::into_store(filter, reads)?;
                    let (fields, columns) = group_keys(group_by, $group_field::column)?;
                    let measures = measures_asked(ctx, $group_field::distinct, $number_field::column)?;
                    let groups = reads
                        .aggregate::<store::$list>(&filter, &columns, &measures)
                        .await?;
                    let measures = Arc::new(measures);
                    Ok(Answer::Resolved(groups
                        .into_iter()
                        .map(|group| $aggregate {
                            keys: $keys {
                                values: fields.iter().copied().zip(group.keys).collect(),
                            },
                            measures: measures.clone(),
                            values: group.values,
                        })
                        .collect()))
                }
            )*
        }
    };
}

crate::catalog::for_each_aggregate!(aggregates);
