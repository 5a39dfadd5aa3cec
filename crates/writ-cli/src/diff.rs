//! `writ diff --from DIR --to DIR --traces FILE`.

use crate::output::{load_project, open_trace, progress_bar, report_bad_lines, GlobalArgs};
use std::path::PathBuf;
use std::process::ExitCode;
use writ_core::diff::{
    inventory_diff, text_diff, ChangeCounts, ChangeFilter, ChangeKind, DecisionDiff, FailOn,
    TextChange,
};
use writ_core::evaluate::Evaluator;
use writ_core::replay::{replay, ReplayOptions};

/// Arguments of `writ diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The old version: a project folder or `@<version>`.
    #[arg(long, required_unless_present = "runs")]
    from: Option<PathBuf>,
    /// The new version: a project folder or `@<version>`.
    #[arg(long, required_unless_present = "runs")]
    to: Option<PathBuf>,
    /// The native trace both versions decide.
    #[arg(long, required_unless_present = "runs")]
    traces: Option<PathBuf>,
    /// Compare two stored runs over the same trace set, without deciding again.
    #[arg(long, num_args = 2, value_names = ["RUN_A", "RUN_B"], conflicts_with_all = ["from", "to", "traces"])]
    runs: Option<Vec<i64>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Exit 2 when this kind of change is present (a CI gate).
    #[arg(long, value_enum)]
    fail_on: Option<FailOnArg>,
    /// Stop at the first malformed line.
    #[arg(long)]
    strict: bool,
    /// List only this agent's changed actions (table output; counts stay whole).
    #[arg(long)]
    agent: Option<String>,
    /// List only the changed actions this policy determined, before or after
    /// (table output; counts stay whole).
    #[arg(long)]
    policy: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FailOnArg {
    /// Any action denied by the old version and allowed by the new one.
    AllowGained,
    /// Any change of decision or determining policies.
    AnyChange,
}

/// Runs the command.
pub fn run(args: Args, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let (Some(from_dir), Some(to_dir), Some(traces)) = (&args.from, &args.to, &args.traces) else {
        return run_stored(&args, g);
    };
    let from = load_project(from_dir, g)?;
    let to = load_project(to_dir, g)?;
    let a = Evaluator::from_project(from_dir.display().to_string(), &from);
    let b = Evaluator::from_project(to_dir.display().to_string(), &to);
    let (reader, size) = open_trace(traces)?;
    let options = ReplayOptions {
        strict: args.strict,
        ..ReplayOptions::default()
    };
    let mut diff = DecisionDiff::new();
    let bar = progress_bar(size);
    let result = replay(reader, &[&a, &b], &options, &mut diff, &|n| {
        bar.set_position(n)
    });
    bar.finish_and_clear();
    let stats = match result {
        Ok(s) => s,
        Err(writ_core::replay::ReplayError::Strict(e)) => {
            report_bad_lines(traces, std::slice::from_ref(&e));
            eprintln!("stopped at the first malformed line (--strict)");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let names = (from_dir.display().to_string(), to_dir.display().to_string());
    show(
        &args,
        &names,
        &diff,
        &from,
        &to,
        serde_json::to_value(&stats)?,
    )?;
    report_bad_lines(traces, &diff.bad_lines);
    if !diff.bad_lines.is_empty() {
        eprintln!(
            "error: the trace has {} malformed line(s); the comparison covers the other lines only",
            diff.bad_lines.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(gate(&args, &diff))
}

/// Prints a diff in the chosen format.
fn show(
    args: &Args,
    names: &(String, String),
    diff: &DecisionDiff,
    from: &writ_core::project::Project,
    to: &writ_core::project::Project,
    stats: serde_json::Value,
) -> anyhow::Result<()> {
    let texts = text_diff(from, to);
    let inventory = inventory_diff(from, to);
    match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "from": names.0,
                "to": names.1,
                "decisions": diff,
                "policies": texts,
                "inventory": inventory,
                "stats": stats,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Format::Table => {
            let filter = ChangeFilter {
                agent: args.agent.clone(),
                policy: args.policy.clone(),
            };
            print_table(names, diff, &filter, &texts, &inventory)
        }
    }
    Ok(())
}

/// Compares two stored runs.
fn run_stored(args: &Args, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let Some([a, b]) = args
        .runs
        .as_deref()
        .and_then(|r| <[i64; 2]>::try_from(r).ok())
    else {
        anyhow::bail!("give --from, --to and --traces, or --runs A B");
    };
    let ws = g.open()?;
    let diff = ws.diff_runs(a, b)?;
    let (ra, rb) = (ws.run(a)?, ws.run(b)?);
    let names = (
        format!("@{}", &ra.version[..12]),
        format!("@{}", &rb.version[..12]),
    );
    let from = load_project(std::path::Path::new(&names.0), g)?;
    let to = load_project(std::path::Path::new(&names.1), g)?;
    show(
        args,
        &names,
        &diff,
        &from,
        &to,
        serde_json::json!({"runs": [a, b], "set": ra.set}),
    )?;
    Ok(gate(args, &diff))
}

/// The exit code for `--fail-on`.
fn gate(args: &Args, diff: &DecisionDiff) -> ExitCode {
    let fail_on = args.fail_on.map(|f| match f {
        FailOnArg::AllowGained => FailOn::AllowGained,
        FailOnArg::AnyChange => FailOn::AnyChange,
    });
    if let Some(f) = fail_on {
        if diff.fails(f) {
            eprintln!(
                "diff gate failed: {} change(s), {} of them deny -> allow",
                diff.counts.total,
                diff.counts.get(ChangeKind::DenyToAllow)
            );
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn row(name: &str, c: &ChangeCounts) -> String {
    format!(
        "  {:<40} {:>7} {:>13} {:>13} {:>13}",
        crate::replay::esc(name),
        c.total,
        c.get(ChangeKind::AllowToDeny),
        c.get(ChangeKind::DenyToAllow),
        c.get(ChangeKind::SameDecisionOtherReasons)
    )
}

fn head(title: &str) -> String {
    format!(
        "  {:<40} {:>7} {:>13} {:>13} {:>13}",
        title, "changed", "allow->deny", "deny->allow", "other-reason"
    )
}

fn print_table(
    names: &(String, String),
    diff: &DecisionDiff,
    filter: &ChangeFilter,
    texts: &[writ_core::diff::TextDiffEntry],
    inv: &writ_core::diff::InventoryDiff,
) {
    println!(
        "Decision changes from {} to {} over {} action(s): {} changed, {} unchanged",
        names.0, names.1, diff.actions, diff.counts.total, diff.unchanged
    );
    println!("{}", head("all"));
    println!("{}", row("all actions", &diff.counts));
    println!("\nBy agent\n{}", head("agent"));
    for (a, c) in &diff.by_agent {
        println!("{}", row(a, c));
    }
    println!("\nBy tool\n{}", head("tool"));
    for (t, c) in &diff.by_tool {
        println!("{}", row(t, c));
    }
    println!("\nPolicies responsible (determining in changed actions), most first");
    println!("  {:<46} {:>7} {:>7}", "policy", "before", "after");
    for r in diff.responsible_ranked() {
        println!(
            "  {:<46} {:>7} {:>7}",
            crate::replay::esc(&r.policy),
            r.before,
            r.after
        );
    }
    let shown: Vec<_> = diff.changes.iter().filter(|c| filter.matches(c)).collect();
    let mut only = Vec::new();
    if let Some(a) = &filter.agent {
        only.push(format!("agent {}", crate::replay::esc(a)));
    }
    if let Some(p) = &filter.policy {
        only.push(format!("determined by {}", crate::replay::esc(p)));
    }
    if only.is_empty() {
        println!("\nChanged actions");
    } else {
        println!(
            "\nChanged actions ({}): {} of {}",
            only.join(", "),
            shown.len(),
            diff.changes.len()
        );
    }
    for c in shown {
        let join = |v: &[std::sync::Arc<str>]| {
            v.iter()
                .map(|s| crate::replay::esc(s).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "  line {:>6}  {:<22} {:<24} {:<30} {} [{}] -> {} [{}]  ({})",
            c.line,
            crate::replay::esc(&c.agent),
            crate::replay::esc(&c.action),
            crate::replay::esc(&c.resource),
            c.from.verdict.as_str(),
            join(&c.from.reasons),
            c.to.verdict.as_str(),
            join(&c.to.reasons),
            c.kind.as_str()
        );
    }
    println!("\nPolicy text changes: {}", texts.len());
    for t in texts {
        let what = match t.change {
            TextChange::Added => "added",
            TextChange::Removed => "removed",
            TextChange::Changed => "changed",
        };
        println!("\n=== {} ({what})\n{}", t.name, t.unified);
    }
    println!(
        "Inventory changes: agents added [{}], removed [{}], changed [{}]; tools added [{}], removed [{}]",
        inv.agents_added.join(", "),
        inv.agents_removed.join(", "),
        inv.agents_changed
            .iter()
            .map(|(a, attrs)| format!("{a}: {}", attrs.join("/")))
            .collect::<Vec<_>>()
            .join("; "),
        inv.tools_added.join(", "),
        inv.tools_removed.join(", ")
    );
}
