//! `writ review V`, `writ approve V`, `writ reject V`: four-eyes approval
//! of stored versions (see `writ_store::approvals`).

use crate::output::GlobalArgs;
use crate::signer::{signer, typed_name, KeyArg};
use std::process::ExitCode;
use writ_store::approvals::{
    Evidence, ReviewAction, ReviewOptions, ReviewReport, ReviewRound, ReviewState, VersionStatus,
};

/// How `writ review` prints.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable text.
    Text,
    /// The review report as one JSON document.
    Json,
}

/// `writ review V [--traces SET] [--resubmit]`.
#[derive(clap::Args)]
pub struct ReviewArgs {
    /// The version (id or unique prefix).
    version: String,
    /// The trace set to replay and diff on (name or id; default: the newest).
    #[arg(long)]
    traces: Option<String>,
    /// Submit a rejected version again, as a new review round.
    #[arg(long)]
    resubmit: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    key: KeyArg,
}

/// `writ approve V --key FILE [--comment TEXT]`.
#[derive(clap::Args)]
pub struct ApproveArgs {
    /// The version (id or unique prefix).
    version: String,
    /// Why, for the record.
    #[arg(long)]
    comment: Option<String>,
    #[command(flatten)]
    key: KeyArg,
}

/// `writ reject V --key FILE --comment TEXT`.
#[derive(clap::Args)]
pub struct RejectArgs {
    /// The version (id or unique prefix).
    version: String,
    /// Why it is rejected (required).
    #[arg(long)]
    comment: String,
    #[command(flatten)]
    key: KeyArg,
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// `writ review`: exit 0, or 1 when the version is in review but its
/// evidence blocks approval (a failing suite, stale evidence).
pub fn review(a: ReviewArgs, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut ws = g.open()?;
    // Showing a history needs no name; submitting does (the store says so).
    let key = a.key.load()?;
    let who = typed_name(g);
    let bar = crate::output::progress_bar(0);
    let report = ws.review(
        a.version.trim_start_matches('@'),
        ReviewOptions {
            traces: a.traces.as_deref(),
            resubmit: a.resubmit,
        },
        signer(key.as_ref(), &who),
        &|n| bar.set_position(n),
    )?;
    bar.finish_and_clear();
    let blocked = report.status.state == ReviewState::InReview
        && (matches!(report.action, ReviewAction::Stale { .. })
            || report.current().is_some_and(|r| !r.evidence.suites_pass()));
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print_report(&report),
    }
    Ok(if blocked {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `writ approve`.
pub fn approve(a: ApproveArgs, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut ws = g.open()?;
    let key = a.key.load()?;
    let typed = typed_name(g);
    let st = ws.approve_version(
        a.version.trim_start_matches('@'),
        signer(key.as_ref(), &typed),
        a.comment.as_deref(),
    )?;
    let who = st
        .approvals
        .last()
        .map(|x| x.approver.clone())
        .unwrap_or(typed);
    let required = ws
        .review_history(&st.id)?
        .last()
        .map(|r| r.required_approvals)
        .unwrap_or(1);
    match st.state {
        ReviewState::Approved => println!(
            "version {} approved by {} ({} of {} approvals); it is final",
            short(&st.id),
            names(&st),
            st.approvals.len(),
            required
        ),
        _ => println!(
            "approval by {who} recorded for version {} ({} of {}); it changes decisions of critical agents, so it stays in review until a second, different person approves (`writ approve {} --key THEIR_KEY`)",
            short(&st.id),
            st.approvals.len(),
            required,
            short(&st.id)
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// `writ reject`.
pub fn reject(a: RejectArgs, g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let mut ws = g.open()?;
    let key = a.key.load()?;
    let typed = typed_name(g);
    let st = ws.reject_version(
        a.version.trim_start_matches('@'),
        signer(key.as_ref(), &typed),
        &a.comment,
    )?;
    let who = ws
        .review_history(&st.id)?
        .last()
        .and_then(|r| r.decisions.last().map(|d| d.actor.clone()))
        .unwrap_or(typed);
    println!(
        "version {} rejected by {who}; submit it again with `writ review {} --resubmit`",
        short(&st.id),
        short(&st.id)
    );
    Ok(ExitCode::SUCCESS)
}

fn names(st: &VersionStatus) -> String {
    st.approvals
        .iter()
        .map(|a| a.approver.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

fn print_report(r: &ReviewReport) {
    let id = short(&r.status.id);
    println!(
        "version {id} (author {}): {}",
        r.author,
        r.status.state.as_str()
    );
    match &r.action {
        ReviewAction::Submitted => println!(
            "submitted for review (round {})",
            r.current().map_or(1, |c| c.round)
        ),
        ReviewAction::Updated => println!("the evidence had changed and was gathered again"),
        ReviewAction::Current => println!("in review; the evidence below still holds"),
        ReviewAction::Stale { reason } => println!(
            "STALE: the evidence changed after approvals were recorded ({reason}); reject it (`writ reject {id} --comment ...`) and submit it again with `writ review {id} --resubmit`"
        ),
        ReviewAction::History => {}
    }
    match (&r.action, r.current()) {
        (_, None) => println!("never submitted; submit it with `writ review {id}`"),
        (ReviewAction::History, Some(_)) => {
            for round in &r.rounds {
                print_history(round);
            }
            if r.status.state == ReviewState::Rejected {
                println!("submit it again with `writ review {id} --resubmit`");
            }
            if let Some(last) = r.current() {
                println!("evidence of round {}:", last.round);
                print_evidence(&last.evidence);
            }
        }
        (_, Some(round)) => {
            println!(
                "round {}, submitted by {} at {}",
                round.round, round.submitted_by, round.submitted_at
            );
            print_evidence(&round.evidence);
            let have = r.status.approvals.len();
            println!(
                "approvals: {have} of {} needed{}",
                round.required_approvals,
                if have == 0 {
                    String::new()
                } else {
                    format!(
                        ": {}",
                        r.status
                            .approvals
                            .iter()
                            .map(|a| format!("{} at {}", a.approver, a.at))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            );
            if round.evidence.suites_pass() {
                println!(
                    "next: `writ approve {id} --key THEIR_KEY` by someone other than {}",
                    r.author
                );
            } else {
                println!(
                    "blocked: suite(s) {} fail; approval is refused until they pass (fix the suite, then `writ review {id}` again; or `writ reject {id} --comment ...`)",
                    round.evidence.failing_suites().join(", ")
                );
            }
        }
    }
}

fn print_history(round: &ReviewRound) {
    println!(
        "round {}: submitted by {} at {}; {}{}",
        round.round,
        round.submitted_by,
        round.submitted_at,
        round.state.as_str(),
        round
            .decided_at
            .map(|d| format!(" at {d}"))
            .unwrap_or_default()
    );
    for d in &round.decisions {
        let verb = if d.decision == "approve" {
            "approved"
        } else {
            "rejected"
        };
        println!(
            "  {verb} by {} at {}{}",
            d.actor,
            d.at,
            d.comment
                .as_deref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        );
    }
}

fn print_evidence(e: &Evidence) {
    println!(
        "check: {} error(s), {} warning(s)",
        e.check.errors, e.check.warnings
    );
    println!("suites bound to the version, run against it:");
    for s in &e.suites {
        if let Some(err) = &s.error {
            println!("  FAIL  {}  not run: {err}", s.name);
        } else if s.failed.is_empty() {
            println!("  ok    {}  {}/{} passed", s.name, s.passed, s.cases);
        } else {
            println!(
                "  FAIL  {}  {}/{} passed; failing: {}",
                s.name,
                s.passed,
                s.cases,
                s.failed.join("; ")
            );
        }
    }
    println!("trace set: {} (id {})", e.set_name, e.set);
    let r = &e.replay;
    println!(
        "replay of the version (run {}): {} actions, {} allowed, {} denied ({})",
        e.run,
        r.actions,
        r.allowed,
        r.denied,
        r.verdicts
            .iter()
            .map(|(v, n)| format!("{v} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match (&e.baseline, &e.diff) {
        (Some(b), Some(d)) => {
            println!(
                "baseline: {} (the most recently approved version; run {})",
                short(b),
                e.baseline_run.map(|r| r.to_string()).unwrap_or_default()
            );
            println!(
                "decision diff from the baseline: {} of {} actions change: {} allow -> deny, {} deny -> allow, {} same decision with other reasons",
                d.changed, d.actions, d.allow_to_deny, d.deny_to_allow, d.same_decision_other_reasons
            );
            if !d.changed_by_agent.is_empty() {
                println!("  changed actions by agent:");
                for (agent, n) in &d.changed_by_agent {
                    println!("    {agent:<28} {n:>6}");
                }
            }
            if d.agents_with_decision_changes.is_empty() {
                println!("  no agent's decisions change");
            } else {
                println!(
                    "  agents whose decisions change: {}",
                    d.agents_with_decision_changes.join(", ")
                );
            }
        }
        _ => println!(
            "baseline: none (no other version is approved: this is the first approval; the evidence is the replay above)"
        ),
    }
    if e.critical_agents.is_empty() {
        println!("approvers needed: {}", e.required_approvals);
    } else {
        println!(
            "critical agents whose decisions change: {}; approvers needed: {} (distinct, not the author)",
            e.critical_agents.join(", "),
            e.required_approvals
        );
    }
}
