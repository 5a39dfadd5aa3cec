//! The run timeline (allowed and denied actions over recorded time),
//! checked against an independent bucketing of the stored actions.

use std::collections::BTreeMap;
use writ_core::trace::Decision;
use writ_store::runs::timeline_interval;
use writ_store::sample::create_sample;
use writ_store::traces::ActionFilter;
use writ_store::{StoreError, Workspace};

/// Every stored action of `set` with its time (Unix seconds) and its
/// decision in `run`, read through the public API.
fn timed_decisions(ws: &Workspace, set: i64, run: i64) -> Vec<(i64, Decision)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let rows = ws
            .list_actions(set, &ActionFilter::default(), after, 500)
            .unwrap();
        let Some(last) = rows.last() else { break };
        after = last.line;
        for a in rows {
            let t = writ_core::trace::parse_timestamp(&a.ts)
                .unwrap_or_else(|e| panic!("line {}: {e}", a.line))
                .unix_timestamp();
            out.push((t, ws.run_result(run, a.line).unwrap().decision));
        }
    }
    out
}

#[test]
fn timeline_matches_the_actions_bucketed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.writ");
    let sample = create_sample(&path, "ana").unwrap();
    let ws = Workspace::open(&path).unwrap();
    for run in sample.runs {
        let tl = ws.run_timeline(run, 60).unwrap();
        assert_eq!(tl.run, run);
        assert_eq!(tl.untimed, 0);
        let actions = timed_decisions(&ws, sample.set, run);
        let first = actions.iter().map(|a| a.0).min().unwrap();
        let last = actions.iter().map(|a| a.0).max().unwrap();
        let w = timeline_interval(first, last, 60);
        assert_eq!(tl.interval_secs, w);

        // Independent bucketing.
        let mut expected: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
        for (t, d) in &actions {
            let e = expected.entry(t.div_euclid(w) * w).or_default();
            match d {
                Decision::Allow => e.0 += 1,
                Decision::Deny => e.1 += 1,
            }
        }
        assert!(
            tl.buckets.len() <= 60 && tl.buckets.len() > 1,
            "{}",
            tl.buckets.len()
        );
        assert!(tl.buckets[0].start <= first && first < tl.buckets[0].end);
        let end = tl.buckets.last().unwrap().end;
        assert!(last < end);
        for pair in tl.buckets.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "intervals are consecutive");
            assert_eq!(pair[0].end - pair[0].start, w);
        }
        for b in &tl.buckets {
            let (allowed, denied) = expected.get(&b.start).copied().unwrap_or_default();
            assert_eq!(
                (b.allowed, b.denied),
                (allowed, denied),
                "interval at {}",
                b.start
            );
        }
        // Everything is counted once, and matches the run's summary.
        let allowed: u64 = tl.buckets.iter().map(|b| b.allowed).sum();
        let denied: u64 = tl.buckets.iter().map(|b| b.denied).sum();
        assert_eq!(allowed + denied, actions.len() as u64);
        let summary = ws.run(run).unwrap().summary;
        assert_eq!(
            summary
                .decisions
                .get(&Decision::Allow)
                .copied()
                .unwrap_or(0),
            allowed
        );
        assert_eq!(
            summary.decisions.get(&Decision::Deny).copied().unwrap_or(0),
            denied
        );
    }
    // v1 and v2 decide differently somewhere in time.
    assert_ne!(
        ws.run_timeline(sample.runs[0], 60).unwrap().buckets,
        ws.run_timeline(sample.runs[1], 60).unwrap().buckets
    );
}

#[test]
fn fewer_intervals_are_wider_and_an_unknown_run_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.writ");
    let sample = create_sample(&path, "ana").unwrap();
    let ws = Workspace::open(&path).unwrap();
    let fine = ws.run_timeline(sample.runs[1], 60).unwrap();
    let coarse = ws.run_timeline(sample.runs[1], 4).unwrap();
    assert!(coarse.buckets.len() <= 4);
    assert!(coarse.interval_secs > fine.interval_secs);
    let total = |t: &writ_store::runs::RunTimeline| -> u64 {
        t.buckets.iter().map(|b| b.allowed + b.denied).sum()
    };
    assert_eq!(total(&fine), total(&coarse));
    assert!(matches!(
        ws.run_timeline(99, 60),
        Err(StoreError::NotFound { what: "run", .. })
    ));
}
