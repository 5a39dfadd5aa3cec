//! A proposed narrowing of a permit: the same policy with its action
//! scope cut to the actions it was seen allowing and a condition listing
//! the agents it allowed them for (one policy per group of agents that used
//! the same actions, so no pair is granted that was not used). A permit
//! that allowed nothing in the window is proposed for removal.

use super::usage::Pair;
use crate::project::ProjectFiles;
use cedar_policy::{Policy, PolicyId};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A proposed change of one permit.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Narrowing {
    /// The permit's Writ id.
    pub policy: String,
    /// The file it is in, as shown.
    pub file: String,
    /// Its text now.
    pub original: String,
    /// The proposed text (empty when the proposal is to remove it).
    pub proposed: String,
    /// The pairs the proposal keeps.
    pub keeps: usize,
    /// The pairs it takes away.
    pub removes: usize,
}

/// Why a narrowing cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum NarrowError {
    /// Cedar could not round-trip the policy.
    #[error("policy `{0}` cannot be rewritten: {1}")]
    Rewrite(String, String),
}

fn entity(uid: &str) -> Option<Value> {
    let u = crate::uid::parse_uid(uid)?;
    Some(json!({"type": u.type_name().to_string(), "id": u.id().unescaped()}))
}

/// The proposed policies for `policy` keeping `keep` (principal uid,
/// action uid).
pub fn propose(policy: &Policy, keep: &BTreeSet<Pair>) -> Result<String, NarrowError> {
    let id = policy.id().to_string();
    let fail = |e: String| NarrowError::Rewrite(id.clone(), e);
    if keep.is_empty() {
        return Ok(String::new());
    }
    // Principals grouped by the exact set of actions they used.
    let mut by_agent: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (agent, action) in keep {
        by_agent.entry(agent).or_default().insert(action);
    }
    let mut groups: BTreeMap<BTreeSet<&str>, Vec<&str>> = BTreeMap::new();
    for (agent, actions) in by_agent {
        groups.entry(actions).or_default().push(agent);
    }
    let base = policy.to_json().map_err(|e| fail(e.to_string()))?;
    let mut texts = Vec::new();
    for (n, (actions, agents)) in groups.into_iter().enumerate() {
        let new_id = if n == 0 {
            id.clone()
        } else {
            format!("{id}-{}", n + 1)
        };
        let mut est = base.clone();
        let list: Vec<Value> = actions.iter().filter_map(|a| entity(a)).collect();
        est["action"] = if list.len() == 1 {
            json!({"op": "==", "entity": list[0]})
        } else {
            json!({"op": "in", "entities": list})
        };
        let who: Vec<Value> = agents
            .iter()
            .filter_map(|a| entity(a))
            .map(|e| json!({"Value": {"__entity": e}}))
            .collect();
        let condition = json!({"kind": "when", "body": {"in": {
            "left": {"Var": "principal"},
            "right": {"Set": who}
        }}});
        match est.get_mut("conditions").and_then(Value::as_array_mut) {
            Some(c) => c.insert(0, condition),
            None => est["conditions"] = json!([condition]),
        }
        if !est["annotations"].is_object() {
            est["annotations"] = json!({});
        }
        est["annotations"]["id"] = json!(new_id);
        est["annotations"]["narrowed"] = json!(format!(
            "from {id}: the {} agent(s) x {} action(s) it allowed in the trace window",
            agents.len(),
            actions.len()
        ));
        let p = Policy::from_json(Some(PolicyId::new(&new_id)), est)
            .map_err(|e| fail(e.to_string()))?;
        texts.push(p.to_string());
    }
    let joined = texts.join("\n\n");
    // Cedar's formatter lays the proposal out like hand-written policies;
    // the unformatted text is kept if it declines.
    Ok(crate::format::format_policies(&joined)
        .map(|t| t.trim_end().to_string())
        .unwrap_or(joined))
}

/// The project files with each narrowed policy's text replaced by its
/// proposal (`narrowings` whose policy has no located text are skipped and
/// returned).
pub fn apply(
    files: &ProjectFiles,
    catalog: &crate::policies::PolicyCatalog,
    narrowings: &[Narrowing],
) -> (ProjectFiles, Vec<String>) {
    let mut out = files.clone();
    let mut skipped = Vec::new();
    let mut by_file: BTreeMap<String, Vec<(usize, usize, &Narrowing)>> = BTreeMap::new();
    for n in narrowings {
        match catalog.get(&n.policy).and_then(|p| p.span.map(|s| (p, s))) {
            Some((p, span)) => by_file
                .entry(p.file.display().to_string())
                .or_default()
                .push((span.start, span.end, n)),
            None => skipped.push(n.policy.clone()),
        }
    }
    for f in out.policies.iter_mut() {
        let Some(edits) = by_file.remove(&f.shown.display().to_string()) else {
            continue;
        };
        let mut edits = edits;
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (start, end, n) in edits {
            match f.text.get(start..end) {
                Some(_) => f.text.replace_range(start..end, &n.proposed),
                None => skipped.push(n.policy.clone()),
            }
        }
    }
    // Edits of a file the project does not hold are not applied either.
    skipped.extend(
        by_file
            .into_values()
            .flatten()
            .map(|(_, _, n)| n.policy.clone()),
    );
    (out, skipped)
}
