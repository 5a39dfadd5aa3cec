//! Workspace commands: `writ init`, `writ version ...`, `writ traces ...`,
//! and `writ runs ...`. Each opens the workspace through
//! `writ-store` and prints what it returns.

use crate::output::{progress_bar, GlobalArgs};
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_store::traces::ActionFilter;
use writ_store::versions::Committed;
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
    } else {
        Workspace::create(&path)?;
        println!("created workspace {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `writ version ...`.
#[derive(clap::Subcommand)]
pub enum VersionCommand {
    /// Store a project folder as a new version (nothing new when unchanged).
    Commit {
        /// The project folder.
        project: PathBuf,
        /// Why this version exists.
        #[arg(short, long)]
        message: String,
        /// Commit even when `writ check` reports errors.
        #[arg(long)]
        allow_errors: bool,
    },
    /// List versions, newest first.
    List,
    /// Show one version: metadata and files.
    Show {
        /// Version id or unique prefix.
        version: String,
    },
    /// Write a version's files into a new folder, byte for byte.
    Checkout {
        /// Version id or unique prefix.
        version: String,
        /// The folder to create.
        dir: PathBuf,
    },
}

/// Runs a version subcommand.
pub fn version(cmd: VersionCommand, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut ws = g.open()?;
    match cmd {
        VersionCommand::Commit {
            project,
            message,
            allow_errors,
        } => {
            let report =
                writ_core::project::check_project(&project, writ_core::project::today_utc());
            if report.error_count() > 0 && !allow_errors {
                for d in report.diagnostics.iter().filter(|d| d.is_error()) {
                    eprint!("{}", report.sources.render(d));
                }
                anyhow::bail!(
                    "{} has {} error(s); nothing was committed (fix them, or pass --allow-errors to keep a draft)",
                    project.display(),
                    report.error_count()
                );
            }
            let (files, _) = writ_core::project::ProjectFiles::read(&project);
            match ws.commit_version(&files, &g.actor(), &message)? {
                Committed::New(id) => println!("committed version {id}"),
                Committed::Unchanged(id) => {
                    println!("unchanged: the content is version {id}; nothing new was stored")
                }
            }
        }
        VersionCommand::List => {
            for v in ws.list_versions()? {
                println!(
                    "{}  {}  {:<20} {}",
                    &v.id[..12],
                    v.created_at,
                    v.author,
                    v.message
                );
            }
        }
        VersionCommand::Show { version } => {
            let v = ws.version(&version)?;
            println!("version  {}", v.id);
            println!("parent   {}", v.parent.as_deref().unwrap_or("(none)"));
            println!("author   {}", v.author);
            println!("created  {}", v.created_at);
            println!("message  {}", v.message);
            println!("files");
            for f in &v.files {
                println!("  {f}");
            }
        }
        VersionCommand::Checkout { version, dir } => {
            let id = ws.checkout_version(&version, &dir)?;
            println!("checked out version {id} into {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `writ traces ...`.
#[derive(clap::Subcommand)]
pub enum TracesCommand {
    /// Show the first records of a trace file as a mapping profile maps them (recorded item, action, record, Cedar request, problems), without importing.
    Preview(crate::preview::PreviewArgs),
    /// Import a trace file as a trace set (all of it or nothing): Writ's
    /// native traces or decision logs, OTLP/JSON, Tempo or Jaeger exports,
    /// MCP JSON-RPC logs or cassettes (see docs/trace-import.md).
    Import {
        /// The trace file.
        file: PathBuf,
        /// A name for the set (default: the file name).
        #[arg(long)]
        name: Option<String>,
        /// The file's format: auto (detected from its first bytes), native,
        /// decision-log, otlp, tempo, jaeger, mcp-jsonrpc or mcp-cassette.
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
        user_attributes: Vec<String>,
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
        /// Only this verdict in --run.
        #[arg(long)]
        verdict: Option<String>,
        /// The run whose verdicts to show and filter by.
        #[arg(long)]
        run: Option<i64>,
        /// Only at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Only before this time (RFC 3339).
        #[arg(long)]
        until: Option<String>,
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
fn import_options(
    format: &str,
    profile: Option<&str>,
    user_attributes: Vec<String>,
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
        read: writ_core::ingest::ReadOptions { user_attributes },
        mapping,
    })
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
        } => {
            let opts = import_options(&format, profile.as_deref(), user_attributes)?;
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
            let report = report?;
            crate::output::report_bad_lines(&file, &report.errors);
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
                    a.verdict.as_deref().unwrap_or("")
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
                    r.summary["actions"],
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
            let summary = summary_from_json(&r.summary)?;
            crate::replay::print_summary(&summary, &mut std::io::stdout())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a run's stored summary; one that does not fit is reported.
pub fn summary_from_json(
    v: &serde_json::Value,
) -> anyhow::Result<writ_core::summary::ReplaySummary> {
    serde_json::from_value(v.clone()).context("the run's stored summary is not readable")
}

/// Opens the workspace named by the global options.
pub fn open(path: &std::path::Path) -> anyhow::Result<Workspace> {
    Workspace::open(path).with_context(|| format!("cannot open workspace {}", path.display()))
}
