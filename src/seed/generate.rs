//! Synthetic filler records for benchmarks and scale tests: deterministic, marked
//! `GENERATED`, and hung on the seeded institutions so every relation has rows to walk.

use entities::enums::{
    AppointmentRole, AtmpClass, CleanroomRegime, CleanroomStatus, GmpGrade, Provenance, TrialPhase,
    TrialStatus, UnitKind,
};
use entities::{appointment, cleanroom, milestone, person, product, trial, unit};

use crate::domain::{fold, natural_id, RecordKind};
use crate::store::Dataset;

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenerateOptions {
    /// Units, alternating between KI and KUH.
    pub units: usize,
    /// Cleanrooms in each unit.
    pub cleanrooms_per_unit: usize,
    /// People appointed in each unit.
    pub people_per_unit: usize,
}

/// The filler records: per unit, its cleanrooms, people and their appointments, one product,
/// one trial led by the unit's first person, and one milestone.
pub fn generate(options: GenerateOptions) -> Dataset {
    let institutions = [
        natural_id(RecordKind::Institution, "KI"),
        natural_id(RecordKind::Institution, "KUH"),
    ];
    let grades = [GmpGrade::A, GmpGrade::B, GmpGrade::C, GmpGrade::D];
    // Some rooms are without a status or a qualification date, so filters meet nulls.
    let statuses = [
        Some(CleanroomStatus::Qualified),
        Some(CleanroomStatus::InQualification),
        None,
    ];
    let mut data = Dataset {
        source: "the data generator".to_owned(),
        ..Dataset::default()
    };
    for u in 0..options.units {
        let institution_id = institutions[u % 2];
        let key = format!("generated-unit-{u:06}");
        let unit_id = natural_id(RecordKind::Unit, &key);
        let name = format!("Generated unit {u:06}");
        data.units.push(unit::Model {
            id: unit_id,
            institution_id,
            partner_institution_id: None,
            parent_id: None,
            name_key: fold(&name),
            name,
            short_name: None,
            kind: UnitKind::GmpFacility,
            campus: None,
            city: None,
            established_year: Some(1990 + (u % 35) as i32),
            description: None,
            provenance: Provenance::Generated,
            sample_fields: String::new(),
        });
        for c in 0..options.cleanrooms_per_unit {
            let code = format!("GEN-{u:06}-{c:02}");
            data.cleanrooms.push(cleanroom::Model {
                id: natural_id(RecordKind::Cleanroom, &format!("{key}|{code}")),
                institution_id,
                unit_id,
                code,
                name: None,
                regime: CleanroomRegime::Gmp,
                grade: Some(grades[(u + c) % 4]),
                status: statuses[(u + c) % statuses.len()],
                area_m2: Some(20.0 + c as f64),
                qualified_on: (c % 2 == 0)
                    .then(|| {
                        chrono::NaiveDate::from_ymd_opt(
                            2020 + (u % 5) as i32,
                            1 + (c % 12) as u32,
                            1,
                        )
                    })
                    .flatten(),
                intended_use: None,
                provenance: Provenance::Generated,
                sample_fields: String::new(),
            });
        }
        let mut first_person = None;
        for p in 0..options.people_per_unit {
            let person_key = format!("generated-person-{u:06}-{p:02}");
            let person_id = natural_id(RecordKind::Person, &person_key);
            first_person.get_or_insert(person_id);
            let (given, family) = (format!("Given{p:02}"), format!("Family{u:06}"));
            data.people.push(person::Model {
                id: person_id,
                name_key: fold(&format!("{family} {given}")),
                given_name: given,
                family_name: family,
                orcid: None,
                email: None,
                phone: None,
                provenance: Provenance::Generated,
                sample_fields: String::new(),
            });
            data.appointments.push(appointment::Model {
                id: natural_id(RecordKind::Appointment, &format!("{person_key}|{key}")),
                institution_id,
                person_id,
                unit_id: Some(unit_id),
                title: "Member".to_owned(),
                role: if p == 0 {
                    AppointmentRole::Head
                } else {
                    AppointmentRole::Member
                },
                area: None,
                start_year: None,
                end_year: None,
                rank: i32::try_from(p).unwrap_or(i32::MAX),
                provenance: Provenance::Generated,
                sample_fields: String::new(),
            });
        }
        let product_id = natural_id(RecordKind::Product, &key);
        let product_name = format!("Generated product {u:06}");
        data.products.push(product::Model {
            id: product_id,
            institution_id,
            unit_id: Some(unit_id),
            name_key: fold(&product_name),
            name: product_name,
            atmp_class: AtmpClass::GeneTherapy,
            stage: None,
            first_year: None,
            description: None,
            provenance: Provenance::Generated,
            sample_fields: String::new(),
        });
        let title = format!("Generated trial {u:06}");
        data.trials.push(trial::Model {
            id: natural_id(RecordKind::Trial, &key),
            institution_id,
            sponsor_institution_id: Some(institution_id),
            title_key: fold(&title),
            title,
            eu_ct_number: Some(format!("2024-5{u:05}-00-00")),
            eudract_number: None,
            nct_number: Some(format!("NCT{u:08}")),
            phase: Some(TrialPhase::Phase1),
            status: Some(TrialStatus::Ongoing),
            start_year: Some(2024),
            end_year: None,
            principal_investigator_id: first_person,
            product_id: Some(product_id),
            manufacturing_unit_id: Some(unit_id),
            description: None,
            provenance: Provenance::Generated,
            sample_fields: String::new(),
        });
        data.milestones.push(milestone::Model {
            id: natural_id(RecordKind::Milestone, &key),
            institution_id,
            unit_id: Some(unit_id),
            year: 1990 + (u % 35) as i32,
            title: format!("Generated milestone {u:06}"),
            description: None,
            provenance: Provenance::Generated,
            sample_fields: String::new(),
        });
    }
    data
}
