//! The real trace samples in `../shared/samples/traces/` read through the
//! ingest pipeline: each yields exactly the tool calls it holds.

use serde_json::Value;
use std::path::{Path, PathBuf};
use writ_core::ingest::{read_items, Format, IngestCounts, Item, ReadOptions, ToolCall};
use writ_core::trace::RecordedOutcome;

fn samples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples/traces");
    if dir.join("jaeger-kagent-helm.json").exists() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is missing (the real trace samples)",
            dir.display()
        );
        None
    }
}

fn read(path: &Path, user: &[&str]) -> (Format, IngestCounts, Vec<ToolCall>, Vec<String>) {
    let file = std::fs::File::open(path).expect("open sample");
    let opts = ReadOptions {
        user_attributes: user.iter().map(|s| s.to_string()).collect(),
    };
    let mut calls = Vec::new();
    let mut errors = Vec::new();
    let (format, counts) = read_items(
        std::io::BufReader::with_capacity(1 << 16, file),
        None,
        &opts,
        &mut |out| {
            match out.item {
                Ok(Item::Call(c)) => calls.push(*c),
                Ok(Item::Record(_)) => panic!("a span file yields calls"),
                Err(e) => errors.push(e.to_string()),
            }
            Ok(())
        },
    )
    .expect("reads");
    (format, counts, calls, errors)
}

/// Every span of the sample (counted independently of the importer) and
/// how many are `execute_tool` spans.
fn span_census(path: &Path) -> (u64, u64) {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    let mut spans = Vec::new();
    if let Some(data) = doc["data"].as_array() {
        for t in data {
            spans.extend(t["spans"].as_array().expect("spans").iter().cloned());
        }
    } else {
        for b in doc["batches"].as_array().expect("batches") {
            for key in ["scopeSpans", "instrumentationLibrarySpans"] {
                for sc in b[key].as_array().into_iter().flatten() {
                    spans.extend(sc["spans"].as_array().expect("spans").iter().cloned());
                }
            }
        }
    }
    let name = |s: &Value| {
        s.get("name")
            .or_else(|| s.get("operationName"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let tools = spans
        .iter()
        .filter(|s| name(s).starts_with("execute_tool"))
        .count() as u64;
    (spans.len() as u64, tools)
}

fn check_helm(path: &Path, want: Format, start_prefix: &str, unconfigured_key: &str) {
    let (format, counts, calls, errors) = read(path, &["kagent.user_id"]);
    assert_eq!(format, want, "detected");
    assert!(errors.is_empty(), "{errors:?}");
    let (spans, tools) = span_census(path);
    assert_eq!(tools, 1);
    assert_eq!(counts.read, spans, "every span read");
    assert_eq!(counts.actions, 1);
    assert_eq!(
        counts.skipped.get("not a tool call").copied(),
        Some(spans - 1),
        "{counts:?}"
    );
    assert_eq!(calls.len(), 1);
    let c = &calls[0];
    assert_eq!(c.tool, "helm_list_releases");
    assert_eq!(c.user.as_deref(), Some("admin@kagent.dev"));
    assert_eq!(c.agent.as_deref(), Some("helm_agent"));
    assert!(c
        .call_id
        .as_deref()
        .is_some_and(|id| id.starts_with("call_")));
    assert_eq!(c.outcome, RecordedOutcome::Executed);
    assert!(c.ts.starts_with(start_prefix), "{}", c.ts);
    assert!(c
        .location
        .path
        .as_deref()
        .is_some_and(|p| p.contains(".spans[")));
    // Without the configured attribute the user is still found: `user.id`
    // / `enduser.id` first, then the known keys (`kagent.user_id`), and
    // the key used is named.
    let (_, _, calls, _) = read(path, &[]);
    assert_eq!(calls[0].user.as_deref(), Some("admin@kagent.dev"));
    assert_eq!(calls[0].user_key.as_deref(), Some(unconfigured_key));
}

#[test]
fn the_jaeger_export_yields_the_helm_call() {
    let Some(dir) = samples() else { return };
    // startTime 1771237536879614 µs.
    check_helm(
        &dir.join("jaeger-kagent-helm.json"),
        Format::Jaeger,
        "2026-02-16T10:25:36.879614000Z",
        "kagent.user_id",
    );
}

#[test]
fn the_tempo_export_yields_the_helm_call_with_exact_nanoseconds() {
    let Some(dir) = samples() else { return };
    // startTimeUnixNano 1777555055632028200 (above 2^53: kept exactly).
    let path = dir.join("tempo-otlp-kagent-helm.json");
    // Its parent `generate_content` span carries `user.id`.
    check_helm(
        &path,
        Format::Tempo,
        "2026-04-30T13:17:35.632028200Z",
        "kagent.user_id",
    );
    let (_, _, calls, _) = read(&path, &["kagent.user_id"]);
    assert_eq!(calls[0].args, Some(serde_json::json!({})));
    assert_eq!(calls[0].tool_type.as_deref(), Some("ConnectionSafeMcpTool"));
}
