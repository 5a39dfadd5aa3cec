//! What a policy set can read: the context attributes its policies
//! reference, found by walking each policy's syntax tree (Cedar's JSON form).
//!
//! Two requests with the same principal, action, resource and the same
//! values for these attributes get the same decision from the same policies
//! and entities, so the engine decides such a request once and reuses the
//! result.

use cedar_policy::PolicySet;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// The part of the context a policy set reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextUse {
    /// Only these top-level attributes (sorted).
    Attributes(Vec<String>),
    /// The context as a whole (some policy uses `context` other than by
    /// reading an attribute), so every attribute is relevant.
    Whole,
}

impl ContextUse {
    /// Whether attribute `name` is relevant.
    pub fn reads(&self, name: &str) -> bool {
        match self {
            ContextUse::Whole => true,
            ContextUse::Attributes(a) => a.binary_search_by(|x| x.as_str().cmp(name)).is_ok(),
        }
    }
}

/// Finds the context attributes `policies` read.
pub fn context_use(policies: &PolicySet) -> ContextUse {
    let mut attrs = BTreeSet::new();
    let mut whole = false;
    for p in policies.policies() {
        match p.to_json() {
            Ok(json) => walk(&json, &mut attrs, &mut whole),
            Err(_) => whole = true,
        }
    }
    for t in policies.templates() {
        match t.to_json() {
            Ok(json) => walk(&json, &mut attrs, &mut whole),
            Err(_) => whole = true,
        }
    }
    if whole {
        ContextUse::Whole
    } else {
        ContextUse::Attributes(attrs.into_iter().collect())
    }
}

/// The context use of a policy set per action: each action gets the union
/// of the uses of the policies whose scope can match it. Actions the map
/// does not name use [`ActionContextUse::fallback`].
#[derive(Debug, Clone)]
pub struct ActionContextUse {
    /// Per action id.
    pub by_action: HashMap<String, ContextUse>,
    /// For actions not named: the union over all policies.
    pub fallback: ContextUse,
}

impl ActionContextUse {
    /// The context use for action `id`.
    pub fn for_action(&self, id: &str) -> &ContextUse {
        self.by_action.get(id).unwrap_or(&self.fallback)
    }
}

/// Which actions a policy's scope can match: `None` for every action.
fn scope_actions(est: &Value, ancestors: &HashMap<String, Vec<String>>) -> Option<Vec<String>> {
    let action = est.get("action")?;
    let op = action.get("op").and_then(Value::as_str)?;
    let ids: Vec<&str> = match op {
        "==" | "in" => {
            let mut ids = Vec::new();
            if let Some(id) = action
                .get("entity")
                .and_then(|e| e.get("id"))
                .and_then(Value::as_str)
            {
                ids.push(id);
            }
            if let Some(list) = action.get("entities").and_then(Value::as_array) {
                ids.extend(
                    list.iter()
                        .filter_map(|e| e.get("id").and_then(Value::as_str)),
                );
            }
            ids
        }
        _ => return None,
    };
    let mut out = Vec::new();
    for (action_id, anc) in ancestors {
        let hit = ids
            .iter()
            .any(|id| *id == action_id || (op == "in" && anc.iter().any(|a| a == id)));
        if hit {
            out.push(action_id.clone());
        }
    }
    Some(out)
}

/// Finds the context use of `policies` per action. `action_groups` maps
/// each action id to the ids of the groups it is directly a member of.
pub fn context_use_by_action(
    policies: &PolicySet,
    action_groups: &HashMap<String, Vec<String>>,
) -> ActionContextUse {
    // Transitive ancestors of every action.
    let mut ancestors: HashMap<String, Vec<String>> = HashMap::new();
    for id in action_groups.keys() {
        let mut seen: Vec<String> = Vec::new();
        let mut todo: Vec<&String> = action_groups
            .get(id)
            .map(|g| g.iter().collect())
            .unwrap_or_default();
        while let Some(g) = todo.pop() {
            if seen.contains(g) {
                continue;
            }
            seen.push(g.clone());
            if let Some(more) = action_groups.get(g) {
                todo.extend(more.iter());
            }
        }
        ancestors.insert(id.clone(), seen);
    }
    let mut per: HashMap<String, (BTreeSet<String>, bool)> = action_groups
        .keys()
        .map(|k| (k.clone(), (BTreeSet::new(), false)))
        .collect();
    let mut all_attrs = BTreeSet::new();
    let mut all_whole = false;
    for p in policies.policies() {
        let mut attrs = BTreeSet::new();
        let mut whole = false;
        let scope = match p.to_json() {
            Ok(json) => {
                walk(&json, &mut attrs, &mut whole);
                scope_actions(&json, &ancestors)
            }
            Err(_) => {
                whole = true;
                None
            }
        };
        let targets: Vec<String> = scope.unwrap_or_else(|| per.keys().cloned().collect());
        for t in targets {
            if let Some(entry) = per.get_mut(&t) {
                entry.0.extend(attrs.iter().cloned());
                entry.1 |= whole;
            }
        }
        all_attrs.extend(attrs);
        all_whole |= whole;
    }
    if policies.templates().next().is_some() {
        all_whole = true;
        for entry in per.values_mut() {
            entry.1 = true;
        }
    }
    let to_use = |(attrs, whole): (BTreeSet<String>, bool)| {
        if whole {
            ContextUse::Whole
        } else {
            ContextUse::Attributes(attrs.into_iter().collect())
        }
    };
    ActionContextUse {
        by_action: per.into_iter().map(|(k, v)| (k, to_use(v))).collect(),
        fallback: to_use((all_attrs, all_whole)),
    }
}

fn is_context_var(v: &Value) -> bool {
    v.get("Var").and_then(Value::as_str) == Some("context")
}

fn walk(v: &Value, attrs: &mut BTreeSet<String>, whole: &mut bool) {
    match v {
        Value::Object(map) => {
            if is_context_var(v) {
                // Reached `context` other than as the left side of an
                // attribute access or `has`.
                *whole = true;
                return;
            }
            for op in [".", "has"] {
                if let Some(inner) = map.get(op) {
                    if let (Some(left), Some(attr)) =
                        (inner.get("left"), inner.get("attr").and_then(Value::as_str))
                    {
                        if is_context_var(left) {
                            attrs.insert(attr.to_string());
                            continue;
                        }
                    }
                }
            }
            for (k, child) in map {
                if (k == "." || k == "has") && child.get("left").is_some_and(is_context_var) {
                    continue;
                }
                walk(child, attrs, whole);
            }
        }
        Value::Array(items) => {
            for i in items {
                walk(i, attrs, whole);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn finds_attribute_reads() {
        let set = PolicySet::from_str(
            "permit(principal, action, resource) when { context.a && context has b && context.c.d == 1 };
             forbid(principal, action, resource) unless { context.e };",
        )
        .expect("parses");
        assert_eq!(
            context_use(&set),
            ContextUse::Attributes(vec!["a".into(), "b".into(), "c".into(), "e".into()])
        );
    }

    #[test]
    fn whole_context_use_is_detected() {
        let set =
            PolicySet::from_str("permit(principal, action, resource) when { context == {} };")
                .expect("parses");
        assert_eq!(context_use(&set), ContextUse::Whole);
    }

    #[test]
    fn context_use_is_split_by_action_scope() {
        let set = PolicySet::from_str(
            "permit(principal, action == Action::\"a\", resource) when { context.x };
             permit(principal, action in Action::\"g\", resource) when { context.y };
             forbid(principal, action, resource) when { context.z };",
        )
        .expect("parses");
        let groups: HashMap<String, Vec<String>> = [
            ("a".to_string(), vec![]),
            ("b".to_string(), vec!["g".to_string()]),
            ("c".to_string(), vec![]),
            ("g".to_string(), vec![]),
        ]
        .into_iter()
        .collect();
        let u = context_use_by_action(&set, &groups);
        assert_eq!(
            u.for_action("a"),
            &ContextUse::Attributes(vec!["x".into(), "z".into()])
        );
        assert_eq!(
            u.for_action("b"),
            &ContextUse::Attributes(vec!["y".into(), "z".into()])
        );
        assert_eq!(u.for_action("c"), &ContextUse::Attributes(vec!["z".into()]));
        assert_eq!(
            u.for_action("unknown"),
            &ContextUse::Attributes(vec!["x".into(), "y".into(), "z".into()])
        );
    }

    #[test]
    fn no_context_use_means_no_attributes() {
        let set =
            PolicySet::from_str("permit(principal, action, resource) when { principal.x == 1 };")
                .expect("parses");
        assert_eq!(context_use(&set), ContextUse::Attributes(vec![]));
    }
}
