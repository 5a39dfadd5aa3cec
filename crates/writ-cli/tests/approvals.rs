//! End-to-end tests of `writ review`, `writ approve` and `writ reject` on
//! temporary sample workspaces, running the real `writ` binary.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use crate::common::SampleWorkspace as Ws;
use crate::common::{both, copy_dir, fails, ok, root, s, writ_in, writ_in_with_key};

/// Runs `writ` in the repository root with no workspace or user from the
/// environment.
fn writ(args: &[&str]) -> Output {
    writ_in(&root(), args)
}

/// Commands on the sample workspace, run from the repository root.
impl Ws {
    /// `writ --workspace W --as WHO ARGS`, run in the repository root (so
    /// relative paths in `args` are the repository's), signed with WHO's
    /// demo approver key when the sample has one.
    fn by_at_root(&self, who: &str, args: &[&str]) -> Output {
        let mut all = vec!["--workspace", s(&self.file), "--as", who];
        all.extend_from_slice(args);
        let key = self.demo_key(who);
        writ_in_with_key(&root(), &all, key.exists().then_some(key.as_path()))
    }

    /// `writ --workspace W ARGS`, with no name for who acts.
    fn anon(&self, args: &[&str]) -> Output {
        let mut all = vec!["--workspace", s(&self.file)];
        all.extend_from_slice(args);
        writ(&all)
    }

    fn review_json(&self, v: &str) -> serde_json::Value {
        let out = ok(self.by_at_root("alice", &["review", v, "--format", "json"]));
        serde_json::from_str(&out).expect("review JSON")
    }

    /// The kinds and actors of the `review.*` audit events, in order.
    fn review_events(&self) -> Vec<(String, String)> {
        ok(self.anon(&["audit", "list"]))
            .lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w.len() > 3 && w[3].starts_with("review."))
                    .then(|| (w[3].to_string(), w[2].to_string()))
            })
            .collect()
    }
}

/// Agents that are `critical` in an inventory file (a small reader of
/// `[[agent]]` blocks, independent of Writ's).
fn critical_in(inventory: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(inventory).expect("inventory");
    let mut out = BTreeSet::new();
    let mut id: Option<String> = None;
    let mut in_agent = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("[[") {
            in_agent = t == "[[agent]]";
            id = None;
        } else if in_agent && t.starts_with("id") && id.is_none() {
            id = t.split('"').nth(1).map(str::to_string);
        } else if in_agent && t.replace(' ', "") == "risk_tier=\"critical\"" {
            if let Some(i) = &id {
                out.insert(i.clone());
            }
        }
    }
    out
}

#[test]
fn the_sample_tour_first_approval_then_two_approvers_for_v2() {
    let ws = Ws::sample();
    // v1: the first approval, no baseline; its suite runs as `writ test` runs it.
    let out = ok(ws.by_at_root("alice", &["review", &ws.v1]));
    assert!(out.contains("submitted for review (round 1)"), "{out}");
    assert!(out.contains("check: 0 error(s)"), "{out}");
    assert!(out.contains("baseline: none"), "{out}");
    let test = ok(ws.anon(&["test", "--suite", "v1-baseline"]));
    let passed = test
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    assert!(
        out.contains(&format!("ok    v1-baseline  {passed}/{passed} passed")),
        "{out}\n{test}"
    );
    assert!(out.contains("approvers needed: 1"), "{out}");

    // Alice signs with her own key: she wrote v1, so she cannot approve it.
    let (_, err) = fails(ws.by_at_root("alice", &["approve", &ws.v1]));
    assert!(err.contains("author of version"), "{err}");
    assert!(err.contains("another person must approve"), "{err}");
    // A typed name is not a signature.
    let (_, err) = fails(ws.anon(&["--as", "bob", "approve", &ws.v1]));
    assert!(err.contains("requires signed review steps"), "{err}");
    assert!(err.contains("hint: sign with --key FILE"), "{err}");
    let out = ok(ws.by_at_root("bob", &["approve", &ws.v1, "--comment", "the baseline"]));
    assert!(out.contains("approved by bob (1 of 1 approvals)"), "{out}");

    // v2 against v1: the evidence is the stored diff of their runs.
    let r = ws.review_json(&ws.v2);
    assert_eq!(r["action"]["action"], "submitted");
    assert_eq!(r["status"]["state"], "in_review");
    let ev = &r["rounds"][0]["evidence"];
    assert!(ev["baseline"].as_str().unwrap().starts_with(&ws.v1), "{ev}");
    let run_a = ev["baseline_run"].as_i64().unwrap().to_string();
    let run_b = ev["run"].as_i64().unwrap().to_string();
    let diff: serde_json::Value = serde_json::from_str(&ok(
        ws.anon(&["diff", "--runs", &run_a, &run_b, "--format", "json"])
    ))
    .unwrap();
    let d = &diff["decisions"];
    assert_eq!(ev["diff"]["changed"], d["counts"]["total"]);
    assert_eq!(ev["diff"]["actions"], d["actions"]);
    assert_eq!(
        ev["diff"]["allow_to_deny"].as_u64().unwrap(),
        d["counts"]["kinds"]["allow_to_deny"].as_u64().unwrap_or(0)
    );
    // Critical agents whose decision or verdict flips, computed here.
    let mut critical = critical_in(&root().join("sample-policies/v1/inventory.toml"));
    critical.extend(critical_in(
        &root().join("sample-policies/v2/inventory.toml"),
    ));
    let flipped: BTreeSet<String> = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["kind"] != "same_decision_other_reasons" || c["from"]["verdict"] != c["to"]["verdict"]
        })
        .map(|c| c["agent"].as_str().unwrap().to_string())
        .filter(|a| critical.contains(a))
        .collect();
    assert!(
        !flipped.is_empty(),
        "the sample v1 -> v2 diff touches no critical agent"
    );
    let reported: BTreeSet<String> = ev["critical_agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(reported, flipped);
    assert_eq!(ev["required_approvals"], 2);
    let text = ok(ws.by_at_root("alice", &["review", &ws.v2]));
    assert!(
        text.contains("in review; the evidence below still holds"),
        "{text}"
    );
    assert!(text.contains("approvers needed: 2"), "{text}");
    for agent in &flipped {
        assert!(text.contains(agent.as_str()), "{text}");
    }

    // Two distinct approvers, neither the author.
    let out = ok(ws.by_at_root("bob", &["approve", &ws.v2]));
    assert!(out.contains("stays in review"), "{out}");
    let (_, err) = fails(ws.by_at_root("bob", &["approve", &ws.v2]));
    assert!(err.contains("already approved"), "{err}");
    let (_, err) = fails(ws.by_at_root("alice", &["approve", &ws.v2]));
    assert!(err.contains("author of version"), "{err}");
    let out = ok(ws.by_at_root(
        "carol",
        &["approve", &ws.v2, "--comment", "second pair of eyes"],
    ));
    assert!(
        out.contains("approved by bob and carol (2 of 2 approvals)"),
        "{out}"
    );

    // The history of an approved version, without a name.
    let out = ok(ws.anon(&["review", &ws.v2]));
    assert!(out.contains(": approved"), "{out}");
    assert!(out.contains("  approved by bob at "), "{out}");
    assert!(
        out.contains("  approved by carol at ") && out.contains(": second pair of eyes"),
        "{out}"
    );

    assert_eq!(
        ws.review_events(),
        [
            ("review.submit", "alice"),
            ("review.approve", "bob"),
            ("review.submit", "alice"),
            ("review.approve", "bob"),
            ("review.approve", "carol"),
        ]
        .map(|(k, a)| (k.to_string(), a.to_string()))
    );
    let verify = ok(ws.anon(&["audit", "verify"]));
    assert!(!verify.contains("break"), "{verify}");
}

#[test]
fn reject_needs_a_comment_and_a_rejected_version_is_resubmitted() {
    let ws = Ws::sample();
    let (_, err) = fails(ws.by_at_root("bob", &["reject", &ws.v1, "--comment", "no"]));
    assert!(
        err.contains("not in review") && err.contains("writ review"),
        "{err}"
    );
    ok(ws.by_at_root("alice", &["review", &ws.v1]));
    // --comment is required by the command line, and must say something.
    let o = ws.by_at_root("bob", &["reject", &ws.v1]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    let (_, err) = fails(ws.by_at_root("bob", &["reject", &ws.v1, "--comment", " "]));
    assert!(err.contains("needs a comment"), "{err}");
    let out = ok(ws.by_at_root("bob", &["reject", &ws.v1, "--comment", "add a payout case"]));
    assert!(out.contains("rejected by bob"), "{out}");
    let (_, err) = fails(ws.by_at_root("carol", &["approve", &ws.v1]));
    assert!(
        err.contains("is rejected") && err.contains("--resubmit"),
        "{err}"
    );

    let out = ok(ws.by_at_root("alice", &["review", &ws.v1]));
    assert!(out.contains("round 1: submitted by alice"), "{out}");
    assert!(
        out.contains("rejected by bob at ") && out.contains(": add a payout case"),
        "{out}"
    );
    assert!(out.contains("--resubmit"), "{out}");

    let out = ok(ws.by_at_root("alice", &["review", &ws.v1, "--resubmit"]));
    assert!(out.contains("submitted for review (round 2)"), "{out}");
    let r = ws.review_json(&ws.v1);
    assert_eq!(r["rounds"].as_array().unwrap().len(), 2);
    assert_eq!(r["rounds"][0]["state"], "rejected");
    assert_eq!(r["rounds"][1]["state"], "in_review");
    ok(ws.by_at_root("carol", &["approve", &ws.v1]));
    assert_eq!(
        ws.review_events(),
        [
            ("review.submit", "alice"),
            ("review.reject", "bob"),
            ("review.submit", "alice"),
            ("review.approve", "carol"),
        ]
        .map(|(k, a)| (k.to_string(), a.to_string()))
    );
}

#[test]
fn an_approved_version_is_final() {
    let ws = Ws::sample();
    ok(ws.by_at_root("alice", &["review", &ws.v1]));
    ok(ws.by_at_root("bob", &["approve", &ws.v1]));
    for args in [
        vec!["approve", ws.v1.as_str()],
        vec!["reject", ws.v1.as_str(), "--comment", "late"],
    ] {
        let (_, err) = fails(ws.by_at_root("carol", &args));
        assert!(err.contains("approved, which is final"), "{err}");
    }
    let out = ok(ws.by_at_root("alice", &["review", &ws.v1, "--resubmit"]));
    assert!(out.contains(": approved"), "{out}");
    assert!(!out.contains("submitted for review"), "{out}");
    // Its suite can be neither removed nor replaced.
    let (_, err) = fails(ws.by_at_root("alice", &["suites", "remove", "v1-baseline"]));
    assert!(err.contains("approved and final"), "{err}");
    let (_, err) = fails(ws.by_at_root(
        "alice",
        &[
            "suites",
            "add",
            "scenarios/v1-baseline.toml",
            "--version",
            &ws.v2,
            "--replace",
        ],
    ));
    assert!(err.contains("approved and final"), "{err}");
    let list = ok(ws.anon(&["suites", "list"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("v1-baseline") && l.contains(&ws.v1)),
        "{list}"
    );
}

#[test]
fn a_failing_suite_blocks_approval() {
    let ws = Ws::sample();
    ok(ws.by_at_root(
        "alice",
        &[
            "suites",
            "add",
            "scenarios/v2-guardrails.toml",
            "--name",
            "v2-on-v1",
            "--version",
            &ws.v1,
            "--traces",
            "recorded",
        ],
    ));
    // Submitted, but the evidence shows the failure and review exits 1.
    let (out, _) = fails(ws.by_at_root("alice", &["review", &ws.v1]));
    assert!(out.contains("submitted for review"), "{out}");
    assert!(out.contains("FAIL  v2-on-v1"), "{out}");
    assert!(out.contains("blocked: suite(s) v2-on-v1 fail"), "{out}");
    let (_, err) = fails(ws.by_at_root("bob", &["approve", &ws.v1]));
    assert!(err.contains("v2-on-v1") && err.contains("fail"), "{err}");
    assert!(!ws
        .review_events()
        .iter()
        .any(|(k, _)| k == "review.approve"));
    // Removing the suite changes what was reviewed: stale until reviewed again.
    ok(ws.by_at_root("alice", &["suites", "remove", "v2-on-v1"]));
    let (_, err) = fails(ws.by_at_root("bob", &["approve", &ws.v1]));
    assert!(err.contains("out of date"), "{err}");
    let out = ok(ws.by_at_root("alice", &["review", &ws.v1]));
    assert!(out.contains("gathered again"), "{out}");
    ok(ws.by_at_root("bob", &["approve", &ws.v1]));
    let kinds: Vec<String> = ws.review_events().into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["review.submit", "review.update", "review.approve"]);
}

#[test]
fn a_check_error_or_no_suite_blocks_review() {
    let ws = Ws::sample();
    // A broken copy of v1, committed with --allow-errors.
    let broken = ws.dir.path().join("broken");
    let src = root().join("sample-policies/v1");
    copy_dir(&src, &broken);
    let policy = broken.join("policies/baseline.cedar");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str("\npermit(principal, action, resource\n");
    std::fs::write(&policy, text).unwrap();
    let out = ok(ws.by_at_root(
        "alice",
        &[
            "version",
            "commit",
            s(&broken),
            "-m",
            "broken",
            "--allow-errors",
        ],
    ));
    let bad = out
        .split_whitespace()
        .find(|w| w.len() >= 12 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no version id in {out}"))
        .to_string();
    let (_, err) = fails(ws.by_at_root("alice", &["review", &bad]));
    assert!(err.contains("error(s) and cannot be reviewed"), "{err}");
    assert!(
        err.contains(&format!("writ check @{}", &bad[..12])),
        "{err}"
    );

    // A clean version without a suite: how to bind one.
    let clean = ws.dir.path().join("clean");
    copy_dir(&src, &clean);
    let policy = clean.join("policies/baseline.cedar");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str("\n// reviewed\n");
    std::fs::write(&policy, text).unwrap();
    let out = ok(ws.by_at_root("alice", &["version", "commit", s(&clean), "-m", "comment"]));
    let lone = out
        .split_whitespace()
        .find(|w| w.len() >= 12 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no version id in {out}"))
        .to_string();
    let (_, err) = fails(ws.by_at_root("alice", &["review", &lone]));
    assert!(
        err.contains(&format!("writ suites add FILE --version {}", &lone[..12])),
        "{err}"
    );
    // Submitting needs the submitter's key.
    let (_, err) = fails(ws.anon(&["review", &lone]));
    assert!(err.contains("--key FILE"), "{err}");
    assert!(ws.review_events().is_empty());
}
