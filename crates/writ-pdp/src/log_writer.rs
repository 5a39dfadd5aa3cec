//! The decision log writer: one [`DecisionLogEntry`] per line (JSON Lines,
//! format in `docs/decision-log.md`), written by a dedicated thread so the
//! request path never does file I/O.
//!
//! [`DecisionLog::open`] opens (or creates, appending to) the log file and
//! starts the writer thread; [`DecisionLog`] handles are cheap clones fed
//! into a bounded channel; [`LogWorker::finish`] waits until every handle is
//! dropped, then flushes and syncs the file. Lines are buffered and flushed
//! at least every [`FLUSH_EVERY`] and at finish. When the file would grow
//! past `max_bytes` it is renamed `PATH.1` (older files shift to `PATH.2` …
//! `PATH.<keep>`, the oldest is removed) and a new file is started; a line
//! is never split across files.

use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use writ_core::decision_log::{DecisionLogEntry, MASKED};

/// How often buffered lines are flushed to the file at the latest.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// How many decisions may wait for the writer before `record` blocks.
pub const DEFAULT_CAPACITY: usize = 8192;

/// Where and how the decision log is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// The log file; rotated files are `PATH.1` … `PATH.<keep>`.
    pub path: PathBuf,
    /// Rotate when the file would grow past this many bytes (0: never).
    pub max_bytes: u64,
    /// How many rotated files to keep (0: rotated files are removed).
    pub keep: usize,
    /// Context attributes to mask: top-level names (`ssn`) or dotted paths
    /// into nested records (`human_approval.approver`).
    pub mask: Vec<String>,
}

/// Why the decision log cannot be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The log file (or its folder) cannot be opened for appending.
    #[error("cannot open decision log {} for appending: {source} (check that the folder exists or can be created, and is writable)", path.display())]
    Open {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A mask entry is not a name or dotted path.
    #[error("decision log mask `{0}` is not an attribute name or dotted path such as `human_approval.approver`")]
    Mask(String),
    /// Writing, rotating or syncing failed.
    #[error("decision log {}: {what} failed: {source}{}", path.display(), lost_text(*lost))]
    Write {
        /// The file written.
        path: PathBuf,
        /// What was being done (`writing`, `rotating`, `syncing`).
        what: &'static str,
        /// The first I/O error.
        source: std::io::Error,
        /// How many decision lines could not be written.
        lost: u64,
    },
    /// The writer thread stopped unexpectedly.
    #[error("the decision log writer thread stopped unexpectedly")]
    WriterPanicked,
}

fn lost_text(lost: u64) -> String {
    if lost == 0 {
        String::new()
    } else {
        format!(" ({lost} decision lines were not written)")
    }
}

/// What the writer did, returned by [`LogWorker::finish`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Decision lines written.
    pub lines: u64,
    /// Bytes written (lines with their newlines).
    pub bytes: u64,
    /// Files rotated.
    pub rotations: u64,
    /// Calls to [`DecisionLog::record`] that found the channel full and
    /// waited for the writer (back-pressure; nothing was dropped).
    pub waited_full: u64,
}

enum Msg {
    Line(String),
    Flush(SyncSender<()>),
}

/// State shared by the handles and the writer.
#[derive(Debug, Default)]
struct Shared {
    waited_full: AtomicU64,
    lost: AtomicU64,
    error: Mutex<Option<String>>,
}

/// A handle for recording decisions; `Clone + Send + Sync`, cheap to clone.
#[derive(Debug, Clone)]
pub struct DecisionLog {
    tx: SyncSender<Msg>,
    mask: Arc<Vec<Vec<String>>>,
    mask_names: Arc<Vec<String>>,
    shared: Arc<Shared>,
    path: Arc<PathBuf>,
}

/// The writer thread; [`LogWorker::finish`] waits for it.
#[derive(Debug)]
pub struct LogWorker {
    handle: JoinHandle<Result<LogStats, LogError>>,
    shared: Arc<Shared>,
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
        let mut mask = Vec::with_capacity(cfg.mask.len());
        for m in &cfg.mask {
            let path: Vec<String> = m.split('.').map(str::to_string).collect();
            if m.trim().is_empty() || path.iter().any(|s| s.is_empty()) {
                return Err(LogError::Mask(m.clone()));
            }
            mask.push(path);
        }
        let file = open_append(&cfg.path)?;
        let size = file
            .metadata()
            .map_err(|source| LogError::Open {
                path: cfg.path.clone(),
                source,
            })?
            .len();
        let (tx, rx) = mpsc::sync_channel(capacity.max(1));
        let shared = Arc::new(Shared::default());
        let writer = Writer {
            out: BufWriter::with_capacity(64 * 1024, file),
            size,
            cfg: cfg.clone(),
            stats: LogStats::default(),
            shared: shared.clone(),
            failure: None,
        };
        let handle = std::thread::Builder::new()
            .name("writ-decision-log".into())
            .spawn(move || writer.run(rx))
            .map_err(|source| LogError::Open {
                path: cfg.path.clone(),
                source,
            })?;
        Ok((
            DecisionLog {
                tx,
                mask: Arc::new(mask),
                mask_names: Arc::new(cfg.mask.clone()),
                shared: shared.clone(),
                path: Arc::new(cfg.path),
            },
            LogWorker { handle, shared },
        ))
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the configured context attributes by [`MASKED`] and returns
    /// the names of those that were present, in the configured order. A
    /// top-level attribute whose name itself contains dots is masked by
    /// that name; otherwise a dotted name walks into nested records.
    pub fn mask_context(&self, ctx: &mut Map<String, Value>) -> Vec<String> {
        let mut masked = Vec::new();
        for (name, path) in self.mask_names.iter().zip(self.mask.iter()) {
            if let Some(v) = ctx.get_mut(name.as_str()) {
                *v = Value::String(MASKED.to_string());
                masked.push(name.clone());
                continue;
            }
            if mask_path(ctx, path) {
                masked.push(name.clone());
            }
        }
        masked
    }

    /// Queues a decision for the log. The entry is serialised on the
    /// calling thread; the file is written by the writer thread. When the
    /// channel is full, `record` **blocks** until the writer has room
    /// (back-pressure: decisions are never dropped silently), and the wait
    /// is counted in [`LogStats::waited_full`]. If the writer has stopped
    /// (it failed), the decision is counted as lost and [`Self::error`]
    /// says why.
    pub fn record(&self, entry: DecisionLogEntry) {
        let line = match serde_json::to_string(&entry) {
            Ok(l) => l,
            Err(e) => {
                self.fail(format!("a decision could not be serialised: {e}"));
                return;
            }
        };
        match self.tx.try_send(Msg::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(msg)) => {
                self.shared.waited_full.fetch_add(1, Ordering::Relaxed);
                if self.tx.send(msg).is_err() {
                    self.fail("the writer thread has stopped".into());
                }
            }
            Err(TrySendError::Disconnected(_)) => self.fail("the writer thread has stopped".into()),
        }
    }

    /// Blocks until every decision recorded before this call is written and
    /// flushed to the file (not synced).
    pub fn flush(&self) {
        let (tx, rx) = mpsc::sync_channel(1);
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.recv();
        }
    }

    /// The first write error, if the log has failed (decisions recorded
    /// since then are lost; see [`Self::lost`]).
    pub fn error(&self) -> Option<String> {
        self.shared.error.lock().ok().and_then(|e| e.clone())
    }

    /// How many decisions could not be written.
    pub fn lost(&self) -> u64 {
        self.shared.lost.load(Ordering::Relaxed)
    }

    fn fail(&self, message: String) {
        self.shared.lost.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut e) = self.shared.error.lock() {
            e.get_or_insert(message);
        }
    }
}

impl LogWorker {
    /// Waits until every [`DecisionLog`] handle is dropped and every line is
    /// written, flushed and synced, then returns what was written. Fails
    /// with the first write error when any decision could not be written.
    pub fn finish(self) -> Result<LogStats, LogError> {
        let mut stats = self.handle.join().map_err(|_| LogError::WriterPanicked)??;
        stats.waited_full = self.shared.waited_full.load(Ordering::Relaxed);
        Ok(stats)
    }
}

/// Opens `path` for appending, creating it (and its folder) if needed, and
/// makes sure a partial last line from an earlier crash is terminated.
fn open_append(path: &Path) -> Result<File, LogError> {
    let err = |source| LogError::Open {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(err)?;
    let len = file.metadata().map_err(err)?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1)).map_err(err)?;
        file.read_exact(&mut last).map_err(err)?;
        if last[0] != b'\n' {
            file.write_all(b"\n").map_err(err)?;
        }
    }
    Ok(file)
}

/// The writer thread's state.
struct Writer {
    out: BufWriter<File>,
    /// Bytes in the current file, buffered ones included.
    size: u64,
    cfg: LogConfig,
    stats: LogStats,
    shared: Arc<Shared>,
    /// The first failure; once set, lines are counted as lost.
    failure: Option<LogError>,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Msg>) -> Result<LogStats, LogError> {
        let mut dirty = false;
        let mut last_flush = Instant::now();
        loop {
            let wait = if dirty {
                FLUSH_EVERY.saturating_sub(last_flush.elapsed())
            } else {
                Duration::from_secs(3600)
            };
            match rx.recv_timeout(wait) {
                Ok(Msg::Line(line)) => {
                    self.write_line(&line);
                    dirty = true;
                }
                Ok(Msg::Flush(done)) => {
                    self.flush();
                    dirty = false;
                    last_flush = Instant::now();
                    let _ = done.send(());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if dirty && last_flush.elapsed() >= FLUSH_EVERY {
                self.flush();
                dirty = false;
                last_flush = Instant::now();
            }
        }
        self.flush();
        if self.failure.is_none() {
            if let Err(source) = self.out.get_ref().sync_all() {
                self.set_failure("syncing", source);
            }
        }
        match self.failure.take() {
            Some(LogError::Write {
                path, what, source, ..
            }) => Err(LogError::Write {
                path,
                what,
                source,
                lost: self.shared.lost.load(Ordering::Relaxed),
            }),
            Some(other) => Err(other),
            None => Ok(self.stats),
        }
    }

    fn write_line(&mut self, line: &str) {
        if self.failure.is_some() {
            self.shared.lost.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let len = line.len() as u64 + 1;
        if self.cfg.max_bytes > 0 && self.size > 0 && self.size + len > self.cfg.max_bytes {
            if let Err(source) = self.rotate() {
                self.set_failure("rotating", source);
                self.shared.lost.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let written = self
            .out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"));
        match written {
            Ok(()) => {
                self.size += len;
                self.stats.lines += 1;
                self.stats.bytes += len;
            }
            Err(source) => {
                self.set_failure("writing", source);
                self.shared.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn flush(&mut self) {
        if self.failure.is_some() {
            return;
        }
        if let Err(source) = self.out.flush() {
            self.set_failure("writing", source);
        }
    }

    /// Closes the current file as `PATH.1`, shifting older ones, and
    /// starts a new one.
    fn rotate(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        let path = &self.cfg.path;
        let numbered = |i: usize| {
            let mut s = path.as_os_str().to_owned();
            s.push(format!(".{i}"));
            PathBuf::from(s)
        };
        if self.cfg.keep == 0 {
            std::fs::remove_file(path)?;
        } else {
            remove_if_present(&numbered(self.cfg.keep))?;
            for i in (1..self.cfg.keep).rev() {
                let from = numbered(i);
                if from.exists() {
                    std::fs::rename(&from, numbered(i + 1))?;
                }
            }
            std::fs::rename(path, numbered(1))?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        self.out = BufWriter::with_capacity(64 * 1024, file);
        self.size = 0;
        self.stats.rotations += 1;
        Ok(())
    }

    fn set_failure(&mut self, what: &'static str, source: std::io::Error) {
        if let Ok(mut e) = self.shared.error.lock() {
            e.get_or_insert_with(|| format!("{what} failed: {source}"));
        }
        if self.failure.is_none() {
            self.failure = Some(LogError::Write {
                path: self.cfg.path.clone(),
                what,
                source,
                lost: 0,
            });
        }
    }
}

/// Masks the attribute at `path` (names of nested records); whether it
/// was present.
fn mask_path(map: &mut Map<String, Value>, path: &[String]) -> bool {
    match path {
        [] => false,
        [last] => match map.get_mut(last.as_str()) {
            Some(v) => {
                *v = Value::String(MASKED.to_string());
                true
            }
            None => false,
        },
        [first, rest @ ..] => match map.get_mut(first.as_str()) {
            Some(Value::Object(inner)) => mask_path(inner, rest),
            _ => false,
        },
    }
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use writ_core::decision_log::LoggedRequest;
    use writ_core::trace::Decision;

    fn entry(id: usize) -> DecisionLogEntry {
        DecisionLogEntry {
            decision_id: format!("{id:08x}"),
            time: "2026-11-30T10:00:00Z".into(),
            request_time: "2026-11-30T10:00:00Z".into(),
            bundle: None,
            agent: "Agent::\"support-bot\"".into(),
            principal: Some("Agent::\"support-bot\"".into()),
            request: LoggedRequest {
                principal: "Agent::\"support-bot\"".into(),
                action: "Action::\"read_ticket\"".into(),
                resource: format!("Ticket::\"T-{id:04}\""),
                context: Map::new(),
                on_behalf_of: None,
            },
            decision: if id.is_multiple_of(3) {
                Decision::Deny
            } else {
                Decision::Allow
            },
            reasons: vec![],
            errors: vec![],
            denied_before_policies: None,
            masked: vec![],
            latency_us: 42,
        }
    }

    fn cfg(path: &Path, max_bytes: u64, keep: usize) -> LogConfig {
        LogConfig {
            path: path.to_path_buf(),
            max_bytes,
            keep,
            mask: vec![],
        }
    }

    /// The decision ids in the log files, oldest file first.
    fn ids_in(path: &Path, keep: usize) -> (Vec<String>, Vec<u64>) {
        let mut files: Vec<PathBuf> = (1..=keep)
            .rev()
            .map(|i| PathBuf::from(format!("{}.{i}", path.display())))
            .filter(|p| p.exists())
            .collect();
        files.push(path.to_path_buf());
        let mut ids = Vec::new();
        let mut sizes = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read log");
            sizes.push(text.len() as u64);
            for (n, line) in text.lines().enumerate() {
                let e = writ_core::decision_log::parse_entry(n + 1, line)
                    .unwrap_or_else(|e| panic!("{}:{}: {}", f.display(), e.line, e.message));
                ids.push(e.decision_id);
            }
        }
        (ids, sizes)
    }

    #[test]
    fn rotation_keeps_every_line_once_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("decisions.jsonl");
        let line_len = serde_json::to_string(&entry(1)).expect("json").len() as u64 + 1;
        let max = line_len * 5 + 10;
        let (log, worker) = DecisionLog::open(cfg(&path, max, 100)).expect("open");
        for i in 0..53 {
            log.record(entry(i));
        }
        drop(log);
        let stats = worker.finish().expect("finish");
        assert_eq!(stats.lines, 53);
        let (ids, sizes) = ids_in(&path, 100);
        let want: Vec<String> = (0..53).map(|i| format!("{i:08x}")).collect();
        assert_eq!(ids, want);
        assert!(sizes.iter().all(|s| *s <= max), "{sizes:?} > {max}");
        assert_eq!(stats.rotations as usize, sizes.len() - 1);
        assert!(stats.rotations >= 10, "{stats:?}");
        for f in std::fs::read_dir(dir.path()).expect("dir") {
            let text = std::fs::read_to_string(f.expect("entry").path()).expect("read");
            assert!(text.is_empty() || text.ends_with('\n'));
        }
    }

    #[test]
    fn the_keep_limit_removes_the_oldest_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.jsonl");
        let line_len = serde_json::to_string(&entry(1)).expect("json").len() as u64 + 1;
        let (log, worker) = DecisionLog::open(cfg(&path, line_len * 2, 3)).expect("open");
        for i in 0..20 {
            log.record(entry(i));
        }
        drop(log);
        let stats = worker.finish().expect("finish");
        assert_eq!(stats.rotations, 9);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["d.jsonl", "d.jsonl.1", "d.jsonl.2", "d.jsonl.3"]);
        let (ids, _) = ids_in(&path, 3);
        let want: Vec<String> = (12..20).map(|i| format!("{i:08x}")).collect();
        assert_eq!(ids, want, "the newest 4 files hold the last 8 lines");
    }

    #[test]
    fn an_existing_log_is_appended_to_and_a_torn_line_is_ended() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("logs/d.jsonl");
        let (log, worker) = DecisionLog::open(cfg(&path, 0, 1)).expect("open");
        log.record(entry(1));
        drop(log);
        worker.finish().expect("finish");
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"decision_id\":\"torn").expect("write");
        drop(f);
        let (log, worker) = DecisionLog::open(cfg(&path, 0, 1)).expect("reopen");
        log.record(entry(2));
        drop(log);
        worker.finish().expect("finish");
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].contains("\"00000001\""));
        assert_eq!(lines[1], "{\"decision_id\":\"torn");
        assert!(lines[2].contains("\"00000002\""));
    }

    #[test]
    fn masking_replaces_top_level_and_nested_attributes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = cfg(&dir.path().join("d.jsonl"), 0, 1);
        c.mask = vec![
            "customer_email".into(),
            "human_approval.approver".into(),
            "absent".into(),
            "a.b.c".into(),
            "dotted.name".into(),
            "intent.x".into(),
        ];
        let (log, worker) = DecisionLog::open(c).expect("open");
        let mut ctx: Map<String, Value> = serde_json::from_str(
            r#"{"customer_email":"a@b.example","intent":"triage",
                "human_approval":{"approver":"carol","ticket":"CHG-1"},
                "a":{"b":{"c":1,"d":2}},"dotted.name":"secret"}"#,
        )
        .expect("json");
        let masked = log.mask_context(&mut ctx);
        assert_eq!(
            masked,
            [
                "customer_email",
                "human_approval.approver",
                "a.b.c",
                "dotted.name"
            ]
        );
        assert_eq!(ctx["customer_email"], MASKED);
        assert_eq!(ctx["human_approval"]["approver"], MASKED);
        assert_eq!(ctx["human_approval"]["ticket"], "CHG-1");
        assert_eq!(ctx["a"]["b"]["c"], MASKED);
        assert_eq!(ctx["a"]["b"]["d"], 2);
        assert_eq!(ctx["dotted.name"], MASKED);
        assert_eq!(ctx["intent"], "triage");
        drop(log);
        worker.finish().expect("finish");
    }

    #[test]
    fn handles_are_shareable_across_threads() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<DecisionLog>();
        fn sendable<T: Send + 'static>() {}
        sendable::<LogWorker>();
    }

    #[test]
    fn a_bad_mask_entry_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = cfg(&dir.path().join("d.jsonl"), 0, 1);
        c.mask = vec!["a..b".into()];
        let err = DecisionLog::open(c).expect_err("bad mask");
        assert!(err.to_string().contains("`a..b`"), "{err}");
    }

    #[test]
    fn finish_flushes_everything_from_several_threads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.jsonl");
        // A tiny channel so writers hit back-pressure.
        let (log, worker) = DecisionLog::open_with_capacity(cfg(&path, 0, 1), 2).expect("open");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        log.record(entry(t * 1000 + i));
                    }
                })
            })
            .collect();
        drop(log);
        for t in threads {
            t.join().expect("thread");
        }
        let stats = worker.finish().expect("finish");
        assert_eq!(stats.lines, 2000);
        let (ids, _) = ids_in(&path, 1);
        assert_eq!(ids.len(), 2000);
        for t in 0..4usize {
            let mine: Vec<&String> = ids
                .iter()
                .filter(|id| usize::from_str_radix(id, 16).expect("hex") / 1000 == t)
                .collect();
            let want: Vec<String> = (0..500).map(|i| format!("{:08x}", t * 1000 + i)).collect();
            assert_eq!(mine, want.iter().collect::<Vec<_>>(), "thread {t} in order");
        }
    }

    #[test]
    fn lines_reach_the_file_without_finish() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.jsonl");
        let (log, worker) = DecisionLog::open(cfg(&path, 0, 1)).expect("open");
        log.record(entry(7));
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::read_to_string(&path).expect("read").is_empty() {
            assert!(Instant::now() < deadline, "not flushed within 5 s");
            std::thread::sleep(Duration::from_millis(10));
        }
        log.record(entry(8));
        log.flush();
        assert_eq!(
            std::fs::read_to_string(&path)
                .expect("read")
                .lines()
                .count(),
            2
        );
        drop(log);
        worker.finish().expect("finish");
    }

    #[test]
    fn an_unwritable_path_is_a_clear_error_at_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("not-a-dir");
        std::fs::write(&blocker, "x").expect("write");
        let path = blocker.join("d.jsonl");
        let err = DecisionLog::open(cfg(&path, 0, 1)).expect_err("unwritable");
        let text = err.to_string();
        assert!(text.contains("cannot open decision log"), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        let as_dir = DecisionLog::open(cfg(dir.path(), 0, 1)).expect_err("a folder");
        assert!(matches!(as_dir, LogError::Open { .. }), "{as_dir}");
    }
}
