//! End-to-end tests of the `writ` binary on the sample organisation and on
//! broken copies of it.

use std::path::PathBuf;
use std::process::Output;

use crate::common;
use crate::common::{copy_dir, root, s, writ_keeping_env as writ};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of sample v1 in a temporary folder.
fn sample_copy() -> (tempfile::TempDir, PathBuf) {
    let (dir, p) = common::in_temp_dir("proj");
    copy_dir(&root().join("sample-policies/v1"), &p);
    (dir, p)
}

const TRACE: &str = "scenarios/traces/recorded.jsonl";

#[test]
fn check_passes_on_both_sample_versions() {
    for v in ["sample-policies/v1", "sample-policies/v2"] {
        let o = writ(&["check", v]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains(": ok ("));
    }
}

#[test]
fn validator_warnings_are_located_and_fail_only_with_deny_warnings() {
    let (_d, p) = sample_copy();
    // Cedar's validator calls a policy that can never apply an impossible
    // policy: a warning, not an error.
    std::fs::write(
        p.join("policies/zz-never.cedar"),
        "@id(\"never\")\npermit(principal, action, resource) when { false };\n",
    )
    .expect("write");
    let o = writ(&["check", s(&p)]);
    assert!(o.status.success(), "a warning alone passes: {}", text(&o));
    let out = text(&o);
    assert!(out.contains("warning[policy-warning]"), "{out}");
    assert!(out.contains("zz-never.cedar:1:1"), "located: {out}");
    assert!(out.contains("impossible"), "{out}");
    let o = writ(&["check", s(&p), "--deny-warnings"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--deny-warnings"), "{}", text(&o));
    // Errors still fail without the flag.
    std::fs::write(p.join("policies/zz-bad.cedar"), "permit(principal,").expect("write");
    assert_eq!(writ(&["check", s(&p)]).status.code(), Some(1));
}

#[test]
fn syntax_error_is_located_with_a_caret() {
    let (_d, p) = sample_copy();
    let file = p.join("policies/baseline.cedar");
    let src = std::fs::read_to_string(&file).expect("read");
    let broken = src.replacen("(principal,", "(principal ==,", 1);
    assert_ne!(src, broken, "the sample has a policy head to break");
    std::fs::write(&file, &broken).expect("write");
    let o = writ(&["check", s(&p)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("error[policy-parse]"), "{out}");
    assert!(out.contains("baseline.cedar:"), "{out}");
    assert!(out.contains('^'), "{out}");
    let json = writ(&["check", s(&p), "--format", "json"]);
    let items: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json array");
    let first = items
        .as_array()
        .and_then(|a| a.iter().find(|d| d["severity"] == "error"))
        .expect("an error");
    assert!(
        first["line"].as_u64().is_some() && first["column"].as_u64().is_some(),
        "{first}"
    );
}

#[test]
fn validation_error_names_the_policy_place() {
    let (_d, p) = sample_copy();
    let file = p.join("policies/zz-extra.cedar");
    std::fs::write(
        &file,
        "@id(\"typo\")\npermit(principal, action, resource)\nwhen { principal.risk_teir == \"low\" };\n",
    )
    .expect("write");
    let o = writ(&["check", s(&p)]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o);
    assert!(out.contains("error[policy-validation]"), "{out}");
    assert!(out.contains("zz-extra.cedar:3:"), "{out}");
}

#[test]
fn duplicate_ids_point_at_both_files() {
    let (_d, p) = sample_copy();
    let first = std::fs::read_dir(p.join("policies"))
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("@id(")))
        .expect("a policy file with ids");
    let src = std::fs::read_to_string(&first).expect("read");
    let start = src.find("@id(\"").expect("an id") + 5;
    let id = &src[start..start + src[start..].find('"').expect("closing quote")];
    std::fs::write(
        p.join("policies/zz-dup.cedar"),
        format!("@id(\"{id}\")\nforbid(principal, action, resource);\n"),
    )
    .expect("write");
    let o = writ(&["check", s(&p)]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o);
    assert!(out.contains("error[policy-id-duplicate]"), "{out}");
    assert!(out.contains("zz-dup.cedar:1:1"), "{out}");
    assert!(out.contains("first used here"), "{out}");
}

#[test]
fn broken_inventory_is_located() {
    let (_d, p) = sample_copy();
    let file = p.join("inventory.toml");
    let src = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        src.replacen("risk_tier =", "risk_teir = \"x\"\nrisk_tier =", 1),
    )
    .expect("write");
    let o = writ(&["check", s(&p)]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o);
    assert!(out.contains("error[inventory-unknown-key]"), "{out}");
    assert!(out.contains("risk_teir"), "{out}");
    assert!(out.contains("inventory.toml:"), "{out}");

    let owner_line = src
        .lines()
        .find(|l| l.starts_with("owner ="))
        .expect("an owner line");
    std::fs::write(&file, src.replacen(owner_line, "", 1)).expect("write");
    let o = writ(&["check", s(&p)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("error[inventory-no-owner]"),
        "{}",
        text(&o)
    );
}

#[test]
fn replay_reports_every_action_and_the_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("results.jsonl");
    let o = writ(&[
        "replay",
        "--project",
        "sample-policies/v1",
        "--traces",
        TRACE,
        "--format",
        "jsonl",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let lines = std::fs::read_to_string(TRACE_PATH())
        .expect("trace")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let results = std::fs::read_to_string(&out).expect("results");
    assert_eq!(results.lines().count(), lines);
    let first: serde_json::Value =
        serde_json::from_str(results.lines().next().expect("a line")).expect("json");
    for key in ["decision", "verdict", "reasons", "errors", "principal"] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }
    let json = writ(&[
        "replay",
        "--project",
        "sample-policies/v1",
        "--traces",
        TRACE,
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json document");
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(lines));
    assert_eq!(doc["summary"]["actions"].as_u64(), Some(lines as u64));
}

#[allow(non_snake_case)]
fn TRACE_PATH() -> PathBuf {
    root().join(TRACE)
}

#[test]
fn bad_trace_lines_are_located_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = dir.path().join("t.jsonl");
    let good: Vec<String> = std::fs::read_to_string(TRACE_PATH())
        .expect("trace")
        .lines()
        .take(5)
        .map(str::to_string)
        .collect();
    let body = format!(
        "{}\n{{not json\n{}\n{}\n",
        good[0],
        good[1].replace("\"outcome\"", "\"outcom\""),
        good[2]
    );
    std::fs::write(&trace, body).expect("write");
    let out = dir.path().join("r.jsonl");
    let o = writ(&[
        "replay",
        "--project",
        "sample-policies/v1",
        "--traces",
        s(&trace),
        "--format",
        "jsonl",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("t.jsonl:2:"), "{t}");
    assert!(t.contains("t.jsonl:3:"), "{t}");
    assert!(t.contains("2 malformed line(s)"), "{t}");
    assert!(!out.exists(), "nothing may be written");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "no temporary file left"
    );

    let o = writ(&[
        "replay",
        "--project",
        "sample-policies/v1",
        "--traces",
        s(&trace),
        "--strict",
        "--format",
        "jsonl",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--strict"), "{}", text(&o));
    assert!(!out.exists());

    let o = writ(&[
        "replay",
        "--project",
        "sample-policies/v1",
        "--traces",
        s(&trace),
        "--allow-bad-lines",
        "--format",
        "jsonl",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&out)
            .expect("written")
            .lines()
            .count(),
        2
    );
}

#[test]
fn a_broken_project_writes_nothing() {
    let (d, p) = sample_copy();
    std::fs::write(
        p.join("policies/zz.cedar"),
        "permit(principal action, resource);",
    )
    .expect("write");
    let out = d.path().join("r.jsonl");
    let o = writ(&[
        "replay",
        "--project",
        s(&p),
        "--traces",
        TRACE,
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("zz.cedar:1:"), "{}", text(&o));
    assert!(!out.exists());
}

#[test]
fn diff_finds_the_regression_and_gates() {
    let o = writ(&[
        "diff",
        "--from",
        "sample-policies/v1",
        "--to",
        "sample-policies/v2",
        "--traces",
        TRACE,
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let changed = doc["decisions"]["counts"]["total"].as_u64().expect("count");
    assert!(changed > 0);
    assert_eq!(
        doc["decisions"]["changes"].as_array().map(Vec::len),
        Some(changed as usize)
    );
    assert!(doc["policies"].as_array().is_some_and(|p| !p.is_empty()));

    // The text output lists the responsible policies most first: the rows
    // follow the JSON's before/after counts ordered by the larger of the two.
    let count = |side: &str, p: &str| doc["decisions"][side][p].as_u64().unwrap_or(0);
    let mut want: Vec<(String, u64, u64)> = ["responsible_from", "responsible_to"]
        .iter()
        .flat_map(|side| doc["decisions"][*side].as_object().expect(side).keys())
        .map(|p| {
            (
                p.clone(),
                count("responsible_from", p),
                count("responsible_to", p),
            )
        })
        .collect();
    want.sort();
    want.dedup();
    want.sort_by(|x, y| {
        (y.1.max(y.2), y.1 + y.2)
            .cmp(&(x.1.max(x.2), x.1 + x.2))
            .then_with(|| x.0.cmp(&y.0))
    });
    let o = writ(&[
        "diff",
        "--from",
        "sample-policies/v1",
        "--to",
        "sample-policies/v2",
        "--traces",
        TRACE,
    ]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let section = out
        .split("Policies responsible (determining in changed actions), most first\n")
        .nth(1)
        .expect("a responsible-policies section");
    let rows: Vec<(String, u64, u64)> = section
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[1].parse().expect("before"),
                f[2].parse().expect("after"),
            )
        })
        .collect();
    assert_eq!(rows, want, "{section}");
    // The sample's regression: the new production-change forbid leads.
    assert_eq!(rows[0].0, "low-tier-no-production-changes", "{section}");

    // --policy lists only the changed actions that policy determined, as
    // many as its row counts when it determined one side only.
    let (lead, before, after) = rows[0].clone();
    let o = writ(&[
        "diff",
        "--from",
        "sample-policies/v1",
        "--to",
        "sample-policies/v2",
        "--traces",
        TRACE,
        "--policy",
        &lead,
    ]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let header = format!("Changed actions (determined by {lead}): ");
    let listed = out
        .lines()
        .find_map(|l| l.strip_prefix(header.as_str()))
        .unwrap_or_else(|| panic!("no filtered list in:\n{out}"));
    let shown: u64 = listed
        .split(" of ")
        .next()
        .and_then(|n| n.parse().ok())
        .expect("count");
    if before == 0 || after == 0 {
        assert_eq!(shown, before + after, "{listed}");
    }
    let lines_after_header = out.split(&header).nth(1).expect("list");
    let rows_listed = lines_after_header
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  line "))
        .count() as u64;
    assert_eq!(rows_listed, shown);

    // (from, to, gate, exit): v1 -> v2 only tightens, so no access is
    // gained; the reverse direction gains access, which the gate catches;
    // a version against itself changes nothing.
    let (v1, v2) = ("sample-policies/v1", "sample-policies/v2");
    for (from, to, gate, want) in [
        (v1, v2, "allow-gained", 0),
        (v2, v1, "allow-gained", 2),
        (v1, v1, "any-change", 0),
    ] {
        let o = writ(&[
            "diff",
            "--from",
            from,
            "--to",
            to,
            "--traces",
            TRACE,
            "--fail-on",
            gate,
        ]);
        assert_eq!(
            o.status.code(),
            Some(want),
            "{from} -> {to} --fail-on {gate}: {}",
            text(&o)
        );
    }
}

#[test]
fn scenario_tests_pass_and_failures_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("junit.xml");
    let o = writ(&["test", "scenarios/", "--junit", s(&junit)]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
    // The sample's scenarios exercise every policy of both versions.
    assert!(
        out.contains("coverage sample-policies/v1: ")
            && out.contains("coverage sample-policies/v2: "),
        "{out}"
    );
    assert!(!out.contains("never determining"), "{out}");
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(
        xml.contains("<testsuites") && xml.contains("failures=\"0\""),
        "{xml}"
    );

    let scenario = dir.path().join("wrong.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"wrong\"\nproject = \"{}\"\ntraces = \"{}\"\n[[case]]\nname = \"expects the opposite\"\nline = 1\nexpect = {{ decision = \"deny\", verdict = \"not_permitted\" }}\n",
            s(&root().join("sample-policies/v1")),
            s(&TRACE_PATH())
        ),
    )
    .expect("write");
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(TRACE_PATH())
            .expect("trace")
            .lines()
            .next()
            .expect("line"),
    )
    .expect("json");
    let o = writ(&["test", s(&scenario), "--junit", s(&junit)]);
    let out = text(&o);
    // The first recorded action is allowed in v1 unless the trace says otherwise.
    if first["recorded_decision"] != "deny" {
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(out.contains("FAIL  expects the opposite"), "{out}");
        assert!(out.contains("0 passed, 1 failed"), "{out}");
        assert!(std::fs::read_to_string(&junit)
            .expect("junit")
            .contains("<failure"));
    }
}

#[test]
fn cedar_run_tests_files_carry_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policies = dir.path().join("p.cedar");
    std::fs::write(
        &policies,
        "permit(principal == User::\"alice\", action == Action::\"view\", resource);\n@id(\"no-bob\")\nforbid(principal == User::\"bob\", action, resource);\n",
    )
    .expect("write");
    let tests = dir.path().join("t.json");
    std::fs::write(
        &tests,
        r#"[
 {"name": "alice views", "request": {"principal": "User::\"alice\"", "action": "Action::\"view\"", "resource": "Photo::\"a\"", "context": {}}, "entities": [], "decision": "allow", "reason": ["policy0"], "num_errors": 0},
 {"name": "bob is forbidden", "request": {"principal": "User::\"bob\"", "action": "Action::\"view\"", "resource": "Photo::\"a\"", "context": {}}, "entities": [], "decision": "deny", "reason": ["no-bob"], "num_errors": 0},
 {"name": "wrong on purpose", "request": {"principal": "User::\"carol\"", "action": "Action::\"view\"", "resource": "Photo::\"a\"", "context": {}}, "entities": [], "decision": "allow", "reason": [], "num_errors": 0}
]"#,
    )
    .expect("write");
    let o = writ(&["test", s(&tests), "--policies", s(&policies)]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("2 passed, 1 failed"), "{out}");
}

/// Every project under `sample-policies/` (a folder with a `policies`
/// folder), sorted.
fn sample_projects() -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        if dir.join("policies").is_dir() {
            out.push(dir.to_path_buf());
            return;
        }
        for e in std::fs::read_dir(dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("sample-policies"), &mut out);
    out.sort();
    out
}

#[test]
fn fmt_check_passes_on_every_sample_project() {
    let projects = sample_projects();
    assert!(projects.len() >= 5, "sample projects: {projects:?}");
    for p in &projects {
        let o = writ(&["fmt", s(p), "--check"]);
        assert!(
            o.status.success(),
            "{} is not formatted (run `writ fmt` on it): {}",
            p.display(),
            text(&o)
        );
    }
}

#[test]
fn fmt_formats_and_check_reports() {
    let (_d, p) = sample_copy();
    let file = p.join("policies/zz.cedar");
    std::fs::write(&file, "// keep me\n@id(\"x\") permit(principal,action,resource) when {context.environment==\"dev\"};").expect("write");
    let o = writ(&["fmt", s(&p), "--check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("zz.cedar"), "{}", text(&o));
    let o = writ(&["fmt", s(&p)]);
    assert!(o.status.success(), "{}", text(&o));
    let formatted = std::fs::read_to_string(&file).expect("read");
    assert!(formatted.contains("// keep me"), "{formatted}");
    assert!(
        formatted.contains("context.environment == \"dev\""),
        "{formatted}"
    );
    let o = writ(&["fmt", s(&p), "--check"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = writ(&["check", s(&p)]);
    assert!(o.status.success(), "{}", text(&o));
}
