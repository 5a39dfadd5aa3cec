//! The hand-made samples of `tests/data/traces/` (provenance and expected
//! figures in its README) read through the ingest pipeline: each format is
//! detected, and yields exactly the tool calls the README lists, checked
//! against a count made here independently of the readers.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use writ_core::ingest::{read_items, Format, IngestCounts, Item, ReadOptions, ToolCall};
use writ_core::trace::RecordedOutcome;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/traces")
        .join(name)
}

/// Reads a sample with its format detected.
fn read(name: &str) -> (Format, IngestCounts, Vec<ToolCall>, Vec<String>) {
    let file = std::fs::File::open(sample(name)).expect("open sample");
    let mut calls = Vec::new();
    let mut errors = Vec::new();
    let (format, counts) = read_items(
        std::io::BufReader::new(file),
        None,
        &ReadOptions::default(),
        &mut |out| {
            match out.item {
                Ok(Item::Call(c)) => calls.push(*c),
                Ok(Item::Record(_)) => panic!("these formats yield calls"),
                Err(e) => errors.push(e.to_string()),
            }
            Ok(())
        },
    )
    .expect("reads");
    (format, counts, calls, errors)
}

/// `tools/call` requests in a Claude Desktop log, counted from the text.
fn claude_requests(name: &str) -> usize {
    std::fs::read_to_string(sample(name))
        .expect("read")
        .lines()
        .filter(|l| l.contains("Message from client:") && l.contains("\"method\":\"tools/call\""))
        .count()
}

fn outcome(o: RecordedOutcome) -> &'static str {
    match o {
        RecordedOutcome::Executed => "executed",
        RecordedOutcome::Failed => "failed",
        RecordedOutcome::Blocked => "blocked",
    }
}

/// (call id, tool, args, ts, outcome), sorted by time.
fn table(calls: &[ToolCall]) -> Vec<(String, String, Value, String, &'static str)> {
    let mut t: Vec<_> = calls
        .iter()
        .map(|c| {
            (
                c.call_id.clone().unwrap_or_default(),
                c.tool.clone(),
                c.args.clone().unwrap_or(Value::Null),
                c.ts.clone(),
                outcome(c.outcome),
            )
        })
        .collect();
    t.sort_by(|a, b| a.3.cmp(&b.3));
    t
}

#[test]
fn a_claude_desktop_server_log_yields_its_four_calls() {
    let name = "claude-desktop-mcp-server-github.log";
    let (format, counts, calls, errors) = read(name);
    assert_eq!(format, Format::ClaudeMcpLog);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(calls.len(), claude_requests(name));
    assert_eq!(counts.actions, 4);
    let s = |v: &str| v.to_string();
    assert_eq!(
        table(&calls),
        vec![
            (
                s("3"),
                s("search_repositories"),
                json!({"query": "cedar policy language", "perPage": 5}),
                s("2026-03-02T09:16:10.345Z"),
                "executed"
            ),
            (
                s("4"),
                s("create_issue"),
                json!({"owner": "acme", "repo": "payments", "title": "Rotate webhook secret", "body": "Found during the quarterly audit."}),
                s("2026-03-02T09:16:42.007Z"),
                "failed"
            ),
            (
                s("5"),
                s("get_file_contents"),
                json!({"owner": "acme", "repo": "payments", "path": "../../etc/passwd"}),
                s("2026-03-02T09:17:05.118Z"),
                "failed"
            ),
            (
                s("6"),
                s("list_commits"),
                json!({"owner": "acme", "repo": "payments", "sha": "main"}),
                s("2026-03-02T09:18:02.250Z"),
                "executed"
            ),
        ]
    );
    for c in &calls {
        assert_eq!(c.agent.as_deref(), Some("claude-ai"));
        assert_eq!(c.user, None);
        assert_eq!(c.attributes["mcp.server.key"], "github");
        assert_eq!(c.attributes["mcp.server.name"], "github-mcp-server");
    }
}

#[test]
fn a_combined_claude_desktop_log_pairs_each_server_apart() {
    let name = "claude-desktop-mcp.log";
    let (format, _, calls, errors) = read(name);
    assert_eq!(format, Format::ClaudeMcpLog);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(calls.len(), claude_requests(name));
    let s = |v: &str| v.to_string();
    assert_eq!(
        table(&calls),
        vec![
            (
                s("3"),
                s("read_text_file"),
                json!({"path": "/Users/dana/notes/todo.md"}),
                s("2026-03-02T10:02:11.501Z"),
                "executed"
            ),
            (
                s("3"),
                s("create_issue"),
                json!({"owner": "acme", "repo": "web", "title": "Fix login redirect"}),
                s("2026-03-02T10:02:11.733Z"),
                "executed"
            ),
            (
                s("4"),
                s("write_file"),
                json!({"path": "/etc/hosts", "content": "127.0.0.1 example.test\n"}),
                s("2026-03-02T10:03:40.020Z"),
                "failed"
            ),
        ]
    );
    let servers: Vec<&str> = {
        let mut t = calls.clone();
        t.sort_by(|a, b| a.ts.cmp(&b.ts));
        t.iter()
            .map(|c| c.attributes["mcp.server.key"].as_str().unwrap_or(""))
            .map(|s| {
                if s == "filesystem" {
                    "filesystem"
                } else if s == "github" {
                    "github"
                } else {
                    "?"
                }
            })
            .collect()
    };
    assert_eq!(servers, ["filesystem", "github", "filesystem"]);
    assert!(calls
        .iter()
        .all(|c| c.agent.as_deref() == Some("claude-ai")));
}

#[test]
fn tool_schemas_come_from_a_claude_desktop_log() {
    let text =
        std::fs::read_to_string(sample("claude-desktop-mcp-server-github.log")).expect("read");
    let tools = writ_core::ingest::mcp_schema::tools_from_text(&text).expect("tools");
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "search_repositories",
            "create_issue",
            "get_file_contents",
            "list_commits"
        ]
    );
}

#[test]
fn a_toolhive_audit_log_yields_its_tool_calls_and_the_toolhive_profile_maps_them() {
    let name = "toolhive-audit.jsonl";
    let (format, counts, calls, errors) = read(name);
    assert_eq!(format, Format::ToolhiveAudit);
    assert!(errors.is_empty(), "{errors:?}");
    // Counted independently: audit events of type mcp_tool_call.
    let independent = std::fs::read_to_string(sample(name))
        .expect("read")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["msg"] == "audit_event" && v["type"] == "mcp_tool_call")
        .count();
    assert_eq!(calls.len(), independent);
    assert_eq!(counts.skipped.get("not an audit event"), Some(&1));
    let s = |v: &str| v.to_string();
    assert_eq!(
        table(&calls),
        vec![
            (
                s("2"),
                s("get_issue"),
                json!({"issue_number": 42, "owner": "acme", "repo": "web"}),
                s("2026-03-02T09:20:11.482913417Z"),
                "executed"
            ),
            (
                s("7"),
                s("delete_file"),
                json!({"branch": "main", "message": "cleanup", "owner": "acme", "path": ".github/workflows/deploy.yml", "repo": "web"}),
                s("2026-03-02T09:21:47.009731006Z"),
                "blocked"
            ),
            (
                s("3"),
                s("create_issue"),
                json!({"labels": ["bug", "ci"], "owner": "acme", "repo": "web", "title": "Flaky login test"}),
                s("2026-03-02T09:22:30.774276193Z"),
                "failed"
            ),
        ]
    );
    let users: Vec<(Option<&str>, Option<&str>)> = {
        let mut t: Vec<&ToolCall> = calls.iter().collect();
        t.sort_by(|a, b| a.ts.cmp(&b.ts));
        t.iter()
            .map(|c| (c.user.as_deref(), c.user_key.as_deref()))
            .collect()
    };
    assert_eq!(
        users,
        [
            (
                Some("2f6c1a9e-77b4-4c57-9a61-3b1f0d2c8e41"),
                Some("subjects.user_id")
            ),
            (
                Some("8d0b4e3a-1c22-4f0e-b6f1-5a9c7e2d4f10"),
                Some("subjects.user_id")
            ),
            (
                Some("2f6c1a9e-77b4-4c57-9a61-3b1f0d2c8e41"),
                Some("subjects.user_id")
            ),
        ]
    );
    assert!(calls.iter().all(|c| c.agent.is_none()));
    // The built-in toolhive profile: Client::"<sub>", call_tool, Tool::"<name>".
    use writ_core::ingest::Mapping;
    let profile = writ_core::ingest::profile::Profile::builtin("toolhive").expect("builtin");
    let get_issue = calls
        .iter()
        .find(|c| c.tool == "get_issue")
        .expect("get_issue");
    let r = profile.to_record(get_issue).expect("maps");
    assert_eq!(r.agent, "Client::\"2f6c1a9e-77b4-4c57-9a61-3b1f0d2c8e41\"");
    assert_eq!(r.action, "Action::\"call_tool\"");
    assert_eq!(
        r.resource.as_ref().map(|x| (x.ty.as_str(), x.id.as_str())),
        Some(("Tool", "get_issue"))
    );
    assert_eq!(r.context["arg_repo"], "web");
}

/// Spans of an OTLP/JSON sample whose attribute `key` is `value`, counted
/// from the document.
fn spans_with(name: &str, key: &str, value: &str) -> usize {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(sample(name)).expect("read")).expect("json");
    let mut n = 0;
    for rs in doc["resourceSpans"].as_array().into_iter().flatten() {
        for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
            for span in ss["spans"].as_array().into_iter().flatten() {
                let attrs = span["attributes"].as_array().cloned().unwrap_or_default();
                if attrs
                    .iter()
                    .any(|a| a["key"] == key && a["value"]["stringValue"] == value)
                {
                    n += 1;
                }
            }
        }
    }
    n
}

#[test]
fn openinference_tool_spans_are_tool_calls() {
    let name = "openinference-otlp.json";
    let (format, _, calls, errors) = read(name);
    assert_eq!(format, Format::Otlp);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        calls.len(),
        spans_with(name, "openinference.span.kind", "TOOL")
    );
    let s = |v: &str| v.to_string();
    assert_eq!(
        table(&calls),
        vec![
            (
                s(""),
                s("lookup_order"),
                json!({"order_id": "A-1001"}),
                s("2026-03-02T12:00:01.310123456Z"),
                "executed"
            ),
            (
                s(""),
                s("issue_refund"),
                json!({"order_id": "A-1001", "amount": 25.0, "reason": "damaged"}),
                s("2026-03-02T12:00:02.950000007Z"),
                "failed"
            ),
        ]
    );
    for c in &calls {
        assert_eq!(c.agent.as_deref(), Some("Support agent"));
        assert_eq!(c.user.as_deref(), Some("u-8412"));
        assert_eq!(c.user_key.as_deref(), Some("user.id"));
        assert_eq!(
            c.trace_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }
}

#[test]
fn traceloop_tool_spans_are_tool_calls_with_their_keyword_arguments() {
    let name = "traceloop-otlp.json";
    let (format, _, calls, errors) = read(name);
    assert_eq!(format, Format::Otlp);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(calls.len(), spans_with(name, "traceloop.span.kind", "tool"));
    let s = |v: &str| v.to_string();
    assert_eq!(
        table(&calls),
        vec![
            (
                s(""),
                s("lookup_order"),
                json!({"order_id": "A-1001"}),
                s("2026-03-02T12:01:01.500000250Z"),
                "executed"
            ),
            (
                s(""),
                s("issue_refund"),
                json!({"args": ["A-1001", 25.0], "kwargs": {"reason": "damaged"}}),
                s("2026-03-02T12:01:03.010000042Z"),
                "failed"
            ),
        ]
    );
    for c in &calls {
        assert_eq!(c.agent.as_deref(), Some("triage_agent"));
        assert_eq!(c.user.as_deref(), Some("u-5521"));
        assert_eq!(
            c.user_key.as_deref(),
            Some("traceloop.association.properties.user_id")
        );
    }
}

/// `tool_use` blocks in a Claude Code transcript, counted from the text.
fn tool_uses(name: &str) -> usize {
    std::fs::read_to_string(sample(name))
        .expect("read")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            v.pointer("/message/content")
                .and_then(Value::as_array)
                .cloned()
        })
        .flatten()
        .filter(|b| b["type"] == "tool_use")
        .count()
}

#[test]
fn a_claude_code_stream_yields_its_calls_with_refusals_blocked() {
    let name = "claude-code-stream.jsonl";
    let (format, _, calls, errors) = read(name);
    assert_eq!(format, Format::ClaudeCode);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(calls.len(), tool_uses(name));
    let mut by_id: Vec<(String, String, Option<String>, &'static str)> = calls
        .iter()
        .map(|c| {
            (
                c.call_id.clone().unwrap_or_default(),
                c.tool.clone(),
                c.agent.clone(),
                outcome(c.outcome),
            )
        })
        .collect();
    by_id.sort();
    let s = |v: &str| v.to_string();
    assert_eq!(
        by_id,
        vec![
            (s("toolu_01Bash0001"), s("Bash"), None, "executed"),
            (
                s("toolu_01Grep0004"),
                s("Grep"),
                Some(s("Explore")),
                "executed"
            ),
            (
                s("toolu_01Mcp00005"),
                s("mcp__github__create_issue"),
                None,
                "blocked"
            ),
            (
                s("toolu_01Mcp00006"),
                s("mcp__github__search_issues"),
                None,
                "executed"
            ),
            (s("toolu_01Read0002"), s("Read"), None, "failed"),
            (s("toolu_01Task0003"), s("Task"), None, "executed"),
        ]
    );
    for c in &calls {
        assert_eq!(c.ts, "1970-01-01T00:00:00Z");
        assert_eq!(c.attributes["writ.ts_missing"], true);
        assert_eq!(
            c.trace_id.as_deref(),
            Some("5f0c2a8e-1d3b-4e6f-9a7c-2b4d6e8f0a13")
        );
        assert_eq!(c.user, None);
    }
    let grep = calls.iter().find(|c| c.tool == "Grep").expect("grep");
    assert_eq!(
        grep.args,
        Some(json!({"pattern": "WEBHOOK_SECRET", "path": "src", "output_mode": "content"}))
    );
    let mcp = calls
        .iter()
        .find(|c| c.tool == "mcp__github__create_issue")
        .expect("mcp");
    assert_eq!(mcp.attributes["mcp.server.name"], "github");
}

#[test]
fn a_claude_code_session_file_keeps_each_calls_time() {
    let name = "claude-code-session.jsonl";
    let (format, _, calls, errors) = read(name);
    assert_eq!(format, Format::ClaudeCode);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(calls.len(), tool_uses(name));
    let s = |v: &str| v.to_string();
    assert_eq!(
        table(&calls),
        vec![
            (
                s("toolu_02Bash0001"),
                s("Bash"),
                json!({"command": "npm test", "description": "Run the test suite"}),
                s("2026-03-02T11:05:02.530Z"),
                "failed"
            ),
            (
                s("toolu_02Edit0002"),
                s("Edit"),
                json!({"file_path": "/home/dana/payments/src/webhook.ts", "old_string": "const WEBHOOK_SECRET = \"whsec_test_123\";", "new_string": "const WEBHOOK_SECRET = process.env.WEBHOOK_SECRET!;"}),
                s("2026-03-02T11:05:15.402Z"),
                "blocked"
            ),
            (
                s("toolu_02Mcp00003"),
                s("mcp__github__create_issue"),
                json!({"owner": "acme", "repo": "payments", "title": "Move webhook secret to the environment", "labels": ["security"]}),
                s("2026-03-02T11:06:07.288Z"),
                "executed"
            ),
        ]
    );
    assert!(calls
        .iter()
        .all(|c| c.trace_id.as_deref() == Some("b3e1d5f7-0a2c-4e6b-8d9f-1a3c5e7b9d24")));
}

#[test]
fn a_codex_event_stream_yields_one_call_per_acting_item() {
    let name = "codex-exec.jsonl";
    let (format, _, calls, errors) = read(name);
    assert_eq!(format, Format::CodexExec);
    assert!(errors.is_empty(), "{errors:?}");
    // Counted independently: completed items of the acting types.
    let independent = std::fs::read_to_string(sample(name))
        .expect("read")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "item.completed")
        .filter(|v| {
            [
                "mcp_tool_call",
                "command_execution",
                "file_change",
                "web_search",
            ]
            .contains(&v["item"]["type"].as_str().unwrap_or(""))
        })
        .count();
    assert_eq!(calls.len(), independent);
    let s = |v: &str| v.to_string();
    let mut got: Vec<(String, String, Value, &'static str)> = calls
        .iter()
        .map(|c| {
            (
                c.call_id.clone().unwrap_or_default(),
                c.tool.clone(),
                c.args.clone().unwrap_or(Value::Null),
                outcome(c.outcome),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            (
                s("item_1"),
                s("command_execution"),
                json!({"command": "bash -lc 'git status --short'"}),
                "executed"
            ),
            (
                s("item_2"),
                s("search_issues"),
                json!({"query": "repo:acme/payments webhook secret"}),
                "executed"
            ),
            (
                s("item_3"),
                s("create_issue"),
                json!({"owner": "acme", "repo": "payments", "title": "Rotate webhook secret"}),
                "failed"
            ),
            (
                s("item_4"),
                s("get_file_contents"),
                json!({"owner": "acme", "repo": "payments", "path": "config/prod.env"}),
                "failed"
            ),
            (
                s("item_5"),
                s("file_change"),
                json!({"changes": [{"path": "/home/dana/payments/src/webhook.ts", "kind": "update"}]}),
                "executed"
            ),
            (
                s("item_6"),
                s("command_execution"),
                json!({"command": "bash -lc 'npm test'"}),
                "failed"
            ),
        ]
    );
    for c in &calls {
        assert_eq!(
            c.trace_id.as_deref(),
            Some("0199a213-81c0-7800-8aa1-bbab2a035a53")
        );
        assert_eq!(c.ts, "1970-01-01T00:00:00Z");
    }
}

/// Reads `bytes` as `format`: the calls read and the errors reported.
fn read_bytes(bytes: &[u8], format: Format) -> (usize, usize) {
    let (mut calls, mut errors) = (0, 0);
    let r = read_items(bytes, Some(format), &ReadOptions::default(), &mut |out| {
        match out.item {
            Ok(_) => calls += 1,
            Err(_) => errors += 1,
        }
        Ok(())
    });
    // Only the input's bytes can fail a read; a slice never does, except
    // for text that is not UTF-8 in the line-oriented readers.
    if let Err(e) = r {
        assert!(
            e.to_string().contains("UTF-8") || e.to_string().contains("utf-8"),
            "{e}"
        );
    }
    (calls, errors)
}

#[test]
fn cut_and_corrupted_samples_read_without_panics_and_never_invent_calls() {
    let samples = [
        ("claude-desktop-mcp-server-github.log", Format::ClaudeMcpLog),
        ("claude-desktop-mcp.log", Format::ClaudeMcpLog),
        ("toolhive-audit.jsonl", Format::ToolhiveAudit),
        ("claude-code-stream.jsonl", Format::ClaudeCode),
        ("claude-code-session.jsonl", Format::ClaudeCode),
        ("codex-exec.jsonl", Format::CodexExec),
        ("openinference-otlp.json", Format::Otlp),
        ("traceloop-otlp.json", Format::Otlp),
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (name, format) in samples {
        let bytes = std::fs::read(sample(name)).expect("read");
        let (full, full_errors) = read_bytes(&bytes, format);
        assert_eq!(full_errors, 0, "{name}");
        // Every cut: a prefix never yields more calls than the whole.
        for cut in (0..bytes.len()).step_by(3) {
            let (calls, _) = read_bytes(&bytes[..cut], format);
            assert!(calls <= full, "{name} cut at {cut}: {calls} > {full}");
        }
        // Random corruption: bytes overwritten, lines duplicated.
        for _ in 0..300 {
            let mut b = bytes.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % b.len();
                b[at] = (next() % 256) as u8;
            }
            read_bytes(&b, format);
        }
    }
}

/// A 65 MiB line (the bound is 64 MiB) after one good line, made lazily so
/// the test itself never holds it.
fn one_huge_line(first: &str) -> impl std::io::BufRead + Send + use<'_> {
    use std::io::Read;
    let huge = std::io::repeat(b'x').take(65 * 1024 * 1024);
    std::io::BufReader::new(first.as_bytes().chain(huge).chain(&b"\n"[..]))
}

#[test]
fn a_line_past_the_bound_stops_every_line_reader_with_a_located_error() {
    let native = r#"{"ts":"2026-11-02T09:00:00Z","agent":"a","action":"x","context":{},"outcome":"executed"}"#;
    let first = format!("{native}\n");
    let mut lines = writ_core::trace::TraceLines::new(one_huge_line(&first));
    let mut buf = String::new();
    assert_eq!(lines.next_line(&mut buf).expect("the first line"), Some(1));
    let e = lines.next_line(&mut buf).expect_err("too long");
    assert!(
        e.to_string()
            .starts_with("line 2: a line is longer than 64 MiB"),
        "{e}"
    );
    assert!(buf.len() < 1024, "the long line is not kept");
    for (format, first) in [
        (Format::Native, format!("{native}\n")),
        (Format::McpJsonRpc, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}\n".to_string()),
        (Format::ClaudeMcpLog, "2026-11-02T09:00:00.000Z [github] [info] Message from client: {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n".to_string()),
        (Format::CodexExec, "{\"type\":\"thread.started\",\"thread_id\":\"t\"}\n".to_string()),
    ] {
        let mut errors = Vec::new();
        let result = read_items(one_huge_line(&first), Some(format), &ReadOptions::default(), &mut |out| {
            if let Err(e) = out.item {
                errors.push(e.to_string());
            }
            Ok(())
        });
        let said = match result {
            Err(e) => e.to_string(),
            Ok(_) => errors.join("; "),
        };
        assert!(said.contains("longer than 64 MiB"), "{format:?}: {said}");
    }
}
