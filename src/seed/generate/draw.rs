//! Deterministic choices for the generator: SplitMix64 (Steele, Lea and Flood, 2014), written
//! out here so that a seed gives the same records whatever crate versions the build resolves.

/// The record kinds the generator draws for; each has a stream of its own.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stream {
    Unit = 1,
    Cleanroom,
    Person,
    Appointment,
    Product,
    Trial,
    Accreditation,
    Milestone,
    /// Where each kind's markings start, per institution ([`super::marking`]).
    Marking,
}

/// A stream of choices for one record, seeded by the generator's seed, the record's kind and
/// its place (unit number, then its number within the unit). A record's values depend on those
/// alone, not on how many records are generated around it.
pub(super) struct Draw(u64);

/// SplitMix64's increment: the golden ratio in 64 bits.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function: mixes every bit of `z` into every bit of the result.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Draw {
    /// The stream of the record of `stream` at `place`.
    pub fn new(seed: u64, stream: Stream, place: &[usize]) -> Draw {
        let start = place.iter().fold(mix(seed ^ stream as u64), |state, n| {
            mix(state.wrapping_add(GAMMA) ^ *n as u64)
        });
        Draw(start)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        mix(self.0)
    }

    /// A whole number in `0..n` (0 when `n` is 0), without modulo bias worth the name.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    /// A year (or any whole number) in `low..=high`.
    pub fn between(&mut self, low: i32, high: i32) -> i32 {
        let span = usize::try_from(high.saturating_sub(low)).unwrap_or(0) + 1;
        low.saturating_add(i32::try_from(self.below(span)).unwrap_or(0))
    }

    /// One of `items`, each as likely as the others.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        // Every list drawn from is a non-empty constant of this module's parent.
        items[self.below(items.len())]
    }

    /// One of `items`, each as likely as its weight says.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: usize = items.iter().map(|(_, weight)| *weight as usize).sum();
        let mut left = self.below(total);
        for (item, weight) in items {
            let weight = *weight as usize;
            if left < weight {
                return *item;
            }
            left -= weight;
        }
        items[items.len() - 1].0
    }

    /// `value` `percent` times in a hundred, else `None`: a nullable column at a chosen rate.
    pub fn sometimes<T>(&mut self, percent: u32, value: impl FnOnce(&mut Draw) -> T) -> Option<T> {
        self.chance(percent).then(|| value(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_place_give_the_same_choices_and_others_differ() {
        let choices = |seed, place: &[usize]| {
            let mut draw = Draw::new(seed, Stream::Unit, place);
            (0..8).map(|_| draw.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(choices(1, &[7, 2]), choices(1, &[7, 2]));
        assert_ne!(choices(1, &[7, 2]), choices(2, &[7, 2]));
        assert_ne!(choices(1, &[7, 2]), choices(1, &[2, 7]));
    }

    #[test]
    fn draws_stay_in_their_ranges_and_reach_both_ends() {
        let mut draw = Draw::new(3, Stream::Trial, &[0]);
        let years: Vec<i32> = (0..2000).map(|_| draw.between(2000, 2003)).collect();
        assert!(years.iter().all(|y| (2000..=2003).contains(y)));
        assert!(years.contains(&2000) && years.contains(&2003));
        let picks: Vec<char> = (0..2000)
            .map(|_| draw.weighted(&[('a', 1), ('b', 0), ('c', 3)]))
            .collect();
        assert!(!picks.contains(&'b'));
        assert!(picks.contains(&'a') && picks.contains(&'c'));
        assert_eq!(draw.below(0), 0);
    }
}
