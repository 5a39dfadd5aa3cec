//! End-to-end tests of `writ findings` on the sample: a project folder with
//! a trace file, a stored version with a stored trace set, `--fail-on`, and
//! bad input. Expected findings are worked out from the data itself (the
//! trace is read here), not copied from the command's output.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

use crate::common::{both, root, s, writ};

const TRACE: &str = "scenarios/traces/recorded.jsonl";
const V2: &str = "sample-policies/v2";
/// Reviews are judged on a fixed date, so the results do not change with the calendar.
const TODAY: &str = "2026-11-30";

fn code(o: &Output, expected: i32) -> String {
    assert_eq!(o.status.code(), Some(expected), "{}", both(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: Output) -> Value {
    let out = code(&o, 0);
    serde_json::from_str(&out).expect("findings --format json prints JSON")
}

fn findings_of<'a>(doc: &'a Value, code: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn subjects(doc: &Value, code: &str) -> BTreeSet<String> {
    findings_of(doc, code)
        .iter()
        .map(|f| f["subject"].as_str().expect("subject").to_string())
        .collect()
}

fn one<'a>(doc: &'a Value, code: &str, subject: &str) -> &'a Value {
    let hits: Vec<&Value> = findings_of(doc, code)
        .into_iter()
        .filter(|f| f["subject"] == subject)
        .collect();
    assert_eq!(hits.len(), 1, "{code} {subject}: {doc:#}");
    hits[0]
}

/// The recorded trace's lines, parsed, with their line numbers.
fn trace() -> Vec<(usize, Value)> {
    std::fs::read_to_string(root().join(TRACE))
        .expect("trace")
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, serde_json::from_str(l).expect("valid line")))
        .collect()
}

/// The line numbers of the actions of `agent` in the trace.
fn lines_of(agent: &str) -> Vec<usize> {
    trace()
        .into_iter()
        .filter(|(_, r)| r["agent"] == agent)
        .map(|(n, _)| n)
        .collect()
}

/// Asserts a finding's action evidence: the count and the first lines.
fn assert_actions(f: &Value, expected: &[usize]) {
    let a = &f["actions"];
    assert_eq!(a["count"].as_u64(), Some(expected.len() as u64), "{f:#}");
    let listed: Vec<usize> = a["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l.as_u64().expect("line") as usize)
        .collect();
    assert!(!listed.is_empty(), "{f:#}");
    assert_eq!(listed, expected[..listed.len()], "{f:#}");
}

/// The 1-based line of v2's inventory holding `needle` after `after`.
fn inventory_line(after: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(root().join(V2).join("inventory.toml")).expect("inventory");
    let start = text.find(after).expect("after");
    let at = start + text[start..].find(needle).expect("needle");
    text[..at].matches('\n').count() as u64 + 1
}

/// `writ findings` on the v2 folder and the recorded trace, as JSON.
fn sample_findings() -> Value {
    json(writ(&[
        "findings",
        "--project",
        V2,
        "--traces",
        TRACE,
        "--today",
        TODAY,
        "--format",
        "json",
    ]))
}

#[test]
fn the_sample_findings_match_the_data() {
    let doc = sample_findings();
    assert_eq!(doc["traces"]["actions"], 2400);

    // The two overdue reviews, located at their review dates.
    assert_eq!(
        subjects(&doc, "review-overdue"),
        BTreeSet::from(["docs-writer".to_string(), "legacy-report-bot".to_string()])
    );
    let docs = one(&doc, "review-overdue", "docs-writer");
    assert_eq!(docs["severity"], "medium");
    assert_eq!(
        docs["inventory"][0]["line"].as_u64(),
        Some(inventory_line("id = \"docs-writer\"", "review_due"))
    );
    assert!(docs["inventory"][0]["file"]
        .as_str()
        .expect("file")
        .ends_with("v2/inventory.toml"));

    // Shadow agents: exactly those the replay summary reports, with the same counts.
    let replay = writ(&[
        "replay",
        "--project",
        V2,
        "--traces",
        TRACE,
        "--format",
        "json",
    ]);
    let replay: Value = serde_json::from_str(&code(&replay, 0)).expect("replay json");
    let shadows: BTreeMap<String, u64> = replay["summary"]["shadow_agents"]
        .as_object()
        .expect("shadow agents")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("count")))
        .collect();
    assert_eq!(shadows.len(), 3, "{shadows:?}");
    assert_eq!(
        subjects(&doc, "shadow-agent"),
        shadows.keys().cloned().collect::<BTreeSet<_>>()
    );
    for (identity, n) in &shadows {
        let f = one(&doc, "shadow-agent", identity);
        assert_eq!(f["actions"]["count"].as_u64(), Some(*n));
        assert_actions(f, &lines_of(identity));
    }

    // The retired and the suspended agent still acting.
    let legacy = one(&doc, "retired-agent-acting", "legacy-report-bot");
    assert_eq!(legacy["severity"], "critical");
    assert_actions(
        legacy,
        &lines_of("spiffe://acme.example/agents/legacy-report-bot"),
    );
    assert_eq!(
        legacy["inventory"][0]["line"].as_u64(),
        Some(inventory_line("id = \"legacy-report-bot\"", "status"))
    );
    let expense = one(&doc, "suspended-agent-acting", "expense-bot");
    assert_eq!(expense["severity"], "high");
    assert_actions(
        expense,
        &lines_of("oidc:https://login.acme.example|expense-bot"),
    );
    assert_eq!(
        subjects(&doc, "retired-agent-acting").len()
            + subjects(&doc, "suspended-agent-acting").len(),
        2
    );

    // The high-tier agent with a static credential, in the inventory and in use.
    assert_eq!(
        subjects(&doc, "static-credential"),
        BTreeSet::from(["finance-recon-agent".to_string()])
    );
    let finance_static: Vec<usize> = trace()
        .into_iter()
        .filter(|(_, r)| {
            r["agent"] == "spiffe://acme.example/agents/finance-recon-agent"
                && r["context"]["credential_kind"] == "static"
        })
        .map(|(n, _)| n)
        .collect();
    assert_actions(
        one(&doc, "static-credential-used", "finance-recon-agent"),
        &finance_static,
    );
    // The critical deploy agent seen with a static credential.
    let deploy_static: Vec<usize> = trace()
        .into_iter()
        .filter(|(_, r)| {
            r["agent"] == "spiffe://acme.example/agents/deploy-agent"
                && r["context"]["credential_kind"] == "static"
        })
        .map(|(n, _)| n)
        .collect();
    let deploy = one(&doc, "static-credential-used", "deploy-agent");
    assert_eq!(deploy["severity"], "critical");
    assert_actions(deploy, &deploy_static);

    // Off use case: the support bot's intents other than its two use cases.
    let support_off: Vec<usize> = trace()
        .into_iter()
        .filter(|(_, r)| {
            r["agent"] == "spiffe://acme.example/agents/support-bot"
                && r["context"]["intent"] != "answer_tickets"
                && r["context"]["intent"] != "refund_small"
        })
        .map(|(n, _)| n)
        .collect();
    assert_actions(one(&doc, "off-use-case", "support-bot"), &support_off);
    // Every tool of the trace is in v2's inventory; the inventory claims no identity twice.
    assert!(findings_of(&doc, "unlisted-tool").is_empty());
    assert!(findings_of(&doc, "shared-identity").is_empty());
    assert!(findings_of(&doc, "no-owner").is_empty());

    // The text output groups by severity, most serious first, with evidence.
    let text = code(
        &writ(&[
            "findings",
            "--project",
            V2,
            "--traces",
            TRACE,
            "--today",
            TODAY,
        ]),
        0,
    );
    let at = |w: &str| text.find(w).unwrap_or_else(|| panic!("`{w}` in {text}"));
    assert!(at("\nCRITICAL (") < at("\nHIGH (") && at("\nHIGH (") < at("\nMEDIUM ("));
    assert!(text.contains("retired-agent-acting"), "{text}");
    assert!(
        text.contains("(+11 more)"),
        "legacy-report-bot's 16 actions, 5 listed: {text}"
    );
    assert!(text.contains("v2/inventory.toml:"), "{text}");
}

#[test]
fn a_stored_version_and_set_give_the_same_findings_as_the_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("s.writ");
    code(&writ(&["init", "--sample", s(&ws)]), 0);
    let list = code(&writ(&["--workspace", s(&ws), "version", "list"]), 0);
    let v2 = list
        .lines()
        .find(|l| l.contains("version v2"))
        .and_then(|l| l.split_whitespace().next())
        .expect("v2 in the list")
        .to_string();
    let stored = json(writ(&[
        "--workspace",
        s(&ws),
        "findings",
        "--project",
        &format!("@{v2}"),
        "--set",
        "recorded",
        "--today",
        TODAY,
        "--format",
        "json",
    ]));
    let files = sample_findings();
    // The same findings; only where they point differs (stored vs. on disk).
    let strip = |doc: &Value| -> Vec<Value> {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                let mut f = f.clone();
                for e in f["inventory"].as_array_mut().expect("inventory") {
                    e["file"] = Value::Null;
                }
                if f["actions"].is_object() {
                    f["actions"]["source"] = Value::Null;
                }
                f
            })
            .collect()
    };
    assert!(!strip(&stored).is_empty());
    assert_eq!(strip(&stored), strip(&files));
    let first = &findings_of(&stored, "shadow-agent")[0];
    assert_eq!(first["actions"]["source"], "trace set `recorded`");
    assert_eq!(
        findings_of(&stored, "review-overdue")[0]["inventory"][0]["file"]
            .as_str()
            .expect("file"),
        format!("@{v2}/inventory.toml")
    );
    // An unknown set is bad input.
    let o = writ(&[
        "--workspace",
        s(&ws),
        "findings",
        "--project",
        &format!("@{v2}"),
        "--set",
        "nope",
    ]);
    code(&o, 1);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("nope"),
        "{}",
        both(&o)
    );
}

#[test]
fn fail_on_exits_2_at_or_above_the_severity() {
    // With the trace there are critical findings (shadow agents, a retired agent acting).
    let o = writ(&[
        "findings",
        "--project",
        V2,
        "--traces",
        TRACE,
        "--today",
        TODAY,
        "--fail-on",
        "critical",
    ]);
    code(&o, 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("at or above critical"),
        "{}",
        both(&o)
    );
    // The inventory alone has high (static credential) and medium (overdue
    // reviews) findings only.
    for (fail_on, want) in [("critical", 0), ("high", 2), ("medium", 2)] {
        let o = writ(&[
            "findings",
            "--project",
            V2,
            "--today",
            TODAY,
            "--fail-on",
            fail_on,
        ]);
        assert_eq!(
            o.status.code(),
            Some(want),
            "--fail-on {fail_on}: {}",
            both(&o)
        );
    }
    // Judged in 2026-01, the reviews were not yet overdue.
    let early = json(writ(&[
        "findings",
        "--project",
        V2,
        "--today",
        "2026-01-01",
        "--format",
        "json",
    ]));
    assert!(
        findings_of(&early, "review-overdue").is_empty(),
        "{early:#}"
    );
}

#[test]
fn bad_input_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Not a folder.
    code(
        &writ(&["findings", "--project", s(&dir.path().join("nope"))]),
        1,
    );
    // A folder without an inventory.
    code(&writ(&["findings", "--project", s(dir.path())]), 1);
    // An inventory that does not parse: located error.
    std::fs::write(dir.path().join("inventory.toml"), "[[agent]\nid = 1\n").expect("write");
    let o = writ(&["findings", "--project", s(dir.path())]);
    code(&o, 1);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("inventory.toml:1:"),
        "{}",
        both(&o)
    );
    // Bad options.
    let missing = dir.path().join("none.jsonl");
    for bad in [
        ["--fail-on", "urgent"],
        ["--today", "yesterday"],
        ["--traces", s(&missing)],
    ] {
        let mut args = vec!["findings", "--project", V2];
        args.extend(bad);
        let o = writ(&args);
        assert_eq!(o.status.code(), Some(1), "{bad:?}: {}", both(&o));
    }
    // A trace with a malformed line: refused unless --allow-bad-lines.
    let bad = dir.path().join("bad.jsonl");
    let mut text = std::fs::read_to_string(root().join(TRACE)).expect("trace");
    text.push_str("{not json\n");
    std::fs::write(&bad, text).expect("write");
    let o = writ(&["findings", "--project", V2, "--traces", s(&bad)]);
    code(&o, 1);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(":2401:"),
        "{}",
        both(&o)
    );
    code(
        &writ(&[
            "findings",
            "--project",
            V2,
            "--traces",
            s(&bad),
            "--allow-bad-lines",
        ]),
        0,
    );
}

#[test]
fn an_inventory_with_check_errors_still_gives_findings() {
    // A missing owner and a shared identity are errors for `writ check`,
    // and exactly what findings report.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(root().join(V2).join("inventory.toml"))
        .expect("inventory")
        .replacen("owner = \"maria.lopez@acme.example\"\n", "", 1)
        .replacen(
            "oidc_subject = \"docs-writer\"",
            "oidc_subject = \"hr-assistant\"",
            1,
        );
    std::fs::write(dir.path().join("inventory.toml"), text).expect("write");
    let doc = json(writ(&[
        "findings",
        "--project",
        s(dir.path()),
        "--traces",
        TRACE,
        "--today",
        TODAY,
        "--format",
        "json",
    ]));
    assert_eq!(
        subjects(&doc, "no-owner"),
        BTreeSet::from(["support-bot".to_string()])
    );
    let shared = one(
        &doc,
        "shared-identity",
        "oidc:https://login.acme.example|hr-assistant",
    );
    assert_eq!(shared["inventory"].as_array().expect("claims").len(), 2);
    let hr = lines_of("oidc:https://login.acme.example|hr-assistant");
    assert_actions(shared, &hr);
    assert_eq!(
        subjects(&doc, "traffic-under-shared-identity"),
        BTreeSet::from(["docs-writer".to_string(), "hr-assistant".to_string()])
    );
    assert_actions(
        one(&doc, "traffic-under-shared-identity", "docs-writer"),
        &hr,
    );
}
