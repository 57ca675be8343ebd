//! The generic cell rate algorithm (GCRA), in whole microseconds, shared by the counters in
//! memory and the script in Redis (which runs [`decide`] line for line), so that both admit the
//! same requests and answer the same header values.
//!
//! A bucket keeps one number, its theoretical arrival time (TAT): when it would be empty again
//! had every cost been spread evenly over time. A quota of `q` cost units per period `P` makes
//! each unit cost `P / q` of time; a request of cost `c` moves the TAT `c × P / q` later, and
//! is admitted if the TAT then lies at most `P` after now. So the whole quota may be spent at
//! once, and it comes back evenly over the period.

use crate::domain::Quota;

/// Microseconds in a second.
const MICROS: u64 = 1_000_000;

/// What charging one request asks of its bucket, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Charge {
    /// How much later the request moves the bucket's TAT: its cost's share of the period,
    /// rounded to the nearest microsecond (no rate has more than one unit per microsecond).
    pub increment: u64,
    /// The period, which is also how far ahead of now the TAT may go.
    pub period: u64,
}

impl Charge {
    /// The charge of `cost` units under `quota`. A cost over the quota never fits.
    pub(super) fn new(cost: u64, quota: &Quota) -> Charge {
        let period = period_micros(quota);
        let increment = u128::from(cost)
            .saturating_mul(2 * u128::from(period))
            .saturating_add(u128::from(quota.cost()))
            / (2 * u128::from(quota.cost()));
        Charge {
            increment: u64::try_from(increment).unwrap_or(u64::MAX),
            period,
        }
    }
}

/// The period of `quota` in microseconds.
fn period_micros(quota: &Quota) -> u64 {
    quota.period().as_secs().saturating_mul(MICROS)
}

/// What a bucket said to a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Verdict {
    pub admitted: bool,
    /// The bucket's TAT after the charge: moved if admitted, as it was (or now, if earlier)
    /// if not.
    pub tat: u64,
    /// The time the bucket was charged at.
    pub now: u64,
}

/// Charges a bucket whose TAT is `stored` (0 for a bucket never charged) at `now`.
pub(super) fn decide(stored: u64, now: u64, charge: Charge) -> Verdict {
    let tat = stored.max(now);
    let next = tat.saturating_add(charge.increment);
    if next > now.saturating_add(charge.period) {
        return Verdict {
            admitted: false,
            tat,
            now,
        };
    }
    Verdict {
        admitted: true,
        tat: next,
        now,
    }
}

/// Where a caller stands after a charge, as the `RateLimit` header and `Retry-After` say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Standing {
    /// The largest cost a request could have now and be admitted.
    pub remaining: u64,
    /// Seconds until the whole quota is back (admitted), or until this request's cost would
    /// be admitted (refused), rounded up.
    pub reset: u64,
    /// For a refused request, the seconds until its cost would be admitted, rounded up (at
    /// least 1).
    pub retry_after: Option<u64>,
}

/// Where the caller stands after `verdict` on `charge` under `quota`.
pub(super) fn standing(verdict: Verdict, charge: Charge, quota: &Quota) -> Standing {
    let slack = verdict
        .now
        .saturating_add(charge.period)
        .saturating_sub(verdict.tat);
    let remaining = most_admitted(slack, charge.period, quota.cost());
    if verdict.admitted {
        return Standing {
            remaining,
            reset: seconds_up(verdict.tat.saturating_sub(verdict.now)),
            retry_after: None,
        };
    }
    let admitted_at = verdict
        .tat
        .saturating_add(charge.increment)
        .saturating_sub(charge.period);
    let retry_after = seconds_up(admitted_at.saturating_sub(verdict.now)).max(1);
    Standing {
        remaining,
        reset: retry_after,
        retry_after: Some(retry_after),
    }
}

/// The largest cost whose increment (rounded to the nearest microsecond, as [`Charge::new`]
/// rounds it) fits in `slack` microseconds: `⌊(2cP + q) / 2q⌋ ≤ slack` holds for every `c` below
/// `q(2·slack + 1) / 2P`, so the largest is `⌊(q(2·slack + 1) − 1) / 2P⌋`.
fn most_admitted(slack: u64, period: u64, quota: u64) -> u64 {
    let bound = (2 * u128::from(slack) + 1) * u128::from(quota);
    let most = bound.saturating_sub(1) / (2 * u128::from(period));
    u64::try_from(most).unwrap_or(u64::MAX).min(quota)
}

/// Microseconds as whole seconds, rounded up.
fn seconds_up(micros: u64) -> u64 {
    micros.div_ceil(MICROS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rate;

    fn quota(text: &str) -> Quota {
        match text.parse::<Rate>().unwrap() {
            Rate::Limit(quota) => quota,
            Rate::Off => panic!("{text} is off"),
        }
    }

    /// Charges `cost` to a bucket at `now`, as both counters do, and says where it stands.
    fn charge(tat: &mut u64, now: u64, cost: u64, quota: &Quota) -> Standing {
        let charge = Charge::new(cost, quota);
        let verdict = decide(*tat, now, charge);
        if verdict.admitted {
            *tat = verdict.tat;
        }
        standing(verdict, charge, quota)
    }

    fn admitted(remaining: u64, reset: u64) -> Standing {
        Standing {
            remaining,
            reset,
            retry_after: None,
        }
    }

    fn refused(remaining: u64, retry_after: u64) -> Standing {
        Standing {
            remaining,
            reset: retry_after,
            retry_after: Some(retry_after),
        }
    }

    const SECOND: u64 = 1_000_000;

    #[test]
    fn each_unit_costs_its_share_of_the_period() {
        let per_minute = quota("6000/1m");
        assert_eq!(
            Charge::new(60, &per_minute),
            Charge {
                increment: 600_000,
                period: 60 * SECOND
            }
        );
        // A third of a second per unit: 333 333.3 µs, to the nearest microsecond.
        assert_eq!(Charge::new(1, &quota("3/1s")).increment, 333_333);
        assert_eq!(Charge::new(2, &quota("3/1s")).increment, 666_667);
        assert_eq!(Charge::new(3, &quota("3/1s")).increment, SECOND);
    }

    #[test]
    fn the_whole_quota_may_be_spent_at_once_and_no_more() {
        let per_minute = quota("6000/1m");
        let mut tat = 0;
        let now = 100 * SECOND;

        assert_eq!(charge(&mut tat, now, 60, &per_minute), admitted(5940, 1));
        assert_eq!(charge(&mut tat, now, 5940, &per_minute), admitted(0, 60));
        // One more unit would come back after 10 ms: retry after a second.
        assert_eq!(charge(&mut tat, now, 1, &per_minute), refused(0, 1));
        assert_eq!(tat, now + 60 * SECOND, "a refusal charges nothing");
    }

    #[test]
    fn the_quota_comes_back_evenly_over_the_period() {
        let per_minute = quota("6000/1m");
        let mut tat = 0;
        let start = 100 * SECOND;
        assert_eq!(charge(&mut tat, start, 6000, &per_minute), admitted(0, 60));

        // After 15 s, a quarter is back; half a quota is 15 s away.
        let later = start + 15 * SECOND;
        assert_eq!(
            charge(&mut tat, later, 3000, &per_minute),
            refused(1500, 15)
        );
        assert_eq!(charge(&mut tat, later, 1500, &per_minute), admitted(0, 60));
        // A minute after the last charge, the whole quota is back.
        assert_eq!(
            charge(&mut tat, later + 60 * SECOND, 1, &per_minute),
            admitted(5999, 1)
        );
    }

    #[test]
    fn the_remaining_cost_is_admitted_exactly_under_rounding() {
        // 1/7 s per unit is no whole number of microseconds: each charge rounds, and the
        // remaining cost is still what the next request may cost.
        let sevenths = quota("7/1s");
        let mut tat = 0;
        let now = SECOND;
        assert_eq!(charge(&mut tat, now, 1, &sevenths), admitted(6, 1));
        assert_eq!(charge(&mut tat, now, 6, &sevenths), admitted(0, 1));
        assert_eq!(charge(&mut tat, now, 1, &sevenths), refused(0, 1));

        let thirds = quota("3/1s");
        let mut tat = 0;
        for left in [2, 1, 0] {
            assert_eq!(charge(&mut tat, now, 1, &thirds).remaining, left);
        }
        assert!(charge(&mut tat, now, 1, &thirds).retry_after.is_some());
    }

    #[test]
    fn a_refusal_says_when_its_cost_fits() {
        let hourly = quota("3600/1h");
        let mut tat = 0;
        let now = SECOND;
        charge(&mut tat, now, 3600, &hourly);

        // 100 units come back in 100 s; a charge 40 s later waits 60 s more.
        assert_eq!(
            charge(&mut tat, now + 40 * SECOND, 100, &hourly),
            refused(40, 60)
        );
        // A microsecond short of a whole second still waits that second.
        assert_eq!(
            charge(&mut tat, now + 99 * SECOND + 1, 100, &hourly),
            refused(99, 1)
        );
        assert_eq!(
            charge(&mut tat, now + 100 * SECOND, 100, &hourly),
            admitted(0, 3600)
        );
    }

    #[test]
    fn a_bucket_never_charged_or_long_idle_is_full() {
        let per_second = quota("10/1s");
        for stored in [0, SECOND] {
            let mut tat = stored;
            assert_eq!(
                charge(&mut tat, 50 * SECOND, 10, &per_second),
                admitted(0, 1),
                "TAT {stored}"
            );
        }
    }
}
