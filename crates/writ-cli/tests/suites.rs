//! End-to-end tests of `writ suites add|list|remove` and
//! `writ test --suite NAME|all` on temporary workspaces.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{both, fails, in_temp_dir, ok, s, writ};

struct Ws {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Ws {
    fn sample() -> Ws {
        let (dir, path) = in_temp_dir("s.writ");
        ok(writ(&["init", "--sample", s(&path)]));
        Ws { _dir: dir, path }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--workspace", s(&self.path), "--as", "tester"];
        all.extend_from_slice(args);
        writ(&all)
    }

    fn dir(&self) -> &Path {
        self._dir.path()
    }
}

/// `N passed, M failed` from the last line of the output.
fn counts(out: &str) -> (usize, usize) {
    let last = out.lines().last().unwrap_or_default();
    let words: Vec<&str> = last.split_whitespace().collect();
    match words.as_slice() {
        [p, "passed,", f, "failed"] => (p.parse().unwrap(), f.parse().unwrap()),
        _ => panic!("no summary line in {out}"),
    }
}

/// The version ids `writ suites list` shows, by suite.
fn listed(ws: &Ws) -> Vec<Vec<String>> {
    ok(ws.run(&["suites", "list"]))
        .lines()
        .map(|l| l.split_whitespace().take(4).map(str::to_string).collect())
        .collect()
}

#[test]
fn the_sample_suites_pass_as_the_scenario_files_do() {
    let ws = Ws::sample();
    let list = listed(&ws);
    let names: Vec<&str> = list.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["v1-baseline", "v2-guardrails", "v2-step-up"]);
    assert!(list.iter().all(|r| r[2] == "recorded"), "{list:?}");
    assert_eq!(list[1][1], list[2][1], "both v2 suites on one version");
    assert_ne!(list[0][1], list[1][1]);

    let files = ok(writ(&["test", "scenarios/"]));
    let junit = ws.dir().join("suites.xml");
    let stored = ok(ws.run(&["test", "--suite", "all", "--junit", s(&junit)]));
    assert_eq!(counts(&stored), counts(&files));
    assert_eq!(counts(&stored), (80, 0));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"80\""), "{xml}");
    assert!(stored.contains("coverage @"), "{stored}");

    let one = ok(ws.run(&["test", "--suite", "v2-step-up"]));
    assert_eq!(counts(&one), (26, 0));
}

#[test]
fn a_v2_suite_against_v1_fails_with_expected_and_actual() {
    let ws = Ws::sample();
    let v1 = listed(&ws)[0][1].clone();
    let junit = ws.dir().join("over.xml");
    let (out, _) = fails(ws.run(&[
        "test",
        "--suite",
        "v2-guardrails",
        "--version",
        &v1,
        "--junit",
        s(&junit),
    ]));
    let (passed, failed) = counts(&out);
    assert_eq!(passed + failed, 24);
    assert!(failed > 0, "{out}");
    assert!(out.contains(&format!("version {v1}")), "{out}");
    assert!(out.contains("FAIL  REGRESSION"), "{out}");
    assert!(out.contains("expected decision deny, got allow"), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(&format!("failures=\"{failed}\"")), "{xml}");
}

#[test]
fn add_list_replace_and_remove() {
    let ws = Ws::sample();
    let v1 = listed(&ws)[0][1].clone();

    // A malformed file: located, nothing stored.
    let bad = ws.dir().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\n\n[[case]]\nname = 3\n").unwrap();
    let (_, err) = fails(ws.run(&["suites", "add", s(&bad), "--version", &v1]));
    assert!(err.contains(&format!("{}:4:8", bad.display())), "{err}");
    assert_eq!(listed(&ws).len(), 3);

    // Unknown bindings are named.
    let file = "scenarios/v1-baseline.toml";
    let (_, err) = fails(ws.run(&["suites", "add", file, "--version", "abcdef99"]));
    assert!(err.contains("abcdef99"), "{err}");
    let (_, err) = fails(ws.run(&["suites", "add", file, "--traces", "week-99"]));
    assert!(err.contains("week-99"), "{err}");
    // The default name is the file's, which the sample already has.
    let (_, err) = fails(ws.run(&["suites", "add", file]));
    assert!(err.contains("exists already"), "{err}");

    let out = ok(ws.run(&[
        "suites",
        "add",
        file,
        "--name",
        "mine",
        "--version",
        &v1,
        "--traces",
        "recorded",
    ]));
    assert!(out.contains("added suite mine (30 cases)"), "{out}");
    assert_eq!(counts(&ok(ws.run(&["test", "--suite", "mine"]))), (30, 0));

    // Without a trace set, its line cases cannot run: exit 1, said why.
    ok(ws.run(&[
        "suites",
        "add",
        file,
        "--name",
        "mine",
        "--version",
        &v1,
        "--replace",
    ]));
    let (_, err) = fails(ws.run(&["test", "--suite", "mine"]));
    assert!(err.contains("no trace set"), "{err}");
    // ... unless the run names one.
    let out = ok(ws.run(&["test", "--suite", "mine", "--traces", "recorded"]));
    assert_eq!(counts(&out), (30, 0));

    ok(ws.run(&["suites", "remove", "mine"]));
    assert_eq!(listed(&ws).len(), 3);
    let (_, err) = fails(ws.run(&["suites", "remove", "mine"]));
    assert!(err.contains("`mine`"), "{err}");
    let (_, err) = fails(ws.run(&["test", "--suite", "mine"]));
    assert!(err.contains("`mine` is not in the workspace"), "{err}");

    let audit = ok(ws.run(&["audit", "list"]));
    for kind in ["suite.add", "suite.replace", "suite.remove"] {
        assert!(audit.contains(kind), "{audit}");
    }
    ok(ws.run(&["audit", "verify"]));
}

#[test]
fn suite_and_files_do_not_mix() {
    let ws = Ws::sample();
    let o = ws.run(&["test", "scenarios/", "--suite", "all"]);
    assert_eq!(o.status.code(), Some(2), "clap usage error: {}", both(&o));
    let (_, err) = fails(ws.run(&["test", "scenarios/", "--version", "abcd"]));
    assert!(err.contains("use them with --suite"), "{err}");
}

/// `writ suites add-case`: a request decided by the suite's version pinned
/// as a case (the suite still passes, one case more); the same suite run
/// against a version that decides otherwise fails on that case; a bad
/// record is refused naming the file, and the suite is unchanged.
#[test]
fn add_case_pins_the_decision_of_the_suites_version() {
    let ws = Ws::sample();
    let rows = listed(&ws);
    let guard = rows
        .iter()
        .find(|r| r[0] == "v2-guardrails")
        .expect("the sample's v2 suite");
    let cases_before: usize = guard[3].parse().unwrap();
    let v1 = rows.iter().find(|r| r[0] == "v1-baseline").unwrap()[1].clone();
    let record = ws.dir().join("request.json");
    std::fs::write(
        &record,
        r#"{
  "ts": "2026-11-04T10:00:00Z",
  "agent": "spiffe://acme.example/agents/support-bot",
  "action": "read_ticket",
  "resource": {"type": "Ticket", "id": "T-1047"},
  "context": {"intent": "answer_tickets", "environment": "production", "risk_score": 10,
              "credential_kind": "short_lived", "credential_ttl_secs": 600},
  "outcome": "executed"
}"#,
    )
    .unwrap();
    let out = ok(ws.run(&[
        "suites",
        "add-case",
        "v2-guardrails",
        "--name",
        "pinned: support reads a ticket in production",
        "--record",
        s(&record),
    ]));
    assert!(out.contains("decides deny (denied_by_forbid)"), "{out}");
    assert!(
        out.contains(&format!("({} cases)", cases_before + 1)),
        "{out}"
    );
    let after = listed(&ws);
    let guard = after.iter().find(|r| r[0] == "v2-guardrails").unwrap();
    assert_eq!(guard[3], (cases_before + 1).to_string());
    let (passed, failed) = counts(&ok(ws.run(&["test", "--suite", "v2-guardrails"])));
    assert_eq!((passed, failed), (cases_before + 1, 0));
    let (out, _) = fails(ws.run(&["test", "--suite", "v2-guardrails", "--version", &v1]));
    let failed_line = out
        .lines()
        .find(|l| l.contains("pinned: support reads a ticket in production"))
        .unwrap_or_else(|| panic!("the pinned case is reported: {out}"));
    assert!(failed_line.contains("FAIL"), "{failed_line}");

    // Refused: not a record; a missing file. Nothing changes.
    let bad = ws.dir().join("bad.json");
    std::fs::write(&bad, "{\"ts\": 3").unwrap();
    let (_, err) = fails(ws.run(&[
        "suites",
        "add-case",
        "v2-guardrails",
        "--name",
        "x",
        "--record",
        s(&bad),
    ]));
    assert!(err.contains("bad.json"), "{err}");
    let (_, err) = fails(ws.run(&[
        "suites",
        "add-case",
        "v2-guardrails",
        "--name",
        "x",
        "--record",
        "/nonexistent/r.json",
    ]));
    assert!(err.contains("/nonexistent/r.json"), "{err}");
    assert_eq!(listed(&ws), after);
}
