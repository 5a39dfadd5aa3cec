//! `writ`: check, format, replay, diff and test Cedar policy projects for AI
//! agents, headlessly. Every command is a thin layer over `writ-core`.

mod check;
mod diff;
mod fmt;
mod output;
mod replay;
mod test;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Writ: decide what AI agents may do, and prove what a policy change does.
#[derive(Parser)]
#[command(name = "writ", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and strictly validate a project: schema, policies and inventory.
    Check(check::Args),
    /// Format the project's policy files with Cedar's formatter.
    Fmt(fmt::Args),
    /// Decide every recorded action of a trace against a project.
    Replay(replay::Args),
    /// Compare two project versions by the decisions they make on a trace.
    Diff(diff::Args),
    /// Run scenario files and Cedar `run-tests` files.
    Test(test::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Replay(a) => replay::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Test(a) => test::run(a),
    };
    match result {
        Ok(code) => code,
        // A reader that stopped reading (`writ replay ... | head`) is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
