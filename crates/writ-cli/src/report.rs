//! `writ report V --out report.html`: the evidence report of a stored
//! version as one self-contained HTML file (see `writ_store::report`).

use crate::output::GlobalArgs;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_store::report::{render_html, ReportOptions};

/// `writ report V --out FILE [--traces SET] [--generated-at TIME]`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// The version (id or unique prefix).
    version: String,
    /// Where to write the HTML file.
    #[arg(long)]
    out: PathBuf,
    /// The trace set for the findings (name or id; default: the one the version's review used).
    #[arg(long)]
    traces: Option<String>,
    /// The time printed as generated-at (RFC 3339; default: the newest audit event's, so the same workspace gives the same bytes).
    #[arg(long)]
    generated_at: Option<String>,
}

/// Writes the report.
pub fn run(args: ReportArgs, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let ws = g.open()?;
    let data = ws.report_data(
        &args.version,
        &ReportOptions {
            traces: args.traces.as_deref(),
            generated_at: args.generated_at.as_deref(),
        },
    )?;
    let html = render_html(&data);
    writ_core::atomic_file::write_atomically(&args.out, html.as_bytes()).with_context(|| {
        format!(
            "cannot write the report to {}; check the folder exists and is writable",
            args.out.display()
        )
    })?;
    println!(
        "wrote the evidence report of version {} ({}, {} finding(s), {} suite(s), {} bundle(s)) to {}",
        &data.version.id[..12],
        data.status.state.as_str(),
        data.findings.len(),
        data.suites.len(),
        data.bundles.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
