//! `writ traces preview|import|list|show`: trace sets stored in the
//! workspace (previewing needs none).

use crate::output::{progress_bar, GlobalArgs};
use std::path::PathBuf;
use std::process::ExitCode;
use writ_core::evaluate::Verdict;
use writ_core::ingest::AttributeKey;
use writ_store::traces::{ActionFilter, TimeBound};

/// `writ traces ...`.
#[derive(clap::Subcommand)]
pub enum TracesCommand {
    /// Show the first records of a trace file as a mapping profile maps them (recorded item, action, record, Cedar request, problems), without importing.
    Preview(crate::preview::PreviewArgs),
    /// Import a trace file as a trace set (all of it or nothing): Writ's
    /// native traces or decision logs, OTLP/JSON, Tempo or Jaeger exports,
    /// MCP JSON-RPC logs or cassettes, Claude Desktop MCP logs, ToolHive
    /// audit logs, Claude Code and Codex transcripts (see
    /// docs/trace-import.md).
    Import {
        /// The trace file.
        file: PathBuf,
        /// A name for the set (default: the file name).
        #[arg(long)]
        name: Option<String>,
        /// The file's format: auto (detected from its first bytes), native,
        /// decision-log, otlp, tempo, jaeger, mcp-jsonrpc, mcp-cassette,
        /// claude-mcp-log, toolhive-audit, claude-code or codex-exec.
        #[arg(long, default_value = "auto")]
        format: String,
        /// The mapping profile turning tool calls into requests: a built-in
        /// name or a TOML file (default: the plain mapping: the recorded
        /// agent, the tool as the action).
        #[arg(long)]
        profile: Option<String>,
        /// A span or resource attribute naming the user an agent acts for,
        /// tried after enduser.id and user.id (e.g. kagent.user_id); repeatable.
        #[arg(long = "user-attribute", value_name = "KEY")]
        user_attributes: Vec<AttributeKey>,
        /// Store the set even if no action could be read from the file
        /// (by default such an import fails and stores nothing).
        #[arg(long)]
        allow_empty: bool,
    },
    /// Make a new trace set from the tool calls an earlier import kept,
    /// mapped with another profile (and user attribute), without the file.
    Remap {
        /// The trace set (id or name) whose calls to map again.
        set: String,
        /// The mapping profile: a built-in name or a TOML file.
        #[arg(long)]
        profile: String,
        /// An attribute of each call naming the user, tried before the user
        /// found at import (e.g. kagent.user_id); repeatable.
        #[arg(long = "user-attribute", value_name = "KEY")]
        user_attributes: Vec<AttributeKey>,
        /// A name for the new set (default: `<set>-<profile>`).
        #[arg(long)]
        name: Option<String>,
        /// Show the first calls as the profile maps them (record, request,
        /// verdict against the newest version) and store nothing.
        #[arg(long)]
        preview: bool,
        /// How many calls --preview shows.
        #[arg(long, default_value_t = 5, requires = "preview")]
        limit: usize,
    },
    /// Remove a trace set; refused while a run, review round, suite or
    /// re-mapped set refers to it.
    Remove {
        /// Trace set id or name.
        set: String,
    },
    /// List trace sets.
    List,
    /// List a set's actions, filtered, a page at a time.
    Show {
        /// Trace set id or name.
        set: String,
        /// Only this recorded agent.
        #[arg(long)]
        agent: Option<String>,
        /// Only this tool.
        #[arg(long)]
        tool: Option<String>,
        /// Only this verdict in --run (allowed, denied_by_forbid, not_permitted, needs_step_up, error).
        #[arg(long)]
        verdict: Option<Verdict>,
        /// The run whose verdicts to show and filter by.
        #[arg(long)]
        run: Option<i64>,
        /// Only at or after this time (ISO 8601 in UTC: 2026-11-02 or 2026-11-02T06:00:00Z).
        #[arg(long)]
        since: Option<TimeBound>,
        /// Only before this time (ISO 8601 in UTC).
        #[arg(long)]
        until: Option<TimeBound>,
        /// Start after this line (the last line of the previous page).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Rows per page.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Also list the malformed lines reported at import.
        #[arg(long)]
        errors: bool,
    },
}

/// The import options for `--format`, `--profile` and `--user-attribute`.
pub(crate) fn import_options(
    format: &str,
    profile: Option<&str>,
    user_attributes: Vec<AttributeKey>,
) -> anyhow::Result<writ_store::traces::ImportOptions> {
    use writ_core::ingest::Format;
    let format = match format {
        "auto" => None,
        other => Some(Format::from_name(other).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown trace format `{other}`: use auto or one of {}",
                Format::names()
            )
        })?),
    };
    let mapping: Option<std::sync::Arc<dyn writ_core::ingest::Mapping>> = match profile {
        Some(p) => Some(std::sync::Arc::new(
            writ_core::ingest::profile::Profile::resolve(p)?,
        )),
        None => None,
    };
    Ok(writ_store::traces::ImportOptions {
        format,
        read: writ_core::ingest::ReadOptions {
            user_attributes: user_attributes.into_iter().map(String::from).collect(),
        },
        mapping,
        allow_empty: false,
    })
}

/// Says how many recorded calls an import kept for `writ traces remap`.
fn print_calls_kept(kept: &writ_store::traces::CallsKept) {
    if kept.calls > 0 {
        println!(
            "kept {} recorded tool call(s) for `writ traces remap` ({} in the workspace)",
            kept.calls,
            indicatif::HumanBytes(kept.bytes)
        );
    }
}

/// Runs a traces subcommand.
pub fn traces(cmd: TracesCommand, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    // Previewing needs no workspace (it uses one when it exists).
    let cmd = match cmd {
        TracesCommand::Preview(a) => return crate::preview::run(a, g),
        other => other,
    };
    let mut ws = g.open()?;
    match cmd {
        TracesCommand::Import {
            file,
            name,
            format,
            profile,
            user_attributes,
            allow_empty,
        } => {
            let mut opts = import_options(&format, profile.as_deref(), user_attributes)?;
            opts.allow_empty = allow_empty;
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            let bar = progress_bar(size);
            let never = std::sync::atomic::AtomicBool::new(false);
            let report = ws.import_traces_opts(
                &file,
                name.as_deref(),
                &g.actor(),
                &opts,
                &|p| bar.set_position(p.bytes),
                &never,
            );
            bar.finish_and_clear();
            let report = match report {
                Err(e @ writ_store::StoreError::NothingToImport { .. }) => {
                    anyhow::bail!(
                        "{}: {e}\n  = help: name the format with --format if it was detected wrongly, or keep an empty set with --allow-empty",
                        file.display()
                    )
                }
                other => other?,
            };
            crate::output::report_bad_items(&file, report.format, &report.errors);
            println!(
                "imported trace set {} `{}`: {} action(s), {} malformed line(s) reported and kept with the set",
                report.set.id, report.set.name, report.set.actions, report.set.bad_lines
            );
            let c = &report.counts;
            let skipped: u64 = c.skipped.values().sum();
            println!(
                "format {}: read {} item(s), {} action(s) extracted, {} skipped",
                report.format, c.read, c.actions, skipped
            );
            for (reason, n) in &c.skipped {
                println!("  skipped {n:>8}  {reason}");
            }
            print_calls_kept(&report.calls_kept);
        }
        TracesCommand::Remap {
            set,
            profile,
            user_attributes,
            name,
            preview,
            limit,
        } => {
            let resolved = writ_core::ingest::profile::Profile::resolve(&profile)?;
            let profile_name = resolved.name.clone();
            let opts = writ_store::traces::RemapOptions {
                mapping: std::sync::Arc::new(resolved),
                user_attributes: user_attributes.into_iter().map(String::from).collect(),
            };
            if preview {
                let ev = crate::preview::evaluator_for(None, None, g)?;
                let items = ws.preview_remap(&set, &opts, ev.as_ref().map(|(_, e)| e), limit)?;
                println!(
                    "the calls of trace set `{set}`, profile `{profile_name}`, {} (nothing stored)",
                    crate::preview::against(ev.as_ref().map(|(n, _)| n.as_str()))
                );
                crate::preview::print_items(&items);
                return Ok(ExitCode::SUCCESS);
            }
            let report = ws.remap_trace_set(&set, name.as_deref(), &g.actor(), &opts)?;
            for e in &report.errors {
                eprintln!(
                    "error[trace-call]: item {}: {}",
                    e.line,
                    crate::replay::esc(&e.message)
                );
            }
            println!(
                "trace set {} `{}`: {} action(s) mapped from {} recorded call(s) of `{}`, {} could not be mapped",
                report.set.id,
                report.set.name,
                report.set.actions,
                report.counts.read,
                set,
                report.set.bad_lines
            );
        }
        TracesCommand::Remove { set } => {
            let info = ws.trace_set(&set)?;
            ws.remove_trace_set(&set, &g.actor())?;
            println!(
                "removed trace set {} `{}` ({} action(s))",
                info.id, info.name, info.actions
            );
        }
        // Handled above, before the workspace is opened.
        TracesCommand::Preview(a) => return crate::preview::run(a, g),
        TracesCommand::List => {
            for s in ws.list_trace_sets()? {
                println!(
                    "{:>4}  {:<24} {:>9} actions {:>6} bad  {}  {}",
                    s.id,
                    s.name,
                    s.actions,
                    s.bad_lines,
                    s.imported_at,
                    &s.sha256[..12]
                );
            }
        }
        TracesCommand::Show {
            set,
            agent,
            tool,
            verdict,
            run,
            since,
            until,
            after,
            limit,
            errors,
        } => {
            let info = ws.trace_set(&set)?;
            let filter = ActionFilter {
                agent,
                tool,
                verdict,
                run,
                since,
                until,
            };
            let page = ws.list_actions(info.id, &filter, after, limit)?;
            for a in &page {
                println!(
                    "{:>7}  {}  {:<44} {:<24} {}",
                    a.line,
                    a.ts,
                    crate::replay::esc(&a.agent),
                    crate::replay::esc(&a.action),
                    a.verdict.map(Verdict::as_str).unwrap_or("")
                );
            }
            match page.last() {
                Some(last) if page.len() == limit => {
                    println!("(next page: --after {})", last.line)
                }
                _ => println!("(end)"),
            }
            if errors {
                for e in ws.trace_set_errors(info.id)? {
                    println!(
                        "line {}:{}: {}",
                        e.line,
                        e.column,
                        crate::replay::esc(&e.message)
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
