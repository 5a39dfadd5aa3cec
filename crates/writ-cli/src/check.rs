//! `writ check PROJECT`.

use crate::output::{check_ref, GlobalArgs};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `writ check`.
#[derive(clap::Args)]
pub struct Args {
    /// The project folder (schema.cedarschema, policies/, inventory.toml),
    /// or `@<version>` stored in the workspace.
    project: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Fail (exit 1) when there are warnings too, such as Cedar's
    /// "impossible policy" or "no applicable action" (for CI).
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Runs the command.
pub fn run(args: Args, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let report = check_ref(&args.project, g)?;
    match args.format {
        Format::Json => {
            let items: Vec<serde_json::Value> = report
                .diagnostics
                .iter()
                .map(|d| report.sources.to_json(d))
                .collect();
            println!("{}", serde_json::to_string_pretty(&items)?);
        }
        Format::Human => {
            for d in &report.diagnostics {
                eprintln!("{}", report.sources.render(d));
            }
            let (e, w) = (report.error_count(), report.warning_count());
            match &report.project {
                Some(p) if e == 0 => println!(
                    "{}: ok ({} policies, {} agents, {} tools, {} warning(s))",
                    args.project.display(),
                    p.policies.policies.len(),
                    p.inventory.agent.len(),
                    p.inventory.tool.len(),
                    w
                ),
                _ => println!("{}: {e} error(s), {w} warning(s)", args.project.display()),
            }
        }
    }
    let failed =
        report.error_count() > 0 || (args.deny_warnings && report.warning_count() > 0);
    if failed && report.error_count() == 0 && matches!(args.format, Format::Human) {
        eprintln!("failing because of --deny-warnings");
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
