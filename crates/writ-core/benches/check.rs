//! Latency of the live check the desktop editor runs after each keystroke.
//!
//! The workbench promises diagnostics within 150 ms of a keystroke on the
//! sample project: a 100 ms debounce, then one `check_files` of the whole
//! project with the edited text. This bench times that check on
//! `sample-policies/v2` (schema, five policy files, inventory) and, in the
//! same run, the least any checker must do with the same texts: Cedar
//! parsing the schema and the policies and validating them, nothing else.
//! It prints the medians, the ratio, and the check plus debounce against
//! the 150 ms budget.
//!
//! Run with `cargo bench -p writ-core --bench check`
//! (`WRIT_BENCH_ROUNDS`, default 200, sets the number of timed rounds).

use cedar_policy::{PolicySet, Schema, ValidationMode, Validator};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};
use writ_core::project::{check_files, today_utc, ProjectFiles};

/// The editor's debounce before it asks for a check (ui/src/views/Policies.svelte).
const DEBOUNCE: Duration = Duration::from_millis(100);

/// The promised keystroke-to-diagnostics time.
const BUDGET: Duration = Duration::from_millis(150);

fn sample_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-policies/v2")
}

/// Median of `rounds` timings of `f`, after a few untimed warm-up calls.
fn median(rounds: usize, mut f: impl FnMut()) -> Duration {
    for _ in 0..5 {
        f();
    }
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("WRIT_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
        .max(1);
    let root = sample_root();
    let (files, diags) = ProjectFiles::read(&root);
    assert!(diags.is_empty(), "the sample reads cleanly: {diags:?}");
    let schema_text = files.schema.as_ref().expect("a schema").text.clone();
    let policy_text: String = files
        .policies
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");

    // Baseline: Cedar alone parses and validates the same texts.
    let baseline = median(rounds, || {
        let (schema, _) = Schema::from_cedarschema_str(&schema_text).expect("schema parses");
        let policies = PolicySet::from_str(&policy_text).expect("policies parse");
        let result = Validator::new(schema).validate(&policies, ValidationMode::Strict);
        assert!(result.validation_passed());
    });

    // Writ's live check: everything `writ check` reports, from texts.
    let today = today_utc();
    let check = median(rounds, || {
        let report = check_files(&root, files.clone(), Vec::new(), today);
        assert!(report.project.is_some());
    });

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("live check of sample-policies/v2, median of {rounds} rounds");
    println!(
        "  baseline: Cedar parse + validate   {:8.2} ms",
        ms(baseline)
    );
    println!("  writ check_files (everything)      {:8.2} ms", ms(check));
    println!(
        "  ratio check / baseline             {:8.2}",
        ms(check) / ms(baseline)
    );
    let total = check + DEBOUNCE;
    println!(
        "  debounce {} ms + check = {:.1} ms against the {} ms budget: {}",
        DEBOUNCE.as_millis(),
        ms(total),
        BUDGET.as_millis(),
        if total <= BUDGET { "met" } else { "MISSED" }
    );
}
