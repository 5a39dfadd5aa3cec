//! The replay check of a draft: every recorded call is decided against the
//! drafted project, and every decision must be what the draft states —
//! a call inside a grant that was executed and not denied is allowed (or,
//! for a step-up draft, needs a step-up), and nothing outside the grants
//! is allowed.

use super::observe::action_id;
use super::plan::{EntityScope, Grant};
use super::DraftReport;
use crate::evaluate::{Evaluator, Verdict};
use crate::project::Project;
use crate::replay::{
    replay_source, ActionResult, ReplayError, ReplayOptions, ResultSink, SinkError,
};
use crate::resolve::PrincipalKind;
use crate::trace::{Decision, LineSource, RecordedOutcome};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Problems listed in full; the rest are counted.
const PROBLEMS_KEPT: usize = 20;

/// What replaying the trace against its draft showed.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct DraftCheck {
    /// Actions replayed.
    pub actions: u64,
    /// Actions allowed.
    pub allowed: u64,
    /// Executed, not denied calls inside a plain grant.
    pub granted_calls: u64,
    /// Of those, the allowed ones (equal to `granted_calls` when the draft holds).
    pub granted_allowed: u64,
    /// Calls inside a step-up grant that need a step-up.
    pub needs_step_up: u64,
    /// Actions whose agent resolved to no inventory entry.
    pub shadow_actions: u64,
    /// Actions whose context holds a value the draft could not type (see
    /// [`DraftReport::untyped`]) or that Cedar cannot read even without a
    /// schema (an extension value with a bad argument): not judged.
    pub undecidable: u64,
    /// Decisions outside what the draft states, counted.
    pub problem_count: u64,
    /// The first of them, with their lines.
    pub problems: Vec<String>,
}

impl DraftCheck {
    /// Whether every decision is what the draft states.
    pub fn holds(&self) -> bool {
        self.problem_count == 0 && self.granted_allowed == self.granted_calls
    }
}

/// Whether Cedar reads the record's context at all, without any schema:
/// when it does not (an extension value with a bad argument, say), a
/// request error is the record's own, not the draft's.
fn cedar_reads_context(record: &crate::trace::TraceRecord) -> bool {
    cedar_policy::Context::from_json_value(serde_json::Value::Object(record.context.clone()), None)
        .is_ok()
}

/// Whether the entity `ty::id` is within the scope.
fn covers(scope: &EntityScope, ty: &str, id: &str) -> bool {
    match scope {
        EntityScope::Listed { entity_type, ids } => {
            entity_type == ty && ids.binary_search_by(|x| x.as_str().cmp(id)).is_ok()
        }
        EntityScope::AnyOf { entity_type, .. } => entity_type == ty,
    }
}

struct Judge<'a> {
    step_ups: &'a [super::plan::StepUpDraft],
    untyped: &'a BTreeMap<String, std::collections::BTreeSet<String>>,
    principals: HashMap<&'a str, (&'a str, &'a str)>,
    grants: BTreeMap<&'a str, Vec<&'a Grant>>,
    check: DraftCheck,
}

impl Judge<'_> {
    fn problem(&mut self, text: String) {
        self.check.problem_count += 1;
        if self.check.problems.len() < PROBLEMS_KEPT {
            self.check.problems.push(text);
        }
    }
}

impl ResultSink for Judge<'_> {
    fn result(&mut self, r: &ActionResult) -> Result<(), SinkError> {
        let Some(eval) = r.evaluations.first() else {
            return Ok(());
        };
        self.check.actions += 1;
        let allowed = eval.outcome.verdict == Verdict::Allowed;
        if allowed {
            self.check.allowed += 1;
        }
        if eval.principal.kind == PrincipalKind::Shadow {
            self.check.shadow_actions += 1;
        }
        let Ok(tool) = action_id(&r.record.action) else {
            return Ok(());
        };
        let untyped = self
            .untyped
            .get(&tool)
            .is_some_and(|names| r.record.context.keys().any(|k| names.contains(k)))
            || (eval.outcome.request_error.is_some() && !cedar_reads_context(&r.record));
        if untyped {
            self.check.undecidable += 1;
            return Ok(());
        }
        let (pty, pid) = self
            .principals
            .get(r.record.agent.as_str())
            .copied()
            .unwrap_or(("", ""));
        let (rty, rid) = match &r.record.resource {
            Some(res) => (res.ty.as_str(), res.id.as_str()),
            None => ("Tool", tool.as_str()),
        };
        let grant = self.grants.get(tool.as_str()).and_then(|gs| {
            gs.iter()
                .find(|g| covers(&g.principals, pty, pid) && covers(&g.resources, rty, rid))
                .copied()
        });
        let stepped = self.step_ups.iter().any(|s| {
            s.tools.contains(&tool)
                && s.principal
                    .as_ref()
                    .is_none_or(|(ty, id)| ty == pty && id == pid)
        });
        let clean = r.record.outcome == RecordedOutcome::Executed
            && r.record.recorded_decision != Some(Decision::Deny);
        match grant {
            None if allowed => self.problem(format!(
                "line {}: `{}` calling `{tool}` on {rty}::\"{rid}\" is allowed, outside every grant of the draft",
                r.line, r.record.agent
            )),
            None => {}
            Some(g) if stepped => {
                if eval.outcome.verdict == Verdict::NeedsStepUp {
                    self.check.needs_step_up += 1;
                } else if !allowed {
                    self.problem(format!(
                        "line {}: `{}` calling `{tool}` is inside step-up grant `{}` but is {}",
                        r.line,
                        r.record.agent,
                        g.id,
                        eval.outcome.verdict
                    ));
                }
            }
            Some(g) if clean => {
                self.check.granted_calls += 1;
                if allowed {
                    self.check.granted_allowed += 1;
                } else {
                    self.problem(format!(
                        "line {}: `{}` calling `{tool}` is granted by `{}` but is {}",
                        r.line, r.record.agent, g.id, eval.outcome.verdict
                    ));
                }
            }
            Some(_) => {}
        }
        Ok(())
    }
}

/// Replays `source` (the trace the draft was made from) against the
/// drafted `project` and judges every decision against `report`.
pub fn verify<S: LineSource + Send>(
    project: &Project,
    report: &DraftReport,
    source: S,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<DraftCheck, ReplayError> {
    let evaluator = Evaluator::from_project("draft", project);
    let mut grants: BTreeMap<&str, Vec<&Grant>> = BTreeMap::new();
    for g in &report.grants {
        grants.entry(g.tool.as_str()).or_default().push(g);
    }
    let mut judge = Judge {
        step_ups: &report.step_ups,
        untyped: &report.untyped,
        principals: report
            .identities
            .iter()
            .map(|d| {
                (
                    d.recorded.as_str(),
                    (d.entity_type.as_str(), d.entity_id.as_str()),
                )
            })
            .collect(),
        grants,
        check: DraftCheck::default(),
    };
    replay_source(
        source,
        &[&evaluator],
        &ReplayOptions::default(),
        &mut judge,
        progress,
    )?;
    Ok(judge.check)
}
