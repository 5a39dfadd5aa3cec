//! Importing other formats into a workspace: decision logs become their
//! native records and replay like the trace they were recorded from; span
//! exports are mapped, counted, and their bad spans kept with the set.

use crate::common;

use serde_json::{json, Value};
use std::sync::atomic::AtomicBool;
use writ_core::ingest::{Format, ReadOptions};
use writ_store::traces::{ActionFilter, ImportOptions};
use writ_store::Workspace;

/// The first `n` recorded actions, as native lines and as a decision log.
fn native_and_decision_log(n: usize) -> (String, String) {
    let text = std::fs::read_to_string(common::recorded()).expect("recorded trace");
    let mut native = String::new();
    let mut log = String::new();
    for (i, line) in text.lines().take(n).enumerate() {
        native.push_str(line);
        native.push('\n');
        let r: Value = serde_json::from_str(line).expect("record");
        let resource = r.get("resource").map_or(String::new(), |res| {
            format!(
                "{}::\"{}\"",
                res["type"].as_str().expect("type"),
                res["id"].as_str().expect("id")
            )
        });
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

fn import(
    ws: &mut Workspace,
    text: &str,
    name: &str,
    opts: &ImportOptions,
) -> writ_store::traces::ImportReport {
    let never = AtomicBool::new(false);
    ws.import_trace_reader_opts(
        text.as_bytes(),
        &writ_base::sha256_hex(text.as_bytes()),
        name,
        name,
        "tester",
        Some(text.len() as u64),
        opts,
        &|_| {},
        &never,
    )
    .expect("import")
}

#[test]
fn a_decision_log_imports_as_native_records_and_replays_like_the_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.writ");
    let sample = writ_store::sample::create_sample(&path, "tester").expect("sample");
    let mut ws = Workspace::open(&path).expect("open");
    let (native, log) = native_and_decision_log(60);
    let mut lines: Vec<&str> = log.lines().collect();
    lines.insert(3, "{\"decision_id\": \"x\", \"request\": {\"action\": 5}}");
    let log = lines.join("\n") + "\n";

    let report = import(&mut ws, &log, "dl", &ImportOptions::default());
    assert_eq!(report.format, Format::DecisionLog);
    assert_eq!(report.set.actions, 60);
    assert_eq!(report.counts.read, 61);
    assert_eq!(report.counts.actions, 60);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].line, 4);
    assert!(report.errors[0].column > 1, "{:?}", report.errors[0]);
    assert_eq!(
        ws.trace_set_errors(report.set.id).expect("errors"),
        report.errors
    );

    // Each stored action is the entry's native record: agent, action, time
    // = request_time, the decision recorded, at the entry's line.
    let stored = ws
        .list_actions(report.set.id, &ActionFilter::default(), 0, 100)
        .expect("actions");
    assert_eq!(stored.len(), 60);
    for (a, native_line) in stored.iter().zip(native.lines()) {
        let orig: Value = serde_json::from_str(native_line).expect("json");
        let rec: Value = serde_json::from_str(&a.record).expect("record is JSON");
        writ_core::trace::parse_record(1, &a.record).expect("a native record");
        assert_eq!(a.ts, orig["ts"].as_str().expect("ts"));
        assert_eq!(a.agent, orig["agent"].as_str().expect("agent"));
        assert_eq!(a.action, orig["action"].as_str().expect("action"));
        assert_eq!(rec["resource"], orig["resource"]);
        assert_eq!(rec["context"], orig["context"]);
        assert_eq!(rec["on_behalf_of"], orig["on_behalf_of"]);
        assert_eq!(
            rec["recorded_decision"],
            orig.get("recorded_decision")
                .cloned()
                .unwrap_or(json!("deny"))
        );
    }
    assert_eq!(stored[2].line, 3);
    assert_eq!(stored[3].line, 5, "the bad line 4 is skipped, lines kept");

    // Replayed against v2: the same decisions as the native trace.
    let orig = import(&mut ws, &native, "orig", &ImportOptions::default());
    assert_eq!(orig.format, Format::Native);
    let v2 = &sample.versions[1];
    let a = ws
        .store_run(v2, "dl", "tester", &|_| {})
        .expect("replay dl");
    let b = ws
        .store_run(v2, "orig", "tester", &|_| {})
        .expect("replay orig");
    assert_eq!(a.summary.actions, 60);
    assert_eq!(a.summary.decisions, b.summary.decisions);
    assert_eq!(a.summary.by_tool, b.summary.by_tool);
}

#[test]
fn spans_are_mapped_counted_and_bad_spans_kept_with_their_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ws, _) = common::new_workspace(dir.path());
    let attrs = |pairs: &[(&str, &str)]| -> Value {
        pairs
            .iter()
            .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
            .collect()
    };
    let span = |id: &str, name: &str, extra: Value| {
        let mut a = attrs(&[
            ("gen_ai.operation.name", "execute_tool"),
            ("gen_ai.tool.name", name),
            ("kagent.user_id", "u1"),
        ]);
        a.as_array_mut()
            .expect("array")
            .extend(extra.as_array().cloned().unwrap_or_default());
        json!({"traceId": "t", "spanId": id, "name": format!("execute_tool {name}"),
               "startTimeUnixNano": "1777555055632028200", "attributes": a})
    };
    let doc = json!({"resourceSpans": [{
        "resource": {"attributes": attrs(&[("service.name", "helper-agent")])},
        "scopeSpans": [{"spans": [
            span("01", "read_ticket", json!([])),
            {"traceId": "t", "spanId": "02", "name": "chat", "startTimeUnixNano": "1"},
            span("03", "close_ticket", json!([{"key": "n", "value": {"intValue": [1]}}])),
            span("04", "close_ticket", json!([])),
        ]}]
    }]});
    let text = serde_json::to_string_pretty(&doc).expect("json");
    let opts = ImportOptions {
        read: ReadOptions {
            user_attributes: vec!["kagent.user_id".into()],
        },
        ..Default::default()
    };
    let report = import(&mut ws, &text, "otlp", &opts);
    assert_eq!(report.format, Format::Otlp);
    assert_eq!(report.counts.read, 4);
    assert_eq!(report.counts.actions, 2);
    assert_eq!(report.counts.skipped.get("not a tool call"), Some(&1));
    assert_eq!(report.counts.skipped.get("malformed span"), Some(&1));
    assert_eq!(report.set.actions, 2);
    assert_eq!(report.errors.len(), 1);
    let e = &report.errors[0];
    assert!(
        e.message
            .starts_with("$.resourceSpans[0].scopeSpans[0].spans[2]: "),
        "{e:?}"
    );
    let line_of_span = text
        .lines()
        .position(|l| l.contains("\"03\""))
        .expect("span 03")
        + 1;
    assert!(
        e.line <= line_of_span && e.line + 3 >= line_of_span,
        "{e:?} vs {line_of_span}"
    );
    let stored = ws
        .list_actions(report.set.id, &ActionFilter::default(), 0, 10)
        .expect("actions");
    let rows: Vec<(i64, &str, &str)> = stored
        .iter()
        .map(|a| (a.line, a.agent.as_str(), a.action.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (1, "helper-agent", "read_ticket"),
            (4, "helper-agent", "close_ticket")
        ]
    );
    let rec: Value = serde_json::from_str(&stored[0].record).expect("json");
    assert_eq!(rec["on_behalf_of"], "u1");
    assert_eq!(rec["ts"], "2026-04-30T13:17:35.632028200Z");
    assert_eq!(stored[0].ts, "2026-04-30T13:17:35.632028200Z");

    // A file that is no known format is refused, and nothing is stored.
    let never = AtomicBool::new(false);
    let err = ws
        .import_trace_reader_opts(
            &b"hello\n"[..],
            "x",
            "junk.txt",
            "junk",
            "tester",
            None,
            &ImportOptions::default(),
            &|_| {},
            &never,
        )
        .expect_err("undetectable");
    assert!(err.to_string().contains("not recognised"), "{err}");
    assert_eq!(ws.list_trace_sets().expect("sets").len(), 1);
}

#[test]
fn a_span_file_without_tool_calls_reports_progress_in_bytes_and_can_be_cancelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ws, _) = common::new_workspace(dir.path());
    // About 3 MiB of spans, none a tool call: no item is yielded, so only
    // the byte-driven reports can show progress or stop the import.
    let spans: Vec<Value> = (0..12_000)
        .map(|i| {
            json!({"traceId": "t", "spanId": format!("{i:016x}"), "name": "GET /api/tasks",
                   "startTimeUnixNano": "1777555055632028200",
                   "attributes": [{"key": "http.url", "value": {"stringValue": "http://kagent-controller.kagent:8083/api/tasks/60494115"}}]})
        })
        .collect();
    let text = serde_json::to_string_pretty(
        &json!({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}),
    )
    .expect("json");
    assert!(text.len() > 2 << 20);
    let sha = writ_base::sha256_hex(text.as_bytes());
    let cancel = AtomicBool::new(false);
    let reports = std::cell::RefCell::new(Vec::new());
    let err = ws
        .import_trace_reader_opts(
            text.as_bytes(),
            &sha,
            "spans.json",
            "spans",
            "tester",
            Some(text.len() as u64),
            &ImportOptions::default(),
            &|p| {
                reports.borrow_mut().push(p.bytes);
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            },
            &cancel,
        )
        .expect_err("cancelled");
    assert!(matches!(err, writ_store::StoreError::Cancelled(_)), "{err}");
    assert_eq!(reports.borrow().len(), 1, "stopped at the first report");
    assert!(ws.list_trace_sets().expect("sets").is_empty());

    let never = AtomicBool::new(false);
    let reports = std::cell::RefCell::new(Vec::new());
    let report = ws
        .import_trace_reader_opts(
            text.as_bytes(),
            &sha,
            "spans.json",
            "spans",
            "tester",
            Some(text.len() as u64),
            &ImportOptions {
                allow_empty: true,
                ..Default::default()
            },
            &|p| reports.borrow_mut().push(p.bytes),
            &never,
        )
        .expect("imports");
    let reports = reports.into_inner();
    assert!(reports.len() >= 3, "{reports:?}");
    assert!(reports.windows(2).all(|w| w[0] <= w[1]), "{reports:?}");
    assert_eq!(reports.last().copied(), Some(text.len() as u64));
    assert_eq!(report.set.actions, 0);
    assert_eq!(report.counts.read, 12_000);
    assert_eq!(report.counts.skipped.get("not a tool call"), Some(&12_000));
}

/// Imports `text` read as `format`, expecting a refusal; returns its text.
fn refused(ws: &mut Workspace, text: &str, format: Option<Format>) -> String {
    let never = AtomicBool::new(false);
    let opts = ImportOptions {
        format,
        ..Default::default()
    };
    let err = ws
        .import_trace_reader_opts(
            text.as_bytes(),
            &writ_base::sha256_hex(text.as_bytes()),
            "input",
            "input",
            "tester",
            None,
            &opts,
            &|_| {},
            &never,
        )
        .expect_err("refused");
    assert!(
        matches!(err, writ_store::StoreError::NothingToImport { .. }),
        "{err}"
    );
    err.to_string()
}

#[test]
fn an_import_that_reads_nothing_is_refused_stores_nothing_and_says_what_the_file_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ws, _) = common::new_workspace(dir.path());
    let audit_before = ws.audit_events().expect("audit").len();
    // A Claude Desktop MCP log read as a JSON-RPC log: every line prefixed.
    let claude = (1..=9)
        .map(|i| format!("2025-06-01T10:00:0{i}.000Z [github] [info] Message from client: {{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"tools/call\",\"params\":{{\"name\":\"t\"}}}}\n"))
        .collect::<String>();
    let said = refused(&mut ws, &claude, Some(Format::McpJsonRpc));
    assert!(said.contains("9 of 9 item(s) malformed"), "{said}");
    assert!(said.contains("--format claude-mcp-log"), "{said}");
    assert!(said.contains("line 1, column 1"), "{said}");
    // A pretty-printed document read as JSON Lines.
    let pretty = serde_json::to_string_pretty(&json!([{"ts": "2026-01-01T00:00:00Z", "agent": "a", "action": "b", "outcome": "executed"}]))
        .expect("json");
    let said = refused(&mut ws, &pretty, Some(Format::Native));
    assert!(said.contains("malformed"), "{said}");
    assert!(said.contains("JSON array spread over many lines"), "{said}");
    // Spans read fine, none a tool call: no shape, the skip reasons.
    let spans = json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "t", "spanId": "01", "name": "chat", "startTimeUnixNano": "1"}
    ]}]}]})
    .to_string();
    let said = refused(&mut ws, &spans, None);
    assert!(
        said.contains("1 item(s), none of them an action to store (1 not a tool call)"),
        "{said}"
    );
    assert!(!said.contains("looks"), "{said}");
    // An empty file.
    let said = refused(&mut ws, "\n\n", Some(Format::Native));
    assert!(
        said.contains("the file holds no items") && said.contains("empty"),
        "{said}"
    );
    // Nothing stored, nothing audited; with allow_empty the set is kept.
    assert!(ws.list_trace_sets().expect("sets").is_empty());
    assert_eq!(ws.audit_events().expect("audit").len(), audit_before);
    let kept = import(
        &mut ws,
        &claude,
        "claude",
        &ImportOptions {
            format: Some(Format::McpJsonRpc),
            allow_empty: true,
            ..Default::default()
        },
    );
    assert_eq!((kept.set.actions, kept.set.bad_lines), (0, 9));
}

#[test]
fn a_set_is_mapped_again_from_its_kept_calls_and_removed_only_when_unused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.writ");
    let sample = writ_store::sample::create_sample(&path, "tester").expect("sample");
    let mut ws = Workspace::open(&path).expect("open");
    let kv = |k: &str, v: &str| json!({"key": k, "value": {"stringValue": v}});
    let span = |id: &str, tool: &str, user: &str| {
        json!({"traceId": "t", "spanId": id, "name": format!("execute_tool {tool}"),
               "startTimeUnixNano": "1777555055632028200",
               "attributes": [kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", tool),
                              kv("team.member", user), kv("gen_ai.tool.call.arguments", "{\"repo\":\"web\"}")]})
    };
    let doc = json!({"resourceSpans": [{
        "resource": {"attributes": [kv("service.name", "helper-agent")]},
        "scopeSpans": [{"spans": [span("01", "read_ticket", "u1"), span("02", "close_ticket", "u2")]}]
    }]})
    .to_string();
    let first = import(&mut ws, &doc, "spans", &ImportOptions::default());
    assert_eq!(first.set.actions, 2);
    assert_eq!(first.calls_kept.calls, 2);
    assert!(first.calls_kept.bytes > 100, "{:?}", first.calls_kept);
    assert_eq!(ws.calls_kept("spans").expect("kept"), first.calls_kept);
    let stored = |ws: &Workspace, set: i64| -> Vec<Value> {
        ws.list_actions(set, &ActionFilter::default(), 0, 10)
            .expect("actions")
            .iter()
            .map(|a| serde_json::from_str(&a.record).expect("json"))
            .collect()
    };
    assert_eq!(stored(&ws, first.set.id)[0]["action"], "read_ticket");

    // Mapped again with the toolhive profile and a user attribute.
    let profile = writ_core::ingest::profile::Profile::builtin("toolhive").expect("builtin");
    let opts = writ_store::traces::RemapOptions {
        mapping: std::sync::Arc::new(profile),
        user_attributes: vec!["team.member".into()],
    };
    let audit_before = ws.audit_events().expect("audit").len();
    let again = ws
        .remap_trace_set("spans", None, "tester", &opts)
        .expect("remap");
    assert_eq!(again.set.name, "spans-toolhive");
    assert_eq!((again.set.actions, again.set.bad_lines), (2, 0));
    assert_eq!(again.format, Format::Otlp);
    let records = stored(&ws, again.set.id);
    assert_eq!(records[0]["action"], "Action::\"call_tool\"");
    assert_eq!(records[0]["agent"], "Client::\"u1\"");
    assert_eq!(records[1]["agent"], "Client::\"u2\"");
    assert_eq!(records[0]["context"]["arg_repo"], "web");
    assert_eq!(ws.audit_events().expect("audit").len(), audit_before + 1);
    // The same calls mapped the same way again: refused, naming the set.
    let err = ws
        .remap_trace_set("spans", Some("dup"), "tester", &opts)
        .expect_err("duplicate");
    assert!(err.to_string().contains("spans-toolhive"), "{err}");
    // A re-mapped set maps the original calls (stored once).
    assert_eq!(
        ws.calls_kept("spans-toolhive").expect("kept"),
        first.calls_kept
    );

    // A set of native records kept no calls.
    let native = std::fs::read_to_string(common::recorded()).expect("trace");
    let native: String = native.lines().take(3).map(|l| format!("{l}\n")).collect();
    import(&mut ws, &native, "native", &ImportOptions::default());
    let err = ws
        .remap_trace_set("native", None, "tester", &opts)
        .expect_err("no calls");
    assert!(
        err.to_string().contains("kept no recorded tool calls"),
        "{err}"
    );

    // Removing: refused while the re-mapped set or a run refers to it.
    let err = ws.remove_trace_set("spans", "tester").expect_err("in use");
    assert!(
        err.to_string().contains("trace set `spans-toolhive`"),
        "{err}"
    );
    ws.store_run(&sample.versions[1], "native", "tester", &|_| {})
        .expect("run");
    let err = ws.remove_trace_set("native", "tester").expect_err("in use");
    assert!(err.to_string().contains("run "), "{err}");
    assert!(
        err.to_string()
            .contains("review evidence is never destroyed"),
        "{err}"
    );
    ws.remove_trace_set("spans-toolhive", "tester")
        .expect("removed");
    ws.remove_trace_set("spans", "tester").expect("removed");
    let names: Vec<String> = ws
        .list_trace_sets()
        .expect("sets")
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(names.contains(&"native".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("spans")), "{names:?}");
    let kinds: Vec<String> = ws
        .audit_events()
        .expect("audit")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "traces.remove").count(), 2);
    // Its calls went with it: the same file imports again.
    let back = import(&mut ws, &doc, "spans", &ImportOptions::default());
    assert_eq!(back.calls_kept.calls, 2);
}
