//! `Cleanroom`: the rooms of GMP and pre-GMP facilities, with their EU GMP grades.

use entities::cleanroom;

use super::connection::connection;
use super::enums::GmpGrade;
use super::plan::record_type;
use crate::store;

connection!(
    CleanroomConnection,
    CleanroomEdge,
    Cleanroom,
    cleanroom::Model,
    "A page of cleanrooms.",
    "A cleanroom in a page, with its cursor."
);

record_type! {
    /// A cleanroom of a GMP or pre-GMP facility.
    Cleanroom: store::Cleanrooms {
        id;
        /// Room code within its facility.
        leaf "code" code: &str = |code| code;
        /// Room name, when it has one.
        leaf "name" name: Option<&str> = |name| name.as_deref();
        /// GMP or pre-GMP.
        leaf "regime" regime: super::CleanroomRegime = |regime| (*regime).into();
        /// EU GMP Annex 1 grade; null for pre-GMP rooms and where unknown.
        leaf "grade" grade: Option<GmpGrade> = |grade| grade.map(Into::into);
        /// ISO 14644-1 class at rest, derived from the grade (A and B: 5, C: 7, D: 8).
        leaf "isoClassAtRest" iso_class_at_rest: Option<i32> =
            |grade| grade.map(|g| iso_class(g.into()).0);
        /// ISO 14644-1 class in operation, derived from the grade (A: 5, B: 7, C: 8); null for grade D, whose limits are set by risk assessment.
        leaf "isoClassInOperation" iso_class_in_operation: Option<i32> =
            |grade| grade.and_then(|g| iso_class(g.into()).1);
        /// Qualification status, when known.
        leaf "status" status: Option<super::CleanroomStatus> = |status| status.map(Into::into);
        /// Floor area in square metres, when known.
        leaf "areaM2" area_m2: Option<f64> = |area_m2| *area_m2;
        /// Date of the last (re)qualification (ISO 8601), when known.
        leaf "qualifiedOn" qualified_on: Option<String> =
            |qualified_on| qualified_on.map(|d| d.to_string());
        /// What the room is used for, when known.
        leaf "intendedUse" intended_use: Option<&str> = |intended_use| intended_use.as_deref();
        /// The facility the room belongs to.
        reference "unit" unit: super::Unit = unit_id;
        /// The institution of the facility.
        reference "institution" institution: super::Institution = institution_id;
        provenance;
        visibility;
    }
}

/// ISO 14644-1 classes at rest and in operation for an EU GMP grade (Annex 1, 2022, table 1).
fn iso_class(grade: GmpGrade) -> (i32, Option<i32>) {
    match grade {
        GmpGrade::A => (5, Some(5)),
        GmpGrade::B => (5, Some(7)),
        GmpGrade::C => (7, Some(8)),
        GmpGrade::D => (8, None),
    }
}
