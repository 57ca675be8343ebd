//! Aggregates and group-by at the query root: for each kind a field such as
//! `cleanroomsAggregate(filter:, groupBy:)`, answering one aggregate of the matching rows, or
//! one per group of the `groupBy` keys' values. Only the measures the selection asks for are
//! computed, by the database, in one statement; references among the keys (an institution, a
//! unit) are loaded in one batch per kind.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputType, MergedObject, Object};
use entities::enums as db;

use super::connection::loader;
use super::enums::{
    AccreditationScheme, AppointmentRole, AtmpClass, CleanroomRegime, CleanroomStatus, GmpGrade,
    ProductStage, TrialPhase, TrialStatus, UnitKind,
};
use super::filter::{FilterInput, Listed};
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
        let measure = match field.name() {
            "countDistinct" => Measure::Distinct(distinct(
                G::parse(argument(&field)?).map_err(|_| internal("countDistinct"))?,
            )),
            name @ ("min" | "max" | "sum" | "avg") => {
                let column = number(N::parse(argument(&field)?).map_err(|_| internal(name))?);
                match name {
                    "min" => Measure::Min(column),
                    "max" => Measure::Max(column),
                    "sum" => Measure::Sum(column),
                    _ => Measure::Avg(column),
                }
            }
            _ => continue,
        };
        if !measures.contains(&measure) {
            measures.push(measure);
        }
    }
    Ok(measures)
}

/// The group keys asked for, each once, within the limit.
fn group_keys<G: PartialEq + Copy>(
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
fn measure_of(
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
fn count(value: Option<f64>) -> u64 {
    // Counts are whole numbers, read as floating point for one decoding path.
    value.map_or(0, |v| v.max(0.0).round() as u64)
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
        match $value {
            Some(GroupValue::Uuid(id)) => Ok(record($ctx, store::InstitutionId(*id))
                .await?
                .map(super::Institution)),
            _ => Ok(None),
        }
    };
    ($ctx:ident, $value:expr, one $target:ident $key:ident) => {
        match $value {
            Some(GroupValue::Uuid(id)) => {
                Ok(record($ctx, store::$key(*id)).await?.map(super::$target))
            }
            _ => Ok(None),
        }
    };
    ($ctx:ident, $value:expr, enumeration $enum:ident) => {
        Ok($value
            .and_then(|v| v.enumerated::<db::$enum>())
            .map($enum::from))
    };
    ($ctx:ident, $value:expr, int) => {
        Ok(match $value {
            Some(GroupValue::Int(v)) => i32::try_from(*v).ok(),
            _ => None,
        })
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

        /// The root fields both execution paths resolve field by field: the aggregates,
        /// `search`, and a subgraph's `_entities` and `_service`.
        pub(crate) const FIELD_BY_FIELD_ROOTS: &[&str] = &[$($name,)* "search", "_entities", "_service"];

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
                ) -> Result<Vec<$aggregate>, ApiError> {
                    let reads = loader(ctx)?.loader();
                    let filter = <<super::$kind as Listed>::Filter as FilterInput>::into_store(filter, reads)?;
                    let (fields, columns) = group_keys(group_by, $group_field::column)?;
                    let measures = measures_asked(ctx, $group_field::distinct, $number_field::column)?;
                    let groups = reads
                        .aggregate::<store::$list>(&filter, &columns, &measures)
                        .await?;
                    let measures = Arc::new(measures);
                    Ok(groups
                        .into_iter()
                        .map(|group| $aggregate {
                            keys: $keys {
                                values: fields.iter().copied().zip(group.keys).collect(),
                            },
                            measures: measures.clone(),
                            values: group.values,
                        })
                        .collect())
                }
            )*
        }
    };
}

crate::catalog::for_each_aggregate!(aggregates);
