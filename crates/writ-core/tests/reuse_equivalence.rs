//! Decision reuse is invisible: over the sample organisation and its recorded
//! trace, the fast replay (prepared requests, compiled shapes, reuse of equal
//! relevant requests, parallel batches) gives, for every action, what the
//! plain path ([`Evaluator::decide_reference`]) gives; replay without reuse
//! and on one thread gives identical results in identical order; malformed
//! lines are reported with their line numbers and skipped (or stop a strict
//! replay).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use writ_core::evaluate::{Evaluator, Outcome, Verdict};
use writ_core::project::{check_project, today_utc, Project};
use writ_core::replay::{replay, Collect, ReplayError, ReplayOptions, ReplayStats};
use writ_core::resolve::Principal;
use writ_core::trace::Decision;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Checks a sample version and returns its project.
fn sample(version: &str) -> Project {
    let dir = repo_root().join("sample-policies").join(version);
    let report = check_project(&dir, today_utc());
    let errors: Vec<_> = report.diagnostics.iter().filter(|d| d.is_error()).collect();
    report
        .project
        .unwrap_or_else(|| panic!("{} does not check: {errors:?}", dir.display()))
}

fn recorded_trace() -> String {
    let path = repo_root().join("scenarios/traces/recorded.jsonl");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The parts of an outcome the fast and the plain path must agree on.
fn essence(o: &Outcome) -> (Decision, Vec<String>, Vec<String>, Verdict, bool) {
    (
        o.decision,
        o.reasons.iter().map(|r| r.to_string()).collect(),
        o.errors.iter().map(|e| e.policy.to_string()).collect(),
        o.verdict,
        o.request_error.is_some(),
    )
}

/// One replayed action, reduced to what must be identical between runs.
type Row = (usize, Vec<(Principal, Arc<Outcome>)>);

fn run(
    trace: &str,
    versions: &[&Evaluator],
    options: &ReplayOptions,
    threads: Option<usize>,
) -> (Vec<Row>, ReplayStats) {
    let go = || {
        let mut sink = Collect::default();
        let stats = replay(trace.as_bytes(), versions, options, &mut sink, &|_| {})
            .expect("replay succeeds");
        assert!(sink.bad_lines.is_empty(), "bad lines: {:?}", sink.bad_lines);
        let rows = sink
            .results
            .into_iter()
            .map(|r| {
                (
                    r.line,
                    r.evaluations
                        .into_iter()
                        .map(|e| (e.principal, e.outcome))
                        .collect(),
                )
            })
            .collect();
        (rows, stats)
    };
    match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("thread pool")
            .install(go),
        None => go(),
    }
}

#[test]
fn reuse_gives_the_reference_outcome_for_every_recorded_action() {
    let (p1, p2) = (sample("v1"), sample("v2"));
    let v1 = Evaluator::from_project("v1", &p1);
    let v2 = Evaluator::from_project("v2", &p2);
    let versions = [&v1, &v2];
    let trace = recorded_trace();
    let mut sink = Collect::default();
    let stats = replay(
        trace.as_bytes(),
        &versions,
        &ReplayOptions::default(),
        &mut sink,
        &|_| {},
    )
    .expect("replay succeeds");
    assert!(sink.bad_lines.is_empty(), "bad lines: {:?}", sink.bad_lines);
    let lines = trace.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(sink.results.len(), lines);
    assert_eq!(stats.actions as usize, lines);
    assert!(
        stats.reused > 0,
        "the recorded trace should repeat requests"
    );

    let mut verdicts = std::collections::BTreeMap::<(usize, Verdict), usize>::new();
    let mut mismatches = Vec::new();
    for r in &sink.results {
        assert_eq!(r.evaluations.len(), 2, "line {}", r.line);
        for (i, (ev, got)) in versions.iter().zip(&r.evaluations).enumerate() {
            let reference = ev.decide_reference(&r.record);
            *verdicts.entry((i, got.outcome.verdict)).or_default() += 1;
            if essence(&reference) != essence(&got.outcome)
                || reference.step_up != got.outcome.step_up
            {
                mismatches.push(format!(
                    "line {} ({}): replay {:?}, reference {:?}",
                    r.line, ev.name, got.outcome, reference
                ));
            }
            assert_eq!(got.principal, ev.resolve(&r.record), "line {}", r.line);
        }
    }
    eprintln!(
        "reuse equivalence: {lines} actions x 2 versions, reuse rate {:.3}, verdicts {verdicts:?}",
        stats.reuse_rate()
    );
    assert!(
        mismatches.is_empty(),
        "{} outcomes differ from decide_reference:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // Not vacuous: both decisions occur in each version.
    for (i, _) in versions.iter().enumerate() {
        let allowed = verdicts.get(&(i, Verdict::Allowed)).copied().unwrap_or(0);
        assert!(allowed > 0 && allowed < lines, "version {i}: {verdicts:?}");
    }
}

#[test]
fn reuse_threads_and_batches_do_not_change_results_or_order() {
    let (p1, p2) = (sample("v1"), sample("v2"));
    let v1 = Evaluator::from_project("v1", &p1);
    let v2 = Evaluator::from_project("v2", &p2);
    let versions = [&v1, &v2];
    let trace = recorded_trace();

    let default = ReplayOptions::default();
    let no_reuse = ReplayOptions {
        reuse: false,
        ..ReplayOptions::default()
    };
    // Small batches and a tiny reuse memory exercise batch boundaries and
    // the memory reset.
    let small = ReplayOptions {
        batch_size: 7,
        reuse_capacity: 5,
        ..ReplayOptions::default()
    };

    let (base, base_stats) = run(&trace, &versions, &default, None);
    assert!(!base.is_empty());
    let lines: Vec<usize> = base.iter().map(|(l, _)| *l).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "input order kept");

    for (name, options, threads) in [
        ("reuse, 1 thread", &default, Some(1)),
        ("no reuse, default pool", &no_reuse, None),
        ("no reuse, 1 thread", &no_reuse, Some(1)),
        ("small batches, default pool", &small, None),
        ("small batches, 1 thread", &small, Some(1)),
    ] {
        let (rows, stats) = run(&trace, &versions, options, threads);
        assert_eq!(rows.len(), base.len(), "{name}: result count");
        for (a, b) in base.iter().zip(&rows) {
            assert_eq!(a, b, "{name}: results differ at line {}", a.0);
        }
        assert_eq!(stats.actions, base_stats.actions, "{name}");
        assert_eq!(stats.lookups, base_stats.lookups, "{name}");
        if !options.reuse {
            assert_eq!(stats.reused, 0, "{name}");
            assert_eq!(stats.decided, stats.lookups, "{name}");
        }
    }
    // Reuse decides fewer requests than there are lookups.
    assert!(base_stats.decided < base_stats.lookups);
    assert_eq!(
        base_stats.decided + base_stats.reused,
        base_stats.lookups,
        "every lookup is decided or reused"
    );
}

#[test]
fn malformed_lines_are_reported_and_skipped() {
    let p1 = sample("v1");
    let v1 = Evaluator::from_project("v1", &p1);
    let recorded = recorded_trace();
    let good: Vec<&str> = recorded.lines().take(5).collect();
    assert_eq!(good.len(), 5, "recorded trace too short");
    // Lines: 1 good, 2 not JSON, 3 good, 4 blank, 5 missing agent,
    // 6 good, 7 bad timestamp, 8 unknown field, 9 good, 10 good.
    let bad_ts = good[2].replacen("\"ts\":\"", "\"ts\":\"yesterday ", 1);
    let unknown = good[3].replacen('{', "{\"surprise\":1,", 1);
    let no_agent = r#"{"ts":"2026-11-02T06:20:17Z","action":"query_table","outcome":"executed"}"#;
    let text = [
        good[0],
        "{not json",
        good[1],
        "   ",
        no_agent,
        good[2],
        &bad_ts,
        &unknown,
        good[3],
        good[4],
    ]
    .join("\n");
    let expected_bad = [2usize, 5, 7, 8];
    let expected_good = [1usize, 3, 6, 9, 10];

    for batch_size in [1usize, 3, 4096] {
        let options = ReplayOptions {
            batch_size,
            ..ReplayOptions::default()
        };
        let mut sink = Collect::default();
        let stats = replay(text.as_bytes(), &[&v1], &options, &mut sink, &|_| {})
            .expect("lenient replay succeeds");
        let bad: Vec<usize> = sink.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, expected_bad, "batch {batch_size}");
        assert!(sink.bad_lines.iter().all(|e| !e.message.is_empty()));
        assert!(
            sink.bad_lines[1].message.contains("agent"),
            "{:?}",
            sink.bad_lines[1]
        );
        assert!(
            sink.bad_lines[2].message.contains("RFC 3339"),
            "{:?}",
            sink.bad_lines[2]
        );
        assert!(
            sink.bad_lines[3].message.contains("surprise"),
            "{:?}",
            sink.bad_lines[3]
        );
        assert_eq!(stats.bad_lines, expected_bad.len() as u64);
        let replayed: Vec<usize> = sink.results.iter().map(|r| r.line).collect();
        assert_eq!(replayed, expected_good, "batch {batch_size}");
        assert_eq!(stats.actions, expected_good.len() as u64);
        for r in &sink.results {
            assert_eq!(
                essence(&r.evaluations[0].outcome),
                essence(&v1.decide_reference(&r.record)),
                "line {}",
                r.line
            );
        }

        let strict = ReplayOptions {
            strict: true,
            ..options
        };
        let mut sink = Collect::default();
        match replay(text.as_bytes(), &[&v1], &strict, &mut sink, &|_| {}) {
            Err(ReplayError::Strict(e)) => assert_eq!(e.line, 2, "batch {batch_size}"),
            other => panic!("strict replay should stop at line 2, got {other:?}"),
        }
        assert!(sink.bad_lines.is_empty());
        assert!(sink.results.iter().all(|r| r.line < 2));
    }
}
