//! Scenario suites stored in the workspace: adding (checked, one
//! transaction, audited), listing, replacing, removing, and running them
//! against bound or overriding versions and trace sets.

use crate::common;

use crate::common::{new_workspace, project, quiet, repo, sample};
use writ_core::scenario::{ScenarioError, ScenarioRunner, TestRun};
use writ_store::suites::{NewSuite, Overrides, ALL};
use writ_store::{StoreError, Workspace};

fn scenario_text(name: &str) -> String {
    std::fs::read_to_string(repo().join("scenarios").join(name)).expect("scenario file")
}

/// A workspace with v1, v2 and the recorded set; returns (ws, v1, v2).
fn workspace(dir: &std::path::Path) -> (Workspace, String, String) {
    let (mut ws, _) = new_workspace(dir);
    let v1 = ws
        .commit_version(&project(&sample("v1")), "ann", "v1")
        .unwrap()
        .id()
        .to_string();
    let v2 = ws
        .commit_version(&project(&sample("v2")), "ann", "v2")
        .unwrap()
        .id()
        .to_string();
    ws.import_traces(&common::recorded(), Some("recorded"), "ann", &quiet)
        .unwrap();
    (ws, v1, v2)
}

fn new<'a>(
    name: &'a str,
    text: &'a str,
    version: Option<&'a str>,
    traces: Option<&'a str>,
) -> NewSuite<'a> {
    NewSuite {
        name,
        text,
        source: "test.toml",
        version,
        traces,
    }
}

fn audit_kinds(ws: &Workspace) -> Vec<String> {
    ws.audit_events()
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn the_sample_holds_the_three_suites_and_they_pass_as_the_files_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.writ");
    let made = writ_store::sample::create_sample(&path, "ann").unwrap();
    let ws = Workspace::open(&path).unwrap();
    let list = ws.list_suites().unwrap();
    let bound: Vec<(&str, &str, &str, i64)> = list
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.version.as_deref().unwrap(),
                s.set_name.as_deref().unwrap(),
                s.cases,
            )
        })
        .collect();
    let [v1, v2] = &made.versions;
    assert_eq!(
        bound,
        vec![
            ("v1-baseline", v1.as_str(), "recorded", 30),
            ("v2-guardrails", v2.as_str(), "recorded", 24),
            ("v2-step-up", v2.as_str(), "recorded", 26),
        ]
    );

    // The files, run from disk the way `writ test scenarios/` runs them.
    let mut files = TestRun::default();
    let mut runner = ScenarioRunner::new();
    for f in ["v1-baseline.toml", "v2-guardrails.toml", "v2-step-up.toml"] {
        runner
            .run_file(&repo().join("scenarios").join(f), &mut files)
            .unwrap();
    }
    let stored = ws.run_suites(&[ALL], Overrides::default()).unwrap();
    assert!(stored.errors().next().is_none(), "{:?}", stored.suites);
    assert_eq!(stored.run.cases.len(), files.cases.len());
    assert_eq!(stored.run.passed(), files.passed());
    assert_eq!(stored.run.failed(), files.failed());
    for (a, b) in stored.run.cases.iter().zip(&files.cases) {
        assert_eq!((&a.suite, &a.name, a.passed), (&b.suite, &b.name, b.passed));
        assert_eq!((a.decision, a.verdict), (b.decision, b.verdict));
        assert_eq!(a.reasons, b.reasons);
    }
    assert_eq!(stored.suites.len(), 3);
    assert_eq!(stored.suites[0].cases, 30);
    assert_eq!(stored.suites[0].version.as_deref(), Some(v1.as_str()));
}

#[test]
fn a_malformed_file_is_located_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, v1, _) = workspace(dir.path());
    let before = audit_kinds(&ws);
    let text = "name = \"broken\"\n\n[[case]]\nname = 3\n";
    let err = ws
        .add_suite(&new("broken", text, Some(&v1), None), "ann")
        .unwrap_err();
    match &err {
        StoreError::Scenario(ScenarioError::Malformed {
            path, line, column, ..
        }) => {
            assert_eq!(path.to_str(), Some("test.toml"));
            assert_eq!((*line, *column), (4, 8), "{err}");
        }
        other => panic!("expected a located error, got {other}"),
    }
    assert!(err.to_string().starts_with("test.toml:4:8:"), "{err}");

    // A case with both a line and a record is refused at its line too.
    let both = "[[case]]\nname = \"a\"\nline = 1\nrecord = { agent = \"x\" }\nexpect = { decision = \"allow\" }\n";
    let err = ws
        .add_suite(&new("both", both, Some(&v1), None), "ann")
        .unwrap_err();
    assert!(err.to_string().contains("test.toml:1:"), "{err}");
    assert!(err.to_string().contains("exactly one of"), "{err}");

    assert!(ws.list_suites().unwrap().is_empty());
    assert_eq!(audit_kinds(&ws), before, "nothing was recorded");
}

#[test]
fn unknown_bindings_and_bad_names_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, v1, _) = workspace(dir.path());
    let text = scenario_text("v1-baseline.toml");
    let err = ws
        .add_suite(&new("s", &text, Some("abcdef12"), None), "ann")
        .unwrap_err();
    assert!(err.to_string().contains("`abcdef12`"), "{err}");
    let err = ws
        .add_suite(&new("s", &text, Some(&v1), Some("week-99")), "ann")
        .unwrap_err();
    assert!(err.to_string().contains("`week-99`"), "{err}");
    for bad in [ALL, "", " padded", "tab\there"] {
        assert!(
            ws.add_suite(&new(bad, &text, Some(&v1), None), "ann")
                .is_err(),
            "`{bad}` must be refused"
        );
    }
    assert!(ws.list_suites().unwrap().is_empty());

    ws.add_suite(&new("s", &text, Some(&v1), Some("recorded")), "ann")
        .unwrap();
    let err = ws
        .add_suite(&new("s", &text, Some(&v1), Some("recorded")), "ann")
        .unwrap_err();
    assert!(err.to_string().contains("exists already"), "{err}");
    assert_eq!(ws.list_suites().unwrap().len(), 1);
}

#[test]
fn add_get_replace_and_remove_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, v1, v2) = workspace(dir.path());
    let base = scenario_text("v1-baseline.toml");
    let info = ws
        .add_suite(&new("checks", &base, Some(&v1[..8]), Some("1")), "ann")
        .unwrap();
    assert_eq!(info.version.as_deref(), Some(v1.as_str()));
    assert_eq!(info.set_name.as_deref(), Some("recorded"));
    assert_eq!(info.cases, 30);
    assert_eq!(info.added_by, "ann");
    assert_eq!(
        info.title.as_deref(),
        Some("ACME v1: who may do what, baseline guardrails")
    );
    let got = ws.suite("checks").unwrap();
    assert_eq!(got.text, base, "the text is kept as added");
    assert_eq!(got.info, info);

    let step = scenario_text("v2-step-up.toml");
    let err = ws
        .replace_suite(&new("other", &step, Some(&v2), None), "bob")
        .unwrap_err();
    assert!(err.to_string().contains("`other`"), "{err}");
    let replaced = ws
        .replace_suite(&new("checks", &step, Some(&v2), None), "bob")
        .unwrap();
    assert_eq!(replaced.cases, 26);
    assert_eq!(replaced.version.as_deref(), Some(v2.as_str()));
    assert_eq!(replaced.set, None);
    assert_eq!(replaced.added_by, "bob");
    assert_eq!(ws.suite("checks").unwrap().text, step);
    assert_eq!(ws.list_suites().unwrap(), vec![replaced]);

    ws.remove_suite("checks", "bob").unwrap();
    assert!(matches!(
        ws.suite("checks"),
        Err(StoreError::NotFound { what: "suite", .. })
    ));
    assert!(ws.remove_suite("checks", "bob").is_err());
    let kinds = audit_kinds(&ws);
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["suite.add", "suite.replace", "suite.remove"]
    );
    assert!(ws.verify_audit().unwrap().is_none());
}

#[test]
fn overrides_and_unrunnable_suites() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, v1, v2) = workspace(dir.path());
    let guard = scenario_text("v2-guardrails.toml");
    let step = scenario_text("v2-step-up.toml");
    ws.add_suite(&new("guard", &guard, Some(&v2), Some("recorded")), "ann")
        .unwrap();
    // Inline cases only: no trace set needed.
    ws.add_suite(&new("step", &step, Some(&v2), None), "ann")
        .unwrap();
    let ok = ws
        .run_suites(&["guard", "step"], Overrides::default())
        .unwrap();
    assert_eq!((ok.run.passed(), ok.run.failed()), (50, 0));

    // v2's suite against v1: some cases fail, each with expected vs actual.
    let over = ws
        .run_suites(
            &["guard"],
            Overrides {
                version: Some(&v1[..10]),
                traces: None,
            },
        )
        .unwrap();
    assert_eq!(over.suites[0].version.as_deref(), Some(v1.as_str()));
    assert!(over.run.failed() > 0, "v1 does not pass v2's suite");
    assert_eq!(over.run.cases.len(), 24);
    for c in over.run.cases.iter().filter(|c| !c.passed) {
        assert!(
            c.failures.iter().all(|f| f.starts_with("expected")),
            "{c:?}"
        );
    }
    assert!(over.run.coverage.contains_key(&format!("@{}", &v1[..12])));

    // An unknown override is an error before anything runs.
    assert!(ws
        .run_suites(
            &[ALL],
            Overrides {
                version: None,
                traces: Some("nope")
            }
        )
        .is_err());
    assert!(ws.run_suites(&["missing"], Overrides::default()).is_err());

    // A suite that cannot run is reported; the others still run.
    let base = scenario_text("v1-baseline.toml");
    ws.add_suite(&new("no-set", &base, Some(&v1), None), "ann")
        .unwrap();
    ws.add_suite(&new("no-version", &step, None, None), "ann")
        .unwrap();
    let mut broken = project(&sample("v1"));
    broken.policies[0].text.push_str("\noops\n");
    let bad = ws
        .commit_version(&broken, "ann", "broken draft")
        .unwrap()
        .id()
        .to_string();
    ws.add_suite(&new("on-broken", &step, Some(&bad), None), "ann")
        .unwrap();
    let short_line = "[[case]]\nname = \"far\"\nline = 99999\nexpect = { decision = \"allow\" }\n";
    ws.add_suite(&new("far", short_line, Some(&v1), Some("recorded")), "ann")
        .unwrap();
    let all = ws.run_suites(&[ALL], Overrides::default()).unwrap();
    let error = |name: &str| {
        all.suites
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.error.clone())
            .unwrap_or_default()
    };
    assert!(
        error("no-set").contains("no trace set"),
        "{}",
        error("no-set")
    );
    assert!(error("no-version").contains("no version"));
    assert!(
        error("on-broken").contains(&format!("version {} has", &bad[..12])),
        "{}",
        error("on-broken")
    );
    assert!(
        error("far").contains("line 99999") && error("far").contains("`recorded`"),
        "{}",
        error("far")
    );
    assert!(error("guard").is_empty() && error("step").is_empty());
    assert_eq!(all.errors().count(), 4);
    assert_eq!((all.run.passed(), all.run.failed()), (50, 0));
}

#[test]
fn a_stored_suite_adds_its_inline_entities_and_refuses_an_entities_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let native = ws
        .commit_version(&project(&sample("cedar-native")), "ann", "cedar-native")
        .unwrap()
        .id()
        .to_string();
    let sharing =
        std::fs::read_to_string(sample("cedar-native").join("requests/sharing.toml")).unwrap();
    // Its `line = N` case needs a set; keep the inline cases only.
    let inline_only: String = sharing
        .split("[[case]]")
        .enumerate()
        .filter(|(i, part)| *i == 0 || !part.contains("\nline = "))
        .map(|(i, part)| {
            if i == 0 {
                part.to_string()
            } else {
                format!("[[case]]{part}")
            }
        })
        .collect();
    assert!(inline_only.contains("[[entities]]") && inline_only.contains("minutes"));
    ws.add_suite(&new("sharing", &inline_only, Some(&native), None), "ann")
        .unwrap();
    let run = ws.run_suites(&["sharing"], Overrides::default()).unwrap();
    assert_eq!(run.suites[0].error, None);
    let minutes = run
        .run
        .cases
        .iter()
        .find(|c| c.name.contains("minutes"))
        .expect("the minutes case ran");
    assert!(minutes.passed, "{minutes:?}");
    assert_eq!(run.run.failed(), 0, "{:?}", run.run.cases);

    // Without its entities the same case fails: they were really used.
    let start = inline_only.find("[[entities]]").unwrap();
    let end = inline_only.find("[[case]]").unwrap();
    let stripped = format!("{}{}", &inline_only[..start], &inline_only[end..]);
    ws.add_suite(&new("bare", &stripped, Some(&native), None), "ann")
        .unwrap();
    let run = ws.run_suites(&["bare"], Overrides::default()).unwrap();
    assert_eq!(run.run.failed(), 1, "{:?}", run.run.cases);

    // A file means nothing inside a workspace: refused, nothing stored.
    let with_file = format!("entities = \"extra.json\"\n{stripped}");
    let err = ws
        .add_suite(&new("file", &with_file, Some(&native), None), "ann")
        .unwrap_err();
    assert!(err.to_string().contains("inline as [[entities]]"), "{err}");
    assert!(ws.list_suites().unwrap().iter().all(|s| s.name != "file"));
}

/// A decided request saved as a case: appended to the suite (its bindings
/// kept), passing against the version that decided it and failing against
/// one that decides otherwise; audited as a replacement; refused without a
/// name, and for a suite bound to no version unless one is given.
#[test]
fn a_decided_request_becomes_a_case_of_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, v1, v2) = workspace(dir.path());
    let text = scenario_text("v2-guardrails.toml");
    ws.add_suite(&new("guard", &text, Some(&v2), Some("recorded")), "ann")
        .unwrap();
    let before = ws.suite("guard").unwrap();
    // A low-tier agent's production ticket read: v2's regression denies it, v1 allows it.
    let line = r#"{"ts":"2026-11-04T10:00:00Z","agent":"spiffe://acme.example/agents/support-bot","action":"read_ticket","resource":{"type":"Ticket","id":"T-1047"},"context":{"intent":"answer_tickets","environment":"production","risk_score":10,"credential_kind":"short_lived","credential_ttl_secs":600},"outcome":"executed"}"#;
    let added = ws
        .add_case(
            "guard",
            "support bot reads a ticket in production",
            line,
            None,
            "bob",
        )
        .unwrap();
    assert_eq!(added.version, v2);
    assert_eq!(added.decided.decision.as_str(), "deny");
    assert_eq!(added.suite.cases, before.info.cases + 1);
    assert_eq!(added.suite.version, before.info.version);
    assert_eq!(added.suite.set, before.info.set);
    let after = ws.suite("guard").unwrap();
    assert!(
        after.text.starts_with(before.text.trim_end()),
        "the old text is kept"
    );
    assert!(after
        .text
        .contains("support bot reads a ticket in production"));
    assert_eq!(
        audit_kinds(&ws).last().map(String::as_str),
        Some("suite.replace")
    );

    let passing = ws.run_suites(&["guard"], Overrides::default()).unwrap();
    assert_eq!(passing.run.failed(), 0);
    let on_v1 = ws
        .run_suites(
            &["guard"],
            Overrides {
                version: Some(&v1),
                ..Default::default()
            },
        )
        .unwrap();
    let new_case = on_v1
        .run
        .cases
        .iter()
        .find(|c| c.name == "support bot reads a ticket in production")
        .expect("the new case ran");
    assert!(!new_case.passed, "v1 allows what the case pins as denied");

    // Refusals leave the suite as it was.
    let kept = ws.suite("guard").unwrap().text;
    assert!(matches!(
        ws.add_case("guard", " ", line, None, "bob"),
        Err(StoreError::Case(_))
    ));
    assert!(matches!(
        ws.add_case("guard", "bad", "{\"not\": \"a record\"}", None, "bob"),
        Err(StoreError::Case(_))
    ));
    assert!(matches!(
        ws.add_case("nope", "x", line, None, "bob"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(ws.suite("guard").unwrap().text, kept);
    ws.add_suite(&new("unbound", "name = \"u\"\n", None, None), "ann")
        .unwrap();
    assert!(matches!(
        ws.add_case("unbound", "x", line, None, "bob"),
        Err(StoreError::CaseNeedsVersion { .. })
    ));
    let added = ws.add_case("unbound", "x", line, Some(&v1), "bob").unwrap();
    assert_eq!(added.decided.decision.as_str(), "allow");
    assert_eq!(added.suite.cases, 1);
}
