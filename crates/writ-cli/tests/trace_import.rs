//! `writ traces import` of other formats: Writ's decision logs (replayed
//! like the native trace they were recorded from) and OTLP / Tempo /
//! Jaeger span exports.

use crate::common::*;
use serde_json::{json, Value};

/// The first `n` actions of the sample trace, as native lines and as the
/// decision log an enforcement point would have written for them.
fn native_and_decision_log(n: usize) -> (String, String) {
    let text = std::fs::read_to_string(root().join("scenarios/traces/recorded.jsonl"))
        .expect("recorded trace");
    let mut native = String::new();
    let mut log = String::new();
    for (i, line) in text.lines().take(n).enumerate() {
        native.push_str(line);
        native.push('\n');
        let r: Value = serde_json::from_str(line).expect("record");
        let resource = match r.get("resource") {
            Some(res) => format!(
                "{}::\"{}\"",
                res["type"].as_str().expect("type"),
                res["id"].as_str().expect("id")
            ),
            None => String::new(),
        };
        let mut request = json!({
            "principal": r["agent"],
            "action": format!("Action::\"{}\"", r["action"].as_str().expect("action")),
            "resource": resource,
            "context": r["context"],
        });
        if let Some(u) = r.get("on_behalf_of") {
            request["on_behalf_of"] = u.clone();
        }
        let entry = json!({
            "decision_id": format!("{i:032x}"),
            "time": "2026-11-30T10:00:00Z",
            "request_time": r["ts"],
            "agent": r["agent"],
            "request": request,
            "decision": r.get("recorded_decision").cloned().unwrap_or(json!("deny")),
            "reasons": [],
            "errors": [],
            "latency_us": 17,
        });
        log.push_str(&entry.to_string());
        log.push('\n');
    }
    (native, log)
}

#[test]
fn a_decision_log_imports_as_its_records_and_replays_like_the_original() {
    let ws = SampleWorkspace::sample();
    let (native, log) = native_and_decision_log(40);
    std::fs::write(ws.path("first40.jsonl"), &native).expect("write");
    // One bad line in the middle: located, not imported.
    let mut lines: Vec<&str> = log.lines().collect();
    lines.insert(5, "{\"decision_id\": 7, \"request\": {}}");
    std::fs::write(ws.path("decisions.jsonl"), lines.join("\n") + "\n").expect("write");

    let out = ws.by(
        "alice",
        &["traces", "import", "decisions.jsonl", "--name", "dl"],
    );
    let (stdout, stderr) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("`dl`: 40 action(s), 1 malformed line(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("format decision-log: read 41 item(s), 40 action(s) extracted, 1 skipped"),
        "{stdout}"
    );
    assert!(
        stderr.contains("decisions.jsonl:6:"),
        "the bad line is located: {stderr}"
    );

    // The stored actions: agent, action, time = request_time.
    let shown = ok(ws.by("alice", &["traces", "show", "dl", "--limit", "100"]));
    let first: Value = serde_json::from_str(native.lines().next().expect("line")).expect("json");
    let first_ts = first["ts"].as_str().expect("ts");
    let first_agent = first["agent"].as_str().expect("agent");
    let first_action = first["action"].as_str().expect("action");
    let row = shown
        .lines()
        .find(|l| l.contains(first_ts))
        .unwrap_or_else(|| panic!("no row at {first_ts}: {shown}"));
    assert!(
        row.contains(first_agent) && row.contains(first_action),
        "{row}"
    );

    // Replayed, the decision log gives the same decisions as the trace it
    // was recorded from.
    ok(ws.by(
        "alice",
        &["traces", "import", "first40.jsonl", "--name", "orig"],
    ));
    let replay = |set: &str| -> Value {
        json(ws.by(
            "alice",
            &[
                "replay",
                "--version",
                &ws.v2[..8],
                "--traces",
                set,
                "--format",
                "json",
            ],
        ))
    };
    let (a, b) = (replay("dl"), replay("orig"));
    assert_eq!(a["summary"]["actions"], 40);
    assert_eq!(a["summary"]["decisions"], b["summary"]["decisions"]);
    assert_eq!(a["summary"]["by_tool"], b["summary"]["by_tool"]);
}

fn samples() -> Option<std::path::PathBuf> {
    let dir = root().join("../shared/samples/traces");
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

#[test]
fn real_jaeger_and_tempo_exports_import_the_helm_call_with_its_user() {
    let Some(dir) = samples() else { return };
    let ws = SampleWorkspace::sample();
    for (file, format) in [
        ("jaeger-kagent-helm.json", "jaeger"),
        ("tempo-otlp-kagent-helm.json", "tempo"),
    ] {
        let path = dir.join(file);
        let name = format;
        let out = ok(ws.by(
            "alice",
            &[
                "traces",
                "import",
                s(&path),
                "--name",
                name,
                "--user-attribute",
                "kagent.user_id",
            ],
        ));
        assert!(out.contains(": 1 action(s), 0 malformed"), "{out}");
        assert!(out.contains(&format!("format {format}: read ")), "{out}");
        assert!(out.contains("not a tool call"), "{out}");
        let shown = ok(ws.by("alice", &["traces", "show", name]));
        assert!(shown.contains("helm_list_releases"), "{shown}");
        assert!(shown.contains("helm_agent"), "{shown}");
    }
    // An undetectable file is refused, naming the formats.
    std::fs::write(ws.path("junk.txt"), "hello\n").expect("write");
    let (_, err) = fails(ws.by("alice", &["traces", "import", "junk.txt"]));
    assert!(
        err.contains("not recognised") && err.contains("jaeger"),
        "{err}"
    );
}

#[test]
fn an_import_of_nothing_fails_stores_nothing_and_allow_empty_keeps_it() {
    let ws = SampleWorkspace::sample();
    let before = ok(ws.by("alice", &["traces", "list"]));
    // A Claude Desktop log read as a JSON-RPC log: 3 of 3 malformed.
    let log = (1..=3)
        .map(|i| format!("2026-03-02T09:15:0{i}.000Z [github] [info] Message from client: {{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"tools/call\",\"params\":{{\"name\":\"t\"}}}}\n"))
        .collect::<String>();
    std::fs::write(ws.path("mcp.log"), &log).expect("write");
    let args = ["traces", "import", "mcp.log", "--format", "mcp-jsonrpc"];
    let (out, err) = fails(ws.by("alice", &args));
    assert!(err.contains("mcp.log: nothing to import"), "{err}");
    assert!(err.contains("3 of 3 item(s) malformed"), "{err}");
    assert!(err.contains("--format claude-mcp-log"), "{err}");
    assert!(err.contains("--allow-empty"), "{err}");
    assert!(!out.contains("imported"), "{out}");
    assert_eq!(ok(ws.by("alice", &["traces", "list"])), before);
    // Detected, the same file is read as what it is.
    let imported = ok(ws.by(
        "alice",
        &["traces", "import", "mcp.log", "--name", "claude"],
    ));
    assert!(
        imported.contains("`claude`: 3 action(s), 0 malformed"),
        "{imported}"
    );
    assert!(imported.contains("format claude-mcp-log"), "{imported}");
    // --allow-empty keeps an empty set, its bad lines with it.
    std::fs::write(ws.path("copy.log"), format!("{log}\n")).expect("write");
    let o = ws.by(
        "alice",
        &[
            "traces",
            "import",
            "copy.log",
            "--format",
            "mcp-jsonrpc",
            "--allow-empty",
        ],
    );
    let (kept, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "{kept}{err}");
    assert!(kept.contains(": 0 action(s), 3 malformed"), "{kept}");
    // Each bad item points to the document of the format it was read as.
    assert!(
        err.contains("the mcp-jsonrpc format is described in docs/trace-import.md"),
        "{err}"
    );
}
