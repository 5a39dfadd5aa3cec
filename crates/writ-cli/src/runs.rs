//! `writ runs list|show`: replay runs stored in the workspace.

use crate::output::GlobalArgs;
use std::process::ExitCode;

/// `writ runs ...`.
#[derive(clap::Subcommand)]
pub enum RunsCommand {
    /// List stored replay runs.
    List,
    /// Show one run's summary.
    Show {
        /// Run id.
        run: i64,
    },
}

/// Runs a runs subcommand.
pub fn runs(cmd: RunsCommand, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let ws = g.open()?;
    match cmd {
        RunsCommand::List => {
            for r in ws.list_runs()? {
                println!(
                    "{:>4}  version {}  set {:>3}  {} -> {}  {} action(s)  by {}",
                    r.id,
                    &r.version[..12.min(r.version.len())],
                    r.set,
                    r.started_at,
                    r.finished_at,
                    r.summary.actions,
                    r.actor
                );
            }
        }
        RunsCommand::Show { run } => {
            let r = ws.run(run)?;
            println!(
                "run {} of version {} over trace set {}",
                r.id, r.version, r.set
            );
            println!(
                "started {}  finished {}  by {}",
                r.started_at, r.finished_at, r.actor
            );
            crate::replay::print_summary(&r.summary, &mut std::io::stdout())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
