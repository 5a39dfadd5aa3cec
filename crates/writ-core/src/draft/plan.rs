//! What a draft grants: from the observations, one permit per tool and
//! group of principals that used the same resources, widened (and marked
//! so) only past the limits; and the step-up forbids for sensitive tools
//! and shadow identities.

use super::identity::{unique, DraftIdentity};
use super::observe::Observations;
use super::sensitive::{self, Sensitivity};
use super::sketch::declarable;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The limits and marks a draft is made with.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Distinct resources of one type a permit lists before it leaves the
    /// resource open (`@widened`).
    pub max_resources: usize,
    /// Principals of one type a permit lists before it leaves the principal
    /// open (`@widened`).
    pub max_principals: usize,
    /// Tools the analyst marks as needing a step-up.
    pub step_up: BTreeSet<String>,
    /// Tools the analyst clears (granted outright whatever their names suggest).
    pub plain: BTreeSet<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_resources: 20,
            max_principals: 25,
            step_up: BTreeSet::new(),
            plain: BTreeSet::new(),
        }
    }
}

/// Which principals or resources a grant covers: listed ones of one
/// entity type, or (widened) any of the type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "DraftEntityScope")]
pub enum EntityScope {
    /// These entity ids of the type.
    Listed {
        /// Entity type.
        entity_type: String,
        /// Entity ids, sorted.
        ids: Vec<String>,
    },
    /// Any entity of the type (widened).
    AnyOf {
        /// Entity type.
        entity_type: String,
        /// How many distinct ones were seen (at least).
        seen: usize,
    },
}

/// Which principals a grant covers.
pub type Principals = EntityScope;
/// Which resources a grant covers.
pub type Resources = EntityScope;

/// One permit of the draft.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "DraftGrant")]
pub struct Grant {
    /// The policy's `@id`.
    pub id: String,
    /// The tool (action id).
    pub tool: String,
    /// Who.
    pub principals: Principals,
    /// On what.
    pub resources: Resources,
    /// Executed calls it covers.
    pub calls: u64,
    /// Whether a step-up forbid also applies (a sensitive tool or a shadow).
    pub step_up: bool,
    /// What was widened and why, if anything.
    pub widened: Option<String>,
    /// The first and last time of the calls it covers (RFC 3339).
    pub window: Option<(String, String)>,
}

/// A tool the draft puts behind a human approval.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "DraftStepUp")]
pub struct StepUpDraft {
    /// The policy's `@id`.
    pub id: String,
    /// The tools it covers.
    pub tools: Vec<String>,
    /// For a shadow identity, its principal (`Agent::"unknown-agent"`).
    pub principal: Option<(String, String)>,
    /// Why.
    pub reason: String,
}

/// A pair the draft does not grant, and why.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "DraftNotGranted")]
pub struct NotGranted {
    /// The identity as recorded.
    pub identity: String,
    /// The tool.
    pub tool: String,
    /// Why (`blocked 3 times, never executed`).
    pub reason: String,
    /// Its first lines.
    pub lines: Vec<usize>,
}

/// Each tool's sensitivity, as decided for the draft.
pub fn sensitivities(
    obs: &Observations,
    limits: &Limits,
) -> BTreeMap<String, (Sensitivity, String)> {
    let mut out = BTreeMap::new();
    for (tool, seen) in &obs.tools {
        if limits.plain.contains(tool) {
            continue;
        }
        if limits.step_up.contains(tool) {
            out.insert(
                tool.clone(),
                (Sensitivity::Marked, "the analyst marked it".to_string()),
            );
            continue;
        }
        let names = seen
            .arg_names
            .iter()
            .chain(seen.context.keys())
            .map(String::as_str);
        if let Some(found) = sensitive::classify(tool, names) {
            out.insert(tool.clone(), found);
        }
    }
    out
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A policy id part from a tool name.
fn id_part(s: &str) -> String {
    let part: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let part = part.trim_matches('-');
    if part.is_empty() {
        "tool".into()
    } else {
        part.to_string()
    }
}

/// Per principal: its resources by type (`None` when more were seen than
/// remembered), its calls and window.
struct Use {
    resources: BTreeMap<String, BTreeSet<String>>,
    overflow: bool,
    calls: u64,
    window: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
}

fn join_window(
    a: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
    b: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
) -> Option<(time::OffsetDateTime, time::OffsetDateTime)> {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        (x, None) | (None, x) => x,
    }
}

/// A principal's resources as a grouping key: per type, the ids (empty
/// past the limit).
type ResourceSets = Vec<(String, Vec<String>)>;

/// Everything the draft grants, in tool order.
pub struct Plan {
    /// The permits.
    pub grants: Vec<Grant>,
    /// The step-up forbids.
    pub step_ups: Vec<StepUpDraft>,
    /// Pairs seen but not granted.
    pub not_granted: Vec<NotGranted>,
}

/// Plans the draft's policies.
pub fn plan(
    obs: &Observations,
    identities: &[DraftIdentity],
    sensitive: &BTreeMap<String, (Sensitivity, String)>,
    limits: &Limits,
) -> Plan {
    let by_recorded: BTreeMap<&str, &DraftIdentity> = identities
        .iter()
        .map(|d| (d.recorded.as_str(), d))
        .collect();
    let mut grants = Vec::new();
    let mut not_granted = Vec::new();
    let mut used_ids: BTreeSet<String> = BTreeSet::new();
    // tool -> (principal type, shadow) -> principal id -> use
    type ByPrincipal = BTreeMap<(String, bool), BTreeMap<String, Use>>;
    let mut uses: BTreeMap<&str, ByPrincipal> = BTreeMap::new();
    let mut shadow_tools: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for ((recorded, tool), pair) in &obs.pairs {
        let Some(who) = by_recorded.get(recorded.as_str()) else {
            continue;
        };
        if pair.granted_calls == 0 {
            let mut why = Vec::new();
            if pair.blocked > 0 {
                why.push(format!("blocked {} time(s)", pair.blocked));
            }
            if pair.failed > 0 {
                why.push(format!("failed {} time(s)", pair.failed));
            }
            if pair.denied_executed > 0 {
                why.push(format!(
                    "recorded as denied {} time(s)",
                    pair.denied_executed
                ));
            }
            not_granted.push(NotGranted {
                identity: recorded.clone(),
                tool: tool.clone(),
                reason: format!("{}, never executed and allowed", why.join(", ")),
                lines: pair.lines.clone(),
            });
            continue;
        }
        if who.is_shadow() {
            shadow_tools
                .entry((who.entity_type.clone(), who.entity_id.clone()))
                .or_default()
                .insert(tool.clone());
        }
        let mut resources: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // Resources of a type the schema cannot declare (not a plain Cedar
        // name) are never granted: their calls cannot be decided.
        for (ty, id) in pair.resources.iter().filter(|(ty, _)| declarable(ty)) {
            resources.entry(ty.clone()).or_default().insert(id.clone());
        }
        if resources.is_empty() {
            not_granted.push(NotGranted {
                identity: recorded.clone(),
                tool: tool.clone(),
                reason: "its resources' entity types are not plain Cedar names, so no call can be decided".into(),
                lines: pair.lines.clone(),
            });
            continue;
        }
        uses.entry(tool.as_str())
            .or_default()
            .entry((who.entity_type.clone(), who.is_shadow()))
            .or_default()
            .insert(
                who.entity_id.clone(),
                Use {
                    resources,
                    overflow: pair.resources_overflow,
                    calls: pair.granted_calls,
                    window: pair.window,
                },
            );
    }
    for (tool, by_type) in uses {
        for ((ty, shadow), principals) in by_type {
            // Groups: the principals listed (or all of the type, widened)
            // with the resources they used.
            let mut groups: Vec<(Principals, Vec<&Use>)> = Vec::new();
            if !shadow && principals.len() > limits.max_principals {
                groups.push((
                    Principals::AnyOf {
                        entity_type: ty.clone(),
                        seen: principals.len(),
                    },
                    principals.values().collect(),
                ));
            } else {
                let mut same: BTreeMap<ResourceSets, Vec<(&String, &Use)>> = BTreeMap::new();
                for (id, u) in &principals {
                    let key = u
                        .resources
                        .iter()
                        .map(|(t, ids)| {
                            let ids = if u.overflow || ids.len() > limits.max_resources {
                                vec![]
                            } else {
                                ids.iter().cloned().collect()
                            };
                            (t.clone(), ids)
                        })
                        .collect();
                    same.entry(key).or_default().push((id, u));
                }
                for (_, members) in same {
                    groups.push((
                        Principals::Listed {
                            entity_type: ty.clone(),
                            ids: members.iter().map(|(id, _)| (*id).clone()).collect(),
                        },
                        members.into_iter().map(|(_, u)| u).collect(),
                    ));
                }
            }
            for (who, members) in groups {
                let mut by_res: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                let mut overflow = false;
                let mut calls = 0;
                let mut window = None;
                for u in &members {
                    for (t, ids) in &u.resources {
                        by_res
                            .entry(t.clone())
                            .or_default()
                            .extend(ids.iter().cloned());
                    }
                    overflow |= u.overflow;
                    calls += u.calls;
                    window = join_window(window, u.window);
                }
                let step_up = shadow || sensitive.contains_key(tool);
                for (rty, ids) in by_res {
                    let wide = overflow || ids.len() > limits.max_resources;
                    let mut widened = Vec::new();
                    if let Principals::AnyOf { entity_type, seen } = &who {
                        widened.push(format!(
                            "principal: {seen} {entity_type} principals used it, more than the limit of {}",
                            limits.max_principals
                        ));
                    }
                    let resources = if wide {
                        let seen = if overflow {
                            super::observe::RESOURCE_MEMORY
                        } else {
                            ids.len()
                        };
                        widened.push(format!(
                            "resource: {}{seen} distinct {rty} resources used, more than the limit of {}",
                            if overflow { "over " } else { "" },
                            limits.max_resources
                        ));
                        Resources::AnyOf {
                            entity_type: rty.clone(),
                            seen,
                        }
                    } else {
                        Resources::Listed {
                            entity_type: rty.clone(),
                            ids: ids.into_iter().collect(),
                        }
                    };
                    let id = unique(&mut used_ids, format!("draft-{}", id_part(tool)));
                    grants.push(Grant {
                        id,
                        tool: tool.to_string(),
                        principals: who.clone(),
                        resources,
                        calls,
                        step_up,
                        widened: (!widened.is_empty()).then(|| widened.join("; ")),
                        window: window.map(|(a, b)| (rfc3339(a), rfc3339(b))),
                    });
                }
            }
        }
    }
    let mut step_ups = Vec::new();
    for (tool, (kind, why)) in sensitive {
        if !obs.tools.contains_key(tool) {
            continue;
        }
        let id = unique(&mut used_ids, format!("step-up-{}", id_part(tool)));
        step_ups.push(StepUpDraft {
            id,
            tools: vec![tool.clone()],
            principal: None,
            reason: format!("`{tool}` looks like {}: {why}", kind.phrase()),
        });
    }
    for ((ty, id), tools) in shadow_tools {
        let pid = unique(&mut used_ids, format!("step-up-shadow-{}", id_part(&id)));
        step_ups.push(StepUpDraft {
            id: pid,
            tools: tools.into_iter().collect(),
            principal: Some((ty, id.clone())),
            reason: format!("`{id}` is a shadow identity: no inventory agent stands behind it"),
        });
    }
    Plan {
        grants,
        step_ups,
        not_granted,
    }
}
