//! Workspace speed on a large trace set.
//!
//! Generates `WRIT_BENCH_ACTIONS` actions (default 1,000,000) over the
//! sample organisation and measures, in one run:
//! - parsing the file alone (the baseline), then importing it as a trace set
//!   (actions per second, the ratio to parsing, bytes on disk per action);
//! - storing a replay run of sample v1 over the set;
//! - paging 200 rows at a time: first page, a page deep in the set, pages
//!   filtered by agent, by tool and by verdict (target: under 20 ms each).
//!
//! Run with `cargo bench -p writ-store --bench store`.

use std::io::{BufRead, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use writ_core::evaluate::Verdict;
use writ_store::traces::ActionFilter;
use writ_store::Workspace;
use writ_tracegen::{load_model, write_trace, Variant};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn disk_bytes(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|s| {
            let mut p = path.as_os_str().to_owned();
            p.push(s);
            std::fs::metadata(PathBuf::from(p)).map_or(0, |m| m.len())
        })
        .sum()
}

/// Times `f` `n` times and returns the median and the worst.
fn sample_page(n: usize, mut f: impl FnMut() -> usize) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(n);
    let mut rows = 0;
    for _ in 0..n {
        let t = Instant::now();
        rows = f();
        times.push(t.elapsed());
    }
    times.sort();
    (times[n / 2], times[n - 1], rows)
}

fn main() {
    let count: usize = std::env::var("WRIT_BENCH_ACTIONS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let trace = dir.path().join("trace.jsonl");
    let model =
        load_model(&repo_root().join("scenarios/traces/traffic-model.toml")).expect("model");
    let mut out = BufWriter::new(std::fs::File::create(&trace).expect("create"));
    write_trace(&model, 20_261_130, Variant::Realistic, count, &mut out).expect("generate");
    drop(out);
    let file_size = std::fs::metadata(&trace).map_or(0, |m| m.len());

    // Baseline: parsing every line, nothing stored.
    let t = Instant::now();
    let mut parsed = 0u64;
    for (n, line) in BufReader::new(std::fs::File::open(&trace).expect("open"))
        .lines()
        .enumerate()
    {
        let line = line.expect("read");
        if writ_core::trace::parse_record(n + 1, &line).is_ok() {
            parsed += 1;
        }
    }
    let parse_time = t.elapsed();

    let ws_path = dir.path().join("bench.writ");
    let mut ws = Workspace::create(&ws_path).expect("workspace");
    for (name, files) in writ_store::sample::sample_projects() {
        ws.commit_version(&files, "bench", name).expect("commit");
    }
    let v1 = ws
        .list_versions()
        .expect("versions")
        .last()
        .expect("v1")
        .id
        .clone();

    let t = Instant::now();
    let report = ws
        .import_traces(&trace, Some("bench"), "bench", &|_| {})
        .expect("import");
    let import_time = t.elapsed();
    let set = report.set.id;
    ws.checkpoint().expect("checkpoint");
    let bytes = disk_bytes(&ws_path);

    let t = Instant::now();
    let run = ws
        .store_run(&v1, &set.to_string(), "bench", &|_| {})
        .expect("run");
    let run_time = t.elapsed();
    ws.checkpoint().expect("checkpoint");
    let bytes_after_run = disk_bytes(&ws_path);

    // Opening checks the file (application id, format, quick_check).
    let t = Instant::now();
    drop(Workspace::open(&ws_path).expect("reopen"));
    let open_time = t.elapsed();

    let agent = "spiffe://acme.example/agents/support-bot".to_string();
    let page = |filter: ActionFilter, after: i64| {
        let ws = &ws;
        move || {
            ws.list_actions(set, &filter, after, 200)
                .expect("page")
                .len()
        }
    };
    let deep = (count as i64) / 2;
    let pages = [
        ("first page", page(ActionFilter::default(), 0)),
        ("page after line N/2", page(ActionFilter::default(), deep)),
        (
            "by agent, after N/2",
            page(
                ActionFilter {
                    agent: Some(agent.clone()),
                    ..Default::default()
                },
                deep,
            ),
        ),
        (
            "by tool",
            page(
                ActionFilter {
                    tool: Some("read_ticket".into()),
                    ..Default::default()
                },
                0,
            ),
        ),
        (
            "by verdict in the run",
            page(
                ActionFilter {
                    run: Some(run.id),
                    verdict: Some(Verdict::DeniedByForbid),
                    ..Default::default()
                },
                0,
            ),
        ),
        (
            "by agent and verdict",
            page(
                ActionFilter {
                    agent: Some(agent),
                    run: Some(run.id),
                    verdict: Some(Verdict::Allowed),
                    ..Default::default()
                },
                deep,
            ),
        ),
    ];

    println!(
        "trace: {count} actions, {:.0} MiB",
        file_size as f64 / (1 << 20) as f64
    );
    println!(
        "parse only (baseline):   {:>10.0} actions/s  ({:.2}s)",
        per_sec(parsed, parse_time),
        parse_time.as_secs_f64()
    );
    println!(
        "import as a trace set:   {:>10.0} actions/s  ({:.2}s, {:.2}x the parse time, one transaction)",
        per_sec(report.set.actions as u64, import_time),
        import_time.as_secs_f64(),
        import_time.as_secs_f64() / parse_time.as_secs_f64()
    );
    println!(
        "on disk after import:    {:>10.0} bytes/action  ({:.0} MiB; the file holds {:.0} bytes/action)",
        bytes as f64 / count as f64,
        bytes as f64 / (1 << 20) as f64,
        file_size as f64 / count as f64
    );
    println!(
        "store a run of v1:       {:>10.0} actions/s  ({:.2}s, {:.0} more bytes/action on disk)",
        per_sec(count as u64, run_time),
        run_time.as_secs_f64(),
        (bytes_after_run.saturating_sub(bytes)) as f64 / count as f64
    );
    println!(
        "open the workspace:      {:>10.3} s (includes SQLite's quick_check)",
        open_time.as_secs_f64()
    );
    let mut worst = Duration::ZERO;
    for (name, mut f) in pages {
        let (median, max, rows) = sample_page(21, &mut f);
        worst = worst.max(max);
        println!(
            "page of 200, {name:<24} median {:>7.3} ms, worst {:>7.3} ms ({rows} rows)",
            ms(median),
            ms(max)
        );
    }
    println!(
        "worst page: {:.3} ms (target < 20 ms)  {}",
        ms(worst),
        if worst < Duration::from_millis(20) {
            "PASS"
        } else {
            "MISS"
        }
    );
}
