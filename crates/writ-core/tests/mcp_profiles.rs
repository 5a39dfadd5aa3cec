//! MCP recordings read as tool calls, mapped with the built-in profiles
//! and decided by the engine against the profiles' sample policies.
//!
//! Tests reading `../shared/samples/traces/` print
//! `skipped: ../shared/samples/traces not found` when it is missing.

use std::path::{Path, PathBuf};
use writ_core::evaluate::{Evaluator, Verdict};
use writ_core::ingest::mcp::{detect_mcp, read_mcp, Cassette, McpFormat, McpLog};
use writ_core::ingest::profile::Profile;
use writ_core::ingest::{Item, Location, Mapping, ToolCall};
use writ_core::project::{check_project, today_utc};
use writ_core::trace::RecordedOutcome;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn samples() -> Option<PathBuf> {
    let p = repo().join("../shared/samples/traces");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipped: ../shared/samples/traces not found (looked in {})",
            p.display()
        );
        None
    }
}

type Read = Result<Item, (Location, String)>;

fn split(items: impl Iterator<Item = Read>) -> (Vec<ToolCall>, Vec<(Location, String)>) {
    let mut calls = Vec::new();
    let mut errors = Vec::new();
    for i in items {
        match i {
            Ok(Item::Call(c)) => calls.push(*c),
            Ok(Item::Record(_)) => panic!("MCP readers yield calls"),
            Err(e) => errors.push(e),
        }
    }
    (calls, errors)
}

fn evaluator(project: &str) -> Evaluator {
    let root = repo().join(project);
    let report = check_project(&root, today_utc());
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    let project_ = report
        .project
        .unwrap_or_else(|| panic!("{project} does not check: {errors:#?}"));
    Evaluator::from_project(project, &project_)
}

/// Maps and decides each call; also checks the fast path against Cedar's
/// plain path.
fn verdicts(ev: &Evaluator, profile: &Profile, calls: &[ToolCall]) -> Vec<(String, Verdict)> {
    calls
        .iter()
        .map(|c| {
            let r = profile.to_record(c).expect("maps");
            let fast = match ev.prepare(&r) {
                Ok(p) => ev.decide(&p),
                Err(u) => (*u.outcome).clone(),
            };
            let plain = ev.decide_reference(&r);
            assert_eq!(
                (fast.decision, &fast.reasons),
                (plain.decision, &plain.reasons),
                "{} {:?}",
                c.tool,
                fast.request_error
            );
            assert!(
                fast.request_error.is_none(),
                "{}: {:?}",
                c.tool,
                fast.request_error
            );
            (c.tool.clone(), fast.verdict)
        })
        .collect()
}

#[test]
fn the_cassette_yields_its_four_tool_calls() {
    let Some(dir) = samples() else { return };
    let path = dir.join("mcp-session-cassette.json");
    let bytes = std::fs::read(&path).expect("sample");
    assert_eq!(
        detect_mcp(&bytes[..bytes.len().min(4096)]),
        Some(McpFormat::Cassette)
    );
    let mut r = read_mcp(McpFormat::Cassette, std::io::BufReader::new(&bytes[..]));
    let (calls, errors) = split(r.by_ref());
    assert!(errors.is_empty(), "{errors:?}");
    let tools: Vec<&str> = calls.iter().map(|c| c.tool.as_str()).collect();
    assert_eq!(tools, ["add", "multiply", "echo", "get_weather"]);
    // The recording's four results all say `isError: false`: none failed.
    assert!(calls.iter().all(|c| c.outcome == RecordedOutcome::Executed));
    assert_eq!(calls[1].args, Some(serde_json::json!({"a": 3.5, "b": 2.0})));
    assert_eq!(calls[3].call_id.as_deref(), Some("5"));
    assert!(calls.iter().all(|c| c.agent.as_deref() == Some("mcp")));
    assert!(calls
        .iter()
        .all(|c| c.ts == "2026-02-17T20:25:23.855390+00:00"));
    assert_eq!(calls[0].attributes["mcp.server.name"], "Test Calculator");
    assert_eq!(
        calls[0].location.path.as_deref(),
        Some("$.interactions[3].request")
    );
    let counts = r.counts();
    assert_eq!(counts.actions, 4);
    // initialize + response, notification, tools/list + response, 4 calls + 4 results, 2 lifecycle.
    assert_eq!(counts.read, 2 + 1 + 2 + 8 + 2);
    assert_eq!(counts.skipped["initialize request"], 1);
    assert_eq!(counts.skipped["tools/list request"], 1);
    assert_eq!(counts.skipped["response to a non-tool request"], 2);
    assert_eq!(counts.skipped["notification"], 1);
    assert_eq!(counts.skipped["lifecycle event"], 2);
    assert_eq!(r.unanswered(), 0);
    assert_eq!(r.bytes_read(), bytes.len() as u64);
}

#[test]
fn a_cassette_error_result_is_failed_and_a_cut_cassette_is_located() {
    let Some(dir) = samples() else { return };
    let text = std::fs::read_to_string(dir.join("mcp-session-cassette.json")).expect("sample");
    // The same recording with the weather call failing as a tool error.
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    doc["interactions"][6]["response"]["result"]["isError"] = true.into();
    let (calls, errors) = split(Cassette::read(doc.to_string().as_bytes()));
    assert!(errors.is_empty());
    let failed: Vec<&str> = calls
        .iter()
        .filter(|c| c.outcome == RecordedOutcome::Failed)
        .map(|c| c.tool.as_str())
        .collect();
    assert_eq!(failed, ["get_weather"]);
    assert_eq!(calls[3].attributes["error.type"], "tool_error");
    // Cut inside the fifth interaction: the calls before it, then the place.
    let cut = &text[..text.find("\"hello mcp-recorder\"").expect("echo")];
    let (calls, errors) = split(Cassette::read(cut.as_bytes()));
    assert_eq!(
        calls.iter().map(|c| c.tool.as_str()).collect::<Vec<_>>(),
        ["add", "multiply"]
    );
    assert_eq!(errors.len(), 1);
    let (loc, msg) = &errors[0];
    assert_eq!(loc.line, Some(cut.lines().count()));
    assert!(msg.contains("truncated"), "{msg}");
}

#[test]
fn a_json_rpc_log_pairs_in_either_order_and_reports_every_problem() {
    let log = [
        r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","clientInfo":{"name":"claude-code","version":"2.1"}}}"#,
        r#"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","serverInfo":{"name":"github","version":"1.0"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        // 4: a protocol error
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_repo","arguments":{"repo":"acme/site"}}}"#,
        r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"unknown tool"}}"#,
        // 6: a tool error
        r#"{"jsonrpc":"2.0","id":"two","method":"tools/call","params":{"name":"create_issue","arguments":{"title":"x"}}}"#,
        r#"{"jsonrpc":"2.0","id":"two","result":{"content":[{"type":"text","text":"rate limited"}],"isError":true}}"#,
        // 8: the response before its request
        r#"{"jsonrpc":"2.0","id":3,"result":{"content":[]}}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_issues","arguments":{"state":"open"}}}"#,
        // 10: never answered
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"merge_pr","arguments":{"number":7}}}"#,
        // 11: a non-tool request and a response nobody asked for
        r#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#,
        r#"{"jsonrpc":"2.0","id":99,"result":{}}"#,
        // 13: a request without a tool name, 14: not JSON-RPC
        r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{}}"#,
        r#"{"hello":"world"}"#,
        "",
        // 16: a batch of one call and its answer
        r#"[{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_me"}},{"jsonrpc":"2.0","id":7,"result":{"content":[]}}]"#,
        // 17: cut off
        r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"sear"#,
    ]
    .join("\n");
    let mut r = McpLog::new(log.as_bytes());
    let (calls, errors) = split(r.by_ref());
    let seen: Vec<(&str, RecordedOutcome)> =
        calls.iter().map(|c| (c.tool.as_str(), c.outcome)).collect();
    use RecordedOutcome::*;
    assert_eq!(
        seen,
        [
            ("delete_repo", Failed),
            ("create_issue", Failed),
            ("list_issues", Executed),
            ("get_me", Executed),
            ("merge_pr", Executed),
        ]
    );
    assert_eq!(calls[0].attributes["error.type"], "-32602");
    assert_eq!(calls[0].attributes["mcp.error.message"], "unknown tool");
    assert_eq!(calls[1].attributes["error.type"], "tool_error");
    assert_eq!(calls[1].attributes["mcp.error.message"], "rate limited");
    assert_eq!(calls[1].call_id.as_deref(), Some("two"));
    assert_eq!(calls[2].location.line, Some(9));
    assert_eq!(calls[3].location.path.as_deref(), Some("$[0]"));
    assert_eq!(calls[4].attributes["mcp.response"], "missing");
    assert!(calls
        .iter()
        .all(|c| c.agent.as_deref() == Some("claude-code")));
    assert_eq!(calls[0].attributes["mcp.server.name"], "github");
    assert_eq!(calls[0].ts, writ_core::ingest::mcp::NO_TIME);
    assert_eq!(calls[0].attributes["mcp.ts_missing"], true);
    let lines: Vec<Option<usize>> = errors.iter().map(|(l, _)| l.line).collect();
    assert_eq!(lines, [Some(13), Some(14), Some(17)], "{errors:?}");
    assert!(errors[0].1.contains("params.name"));
    assert!(
        errors[2].1.contains("column") && errors[2].1.contains("cut off"),
        "{}",
        errors[2].1
    );
    assert_eq!(r.unanswered(), 1);
    let c = r.counts();
    assert_eq!(c.actions, 5);
    assert_eq!(c.skipped["response without a request"], 1);
    assert_eq!(c.skipped["tools/list request"], 1);
    assert_eq!(c.skipped["initialize request"], 1);
    assert_eq!(c.skipped["notification"], 1);
    assert_eq!(c.skipped["response to a non-tool request"], 1);
    assert_eq!(r.bytes_read(), log.len() as u64);
}

#[test]
fn toolhive_profile_decides_the_recorded_session_as_its_policy_intends() {
    let Some(dir) = samples() else { return };
    let f = std::fs::File::open(dir.join("mcp-session-cassette.json")).expect("sample");
    let (calls, _) = split(Cassette::read(f));
    let profile = Profile::builtin("toolhive").expect("builtin");
    let r = profile.to_record(&calls[1]).expect("maps");
    assert_eq!(r.agent, "Client::\"mcp\"");
    assert_eq!(
        r.context["arg_a"],
        serde_json::json!({"__extn": {"fn": "decimal", "arg": "3.5"}})
    );
    let ev = evaluator("sample-policies/profiles/toolhive");
    let req = ev.request_json(&r).expect("request");
    assert_eq!(
        req["principal"],
        serde_json::json!({"type": "Client", "id": "mcp"})
    );
    assert_eq!(
        req["action"],
        serde_json::json!({"type": "Action", "id": "call_tool"})
    );
    assert_eq!(
        req["resource"],
        serde_json::json!({"type": "Tool", "id": "multiply"})
    );
    assert_eq!(
        verdicts(&ev, &profile, &calls),
        [
            ("add".to_string(), Verdict::Allowed),
            ("multiply".to_string(), Verdict::NotPermitted),
            ("echo".to_string(), Verdict::Allowed),
            ("get_weather".to_string(), Verdict::DeniedByForbid),
        ]
    );
}

#[test]
fn agentcore_profile_decides_gateway_calls_as_its_policy_intends() {
    let path = repo().join("sample-policies/profiles/agentcore/refund-gateway.jsonl");
    let f = std::io::BufReader::new(std::fs::File::open(&path).expect("sample log"));
    let (calls, errors) = split(McpLog::new(f));
    assert!(errors.is_empty(), "{errors:?}");
    let profile = Profile::builtin("agentcore").expect("builtin");
    let r = profile.to_record(&calls[1]).expect("maps");
    assert_eq!(r.agent, "AgentCore::OAuthUser::\"user-4711\"");
    assert_eq!(
        r.action,
        "AgentCore::Action::\"RefundTool___process_refund\""
    );
    assert_eq!(r.ts, "2026-03-02T09:00:01Z");
    let ev = evaluator("sample-policies/profiles/agentcore");
    let req = ev.request_json(&r).expect("request");
    assert_eq!(req["resource"]["type"], "AgentCore::Gateway");
    assert_eq!(req["context"]["input"]["amount"], 450);
    assert_eq!(
        calls.iter().map(|c| c.outcome).collect::<Vec<_>>(),
        [
            RecordedOutcome::Executed,
            RecordedOutcome::Executed,
            RecordedOutcome::Failed,
            RecordedOutcome::Failed
        ]
    );
    let got = verdicts(&ev, &profile, &calls);
    let want = [
        ("RefundTool___lookup_order", Verdict::Allowed),
        ("RefundTool___process_refund", Verdict::Allowed),
        ("RefundTool___process_refund", Verdict::NotPermitted),
        ("RefundTool___delete_order", Verdict::DeniedByForbid),
    ];
    assert_eq!(got, want.map(|(t, v)| (t.to_string(), v)).to_vec());
}

#[test]
fn the_writ_profile_maps_to_the_sample_schema() {
    let ev = evaluator("sample-policies/v2");
    let profile = Profile::builtin("writ").expect("builtin");
    let log = r#"{"ts":"2026-03-02T09:00:00Z","user":"dana@acme.example","message":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_kb","arguments":{"query":"vpn","intent":"answer a ticket","environment":"prod","risk_score":10,"credential_kind":"oidc","credential_ttl_secs":600},"_meta":{"clientInfo":{"name":"ghost-agent"}}}}}"#;
    let (calls, errors) = split(McpLog::new(log.as_bytes()));
    assert!(errors.is_empty(), "{errors:?}");
    let r = profile.to_record(&calls[0]).expect("maps");
    assert_eq!(r.agent, "ghost-agent");
    assert_eq!(r.on_behalf_of.as_deref(), Some("dana@acme.example"));
    assert_eq!(r.context["intent"], "answer a ticket");
    assert!(!r.context.contains_key("query"));
    let req = ev.request_json(&r).expect("request");
    // `now` and `on_behalf_of` are filled from the record by the engine.
    assert_eq!(
        req["context"]["on_behalf_of"]["__entity"]["id"],
        "dana@acme.example"
    );
    assert!(req["context"]["now"].is_object());
    // An agent no inventory lists is a shadow agent: it gets no permit.
    let p = ev.prepare(&r).expect("valid request");
    assert_eq!(p.principal.kind, writ_core::resolve::PrincipalKind::Shadow);
    assert_ne!(ev.decide(&p).verdict, Verdict::Allowed);
}

/// Throughput of the JSON-RPC log reader and the toolhive mapping on a
/// generated log (200,000 calls and their responses, responses every other
/// pair arriving first). Run with
/// `cargo test --release -p writ-core --test tests -- --ignored mcp_profiles:: --nocapture`.
#[test]
#[ignore]
fn json_rpc_log_throughput() {
    let mut log = String::new();
    for i in 0..200_000u64 {
        let req = format!(
            r#"{{"timestamp":"2026-03-02T09:00:00Z","claims":{{"sub":"user-{}"}},"message":{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":"get_weather","arguments":{{"city":"London","days":{}}}}}}}}}"#,
            i % 50,
            i % 7
        );
        let resp = format!(
            r#"{{"jsonrpc":"2.0","id":{i},"result":{{"content":[{{"type":"text","text":"sunny"}}],"isError":{}}}}}"#,
            i % 10 == 0
        );
        if i % 2 == 0 {
            log.push_str(&req);
            log.push('\n');
            log.push_str(&resp);
        } else {
            log.push_str(&resp);
            log.push('\n');
            log.push_str(&req);
        }
        log.push('\n');
    }
    let profile = Profile::builtin("toolhive").expect("builtin");
    let start = std::time::Instant::now();
    let mut r = McpLog::new(log.as_bytes());
    let mut mapped = 0u64;
    for item in r.by_ref() {
        if let Ok(Item::Call(c)) = item {
            profile.to_record(&c).expect("maps");
            mapped += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(mapped, 200_000);
    assert_eq!(r.unanswered(), 0);
    eprintln!(
        "mcp log: {:.1} MB in {secs:.2} s: {:.1} MB/s, {:.0} calls/s (read + toolhive mapping)",
        log.len() as f64 / 1e6,
        log.len() as f64 / 1e6 / secs,
        mapped as f64 / secs
    );
}

#[test]
fn profile_identities_map_recorded_names_to_inventory_agents() {
    let ev = evaluator("sample-policies/v2");
    let text = r#"
name = "gateway"
[principal]
from = ["agent"]
[identities]
"support-desk-client" = "spiffe://acme.example/agents/support-bot"
[context]
intent = "args.intent"
"*" = "args.*"
"#;
    // A `*` rule with an empty prefix is allowed (every argument by name);
    // here it copies the AgentContext fields the log carries.
    let profile = Profile::parse("gateway.toml", text).expect("parses");
    let log = r#"{"ts":"2026-03-02T09:00:00Z","user":"dana@acme.example","message":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_kb","arguments":{"intent":"answer a ticket","environment":"prod","risk_score":10,"credential_kind":"oidc","credential_ttl_secs":600},"_meta":{"clientInfo":{"name":"support-desk-client"}}}}}"#;
    let (calls, _) = split(McpLog::new(log.as_bytes()));
    let r = profile.to_record(&calls[0]).expect("maps");
    assert_eq!(r.agent, "spiffe://acme.example/agents/support-bot");
    let p = ev.prepare(&r).expect("valid request");
    assert_eq!(
        p.principal.kind,
        writ_core::resolve::PrincipalKind::Inventory
    );
    assert_eq!(&*p.principal.id, "support-bot");
    // The same call from a client no identity maps is a shadow agent.
    let unmapped = Profile::parse(
        "plain.toml",
        &text.replace("support-desk-client\"", "other\""),
    )
    .expect("parses");
    let r = unmapped.to_record(&calls[0]).expect("maps");
    let p = ev.prepare(&r).expect("valid request");
    assert_eq!(p.principal.kind, writ_core::resolve::PrincipalKind::Shadow);
}
