//! `writ draft --traces SET|FILE --out DIR`: a first project drafted from
//! recorded traffic (see `writ_core::draft`), written whole into a new
//! folder, with the replay check that shows it grants what was executed and
//! no more.

use crate::output::{progress_bar, GlobalArgs};
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use writ_core::draft::{Limits, NextStep, Principals, Resources};
use writ_core::ingest::AttributeKey;
use writ_store::draft::SetDraft;

/// Arguments of `writ draft`.
#[derive(clap::Args)]
pub struct Args {
    /// A trace set stored in the workspace (name or id), or a trace file in
    /// any format `writ traces import` reads (an existing file wins).
    #[arg(long, value_name = "SET|FILE")]
    traces: String,
    /// The folder to write the project into (must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// For a file: the mapping profile (a built-in name or a TOML file).
    #[arg(long)]
    profile: Option<String>,
    /// For a file: its format (default: detected).
    #[arg(long, default_value = "auto")]
    format: String,
    /// For a file: the attribute naming the user (repeatable).
    #[arg(long = "user-attribute", value_name = "KEY")]
    user_attributes: Vec<AttributeKey>,
    /// Distinct resources of one type a permit lists before it leaves the
    /// resource open and is marked `@widened`.
    #[arg(long, default_value_t = 20, value_name = "N")]
    max_resources: usize,
    /// Principals of one type a permit lists before it leaves the principal
    /// open and is marked `@widened`.
    #[arg(long, default_value_t = 25, value_name = "N")]
    max_principals: usize,
    /// A tool to put behind a human approval whatever its name suggests (repeatable).
    #[arg(long = "step-up", value_name = "TOOL")]
    step_up: Vec<String>,
    /// A tool to grant outright although its name suggests a write (repeatable).
    #[arg(long = "plain", value_name = "TOOL")]
    plain: Vec<String>,
    /// Print the report and the check as JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Drafts from a stored set, or from a file imported into a throwaway
/// workspace (so the file is read exactly as `writ traces import` reads it).
fn drafted(args: &Args, limits: &Limits, g: &GlobalArgs) -> anyhow::Result<SetDraft> {
    let file = PathBuf::from(&args.traces);
    let bar = progress_bar(0);
    let progress = |b: u64| bar.set_position(b);
    let result = if file.is_file() {
        let scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
        let mut ws = writ_store::Workspace::create(&scratch.path().join("draft.writ"))?;
        let opts = crate::traces::import_options(
            &args.format,
            args.profile.as_deref(),
            args.user_attributes.clone(),
        )?;
        let never = std::sync::atomic::AtomicBool::new(false);
        let report = ws.import_traces_opts(&file, None, &g.actor(), &opts, &|_| {}, &never)?;
        crate::output::report_bad_items(&file, report.format, &report.errors);
        ws.draft_from_set(&report.set.name, limits, &progress)?
    } else {
        if args.profile.is_some() {
            anyhow::bail!(
                "--profile maps a file; `{}` is not a file, so it names a stored set, which was mapped when it was imported (re-map it with `writ traces remap`)",
                args.traces
            );
        }
        if !g.workspace.exists() {
            anyhow::bail!(
                "`{}` is not a file, and there is no workspace at {} to hold a trace set of that name; pass a trace file, or a set of an existing workspace (--workspace)",
                args.traces,
                g.workspace.display()
            );
        }
        g.open()?.draft_from_set(&args.traces, limits, &progress)?
    };
    bar.finish_and_clear();
    Ok(result)
}

/// A review note's next step, in the command line's words.
fn next_step(next: NextStep) -> &'static str {
    match next {
        NextStep::KeepOrMarkPlain => "keep the forbid, or grant the tool outright with --plain TOOL",
        NextStep::NarrowOrRaiseLimit => "list what it should cover, or raise --max-resources / --max-principals if the open scope is meant (`writ findings --project DIR --set SET` shows the unused grants)",
        NextStep::MapIdentity => "map it to a workload identity in a profile's [identities] and `writ traces remap` the set",
        NextStep::AddWorkloadIdentity => "add its SPIFFE ID or OIDC subject to the inventory",
    }
}

fn principals(p: &Principals) -> String {
    match p {
        Principals::Listed { ids, .. } => ids
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", "),
        Principals::AnyOf { entity_type, seen } => format!("any {entity_type} ({seen} seen)"),
    }
}

fn resources(r: &Resources, tool: &str) -> String {
    match r {
        Resources::Listed { entity_type, ids } if entity_type == "Tool" && ids == &[tool] => {
            "the tool".into()
        }
        Resources::Listed { entity_type, ids } => format!("{} {entity_type}", ids.len()),
        Resources::AnyOf { entity_type, seen } => format!("any {entity_type} ({seen} seen)"),
    }
}

fn print_text(d: &SetDraft, out: &std::path::Path) {
    let r = &d.draft.report;
    let agents = r.identities.iter().filter(|i| i.is_agent()).count();
    println!(
        "drafted {agents} agent(s), {} tool(s), {} permit(s) and {} step-up forbid(s) from {} ({} action(s)) into {}",
        r.tools.len(),
        r.grants.len(),
        r.step_ups.len(),
        r.source,
        r.actions,
        out.display()
    );
    for g in &r.grants {
        println!(
            "  permit  {:<28} {} → {} on {} ({} call(s)){}{}",
            g.id,
            principals(&g.principals),
            g.tool,
            resources(&g.resources, &g.tool),
            g.calls,
            if g.step_up { ", behind a step-up" } else { "" },
            g.widened
                .as_deref()
                .map(|w| format!(", WIDENED: {w}"))
                .unwrap_or_default()
        );
    }
    for s in &r.step_ups {
        println!("  step-up {:<28} {}", s.id, s.reason);
    }
    for n in &r.not_granted {
        println!(
            "  not granted: `{}` → {}: {} (line {})",
            n.identity,
            n.tool,
            n.reason,
            n.lines.first().copied().unwrap_or(0)
        );
    }
    for l in &r.left_out {
        println!("  left out: {l}");
    }
    let c = &d.check;
    println!(
        "replay check: {} action(s); {} executed call(s) inside plain grants, {} allowed; {} need a step-up; {} decision(s) outside what the draft states; {} by shadow identities; {} not judged (context Cedar cannot type or read)",
        c.actions,
        c.granted_calls,
        c.granted_allowed,
        c.needs_step_up,
        c.problem_count,
        c.shadow_actions,
        c.undecidable
    );
    for p in &c.problems {
        println!("  {p}");
    }
    if !r.findings.is_empty() {
        println!("to review ({}):", r.findings.len());
        for f in &r.findings {
            println!("  {:<18} {}; {}", f.code, f.message, next_step(f.next));
        }
    }
    println!(
        "next: set each agent's owner, team and risk tier (`writ findings --project {0}` lists them), then `writ version commit {0} -m \"...\"`",
        out.display()
    );
}

/// Runs the command.
pub fn run(args: Args, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let limits = Limits {
        max_resources: args.max_resources.max(1),
        max_principals: args.max_principals.max(1),
        step_up: args.step_up.iter().cloned().collect(),
        plain: args.plain.iter().cloned().collect(),
    };
    let both: Vec<&String> = args
        .step_up
        .iter()
        .filter(|t| args.plain.contains(t))
        .collect();
    if let Some(t) = both.first() {
        anyhow::bail!("`{t}` is given to both --step-up and --plain; choose one");
    }
    let d = drafted(&args, &limits, g)?;
    d.draft.write(&args.out)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "out": args.out,
                "report": d.draft.report,
                "check": d.check,
            }))?
        );
    } else {
        print_text(&d, &args.out);
    }
    if d.check.holds() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: replaying the trace against the draft gave {} decision(s) outside what it states; the draft is written for inspection, please report this with the trace",
            d.check.problem_count
        );
        Ok(ExitCode::from(1))
    }
}
