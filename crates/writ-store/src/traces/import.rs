//! Importing a trace file as a trace set: read in any format through
//! `writ_core::ingest`, mapped to records, stored whole in one transaction
//! with the malformed items located, with progress and cancelling.

use super::sets::TraceSetInfo;
use crate::audit;
use crate::error::{Result, StoreError};
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use writ_base::counting::{CountingReader, ReadWatch};
use writ_core::ingest::{
    read_items, Format, IngestCounts, IngestError, Item, Location, Mapping, Out, PlainMapping,
    ReadOptions, Stop,
};
use writ_core::trace::{LineError, TraceRecord};

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
    /// Recorded tool calls kept with the set so that it can be mapped again
    /// (`writ traces remap`), and the bytes they take in the workspace.
    pub calls_kept: CallsKept,
}

/// The recorded tool calls an import keeps for re-mapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CallsKept {
    /// How many.
    pub calls: u64,
    /// Their size as stored (JSON text, bytes).
    pub bytes: u64,
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
    /// Store the set even when no action could be read from the file
    /// (otherwise such an import is refused with
    /// [`StoreError::NothingToImport`] and stores nothing).
    pub allow_empty: bool,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("format", &self.format)
            .field("read", &self.read)
            .field("mapping", &self.mapping.as_ref().map(|_| "custom"))
            .field("allow_empty", &self.allow_empty)
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

/// The record a mapping makes of a recorded call (keyed `key` in its
/// import) and its JSON text, checked to read back as replay will read it;
/// or where the call was and why it could not be mapped.
pub(super) fn map_call(
    mapping: &dyn Mapping,
    key: u64,
    call: &writ_core::ingest::ToolCall,
) -> std::result::Result<(TraceRecord, String), (Location, String)> {
    let rec = mapping
        .to_record(call)
        .map_err(|m| (call.location.clone(), m))?;
    let (rec, text) = record_text(rec).map_err(|(_, m)| (call.location.clone(), m))?;
    writ_core::trace::parse_record(usize::try_from(key).unwrap_or(usize::MAX), &text).map_err(
        |e| {
            (
                call.location.clone(),
                format!("the mapped record is not valid: {}", e.message),
            )
        },
    )?;
    Ok((rec, text))
}

/// The stored message of a call that could not be mapped.
pub(super) fn unmapped(location: &Location, message: &str) -> String {
    match &location.path {
        Some(p) => format!("{p}: cannot map the tool call: {message}"),
        None => format!("cannot map the tool call: {message}"),
    }
}

/// Bytes an import reads between two byte-driven progress reports and
/// cancel checks (spans that are skipped yield no item, so items alone
/// would not report a long run of them).
const PROGRESS_BYTES: u64 = 1 << 20;

/// What an import's reader reports: progress every [`PROGRESS_BYTES`]
/// consumed, and a failed read once `cancel` is set (the bytes are counted
/// by `writ_base::counting::CountingReader`).
struct ImportWatch<'a> {
    next_tick: u64,
    tick: &'a dyn Fn(u64),
    cancel: &'a AtomicBool,
}

impl ReadWatch for ImportWatch<'_> {
    fn before_read(&mut self) -> std::io::Result<()> {
        if cancelled(self.cancel) {
            Err(std::io::Error::other("the import was cancelled"))
        } else {
            Ok(())
        }
    }

    fn advanced(&mut self, total: u64) {
        if total >= self.next_tick {
            self.next_tick = total + PROGRESS_BYTES;
            (self.tick)(total);
        }
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
        let name = name
            .map(str::to_string)
            .unwrap_or_else(|| super::sets::default_set_name(file));
        // A refused name is refused before the whole file is hashed.
        super::sets::check_set_name(&name)?;
        let total = std::fs::metadata(file).map_err(io)?.len();
        let sha = sha256_file(file, cancel)?;
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
        mut reader: R,
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
        super::sets::check_set_name(name)?;
        stop()?;
        // The first bytes, to say what the file looks like if nothing in
        // it can be read (a failed read is met again by the reader below).
        let head: Vec<u8> = match reader.fill_buf() {
            Ok(b) => b[..b.len().min(writ_core::ingest::looks_like::LOOKS_LIKE_BYTES)].to_vec(),
            Err(_) => Vec::new(),
        };
        // Dropping the transaction without commit rolls everything back,
        // on every early return below.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        super::sets::refuse_existing(&tx, sha, name)?;
        tx.execute(
            "INSERT INTO trace_sets (name, sha256, source, imported_at, actions, bad_lines) VALUES (?1, ?2, ?3, ?4, 0, 0)",
            params![name, sha, source, now_rfc3339()],
        )?;
        let set_id = tx.last_insert_rowid();
        let mut errors: Vec<LineError> = Vec::new();
        let mut count = 0i64;
        let plain = PlainMapping;
        let mapping: &dyn Mapping = opts.mapping.as_deref().unwrap_or(&plain);
        let (stored, bad) = (Cell::new(0u64), Cell::new(0u64));
        let tick = |bytes: u64| {
            progress(ImportProgress {
                bytes,
                total,
                actions: stored.get(),
                bad_lines: bad.get(),
            })
        };
        let counted = CountingReader::with_watch(
            reader,
            ImportWatch {
                next_tick: PROGRESS_BYTES,
                tick: &tick,
                cancel,
            },
        );
        let position = counted.position();
        let mut failure: Option<StoreError> = None;
        let mut mapping_failed = 0u64;
        let mut kept = CallsKept::default();
        let read_result;
        {
            let mut insert = tx.prepare(
                "INSERT INTO actions (set_id, line, ts, agent, action, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut insert_call =
                tx.prepare("INSERT INTO trace_calls (set_id, line, call) VALUES (?1, ?2, ?3)")?;
            let mut insert_error = tx.prepare(
                "INSERT INTO trace_errors (set_id, line, col, message) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut seen = 0u64;
            let mut last_error_line = 0usize;
            let report = |count: i64, bad: usize| {
                progress(ImportProgress {
                    bytes: position.bytes.get(),
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
                            Item::Call(call) => {
                                // Kept as read, whatever the mapping makes
                                // of it, for `remap`.
                                let json = serde_json::to_string(&call).map_err(|source| {
                                    StoreError::Encode {
                                        what: "a recorded tool call",
                                        source,
                                    }
                                })?;
                                insert_call.execute(params![set_id, key, json])?;
                                kept.calls += 1;
                                kept.bytes += json.len() as u64;
                                map_call(mapping, out.key, &call)
                            }
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
                                add_error(&mut errors, line, 1, unmapped(&location, &message))?;
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
            cause => StoreError::Ingest {
                path: file.to_path_buf(),
                cause,
            },
        })?;
        if mapping_failed > 0 {
            counts.actions = counts.actions.saturating_sub(mapping_failed);
            *counts
                .skipped
                .entry("mapping failed".to_string())
                .or_default() += mapping_failed;
        }
        if count == 0 && !opts.allow_empty {
            return Err(StoreError::NothingToImport {
                format,
                read: counts.read,
                malformed: errors.len() as u64,
                skipped: counts.skipped,
                // What the file looks like matters when it could not be
                // read, not when it was read and held no tool call.
                looks_like: if errors.is_empty() && counts.read > 0 {
                    None
                } else {
                    writ_core::ingest::looks_like::looks_like(&head)
                },
                first_problem: errors
                    .first()
                    .map(|e| format!("line {}, column {}: {}", e.line, e.column, e.message)),
            });
        }
        let total_bytes = position.bytes.get();
        let how = serde_json::json!({
            "format": format.name(),
            "profile": opts.mapping.as_ref().map(|m| m.describe()),
            "user_attributes": opts.read.user_attributes,
        });
        tx.execute(
            "UPDATE trace_sets SET actions = ?1, bad_lines = ?2, bytes = ?3, mapping = ?4 WHERE id = ?5",
            params![count, errors.len() as i64, total_bytes as i64, how.to_string(), set_id],
        )?;
        audit::append(
            &tx,
            actor,
            "traces.import",
            &serde_json::json!({"set": set_id, "name": name, "sha256": sha, "actions": count, "bad_lines": errors.len(), "source": source, "format": format.name(), "read": counts.read, "skipped": counts.skipped, "calls_kept": kept.calls, "calls_bytes": kept.bytes}),
        )?;
        stop()?;
        tx.commit()?;
        let set = self.trace_set(&set_id.to_string())?;
        Ok(ImportReport {
            set,
            errors,
            format,
            counts,
            calls_kept: kept,
        })
    }
}
