use std::collections::HashSet;

use super::*;
use crate::domain::{EuCtNumber, EudractNumber, NctNumber};

fn options(units: usize, seed: u64) -> GenerateOptions {
    GenerateOptions {
        units,
        cleanrooms_per_unit: 3,
        people_per_unit: 4,
        seed,
        mixed_visibility: false,
    }
}

fn mixed(units: usize, seed: u64) -> GenerateOptions {
    GenerateOptions {
        mixed_visibility: true,
        ..options(units, seed)
    }
}

/// The markings of a dataset's owned records, kind by kind, and its records with every marking
/// public.
fn markings(mut data: Dataset) -> (Vec<Vec<Visibility>>, Dataset) {
    macro_rules! take {
        ($($plural:ident),*) => {
            vec![$(data.$plural.iter_mut().map(|row| {
                std::mem::replace(&mut row.visibility, Visibility::Public)
            }).collect()),*]
        };
    }
    let markings = take!(
        units,
        appointments,
        cleanrooms,
        products,
        trials,
        accreditations,
        milestones
    );
    (markings, data)
}

/// Every table of two datasets, compared one by one (a dataset has no `PartialEq`).
fn same(a: &Dataset, b: &Dataset) -> bool {
    a.units == b.units
        && a.cleanrooms == b.cleanrooms
        && a.people == b.people
        && a.appointments == b.appointments
        && a.products == b.products
        && a.trials == b.trials
        && a.accreditations == b.accreditations
        && a.milestones == b.milestones
}

#[test]
fn the_same_seed_gives_the_same_records_and_another_seed_others() {
    assert!(same(&generate(options(40, 7)), &generate(options(40, 7))));
    let other = generate(options(40, 8));
    let first = generate(options(40, 7));
    assert!(!same(&first, &other));
    // The IDs come from the records' places, not from the seed.
    let ids = |data: &Dataset| data.units.iter().map(|u| u.id).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&other));
}

#[test]
fn a_unit_and_its_records_do_not_depend_on_how_many_units_are_generated() {
    let few = generate(options(6, 3));
    let many = generate(options(30, 3));
    assert_eq!(few.units[..], many.units[..6]);
    assert_eq!(few.cleanrooms[..], many.cleanrooms[..18]);
    assert_eq!(few.people[..], many.people[..few.people.len()]);
    assert_eq!(few.appointments[..], many.appointments[..24]);
    assert_eq!(few.trials[..], many.trials[..6]);
}

#[test]
fn there_are_as_many_rows_per_unit_as_asked() {
    let data = generate(options(50, 1));
    assert_eq!(data.units.len(), 50);
    assert_eq!(data.cleanrooms.len(), 150);
    // Every person is appointed where every record is public; with mixed markings the
    // people left without an appointment are kept.
    let appointed: HashSet<Uuid> = data.appointments.iter().map(|a| a.person_id).collect();
    assert_eq!(data.people.len(), appointed.len());
    assert!(data.people.len() < 200);
    assert_eq!(generate(mixed(50, 1)).people.len(), 200);
    assert_eq!(data.appointments.len(), 200);
    assert_eq!((data.products.len(), data.trials.len()), (50, 50));
    assert_eq!(data.milestones.len(), 50);
    let ids: HashSet<Uuid> = data.appointments.iter().map(|a| a.id).collect();
    assert_eq!(ids.len(), 200, "appointment IDs are unique");
    for unit in &data.units {
        let in_unit: HashSet<Uuid> = data
            .appointments
            .iter()
            .filter(|a| a.unit_id == Some(unit.id))
            .map(|a| a.person_id)
            .collect();
        assert!((3..=4).contains(&in_unit.len()), "{}", unit.name);
    }
}

#[test]
fn every_identifier_is_valid_and_every_orcid_unique() {
    let data = generate(options(400, 1));
    let orcids: Vec<&str> = data
        .people
        .iter()
        .filter_map(|p| p.orcid.as_deref())
        .collect();
    assert!(orcids.len() > 800, "{}", orcids.len());
    assert!(orcids.iter().all(|o| Orcid::parse(o).is_ok()), "{orcids:?}");
    assert_eq!(orcids.iter().collect::<HashSet<_>>().len(), orcids.len());
    for trial in &data.trials {
        let checks = [
            trial
                .eu_ct_number
                .as_deref()
                .map(|n| EuCtNumber::parse(n).is_ok()),
            trial
                .eudract_number
                .as_deref()
                .map(|n| EudractNumber::parse(n).is_ok()),
            trial
                .nct_number
                .as_deref()
                .map(|n| NctNumber::parse(n).is_ok()),
        ];
        assert!(!checks.contains(&Some(false)), "{trial:?}");
    }
    assert!(data.trials.iter().any(|t| t.eu_ct_number.is_some()));
    assert!(data.trials.iter().any(|t| t.eudract_number.is_some()));
    assert!(data.trials.iter().any(|t| t.nct_number.is_some()));
}

#[test]
fn an_orcid_is_made_with_its_check_character() {
    assert_eq!(orcid(0, 0).as_deref(), Some("0009-0000-0000-0009"));
    assert_eq!(orcid(100_000_000, 0), None);
    assert_eq!(orcid(1, 1000), None);
}

#[test]
fn years_end_no_earlier_than_they_start() {
    let data = generate(options(400, 5));
    for trial in &data.trials {
        if let (Some(start), Some(end)) = (trial.start_year, trial.end_year) {
            assert!(end >= start, "{trial:?}");
        }
    }
    for appointment in &data.appointments {
        if let (Some(start), Some(end)) = (appointment.start_year, appointment.end_year) {
            assert!(end > start, "{appointment:?}");
        }
    }
    assert!(data.trials.iter().any(|t| t.end_year.is_some()));
    assert!(data.appointments.iter().any(|a| a.end_year.is_some()));
}

#[test]
fn acronyms_take_the_initials_of_the_longer_words() {
    assert_eq!(
        acronym("Karolinska Centre for gene editing").as_deref(),
        Some("KCGE")
    );
    assert_eq!(acronym("Ångström GMP unit").as_deref(), Some("ÅGU"));
    assert_eq!(acronym("KI North").as_deref(), Some("KN"));
    assert_eq!(acronym("Tema"), None);
}

#[test]
fn every_generated_person_has_an_email_address_and_a_phone_number() {
    let data = generate(mixed(20, 1));
    assert_eq!(data.people.len(), 80);
    for person in &data.people {
        let email = person.email.as_deref().unwrap_or_default();
        let phone = person.phone.as_deref().unwrap_or_default();
        assert!(
            email.ends_with("@ki.se") || email.ends_with("@regionstockholm.se"),
            "{email}"
        );
        assert!(phone.starts_with("+46 8 ") && phone.len() == 15, "{phone}");
    }
}

#[test]
fn without_mixed_visibility_every_record_is_public_and_with_it_only_markings_differ() {
    let (public, plain) = markings(generate(options(30, 5)));
    let (marked, mut unmarked) = markings(generate(mixed(30, 5)));
    // With mixed markings the people left without an appointment are kept, too.
    let appointed: HashSet<Uuid> = unmarked.appointments.iter().map(|a| a.person_id).collect();
    assert!(unmarked.people.len() > appointed.len());
    unmarked
        .people
        .retain(|person| appointed.contains(&person.id));

    assert!(public.iter().flatten().all(|v| *v == Visibility::Public));
    assert!(same(&plain, &unmarked), "only the markings differ");
    assert_ne!(public, marked);
    assert_eq!(marked, markings(generate(mixed(30, 5))).0, "the same seed");
    assert_ne!(marked, markings(generate(mixed(30, 6))).0, "another seed");
}

#[test]
fn mixed_visibility_marks_some_of_each_level_for_each_owned_kind_at_each_institution() {
    let data = generate(mixed(40, 2));
    macro_rules! levels {
        ($($plural:ident),*) => {
            vec![$((stringify!($plural), data.$plural.iter().map(|row| (row.institution_id, row.visibility)).collect::<HashSet<_>>())),*]
        };
    }
    let institutions: HashSet<_> = data.units.iter().map(|unit| unit.institution_id).collect();
    assert_eq!(institutions.len(), 2);
    for (kind, levels) in levels!(
        units,
        appointments,
        cleanrooms,
        products,
        trials,
        accreditations,
        milestones
    ) {
        for institution in &institutions {
            for level in [
                Visibility::Public,
                Visibility::Partner,
                Visibility::Internal,
            ] {
                assert!(
                    levels.contains(&(*institution, level)),
                    "{kind}: no {level:?} record of {institution}"
                );
            }
        }
    }
}

#[test]
fn a_records_marking_does_not_depend_on_how_many_units_are_generated() {
    let few = generate(mixed(6, 3));
    let many = generate(mixed(12, 3));
    assert_eq!(few.units[..], many.units[..6]);
    assert_eq!(few.trials[..], many.trials[..6]);
    assert_eq!(few.cleanrooms[..], many.cleanrooms[..few.cleanrooms.len()]);
}
