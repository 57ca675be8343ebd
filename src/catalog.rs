//! The catalog of record kinds: every kind of record the service holds, named once.
//!
//! [`for_each_kind!`] hands the list to a macro of the caller's, which writes what each kind
//! needs where it is needed: the kinds of natural key ([`crate::domain::ids::RecordKind`]),
//! the loader's key types, the node types and the `Node` interface, the `node(id:)` lookups
//! of both execution paths, the dataset a seed or an import writes and which source keeps
//! each of its records. A new kind is one row here, and those follow.

/// Calls `$callback!` with every record kind, one row each:
/// `GraphQL type: entity module, store table, key type, dataset field, owner;`. The owner is
/// the column naming the institution that owns a record (a source holds the records of its
/// institutions), or `shared` for a record every source keeps (a person's identity). The
/// order is the order of the schema's `Node` types and the order in which records are
/// written: each kind after the kinds it references.
macro_rules! for_each_kind {
    ($callback:ident) => {
        $callback! {
            Institution: institution, Institutions, InstitutionId, institutions, id;
            Unit: unit, Units, UnitId, units, institution_id;
            Person: person, People, PersonId, people, shared;
            Appointment: appointment, Appointments, AppointmentId, appointments, institution_id;
            Cleanroom: cleanroom, Cleanrooms, CleanroomId, cleanrooms, institution_id;
            Product: product, Products, ProductId, products, institution_id;
            Trial: trial, Trials, TrialId, trials, institution_id;
            Accreditation: accreditation, Accreditations, AccreditationId, accreditations, institution_id;
            Milestone: milestone, Milestones, MilestoneId, milestones, institution_id;
        }
    };
}

pub(crate) use for_each_kind;
