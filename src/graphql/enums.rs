//! The closed vocabularies of the schema. Each mirrors an `entities` enum with exhaustive
//! conversions both ways, so a new database value breaks the build, not the API.

use async_graphql::Enum;
use entities::enums as db;

macro_rules! mirror_enum {
    ($(#[doc = $doc:literal])* $name:ident = $db:ty { $($(#[doc = $vdoc:literal])* $variant:ident,)+ }) => {
        $(#[doc = $doc])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant,)+
        }

        impl From<$db> for $name {
            fn from(value: $db) -> Self {
                match value {
                    $(<$db>::$variant => $name::$variant,)+
                }
            }
        }

        impl $crate::graphql::plan::Leaf for $name {
            fn write(self, out: &mut $crate::graphql::plan::Out<'_>) {
                $crate::graphql::plan::write_enum(self, out)
            }
        }

        impl From<$name> for $db {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => <$db>::$variant,)+
                }
            }
        }
    };
}

mirror_enum! {
    /// Where a record's facts come from.
    ProvenanceKind = db::Provenance {
        /// Stated in the source document about the Karolinska ATMP Center (or the public
        /// registries it names, such as ROR); fields listed in `sampleFields` excepted.
        Document,
        /// An illustrative sample, filled in where the source is silent: not a fact.
        Sample,
        /// Synthetic filler made by the data generator for benchmarks: not a fact.
        Generated,
    }
}

mirror_enum! {
    /// What kind of institution.
    InstitutionKind = db::InstitutionKind {
        /// A university, such as Karolinska Institutet.
        University,
        /// A university hospital, such as Karolinska University Hospital.
        UniversityHospital,
    }
}

mirror_enum! {
    /// What kind of organisational unit.
    UnitKind = db::UnitKind {
        /// A center, possibly joint between the institutions (the Karolinska ATMP Center, KCC, KCCC).
        Center,
        /// A part of the university led by a dean, such as KI South.
        AcademicArea,
        /// A department, such as the Department of Laboratory Medicine or MDK.
        Department,
        /// A clinical unit treating patients, such as CAST.
        ClinicalUnit,
        /// A facility manufacturing under GMP, such as Vecura.
        GmpFacility,
        /// A pre-GMP facility bridging research and GMP manufacturing.
        PreGmpFacility,
        /// A steering or management group.
        GovernanceBody,
    }
}

mirror_enum! {
    /// The normalised role of an appointment; `title` keeps the source's wording.
    AppointmentRole = db::AppointmentRole {
        /// Head of a unit.
        Head,
        /// Director, such as the R&D Director of the hospital.
        Director,
        /// Acting director.
        ActingDirector,
        /// Acting chief executive.
        ActingChiefExecutive,
        /// Vice president of the university.
        VicePresident,
        /// Dean.
        Dean,
        /// Member of a group.
        Member,
        /// Coordinator.
        Coordinator,
        /// Operations manager of an area.
        OperationsManager,
        /// Deputy of an operations manager.
        Deputy,
        /// Academic position, such as associate professor.
        Faculty,
        /// Reviewer of published content about the unit.
        ContentReviewer,
    }
}

mirror_enum! {
    /// Whether a cleanroom works under GMP.
    CleanroomRegime = db::CleanroomRegime {
        /// A GMP cleanroom, graded under EU GMP Annex 1.
        Gmp,
        /// A pre-GMP room for process development: not GMP-graded.
        PreGmp,
    }
}

mirror_enum! {
    /// EU GMP Annex 1 cleanroom grade.
    GmpGrade = db::GmpGrade {
        /// Grade A: high-risk operations (ISO 5 at rest and in operation).
        A,
        /// Grade B: background to grade A (ISO 5 at rest, ISO 7 in operation).
        B,
        /// Grade C: less critical steps (ISO 7 at rest, ISO 8 in operation).
        C,
        /// Grade D: least critical steps (ISO 8 at rest; in operation set by risk assessment).
        D,
    }
}

mirror_enum! {
    /// Where a cleanroom stands in its qualification lifecycle.
    CleanroomStatus = db::CleanroomStatus {
        /// Qualified and in use.
        Qualified,
        /// Being qualified (DQ, IQ, OQ or PQ under way).
        InQualification,
        /// Out of use for maintenance.
        Maintenance,
        /// No longer in use.
        Decommissioned,
    }
}

mirror_enum! {
    /// ATMP class under Regulation (EC) No 1394/2007.
    AtmpClass = db::AtmpClass {
        /// Gene therapy medicinal product (GTMP); CAR-T cells are GTMPs.
        GeneTherapy,
        /// Somatic cell therapy medicinal product (sCTMP).
        SomaticCellTherapy,
        /// Tissue-engineered product (TEP).
        TissueEngineered,
        /// Combined ATMP, with a medical device as an integral part.
        Combined,
    }
}

mirror_enum! {
    /// How far a product has come.
    ProductStage = db::ProductStage {
        /// In development before clinical use.
        Preclinical,
        /// In clinical trials.
        ClinicalTrial,
        /// In standard treatment.
        StandardTreatment,
    }
}

mirror_enum! {
    /// Clinical trial phase.
    TrialPhase = db::TrialPhase {
        /// Phase I.
        Phase1,
        /// Phase I and II, integrated.
        Phase1And2,
        /// Phase II.
        Phase2,
        /// Phase II and III, integrated.
        Phase2And3,
        /// Phase III.
        Phase3,
        /// Phase IV.
        Phase4,
    }
}

mirror_enum! {
    /// Normalised clinical trial status.
    TrialStatus = db::TrialStatus {
        /// Not yet started.
        Planned,
        /// Under way.
        Ongoing,
        /// Ended as planned.
        Completed,
        /// Ended early: halted, terminated or withdrawn.
        EndedEarly,
    }
}

mirror_enum! {
    /// Accreditation or authorisation scheme.
    AccreditationScheme = db::AccreditationScheme {
        /// FACT-JACIE accreditation for haematopoietic cellular therapy.
        Jacie,
        /// GMP manufacturing authorisation from the Swedish Medical Products Agency.
        GmpManufacturingAuthorisation,
        /// Tissue establishment permit.
        TissueEstablishmentPermit,
        /// Permit for contained use of genetically modified organisms.
        GmoContainedUse,
    }
}

mirror_enum! {
    /// Who an institution shows one of its records to; each audience also reads what the one before it does.
    Visibility = db::Visibility {
        /// Everyone, with or without a key.
        Public,
        /// The institution's partners and its staff.
        Partner,
        /// The institution's staff.
        Internal,
    }
}

/// Which way an ordering term sorts.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest first (A to Z, oldest first).
    #[default]
    Asc,
    /// Largest first (Z to A, newest first).
    Desc,
}

impl From<OrderDirection> for crate::store::SortDirection {
    fn from(value: OrderDirection) -> Self {
        match value {
            OrderDirection::Asc => crate::store::SortDirection::Ascending,
            OrderDirection::Desc => crate::store::SortDirection::Descending,
        }
    }
}
