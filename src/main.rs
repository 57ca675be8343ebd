//! The `atmp-graph` binary: parse the command line, start logging, run the command.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = atmp_graph::cli::Cli::parse();
    atmp_graph::cli::init_tracing();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(cli.run())
}
