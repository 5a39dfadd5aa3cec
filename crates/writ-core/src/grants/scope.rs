//! Which inventory agent × schema action pairs a permit's scope covers,
//! conditions aside: the principal and action constraints read against
//! the entity hierarchy (an agent's teams) and the action groups. One kind
//! of condition is read as scope: a `when` conjunct `principal in [E, ...]`
//! or `principal == E` of entity literals, the explicit principal list
//! Cedar's scope cannot hold (as `writ draft` and the proposed narrowings
//! write it).

use crate::project::Project;
use crate::schema::ActionShape;
use cedar_policy::{ActionConstraint, Effect, EntityUid, PrincipalConstraint};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

/// The entity type of inventory agents.
const AGENT_TYPE: &str = "Agent";

/// Whether the principal constraint admits `agent`.
fn principal_admits(c: &PrincipalConstraint, agent: &EntityUid, project: &Project) -> bool {
    let within =
        |group: &EntityUid| group == agent || project.entities.is_ancestor_of(group, agent);
    match c {
        PrincipalConstraint::Any => true,
        PrincipalConstraint::Eq(u) => u == agent,
        PrincipalConstraint::In(u) => within(u),
        PrincipalConstraint::Is(t) => t == agent.type_name(),
        PrincipalConstraint::IsIn(t, u) => t == agent.type_name() && within(u),
    }
}

/// Whether the action constraint admits `action`.
fn action_admits(c: &ActionConstraint, action: &ActionShape) -> bool {
    let within = |u: &EntityUid| *u == action.uid || action.groups.contains(u);
    match c {
        ActionConstraint::Any => true,
        ActionConstraint::Eq(u) => *u == action.uid,
        ActionConstraint::In(list) => list.iter().any(within),
    }
}

/// The explicit principal lists of a policy's `when` conditions (each
/// list a conjunct every admitted principal must satisfy).
fn principal_lists(policy: &cedar_policy::Policy) -> Vec<Vec<EntityUid>> {
    fn conjuncts<'v>(body: &'v serde_json::Value, out: &mut Vec<&'v serde_json::Value>) {
        match body.get("&&") {
            Some(and) => {
                if let (Some(l), Some(r)) = (and.get("left"), and.get("right")) {
                    conjuncts(l, out);
                    conjuncts(r, out);
                }
            }
            None => out.push(body),
        }
    }
    fn literal(v: &serde_json::Value) -> Option<EntityUid> {
        let e = v.get("Value")?.get("__entity")?;
        let ty = cedar_policy::EntityTypeName::from_str(e.get("type")?.as_str()?).ok()?;
        let id = cedar_policy::EntityId::new(e.get("id")?.as_str()?);
        Some(EntityUid::from_type_name_and_id(ty, id))
    }
    let is_principal = |v: Option<&serde_json::Value>| {
        v.and_then(|l| l.get("Var")).and_then(|x| x.as_str()) == Some("principal")
    };
    let Ok(est) = policy.to_json() else {
        return Vec::new();
    };
    let mut lists = Vec::new();
    for c in est
        .get("conditions")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
    {
        if c.get("kind").and_then(|k| k.as_str()) != Some("when") {
            continue;
        }
        let Some(body) = c.get("body") else { continue };
        let mut parts = Vec::new();
        conjuncts(body, &mut parts);
        for part in parts {
            if let Some(op) = part.get("in").filter(|op| is_principal(op.get("left"))) {
                let set = op
                    .get("right")
                    .and_then(|r| r.get("Set"))
                    .and_then(|s| s.as_array());
                if let Some(items) = set {
                    let uids: Option<Vec<EntityUid>> = items.iter().map(literal).collect();
                    if let Some(uids) = uids {
                        lists.push(uids);
                    }
                }
            } else if let Some(op) = part.get("==").filter(|op| is_principal(op.get("left"))) {
                if let Some(u) = op.get("right").and_then(literal) {
                    lists.push(vec![u]);
                }
            }
        }
    }
    lists
}

/// One permit and the pairs its scope covers.
#[derive(Debug, Clone)]
pub struct PermitScope {
    /// The policy's Writ id.
    pub id: String,
    /// Whether it is a static policy (a template link cannot be rewritten).
    pub is_static: bool,
    /// Covered pairs: agent uid → the actions (uids as Cedar prints them).
    pub covers: BTreeMap<String, Vec<String>>,
}

/// The schema's actions that an `Agent` may take.
pub fn agent_actions(project: &Project) -> Vec<Arc<ActionShape>> {
    project
        .schema
        .actions()
        .into_iter()
        .filter(|a| a.principals.iter().any(|p| p == AGENT_TYPE))
        .cloned()
        .collect()
}

/// The uids of the inventory's agents, in inventory order.
pub fn inventory_agents(project: &Project) -> Vec<EntityUid> {
    let Ok(agent_type) = cedar_policy::EntityTypeName::from_str(AGENT_TYPE) else {
        return Vec::new();
    };
    project
        .inventory
        .agent
        .iter()
        .map(|a| {
            EntityUid::from_type_name_and_id(
                agent_type.clone(),
                cedar_policy::EntityId::new(a.id.get_ref()),
            )
        })
        .collect()
}

/// Every permit with the inventory agent × agent action pairs its scope
/// covers, in policy-set order; permits covering none are left out.
pub fn permit_scopes(project: &Project) -> Vec<PermitScope> {
    let actions = agent_actions(project);
    let agents: Vec<EntityUid> = inventory_agents(project);
    let mut out = Vec::new();
    let mut ids: Vec<&cedar_policy::Policy> = project.policies.set.policies().collect();
    ids.sort_by_key(|p| p.id().to_string());
    for p in ids {
        if p.effect() != Effect::Permit {
            continue;
        }
        let pc = p.principal_constraint();
        let lists = principal_lists(p);
        let ac = p.action_constraint();
        let matching: Vec<&Arc<ActionShape>> =
            actions.iter().filter(|a| action_admits(&ac, a)).collect();
        if matching.is_empty() {
            continue;
        }
        let mut covers = BTreeMap::new();
        for uid in &agents {
            let listed = lists.iter().all(|list| {
                list.iter()
                    .any(|e| e == uid || project.entities.is_ancestor_of(e, uid))
            });
            if listed && principal_admits(&pc, uid, project) {
                covers.insert(
                    uid.to_string(),
                    matching.iter().map(|a| a.uid.to_string()).collect(),
                );
            }
        }
        if !covers.is_empty() {
            out.push(PermitScope {
                id: p.id().to_string(),
                is_static: p.is_static(),
                covers,
            });
        }
    }
    out
}
