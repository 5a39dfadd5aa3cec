//! Stored runs: listing, replaying into a new run, and diffing two runs.

use super::{
    actor, blocking, open, run_projects, valid_id, valid_limit, valid_name, valid_version, AppState,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use tauri::ipc::Channel;
use tauri::State;
use writ_core::diff::{
    text_diff, Change, ChangeCounts, ChangeFilter, ChangeKind, DecisionDiff, ResponsiblePolicy,
    TextDiffEntry,
};
use writ_store::runs::{RunInfo, RunResult};

/// A run as the tables show it.
#[derive(Debug, Serialize, ts_rs::TS)]
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
        let verdicts = r
            .summary
            .verdicts
            .verdicts
            .iter()
            .map(|(v, n)| (v.as_str().to_string(), *n))
            .collect();
        RunRow {
            id: r.id,
            version: r.version.clone(),
            set: r.set,
            started_at: r.started_at.to_string(),
            finished_at: r.finished_at.to_string(),
            actor: r.actor.clone(),
            actions: r.summary.actions,
            verdicts,
        }
    }
}

/// The stored runs, oldest first.
#[tauri::command]
pub fn list_runs(state: State<'_, AppState>) -> Result<Vec<RunRow>, String> {
    let ws = open(&state.path())?;
    Ok(ws
        .list_runs()
        .map_err(|e| e.to_string())?
        .iter()
        .map(RunRow::from)
        .collect())
}

/// Progress of a replay, sent over a channel.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Progress {
    /// Checking the version and preparing the replay.
    Preparing,
    /// Replaying: bytes of stored records read so far.
    Replaying { bytes: u64 },
    /// Done: the new run's id.
    Done { run: i64 },
}

/// The running replay's cancel flag (one replay at a time). Managed by
/// the app.
#[derive(Default)]
pub struct ReplayJobs {
    running: std::sync::Mutex<Option<std::sync::Arc<std::sync::atomic::AtomicBool>>>,
}

impl ReplayJobs {
    fn running(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<std::sync::Arc<std::sync::atomic::AtomicBool>>> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Clears the running replay when the command ends, however it ends.
struct ReplayRunning<'a>(&'a ReplayJobs);

impl Drop for ReplayRunning<'_> {
    fn drop(&mut self) {
        *self.0.running() = None;
    }
}

/// Replays `version` over trace set `set` and stores the run, reporting
/// progress on `on_progress`. Runs on the blocking pool; one replay at a
/// time, stopped by [`cancel_replay`] (then nothing is stored).
#[tauri::command]
pub async fn store_run(
    state: State<'_, AppState>,
    jobs: State<'_, ReplayJobs>,
    version: String,
    set: i64,
    on_progress: Channel<Progress>,
) -> Result<RunRow, String> {
    let version = valid_version(&version)?.to_string();
    let set = valid_id("trace set", set)?;
    let path = state.path();
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let mut running = jobs.running();
        if running.is_some() {
            return Err(
                "a replay is already running; wait for it to finish or cancel it".to_string(),
            );
        }
        *running = Some(cancel.clone());
    }
    let _running = ReplayRunning(jobs.inner());
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
            .store_run_with(&version, &set.to_string(), &actor(), &report, &cancel)
            .map_err(|e| match e {
                writ_store::StoreError::Cancelled(_) => {
                    "Replay cancelled; nothing was stored.".to_string()
                }
                e => format!("replay failed: {e}"),
            })?;
        let _ = on_progress.send(Progress::Done { run: run.id });
        Ok(RunRow::from(&run))
    })
    .await
}

/// Asks the running replay to stop; `false` when none is running.
#[tauri::command]
pub fn cancel_replay(jobs: State<'_, ReplayJobs>) -> bool {
    match jobs.running().as_ref() {
        Some(flag) => {
            flag.store(true, Ordering::Relaxed);
            true
        }
        None => false,
    }
}

/// Counts of one row of the diff tables.
#[derive(Debug, Serialize, ts_rs::TS)]
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
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct RunDiff {
    a: i64,
    b: i64,
    actions: u64,
    unchanged: u64,
    changed: Counts,
    by_agent: Vec<Counts>,
    /// Changes per tool, most first.
    by_tool: Vec<Counts>,
    /// The policies determining changed actions before or after, most
    /// first (`DecisionDiff::responsible_ranked`, as `writ diff` prints them).
    responsible: Vec<ResponsiblePolicy>,
}

fn run_diff(a: i64, b: i64, d: &DecisionDiff) -> RunDiff {
    let mut by_agent: Vec<Counts> = d.by_agent.iter().map(|(k, c)| counts(k, c)).collect();
    by_agent.sort_by(|x, y| y.total.cmp(&x.total).then_with(|| x.name.cmp(&y.name)));
    let mut by_tool: Vec<Counts> = d.by_tool.iter().map(|(k, c)| counts(k, c)).collect();
    by_tool.sort_by(|x, y| y.total.cmp(&x.total).then_with(|| x.name.cmp(&y.name)));
    RunDiff {
        a,
        b,
        actions: d.actions,
        unchanged: d.unchanged,
        changed: counts("all", &d.counts),
        by_agent,
        by_tool,
        responsible: d.responsible_ranked(),
    }
}

/// Compares two stored runs over the same trace set.
#[tauri::command]
pub async fn diff_runs(state: State<'_, AppState>, a: i64, b: i64) -> Result<RunDiff, String> {
    let a = valid_id("run", a)?;
    let b = valid_id("run", b)?;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let d = ws.diff_runs(a, b).map_err(|e| e.to_string())?;
        Ok(run_diff(a, b, &d))
    })
    .await
}

/// The stored decision, verdict and determining policies of the action at
/// `line` in run `run`.
#[tauri::command]
pub fn run_result(state: State<'_, AppState>, run: i64, line: i64) -> Result<RunResult, String> {
    let run = valid_id("run", run)?;
    let line = valid_id("line", line)?;
    open(&state.path())?
        .run_result(run, line)
        .map_err(|e| e.to_string())
}

/// A page of the changed actions of a run diff.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct ChangePage {
    /// Changed actions matching the agent filter.
    total: usize,
    offset: usize,
    changes: Vec<Change>,
}

/// The changed actions of the diff of runs `a` and `b` (only `agent`'s,
/// and only those `policy` determined before or after, when given),
/// `limit` from `offset`, in line order.
#[tauri::command]
pub async fn diff_changes(
    state: State<'_, AppState>,
    a: i64,
    b: i64,
    agent: Option<String>,
    policy: Option<String>,
    offset: u32,
    limit: u32,
) -> Result<ChangePage, String> {
    let a = valid_id("run", a)?;
    let b = valid_id("run", b)?;
    let filter = ChangeFilter {
        agent: valid_name("agent", agent)?,
        policy: valid_name("policy", policy)?,
    };
    let limit = valid_limit(limit)? as usize;
    let offset = offset as usize;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let d = ws.diff_runs(a, b).map_err(|e| e.to_string())?;
        let matching: Vec<Change> = d
            .changes
            .into_iter()
            .filter(|c| filter.matches(c))
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
    let path = state.path();
    blocking(move || {
        let (from, to) = run_projects(&path, a, b)?;
        Ok(text_diff(&from, &to))
    })
    .await
}
