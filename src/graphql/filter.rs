//! Filter and ordering inputs. Each converts into the store's plain-Rust filter or ordering;
//! this conversion is the boundary between the schema and the store.

use async_graphql::InputObject;
use entities::enums as db;

use super::enums::{
    AppointmentRole, AtmpClass, CleanroomRegime, GmpGrade, OrderDirection, TrialStatus, UnitKind,
};
use super::ApiError;
use crate::store::{self, OrderTerm, StoreLoader};

/// A GraphQL filter input that converts into the store's filter of a list.
pub(crate) trait FilterInput: Sized {
    /// The store's filter.
    type Store;
    /// The store filter; `None` (no filter given) matches every row.
    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError>;
}

/// The filter and ordering inputs of a record type's lists (written from the catalog).
pub(crate) trait Listed {
    /// The filter input of its lists.
    type Filter: FilterInput;
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
    pub(crate) fn ids(
        filter: Option<Self>,
        reads: &StoreLoader,
    ) -> Result<Option<Vec<uuid::Uuid>>, ApiError> {
        let Some(filter) = filter else {
            return Ok(None);
        };
        match eq_and_in(filter.eq, filter.within) {
            None => Ok(None),
            Some(codes) => Ok(Some(reads.institution_ids(&codes)?)),
        }
    }
}

macro_rules! enum_filter {
    ($(#[doc = $doc:literal])* $name:ident of $enum:ident) => {
        $(#[doc = $doc])*
        #[derive(InputObject, Debug, Default)]
        pub struct $name {
            /// The value equals this.
            pub eq: Option<$enum>,
            /// The value is one of these.
            #[graphql(name = "in")]
            pub within: Option<Vec<$enum>>,
        }

        impl $name {
            pub(crate) fn values(filter: Option<Self>) -> Option<Vec<db::$enum>> {
                let filter = filter?;
                eq_and_in(filter.eq, filter.within).map(|v| v.into_iter().map(Into::into).collect())
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
    /// Matches products by ATMP class.
    AtmpClassFilter of AtmpClass
);
enum_filter!(
    /// Matches trials by status.
    TrialStatusFilter of TrialStatus
);

/// Each list's filter and ordering inputs, written from the catalog ([`crate::catalog`]):
/// the filter names the institution by code and each enum column by `eq`/`in`, and converts
/// into the store's filter of the same name; the ordering's fields are the store's.
macro_rules! inputs {
    ($($kind:ident: $list:ident $noun:literal {
        filter $filter:ident {
            $(#[doc = $institution_doc:literal])*
            institution ($($placed:tt)+);
            $($(#[doc = $field_doc:literal])* $field:ident: $enum:ident, $input:ident;)*
        }
        order $order:ident, $order_field:ident, $sort:ident default $default:ident {
            $($(#[doc = $sort_doc:literal])* $variant:ident: $label:literal, $column:ident, $sort_kind:ident;)+
        }
    })*) => {$(
        #[doc = concat!("Which ", $noun, " to list.")]
        #[derive(InputObject, Debug, Default)]
        pub struct $filter {
            $(#[doc = $institution_doc])*
            pub institution: Option<InstitutionCodeFilter>,
            $($(#[doc = $field_doc])* pub $field: Option<$input>,)*
        }

        impl FilterInput for $filter {
            type Store = store::$filter;

            fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
                let filter = filter.unwrap_or_default();
                Ok(store::$filter {
                    institutions: InstitutionCodeFilter::ids(filter.institution, reads)?,
                    $($field: $input::values(filter.$field),)*
                })
            }
        }

        impl Listed for super::$kind {
            type Filter = $filter;
            type Order = $order;
        }

        #[doc = "A field the list can be ordered by."]
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $order_field {
            $($(#[doc = $sort_doc])* $variant,)+
        }

        #[doc = concat!("One term of an ordering of ", $noun, "; ties are broken by ID.")]
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
