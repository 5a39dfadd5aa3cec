//! Shared output helpers: loading projects with rendered diagnostics,
//! writing result files atomically, and the progress bar.

use anyhow::{bail, Context as _};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use writ_core::project::{check_project, today_utc, Project};

/// Loads a project, printing its diagnostics to stderr; fails on errors.
pub fn load_project(dir: &Path) -> anyhow::Result<Project> {
    let report = check_project(dir, today_utc());
    let errors = report.error_count();
    for d in &report.diagnostics {
        if d.is_error() {
            eprint!("{}", report.sources.render(d));
        }
    }
    match report.project {
        Some(p) => Ok(p),
        None => bail!(
            "the project {} has {errors} error(s); fix them (see `writ check {}`) and run again",
            dir.display(),
            dir.display()
        ),
    }
}

/// A byte-based progress bar on a terminal; hidden when stderr is piped.
pub fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Opens a trace file for buffered reading, with its size.
pub fn open_trace(path: &Path) -> anyhow::Result<(std::io::BufReader<std::fs::File>, u64)> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open the trace {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((std::io::BufReader::with_capacity(1 << 16, file), size))
}

/// Prints malformed trace lines, located, to stderr.
pub fn report_bad_lines(trace: &Path, bad: &[writ_core::trace::LineError]) {
    for e in bad {
        eprintln!(
            "error[trace-line]: {}\n  --> {}:{}:{}\n  = help: fix or remove the line; the format is described in docs/trace-format.md",
            e.message,
            trace.display(),
            e.line,
            e.column
        );
    }
}
