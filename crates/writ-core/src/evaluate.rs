//! Deciding recorded actions against one policy version.
//!
//! An [`Evaluator`] holds a policy version ready to decide: the policy set
//! (with Writ ids), the entities, the compiled request shapes, the identity
//! resolver and the part of the context the policies read. Deciding is two
//! steps so that a caller can reuse decisions:
//!
//! 1. [`Evaluator::prepare`] resolves the principal, checks the request
//!    against the schema (cheaply, with compiled shapes) and computes a
//!    *relevance key*: principal, action, resource and the values of the
//!    context attributes the policies read. Equal keys get equal decisions.
//! 2. [`Evaluator::decide`] builds the Cedar request (only from relevant
//!    attributes) and asks Cedar.
//!
//! [`Evaluator::decide_reference`] decides the plain way (Cedar parses and
//! validates the full context with the schema) and exists to prove the fast
//! path gives identical results.

pub use crate::now_rule::{now_rule, NowRule};

use crate::faults::{self, Fault};
use crate::policies::{PolicyCatalog, StepUp};
use crate::policy_index::PolicyIndex;
use crate::project::Project;
use crate::projection::ContextUse;
use crate::resolve::{Principal, Resolver};
use crate::schema::{ActionLookupError, ActionName, ActionShape, ProjectSchema};
use crate::shape::{self, check_value, ExtensionLiteralCheck, Shape, ShapeError};
use crate::trace::{cedar_datetime, Decision, TraceRecord};
use cedar_policy::{
    Authorizer, Context, Entities, EntityId, EntityTypeName, EntityUid, PolicySet, Request,
    RestrictedExpression,
};
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write as _;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

/// How the replayed decision is classified for an analyst.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Allowed, without evaluation errors.
    Allowed,
    /// Denied by at least one forbid policy that approval would not lift.
    DeniedByForbid,
    /// Denied because no permit policy applies.
    NotPermitted,
    /// Denied only by `@step_up` forbids: human approval or elevation would allow it.
    NeedsStepUp,
    /// The request could not be built, or a policy failed to evaluate and
    /// the decision may depend on it (see [`Evaluator`]'s classification).
    Error,
}

impl Verdict {
    /// The snake-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::DeniedByForbid => "denied_by_forbid",
            Verdict::NotPermitted => "not_permitted",
            Verdict::NeedsStepUp => "needs_step_up",
            Verdict::Error => "error",
        }
    }

    /// Parses the snake-case name.
    pub fn parse(s: &str) -> Option<Verdict> {
        [
            Verdict::Allowed,
            Verdict::DeniedByForbid,
            Verdict::NotPermitted,
            Verdict::NeedsStepUp,
            Verdict::Error,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// Every verdict, in display order.
    pub const ALL: [Verdict; 5] = [
        Verdict::Allowed,
        Verdict::DeniedByForbid,
        Verdict::NotPermitted,
        Verdict::NeedsStepUp,
        Verdict::Error,
    ];
}

/// A name that is not one of the verdicts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{}` is not a verdict; use one of allowed, denied_by_forbid, not_permitted, needs_step_up, error", crate::display::quoted_input(.0))]
pub struct NotAVerdict(pub String);

impl FromStr for Verdict {
    type Err = NotAVerdict;

    /// Reads the snake-case name, as [`Verdict::parse`], with a typed error.
    fn from_str(s: &str) -> Result<Self, NotAVerdict> {
        Verdict::parse(s).ok_or_else(|| NotAVerdict(s.to_string()))
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy that failed to evaluate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PolicyError {
    /// The policy's Writ id.
    pub policy: Arc<str>,
    /// Cedar's message.
    pub message: String,
}

/// The decision for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Allow or deny (deny when the request could not be built).
    pub decision: Decision,
    /// The determining policies' Writ ids, sorted.
    pub reasons: Vec<Arc<str>>,
    /// Policies that failed to evaluate.
    pub errors: Vec<PolicyError>,
    /// Why the request could not be built, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_error: Option<String>,
    /// The classification.
    pub verdict: Verdict,
    /// For [`Verdict::NeedsStepUp`], what would lift the denial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_up: Option<StepUp>,
}

impl Outcome {
    fn request_error(message: String) -> Outcome {
        Outcome {
            decision: Decision::Deny,
            reasons: Vec::new(),
            errors: Vec::new(),
            request_error: Some(message),
            verdict: Verdict::Error,
            step_up: None,
        }
    }
}

/// A request ready to decide, borrowing from its record.
#[derive(Debug)]
pub struct Prepared<'a> {
    /// The relevance key: equal keys get equal outcomes (see
    /// [`Evaluator::prepare`] for why the key is complete).
    pub key: String,
    /// The resolved principal.
    pub principal: Principal,
    principal_uid: EntityUid,
    action: EntityUid,
    resource: EntityUid,
    body: Body<'a>,
}

/// How the request's context will be built.
#[derive(Debug)]
enum Body<'a> {
    /// From the relevant attributes, converted with the compiled shapes.
    Fast(Vec<(&'a str, Cow<'a, Value>, Option<&'a Shape>)>),
    /// The whole request as Cedar built it with the schema (the record uses
    /// forms only Cedar reads).
    Cedar(Box<Request>),
}

/// A request that could not be prepared.
#[derive(Debug, Clone)]
pub struct Unprepared {
    /// The resolved principal (still reported).
    pub principal: Principal,
    /// The outcome: a request error.
    pub outcome: Arc<Outcome>,
}

/// One policy version, ready to decide.
pub struct Evaluator {
    /// A name for reports (`v1`, a path, ...).
    pub name: String,
    /// The policies.
    pub catalog: PolicyCatalog,
    schema: Option<ProjectSchema>,
    entities: Entities,
    resolver: Resolver,
    index: PolicyIndex,
    validate_requests: bool,
    ext: ExtensionLiteralCheck,
    policy_ids: HashMap<String, Arc<str>>,
    type_names: shape::TypeNames,
    actions: RwLock<FxHashMap<Box<str>, ActionLookup>>,
    authorizer: Authorizer,
}

/// What an action name was found to name.
type ActionLookup = Result<EntityUid, ActionLookupError>;

/// How many distinct action names an evaluator remembers the lookup of.
const ACTION_NAME_MEMO: usize = 16_384;

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Evaluator {
    /// An evaluator for a checked project.
    pub fn from_project(name: impl Into<String>, project: &Project) -> Self {
        Self::new(
            name,
            project.policies.clone(),
            Some(project.schema.clone()),
            project.entities.clone(),
            Resolver::from_inventory(&project.inventory),
        )
    }

    /// An evaluator from parts (used for Cedar's own test files).
    pub fn new(
        name: impl Into<String>,
        catalog: PolicyCatalog,
        schema: Option<ProjectSchema>,
        entities: Entities,
        resolver: Resolver,
    ) -> Self {
        let policy_ids = catalog
            .policies
            .iter()
            .map(|p| (p.id.clone(), Arc::from(p.id.as_str())))
            .collect();
        let type_names = shape::TypeNames::new(
            schema
                .as_ref()
                .map(|s| {
                    s.entity_types
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
                .into_iter()
                .chain(["Agent", "Tool"]),
        );
        let enums = schema
            .as_ref()
            .map(|s| {
                s.entity_types
                    .iter()
                    .filter_map(|(t, d)| d.enum_ids.clone().map(|ids| (t.clone(), ids)))
                    .collect()
            })
            .unwrap_or_default();
        Evaluator {
            name: name.into(),
            type_names,
            validate_requests: schema.is_some(),
            index: PolicyIndex::new(&catalog.set),
            catalog,
            schema,
            entities,
            resolver,
            ext: ExtensionLiteralCheck::with_enums(enums),
            policy_ids,
            actions: RwLock::default(),
            authorizer: Authorizer::new(),
        }
    }

    /// Whether requests are validated against the schema (on by default when
    /// there is a schema; Cedar's test files may turn it off per request).
    pub fn set_validate_requests(&mut self, on: bool) {
        self.validate_requests = on && self.schema.is_some();
    }

    /// The context attributes the policies that can apply to `action` read.
    pub fn context_use(&self, action: &EntityUid) -> Arc<ContextUse> {
        self.index.context_use(action, &self.entities)
    }

    /// The declared action a recorded name refers to (through a memo: the
    /// names of a trace are few, and reading a uid literal costs a Cedar
    /// parse).
    pub fn action(&self, name: &str) -> Result<Arc<ActionShape>, ActionLookupError> {
        self.declared(name).cloned()
    }

    /// [`Evaluator::action`], borrowed from the schema: the memo keeps the
    /// uid a name resolved to, and the shape is one lookup away.
    fn declared(&self, name: &str) -> Result<&Arc<ActionShape>, ActionLookupError> {
        let Some(schema) = &self.schema else {
            return Err(ActionLookupError::NotDeclared(name.to_string()));
        };
        let remembered = self
            .actions
            .read()
            .ok()
            .and_then(|known| known.get(name).cloned());
        let uid = match remembered {
            Some(found) => found?,
            None => {
                let found = schema.action(name).map(|a| a.uid.clone());
                if let Ok(mut known) = self.actions.write() {
                    if known.len() >= ACTION_NAME_MEMO {
                        known.clear();
                    }
                    known.insert(Box::from(name), found.clone());
                }
                found?
            }
        };
        schema
            .action_by_uid(&uid)
            .ok_or_else(|| ActionLookupError::NotDeclared(name.to_string()))
    }

    /// The schema, if the version has one.
    pub fn schema(&self) -> Option<&ProjectSchema> {
        self.schema.as_ref()
    }

    /// The entities the version decides with.
    pub fn entities(&self) -> &Entities {
        &self.entities
    }

    /// Resolves the recorded agent of a record to this version's principal.
    pub fn resolve(&self, record: &TraceRecord) -> Principal {
        self.resolver.resolve(&record.agent)
    }

    /// Step 1: check the record against the schema and compute its key.
    ///
    /// # Why the key is complete
    /// Cedar's answer is a function of the policies, the entities and the
    /// request (principal, action, resource, context). Policies and
    /// entities are fixed for an evaluator. The key holds the principal,
    /// action and resource as full uids (type name as Cedar prints it, and
    /// the raw id, so `N1::Action::"a"` and `N2::Action::"a"` differ), and,
    /// in name order, each context attribute that a policy able to match
    /// this action reads (by `context.x`, `context has x`, or the whole
    /// context: then every attribute), as its JSON text. An attribute no
    /// such policy reads cannot change the decision: a policy whose action
    /// scope does not match is not evaluated at all. The same JSON under the
    /// same action has the same declared type, so it becomes the same Cedar
    /// value. Only requests that were accepted get a key; whether a request
    /// is accepted depends on the whole record and is checked for each one.
    /// Parts are length-prefixed and values end with a NUL byte, which JSON
    /// text never holds raw, so distinct requests never share a key.
    pub fn prepare<'a>(&'a self, record: &'a TraceRecord) -> Result<Prepared<'a>, Unprepared> {
        let principal = self.resolver.resolve(&record.agent);
        let fail = |principal: Principal, msg: String| Unprepared {
            principal,
            outcome: Arc::new(Outcome::request_error(msg)),
        };
        let declared: Option<&'a ActionShape> = match self.declared(&record.action) {
            Ok(a) => Some(a),
            Err(e) if self.validate_requests => return Err(fail(principal, e.to_string())),
            Err(_) => None,
        };
        let action_uid = match &declared {
            Some(a) => a.uid.clone(),
            None => match undeclared_action_uid(&record.action) {
                Ok(uid) => uid,
                Err(e) => return Err(fail(principal, e)),
            },
        };
        let principal_uid = match self.type_names.uid(&principal.ty, &principal.id) {
            Ok(u) => u,
            Err(e) => return Err(fail(principal, e)),
        };
        let resource_uid = match &record.resource {
            Some(r) => self.type_names.uid(&r.ty, &r.id),
            None => self.type_names.uid("Tool", action_uid.id().unescaped()),
        };
        let resource_uid = match resource_uid {
            Ok(u) => u,
            Err(e) => return Err(fail(principal, e)),
        };
        let shape = declared;
        let injections = shape
            .map(|a| Injections::for_record(a, record))
            .unwrap_or_default();
        let checked = if self.validate_requests {
            match shape {
                Some(a) => {
                    self.check_request(a, &principal_uid, &resource_uid, record, &injections)
                }
                None => Ok(()),
            }
        } else {
            check_untyped(record)
        };
        let cedar_body = match checked {
            Ok(()) => None,
            Err(e) if e.outside_fast_path && faults::on(Fault::NoExtnArgs) => {
                return Err(fail(principal, e.to_string()))
            }
            // Anything the compiled check does not accept is Cedar's call.
            Err(e) => match self.reference_request(record) {
                Ok(request) => Some(Body::Cedar(Box::new(request))),
                Err(cedar) => {
                    let msg = if e.outside_fast_path {
                        cedar
                    } else {
                        e.to_string()
                    };
                    return Err(fail(principal, msg));
                }
            },
        };
        let reads = self.index.context_use(&action_uid, &self.entities);
        let mut key = KeyWriter::default();
        key.part(&self.type_names.canonical(&principal.ty));
        key.part(&principal.id);
        if faults::on(Fault::BareActionReuseKey) {
            key.part(action_uid.id().unescaped());
        } else {
            key.part(&action_uid.type_name().to_string());
            key.part(action_uid.id().unescaped());
        }
        key.part(
            &self
                .type_names
                .canonical(record.resource.as_ref().map_or("Tool", |r| r.ty.as_str())),
        );
        key.part(resource_uid.id().unescaped());
        let attr_shape = |name: &str| {
            shape
                .and_then(|a| a.context.attribute(name))
                .map(|x| &x.shape)
        };
        // The relevant attributes in name order (so equal requests get equal
        // keys whatever order their records list attributes in); injected
        // values are built only when a policy reads them.
        let mut context: Vec<(&'a str, Cow<'a, Value>, Option<&'a Shape>)> = Vec::new();
        let mut take = |name: &'a str, key: &mut KeyWriter| {
            let value = match record.context.get(name) {
                Some(v) => Cow::Borrowed(v),
                None if injections.provides(name) => match injections.value(name, record) {
                    Some(v) => Cow::Owned(v),
                    None => return,
                },
                None => return,
            };
            key.part(name);
            key.value(&value);
            context.push((name, value, attr_shape(name)));
        };
        match &*reads {
            ContextUse::Attributes(names) => {
                for name in names {
                    if let Some((k, _)) = record.context.get_key_value(name.as_str()) {
                        take(k.as_str(), &mut key);
                    } else if let Some(&n) = injections.names().iter().find(|n| **n == name) {
                        take(n, &mut key);
                    }
                }
            }
            ContextUse::Whole => {
                let mut names: Vec<&'a str> = record
                    .context
                    .keys()
                    .map(String::as_str)
                    .chain(injections.names().iter().copied())
                    .collect();
                names.sort_unstable();
                names.dedup();
                for name in names {
                    take(name, &mut key);
                }
            }
        }
        Ok(Prepared {
            key: key.finish(),
            principal,
            principal_uid,
            action: action_uid,
            resource: resource_uid,
            body: cedar_body.unwrap_or(Body::Fast(context)),
        })
    }

    /// What the schema requires of a request (principal and resource
    /// types, enumerated ids, the context), checked with compiled shapes.
    fn check_request(
        &self,
        a: &ActionShape,
        principal: &EntityUid,
        resource: &EntityUid,
        record: &TraceRecord,
        injections: &Injections,
    ) -> Result<(), ShapeError> {
        for (role, uid, allowed) in [
            ("principal", principal, &a.principals),
            ("resource", resource, &a.resources),
        ] {
            let ty = uid.type_name().to_string();
            if !allowed.contains(&ty) {
                return Err(ShapeError {
                    path: role.into(),
                    problem: format!(
                        "{role} type `{ty}` is not allowed for action `{}` (the schema allows {})",
                        crate::display::escaped(&a.uid.to_string()),
                        list(allowed)
                    ),
                    outside_fast_path: false,
                });
            }
            if !self.ext.entity_id_allowed(&ty, uid.id().unescaped()) {
                return Err(ShapeError {
                    path: role.into(),
                    problem: format!(
                        "`{}` is not one of the ids the enumerated entity type {ty} allows",
                        crate::display::escaped(uid.id().unescaped())
                    ),
                    outside_fast_path: false,
                });
            }
        }
        self.check_context(a, record, injections)
            .map_err(|e| ShapeError {
                problem: format!("context does not match the schema: {}", e.problem),
                ..e
            })
    }

    /// Checks the record's context (with the attributes Writ will inject)
    /// against the action's context type.
    fn check_context(
        &self,
        action: &ActionShape,
        record: &TraceRecord,
        injections: &Injections,
    ) -> Result<(), ShapeError> {
        let mut path = String::from("context");
        let mut present = 0usize;
        for attr in &action.context.attributes {
            match record.context.get(&attr.name) {
                Some(v) => {
                    present += 1;
                    path.truncate(7);
                    path.push('.');
                    path.push_str(&attr.name);
                    check_value(&attr.shape, v, &mut path, &self.ext)?;
                }
                // Injected values are built to fit their declared type.
                None if injections.provides(&attr.name) => {}
                None if attr.required => {
                    return Err(ShapeError {
                        path: "context".into(),
                        problem: format!("required attribute `{}` is missing", attr.name),
                        outside_fast_path: false,
                    })
                }
                None => {}
            }
        }
        if present != record.context.len() {
            for (k, v) in &record.context {
                if action.context.attribute(k).is_some() {
                    continue;
                }
                if !action.context.open {
                    return Err(undeclared(k));
                }
                if shape::has_escape_keys(v) {
                    return Err(ShapeError {
                        path: format!("context.{k}"),
                        problem: "an undeclared attribute holding a Cedar escape".into(),
                        outside_fast_path: true,
                    });
                }
            }
        }
        Ok(())
    }

    /// Step 2: decide a prepared request, asking Cedar about the policies
    /// whose scope can match it (see [`crate::policy_index`]).
    pub fn decide(&self, p: &Prepared<'_>) -> Outcome {
        let set = self
            .index
            .subset(&p.principal_uid, &p.action, &p.resource, &self.entities);
        match &p.body {
            Body::Cedar(req) => self.outcome(req, &set),
            Body::Fast(_) => match self.build_request(p) {
                Ok(req) => self.outcome(&req, &set),
                Err(e) => Outcome::request_error(e),
            },
        }
    }

    fn build_request(&self, p: &Prepared<'_>) -> Result<Request, String> {
        let Body::Fast(context) = &p.body else {
            return Err("internal: the request was built by Cedar".into());
        };
        let mut pairs = Vec::with_capacity(context.len());
        for (name, value, shape) in context {
            let expr: RestrictedExpression = match shape {
                Some(s) => shape::to_expression(s, value, &self.type_names)
                    .map_err(|e| format!("context.{name}: {}", e.problem))?,
                None => shape::untyped_expression(value)
                    .map_err(|e| format!("context.{name}: {}", e.problem))?,
            };
            pairs.push((name.to_string(), expr));
        }
        let context = Context::from_pairs(pairs).map_err(|e| e.to_string())?;
        Request::new(
            p.principal_uid.clone(),
            p.action.clone(),
            p.resource.clone(),
            context,
            None,
        )
        .map_err(|e| e.to_string())
    }

    fn outcome(&self, request: &Request, policies: &PolicySet) -> Outcome {
        let response = self
            .authorizer
            .is_authorized(request, policies, &self.entities);
        let decision: Decision = response.decision().into();
        let mut reasons: Vec<Arc<str>> = response
            .diagnostics()
            .reason()
            .map(|id| self.intern(id.as_ref()))
            .collect();
        reasons.sort();
        let mut errors: Vec<PolicyError> = response
            .diagnostics()
            .errors()
            .map(|e| {
                let cedar_policy::AuthorizationError::PolicyEvaluationError(pe) = e;
                PolicyError {
                    policy: self.intern(pe.policy_id().as_ref()),
                    message: pe.inner().to_string(),
                }
            })
            .collect();
        errors.sort_by(|a, b| a.policy.cmp(&b.policy));
        let (verdict, step_up) = self.classify(decision, &reasons, &errors);
        Outcome {
            decision,
            reasons,
            errors,
            request_error: None,
            verdict,
            step_up,
        }
    }

    fn intern(&self, id: &str) -> Arc<str> {
        self.policy_ids
            .get(id)
            .cloned()
            .unwrap_or_else(|| Arc::from(id))
    }

    /// Classifies a decision. A deny by a forbid that no approval lifts is
    /// decisive whatever else failed; otherwise an evaluation error makes
    /// the outcome untrustworthy (an erroring forbid might have denied, an
    /// erroring permit might have allowed), so it is an error.
    fn classify(
        &self,
        decision: Decision,
        reasons: &[Arc<str>],
        errors: &[PolicyError],
    ) -> (Verdict, Option<StepUp>) {
        let steps: Vec<Option<StepUp>> = reasons
            .iter()
            .map(|r| self.catalog.get(r).and_then(|p| p.step_up))
            .collect();
        if decision == Decision::Deny && steps.iter().any(Option::is_none) {
            return (Verdict::DeniedByForbid, None);
        }
        if !errors.is_empty() {
            return (Verdict::Error, None);
        }
        match decision {
            Decision::Allow => (Verdict::Allowed, None),
            Decision::Deny if reasons.is_empty() => (Verdict::NotPermitted, None),
            Decision::Deny => (Verdict::NeedsStepUp, steps.into_iter().flatten().next()),
        }
    }

    /// Decides a record the plain way, with no reuse and no compiled shapes:
    /// Cedar parses the whole context with the schema and validates the
    /// request. The reference the fast path is tested against.
    pub fn decide_reference(&self, record: &TraceRecord) -> Outcome {
        match self.reference_request(record) {
            Ok(req) => self.outcome(&req, &self.catalog.set),
            Err(e) => Outcome::request_error(e),
        }
    }

    /// Builds the Cedar request for a record the plain way (see
    /// [`Evaluator::decide_reference`]).
    pub fn reference_request(&self, record: &TraceRecord) -> Result<Request, String> {
        let parts = self.request_parts(record)?;
        let schema = self.schema.as_ref().map(|s| &s.schema);
        let context = match (schema, parts.declared) {
            (Some(s), true) => {
                Context::from_json_value(Value::Object(parts.context), Some((s, &parts.action)))
            }
            _ => Context::from_json_value(Value::Object(parts.context), None),
        }
        .map_err(|e| e.to_string())?;
        let validate = if self.validate_requests { schema } else { None };
        Request::new(
            parts.principal,
            parts.action,
            parts.resource,
            context,
            validate,
        )
        .map_err(|e| e.to_string())
    }

    /// The Cedar request a record becomes, in Cedar's JSON request form
    /// (`principal`, `action`, `resource` as `{"type", "id"}`, `context`
    /// with the attributes Writ injects), plus the principal's entity from
    /// the inventory when it has one: what an analyst reads to see what
    /// the policies were asked.
    pub fn request_json(&self, record: &TraceRecord) -> Result<Value, String> {
        let parts = self.request_parts(record)?;
        let uid_json = |uid: &EntityUid| {
            serde_json::json!({
                "type": uid.type_name().to_string(),
                "id": uid.id().unescaped(),
            })
        };
        let principal_entity = self
            .entities
            .get(&parts.principal)
            .map(|e| e.to_json_value().map_err(|e| e.to_string()))
            .transpose()?;
        Ok(serde_json::json!({
            "principal": uid_json(&parts.principal),
            "action": uid_json(&parts.action),
            "resource": uid_json(&parts.resource),
            "context": Value::Object(parts.context),
            "principal_entity": principal_entity,
        }))
    }

    /// The principal, action and resource uids and the context (record
    /// context plus injected attributes) of a record's request.
    fn request_parts(&self, record: &TraceRecord) -> Result<RequestParts, String> {
        let principal = self.resolver.resolve(&record.agent);
        let principal = shape::make_uid(&principal.ty, &principal.id)?;
        // An undeclared action still makes a request (Cedar's validation
        // refuses it, with its own message, and the preview shows it); an
        // ambiguous bare id names no action at all.
        let declared = match self.declared(&record.action) {
            Ok(a) => Some(a),
            Err(e @ ActionLookupError::Ambiguous { .. }) => return Err(e.to_string()),
            Err(ActionLookupError::NotDeclared(_)) => None,
        };
        let action = match &declared {
            Some(a) => a.uid.clone(),
            None => undeclared_action_uid(&record.action)?,
        };
        let resource = match &record.resource {
            Some(r) => shape::make_uid(&r.ty, &r.id)?,
            None => shape::make_uid("Tool", action.id().unescaped())?,
        };
        let mut context = record.context.clone();
        if let Some(a) = &declared {
            let injections = Injections::for_record(a, record);
            for &name in injections.names() {
                if let Some(v) = injections.value(name, record) {
                    context.insert(name.to_string(), v);
                }
            }
        }
        Ok(RequestParts {
            principal,
            action,
            resource,
            context,
            declared: declared.is_some(),
        })
    }
}

/// The pieces of one record's request, before Cedar builds it.
struct RequestParts {
    principal: EntityUid,
    action: EntityUid,
    resource: EntityUid,
    context: serde_json::Map<String, Value>,
    /// Whether the schema declares the action.
    declared: bool,
}

/// The uid of an action the schema does not declare (requests decided
/// without validation, as Cedar's test files allow): a uid literal as Cedar
/// reads it, else `Action::"<name>"` built through Cedar's API.
fn undeclared_action_uid(name: &str) -> Result<EntityUid, String> {
    match ActionName::parse(name) {
        ActionName::Uid(uid) => Ok(uid),
        ActionName::Bare(id) => {
            let ty = EntityTypeName::from_str("Action").map_err(|e| e.to_string())?;
            Ok(EntityUid::from_type_name_and_id(ty, EntityId::new(id)))
        }
    }
}

/// Without a schema, Cedar reads every context value untyped; the fast path
/// takes the values it converts exactly and leaves the rest to Cedar.
fn check_untyped(record: &TraceRecord) -> Result<(), ShapeError> {
    fn ok(v: &Value) -> bool {
        match v {
            Value::Null => false,
            Value::Number(n) => n.as_i64().is_some(),
            Value::Bool(_) | Value::String(_) => true,
            Value::Array(items) => items.iter().all(ok),
            Value::Object(map) => map.iter().all(|(k, v)| !k.starts_with("__") && ok(v)),
        }
    }
    match record.context.iter().find(|(_, v)| !ok(v)) {
        None => Ok(()),
        Some((k, _)) => Err(ShapeError {
            path: format!("context.{k}"),
            problem: "a value only Cedar reads".into(),
            outside_fast_path: true,
        }),
    }
}

fn undeclared(name: &str) -> ShapeError {
    ShapeError {
        path: "context".into(),
        problem: format!("attribute `{name}` is not declared in the schema"),
        outside_fast_path: false,
    }
}

/// Builds a relevance key: length-prefixed names and ids, and values as
/// JSON followed by a NUL byte (which JSON text never contains raw), so
/// distinct requests never share a key.
#[derive(Default)]
struct KeyWriter(Vec<u8>);

impl KeyWriter {
    fn part(&mut self, s: &str) {
        let _ = write!(self.0, "{}:", s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn value(&mut self, v: &Value) {
        // Writing JSON into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.0, v);
        self.0.push(0);
    }

    fn finish(self) -> String {
        // Only UTF-8 was written.
        String::from_utf8(self.0)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// The context attributes Writ fills from the record when the action's
/// context type declares them and the record does not set them: `now`
/// (from `ts`) and `on_behalf_of` (from the record's `on_behalf_of`).
#[derive(Default)]
struct Injections<'a> {
    now: Option<&'a Shape>,
    on_behalf_of: Option<&'a Shape>,
    names: &'static [&'static str],
}

impl<'a> Injections<'a> {
    fn for_record(action: &'a ActionShape, record: &TraceRecord) -> Self {
        let declared = |name: &str| action.context.attribute(name).map(|a| &a.shape);
        let now = if record.context.contains_key("now") {
            None
        } else {
            declared("now").filter(|s| {
                matches!(
                    s,
                    Shape::String | Shape::Extension(shape::ExtensionKind::Datetime)
                )
            })
        };
        let on_behalf_of = match (
            &record.on_behalf_of,
            record.context.contains_key("on_behalf_of"),
        ) {
            (Some(_), false) => {
                declared("on_behalf_of").filter(|s| matches!(s, Shape::String | Shape::Entity(_)))
            }
            _ => None,
        };
        let names: &'static [&'static str] = match (now.is_some(), on_behalf_of.is_some()) {
            (true, true) => &["now", "on_behalf_of"],
            (true, false) => &["now"],
            (false, true) => &["on_behalf_of"],
            (false, false) => &[],
        };
        Injections {
            now,
            on_behalf_of,
            names,
        }
    }

    /// The injected names, sorted.
    fn names(&self) -> &'static [&'static str] {
        self.names
    }

    fn provides(&self, name: &str) -> bool {
        self.names.contains(&name)
    }

    /// Builds the value of an injected attribute.
    fn value(&self, name: &str, record: &TraceRecord) -> Option<Value> {
        match (name, self.now, self.on_behalf_of) {
            ("now", Some(Shape::String), _) => Some(Value::String(record.ts.clone())),
            ("now", Some(_), _) => cedar_datetime(&record.ts)
                .map(|dt| json!({"__extn": {"fn": "datetime", "arg": dt}})),
            ("on_behalf_of", _, Some(Shape::Entity(ty))) => record
                .on_behalf_of
                .as_ref()
                .map(|user| json!({"__entity": {"type": ty, "id": user}})),
            ("on_behalf_of", _, Some(_)) => record.on_behalf_of.clone().map(Value::String),
            _ => None,
        }
    }
}

fn list(types: &[String]) -> String {
    if types.is_empty() {
        "none".into()
    } else {
        types
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
