//! Settings: command-line flags with environment fallbacks and defaults that run as they are.
//! Checked once at startup, with every problem reported together.

mod identity;
mod sources;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use identity::IdentityConfig;
pub use sources::{shown_url, SourceSpec};

use crate::domain::Rate;
use crate::graphql::{Execution, Limits, QueryLimits, RequestLimits, SchemaRole};
use crate::store::{PoolSettings, ONE_DATABASE};

/// The most `max-nesting` may be: async-graphql's parser refuses selection sets nested deeper.
const MAX_NESTING: usize = 64;

/// Settings for `atmp-graph serve` (and the database of every other command).
/// Every flag can also come from the environment.
#[derive(clap::Args, Debug, Clone)]
pub struct Config {
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://USER@HOST/DB`. The default is an
    /// embedded SQLite file in the working directory, created, migrated and seeded on first start.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://atmp.db?mode=rwc"
    )]
    pub database_url: String,

    /// A configuration file (TOML) listing the sources: `[[sources]]` with `url`,
    /// `institutions` and optionally `name` and `timeout_ms`, and a shared `source_timeout_ms`.
    #[arg(long = "config", env = "ATMP_CONFIG", value_name = "FILE")]
    pub config_file: Option<PathBuf>,

    /// A source: the codes of the institutions whose records it holds, `+` between them, and
    /// its database URL (`KI=postgres://…`, `KUH=sqlite://kuh.db?mode=rwc`). Repeat it for
    /// each source; with any source given (here or in `--config`), `--database-url` is unused.
    /// The environment variable takes them separated by spaces.
    #[arg(
        long = "source",
        env = "ATMP_SOURCES",
        value_name = "CODES=URL",
        value_delimiter = ' '
    )]
    pub sources: Vec<String>,

    /// The source that holds the API keys, by its name (as `/ready` shows it): by default the
    /// one database (`main`), or the first source configured.
    #[arg(long, env = "ATMP_KEYS_SOURCE", value_name = "SOURCE")]
    pub keys_source: Option<String>,

    /// Longest a read on one source may take, in milliseconds, when there are several: a slower
    /// source is answered as unavailable and the rest of the answer goes on without it.
    #[arg(long, env = "ATMP_SOURCE_TIMEOUT_MS", default_value_t = 5000)]
    pub source_timeout_ms: u64,

    /// How often each source is probed, in milliseconds: a source that does not answer is used
    /// again as soon as a probe is answered (until then its reads fail at once), and one that
    /// stops answering while nothing reads it is found so (`/ready` says what the probe found).
    #[arg(long, env = "ATMP_SOURCE_PROBE_INTERVAL_MS", default_value_t = 1000)]
    pub source_probe_interval_ms: u64,

    /// Address to listen on.
    #[arg(long, env = "ATMP_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    /// Database connections in the pool.
    #[arg(long, env = "ATMP_DB_CONNECTIONS", default_value_t = 16)]
    pub db_connections: u32,

    /// Longest wait for a database connection, in milliseconds, opening one included. While the
    /// database is down, reads fail with an internal error and `/ready` answers 503 after this.
    #[arg(long, env = "ATMP_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 5000)]
    pub db_acquire_timeout_ms: u64,

    /// Rows in a page when a client gives neither `first` nor `last`.
    #[arg(long, env = "ATMP_DEFAULT_PAGE_SIZE", default_value_t = 20)]
    pub default_page_size: u64,

    /// Largest page a client may request with `first` or `last`.
    #[arg(long, env = "ATMP_MAX_PAGE_SIZE", default_value_t = 100)]
    pub max_page_size: u64,

    /// Deepest nesting of selections a query may have.
    #[arg(long, env = "ATMP_MAX_DEPTH", default_value_t = 15)]
    pub max_depth: usize,

    /// Largest query complexity: each field counts 1, times the page size of its connection.
    #[arg(long, env = "ATMP_MAX_COMPLEXITY", default_value_t = 100_000)]
    pub max_complexity: usize,

    /// Deepest nesting of `{`, `[` and `(` in a query's text (and of arrays and objects in its
    /// `variables`), checked before the query is parsed.
    #[arg(long, env = "ATMP_MAX_NESTING", default_value_t = 64)]
    pub max_nesting: usize,

    /// Most tokens in a query's text (names, values, punctuation; not spaces, commas or comments).
    #[arg(long, env = "ATMP_MAX_TOKENS", default_value_t = 15_000)]
    pub max_tokens: usize,

    /// Most aliased fields in one selection set.
    #[arg(long, env = "ATMP_MAX_ALIASES", default_value_t = 50)]
    pub max_aliases: usize,

    /// Most fields at the root of an operation, fragments expanded.
    #[arg(long, env = "ATMP_MAX_ROOT_FIELDS", default_value_t = 30)]
    pub max_root_fields: usize,

    /// Most directives on one field, fragment spread or inline fragment.
    #[arg(long, env = "ATMP_MAX_DIRECTIVES", default_value_t = 5)]
    pub max_directives: usize,

    /// Most fields a query selects with its fragments expanded (each spread counts one too).
    #[arg(long, env = "ATMP_MAX_FIELDS", default_value_t = 2_000)]
    pub max_fields: usize,

    /// How fields are resolved: `planned` (each root field's selection planned, fetched level by
    /// level and rendered at once), or `field-by-field` (async-graphql's resolvers with a batching
    /// loader: the reference the planned path is tested against).
    #[arg(long, env = "ATMP_EXECUTION", value_enum, default_value_t = Execution::Planned)]
    pub execution: Execution,

    /// Also serve the schema as an Apollo Federation v2 subgraph: `@key(fields: "id")` on every
    /// `Node` type, `_service { sdl }` and `_entities`. Off by default.
    #[arg(
        long,
        env = "ATMP_FEDERATION",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub federation: bool,

    /// With `--federation`, the role whose schema the subgraph serves (`public`, `partner`,
    /// `staff` or `admin`): the role of the key the router composes its supergraph with and
    /// sends its requests with. Every request is served that one schema; the key the router
    /// forwards from its client (`Authorization`) decides the rows and cells, and a field the
    /// client's role may not read is null with a `FORBIDDEN` error. Ignored without
    /// `--federation`.
    #[arg(long, env = "ATMP_SUBGRAPH_ROLE", value_enum, default_value_t = SchemaRole::Public)]
    pub subgraph_role: SchemaRole,

    /// Checked and parsed queries kept, by their text, so a query sent again skips both (0: none).
    #[arg(long, env = "ATMP_DOCUMENT_CACHE_SIZE", default_value_t = 1_000)]
    pub document_cache_size: usize,

    /// Largest request body, in bytes.
    #[arg(long, env = "ATMP_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Longest time a request may take, in seconds.
    #[arg(long, env = "ATMP_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,

    /// Staff sign-in with the hospital's identity provider (`--jwt-…`).
    #[command(flatten)]
    pub identity: IdentityConfig,
    /// Rate limit of the public (requests with no key), per client address: the cost units
    /// (each query's complexity, as `max-complexity` counts it) it may spend per period, such
    /// as `6000/1m`, or `off`. The whole quota may be spent at once; it comes back evenly over
    /// the period (GCRA).
    #[arg(
        long,
        env = "ATMP_RATE_LIMIT_PUBLIC",
        value_name = "COST/PERIOD",
        default_value = "100000/1m"
    )]
    pub rate_limit_public: Rate,

    /// Rate limit of each partner's key (`COST/PERIOD` or `off`), unless the key has its own
    /// (`keys create --rate`).
    #[arg(
        long,
        env = "ATMP_RATE_LIMIT_PARTNER",
        value_name = "COST/PERIOD",
        default_value = "1000000/1m"
    )]
    pub rate_limit_partner: Rate,

    /// Rate limit of each staff key (`COST/PERIOD` or `off`), unless the key has its own.
    #[arg(
        long,
        env = "ATMP_RATE_LIMIT_STAFF",
        value_name = "COST/PERIOD",
        default_value = "1000000/1m"
    )]
    pub rate_limit_staff: Rate,

    /// Rate limit of each data steward's key (`COST/PERIOD` or `off`), unless the key has its
    /// own.
    #[arg(
        long,
        env = "ATMP_RATE_LIMIT_STEWARD",
        value_name = "COST/PERIOD",
        default_value = "1000000/1m"
    )]
    pub rate_limit_steward: Rate,

    /// Rate limit of each admin's key (`COST/PERIOD` or `off`), unless the key has its own.
    #[arg(
        long,
        env = "ATMP_RATE_LIMIT_ADMIN",
        value_name = "COST/PERIOD",
        default_value = "10000000/1m"
    )]
    pub rate_limit_admin: Rate,

    /// Redis that keeps the rate limits' counters (`redis://HOST:PORT/DB`), shared by every
    /// replica that names it. Without it, each process counts in its own memory; while it does
    /// not answer, each process counts in its own memory until it does again.
    #[arg(long, env = "ATMP_RATE_LIMIT_REDIS", value_name = "URL")]
    pub rate_limit_redis: Option<String>,

    /// What the rate limits' keys in Redis start with (replicas of one service share it).
    #[arg(
        long,
        env = "ATMP_RATE_LIMIT_REDIS_PREFIX",
        value_name = "PREFIX",
        default_value = "atmp:rate:"
    )]
    pub rate_limit_redis_prefix: String,

    /// Longest wait for Redis to answer a request's charge (or to connect), in milliseconds:
    /// past it the request is counted in memory, and Redis is tried again in the background.
    #[arg(long, env = "ATMP_RATE_LIMIT_REDIS_TIMEOUT_MS", default_value_t = 200)]
    pub rate_limit_redis_timeout_ms: u64,

    /// How many proxies (load balancers) in front of the service append the address they
    /// were reached from to `X-Forwarded-For`: the public's address is then the one that many
    /// places from the end of that list. 0 (the default) ignores the header, which any client
    /// can write, and takes the address of the connection.
    #[arg(long, env = "ATMP_RATE_LIMIT_TRUSTED_PROXIES", default_value_t = 0)]
    pub rate_limit_trusted_proxies: usize,
}

impl Config {
    /// Every problem with the settings, or none.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.max_page_size == 0 {
            problems.push("`max-page-size` must be at least 1".to_owned());
        }
        if self.default_page_size == 0 || self.default_page_size > self.max_page_size {
            problems.push(format!(
                "`default-page-size` must be from 1 to `max-page-size` ({})",
                self.max_page_size
            ));
        }
        if self.db_connections == 0 {
            problems.push("`db-connections` must be at least 1".to_owned());
        }
        if self.db_acquire_timeout_ms == 0 {
            problems.push("`db-acquire-timeout-ms` must be at least 1".to_owned());
        }
        for (name, value) in [
            ("max-depth", self.max_depth),
            ("max-complexity", self.max_complexity),
            ("max-nesting", self.max_nesting),
            ("max-tokens", self.max_tokens),
            ("max-root-fields", self.max_root_fields),
            ("max-fields", self.max_fields),
        ] {
            if value == 0 {
                problems.push(format!("`{name}` must be at least 1"));
            }
        }
        // Deeper documents would reach the parser's own recursion, and the stack's.
        if self.max_nesting > MAX_NESTING {
            problems.push(format!("`max-nesting` must be at most {MAX_NESTING}"));
        }
        if self.request_timeout_seconds == 0 {
            problems.push("`request-timeout-seconds` must be at least 1".to_owned());
        }
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres"))
        {
            problems.push(format!(
                "`database-url` must start with `sqlite:` or `postgres://`, not `{}`",
                self.database_url
            ));
        }
        if self.source_timeout_ms == 0 {
            problems.push("`source-timeout-ms` must be at least 1".to_owned());
        }
        if self.source_probe_interval_ms == 0 {
            problems.push("`source-probe-interval-ms` must be at least 1".to_owned());
        }
        problems.extend(self.rate_limit_problems());
        let configured = sources::read(self.config_file.as_deref(), &self.sources, &mut problems);
        problems.extend(sources::problems(
            &configured.sources,
            &known_institutions(),
        ));
        if let Some(keys) = &self.keys_source {
            let names: Vec<String> = if configured.sources.is_empty() {
                vec![ONE_DATABASE.to_owned()]
            } else {
                configured.sources.iter().map(SourceSpec::name).collect()
            };
            if !names.contains(keys) {
                problems.push(format!(
                    "`keys-source` names no source: `{keys}`; the sources are {}",
                    names.join(", ")
                ));
            }
        }
        problems.extend(self.identity.problems());
        problems
    }

    /// The sources configured, each with its timeout; empty when `--database-url` holds
    /// everything. Call after [`Config::check`].
    pub fn source_specs(&self) -> Vec<(SourceSpec, Duration)> {
        let mut ignored = Vec::new();
        let configured = sources::read(self.config_file.as_deref(), &self.sources, &mut ignored);
        let default_ms = configured.timeout_ms.unwrap_or(self.source_timeout_ms);
        configured
            .sources
            .into_iter()
            .map(|spec| {
                let timeout = spec.timeout(default_ms);
                (spec, timeout)
            })
            .collect()
    }

    /// Fails with every problem at once.
    pub fn check(&self) -> anyhow::Result<()> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid settings:\n  {}", problems.join("\n  "))
        }
    }

    /// What one request may ask.
    pub fn request_limits(&self) -> RequestLimits {
        RequestLimits {
            pages: Limits {
                default_page_size: self.default_page_size,
                max_page_size: self.max_page_size,
            },
            max_complexity: self.max_complexity,
            query: QueryLimits {
                max_nesting: self.max_nesting,
                max_tokens: self.max_tokens,
                max_depth: self.max_depth,
                max_aliases: self.max_aliases,
                max_root_fields: self.max_root_fields,
                max_directives: self.max_directives,
                max_fields: self.max_fields,
            },
        }
    }

    /// The problems of the rate limits' settings (their rates are checked as they are read).
    fn rate_limit_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(url) = &self.rate_limit_redis {
            if let Err(error) = redis::Client::open(url.as_str()) {
                problems.push(format!(
                    "`rate-limit-redis` is not a Redis URL (`redis://HOST:PORT/DB`): `{}`: {error}",
                    shown_url(url)
                ));
            }
        }
        if self.rate_limit_redis_prefix.is_empty() {
            problems.push("`rate-limit-redis-prefix` must not be empty".to_owned());
        }
        if self.rate_limit_redis_timeout_ms == 0 {
            problems.push("`rate-limit-redis-timeout-ms` must be at least 1".to_owned());
        }
        problems
    }

    /// How the database connection pool behaves.
    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.db_connections,
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms),
        }
    }

    /// How often each source is probed.
    pub fn source_probe_interval(&self) -> Duration {
        Duration::from_millis(self.source_probe_interval_ms)
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_seconds)
    }

    /// Settings for tests and tools: the command line's defaults (the environment ignored), on
    /// the given database. Read from the flags themselves, so that no default is typed twice.
    pub fn for_database(database_url: &str) -> Result<Self, clap::Error> {
        use clap::{Args, FromArgMatches};
        let command = Config::augment_args(clap::Command::new("atmp-graph"))
            .mut_args(|arg| arg.env(None::<&str>));
        let mut config = Config::from_arg_matches(&command.try_get_matches_from(["atmp-graph"])?)?;
        config.database_url = database_url.to_owned();
        Ok(config)
    }
}

impl Config {
    /// Under `--federation`, the role of the subgraph's schema; `None` without it (each role
    /// is served its own schema).
    pub fn subgraph(&self) -> Option<crate::store::Role> {
        self.federation.then(|| self.subgraph_role.into())
    }
}

/// The codes of the institutions the records belong to: the bundled dataset's.
fn known_institutions() -> Vec<String> {
    crate::seed::dataset()
        .map(|dataset| dataset.institutions.into_iter().map(|i| i.code).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut config = Config::for_database("mysql://x").unwrap();
        config.default_page_size = 500;
        config.db_connections = 0;
        assert_eq!(config.problems().len(), 3, "{:?}", config.problems());
        assert!(Config::for_database("sqlite::memory:")
            .unwrap()
            .problems()
            .is_empty());
    }

    #[test]
    fn the_timings_of_the_sources_must_be_usable() {
        let mut config = Config::for_database("sqlite::memory:").unwrap();
        config.source_timeout_ms = 0;
        config.source_probe_interval_ms = 0;
        config.db_acquire_timeout_ms = 0;
        assert_eq!(
            config.problems(),
            [
                "`db-acquire-timeout-ms` must be at least 1",
                "`source-timeout-ms` must be at least 1",
                "`source-probe-interval-ms` must be at least 1",
            ]
        );
        assert_eq!(
            Config::for_database("sqlite::memory:")
                .unwrap()
                .source_probe_interval(),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn the_keys_source_must_be_a_source() {
        let mut config = Config::for_database("sqlite::memory:").unwrap();
        config.keys_source = Some("main".to_owned());
        assert!(config.problems().is_empty(), "{:?}", config.problems());
        config.keys_source = Some("KI".to_owned());
        assert_eq!(
            config.problems(),
            ["`keys-source` names no source: `KI`; the sources are main"]
        );
        config.sources = vec![
            "KI=sqlite://ki.db?mode=rwc".to_owned(),
            "KUH=sqlite://kuh.db?mode=rwc".to_owned(),
        ];
        assert!(config.problems().is_empty(), "{:?}", config.problems());
        config.keys_source = Some("main".to_owned());
        assert_eq!(
            config.problems(),
            ["`keys-source` names no source: `main`; the sources are KI, KUH"]
        );
    }

    #[test]
    fn query_limits_must_be_usable() {
        let mut config = Config::for_database("sqlite::memory:").unwrap();
        config.max_nesting = 65;
        config.max_tokens = 0;
        config.max_fields = 0;
        assert_eq!(
            config.problems(),
            [
                "`max-tokens` must be at least 1",
                "`max-fields` must be at least 1",
                "`max-nesting` must be at most 64",
            ]
        );
    }
}
