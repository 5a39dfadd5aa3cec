//! `writ init [PATH] [--sample]`: create a workspace, empty or filled with
//! the bundled sample organisation.

use crate::output::GlobalArgs;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_store::Workspace;

/// Arguments of `writ init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// The workspace file to create (default: the --workspace path).
    path: Option<PathBuf>,
    /// Fill it with the bundled sample organisation: both policy versions,
    /// the recorded trace, a replay run of each version, and the scenario
    /// suites of `scenarios/`.
    #[arg(long)]
    sample: bool,
}

/// `writ init`.
pub fn init(args: InitArgs, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let path = args.path.unwrap_or_else(|| g.workspace.clone());
    if args.sample {
        let s = writ_store::sample::create_sample(&path, &g.actor())?;
        println!(
            "created sample workspace {}: versions v1 {} and v2 {}, trace set {} (recorded), runs {} and {}, scenario suites {}",
            path.display(),
            &s.versions[0][..12],
            &s.versions[1][..12],
            s.set,
            s.runs[0],
            s.runs[1],
            s.suites.join(", ")
        );
        println!("demo approver keys (review steps are signed; pass one with --key or $WRIT_KEY):");
        for k in &s.keys {
            println!("  {:<6} {}", k.name, k.private.display());
        }
    } else {
        Workspace::create(&path)?;
        println!("created workspace {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
