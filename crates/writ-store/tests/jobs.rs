//! Long jobs with progress and cancel (importing a trace, storing a run),
//! and positional access to a set's actions (the count and the page at
//! any position that a virtual table needs).
//!
//! `cargo test -p writ-store --release --test tests -- --ignored jobs:: --nocapture`
//! also builds a 1,000,000-action workspace and prints page-fetch times.

use crate::common::*;
use std::cell::RefCell;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use writ_core::evaluate::Verdict;
use writ_store::traces::{ActionFilter, ImportProgress, StoredAction, TimeBound, IMPORT_BATCH};
use writ_store::{StoreError, Workspace};
use writ_tracegen::{load_model, write_trace, Variant};

/// Everything an import or a run may change, read behind the store's back.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    counts: Vec<(&'static str, i64)>,
    audit_head: Option<(i64, String)>,
}

fn snapshot(path: &Path) -> Snapshot {
    let tables = [
        "trace_sets",
        "actions",
        "trace_errors",
        "runs",
        "run_results",
        "audit_events",
    ];
    let c = raw(path);
    let audit_head = c
        .query_row(
            "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    Snapshot {
        counts: tables.iter().map(|t| (*t, count(path, t))).collect(),
        audit_head,
    }
}

/// The sample workspace (v1, v2, the recorded set, runs 1 and 2).
fn sample_ws(dir: &Path) -> PathBuf {
    let path = dir.join("sample.writ");
    writ_store::sample::create_sample(&path, "ana").expect("sample");
    path
}

/// A generated trace of `n` lines with a few malformed lines mixed in.
fn generated(path: &Path, n: usize, seed: u64) -> PathBuf {
    let model = load_model(&repo().join("scenarios/traces/traffic-model.toml")).expect("model");
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create"));
    write_trace(&model, seed, Variant::Realistic, n, &mut out).expect("generate");
    drop(out);
    path.to_path_buf()
}

#[test]
fn import_progress_is_monotonic_and_ends_at_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_ws(dir.path());
    let trace = generated(
        &dir.path().join("week.jsonl"),
        3 * IMPORT_BATCH as usize + 17,
        7,
    );
    let size = std::fs::metadata(&trace).unwrap().len();
    let seen: RefCell<Vec<ImportProgress>> = RefCell::new(Vec::new());
    let never = AtomicBool::new(false);
    let mut ws = Workspace::open(&path).unwrap();
    let report = ws
        .import_traces_with(
            &trace,
            Some("week"),
            "bo",
            &|p| seen.borrow_mut().push(p),
            &never,
        )
        .unwrap();
    let seen = seen.into_inner();
    assert!(seen.len() >= 3, "a report per batch: {seen:?}");
    for w in seen.windows(2) {
        assert!(w[0].bytes <= w[1].bytes, "bytes go back: {w:?}");
        assert!(w[0].actions <= w[1].actions, "actions go back: {w:?}");
    }
    let last = seen.last().unwrap();
    assert_eq!(last.total, Some(size));
    assert_eq!(last.bytes, size, "the last report has read everything");
    assert_eq!(last.actions, report.set.actions as u64);
    assert_eq!(last.bad_lines, report.set.bad_lines as u64);
    assert!(seen.iter().all(|p| p.bytes <= size));
}

#[test]
fn a_cancelled_import_leaves_the_workspace_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_ws(dir.path());
    let trace = generated(
        &dir.path().join("big.jsonl"),
        10 * IMPORT_BATCH as usize,
        11,
    );
    let before = snapshot(&path);
    let cancel = AtomicBool::new(false);
    let reports = Mutex::new(0u64);
    let mut ws = Workspace::open(&path).unwrap();
    let err = ws
        .import_traces_with(
            &trace,
            Some("big"),
            "bo",
            &|p| {
                // Cancel mid-import, with rows already written.
                assert!(p.actions > 0);
                *reports.lock().unwrap() += 1;
                cancel.store(true, Ordering::Relaxed);
            },
            &cancel,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Cancelled(_)), "{err}");
    assert!(err.to_string().contains("nothing was stored"), "{err}");
    assert_eq!(*reports.lock().unwrap(), 1, "stopped at the next batch");
    drop(ws);
    assert_eq!(snapshot(&path), before);
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.verify_audit().unwrap(), None);
    assert!(ws.trace_set("big").is_err());
    drop(ws);

    // Cancelled before it starts (while hashing): nothing either.
    let mut ws = Workspace::open(&path).unwrap();
    let set = AtomicBool::new(true);
    let err = ws
        .import_traces_with(&trace, Some("big"), "bo", &|_| {}, &set)
        .unwrap_err();
    assert!(matches!(err, StoreError::Cancelled(_)), "{err}");
    drop(ws);
    assert_eq!(snapshot(&path), before);

    // And the same file imports afterwards: nothing half-done was left.
    let mut ws = Workspace::open(&path).unwrap();
    let never = AtomicBool::new(false);
    let report = ws
        .import_traces_with(&trace, Some("big"), "bo", &|_| {}, &never)
        .unwrap();
    assert_eq!(
        report.set.actions + report.set.bad_lines,
        10 * IMPORT_BATCH as i64
    );
}

#[test]
fn a_cancelled_run_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_ws(dir.path());
    let trace = generated(&dir.path().join("big.jsonl"), 30_000, 5);
    let mut ws = Workspace::open(&path).unwrap();
    ws.import_traces(&trace, Some("big"), "bo", &quiet).unwrap();
    let v2 = ws.list_versions().unwrap().last().unwrap().id.clone();
    drop(ws);
    let before = snapshot(&path);

    let cancel = AtomicBool::new(false);
    let calls = Mutex::new(0u32);
    let mut ws = Workspace::open(&path).unwrap();
    let err = ws
        .store_run_with(
            &v2,
            "big",
            "cy",
            &|_| {
                *calls.lock().unwrap() += 1;
                cancel.store(true, Ordering::Relaxed);
            },
            &cancel,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Cancelled(_)), "{err}");
    assert!(*calls.lock().unwrap() >= 1, "cancelled mid-run");
    drop(ws);
    assert_eq!(snapshot(&path), before);

    // Not cancelled: the run is stored as usual.
    let mut ws = Workspace::open(&path).unwrap();
    let never = AtomicBool::new(false);
    let run = ws
        .store_run_with(&v2, "big", "cy", &|_| {}, &never)
        .unwrap();
    assert_eq!(run.summary.actions, 30_000);
    assert_eq!(ws.verify_audit().unwrap(), None);
}

/// Every action matching `filter`, by keyset pages.
fn all_matching(ws: &Workspace, set: i64, filter: &ActionFilter) -> Vec<StoredAction> {
    let mut out: Vec<StoredAction> = Vec::new();
    loop {
        let after = out.last().map_or(0, |a| a.line);
        let page = ws.list_actions(set, filter, after, 333).unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

#[test]
fn count_and_positional_pages_agree_with_the_keyset_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_ws(dir.path());
    let ws = Workspace::open(&path).unwrap();
    let set = ws.trace_set("recorded").unwrap();
    let run = ws.list_runs().unwrap()[1].id;
    let all = all_matching(&ws, set.id, &ActionFilter::default());
    let mid_ts = all[all.len() / 3].ts.clone();
    let late_ts = all[2 * all.len() / 3].ts.clone();
    let agent = all[5].agent.clone();
    let filters = [
        ActionFilter::default(),
        ActionFilter {
            agent: Some(agent.clone()),
            ..Default::default()
        },
        ActionFilter {
            tool: Some(all[9].action.clone()),
            ..Default::default()
        },
        ActionFilter {
            run: Some(run),
            ..Default::default()
        },
        ActionFilter {
            run: Some(run),
            verdict: Some(Verdict::DeniedByForbid),
            ..Default::default()
        },
        ActionFilter {
            run: Some(run),
            verdict: Some(Verdict::Allowed),
            agent: Some(agent),
            ..Default::default()
        },
        ActionFilter {
            since: Some(TimeBound::parse(&mid_ts).expect("a time")),
            until: Some(TimeBound::parse(&late_ts).expect("a time")),
            ..Default::default()
        },
        ActionFilter {
            agent: Some("nobody".into()),
            ..Default::default()
        },
    ];
    for filter in &filters {
        let expected = all_matching(&ws, set.id, filter);
        let total = ws.count_actions(set.id, filter).unwrap();
        assert_eq!(total as usize, expected.len(), "{filter:?}");
        let lines = ws.matching_lines(set.id, filter).unwrap();
        assert_eq!(lines.len(), total, "{filter:?}");
        for offset in [0, 1, total / 2, total.saturating_sub(7), total, total + 5] {
            let got = ws.actions_at(set.id, filter, offset, 20).unwrap();
            let want: Vec<StoredAction> = expected
                .iter()
                .skip(offset as usize)
                .take(20)
                .cloned()
                .collect();
            assert_eq!(got, want, "{filter:?} at {offset}");
            let by_lines = ws
                .actions_by_lines(set.id, filter.run, lines.page(offset, 20))
                .unwrap();
            assert_eq!(by_lines, want, "{filter:?} at {offset}, by lines");
        }
        // Each matching action's position is its index in the list; a line
        // that does not match has none.
        for (i, a) in expected.iter().enumerate() {
            assert_eq!(
                lines.position(a.line),
                Some(i as u64),
                "{filter:?} line {}",
                a.line
            );
        }
        let missing = (1..=set.actions as i64 + 1).find(|l| expected.iter().all(|a| a.line != *l));
        if let Some(l) = missing {
            assert_eq!(lines.position(l), None, "{filter:?} line {l}");
        }
    }
    assert_eq!(
        ws.count_actions(set.id, &ActionFilter::default()).unwrap(),
        set.actions as u64
    );
    let bad = ActionFilter {
        verdict: Some(Verdict::Allowed),
        ..Default::default()
    };
    assert!(ws.count_actions(set.id, &bad).is_err());
    assert!(ws.actions_at(set.id, &bad, 0, 10).is_err());
    assert!(ws.matching_lines(set.id, &bad).is_err());
    // Another set's run may not annotate these actions.
    assert!(ws.actions_by_lines(set.id + 1, Some(run), &[1]).is_err());
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Builds a 1,000,000-action workspace (`WRIT_BENCH_ACTIONS` to change)
/// and prints the time to count and to fetch a 100-row page at the start,
/// middle and end, without and with filters. Run in release.
#[test]
#[ignore = "slow: builds a 1,000,000-action workspace"]
fn page_fetch_times_on_a_million_actions() {
    let n: usize = std::env::var("WRIT_BENCH_ACTIONS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let trace = generated(&dir.path().join("million.jsonl"), n, 20_261_130);
    let (mut ws, _) = new_workspace(dir.path());
    let v1 = ws
        .commit_version(&project(&sample("v1")), "bench", "v1")
        .unwrap();
    let t = Instant::now();
    let set = ws
        .import_traces(&trace, Some("million"), "bench", &quiet)
        .unwrap()
        .set
        .id;
    println!("import {n} actions: {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let run = ws
        .store_run(v1.id(), "million", "bench", &quiet)
        .unwrap()
        .id;
    println!("store a run: {:.1} s", t.elapsed().as_secs_f64());
    let agent = "spiffe://acme.example/agents/support-bot".to_string();
    let filters = [
        ("no filter", ActionFilter::default()),
        (
            "agent",
            ActionFilter {
                agent: Some(agent.clone()),
                ..Default::default()
            },
        ),
        (
            "tool",
            ActionFilter {
                tool: Some("read_ticket".into()),
                ..Default::default()
            },
        ),
        (
            "verdict",
            ActionFilter {
                run: Some(run),
                verdict: Some(Verdict::DeniedByForbid),
                ..Default::default()
            },
        ),
        (
            "agent + verdict",
            ActionFilter {
                agent: Some(agent),
                run: Some(run),
                verdict: Some(Verdict::Allowed),
                ..Default::default()
            },
        ),
        (
            "time from/to",
            ActionFilter {
                since: Some(TimeBound::parse("2026-01-01T00:00:00Z").expect("a time")),
                until: Some(TimeBound::parse("2099-01-01T00:00:00Z").expect("a time")),
                ..Default::default()
            },
        ),
        (
            "run annotation",
            ActionFilter {
                run: Some(run),
                ..Default::default()
            },
        ),
    ];
    drop(ws);
    let t = Instant::now();
    let ws = Workspace::open(&dir.path().join("ws.writ")).unwrap();
    println!("open the workspace: {:.1} ms", ms(t.elapsed()));
    println!("stateless: count, then actions_at (OFFSET on an index) at the start, middle, end");
    println!(
        "{:<16} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "filter", "rows", "count", "start", "middle", "end"
    );
    for (name, f) in &filters {
        let t = Instant::now();
        let total = ws.count_actions(set, f).unwrap();
        let count_time = t.elapsed();
        let mut times = Vec::new();
        for offset in [0, total / 2, total.saturating_sub(100)] {
            // Median of five fetches.
            let mut samples: Vec<Duration> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    let rows = ws.actions_at(set, f, offset, 100).unwrap();
                    assert!(!rows.is_empty() || total == 0);
                    t.elapsed()
                })
                .collect();
            samples.sort();
            times.push(samples[2]);
        }
        println!(
            "{name:<16} {total:>9} {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.1}ms",
            ms(count_time),
            ms(times[0]),
            ms(times[1]),
            ms(times[2])
        );
    }
    println!("kept list: matching_lines once, then actions_by_lines for each 100-row page");
    println!(
        "{:<16} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "filter", "rows", "build", "start", "middle", "end"
    );
    for (name, f) in &filters {
        let t = Instant::now();
        let lines = ws.matching_lines(set, f).unwrap();
        let build = t.elapsed();
        let total = lines.len();
        let mut times = Vec::new();
        for offset in [0, total / 2, total.saturating_sub(100)] {
            let mut samples: Vec<Duration> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    let rows = ws
                        .actions_by_lines(set, f.run, lines.page(offset, 100))
                        .unwrap();
                    assert_eq!(rows.len(), lines.page(offset, 100).len());
                    t.elapsed()
                })
                .collect();
            samples.sort();
            times.push(samples[2]);
        }
        println!(
            "{name:<16} {total:>9} {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.1}ms",
            ms(build),
            ms(times[0]),
            ms(times[1]),
            ms(times[2])
        );
    }
}
