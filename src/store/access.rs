//! Which rows each role reads: what a row requires of its reader, composed when it is written,
//! and who may read each person. The rules of [`super::scope`] test what this module stores.
//!
//! An institution marks each record it owns `PUBLIC`, `PARTNER` or `INTERNAL`. A row's
//! [`Requirement`] is its own marking's, joined with the requirements of every record it
//! references that an institution owns (a cleanroom of an internal unit is as hidden as the
//! unit; a KUH appointment in a KI joint unit needs what the unit needs), so that a reference
//! from a row a caller reads never names a row the caller may not read: a non-null reference
//! never fails, and a nullable one, a group key or an ordering by a referenced name never
//! shows a hidden record. References to people are the exception: a person is read by the
//! audiences of their appointments ([`Access::readers`]), and a trial's principal investigator
//! may be hidden where the trial is not (the read door masks such keys).
//!
//! A requirement is two institutions at most: the one whose partners may read the row, and
//! the one whose staff alone may. Where a row would need two different institutions at one
//! level (a PARTNER record of KI referencing a PARTNER record of KUH), it holds the nil UUID,
//! which no caller but an admin meets: the rare composite errs on the hidden side.

use std::collections::BTreeSet;

use entities::enums::Visibility;
use uuid::Uuid;

use crate::catalog::KindId;

use super::write::Dataset;
use super::{HashMap, Role};

pub use crate::catalog::ReadBy;

/// How the rows of `table` are read; open where the catalog names no such table.
pub fn read_by(table: &str) -> ReadBy {
    KindId::of_table(table).map_or(ReadBy::Open, KindId::access)
}

/// What a row requires of its reader, as stored in its `partner_of` and `internal_of`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Requirement {
    /// The institution whose partners (and staff) may read it; `None`: no such requirement.
    pub partner_of: Option<Uuid>,
    /// The institution whose staff alone may read it; `None`: no such requirement.
    pub internal_of: Option<Uuid>,
}

/// Two different institutions at one level: no caller but an admin meets it.
const SEVERAL: Uuid = Uuid::nil();

/// The audience of the people only staff and admins read: those with no appointment at all.
pub(crate) const ANY_STAFF: &str = "staff";

/// The audience of the people everyone reads.
const PUBLIC: &str = "public";

impl Requirement {
    /// What a record of `owner` marked `visibility` requires by its own marking.
    pub fn marked(visibility: Visibility, owner: Uuid) -> Requirement {
        match visibility {
            Visibility::Public => Requirement::default(),
            Visibility::Partner => Requirement {
                partner_of: Some(owner),
                internal_of: None,
            },
            Visibility::Internal => Requirement {
                partner_of: None,
                internal_of: Some(owner),
            },
        }
    }

    /// What a row requiring both `self` and `other` requires. A caller meeting the result
    /// meets each part.
    pub fn and(self, other: Requirement) -> Requirement {
        let partner_of = one_of(self.partner_of, other.partner_of);
        let internal_of = one_of(self.internal_of, other.internal_of);
        Requirement {
            // The staff of an institution read its partners' records too: its internal
            // requirement holds its partner one.
            partner_of: partner_of.filter(|partner| Some(*partner) != internal_of),
            internal_of,
        }
    }

    /// Whether a caller of `role` for `institutions` meets it: the rules of the read door,
    /// in Rust (README, "Roles and what they read").
    #[cfg(test)]
    pub fn is_met_by(self, role: Role, institutions: &[Uuid]) -> bool {
        let among = |id: Option<Uuid>| id.is_none_or(|id| institutions.contains(&id));
        match role {
            Role::Public => self.partner_of.is_none() && self.internal_of.is_none(),
            Role::Partner => self.internal_of.is_none() && among(self.partner_of),
            Role::Staff | Role::Steward => among(self.partner_of) && among(self.internal_of),
            Role::Admin => true,
        }
    }

    /// The audience of the people an appointment requiring this places, in `person_reader`;
    /// `None` where only an admin meets it.
    pub fn audience(self) -> Option<String> {
        if self.partner_of == Some(SEVERAL) || self.internal_of == Some(SEVERAL) {
            return None;
        }
        Some(match (self.partner_of, self.internal_of) {
            (None, None) => PUBLIC.to_owned(),
            (Some(partner), None) => partner_audience(partner),
            (None, Some(internal)) => internal_audience(internal),
            (Some(partner), Some(internal)) => format!(
                "{}+{}",
                partner_audience(partner),
                internal_audience(internal)
            ),
        })
    }
}

/// One institution where both name the same or one names none; [`SEVERAL`] otherwise.
fn one_of(a: Option<Uuid>, b: Option<Uuid>) -> Option<Uuid> {
    match (a, b) {
        (None, other) | (other, None) => other,
        (Some(a), Some(b)) if a == b => Some(a),
        _ => Some(SEVERAL),
    }
}

fn partner_audience(institution: Uuid) -> String {
    format!("partner:{institution}")
}

fn internal_audience(institution: Uuid) -> String {
    format!("internal:{institution}")
}

/// The audiences of `person_reader` a caller of `role` for `institutions` belongs to: a person
/// is read when one of theirs is among them. Exactly the audiences of the requirements
/// [`Requirement::is_met_by`] says the caller meets, and [`ANY_STAFF`] for staff; `None` for
/// an admin, who reads every person.
pub fn audiences(role: Role, institutions: &[Uuid]) -> Option<Vec<String>> {
    let mut audiences = vec![PUBLIC.to_owned()];
    match role {
        Role::Public => {}
        Role::Partner => audiences.extend(institutions.iter().copied().map(partner_audience)),
        Role::Staff | Role::Steward => {
            audiences.push(ANY_STAFF.to_owned());
            for internal in institutions {
                audiences.push(partner_audience(*internal));
                audiences.push(internal_audience(*internal));
                for partner in institutions.iter().filter(|partner| *partner != internal) {
                    audiences.push(format!(
                        "{}+{}",
                        partner_audience(*partner),
                        internal_audience(*internal)
                    ));
                }
            }
        }
        Role::Admin => return None,
    }
    Some(audiences)
}

/// The requirements of every owned row and the audiences of every person of a whole dataset
/// (every source's records, as they are after a write).
#[derive(Debug, Default)]
pub struct Access {
    /// By the row's table and ID.
    requirements: HashMap<(&'static str, Uuid), Requirement>,
    /// By person.
    readers: HashMap<Uuid, BTreeSet<String>>,
}

impl Access {
    /// What `whole` requires of its readers. A reference to a record `whole` lacks requires
    /// nothing (it names no record to hide); units in a cycle of parents require what no
    /// caller but an admin meets.
    pub fn of(whole: &Dataset) -> Access {
        let mut access = Access::default();
        access.units(whole);
        let unit = |access: &Access, id: Option<Uuid>| access.requirement("unit", id);
        for row in &whole.appointments {
            let own = Requirement::marked(row.visibility, row.institution_id);
            access.set("appointment", row.id, own.and(unit(&access, row.unit_id)));
        }
        for row in &whole.cleanrooms {
            let own = Requirement::marked(row.visibility, row.institution_id);
            access.set(
                "cleanroom",
                row.id,
                own.and(unit(&access, Some(row.unit_id))),
            );
        }
        for row in &whole.products {
            let own = Requirement::marked(row.visibility, row.institution_id);
            access.set("product", row.id, own.and(unit(&access, row.unit_id)));
        }
        for row in &whole.trials {
            let own = Requirement::marked(row.visibility, row.institution_id)
                .and(access.requirement("product", row.product_id))
                .and(unit(&access, row.manufacturing_unit_id));
            access.set("trial", row.id, own);
        }
        for row in &whole.accreditations {
            let own = Requirement::marked(row.visibility, row.institution_id);
            access.set(
                "accreditation",
                row.id,
                own.and(unit(&access, Some(row.unit_id))),
            );
        }
        for row in &whole.milestones {
            let own = Requirement::marked(row.visibility, row.institution_id);
            access.set("milestone", row.id, own.and(unit(&access, row.unit_id)));
        }
        access.people(whole);
        access
    }

    /// What the row of `table` with ID `id` requires; nothing where there is no such row.
    pub fn requirement(&self, table: &'static str, id: Option<Uuid>) -> Requirement {
        id.and_then(|id| self.requirements.get(&(table, id)).copied())
            .unwrap_or_default()
    }

    /// The audiences of a person: none for an unknown one.
    pub fn readers(&self, person: Uuid) -> BTreeSet<String> {
        self.readers.get(&person).cloned().unwrap_or_default()
    }

    /// Whether the public reads `person`: one of their audiences is the public.
    pub fn read_by_public(&self, person: Uuid) -> bool {
        self.readers
            .get(&person)
            .is_some_and(|readers| readers.contains(PUBLIC))
    }

    fn set(&mut self, table: &'static str, id: Uuid, requirement: Requirement) {
        self.requirements.insert((table, id), requirement);
    }

    /// Each unit's requirement: its marking's, and its parent's (found depth first, without
    /// recursion: a hierarchy may be deep).
    fn units(&mut self, whole: &Dataset) {
        let units: HashMap<Uuid, &entities::unit::Model> =
            whole.units.iter().map(|unit| (unit.id, unit)).collect();
        let several = Requirement {
            partner_of: Some(SEVERAL),
            internal_of: Some(SEVERAL),
        };
        for start in &whole.units {
            // The units from `start` up to the first whose requirement is known.
            let mut path: Vec<&entities::unit::Model> = Vec::new();
            let mut on_path = BTreeSet::new();
            let mut next = Some(start);
            let mut above = Requirement::default();
            while let Some(unit) = next {
                if let Some(known) = self.requirements.get(&("unit", unit.id)) {
                    above = *known;
                    break;
                }
                if !on_path.insert(unit.id) {
                    // A cycle of parents.
                    above = several;
                    break;
                }
                path.push(unit);
                next = unit
                    .parent_id
                    .and_then(|parent| units.get(&parent).copied());
            }
            for unit in path.into_iter().rev() {
                above = Requirement::marked(unit.visibility, unit.institution_id).and(above);
                self.set("unit", unit.id, above);
            }
        }
    }

    /// Each person's audiences: those of their appointments, or [`ANY_STAFF`] for a person
    /// with none.
    fn people(&mut self, whole: &Dataset) {
        for person in &whole.people {
            self.readers.insert(person.id, BTreeSet::new());
        }
        let mut appointed = BTreeSet::new();
        for row in &whole.appointments {
            appointed.insert(row.person_id);
            let audience = self.requirement("appointment", Some(row.id)).audience();
            if let (Some(readers), Some(audience)) =
                (self.readers.get_mut(&row.person_id), audience)
            {
                readers.insert(audience);
            }
        }
        for (person, readers) in &mut self.readers {
            if !appointed.contains(person) {
                readers.insert(ANY_STAFF.to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Uuid = Uuid::from_u128(1);
    const B: Uuid = Uuid::from_u128(2);

    /// Every requirement over institutions A and B, as stored.
    fn requirements() -> Vec<Requirement> {
        let values = [None, Some(A), Some(B), Some(SEVERAL)];
        let mut all = Vec::new();
        for partner_of in values {
            for internal_of in values {
                let stored = Requirement::default().and(Requirement {
                    partner_of,
                    internal_of,
                });
                if !all.contains(&stored) {
                    all.push(stored);
                }
            }
        }
        all
    }

    /// Every caller over institutions A and B.
    fn callers() -> Vec<(Role, Vec<Uuid>)> {
        let mut callers = vec![(Role::Public, Vec::new()), (Role::Admin, Vec::new())];
        for role in [Role::Partner, Role::Staff] {
            for institutions in [vec![], vec![A], vec![B], vec![A, B]] {
                callers.push((role, institutions));
            }
        }
        callers
    }

    #[test]
    fn a_caller_meeting_what_a_row_requires_meets_what_each_part_of_it_requires() {
        let all = requirements();
        for a in &all {
            for b in &all {
                let both = a.and(*b);
                for (role, institutions) in callers() {
                    if both.is_met_by(role, &institutions) {
                        assert!(a.is_met_by(role, &institutions), "{a:?} of {both:?}");
                        assert!(b.is_met_by(role, &institutions), "{b:?} of {both:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_caller_is_of_an_appointments_audience_exactly_when_it_meets_its_requirement() {
        for requirement in requirements() {
            for (role, institutions) in callers() {
                let Some(audiences) = audiences(role, &institutions) else {
                    assert_eq!(role, Role::Admin);
                    continue;
                };
                let of_audience = requirement
                    .audience()
                    .is_some_and(|audience| audiences.contains(&audience));
                assert_eq!(
                    of_audience,
                    requirement.is_met_by(role, &institutions),
                    "{requirement:?} for {role:?} of {institutions:?}"
                );
            }
        }
    }

    #[test]
    fn each_marking_is_read_by_the_roles_of_the_readme() {
        let partner_of_a = Requirement::marked(Visibility::Partner, A);
        let internal_of_a = Requirement::marked(Visibility::Internal, A);
        for (requirement, role, institutions, read) in [
            (Requirement::default(), Role::Public, vec![], true),
            (partner_of_a, Role::Public, vec![], false),
            (partner_of_a, Role::Partner, vec![A], true),
            (partner_of_a, Role::Partner, vec![B], false),
            (partner_of_a, Role::Staff, vec![A], true),
            (partner_of_a, Role::Staff, vec![B], false),
            (internal_of_a, Role::Partner, vec![A], false),
            (internal_of_a, Role::Staff, vec![A], true),
            (internal_of_a, Role::Staff, vec![B], false),
            (internal_of_a, Role::Admin, vec![], true),
            (
                partner_of_a.and(Requirement::marked(Visibility::Partner, B)),
                Role::Partner,
                vec![A, B],
                false,
            ),
        ] {
            assert_eq!(
                requirement.is_met_by(role, &institutions),
                read,
                "{requirement:?} for {role:?} of {institutions:?}"
            );
        }
    }

    #[test]
    fn only_staff_and_admins_are_of_the_audience_of_a_person_with_no_appointment() {
        for (role, institutions) in callers() {
            let of_it = audiences(role, &institutions)
                .is_none_or(|audiences| audiences.iter().any(|a| a == ANY_STAFF));
            assert_eq!(of_it, matches!(role, Role::Staff | Role::Admin), "{role:?}");
        }
    }
}
