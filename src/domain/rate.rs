//! A rate limit, as the settings and `keys create --rate` write it: `COST/PERIOD`, the cost units
//! (a query's complexity) a caller may spend per period, such as `6000/1m`, or `off`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The longest period a rate may have.
pub const MAX_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);

/// A rate limit, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rate {
    /// No limit.
    Off,
    /// At most this much cost per period.
    Limit(Quota),
}

/// `cost` units per `period`: the whole quota may be spent at once, and it comes back evenly
/// over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// Cost units per period, at least 1.
    cost: u64,
    /// Whole seconds, from 1 s to [`MAX_PERIOD`].
    period: Duration,
}

/// Why a text is not a rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRate {
    /// Not `COST/PERIOD` nor `off`.
    #[error("`{0}` is not a rate: write `COST/PERIOD`, such as `6000/1m` (cost units per minute), or `off`")]
    Format(String),
    /// The cost is not a whole number of at least 1.
    #[error("the cost of `{0}` must be a whole number of at least 1")]
    Cost(String),
    /// The period is not a duration of whole seconds from 1 s to a day.
    #[error("the period of `{0}` must be whole seconds from 1s to 1d, such as `1s`, `90s`, `1m`, `1h` or `1d`")]
    Period(String),
    /// More than one cost unit per microsecond: finer than the counters keep time.
    #[error(
        "`{0}` is over 1 cost unit per microsecond (1000000/1s), finer than the counters keep time"
    )]
    TooFine(String),
}

impl Quota {
    /// The quota of `cost` units per `period`, if both are in range.
    pub fn new(cost: u64, period: Duration) -> Option<Quota> {
        let whole = period.subsec_nanos() == 0;
        let fine = u128::from(cost) <= period.as_micros();
        (cost >= 1 && whole && period >= Duration::from_secs(1) && period <= MAX_PERIOD && fine)
            .then_some(Quota { cost, period })
    }

    /// Cost units per period.
    pub fn cost(&self) -> u64 {
        self.cost
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }
}

impl FromStr for Rate {
    type Err = InvalidRate;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(Rate::Off);
        }
        let Some((cost, period)) = text.split_once('/') else {
            return Err(InvalidRate::Format(text.to_owned()));
        };
        let cost: u64 = cost
            .trim()
            .parse()
            .ok()
            .filter(|cost| *cost >= 1)
            .ok_or_else(|| InvalidRate::Cost(text.to_owned()))?;
        let period = humantime::parse_duration(period.trim())
            .ok()
            .filter(|period| {
                period.subsec_nanos() == 0
                    && *period >= Duration::from_secs(1)
                    && *period <= MAX_PERIOD
            })
            .ok_or_else(|| InvalidRate::Period(text.to_owned()))?;
        Quota::new(cost, period)
            .map(Rate::Limit)
            .ok_or_else(|| InvalidRate::TooFine(text.to_owned()))
    }
}

impl fmt::Display for Rate {
    /// `off`, or `COST/PERIOD` with the period in the largest whole unit (`1m`, `90s`, `2h`),
    /// which reads back as the same rate.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Off => f.write_str("off"),
            Rate::Limit(quota) => {
                let seconds = quota.period.as_secs();
                let (count, unit) = [(86_400, "d"), (3_600, "h"), (60, "m")]
                    .into_iter()
                    .find(|(size, _)| seconds % size == 0)
                    .map_or((seconds, "s"), |(size, unit)| (seconds / size, unit));
                write!(f, "{}/{count}{unit}", quota.cost)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_is_cost_per_period_or_off_and_reads_back_as_written() {
        for (text, cost, seconds, shown) in [
            ("6000/1m", 6000, 60, "6000/1m"),
            (" 20 / 1s ", 20, 1, "20/1s"),
            ("100/90s", 100, 90, "100/90s"),
            ("1/2h", 1, 7200, "1/2h"),
            ("5/60m", 5, 3600, "5/1h"),
            ("1000000/1s", 1_000_000, 1, "1000000/1s"),
            ("7/1d", 7, 86_400, "7/1d"),
        ] {
            let rate: Rate = text.parse().unwrap();
            let Rate::Limit(quota) = rate else {
                panic!("{text} is a limit");
            };
            assert_eq!(
                (quota.cost(), quota.period()),
                (cost, Duration::from_secs(seconds)),
                "{text}"
            );
            assert_eq!(rate.to_string(), shown, "{text}");
            assert_eq!(shown.parse::<Rate>(), Ok(rate), "{text}");
        }
        assert_eq!("off".parse::<Rate>(), Ok(Rate::Off));
        assert_eq!("OFF".parse::<Rate>(), Ok(Rate::Off));
        assert_eq!(Rate::Off.to_string(), "off");
    }

    #[test]
    fn a_bad_rate_says_what_is_wrong() {
        for (text, expected) in [
            ("", InvalidRate::Format(String::new())),
            ("6000", InvalidRate::Format("6000".to_owned())),
            ("none", InvalidRate::Format("none".to_owned())),
            ("0/1m", InvalidRate::Cost("0/1m".to_owned())),
            ("-5/1m", InvalidRate::Cost("-5/1m".to_owned())),
            ("1.5/1m", InvalidRate::Cost("1.5/1m".to_owned())),
            ("x/1m", InvalidRate::Cost("x/1m".to_owned())),
            ("10/", InvalidRate::Period("10/".to_owned())),
            ("10/m", InvalidRate::Period("10/m".to_owned())),
            ("10/500ms", InvalidRate::Period("10/500ms".to_owned())),
            ("10/1500ms", InvalidRate::Period("10/1500ms".to_owned())),
            ("10/0s", InvalidRate::Period("10/0s".to_owned())),
            ("10/2d", InvalidRate::Period("10/2d".to_owned())),
            ("1000001/1s", InvalidRate::TooFine("1000001/1s".to_owned())),
        ] {
            assert_eq!(text.parse::<Rate>(), Err(expected), "{text:?}");
        }
        assert_eq!(
            "6000".parse::<Rate>().unwrap_err().to_string(),
            "`6000` is not a rate: write `COST/PERIOD`, such as `6000/1m` (cost units per minute), or `off`"
        );
    }
}
