//! The rate limits' counters in Redis, shared by every replica that names the same Redis and
//! key prefix. Each charge is one round trip: a Lua script, atomic in Redis, runs the same
//! [`decide`](super::gcra::decide) as the counters in memory, on Redis's own clock (so the
//! replicas' clocks need not agree), and keeps each bucket's TAT under a key that expires when
//! the bucket is full again.
//!
//! While Redis does not answer, no request waits for it: the connection is dropped at the first
//! failure (or once a round trip outlasts the timeout), requests are counted in this process's
//! memory, and a task connects again every second in the background; the first failure and the
//! recovery are each logged once.

use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError, Script};
use tokio::sync::watch;

use super::gcra::{Charge, Verdict};
use super::Bucket;

/// How long to wait between attempts to connect while Redis does not answer.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// [`decide`](super::gcra::decide), line for line, on Redis's clock. KEYS[1]: the bucket's TAT
/// (microseconds); ARGV[1]: the charge's increment; ARGV[2]: its period. Returns whether the
/// charge was admitted, the TAT after it, and the time it was charged at. Every number stays
/// below 2^53, where Lua's numbers are exact.
const CHARGE: &str = r"
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or 0
if tat < now then tat = now end
local next_tat = tat + tonumber(ARGV[1])
if next_tat > now + tonumber(ARGV[2]) then
  return {0, tat, now}
end
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return {1, next_tat, now}
";

/// The counters in one Redis, and the connection to it while it answers.
pub(super) struct RedisCounters {
    /// The counters themselves, for the task that connects, which must not keep them alive.
    me: Weak<RedisCounters>,
    client: Client,
    /// The URL as logs show it (without a password).
    shown: String,
    prefix: String,
    timeout: Duration,
    script: Script,
    /// The connection, while Redis answers.
    connection: RwLock<Option<MultiplexedConnection>>,
    /// Whether the first attempt to connect has ended, either way.
    settled: watch::Sender<bool>,
}

impl RedisCounters {
    /// Counters in the Redis at `url`, under keys that start with `prefix`, each round trip
    /// waiting at most `timeout`; they connect in the background, from now.
    pub(super) fn start(
        url: &str,
        shown: String,
        prefix: String,
        timeout: Duration,
    ) -> Result<Arc<RedisCounters>, RedisError> {
        let client = Client::open(url)?;
        let counters = Arc::new_cyclic(|me| RedisCounters {
            me: me.clone(),
            client,
            shown,
            prefix,
            timeout,
            script: Script::new(CHARGE),
            connection: RwLock::new(None),
            settled: watch::channel(false).0,
        });
        counters.reconnect(true);
        Ok(counters)
    }

    /// Waits until the first attempt to connect has ended (it ends within the timeout).
    pub(super) async fn settled(&self) {
        let mut settled = self.settled.subscribe();
        // An error means the sender is gone, which it is not while `self` lives.
        let _ = settled.wait_for(|settled| *settled).await;
    }

    /// Whether Redis answered the last round trip.
    pub(super) fn answering(&self) -> bool {
        self.connection
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Charges `bucket` in Redis; `None` when Redis does not answer now (the caller counts in
    /// memory instead).
    pub(super) async fn charge(&self, bucket: &Bucket, charge: Charge) -> Option<Verdict> {
        let mut connection = self
            .connection
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        let answer: Result<(u8, u64, u64), RedisError> = self
            .script
            .key(bucket.redis_key(&self.prefix))
            .arg(charge.increment)
            .arg(charge.period)
            .invoke_async(&mut connection)
            .await;
        match answer {
            Ok((admitted, tat, now)) => Some(Verdict {
                admitted: admitted == 1,
                tat,
                now,
            }),
            Err(error) => {
                self.lost(&error);
                None
            }
        }
    }

    /// Drops the connection after `error`, and connects again in the background.
    fn lost(&self, error: &RedisError) {
        let dropped = self
            .connection
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .is_some();
        // Requests in flight on the same connection fail too: the first to fail logs it.
        if dropped {
            tracing::warn!(redis = %self.shown, %error, "rate limits: Redis does not answer: each process counts in its own memory until it does");
            self.reconnect(false);
        }
    }

    /// Connects in a task of its own, trying every second until Redis answers. `first`: the
    /// first attempt, which settles [`RedisCounters::settled`] and logs a failure.
    fn reconnect(&self, first: bool) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(redis = %self.shown, "rate limits: no runtime to connect to Redis in: each process counts in its own memory");
            self.settled.send_replace(true);
            return;
        };
        runtime.spawn(connect_until_answered(self.me.clone(), first));
    }
}

/// Connects to the counters' Redis, once a second, until it answers or the counters are gone.
/// `first`: the first attempt since the start; otherwise the loss was logged already.
async fn connect_until_answered(counters: Weak<RedisCounters>, first: bool) {
    // Whether an outage was logged, so that its end is logged too, and it only once.
    let mut failing = !first;
    loop {
        let Some(this) = counters.upgrade() else {
            return;
        };
        match this.connect().await {
            Ok(connection) => {
                *this
                    .connection
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Some(connection);
                this.settled.send_replace(true);
                if failing {
                    tracing::info!(redis = %this.shown, "rate limits: Redis answers again: counting in Redis");
                } else {
                    tracing::info!(redis = %this.shown, "rate limits: counting in Redis, shared by every replica that uses it");
                }
                return;
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(redis = %this.shown, %error, "rate limits: cannot reach Redis: each process counts in its own memory until it can");
                    failing = true;
                }
                this.settled.send_replace(true);
            }
        }
        drop(this);
        tokio::time::sleep(RECONNECT_EVERY).await;
    }
}

impl RedisCounters {
    /// A connection that has answered a `PING`, within the timeout.
    async fn connect(&self) -> Result<MultiplexedConnection, RedisError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let mut connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        redis::cmd("PING")
            .query_async::<()>(&mut connection)
            .await?;
        Ok(connection)
    }
}
