//! The command line: `serve` (the default), `migrate`, `seed`, `schema`, `generate`, `keys`,
//! `audit`.

mod keys;

use std::io::IsTerminal;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::app::{connect, open_store, App};
use crate::config::Config;
use crate::graphql::SchemaRole;
use crate::seed::{generate, GenerateOptions};

/// atmp-graph: one GraphQL API over the Karolinska ATMP Center's records at KI and KUH.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve GraphQL at /graphql and GraphiQL at / (the default).
    Serve,
    /// Run pending database migrations.
    Migrate,
    /// Migrate, then write the Karolinska ATMP Center dataset (insert or replace).
    Seed,
    /// Print the schema in GraphQL SDL (`atmp-graph schema > schema.graphql`); with `--role`,
    /// that role's (`atmp-graph schema --role partner > schema.partner.graphql`); with
    /// `--federation`, the subgraph SDL of `--role`, or else of `--subgraph-role`
    /// (`atmp-graph --federation schema > schema.subgraph.graphql`).
    Schema {
        /// The role whose schema to print: only the fields it may read.
        #[arg(long, value_enum)]
        role: Option<SchemaRole>,
    },
    /// Migrate, then add generated records (marked GENERATED) for benchmarks and tests: varied
    /// as real records are, and the same for the same options and seed.
    Generate {
        /// Units to generate, alternately KI's and KUH's, each with its cleanrooms, people, product,
        /// trial and milestone, and for some an accreditation.
        #[arg(long, default_value_t = GenerateOptions::default().units)]
        units: usize,
        /// Cleanrooms per generated unit.
        #[arg(long, default_value_t = GenerateOptions::default().cleanrooms_per_unit)]
        cleanrooms_per_unit: usize,
        /// People appointed per generated unit.
        #[arg(long, default_value_t = GenerateOptions::default().people_per_unit)]
        people_per_unit: usize,
        /// Seed of every value drawn: the same seed gives the same records.
        #[arg(long, default_value_t = GenerateOptions::default().seed)]
        seed: u64,
        /// Marks some generated records of each owned kind at each institution `PARTNER` and
        /// some `INTERNAL`, so that each role reads rows the others do not; without it every
        /// generated record is public.
        #[arg(long)]
        mixed_visibility: bool,
    },
    /// Migrate, then create, list, rate-limit, revoke or roll API keys (in `--keys-source`).
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// The audit log of changes to records.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

/// What `atmp-graph audit` does.
#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Checks every source's audit log: each row's hash over its fields and the row before it,
    /// no row missing, the last row where the head says. Prints each source's rows or its first
    /// break, and exits non-zero when a log is broken.
    Verify,
}

/// What is logged when `RUST_LOG` is unset: one `info` line per request, warnings and errors.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

/// Logs to stderr; `RUST_LOG` chooses what (default [`DEFAULT_LOG_FILTER`]). Colours only on
/// a terminal, so that log files hold plain text.
pub fn init_tracing() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    log_subscriber(filter, std::io::stderr().is_terminal(), std::io::stderr).init();
}

/// The server's log format, writing to `writer`: each line has its time, level, the spans it
/// was logged in with their fields (a request's ID, method, path and operation), and its own.
pub fn log_subscriber<W>(
    filter: EnvFilter,
    ansi: bool,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer)
        .finish()
}

impl Cli {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<()> {
        let config = self.config;
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => crate::http::serve(App::build(&config).await?, &config).await,
            Command::Migrate => {
                config.check()?;
                connect(&config)
                    .await?
                    .migrate()
                    .await
                    .context("could not migrate the database")?;
                tracing::info!("migrations are up to date");
                Ok(())
            }
            Command::Seed => {
                config.check()?;
                let store = open_store(&config).await?;
                crate::seed::seed(&store).await?;
                Ok(())
            }
            Command::Schema { role } => {
                let role = role.unwrap_or(if config.federation {
                    config.subgraph_role
                } else {
                    SchemaRole::Public
                });
                let schema = crate::graphql::build_role_schema(
                    config.request_limits(),
                    config.execution,
                    config.federation,
                    role.into(),
                );
                let sdl = crate::graphql::subgraph_sdl(&schema)
                    .unwrap_or_else(|| crate::graphql::sdl(&schema));
                print!("{sdl}");
                Ok(())
            }
            Command::Generate {
                units,
                cleanrooms_per_unit,
                people_per_unit,
                seed,
                mixed_visibility,
            } => {
                config.check()?;
                let store = open_store(&config).await?;
                let dataset = generate(GenerateOptions {
                    units,
                    cleanrooms_per_unit,
                    people_per_unit,
                    seed,
                    mixed_visibility,
                });
                store
                    .upsert(&dataset)
                    .await
                    .context("could not write the generated records")?;
                tracing::info!(units, seed, "generated records written");
                Ok(())
            }
            Command::Keys { command } => {
                config.check()?;
                let store = open_store(&config).await?;
                command.run(&store).await
            }
            Command::Audit {
                command: AuditCommand::Verify,
            } => {
                config.check()?;
                let store = connect(&config).await?;
                store
                    .migrate()
                    .await
                    .context("could not migrate the database")?;
                let (verified, broken) = store.verify_audit().await?;
                for source in &verified {
                    println!("{}: {} rows, the chain holds", source.source, source.rows);
                }
                for source in &broken {
                    println!(
                        "{}: BROKEN at row {}: {}",
                        source.source, source.seq, source.problem
                    );
                }
                if broken.is_empty() {
                    Ok(())
                } else {
                    anyhow::bail!("the audit log of {} source(s) is broken", broken.len())
                }
            }
        }
    }
}
