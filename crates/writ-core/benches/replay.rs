//! Replay throughput over the sample organisation.
//!
//! Generates a trace of `WRIT_BENCH_ACTIONS` actions (default 1,000,000)
//! with `writ-tracegen` and prints, in actions per second:
//!
//! - (a) the naive baseline: Cedar `Request`s built beforehand (the plain
//!   way, [`Evaluator::reference_request`], first 100,000 records) through
//!   `Authorizer::is_authorized`, one thread;
//! - (b) `replay` end to end from the JSON Lines file, one thread, into a
//!   [`ReplaySummary`];
//! - (c) the same on all cores;
//! - (d) the decision diff of `v1` and `v2`, one thread;
//! - (e) replay, one thread, of a Unique-variant trace where no relevant
//!   request repeats;
//! - (f) a generated organisation of 1,000+ policies (50 agents x 20 tools,
//!   each pair with its own permit, plus a forbid per tool) and a stream
//!   where no request repeats: Writ's replay on one thread against naive
//!   Cedar (the first 50,000 requests pre-built) on the same set;
//!
//! then the ratios against the targets, the reuse rates and the peak
//! resident memory. Run with `cargo bench -p writ-core --bench replay`.

use cedar_policy::{Authorizer, Request};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use writ_core::diff::DecisionDiff;
use writ_core::evaluate::Evaluator;
use writ_core::project::{check_project, today_utc, Project};
use writ_core::replay::{replay, ReplayOptions, ReplayStats, ResultSink};
use writ_core::summary::ReplaySummary;
use writ_core::trace::parse_record;
use writ_tracegen::{load_model, write_trace, Variant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Whether phase `p` (a letter of `abcde`) runs: all unless
/// `WRIT_BENCH_PHASES` names a subset (for profiling one phase).
fn runs(p: char) -> bool {
    std::env::var("WRIT_BENCH_PHASES").map_or(true, |v| v.contains(p))
}

/// Records turned into pre-built requests for the baseline.
const BASELINE_RECORDS: usize = 100_000;

/// Seed of the generated traces.
const SEED: u64 = 20_261_102;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample(version: &str) -> Project {
    let dir = repo_root().join("sample-policies").join(version);
    let report = check_project(&dir, today_utc());
    match report.project {
        Some(p) => p,
        None => panic!("{} does not check: {:?}", dir.display(), report.diagnostics),
    }
}

/// Writes a generated trace of `count` actions to `path`.
fn generate(path: &Path, variant: Variant, count: usize) -> Duration {
    let model =
        load_model(&repo_root().join("scenarios/traces/traffic-model.toml")).expect("model");
    let start = Instant::now();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).expect("create trace"));
    write_trace(&model, SEED, variant, count, &mut out).expect("write trace");
    out.flush().expect("flush trace");
    start.elapsed()
}

/// Peak resident set size in MiB (`VmHWM`).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the peak RSS counter so later phases are measured on their own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool")
}

/// Replays `trace` against `versions` into `sink`; returns the stats and time.
fn timed_replay(
    trace: &Path,
    versions: &[&Evaluator],
    sink: &mut (dyn ResultSink + Send),
) -> (ReplayStats, Duration) {
    let input = BufReader::with_capacity(1 << 20, File::open(trace).expect("open trace"));
    let start = Instant::now();
    let stats = replay(input, versions, &ReplayOptions::default(), sink, &|_| {}).expect("replay");
    (stats, start.elapsed())
}

/// Runs phase `p` unless it is excluded by `WRIT_BENCH_PHASES`.
fn phase(p: char, f: impl FnOnce() -> (ReplayStats, Duration)) -> (ReplayStats, Duration) {
    if runs(p) {
        f()
    } else {
        (ReplayStats::default(), Duration::ZERO)
    }
}

fn rate(actions: u64, d: Duration) -> f64 {
    actions as f64 / d.as_secs_f64()
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

/// The naive baseline: the first [`BASELINE_RECORDS`] records of `trace`
/// turned into Cedar requests the plain way, then timed through
/// `Authorizer::is_authorized` on this thread. Returns the rate, the
/// requests timed and the records that gave no valid request.
fn naive_baseline(trace: &Path, ev: &Evaluator) -> (f64, f64, usize, usize) {
    naive_baseline_n(trace, ev, BASELINE_RECORDS)
}

/// [`naive_baseline`] over the first `records` records.
fn naive_baseline_n(trace: &Path, ev: &Evaluator, records: usize) -> (f64, f64, usize, usize) {
    let mut requests: Vec<Request> = Vec::with_capacity(records);
    let mut skipped = 0usize;
    let reader = BufReader::new(File::open(trace).expect("open trace"));
    for (n, line) in reader.lines().take(records).enumerate() {
        let line = line.expect("read trace");
        let record = parse_record(n + 1, &line).expect("generated line parses");
        match ev.reference_request(&record) {
            Ok(r) => requests.push(r),
            Err(_) => skipped += 1,
        }
    }
    let authorizer = Authorizer::new();
    let start = Instant::now();
    let mut allowed = 0usize;
    for r in &requests {
        let response = authorizer.is_authorized(r, &ev.catalog.set, ev.entities());
        if response.decision() == cedar_policy::Decision::Allow {
            allowed += 1;
        }
    }
    let elapsed = start.elapsed();
    std::hint::black_box(allowed);
    // The same requests on every core: how far Cedar alone scales here.
    use rayon::prelude::*;
    let start = Instant::now();
    let allowed_all = requests
        .par_iter()
        .filter(|r| {
            authorizer
                .is_authorized(r, &ev.catalog.set, ev.entities())
                .decision()
                == cedar_policy::Decision::Allow
        })
        .count();
    let elapsed_all = start.elapsed();
    std::hint::black_box(allowed_all);
    (
        rate(requests.len() as u64, elapsed),
        rate(requests.len() as u64, elapsed_all),
        requests.len(),
        skipped,
    )
}

/// Agents and tools of the generated organisation of row (f).
const ORG_AGENTS: usize = 50;
const ORG_TOOLS: usize = 20;
/// Requests of row (f) timed on the naive side.
const ORG_NAIVE: usize = 50_000;

/// The generated organisation: a schema, one permit per agent and tool
/// pair with a condition on the context, and a forbid per tool.
fn org_evaluator() -> Evaluator {
    use writ_core::policies::{parse_policy_files, PolicySource};
    let mut schema = String::from("entity Agent;\nentity Tool;\n");
    for t in 0..ORG_TOOLS {
        schema.push_str(&format!(
            "action \"t{t}\" appliesTo {{ principal: [Agent], resource: [Tool], context: {{ n: Long, env: String }} }};\n"
        ));
    }
    let mut policies = String::new();
    for a in 0..ORG_AGENTS {
        for t in 0..ORG_TOOLS {
            policies.push_str(&format!(
                "@id(\"a{a}-t{t}\")\npermit(principal == Agent::\"a{a}\", action == Action::\"t{t}\", resource) when {{ context.n >= {} }};\n",
                (a * t) % 7
            ));
        }
    }
    for t in 0..ORG_TOOLS {
        policies.push_str(&format!(
            "@id(\"no-prod-t{t}\")\nforbid(principal, action == Action::\"t{t}\", resource) when {{ context.env == \"prod\" && context.n > 1000 }};\n"
        ));
    }
    let (schema, _) = writ_core::schema::ProjectSchema::load(Path::new("org.cedarschema"), &schema)
        .expect("org schema");
    let path = PathBuf::from("org.cedar");
    let (catalog, diags) = parse_policy_files(&[PolicySource {
        path: &path,
        text: &policies,
    }]);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    let entities =
        cedar_policy::Entities::from_json_value(serde_json::json!([]), Some(&schema.schema))
            .expect("org entities");
    Evaluator::new(
        "org",
        catalog,
        Some(schema),
        entities,
        writ_core::resolve::Resolver::default(),
    )
}

/// Writes `count` organisation records where no request repeats (the
/// counter `n` is in every request's context).
fn org_trace(path: &Path, count: usize) {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).expect("create org trace"));
    for i in 0..count {
        let (a, t) = ((i * 7) % ORG_AGENTS, (i * 13) % ORG_TOOLS);
        let env = if i % 3 == 0 { "prod" } else { "dev" };
        writeln!(
            out,
            r#"{{"ts":"2026-11-02T09:15:03Z","agent":"Agent::\"a{a}\"","action":"t{t}","resource":{{"type":"Tool","id":"r{}"}},"context":{{"n":{i},"env":"{env}"}},"outcome":"executed"}}"#,
            i % 97
        )
        .expect("write org trace");
    }
    out.flush().expect("flush org trace");
}

fn main() {
    let count: usize = std::env::var("WRIT_BENCH_ACTIONS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let realistic = dir.path().join("realistic.jsonl");
    let unique = dir.path().join("unique.jsonl");
    let g1 = generate(&realistic, Variant::Realistic, count);
    let g2 = generate(&unique, Variant::Unique, count);
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len()) as f64 / (1 << 20) as f64;
    println!(
        "traces: {count} actions each; realistic {:.0} MiB ({:.1}s), unique {:.0} MiB ({:.1}s)",
        size(&realistic),
        g1.as_secs_f64(),
        size(&unique),
        g2.as_secs_f64()
    );

    let (p1, p2) = (sample("v1"), sample("v2"));
    let v1 = Evaluator::from_project("v1", &p1);
    let v2 = Evaluator::from_project("v2", &p2);
    let peak_setup = peak_rss_mib();
    reset_peak_rss();

    // The replays run first so that their peak memory is measured before
    // the baseline holds its pre-built requests.
    let single = one_thread();
    // (b) Replay, one thread.
    let (b_stats, b_time) = phase('b', || {
        single.install(|| {
            let mut sink = ReplaySummary::default();
            let (s, t) = timed_replay(&realistic, &[&v1], &mut sink);
            assert_eq!(sink.actions as usize, count, "every action replayed");
            (s, t)
        })
    });
    // (c) Replay, all cores.
    let (c_stats, c_time) = phase('c', || {
        let mut sink = ReplaySummary::default();
        timed_replay(&realistic, &[&v1], &mut sink)
    });
    // (d) Diff of v1 and v2, one thread.
    let mut d_changed = 0;
    let (d_stats, d_time) = phase('d', || {
        single.install(|| {
            let mut sink = DecisionDiff {
                keep_changes: false,
                ..DecisionDiff::default()
            };
            let (s, t) = timed_replay(&realistic, &[&v1, &v2], &mut sink);
            d_changed = sink.counts.total;
            (s, t)
        })
    });
    // (e) Replay of the Unique trace, one thread.
    let (e_stats, e_time) = phase('e', || {
        single.install(|| {
            let mut sink = ReplaySummary::default();
            timed_replay(&unique, &[&v1], &mut sink)
        })
    });
    // (f) The generated organisation, one thread, no repetition.
    let org = org_evaluator();
    let org_count = std::env::var("WRIT_BENCH_ORG_ACTIONS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(count.min(200_000));
    let org_path = dir.path().join("org.jsonl");
    let (f_stats, f_time) = phase('f', || {
        org_trace(&org_path, org_count);
        single.install(|| {
            let mut sink = ReplaySummary::default();
            timed_replay(&org_path, &[&org], &mut sink)
        })
    });
    let peak_replay = peak_rss_mib();

    // (a) Naive baseline: pre-built requests through Cedar, one thread; and,
    // for reference, the same over the Unique trace.
    let (a, a_all, a_count, a_skipped) = if runs('a') {
        naive_baseline(&realistic, &v1)
    } else {
        (f64::NAN, f64::NAN, 0, 0)
    };
    let (a_unique, _, _, _) = if runs('a') && runs('e') {
        naive_baseline(&unique, &v1)
    } else {
        (f64::NAN, f64::NAN, 0, 0)
    };
    let (f_naive, _, f_naive_count, _) = if runs('f') {
        naive_baseline_n(&org_path, &org, ORG_NAIVE)
    } else {
        (f64::NAN, f64::NAN, 0, 0)
    };
    let peak_all = peak_rss_mib().max(peak_replay).max(peak_setup);

    let b = rate(b_stats.actions, b_time);
    let c = rate(c_stats.actions, c_time);
    let d = rate(d_stats.actions, d_time);
    let e = rate(e_stats.actions, e_time);
    let threads = rayon::current_num_threads();
    println!();
    println!(
        "(a) naive Cedar, pre-built requests, 1 thread: {a:>10.0} actions/s  ({a_count} requests, {a_skipped} records without a valid request)"
    );
    println!(
        "    (for reference: naive Cedar on {} threads {a_all:.0} actions/s, {:.2}x one thread: how far Cedar alone scales on this machine)",
        rayon::current_num_threads(),
        a_all / a
    );
    println!(
        "(b) replay, 1 thread:                          {b:>10.0} actions/s  ({:.2}s, reuse rate {:.4}, decided {})",
        b_time.as_secs_f64(),
        b_stats.reuse_rate(),
        b_stats.decided
    );
    println!(
        "(c) replay, {threads} threads:                         {c:>10.0} actions/s  ({:.2}s, reuse rate {:.4})",
        c_time.as_secs_f64(),
        c_stats.reuse_rate()
    );
    println!(
        "(d) diff v1/v2, 1 thread:                      {d:>10.0} actions/s  ({:.2}s, reuse rate {:.4}, decided {}, {} changed)",
        d_time.as_secs_f64(),
        d_stats.reuse_rate(),
        d_stats.decided,
        d_changed
    );
    println!(
        "(e) replay, unique trace, 1 thread:            {e:>10.0} actions/s  ({:.2}s, reuse rate {:.4}, decided {})",
        e_time.as_secs_f64(),
        e_stats.reuse_rate(),
        e_stats.decided
    );
    println!(
        "    (for reference: naive Cedar over the unique trace {a_unique:.0} actions/s; e over that = {:.2})",
        e / a_unique
    );
    let f = rate(f_stats.actions, f_time);
    println!(
        "(f) organisation of {} policies, no repetition, 1 thread: {f:>10.0} actions/s  ({} actions, {:.2}s, decided {}); naive Cedar on the same set: {f_naive:.0} actions/s ({f_naive_count} requests)",
        org.catalog.policies.len(),
        f_stats.actions,
        f_time.as_secs_f64(),
        f_stats.decided
    );
    println!();
    let cedar_scaling = a_all / a;
    let targets = [
        ("b/a", b / a, ">= 5.0", b / a >= 5.0),
        ("e/a", e / a, ">= 1.5", e / a >= 1.5),
        (
            "c/b",
            c / b,
            &*format!(
                ">= 0.9 x {cedar_scaling:.2} (Cedar's own scaling) = {:.2}",
                0.9 * cedar_scaling
            ),
            c / b >= 0.9 * cedar_scaling,
        ),
        ("f/naive", f / f_naive, ">= 10.0", f / f_naive >= 10.0),
        // Time, not rate: diffing two versions costs at most 30% more than
        // replaying one (as a rate ratio the target would be trivial).
        ("d/b (time)", b / d, "<= 1.3", b / d <= 1.3),
    ];
    for (name, value, target, ok) in &targets {
        println!(
            "{name:<10} = {value:>6.2}  (target {target})  {}",
            verdict(*ok)
        );
    }
    println!(
        "peak RSS of the replays = {peak_replay:.0} MiB (target <= 256 MiB)  {}",
        verdict(peak_replay <= 256.0)
    );
    println!(
        "peak RSS of the whole run = {peak_all:.0} MiB (setup {peak_setup:.0} MiB; the baseline keeps {BASELINE_RECORDS} Cedar requests in memory)"
    );
}
