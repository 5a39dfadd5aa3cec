//! The test bench: one request composed by hand (principal, action,
//! resource, context, time) decided against a checked project, with the
//! determining policies and their descriptions. The desktop app's Test
//! bench view calls [`decide`]; the differential harness compares it with
//! Cedar (`src-tauri/tests/differential_bench.rs`).

use crate::evaluate::{Evaluator, PolicyError, Verdict};
use crate::policies::StepUp;
use crate::project::Project;
use crate::resolve::PrincipalKind;
use crate::trace::{parse_record, Decision, TraceRecord};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Longest agent, action, resource or `on_behalf_of` text accepted
/// (bytes).
pub const MAX_BENCH_FIELD: usize = 1024;

/// Largest context accepted (bytes of JSON).
pub const MAX_BENCH_CONTEXT: usize = 64 << 10;

/// One request composed in the test bench.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct BenchRequest {
    /// RFC 3339 time of the request (`context.now` when not given).
    pub ts: String,
    /// An inventory agent id, a workload identity, any other identity (a
    /// shadow agent) or a literal uid `Type::"id"`.
    pub agent: String,
    /// The action: a bare id, or its uid `Ns::Action::"id"`.
    pub action: String,
    /// The resource's entity type.
    pub resource_type: String,
    /// The resource's id, exactly (spaces included).
    pub resource_id: String,
    /// The person the agent acts for, if any (blank means none).
    pub on_behalf_of: Option<String>,
    /// The context record.
    pub context: Map<String, Value>,
}

/// Why a composed request cannot be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BenchError {
    /// A required field is blank.
    #[error("{0} is required")]
    Required(&'static str),
    /// A field is longer than [`MAX_BENCH_FIELD`].
    #[error("{0} is longer than {MAX_BENCH_FIELD} bytes")]
    TooLong(&'static str),
    /// The context is larger than [`MAX_BENCH_CONTEXT`].
    #[error("the context is larger than {MAX_BENCH_CONTEXT} bytes")]
    ContextTooLarge,
    /// The request does not make a trace record (a bad time, say).
    #[error("{0}")]
    Invalid(String),
}

/// A determining policy, with its `@description`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BenchPolicy {
    /// Its Writ id (`@id`, or the link id).
    pub id: String,
    /// `permit` or `forbid`.
    pub effect: String,
    /// Its `@description`, if any.
    pub description: Option<String>,
}

/// The test bench's answer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct BenchResult {
    /// The resolved principal, `Agent::"support-bot"`.
    pub principal: String,
    /// How the principal was found.
    pub principal_kind: PrincipalKind,
    /// Allow or deny.
    pub decision: Decision,
    /// The classification of the decision.
    pub verdict: Verdict,
    /// What would lift a step-up denial.
    pub step_up: Option<StepUp>,
    /// The determining policies, sorted by id.
    pub policies: Vec<BenchPolicy>,
    /// Policies whose evaluation failed.
    pub errors: Vec<PolicyError>,
    /// Why the request could not be built, if it could not.
    pub request_error: Option<String>,
}

/// Checks a field's length and, when `required`, that it is not blank.
/// The text is kept as it is: ids may have spaces.
fn field<'a>(what: &'static str, text: &'a str, required: bool) -> Result<&'a str, BenchError> {
    if text.len() > MAX_BENCH_FIELD {
        return Err(BenchError::TooLong(what));
    }
    if required && text.trim().is_empty() {
        return Err(BenchError::Required(what));
    }
    Ok(text)
}

/// Validates a composed request and builds the native trace record it
/// stands for. Only the time is trimmed: the principal, action and
/// resource are kept exactly as composed (ids may start or end with spaces
/// or other white space, such as U+0085, and Cedar tells them apart); the
/// resource id may be empty, as Cedar allows.
pub fn record(req: &BenchRequest) -> Result<TraceRecord, BenchError> {
    let line = record_line(req)?;
    parse_record(1, &line).map_err(|e| BenchError::Invalid(e.message))
}

/// The native trace line (one JSON object) that [`record`] reads: what a
/// saved test case carries as its request.
pub fn record_line(req: &BenchRequest) -> Result<String, BenchError> {
    let ts = field("the request time", &req.ts, true)?.trim();
    let agent = field("the principal", &req.agent, true)?;
    let action = field("the action", &req.action, true)?;
    let ty = field("the resource type", &req.resource_type, true)?;
    let id = field("the resource id", &req.resource_id, false)?;
    let on_behalf_of = req
        .on_behalf_of
        .as_deref()
        .map(|o| field("on_behalf_of", o, false))
        .transpose()?
        .filter(|o| !o.trim().is_empty());
    let size = serde_json::to_string(&req.context)
        .map_err(|e| BenchError::Invalid(e.to_string()))?
        .len();
    if size > MAX_BENCH_CONTEXT {
        return Err(BenchError::ContextTooLarge);
    }
    let mut line = json!({
        "ts": ts,
        "agent": agent,
        "action": action,
        "resource": {"type": ty, "id": id},
        "context": req.context,
        "outcome": "executed",
    });
    if let Some(o) = on_behalf_of {
        line["on_behalf_of"] = json!(o);
    }
    Ok(line.to_string())
}

/// Decides `record` against `project` as the bench shows it.
pub fn decide_record(project: &Project, record: &TraceRecord) -> BenchResult {
    decide_with(&Evaluator::from_project("bench", project), record)
}

/// Validates `req` and decides it against `project`.
pub fn decide(project: &Project, req: &BenchRequest) -> Result<BenchResult, BenchError> {
    Ok(decide_record(project, &record(req)?))
}

/// Decides `record` with an evaluator already made (the differential
/// harness reuses one per project).
pub fn decide_with(evaluator: &Evaluator, record: &TraceRecord) -> BenchResult {
    let (principal, outcome) = match evaluator.prepare(record) {
        Ok(p) => {
            let outcome = evaluator.decide(&p);
            (p.principal, outcome)
        }
        Err(u) => (u.principal, (*u.outcome).clone()),
    };
    let policies = outcome
        .reasons
        .iter()
        .map(|id| {
            let info = evaluator.catalog.get(id);
            BenchPolicy {
                id: id.to_string(),
                effect: info.map(|p| p.effect.to_string()).unwrap_or_default(),
                description: info.and_then(|p| p.description.clone()),
            }
        })
        .collect();
    BenchResult {
        principal: format!("{}::{:?}", principal.ty, principal.id.as_ref()),
        principal_kind: principal.kind,
        decision: outcome.decision,
        verdict: outcome.verdict,
        step_up: outcome.step_up,
        policies,
        errors: outcome.errors,
        request_error: outcome.request_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn request(agent: &str, context: Value) -> BenchRequest {
        BenchRequest {
            ts: "2026-11-30T10:00:00Z".into(),
            agent: agent.into(),
            action: "read_ticket".into(),
            resource_type: "Ticket".into(),
            resource_id: "T-1".into(),
            on_behalf_of: Some(" ".into()),
            context: context.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn requests_are_checked() {
        let ok = record(&request("support-bot", json!({"risk_score": 10}))).expect("valid");
        assert_eq!(ok.agent, "support-bot");
        assert_eq!(ok.on_behalf_of, None);
        assert_eq!(ok.resource.expect("a resource").ty, "Ticket");
        assert_eq!(
            record(&request(" ", json!({}))).err(),
            Some(BenchError::Required("the principal"))
        );
        assert_eq!(
            record(&request(&"x".repeat(MAX_BENCH_FIELD + 1), json!({}))).err(),
            Some(BenchError::TooLong("the principal"))
        );
        let mut bad_ts = request("support-bot", json!({}));
        bad_ts.ts = "yesterday".into();
        assert!(matches!(record(&bad_ts), Err(BenchError::Invalid(_))));
        let big = json!({"change_ticket": "x".repeat(MAX_BENCH_CONTEXT)});
        assert_eq!(
            record(&request("support-bot", big)).err(),
            Some(BenchError::ContextTooLarge)
        );
        // Ids are kept exactly: white space is part of them.
        let mut spaced = request(" support-bot", json!({}));
        spaced.resource_id = " T 1 ".into();
        spaced.action = "\u{85}read_ticket".into();
        let r = record(&spaced).expect("valid");
        assert_eq!(r.resource.expect("a resource").id, " T 1 ");
        assert_eq!(r.agent, " support-bot");
        assert_eq!(r.action, "\u{85}read_ticket");
    }

    #[test]
    fn the_sample_regression_is_decided() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-policies/v2");
        let report = crate::project::check_project(&root, crate::project::today_utc());
        let project = report.project.expect("sample v2 checks");
        let context = |env: &str| {
            json!({"intent": "answer_tickets", "environment": env, "risk_score": 10,
                   "credential_kind": "short_lived", "credential_ttl_secs": 600})
        };
        let r = decide(&project, &request("support-bot", context("production"))).expect("valid");
        assert_eq!(r.decision, Decision::Deny);
        assert!(r
            .policies
            .iter()
            .any(|p| p.id == "low-tier-no-production-changes"
                && p.effect == "forbid"
                && p.description.is_some()));
        let staging = decide(&project, &request("support-bot", context("staging"))).expect("ok");
        assert_eq!(staging.decision, Decision::Allow);
        assert_eq!(staging.principal_kind, PrincipalKind::Inventory);
        let shadow = decide(&project, &request("someone-else", context("staging"))).expect("ok");
        assert_eq!(shadow.principal_kind, PrincipalKind::Shadow);
    }
}
