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

/// Calls `$callback!` with what each list (every kind but the institutions, which are read
/// whole) is filtered and ordered by, one block per kind:
///
/// ```text
/// GraphQL type: list "noun" {
///     filter Filter {
///         /// doc
///         institution (columns c, …) | (appointed);
///         /// doc
///         column: Enum, EnumFilter;
///     }
///     order Order, OrderField, SortField default Variant {
///         /// doc
///         Variant: "CURSOR NAME", column, Text | Enum | Int;
///     }
/// }
/// ```
///
/// The store writes the filter, its SQL condition, the sort fields and the default order from
/// it ([`crate::store`]'s `lists!`); the schema writes the filter and ordering inputs and their
/// conversion (`crate::graphql::filter`'s `inputs!`). The institution filter names the columns
/// that place a record at an institution (any of them matches), or `appointed` for people,
/// placed by their appointments. Each other filter is an `eq`/`in` over an enum column. A
/// column that is no field of the kind's row does not compile.
macro_rules! for_each_list {
    ($callback:ident) => {
        $callback! {
            Unit: Units "units" {
                filter UnitFilter {
                    /// Units of these institutions; a joint unit matches each of its institutions.
                    institution (columns institution_id, partner_institution_id);
                    /// Units of these kinds.
                    kind: UnitKind, UnitKindFilter;
                }
                order UnitOrder, UnitOrderField, UnitField default Name {
                    /// By name, ignoring case and diacritics.
                    Name: "NAME", name_key, Text;
                    /// By kind of unit.
                    Kind: "KIND", kind, Enum;
                }
            }
            Person: People "people" {
                filter PersonFilter {
                    /// People with an appointment at these institutions.
                    institution (appointed);
                }
                order PersonOrder, PersonOrderField, PersonField default Name {
                    /// By family name, then given name, ignoring case and diacritics.
                    Name: "NAME", name_key, Text;
                }
            }
            Appointment: Appointments "appointments" {
                filter AppointmentFilter {
                    /// Appointments at these institutions.
                    institution (columns institution_id);
                    /// Appointments with these roles.
                    role: AppointmentRole, AppointmentRoleFilter;
                }
                order AppointmentOrder, AppointmentOrderField, AppointmentField default Rank {
                    /// In the order the source lists them.
                    Rank: "RANK", rank, Int;
                }
            }
            Cleanroom: Cleanrooms "cleanrooms" {
                filter CleanroomFilter {
                    /// Cleanrooms of these institutions.
                    institution (columns institution_id);
                    /// Cleanrooms of these grades.
                    grade: GmpGrade, GmpGradeFilter;
                    /// Cleanrooms under these regimes.
                    regime: CleanroomRegime, CleanroomRegimeFilter;
                }
                order CleanroomOrder, CleanroomOrderField, CleanroomField default Code {
                    /// By room code.
                    Code: "CODE", code, Text;
                }
            }
            Product: Products "products" {
                filter ProductFilter {
                    /// Products of these institutions.
                    institution (columns institution_id);
                    /// Products of these ATMP classes.
                    atmp_class: AtmpClass, AtmpClassFilter;
                }
                order ProductOrder, ProductOrderField, ProductField default Name {
                    /// By name, ignoring case and diacritics.
                    Name: "NAME", name_key, Text;
                }
            }
            Trial: Trials "trials" {
                filter TrialFilter {
                    /// Trials in the records of these institutions.
                    institution (columns institution_id);
                    /// Trials with these statuses.
                    status: TrialStatus, TrialStatusFilter;
                }
                order TrialOrder, TrialOrderField, TrialField default Title {
                    /// By title, ignoring case and diacritics.
                    Title: "TITLE", title_key, Text;
                }
            }
            Accreditation: Accreditations "accreditations" {
                filter AccreditationFilter {
                    /// Accreditations held in these institutions.
                    institution (columns institution_id);
                }
                order AccreditationOrder, AccreditationOrderField, AccreditationField default Scheme {
                    /// By scheme.
                    Scheme: "SCHEME", scheme, Enum;
                }
            }
            Milestone: Milestones "milestones" {
                filter MilestoneFilter {
                    /// Milestones of these institutions.
                    institution (columns institution_id);
                }
                order MilestoneOrder, MilestoneOrderField, MilestoneField default Year {
                    /// By year.
                    Year: "YEAR", year, Int;
                }
            }
        }
    };
}

pub(crate) use for_each_list;

/// Calls `$callback!` with every relation listed per parent, one row each:
/// `Name: child list (how the children name their parent);`. A child names its parent
/// in one column (`column c`), in any of several (`columns c, … of parent table`: a joint unit is a unit of
/// both its institutions), or through its appointments (`appointed c`: the people with an
/// appointment whose column `c` is the parent). The schema's connections name these. A
/// column that is no field of the row it is read from does not compile.
macro_rules! for_each_relation {
    ($callback:ident) => {
        $callback! {
            /// The units of an institution, joint units included.
            UnitsOfInstitution: Units (columns institution_id, partner_institution_id of institution);
            /// The units directly below a unit.
            ChildrenOfUnit: Units (column parent_id);
            /// The people with an appointment at an institution.
            PeopleOfInstitution: People (appointed institution_id);
            /// The people with an appointment in a unit.
            PeopleOfUnit: People (appointed unit_id);
            /// The appointments of a person.
            AppointmentsOfPerson: Appointments (column person_id);
            /// The appointments in a unit.
            AppointmentsOfUnit: Appointments (column unit_id);
            /// The cleanrooms of an institution.
            CleanroomsOfInstitution: Cleanrooms (column institution_id);
            /// The cleanrooms of a facility.
            CleanroomsOfUnit: Cleanrooms (column unit_id);
            /// The products of an institution.
            ProductsOfInstitution: Products (column institution_id);
            /// The products a unit develops.
            ProductsOfUnit: Products (column unit_id);
            /// The trials in an institution's records.
            TrialsOfInstitution: Trials (column institution_id);
            /// The trials of a product.
            TrialsOfProduct: Trials (column product_id);
            /// The trials whose product a unit manufactures.
            TrialsManufacturedBy: Trials (column manufacturing_unit_id);
            /// The trials a person leads as principal investigator.
            TrialsLedBy: Trials (column principal_investigator_id);
            /// The accreditations a unit holds.
            AccreditationsOfUnit: Accreditations (column unit_id);
            /// The milestones in an institution's history.
            MilestonesOfInstitution: Milestones (column institution_id);
            /// The milestones of a unit.
            MilestonesOfUnit: Milestones (column unit_id);
        }
    };
}

pub(crate) use for_each_relation;
