//! Import-read throughput of OTLP JSON Lines (the Collector file
//! exporter's format): parse + extract tool calls + map them to records
//! (the plain mapping, each record serialised as it would be stored), no
//! SQLite, one thread.
//!
//! Generates `WRIT_BENCH_SPANS` tool-call spans (default 1,000,000; 100
//! spans per line, one `TracesData` per line) into a temporary file, then
//! reads the first 100,000 spans' lines and the whole file, printing MB/s,
//! actions/s and the peak resident memory of each read (VmHWM, reset
//! before each through /proc/self/clear_refs), so memory flatness shows as
//! a ratio; and, as a baseline, `serde_json` merely parsing the same lines
//! into `serde_json::Value`. Run with
//! `cargo bench -p writ-core --bench ingest`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;
use writ_core::ingest::{read_items, Format, Item, Mapping, PlainMapping, ReadOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PER_LINE: u64 = 100;

fn generate(path: &Path, spans: u64) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let tools = [
        "read_ticket",
        "query_table",
        "create_dashboard",
        "helm_list_releases",
        "search_docs",
    ];
    let agents = [
        "support-bot",
        "data-analyst-agent",
        "helm_agent",
        "deploy-bot",
    ];
    let users = [
        "alice@acme.example",
        "bob@acme.example",
        "raj.mehta@acme.example",
    ];
    let base: u64 = 1_777_555_053_780_274_700;
    let mut n = 0u64;
    while n < spans {
        let batch = PER_LINE.min(spans - n);
        let agent = agents[(n / PER_LINE) as usize % agents.len()];
        write!(
            w,
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{agent}-svc"}}}},{{"key":"service.version","value":{{"stringValue":"1.4.2"}}}}]}},"scopeSpans":[{{"scope":{{"name":"agent-framework","version":"0.9.0"}},"spans":["#
        )?;
        for i in 0..batch {
            let k = n + i;
            let tool = tools[(k % tools.len() as u64) as usize];
            let user = users[(k % users.len() as u64) as usize];
            let start = base + k * 1_000_003;
            if i > 0 {
                w.write_all(b",")?;
            }
            write!(
                w,
                r#"{{"traceId":"{:032x}","spanId":"{:016x}","parentSpanId":"{:016x}","name":"execute_tool {tool}","kind":1,"startTimeUnixNano":"{start}","endTimeUnixNano":"{}","attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"execute_tool"}}}},{{"key":"gen_ai.tool.name","value":{{"stringValue":"{tool}"}}}},{{"key":"gen_ai.tool.call.id","value":{{"stringValue":"call_{k:012}"}}}},{{"key":"gen_ai.tool.type","value":{{"stringValue":"function"}}}},{{"key":"gen_ai.tool.call.arguments","value":{{"stringValue":"{{\"id\":\"T-{}\",\"limit\":{}}}"}}}},{{"key":"gen_ai.agent.id","value":{{"stringValue":"{agent}"}}}},{{"key":"enduser.id","value":{{"stringValue":"{user}"}}}},{{"key":"retries","value":{{"intValue":"{}"}}}}],"status":{{"code":1}}}}"#,
                k / 8 + 1,
                k + 1,
                (k / 8 + 1) << 32,
                start + 5_000_000,
                k % 9973,
                k % 50,
                k % 3
            )?;
        }
        w.write_all(b"]}]}]}\n")?;
        n += batch;
    }
    w.flush()
}

/// VmHWM in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets VmHWM to the current RSS (Linux >= 4.0).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Figures {
    bytes: u64,
    actions: u64,
    secs: f64,
    peak_kib: u64,
}

/// Import-reads the first `lines` lines of `path`.
fn import_read(path: &Path, lines: u64) -> Figures {
    let file = File::open(path).expect("open");
    let reader = BufReader::with_capacity(1 << 16, file);
    // Limit to the first `lines` lines without copying: a Take on bytes
    // would cut a line, so count the bytes first.
    let limit = {
        let mut r = BufReader::new(File::open(path).expect("open"));
        let mut buf = Vec::new();
        let mut total = 0u64;
        for _ in 0..lines {
            buf.clear();
            let n = r.read_until(b'\n', &mut buf).expect("read") as u64;
            if n == 0 {
                break;
            }
            total += n;
        }
        total
    };
    let mapping = PlainMapping;
    reset_peak();
    let t = Instant::now();
    let mut actions = 0u64;
    let mut stored_bytes = 0u64;
    let (format, counts) = read_items(
        std::io::Read::take(reader, limit).pipe_buf(),
        None,
        &ReadOptions::default(),
        &mut |out| {
            if let Ok(Item::Call(call)) = out.item {
                let rec = mapping.to_record(&call).expect("maps");
                let text = serde_json::to_string(&rec).expect("serialises");
                stored_bytes += text.len() as u64;
                actions += 1;
            }
            Ok(())
        },
    )
    .expect("reads");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(format, Format::Otlp);
    assert_eq!(counts.actions, actions);
    assert!(stored_bytes > 0);
    Figures {
        bytes: limit,
        actions,
        secs,
        peak_kib: peak_rss_kib(),
    }
}

trait PipeBuf: std::io::Read + Sized {
    fn pipe_buf(self) -> BufReader<Self> {
        BufReader::with_capacity(1 << 16, self)
    }
}
impl<R: std::io::Read> PipeBuf for R {}

/// `serde_json` merely parsing the first `lines` lines into `Value`s.
fn baseline(path: &Path, lines: u64) -> Figures {
    let mut r = BufReader::with_capacity(1 << 16, File::open(path).expect("open"));
    let mut buf = String::new();
    reset_peak();
    let t = Instant::now();
    let mut bytes = 0u64;
    let mut values = 0u64;
    for _ in 0..lines {
        buf.clear();
        let n = r.read_line(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        bytes += n as u64;
        let v: serde_json::Value = serde_json::from_str(&buf).expect("json");
        values += v["resourceSpans"][0]["scopeSpans"][0]["spans"]
            .as_array()
            .map_or(0, |a| a.len() as u64);
    }
    Figures {
        bytes,
        actions: values,
        secs: t.elapsed().as_secs_f64(),
        peak_kib: peak_rss_kib(),
    }
}

fn print(label: &str, unit: &str, f: &Figures) {
    println!(
        "{label:<44} {:>8.1} MB in {:>6.2} s: {:>7.1} MB/s, {:>10.0} {unit}/s, peak RSS {:>7.1} MiB",
        f.bytes as f64 / 1e6,
        f.secs,
        f.bytes as f64 / 1e6 / f.secs,
        f.actions as f64 / f.secs,
        f.peak_kib as f64 / 1024.0
    );
}

fn main() {
    let spans: u64 = std::env::var("WRIT_BENCH_SPANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("spans.otlp.jsonl");
    let t = Instant::now();
    generate(&path, spans).expect("generate");
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {spans} tool-call spans ({PER_LINE} per line) as OTLP JSON Lines: {:.1} MB in {:.1} s",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let small_lines = 100_000u64.min(spans).div_ceil(PER_LINE);
    let all_lines = spans.div_ceil(PER_LINE);
    let small = import_read(&path, small_lines);
    print(
        &format!("import-read {} spans", small.actions),
        "actions",
        &small,
    );
    let all = import_read(&path, all_lines);
    print(
        &format!("import-read {} spans", all.actions),
        "actions",
        &all,
    );
    let base = baseline(&path, all_lines);
    print(
        &format!("baseline: serde_json::Value, {} spans", base.actions),
        "spans",
        &base,
    );
    println!(
        "peak RSS {} spans / {} spans: {:.2}x; import-read / baseline time: {:.2}x; target >= 50 MB/s: {}",
        all.actions,
        small.actions,
        all.peak_kib as f64 / small.peak_kib.max(1) as f64,
        all.secs / base.secs,
        if all.bytes as f64 / 1e6 / all.secs >= 50.0 { "met" } else { "NOT met" }
    );
}
