//! Synthetic records for benchmarks and tests, marked `GENERATED` and hung on the seeded
//! institutions so every relation has rows to walk. They look like the real thing where a
//! query would notice: names of people from Sweden and elsewhere with their diacritics, every
//! value of every vocabulary, nulls in every nullable column at a plausible rate, years that
//! spread (an end never before its start), joint units, people appointed at both institutions,
//! and descriptions from a line to a few hundred characters.
//!
//! Everything is drawn from a seed: the same seed gives the same records with the same IDs, on
//! every database. Each record draws from a stream of its own (see [`draw`]), so a unit and its
//! records are the same whatever the number of units generated.
//!
//! Per unit, alternately KI's and KUH's: the unit, its cleanrooms, as many people as
//! appointments in it, one product, one trial, one milestone, and for some units an
//! accreditation. In about one unit in seven the last appointment goes to a person of the unit
//! before it (of the other institution), who is then appointed at both; the unit's own last
//! person is then left without an appointment. With `--mixed-visibility` that person is kept
//! (someone only staff and admins read), so there are as many people and as many appointments
//! as units times people per unit; without it, where every record is public, they are not
//! generated.

mod draw;
mod marking;
mod words;

use entities::enums::{
    AccreditationScheme, AppointmentRole, AtmpClass, CleanroomRegime, CleanroomStatus, GmpGrade,
    ProductStage, Provenance, TrialPhase, TrialStatus, UnitKind, Visibility,
};
use entities::{accreditation, appointment, cleanroom, milestone, person, product, trial, unit};
use sea_orm::ActiveEnum;
use uuid::Uuid;

use self::draw::{Draw, Stream};
use self::marking::Markings;
use self::words::{
    authority, scheme_name, titles, CLINICS, COMBINED, CONDITIONS, EPONYMS, FAMILY_NAMES,
    GENE_THERAPIES, GIVEN_NAMES, INTENDED_USES, KI_AREAS, KI_CAMPUSES, KI_DEPARTMENTS, KUH_AREAS,
    KUH_CAMPUSES, KUH_DEPARTMENTS, PRODUCT_CODES, RESPONSIBILITIES, ROOM_NAMES, SENTENCES,
    SOMATIC_CELL_THERAPIES, TISSUE_ENGINEERED, TOPICS,
};
use crate::domain::{fold, natural_id, Orcid, RecordKind};
use crate::store::Dataset;

/// How much to generate, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Units, alternating between KI and KUH.
    pub units: usize,
    /// Cleanrooms in each unit.
    pub cleanrooms_per_unit: usize,
    /// People appointed in each unit.
    pub people_per_unit: usize,
    /// Where every drawn value comes from: the same seed gives the same records.
    pub seed: u64,
    /// Marks some records of each owned kind at each institution `PARTNER` and some
    /// `INTERNAL` (see [`marking`]); otherwise every record is public.
    pub mixed_visibility: bool,
}

impl Default for GenerateOptions {
    /// The `generate` command's defaults.
    fn default() -> Self {
        GenerateOptions {
            units: 1000,
            cleanrooms_per_unit: 5,
            people_per_unit: 5,
            seed: 1,
            mixed_visibility: false,
        }
    }
}

/// What the records of one generated unit share.
struct Place {
    number: usize,
    key: String,
    id: Uuid,
    institution_id: Uuid,
    other_institution_id: Uuid,
    kind: UnitKind,
    name: String,
    topic: &'static str,
    campus: Option<&'static str>,
    established: Option<i32>,
}

/// The generated records (see the module's documentation).
pub fn generate(options: GenerateOptions) -> Dataset {
    let mut data = Dataset {
        source: format!("the data generator (seed {})", options.seed),
        ..Dataset::default()
    };
    let seed = options.seed;
    let mut marks = Markings::new(seed, options.mixed_visibility);
    for number in 0..options.units {
        let (place, mut unit) = unit(seed, number);
        let at = place.institution_id;
        unit.visibility = marks.next(Stream::Unit, at);
        data.units.push(unit);
        data.cleanrooms
            .extend((0..options.cleanrooms_per_unit).map(|c| cleanroom::Model {
                visibility: marks.next(Stream::Cleanroom, at),
                ..cleanroom(seed, &place, c)
            }));
        data.people
            .extend((0..options.people_per_unit).map(|p| person(seed, number, p)));
        data.appointments.extend(
            appointments(seed, &place, options.people_per_unit)
                .into_iter()
                .map(|appointment| appointment::Model {
                    visibility: marks.next(Stream::Appointment, at),
                    ..appointment
                }),
        );
        let (mut product, phrase) = product(seed, &place);
        product.visibility = marks.next(Stream::Product, at);
        // The unit's head (its first appointment is never another unit's person).
        let head = (options.people_per_unit > 0).then(|| person_id(number, 0));
        let mut trial = trial(seed, &place, head, product.id, &product.name, phrase);
        trial.visibility = marks.next(Stream::Trial, at);
        data.trials.push(trial);
        let mut milestone = milestone(seed, &place, &product.name);
        milestone.visibility = marks.next(Stream::Milestone, at);
        data.milestones.push(milestone);
        data.products.push(product);
        data.accreditations
            .extend(
                accreditation(seed, &place).map(|accreditation| accreditation::Model {
                    visibility: marks.next(Stream::Accreditation, at),
                    ..accreditation
                }),
            );
    }
    if !options.mixed_visibility {
        // Without the flag every generated record is public, so that other servers compared
        // over the same database see the same rows; a person with no appointment is read by
        // staff and admins only, so none is kept.
        let appointed: std::collections::HashSet<Uuid> =
            data.appointments.iter().map(|a| a.person_id).collect();
        data.people.retain(|person| appointed.contains(&person.id));
    }
    data
}

fn person_key(unit: usize, person: usize) -> String {
    format!("generated-person-{unit:06}-{person:02}")
}

fn person_id(unit: usize, person: usize) -> Uuid {
    natural_id(RecordKind::Person, &person_key(unit, person))
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut letters = text.chars();
    letters
        .next()
        .map(|first| first.to_uppercase().chain(letters).collect())
        .unwrap_or_default()
}

/// An opening sentence, and for some records a few more: from a line to several hundred
/// characters.
fn description(draw: &mut Draw, opening: String) -> String {
    let more = if draw.chance(40) {
        draw.between(2, 4)
    } else {
        0
    };
    let start = draw.below(SENTENCES.len());
    let mut text = opening;
    for i in 0..usize::try_from(more).unwrap_or(0) {
        text.push(' ');
        text.push_str(SENTENCES[(start + i) % SENTENCES.len()]);
    }
    text
}

/// The name of a unit of `kind` at KI (`at_ki`) or KUH that works on `topic`.
fn unit_name(draw: &mut Draw, kind: UnitKind, at_ki: bool, topic: &str) -> String {
    let eponym = draw.pick(EPONYMS);
    let (departments, areas) = if at_ki {
        (KI_DEPARTMENTS, KI_AREAS)
    } else {
        (KUH_DEPARTMENTS, KUH_AREAS)
    };
    match (kind, draw.below(3)) {
        (UnitKind::GmpFacility, 0) => format!("{} GMP facility", capitalised(topic)),
        (UnitKind::GmpFacility, 1) => format!("GMP laboratory for {topic}"),
        (UnitKind::GmpFacility, _) => format!("{eponym} GMP unit"),
        (UnitKind::PreGmpFacility, 0) => format!("{eponym} pre-GMP unit"),
        (UnitKind::PreGmpFacility, _) => format!("Pre-GMP laboratory for {topic}"),
        (UnitKind::ClinicalUnit, 0) => format!("Clinic for {topic}"),
        (UnitKind::ClinicalUnit, _) => draw.pick(CLINICS).to_owned(),
        (UnitKind::Department, _) => draw.pick(departments).to_owned(),
        (UnitKind::Center, 0) => format!("{eponym} Centre for {topic}"),
        (UnitKind::Center, 1) => format!("Karolinska Centre for {topic}"),
        (UnitKind::Center, _) => format!("Centre for {topic}"),
        (UnitKind::AcademicArea, _) => draw.pick(areas).to_owned(),
        (UnitKind::GovernanceBody, 0) => format!("Steering group for {topic}"),
        (UnitKind::GovernanceBody, 1) => format!("Advisory board of the {eponym} Centre"),
        (UnitKind::GovernanceBody, _) => format!("Management group for {topic}"),
    }
}

/// The initials of a name's longer words, such as `KCGE` for "Karolinska Centre for gene
/// editing"; `None` for a name with fewer than two.
fn acronym(name: &str) -> Option<String> {
    let initials: String = name
        .split([' ', '-', ','])
        .filter(|word| word.chars().count() > 3 || word.chars().all(char::is_uppercase))
        .filter_map(|word| word.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    (initials.chars().count() >= 2).then_some(initials)
}

/// How many units of `kind` in a hundred are joint units of both institutions.
fn joint_percent(kind: UnitKind) -> u32 {
    match kind {
        UnitKind::GovernanceBody => 60,
        UnitKind::Center => 45,
        UnitKind::ClinicalUnit => 8,
        UnitKind::GmpFacility => 5,
        _ => 0,
    }
}

/// The unit numbered `number`, and what its records share.
fn unit(seed: u64, number: usize) -> (Place, unit::Model) {
    let mut draw = Draw::new(seed, Stream::Unit, &[number]);
    let institutions = [
        natural_id(RecordKind::Institution, "KI"),
        natural_id(RecordKind::Institution, "KUH"),
    ];
    let (institution_id, other_institution_id) = if number % 2 == 0 {
        (institutions[0], institutions[1])
    } else {
        (institutions[1], institutions[0])
    };
    let kind = draw.weighted(&[
        (UnitKind::GmpFacility, 38),
        (UnitKind::PreGmpFacility, 17),
        (UnitKind::ClinicalUnit, 15),
        (UnitKind::Department, 10),
        (UnitKind::Center, 9),
        (UnitKind::GovernanceBody, 6),
        (UnitKind::AcademicArea, 5),
    ]);
    let topic = draw.pick(TOPICS);
    let name = unit_name(&mut draw, kind, number % 2 == 0, topic);
    let partner_institution_id = draw.sometimes(joint_percent(kind), |_| other_institution_id);
    let key = format!("generated-unit-{number:06}");
    let id = natural_id(RecordKind::Unit, &key);
    // A parent two units back is of the same institution, and before this one: no cycles.
    let parent_id = number
        .checked_sub(2)
        .filter(|_| draw.chance(30))
        .map(|parent| natural_id(RecordKind::Unit, &format!("generated-unit-{parent:06}")));
    let campuses = if number % 2 == 0 {
        KI_CAMPUSES
    } else {
        KUH_CAMPUSES
    };
    let campus = draw.sometimes(75, |draw| draw.pick(campuses));
    let city = match campus {
        Some((_, city)) => Some(city.to_owned()),
        None => draw.sometimes(30, |_| "Stockholm".to_owned()),
    };
    let established = draw.sometimes(80, |draw| draw.between(1946, 2024));
    let short_name = draw.sometimes(45, |_| acronym(&name)).flatten();
    let description = draw.sometimes(70, |draw| {
        description(draw, format!("{name} works with {topic}."))
    });
    let place = Place {
        number,
        key,
        id,
        institution_id,
        other_institution_id,
        kind,
        name: name.clone(),
        topic,
        campus: campus.map(|(campus, _)| campus),
        established,
    };
    let unit = unit::Model {
        id,
        institution_id,
        partner_institution_id,
        parent_id,
        name_key: fold(&name),
        name,
        short_name,
        kind,
        campus: place.campus.map(str::to_owned),
        city,
        established_year: established,
        description,
        provenance: Provenance::Generated,
        sample_fields: String::new(),
        visibility: Visibility::Public,
        partner_of: None,
        internal_of: None,
        version: 1,
    };
    (place, unit)
}

/// Floor area in m², in half square metres: rooms of the stricter grades are smaller.
fn area(draw: &mut Draw, grade: Option<GmpGrade>) -> f64 {
    let (low, high) = match grade {
        Some(GmpGrade::A) => (6, 14),
        Some(GmpGrade::B) => (12, 35),
        Some(GmpGrade::C) => (15, 60),
        Some(GmpGrade::D) => (20, 90),
        None => (10, 50),
    };
    f64::from(draw.between(low * 2, high * 2)) / 2.0
}

/// A day of a year from 2005 to 2025.
fn day(draw: &mut Draw) -> Option<chrono::NaiveDate> {
    let year = draw.between(2005, 2025);
    chrono::NaiveDate::from_yo_opt(year, u32::try_from(draw.between(1, 365)).unwrap_or(1))
}

/// Cleanroom `index` of the unit at `place`.
fn cleanroom(seed: u64, place: &Place, index: usize) -> cleanroom::Model {
    let mut draw = Draw::new(seed, Stream::Cleanroom, &[place.number, index]);
    let regime = if place.kind == UnitKind::PreGmpFacility || draw.chance(8) {
        CleanroomRegime::PreGmp
    } else {
        CleanroomRegime::Gmp
    };
    let grade = match regime {
        CleanroomRegime::Gmp => draw.weighted(&[
            (Some(GmpGrade::A), 15),
            (Some(GmpGrade::B), 30),
            (Some(GmpGrade::C), 30),
            (Some(GmpGrade::D), 20),
            (None, 5),
        ]),
        CleanroomRegime::PreGmp => {
            draw.weighted(&[(None, 80), (Some(GmpGrade::D), 15), (Some(GmpGrade::C), 5)])
        }
    };
    let status = draw.weighted(&[
        (Some(CleanroomStatus::Qualified), 58),
        (Some(CleanroomStatus::InQualification), 12),
        (Some(CleanroomStatus::Maintenance), 8),
        (Some(CleanroomStatus::Decommissioned), 6),
        (None, 16),
    ]);
    // A room in qualification has no qualification date yet; one of unknown status may.
    let dated = match status {
        Some(CleanroomStatus::InQualification) => 0,
        None => 40,
        Some(_) => 90,
    };
    let code = format!("GEN-{:06}-{index:02}", place.number);
    cleanroom::Model {
        id: natural_id(RecordKind::Cleanroom, &format!("{}|{code}", place.key)),
        institution_id: place.institution_id,
        unit_id: place.id,
        code,
        name: draw.sometimes(60, |draw| {
            format!("{} {}", draw.pick(ROOM_NAMES), draw.between(1, 12))
        }),
        regime,
        grade,
        status,
        area_m2: draw.sometimes(90, |draw| area(draw, grade)),
        qualified_on: draw.sometimes(dated, day).flatten(),
        intended_use: draw.sometimes(55, |draw| draw.pick(INTENDED_USES).to_owned()),
        provenance: Provenance::Generated,
        sample_fields: String::new(),
        visibility: Visibility::Public,
        partner_of: None,
        internal_of: None,
        version: 1,
    }
}

/// A checksum-valid ORCID iD made from the person's place: `0009-` then the unit's number in
/// eight digits and the person's in three (none beyond those), then the check character.
fn orcid(unit: usize, person: usize) -> Option<String> {
    if unit >= 100_000_000 || person >= 1000 {
        return None;
    }
    let body = format!("0009{unit:08}{person:03}");
    let total = body
        .bytes()
        .fold(0, |total, digit| (total + u32::from(digit - b'0')) * 2);
    let check = match (12 - total % 11) % 11 {
        10 => 'X',
        n => char::from_digit(n, 10)?,
    };
    let text = format!(
        "{}-{}-{}-{}{check}",
        body.get(0..4)?,
        body.get(4..8)?,
        body.get(8..12)?,
        body.get(12..15)?
    );
    Orcid::parse(&text)
        .ok()
        .map(|orcid| orcid.as_str().to_owned())
}

/// A name as an e-mail address's local part: folded, letters and digits only.
fn mailbox(name: &str) -> String {
    fold(name)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Person `index` of unit `unit`.
fn person(seed: u64, unit: usize, index: usize) -> person::Model {
    let mut draw = Draw::new(seed, Stream::Person, &[unit, index]);
    let given = draw.weighted(GIVEN_NAMES);
    let family = draw.weighted(FAMILY_NAMES);
    let domain = if unit % 2 == 0 {
        "ki.se"
    } else {
        "regionstockholm.se"
    };
    person::Model {
        id: person_id(unit, index),
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        name_key: fold(&format!("{family} {given}")),
        orcid: draw.sometimes(65, |_| orcid(unit, index)).flatten(),
        // Always filled, so that tests and benchmarks of the contact details' cell rule meet
        // a value wherever the rule lets one through.
        email: Some(format!("{}.{}@{domain}", mailbox(given), mailbox(family))),
        phone: Some(format!(
            "+46 8 {} {:02} {:02}",
            draw.between(500, 799),
            draw.between(0, 99),
            draw.between(0, 99)
        )),
        provenance: Provenance::Generated,
        sample_fields: String::new(),
        // The writer's to say, from the person's appointments.
        read_by_public: false,
        version: 1,
    }
}

/// The role of a unit's first appointment, by the kind of unit.
fn head_role(draw: &mut Draw, kind: UnitKind) -> AppointmentRole {
    match kind {
        UnitKind::Center => draw.weighted(&[
            (AppointmentRole::Director, 80),
            (AppointmentRole::ActingDirector, 20),
        ]),
        UnitKind::AcademicArea => draw.weighted(&[
            (AppointmentRole::Dean, 60),
            (AppointmentRole::VicePresident, 40),
        ]),
        UnitKind::ClinicalUnit => draw.weighted(&[
            (AppointmentRole::Head, 85),
            (AppointmentRole::ActingChiefExecutive, 15),
        ]),
        _ => AppointmentRole::Head,
    }
}

/// The role of any other appointment.
fn staff_role(draw: &mut Draw) -> AppointmentRole {
    draw.weighted(&[
        (AppointmentRole::Member, 45),
        (AppointmentRole::Faculty, 15),
        (AppointmentRole::Coordinator, 10),
        (AppointmentRole::Deputy, 8),
        (AppointmentRole::OperationsManager, 8),
        (AppointmentRole::Director, 3),
        (AppointmentRole::ActingDirector, 2),
        (AppointmentRole::Dean, 2),
        (AppointmentRole::VicePresident, 2),
        (AppointmentRole::ActingChiefExecutive, 2),
        (AppointmentRole::ContentReviewer, 3),
    ])
}

/// The `people` appointments in the unit at `place`, at its institution: its own people's,
/// except, in about one unit in seven, the last, which goes to a person of the unit before it
/// (of the other institution), who is then appointed at both.
fn appointments(seed: u64, place: &Place, people: usize) -> Vec<appointment::Model> {
    let u = place.number;
    let mut draw = Draw::new(seed, Stream::Appointment, &[u]);
    let shared = (u >= 1 && people >= 2 && draw.chance(15)).then(|| (u - 1, draw.below(people)));
    (0..people)
        .map(|index| {
            let mut draw = Draw::new(seed, Stream::Appointment, &[u, index]);
            let from_before = shared.filter(|_| index + 1 == people);
            let (person_unit, person) = from_before.unwrap_or((u, index));
            let role = match (index, from_before) {
                (0, _) => head_role(&mut draw, place.kind),
                (_, Some(_)) => draw.weighted(&[
                    (AppointmentRole::Faculty, 60),
                    (AppointmentRole::Member, 40),
                ]),
                _ => staff_role(&mut draw),
            };
            // A few of a unit's own people are appointed at its institution, not in it.
            let in_unit = index == 0 || from_before.is_some() || !draw.chance(4);
            let start_year = draw.sometimes(75, |draw| draw.between(1985, 2025));
            let end_year = start_year.and_then(|start| {
                draw.sometimes(25, |draw| draw.between(start + 1, (start + 12).min(2026)))
            });
            let person_key = person_key(person_unit, person);
            appointment::Model {
                id: natural_id(
                    RecordKind::Appointment,
                    &format!("{person_key}|{}", place.key),
                ),
                institution_id: place.institution_id,
                person_id: natural_id(RecordKind::Person, &person_key),
                unit_id: in_unit.then_some(place.id),
                title: draw.pick(titles(role)).to_owned(),
                role,
                area: draw.sometimes(35, |draw| draw.pick(RESPONSIBILITIES).to_owned()),
                start_year,
                end_year,
                rank: i32::try_from(index).unwrap_or(i32::MAX),
                provenance: Provenance::Generated,
                sample_fields: String::new(),
                visibility: Visibility::Public,
                partner_of: None,
                internal_of: None,
                version: 1,
            }
        })
        .collect()
}

/// The unit's product, and what it is in words.
fn product(seed: u64, place: &Place) -> (product::Model, &'static str) {
    let mut draw = Draw::new(seed, Stream::Product, &[place.number]);
    let atmp_class = draw.weighted(&[
        (AtmpClass::GeneTherapy, 35),
        (AtmpClass::SomaticCellTherapy, 35),
        (AtmpClass::TissueEngineered, 18),
        (AtmpClass::Combined, 12),
    ]);
    let phrase = draw.pick(match atmp_class {
        AtmpClass::GeneTherapy => GENE_THERAPIES,
        AtmpClass::SomaticCellTherapy => SOMATIC_CELL_THERAPIES,
        AtmpClass::TissueEngineered => TISSUE_ENGINEERED,
        AtmpClass::Combined => COMBINED,
    });
    let name = format!(
        "{}-{} ({phrase})",
        draw.pick(PRODUCT_CODES),
        100 + place.number
    );
    let product = product::Model {
        id: natural_id(RecordKind::Product, &place.key),
        institution_id: place.institution_id,
        unit_id: draw.sometimes(92, |_| place.id),
        name_key: fold(&name),
        name,
        atmp_class,
        stage: draw.weighted(&[
            (None, 12),
            (Some(ProductStage::Preclinical), 38),
            (Some(ProductStage::ClinicalTrial), 38),
            (Some(ProductStage::StandardTreatment), 12),
        ]),
        first_year: draw.sometimes(70, |draw| draw.between(1995, 2025)),
        description: draw.sometimes(60, |draw| {
            let opening = format!("{}, developed at {}.", capitalised(phrase), place.name);
            description(draw, opening)
        }),
        provenance: Provenance::Generated,
        sample_fields: String::new(),
        visibility: Visibility::Public,
        partner_of: None,
        internal_of: None,
        version: 1,
    };
    (product, phrase)
}

/// How a trial of `phase` is introduced in its title.
fn phase_words(phase: Option<TrialPhase>) -> &'static str {
    match phase {
        Some(TrialPhase::Phase1) => "A phase I",
        Some(TrialPhase::Phase1And2) => "A phase I/II",
        Some(TrialPhase::Phase2) => "A phase II",
        Some(TrialPhase::Phase2And3) => "A phase II/III",
        Some(TrialPhase::Phase3) => "A phase III",
        Some(TrialPhase::Phase4) => "A phase IV",
        None => "An exploratory",
    }
}

/// When a trial of `status` that started in `start` ended, or is planned to.
fn end_year(draw: &mut Draw, status: Option<TrialStatus>, start: i32) -> Option<i32> {
    match status {
        Some(TrialStatus::Completed | TrialStatus::EndedEarly) => draw.sometimes(90, |draw| {
            draw.between(start, (start + 7).min(2026).max(start))
        }),
        Some(TrialStatus::Ongoing) => draw.sometimes(30, |draw| draw.between(start + 1, start + 8)),
        Some(TrialStatus::Planned) => draw.sometimes(40, |draw| draw.between(start + 1, start + 5)),
        None => draw.sometimes(20, |draw| draw.between(start, start + 6)),
    }
}

/// The registry numbers of a trial of `status` that started in `year`: EudraCT from 2004 to
/// 2022, EU CT from 2023 (and for trials under way then, moved to CTIS), NCT for about half with
/// the digits ClinicalTrials.gov gave that year; each well-formed.
fn registry_numbers(
    draw: &mut Draw,
    unit: usize,
    year: i32,
    status: Option<TrialStatus>,
) -> (Option<String>, Option<String>, Option<String>) {
    let eudract = (2004..=2022).contains(&year).then(|| {
        draw.sometimes(75, |draw| {
            format!("{year}-{:06}-{}", unit % 1_000_000, draw.between(10, 99))
        })
    });
    let ctis_percent = match (year, status) {
        (2023.., _) => 85,
        (2004.., Some(TrialStatus::Ongoing)) => 60,
        _ => 0,
    };
    let eu_ct = draw.sometimes(ctis_percent, |draw| {
        format!(
            "{}-5{:05}-{}-00",
            year.max(draw.between(2023, 2025)),
            unit % 100_000,
            draw.between(10, 99)
        )
    });
    let era = (year - 1999).clamp(0, 27) / 4;
    let nct = draw.sometimes(55, |_| format!("NCT0{era}{:06}", unit % 1_000_000));
    (eu_ct, eudract.flatten(), nct)
}

/// The unit's trial, of its product, led by its head.
fn trial(
    seed: u64,
    place: &Place,
    head: Option<Uuid>,
    product_id: Uuid,
    product_name: &str,
    phrase: &str,
) -> trial::Model {
    let mut draw = Draw::new(seed, Stream::Trial, &[place.number]);
    let phase = draw.weighted(&[
        (None, 8),
        (Some(TrialPhase::Phase1), 26),
        (Some(TrialPhase::Phase1And2), 20),
        (Some(TrialPhase::Phase2), 20),
        (Some(TrialPhase::Phase2And3), 8),
        (Some(TrialPhase::Phase3), 12),
        (Some(TrialPhase::Phase4), 6),
    ]);
    let status = draw.weighted(&[
        (None, 6),
        (Some(TrialStatus::Planned), 14),
        (Some(TrialStatus::Ongoing), 34),
        (Some(TrialStatus::Completed), 32),
        (Some(TrialStatus::EndedEarly), 14),
    ]);
    let year = match status {
        Some(TrialStatus::Planned) => draw.between(2025, 2027),
        Some(TrialStatus::Ongoing) => draw.between(2012, 2025),
        Some(TrialStatus::Completed | TrialStatus::EndedEarly) => draw.between(1998, 2024),
        None => draw.between(1998, 2025),
    };
    let start_year = draw.sometimes(92, |_| year);
    let end_year = start_year.and_then(|start| end_year(&mut draw, status, start));
    let (eu_ct_number, eudract_number, nct_number) =
        registry_numbers(&mut draw, place.number, year, status);
    let condition = draw.pick(CONDITIONS);
    let code = product_name.split(' ').next().unwrap_or(product_name);
    let title = format!(
        "{} study of {code}, {phrase}, in {condition}",
        phase_words(phase)
    );
    trial::Model {
        id: natural_id(RecordKind::Trial, &place.key),
        institution_id: place.institution_id,
        sponsor_institution_id: draw.weighted(&[
            (Some(place.institution_id), 75),
            (Some(place.other_institution_id), 10),
            (None, 15),
        ]),
        title_key: fold(&title),
        title,
        eu_ct_number,
        eudract_number,
        nct_number,
        phase,
        status,
        start_year,
        end_year,
        principal_investigator_id: head.filter(|_| draw.chance(85)),
        product_id: draw.sometimes(88, |_| product_id),
        manufacturing_unit_id: draw.sometimes(80, |_| place.id),
        description: draw.sometimes(50, |draw| {
            description(draw, format!("The trial treats {condition} with {phrase}."))
        }),
        provenance: Provenance::Generated,
        sample_fields: String::new(),
        visibility: Visibility::Public,
        partner_of: None,
        internal_of: None,
        version: 1,
    }
}

/// The unit's accreditation, if it has one: most GMP facilities and clinical units, a few others.
fn accreditation(seed: u64, place: &Place) -> Option<accreditation::Model> {
    use AccreditationScheme::*;
    let mut draw = Draw::new(seed, Stream::Accreditation, &[place.number]);
    let (percent, schemes): (u32, &[(AccreditationScheme, u32)]) = match place.kind {
        UnitKind::GmpFacility => (
            60,
            &[
                (GmpManufacturingAuthorisation, 70),
                (GmoContainedUse, 15),
                (TissueEstablishmentPermit, 15),
            ],
        ),
        UnitKind::ClinicalUnit => (
            50,
            &[
                (Jacie, 60),
                (TissueEstablishmentPermit, 30),
                (GmpManufacturingAuthorisation, 10),
            ],
        ),
        UnitKind::PreGmpFacility => (
            35,
            &[(GmoContainedUse, 80), (TissueEstablishmentPermit, 20)],
        ),
        _ => (
            8,
            &[
                (Jacie, 1),
                (TissueEstablishmentPermit, 1),
                (GmoContainedUse, 1),
            ],
        ),
    };
    if !draw.chance(percent) {
        return None;
    }
    let scheme = draw.weighted(schemes);
    let since = place.established.unwrap_or(1995).max(1995);
    Some(accreditation::Model {
        id: natural_id(
            RecordKind::Accreditation,
            &format!("{}|{}", place.key, scheme.to_value()),
        ),
        institution_id: place.institution_id,
        unit_id: place.id,
        scheme,
        authority: draw.sometimes(85, |_| authority(scheme).to_owned()),
        since_year: draw.sometimes(80, |draw| draw.between(since, 2025)),
        description: draw.sometimes(45, |draw| {
            let opening = format!("{} holds {}.", place.name, scheme_name(scheme));
            description(draw, opening)
        }),
        provenance: Provenance::Generated,
        sample_fields: String::new(),
        visibility: Visibility::Public,
        partner_of: None,
        internal_of: None,
        version: 1,
    })
}

/// An event in the unit's history.
fn milestone(seed: u64, place: &Place, product_name: &str) -> milestone::Model {
    let mut draw = Draw::new(seed, Stream::Milestone, &[place.number]);
    let after = place.established.unwrap_or(1990);
    let name = &place.name;
    let (year, title) = match (place.established, draw.below(4)) {
        (Some(year), 0) => (year, format!("{name} is established")),
        (_, 1) => (
            draw.between(after, 2025),
            format!("{name} receives a manufacturing authorisation from Läkemedelsverket"),
        ),
        (_, 2) => (
            draw.between(after.max(2000), 2025),
            format!("First patient treated with {product_name}"),
        ),
        _ => (
            draw.between(after, 2025),
            format!(
                "{name} moves into new premises at {}",
                place.campus.unwrap_or("Campus Flemingsberg")
            ),
        ),
    };
    milestone::Model {
        id: natural_id(RecordKind::Milestone, &place.key),
        institution_id: place.institution_id,
        unit_id: draw.sometimes(92, |_| place.id),
        year,
        title,
        description: draw.sometimes(40, |draw| {
            description(draw, format!("A step for {} in {}.", place.topic, name))
        }),
        provenance: Provenance::Generated,
        sample_fields: String::new(),
        visibility: Visibility::Public,
        partner_of: None,
        internal_of: None,
        version: 1,
    }
}

#[cfg(test)]
mod tests;
