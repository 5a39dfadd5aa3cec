//! The loop closed: serve bundle v1 with a decision log, send the sample
//! traces through the HTTP API, stop, import the log as a trace set,
//! replay it against v1 and v2 in the workspace, and get the decision
//! changes `writ diff` computes from the original traces.

use crate::common;
use crate::common::{json, ok, s};
use crate::pdp::*;
use serde_json::Value;

/// The changes of a diff as sorted (agent, tool, resource, from, to) rows.
fn changes(diff: &Value) -> Vec<(String, String, String, String, String)> {
    let mut rows: Vec<_> = decisions(diff)["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no changes list in the diff"))
        .iter()
        .map(|c| {
            (
                c["agent"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
                c["resource"].as_str().unwrap_or_default().to_string(),
                c["from"]["decision"].to_string(),
                c["to"]["decision"].to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The decision part of `writ diff --format json` (nested under
/// `decisions` when versions are compared, at the top for stored runs).
fn decisions(diff: &Value) -> &Value {
    diff.get("decisions").unwrap_or(diff)
}

#[test]
fn a_served_decision_log_replays_to_the_same_changes_as_the_original_traces() {
    let ws = approved_and_exported();
    let server = serve_b1(
        ws.dir.path(),
        &["--trust-request-time", "--decision-log", "decisions.jsonl"],
    );
    let requests: Vec<Value> = records().iter().map(asserted_request_for).collect();
    let answers = decide_all(&client(), &server.base, &requests, 500);
    assert!(answers.iter().all(|a| a.get("denied_because").is_none()));
    let (code, err) = server.terminate();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read_to_string(ws.path("decisions.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2400
    );

    // Import the log as a trace set; replay it with v1 and v2.
    ok(ws.by(
        "alice",
        &["traces", "import", "decisions.jsonl", "--name", "served"],
    ));
    let run = |v: &str| -> i64 {
        ok(ws.by("alice", &["replay", "--version", v, "--traces", "served"]));
        let list = ok(ws.by("alice", &["runs", "list"]));
        list.lines()
            .filter_map(|l| l.split_whitespace().next()?.parse::<i64>().ok())
            .max()
            .expect("a stored run")
    };
    let a = run(&ws.v1);
    let b = run(&ws.v2);
    let served = json(ws.by(
        "alice",
        &[
            "diff",
            "--runs",
            &a.to_string(),
            &b.to_string(),
            "--format",
            "json",
        ],
    ));
    // The same diff from the original traces.
    let trace = common::root().join("scenarios/traces/recorded.jsonl");
    let original = json(ws.by(
        "alice",
        &[
            "diff",
            "--from",
            &format!("@{}", ws.v1),
            "--to",
            &format!("@{}", ws.v2),
            "--traces",
            s(&trace),
            "--format",
            "json",
        ],
    ));
    let o = changes(&original);
    assert!(o.len() > 100, "v2 changes many decisions: {}", o.len());
    assert_eq!(changes(&served), o);
    for key in ["counts", "by_agent", "by_tool"] {
        assert_eq!(decisions(&served)[key], decisions(&original)[key], "{key}");
    }
}
