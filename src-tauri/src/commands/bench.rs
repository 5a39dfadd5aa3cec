//! The test bench: the form's metadata, and deciding one composed request
//! (the deciding is `writ_core::bench`; this is its thin caller).

use super::{actor, blocking, open, valid_version, version_project, AppState};
use serde::Serialize;
use tauri::State;
use writ_core::bench::{self, BenchRequest, BenchResult};
use writ_core::project::Project;
use writ_core::shape::{RecordShape, Shape};

/// An inventory agent, as the test bench lists it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct BenchAgent {
    id: String,
    name: String,
}

/// A declared type, serialised simply for the test bench's form.
#[derive(Debug, Serialize, ts_rs::TS)]
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
#[derive(Debug, Serialize, ts_rs::TS)]
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
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct BenchAction {
    id: String,
    principals: Vec<String>,
    resources: Vec<String>,
    context: Vec<BenchAttribute>,
}

/// What the test bench's form is built from.
#[derive(Debug, Serialize, ts_rs::TS)]
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

/// Decides one request composed in the test bench against `version`.
#[tauri::command]
pub async fn bench_decide(
    state: State<'_, AppState>,
    version: String,
    request: BenchRequest,
) -> Result<BenchResult, String> {
    let version = valid_version(&version)?.to_string();
    let record = bench::record(&request).map_err(|e| e.to_string())?;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let project = version_project(&ws, &version, "tested")?;
        Ok(bench::decide_record(&project, &record))
    })
    .await
}

/// A request saved as a test case.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SavedCase {
    /// The suite it was added to.
    suite: String,
    /// How many cases the suite has now.
    cases: i64,
    /// What the case expects (the decision of `version`).
    decision: writ_core::trace::Decision,
    /// The verdict it expects.
    verdict: writ_core::evaluate::Verdict,
}

/// Adds the composed request to suite `suite` as a case named `name`,
/// expecting what `version` decides (`writ suites add-case` does the same).
#[tauri::command]
pub async fn save_bench_case(
    state: State<'_, AppState>,
    version: String,
    request: BenchRequest,
    suite: String,
    name: String,
) -> Result<SavedCase, String> {
    let version = valid_version(&version)?.to_string();
    let line = bench::record_line(&request).map_err(|e| e.to_string())?;
    let path = state.path();
    blocking(move || {
        let mut ws = open(&path)?;
        let added = ws
            .add_case(&suite, &name, &line, Some(&version), &actor())
            .map_err(|e| format!("the case was not saved: {e}"))?;
        Ok(SavedCase {
            suite: added.suite.name,
            cases: added.suite.cases,
            decision: added.decided.decision,
            verdict: added.decided.verdict,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_form_lists_the_sample_agents_and_actions() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-policies/v2");
        let report = writ_core::project::check_project(&root, writ_core::project::today_utc());
        let project = report.project.expect("sample v2 checks");
        let meta = bench_meta_of(&project);
        assert!(meta.agents.iter().any(|a| a.id == "support-bot"));
        let read = meta.actions.iter().find(|a| a.id == "read_ticket").unwrap();
        assert!(read.resources.contains(&"Ticket".to_string()));
        assert!(meta.actions.windows(2).all(|w| w[0].id < w[1].id));
    }
}
