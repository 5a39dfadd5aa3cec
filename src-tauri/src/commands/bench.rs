//! The test bench: the form's metadata and deciding one composed request.

use super::{blocking, open, valid_version, version_project, AppState};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tauri::State;
use writ_core::evaluate::{Evaluator, PolicyError, Verdict};
use writ_core::project::Project;
use writ_core::resolve::PrincipalKind;
use writ_core::shape::{RecordShape, Shape};
use writ_core::trace::{parse_record, TraceRecord};

/// Longest agent, action, resource or `on_behalf_of` text accepted by the
/// test bench (bytes).
const MAX_BENCH_FIELD: usize = 1024;

/// Largest context the test bench accepts (bytes of JSON).
const MAX_BENCH_CONTEXT: usize = 64 << 10;

/// An inventory agent, as the test bench lists it.
#[derive(Debug, Serialize)]
pub struct BenchAgent {
    id: String,
    name: String,
}

/// A declared type, serialised simply for the test bench's form.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BenchShape {
    Long,
    String,
    Bool,
    /// A set of values of one shape (entered as comma-separated text).
    Set {
        of: Box<BenchShape>,
    },
    /// A record (a fieldset).
    Record {
        attributes: Vec<BenchAttribute>,
    },
    /// A reference to an entity of type `ty` (the form asks for the id).
    Entity {
        ty: String,
    },
    /// An extension value (`datetime`, `ipaddr`, `decimal`, `duration`), as text.
    Extension {
        ty: &'static str,
    },
}

/// One attribute of a record type.
#[derive(Debug, Serialize)]
pub struct BenchAttribute {
    name: String,
    required: bool,
    shape: BenchShape,
}

fn bench_shape(shape: &Shape) -> BenchShape {
    match shape {
        Shape::Long => BenchShape::Long,
        Shape::String => BenchShape::String,
        Shape::Bool => BenchShape::Bool,
        Shape::Set(of) => BenchShape::Set {
            of: Box::new(bench_shape(of)),
        },
        Shape::Record(r) => BenchShape::Record {
            attributes: bench_attributes(r),
        },
        Shape::Entity(ty) => BenchShape::Entity { ty: ty.clone() },
        Shape::Extension(k) => BenchShape::Extension { ty: k.type_name() },
    }
}

fn bench_attributes(r: &RecordShape) -> Vec<BenchAttribute> {
    r.attributes
        .iter()
        .map(|a| BenchAttribute {
            name: a.name.clone(),
            required: a.required,
            shape: bench_shape(&a.shape),
        })
        .collect()
}

/// An action of the schema, with what it applies to.
#[derive(Debug, Serialize)]
pub struct BenchAction {
    id: String,
    principals: Vec<String>,
    resources: Vec<String>,
    context: Vec<BenchAttribute>,
}

/// What the test bench's form is built from.
#[derive(Debug, Serialize)]
pub struct BenchMeta {
    agents: Vec<BenchAgent>,
    /// Sorted by id; only actions that apply to something (not groups).
    actions: Vec<BenchAction>,
}

fn bench_meta_of(project: &Project) -> BenchMeta {
    let agents = project
        .inventory
        .agent
        .iter()
        .map(|a| BenchAgent {
            id: a.id.get_ref().clone(),
            name: a.name.clone(),
        })
        .collect();
    let schema = &project.schema;
    let mut actions: Vec<BenchAction> = schema
        .actions()
        .into_iter()
        .filter(|a| !a.principals.is_empty() && !a.resources.is_empty())
        .map(|a| BenchAction {
            // The bare id names the action when no other namespace declares
            // it; otherwise the uid does (the engine reads both).
            id: if schema.action_by_id(&a.id).is_ok() {
                a.id.clone()
            } else {
                a.uid.to_string()
            },
            principals: a.principals.clone(),
            resources: a.resources.clone(),
            context: bench_attributes(&a.context),
        })
        .collect();
    actions.sort_by(|x, y| x.id.cmp(&y.id));
    BenchMeta { agents, actions }
}

/// The test bench's form metadata for a version: its agents, and its
/// actions with principal and resource types and context attributes.
#[tauri::command]
pub async fn bench_meta(state: State<'_, AppState>, version: String) -> Result<BenchMeta, String> {
    let version = valid_version(&version)?.to_string();
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        Ok(bench_meta_of(&version_project(&ws, &version, "tested")?))
    })
    .await
}

/// One request composed in the test bench.
#[derive(Debug, Deserialize)]
pub struct BenchRequest {
    /// RFC 3339 time of the request (`context.now` when not given).
    ts: String,
    /// An inventory agent id or any other identity (a shadow agent).
    agent: String,
    action: String,
    resource_type: String,
    resource_id: String,
    on_behalf_of: Option<String>,
    context: Map<String, Value>,
}

fn bench_field<'a>(what: &str, text: &'a str, required: bool) -> Result<&'a str, String> {
    let text = text.trim();
    if text.len() > MAX_BENCH_FIELD {
        return Err(format!("{what} is longer than {MAX_BENCH_FIELD} bytes"));
    }
    if required && text.is_empty() {
        return Err(format!("{what} is required"));
    }
    Ok(text)
}

/// Validates the form and builds the native trace record it stands for.
fn bench_record(req: &BenchRequest) -> Result<TraceRecord, String> {
    let ts = bench_field("the request time", &req.ts, true)?;
    let agent = bench_field("the principal", &req.agent, true)?;
    let action = bench_field("the action", &req.action, true)?;
    let ty = bench_field("the resource type", &req.resource_type, true)?;
    let id = bench_field("the resource id", &req.resource_id, true)?;
    let on_behalf_of = req
        .on_behalf_of
        .as_deref()
        .map(|o| bench_field("on_behalf_of", o, false))
        .transpose()?
        .filter(|o| !o.is_empty());
    let size = serde_json::to_string(&req.context)
        .map_err(|e| e.to_string())?
        .len();
    if size > MAX_BENCH_CONTEXT {
        return Err(format!(
            "the context is larger than {MAX_BENCH_CONTEXT} bytes"
        ));
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
    parse_record(1, &line.to_string()).map_err(|e| e.message)
}

/// A determining policy, with its `@description`.
#[derive(Debug, Serialize)]
pub struct BenchPolicy {
    id: String,
    /// `permit` or `forbid`.
    effect: String,
    description: Option<String>,
}

/// The test bench's answer.
#[derive(Debug, Serialize)]
pub struct BenchResult {
    /// The resolved principal, `Agent::"support-bot"`.
    principal: String,
    /// `inventory`, `shadow` or `literal`.
    principal_kind: &'static str,
    decision: &'static str,
    verdict: Verdict,
    step_up: Option<&'static str>,
    policies: Vec<BenchPolicy>,
    errors: Vec<PolicyError>,
    request_error: Option<String>,
}

fn bench_decide_in(project: &Project, record: &TraceRecord) -> BenchResult {
    let evaluator = Evaluator::from_project("bench", project);
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
        principal_kind: match principal.kind {
            PrincipalKind::Inventory => "inventory",
            PrincipalKind::Shadow => "shadow",
            PrincipalKind::Literal => "literal",
        },
        decision: outcome.decision.as_str(),
        verdict: outcome.verdict,
        step_up: outcome.step_up.map(|s| s.as_str()),
        policies,
        errors: outcome.errors,
        request_error: outcome.request_error,
    }
}

/// Decides one request composed in the test bench against `version`.
#[tauri::command]
pub async fn bench_decide(
    state: State<'_, AppState>,
    version: String,
    request: BenchRequest,
) -> Result<BenchResult, String> {
    let version = valid_version(&version)?.to_string();
    let record = bench_record(&request)?;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let project = version_project(&ws, &version, "tested")?;
        Ok(bench_decide_in(&project, &record))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
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
    fn bench_requests_are_checked() {
        let ok = bench_record(&request("support-bot", json!({"risk_score": 10}))).unwrap();
        assert_eq!(ok.agent, "support-bot");
        assert_eq!(ok.on_behalf_of, None);
        assert_eq!(ok.resource.unwrap().ty, "Ticket");
        assert!(bench_record(&request(" ", json!({}))).is_err());
        assert!(bench_record(&request(&"x".repeat(MAX_BENCH_FIELD + 1), json!({}))).is_err());
        let mut bad_ts = request("support-bot", json!({}));
        bad_ts.ts = "yesterday".into();
        assert!(bench_record(&bad_ts).is_err());
        let big = json!({"change_ticket": "x".repeat(MAX_BENCH_CONTEXT)});
        assert!(bench_record(&request("support-bot", big)).is_err());
    }

    #[test]
    fn bench_decides_the_sample_regression() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-policies/v2");
        let report = writ_core::project::check_project(&root, writ_core::project::today_utc());
        let project = report.project.expect("sample v2 checks");
        let meta = bench_meta_of(&project);
        assert!(meta.agents.iter().any(|a| a.id == "support-bot"));
        let read = meta.actions.iter().find(|a| a.id == "read_ticket").unwrap();
        assert!(read.resources.contains(&"Ticket".to_string()));
        assert!(meta.actions.windows(2).all(|w| w[0].id < w[1].id));
        let context = |env: &str| {
            json!({"intent": "answer_tickets", "environment": env, "risk_score": 10,
                   "credential_kind": "short_lived", "credential_ttl_secs": 600})
        };
        let prod = bench_record(&request("support-bot", context("production"))).unwrap();
        let r = bench_decide_in(&project, &prod);
        assert_eq!(r.decision, "deny");
        assert!(r
            .policies
            .iter()
            .any(|p| p.id == "low-tier-no-production-changes"
                && p.effect == "forbid"
                && p.description.is_some()));
        let staging = bench_record(&request("support-bot", context("staging"))).unwrap();
        assert_eq!(bench_decide_in(&project, &staging).decision, "allow");
        let shadow = bench_record(&request("someone-else", context("staging"))).unwrap();
        assert_eq!(bench_decide_in(&project, &shadow).principal_kind, "shadow");
    }
}
