//! Differential testing (issue 12, section 3): random but valid Cedar
//! material from `writ-cedargen` (schemas with several namespaces, odd ids,
//! extension values, entity data, policies, request streams with heavy
//! repetition), decided by Cedar itself (the reference) and by every Writ
//! decision path writ-core has: replay with and without reuse on one and two
//! threads, both sides of `diff` and its counts, `decide_reference`, and
//! `writ test` on a Cedar run-tests file. They must agree: a request Cedar
//! refuses is a Writ request error; otherwise decision, determining policies
//! and erroring policies are equal.
//!
//! - CI: `cargo test -p writ-core --test tests -- differential::` runs a fixed number
//!   of seeds with every generator switch on (`GenOptions::full()`: shared
//!   bare ids across namespaces, ids with control characters, escaped
//!   spellings, `offset` with `args`, templates and links, namespaced
//!   principals, empty-namespace types used inside namespaces, invalid
//!   requests). `WRIT_DIFF_SWITCHES=-templates,...` turns switches off;
//!   `WRIT_DIFF_SWITCHES=today` is the older "known gaps" set.
//! - Long: `WRIT_DIFF_CASES=20000 cargo test -p writ-core --release --test
//!   tests -- --ignored differential::long_run` prints how many cases and requests
//!   it compared; `WRIT_DIFF_SEED=N` starts elsewhere.
//! - Survey: `cargo test -p writ-core --test tests -- --ignored
//!   differential::survey --nocapture` runs today's switches plus one more, for each
//!   switch, and prints each mismatch class found (`WRIT_DIFF_REPORTS=1`
//!   adds one minimized report per class); it never fails.
//!
//! On a mismatch the test prints a minimized, reproducible report: seed,
//! switches, schema, policies, entities, the trace lines, and both answers.

mod paths;
mod reference;
mod report;

use paths::run_case;
use writ_cedargen::{generate, organisation, GenOptions};

/// Seeds per CI run (a few seconds in a debug build).
const CI_CASES: u64 = 12;

/// Tests that run cases hold the shared fault lock alone: the fault
/// switches (feature `fault-injection`) are process-wide, so no case may
/// run while a fault test (here or in `regressions`) has one on, and the
/// differential tests run one at a time.
fn lock() -> std::sync::RwLockWriteGuard<'static, ()> {
    crate::common::faults_alone()
}

/// The switches of this run: all, less those `WRIT_DIFF_SWITCHES` turns off.
fn options() -> GenOptions {
    match std::env::var("WRIT_DIFF_SWITCHES") {
        Ok(s) if s.trim() == "full" => GenOptions::full(),
        Ok(s) if s.trim() == "today" => GenOptions::today(),
        Ok(s) => GenOptions::full()
            .with_switches(&s)
            .unwrap_or_else(|e| panic!("WRIT_DIFF_SWITCHES: {e}")),
        Err(_) => GenOptions::full(),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `count` seeds from `first`; panics with a minimized report at the
/// first case with a mismatch.
fn run_seeds(first: u64, count: u64, options: &GenOptions) -> (u64, usize, usize) {
    let (mut requests, mut comparisons) = (0usize, 0usize);
    for seed in first..first + count {
        let case = generate(seed, options);
        let run = run_case(&case);
        requests += run.requests;
        comparisons += run.comparisons;
        if !run.mismatches.is_empty() {
            panic!("{}", report::minimized(&case, &run.mismatches[0]));
        }
    }
    (count, requests, comparisons)
}

#[test]
fn writ_decides_as_cedar_on_generated_cases() {
    let _g = lock();
    let options = options();
    let first = env_u64("WRIT_DIFF_SEED", 0);
    let (cases, requests, comparisons) = run_seeds(first, CI_CASES, &options);
    eprintln!(
        "differential: {cases} cases, {requests} requests, {comparisons} comparisons (seeds {first}..{}, {options:?})",
        first + cases
    );
    assert!(
        comparisons > requests,
        "every request is compared on several paths"
    );
}

#[test]
fn writ_decides_as_cedar_on_a_generated_organisation() {
    let _g = lock();
    let org = organisation(6, 5);
    let case = org.to_case(3, 300);
    let run = run_case(&case);
    if let Some(m) = run.mismatches.first() {
        panic!("{}", report::minimized(&case, m));
    }
    assert_eq!(run.requests, 300);
}

#[test]
#[ignore = "long run: WRIT_DIFF_CASES=20000 cargo test -p writ-core --release --test tests -- --ignored differential::long_run"]
fn long_run() {
    let _g = lock();
    let options = options();
    let first = env_u64("WRIT_DIFF_SEED", 0);
    let count = env_u64("WRIT_DIFF_CASES", 2_000);
    let started = std::time::Instant::now();
    let (cases, requests, comparisons) = run_seeds(first, count, &options);
    println!(
        "differential long run: {cases} cases, {requests} requests, {comparisons} comparisons in {:.1}s (seeds {first}..{}, {options:?})",
        started.elapsed().as_secs_f64(),
        first + cases
    );
}

/// Every generator switch, for the survey.
const SWITCHES: [&str; 11] = [
    "shared_bare_ids",
    "shared_bare_ids,ambiguous_bare_spelling",
    "control_action_ids",
    "-odd_entity_ids,-odd_action_ids,-invalid_requests",
    "escaped_spellings",
    "offset_args",
    "templates",
    "namespaced_principals",
    "invalid_requests",
    "root_types_from_namespaces",
    "cedar_syntax_uids_in_tests",
];

#[test]
#[ignore = "survey of mismatch classes per generator switch; prints, never fails"]
fn survey() {
    let _g = lock();
    let count = env_u64("WRIT_DIFF_CASES", 40);
    // One run per switch (today's switches plus that one), or the run
    // WRIT_DIFF_SWITCHES names.
    let runs: Vec<(String, GenOptions)> = match std::env::var("WRIT_DIFF_SWITCHES") {
        Ok(s) => vec![(s, options())],
        Err(_) => SWITCHES
            .iter()
            .map(|s| {
                let o = GenOptions::today().with_switches(s).expect("known switch");
                (s.to_string(), o)
            })
            .collect(),
    };
    for (name, options) in runs {
        let mut classes: std::collections::BTreeMap<String, (usize, u64, paths::Mismatch)> =
            Default::default();
        for seed in 0..count {
            let case = generate(seed, &options);
            for m in run_case(&case).mismatches {
                let e = classes
                    .entry(report::class(&m))
                    .or_insert((0, seed, m.clone()));
                e.0 += 1;
            }
        }
        println!(
            "\n##### switch {name}: {count} cases, {} mismatch classes",
            classes.len()
        );
        for (class, (n, seed, m)) in &classes {
            println!(
                "=== {n} x {class}\n    first at seed {seed}, entry {:?}: want {}\n    got {}",
                m.at,
                report::shown(&m.want),
                report::shown(&m.got)
            );
        }
        if std::env::var("WRIT_DIFF_REPORTS").is_ok() {
            for (_, seed, m) in classes.values() {
                println!("{}", report::minimized(&generate(*seed, &options), m));
            }
        }
    }
}

/// With one engine fault switched on, the harness must find a mismatch
/// within the CI case budget (issue 12, section 3). The switches are the
/// lead's (`writ_core::faults`, feature `fault-injection`); run with
/// `cargo test -p writ-core --features fault-injection --test tests -- differential::`.
#[cfg(feature = "fault-injection")]
mod faults {
    use super::*;
    use writ_core::faults::{set, Fault};

    /// Seeds a fault may take to show: some faults need a rarer shape
    /// (twin requests in two namespaces meeting in the reuse table).
    const FAULT_CASES: u64 = 5 * CI_CASES;

    fn caught(fault: Fault) -> Option<String> {
        set(fault, true);
        let found = (0..FAULT_CASES).find_map(|seed| {
            let case = generate(seed, &GenOptions::full());
            run_case(&case)
                .mismatches
                .first()
                .map(|m| format!("seed {seed}: {}: want {} got {}", m.path, m.want, m.got))
        });
        set(fault, false);
        found
    }

    #[test]
    fn the_harness_catches_every_engine_fault() {
        let _g = lock();
        // Without faults, the full generator must agree (else a catch below
        // proves nothing).
        for seed in 0..CI_CASES {
            let case = generate(seed, &GenOptions::full());
            if let Some(m) = run_case(&case).mismatches.first() {
                panic!("no fault on, yet: {}", report::minimized(&case, m));
            }
        }
        let mut missed = Vec::new();
        for (name, fault) in [
            ("BareActionReuseKey", Fault::BareActionReuseKey),
            ("FirstNamespaceWins", Fault::FirstNamespaceWins),
            ("UidFromText", Fault::UidFromText),
            ("NoExtnArgs", Fault::NoExtnArgs),
            ("RawActionSpelling", Fault::RawActionSpelling),
        ] {
            match caught(fault) {
                Some(how) => eprintln!("fault {name} caught: {how}"),
                None => missed.push(name),
            }
        }
        assert!(
            missed.is_empty(),
            "faults not caught within {FAULT_CASES} cases: {missed:?}"
        );
    }
}
