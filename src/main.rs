//! The `atmp-graph` binary: parse the command line, start logging, run the command.

use clap::Parser;

// Resolving a GraphQL response allocates many small values; mimalloc serves them faster than
// the system allocator and returns memory instead of fragmenting it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = atmp_graph::cli::Cli::parse();
    atmp_graph::cli::init_tracing();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(cli.run())
}
