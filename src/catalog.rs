//! The catalog of record kinds: every kind of record the service holds, named once.
//!
//! [`for_each_kind!`] is private to the catalog and expanded once, in [`kinds`], into typed
//! items: [`KindId`] (the kinds, with their tables, owners and access), a column enum per kind
//! with each column's access (`columns::unit::Column` …), the tables ([`tables`]), the record keys
//! ([`keys`]), a [`CatalogKind`] impl on each kind's entity (which generic code is written
//! over) and each row's positional decoding. Where a Rust item must be named per kind (a
//! variant of the `Node` interface, a field of a dataset or an import document, a federation
//! entity resolver), [`kind_names!`] lists the kinds by name alone: no annotation, no column,
//! so a change to a row's grammar or access touches this module only. A new kind is one row
//! here, and those follow.

/// Calls `$callback!` with every record kind, one row each:
/// `GraphQL type: entity module, store table, key type, dataset field, owner, access { columns };`.
/// The columns are the table's, in the entity's order (rows are decoded by position), each
/// readable by every role that reads its row unless annotated: `column: personal` marks a
/// contact detail (see [`ColumnAccess`]). The owner is
/// the column naming the institution that owns a record (a source holds the records of its
/// institutions), or `shared` for a record every source keeps (a person's identity, an
/// institution: both are named by natural IDs, the same in every source). The access says
/// which rows of the kind each role reads (README, "Roles and what they read"):
///
/// - `open`: every row, whoever asks (the institutions);
/// - `marked`: by the row's requirements, `partner_of` and `internal_of`, which the writer
///   composes from its owner's marking (`visibility`) and those of the records it references
///   (a kind owned by an institution);
/// - `appointed`: by the audiences the writer derives from the person's appointments, in
///   table `person_reader` (people).
///
/// The order is the order of the schema's `Node` types and the order in which records are
/// written: each kind after the kinds it references.
macro_rules! for_each_kind {
    ($callback:ident) => {
        $callback! {
            Institution: institution, Institutions, InstitutionId, institutions, shared, open {
                id, code, name, kind, ror_id, city, homepage, provenance, sample_fields, version
            };
            Unit: unit, Units, UnitId, units, institution_id, marked {
                id, institution_id, partner_institution_id, parent_id, name, name_key,
                short_name, kind, campus, city, established_year, description, provenance,
                sample_fields, visibility, partner_of, internal_of, version
            };
            Person: person, People, PersonId, people, shared, appointed {
                id, given_name, family_name, name_key, orcid, email: personal, phone: personal, provenance,
                sample_fields, read_by_public, version
            };
            Appointment: appointment, Appointments, AppointmentId, appointments, institution_id, marked {
                id, institution_id, person_id, unit_id, title, role, area, start_year,
                end_year, rank, provenance, sample_fields, visibility, partner_of, internal_of, version
            };
            Cleanroom: cleanroom, Cleanrooms, CleanroomId, cleanrooms, institution_id, marked {
                id, institution_id, unit_id, code, name, regime, grade, status, area_m2,
                qualified_on, intended_use, provenance, sample_fields, visibility, partner_of,
                internal_of, version
            };
            Product: product, Products, ProductId, products, institution_id, marked {
                id, institution_id, unit_id, name, name_key, atmp_class, stage, first_year,
                description, provenance, sample_fields, visibility, partner_of, internal_of, version
            };
            Trial: trial, Trials, TrialId, trials, institution_id, marked {
                id, institution_id, sponsor_institution_id, title, title_key, eu_ct_number,
                eudract_number, nct_number, phase, status, start_year, end_year,
                principal_investigator_id, product_id, manufacturing_unit_id, description,
                provenance, sample_fields, visibility, partner_of, internal_of, version
            };
            Accreditation: accreditation, Accreditations, AccreditationId, accreditations, institution_id, marked {
                id, institution_id, unit_id, scheme, authority, since_year, description,
                provenance, sample_fields, visibility, partner_of, internal_of, version
            };
            Milestone: milestone, Milestones, MilestoneId, milestones, institution_id, marked {
                id, institution_id, unit_id, year, title, description, provenance,
                sample_fields, visibility, partner_of, internal_of, version
            };
        }
    };
}

use for_each_kind;

mod kinds;

pub(crate) use kinds::kind_names;
pub use kinds::{
    keys, tables, CatalogKind, Column, ColumnAccess, KindId, KindKey, Marking, ReadBy,
};

/// Calls `$callback!` with what each list (every kind but the institutions, which are read
/// whole) is filtered and ordered by, one block per kind:
///
/// ```text
/// GraphQL type: list "noun" {
///     filter Filter, ListFilter {
///         /// doc
///         institution (columns c, …) | (appointed);
///         /// doc
///         field: shape column [target];
///     }
///     order Order, OrderField, SortField default Variant {
///         /// doc
///         Variant: "CURSOR NAME", column, Text | Enum | Int | OptText | OptEnum | OptInt | OptReal | OptDate [via reference table];
///     }
/// }
/// ```
///
/// Each layer expands it once: the store writes the filter, its SQL condition, the sort
/// fields, the default order and the text columns kept folded from it ([`crate::store`]'s
/// `lists!`); the schema writes the filter and ordering inputs and their conversion
/// (`crate::graphql::filter`'s `inputs!`). The institution filter names the columns
/// that place a record at an institution (any of them matches), or `appointed` for people,
/// placed by their appointments. Each field of a filter is one of these shapes:
///
/// - `id id`: the record's own global ID (`eq`, `in`);
/// - `key c`: a folded key column (the name or title a record is listed by): every operator
///   folds case and diacritics, and its field's description says so ("folded");
/// - `text c`: text as written: `eq`/`in` exact, `contains`/`startsWith` folded (its folded
///   key is kept in table `text_key`, written with the record: `crate::store`'s `text_key`);
/// - `int c`, `real c`, `date c`: numbers and dates, with ranges;
/// - `enumeration c Input`: an enum column, matched by the enum filter `Input`;
/// - `institution c`: a reference to an institution, matched by its code;
/// - `one c Type`: a reference to a record of `Type`, matched by `Type`'s filter;
/// - `many c Type`: the records of `Type` naming this one in their column `c`, matched with
///   `some`, `every` or `none`.
///
/// A sort field's kind says what its column holds; `Opt…` marks a nullable column, whose
/// missing values sort after every value (last ascending, first descending) on both engines.
/// Text sorts byte by byte on both (the migrations give PostgreSQL's sorted text columns the
/// `C` collation); enums sort by their name. `via c t` reads the column from the record of
/// table `t` that the row's column `c` names (a cleanroom's unit's name), in the same statement.
///
/// A column that is no field of the row it is read from does not compile.
macro_rules! for_each_list {
    ($callback:ident) => {
        $callback! {
            Unit: Units "units" {
                filter UnitFilter, UnitListFilter {
                    /// Units of these institutions; a joint unit matches each of its institutions.
                    institution (columns institution_id, partner_institution_id);
                    /// The unit's ID.
                    id: id id;
                    /// The unit's name, folded: every test ignores case and diacritics.
                    name: key name_key;
                    /// The short name, such as `CAST` or `Vecura`.
                    short_name: text short_name;
                    /// The kind of unit.
                    kind: enumeration kind UnitKindFilter;
                    /// The campus.
                    campus: text campus;
                    /// The city.
                    city: text city;
                    /// The year the unit was established.
                    established_year: int established_year;
                    /// The unit it belongs to.
                    parent: one parent_id Unit;
                    /// The units directly below it.
                    children: many parent_id Unit;
                    /// Its appointments.
                    appointments: many unit_id Appointment;
                    /// Its cleanrooms.
                    cleanrooms: many unit_id Cleanroom;
                    /// The products it develops.
                    products: many unit_id Product;
                    /// The trials whose product it manufactures.
                    trials_manufactured: many manufacturing_unit_id Trial;
                    /// The accreditations it holds.
                    accreditations: many unit_id Accreditation;
                    /// Its milestones.
                    milestones: many unit_id Milestone;
                }
                order UnitOrder, UnitOrderField, UnitField default Name {
                    /// By name, ignoring case and diacritics.
                    Name: "NAME", name_key, Text;
                    /// By kind of unit.
                    Kind: "KIND", kind, Enum;
                    /// By short name, as written.
                    ShortName: "SHORT_NAME", short_name, OptText;
                    /// By the year established.
                    EstablishedYear: "ESTABLISHED_YEAR", established_year, OptInt;
                    /// By city.
                    City: "CITY", city, OptText;
                }
            }
            Person: People "people" {
                filter PersonFilter, PersonListFilter {
                    /// People with an appointment at these institutions.
                    institution (appointed);
                    /// The person's ID.
                    id: id id;
                    /// The name as "family given", folded: every test ignores case and
                    /// diacritics (`sallberg` finds Sällberg).
                    name: key name_key;
                    /// The given name.
                    given_name: text given_name;
                    /// The family name.
                    family_name: text family_name;
                    /// The ORCID iD, such as `0000-0002-1825-0097`.
                    orcid: text orcid;
                    /// The person's appointments.
                    appointments: many person_id Appointment;
                    /// The trials the person leads as principal investigator.
                    trials_led: many principal_investigator_id Trial;
                }
                order PersonOrder, PersonOrderField, PersonField default Name {
                    /// By family name, then given name, ignoring case and diacritics.
                    Name: "NAME", name_key, Text;
                    /// By given name, as written.
                    GivenName: "GIVEN_NAME", given_name, Text;
                }
            }
            Appointment: Appointments "appointments" {
                filter AppointmentFilter, AppointmentListFilter {
                    /// Appointments at these institutions.
                    institution (columns institution_id);
                    /// The appointment's ID.
                    id: id id;
                    /// The title held.
                    title: text title;
                    /// The role.
                    role: enumeration role AppointmentRoleFilter;
                    /// The area of responsibility.
                    area: text area;
                    /// The year it began.
                    start_year: int start_year;
                    /// The year it ended.
                    end_year: int end_year;
                    /// The person appointed.
                    person: one person_id Person;
                    /// The unit of the appointment.
                    unit: one unit_id Unit;
                }
                order AppointmentOrder, AppointmentOrderField, AppointmentField default Rank {
                    /// In the order the source lists them.
                    Rank: "RANK", rank, Int;
                    /// By title, as written.
                    Title: "TITLE", title, Text;
                    /// By role.
                    Role: "ROLE", role, Enum;
                    /// By the year it began.
                    StartYear: "START_YEAR", start_year, OptInt;
                    /// By the year it ended.
                    EndYear: "END_YEAR", end_year, OptInt;
                    /// By the name of its unit, ignoring case and diacritics.
                    UnitName: "UNIT_NAME", name_key, OptText via unit_id unit;
                }
            }
            Cleanroom: Cleanrooms "cleanrooms" {
                filter CleanroomFilter, CleanroomListFilter {
                    /// Cleanrooms of these institutions.
                    institution (columns institution_id);
                    /// The cleanroom's ID.
                    id: id id;
                    /// The room code.
                    code: text code;
                    /// The room's name.
                    name: text name;
                    /// The regime: GMP or pre-GMP.
                    regime: enumeration regime CleanroomRegimeFilter;
                    /// The EU GMP grade.
                    grade: enumeration grade GmpGradeFilter;
                    /// The status.
                    status: enumeration status CleanroomStatusFilter;
                    /// The floor area in m².
                    area_m2: real area_m2;
                    /// The date of its last qualification.
                    qualified_on: date qualified_on;
                    /// What the room is used for.
                    intended_use: text intended_use;
                    /// The facility the room belongs to.
                    unit: one unit_id Unit;
                }
                order CleanroomOrder, CleanroomOrderField, CleanroomField default Code {
                    /// By room code.
                    Code: "CODE", code, Text;
                    /// By name, as written.
                    Name: "NAME", name, OptText;
                    /// By regime.
                    Regime: "REGIME", regime, Enum;
                    /// By EU GMP grade, A first.
                    Grade: "GRADE", grade, OptEnum;
                    /// By status.
                    Status: "STATUS", status, OptEnum;
                    /// By floor area.
                    AreaM2: "AREA_M2", area_m2, OptReal;
                    /// By the date of its last qualification.
                    QualifiedOn: "QUALIFIED_ON", qualified_on, OptDate;
                    /// By the name of its facility, ignoring case and diacritics.
                    UnitName: "UNIT_NAME", name_key, OptText via unit_id unit;
                }
            }
            Product: Products "products" {
                filter ProductFilter, ProductListFilter {
                    /// Products of these institutions.
                    institution (columns institution_id);
                    /// The product's ID.
                    id: id id;
                    /// The product's name, folded: every test ignores case and diacritics.
                    name: key name_key;
                    /// The ATMP class.
                    atmp_class: enumeration atmp_class AtmpClassFilter;
                    /// The stage of development.
                    stage: enumeration stage ProductStageFilter;
                    /// The first year it is recorded.
                    first_year: int first_year;
                    /// The unit developing it.
                    developing_unit: one unit_id Unit;
                    /// Its trials.
                    trials: many product_id Trial;
                }
                order ProductOrder, ProductOrderField, ProductField default Name {
                    /// By name, ignoring case and diacritics.
                    Name: "NAME", name_key, Text;
                    /// By ATMP class.
                    AtmpClass: "ATMP_CLASS", atmp_class, Enum;
                    /// By stage of development.
                    Stage: "STAGE", stage, OptEnum;
                    /// By the first year recorded.
                    FirstYear: "FIRST_YEAR", first_year, OptInt;
                }
            }
            Trial: Trials "trials" {
                filter TrialFilter, TrialListFilter {
                    /// Trials in the records of these institutions.
                    institution (columns institution_id);
                    /// The trial's ID.
                    id: id id;
                    /// The title, folded: every test ignores case and diacritics.
                    title: key title_key;
                    /// The EU CT number.
                    eu_ct_number: text eu_ct_number;
                    /// The EudraCT number.
                    eudract_number: text eudract_number;
                    /// The NCT number.
                    nct_number: text nct_number;
                    /// The phase.
                    phase: enumeration phase TrialPhaseFilter;
                    /// The status.
                    status: enumeration status TrialStatusFilter;
                    /// The year it started.
                    start_year: int start_year;
                    /// The year it ended.
                    end_year: int end_year;
                    /// The sponsoring institution.
                    sponsor: institution sponsor_institution_id;
                    /// The principal investigator.
                    principal_investigator: one principal_investigator_id Person;
                    /// The product under trial.
                    product: one product_id Product;
                    /// The unit manufacturing the product.
                    manufacturing_unit: one manufacturing_unit_id Unit;
                }
                order TrialOrder, TrialOrderField, TrialField default Title {
                    /// By title, ignoring case and diacritics.
                    Title: "TITLE", title_key, Text;
                    /// By phase.
                    Phase: "PHASE", phase, OptEnum;
                    /// By status.
                    Status: "STATUS", status, OptEnum;
                    /// By the year it started.
                    StartYear: "START_YEAR", start_year, OptInt;
                    /// By the year it ended.
                    EndYear: "END_YEAR", end_year, OptInt;
                    /// By the name of its product, ignoring case and diacritics.
                    ProductName: "PRODUCT_NAME", name_key, OptText via product_id product;
                }
            }
            Accreditation: Accreditations "accreditations" {
                filter AccreditationFilter, AccreditationListFilter {
                    /// Accreditations held in these institutions.
                    institution (columns institution_id);
                    /// The accreditation's ID.
                    id: id id;
                    /// The scheme.
                    scheme: enumeration scheme AccreditationSchemeFilter;
                    /// The accrediting authority.
                    authority: text authority;
                    /// The year it was first granted.
                    since_year: int since_year;
                    /// The unit holding it.
                    unit: one unit_id Unit;
                }
                order AccreditationOrder, AccreditationOrderField, AccreditationField default Scheme {
                    /// By scheme.
                    Scheme: "SCHEME", scheme, Enum;
                    /// By the year first granted.
                    SinceYear: "SINCE_YEAR", since_year, OptInt;
                }
            }
            Milestone: Milestones "milestones" {
                filter MilestoneFilter, MilestoneListFilter {
                    /// Milestones of these institutions.
                    institution (columns institution_id);
                    /// The milestone's ID.
                    id: id id;
                    /// The year.
                    year: int year;
                    /// The title.
                    title: text title;
                    /// The unit it concerns.
                    unit: one unit_id Unit;
                }
                order MilestoneOrder, MilestoneOrderField, MilestoneField default Year {
                    /// By year.
                    Year: "YEAR", year, Int;
                    /// By title, as written.
                    Title: "TITLE", title, Text;
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

/// Calls `$callback!` with what each kind's rows are aggregated by, one block per kind (people,
/// counted by their lists' `totalCount`, are grouped through their appointments):
///
/// ```text
/// GraphQL type: list "noun" root_field "rootField" {
///     aggregate Aggregate, GroupKeys;
///     groups GroupField {
///         /// doc
///         Variant field: shape column [target key];
///     }
///     numbers NumberField {
///         /// doc
///         Variant column;
///     }
/// }
/// ```
///
/// A group field is an enum (`enumeration c Enum`), a whole number (`int c`), the owning or
/// another institution (`institution c`) or a reference to a record (`one c Type Key`); each is
/// also counted distinct. Each number column has its minimum, maximum, sum and average. A
/// column that is no field of the row does not compile.
macro_rules! for_each_aggregate {
    ($callback:ident) => {
        $callback! {
            Unit: Units "units" units_aggregate "unitsAggregate" {
                aggregate UnitAggregate, UnitGroupKeys;
                groups UnitGroupField {
                    /// The owning institution (a joint unit's first).
                    Institution institution: institution institution_id;
                    /// The kind of unit.
                    Kind kind: enumeration kind UnitKind;
                    /// The unit it belongs to.
                    Parent parent: one parent_id Unit UnitId;
                    /// The year established.
                    EstablishedYear established_year: int established_year;
                }
                numbers UnitNumberField {
                    /// The year established.
                    EstablishedYear established_year;
                }
            }
            Appointment: Appointments "appointments" appointments_aggregate "appointmentsAggregate" {
                aggregate AppointmentAggregate, AppointmentGroupKeys;
                groups AppointmentGroupField {
                    /// The institution of the appointment.
                    Institution institution: institution institution_id;
                    /// The role.
                    Role role: enumeration role AppointmentRole;
                    /// The unit.
                    Unit unit: one unit_id Unit UnitId;
                    /// The person appointed.
                    Person person: one person_id Person PersonId;
                    /// The year it began.
                    StartYear start_year: int start_year;
                }
                numbers AppointmentNumberField {
                    /// The year it began.
                    StartYear start_year;
                    /// The year it ended.
                    EndYear end_year;
                }
            }
            Cleanroom: Cleanrooms "cleanrooms" cleanrooms_aggregate "cleanroomsAggregate" {
                aggregate CleanroomAggregate, CleanroomGroupKeys;
                groups CleanroomGroupField {
                    /// The institution.
                    Institution institution: institution institution_id;
                    /// The facility.
                    Unit unit: one unit_id Unit UnitId;
                    /// The EU GMP grade.
                    Grade grade: enumeration grade GmpGrade;
                    /// The regime.
                    Regime regime: enumeration regime CleanroomRegime;
                    /// The status.
                    Status status: enumeration status CleanroomStatus;
                }
                numbers CleanroomNumberField {
                    /// The floor area in m².
                    AreaM2 area_m2;
                }
            }
            Product: Products "products" products_aggregate "productsAggregate" {
                aggregate ProductAggregate, ProductGroupKeys;
                groups ProductGroupField {
                    /// The institution.
                    Institution institution: institution institution_id;
                    /// The ATMP class.
                    AtmpClass atmp_class: enumeration atmp_class AtmpClass;
                    /// The stage of development.
                    Stage stage: enumeration stage ProductStage;
                    /// The developing unit.
                    DevelopingUnit developing_unit: one unit_id Unit UnitId;
                }
                numbers ProductNumberField {
                    /// The first year recorded.
                    FirstYear first_year;
                }
            }
            Trial: Trials "trials" trials_aggregate "trialsAggregate" {
                aggregate TrialAggregate, TrialGroupKeys;
                groups TrialGroupField {
                    /// The institution whose records hold it.
                    Institution institution: institution institution_id;
                    /// The sponsor.
                    Sponsor sponsor: institution sponsor_institution_id;
                    /// The phase.
                    Phase phase: enumeration phase TrialPhase;
                    /// The status.
                    Status status: enumeration status TrialStatus;
                    /// The product.
                    Product product: one product_id Product ProductId;
                    /// The manufacturing unit.
                    ManufacturingUnit manufacturing_unit: one manufacturing_unit_id Unit UnitId;
                    /// The principal investigator.
                    PrincipalInvestigator principal_investigator: one principal_investigator_id Person PersonId;
                    /// The year it started.
                    StartYear start_year: int start_year;
                }
                numbers TrialNumberField {
                    /// The year it started.
                    StartYear start_year;
                    /// The year it ended.
                    EndYear end_year;
                }
            }
            Accreditation: Accreditations "accreditations" accreditations_aggregate "accreditationsAggregate" {
                aggregate AccreditationAggregate, AccreditationGroupKeys;
                groups AccreditationGroupField {
                    /// The institution.
                    Institution institution: institution institution_id;
                    /// The scheme.
                    Scheme scheme: enumeration scheme AccreditationScheme;
                    /// The unit holding it.
                    Unit unit: one unit_id Unit UnitId;
                }
                numbers AccreditationNumberField {
                    /// The year first granted.
                    SinceYear since_year;
                }
            }
            Milestone: Milestones "milestones" milestones_aggregate "milestonesAggregate" {
                aggregate MilestoneAggregate, MilestoneGroupKeys;
                groups MilestoneGroupField {
                    /// The institution.
                    Institution institution: institution institution_id;
                    /// The unit.
                    Unit unit: one unit_id Unit UnitId;
                    /// The year.
                    Year year: int year;
                }
                numbers MilestoneNumberField {
                    /// The year.
                    Year year;
                }
            }
        }
    };
}

pub(crate) use for_each_aggregate;
