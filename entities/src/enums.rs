//! Closed vocabularies, stored as SCREAMING_SNAKE_CASE text so that SQLite and PostgreSQL
//! hold the same values and a new value needs no enum-type migration.

use sea_orm::entity::prelude::*;

/// Where a record's facts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Provenance {
    /// Stated in the seed source document.
    #[sea_orm(string_value = "DOCUMENT")]
    Document,
    /// An illustrative value filled in where the document is silent.
    #[sea_orm(string_value = "SAMPLE")]
    Sample,
    /// Synthetic filler rows made by the data generator (benchmarks).
    #[sea_orm(string_value = "GENERATED")]
    Generated,
}

/// What kind of institution a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum InstitutionKind {
    #[sea_orm(string_value = "UNIVERSITY")]
    University,
    #[sea_orm(string_value = "UNIVERSITY_HOSPITAL")]
    UniversityHospital,
}

/// What kind of organisational unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum UnitKind {
    #[sea_orm(string_value = "CENTER")]
    Center,
    #[sea_orm(string_value = "ACADEMIC_AREA")]
    AcademicArea,
    #[sea_orm(string_value = "DEPARTMENT")]
    Department,
    #[sea_orm(string_value = "CLINICAL_UNIT")]
    ClinicalUnit,
    #[sea_orm(string_value = "GMP_FACILITY")]
    GmpFacility,
    #[sea_orm(string_value = "PRE_GMP_FACILITY")]
    PreGmpFacility,
    #[sea_orm(string_value = "GOVERNANCE_BODY")]
    GovernanceBody,
}

/// The normalised role of an appointment; the verbatim title is kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AppointmentRole {
    #[sea_orm(string_value = "HEAD")]
    Head,
    #[sea_orm(string_value = "DIRECTOR")]
    Director,
    #[sea_orm(string_value = "ACTING_DIRECTOR")]
    ActingDirector,
    #[sea_orm(string_value = "ACTING_CHIEF_EXECUTIVE")]
    ActingChiefExecutive,
    #[sea_orm(string_value = "VICE_PRESIDENT")]
    VicePresident,
    #[sea_orm(string_value = "DEAN")]
    Dean,
    #[sea_orm(string_value = "MEMBER")]
    Member,
    #[sea_orm(string_value = "COORDINATOR")]
    Coordinator,
    #[sea_orm(string_value = "OPERATIONS_MANAGER")]
    OperationsManager,
    #[sea_orm(string_value = "DEPUTY")]
    Deputy,
    #[sea_orm(string_value = "FACULTY")]
    Faculty,
    #[sea_orm(string_value = "CONTENT_REVIEWER")]
    ContentReviewer,
}

/// Whether a cleanroom works under GMP or is a pre-GMP (research-grade) room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CleanroomRegime {
    #[sea_orm(string_value = "GMP")]
    Gmp,
    #[sea_orm(string_value = "PRE_GMP")]
    PreGmp,
}

/// EU GMP Annex 1 cleanroom grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum GmpGrade {
    #[sea_orm(string_value = "A")]
    A,
    #[sea_orm(string_value = "B")]
    B,
    #[sea_orm(string_value = "C")]
    C,
    #[sea_orm(string_value = "D")]
    D,
}

/// Where a cleanroom stands in its qualification lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CleanroomStatus {
    #[sea_orm(string_value = "QUALIFIED")]
    Qualified,
    #[sea_orm(string_value = "IN_QUALIFICATION")]
    InQualification,
    #[sea_orm(string_value = "MAINTENANCE")]
    Maintenance,
    #[sea_orm(string_value = "DECOMMISSIONED")]
    Decommissioned,
}

/// ATMP class under Regulation (EC) No 1394/2007.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AtmpClass {
    #[sea_orm(string_value = "GENE_THERAPY")]
    GeneTherapy,
    #[sea_orm(string_value = "SOMATIC_CELL_THERAPY")]
    SomaticCellTherapy,
    #[sea_orm(string_value = "TISSUE_ENGINEERED")]
    TissueEngineered,
    #[sea_orm(string_value = "COMBINED")]
    Combined,
}

/// How far a product has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ProductStage {
    #[sea_orm(string_value = "PRECLINICAL")]
    Preclinical,
    #[sea_orm(string_value = "CLINICAL_TRIAL")]
    ClinicalTrial,
    #[sea_orm(string_value = "STANDARD_TREATMENT")]
    StandardTreatment,
}

/// Clinical trial phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TrialPhase {
    #[sea_orm(string_value = "PHASE_1")]
    Phase1,
    #[sea_orm(string_value = "PHASE_1_2")]
    Phase1And2,
    #[sea_orm(string_value = "PHASE_2")]
    Phase2,
    #[sea_orm(string_value = "PHASE_2_3")]
    Phase2And3,
    #[sea_orm(string_value = "PHASE_3")]
    Phase3,
    #[sea_orm(string_value = "PHASE_4")]
    Phase4,
}

/// Normalised clinical trial status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum TrialStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "ONGOING")]
    Ongoing,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "ENDED_EARLY")]
    EndedEarly,
}

/// Accreditation or authorisation scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AccreditationScheme {
    #[sea_orm(string_value = "JACIE")]
    Jacie,
    #[sea_orm(string_value = "GMP_MANUFACTURING_AUTHORISATION")]
    GmpManufacturingAuthorisation,
    #[sea_orm(string_value = "TISSUE_ESTABLISHMENT_PERMIT")]
    TissueEstablishmentPermit,
    #[sea_orm(string_value = "GMO_CONTAINED_USE")]
    GmoContainedUse,
}

/// What an API key lets its holder do (the rules per role narrow what each reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum KeyRole {
    /// A company's key, scoped to one or more institutions.
    #[sea_orm(string_value = "PARTNER")]
    Partner,
    /// The key of a member of one institution's staff.
    #[sea_orm(string_value = "STAFF")]
    Staff,
    /// The key of a data steward of one institution: staff who also keep its records.
    #[sea_orm(string_value = "STEWARD")]
    Steward,
    /// An administrator's key.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// Who an institution shows one of its records to (each audience also sees what the one
/// before it does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Visibility {
    /// Everyone, with or without a key.
    #[sea_orm(string_value = "PUBLIC")]
    Public,
    /// The institution's partners and its staff.
    #[sea_orm(string_value = "PARTNER")]
    Partner,
    /// The institution's staff only.
    #[sea_orm(string_value = "INTERNAL")]
    Internal,
}
