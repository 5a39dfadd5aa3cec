//! The IPC commands. Each one validates what the front end sent, opens the
//! workspace decided in Rust, calls the libraries and adapts the result to
//! small serializable shapes. Errors are readable strings.
//!
//! Anything that can take long (creating the sample, storing a run) runs on
//! the blocking thread pool, never on the UI thread.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tauri::async_runtime::Mutex;
use tauri::ipc::Channel;
use tauri::State;
use writ_core::diagnostic::{line_column, Severity};
use writ_core::diff::{text_diff, Change, ChangeCounts, ChangeKind, DecisionDiff, TextDiffEntry};
use writ_core::evaluate::{Evaluator, PolicyError, Verdict};
use writ_core::project::Project;
use writ_core::resolve::PrincipalKind;
use writ_core::shape::{RecordShape, Shape};
use writ_core::trace::{parse_record, TraceRecord};
use writ_store::runs::{RunInfo, RunResult};
use writ_store::traces::{ActionFilter, StoredAction, TraceSetInfo};
use writ_store::versions::VersionInfo;
use writ_store::Workspace;

/// Largest policy text accepted for checking (bytes).
const MAX_FILE_BYTES: usize = 1 << 20;

/// Most rows one page of a table may ask for.
const MAX_PAGE: u32 = 500;

/// Longest agent or tool name accepted as a filter (bytes).
const MAX_NAME_BYTES: usize = 1024;

/// Where the workspace is, and a lock so the sample is created once.
pub struct AppState {
    path: PathBuf,
    create: Mutex<()>,
}

impl AppState {
    /// State for the workspace at `path` (created from the sample if absent).
    pub fn new(path: PathBuf) -> Self {
        AppState {
            path,
            create: Mutex::new(()),
        }
    }
}

/// Who acts in the audit trail.
fn actor() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "desktop".to_string())
}

fn open(path: &Path) -> Result<Workspace, String> {
    Workspace::open(path).map_err(|e| e.to_string())
}

/// A version id or unique prefix: 4 to 64 hex digits.
fn valid_version(v: &str) -> Result<&str, String> {
    let v = v.trim();
    if (4..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(v)
    } else {
        Err(format!(
            "`{v}` is not a version id (4 to 64 hex digits expected)"
        ))
    }
}

fn valid_id(what: &str, id: i64) -> Result<i64, String> {
    if id > 0 {
        Ok(id)
    } else {
        Err(format!("{what} id must be a positive number, got {id}"))
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| format!("background task failed: {e}"))?
}

/// A run as the tables show it.
#[derive(Debug, Serialize)]
pub struct RunRow {
    id: i64,
    version: String,
    set: i64,
    started_at: String,
    finished_at: String,
    actor: String,
    actions: u64,
    /// Counts per verdict (`allowed`, `denied_by_forbid`, ...).
    verdicts: BTreeMap<String, u64>,
}

impl From<&RunInfo> for RunRow {
    fn from(r: &RunInfo) -> Self {
        let verdicts = r.summary["verdicts"]["verdicts"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        RunRow {
            id: r.id,
            version: r.version.clone(),
            set: r.set,
            started_at: r.started_at.clone(),
            finished_at: r.finished_at.clone(),
            actor: r.actor.clone(),
            actions: r.summary["actions"].as_u64().unwrap_or(0),
            verdicts,
        }
    }
}

/// What the Start view shows.
#[derive(Debug, Serialize)]
pub struct Overview {
    path: String,
    created: bool,
    versions: Vec<VersionInfo>,
    trace_sets: Vec<TraceSetInfo>,
    runs: Vec<RunRow>,
}

fn overview(path: &Path, created: bool) -> Result<Overview, String> {
    let ws = open(path)?;
    Ok(Overview {
        path: path.display().to_string(),
        created,
        versions: ws.list_versions().map_err(|e| e.to_string())?,
        trace_sets: ws.list_trace_sets().map_err(|e| e.to_string())?,
        runs: ws
            .list_runs()
            .map_err(|e| e.to_string())?
            .iter()
            .map(RunRow::from)
            .collect(),
    })
}

/// Opens the workspace, creating the sample workspace on first start.
#[tauri::command]
pub async fn open_workspace(state: State<'_, AppState>) -> Result<Overview, String> {
    let path = state.path.clone();
    let created = {
        let _guard = state.create.lock().await;
        if path.exists() {
            false
        } else {
            let p = path.clone();
            blocking(move || {
                writ_store::sample::create_sample(&p, &actor())
                    .map(|_| ())
                    .map_err(|e| format!("could not create the sample workspace: {e}"))
            })
            .await?;
            true
        }
    };
    blocking(move || overview(&path, created)).await
}

/// One file of a version.
#[derive(Debug, Serialize)]
pub struct FileEntry {
    path: String,
    kind: &'static str,
    text: String,
}

/// A version's files: schema, inventory and policies.
#[tauri::command]
pub fn version_files(
    state: State<'_, AppState>,
    version: String,
) -> Result<Vec<FileEntry>, String> {
    let version = valid_version(&version)?;
    let ws = open(&state.path)?;
    let (_, files) = ws.version_files(version).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    if let Some(f) = &files.schema {
        out.push(FileEntry {
            path: f.relative.clone(),
            kind: "schema",
            text: f.text.clone(),
        });
    }
    if let Some(f) = &files.inventory {
        out.push(FileEntry {
            path: f.relative.clone(),
            kind: "inventory",
            text: f.text.clone(),
        });
    }
    for f in &files.policies {
        out.push(FileEntry {
            path: f.relative.clone(),
            kind: "policy",
            text: f.text.clone(),
        });
    }
    Ok(out)
}

/// A located problem, positions 1-based (columns in characters).
#[derive(Debug, Serialize)]
pub struct Problem {
    severity: &'static str,
    code: &'static str,
    message: String,
    /// The file's path relative to the project (`policies/x.cedar`), or the
    /// shown name when the problem is not in one of the version's files.
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    hint: Option<String>,
}

/// Checks a stored version with some files replaced by edited texts
/// (`edits`: relative path -> text; only the version's own files).
#[tauri::command]
pub async fn check_version(
    state: State<'_, AppState>,
    version: String,
    edits: HashMap<String, String>,
) -> Result<Vec<Problem>, String> {
    let version = valid_version(&version)?.to_string();
    for (path, text) in &edits {
        if text.len() > MAX_FILE_BYTES {
            return Err(format!(
                "{path} is larger than {MAX_FILE_BYTES} bytes; not checked"
            ));
        }
    }
    let path = state.path.clone();
    blocking(move || check(&path, &version, edits)).await
}

fn check(
    path: &Path,
    version: &str,
    mut edits: HashMap<String, String>,
) -> Result<Vec<Problem>, String> {
    let ws = open(path)?;
    let (id, mut files) = ws.version_files(version).map_err(|e| e.to_string())?;
    let mut shown_to_relative = HashMap::new();
    for f in files
        .schema
        .iter_mut()
        .chain(files.inventory.iter_mut())
        .chain(files.policies.iter_mut())
    {
        if let Some(text) = edits.remove(&f.relative) {
            f.text = text;
        }
        shown_to_relative.insert(f.shown.clone(), f.relative.clone());
    }
    if let Some(unknown) = edits.keys().next() {
        return Err(format!("{unknown} is not a file of version {}", &id[..12]));
    }
    let root = PathBuf::from(format!("@{}", &id[..12]));
    let report =
        writ_core::project::check_files(&root, files, Vec::new(), writ_core::project::today_utc());
    Ok(report
        .diagnostics
        .iter()
        .map(|d| {
            let start = report.sources.position(&d.file, d.span, d.position);
            let end = match (d.span, report.sources.get(&d.file)) {
                (Some(span), Some(text)) => Some(line_column(text, span.end)),
                _ => start,
            };
            Problem {
                severity: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                code: d.code,
                message: d.message.clone(),
                file: shown_to_relative
                    .get(&d.file)
                    .cloned()
                    .unwrap_or_else(|| d.file.display().to_string()),
                line: start.map(|p| p.0),
                column: start.map(|p| p.1),
                end_line: end.map(|p| p.0),
                end_column: end.map(|p| p.1),
                hint: d.hint.clone(),
            }
        })
        .collect())
}

/// The stored runs, oldest first.
#[tauri::command]
pub fn list_runs(state: State<'_, AppState>) -> Result<Vec<RunRow>, String> {
    let ws = open(&state.path)?;
    Ok(ws
        .list_runs()
        .map_err(|e| e.to_string())?
        .iter()
        .map(RunRow::from)
        .collect())
}

/// Progress of a replay, sent over a channel.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Progress {
    /// Checking the version and preparing the replay.
    Preparing,
    /// Replaying: bytes of stored records read so far.
    Replaying { bytes: u64 },
    /// Done: the new run's id.
    Done { run: i64 },
}

/// Replays `version` over trace set `set` and stores the run, reporting
/// progress on `on_progress`. Runs on the blocking pool.
#[tauri::command]
pub async fn store_run(
    state: State<'_, AppState>,
    version: String,
    set: i64,
    on_progress: Channel<Progress>,
) -> Result<RunRow, String> {
    let version = valid_version(&version)?.to_string();
    let set = valid_id("trace set", set)?;
    let path = state.path.clone();
    blocking(move || {
        let mut ws = open(&path)?;
        let _ = on_progress.send(Progress::Preparing);
        let last = AtomicU64::new(0);
        let report = |bytes: u64| {
            // At most one message per 64 KiB read.
            let prev = last.load(Ordering::Relaxed);
            if bytes >= prev + (64 << 10) || prev == 0 {
                last.store(bytes, Ordering::Relaxed);
                let _ = on_progress.send(Progress::Replaying { bytes });
            }
        };
        let run = ws
            .store_run(&version, &set.to_string(), &actor(), &report)
            .map_err(|e| format!("replay failed: {e}"))?;
        let _ = on_progress.send(Progress::Done { run: run.id });
        Ok(RunRow::from(&run))
    })
    .await
}

/// Counts of one row of the diff tables.
#[derive(Debug, Serialize)]
pub struct Counts {
    name: String,
    total: u64,
    allow_to_deny: u64,
    deny_to_allow: u64,
    other: u64,
}

fn counts(name: &str, c: &ChangeCounts) -> Counts {
    Counts {
        name: name.to_string(),
        total: c.total,
        allow_to_deny: c.get(ChangeKind::AllowToDeny),
        deny_to_allow: c.get(ChangeKind::DenyToAllow),
        other: c.get(ChangeKind::SameDecisionOtherReasons),
    }
}

/// The decision diff of two runs, as counts.
#[derive(Debug, Serialize)]
pub struct RunDiff {
    a: i64,
    b: i64,
    actions: u64,
    unchanged: u64,
    changed: Counts,
    by_agent: Vec<Counts>,
}

fn run_diff(a: i64, b: i64, d: &DecisionDiff) -> RunDiff {
    let mut by_agent: Vec<Counts> = d.by_agent.iter().map(|(k, c)| counts(k, c)).collect();
    by_agent.sort_by(|x, y| y.total.cmp(&x.total).then_with(|| x.name.cmp(&y.name)));
    RunDiff {
        a,
        b,
        actions: d.actions,
        unchanged: d.unchanged,
        changed: counts("all", &d.counts),
        by_agent,
    }
}

/// Compares two stored runs over the same trace set.
#[tauri::command]
pub async fn diff_runs(state: State<'_, AppState>, a: i64, b: i64) -> Result<RunDiff, String> {
    let a = valid_id("run", a)?;
    let b = valid_id("run", b)?;
    let path = state.path.clone();
    blocking(move || {
        let ws = open(&path)?;
        let d = ws.diff_runs(a, b).map_err(|e| e.to_string())?;
        Ok(run_diff(a, b, &d))
    })
    .await
}

/// A page size: 1 to [`MAX_PAGE`].
fn valid_limit(limit: u32) -> Result<u32, String> {
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(format!("page size must be 1 to {MAX_PAGE}, got {limit}"))
    }
}

/// An optional agent or tool filter: blank means none.
fn valid_name(what: &str, name: Option<String>) -> Result<Option<String>, String> {
    match name {
        Some(n) if n.len() > MAX_NAME_BYTES => {
            Err(format!("{what} is longer than {MAX_NAME_BYTES} bytes"))
        }
        Some(n) if n.trim().is_empty() => Ok(None),
        Some(n) => Ok(Some(n.trim().to_string())),
        None => Ok(None),
    }
}

/// An optional verdict filter: one of the verdict names, and only with a run.
fn valid_verdict(verdict: Option<String>, run: Option<i64>) -> Result<Option<String>, String> {
    match verdict.filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(v) => {
            let v = v.trim();
            if Verdict::parse(v).is_none() {
                return Err(format!("`{v}` is not a verdict"));
            }
            if run.is_none() {
                return Err("filtering by verdict needs a run".to_string());
            }
            Ok(Some(v.to_string()))
        }
    }
}

/// One page of a trace set's actions.
#[derive(Debug, Serialize)]
pub struct ActionPage {
    rows: Vec<StoredAction>,
    /// Whether more rows follow the last one.
    more: bool,
}

/// A page of trace set `set`'s actions after line `after`, filtered by
/// agent, tool and (with `run`) verdict; with `run`, each row carries its
/// verdict in that run.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn list_actions(
    state: State<'_, AppState>,
    set: i64,
    run: Option<i64>,
    agent: Option<String>,
    tool: Option<String>,
    verdict: Option<String>,
    after: i64,
    limit: u32,
) -> Result<ActionPage, String> {
    let set = valid_id("trace set", set)?;
    let run = run.map(|r| valid_id("run", r)).transpose()?;
    let filter = ActionFilter {
        agent: valid_name("agent", agent)?,
        tool: valid_name("tool", tool)?,
        verdict: valid_verdict(verdict, run)?,
        run,
        ..Default::default()
    };
    let after = after.max(0);
    let limit = valid_limit(limit)? as usize;
    let path = state.path.clone();
    blocking(move || {
        let ws = open(&path)?;
        // One more than asked, to know whether a next page exists.
        let mut rows = ws
            .list_actions(set, &filter, after, limit + 1)
            .map_err(|e| e.to_string())?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok(ActionPage { rows, more })
    })
    .await
}

/// The stored decision, verdict and determining policies of the action at
/// `line` in run `run`.
#[tauri::command]
pub fn run_result(state: State<'_, AppState>, run: i64, line: i64) -> Result<RunResult, String> {
    let run = valid_id("run", run)?;
    let line = valid_id("line", line)?;
    open(&state.path)?
        .run_result(run, line)
        .map_err(|e| e.to_string())
}

/// A page of the changed actions of a run diff.
#[derive(Debug, Serialize)]
pub struct ChangePage {
    /// Changed actions matching the agent filter.
    total: usize,
    offset: usize,
    changes: Vec<Change>,
}

/// The changed actions of the diff of runs `a` and `b` (only `agent`'s
/// when given), `limit` from `offset`, in line order.
#[tauri::command]
pub async fn diff_changes(
    state: State<'_, AppState>,
    a: i64,
    b: i64,
    agent: Option<String>,
    offset: u32,
    limit: u32,
) -> Result<ChangePage, String> {
    let a = valid_id("run", a)?;
    let b = valid_id("run", b)?;
    let agent = valid_name("agent", agent)?;
    let limit = valid_limit(limit)? as usize;
    let offset = offset as usize;
    let path = state.path.clone();
    blocking(move || {
        let ws = open(&path)?;
        let d = ws.diff_runs(a, b).map_err(|e| e.to_string())?;
        let matching: Vec<Change> = d
            .changes
            .into_iter()
            .filter(|c| agent.as_ref().is_none_or(|ag| &c.agent == ag))
            .collect();
        let total = matching.len();
        let changes = matching.into_iter().skip(offset).take(limit).collect();
        Ok(ChangePage {
            total,
            offset,
            changes,
        })
    })
    .await
}

/// The checked project of a stored version (`why`: what it is needed for).
fn version_project(ws: &Workspace, version: &str, why: &str) -> Result<Project, String> {
    let (id, files) = ws.version_files(version).map_err(|e| e.to_string())?;
    let short = &id[..12];
    let report = writ_core::project::check_files(
        &PathBuf::from(format!("@{short}")),
        files,
        Vec::new(),
        writ_core::project::today_utc(),
    );
    let errors = report.error_count();
    report
        .project
        .ok_or_else(|| format!("version {short} has {errors} error(s); it cannot be {why}"))
}

/// The text diff (unified, per changed policy, schema and inventory)
/// between the versions replayed by runs `a` and `b`.
#[tauri::command]
pub async fn policy_diff(
    state: State<'_, AppState>,
    a: i64,
    b: i64,
) -> Result<Vec<TextDiffEntry>, String> {
    let a = valid_id("run", a)?;
    let b = valid_id("run", b)?;
    let path = state.path.clone();
    blocking(move || {
        let ws = open(&path)?;
        let (ra, rb) = (
            ws.run(a).map_err(|e| e.to_string())?,
            ws.run(b).map_err(|e| e.to_string())?,
        );
        let from = version_project(&ws, &ra.version, "compared")?;
        let to = version_project(&ws, &rb.version, "compared")?;
        Ok(text_diff(&from, &to))
    })
    .await
}

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
    let mut actions: Vec<BenchAction> = project
        .schema
        .actions
        .values()
        .filter(|a| !a.principals.is_empty() && !a.resources.is_empty())
        .map(|a| BenchAction {
            id: a.id.clone(),
            principals: a.principals.clone(),
            resources: a.resources.clone(),
            context: bench_attributes(&a.context),
        })
        .collect();
    // The schema indexes an action under more than one name.
    actions.sort_by(|x, y| x.id.cmp(&y.id));
    actions.dedup_by(|x, y| x.id == y.id);
    BenchMeta { agents, actions }
}

/// The test bench's form metadata for a version: its agents, and its
/// actions with principal and resource types and context attributes.
#[tauri::command]
pub async fn bench_meta(state: State<'_, AppState>, version: String) -> Result<BenchMeta, String> {
    let version = valid_version(&version)?.to_string();
    let path = state.path.clone();
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
    let path = state.path.clone();
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

    #[test]
    fn versions_must_be_hex() {
        assert!(valid_version("8d7b576e").is_ok());
        assert!(valid_version("../etc").is_err());
        assert!(valid_version("abc").is_err());
        assert!(valid_id("run", 0).is_err());
    }

    #[test]
    fn filters_are_checked() {
        assert!(valid_limit(0).is_err());
        assert!(valid_limit(MAX_PAGE + 1).is_err());
        assert_eq!(valid_limit(200), Ok(200));
        assert_eq!(valid_name("agent", Some("  ".into())), Ok(None));
        assert_eq!(
            valid_name("agent", Some(" support-bot ".into())),
            Ok(Some("support-bot".into()))
        );
        assert!(valid_name("tool", Some("x".repeat(MAX_NAME_BYTES + 1))).is_err());
        assert_eq!(
            valid_verdict(Some("denied_by_forbid".into()), Some(2)),
            Ok(Some("denied_by_forbid".into()))
        );
        assert!(valid_verdict(Some("denied_by_forbid".into()), None).is_err());
        assert!(valid_verdict(Some("maybe".into()), Some(2)).is_err());
        assert_eq!(valid_verdict(Some(String::new()), None), Ok(None));
    }

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
