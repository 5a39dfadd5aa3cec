//! Shared output helpers: loading projects with rendered diagnostics,
//! writing result files atomically, and the progress bar.

use anyhow::{bail, Context as _};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use writ_core::project::{check_project, today_utc, Project};

/// Options every command takes.
#[derive(clap::Args, Clone)]
pub struct GlobalArgs {
    /// The workspace file (versions, trace sets, runs, audit trail).
    #[arg(
        long,
        global = true,
        env = "WRIT_WORKSPACE",
        default_value = "workspace.writ"
    )]
    pub workspace: std::path::PathBuf,
    /// Who is acting, for the audit trail (default: $WRIT_USER, then $USER).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub actor: Option<String>,
}

impl GlobalArgs {
    /// The acting person, as `writ_store::Actor::from_env` decides it
    /// (`--as`, then `$WRIT_USER`, then `$USER`); `None` when none is set.
    pub fn acting(&self) -> Option<writ_store::Actor> {
        writ_store::Actor::from_env(self.actor.as_deref())
    }

    /// The acting person's name for the audit trail (`unknown` when no
    /// source names anyone).
    pub fn actor(&self) -> String {
        self.acting()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "unknown".into())
    }

    /// Opens the workspace.
    pub fn open(&self) -> anyhow::Result<writ_store::Workspace> {
        writ_store::Workspace::open(&self.workspace)
            .with_context(|| format!("cannot open workspace {}", self.workspace.display()))
    }
}

/// Checks a project given as a folder or as a stored version (`@<id>` in
/// the workspace); returns the report.
pub fn check_ref(
    reference: &Path,
    g: &GlobalArgs,
) -> anyhow::Result<writ_core::project::CheckReport> {
    let text = reference.to_string_lossy();
    if let Some(version) = text.strip_prefix('@') {
        Ok(g.open()?.check_version(version)?.report)
    } else {
        Ok(check_project(reference, today_utc()))
    }
}

/// Loads a project (a folder or `@<version>`), printing its errors to
/// stderr; fails when it has any.
pub fn load_project(dir: &Path, g: &GlobalArgs) -> anyhow::Result<Project> {
    let report = check_ref(dir, g)?;
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

/// Prints malformed native trace lines, located, to stderr.
pub fn report_bad_lines(trace: &Path, bad: &[writ_core::trace::LineError]) {
    report_bad_items(trace, writ_core::ingest::Format::Native, bad)
}

/// Prints the items of a trace in `format` that could not be read,
/// located, to stderr, pointing to the document of that format.
pub fn report_bad_items(
    trace: &Path,
    format: writ_core::ingest::Format,
    bad: &[writ_core::trace::LineError],
) {
    for e in bad {
        eprintln!(
            "error[trace-line]: {}\n  --> {}:{}:{}\n  = help: fix or remove the item; the {} format is described in {}",
            e.message,
            trace.display(),
            e.line,
            e.column,
            format.name(),
            format.doc()
        );
    }
}
