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

use crate::policies::{PolicyCatalog, StepUp};
use crate::project::Project;
use crate::projection::{context_use_by_action, ActionContextUse, ContextUse};
use crate::resolve::{Principal, Resolver};
use crate::schema::{ActionShape, ProjectSchema};
use crate::shape::{self, check_value, ExtensionLiteralCheck, Shape, ShapeError};
use crate::trace::{cedar_datetime, Decision, TraceRecord};
use cedar_policy::{Authorizer, Context, Entities, EntityUid, Request, RestrictedExpression};
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write as _;
use std::str::FromStr;
use std::sync::Arc;

/// How the replayed decision is classified for an analyst.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
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
    pub fn as_str(self) -> &'static str {
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

/// A policy that failed to evaluate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The relevance key: equal keys get equal outcomes.
    pub key: String,
    /// The resolved principal.
    pub principal: Principal,
    action: ActionRef<'a>,
    resource: (Cow<'a, str>, Cow<'a, str>),
    context: Vec<(&'a str, Cow<'a, Value>, Option<&'a Shape>)>,
}

#[derive(Debug)]
enum ActionRef<'e> {
    Declared(&'e Arc<ActionShape>),
    Undeclared(EntityUid),
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
    context_use: ActionContextUse,
    validate_requests: bool,
    ext: ExtensionLiteralCheck,
    policy_ids: HashMap<String, Arc<str>>,
    type_names: shape::TypeNames,
    authorizer: Authorizer,
}

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
        let groups: HashMap<String, Vec<String>> = schema
            .as_ref()
            .map(|s| {
                s.actions
                    .values()
                    .map(|a| (a.id.clone(), a.groups.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let context_use = context_use_by_action(&catalog.set, &groups);
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
        Evaluator {
            name: name.into(),
            type_names,
            validate_requests: schema.is_some(),
            catalog,
            schema,
            entities,
            resolver,
            context_use,
            ext: ExtensionLiteralCheck::default(),
            policy_ids,
            authorizer: Authorizer::new(),
        }
    }

    /// Whether requests are validated against the schema (on by default when
    /// there is a schema; Cedar's test files may turn it off per request).
    pub fn set_validate_requests(&mut self, on: bool) {
        self.validate_requests = on && self.schema.is_some();
    }

    /// The context attributes the policies that can apply to `action` read.
    pub fn context_use(&self, action: &str) -> &ContextUse {
        self.context_use.for_action(action)
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
    pub fn prepare<'a>(&'a self, record: &'a TraceRecord) -> Result<Prepared<'a>, Unprepared> {
        let principal = self.resolver.resolve(&record.agent);
        let fail = |principal: Principal, msg: String| Unprepared {
            principal,
            outcome: Arc::new(Outcome::request_error(msg)),
        };
        let action = match self.schema.as_ref().and_then(|s| s.action(&record.action)) {
            Some(a) => ActionRef::Declared(a),
            None if self.validate_requests => {
                return Err(fail(
                    principal,
                    format!("action `{}` is not declared in the schema", record.action),
                ))
            }
            None => match action_uid(&record.action) {
                Ok(uid) => ActionRef::Undeclared(uid),
                Err(e) => return Err(fail(principal, e)),
            },
        };
        let resource: (Cow<'a, str>, Cow<'a, str>) = match &record.resource {
            Some(r) => (Cow::Borrowed(r.ty.as_str()), Cow::Borrowed(r.id.as_str())),
            None => (Cow::Borrowed("Tool"), Cow::Borrowed(record.action.as_str())),
        };
        let shape = match &action {
            ActionRef::Declared(a) => Some(*a),
            ActionRef::Undeclared(_) => None,
        };
        let injections = shape
            .map(|a| Injections::for_record(a, record))
            .unwrap_or_default();
        if self.validate_requests {
            if let Some(a) = shape {
                if !a.principals.iter().any(|t| **t == *principal.ty) {
                    let msg = format!(
                        "principal type `{}` is not allowed for action `{}` (the schema allows {})",
                        principal.ty,
                        a.id,
                        list(&a.principals)
                    );
                    return Err(fail(principal, msg));
                }
                if !a.resources.iter().any(|t| *t == *resource.0) {
                    let msg = format!(
                        "resource type `{}` is not allowed for action `{}` (the schema allows {})",
                        resource.0,
                        a.id,
                        list(&a.resources)
                    );
                    return Err(fail(principal, msg));
                }
                if let Err(e) = self.check_context(a, record, &injections) {
                    return Err(fail(
                        principal,
                        format!("context does not match the schema: {e}"),
                    ));
                }
            }
        }
        let reads: &ContextUse = match &action {
            ActionRef::Declared(a) => self.context_use.for_action(&a.id),
            ActionRef::Undeclared(_) => &self.context_use.fallback,
        };
        let mut key = KeyWriter::default();
        key.part(&principal.ty);
        key.part(&principal.id);
        key.part(match &action {
            ActionRef::Declared(a) => &a.id,
            ActionRef::Undeclared(_) => &record.action,
        });
        key.part(&resource.0);
        key.part(&resource.1);
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
        match reads {
            ContextUse::Attributes(names) => {
                for name in names {
                    take(name.as_str(), &mut key);
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
            action,
            resource,
            context,
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
                    })
                }
                None => {}
            }
        }
        if !action.context.open && present != record.context.len() {
            if let Some(extra) = record
                .context
                .keys()
                .find(|k| action.context.attribute(k).is_none())
            {
                return Err(undeclared(extra));
            }
        }
        Ok(())
    }

    /// Step 2: decide a prepared request.
    pub fn decide(&self, p: &Prepared<'_>) -> Outcome {
        match self.build_request(p) {
            Ok(req) => self.outcome(&req),
            Err(e) => Outcome::request_error(e),
        }
    }

    fn build_request(&self, p: &Prepared<'_>) -> Result<Request, String> {
        let principal = self.type_names.uid(&p.principal.ty, &p.principal.id)?;
        let action = match &p.action {
            ActionRef::Declared(a) => a.uid.clone(),
            ActionRef::Undeclared(uid) => uid.clone(),
        };
        let resource = self.type_names.uid(&p.resource.0, &p.resource.1)?;
        let mut pairs = Vec::with_capacity(p.context.len());
        for (name, value, shape) in &p.context {
            let expr: RestrictedExpression = match shape {
                Some(s) => shape::to_expression(s, value, &self.type_names)
                    .or_else(|_| shape::untyped_expression(value))
                    .map_err(|e| format!("context.{name}: {}", e.problem))?,
                None => shape::untyped_expression(value)
                    .map_err(|e| format!("context.{name}: {}", e.problem))?,
            };
            pairs.push((name.to_string(), expr));
        }
        let context = Context::from_pairs(pairs).map_err(|e| e.to_string())?;
        Request::new(principal, action, resource, context, None).map_err(|e| e.to_string())
    }

    fn outcome(&self, request: &Request) -> Outcome {
        let response = self
            .authorizer
            .is_authorized(request, &self.catalog.set, &self.entities);
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
            Ok(req) => self.outcome(&req),
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
        let declared = self.schema.as_ref().and_then(|s| s.action(&record.action));
        let action = match declared {
            Some(a) => a.uid.clone(),
            None => action_uid(&record.action)?,
        };
        let resource = match &record.resource {
            Some(r) => shape::make_uid(&r.ty, &r.id)?,
            None => shape::make_uid("Tool", &record.action)?,
        };
        let mut context = record.context.clone();
        if let Some(a) = declared {
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

/// Parses an action name: a bare id (`Action::"id"`) or a uid literal.
fn action_uid(name: &str) -> Result<EntityUid, String> {
    if let Some((ty, id)) = crate::resolve::parse_uid_literal(name) {
        return shape::make_uid(ty, &id);
    }
    EntityUid::from_str(&format!("Action::{}", Value::String(name.to_string())))
        .map_err(|e| format!("invalid action `{name}`: {e}"))
}

fn undeclared(name: &str) -> ShapeError {
    ShapeError {
        path: "context".into(),
        problem: format!("attribute `{name}` is not declared in the schema"),
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
