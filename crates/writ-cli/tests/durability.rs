//! Durability of the workspace under the `writ` binary:
//! (a) SIGKILL at deterministic pseudo-random moments during a big
//!     `traces import` and a stored `replay --version` leaves a workspace
//!     that opens, passes SQLite's integrity check, holds no partial trace
//!     set or run, has an intact audit trail, and takes new work;
//! (b) several processes writing at once all succeed (none fails with
//!     "database is locked") and every change is in the audit trail.
//!
//! The tests here run one at a time (they time processes and kill them).

use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::common::{copy_dir, ok, root, s};

/// Lines of the big generated trace: about 1.3 s to import in a debug build.
const BIG_LINES: i64 = 30_000;
/// Lines of the trace set the stored replay decides: about 1.7 s in a debug build.
const REPLAY_LINES: i64 = 16_000;
/// Kills per operation.
const KILLS: usize = 12;
/// The longest any single `writ` process may take here.
const PROCESS_LIMIT: Duration = Duration::from_secs(90);

const V1: &str = "sample-policies/v1";
const V2: &str = "sample-policies/v2";
const RECORDED: &str = "scenarios/traces/recorded.jsonl";
const RECORDED_LINES: i64 = 2400;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn command(ws: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_writ"));
    c.arg("--workspace")
        .arg(ws)
        .arg("--as")
        .arg("durability")
        .args(args)
        .current_dir(root())
        .env_remove("WRIT_WORKSPACE");
    c
}

fn writ(ws: &Path, args: &[&str]) -> Output {
    command(ws, args).output().expect("writ runs")
}

/// A `writ` process whose output goes to files (no pipe can fill up); it
/// is killed and reaped when dropped, whatever happened.
struct Proc {
    child: Child,
    out: PathBuf,
    err: PathBuf,
    what: String,
}

impl Proc {
    fn spawn(ws: &Path, logs: &Path, tag: &str, args: &[&str]) -> Proc {
        let out = logs.join(format!("{tag}.out"));
        let err = logs.join(format!("{tag}.err"));
        let child = command(ws, args)
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("stdout file"))
            .stderr(File::create(&err).expect("stderr file"))
            .spawn()
            .expect("spawn writ");
        Proc {
            child,
            out,
            err,
            what: format!("writ {}", args.join(" ")),
        }
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Waits (bounded) for the process to end; returns its status, stdout
    /// and stderr.
    fn finish(&mut self) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + PROCESS_LIMIT;
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                break st;
            }
            assert!(
                Instant::now() < deadline,
                "`{}` did not end within {PROCESS_LIMIT:?}",
                self.what
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (status, read(&self.out), read(&self.err))
    }

    fn finish_ok(&mut self) -> String {
        let (status, out, err) = self.finish();
        assert!(
            status.success(),
            "`{}` failed ({status}):\n{out}\n{err}",
            self.what
        );
        assert!(!err.contains("locked"), "`{}`: {err}", self.what);
        out
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `count` generated trace lines to `path`.
fn generate(path: &Path, seed: u64, count: i64) {
    let model = writ_tracegen::load_model(&root().join("scenarios/traces/traffic-model.toml"))
        .expect("traffic model");
    let mut out = std::io::BufWriter::new(File::create(path).expect("create trace"));
    writ_tracegen::write_trace(
        &model,
        seed,
        writ_tracegen::Variant::Realistic,
        count as usize,
        &mut out,
    )
    .expect("generate trace");
    drop(out);
    let text = std::fs::read_to_string(path).expect("read trace");
    assert_eq!(text.lines().count() as i64, count, "{}", path.display());
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Copies a closed workspace (no -wal beside it) to `to`.
fn copy_workspace(from: &Path, to: &Path) {
    assert!(!sidecar(from, "-wal").exists(), "the template is closed");
    std::fs::copy(from, to).expect("copy workspace");
}

fn remove_workspace(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(sidecar(path, suffix));
    }
}

/// Whether some connection holds the workspace's write lock (a write
/// transaction is open): a `BEGIN IMMEDIATE` that may not wait is refused.
fn writer_active(ws: &Path) -> bool {
    let conn = Connection::open_with_flags(
        ws,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("probe connection");
    conn.busy_timeout(Duration::ZERO).expect("busy timeout");
    match conn.execute_batch("BEGIN IMMEDIATE") {
        Ok(()) => {
            conn.execute_batch("ROLLBACK").expect("rollback");
            false
        }
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => true,
        Err(e) => panic!("probe: {e}"),
    }
}

/// What a consistent workspace holds.
#[derive(Debug, Default)]
struct Contents {
    /// Trace set name -> actions.
    sets: BTreeMap<String, i64>,
    /// Run id -> (set name, results).
    runs: BTreeMap<i64, (String, i64)>,
    versions: i64,
    events: i64,
}

/// Opens the workspace through the CLI and through SQLite and checks it:
/// integrity, no partial trace set or run, every change audited, the audit
/// chain intact. `lines` gives each set's expected action count by name.
fn check_workspace(ws: &Path, lines: &BTreeMap<&str, i64>) -> Contents {
    // Through the CLI first: the first opener after a kill recovers the WAL.
    let verify = ok(writ(ws, &["audit", "verify"]));
    let events: i64 = verify
        .trim()
        .strip_prefix("audit trail intact: ")
        .and_then(|r| r.strip_suffix(" event(s)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{verify}"));
    let listed_sets = ok(writ(ws, &["traces", "list"]));
    let listed_runs = ok(writ(ws, &["runs", "list"]));

    let conn = Connection::open(ws).expect("open with rusqlite");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    let mut c = Contents {
        events,
        ..Contents::default()
    };
    let count =
        |sql: &str, arg: i64| -> i64 { conn.query_row(sql, [arg], |r| r.get(0)).expect(sql) };
    let mut set_names = BTreeMap::new();
    {
        let mut stmt = conn
            .prepare("SELECT id, name, actions, bad_lines FROM trace_sets ORDER BY id")
            .expect("prepare");
        let sets: Vec<(i64, String, i64, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        for (id, name, actions, bad) in sets {
            let stored = count("SELECT COUNT(*) FROM actions WHERE set_id = ?1", id);
            let expected = *lines
                .get(name.as_str())
                .unwrap_or_else(|| panic!("an unexpected set `{name}`"));
            assert_eq!(stored, actions, "set `{name}`: stored actions == its count");
            assert_eq!(actions, expected, "set `{name}`: every line of the file");
            assert_eq!(bad, 0, "set `{name}`");
            assert!(listed_sets.contains(&name), "{listed_sets}");
            set_names.insert(id, name.clone());
            c.sets.insert(name, actions);
        }
    }
    assert_eq!(listed_sets.lines().count(), c.sets.len(), "{listed_sets}");
    {
        let mut stmt = conn
            .prepare("SELECT id, set_id, summary FROM runs ORDER BY id")
            .expect("prepare");
        let runs: Vec<(i64, i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        for (id, set, summary) in runs {
            let name = set_names.get(&set).expect("the run's set exists").clone();
            let results = count("SELECT COUNT(*) FROM run_results WHERE run_id = ?1", id);
            assert_eq!(results, c.sets[&name], "run {id}: one result per action");
            let summary: serde_json::Value = serde_json::from_str(&summary).expect("summary");
            assert_eq!(summary["actions"], results, "run {id}: its summary");
            c.runs.insert(id, (name, results));
        }
    }
    assert_eq!(listed_runs.lines().count(), c.runs.len(), "{listed_runs}");
    c.versions = conn
        .query_row("SELECT COUNT(*) FROM versions", [], |r| r.get(0))
        .expect("count versions");
    // Every change has its audit event, and no event lacks its change.
    let kinds = |kind: &str| -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM audit_events WHERE kind = ?1",
            [kind],
            |r| r.get(0),
        )
        .expect("count events")
    };
    assert_eq!(kinds("version.commit"), c.versions);
    assert_eq!(kinds("traces.import"), c.sets.len() as i64);
    assert_eq!(kinds("run.store"), c.runs.len() as i64);
    assert_eq!(
        events,
        c.versions + c.sets.len() as i64 + c.runs.len() as i64
    );
    c
}

/// A deterministic pseudo-random sequence (SplitMix64).
struct Mix(u64);

impl Mix {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` kill moments spread over 2%..115% of `duration`: one at a
/// pseudo-random point of each of `n` equal slices, in shuffled order.
fn kill_moments(n: usize, duration: Duration, seed: u64) -> Vec<Duration> {
    let mut mix = Mix(seed);
    let (lo, hi) = (0.02, 1.15);
    let mut at: Vec<Duration> = (0..n)
        .map(|i| {
            let f = lo + (hi - lo) * (i as f64 + mix.unit()) / n as f64;
            duration.mul_f64(f)
        })
        .collect();
    for i in (1..at.len()).rev() {
        let j = (mix.unit() * (i + 1) as f64) as usize;
        at.swap(i, j.min(i));
    }
    at
}

/// How long `writ args` takes on a fresh copy of `template` (checked by
/// `check` afterwards): the shorter of two runs, so that a moment of load on
/// the machine does not stretch the scale.
fn timed(template: &Path, dir: &Path, args: &[&str], check: impl Fn(&Path)) -> Duration {
    (0..2)
        .map(|i| {
            let ws = dir.join(format!("measure-{i}.writ"));
            copy_workspace(template, &ws);
            let start = Instant::now();
            let out = writ(&ws, args);
            let took = start.elapsed();
            ok(out);
            check(&ws);
            remove_workspace(&ws);
            took
        })
        .min()
        .expect("two runs")
}

/// Where a kill landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Landed {
    /// Before the write transaction began (start-up, hashing, checking).
    BeforeTransaction,
    /// While the write transaction was open: nothing may be kept.
    MidTransaction,
    /// After the commit, before the process ended.
    AfterCommit,
    /// The process had ended already.
    AfterExit,
}

/// Runs `args`, SIGKILLs it `after` its start, and says where the kill
/// landed given whether the work it does is in the workspace afterwards
/// (`landed(ws)`), checked after the kill.
fn kill_during(
    ws: &Path,
    logs: &Path,
    tag: &str,
    args: &[&str],
    after: Duration,
    stored: impl Fn(&Path) -> bool,
) -> Landed {
    let start = Instant::now();
    let mut p = Proc::spawn(ws, logs, tag, args);
    // The delay chooses the moment of the kill; it synchronises nothing.
    if let Some(rest) = after.checked_sub(start.elapsed()) {
        std::thread::sleep(rest);
    }
    let landed = if p.running() {
        let writing = writer_active(ws);
        p.child.kill().expect("SIGKILL");
        let status = p.child.wait().expect("wait");
        match (writing, status.code()) {
            // It ended on its own just before the kill.
            (_, Some(code)) => {
                assert_eq!(code, 0, "`{}` failed on its own", p.what);
                Landed::AfterExit
            }
            (true, None) if !stored(ws) => Landed::MidTransaction,
            (false, None) if !stored(ws) => Landed::BeforeTransaction,
            (_, None) => Landed::AfterCommit,
        }
    } else {
        p.finish_ok();
        Landed::AfterExit
    };
    if matches!(landed, Landed::AfterCommit | Landed::AfterExit) {
        assert!(stored(ws), "`{}` ended but its work is missing", p.what);
    }
    landed
}

fn set_stored(name: &'static str) -> impl Fn(&Path) -> bool {
    move |ws: &Path| {
        let conn = Connection::open(ws).expect("open");
        conn.query_row(
            "SELECT COUNT(*) FROM trace_sets WHERE name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .expect("count sets")
            > 0
    }
}

fn runs_of_set(ws: &Path, set: &str) -> i64 {
    let conn = Connection::open(ws).expect("open");
    conn.query_row(
        "SELECT COUNT(*) FROM runs JOIN trace_sets s ON s.id = runs.set_id WHERE s.name = ?1",
        [set],
        |r| r.get(0),
    )
    .expect("count runs")
}

fn tally(what: &str, landed: &[(Duration, Landed)], duration: Duration) -> BTreeMap<Landed, usize> {
    let mut t = BTreeMap::new();
    for (_, l) in landed {
        *t.entry(*l).or_insert(0) += 1;
    }
    eprintln!(
        "{what}: uninterrupted {:.2} s; kills {:?}",
        duration.as_secs_f64(),
        t
    );
    for (at, l) in landed {
        eprintln!("  kill at {:>6.3} s -> {l:?}", at.as_secs_f64());
    }
    t
}

#[test]
fn sigkill_during_traces_import_leaves_no_partial_set() {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.jsonl");
    generate(&big, 7, BIG_LINES);
    let recorded = root().join(RECORDED);
    let lines = BTreeMap::from([("big", BIG_LINES), ("small", RECORDED_LINES)]);
    let template = dir.path().join("template.writ");
    ok(writ(&template, &["init"]));

    // Uninterrupted imports, timed.
    let import_big = ["traces", "import", s(&big), "--name", "big"];
    let duration = timed(&template, dir.path(), &import_big, |ws| {
        let c = check_workspace(ws, &lines);
        assert_eq!(c.sets.get("big"), Some(&BIG_LINES));
    });

    let mut landed = Vec::new();
    for (i, at) in kill_moments(KILLS, duration, 0x1a2b_3c4d)
        .into_iter()
        .enumerate()
    {
        let ws = dir.path().join(format!("kill-{i}.writ"));
        copy_workspace(&template, &ws);
        let l = kill_during(
            &ws,
            dir.path(),
            &format!("import-{i}"),
            &import_big,
            at,
            set_stored("big"),
        );
        landed.push((at, l));
        let c = check_workspace(&ws, &lines);
        assert_eq!(c.sets.len(), usize::from(set_stored("big")(&ws)));
        // New work succeeds: the interrupted import again, or another one.
        if c.sets.is_empty() {
            ok(writ(&ws, &import_big));
        } else {
            ok(writ(
                &ws,
                &["traces", "import", s(&recorded), "--name", "small"],
            ));
        }
        let c = check_workspace(&ws, &lines);
        assert!(c.sets.contains_key("big"), "{c:?}");
        remove_workspace(&ws);
    }
    let t = tally("traces import", &landed, duration);
    let mid = t.get(&Landed::MidTransaction).copied().unwrap_or(0);
    assert!(
        mid >= KILLS / 4,
        "too few kills inside the transaction: {t:?}"
    );
}

#[test]
fn sigkill_during_stored_replay_leaves_no_partial_run() {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.jsonl");
    generate(&big, 7, REPLAY_LINES);
    let lines = BTreeMap::from([("big", REPLAY_LINES), ("small", RECORDED_LINES)]);
    let template = dir.path().join("template.writ");
    ok(writ(&template, &["init"]));
    let out = ok(writ(&template, &["version", "commit", V1, "-m", "v1"]));
    let version = out
        .trim()
        .strip_prefix("committed version ")
        .expect("committed")
        .to_string();
    ok(writ(
        &template,
        &["traces", "import", s(&big), "--name", "big"],
    ));
    let recorded = root().join(RECORDED);
    ok(writ(
        &template,
        &["traces", "import", s(&recorded), "--name", "small"],
    ));
    let replay_big = ["replay", "--version", &version, "--traces", "big"];

    let duration = timed(&template, dir.path(), &replay_big, |ws| {
        assert_eq!(check_workspace(ws, &lines).runs.len(), 1);
    });

    let mut landed = Vec::new();
    for (i, at) in kill_moments(KILLS, duration, 0x5eed_0002)
        .into_iter()
        .enumerate()
    {
        let ws = dir.path().join(format!("kill-{i}.writ"));
        copy_workspace(&template, &ws);
        let l = kill_during(
            &ws,
            dir.path(),
            &format!("replay-{i}"),
            &replay_big,
            at,
            |ws| runs_of_set(ws, "big") > 0,
        );
        landed.push((at, l));
        let c = check_workspace(&ws, &lines);
        assert!(c.runs.len() <= 1, "{c:?}");
        // A new run succeeds and is whole.
        let out = ok(writ(
            &ws,
            &["replay", "--version", &version[..12], "--traces", "small"],
        ));
        assert!(out.contains("Summary: 2400 action(s)"), "{out}");
        let after = check_workspace(&ws, &lines);
        assert_eq!(after.runs.len(), c.runs.len() + 1);
        remove_workspace(&ws);
    }
    let t = tally("replay --version (stored run)", &landed, duration);
    let mid = t.get(&Landed::MidTransaction).copied().unwrap_or(0);
    assert!(
        mid >= KILLS / 4,
        "too few kills inside the transaction: {t:?}"
    );
}

/// Polls (bounded) until `p` holds the workspace's write lock; fails if it
/// ends first.
fn wait_for_writer(ws: &Path, p: &mut Proc) {
    let deadline = Instant::now() + PROCESS_LIMIT;
    loop {
        assert!(p.running(), "`{}` ended before it was seen writing", p.what);
        if writer_active(ws) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "`{}` never began writing",
            p.what
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn concurrent_writers_all_succeed_and_are_all_audited() {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path();
    let big = dir.path().join("big.jsonl");
    generate(&big, 7, BIG_LINES);
    let other = dir.path().join("other.jsonl");
    generate(&other, 11, 3000);
    let third = dir.path().join("third.jsonl");
    generate(&third, 13, 1500);
    let recorded = root().join(RECORDED);
    let lines = BTreeMap::from([
        ("big", BIG_LINES),
        ("other", 3000),
        ("third", 1500),
        ("small", RECORDED_LINES),
    ]);
    let ws = dir.path().join("shared.writ");
    ok(writ(&ws, &["init"]));
    let out = ok(writ(&ws, &["version", "commit", V1, "-m", "v1"]));
    let v1 = out
        .trim()
        .strip_prefix("committed version ")
        .expect("id")
        .to_string();
    ok(writ(
        &ws,
        &["traces", "import", s(&recorded), "--name", "small"],
    ));

    // Round 1: a big import holds the write lock while three other
    // processes commit, import and store a run.
    let mut import = Proc::spawn(
        &ws,
        logs,
        "big",
        &["traces", "import", s(&big), "--name", "big"],
    );
    wait_for_writer(&ws, &mut import);
    let mut others = [
        Proc::spawn(&ws, logs, "commit", &["version", "commit", V2, "-m", "v2"]),
        Proc::spawn(
            &ws,
            logs,
            "other",
            &["traces", "import", s(&other), "--name", "other"],
        ),
        Proc::spawn(
            &ws,
            logs,
            "run",
            &["replay", "--version", &v1[..12], "--traces", "small"],
        ),
    ];
    let started_while_writing = import.running();
    import.finish_ok();
    let outs: Vec<String> = others.iter_mut().map(Proc::finish_ok).collect();
    let v2 = outs[0]
        .trim()
        .strip_prefix("committed version ")
        .unwrap_or_else(|| panic!("{}", outs[0]))
        .to_string();
    assert!(outs[1].contains("3000 action(s)"), "{}", outs[1]);
    assert!(outs[2].contains("stored run 1"), "{}", outs[2]);
    let c = check_workspace(&ws, &lines);
    assert_eq!(c.events, 6, "{c:?}");
    assert_eq!(c.versions, 2);
    assert_eq!(c.sets.len(), 3);
    assert_eq!(c.runs.len(), 1);
    // The others waited for the import, which held the lock when they began.
    let events = ok(writ(&ws, &["audit", "list"]));
    let third_event = events.lines().nth(2).expect("event 3");
    assert!(
        third_event.contains("traces.import") && third_event.contains("\"name\":\"big\""),
        "{events}"
    );

    // Round 2: a long stored run holds the lock; readers are not held up,
    // and an import and a commit wait their turn.
    let mut run = Proc::spawn(
        &ws,
        logs,
        "run-big",
        &["replay", "--version", &v2[..12], "--traces", "big"],
    );
    wait_for_writer(&ws, &mut run);
    let read_start = Instant::now();
    let listed = ok(writ(&ws, &["traces", "list"]));
    assert_eq!(listed.lines().count(), 3, "{listed}");
    ok(writ(&ws, &["runs", "list"]));
    ok(writ(&ws, &["audit", "verify"]));
    let read_time = read_start.elapsed();
    let readers_overlapped = run.running();
    let draft = dir.path().join("draft");
    copy_dir(&root().join(V1), &draft);
    let policy = draft.join("policies/data.cedar");
    let mut text = std::fs::read_to_string(&policy).expect("read");
    text.push_str("\n// a draft note\n");
    std::fs::write(&policy, text).expect("write");
    let mut others = [
        Proc::spawn(
            &ws,
            logs,
            "third",
            &["traces", "import", s(&third), "--name", "third"],
        ),
        Proc::spawn(
            &ws,
            logs,
            "draft",
            &["version", "commit", s(&draft), "-m", "draft"],
        ),
    ];
    let out = run.finish_ok();
    assert!(out.contains("stored run 2"), "{out}");
    for p in &mut others {
        p.finish_ok();
    }
    let c = check_workspace(&ws, &lines);
    assert_eq!(c.events, 9, "{c:?}");
    assert_eq!(c.versions, 3);
    assert_eq!(c.sets.len(), 4);
    assert_eq!(c.runs.get(&2), Some(&("big".to_string(), BIG_LINES)));
    eprintln!(
        "concurrent writers: round 1 others started while the import wrote: {started_while_writing}; \
         round 2 readers took {:.2} s, the run still writing after them: {readers_overlapped}",
        read_time.as_secs_f64()
    );
}
