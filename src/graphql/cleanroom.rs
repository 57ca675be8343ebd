//! `Cleanroom`: the rooms of GMP and pre-GMP facilities, with their EU GMP grades.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use entities::cleanroom;

use super::connection::connection;
use super::enums::GmpGrade;
use super::node::{global_id, NodeType};
use super::plan::planned_record;
use super::{required, ApiError, Provenance};
use crate::store;

/// A cleanroom of a GMP or pre-GMP facility.
pub struct Cleanroom(pub(crate) Arc<cleanroom::Model>);

connection!(
    CleanroomConnection,
    CleanroomEdge,
    Cleanroom,
    cleanroom::Model,
    "A page of cleanrooms.",
    "A cleanroom in a page, with its cursor."
);

planned_record!(Cleanroom: store::Cleanrooms {
    leaves {
        "visibility" => visibility,
        "code" => code,
        "name" => name,
        "regime" => regime,
        "grade" => grade,
        "isoClassAtRest" => iso_class_at_rest [grade],
        "isoClassInOperation" => iso_class_in_operation [grade],
        "status" => status,
        "areaM2" => area_m2,
        "qualifiedOn" => qualified_on,
        "intendedUse" => intended_use,
    }
    to_one {
        "unit" => super::Unit, unit_id, true;
        "institution" => super::Institution, institution_id, true;
    }
    children {
    }
});

/// A cleanroom of a GMP or pre-GMP facility.
#[Object]
impl Cleanroom {
    /// Opaque global ID, stable across restarts and databases.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Cleanroom, self.0.id)
    }

    /// Room code within its facility.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Room name, when it has one.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// GMP or pre-GMP.
    async fn regime(&self) -> super::CleanroomRegime {
        self.0.regime.into()
    }

    /// EU GMP Annex 1 grade; null for pre-GMP rooms and where unknown.
    async fn grade(&self) -> Option<GmpGrade> {
        self.0.grade.map(Into::into)
    }

    /// ISO 14644-1 class at rest, derived from the grade (A and B: 5, C: 7, D: 8).
    async fn iso_class_at_rest(&self) -> Option<i32> {
        self.0.grade.map(|g| iso_class(g.into()).0)
    }

    /// ISO 14644-1 class in operation, derived from the grade (A: 5, B: 7, C: 8); null for grade D, whose limits are set by risk assessment.
    async fn iso_class_in_operation(&self) -> Option<i32> {
        self.0.grade.and_then(|g| iso_class(g.into()).1)
    }

    /// Qualification status, when known.
    async fn status(&self) -> Option<super::CleanroomStatus> {
        self.0.status.map(Into::into)
    }

    /// Floor area in square metres, when known.
    async fn area_m2(&self) -> Option<f64> {
        self.0.area_m2
    }

    /// Date of the last (re)qualification (ISO 8601), when known.
    async fn qualified_on(&self) -> Option<String> {
        self.0.qualified_on.map(|d| d.to_string())
    }

    /// What the room is used for, when known.
    async fn intended_use(&self) -> Option<&str> {
        self.0.intended_use.as_deref()
    }

    /// The facility the room belongs to.
    async fn unit(&self, ctx: &Context<'_>) -> Result<super::Unit, ApiError> {
        required(ctx, store::UnitId(self.0.unit_id))
            .await
            .map(super::Unit)
    }

    /// The institution of the facility.
    async fn institution(&self, ctx: &Context<'_>) -> Result<super::Institution, ApiError> {
        required(ctx, store::InstitutionId(self.0.institution_id))
            .await
            .map(super::Institution)
    }

    /// Where this record's facts come from.
    async fn provenance(&self) -> Provenance {
        Provenance::of(self.0.provenance, &self.0.sample_fields)
    }

    /// Who its institution shows it to: `PUBLIC` (everyone), `PARTNER` (its partners and staff) or `INTERNAL` (its staff). The record's own marking: a caller reads a record only where it reads the records it references too.
    async fn visibility(&self) -> super::Visibility {
        self.0.visibility.into()
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
