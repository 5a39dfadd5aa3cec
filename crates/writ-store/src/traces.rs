//! Trace sets: recorded actions imported whole (one transaction) with a
//! per-line error report, and the filtered, keyset-paged queries the
//! desktop app's tables use.

use crate::audit;
use crate::error::{Result, StoreError};
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::{params, OptionalExtension, ToSql};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use writ_core::trace::{parse_record, LineError, TraceLines};

/// A stored trace set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceSetInfo {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// SHA-256 of the imported bytes.
    pub sha256: String,
    /// Where it came from.
    pub source: String,
    /// When it was imported.
    pub imported_at: String,
    /// Actions stored.
    pub actions: i64,
    /// Malformed lines reported (not stored as actions).
    pub bad_lines: i64,
    /// Size of the imported file in bytes.
    pub bytes: i64,
}

/// One stored action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAction {
    /// Line in the imported file (the action's key within its set).
    pub line: i64,
    /// Timestamp.
    pub ts: String,
    /// Recorded agent.
    pub agent: String,
    /// Tool.
    pub action: String,
    /// The record as imported (JSON).
    pub record: String,
    /// The verdict in the run used for filtering, when one was given.
    pub verdict: Option<String>,
}

/// Which actions to list.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    /// Only this recorded agent.
    pub agent: Option<String>,
    /// Only this tool.
    pub tool: Option<String>,
    /// Only actions with this verdict in `run` (both needed).
    pub verdict: Option<String>,
    /// The run whose verdicts filter and annotate the list.
    pub run: Option<i64>,
    /// Only at or after this time (RFC 3339, compared as text).
    pub since: Option<String>,
    /// Only before this time.
    pub until: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The new set.
    pub set: TraceSetInfo,
    /// The malformed lines (also stored with the set).
    pub errors: Vec<LineError>,
}

/// The SHA-256 (hex) of some bytes.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    audit::hex(&Sha256::digest(bytes))
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(audit::hex(&h.finalize()))
}

/// How many rows an import writes between progress reports.
const PROGRESS_EVERY: u64 = 8192;

impl Workspace {
    /// Imports a native trace file as a new trace set: all of it or nothing.
    /// Malformed lines are reported (kept with the set), not imported.
    /// The same content imported twice is refused, naming the first set.
    pub fn import_traces(
        &mut self,
        file: &Path,
        name: Option<&str>,
        actor: &str,
        progress: &dyn Fn(u64),
    ) -> Result<ImportReport> {
        let sha = sha256_file(file)?;
        let name = name.map(str::to_string).unwrap_or_else(|| {
            file.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "traces".into())
        });
        let reader = std::io::BufReader::with_capacity(
            1 << 16,
            std::fs::File::open(file).map_err(|source| StoreError::Io {
                path: file.to_path_buf(),
                source,
            })?,
        );
        let source = file.display().to_string();
        self.import_trace_reader(reader, &sha, &source, &name, actor, progress)
    }

    /// Imports a trace from a reader whose content hash is `sha256`
    /// (see [`Workspace::import_traces`]); `source` says where it came from.
    pub fn import_trace_reader<R: std::io::BufRead>(
        &mut self,
        reader: R,
        sha: &str,
        source: &str,
        name: &str,
        actor: &str,
        progress: &dyn Fn(u64),
    ) -> Result<ImportReport> {
        let file = Path::new(source);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if let Some((id, existing)) = tx
            .query_row(
                "SELECT id, name FROM trace_sets WHERE sha256 = ?1",
                [&sha],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
        {
            return Err(StoreError::DuplicateTraceSet { name: existing, id });
        }
        if tx
            .query_row("SELECT 1 FROM trace_sets WHERE name = ?1", [&name], |_| {
                Ok(())
            })
            .optional()?
            .is_some()
        {
            return Err(StoreError::NameTaken(name.to_string()));
        }
        tx.execute(
            "INSERT INTO trace_sets (name, sha256, source, imported_at, actions, bad_lines) VALUES (?1, ?2, ?3, ?4, 0, 0)",
            params![name, sha, source, now_rfc3339()],
        )?;
        let set_id = tx.last_insert_rowid();
        let mut errors = Vec::new();
        let mut count = 0i64;
        let total_bytes;
        {
            let mut insert = tx.prepare(
                "INSERT INTO actions (set_id, line, ts, agent, action, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut insert_error = tx.prepare(
                "INSERT INTO trace_errors (set_id, line, col, message) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut lines = TraceLines::new(reader);
            let mut buf = String::new();
            while let Some(n) = lines.next_line(&mut buf).map_err(|source| StoreError::Io {
                path: file.to_path_buf(),
                source,
            })? {
                match parse_record(n, &buf) {
                    Ok(rec) => {
                        insert.execute(params![
                            set_id, n as i64, rec.ts, rec.agent, rec.action, buf
                        ])?;
                        count += 1;
                        if (count as u64).is_multiple_of(PROGRESS_EVERY) {
                            progress(lines.bytes_read());
                        }
                    }
                    Err(e) => {
                        insert_error.execute(params![
                            set_id,
                            e.line as i64,
                            e.column as i64,
                            e.message
                        ])?;
                        errors.push(e);
                    }
                }
            }
            progress(lines.bytes_read());
            total_bytes = lines.bytes_read();
        }
        tx.execute(
            "UPDATE trace_sets SET actions = ?1, bad_lines = ?2, bytes = ?3 WHERE id = ?4",
            params![count, errors.len() as i64, total_bytes as i64, set_id],
        )?;
        audit::append(
            &tx,
            actor,
            "traces.import",
            &serde_json::json!({"set": set_id, "name": name, "sha256": sha, "actions": count, "bad_lines": errors.len(), "source": source}),
        )?;
        tx.commit()?;
        let set = self.trace_set(&set_id.to_string())?;
        Ok(ImportReport { set, errors })
    }

    /// Every trace set, oldest first.
    pub fn list_trace_sets(&self) -> Result<Vec<TraceSetInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, sha256, source, imported_at, actions, bad_lines, bytes FROM trace_sets ORDER BY id",
        )?;
        let rows = stmt.query_map([], row_to_set)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A trace set by id or name.
    pub fn trace_set(&self, id_or_name: &str) -> Result<TraceSetInfo> {
        let by_id = id_or_name.parse::<i64>().ok();
        self.conn
            .query_row(
                "SELECT id, name, sha256, source, imported_at, actions, bad_lines, bytes FROM trace_sets WHERE id = ?1 OR name = ?2 ORDER BY id IS ?1 DESC LIMIT 1",
                params![by_id, id_or_name],
                row_to_set,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "trace set",
                id: id_or_name.to_string(),
            })
    }

    /// The malformed lines reported when a set was imported.
    pub fn trace_set_errors(&self, set: i64) -> Result<Vec<LineError>> {
        let mut stmt = self.conn.prepare(
            "SELECT line, col, message FROM trace_errors WHERE set_id = ?1 ORDER BY line",
        )?;
        let rows = stmt.query_map([set], |r| {
            Ok(LineError {
                line: r.get::<_, i64>(0)? as usize,
                column: r.get::<_, i64>(1)? as usize,
                message: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A page of a set's actions matching `filter`, after line `after`
    /// (keyset paging: pass the last line of the previous page).
    pub fn list_actions(
        &self,
        set: i64,
        filter: &ActionFilter,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredAction>> {
        if filter.verdict.is_some() && filter.run.is_none() {
            return Err(StoreError::Invalid(
                "filtering by verdict needs a run (--run)".into(),
            ));
        }
        if let Some(run) = filter.run {
            // Results are keyed by line only: another set's run would
            // annotate these actions with the verdicts of other actions.
            let run_set: i64 = self
                .conn
                .query_row("SELECT set_id FROM runs WHERE id = ?1", [run], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::NotFound {
                    what: "run",
                    id: run.to_string(),
                })?;
            if run_set != set {
                return Err(StoreError::Invalid(format!(
                    "run {run} replayed trace set {run_set}, not trace set {set}"
                )));
            }
        }
        let mut sql = String::from("SELECT a.line, a.ts, a.agent, a.action, a.record, ");
        sql.push_str(if filter.run.is_some() {
            "r.verdict"
        } else {
            "NULL"
        });
        sql.push_str(" FROM actions a");
        if filter.run.is_some() {
            sql.push_str(" JOIN run_results r ON r.run_id = :run AND r.line = a.line");
        }
        sql.push_str(" WHERE a.set_id = :set AND a.line > :after");
        let mut args: Vec<(&str, &dyn ToSql)> = vec![(":set", &set), (":after", &after)];
        if let Some(a) = &filter.agent {
            sql.push_str(" AND a.agent = :agent");
            args.push((":agent", a));
        }
        if let Some(t) = &filter.tool {
            sql.push_str(" AND a.action = :tool");
            args.push((":tool", t));
        }
        if let Some(s) = &filter.since {
            sql.push_str(" AND a.ts >= :since");
            args.push((":since", s));
        }
        if let Some(u) = &filter.until {
            sql.push_str(" AND a.ts < :until");
            args.push((":until", u));
        }
        if let Some(run) = &filter.run {
            args.push((":run", run));
            if let Some(v) = &filter.verdict {
                sql.push_str(" AND r.verdict = :verdict");
                args.push((":verdict", v));
            }
        }
        sql.push_str(" ORDER BY a.line LIMIT :limit");
        let limit = limit as i64;
        args.push((":limit", &limit));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(args.as_slice(), |r| {
            Ok(StoredAction {
                line: r.get(0)?,
                ts: r.get(1)?,
                agent: r.get(2)?,
                action: r.get(3)?,
                record: r.get(4)?,
                verdict: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

fn row_to_set(r: &rusqlite::Row<'_>) -> rusqlite::Result<TraceSetInfo> {
    Ok(TraceSetInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        sha256: r.get(2)?,
        source: r.get(3)?,
        imported_at: r.get(4)?,
        actions: r.get(5)?,
        bad_lines: r.get(6)?,
        bytes: r.get(7)?,
    })
}

/// Reads a stored set's records in line order, keeping their original line
/// numbers, on its own connection so replay can run on other threads.
pub struct StoredLines {
    conn: rusqlite::Connection,
    set: i64,
    after: i64,
    buffer: std::collections::VecDeque<(usize, String)>,
    done: bool,
    bytes: u64,
}

impl StoredLines {
    pub(crate) fn new(conn: rusqlite::Connection, set: i64) -> Self {
        StoredLines {
            conn,
            set,
            after: 0,
            buffer: Default::default(),
            done: false,
            bytes: 0,
        }
    }

    fn refill(&mut self) -> rusqlite::Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT line, record FROM actions WHERE set_id = ?1 AND line > ?2 ORDER BY line LIMIT 4096")?;
        let rows = stmt.query_map(params![self.set, self.after], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (line, rec) = row?;
            self.after = line;
            self.buffer.push_back((line as usize, rec));
        }
        if self.buffer.is_empty() {
            self.done = true;
        }
        Ok(())
    }
}

impl writ_core::trace::LineSource for StoredLines {
    fn next_line(&mut self, buf: &mut String) -> std::io::Result<Option<usize>> {
        if self.buffer.is_empty() && !self.done {
            self.refill().map_err(std::io::Error::other)?;
        }
        Ok(self.buffer.pop_front().map(|(line, rec)| {
            self.bytes += rec.len() as u64 + 1;
            *buf = rec;
            line
        }))
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}
