//! The decision log writer: one [`DecisionLogEntry`] per line (JSON Lines,
//! format in `docs/decision-log.md`), written by a dedicated thread so the
//! request path never does file I/O.
//!
//! **Group commit.** [`DecisionLog::record`] serialises the entry on the
//! calling thread and queues it; the writer thread takes every queued line
//! at once, gives each its place in the hash chain (`seq`, `prev`: see
//! [`crate::log_chain`]), writes them with one `write` (and, in
//! [`Durability::Sync`], one `fdatasync`), then acknowledges each line's
//! [`Ack`]. The server answers an allow only once its line's write has
//! returned (or, with [`OnFailure::Allow`], regardless).
//!
//! **Faults.** A failed write (disk full, read-only folder, I/O error)
//! truncates the file back to its last full line, so a partial line is
//! never left behind (if even the truncation fails, the next write starts
//! with a newline and the torn line stands alone, outside the chain); the
//! lines of that group are acknowledged as not written. Before each group
//! the writer compares the path's device and inode with the open file's:
//! a deleted or replaced file is reopened (a new file is created), and the
//! chain continues. Every later group retries, so the log recovers by
//! itself once the fault clears; [`DecisionLog::error`] says what is wrong
//! meanwhile.
//!
//! **Rotation.** When the file would grow past `max_bytes` it is renamed
//! `PATH.<n>` with `n` one more than the newest rotated file (eight digits,
//! so names sort in order), and the oldest rotated file beyond `keep` is
//! removed: one rename and at most one removal, whatever `keep` is. A line
//! is never split across files; the chain continues into the new file.
//!
//! The parts, each using only those listed after it: `writer` (the
//! thread), `file` (the file on disk), `mask` (masking context
//! attributes), `stats` ([`LogStats`], [`LogHealth`]), `error`
//! ([`LogError`]), `config` ([`LogConfig`] and the limits); rotated file
//! names are in [`crate::log_files`], the chain in [`crate::log_chain`].

mod config;
mod error;
mod file;
mod mask;
mod stats;
mod writer;

pub use crate::log_files::{rotated_numbers, rotated_path};
pub use config::{Durability, LogConfig, OnFailure, DEFAULT_CAPACITY, MAX_GROUP, RETRY_EVERY};
pub use error::LogError;
pub use stats::{LogHealth, LogStats};

use crate::log_chain::GENESIS;
use file::{last_link, open_append, remove_if_present};
use mask::{mask_context, parse_mask};
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;
use writ_core::decision_log::DecisionLogEntry;
use writer::{Msg, Shared, Writer};

/// A handle for recording decisions; `Clone + Send + Sync`, cheap to clone.
#[derive(Debug, Clone)]
pub struct DecisionLog {
    tx: SyncSender<Msg>,
    mask: Arc<Vec<Vec<String>>>,
    mask_names: Arc<Vec<String>>,
    shared: Arc<Shared>,
    path: Arc<PathBuf>,
    on_failure: OnFailure,
    durability: Durability,
}

/// Whether a recorded line was written: resolved once the write of the
/// group holding it has returned (`true`) or failed (`false`).
#[derive(Debug)]
pub struct Ack(Option<oneshot::Receiver<bool>>);

impl Ack {
    /// Waits for the writer's answer; `false` when the line was not written
    /// (or the writer stopped).
    pub async fn written(self) -> bool {
        match self.0 {
            Some(rx) => rx.await.unwrap_or(false),
            None => false,
        }
    }

    /// [`Self::written`] for a thread outside the async runtime (a
    /// `spawn_blocking` task, a plain thread); must not be called from
    /// inside an async task.
    pub fn written_blocking(self) -> bool {
        match self.0 {
            Some(rx) => rx.blocking_recv().unwrap_or(false),
            None => false,
        }
    }
}

/// The writer thread; [`LogWorker::finish`] waits for it.
#[derive(Debug)]
pub struct LogWorker {
    handle: JoinHandle<LogStats>,
    shared: Arc<Shared>,
    path: PathBuf,
}

impl DecisionLog {
    /// Opens the log for appending (creating it and its folder if needed)
    /// and starts the writer thread with room for [`DEFAULT_CAPACITY`]
    /// waiting decisions. Fails at once, naming the file, when it cannot be
    /// opened for writing, or when a mask entry is malformed.
    pub fn open(cfg: LogConfig) -> Result<(DecisionLog, LogWorker), LogError> {
        Self::open_with_capacity(cfg, DEFAULT_CAPACITY)
    }

    /// [`Self::open`] with a given channel capacity (at least 1).
    pub fn open_with_capacity(
        cfg: LogConfig,
        capacity: usize,
    ) -> Result<(DecisionLog, LogWorker), LogError> {
        let mask = parse_mask(&cfg.mask)?;
        let open_err = |source| LogError::Open {
            path: cfg.path.clone(),
            source,
        };
        let (file, id, size) = open_append(&cfg.path).map_err(open_err)?;
        let mut rotated: VecDeque<u64> = rotated_numbers(&cfg.path).map_err(open_err)?.into();
        // Resume the chain from the newest line on disk.
        let mut last = last_link(&cfg.path).map_err(open_err)?;
        if last.is_none() {
            if let Some(n) = rotated.back() {
                last = last_link(&rotated_path(&cfg.path, *n)).map_err(open_err)?;
            }
        }
        let (seq, prev) = last.unwrap_or((0, GENESIS.to_string()));
        let next_rotated = rotated.back().map_or(1, |n| n + 1);
        while rotated.len() > cfg.keep {
            if let Some(old) = rotated.pop_front() {
                remove_if_present(&rotated_path(&cfg.path, old)).map_err(open_err)?;
            }
        }
        let (tx, rx) = mpsc::sync_channel(capacity.max(1));
        let shared = Arc::new(Shared::default());
        let writer = Writer {
            file: Some(file),
            id,
            size,
            seq,
            prev,
            torn: false,
            rotated,
            next_rotated,
            cfg: cfg.clone(),
            stats: LogStats::default(),
            shared: shared.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("writ-decision-log".into())
            .spawn(move || writer.run(rx))
            .map_err(open_err)?;
        Ok((
            DecisionLog {
                tx,
                mask: Arc::new(mask),
                mask_names: Arc::new(cfg.mask.clone()),
                shared: shared.clone(),
                path: Arc::new(cfg.path.clone()),
                on_failure: cfg.on_failure,
                durability: cfg.durability,
            },
            LogWorker {
                handle,
                shared,
                path: cfg.path,
            },
        ))
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What is answered when a line cannot be written.
    pub fn on_failure(&self) -> OnFailure {
        self.on_failure
    }

    /// Replaces the configured context attributes by
    /// [`MASKED`](writ_core::decision_log::MASKED) and returns
    /// the names of those that were present, in the configured order. A
    /// top-level attribute whose name itself contains dots is masked by
    /// that name; otherwise a dotted name walks into nested records.
    pub fn mask_context(&self, ctx: &mut Map<String, Value>) -> Vec<String> {
        mask_context(&self.mask_names, &self.mask, ctx)
    }

    /// Queues a decision for the log and returns the [`Ack`] that resolves
    /// once the group holding its line is written (or failed). The entry is
    /// serialised on the calling thread; the file is written by the writer
    /// thread. When the channel is full, `record` **blocks** until the
    /// writer has room (back-pressure: decisions are never dropped
    /// silently), and the wait is counted in [`LogStats::waited_full`].
    /// Dropping the [`Ack`] is fine when the answer does not depend on it.
    pub fn record(&self, entry: DecisionLogEntry) -> Ack {
        let line = match serde_json::to_string(&entry) {
            Ok(l) => l,
            Err(e) => {
                self.lost(format!("a decision could not be serialised: {e}"));
                return Ack(None);
            }
        };
        let (ack_tx, ack_rx) = oneshot::channel();
        match self.tx.try_send(Msg::Line(line, Some(ack_tx))) {
            Ok(()) => {}
            Err(TrySendError::Full(msg)) => {
                self.shared.waited_full.fetch_add(1, Ordering::Relaxed);
                if self.tx.send(msg).is_err() {
                    self.lost("the writer thread has stopped".into());
                    return Ack(None);
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                self.lost("the writer thread has stopped".into());
                return Ack(None);
            }
        }
        Ack(Some(ack_rx))
    }

    /// Blocks until every decision recorded before this call has been
    /// written (or failed).
    pub fn flush(&self) {
        let (tx, rx) = mpsc::sync_channel(1);
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.recv();
        }
    }

    /// What is wrong with the log, while it is (`None` once a write
    /// succeeded again).
    pub fn error(&self) -> Option<String> {
        self.shared.error.lock().ok().and_then(|e| e.clone())
    }

    /// How many decisions could not be written.
    pub fn lost_lines(&self) -> u64 {
        self.shared.lost.load(Ordering::Relaxed)
    }

    /// The log's state, for health and metrics.
    pub fn health(&self) -> LogHealth {
        LogHealth {
            ok: !self.shared.failing.load(Ordering::Relaxed),
            error: self.error(),
            lost: self.lost_lines(),
            failures: self.shared.failures.load(Ordering::Relaxed),
            reopened: self.shared.reopened.load(Ordering::Relaxed),
            on_failure: self.on_failure,
            durability: self.durability,
        }
    }

    fn lost(&self, message: String) {
        self.shared.lost.fetch_add(1, Ordering::Relaxed);
        self.shared.failing.store(true, Ordering::Relaxed);
        if let Ok(mut e) = self.shared.error.lock() {
            *e = Some(message);
        }
    }
}

impl LogWorker {
    /// Waits until every [`DecisionLog`] handle is dropped and every line is
    /// written and synced, then returns what was written. Fails when the
    /// log was failing at the end, or lines were lost along the way.
    pub fn finish(self) -> Result<LogStats, LogError> {
        let mut stats = self.handle.join().map_err(|_| LogError::WriterPanicked)?;
        stats.waited_full = self.shared.waited_full.load(Ordering::Relaxed);
        stats.lost = self.shared.lost.load(Ordering::Relaxed);
        if stats.lost > 0 || self.shared.failing.load(Ordering::Relaxed) {
            let what = self
                .shared
                .error
                .lock()
                .ok()
                .and_then(|e| e.clone())
                .unwrap_or_else(|| "writing failed earlier and recovered".into());
            return Err(LogError::Write {
                path: self.path,
                what,
                lost: stats.lost,
            });
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fault_tests;

#[cfg(test)]
mod cost;
