//! Unused grants: what the policies let inventory agents do that the
//! trace shows they never did, and a proposed narrowing checked by replay.
//!
//! A trace is replayed against the project once to learn which (agent,
//! action) pairs had an allow and which permits were the reasons. Every
//! permit's scope (principal and action constraints, conditions aside) is
//! read against the inventory agents and the schema's actions; a covered
//! pair without an allow is an **unused grant** (a pair denied only by
//! `@step_up` forbids counts as used: an approval lets it through). Each permit covering one
//! gets a proposal: the same policy with its actions cut to those it
//! allowed and a `principal in [...]` condition naming the agents it
//! allowed them for (removal when it allowed nothing). The proposal is
//! applied to the project's files, checked, and the trace replayed against
//! both: a proposal holds when every allow is kept and nothing new is
//! allowed.
//!
//! Modules, each using only those listed before it: `usage` (the allows
//! of a replay), `scope` (the pairs a permit covers), `narrow` (the
//! proposals and the rewritten files).

mod narrow;
mod scope;
mod usage;

pub use narrow::{NarrowError, Narrowing};
pub use scope::{agent_actions, inventory_agents, permit_scopes, PermitScope};
pub use usage::{AllowedUse, Pair, UsageSink};

use crate::diagnostic::line_column;
use crate::evaluate::{Evaluator, Verdict};
use crate::findings::{Finding, FindingCode, InventoryEvidence, Severity};
use crate::inventory::Impact;
use crate::project::{check_files, Project, ProjectFiles};
use crate::replay::{
    replay_source, ActionResult, ReplayError, ReplayOptions, ResultSink, SinkError,
};
use crate::trace::LineSource;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Examples of changed decisions kept by the narrowing check.
const EXAMPLES_KEPT: usize = 10;

/// One unused grant.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct UnusedGrant {
    /// The inventory agent id.
    pub agent: String,
    /// The action uid, as Cedar prints it.
    pub action: String,
    /// The permits whose scope covers the pair.
    pub policies: Vec<String>,
    /// Whether the action's tool is destructive or external in the inventory.
    pub high_impact: bool,
}

/// What replaying the trace against the narrowed project showed.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct NarrowingCheck {
    /// Actions replayed.
    pub actions: u64,
    /// Allowed by the project as it is.
    pub allowed_before: u64,
    /// Allowed by the narrowed project.
    pub allowed_after: u64,
    /// Allowed (or needing a step-up) before and neither after (must be 0).
    pub lost: u64,
    /// Allowed (or needing a step-up) after and neither before (must be 0).
    pub gained: u64,
    /// The first changed decisions, with their lines.
    pub examples: Vec<String>,
}

impl NarrowingCheck {
    /// Whether the narrowing keeps every allow and adds none.
    pub fn holds(&self) -> bool {
        self.lost == 0 && self.gained == 0
    }
}

/// Unused grants of a project over a trace, with the proposed narrowing.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct GrantReview {
    /// Actions replayed.
    pub actions: u64,
    /// The trace window (RFC 3339), when records carried times.
    pub window: Option<(String, String)>,
    /// Pairs with an allow, or denied only by `@step_up` forbids.
    pub used_pairs: usize,
    /// Every unused grant, by agent then action.
    pub unused: Vec<UnusedGrant>,
    /// One proposal per permit covering an unused grant.
    pub narrowings: Vec<Narrowing>,
    /// Permits that cover unused grants but cannot be rewritten (template
    /// links, unlocated text), with why.
    pub not_narrowed: Vec<String>,
    /// The replay check of the narrowed project; `None` when it does not
    /// check (`narrowed_errors` says why).
    pub check: Option<NarrowingCheck>,
    /// Why the narrowed project could not be checked, if it could not.
    pub narrowed_errors: Option<String>,
    /// The narrowed project's files.
    #[serde(skip)]
    #[ts(skip)]
    pub narrowed_files: ProjectFiles,
}

/// Why a review stopped.
#[derive(Debug, thiserror::Error)]
pub enum GrantsError {
    /// Replaying failed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// Opening the trace again failed.
    #[error("cannot read the trace again: {0}")]
    Reopen(String),
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Compares the decisions of two versions.
#[derive(Default)]
struct Compare(NarrowingCheck);

impl ResultSink for Compare {
    fn result(&mut self, r: &ActionResult) -> Result<(), SinkError> {
        let [before, after] = r.evaluations.as_slice() else {
            return Ok(());
        };
        let c = &mut self.0;
        c.actions += 1;
        let granted = |v: Verdict| matches!(v, Verdict::Allowed | Verdict::NeedsStepUp);
        c.allowed_before += u64::from(before.outcome.verdict == Verdict::Allowed);
        c.allowed_after += u64::from(after.outcome.verdict == Verdict::Allowed);
        let b = granted(before.outcome.verdict);
        let a = granted(after.outcome.verdict);
        if b != a {
            if b {
                c.lost += 1;
            } else {
                c.gained += 1;
            }
            if c.examples.len() < EXAMPLES_KEPT {
                c.examples.push(format!(
                    "line {}: `{}` calling `{}`: {} before, {} after",
                    r.line,
                    r.record.agent,
                    r.record.action,
                    before.outcome.verdict,
                    after.outcome.verdict
                ));
            }
        }
        Ok(())
    }
}

/// Reviews the grants of `project` over a trace. `open` gives the trace
/// from its start each time it is called (it is read twice, or once when
/// no grant is unused).
pub fn review<S, F>(
    project: &Project,
    mut open: F,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<GrantReview, GrantsError>
where
    S: LineSource + Send,
    F: FnMut() -> Result<S, String>,
{
    let evaluator = Evaluator::from_project("current", project);
    let mut sink = UsageSink::new(&evaluator);
    replay_source(
        open().map_err(GrantsError::Reopen)?,
        &[&evaluator],
        &ReplayOptions::default(),
        &mut sink,
        progress,
    )?;
    let usage = sink.usage;
    let impacts: BTreeMap<&str, Impact> = project
        .inventory
        .tool
        .iter()
        .map(|t| (t.name.get_ref().as_str(), *t.impact.get_ref()))
        .collect();
    let actions: BTreeMap<String, String> = agent_actions(project)
        .iter()
        .map(|a| (a.uid.to_string(), a.id.clone()))
        .collect();
    let scopes = permit_scopes(project);
    let inventory_agents: BTreeSet<String> = scope::inventory_agents(project)
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut unused: BTreeMap<Pair, Vec<String>> = BTreeMap::new();
    let mut narrowings = Vec::new();
    let mut not_narrowed = Vec::new();
    for s in &scopes {
        let mut covered: BTreeSet<Pair> = BTreeSet::new();
        let mut has_unused = false;
        for (agent, acts) in &s.covers {
            for action in acts {
                let pair = (agent.clone(), action.clone());
                if !usage.pairs.contains(&pair) && !usage.stepped.contains(&pair) {
                    unused.entry(pair.clone()).or_default().push(s.id.clone());
                    has_unused = true;
                }
                covered.insert(pair);
            }
        }
        if !has_unused {
            continue;
        }
        let info = project.policies.get(&s.id);
        let policy = project
            .policies
            .set
            .policy(&cedar_policy::PolicyId::new(&s.id));
        let (Some(info), Some(policy), true) = (info, policy, s.is_static) else {
            not_narrowed.push(format!(
                "`{}`: a template-linked policy; narrow its template or links",
                s.id
            ));
            continue;
        };
        // What the permit allowed stays: its covered pairs, and any
        // principal outside the inventory it allowed (a shadow, another
        // entity type), which the scope reading does not list. Pairs used
        // through a step-up keep every permit covering them: which one the
        // approval would have let through is not recorded.
        let keep: BTreeSet<Pair> = usage
            .by_policy
            .get(&s.id)
            .into_iter()
            .flatten()
            .filter(|p| covered.contains(*p) || !inventory_agents.contains(&p.0))
            .chain(usage.stepped.iter().filter(|p| covered.contains(*p)))
            .cloned()
            .collect();
        match narrow::propose(policy, &keep) {
            Ok(proposed) => narrowings.push(Narrowing {
                policy: s.id.clone(),
                file: info.file.display().to_string(),
                original: info.text.clone(),
                proposed,
                keeps: keep.len(),
                removes: covered.difference(&keep).count(),
            }),
            Err(e) => not_narrowed.push(e.to_string()),
        }
    }
    let (narrowed_files, skipped) = narrow::apply(&project.files, &project.policies, &narrowings);
    for id in skipped {
        not_narrowed.push(format!("`{id}`: its text could not be located in its file"));
        narrowings.retain(|n| n.policy != id);
    }
    let mut check = None;
    let mut narrowed_errors = None;
    if !narrowings.is_empty() {
        let report = check_files(
            &project.root,
            narrowed_files.clone(),
            Vec::new(),
            crate::project::today_utc(),
        );
        match report.project {
            Some(narrowed) if report.error_count() == 0 => {
                let after = Evaluator::from_project("narrowed", &narrowed);
                let mut compare = Compare::default();
                replay_source(
                    open().map_err(GrantsError::Reopen)?,
                    &[&evaluator, &after],
                    &ReplayOptions::default(),
                    &mut compare,
                    progress,
                )?;
                check = Some(compare.0);
            }
            _ => {
                narrowed_errors = Some(
                    report
                        .diagnostics
                        .iter()
                        .filter(|d| d.is_error())
                        .map(|d| report.sources.render(d))
                        .collect(),
                );
            }
        }
    }
    let unused = unused
        .into_iter()
        .map(|((principal, action), policies)| {
            let tool = actions.get(&action).map(String::as_str).unwrap_or("");
            let agent = crate::uid::parse_uid_literal(&principal)
                .map(|(_, id)| id)
                .unwrap_or(principal);
            let high_impact = matches!(
                impacts.get(tool),
                Some(Impact::Destructive | Impact::External)
            );
            UnusedGrant {
                agent,
                action,
                policies,
                high_impact,
            }
        })
        .collect();
    Ok(GrantReview {
        actions: usage.actions,
        window: usage.window.map(|(a, b)| (rfc3339(a), rfc3339(b))),
        used_pairs: usage.pairs.union(&usage.stepped).count(),
        unused,
        narrowings,
        not_narrowed,
        check,
        narrowed_errors,
        narrowed_files,
    })
}

impl GrantReview {
    /// The unused grants as findings (`unused-grant`), located at the
    /// permits that grant them.
    pub fn findings(&self, project: &Project) -> Vec<Finding> {
        let window = self
            .window
            .as_ref()
            .map(|(a, b)| format!("between {a} and {b}"))
            .unwrap_or_else(|| "in the trace".to_string());
        self.unused
            .iter()
            .map(|u| {
                let evidence = u
                    .policies
                    .iter()
                    .filter_map(|id| {
                        let p = project.policies.get(id)?;
                        let span = p.span?;
                        let text = project
                            .files
                            .policies
                            .iter()
                            .find(|f| f.shown == p.file)?;
                        let (line, column) = line_column(&text.text, span.start);
                        Some(InventoryEvidence {
                            file: p.file.display().to_string(),
                            line,
                            column,
                            note: format!("permit `{id}`"),
                        })
                    })
                    .collect();
                Finding {
                    code: FindingCode::UnusedGrant,
                    severity: if u.high_impact {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    subject: format!("{} → {}", u.agent, u.action),
                    message: format!(
                        "agent `{}` may take {} through {} but had no allow {window}; narrow the permit or keep the grant deliberately",
                        u.agent,
                        u.action,
                        u.policies
                            .iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    inventory: evidence,
                    actions: None,
                }
            })
            .collect()
    }
}
