//! Replay runs: a version replayed over a stored trace set, stored whole
//! (every action's decision, determining policies, errors and verdict) in
//! one transaction, and compared without recomputing.

use crate::audit;
use crate::error::{Result, StoreError};
use crate::traces::StoredLines;
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::sync::Arc;
use writ_core::diff::DecisionDiff;
use writ_core::evaluate::{Evaluator, Outcome, PolicyError, Verdict};
use writ_core::policies::StepUp;
use writ_core::replay::{
    replay_source, ActionResult, Evaluation, ReplayOptions, ResultSink, SinkError,
};
use writ_core::resolve::{parse_uid_literal, Principal, PrincipalKind};
use writ_core::summary::ReplaySummary;
use writ_core::trace::{parse_record, Decision};

/// A stored run.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// Id.
    pub id: i64,
    /// The version replayed.
    pub version: String,
    /// The trace set replayed.
    pub set: i64,
    /// When it started and finished.
    pub started_at: String,
    /// When it finished.
    pub finished_at: String,
    /// Who ran it.
    pub actor: String,
    /// The replay summary.
    pub summary: serde_json::Value,
    /// The replay counters.
    pub stats: serde_json::Value,
}

/// One action's stored result in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunResult {
    /// The run.
    pub run: i64,
    /// The action's line in the trace set.
    pub line: i64,
    /// The principal decided for, as `Type::"id"`.
    pub principal: String,
    /// `allow` or `deny`.
    pub decision: String,
    /// The verdict (`allowed`, `denied_by_forbid`, ...).
    pub verdict: String,
    /// The determining policies.
    pub reasons: Vec<String>,
    /// Policies that failed to evaluate (`policy`: message).
    pub errors: Vec<String>,
    /// Why the request could not be built, if it could not.
    pub request_error: Option<String>,
    /// The step-up the action needs, if any.
    pub step_up: Option<String>,
}

/// Writes results into an open transaction on its own connection.
struct RunWriter {
    conn: Connection,
    run: i64,
    summary: ReplaySummary,
    open: bool,
}

fn kind_name(k: PrincipalKind) -> &'static str {
    match k {
        PrincipalKind::Inventory => "inventory",
        PrincipalKind::Shadow => "shadow",
        PrincipalKind::Literal => "literal",
    }
}

impl ResultSink for RunWriter {
    fn result(&mut self, r: &ActionResult) -> std::result::Result<(), SinkError> {
        self.summary.add(r, 0);
        let Some(ev) = r.evaluations.first() else {
            return Ok(());
        };
        let o = &ev.outcome;
        let principal = format!(
            "{}::{}",
            ev.principal.ty,
            serde_json::Value::String(ev.principal.id.to_string())
        );
        let reasons = serde_json::to_string(&o.reasons).unwrap_or_else(|_| "[]".into());
        let errors = serde_json::to_string(&o.errors).unwrap_or_else(|_| "[]".into());
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO run_results (run_id, line, principal, principal_kind, decision, verdict, reasons, errors, request_error, step_up) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(|e| SinkError::Other(e.to_string()))?;
        stmt.execute(params![
            self.run,
            r.line as i64,
            principal,
            kind_name(ev.principal.kind),
            o.decision.as_str(),
            o.verdict.as_str(),
            reasons,
            errors,
            o.request_error,
            o.step_up.map(StepUp::as_str),
        ])
        .map_err(|e| SinkError::Other(e.to_string()))?;
        Ok(())
    }
}

impl Drop for RunWriter {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl Workspace {
    /// Replays stored version `version` over stored trace set `set` and
    /// stores the run. Nothing is stored unless the whole run completes.
    pub fn store_run(
        &mut self,
        version: &str,
        set: &str,
        actor: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<RunInfo> {
        let (version_id, files) = self.version_files(version)?;
        let set = self.trace_set(set)?;
        let report = writ_core::project::check_files(
            &std::path::PathBuf::from(format!("@{}", &version_id[..12])),
            files,
            Vec::new(),
            writ_core::project::today_utc(),
        );
        let errors = report.error_count();
        let project = report.project.ok_or_else(|| {
            StoreError::Invalid(format!(
                "version {} has {errors} error(s); run `writ check @{}` to see them",
                &version_id[..12],
                &version_id[..12]
            ))
        })?;
        let ev = Evaluator::from_project(format!("@{}", &version_id[..12]), &project);
        let started = now_rfc3339();
        let conn = self.reopen()?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let mut writer = RunWriter {
            conn,
            run: 0,
            summary: ReplaySummary::default(),
            open: true,
        };
        writer.conn.execute(
            "INSERT INTO runs (version_id, set_id, started_at, finished_at, actor, summary, stats) VALUES (?1, ?2, ?3, ?3, ?4, '{}', '{}')",
            params![version_id, set.id, started, actor],
        )?;
        writer.run = writer.conn.last_insert_rowid();
        let lines = StoredLines::new(self.reopen()?, set.id);
        let stats = replay_source(
            lines,
            &[&ev],
            &ReplayOptions::default(),
            &mut writer,
            progress,
        )?;
        let finished = now_rfc3339();
        let summary = serde_json::to_value(&writer.summary)
            .map_err(|e| StoreError::Invalid(format!("cannot record the run's summary: {e}")))?;
        let stats_json = serde_json::to_value(&stats)
            .map_err(|e| StoreError::Invalid(format!("cannot record the run's counters: {e}")))?;
        writer.conn.execute(
            "UPDATE runs SET finished_at = ?1, summary = ?2, stats = ?3 WHERE id = ?4",
            params![
                finished,
                summary.to_string(),
                stats_json.to_string(),
                writer.run
            ],
        )?;
        audit::append(
            &writer.conn,
            actor,
            "run.store",
            &serde_json::json!({"run": writer.run, "version": version_id, "set": set.id, "actions": stats.actions}),
        )?;
        writer.conn.execute_batch("COMMIT")?;
        writer.open = false;
        let id = writer.run;
        drop(writer);
        self.run(id)
    }

    /// Every run, oldest first.
    pub fn list_runs(&self) -> Result<Vec<RunInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, version_id, set_id, started_at, finished_at, actor, summary, stats FROM runs ORDER BY id",
        )?;
        let rows = stmt.query_map([], row_to_run)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One run.
    pub fn run(&self, id: i64) -> Result<RunInfo> {
        self.conn
            .query_row(
                "SELECT id, version_id, set_id, started_at, finished_at, actor, summary, stats FROM runs WHERE id = ?1",
                [id],
                row_to_run,
            )
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "run",
                id: id.to_string(),
            })
    }

    /// The stored result of the action at `line` in run `run` (read only).
    pub fn run_result(&self, run: i64, line: i64) -> Result<RunResult> {
        self.run(run)?;
        let row = self
            .conn
            .query_row(
                "SELECT principal, decision, verdict, reasons, errors, request_error, step_up FROM run_results WHERE run_id = ?1 AND line = ?2",
                params![run, line],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "run result",
                id: format!("run {run}, line {line}"),
            })?;
        let (principal, decision, verdict, reasons, errors, request_error, step_up) = row;
        let errors = stored_json::<Vec<StoredError>>(4, &errors)?
            .into_iter()
            .map(|e| format!("{}: {}", e.policy, e.message))
            .collect();
        Ok(RunResult {
            run,
            line,
            principal,
            decision,
            verdict,
            reasons: stored_json(3, &reasons)?,
            errors,
            request_error,
            step_up,
        })
    }

    /// Compares two stored runs over the same trace set, action by action,
    /// from the stored results (nothing is decided again).
    pub fn diff_runs(&self, a: i64, b: i64) -> Result<DecisionDiff> {
        let (ra, rb) = (self.run(a)?, self.run(b)?);
        if ra.set != rb.set {
            return Err(StoreError::Invalid(format!(
                "runs {a} and {b} replayed different trace sets ({} and {}); compare runs over the same set",
                ra.set, rb.set
            )));
        }
        let mut stmt = self.conn.prepare(
            "SELECT x.line, a.record,
                    x.principal, x.principal_kind, x.decision, x.verdict, x.reasons, x.errors, x.request_error, x.step_up,
                    y.principal, y.principal_kind, y.decision, y.verdict, y.reasons, y.errors, y.request_error, y.step_up
             FROM run_results x
             JOIN run_results y ON y.run_id = ?2 AND y.line = x.line
             JOIN actions a ON a.set_id = ?3 AND a.line = x.line
             WHERE x.run_id = ?1 ORDER BY x.line",
        )?;
        let mut diff = DecisionDiff::new();
        let mut rows = stmt.query(params![a, b, ra.set])?;
        while let Some(row) = rows.next()? {
            let line: i64 = row.get(0)?;
            let record_text: String = row.get(1)?;
            let record =
                parse_record(line as usize, &record_text).map_err(|e| StoreError::Corrupt {
                    path: self.path().to_path_buf(),
                    detail: format!("stored action at line {line} does not parse: {}", e.message),
                })?;
            let ea = stored_evaluation(row, 2)?;
            let eb = stored_evaluation(row, 10)?;
            diff.add(&ActionResult {
                line: line as usize,
                record,
                evaluations: vec![ea, eb],
            });
        }
        Ok(diff)
    }
}

/// A policy error as stored in `run_results.errors`.
#[derive(serde::Deserialize)]
struct StoredError {
    policy: String,
    message: String,
}

/// Reads a JSON column; text that does not parse is a conversion error of
/// that column, never silently an empty value.
fn stored_json<T: serde::de::DeserializeOwned>(col: usize, text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A value a column may not hold.
fn bad_value(col: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        format!("`{value}` is not a {what}").into(),
    )
}

fn stored_evaluation(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Evaluation> {
    let principal: String = row.get(at)?;
    let kind: String = row.get(at + 1)?;
    let decision: String = row.get(at + 2)?;
    let verdict: String = row.get(at + 3)?;
    let reasons: String = row.get(at + 4)?;
    let errors: String = row.get(at + 5)?;
    let request_error: Option<String> = row.get(at + 6)?;
    let step_up: Option<String> = row.get(at + 7)?;
    let (ty, id) =
        parse_uid_literal(&principal).ok_or_else(|| bad_value(at, "principal uid", &principal))?;
    let kind = match kind.as_str() {
        "inventory" => PrincipalKind::Inventory,
        "shadow" => PrincipalKind::Shadow,
        "literal" => PrincipalKind::Literal,
        other => return Err(bad_value(at + 1, "principal kind", other)),
    };
    let decision = match decision.as_str() {
        "allow" => Decision::Allow,
        "deny" => Decision::Deny,
        other => return Err(bad_value(at + 2, "decision", other)),
    };
    let verdict = Verdict::parse(&verdict).ok_or_else(|| bad_value(at + 3, "verdict", &verdict))?;
    let reasons: Vec<Arc<str>> = stored_json::<Vec<String>>(at + 4, &reasons)?
        .into_iter()
        .map(Arc::from)
        .collect();
    let errors: Vec<PolicyError> = stored_json::<Vec<StoredError>>(at + 5, &errors)?
        .into_iter()
        .map(|e| PolicyError {
            policy: Arc::from(e.policy),
            message: e.message,
        })
        .collect();
    let step_up = match step_up.as_deref() {
        None => None,
        Some("human_approval") => Some(StepUp::HumanApproval),
        Some("elevation") => Some(StepUp::Elevation),
        Some(other) => return Err(bad_value(at + 7, "step-up", other)),
    };
    Ok(Evaluation {
        principal: Principal {
            ty: Arc::from(ty),
            id: Arc::from(id.as_str()),
            kind,
        },
        outcome: Arc::new(Outcome {
            decision,
            reasons,
            errors,
            request_error,
            verdict,
            step_up,
        }),
    })
}

fn row_to_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunInfo> {
    let summary: String = r.get(6)?;
    let stats: String = r.get(7)?;
    Ok(RunInfo {
        id: r.get(0)?,
        version: r.get(1)?,
        set: r.get(2)?,
        started_at: r.get(3)?,
        finished_at: r.get(4)?,
        actor: r.get(5)?,
        summary: stored_json(6, &summary)?,
        stats: stored_json(7, &stats)?,
    })
}
