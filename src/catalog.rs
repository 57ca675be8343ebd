//! The catalog of record kinds: every kind of record the service holds, named once.
//!
//! [`for_each_kind!`] hands the list to a macro of the caller's, which writes what each kind
//! needs where it is needed: the kinds of natural key ([`crate::domain::ids::RecordKind`]),
//! the loader's key types, the node types and the `Node` interface, the `node(id:)` lookups
//! of both execution paths, the dataset a seed or an import writes and which source keeps
//! each of its records. A new kind is one row here, and those follow.

/// Calls `$callback!` with every record kind, one row each:
/// `GraphQL type: entity module, store table, key type, dataset field, owner { columns };`.
/// The columns are the table's, in the entity's order (rows are decoded by position). The owner is
/// the column naming the institution that owns a record (a source holds the records of its
/// institutions), or `shared` for a record every source keeps (a person's identity). The
/// order is the order of the schema's `Node` types and the order in which records are
/// written: each kind after the kinds it references.
macro_rules! for_each_kind {
    ($callback:ident) => {
        $callback! {
            Institution: institution, Institutions, InstitutionId, institutions, id {
                id, code, name, kind, ror_id, city, homepage, provenance, sample_fields
            };
            Unit: unit, Units, UnitId, units, institution_id {
                id, institution_id, partner_institution_id, parent_id, name, name_key,
                short_name, kind, campus, city, established_year, description, provenance,
                sample_fields
            };
            Person: person, People, PersonId, people, shared {
                id, given_name, family_name, name_key, orcid, email, phone, provenance,
                sample_fields
            };
            Appointment: appointment, Appointments, AppointmentId, appointments, institution_id {
                id, institution_id, person_id, unit_id, title, role, area, start_year,
                end_year, rank, provenance, sample_fields
            };
            Cleanroom: cleanroom, Cleanrooms, CleanroomId, cleanrooms, institution_id {
                id, institution_id, unit_id, code, name, regime, grade, status, area_m2,
                qualified_on, intended_use, provenance, sample_fields
            };
            Product: product, Products, ProductId, products, institution_id {
                id, institution_id, unit_id, name, name_key, atmp_class, stage, first_year,
                description, provenance, sample_fields
            };
            Trial: trial, Trials, TrialId, trials, institution_id {
                id, institution_id, sponsor_institution_id, title, title_key, eu_ct_number,
                eudract_number, nct_number, phase, status, start_year, end_year,
                principal_investigator_id, product_id, manufacturing_unit_id, description,
                provenance, sample_fields
            };
            Accreditation: accreditation, Accreditations, AccreditationId, accreditations, institution_id {
                id, institution_id, unit_id, scheme, authority, since_year, description,
                provenance, sample_fields
            };
            Milestone: milestone, Milestones, MilestoneId, milestones, institution_id {
                id, institution_id, unit_id, year, title, description, provenance,
                sample_fields
            };
        }
    };
}

pub(crate) use for_each_kind;
