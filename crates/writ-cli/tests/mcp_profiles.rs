//! `writ profiles`, `writ traces preview` and `writ schema from-mcp`, run as
//! the real binary. Tests reading `../shared/samples/traces/` print
//! `skipped: ...` when it is missing.

use crate::common;

use crate::common::{fails, ok, root, s, writ, writ_in};
use std::path::PathBuf;

fn samples() -> Option<PathBuf> {
    let p = root().join("../shared/samples/traces");
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

#[test]
fn profiles_are_listed_and_shown() {
    let out = ok(writ(&["profiles", "list"]));
    for name in ["writ", "toolhive", "agentcore"] {
        assert!(out.lines().any(|l| l.starts_with(name)), "{out}");
    }
    assert!(out.contains("(default)"));
    let toml = ok(writ(&["profiles", "show", "toolhive"]));
    assert!(toml.contains("type = \"Client\""), "{toml}");
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\n[action]\nformat = \"{nope}\"\n").expect("write");
    let (_, err) = fails(writ(&["profiles", "show", s(&bad)]));
    assert!(err.contains("bad.toml:3:10"), "{err}");
    assert!(err.contains("{nope}"), "{err}");
    let (_, err) = fails(writ(&["profiles", "show", "nosuch"]));
    assert!(err.contains("writ, toolhive, agentcore"), "{err}");
}

#[test]
fn preview_shows_record_action_request_and_verdict() {
    let Some(dir) = samples() else { return };
    let cassette = dir.join("mcp-session-cassette.json");
    let tmp = tempfile::tempdir().expect("tmp");
    let project = root().join("sample-policies/profiles/toolhive");
    let out = ok(writ_in(
        tmp.path(),
        &[
            "traces",
            "preview",
            s(&cassette),
            "--profile",
            "toolhive",
            "--project",
            s(&project),
            "--limit",
            "4",
            "--format-output",
            "json",
        ],
    ));
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["format"], "mcp-cassette");
    let items = doc["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    let verdicts: Vec<&str> = items
        .iter()
        .map(|i| i["verdict"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(
        verdicts,
        ["allowed", "not_permitted", "allowed", "denied_by_forbid"]
    );
    assert_eq!(
        items[3]["request"]["resource"],
        serde_json::json!({"type": "Tool", "id": "get_weather"})
    );
    assert_eq!(items[3]["action"]["tool"], "get_weather");
    assert!(items[3]["recorded"]
        .as_str()
        .expect("excerpt")
        .contains("\"London\""));
    assert!(items
        .iter()
        .all(|i| i["problems"].as_array().is_some_and(|p| p.is_empty())));

    // No workspace, default profile: requests are built without a schema.
    let out = ok(writ_in(
        tmp.path(),
        &["traces", "preview", s(&cassette), "--limit", "1"],
    ));
    assert!(out.contains("no workspace version"), "{out}");
    assert!(
        out.contains("principal Agent::\"mcp\", action Action::\"add\", resource Tool::\"add\""),
        "{out}"
    );
}

#[test]
fn preview_reports_per_item_problems() {
    let tmp = tempfile::tempdir().expect("tmp");
    let log = tmp.path().join("log.jsonl");
    std::fs::write(
        &log,
        concat!(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_kb","arguments":{"q":"x"}}}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"sear"#,
            "\n"
        ),
    )
    .expect("write");
    let project = root().join("sample-policies/v2");
    let out = ok(writ_in(
        tmp.path(),
        &[
            "traces",
            "preview",
            s(&log),
            "--project",
            s(&project),
            "--format-output",
            "json",
        ],
    ));
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let items = doc["items"].as_array().expect("items");
    assert_eq!(doc["format"], "mcp-jsonrpc");
    assert_eq!(items.len(), 2);
    // The cut line first (errors are yielded as read), then the unanswered call.
    let p0 = items[0]["problems"][0].as_str().expect("problem");
    assert!(p0.starts_with("line 2:") && p0.contains("cut off"), "{p0}");
    let problems: Vec<&str> = items[1]["problems"]
        .as_array()
        .expect("p")
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    // No agent is recorded: the writ profile's fallback identity is a shadow
    // agent; the sample schema wants the AgentContext fields.
    assert_eq!(items[1]["record"]["agent"], "unknown-agent");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("context does not match the schema")),
        "{problems:?}"
    );
    assert_eq!(items[1]["action"]["attributes"]["mcp.response"], "missing");
}

#[test]
fn schema_from_mcp_writes_a_valid_fragment() {
    let Some(dir) = samples() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("calc.cedarschema");
    let o = writ(&[
        "schema",
        "from-mcp",
        s(&dir.join("mcp-session-cassette.json")),
        "--namespace",
        "Calc",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", common::both(&o));
    assert!(common::stderr(&o).contains("wrote 4 action(s)"));
    let text = std::fs::read_to_string(&out).expect("written");
    assert!(text.contains("namespace Calc {"));
    for a in ["\"add\"", "\"multiply\"", "\"echo\"", "\"get_weather\""] {
        assert!(
            text.contains(&format!("action {a} appliesTo")),
            "{a}: {text}"
        );
    }
    assert!(
        text.contains("a: Long") && text.contains("a: decimal"),
        "{text}"
    );
    // The fragment is a usable project schema: `writ check` accepts it with
    // a policy over one of its actions.
    let project = tmp.path().join("p");
    std::fs::create_dir_all(project.join("policies")).expect("mkdir");
    std::fs::copy(&out, project.join("schema.cedarschema")).expect("copy");
    std::fs::write(project.join("inventory.toml"), "").expect("inv");
    std::fs::write(
        project.join("policies/p.cedar"),
        "@id(\"small-sums\")\npermit(principal, action == Calc::Action::\"add\", resource) when { context.input.a < 10 };\n",
    )
    .expect("policy");
    ok(writ(&["check", s(&project)]));
    // Not a tool catalog: a clear error naming the file.
    let (_, err) = fails(writ(&[
        "schema",
        "from-mcp",
        s(&dir.join("jaeger-kagent-helm.json")),
    ]));
    assert!(
        err.contains("jaeger-kagent-helm.json") && err.contains("no MCP tool list"),
        "{err}"
    );
}
