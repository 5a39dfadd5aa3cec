//! End-to-end tests of `writ draft` and of the unused grants `writ
//! findings` reports: a project drafted from the sample trace checks and
//! replays as it states; an existing folder is never overwritten; the
//! narrowing proposed for the sample's v2 changes no decision, which `writ
//! diff` (a separate command) confirms.

use serde_json::Value;
use std::collections::BTreeSet;

use crate::common::{both, root, writ};

const TRACE: &str = "scenarios/traces/recorded.jsonl";

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn a_project_drafted_from_a_trace_file_checks_and_replays_as_it_states() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("drafted");
    let trace = root().join(TRACE);
    let o = writ(&[
        "draft",
        "--traces",
        path(&trace),
        "--out",
        path(&out),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("json");
    let check = &doc["check"];
    assert_eq!(check["actions"], 2400);
    assert_eq!(check["problem_count"], 0);
    assert_eq!(check["granted_calls"], check["granted_allowed"]);
    assert!(
        check["granted_calls"].as_u64().unwrap_or(0) > 1000,
        "{check}"
    );
    // The draft is a project `writ check` accepts, and its replay by `writ
    // replay` allows exactly the calls the check counted.
    let o = writ(&["check", path(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let o = writ(&[
        "replay",
        "--project",
        path(&out),
        "--traces",
        path(&trace),
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let results: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    assert_eq!(results.len(), 2400);
    let allowed = results.iter().filter(|v| v["verdict"] == "allowed").count() as u64;
    assert_eq!(allowed, check["allowed"].as_u64().unwrap_or(0));
    assert!(
        results.iter().all(|v| v["principal_kind"] != "shadow"),
        "no shadow agents against the draft"
    );
    // Every identity of the trace is in the drafted inventory or a shadow.
    let agents: BTreeSet<&str> = doc["report"]["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .filter_map(|i| i["entity_id"].as_str())
        .collect();
    let inventory = std::fs::read_to_string(out.join("inventory.toml")).expect("inventory");
    for a in &agents {
        assert!(inventory.contains(&format!("id = \"{a}\"")), "{a}");
    }
    // Never over an existing folder.
    let o = writ(&["draft", "--traces", path(&trace), "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(both(&o).contains("not empty"), "{}", both(&o));
    // A name that is neither a file nor a stored set.
    let o = writ(&[
        "--workspace",
        path(&dir.path().join("none.writ")),
        "draft",
        "--traces",
        "no-such-set",
        "--out",
        path(&dir.path().join("x")),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(!dir.path().join("x").exists());
}

#[test]
fn unused_grants_come_with_a_narrowing_that_changes_no_decision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let narrowed = dir.path().join("narrowed");
    let trace = root().join(TRACE);
    let v2 = root().join("sample-policies/v2");
    let o = writ(&[
        "findings",
        "--project",
        path(&v2),
        "--traces",
        path(&trace),
        "--today",
        "2026-11-30",
        "--format",
        "json",
        "--narrowed-out",
        path(&narrowed),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("json");
    let unused = doc["grants"]["unused"].as_array().expect("unused");
    assert!(!unused.is_empty());
    let findings = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "unused-grant")
        .count();
    assert_eq!(findings, unused.len());
    let check = &doc["grants"]["check"];
    assert_eq!(
        (check["lost"].as_u64(), check["gained"].as_u64()),
        (Some(0), Some(0))
    );
    // `writ diff` of the two projects over the trace: no decision changes.
    let o = writ(&[
        "diff",
        "--from",
        path(&v2),
        "--to",
        path(&narrowed),
        "--traces",
        path(&trace),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let diff: Value = serde_json::from_slice(&o.stdout).expect("json");
    let kinds = diff["decisions"]["counts"]["kinds"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(
        kinds.keys().all(|k| k == "same_decision_other_reasons"),
        "{kinds:?}"
    );
    // The narrowed project has no unused grant left.
    let o = writ(&[
        "findings",
        "--project",
        path(&narrowed),
        "--traces",
        path(&trace),
        "--today",
        "2026-11-30",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        doc["grants"]["unused"].as_array().map(Vec::len),
        Some(0),
        "{}",
        doc["grants"]
    );
    // Leaving them out.
    let o = writ(&[
        "findings",
        "--project",
        path(&v2),
        "--traces",
        path(&trace),
        "--today",
        "2026-11-30",
        "--format",
        "json",
        "--no-grants",
    ]);
    let doc: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(doc["grants"].is_null());
}

#[test]
fn a_remap_is_previewed_without_storing_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("w.writ");
    let ws = path(&ws);
    let trace = root().join("scenarios/traces/larkspur-otlp.json");
    let profile = root().join("scenarios/traces/larkspur-profile.toml");
    let o = writ(&["--workspace", ws, "init"]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let o = writ(&[
        "--workspace",
        ws,
        "traces",
        "import",
        path(&trace),
        "--name",
        "l",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let o = writ(&[
        "--workspace",
        ws,
        "traces",
        "remap",
        "l",
        "--profile",
        path(&profile),
        "--preview",
        "--limit",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.matches("\n#").count(), 2, "{out}");
    assert!(
        out.contains("action Action::\"read_patient\", resource Patient::\"p-"),
        "{out}"
    );
    assert!(out.contains("nothing stored"), "{out}");
    let o = writ(&["--workspace", ws, "traces", "list"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        1,
        "{}",
        both(&o)
    );
}
