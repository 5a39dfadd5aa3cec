//! Tests of the decision log: rotation and the keep limit, appending to an
//! existing log, masking, flushing from several threads, open errors.

use super::*;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::time::{Duration, Instant};
use writ_core::decision_log::{LoggedRequest, MASKED};
use writ_core::trace::Decision;

fn entry(id: usize) -> DecisionLogEntry {
    DecisionLogEntry {
        seq: None,
        prev: None,
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
        max_bytes,
        keep,
        ..LogConfig::new(path.to_path_buf())
    }
}

/// The length of entry `id`'s line (with its newline) at a two-digit seq.
fn chained_len(id: usize) -> u64 {
    let body = serde_json::to_string(&entry(id)).expect("json");
    crate::log_chain::chain_line(99, GENESIS, &body).len() as u64 + 1
}

/// The decision ids in the log files, oldest file first.
fn ids_in(path: &Path, keep: usize) -> (Vec<String>, Vec<u64>) {
    let files = crate::log_chain::log_files(path).expect("files");
    assert!(files.len() <= keep + 1, "{files:?}");
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
    let line_len = chained_len(1);
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
    let line_len = chained_len(1);
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
    assert_eq!(
        names,
        [
            "d.jsonl",
            "d.jsonl.00000007",
            "d.jsonl.00000008",
            "d.jsonl.00000009"
        ]
    );
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
