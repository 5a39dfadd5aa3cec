//! What a policy set can read: the context attributes its policies
//! reference, found by walking each policy's syntax tree (Cedar's JSON form).
//!
//! Two requests with the same principal, action, resource and the same
//! values for these attributes get the same decision from the same policies
//! and entities, so the engine decides such a request once and reuses the
//! result. Per action, the attributes are those of the policies whose
//! scope can match it ([`crate::policy_index`]).

use cedar_policy::PolicySet;
use serde_json::Value;
use std::collections::BTreeSet;

/// The part of the context a policy set reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextUse {
    /// Only these top-level attributes (sorted).
    Attributes(Vec<String>),
    /// The context as a whole (some policy uses `context` other than by
    /// reading an attribute), so every attribute is relevant.
    Whole,
}

impl Default for ContextUse {
    /// Reads nothing.
    fn default() -> Self {
        ContextUse::Attributes(Vec::new())
    }
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

/// The context attributes one policy reads (a template-linked policy
/// reads what its template reads).
pub fn policy_context_use(policy: &cedar_policy::Policy) -> ContextUse {
    let mut attrs = BTreeSet::new();
    let mut whole = false;
    match policy.to_json() {
        Ok(json) => walk(&json, &mut attrs, &mut whole),
        Err(_) => whole = true,
    }
    if whole {
        ContextUse::Whole
    } else {
        ContextUse::Attributes(attrs.into_iter().collect())
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
    fn no_context_use_means_no_attributes() {
        let set =
            PolicySet::from_str("permit(principal, action, resource) when { principal.x == 1 };")
                .expect("parses");
        assert_eq!(context_use(&set), ContextUse::Attributes(vec![]));
    }
}
