//! The reference: Cedar itself, asked the way the Cedar CLI asks.

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, EntityId, EntityTypeName, EntityUid,
    PolicyId, PolicySet, Request, Schema, SlotId,
};
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;
use writ_cedargen::{Case, GenPolicy, GenRequest, Link, Spelling};
use writ_core::trace::Decision;

/// What Writ must answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Cedar refuses to build the request (or the bare action id is
    /// ambiguous): Writ must give verdict `error` with a request error.
    RequestError(String),
    /// Cedar decides: decision, determining policies and erroring policies
    /// (Writ ids: `@id`, or the link id), sorted.
    Decided {
        /// Allow or deny.
        decision: Decision,
        /// Determining policies.
        reasons: Vec<String>,
        /// Policies whose evaluation failed.
        errors: Vec<String>,
    },
}

impl Answer {
    /// The decision (deny for a request error).
    pub fn decision(&self) -> Decision {
        match self {
            Answer::RequestError(_) => Decision::Deny,
            Answer::Decided { decision, .. } => *decision,
        }
    }
}

/// Cedar's view of a case: its schema, entities and the two policy sets.
pub struct Reference {
    schema: Schema,
    entities: Entities,
    sets: [(PolicySet, HashMap<String, String>); 2],
    authorizer: Authorizer,
}

/// A uid built through Cedar's API (never by formatting text).
pub fn uid(ty: &str, id: &str) -> Result<EntityUid, String> {
    let ty = EntityTypeName::from_str(ty).map_err(|e| format!("type `{ty}`: {e}"))?;
    Ok(EntityUid::from_type_name_and_id(ty, EntityId::new(id)))
}

/// A policy set with its links, and the map from Cedar's policy ids to
/// Writ's (`@id` for static policies, the link id for links).
pub fn policy_set(
    policies: &[GenPolicy],
    links: &[Link],
) -> Result<(PolicySet, HashMap<String, String>), String> {
    let text = writ_cedargen::policies_text(policies);
    let mut set = PolicySet::from_str(&text).map_err(|e| format!("policies: {e}"))?;
    let templates: HashMap<String, PolicyId> = set
        .templates()
        .filter_map(|t| Some((t.annotation("id")?.to_string(), t.id().clone())))
        .collect();
    for l in links {
        let Some(t) = templates.get(&l.template_id) else {
            continue;
        };
        let mut vals = HashMap::new();
        for (slot, ty, id) in &l.args {
            let slot = if slot == "?principal" {
                SlotId::principal()
            } else {
                SlotId::resource()
            };
            vals.insert(slot, uid(ty, id)?);
        }
        set.link(t.clone(), PolicyId::new(&l.link_id), vals)
            .map_err(|e| format!("link {}: {e}", l.link_id))?;
    }
    let names = set
        .policies()
        .map(|p| {
            let name = if p.is_static() {
                p.annotation("id").unwrap_or(p.id().as_ref()).to_string()
            } else {
                p.id().to_string()
            };
            (p.id().to_string(), name)
        })
        .collect();
    Ok((set, names))
}

impl Reference {
    /// Cedar's view of `case` (policy set A, and B for `diff`).
    pub fn new(case: &Case) -> Result<Reference, String> {
        let (schema, _) =
            Schema::from_cedarschema_str(&case.schema_text).map_err(|e| format!("schema: {e}"))?;
        let entities = Entities::from_json_value(case.entities.clone(), Some(&schema))
            .map_err(|e| format!("entities: {e}"))?;
        Ok(Reference {
            sets: [
                policy_set(&case.policies, &case.links)?,
                policy_set(&case.policies_b, &case.links)?,
            ],
            schema,
            entities,
            authorizer: Authorizer::new(),
        })
    }

    /// The action uid a request means: a qualified spelling names it; a
    /// bare id names the one action declaring it, and is an error when
    /// several namespaces declare it.
    pub fn action(case: &Case, req: &GenRequest) -> Result<EntityUid, String> {
        let ns = match req.spelling {
            Spelling::Bare => {
                let declaring = case.model.namespaces_declaring(&req.action.1);
                match declaring.as_slice() {
                    [] => req.action.0.clone(),
                    [one] => one.to_string(),
                    many => {
                        return Err(format!(
                            "bare action id {:?} is declared in several namespaces: {many:?}",
                            req.action.1
                        ))
                    }
                }
            }
            Spelling::Qualified | Spelling::QualifiedEscaped => req.action.0.clone(),
        };
        uid(&writ_cedargen::model::action_type(&ns), &req.action.1)
    }

    /// Cedar's answer for `req` under policy set `which` (0 = A, 1 = B).
    pub fn answer(&self, case: &Case, req: &GenRequest, which: usize) -> Answer {
        let built = (|| -> Result<Request, String> {
            let principal = uid(&req.principal.0, &req.principal.1)?;
            let action = Self::action(case, req)?;
            let resource = uid(&req.resource.0, &req.resource.1)?;
            let context = Context::from_json_value(
                Value::Object(req.context.clone()),
                Some((&self.schema, &action)),
            )
            .map_err(|e| e.to_string())?;
            Request::new(principal, action, resource, context, Some(&self.schema))
                .map_err(|e| e.to_string())
        })();
        let request = match built {
            Ok(r) => r,
            Err(e) => return Answer::RequestError(e),
        };
        let (set, names) = &self.sets[which];
        let response = self.authorizer.is_authorized(&request, set, &self.entities);
        let name = |id: &PolicyId| {
            names
                .get(&id.to_string())
                .cloned()
                .unwrap_or_else(|| id.to_string())
        };
        let mut reasons: Vec<String> = response.diagnostics().reason().map(name).collect();
        reasons.sort();
        let mut errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(|e| {
                let cedar_policy::AuthorizationError::PolicyEvaluationError(pe) = e;
                name(pe.policy_id())
            })
            .collect();
        errors.sort();
        Answer::Decided {
            decision: match response.decision() {
                CedarDecision::Allow => Decision::Allow,
                CedarDecision::Deny => Decision::Deny,
            },
            reasons,
            errors,
        }
    }
}
