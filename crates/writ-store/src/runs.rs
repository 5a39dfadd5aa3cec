//! Replay runs: a version replayed over a stored trace set, stored whole
//! (every action's decision, determining policies, errors and verdict) in
//! one transaction, and compared without recomputing.

use crate::audit;
use crate::columns::{bad_value, json as stored_json};
use crate::error::{Result, StoreError};
use crate::traces::StoredLines;
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use writ_base::time::UtcTime;
use writ_core::diff::DecisionDiff;
use writ_core::evaluate::{Evaluator, Outcome, PolicyError, Verdict};
use writ_core::policies::StepUp;
use writ_core::replay::{
    replay_source, ActionResult, Evaluation, ReplayOptions, ReplayStats, ResultSink, SinkError,
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
    /// When it started.
    pub started_at: UtcTime,
    /// When it finished.
    pub finished_at: UtcTime,
    /// Who ran it.
    pub actor: String,
    /// The replay summary.
    pub summary: ReplaySummary,
    /// The replay counters.
    pub stats: ReplayStats,
}

/// One action's stored result in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RunResult {
    /// The run.
    pub run: i64,
    /// The action's line in the trace set.
    pub line: i64,
    /// The principal decided for, as `Type::"id"`.
    pub principal: String,
    /// Allow or deny.
    pub decision: Decision,
    /// The verdict.
    pub verdict: Verdict,
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
struct RunWriter<'c> {
    conn: Connection,
    run: i64,
    summary: ReplaySummary,
    open: bool,
    /// Set by another thread to stop the replay (checked per result).
    cancel: &'c AtomicBool,
}

/// What a cancelled replay's sink reports to the replay loop.
const CANCELLED: &str = "the replay was cancelled";

fn kind_name(k: PrincipalKind) -> &'static str {
    match k {
        PrincipalKind::Inventory => "inventory",
        PrincipalKind::Shadow => "shadow",
        PrincipalKind::Literal => "literal",
    }
}

impl ResultSink for RunWriter<'_> {
    fn result(&mut self, r: &ActionResult) -> std::result::Result<(), SinkError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(SinkError::Other(CANCELLED.to_string()));
        }
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

impl Drop for RunWriter<'_> {
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
        let never = AtomicBool::new(false);
        self.store_run_with(version, set, actor, progress, &never)
    }

    /// [`Workspace::store_run`] that stops when `cancel` is set (checked
    /// before each result is written and before the commit): the run's
    /// transaction is rolled back and [`StoreError::Cancelled`] returned, so
    /// no run, no result and no audit event is stored.
    pub fn store_run_with(
        &mut self,
        version: &str,
        set: &str,
        actor: &str,
        progress: &(dyn Fn(u64) + Sync),
        cancel: &AtomicBool,
    ) -> Result<RunInfo> {
        let stop = || -> Result<()> {
            if cancel.load(Ordering::Relaxed) {
                Err(StoreError::Cancelled("the replay"))
            } else {
                Ok(())
            }
        };
        stop()?;
        // The version is found, the set is found, then its errors count.
        let checked = self.check_version(version)?;
        let set = self.trace_set(set)?;
        let crate::checked::VersionProject {
            id: version_id,
            short,
            project,
        } = checked.into_project()?;
        let ev = Evaluator::from_project(format!("@{short}"), &project);
        let started = now_rfc3339();
        let conn = self.reopen()?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let mut writer = RunWriter {
            conn,
            run: 0,
            summary: ReplaySummary::default(),
            open: true,
            cancel,
        };
        writer.conn.execute(
            "INSERT INTO runs (version_id, set_id, started_at, finished_at, actor, summary, stats) VALUES (?1, ?2, ?3, ?3, ?4, '{}', '{}')",
            params![version_id, set.id, started, actor],
        )?;
        writer.run = writer.conn.last_insert_rowid();
        let lines = StoredLines::new(self.reopen()?, set.id);
        let stats = match replay_source(
            lines,
            &[&ev],
            &ReplayOptions::default(),
            &mut writer,
            progress,
        ) {
            Ok(stats) => stats,
            // The writer's drop rolls the transaction back.
            Err(_) if cancel.load(Ordering::Relaxed) => {
                return Err(StoreError::Cancelled("the replay"))
            }
            Err(e) => return Err(e.into()),
        };
        let finished = now_rfc3339();
        let summary =
            serde_json::to_value(&writer.summary).map_err(|source| StoreError::Encode {
                what: "the run's summary",
                source,
            })?;
        let stats_json = serde_json::to_value(&stats).map_err(|source| StoreError::Encode {
            what: "the run's counters",
            source,
        })?;
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
        stop()?;
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
                        crate::columns::verdict(r, 2)?,
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
            decision: crate::columns::decision(1, &decision)?,
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
            return Err(StoreError::RunsOfDifferentSets {
                a,
                b,
                set_a: ra.set,
                set_b: rb.set,
            });
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

fn stored_evaluation(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Evaluation> {
    let principal: String = row.get(at)?;
    let kind: String = row.get(at + 1)?;
    let decision: String = row.get(at + 2)?;
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
    let decision = crate::columns::decision(at + 2, &decision)?;
    let verdict = crate::columns::verdict(row, at + 3)?;
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
        started_at: crate::columns::time(r, 3)?,
        finished_at: crate::columns::time(r, 4)?,
        actor: r.get(5)?,
        summary: stored_json(6, &summary)?,
        stats: stored_json(7, &stats)?,
    })
}

/// One interval of a run's timeline: how many actions recorded in it the
/// run allowed and denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TimeBucket {
    /// Start of the interval (Unix seconds, inclusive).
    pub start: i64,
    /// End of the interval (Unix seconds, exclusive).
    pub end: i64,
    /// Actions the run allowed.
    pub allowed: u64,
    /// Actions the run denied.
    pub denied: u64,
}

/// A run's decisions over the recorded time of its actions, in equal,
/// consecutive intervals (empty ones included) across the trace's span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RunTimeline {
    /// The run.
    pub run: i64,
    /// The width of every interval in seconds (a round length: 1 s, 5 min, 3 h, 1 day, ...).
    pub interval_secs: i64,
    /// The intervals, oldest first; empty when the run has no timed action.
    pub buckets: Vec<TimeBucket>,
    /// Actions whose recorded time could not be read (counted nowhere else).
    pub untimed: u64,
}

/// Round interval lengths, in seconds, that a timeline may use.
const NICE_INTERVALS: &[i64] = &[
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    172_800, 604_800,
];

/// The smallest round interval that covers `first..=last` (Unix seconds) in
/// at most `max_buckets` intervals aligned to multiples of the interval.
/// Past a week, whole multiples of a week.
pub fn timeline_interval(first: i64, last: i64, max_buckets: u32) -> i64 {
    let max = i64::from(max_buckets.max(1));
    let fits = |w: i64| (last.div_euclid(w) - first.div_euclid(w)) < max;
    if let Some(&w) = NICE_INTERVALS.iter().find(|&&w| fits(w)) {
        return w;
    }
    let week = 604_800;
    let mut w = week * ((last - first) / (week * max) + 1);
    while !fits(w) {
        w += week;
    }
    w
}

impl Workspace {
    /// Run `run`'s allowed and denied actions over their recorded time, in
    /// at most `max_buckets` equal intervals of a round length (see
    /// [`timeline_interval`]). Read only.
    pub fn run_timeline(&self, run: i64, max_buckets: u32) -> Result<RunTimeline> {
        let info = self.run(run)?;
        // `unixepoch` reads RFC 3339 with offsets and fractions; NULL when it cannot.
        const TIMED: &str = "SELECT unixepoch(a.ts) AS t, r.decision AS decision
             FROM run_results r JOIN actions a ON a.set_id = ?2 AND a.line = r.line
             WHERE r.run_id = ?1";
        let (first, last, untimed): (Option<i64>, Option<i64>, i64) = self.conn.query_row(
            &format!("SELECT MIN(t), MAX(t), COUNT(*) - COUNT(t) FROM ({TIMED})"),
            params![run, info.set],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let untimed = u64::try_from(untimed).unwrap_or(0);
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(RunTimeline {
                run,
                interval_secs: 1,
                buckets: Vec::new(),
                untimed,
            });
        };
        let w = timeline_interval(first, last, max_buckets);
        let origin = first.div_euclid(w) * w;
        let count = (last.div_euclid(w) - first.div_euclid(w) + 1) as usize;
        let mut buckets: Vec<TimeBucket> = (0..count as i64)
            .map(|i| TimeBucket {
                start: origin + i * w,
                end: origin + (i + 1) * w,
                allowed: 0,
                denied: 0,
            })
            .collect();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT (t - ?3) / ?4 AS b,
                    SUM(decision = 'allow'), SUM(decision = 'deny')
             FROM ({TIMED}) WHERE t IS NOT NULL GROUP BY b"
        ))?;
        let mut rows = stmt.query(params![run, info.set, origin, w])?;
        while let Some(row) = rows.next()? {
            let b: i64 = row.get(0)?;
            let allowed: i64 = row.get(1)?;
            let denied: i64 = row.get(2)?;
            let slot = usize::try_from(b)
                .ok()
                .and_then(|b| buckets.get_mut(b))
                .ok_or(StoreError::OutsideRunSpan { run, interval: b })?;
            slot.allowed = u64::try_from(allowed).unwrap_or(0);
            slot.denied = u64::try_from(denied).unwrap_or(0);
        }
        Ok(RunTimeline {
            run,
            interval_secs: w,
            buckets,
            untimed,
        })
    }
}

#[cfg(test)]
mod timeline_tests {
    use super::timeline_interval;

    #[test]
    fn intervals_are_round_and_fit() {
        // Five minutes in ten intervals: 30 s.
        assert_eq!(timeline_interval(36_000, 36_299, 10), 30);
        // A single instant: one second.
        assert_eq!(timeline_interval(100, 100, 60), 1);
        // About five days in 60 intervals: three hours.
        assert_eq!(timeline_interval(0, 446_000, 60), 10_800);
        // Alignment counts: 59 s .. 61 s spans two 60 s intervals, so one is not enough.
        assert_eq!(timeline_interval(59, 61, 1), 120);
        // Years in 10 intervals: whole weeks, and it fits.
        let w = timeline_interval(0, 100_000_000, 10);
        assert_eq!(w % 604_800, 0);
        assert!(100_000_000 / w < 10);
    }
}
