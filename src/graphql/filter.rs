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

/// Which units to list.
#[derive(InputObject, Debug, Default)]
pub struct UnitFilter {
    /// Units of these institutions; a joint unit matches each of its institutions.
    pub institution: Option<InstitutionCodeFilter>,
    /// Units of these kinds.
    pub kind: Option<UnitKindFilter>,
}

impl FilterInput for UnitFilter {
    type Store = store::UnitFilter;

    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
        let filter = filter.unwrap_or_default();
        Ok(store::UnitFilter {
            institutions: InstitutionCodeFilter::ids(filter.institution, reads)?,
            kinds: UnitKindFilter::values(filter.kind),
        })
    }
}

/// Which people to list.
#[derive(InputObject, Debug, Default)]
pub struct PersonFilter {
    /// People with an appointment at these institutions.
    pub institution: Option<InstitutionCodeFilter>,
}

impl FilterInput for PersonFilter {
    type Store = store::PersonFilter;

    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
        let filter = filter.unwrap_or_default();
        Ok(store::PersonFilter {
            institutions: InstitutionCodeFilter::ids(filter.institution, reads)?,
        })
    }
}

/// Which appointments to list.
#[derive(InputObject, Debug, Default)]
pub struct AppointmentFilter {
    /// Appointments at these institutions.
    pub institution: Option<InstitutionCodeFilter>,
    /// Appointments with these roles.
    pub role: Option<AppointmentRoleFilter>,
}

impl FilterInput for AppointmentFilter {
    type Store = store::AppointmentFilter;

    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
        let filter = filter.unwrap_or_default();
        Ok(store::AppointmentFilter {
            institutions: InstitutionCodeFilter::ids(filter.institution, reads)?,
            roles: AppointmentRoleFilter::values(filter.role),
        })
    }
}

/// Which cleanrooms to list.
#[derive(InputObject, Debug, Default)]
pub struct CleanroomFilter {
    /// Cleanrooms of these institutions.
    pub institution: Option<InstitutionCodeFilter>,
    /// Cleanrooms of these grades.
    pub grade: Option<GmpGradeFilter>,
    /// Cleanrooms under these regimes.
    pub regime: Option<CleanroomRegimeFilter>,
}

impl FilterInput for CleanroomFilter {
    type Store = store::CleanroomFilter;

    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
        let filter = filter.unwrap_or_default();
        Ok(store::CleanroomFilter {
            institutions: InstitutionCodeFilter::ids(filter.institution, reads)?,
            grades: GmpGradeFilter::values(filter.grade),
            regimes: CleanroomRegimeFilter::values(filter.regime),
        })
    }
}

/// Which products to list.
#[derive(InputObject, Debug, Default)]
pub struct ProductFilter {
    /// Products of these institutions.
    pub institution: Option<InstitutionCodeFilter>,
    /// Products of these ATMP classes.
    pub atmp_class: Option<AtmpClassFilter>,
}

impl FilterInput for ProductFilter {
    type Store = store::ProductFilter;

    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
        let filter = filter.unwrap_or_default();
        Ok(store::ProductFilter {
            institutions: InstitutionCodeFilter::ids(filter.institution, reads)?,
            classes: AtmpClassFilter::values(filter.atmp_class),
        })
    }
}

/// Which trials to list.
#[derive(InputObject, Debug, Default)]
pub struct TrialFilter {
    /// Trials in the records of these institutions.
    pub institution: Option<InstitutionCodeFilter>,
    /// Trials with these statuses.
    pub status: Option<TrialStatusFilter>,
}

impl FilterInput for TrialFilter {
    type Store = store::TrialFilter;

    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
        let filter = filter.unwrap_or_default();
        Ok(store::TrialFilter {
            institutions: InstitutionCodeFilter::ids(filter.institution, reads)?,
            statuses: TrialStatusFilter::values(filter.status),
        })
    }
}

/// Which accreditations to list.
#[derive(InputObject, Debug, Default)]
pub struct AccreditationFilter {
    /// Accreditations held in these institutions.
    pub institution: Option<InstitutionCodeFilter>,
}

impl FilterInput for AccreditationFilter {
    type Store = store::AccreditationFilter;

    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
        let filter = filter.unwrap_or_default();
        Ok(store::AccreditationFilter {
            institutions: InstitutionCodeFilter::ids(filter.institution, reads)?,
        })
    }
}

/// Which milestones to list.
#[derive(InputObject, Debug, Default)]
pub struct MilestoneFilter {
    /// Milestones of these institutions.
    pub institution: Option<InstitutionCodeFilter>,
}

impl FilterInput for MilestoneFilter {
    type Store = store::MilestoneFilter;

    fn into_store(filter: Option<Self>, reads: &StoreLoader) -> Result<Self::Store, ApiError> {
        let filter = filter.unwrap_or_default();
        Ok(store::MilestoneFilter {
            institutions: InstitutionCodeFilter::ids(filter.institution, reads)?,
        })
    }
}

macro_rules! order_input {
    ($(#[doc = $doc:literal])* $name:ident, $field_enum:ident, $store_field:ty {
        $($(#[doc = $vdoc:literal])* $variant:ident,)+
    }) => {
        #[doc = "A field the list can be ordered by."]
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $field_enum {
            $($(#[doc = $vdoc])* $variant,)+
        }

        $(#[doc = $doc])*
        #[derive(InputObject, Debug)]
        pub struct $name {
            /// The field to order by.
            pub field: $field_enum,
            /// The direction; ascending when left out.
            #[graphql(default)]
            pub direction: OrderDirection,
        }

        impl OrderInput for $name {
            type Field = $store_field;

            fn into_store(order: Option<Vec<Self>>) -> Vec<OrderTerm<$store_field>> {
                order
                    .unwrap_or_default()
                    .into_iter()
                    .map(|term| OrderTerm {
                        field: match term.field {
                            $($field_enum::$variant => <$store_field>::$variant,)+
                        },
                        direction: term.direction.into(),
                    })
                    .collect()
            }
        }
    };
}

order_input!(
    /// One term of a units ordering; ties are broken by ID.
    UnitOrder, UnitOrderField, store::UnitField {
        /// By name, ignoring case and diacritics.
        Name,
        /// By kind of unit.
        Kind,
    }
);
order_input!(
    /// One term of a people ordering; ties are broken by ID.
    PersonOrder, PersonOrderField, store::PersonField {
        /// By family name, then given name, ignoring case and diacritics.
        Name,
    }
);
order_input!(
    /// One term of an appointments ordering; ties are broken by ID.
    AppointmentOrder, AppointmentOrderField, store::AppointmentField {
        /// In the order the source lists them.
        Rank,
    }
);
order_input!(
    /// One term of a cleanrooms ordering; ties are broken by ID.
    CleanroomOrder, CleanroomOrderField, store::CleanroomField {
        /// By room code.
        Code,
    }
);
order_input!(
    /// One term of a products ordering; ties are broken by ID.
    ProductOrder, ProductOrderField, store::ProductField {
        /// By name, ignoring case and diacritics.
        Name,
    }
);
order_input!(
    /// One term of a trials ordering; ties are broken by ID.
    TrialOrder, TrialOrderField, store::TrialField {
        /// By title, ignoring case and diacritics.
        Title,
    }
);
order_input!(
    /// One term of an accreditations ordering; ties are broken by ID.
    AccreditationOrder, AccreditationOrderField, store::AccreditationField {
        /// By scheme.
        Scheme,
    }
);
order_input!(
    /// One term of a milestones ordering; ties are broken by ID.
    MilestoneOrder, MilestoneOrderField, store::MilestoneField {
        /// By year.
        Year,
    }
);
