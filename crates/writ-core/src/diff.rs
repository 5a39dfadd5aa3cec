//! Diff two policy versions by their decisions over the same trace, and
//! by their text (policies matched by id, schema and inventory).

use crate::evaluate::{Outcome, Verdict};
use crate::project::Project;
use crate::replay::{ActionResult, ResultSink, SinkError};
use crate::summary::entry;
use crate::trace::{Decision, LineError};
use serde::Serialize;
use similar::TextDiff;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How an action's decision changed between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Allowed before, denied now.
    AllowToDeny,
    /// Denied before, allowed now: access gained.
    DenyToAllow,
    /// Same decision, but other determining policies, errors or verdict.
    SameDecisionOtherReasons,
}

impl ChangeKind {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::AllowToDeny => "allow_to_deny",
            ChangeKind::DenyToAllow => "deny_to_allow",
            ChangeKind::SameDecisionOtherReasons => "same_decision_other_reasons",
        }
    }
}

/// One side of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// Decision.
    pub decision: Decision,
    /// Verdict.
    pub verdict: Verdict,
    /// Determining policies.
    pub reasons: Vec<Arc<str>>,
    /// Policies that failed to evaluate.
    pub errors: Vec<Arc<str>>,
}

impl From<&Outcome> for Side {
    fn from(o: &Outcome) -> Self {
        Side {
            decision: o.decision,
            verdict: o.verdict,
            reasons: o.reasons.clone(),
            errors: o.errors.iter().map(|e| e.policy.clone()).collect(),
        }
    }
}

/// One action whose decision changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Line in the trace.
    pub line: usize,
    /// Kind of change.
    pub kind: ChangeKind,
    /// The agent (inventory id or identity).
    pub agent: String,
    /// The tool.
    pub action: String,
    /// The resource, as `Type::"id"`.
    pub resource: String,
    /// Before.
    pub from: Side,
    /// After.
    pub to: Side,
}

/// Counts of changes per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    /// All changes.
    pub total: u64,
    /// Per kind.
    pub kinds: BTreeMap<ChangeKind, u64>,
}

impl ChangeCounts {
    fn add(&mut self, k: ChangeKind) {
        self.total += 1;
        *self.kinds.entry(k).or_default() += 1;
    }

    /// Count of one kind.
    pub fn get(&self, k: ChangeKind) -> u64 {
        self.kinds.get(&k).copied().unwrap_or(0)
    }
}

/// The decision diff of two versions over a trace.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DecisionDiff {
    /// Actions compared.
    pub actions: u64,
    /// Actions whose outcome did not change.
    pub unchanged: u64,
    /// Changes per kind.
    pub counts: ChangeCounts,
    /// Per agent.
    pub by_agent: BTreeMap<String, ChangeCounts>,
    /// Per tool.
    pub by_tool: BTreeMap<String, ChangeCounts>,
    /// Policies determining the old outcome of changed actions, with counts.
    pub responsible_from: BTreeMap<String, u64>,
    /// Policies determining the new outcome of changed actions, with counts.
    pub responsible_to: BTreeMap<String, u64>,
    /// Every changed action, in trace order (when kept).
    pub changes: Vec<Change>,
    /// Whether individual changes are kept (off for very large traces).
    #[serde(skip)]
    pub keep_changes: bool,
    /// Malformed lines, skipped.
    pub bad_lines: Vec<LineError>,
}

impl DecisionDiff {
    /// An empty diff that keeps every changed action.
    pub fn new() -> Self {
        DecisionDiff {
            keep_changes: true,
            ..Default::default()
        }
    }

    /// Classifies one action evaluated by two versions.
    pub fn add(&mut self, r: &ActionResult) {
        let [a, b] = match r.evaluations.as_slice() {
            [a, b] => [a, b],
            _ => return,
        };
        self.actions += 1;
        let (oa, ob) = (&a.outcome, &b.outcome);
        let kind = match (oa.decision, ob.decision) {
            (Decision::Allow, Decision::Deny) => ChangeKind::AllowToDeny,
            (Decision::Deny, Decision::Allow) => ChangeKind::DenyToAllow,
            _ if Arc::ptr_eq(oa, ob) || same(oa, ob) => {
                self.unchanged += 1;
                return;
            }
            _ => ChangeKind::SameDecisionOtherReasons,
        };
        let agent: &str = &b.principal.id;
        self.counts.add(kind);
        entry(&mut self.by_agent, agent).add(kind);
        entry(&mut self.by_tool, &r.record.action).add(kind);
        for p in &oa.reasons {
            *entry(&mut self.responsible_from, p) += 1;
        }
        for p in &ob.reasons {
            *entry(&mut self.responsible_to, p) += 1;
        }
        if self.keep_changes {
            let resource = match &r.record.resource {
                Some(res) => format!("{}::{}", res.ty, serde_json::Value::String(res.id.clone())),
                None => format!(
                    "Tool::{}",
                    serde_json::Value::String(r.record.action.clone())
                ),
            };
            self.changes.push(Change {
                line: r.line,
                kind,
                agent: agent.to_string(),
                action: r.record.action.clone(),
                resource,
                from: Side::from(oa.as_ref()),
                to: Side::from(ob.as_ref()),
            });
        }
    }

    /// Whether a change of the kind named by `fail_on` is present.
    pub fn fails(&self, fail_on: FailOn) -> bool {
        match fail_on {
            FailOn::AllowGained => self.counts.get(ChangeKind::DenyToAllow) > 0,
            FailOn::AnyChange => self.counts.total > 0,
        }
    }
}

fn same(a: &Outcome, b: &Outcome) -> bool {
    a.decision == b.decision
        && a.verdict == b.verdict
        && a.reasons == b.reasons
        && a.errors.len() == b.errors.len()
        && a.errors
            .iter()
            .zip(&b.errors)
            .all(|(x, y)| x.policy == y.policy)
        && a.request_error == b.request_error
}

impl ResultSink for DecisionDiff {
    fn result(&mut self, r: &ActionResult) -> Result<(), SinkError> {
        self.add(r);
        Ok(())
    }
    fn bad_line(&mut self, e: &LineError) -> Result<(), SinkError> {
        self.bad_lines.push(e.clone());
        Ok(())
    }
}

/// Which changes make `writ diff --fail-on` fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any deny that became allow.
    AllowGained,
    /// Any change at all.
    AnyChange,
}

/// How a policy's text changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextChange {
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Removed,
    /// In both, with different text.
    Changed,
}

/// A changed policy, schema or inventory, with its unified diff.
#[derive(Debug, Clone, Serialize)]
pub struct TextDiffEntry {
    /// The policy id, or `schema` / `inventory`.
    pub name: String,
    /// What happened.
    pub change: TextChange,
    /// The unified diff.
    pub unified: String,
}

fn unified(old: &str, new: &str, from: &str, to: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .to_string()
}

/// The text changes between two projects: policies matched by id, then the
/// schema, then the inventory.
pub fn text_diff(from: &Project, to: &Project) -> Vec<TextDiffEntry> {
    let mut out = Vec::new();
    for p in &from.policies.policies {
        match to.policies.get(&p.id) {
            None => out.push(TextDiffEntry {
                name: p.id.clone(),
                change: TextChange::Removed,
                unified: unified(&p.text, "", &format!("a/{}", p.id), "/dev/null"),
            }),
            Some(q) if q.text != p.text => out.push(TextDiffEntry {
                name: p.id.clone(),
                change: TextChange::Changed,
                unified: unified(
                    &p.text,
                    &q.text,
                    &format!("a/{}", p.id),
                    &format!("b/{}", q.id),
                ),
            }),
            Some(_) => {}
        }
    }
    for q in &to.policies.policies {
        if from.policies.get(&q.id).is_none() {
            out.push(TextDiffEntry {
                name: q.id.clone(),
                change: TextChange::Added,
                unified: unified("", &q.text, "/dev/null", &format!("b/{}", q.id)),
            });
        }
    }
    let file_pairs = [
        (
            "schema",
            from.files.schema.as_ref(),
            to.files.schema.as_ref(),
        ),
        (
            "inventory",
            from.files.inventory.as_ref(),
            to.files.inventory.as_ref(),
        ),
    ];
    for (name, a, b) in file_pairs {
        let (a, b) = (
            a.map_or("", |f| f.text.as_str()),
            b.map_or("", |f| f.text.as_str()),
        );
        if a != b {
            out.push(TextDiffEntry {
                name: name.to_string(),
                change: TextChange::Changed,
                unified: unified(a, b, &format!("a/{name}"), &format!("b/{name}")),
            });
        }
    }
    out
}

/// Inventory entries added, removed or changed between two projects.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InventoryDiff {
    /// Agents only in the new version.
    pub agents_added: Vec<String>,
    /// Agents only in the old version.
    pub agents_removed: Vec<String>,
    /// Agents whose entry changed, with the attributes that changed.
    pub agents_changed: BTreeMap<String, Vec<String>>,
    /// Tools only in the new version.
    pub tools_added: Vec<String>,
    /// Tools only in the old version.
    pub tools_removed: Vec<String>,
}

/// Compares the inventories' entities attribute by attribute.
pub fn inventory_diff(from: &Project, to: &Project) -> InventoryDiff {
    use crate::inventory::to_entities_json;
    let index = |p: &Project| -> BTreeMap<(String, String), serde_json::Value> {
        let mut m = BTreeMap::new();
        if let serde_json::Value::Array(items) = to_entities_json(&p.inventory, &p.schema) {
            for e in items {
                let ty = e["uid"]["type"].as_str().unwrap_or_default().to_string();
                let id = e["uid"]["id"].as_str().unwrap_or_default().to_string();
                m.insert((ty, id), e);
            }
        }
        m
    };
    let (a, b) = (index(from), index(to));
    let mut d = InventoryDiff::default();
    for ((ty, id), ea) in &a {
        match b.get(&(ty.clone(), id.clone())) {
            None if ty == "Agent" => d.agents_removed.push(id.clone()),
            None if ty == "Tool" => d.tools_removed.push(id.clone()),
            Some(eb) if ty == "Agent" && ea != eb => {
                let mut changed: Vec<String> = Vec::new();
                if let (Some(x), Some(y)) = (ea["attrs"].as_object(), eb["attrs"].as_object()) {
                    for k in x.keys().chain(y.keys()) {
                        if x.get(k) != y.get(k) && !changed.contains(k) {
                            changed.push(k.clone());
                        }
                    }
                }
                if ea["parents"] != eb["parents"] {
                    changed.push("parents".into());
                }
                d.agents_changed.insert(id.clone(), changed);
            }
            _ => {}
        }
    }
    for (ty, id) in b.keys() {
        if !a.contains_key(&(ty.clone(), id.clone())) {
            match ty.as_str() {
                "Agent" => d.agents_added.push(id.clone()),
                "Tool" => d.tools_added.push(id.clone()),
                _ => {}
            }
        }
    }
    d
}
