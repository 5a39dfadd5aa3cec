//! Trace sets: recorded actions imported whole (one transaction) with a
//! per-line error report, and the filtered, keyset-paged queries the
//! desktop app's tables use.

use crate::audit;
use crate::error::{Result, StoreError};
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::{params, OptionalExtension, ToSql};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use writ_core::ingest::{
    read_items, Format, IngestCounts, IngestError, Item, Location, Mapping, Out, PlainMapping,
    ReadOptions, Stop,
};
use writ_core::trace::{LineError, TraceRecord};

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
    /// The format read.
    pub format: Format,
    /// Spans (or lines, messages) read, actions extracted, skipped by reason.
    pub counts: IngestCounts,
}

/// How an import reads and maps its input.
#[derive(Clone, Default)]
pub struct ImportOptions {
    /// The format; `None` detects it from the first bytes.
    pub format: Option<Format>,
    /// What the span readers need (the user attributes to try).
    pub read: ReadOptions,
    /// The mapping from tool calls to records; `None` is [`PlainMapping`].
    pub mapping: Option<Arc<dyn Mapping>>,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("format", &self.format)
            .field("read", &self.read)
            .field("mapping", &self.mapping.as_ref().map(|_| "custom"))
            .finish()
    }
}

/// A record and its JSON text.
fn record_text(rec: TraceRecord) -> std::result::Result<(TraceRecord, String), (Location, String)> {
    match serde_json::to_string(&rec) {
        Ok(text) => Ok((rec, text)),
        Err(e) => Err((Location::default(), format!("cannot write the record: {e}"))),
    }
}

/// Bytes an import reads between two byte-driven progress reports and
/// cancel checks (spans that are skipped yield no item, so items alone
/// would not report a long run of them).
const PROGRESS_BYTES: u64 = 1 << 20;

/// A reader counting the bytes consumed through it, reporting every
/// [`PROGRESS_BYTES`] and failing once `cancel` is set.
struct CountedReader<'a, R> {
    inner: R,
    read: Rc<Cell<u64>>,
    next_tick: u64,
    tick: &'a dyn Fn(u64),
    cancel: &'a AtomicBool,
}

impl<R> CountedReader<'_, R> {
    fn advance(&mut self, n: usize) {
        let now = self.read.get() + n as u64;
        self.read.set(now);
        if now >= self.next_tick {
            self.next_tick = now + PROGRESS_BYTES;
            (self.tick)(now);
        }
    }

    fn check(&self) -> std::io::Result<()> {
        if cancelled(self.cancel) {
            Err(std::io::Error::other("the import was cancelled"))
        } else {
            Ok(())
        }
    }
}

impl<R: std::io::Read> std::io::Read for CountedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.check()?;
        let n = self.inner.read(buf)?;
        self.advance(n);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for CountedReader<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.check()?;
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.advance(amt);
        self.inner.consume(amt);
    }
}

/// How far an import has come, reported between batches of lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    /// Bytes of the trace read so far.
    pub bytes: u64,
    /// The trace's size in bytes, when known.
    pub total: Option<u64>,
    /// Actions stored so far (in the open transaction).
    pub actions: u64,
    /// Malformed lines met so far.
    pub bad_lines: u64,
}

/// Lines an import reads between two progress reports and cancel checks.
pub const IMPORT_BATCH: u64 = 4096;

/// Whether `cancel` was set (by another thread).
fn cancelled(cancel: &AtomicBool) -> bool {
    cancel.load(Ordering::Relaxed)
}

/// The SHA-256 of a file, read in 1 MiB blocks; stops when `cancel` is set.
fn sha256_file(path: &Path, cancel: &AtomicBool) -> Result<String> {
    use std::io::Read;
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancelled(cancel) {
            return Err(StoreError::Cancelled("the import"));
        }
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(writ_base::hex(&h.finalize()))
}

impl Workspace {
    /// Imports a native trace file as a new trace set: all of it or nothing.
    /// Malformed lines are reported (kept with the set), not imported.
    /// The same content imported twice is refused, naming the first set.
    /// `progress` gets the bytes read so far.
    pub fn import_traces(
        &mut self,
        file: &Path,
        name: Option<&str>,
        actor: &str,
        progress: &dyn Fn(u64),
    ) -> Result<ImportReport> {
        let never = AtomicBool::new(false);
        self.import_traces_with(file, name, actor, &|p| progress(p.bytes), &never)
    }

    /// [`Workspace::import_traces`] with detailed progress and a cancel
    /// flag, checked between batches of [`IMPORT_BATCH`] lines: once it is
    /// set the import stops with [`StoreError::Cancelled`] and the
    /// transaction is rolled back (no set, no rows, no audit event).
    pub fn import_traces_with(
        &mut self,
        file: &Path,
        name: Option<&str>,
        actor: &str,
        progress: &dyn Fn(ImportProgress),
        cancel: &AtomicBool,
    ) -> Result<ImportReport> {
        self.import_traces_opts(
            file,
            name,
            actor,
            &ImportOptions::default(),
            progress,
            cancel,
        )
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
        let never = AtomicBool::new(false);
        self.import_trace_reader_with(
            reader,
            sha,
            source,
            name,
            actor,
            None,
            &|p| progress(p.bytes),
            &never,
        )
    }

    /// [`Workspace::import_trace_reader`] with detailed progress (`total`:
    /// the reader's size, when known) and a cancel flag (see
    /// [`Workspace::import_traces_with`]). The last report has all bytes read.
    #[allow(clippy::too_many_arguments)]
    pub fn import_trace_reader_with<R: std::io::BufRead>(
        &mut self,
        reader: R,
        sha: &str,
        source: &str,
        name: &str,
        actor: &str,
        total: Option<u64>,
        progress: &dyn Fn(ImportProgress),
        cancel: &AtomicBool,
    ) -> Result<ImportReport> {
        self.import_trace_reader_opts(
            reader,
            sha,
            source,
            name,
            actor,
            total,
            &ImportOptions::default(),
            progress,
            cancel,
        )
    }

    /// [`Workspace::import_traces_with`] reading the file as `opts` says
    /// (its format, or detected; the user attribute; the mapping profile).
    pub fn import_traces_opts(
        &mut self,
        file: &Path,
        name: Option<&str>,
        actor: &str,
        opts: &ImportOptions,
        progress: &dyn Fn(ImportProgress),
        cancel: &AtomicBool,
    ) -> Result<ImportReport> {
        let io = |source| StoreError::Io {
            path: file.to_path_buf(),
            source,
        };
        let total = std::fs::metadata(file).map_err(io)?.len();
        let sha = sha256_file(file, cancel)?;
        let name = name.map(str::to_string).unwrap_or_else(|| {
            file.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "traces".into())
        });
        let reader =
            std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(file).map_err(io)?);
        let source = file.display().to_string();
        self.import_trace_reader_opts(
            reader,
            &sha,
            &source,
            &name,
            actor,
            Some(total),
            opts,
            progress,
            cancel,
        )
    }

    /// Imports a trace of any format ([`Format`]) from a reader, in one
    /// transaction: every item goes through the ingest pipeline (format
    /// reader, then the mapping for tool calls); actions are stored as
    /// native records (a native line verbatim), items that cannot be read
    /// or mapped are kept in the set's errors with their line, column and
    /// JSON path. Ends with the counts in the report.
    #[allow(clippy::too_many_arguments)]
    pub fn import_trace_reader_opts<R: std::io::BufRead>(
        &mut self,
        reader: R,
        sha: &str,
        source: &str,
        name: &str,
        actor: &str,
        total: Option<u64>,
        opts: &ImportOptions,
        progress: &dyn Fn(ImportProgress),
        cancel: &AtomicBool,
    ) -> Result<ImportReport> {
        let file = Path::new(source);
        let stop = || -> Result<()> {
            if cancelled(cancel) {
                Err(StoreError::Cancelled("the import"))
            } else {
                Ok(())
            }
        };
        stop()?;
        // Dropping the transaction without commit rolls everything back,
        // on every early return below.
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
        let mut errors: Vec<LineError> = Vec::new();
        let mut count = 0i64;
        let plain = PlainMapping;
        let mapping: &dyn Mapping = opts.mapping.as_deref().unwrap_or(&plain);
        let position = Rc::new(Cell::new(0u64));
        let (stored, bad) = (Cell::new(0u64), Cell::new(0u64));
        let tick = |bytes: u64| {
            progress(ImportProgress {
                bytes,
                total,
                actions: stored.get(),
                bad_lines: bad.get(),
            })
        };
        let counted = CountedReader {
            inner: reader,
            read: position.clone(),
            next_tick: PROGRESS_BYTES,
            tick: &tick,
            cancel,
        };
        let mut failure: Option<StoreError> = None;
        let mut mapping_failed = 0u64;
        let read_result;
        {
            let mut insert = tx.prepare(
                "INSERT INTO actions (set_id, line, ts, agent, action, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut insert_error = tx.prepare(
                "INSERT INTO trace_errors (set_id, line, col, message) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut seen = 0u64;
            let mut last_error_line = 0usize;
            let report = |count: i64, bad: usize| {
                progress(ImportProgress {
                    bytes: position.get(),
                    total,
                    actions: count as u64,
                    bad_lines: bad as u64,
                })
            };
            let mut add_error = |errors: &mut Vec<LineError>,
                                 line: usize,
                                 column: usize,
                                 message: String|
             -> Result<()> {
                // Errors are keyed by line: several in one line (or one
                // document) take the next free numbers.
                let line = line.max(last_error_line + 1);
                last_error_line = line;
                insert_error.execute(params![set_id, line as i64, column as i64, message])?;
                errors.push(LineError {
                    line,
                    column,
                    message,
                });
                Ok(())
            };
            let mut step = |out: Out<'_>| -> Result<()> {
                let key = i64::try_from(out.key).unwrap_or(i64::MAX);
                match out.item {
                    Ok(item) => {
                        let mapped = match item {
                            Item::Record(rec) => match out.text {
                                Some(text) => Ok((*rec, text.to_string())),
                                None => record_text(*rec),
                            },
                            Item::Call(call) => mapping
                                .to_record(&call)
                                .map_err(|m| (call.location.clone(), m))
                                .and_then(|rec| {
                                    record_text(rec).map_err(|(_, m)| (call.location.clone(), m))
                                })
                                .and_then(|(rec, text)| {
                                    // What replay will read back must be valid.
                                    writ_core::trace::parse_record(out.key as usize, &text)
                                        .map(|_| (rec, text))
                                        .map_err(|e| {
                                            (
                                                call.location.clone(),
                                                format!(
                                                    "the mapped record is not valid: {}",
                                                    e.message
                                                ),
                                            )
                                        })
                                }),
                        };
                        match mapped {
                            Ok((rec, text)) => {
                                insert.execute(params![
                                    set_id, key, rec.ts, rec.agent, rec.action, text
                                ])?;
                                count += 1;
                            }
                            Err((location, message)) => {
                                mapping_failed += 1;
                                let line = location.line.unwrap_or(out.key as usize);
                                let message = match &location.path {
                                    Some(p) => format!("{p}: cannot map the tool call: {message}"),
                                    None => format!("cannot map the tool call: {message}"),
                                };
                                add_error(&mut errors, line, 1, message)?;
                            }
                        }
                    }
                    Err(e) => {
                        let line = e.location.line.unwrap_or(out.key as usize);
                        let message = match &e.location.path {
                            Some(p) => format!("{p}: {}", e.message),
                            None => e.message,
                        };
                        add_error(&mut errors, line, e.column.unwrap_or(1), message)?;
                    }
                }
                stored.set(count as u64);
                bad.set(errors.len() as u64);
                seen += 1;
                if seen.is_multiple_of(IMPORT_BATCH) {
                    stop()?;
                    report(count, errors.len());
                }
                Ok(())
            };
            read_result = read_items(counted, opts.format, &opts.read, &mut |out| {
                step(out).map_err(|e| {
                    failure = Some(e);
                    Stop
                })
            });
            if let Some(e) = failure {
                return Err(e);
            }
            if read_result.is_err() && cancelled(cancel) {
                return Err(StoreError::Cancelled("the import"));
            }
            report(count, errors.len());
        }
        let (format, mut counts) = read_result.map_err(|e| match e {
            _ if cancelled(cancel) => StoreError::Cancelled("the import"),
            IngestError::Io(source) => StoreError::Io {
                path: file.to_path_buf(),
                source,
            },
            IngestError::Stopped => StoreError::Cancelled("the import"),
            other => StoreError::Invalid(format!("{}: {other}", file.display())),
        })?;
        if mapping_failed > 0 {
            counts.actions = counts.actions.saturating_sub(mapping_failed);
            *counts
                .skipped
                .entry("mapping failed".to_string())
                .or_default() += mapping_failed;
        }
        let total_bytes = position.get();
        tx.execute(
            "UPDATE trace_sets SET actions = ?1, bad_lines = ?2, bytes = ?3 WHERE id = ?4",
            params![count, errors.len() as i64, total_bytes as i64, set_id],
        )?;
        audit::append(
            &tx,
            actor,
            "traces.import",
            &serde_json::json!({"set": set_id, "name": name, "sha256": sha, "actions": count, "bad_lines": errors.len(), "source": source, "format": format.name(), "read": counts.read, "skipped": counts.skipped}),
        )?;
        stop()?;
        tx.commit()?;
        let set = self.trace_set(&set_id.to_string())?;
        Ok(ImportReport {
            set,
            errors,
            format,
            counts,
        })
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
        self.check_filter(set, filter)?;
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
        push_conditions(filter, &mut sql, &mut args);
        if let Some(run) = &filter.run {
            args.push((":run", run));
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

    /// How many of a set's actions match `filter` (the length of the list
    /// [`Workspace::actions_at`] pages through).
    pub fn count_actions(&self, set: i64, filter: &ActionFilter) -> Result<u64> {
        self.check_filter(set, filter)?;
        let (mut sql, mut args) = matching_lines(&set, filter);
        sql.insert_str(0, "SELECT count(*) FROM (");
        sql.push(')');
        let _ = &mut args;
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(args.as_slice(), |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// The `limit` actions matching `filter` from position `offset` (0 is
    /// the first matching action, in line order): positional access for a
    /// table that scrolls anywhere. The start line is found on an index
    /// alone (no records read while skipping), then the rows by keyset.
    pub fn actions_at(
        &self,
        set: i64,
        filter: &ActionFilter,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<StoredAction>> {
        self.check_filter(set, filter)?;
        let (mut sql, mut args) = matching_lines(&set, filter);
        sql.push_str(" ORDER BY line LIMIT 1 OFFSET :offset");
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        args.push((":offset", &offset));
        let start: Option<i64> = self
            .conn
            .prepare_cached(&sql)?
            .query_row(args.as_slice(), |r| r.get(0))
            .optional()?;
        match start {
            None => Ok(Vec::new()),
            Some(line) => self.list_actions(set, filter, line - 1, limit),
        }
    }

    /// The lines of `set`'s actions matching `filter`, in line order: the
    /// list a virtual table indexes by position. Each condition is read
    /// from its own index alone (agent, tool, time, verdict in the run) and
    /// the lists are intersected here, so no record is read and no join is
    /// made; keep the result while the filter stays the same.
    pub fn matching_lines(&self, set: i64, filter: &ActionFilter) -> Result<MatchingLines> {
        self.check_filter(set, filter)?;
        let mut lists: Vec<Vec<i64>> = Vec::new();
        let read = |sql: &str, args: &[&dyn ToSql], sort: bool| -> Result<Vec<i64>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let mut lines = stmt
                .query_map(args, |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            if sort {
                lines.sort_unstable();
            }
            Ok(lines)
        };
        if let Some(agent) = &filter.agent {
            lists.push(read(
                "SELECT line FROM actions WHERE set_id = ?1 AND agent = ?2 ORDER BY line",
                &[&set, agent],
                false,
            )?);
        }
        if let Some(tool) = &filter.tool {
            lists.push(read(
                "SELECT line FROM actions WHERE set_id = ?1 AND action = ?2 ORDER BY line",
                &[&set, tool],
                false,
            )?);
        }
        if filter.since.is_some() || filter.until.is_some() {
            // In time order on the time index; sorted by line here.
            lists.push(read(
                "SELECT line FROM actions INDEXED BY actions_by_time WHERE set_id = ?1 AND (?2 IS NULL OR ts >= ?2) AND (?3 IS NULL OR ts < ?3)",
                &[&set, &filter.since, &filter.until],
                true,
            )?);
        }
        if let (Some(run), Some(verdict)) = (&filter.run, &filter.verdict) {
            lists.push(read(
                "SELECT line FROM run_results WHERE run_id = ?1 AND verdict = ?2 ORDER BY line",
                &[run, verdict],
                false,
            )?);
        }
        if lists.is_empty() {
            lists.push(read(
                "SELECT line FROM actions WHERE set_id = ?1 ORDER BY line",
                &[&set],
                false,
            )?);
        }
        lists.sort_by_key(Vec::len);
        let mut lists = lists.into_iter();
        let mut lines = lists.next().unwrap_or_default();
        for other in lists {
            lines.retain(|l| other.binary_search(l).is_ok());
        }
        Ok(MatchingLines { lines })
    }

    /// The actions of `set` at `lines` (from [`MatchingLines::page`]), in
    /// line order; with `run`, each carries its verdict in that run.
    pub fn actions_by_lines(
        &self,
        set: i64,
        run: Option<i64>,
        lines: &[i64],
    ) -> Result<Vec<StoredAction>> {
        self.check_filter(
            set,
            &ActionFilter {
                run,
                ..Default::default()
            },
        )?;
        let list = serde_json::to_string(lines)
            .map_err(|e| StoreError::Invalid(format!("cannot list the lines: {e}")))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.line, a.ts, a.agent, a.action, a.record, r.verdict
             FROM actions a LEFT JOIN run_results r ON r.run_id = ?3 AND r.line = a.line
             WHERE a.set_id = ?1 AND a.line IN (SELECT value FROM json_each(?2))
             ORDER BY a.line",
        )?;
        let rows = stmt.query_map(params![set, list, run], |r| {
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

    /// A verdict filter needs a run, and the run must have replayed `set`.
    fn check_filter(&self, set: i64, filter: &ActionFilter) -> Result<()> {
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
        Ok(())
    }
}

/// The lines of the actions matching a filter, in order (see
/// [`Workspace::matching_lines`]): position `i` is `lines[i]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchingLines {
    lines: Vec<i64>,
}

impl MatchingLines {
    /// How many actions match.
    pub fn len(&self) -> u64 {
        self.lines.len() as u64
    }

    /// Whether none matches.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines at positions `offset..offset + limit` (fewer at the end).
    pub fn page(&self, offset: u64, limit: usize) -> &[i64] {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.lines.len());
        let end = start.saturating_add(limit).min(self.lines.len());
        &self.lines[start..end]
    }
}

/// Appends the agent, tool, time and verdict conditions of `filter` (on
/// `actions a` and, for the verdict, `run_results r`).
fn push_conditions<'a>(
    filter: &'a ActionFilter,
    sql: &mut String,
    args: &mut Vec<(&'static str, &'a dyn ToSql)>,
) {
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
    if filter.run.is_some() {
        if let Some(v) = &filter.verdict {
            sql.push_str(" AND r.verdict = :verdict");
            args.push((":verdict", v));
        }
    }
}

/// A query of the lines (column `line`) of the actions matching `filter`,
/// reading indexes only: a verdict alone is answered from the run's
/// results (a run has one result per action of its set); otherwise from
/// the actions, joined to the run's results only for a verdict.
fn matching_lines<'a>(
    set: &'a i64,
    filter: &'a ActionFilter,
) -> (String, Vec<(&'static str, &'a dyn ToSql)>) {
    let only_verdict = filter.agent.is_none()
        && filter.tool.is_none()
        && filter.since.is_none()
        && filter.until.is_none();
    let mut args: Vec<(&'static str, &'a dyn ToSql)> = Vec::new();
    if let (Some(run), Some(verdict), true) = (&filter.run, &filter.verdict, only_verdict) {
        args.push((":run", run));
        args.push((":verdict", verdict));
        return (
            "SELECT r.line AS line FROM run_results r WHERE r.run_id = :run AND r.verdict = :verdict"
                .to_string(),
            args,
        );
    }
    let mut sql = String::from("SELECT a.line AS line FROM actions a");
    let by_verdict = filter.run.is_some() && filter.verdict.is_some();
    if by_verdict {
        sql.push_str(" JOIN run_results r ON r.run_id = :run AND r.line = a.line");
    }
    sql.push_str(" WHERE a.set_id = :set");
    args.push((":set", set));
    push_conditions(filter, &mut sql, &mut args);
    if by_verdict {
        if let Some(run) = &filter.run {
            args.push((":run", run));
        }
    }
    (sql, args)
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
