//! The writer thread: takes every queued line at once (group commit),
//! chains them, writes each group with one `write` (and one `fdatasync` in
//! sync mode), rotates the file at its size limit, recovers from write
//! faults and a deleted or replaced file, and acknowledges every line.

use super::config::{Durability, LogConfig, MAX_GROUP, RETRY_EVERY};
use super::file::{file_id, open_append, remove_if_present, FileId};
use super::stats::LogStats;
use crate::log_chain::{chain_line, line_hash};
use crate::log_files::rotated_path;
use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// A message to the writer thread: a line to write (with its ack), or a
/// flush to answer once everything before it is written.
pub(super) enum Msg {
    Line(String, Option<oneshot::Sender<bool>>),
    Flush(SyncSender<()>),
}

/// State shared by the handles and the writer.
#[derive(Debug, Default)]
pub(super) struct Shared {
    pub(super) waited_full: AtomicU64,
    pub(super) lost: AtomicU64,
    pub(super) failures: AtomicU64,
    pub(super) reopened: AtomicU64,
    pub(super) failing: AtomicBool,
    pub(super) error: Mutex<Option<String>>,
}

/// The writer thread's state.
pub(super) struct Writer {
    /// The open file (`None` after a failed reopen).
    pub(super) file: Option<File>,
    /// The open file's device and inode.
    pub(super) id: FileId,
    /// Bytes in the current file.
    pub(super) size: u64,
    /// The newest written line's `seq`.
    pub(super) seq: u64,
    /// The newest written line's hash.
    pub(super) prev: String,
    /// Whether the file may end in a partial line (a failed truncation).
    pub(super) torn: bool,
    /// The rotated files' numbers, oldest first.
    pub(super) rotated: VecDeque<u64>,
    pub(super) next_rotated: u64,
    pub(super) cfg: LogConfig,
    pub(super) stats: LogStats,
    pub(super) shared: Arc<Shared>,
}

type Pending = (String, Option<oneshot::Sender<bool>>);

impl Writer {
    pub(super) fn run(mut self, rx: mpsc::Receiver<Msg>) -> LogStats {
        let mut group: Vec<Pending> = Vec::new();
        let mut flushes: Vec<SyncSender<()>> = Vec::new();
        loop {
            let wait = if self.shared.failing.load(Ordering::Relaxed) {
                RETRY_EVERY
            } else {
                Duration::from_secs(3600)
            };
            let first = match rx.recv_timeout(wait) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    if self.shared.failing.load(Ordering::Relaxed) {
                        // Recreate a deleted file; the next write tells
                        // whether space is back.
                        let _ = self.ensure_open();
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut next = Some(first);
            while let Some(m) = next.take() {
                match m {
                    Msg::Line(l, ack) => group.push((l, ack)),
                    Msg::Flush(done) => flushes.push(done),
                }
                if group.len() < MAX_GROUP {
                    next = rx.try_recv().ok();
                }
            }
            if !group.is_empty() {
                self.write_group(std::mem::take(&mut group));
            }
            for f in flushes.drain(..) {
                let _ = f.send(());
            }
        }
        if let Some(f) = &self.file {
            if let Err(e) = f.sync_all() {
                self.fail("syncing", &e);
            }
        }
        self.stats
    }

    /// Writes a group: its lines are chained, written with one `write` per
    /// file (a group that reaches the rotation size is split there) and
    /// acknowledged. After a failure the rest of the group is not written.
    fn write_group(&mut self, group: Vec<Pending>) {
        let mut failed = false;
        if let Err(e) = self.ensure_open() {
            self.fail("reopening", &e);
            failed = true;
        }
        let mut buf: Vec<u8> = Vec::with_capacity(group.iter().map(|(l, _)| l.len() + 120).sum());
        let mut acks: Vec<Option<oneshot::Sender<bool>>> = Vec::with_capacity(group.len());
        let mut saved = (self.seq, self.prev.clone());
        for (body, ack) in group {
            if failed {
                self.lose(ack);
                continue;
            }
            let line = chain_line(self.seq + 1, &self.prev, &body);
            let len = line.len() as u64 + 1;
            let pending = buf.len() as u64;
            if self.cfg.max_bytes > 0
                && self.size + pending > 0
                && self.size + pending + len > self.cfg.max_bytes
            {
                if let Err((what, e)) = self.commit(&mut buf, &mut acks) {
                    self.fail(what, &e);
                    (self.seq, self.prev) = saved.clone();
                    failed = true;
                    self.lose(ack);
                    continue;
                }
                saved = (self.seq, self.prev.clone());
                if let Err((what, e)) = self.rotate() {
                    self.fail(what, &e);
                    failed = true;
                    self.lose(ack);
                    continue;
                }
                // The line was chained from the state the rotation kept.
            }
            self.seq += 1;
            self.prev = line_hash(&line);
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
            acks.push(ack);
        }
        if !failed {
            if let Err((what, e)) = self.commit(&mut buf, &mut acks) {
                self.fail(what, &e);
                (self.seq, self.prev) = saved;
            }
        }
    }

    /// Writes `buf` with one `write` (and syncs it in sync mode), then
    /// acknowledges `acks`; on failure truncates the file back to its last
    /// full line and acknowledges them as not written.
    fn commit(
        &mut self,
        buf: &mut Vec<u8>,
        acks: &mut Vec<Option<oneshot::Sender<bool>>>,
    ) -> Result<(), (&'static str, std::io::Error)> {
        if buf.is_empty() {
            return Ok(());
        }
        let n = acks.len() as u64;
        let result = self.write_bytes(buf);
        match result {
            Ok(()) => {
                self.stats.lines += n;
                self.stats.bytes += buf.len() as u64;
                self.stats.groups += 1;
                self.recovered();
                for a in acks.drain(..).flatten() {
                    let _ = a.send(true);
                }
                buf.clear();
                Ok(())
            }
            Err(e) => {
                for a in acks.drain(..) {
                    self.lose(a);
                }
                buf.clear();
                Err(e)
            }
        }
    }

    fn write_bytes(&mut self, buf: &[u8]) -> Result<(), (&'static str, std::io::Error)> {
        let no_file = || {
            (
                "writing",
                std::io::Error::new(std::io::ErrorKind::NotFound, "the log file is not open"),
            )
        };
        let file = self.file.as_mut().ok_or_else(no_file)?;
        let sync = self.cfg.durability == Durability::Sync;
        let mut written = if self.torn {
            file.write_all(b"\n").map(|()| 1)
        } else {
            Ok(0)
        };
        if written.is_ok() {
            self.torn = false;
        }
        written = written.and_then(|lead| file.write_all(buf).map(|()| lead + buf.len() as u64));
        let outcome = match written {
            Ok(n) => {
                if sync {
                    file.sync_data().map(|()| n).map_err(|e| ("syncing", e))
                } else {
                    Ok(n)
                }
            }
            Err(e) => Err(("writing", e)),
        };
        match outcome {
            Ok(n) => {
                self.size += n;
                Ok(())
            }
            Err(err) => {
                // Never leave a partial line: cut back to the last full one.
                if file.set_len(self.size).is_err() {
                    self.torn = true;
                    self.size = file.metadata().map_or(self.size, |m| m.len());
                }
                Err(err)
            }
        }
    }

    /// Makes sure the open file is the one at the path: reopens (creating)
    /// it when it was deleted or replaced, or when an earlier open failed.
    fn ensure_open(&mut self) -> std::io::Result<()> {
        if self.file.is_some() {
            match std::fs::metadata(&self.cfg.path) {
                Ok(m) if file_id(&m) == self.id => return Ok(()),
                Ok(_) => {
                    tracing::warn!(path = %self.cfg.path.display(), "the decision log was replaced; writing to a new file");
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tracing::warn!(path = %self.cfg.path.display(), "the decision log was deleted; writing to a new file");
                }
                Err(e) => return Err(e),
            }
            self.stats.reopened += 1;
            self.shared.reopened.fetch_add(1, Ordering::Relaxed);
            self.file = None;
        }
        let (file, id, size) = open_append(&self.cfg.path)?;
        self.file = Some(file);
        self.id = id;
        self.size = size;
        self.torn = false;
        Ok(())
    }

    /// Closes the current file as the next numbered file, removes the
    /// oldest beyond `keep`, and starts a new one.
    fn rotate(&mut self) -> Result<(), (&'static str, std::io::Error)> {
        let r = |e| ("rotating", e);
        if let Some(f) = &self.file {
            f.sync_all().map_err(r)?;
        }
        let n = self.next_rotated;
        std::fs::rename(&self.cfg.path, rotated_path(&self.cfg.path, n)).map_err(r)?;
        self.next_rotated += 1;
        self.rotated.push_back(n);
        self.file = None;
        self.stats.rotations += 1;
        while self.rotated.len() > self.cfg.keep {
            if let Some(old) = self.rotated.pop_front() {
                remove_if_present(&rotated_path(&self.cfg.path, old)).map_err(r)?;
            }
        }
        let (file, id, size) = open_append(&self.cfg.path).map_err(r)?;
        self.file = Some(file);
        self.id = id;
        self.size = size;
        Ok(())
    }

    fn lose(&mut self, ack: Option<oneshot::Sender<bool>>) {
        self.shared.lost.fetch_add(1, Ordering::Relaxed);
        if let Some(a) = ack {
            let _ = a.send(false);
        }
    }

    fn fail(&mut self, what: &str, e: &std::io::Error) {
        self.shared.failures.fetch_add(1, Ordering::Relaxed);
        let was = self.shared.failing.swap(true, Ordering::Relaxed);
        let message = format!("{what} failed: {e}");
        if !was {
            tracing::error!(path = %self.cfg.path.display(), error = %message, "the decision log cannot be written");
        }
        if let Ok(mut slot) = self.shared.error.lock() {
            *slot = Some(message);
        }
    }

    fn recovered(&mut self) {
        if self.shared.failing.swap(false, Ordering::Relaxed) {
            tracing::info!(path = %self.cfg.path.display(), "the decision log is written again");
            if let Ok(mut slot) = self.shared.error.lock() {
                *slot = None;
            }
        }
    }
}
