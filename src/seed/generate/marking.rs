//! The markings of generated records, with `--mixed-visibility`: every owned kind at every
//! institution has records of each level. Each kind's records at one institution take, in the
//! order they are generated, the levels of [`CYCLE`] in turn (half public, a third partner, a
//! sixth internal), from a place in it drawn from the seed, so that any six of them in a row
//! hold every level. A record's marking depends on the records generated before it alone, so
//! generating more units adds records without changing those made before. Without the flag
//! every record is public, and the records are otherwise the same.

use std::collections::HashMap;

use entities::enums::Visibility;
use uuid::Uuid;

use super::draw::{Draw, Stream};

/// The levels each kind's records at one institution take in turn.
const CYCLE: [Visibility; 6] = [
    Visibility::Public,
    Visibility::Partner,
    Visibility::Internal,
    Visibility::Public,
    Visibility::Partner,
    Visibility::Public,
];

/// How many records of each kind each institution has been given a marking so far.
pub(super) struct Markings {
    seed: u64,
    mixed: bool,
    given: HashMap<(u64, Uuid), usize>,
}

impl Markings {
    /// Markings drawn from `seed`, mixed or all public.
    pub fn new(seed: u64, mixed: bool) -> Markings {
        Markings {
            seed,
            mixed,
            given: HashMap::new(),
        }
    }

    /// The marking of the next record of `kind` owned by `institution`.
    pub fn next(&mut self, kind: Stream, institution: Uuid) -> Visibility {
        if !self.mixed {
            return Visibility::Public;
        }
        let seed = self.seed;
        let given = self
            .given
            .entry((kind as u64, institution))
            .or_insert_with(|| {
                let place = [kind as usize, institution.as_u128() as usize];
                Draw::new(seed, Stream::Marking, &place).below(CYCLE.len())
            });
        let marking = CYCLE[*given % CYCLE.len()];
        *given += 1;
        marking
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_six_records_of_a_kind_at_an_institution_hold_every_level() {
        let ki = Uuid::from_u128(1);
        let kuh = Uuid::from_u128(2);
        let mut marks = Markings::new(7, true);
        for kind in [Stream::Unit, Stream::Trial] {
            for institution in [ki, kuh] {
                let six: Vec<Visibility> = (0..6).map(|_| marks.next(kind, institution)).collect();
                for level in [
                    Visibility::Public,
                    Visibility::Partner,
                    Visibility::Internal,
                ] {
                    assert!(six.contains(&level), "{kind:?} {institution}: {six:?}");
                }
            }
        }
    }

    #[test]
    fn without_the_flag_every_record_is_public() {
        let mut marks = Markings::new(7, false);
        assert!((0..12).all(|_| marks.next(Stream::Unit, Uuid::from_u128(1)) == Visibility::Public));
    }
}
