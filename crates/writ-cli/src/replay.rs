//! `writ replay --project DIR --traces FILE`.

use crate::output::{load_project, open_trace, progress_bar, report_bad_lines, GlobalArgs};
use anyhow::Context as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_core::atomic_file::PendingFile;
use writ_core::evaluate::{Evaluator, Verdict};
use writ_core::replay::{replay, ActionResult, ReplayOptions, ResultSink, SinkError, Tee};
use writ_core::summary::{result_json, ReplaySummary, VerdictCounts};

/// Arguments of `writ replay`.
#[derive(clap::Args)]
pub struct Args {
    /// The project folder, or `@<version>` stored in the workspace.
    #[arg(long, required_unless_present = "version")]
    project: Option<PathBuf>,
    /// Replay a stored version over a stored trace set (`--traces` names
    /// the set) and store the run in the workspace.
    #[arg(long, conflicts_with = "project")]
    version: Option<String>,
    /// The native trace (JSON Lines); with --version, a trace set's name or id.
    #[arg(long)]
    traces: PathBuf,
    /// Output format: a table with a summary, one JSON document, or one JSON line per action.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the per-action results here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Stop at the first malformed line.
    #[arg(long)]
    strict: bool,
    /// Replay even when some lines are malformed (they are still reported), and exit 0.
    #[arg(long)]
    allow_bad_lines: bool,
    /// Show only the summary, not every action (table format).
    #[arg(long)]
    summary_only: bool,
    /// Decide every action separately instead of reusing equal decisions (slower; for comparison).
    #[arg(long)]
    no_reuse: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Jsonl,
}

struct Writer<'a> {
    out: &'a mut (dyn Write + Send),
    format: Format,
    rows: bool,
    first: bool,
}

impl ResultSink for Writer<'_> {
    fn result(&mut self, r: &ActionResult) -> Result<(), SinkError> {
        match self.format {
            Format::Jsonl => writeln!(self.out, "{}", result_json(r, 0))?,
            Format::Json => {
                let sep = if self.first { "" } else { "," };
                write!(self.out, "{sep}\n    {}", result_json(r, 0))?;
            }
            Format::Table if self.rows => {
                let ev = &r.evaluations[0];
                let o = &ev.outcome;
                let why = if let Some(e) = &o.request_error {
                    e.clone()
                } else if !o.errors.is_empty() {
                    o.errors
                        .iter()
                        .map(|e| format!("{}: {}", e.policy, e.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                } else {
                    o.reasons
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                writeln!(
                    self.out,
                    "{:>6}  {:<22} {:<24} {:<6} {:<17} {}",
                    r.line,
                    clip(&ev.principal.id, 22),
                    clip(&r.record.action, 24),
                    o.decision.as_str(),
                    o.verdict.as_str(),
                    why
                )?;
            }
            Format::Table => {}
        }
        self.first = false;
        Ok(())
    }
}

/// `s` escaped for a terminal (see [`writ_core::display`]) and cut to `n`
/// characters.
fn clip(s: &str, n: usize) -> String {
    let s = writ_core::display::escaped(s);
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Runs the command.
pub fn run(args: Args, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let Some(project_dir) = &args.project else {
        return run_stored(&args, g);
    };
    let project = load_project(project_dir, g)?;
    let ev = Evaluator::from_project(project_dir.display().to_string(), &project);
    let (reader, size) = open_trace(&args.traces)?;
    let options = ReplayOptions {
        strict: args.strict,
        reuse: !args.no_reuse,
        ..ReplayOptions::default()
    };
    let to_file = args.out.is_some();
    let mut pending = match &args.out {
        Some(p) => {
            Some(PendingFile::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => None,
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout());
    let out: &mut (dyn Write + Send) = match pending.as_mut() {
        Some(p) => &mut p.writer,
        None => &mut stdout,
    };
    let rows = !args.summary_only;
    if args.format == Format::Table && rows {
        writeln!(
            out,
            "{:>6}  {:<22} {:<24} {:<6} {:<17} reasons / errors",
            "line", "agent", "action", "dec", "verdict"
        )?;
    }
    if args.format == Format::Json {
        write!(out, "{{\n  \"results\": [")?;
    }
    let mut summary = ReplaySummary::default();
    let bar = progress_bar(size);
    let stats = {
        let mut writer = Writer {
            out: &mut *out,
            format: args.format,
            rows,
            first: true,
        };
        let mut sink = Tee(vec![&mut writer, &mut summary]);
        let progress = |b: u64| bar.set_position(b);
        replay(reader, &[&ev], &options, &mut sink, &progress)
    };
    bar.finish_and_clear();
    let stats = match stats {
        Ok(s) => s,
        Err(writ_core::replay::ReplayError::Strict(e)) => {
            report_bad_lines(&args.traces, std::slice::from_ref(&e));
            eprintln!("stopped at the first malformed line (--strict); nothing was written");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    match args.format {
        Format::Json => {
            writeln!(
                out,
                "\n  ],\n  \"summary\": {},\n  \"stats\": {}\n}}",
                serde_json::to_string(&summary)?,
                serde_json::to_string(&stats)?
            )?;
        }
        Format::Jsonl => {}
        Format::Table => {
            // The summary follows the rows; when the rows go to a file it
            // is also shown on standard output.
            if to_file {
                print_summary(&summary, &mut std::io::stdout())?;
            }
            if !to_file || rows {
                print_summary(&summary, out)?;
            }
        }
    }
    out.flush()?;
    report_bad_lines(&args.traces, &summary.bad_lines);
    eprintln!(
        "replayed {} action(s) from {}: {} malformed line(s) skipped; {} distinct request(s) decided, {:.1}% of decisions reused",
        stats.actions,
        args.traces.display(),
        stats.bad_lines,
        stats.decided,
        stats.reuse_rate() * 100.0
    );
    if !summary.bad_lines.is_empty() && !args.allow_bad_lines {
        eprintln!("error: the trace has malformed lines; nothing was written (pass --allow-bad-lines to accept a partial replay)");
        return Ok(ExitCode::from(1));
    }
    if let Some(p) = pending {
        p.commit().with_context(|| {
            format!(
                "cannot write {}",
                args.out
                    .as_deref()
                    .unwrap_or(std::path::Path::new(""))
                    .display()
            )
        })?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Replays a stored version over a stored trace set and stores the run.
fn run_stored(args: &Args, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let Some(version) = &args.version else {
        anyhow::bail!("give --project DIR (or @VERSION), or --version V with a stored trace set");
    };
    let mut ws = g.open()?;
    let set = ws.trace_set(&args.traces.to_string_lossy())?;
    let bar = progress_bar(set.bytes.max(0) as u64);
    let run = ws.store_run(version, &set.id.to_string(), &g.actor(), &|b| {
        bar.set_position(b)
    });
    bar.finish_and_clear();
    let run = run?;
    if args.format == Format::Json {
        // The stored run as one JSON document (the summary as stored).
        let doc = serde_json::json!({
            "run": run.id,
            "version": run.version,
            "set": {"id": set.id, "name": set.name},
            "summary": run.summary,
            "stats": run.stats,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_summary(&run.summary, &mut std::io::stdout())?;
    println!(
        "\nstored run {} (version {}, trace set {} `{}`)",
        run.id,
        &run.version[..12],
        set.id,
        set.name
    );
    Ok(ExitCode::SUCCESS)
}

/// Untrusted text (ids, messages) escaped for a terminal.
pub(crate) fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    writ_core::display::escaped(s)
}

fn counts_row(name: &str, c: &VerdictCounts) -> String {
    let mut s = format!("  {:<40} {:>7}", clip(name, 40), c.total);
    for v in Verdict::ALL {
        s.push_str(&format!(" {:>9}", c.get(v)));
    }
    s
}

fn header(title: &str) -> String {
    let mut s = format!("  {:<40} {:>7}", title, "total");
    for v in ["allowed", "forbid", "no-permit", "step-up", "error"] {
        s.push_str(&format!(" {:>9}", v));
    }
    s
}

/// Prints the replay summary as text tables.
pub fn print_summary(s: &ReplaySummary, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "\nSummary: {} action(s)", s.actions)?;
    writeln!(out, "{}", header("verdicts"))?;
    writeln!(out, "{}", counts_row("all actions", &s.verdicts))?;
    writeln!(out, "\nBy agent\n{}", header("agent"))?;
    for (a, c) in &s.by_agent {
        writeln!(out, "{}", counts_row(a, c))?;
    }
    writeln!(out, "\nBy tool\n{}", header("tool"))?;
    for (t, c) in &s.by_tool {
        writeln!(out, "{}", counts_row(t, c))?;
    }
    writeln!(out, "\nDetermining policies")?;
    let mut by_policy: Vec<(&String, &u64)> = s.by_policy.iter().collect();
    by_policy.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (p, n) in by_policy {
        writeln!(out, "  {:<48} {:>7}", esc(p), n)?;
    }
    if !s.policy_errors.is_empty() {
        writeln!(out, "\nPolicies that failed to evaluate")?;
        for (p, n) in &s.policy_errors {
            writeln!(out, "  {:<48} {:>7}", esc(p), n)?;
        }
    }
    if !s.request_errors.is_empty() {
        writeln!(out, "\nActions whose request could not be built")?;
        for (m, n) in &s.request_errors {
            writeln!(out, "  {:>7}  {}", n, esc(m))?;
        }
    }
    writeln!(
        out,
        "\nShadow agents (identities no inventory entry claims): {}",
        s.shadow_agents.len()
    )?;
    for (a, n) in &s.shadow_agents {
        writeln!(out, "  {:<60} {:>7}", esc(a), n)?;
    }
    writeln!(
        out,
        "\nRecorded decisions that differ from the replay: {}",
        s.mismatches.len()
    )?;
    for m in &s.mismatches {
        writeln!(
            out,
            "  line {:>6}  {:<48} {:<24} recorded {:<5} replayed {}",
            m.line,
            clip(&m.agent, 48),
            clip(&m.action, 24),
            m.recorded.as_str(),
            m.replayed.as_str()
        )?;
    }
    Ok(())
}
