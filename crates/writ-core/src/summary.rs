//! The replay summary: counts by verdict, agent, tool and determining
//! policy, shadow agents, and actions whose recorded decision differs.

use crate::evaluate::Verdict;
use crate::replay::{ActionResult, ResultSink, SinkError};
use crate::resolve::PrincipalKind;
use crate::trace::{Decision, LineError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counts per verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    /// All actions.
    pub total: u64,
    /// Per verdict.
    pub verdicts: BTreeMap<Verdict, u64>,
}

impl VerdictCounts {
    fn add(&mut self, v: Verdict) {
        self.total += 1;
        *self.verdicts.entry(v).or_default() += 1;
    }

    /// The count of one verdict.
    pub fn get(&self, v: Verdict) -> u64 {
        self.verdicts.get(&v).copied().unwrap_or(0)
    }
}

/// An action whose recorded decision differs from the replayed one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// Line in the trace.
    pub line: usize,
    /// The recorded agent.
    pub agent: String,
    /// The action.
    pub action: String,
    /// What the enforcement point decided.
    pub recorded: Decision,
    /// What the policies decide now.
    pub replayed: Decision,
}

/// The summary of a replay against one version.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplaySummary {
    /// Actions replayed.
    pub actions: u64,
    /// Counts per verdict over all actions.
    pub verdicts: VerdictCounts,
    /// Allowed and denied counts.
    pub decisions: BTreeMap<Decision, u64>,
    /// Per agent (inventory id, or the identity for shadow agents).
    pub by_agent: BTreeMap<String, VerdictCounts>,
    /// Per tool.
    pub by_tool: BTreeMap<String, VerdictCounts>,
    /// How often each policy was determining.
    pub by_policy: BTreeMap<String, u64>,
    /// How often each policy failed to evaluate.
    pub policy_errors: BTreeMap<String, u64>,
    /// Actions whose request could not be built, by message.
    pub request_errors: BTreeMap<String, u64>,
    /// Shadow agents: identities no inventory entry claims, with action counts.
    pub shadow_agents: BTreeMap<String, u64>,
    /// Actions whose recorded decision differs from the replayed one.
    pub mismatches: Vec<Mismatch>,
    /// Malformed lines, skipped.
    pub bad_lines: Vec<LineError>,
}

impl ReplaySummary {
    /// Adds one action, using the evaluation of version `version`.
    pub fn add(&mut self, r: &ActionResult, version: usize) {
        let Some(ev) = r.evaluations.get(version) else {
            return;
        };
        let o = &ev.outcome;
        self.actions += 1;
        self.verdicts.add(o.verdict);
        *self.decisions.entry(o.decision).or_default() += 1;
        let agent: &str = &ev.principal.id;
        entry(&mut self.by_agent, agent).add(o.verdict);
        entry(
            &mut self.by_tool,
            &crate::trace::tool_label(&r.record.action),
        )
        .add(o.verdict);
        for p in &o.reasons {
            *entry(&mut self.by_policy, p) += 1;
        }
        for e in &o.errors {
            *entry(&mut self.policy_errors, &e.policy) += 1;
        }
        if let Some(e) = &o.request_error {
            *self.request_errors.entry(e.clone()).or_default() += 1;
        }
        if ev.principal.kind == PrincipalKind::Shadow {
            *entry(&mut self.shadow_agents, agent) += 1;
        }
        if let Some(recorded) = r.record.recorded_decision {
            if recorded != o.decision {
                self.mismatches.push(Mismatch {
                    line: r.line,
                    agent: r.record.agent.clone(),
                    action: r.record.action.clone(),
                    recorded,
                    replayed: o.decision,
                });
            }
        }
    }
}

/// The entry for `key`, allocating the key only when it is new.
pub fn entry<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    // Present: inserted just above when missing.
    map.get_mut(key)
        .unwrap_or_else(|| unreachable!("entry was inserted"))
}

impl ResultSink for ReplaySummary {
    fn result(&mut self, r: &ActionResult) -> Result<(), SinkError> {
        self.add(r, 0);
        Ok(())
    }
    fn bad_line(&mut self, e: &LineError) -> Result<(), SinkError> {
        self.bad_lines.push(e.clone());
        Ok(())
    }
}

/// The JSON form of one replayed action (for `--format jsonl` and the app).
pub fn result_json(r: &ActionResult, version: usize) -> serde_json::Value {
    let Some(ev) = r.evaluations.get(version) else {
        return serde_json::Value::Null;
    };
    let o = &ev.outcome;
    serde_json::json!({
        "line": r.line,
        "ts": r.record.ts,
        "agent": r.record.agent,
        "principal": format!("{}::{}", ev.principal.ty, serde_json::Value::String(ev.principal.id.to_string())),
        "principal_kind": ev.principal.kind,
        "on_behalf_of": r.record.on_behalf_of,
        "action": r.record.action,
        "resource": r.record.resource,
        "decision": o.decision,
        "verdict": o.verdict,
        "step_up": o.step_up,
        "reasons": o.reasons,
        "errors": o.errors,
        "request_error": o.request_error,
        "recorded_decision": r.record.recorded_decision,
    })
}
