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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ts_rs::TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
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

/// Which changed actions to show: all, one agent's, those a policy
/// determined (before or after), or both conditions at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFilter {
    /// Only this agent's changes (inventory id or identity).
    pub agent: Option<String>,
    /// Only changes whose old or new outcome this policy determined.
    pub policy: Option<String>,
}

impl ChangeFilter {
    /// Whether `change` passes the filter.
    pub fn matches(&self, change: &Change) -> bool {
        self.agent.as_ref().is_none_or(|a| &change.agent == a)
            && self.policy.as_ref().is_none_or(|p| {
                let named = |reasons: &[Arc<str>]| reasons.iter().any(|r| **r == **p);
                named(&change.from.reasons) || named(&change.to.reasons)
            })
    }
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

/// One policy responsible for decision changes (see
/// [`DecisionDiff::responsible_ranked`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ResponsiblePolicy {
    /// The policy's Writ id.
    pub policy: String,
    /// Changed actions whose old outcome it determined.
    pub before: u64,
    /// Changed actions whose new outcome it determined.
    pub after: u64,
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
        entry(
            &mut self.by_tool,
            &crate::trace::tool_label(&r.record.action),
        )
        .add(kind);
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
                action: crate::trace::tool_label(&r.record.action).into_owned(),
                resource,
                from: Side::from(oa.as_ref()),
                to: Side::from(ob.as_ref()),
            });
        }
    }

    /// The policies responsible for the changes, most first: each policy
    /// that determined a changed action's outcome before or after, with
    /// both counts, sorted by the larger count (descending), then by the
    /// total, then by id. The one ordering the CLI's text output and the
    /// app's table show.
    pub fn responsible_ranked(&self) -> Vec<ResponsiblePolicy> {
        let mut rows: BTreeMap<&str, ResponsiblePolicy> = BTreeMap::new();
        let blank = |p: &str| ResponsiblePolicy {
            policy: p.to_string(),
            before: 0,
            after: 0,
        };
        for (p, n) in &self.responsible_from {
            rows.entry(p).or_insert_with(|| blank(p)).before = *n;
        }
        for (p, n) in &self.responsible_to {
            rows.entry(p).or_insert_with(|| blank(p)).after = *n;
        }
        let mut ranked: Vec<ResponsiblePolicy> = rows.into_values().collect();
        let key = |r: &ResponsiblePolicy| (r.before.max(r.after), r.before + r.after);
        ranked.sort_by(|x, y| key(y).cmp(&key(x)).then_with(|| x.policy.cmp(&y.policy)));
        ranked
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
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
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TextDiffEntry {
    /// The policy id, or `schema` / `inventory`.
    pub name: String,
    /// What happened.
    pub change: TextChange,
    /// The unified diff.
    pub unified: String,
    /// For a policy rewritten under a new id in place: the old id (as
    /// [`TextSides::renamed_from`]; the diff runs from the old text to the
    /// new one).
    pub renamed_from: Option<String>,
}

/// The unified diff (three lines of context) of one file edited from `old`
/// to `new`, headed `a/PATH` and `b/PATH`; empty when the texts are equal.
/// What the workbench's commit dialog shows for each edited file.
pub fn file_unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    unified(old, new, &format!("a/{path}"), &format!("b/{path}"))
}

fn unified(old: &str, new: &str, from: &str, to: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .to_string()
}

/// A changed policy, schema or inventory with both of its full texts, for
/// a side-by-side view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TextSides {
    /// The policy id, or `schema` / `inventory`.
    pub name: String,
    /// What happened.
    pub change: TextChange,
    /// The text in the old version (empty when added).
    pub old: String,
    /// The text in the new version (empty when removed).
    pub new: String,
    /// For a policy rewritten under a new id in place (the old one removed
    /// and the new one added at the same position of the same file): the
    /// old id. `name` is then the new id and `change` is `changed`.
    pub renamed_from: Option<String>,
}

/// The text changes between two projects with both full texts, for a
/// side-by-side view: as [`text_diff`], except that a policy removed and
/// another added at the same position of the same file (a policy rewritten
/// under a new id) are one entry with both texts (see
/// [`TextSides::renamed_from`]), at the old policy's place.
pub fn text_sides(from: &Project, to: &Project) -> Vec<TextSides> {
    let mut out = sides_by_id(from, to);
    let added: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].change == TextChange::Added)
        .collect();
    let mut gone = Vec::new();
    for a in added {
        let Some(place) = place_in_file(to, &out[a].name) else {
            continue;
        };
        let removed = (0..out.len()).find(|&r| {
            out[r].change == TextChange::Removed
                && out[r].renamed_from.is_none()
                && place_in_file(from, &out[r].name).as_ref() == Some(&place)
        });
        if let Some(r) = removed {
            let new = std::mem::take(&mut out[a].new);
            let new_name = out[a].name.clone();
            let old_name = std::mem::replace(&mut out[r].name, new_name);
            out[r].new = new;
            out[r].change = TextChange::Changed;
            out[r].renamed_from = Some(old_name);
            gone.push(a);
        }
    }
    let mut i = 0;
    out.retain(|_| {
        i += 1;
        !gone.contains(&(i - 1))
    });
    out
}

/// Policy `id`'s file (relative path) and its index among that file's policies.
fn place_in_file(p: &Project, id: &str) -> Option<(String, usize)> {
    let info = p.policies.get(id)?;
    let index = p
        .policies
        .policies
        .iter()
        .take_while(|q| q.id != id)
        .filter(|q| q.file == info.file)
        .count();
    let file = p.files.policies.iter().find(|f| f.shown == info.file)?;
    Some((file.relative.clone(), index))
}

/// The text changes with both texts, policies matched by id only
/// (changed and removed in the old version's order, then added ones),
/// templates and links the same way, then the schema, the inventory and
/// the entity data.
fn sides_by_id(from: &Project, to: &Project) -> Vec<TextSides> {
    let mut out = Vec::new();
    let entry = |name: &str, change, old: &str, new: &str| TextSides {
        name: name.to_string(),
        change,
        old: old.to_string(),
        new: new.to_string(),
        renamed_from: None,
    };
    for p in &from.policies.policies {
        match to.policies.get(&p.id) {
            None => out.push(entry(&p.id, TextChange::Removed, &p.text, "")),
            Some(q) if q.text != p.text => {
                out.push(entry(&p.id, TextChange::Changed, &p.text, &q.text))
            }
            Some(_) => {}
        }
    }
    for q in &to.policies.policies {
        if from.policies.get(&q.id).is_none() {
            out.push(entry(&q.id, TextChange::Added, "", &q.text));
        }
    }
    // Templates by `@id`, links by link id.
    let templates = |p: &Project| -> Vec<(String, String)> {
        p.policies
            .templates
            .iter()
            .map(|t| (format!("template {}", t.info.id), t.info.text.clone()))
            .collect()
    };
    let links = |p: &Project| -> Vec<(String, String)> {
        p.policies
            .links
            .iter()
            .map(|l| (format!("link {}", l.id), link_text(l)))
            .collect()
    };
    for (old, new) in [(templates(from), templates(to)), (links(from), links(to))] {
        for (name, text) in &old {
            match new.iter().find(|(n, _)| n == name) {
                None => out.push(entry(name, TextChange::Removed, text, "")),
                Some((_, t)) if t != text => out.push(entry(name, TextChange::Changed, text, t)),
                Some(_) => {}
            }
        }
        for (name, text) in &new {
            if !old.iter().any(|(n, _)| n == name) {
                out.push(entry(name, TextChange::Added, "", text));
            }
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
        (
            "entities",
            from.files.entities.as_ref(),
            to.files.entities.as_ref(),
        ),
    ];
    for (name, a, b) in file_pairs {
        let (a, b) = (
            a.map_or("", |f| f.text.as_str()),
            b.map_or("", |f| f.text.as_str()),
        );
        if a != b {
            out.push(entry(name, TextChange::Changed, a, b));
        }
    }
    out
}

/// A link as text lines, for diffing: its template, then each slot value.
fn link_text(l: &crate::policies::LinkInfo) -> String {
    let mut s = format!("template = {}\n", l.template);
    for (k, v) in &l.args {
        s.push_str(&format!("{k} = {v}\n"));
    }
    s
}

/// The text changes between two projects as unified diffs, paired as
/// [`text_sides`] pairs them (so both views show the same entries): policies
/// matched by id, a policy rewritten in place under a new id as one entry
/// from its old text to its new one, templates by `@id` (named
/// `template <id>`), links by link id (`link <id>`, shown as their template
/// and slot values), then the schema, the inventory and `entities.json`.
pub fn text_diff(from: &Project, to: &Project) -> Vec<TextDiffEntry> {
    text_sides(from, to)
        .into_iter()
        .map(|t| {
            let old_name = t.renamed_from.as_deref().unwrap_or(&t.name);
            let (a, b) = match t.change {
                TextChange::Removed => (format!("a/{}", t.name), "/dev/null".to_string()),
                TextChange::Added => ("/dev/null".to_string(), format!("b/{}", t.name)),
                TextChange::Changed => (format!("a/{old_name}"), format!("b/{}", t.name)),
            };
            TextDiffEntry {
                unified: unified(&t.old, &t.new, &a, &b),
                name: t.name,
                change: t.change,
                renamed_from: t.renamed_from,
            }
        })
        .collect()
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

#[cfg(test)]
mod text_sides_tests {
    use super::*;
    use crate::project::{check_project, today_utc};
    use std::path::Path;

    fn sample(v: &str) -> Project {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../sample-policies")
            .join(v);
        check_project(&root, today_utc())
            .project
            .expect("the sample checks")
    }

    #[test]
    fn sides_carry_both_full_texts_and_pair_rewritten_policies() {
        let (v1, v2) = (sample("v1"), sample("v2"));
        let sides = text_sides(&v1, &v2);
        let unified = text_diff(&v1, &v2);
        assert!(!sides.is_empty());
        for s in &sides {
            match s.change {
                TextChange::Added => assert!(s.old.is_empty() && !s.new.is_empty()),
                TextChange::Removed => assert!(!s.old.is_empty() && s.new.is_empty()),
                TextChange::Changed => assert_ne!(s.old, s.new),
            }
            let old_id = s.renamed_from.as_deref().unwrap_or(&s.name);
            if let Some(p) = v1.policies.get(old_id) {
                assert_eq!(s.old, p.text);
            }
            if let Some(q) = v2.policies.get(&s.name) {
                assert_eq!(s.new, q.text);
            }
        }
        // The unified diffs pair entries exactly as the sides do.
        let from_unified: Vec<(&String, TextChange, Option<&String>)> = unified
            .iter()
            .map(|u| (&u.name, u.change, u.renamed_from.as_ref()))
            .collect();
        let from_sides: Vec<(&String, TextChange, Option<&String>)> = sides
            .iter()
            .map(|s| (&s.name, s.change, s.renamed_from.as_ref()))
            .collect();
        assert_eq!(from_unified, from_sides);
        // The regression: `low-tier-no-destructive` rewritten in place as
        // `low-tier-no-production-changes`, shown with both texts.
        let regression = sides
            .iter()
            .find(|s| s.name == "low-tier-no-production-changes")
            .expect("the regression policy is shown");
        assert_eq!(regression.change, TextChange::Changed);
        assert_eq!(
            regression.renamed_from.as_deref(),
            Some("low-tier-no-destructive")
        );
        assert!(regression.old.contains("@id(\"low-tier-no-destructive\")"));
        assert!(regression
            .new
            .contains("@id(\"low-tier-no-production-changes\")"));
        // The unified diff of the pair runs from the old policy to the new.
        let paired = unified
            .iter()
            .find(|u| u.name == "low-tier-no-production-changes")
            .expect("the regression policy's unified diff");
        assert_eq!(paired.change, TextChange::Changed);
        assert!(
            paired.unified.contains("--- a/low-tier-no-destructive"),
            "{}",
            paired.unified
        );
        assert!(paired.unified.contains("-@id(\"low-tier-no-destructive\")"));
        assert!(paired
            .unified
            .contains("+@id(\"low-tier-no-production-changes\")"));
        // Nothing changes against itself.
        assert!(text_sides(&v2, &v2).is_empty());
    }
}

#[cfg(test)]
mod responsible_tests {
    use super::*;

    #[test]
    fn responsible_policies_are_ranked_by_their_larger_count() {
        let mut d = DecisionDiff::new();
        for (p, n) in [
            ("allow-reads", 5),
            ("old-permit", 9),
            ("tie-b", 3),
            ("tie-a", 3),
        ] {
            d.responsible_from.insert(p.to_string(), n);
        }
        for (p, n) in [("new-forbid", 12), ("allow-reads", 4), ("tie-a", 0)] {
            d.responsible_to.insert(p.to_string(), n);
        }
        let order: Vec<(String, u64, u64)> = d
            .responsible_ranked()
            .into_iter()
            .map(|r| (r.policy, r.before, r.after))
            .collect();
        let want = [
            ("new-forbid", 0, 12),
            ("old-permit", 9, 0),
            ("allow-reads", 5, 4),
            ("tie-a", 3, 0),
            ("tie-b", 3, 0),
        ]
        .map(|(p, b, a)| (p.to_string(), b, a));
        assert_eq!(order, want);
        assert!(DecisionDiff::new().responsible_ranked().is_empty());
    }

    #[test]
    fn a_change_filter_matches_agent_and_either_sides_policy() {
        let side = |reasons: &[&str]| Side {
            decision: Decision::Deny,
            verdict: Verdict::NotPermitted,
            reasons: reasons.iter().map(|r| Arc::from(*r)).collect(),
            errors: Vec::new(),
        };
        let change = Change {
            line: 7,
            kind: ChangeKind::AllowToDeny,
            agent: "bot".into(),
            action: "deploy".into(),
            resource: "Tool::\"deploy\"".into(),
            from: side(&["old-permit"]),
            to: side(&["new-forbid"]),
        };
        let f = |agent: Option<&str>, policy: Option<&str>| ChangeFilter {
            agent: agent.map(str::to_string),
            policy: policy.map(str::to_string),
        };
        assert!(f(None, None).matches(&change));
        assert!(f(Some("bot"), Some("old-permit")).matches(&change));
        assert!(f(None, Some("new-forbid")).matches(&change));
        assert!(!f(None, Some("new")).matches(&change), "whole ids only");
        assert!(!f(Some("other"), None).matches(&change));
        assert!(!f(Some("other"), Some("new-forbid")).matches(&change));
    }
}

#[cfg(test)]
mod file_unified_tests {
    use super::*;

    #[test]
    fn an_edited_file_gives_its_hunks_under_its_path() {
        let old = "a\nb\nc\n";
        let new = "a\nB\nc\nd\n";
        let d = file_unified("policies/x.cedar", old, new);
        assert!(
            d.starts_with("--- a/policies/x.cedar\n+++ b/policies/x.cedar\n"),
            "{d}"
        );
        assert!(d.contains("\n-b\n+B\n"), "{d}");
        assert!(d.contains("\n+d\n"), "{d}");
        assert_eq!(file_unified("p", old, old), "");
    }
}
