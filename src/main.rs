//! The `atmp-graph` binary: parse the command line, start logging, run the command.

use std::process::ExitCode;

use clap::Parser;

// Resolving a GraphQL response allocates many small values; mimalloc serves them faster than
// the system allocator and returns memory instead of fragmenting it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = atmp_graph::cli::Cli::parse();
    atmp_graph::cli::init_tracing();
    let outcome = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(cli.run()));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The whole chain of causes, one line, without a backtrace: this is for operators.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
