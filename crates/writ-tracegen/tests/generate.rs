//! End-to-end tests of the generator against the committed traffic model.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::Value;
use writ_tracegen::{load_model, write_trace, Generator, TracegenError, TrafficModel, Variant};

fn model() -> TrafficModel {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/traces/traffic-model.toml");
    load_model(&path).expect("committed traffic model loads")
}

fn bytes(seed: u64, variant: Variant, count: usize) -> Vec<u8> {
    let mut out = Vec::new();
    write_trace(&model(), seed, variant, count, &mut out).expect("writing to a Vec succeeds");
    out
}

/// (agent, action, resource) of a parsed line.
fn triple(v: &Value) -> (String, String, String) {
    (
        v["agent"].to_string(),
        v["action"].to_string(),
        v.get("resource").map(Value::to_string).unwrap_or_default(),
    )
}

#[test]
fn same_seed_same_bytes() {
    assert_eq!(
        bytes(42, Variant::Realistic, 3000),
        bytes(42, Variant::Realistic, 3000)
    );
    assert_eq!(
        bytes(7, Variant::Unique, 3000),
        bytes(7, Variant::Unique, 3000)
    );
}

#[test]
fn different_seeds_differ() {
    assert_ne!(
        bytes(1, Variant::Realistic, 500),
        bytes(2, Variant::Realistic, 500)
    );
}

#[test]
fn every_line_is_a_complete_record() {
    let out = String::from_utf8(bytes(42, Variant::Realistic, 5000)).expect("utf-8");
    let mut last_ts = String::new();
    let mut lines = 0;
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).expect("line is JSON");
        for field in ["ts", "trace_id", "span_id", "agent", "action", "outcome"] {
            assert!(v[field].is_string(), "missing {field} in {line}");
        }
        let ctx = &v["context"];
        for field in ["intent", "environment", "credential_kind"] {
            assert!(ctx[field].is_string(), "missing context.{field} in {line}");
        }
        for field in ["risk_score", "credential_ttl_secs"] {
            assert!(ctx[field].is_i64(), "missing context.{field} in {line}");
        }
        assert!(ctx.get("now").is_none(), "the engine fills `now`");
        if let Some(r) = v.get("resource") {
            assert!(r["type"].is_string() && r["id"].is_string());
        }
        let ts = v["ts"].as_str().unwrap_or_default().to_string();
        assert!(ts >= last_ts, "timestamps never go back");
        last_ts = ts;
        lines += 1;
    }
    assert_eq!(lines, 5000);
    assert!(
        last_ts.as_str() > "2026-11-05",
        "the trace spans several days"
    );
}

#[test]
fn unique_variant_never_repeats() {
    let mut seen = HashSet::new();
    for line in Generator::new(&model(), 42, Variant::Unique).take(50_000) {
        let v: Value = serde_json::from_str(&line).expect("line is JSON");
        assert!(seen.insert(triple(&v)), "repeated request: {line}");
    }
}

#[test]
fn realistic_variant_repeats_a_lot() {
    let mut seen = HashSet::new();
    let n = 20_000;
    for line in Generator::new(&model(), 42, Variant::Realistic).take(n) {
        let v: Value = serde_json::from_str(&line).expect("line is JSON");
        let mut key = triple(&v);
        key.2.push_str(&v["context"].to_string());
        seen.insert(key);
    }
    assert!(seen.len() * 3 < n, "only {} distinct of {n}", seen.len());
}

#[test]
fn unusual_events_occur() {
    let out = String::from_utf8(bytes(42, Variant::Realistic, 5000)).expect("utf-8");
    assert!(
        out.contains("report-scraper")
            || out.contains("temp-agent-7")
            || out.contains("contractor.example")
    );
    assert!(out.contains("\"recorded_decision\":\"deny\""));
    assert!(out.contains("\"human_approval\""));
    assert!(out.contains("\"elevation\""));
    assert!(out.contains("T22:") || out.contains("T23:") || out.contains("T02:"));
}

#[test]
fn bad_models_are_typed_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("m.toml");
    assert!(matches!(
        load_model(&path),
        Err(TracegenError::ReadModel { .. })
    ));
    std::fs::write(&path, "start = 1\nbogus = true\n").expect("write");
    assert!(matches!(
        load_model(&path),
        Err(TracegenError::ParseModel { .. })
    ));
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/traces/traffic-model.toml"),
    )
    .expect("model text");
    std::fs::write(
        &path,
        text.replace("night_activity = 0.3", "night_activity = 0.0"),
    )
    .expect("write");
    assert!(matches!(
        load_model(&path),
        Err(TracegenError::InvalidModel(_))
    ));
}
