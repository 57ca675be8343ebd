//! Rate limits: each caller may spend so much cost (its queries' complexity) per period, by
//! the GCRA ([`gcra`]). A key is limited by its own rate if it has one, else by its role's
//! (`--rate-limit-partner`, `-staff`, `-admin`); the public by `--rate-limit-public`, per client
//! address. The counters live in Redis when one is configured, so that every replica shares
//! them, and in this process's memory otherwise (and while Redis does not answer).
//!
//! A request is charged once it is validated and before it runs (see `graphql::cost`): one
//! refused runs no statement, and is answered 429 with `Retry-After`. Every charged answer says
//! where the caller stands in the IETF draft's `RateLimit-Policy` and `RateLimit` fields.

mod gcra;
mod in_memory;
mod in_redis;

use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use uuid::Uuid;

use crate::config::{shown_url, Config};
use crate::domain::{Quota, Rate};
use crate::graphql::{ApiError, Meter};
use crate::store::{Caller, Role};
use gcra::{standing, Charge, Standing};
use in_memory::MemoryCounters;
use in_redis::RedisCounters;

/// `RateLimit-Policy`: the caller's quota and period.
pub(crate) const RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`: what is left of it, and when it is all back.
pub(crate) const RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Whose counter a request is charged to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Bucket {
    /// A caller with credentials, by its binding (a key's ID).
    Caller(Uuid),
    /// The public at one address (an IPv6 address's /64).
    Address(IpAddr),
    /// The public whose address is not known (a request made in process, as tests do).
    Public,
}

impl Bucket {
    /// The bucket's key in Redis.
    fn redis_key(&self, prefix: &str) -> String {
        match self {
            Bucket::Caller(id) => format!("{prefix}caller:{id}"),
            Bucket::Address(address) => format!("{prefix}address:{address}"),
            Bucket::Public => format!("{prefix}public"),
        }
    }
}

/// The rate a caller is limited by, and its name in the headers: its role's, or `key` for a
/// key's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Policy {
    name: &'static str,
    quota: Quota,
}

/// The rates of each role.
#[derive(Debug, Clone, Copy)]
struct Rates {
    public: Rate,
    partner: Rate,
    staff: Rate,
    steward: Rate,
    admin: Rate,
}

impl Rates {
    /// The policy `caller` is limited by, if any: its own rate, else its role's.
    fn policy(&self, caller: &Caller) -> Option<Policy> {
        let (name, rate) = match (caller.rate(), caller.role()) {
            (Some(rate), _) => ("key", rate),
            (None, Role::Public) => ("public", self.public),
            (None, Role::Partner) => ("partner", self.partner),
            (None, Role::Staff) => ("staff", self.staff),
            (None, Role::Steward) => ("steward", self.steward),
            (None, Role::Admin) => ("admin", self.admin),
        };
        match rate {
            Rate::Off => None,
            Rate::Limit(quota) => Some(Policy { name, quota }),
        }
    }
}

/// The rate limiter of one process: the rates, and the counters.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    rates: Rates,
    trusted_proxies: usize,
    memory: MemoryCounters,
    redis: Option<Arc<RedisCounters>>,
}

impl RateLimiter {
    /// The limiter `config` describes. With a Redis, it starts connecting in the background (a
    /// Redis URL that does not parse, which `Config::check` refuses, is logged and ignored).
    pub fn new(config: &Config) -> RateLimiter {
        let redis = config.rate_limit_redis.as_deref().and_then(|url| {
            let shown = shown_url(url);
            RedisCounters::start(
                url,
                shown.clone(),
                config.rate_limit_redis_prefix.clone(),
                Duration::from_millis(config.rate_limit_redis_timeout_ms),
            )
            .inspect_err(|error| {
                tracing::error!(redis = %shown, %error, "rate limits: not a Redis URL: each process counts in its own memory");
            })
            .ok()
        });
        RateLimiter {
            inner: Arc::new(Inner {
                rates: Rates {
                    public: config.rate_limit_public,
                    partner: config.rate_limit_partner,
                    staff: config.rate_limit_staff,
                    steward: config.rate_limit_steward,
                    admin: config.rate_limit_admin,
                },
                trusted_proxies: config.rate_limit_trusted_proxies,
                memory: MemoryCounters::new(),
                redis,
            }),
        }
    }

    /// Waits until the first attempt to connect to Redis has ended, if one is configured.
    pub async fn settled(&self) {
        if let Some(redis) = &self.inner.redis {
            redis.settled().await;
        }
    }

    /// Whether the counters are in Redis now: one is configured and answered last.
    pub fn counting_in_redis(&self) -> bool {
        self.inner
            .redis
            .as_ref()
            .is_some_and(|redis| redis.answering())
    }

    /// What a request of `caller`'s is charged to, if it is limited at all. `connected` is the
    /// address the request came from, when known.
    pub(crate) fn toll(
        &self,
        caller: &Caller,
        headers: &HeaderMap,
        connected: Option<SocketAddr>,
    ) -> Option<Arc<Toll>> {
        let policy = self.inner.rates.policy(caller)?;
        let bucket = match caller.binding() {
            Some(binding) => Bucket::Caller(binding),
            None => match self.client_address(headers, connected) {
                Some(address) => Bucket::Address(address),
                None => Bucket::Public,
            },
        };
        Some(Arc::new(Toll {
            limiter: self.clone(),
            bucket,
            policy,
            outcome: Mutex::new(None),
        }))
    }

    /// The public's address: from `X-Forwarded-For` behind trusted proxies, else the
    /// connection's; an IPv6 address stands for its /64, which one client usually holds whole.
    fn client_address(&self, headers: &HeaderMap, connected: Option<SocketAddr>) -> Option<IpAddr> {
        let forwarded = forwarded_for(headers, self.inner.trusted_proxies);
        forwarded
            .or(connected.map(|address| address.ip()))
            .map(network)
    }

    /// Charges `cost` to `bucket` under `policy`.
    async fn charge(&self, bucket: &Bucket, policy: &Policy, cost: u64) -> Outcome {
        // Every request counts, however little it asks.
        let cost = cost.max(1);
        if cost > policy.quota.cost() {
            return Outcome::OverQuota { cost };
        }
        let charge = Charge::new(cost, &policy.quota);
        let redis = match &self.inner.redis {
            Some(redis) => redis.charge(bucket, charge).await,
            None => None,
        };
        let verdict = redis.unwrap_or_else(|| self.inner.memory.charge(bucket, charge));
        let standing = standing(verdict, charge, &policy.quota);
        if verdict.admitted {
            Outcome::Charged(standing)
        } else {
            Outcome::Refused { cost, standing }
        }
    }
}

/// The client address `X-Forwarded-For` gives behind `proxies` trusted proxies: the one that
/// many places from its end (each proxy appends the address it was reached from), or its
/// first when it has fewer; `None` when no proxy is trusted, the header is absent, or that
/// place holds no address.
fn forwarded_for(headers: &HeaderMap, proxies: usize) -> Option<IpAddr> {
    if proxies == 0 {
        return None;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let hop = hops.get(hops.len().saturating_sub(proxies))?;
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|address| address.ip()))
}

/// The address a bucket is kept for: an IPv4 address (also one mapped into IPv6) as it is, an
/// IPv6 address as its /64.
fn network(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(
                u128::from(v6) & 0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
            )),
        },
    }
}

/// What charging a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Charged(Standing),
    /// Refused: `cost` is more than is left now.
    Refused {
        cost: u64,
        standing: Standing,
    },
    /// Refused: `cost` is more than the whole quota, and never fits.
    OverQuota {
        cost: u64,
    },
}

/// One request's charge: the caller's bucket and policy, and what charging came to. The
/// request's data holds it as its [`Meter`]; the handler reads the outcome for the answer's
/// status and headers.
pub(crate) struct Toll {
    limiter: RateLimiter,
    bucket: Bucket,
    policy: Policy,
    outcome: Mutex<Option<Outcome>>,
}

impl Meter for Toll {
    fn charge(&self, cost: u64) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + '_>> {
        Box::pin(async move {
            let outcome = self.limiter.charge(&self.bucket, &self.policy, cost).await;
            *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
            match outcome {
                Outcome::Charged(_) => Ok(()),
                Outcome::Refused { cost, standing } => Err(ApiError::RateLimited(format!(
                    "rate limit reached: this query costs {cost}, and {} of the {} rate limit's {} are left; try again in {} s (`Retry-After`)",
                    standing.remaining,
                    self.policy.name,
                    shown_quota(&self.policy.quota),
                    standing.retry_after.unwrap_or(standing.reset),
                ))),
                Outcome::OverQuota { cost } => Err(ApiError::RateLimited(format!(
                    "this query costs {cost}, more than the whole {} rate limit of {}: it can never run; ask for fewer fields or smaller pages",
                    self.policy.name,
                    shown_quota(&self.policy.quota),
                ))),
            }
        })
    }
}

impl Toll {
    /// Whether the request was refused for its rate.
    pub(crate) fn refused(&self) -> bool {
        matches!(
            *self.outcome.lock().unwrap_or_else(PoisonError::into_inner),
            Some(Outcome::Refused { .. } | Outcome::OverQuota { .. })
        )
    }

    /// Adds the rate limit's headers to an answer: `RateLimit-Policy` always, `RateLimit` once
    /// the request was charged or refused for what is left, and `Retry-After` then.
    pub(crate) fn write_headers(&self, headers: &mut HeaderMap) {
        let name = self.policy.name;
        let quota = &self.policy.quota;
        insert(
            headers,
            RATE_LIMIT_POLICY,
            format!(
                "\"{name}\";q={};w={}",
                quota.cost(),
                quota.period().as_secs()
            ),
        );
        let outcome = *self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        let standing = match outcome {
            Some(Outcome::Charged(standing) | Outcome::Refused { standing, .. }) => standing,
            Some(Outcome::OverQuota { .. }) | None => return,
        };
        insert(
            headers,
            RATE_LIMIT,
            format!("\"{name}\";r={};t={}", standing.remaining, standing.reset),
        );
        if let Some(seconds) = standing.retry_after {
            insert(
                headers,
                axum::http::header::RETRY_AFTER,
                seconds.to_string(),
            );
        }
    }
}

/// A quota as messages show it: `6000 cost units per 1m`.
fn shown_quota(quota: &Quota) -> String {
    let rate = Rate::Limit(*quota).to_string();
    let period = rate.split_once('/').map_or("", |(_, period)| period);
    format!("{} cost units per {period}", quota.cost())
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: String) {
    if let Ok(value) = HeaderValue::try_from(value) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn x_forwarded_for_is_read_only_behind_trusted_proxies() {
        let through_two = headers(&["203.0.113.9, 198.51.100.1", "10.0.0.2"]);
        for (headers, proxies, expected, what) in [
            (&through_two, 0, None, "no proxy trusted"),
            (&through_two, 1, Some("10.0.0.2"), "one proxy: the last hop"),
            (
                &through_two,
                2,
                Some("198.51.100.1"),
                "two: across header lines",
            ),
            (&through_two, 3, Some("203.0.113.9"), "three"),
            (
                &through_two,
                9,
                Some("203.0.113.9"),
                "fewer hops: the first",
            ),
            (&headers(&[]), 1, None, "no header"),
            (&headers(&["unknown"]), 1, None, "not an address"),
            (
                &headers(&["[2001:db8::1]:4711"]),
                1,
                Some("2001:db8::1"),
                "with a port",
            ),
        ] {
            assert_eq!(forwarded_for(headers, proxies), expected.map(ip), "{what}");
        }
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_bit_network() {
        assert_eq!(
            network(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(network(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(network(ip("192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn buckets_have_keys_of_their_own_in_redis() {
        assert_eq!(
            Bucket::Caller(Uuid::nil()).redis_key("p:"),
            "p:caller:00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(
            Bucket::Address(ip("192.0.2.7")).redis_key("p:"),
            "p:address:192.0.2.7"
        );
        assert_eq!(Bucket::Public.redis_key("p:"), "p:public");
    }

    #[test]
    fn a_quota_is_shown_in_cost_units_per_period() {
        let Ok(Rate::Limit(quota)) = "6000/1m".parse::<Rate>() else {
            panic!("a rate");
        };
        assert_eq!(shown_quota(&quota), "6000 cost units per 1m");
    }
}
