//! `writ findings --project DIR|@VERSION [--traces FILE | --set NAME]`:
//! governance findings from the inventory and, when given, a trace.

use crate::output::{open_trace, progress_bar, report_bad_lines, GlobalArgs};
use anyhow::{bail, Context as _};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use writ_core::diagnostic::SourceMap;
use writ_core::findings::{
    counts, find, Finding, InventoryInput, Severity, TraceAggregate, TraceInput,
};
use writ_core::grants::GrantReview;
use writ_core::project::{today_utc, ProjectFiles};
use writ_core::trace::TraceLines;

/// Arguments of `writ findings`.
#[derive(clap::Args)]
pub struct Args {
    /// The project folder, or `@<version>` stored in the workspace.
    #[arg(long)]
    project: PathBuf,
    /// A native trace file (JSON Lines) to look at.
    #[arg(long, conflicts_with = "set")]
    traces: Option<PathBuf>,
    /// A trace set stored in the workspace (name or id) to look at.
    #[arg(long)]
    set: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Exit 2 when a finding of this severity or a more serious one exists
    /// (low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<String>,
    /// The date reviews are judged against (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    today: Option<String>,
    /// How many line numbers each finding lists.
    #[arg(long, default_value_t = 5, value_name = "N")]
    evidence: usize,
    /// Report even when the trace file has malformed lines (they are still listed).
    #[arg(long)]
    allow_bad_lines: bool,
    /// Leave out the unused grants (which replay the trace against the
    /// project's policies, twice).
    #[arg(long)]
    no_grants: bool,
    /// Write the project with the proposed narrowing applied into this new
    /// folder (for `writ diff` and review).
    #[arg(long, value_name = "DIR")]
    narrowed_out: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

/// The inventory of a project folder or stored version: (shown file, text).
fn read_inventory(project: &Path, g: &GlobalArgs) -> anyhow::Result<(String, String)> {
    let text = project.to_string_lossy();
    let files = if let Some(version) = text.strip_prefix('@') {
        let ws = g.open()?;
        ws.version_files(version)?.1
    } else {
        if !project.is_dir() {
            bail!(
                "{} is not a folder; pass the project folder that holds inventory.toml, or @VERSION",
                project.display()
            );
        }
        ProjectFiles::read(project).0
    };
    match files.inventory {
        Some(f) => Ok((f.shown.display().to_string(), f.text)),
        None => bail!(
            "{} has no inventory.toml; findings are drawn from the inventory (see docs/inventory.md)",
            project.display()
        ),
    }
}

fn parse_date(text: &str) -> anyhow::Result<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format)
        .with_context(|| format!("--today `{text}` is not a date such as 2026-11-30"))
}

/// Runs the command.
pub fn run(args: Args, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    // Checked here (not by clap) so that a bad value exits 1, not 2.
    let fail_on = match &args.fail_on {
        Some(text) => Some(
            text.parse::<Severity>()
                .map_err(|e| anyhow::anyhow!("--fail-on: {e}"))?,
        ),
        None => None,
    };
    let today = match &args.today {
        Some(t) => parse_date(t)?,
        None => today_utc(),
    };
    let (file, text) = read_inventory(&args.project, g)?;
    let (inventory, diags) = writ_core::inventory::load(Path::new(&file), &text, today);
    let Some(inventory) = inventory else {
        let mut sources = SourceMap::new();
        sources.insert(PathBuf::from(&file), text.clone());
        for d in diags.iter().filter(|d| d.is_error()) {
            eprint!("{}", sources.render(d));
        }
        bail!("the inventory {file} cannot be read; fix the errors above and run again");
    };
    let keep = args.evidence.max(1);
    let trace = match (&args.traces, &args.set) {
        (Some(path), _) => {
            let (reader, size) = open_trace(path)?;
            let bar = progress_bar(size);
            let agg =
                TraceAggregate::read(&mut TraceLines::new(reader), keep, &|b| bar.set_position(b))
                    .with_context(|| format!("cannot read the trace {}", path.display()));
            bar.finish_and_clear();
            let agg = agg?;
            if agg.bad_line_count > 0 {
                report_bad_lines(path, &agg.bad_lines);
                if agg.bad_line_count as usize > agg.bad_lines.len() {
                    eprintln!(
                        "... and {} more malformed line(s)",
                        agg.bad_line_count as usize - agg.bad_lines.len()
                    );
                }
                if !args.allow_bad_lines {
                    eprintln!("error: the trace has {} malformed line(s); no findings were reported (pass --allow-bad-lines to report on the rest)", agg.bad_line_count);
                    return Ok(ExitCode::from(1));
                }
            }
            Some((path.display().to_string(), agg))
        }
        (None, Some(set)) => {
            let ws = g.open()?;
            let info = ws.trace_set(set)?;
            let bar = progress_bar(info.bytes.max(0) as u64);
            let r = ws.trace_aggregate(set, keep, &|b| bar.set_position(b));
            bar.finish_and_clear();
            let (info, agg) = r?;
            Some((format!("trace set `{}`", info.name), agg))
        }
        (None, None) => None,
    };
    let mut findings = find(
        InventoryInput {
            inventory: &inventory,
            text: &text,
            file: &file,
        },
        trace
            .as_ref()
            .map(|(source, aggregate)| TraceInput { source, aggregate }),
        today,
    );
    let grants = match (&trace, args.no_grants) {
        (Some(_), false) => review_grants(&args, g)?,
        _ => None,
    };
    if let Some((project, review)) = &grants {
        findings.extend(review.findings(project));
        writ_core::findings::sort(&mut findings);
        if let Some(dir) = &args.narrowed_out {
            write_narrowed(dir, &review.narrowed_files)?;
        }
    } else if args.narrowed_out.is_some() {
        bail!("--narrowed-out needs a trace (--traces or --set) and the unused grants (no --no-grants)");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout());
    match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "inventory": file,
                "today": today.to_string(),
                "traces": trace.as_ref().map(|(source, agg)| serde_json::json!({
                    "source": source,
                    "actions": agg.actions,
                    "bad_lines": agg.bad_line_count,
                })),
                "counts": counts(&findings).into_iter().map(|(s, n)| (s.as_str().to_string(), serde_json::Value::from(n))).collect::<serde_json::Map<String, serde_json::Value>>(),
                "findings": findings,
                "grants": grants.as_ref().map(|(_, r)| r),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        Format::Table => {
            print_table(&mut out, &file, trace.as_ref(), today, &findings)?;
            if let Some((_, review)) = &grants {
                print_narrowing(&mut out, review, args.narrowed_out.as_deref())?;
            }
        }
    }
    out.flush()?;
    if let Some(threshold) = fail_on {
        let hits = findings.iter().filter(|f| f.severity >= threshold).count();
        if hits > 0 {
            eprintln!(
                "{hits} finding(s) at or above {} (--fail-on {})",
                threshold.as_str(),
                threshold.as_str()
            );
            return Ok(ExitCode::from(2));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(
    out: &mut dyn Write,
    file: &str,
    trace: Option<&(String, TraceAggregate)>,
    today: time::Date,
    findings: &[Finding],
) -> std::io::Result<()> {
    let c = counts(findings);
    let n = |s: Severity| c.get(&s).copied().unwrap_or(0);
    match trace {
        Some((source, agg)) => writeln!(
            out,
            "Findings for {file} and {} action(s) of {source} (reviews as of {today})",
            agg.actions
        )?,
        None => writeln!(
            out,
            "Findings for {file} (no trace given; reviews as of {today})"
        )?,
    }
    writeln!(
        out,
        "{} finding(s): {} critical, {} high, {} medium, {} low",
        findings.len(),
        n(Severity::Critical),
        n(Severity::High),
        n(Severity::Medium),
        n(Severity::Low)
    )?;
    for severity in Severity::DESCENDING {
        let group: Vec<&Finding> = findings.iter().filter(|f| f.severity == severity).collect();
        if group.is_empty() {
            continue;
        }
        writeln!(
            out,
            "\n{} ({})",
            severity.as_str().to_uppercase(),
            group.len()
        )?;
        for f in group {
            writeln!(
                out,
                "  {:<30} {}",
                f.code.as_str(),
                crate::replay::esc(&f.subject)
            )?;
            writeln!(out, "    {}", f.message)?;
            for e in &f.inventory {
                writeln!(out, "    at {}:{}:{}  {}", e.file, e.line, e.column, e.note)?;
            }
            if let Some(a) = &f.actions {
                let lines: Vec<String> = a.lines.iter().map(|l| l.to_string()).collect();
                let more = a.count.saturating_sub(a.lines.len() as u64);
                let rest = if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "    {} in {}: line{} {}{rest}",
                    if a.count == 1 {
                        "1 action".to_string()
                    } else {
                        format!("{} actions", a.count)
                    },
                    a.source,
                    if a.lines.len() == 1 { "" } else { "s" },
                    lines.join(", ")
                )?;
            }
        }
    }
    if findings.is_empty() {
        writeln!(out, "\nNo findings.")?;
    }
    Ok(())
}

/// The checked project of `--project` and its grant review over the trace;
/// `None` (with a note) when the project does not check.
fn review_grants(
    args: &Args,
    g: &GlobalArgs,
) -> anyhow::Result<Option<(writ_core::project::Project, GrantReview)>> {
    let report = crate::output::check_ref(&args.project, g)?;
    let Some(project) = report
        .project
        .filter(|_| report.diagnostics.iter().all(|d| !d.is_error()))
    else {
        eprintln!(
            "note: unused grants are not reported: {} has errors (see `writ check`)",
            args.project.display()
        );
        return Ok(None);
    };
    let review = match (&args.traces, &args.set) {
        (Some(path), _) => writ_core::grants::review(
            &project,
            || {
                open_trace(path)
                    .map(|(r, _)| TraceLines::new(r))
                    .map_err(|e| format!("{e:#}"))
            },
            &|_| {},
        )
        .with_context(|| format!("cannot replay {}", path.display()))?,
        (None, Some(set)) => g.open()?.grant_review(&project, set, &|_| {})?.1,
        (None, None) => return Ok(None),
    };
    Ok(Some((project, review)))
}

/// Writes the narrowed project's files into a new folder, whole.
fn write_narrowed(dir: &Path, files: &ProjectFiles) -> anyhow::Result<()> {
    Ok(writ_core::new_folder::write_new_folder(dir, files)?)
}

fn print_narrowing(
    out: &mut dyn Write,
    review: &GrantReview,
    written: Option<&Path>,
) -> std::io::Result<()> {
    if review.unused.is_empty() {
        writeln!(
            out,
            "\nNo unused grants: every agent x action pair the permits cover had an allow ({} pair(s) used).",
            review.used_pairs
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "\nProposed narrowing of {} permit(s) ({} unused grant(s), {} pair(s) used):",
        review.narrowings.len(),
        review.unused.len(),
        review.used_pairs
    )?;
    for n in &review.narrowings {
        let what = if n.proposed.is_empty() {
            "remove (it allowed nothing in the window)".to_string()
        } else {
            format!("keep {} pair(s), take away {}", n.keeps, n.removes)
        };
        writeln!(out, "  {:<36} {what}  ({})", n.policy, n.file)?;
    }
    for why in &review.not_narrowed {
        writeln!(out, "  not narrowed: {why}")?;
    }
    match (&review.check, &review.narrowed_errors) {
        (Some(c), _) => writeln!(
            out,
            "replay check of the narrowing: {} action(s), {} allowed before, {} after; {} allow(s) lost, {} gained{}",
            c.actions,
            c.allowed_before,
            c.allowed_after,
            c.lost,
            c.gained,
            if c.holds() { " (holds)" } else { " (DOES NOT HOLD)" }
        )?,
        (None, Some(e)) => writeln!(out, "the narrowed project does not check:\n{e}")?,
        (None, None) => {}
    }
    for e in review.check.iter().flat_map(|c| c.examples.iter()) {
        writeln!(out, "  {e}")?;
    }
    match written {
        Some(dir) => writeln!(
            out,
            "narrowed project written to {} (compare the two with `writ diff --from PROJECT --to {}`)",
            dir.display(),
            dir.display()
        )?,
        None => writeln!(
            out,
            "write the narrowed project with --narrowed-out DIR; --format json holds every proposal's text"
        )?,
    }
    Ok(())
}
