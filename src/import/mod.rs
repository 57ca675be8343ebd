//! Reading records from a JSON document into a validated [`Dataset`]: the one path by which
//! records enter the store, used by the bundled seed and by imports alike. Every problem is
//! collected with where it is, and nothing is returned unless all records pass.

// Import files are shaped by partners: no index or slice that could panic on them compiles.
#![deny(clippy::indexing_slicing, clippy::string_slice)]

use std::collections::HashMap;

use entities::enums::{Provenance, Visibility};
use entities::{
    accreditation, appointment, cleanroom, institution, milestone, person, product, trial, unit,
};
use sea_orm::ActiveEnum;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::{
    fold, natural_id, EuCtNumber, EudractNumber, NctNumber, Orcid, RecordKind, RorId,
};
use crate::store::{self, Dataset, Kind};

/// Why a document could not be imported: every problem found, each with where it is.
#[derive(Debug, thiserror::Error)]
#[error("the document has {} problem(s):\n{}", problems.len(), problems.join("\n"))]
pub struct ImportError {
    pub problems: Vec<String>,
}

/// How a kind of record is read from a document: the shape of one record and how records of
/// that shape become rows, checked. The document has a list of each kind that has a shape (the
/// list of [`document!`] below), named by its dataset field and read in catalog order (so a
/// record may name those of kinds before it). A kind with no shape is not imported: no
/// document holds its records.
trait Shape: Kind {
    /// One record as the document writes it.
    type Record: DeserializeOwned;
    /// Checks `records` (the document's list `field`) and adds the rows they make to `dataset`.
    fn read(field: &str, records: &[Self::Record], check: &mut Checker, dataset: &mut Dataset);
}

/// The document: a list of records of each kind that has a [`Shape`], by its dataset field
/// and table, in catalog order.
macro_rules! document {
    ($($plural:ident: $table:ident;)*) => {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Document {
            /// The source document the records come from, kept as their provenance.
            source: String,
            $(
                #[serde(default)]
                $plural: Vec<<store::$table as Shape>::Record>,
            )*
        }

        /// The document's lists, in the order they are read.
        #[cfg(test)]
        const LISTS: &[&str] = &[$(stringify!($plural)),*];

        impl Document {
            /// Reads every list of the document, in catalog order.
            fn read(&self, check: &mut Checker, dataset: &mut Dataset) {
                $(<store::$table as Shape>::read(stringify!($plural), &self.$plural, check, dataset);)*
            }
        }
    };
}

document! {
    institutions: Institutions;
    units: Units;
    people: People;
    appointments: Appointments;
    cleanrooms: Cleanrooms;
    products: Products;
    trials: Trials;
    accreditations: Accreditations;
    milestones: Milestones;
}

/// Fields every record may carry about where its facts come from.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Origin {
    /// `DOCUMENT` (the default), `SAMPLE` or `GENERATED`.
    provenance: Option<String>,
    /// Fields whose values are illustrative samples, not facts of the source.
    #[serde(default)]
    sample_fields: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InstitutionRecord {
    code: String,
    name: String,
    kind: String,
    ror: String,
    city: String,
    homepage: String,
    #[serde(flatten)]
    origin: Origin,
}

impl Shape for store::Institutions {
    type Record = InstitutionRecord;

    fn read(
        field: &str,
        records: &[InstitutionRecord],
        check: &mut Checker,
        dataset: &mut Dataset,
    ) {
        for (i, r) in records.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let id = check.declare(&at, RecordKind::Institution, &r.code);
            let kind = check.vocabulary(&format!("{at}.kind"), &r.kind);
            let ror = check.validated(&format!("{at}.ror"), Some(&r.ror), RorId::parse);
            let (provenance, sample_fields) = check.origin(&at, &r.origin);
            if let (Some(kind), Some(ror)) = (kind, ror) {
                dataset.institutions.push(institution::Model {
                    id,
                    code: r.code.clone(),
                    name: r.name.clone(),
                    kind,
                    ror_id: ror.url(),
                    city: r.city.clone(),
                    homepage: r.homepage.clone(),
                    provenance,
                    sample_fields,
                    version: 1,
                });
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UnitRecord {
    key: String,
    institution: String,
    partner_institution: Option<String>,
    parent: Option<String>,
    name: String,
    short_name: Option<String>,
    kind: String,
    campus: Option<String>,
    city: Option<String>,
    established_year: Option<i32>,
    description: Option<String>,
    /// `PUBLIC` (the default), `PARTNER` or `INTERNAL`: who the owner shows it to.
    visibility: Option<String>,
    #[serde(flatten)]
    origin: Origin,
}

impl Shape for store::Units {
    type Record = UnitRecord;

    fn read(field: &str, records: &[UnitRecord], check: &mut Checker, dataset: &mut Dataset) {
        // Units may name a parent listed after them: declare every key before resolving any.
        let unit_ids: Vec<Uuid> = records
            .iter()
            .enumerate()
            .map(|(i, r)| check.declare(&format!("{field}[{i}]"), RecordKind::Unit, &r.key))
            .collect();
        for ((i, r), id) in records.iter().enumerate().zip(unit_ids) {
            let at = format!("{field}[{i}]");
            let institution_id = check.institution(&at, &r.institution);
            let partner_institution_id = check.optional_reference(
                &format!("{at}.partnerInstitution"),
                RecordKind::Institution,
                r.partner_institution.as_deref(),
            );
            let parent_id = check.optional_reference(
                &format!("{at}.parent"),
                RecordKind::Unit,
                r.parent.as_deref(),
            );
            let kind = check.vocabulary(&format!("{at}.kind"), &r.kind);
            let (provenance, sample_fields) = check.origin(&at, &r.origin);
            let visibility = check.visibility(&at, r.visibility.as_deref());
            if let Some(kind) = kind {
                dataset.units.push(unit::Model {
                    id,
                    institution_id,
                    partner_institution_id,
                    parent_id,
                    name: r.name.clone(),
                    name_key: fold(&r.name),
                    short_name: r.short_name.clone(),
                    kind,
                    campus: r.campus.clone(),
                    city: r.city.clone(),
                    established_year: r.established_year,
                    description: r.description.clone(),
                    provenance,
                    sample_fields,
                    visibility,
                    // Composed by the writer, from the whole of what the store holds.
                    partner_of: None,
                    internal_of: None,
                    version: 1,
                });
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PersonRecord {
    key: String,
    given_name: String,
    family_name: String,
    orcid: Option<String>,
    #[serde(flatten)]
    origin: Origin,
}

impl Shape for store::People {
    type Record = PersonRecord;

    fn read(field: &str, records: &[PersonRecord], check: &mut Checker, dataset: &mut Dataset) {
        for (i, r) in records.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let id = check.declare(&at, RecordKind::Person, &r.key);
            let orcid = check.validated(&format!("{at}.orcid"), r.orcid.as_deref(), Orcid::parse);
            let (provenance, sample_fields) = check.origin(&at, &r.origin);
            dataset.people.push(person::Model {
                id,
                given_name: r.given_name.clone(),
                family_name: r.family_name.clone(),
                name_key: fold(&format!("{} {}", r.family_name, r.given_name)),
                orcid: orcid.map(|o| o.as_str().to_owned()),
                email: None,
                phone: None,
                provenance,
                sample_fields,
                // The writer's to say, from the person's appointments.
                read_by_public: false,
                version: 1,
            });
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppointmentRecord {
    person: String,
    institution: String,
    unit: Option<String>,
    title: String,
    role: String,
    area: Option<String>,
    start_year: Option<i32>,
    end_year: Option<i32>,
    /// `PUBLIC` (the default), `PARTNER` or `INTERNAL`: who the owner shows it to.
    visibility: Option<String>,
    #[serde(flatten)]
    origin: Origin,
}

impl Shape for store::Appointments {
    type Record = AppointmentRecord;

    fn read(
        field: &str,
        records: &[AppointmentRecord],
        check: &mut Checker,
        dataset: &mut Dataset,
    ) {
        for (i, r) in records.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let key = format!(
                "{}|{}|{}|{}",
                r.person,
                r.institution,
                r.unit.as_deref().unwrap_or(""),
                r.title
            );
            let id = check.declare(&at, RecordKind::Appointment, &key);
            let person_id = check.reference(&format!("{at}.person"), RecordKind::Person, &r.person);
            let institution_id = check.institution(&at, &r.institution);
            let unit_id = check.optional_unit(&at, r.unit.as_deref());
            let role = check.vocabulary(&format!("{at}.role"), &r.role);
            let (provenance, sample_fields) = check.origin(&at, &r.origin);
            let visibility = check.visibility(&at, r.visibility.as_deref());
            if let Some(role) = role {
                dataset.appointments.push(appointment::Model {
                    id,
                    institution_id,
                    person_id,
                    unit_id,
                    title: r.title.clone(),
                    role,
                    area: r.area.clone(),
                    start_year: r.start_year,
                    end_year: r.end_year,
                    rank: i32::try_from(i).unwrap_or(i32::MAX),
                    provenance,
                    sample_fields,
                    visibility,
                    // Composed by the writer, from the whole of what the store holds.
                    partner_of: None,
                    internal_of: None,
                    version: 1,
                });
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CleanroomRecord {
    unit: String,
    code: String,
    name: Option<String>,
    regime: String,
    grade: Option<String>,
    status: Option<String>,
    area_m2: Option<f64>,
    qualified_on: Option<chrono::NaiveDate>,
    intended_use: Option<String>,
    /// `PUBLIC` (the default), `PARTNER` or `INTERNAL`: who the owner shows it to.
    visibility: Option<String>,
    #[serde(flatten)]
    origin: Origin,
}

impl Shape for store::Cleanrooms {
    type Record = CleanroomRecord;

    fn read(field: &str, records: &[CleanroomRecord], check: &mut Checker, dataset: &mut Dataset) {
        let unit_institution: HashMap<Uuid, Uuid> = dataset
            .units
            .iter()
            .map(|u| (u.id, u.institution_id))
            .collect();
        for (i, r) in records.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let id = check.declare(
                &at,
                RecordKind::Cleanroom,
                &format!("{}|{}", r.unit, r.code),
            );
            let unit_id = check.reference(&format!("{at}.unit"), RecordKind::Unit, &r.unit);
            let regime = check.vocabulary(&format!("{at}.regime"), &r.regime);
            let grade = check.optional_vocabulary(&format!("{at}.grade"), r.grade.as_deref());
            let status = check.optional_vocabulary(&format!("{at}.status"), r.status.as_deref());
            let (provenance, sample_fields) = check.origin(&at, &r.origin);
            let visibility = check.visibility(&at, r.visibility.as_deref());
            if let Some(regime) = regime {
                dataset.cleanrooms.push(cleanroom::Model {
                    id,
                    // A cleanroom belongs to its facility's institution.
                    institution_id: unit_institution.get(&unit_id).copied().unwrap_or_default(),
                    unit_id,
                    code: r.code.clone(),
                    name: r.name.clone(),
                    regime,
                    grade,
                    status,
                    area_m2: r.area_m2,
                    qualified_on: r.qualified_on,
                    intended_use: r.intended_use.clone(),
                    provenance,
                    sample_fields,
                    visibility,
                    // Composed by the writer, from the whole of what the store holds.
                    partner_of: None,
                    internal_of: None,
                    version: 1,
                });
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProductRecord {
    key: String,
    institution: String,
    unit: Option<String>,
    name: String,
    atmp_class: String,
    stage: Option<String>,
    first_year: Option<i32>,
    description: Option<String>,
    /// `PUBLIC` (the default), `PARTNER` or `INTERNAL`: who the owner shows it to.
    visibility: Option<String>,
    #[serde(flatten)]
    origin: Origin,
}

impl Shape for store::Products {
    type Record = ProductRecord;

    fn read(field: &str, records: &[ProductRecord], check: &mut Checker, dataset: &mut Dataset) {
        for (i, r) in records.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let id = check.declare(&at, RecordKind::Product, &r.key);
            let institution_id = check.institution(&at, &r.institution);
            let unit_id = check.optional_unit(&at, r.unit.as_deref());
            let atmp_class = check.vocabulary(&format!("{at}.atmpClass"), &r.atmp_class);
            let stage = check.optional_vocabulary(&format!("{at}.stage"), r.stage.as_deref());
            let (provenance, sample_fields) = check.origin(&at, &r.origin);
            let visibility = check.visibility(&at, r.visibility.as_deref());
            if let Some(atmp_class) = atmp_class {
                dataset.products.push(product::Model {
                    id,
                    institution_id,
                    unit_id,
                    name: r.name.clone(),
                    name_key: fold(&r.name),
                    atmp_class,
                    stage,
                    first_year: r.first_year,
                    description: r.description.clone(),
                    provenance,
                    sample_fields,
                    visibility,
                    // Composed by the writer, from the whole of what the store holds.
                    partner_of: None,
                    internal_of: None,
                    version: 1,
                });
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TrialRecord {
    key: String,
    institution: String,
    sponsor: Option<String>,
    title: String,
    eu_ct_number: Option<String>,
    eudract_number: Option<String>,
    nct_number: Option<String>,
    phase: Option<String>,
    status: Option<String>,
    start_year: Option<i32>,
    end_year: Option<i32>,
    principal_investigator: Option<String>,
    product: Option<String>,
    manufacturing_unit: Option<String>,
    description: Option<String>,
    /// `PUBLIC` (the default), `PARTNER` or `INTERNAL`: who the owner shows it to.
    visibility: Option<String>,
    #[serde(flatten)]
    origin: Origin,
}

impl Shape for store::Trials {
    type Record = TrialRecord;

    fn read(field: &str, records: &[TrialRecord], check: &mut Checker, dataset: &mut Dataset) {
        for (i, r) in records.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let id = check.declare(&at, RecordKind::Trial, &r.key);
            let institution_id = check.institution(&at, &r.institution);
            let sponsor_institution_id = check.optional_reference(
                &format!("{at}.sponsor"),
                RecordKind::Institution,
                r.sponsor.as_deref(),
            );
            let principal_investigator_id = check.optional_reference(
                &format!("{at}.principalInvestigator"),
                RecordKind::Person,
                r.principal_investigator.as_deref(),
            );
            let product_id = check.optional_reference(
                &format!("{at}.product"),
                RecordKind::Product,
                r.product.as_deref(),
            );
            let manufacturing_unit_id = check.optional_reference(
                &format!("{at}.manufacturingUnit"),
                RecordKind::Unit,
                r.manufacturing_unit.as_deref(),
            );
            let eu_ct = check.validated(
                &format!("{at}.euCtNumber"),
                r.eu_ct_number.as_deref(),
                EuCtNumber::parse,
            );
            let eudract = check.validated(
                &format!("{at}.eudractNumber"),
                r.eudract_number.as_deref(),
                EudractNumber::parse,
            );
            let nct = check.validated(
                &format!("{at}.nctNumber"),
                r.nct_number.as_deref(),
                NctNumber::parse,
            );
            let phase = check.optional_vocabulary(&format!("{at}.phase"), r.phase.as_deref());
            let status = check.optional_vocabulary(&format!("{at}.status"), r.status.as_deref());
            let (provenance, sample_fields) = check.origin(&at, &r.origin);
            let visibility = check.visibility(&at, r.visibility.as_deref());
            dataset.trials.push(trial::Model {
                id,
                institution_id,
                sponsor_institution_id,
                title: r.title.clone(),
                title_key: fold(&r.title),
                eu_ct_number: eu_ct.map(|n| n.as_str().to_owned()),
                eudract_number: eudract.map(|n| n.as_str().to_owned()),
                nct_number: nct.map(|n| n.as_str().to_owned()),
                phase,
                status,
                start_year: r.start_year,
                end_year: r.end_year,
                principal_investigator_id,
                product_id,
                manufacturing_unit_id,
                description: r.description.clone(),
                provenance,
                sample_fields,
                visibility,
                // Composed by the writer, from the whole of what the store holds.
                partner_of: None,
                internal_of: None,
                version: 1,
            });
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccreditationRecord {
    unit: String,
    institution: String,
    scheme: String,
    authority: Option<String>,
    since_year: Option<i32>,
    description: Option<String>,
    /// `PUBLIC` (the default), `PARTNER` or `INTERNAL`: who the owner shows it to.
    visibility: Option<String>,
    #[serde(flatten)]
    origin: Origin,
}

impl Shape for store::Accreditations {
    type Record = AccreditationRecord;

    fn read(
        field: &str,
        records: &[AccreditationRecord],
        check: &mut Checker,
        dataset: &mut Dataset,
    ) {
        for (i, r) in records.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let id = check.declare(
                &at,
                RecordKind::Accreditation,
                &format!("{}|{}", r.unit, r.scheme),
            );
            let unit_id = check.reference(&format!("{at}.unit"), RecordKind::Unit, &r.unit);
            let institution_id = check.institution(&at, &r.institution);
            let scheme = check.vocabulary(&format!("{at}.scheme"), &r.scheme);
            let (provenance, sample_fields) = check.origin(&at, &r.origin);
            let visibility = check.visibility(&at, r.visibility.as_deref());
            if let Some(scheme) = scheme {
                dataset.accreditations.push(accreditation::Model {
                    id,
                    institution_id,
                    unit_id,
                    scheme,
                    authority: r.authority.clone(),
                    since_year: r.since_year,
                    description: r.description.clone(),
                    provenance,
                    sample_fields,
                    visibility,
                    // Composed by the writer, from the whole of what the store holds.
                    partner_of: None,
                    internal_of: None,
                    version: 1,
                });
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MilestoneRecord {
    key: String,
    institution: String,
    unit: Option<String>,
    year: i32,
    title: String,
    description: Option<String>,
    /// `PUBLIC` (the default), `PARTNER` or `INTERNAL`: who the owner shows it to.
    visibility: Option<String>,
    #[serde(flatten)]
    origin: Origin,
}

impl Shape for store::Milestones {
    type Record = MilestoneRecord;

    fn read(field: &str, records: &[MilestoneRecord], check: &mut Checker, dataset: &mut Dataset) {
        for (i, r) in records.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let id = check.declare(&at, RecordKind::Milestone, &r.key);
            let institution_id = check.institution(&at, &r.institution);
            let unit_id = check.optional_unit(&at, r.unit.as_deref());
            let (provenance, sample_fields) = check.origin(&at, &r.origin);
            let visibility = check.visibility(&at, r.visibility.as_deref());
            dataset.milestones.push(milestone::Model {
                id,
                institution_id,
                unit_id,
                year: r.year,
                title: r.title.clone(),
                description: r.description.clone(),
                provenance,
                sample_fields,
                visibility,
                // Composed by the writer, from the whole of what the store holds.
                partner_of: None,
                internal_of: None,
                version: 1,
            });
        }
    }
}

/// Collects problems while records are converted, each prefixed with where it is.
struct Checker {
    problems: Vec<String>,
    keys: HashMap<(RecordKind, String), Uuid>,
}

impl Checker {
    fn problem(&mut self, at: &str, what: impl std::fmt::Display) {
        self.problems.push(format!("{at}: {what}"));
    }

    /// Registers a record's natural key and returns its ID; a repeated key is a problem.
    fn declare(&mut self, at: &str, kind: RecordKind, key: &str) -> Uuid {
        let id = natural_id(kind, key);
        if self.keys.insert((kind, key.to_owned()), id).is_some() {
            self.problem(at, format_args!("`{key}` is declared twice"));
        }
        id
    }

    /// The ID of a record declared earlier in the document.
    fn reference(&mut self, at: &str, kind: RecordKind, key: &str) -> Uuid {
        match self.keys.get(&(kind, key.to_owned())) {
            Some(id) => *id,
            None => {
                self.problem(
                    at,
                    format_args!("no {kind:?} `{key}` is declared", kind = kind),
                );
                Uuid::nil()
            }
        }
    }

    fn optional_reference(
        &mut self,
        at: &str,
        kind: RecordKind,
        key: Option<&str>,
    ) -> Option<Uuid> {
        key.map(|key| self.reference(at, kind, key))
    }

    /// The institution a record's `institution` field names.
    fn institution(&mut self, at: &str, key: &str) -> Uuid {
        self.reference(&format!("{at}.institution"), RecordKind::Institution, key)
    }

    /// The unit a record's optional `unit` field names.
    fn optional_unit(&mut self, at: &str, key: Option<&str>) -> Option<Uuid> {
        self.optional_reference(&format!("{at}.unit"), RecordKind::Unit, key)
    }

    fn vocabulary<E: ActiveEnum<Value = String>>(&mut self, at: &str, value: &str) -> Option<E> {
        match E::try_from_value(&value.to_owned()) {
            Ok(parsed) => Some(parsed),
            Err(_) => {
                self.problem(
                    at,
                    format_args!("`{value}` is not one of the allowed values"),
                );
                None
            }
        }
    }

    fn optional_vocabulary<E: ActiveEnum<Value = String>>(
        &mut self,
        at: &str,
        value: Option<&str>,
    ) -> Option<E> {
        value.and_then(|value| self.vocabulary(at, value))
    }

    /// An owned record's marking: public unless the document says otherwise.
    fn visibility(&mut self, at: &str, value: Option<&str>) -> Visibility {
        self.optional_vocabulary(&format!("{at}.visibility"), value)
            .unwrap_or(Visibility::Public)
    }

    fn origin(&mut self, at: &str, origin: &Origin) -> (Provenance, String) {
        let provenance = match origin.provenance.as_deref() {
            None => Provenance::Document,
            Some(value) => self
                .vocabulary(&format!("{at}.provenance"), value)
                .unwrap_or(Provenance::Document),
        };
        (provenance, origin.sample_fields.join(","))
    }

    fn validated<T, E: std::fmt::Display>(
        &mut self,
        at: &str,
        value: Option<&str>,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Option<T> {
        match value.map(parse) {
            Some(Ok(parsed)) => Some(parsed),
            Some(Err(error)) => {
                self.problem(at, error);
                None
            }
            None => None,
        }
    }
}

/// Parses and validates a JSON document of records.
pub fn parse_json(text: &str) -> Result<Dataset, ImportError> {
    let document: Document = serde_json::from_str(text).map_err(|error| ImportError {
        problems: vec![format!(
            "line {}, column {}: {error}",
            error.line(),
            error.column()
        )],
    })?;
    let mut check = Checker {
        problems: Vec::new(),
        keys: HashMap::new(),
    };
    let mut dataset = Dataset::default();
    document.read(&mut check, &mut dataset);

    dataset.source = document.source;
    if check.problems.is_empty() {
        Ok(dataset)
    } else {
        Err(ImportError {
            problems: check.problems,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_holds_kinds_of_the_catalog_in_its_order() {
        let catalog: Vec<&str> = crate::catalog::KindId::ALL
            .iter()
            .map(|kind| kind.plural())
            .filter(|plural| LISTS.contains(plural))
            .collect();

        assert_eq!(catalog, LISTS);
    }

    #[test]
    fn every_problem_of_a_document_is_reported_with_where_it_is() {
        let text = r#"{
            "source": "test",
            "institutions": [{"code": "KI", "name": "KI", "kind": "COLLEGE", "ror": "https://ror.org/056d84692", "city": "Stockholm", "homepage": "https://ki.se"}],
            "units": [{"key": "A", "institution": "XX", "name": "A", "kind": "CENTER", "parent": "B"}],
            "people": [{"key": "p", "givenName": "P", "familyName": "Q", "orcid": "0000-0002-1825-0098"}],
            "trials": [{"key": "t", "institution": "KI", "title": "T", "nctNumber": "NCT123"}]
        }"#;
        let problems = parse_json(text)
            .err()
            .map(|e| e.problems)
            .unwrap_or_default();
        assert_eq!(
            problems,
            [
                "institutions[0].kind: `COLLEGE` is not one of the allowed values",
                "institutions[0].ror: `https://ror.org/056d84692` is not a valid ROR ID: the check digits do not match",
                "units[0].institution: no Institution `XX` is declared",
                "units[0].parent: no Unit `B` is declared",
                "people[0].orcid: `0000-0002-1825-0098` is not a valid ORCID iD: the check digits do not match",
                "trials[0].nctNumber: `NCT123` is not a valid NCT number: expected `NCT` + 8 digits",
            ]
        );
    }

    #[test]
    fn an_unknown_field_is_a_problem_with_its_line() {
        let problems = parse_json("{\"source\": \"x\",\n \"colour\": 1}")
            .err()
            .map(|e| e.problems)
            .unwrap_or_default();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("line 2"), "{problems:?}");
    }

    /// A document of KI, its unit `A` and a cleanroom in it, marked as `unit` and `room` say
    /// (`null`: no marking given).
    fn marked(unit: &str, room: &str) -> String {
        let marking = |value: &str| match value {
            "null" => String::new(),
            value => format!(r#", "visibility": "{value}""#),
        };
        format!(
            r#"{{
            "source": "test",
            "institutions": [{{"code": "KI", "name": "KI", "kind": "UNIVERSITY", "ror": "https://ror.org/056d84691", "city": "Stockholm", "homepage": "https://ki.se"}}],
            "units": [{{"key": "A", "institution": "KI", "name": "A", "kind": "CENTER"{}}}],
            "cleanrooms": [{{"unit": "A", "code": "R1", "regime": "GMP"{}}}]
        }}"#,
            marking(unit),
            marking(room)
        )
    }

    #[test]
    fn an_owned_record_is_public_unless_its_document_marks_it() {
        let dataset = match parse_json(&marked("null", "INTERNAL")) {
            Ok(dataset) => dataset,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(dataset.units[0].visibility, Visibility::Public);
        assert_eq!(dataset.cleanrooms[0].visibility, Visibility::Internal);
        // What it requires of its readers is the writer's to compose.
        assert_eq!(dataset.cleanrooms[0].internal_of, None);
    }

    #[test]
    fn a_marking_that_is_no_visibility_is_a_problem() {
        let problems = parse_json(&marked("SECRET", "public"))
            .err()
            .map(|e| e.problems)
            .unwrap_or_default();
        assert_eq!(
            problems,
            [
                "units[0].visibility: `SECRET` is not one of the allowed values",
                "cleanrooms[0].visibility: `public` is not one of the allowed values",
            ]
        );
    }
}
