//! `writ fmt PROJECT [--check]`.

use std::path::PathBuf;
use std::process::ExitCode;
use writ_core::diagnostic::SourceMap;
use writ_core::format::{format_project, write_formatted};

/// Arguments of `writ fmt`.
#[derive(clap::Args)]
pub struct Args {
    /// The project folder.
    project: PathBuf,
    /// Only report files that are not formatted; change nothing.
    #[arg(long)]
    check: bool,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files = match format_project(&args.project) {
        Ok(f) => f,
        Err(diags) => {
            let mut map = SourceMap::new();
            for d in &diags {
                if let Ok(t) = std::fs::read_to_string(&d.file) {
                    map.insert(d.file.clone(), t);
                }
                eprintln!("{}", map.render(d));
            }
            eprintln!("nothing was formatted: fix the errors above first");
            return Ok(ExitCode::from(1));
        }
    };
    let changed: Vec<_> = files.iter().filter(|f| f.changed).collect();
    if args.check {
        for f in &changed {
            println!("not formatted: {}", f.path.display());
        }
        return Ok(if changed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let n = write_formatted(&files)?;
    println!("formatted {n} of {} policy file(s)", files.len());
    Ok(ExitCode::SUCCESS)
}
