//! Hand-made span files through the ingest pipeline: every argument key,
//! agents and users found on ancestors or the resource, duplicated MCP
//! spans, merged parents, truncated files, wrong types, big nanosecond
//! values, JSON Lines against one document, and detection.

use serde_json::{json, Value};
use writ_core::ingest::{
    read_items, Format, IngestCounts, IngestError, Item, ReadOptions, ToolCall,
};
use writ_core::trace::RecordedOutcome;

struct Read {
    format: Format,
    counts: IngestCounts,
    calls: Vec<(u64, ToolCall)>,
    errors: Vec<(u64, String)>,
}

fn read_as(text: &str, format: Option<Format>, user: &[&str]) -> Read {
    let opts = ReadOptions {
        user_attributes: user.iter().map(|s| s.to_string()).collect(),
    };
    let mut calls = Vec::new();
    let mut errors = Vec::new();
    let (format, counts) = read_items(text.as_bytes(), format, &opts, &mut |out| {
        match out.item {
            Ok(Item::Call(c)) => calls.push((out.key, *c)),
            Ok(Item::Record(r)) => panic!("unexpected record {r:?}"),
            Err(e) => errors.push((out.key, e.to_string())),
        }
        Ok(())
    })
    .expect("reads");
    Read {
        format,
        counts,
        calls,
        errors,
    }
}

fn read(text: &str) -> Read {
    read_as(text, None, &[])
}

fn attr(key: &str, v: Value) -> Value {
    let value = match v {
        Value::String(s) => json!({ "stringValue": s }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::Number(n) => json!({ "intValue": n.to_string() }),
        other => other,
    };
    json!({ "key": key, "value": value })
}

/// An OTLP span: `attrs` as (key, plain JSON value) pairs.
fn span(id: &str, parent: &str, name: &str, attrs: &[(&str, Value)]) -> Value {
    json!({
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": id,
        "parentSpanId": parent,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": "1777555055632028200",
        "endTimeUnixNano": "1777555055642028200",
        "attributes": attrs.iter().map(|(k, v)| attr(k, v.clone())).collect::<Vec<_>>(),
        "status": {}
    })
}

fn tool(id: &str, parent: &str, name: &str, extra: &[(&str, Value)]) -> Value {
    let mut attrs = vec![
        ("gen_ai.operation.name", json!("execute_tool")),
        ("gen_ai.tool.name", json!(name)),
    ];
    attrs.extend(extra.iter().cloned());
    span(id, parent, &format!("execute_tool {name}"), &attrs)
}

fn doc(resource: &[(&str, Value)], spans: Vec<Value>) -> Value {
    json!({
        "resourceSpans": [{
            "resource": { "attributes": resource.iter().map(|(k, v)| attr(k, v.clone())).collect::<Vec<_>>() },
            "scopeSpans": [{ "scope": { "name": "test" }, "spans": spans }]
        }]
    })
}

#[test]
fn every_argument_key_is_read_and_json_strings_are_parsed() {
    let keys = [
        "gen_ai.tool.call.arguments",
        "gcp.vertex.agent.tool_call_args",
        "input.value",
        "tool_arguments",
    ];
    let mut spans: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            tool(
                &format!("{i:016x}"),
                "",
                "query",
                &[(k, json!(format!("{{\"n\":{i}}}")))],
            )
        })
        .collect();
    spans.push(tool(
        "00000000000000aa",
        "",
        "echo",
        &[("input.value", json!("plain text"))],
    ));
    spans.push(tool(
        "00000000000000bb",
        "",
        "nested",
        &[(
            "gen_ai.tool.call.arguments",
            json!({"kvlistValue": {"values": [{"key": "a", "value": {"intValue": "5"}}]}}),
        )],
    ));
    let r = read(&doc(&[("service.name", json!("svc"))], spans).to_string());
    assert_eq!(r.format, Format::Otlp);
    assert_eq!(r.calls.len(), 6, "{:?}", r.errors);
    for (i, (_, c)) in r.calls.iter().take(4).enumerate() {
        assert_eq!(c.args, Some(json!({ "n": i })), "key {}", keys[i]);
    }
    assert_eq!(r.calls[4].1.args, Some(json!("plain text")));
    assert_eq!(r.calls[5].1.args, Some(json!({"a": 5})));
    assert_eq!(r.calls[0].1.ts, "2026-04-30T13:17:35.632028200Z");
}

#[test]
fn the_agent_comes_from_the_span_then_invoke_agent_ancestors_then_the_resource() {
    // root invoke_agent (outer) > invoke_agent (inner) > chat > tool: the
    // nearest invoke_agent wins; the user is on the outer agent span. The
    // spans come children first, as exporters write them.
    let spans = vec![
        tool("0000000000000004", "0000000000000003", "deep", &[]),
        span(
            "0000000000000003",
            "0000000000000002",
            "chat gpt",
            &[("gen_ai.operation.name", json!("chat"))],
        ),
        span(
            "0000000000000002",
            "0000000000000001",
            "invoke_agent inner",
            &[
                ("gen_ai.operation.name", json!("invoke_agent")),
                ("gen_ai.agent.name", json!("inner-agent")),
            ],
        ),
        span(
            "0000000000000001",
            "",
            "invoke_agent outer",
            &[
                ("gen_ai.operation.name", json!("invoke_agent")),
                ("gen_ai.agent.id", json!("outer-agent")),
                ("enduser.id", json!("alice")),
            ],
        ),
        // On the span itself.
        tool(
            "0000000000000005",
            "0000000000000002",
            "own",
            &[
                ("gen_ai.agent.id", json!("self-agent")),
                ("user.id", json!("bob")),
            ],
        ),
        // No agent anywhere but the resource.
        tool("0000000000000006", "", "orphan", &[]),
    ];
    let r = read(&doc(&[("service.name", json!("the-service"))], spans.clone()).to_string());
    let by_tool = |t: &str| {
        r.calls
            .iter()
            .map(|(_, c)| c)
            .find(|c| c.tool == t)
            .expect(t)
    };
    assert_eq!(by_tool("deep").agent.as_deref(), Some("inner-agent"));
    assert_eq!(by_tool("deep").user.as_deref(), Some("alice"));
    assert_eq!(by_tool("own").agent.as_deref(), Some("self-agent"));
    assert_eq!(by_tool("own").user.as_deref(), Some("bob"));
    assert_eq!(by_tool("orphan").agent.as_deref(), Some("the-service"));
    assert_eq!(by_tool("orphan").user, None);
    assert_eq!(r.counts.read, 6);
    assert_eq!(r.counts.actions, 3);
    assert_eq!(r.counts.skipped.get("not a tool call"), Some(&3));
    // gen_ai.agent.id on the resource beats service.name.
    let r = read(
        &doc(
            &[
                ("service.name", json!("svc")),
                ("gen_ai.agent.id", json!("res-agent")),
                ("enduser.id", json!("carol")),
            ],
            vec![spans[5].clone()],
        )
        .to_string(),
    );
    assert_eq!(r.calls[0].1.agent.as_deref(), Some("res-agent"));
    assert_eq!(r.calls[0].1.user.as_deref(), Some("carol"));
    // Missing agent: no agent at all.
    let r = read(&doc(&[], vec![spans[5].clone()]).to_string());
    assert_eq!(r.calls[0].1.agent, None);
    // A configured user attribute.
    let r = read_as(
        &doc(
            &[],
            vec![tool(
                "0000000000000007",
                "",
                "t",
                &[("kagent.user_id", json!("dana"))],
            )],
        )
        .to_string(),
        None,
        &["kagent.user_id"],
    );
    assert_eq!(r.calls[0].1.user.as_deref(), Some("dana"));
}

#[test]
fn mcp_client_and_server_spans_and_merged_parents_count_once() {
    let mcp = |id: &str, parent: &str, kind: &str| {
        span(
            id,
            parent,
            "tools/call get_weather",
            &[
                ("mcp.method.name", json!("tools/call")),
                ("gen_ai.tool.name", json!("get_weather")),
                ("jsonrpc.request.id", json!("42")),
                ("mcp.kind", json!(kind)),
            ],
        )
    };
    let spans = vec![
        // The server span (child of the client span), then the client span
        // (child of the agent's execute_tool span), then that span.
        mcp("00000000000000c3", "00000000000000c2", "server"),
        mcp("00000000000000c2", "00000000000000c1", "client"),
        tool(
            "00000000000000c1",
            "",
            "get_weather",
            &[("gen_ai.tool.call.id", json!("call_1"))],
        ),
        // A bare MCP client/server pair with no execute_tool span and no
        // parent link between them: paired by the JSON-RPC id.
        span(
            "00000000000000d1",
            "",
            "tools/call list_files",
            &[
                ("mcp.method.name", json!("tools/call")),
                ("jsonrpc.request.id", json!("7")),
            ],
        ),
        span(
            "00000000000000d2",
            "",
            "tools/call list_files",
            &[
                ("mcp.method.name", json!("tools/call")),
                ("jsonrpc.request.id", json!("7")),
            ],
        ),
        // Two parallel tool calls and the synthetic merged parent that
        // repeats the first call id.
        tool(
            "00000000000000e1",
            "00000000000000e0",
            "a",
            &[("gen_ai.tool.call.id", json!("call_a"))],
        ),
        tool(
            "00000000000000e2",
            "00000000000000e0",
            "b",
            &[("gen_ai.tool.call.id", json!("call_b"))],
        ),
        tool(
            "00000000000000e0",
            "",
            "(merged tools)",
            &[("gen_ai.tool.call.id", json!("call_a"))],
        ),
    ];
    let r = read(&doc(&[], spans).to_string());
    let tools: Vec<&str> = r.calls.iter().map(|(_, c)| c.tool.as_str()).collect();
    assert_eq!(
        tools,
        ["get_weather", "list_files", "a", "b"],
        "{:?}",
        r.counts
    );
    assert_eq!(r.counts.read, 8);
    assert_eq!(r.counts.actions, 4);
    assert_eq!(r.counts.skipped.get("duplicate MCP span"), Some(&3));
    assert_eq!(r.counts.skipped.get("duplicate tool call"), Some(&1));
    // Keys are the spans' reading order.
    let keys: Vec<u64> = r.calls.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, [3, 4, 6, 7]);
}

#[test]
fn failed_calls_are_marked_failed() {
    let mut bad_status = tool("0000000000000001", "", "x", &[]);
    bad_status["status"] = json!({"code": 2, "message": "boom"});
    let mut tempo_status = tool("0000000000000002", "", "y", &[]);
    tempo_status["status"] = json!({"code": "STATUS_CODE_ERROR"});
    let error_type = tool(
        "0000000000000003",
        "",
        "z",
        &[("error.type", json!("timeout"))],
    );
    let ok = tool("0000000000000004", "", "w", &[]);
    let r = read(&doc(&[], vec![bad_status, tempo_status, error_type, ok]).to_string());
    let outcomes: Vec<RecordedOutcome> = r.calls.iter().map(|(_, c)| c.outcome).collect();
    assert_eq!(
        outcomes,
        [
            RecordedOutcome::Failed,
            RecordedOutcome::Failed,
            RecordedOutcome::Failed,
            RecordedOutcome::Executed
        ]
    );
}

#[test]
fn wrong_types_are_located_and_the_rest_is_read() {
    let mut wrong = tool("0000000000000001", "", "x", &[]);
    wrong["attributes"]
        .as_array_mut()
        .expect("attrs")
        .push(json!({"key": "retries", "value": {"intValue": true}}));
    let mut float_time = tool("0000000000000002", "", "y", &[]);
    float_time["startTimeUnixNano"] = json!(1.5e18);
    let good = tool("0000000000000003", "", "z", &[]);
    let r = read(&doc(&[], vec![wrong, float_time, good]).to_string());
    assert_eq!(r.calls.len(), 1);
    assert_eq!(r.calls[0].1.tool, "z");
    assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
    let (k0, e0) = &r.errors[0];
    assert_eq!(*k0, 1);
    assert!(
        e0.contains("$.resourceSpans[0].scopeSpans[0].spans[0]"),
        "{e0}"
    );
    assert!(
        e0.contains("attribute `retries`") && e0.contains("boolean"),
        "{e0}"
    );
    assert!(
        r.errors[1].1.contains("floating-point"),
        "{}",
        r.errors[1].1
    );
    assert_eq!(r.counts.skipped.get("malformed span"), Some(&2));

    // Jaeger: a tag whose value does not match its declared type.
    let jaeger = json!({"data": [{"traceID": "t1", "spans": [
        {"traceID": "t1", "spanID": "s1", "operationName": "execute_tool a", "references": [], "startTime": 1771237536879614u64,
         "tags": [{"key": "gen_ai.operation.name", "type": "string", "value": "execute_tool"}, {"key": "n", "type": "int64", "value": "many"}], "processID": "p1"},
        {"traceID": "t1", "spanID": "s2", "operationName": "execute_tool b", "references": [], "startTime": 1771237536879615u64,
         "tags": [{"key": "gen_ai.operation.name", "type": "string", "value": "execute_tool"}], "processID": "p1"}
    ], "processes": {"p1": {"serviceName": "svc", "tags": []}}}]});
    let text = serde_json::to_string_pretty(&jaeger).expect("json");
    let r = read(&text);
    assert_eq!(r.format, Format::Jaeger);
    assert_eq!(r.calls.len(), 1);
    assert_eq!(r.calls[0].1.agent.as_deref(), Some("svc"));
    assert_eq!(r.calls[0].1.ts, "2026-02-16T10:25:36.879615000Z");
    let (_, e) = &r.errors[0];
    assert!(
        e.contains("$.data[0].spans[0]") && e.contains("int64"),
        "{e}"
    );
    // Pretty-printed: the span's line is found (the first span starts on
    // the line holding its first `{`).
    let first_span_line = text
        .lines()
        .position(|l| l.contains("\"spans\""))
        .expect("spans line")
        + 2;
    assert!(
        e.starts_with(&format!("line {first_span_line}")),
        "{e} (want line {first_span_line})"
    );
}

#[test]
fn a_truncated_document_keeps_what_was_read_and_says_where_it_stops() {
    let full = serde_json::to_string_pretty(&doc(
        &[],
        vec![
            tool("0000000000000001", "", "a", &[]),
            tool("0000000000000002", "", "b", &[]),
        ],
    ))
    .expect("json");
    // Cut inside the second span.
    let cut = &full[..full.rfind("execute_tool b").expect("b")];
    let r = read_as(cut, Some(Format::Otlp), &[]);
    assert_eq!(
        r.calls.len(),
        0,
        "the batch holding both spans is cut: nothing from it"
    );
    assert_eq!(r.errors.len(), 1);
    let lines = cut.lines().count();
    let (_, e) = &r.errors[0];
    assert!(
        e.starts_with(&format!("line {lines}, column")),
        "{e} (the cut is on line {lines})"
    );
    assert!(e.contains("EOF") && e.contains("cut short"), "{e}");

    // JSON Lines: a truncated last line is reported, the lines before kept.
    let line = doc(&[], vec![tool("0000000000000001", "", "a", &[])]).to_string();
    let text = format!("{line}\n{line}\n{}", &line[..line.len() / 2]);
    let r = read(&text);
    assert_eq!(r.calls.len(), 1, "the same span read twice counts once");
    assert_eq!(r.counts.skipped.get("duplicate span"), Some(&1));
    assert_eq!(r.errors.len(), 1);
    assert!(
        r.errors[0].1.starts_with("line 3, column"),
        "{}",
        r.errors[0].1
    );
}

#[test]
fn json_lines_and_one_document_give_the_same_calls() {
    let a = doc(
        &[("service.name", json!("s1"))],
        vec![tool("0000000000000001", "", "a", &[])],
    );
    let mut b = doc(
        &[("service.name", json!("s2"))],
        vec![tool("0000000000000002", "", "b", &[])],
    );
    b["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] =
        json!("1111111111111111111111111111111f");
    let lines = format!("{a}\n{b}\n");
    let mut one = a.clone();
    one["resourceSpans"]
        .as_array_mut()
        .expect("array")
        .push(b["resourceSpans"][0].clone());
    let pretty = serde_json::to_string_pretty(&one).expect("json");
    let (r1, r2) = (read(&lines), read(&pretty));
    assert_eq!(r1.format, Format::Otlp);
    assert_eq!(r2.format, Format::Otlp);
    let strip = |r: &Read| -> Vec<(String, Option<String>, String)> {
        r.calls
            .iter()
            .map(|(_, c)| (c.tool.clone(), c.agent.clone(), c.ts.clone()))
            .collect()
    };
    assert_eq!(strip(&r1), strip(&r2));
    assert_eq!(strip(&r1).len(), 2);
    assert_eq!(r1.calls[1].1.location.line, Some(2));
    assert!(r2.calls[1].1.location.line.is_some_and(|l| l > 2));
}

#[test]
fn nanoseconds_above_2_pow_53_stay_exact_as_numbers_and_strings() {
    // 2^53 + 1 ns would be rounded by an f64; so would a real timestamp.
    for start in [json!(1777555053780274701u64), json!("1777555053780274701")] {
        let mut s = tool("0000000000000001", "", "a", &[]);
        s["startTimeUnixNano"] = start;
        let batches = json!({"batches": [{"resource": {"attributes": []},
            "instrumentationLibrarySpans": [{"spans": [s]}]}]});
        let r = read(&batches.to_string());
        assert_eq!(r.format, Format::Tempo);
        assert_eq!(r.calls[0].1.ts, "2026-04-30T13:17:33.780274701Z");
    }
}

#[test]
fn an_undetectable_file_names_the_formats() {
    let err = read_items(
        &b"just some text\n"[..],
        None,
        &ReadOptions::default(),
        &mut |_| Ok(()),
    )
    .expect_err("undetectable");
    assert!(matches!(err, IngestError::Undetected { .. }));
    let msg = err.to_string();
    for f in Format::ALL {
        assert!(msg.contains(f.name()), "{msg}");
    }
}

#[test]
fn a_cut_single_trace_jaeger_export_keeps_the_whole_spans_before_the_cut() {
    let span = |id: &str, name: &str, start: u64| {
        json!({"traceID": "t1", "spanID": id, "operationName": format!("execute_tool {name}"),
               "references": [], "startTime": start,
               "tags": [{"key": "gen_ai.operation.name", "type": "string", "value": "execute_tool"}],
               "processID": "p1"})
    };
    let jaeger = json!({"data": [{"traceID": "t1", "spans": [
        span("s1", "a", 1771237536879614),
        span("s2", "b", 1771237536879615),
        span("s3", "c", 1771237536879616),
    ], "processes": {"p1": {"serviceName": "svc", "tags": []}}}]});
    let full = serde_json::to_string_pretty(&jaeger).expect("json");
    // The whole file: three calls, with the process's service as agent.
    let r = read(&full);
    assert_eq!(r.calls.len(), 3);
    assert!(r
        .calls
        .iter()
        .all(|(_, c)| c.agent.as_deref() == Some("svc")));
    // Cut inside the third span: the two whole spans are kept, without
    // their process (never reached), and the error says so.
    let cut = &full[..full.rfind("execute_tool c").expect("c")];
    let r = read(cut);
    assert_eq!(r.format, Format::Jaeger);
    let tools: Vec<&str> = r.calls.iter().map(|(_, c)| c.tool.as_str()).collect();
    assert_eq!(tools, ["a", "b"]);
    assert!(r.calls.iter().all(|(_, c)| c.agent.is_none()));
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    let e = &r.errors[0].1;
    assert!(
        e.contains("2 whole span(s) of the unfinished trace $.data[0] were read before this point and kept"),
        "{e}"
    );
    assert!(e.contains("`processes` were not reached"), "{e}");
    assert!(
        e.starts_with(&format!("line {}, column", cut.lines().count())),
        "{e}"
    );
    // Cut after the spans, inside `processes`: all three kept.
    let cut = &full[..full.rfind("serviceName").expect("processes")];
    let r = read(cut);
    assert_eq!(r.calls.len(), 3);
    assert!(
        r.errors[0].1.contains("3 whole span(s)"),
        "{}",
        r.errors[0].1
    );
    // A second trace after a whole first one: the first keeps its agent.
    let two = json!({"data": [
        {"traceID": "t1", "spans": [span("s1", "a", 1771237536879614)],
         "processes": {"p1": {"serviceName": "svc", "tags": []}}},
        {"traceID": "t2", "spans": [span("s9", "z", 1771237536879699)],
         "processes": {"p1": {"serviceName": "svc2", "tags": []}}}
    ]});
    let full = serde_json::to_string_pretty(&two).expect("json");
    let cut = &full[..full.rfind("svc2").expect("svc2")];
    let r = read(cut);
    let seen: Vec<(&str, Option<&str>)> = r
        .calls
        .iter()
        .map(|(_, c)| (c.tool.as_str(), c.agent.as_deref()))
        .collect();
    assert_eq!(seen, [("a", Some("svc")), ("z", None)]);
}

#[test]
fn a_jaeger_data_element_that_is_not_a_trace_is_reported_and_the_rest_read() {
    let jaeger = json!({"data": [
        "not a trace",
        {"traceID": "t1", "spans": [
            {"traceID": "t1", "spanID": "s1", "operationName": "execute_tool a", "references": [],
             "startTime": 1771237536879614u64, "tags": [], "processID": "p1"}
        ], "processes": {"p1": {"serviceName": "svc", "tags": []}}}
    ]});
    let r = read_as(&jaeger.to_string(), Some(Format::Jaeger), &[]);
    assert_eq!(r.calls.len(), 1);
    assert_eq!(r.errors.len(), 1);
    assert!(
        r.errors[0].1.contains("$.data[0]") && r.errors[0].1.contains("a string"),
        "{}",
        r.errors[0].1
    );
}

#[test]
fn a_known_user_attribute_is_found_without_configuration_and_named() {
    let text = doc(
        &[],
        vec![
            span(
                "00000000000000a1",
                "",
                "invoke_agent helm",
                &[
                    ("gen_ai.operation.name", json!("invoke_agent")),
                    ("gen_ai.agent.name", json!("helm-agent")),
                    ("kagent.user_id", json!("admin@kagent.dev")),
                ],
            ),
            tool("0000000000000001", "00000000000000a1", "helm_list", &[]),
        ],
    )
    .to_string();
    let r = read(&text);
    assert_eq!(r.calls.len(), 1);
    let c = &r.calls[0].1;
    assert_eq!(c.user.as_deref(), Some("admin@kagent.dev"));
    assert_eq!(c.user_key.as_deref(), Some("kagent.user_id"));
    // The agent found by name on the ancestor keeps its recorded key.
    assert_eq!(c.agent.as_deref(), Some("helm-agent"));
    assert_eq!(
        c.attributes.get("gen_ai.agent.name"),
        Some(&json!("helm-agent"))
    );
    assert!(!c.attributes.contains_key("gen_ai.agent.id"));
}
