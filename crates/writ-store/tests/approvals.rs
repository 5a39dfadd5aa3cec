//! Four-eyes review of versions: submission with evidence, the author
//! rule, two approvers for changes to critical agents, rejection and
//! resubmission, approved versions being final, blocked reviews and
//! approvals, stale evidence, and the audit trail of every step, in a
//! legacy workspace (typed names).

use crate::common;

use crate::common::{project, quiet, repo, sample};
use std::collections::BTreeSet;
use writ_core::diff::ChangeKind;
use writ_core::inventory::RiskTier;
use writ_store::approvals::{ReviewAction, ReviewError, ReviewOptions, ReviewState};
use writ_store::sample::{create_sample, SampleWorkspace};
use writ_store::suites::NewSuite;
use writ_store::{StoreError, Workspace};

/// The sample workspace, made by `ann` (the author of v1 and v2), with
/// unsigned review steps as in a workspace made before approver keys: the
/// rules below hold for typed names and keys alike (signed steps are
/// tested in `signed_review`).
fn sample_ws(dir: &std::path::Path) -> (Workspace, SampleWorkspace) {
    let path = dir.join("s.writ");
    let made = create_sample(&path, "ann").expect("sample");
    common::make_legacy(&path);
    (Workspace::open(&path).expect("open"), made)
}

fn review(ws: &mut Workspace, v: &str, who: &str) -> writ_store::approvals::ReviewReport {
    ws.review(v, ReviewOptions::default(), who, &quiet)
        .expect("review")
}

fn review_err(e: StoreError) -> ReviewError {
    match e {
        StoreError::Review(r) => r,
        other => panic!("expected a review error, got {other:?}"),
    }
}

fn review_kinds(ws: &Workspace) -> Vec<(String, String)> {
    ws.audit_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("review."))
        .map(|e| {
            let d: serde_json::Value = serde_json::from_str(&e.details).unwrap();
            (
                e.kind,
                d["version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Agents whose decision or verdict differs between the sample's two
/// stored runs and that are `critical` in v1's or v2's inventory,
/// computed here from the stored diff and the inventory files.
fn critical_agents_flipped(ws: &Workspace, made: &SampleWorkspace) -> BTreeSet<String> {
    let diff = ws.diff_runs(made.runs[0], made.runs[1]).unwrap();
    let mut critical = BTreeSet::new();
    for v in ["v1", "v2"] {
        let report = writ_core::project::check_project(&sample(v), writ_core::project::today_utc());
        let p = report.project.expect("sample checks");
        for a in &p.inventory.agent {
            if a.risk_tier == RiskTier::Critical {
                critical.insert(a.id.get_ref().clone());
            }
        }
    }
    diff.changes
        .iter()
        .filter(|c| {
            c.kind != ChangeKind::SameDecisionOtherReasons || c.from.verdict != c.to.verdict
        })
        .filter(|c| critical.contains(&c.agent))
        .map(|c| c.agent.clone())
        .collect()
}

#[test]
fn a_new_version_is_a_draft() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, made) = sample_ws(dir.path());
    let st = ws.version_status(&made.versions[0][..8]).unwrap();
    assert_eq!(st.id, made.versions[0]);
    assert_eq!(st.state, ReviewState::Draft);
    assert_eq!(st.state.as_str(), "draft");
    assert!(st.approvals.is_empty());
    assert!(ws.review_history(&made.versions[0]).unwrap().is_empty());
    let json = serde_json::to_value(&st).unwrap();
    assert_eq!(json["state"], "draft");
    assert!(matches!(
        ws.version_status("ffffffff"),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn the_first_approval_has_no_baseline_and_the_author_cannot_approve() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let v1 = &made.versions[0];
    let r = review(&mut ws, v1, "ann");
    assert_eq!(r.action, ReviewAction::Submitted);
    assert_eq!(r.status.state, ReviewState::InReview);
    assert_eq!(r.author, "ann");
    let ev = &r.current().unwrap().evidence;
    assert_eq!(&ev.version, v1);
    assert_eq!(ev.baseline, None);
    assert!(ev.diff.is_none());
    assert_eq!(ev.set, made.set);
    assert_eq!(ev.check.errors, 0);
    // The sample's stored run of v1 is reused, and the evidence counts it.
    assert_eq!(ev.run, made.runs[0]);
    let set = ws.trace_set(&made.set.to_string()).unwrap();
    assert_eq!(ev.replay.actions as i64, set.actions);
    assert_eq!(ev.replay.allowed + ev.replay.denied, ev.replay.actions);
    assert_eq!(ev.replay.verdicts.values().sum::<u64>(), ev.replay.actions);
    let bound: Vec<String> = ws
        .list_suites()
        .unwrap()
        .into_iter()
        .filter(|s| s.version.as_deref() == Some(v1.as_str()))
        .map(|s| s.name)
        .collect();
    assert_eq!(
        ev.suites.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        bound
    );
    assert!(ev.suites_pass());
    assert!(ev.critical_agents.is_empty());
    assert_eq!(ev.required_approvals, 1);

    // Reviewing again changes nothing.
    let again = review(&mut ws, v1, "ann");
    assert_eq!(again.action, ReviewAction::Current);
    assert_eq!(again.rounds.len(), 1);

    // The author, in any case, is refused; nothing is recorded.
    for who in ["ann", "ANN", " Ann "] {
        let e = review_err(ws.approve_version(v1, who, None).unwrap_err());
        assert!(matches!(e, ReviewError::SelfApproval { .. }), "{e}");
        assert!(e.to_string().contains("another person must approve"), "{e}");
    }
    assert!(ws.version_status(v1).unwrap().approvals.is_empty());

    let st = ws.approve_version(v1, "bob", Some("looks right")).unwrap();
    assert_eq!(st.state, ReviewState::Approved);
    assert_eq!(st.approvals.len(), 1);
    assert_eq!(st.approvals[0].approver, "bob");
    assert_eq!(st.approvals[0].comment.as_deref(), Some("looks right"));
}

#[test]
fn a_change_to_critical_agents_needs_two_distinct_approvers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let [v1, v2] = &made.versions;
    review(&mut ws, v1, "ann");
    ws.approve_version(v1, "bob", None).unwrap();

    let r = review(&mut ws, v2, "ann");
    let ev = &r.current().unwrap().evidence;
    assert_eq!(ev.baseline.as_deref(), Some(v1.as_str()));
    assert_eq!(ev.baseline_run, Some(made.runs[0]));
    assert_eq!(ev.run, made.runs[1]);
    let diff = ev.diff.as_ref().expect("a diff against v1");
    let stored = ws.diff_runs(made.runs[0], made.runs[1]).unwrap();
    assert_eq!(diff.changed, stored.counts.total);
    assert_eq!(
        diff.allow_to_deny,
        stored.counts.get(ChangeKind::AllowToDeny)
    );
    assert_eq!(
        diff.deny_to_allow,
        stored.counts.get(ChangeKind::DenyToAllow)
    );
    assert_eq!(diff.unchanged + diff.changed, diff.actions);
    assert_eq!(diff.changed_by_agent.values().sum::<u64>(), diff.changed);

    let expected = critical_agents_flipped(&ws, &made);
    // The sample's v2 does change what critical agents may do.
    assert!(
        !expected.is_empty(),
        "the sample v1 -> v2 diff touches no critical agent"
    );
    assert_eq!(
        ev.critical_agents.iter().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(ev.required_approvals, 2);

    // The first approval is recorded; the version stays in review.
    let st = ws.approve_version(v2, "bob", None).unwrap();
    assert_eq!(st.state, ReviewState::InReview);
    assert_eq!(st.approvals.len(), 1);
    // The same person again (any case) does not count twice.
    let e = review_err(ws.approve_version(v2, "Bob", None).unwrap_err());
    assert!(matches!(e, ReviewError::AlreadyApproved { .. }), "{e}");
    assert!(e.to_string().contains("second, different person"), "{e}");
    // Nor does the author.
    let e = review_err(ws.approve_version(v2, "ann", None).unwrap_err());
    assert!(matches!(e, ReviewError::SelfApproval { .. }), "{e}");

    let st = ws
        .approve_version(v2, "carol", Some("second pair of eyes"))
        .unwrap();
    assert_eq!(st.state, ReviewState::Approved);
    let names: Vec<&str> = st.approvals.iter().map(|a| a.approver.as_str()).collect();
    assert_eq!(names, ["bob", "carol"]);
    assert!(st.approvals[0].at <= st.approvals[1].at);
}

#[test]
fn a_rejected_version_can_be_submitted_again_as_a_new_round() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let v1 = &made.versions[0];
    // Not in review yet: nothing to approve or reject.
    let e = review_err(ws.approve_version(v1, "bob", None).unwrap_err());
    assert!(
        matches!(
            e,
            ReviewError::NotInReview {
                state: ReviewState::Draft,
                ..
            }
        ),
        "{e}"
    );
    // The advice to submit it; the CLI adds `writ review V`.
    assert!(e.to_string().contains("submit it for review"), "{e}");

    review(&mut ws, v1, "ann");
    let e = review_err(ws.reject_version(v1, "bob", "  ").unwrap_err());
    assert!(matches!(e, ReviewError::CommentRequired), "{e}");
    assert_eq!(ws.version_status(v1).unwrap().state, ReviewState::InReview);

    let st = ws
        .reject_version(v1, "bob", "needs a payout scenario")
        .unwrap();
    assert_eq!(st.state, ReviewState::Rejected);
    let e = review_err(ws.approve_version(v1, "carol", None).unwrap_err());
    assert!(
        matches!(
            e,
            ReviewError::NotInReview {
                state: ReviewState::Rejected,
                ..
            }
        ),
        "{e}"
    );
    // The advice to resubmit; the CLI adds `writ review V --resubmit`
    // (tests/approvals.rs of writ-cli).
    assert!(
        e.to_string()
            .contains("submit it for review again (resubmit it)"),
        "{e}"
    );

    // Without --resubmit, review shows the history and does nothing.
    let h = review(&mut ws, v1, "ann");
    assert_eq!(h.action, ReviewAction::History);
    assert_eq!(h.rounds.len(), 1);
    let d = &h.rounds[0].decisions;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].decision, "reject");
    assert_eq!(d[0].actor, "bob");
    assert_eq!(d[0].comment.as_deref(), Some("needs a payout scenario"));

    let r = ws
        .review(
            v1,
            ReviewOptions {
                resubmit: true,
                ..Default::default()
            },
            "ann",
            &quiet,
        )
        .unwrap();
    assert_eq!(r.action, ReviewAction::Submitted);
    assert_eq!(r.status.state, ReviewState::InReview);
    assert_eq!(
        r.rounds
            .iter()
            .map(|x| (x.round, x.state))
            .collect::<Vec<_>>(),
        [(1, ReviewState::Rejected), (2, ReviewState::InReview)]
    );
    // The new round starts without approvals.
    assert!(r.status.approvals.is_empty());
    let st = ws.approve_version(v1, "carol", None).unwrap();
    assert_eq!(st.state, ReviewState::Approved);
}

#[test]
fn an_approved_version_is_final_and_its_suites_cannot_change() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let v1 = &made.versions[0];
    review(&mut ws, v1, "ann");
    ws.approve_version(v1, "bob", None).unwrap();
    let events = ws.audit_events().unwrap().len();

    let e = review_err(ws.approve_version(v1, "carol", None).unwrap_err());
    assert!(matches!(e, ReviewError::Final { .. }), "{e}");
    let e = review_err(ws.reject_version(v1, "carol", "too late").unwrap_err());
    assert!(matches!(e, ReviewError::Final { .. }), "{e}");
    let h = ws
        .review(
            v1,
            ReviewOptions {
                resubmit: true,
                ..Default::default()
            },
            "ann",
            &quiet,
        )
        .unwrap();
    assert_eq!(h.action, ReviewAction::History);
    assert_eq!(h.status.state, ReviewState::Approved);

    let suite = ws.suite("v1-baseline").unwrap();
    let replaced = NewSuite {
        name: "v1-baseline",
        text: &suite.text,
        source: "x.toml",
        version: Some(&made.versions[1]),
        traces: None,
    };
    let e = review_err(ws.replace_suite(&replaced, "ann").unwrap_err());
    assert!(matches!(e, ReviewError::SuiteOfApproved { .. }), "{e}");
    let e = review_err(ws.remove_suite("v1-baseline", "ann").unwrap_err());
    assert!(matches!(e, ReviewError::SuiteOfApproved { .. }), "{e}");
    assert_eq!(
        ws.suite("v1-baseline").unwrap().info.version.as_deref(),
        Some(v1.as_str())
    );
    // Nothing of the refusals reached the audit trail.
    assert_eq!(ws.audit_events().unwrap().len(), events);
    // Suites of versions not approved still change freely.
    ws.remove_suite("v2-step-up", "ann").unwrap();
}

#[test]
fn a_failing_suite_blocks_approval_and_a_changed_suite_makes_the_evidence_stale() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let v1 = &made.versions[0];
    // v2's expectations bound to v1 fail against it.
    let text = std::fs::read_to_string(repo().join("scenarios/v2-guardrails.toml")).unwrap();
    let set = made.set.to_string();
    ws.add_suite(
        &NewSuite {
            name: "v2-on-v1",
            text: &text,
            source: "v2-guardrails.toml",
            version: Some(v1),
            traces: Some(&set),
        },
        "ann",
    )
    .unwrap();
    let r = review(&mut ws, v1, "ann");
    let ev = &r.current().unwrap().evidence;
    assert!(!ev.suites_pass());
    assert_eq!(ev.failing_suites(), ["v2-on-v1"]);
    let failing = ev.suites.iter().find(|s| s.name == "v2-on-v1").unwrap();
    assert!(!failing.failed.is_empty());
    assert_eq!(failing.passed + failing.failed.len(), failing.cases);

    let e = review_err(ws.approve_version(v1, "bob", None).unwrap_err());
    assert!(matches!(e, ReviewError::SuitesFail { .. }), "{e}");
    assert!(e.to_string().contains("v2-on-v1"), "{e}");
    assert_eq!(ws.version_status(v1).unwrap().state, ReviewState::InReview);
    assert!(ws.version_status(v1).unwrap().approvals.is_empty());

    // Removing the failing suite changes what was reviewed: approval is
    // refused until the evidence is gathered again.
    ws.remove_suite("v2-on-v1", "ann").unwrap();
    let e = review_err(ws.approve_version(v1, "bob", None).unwrap_err());
    assert!(matches!(e, ReviewError::StaleEvidence { .. }), "{e}");
    // With no approval yet, reviewing again replaces the evidence.
    let r = review(&mut ws, v1, "ann");
    assert_eq!(r.action, ReviewAction::Updated);
    assert!(r.current().unwrap().evidence.suites_pass());
    assert_eq!(r.rounds.len(), 1);
    let st = ws.approve_version(v1, "bob", None).unwrap();
    assert_eq!(st.state, ReviewState::Approved);
}

#[test]
fn a_version_approved_meanwhile_makes_the_baseline_stale() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let [v1, v2] = &made.versions;
    // Both submitted while nothing is approved: neither has a baseline.
    review(&mut ws, v1, "ann");
    let r2 = review(&mut ws, v2, "ann");
    assert_eq!(r2.current().unwrap().evidence.baseline, None);
    ws.approve_version(v1, "bob", None).unwrap();
    // v2 was reviewed against no baseline; v1 is approved now.
    let e = review_err(ws.approve_version(v2, "bob", None).unwrap_err());
    assert!(matches!(e, ReviewError::StaleEvidence { .. }), "{e}");
    assert!(e.to_string().contains(&v1[..12]), "{e}");
    let r2 = review(&mut ws, v2, "ann");
    assert_eq!(r2.action, ReviewAction::Updated);
    let ev = &r2.current().unwrap().evidence;
    assert_eq!(ev.baseline.as_deref(), Some(v1.as_str()));
    assert!(ev.diff.is_some());
}

#[test]
fn a_version_with_check_errors_or_without_suites_is_not_accepted_for_review() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let events = ws.audit_events().unwrap().len();

    // A broken policy file: the check has an error.
    let mut broken = project(&sample("v1"));
    broken.policies[0]
        .text
        .push_str("\npermit(principal, action, resource\n");
    let bad = ws
        .commit_version(&broken, "ann", "broken")
        .unwrap()
        .id()
        .to_string();
    let e = review_err(
        ws.review(&bad, ReviewOptions::default(), "ann", &quiet)
            .unwrap_err(),
    );
    assert!(
        matches!(&e, ReviewError::CheckFailed { errors, short } if *errors > 0 && short == &bad[..12]),
        "{e}"
    );
    // The advice to look at the check; the CLI adds `writ check @V`.
    assert!(e.to_string().contains("see them in its check"), "{e}");
    assert_eq!(ws.version_status(&bad).unwrap().state, ReviewState::Draft);

    // A clean version with no suite bound.
    let mut edited = project(&sample("v1"));
    edited.policies[0].text.push_str("\n// a comment\n");
    let lone = ws
        .commit_version(&edited, "ann", "comment")
        .unwrap()
        .id()
        .to_string();
    let e = review_err(
        ws.review(&lone, ReviewOptions::default(), "ann", &quiet)
            .unwrap_err(),
    );
    assert!(
        matches!(&e, ReviewError::NoSuites { short } if short == &lone[..12]),
        "{e}"
    );
    // The advice to bind a suite; the CLI adds `writ suites add FILE
    // --version V` (tests/approvals.rs of writ-cli).
    assert!(
        e.to_string().contains(&format!(
            "no scenario suite is bound to version {}",
            &lone[..12]
        )) && e.to_string().contains("bind a suite to it"),
        "{e}"
    );
    assert_eq!(ws.version_status(&lone).unwrap().state, ReviewState::Draft);
    // Only the two commits were recorded; no review step.
    let kinds: Vec<String> = ws.audit_events().unwrap()[events..]
        .iter()
        .map(|e| e.kind.clone())
        .collect();
    assert_eq!(kinds, ["version.commit", "version.commit"]);
    let _ = made;
}

#[test]
fn a_review_of_a_version_without_a_run_stores_the_runs_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let v1 = &made.versions[0];
    review(&mut ws, v1, "ann");
    ws.approve_version(v1, "bob", None).unwrap();
    // A copy of v1 with one more comment, bound to v1's suite text.
    let mut edited = project(&sample("v1"));
    edited.policies[0].text.push_str("\n// reviewed again\n");
    let v3 = ws
        .commit_version(&edited, "dave", "comment only")
        .unwrap()
        .id()
        .to_string();
    let text = ws.suite("v1-baseline").unwrap().text;
    let set = made.set.to_string();
    ws.add_suite(
        &NewSuite {
            name: "v3-baseline",
            text: &text,
            source: "v1-baseline.toml",
            version: Some(&v3),
            traces: Some(&set),
        },
        "dave",
    )
    .unwrap();
    let runs_before = ws.list_runs().unwrap().len();
    let r = review(&mut ws, &v3, "dave");
    let runs = ws.list_runs().unwrap();
    assert_eq!(runs.len(), runs_before + 1);
    let ev = &r.current().unwrap().evidence;
    assert_eq!(ev.run, runs.last().unwrap().id);
    assert_eq!(runs.last().unwrap().version, v3);
    assert_eq!(ev.baseline.as_deref(), Some(v1.as_str()));
    // A comment changes no decision: nothing changed, one approver.
    let diff = ev.diff.as_ref().unwrap();
    assert_eq!(diff.changed, 0);
    assert_eq!(ev.required_approvals, 1);
    // ann did not author v3 and may approve it.
    assert_eq!(
        ws.approve_version(&v3, "ann", None).unwrap().state,
        ReviewState::Approved
    );
}

#[test]
fn every_review_step_is_an_audit_event_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let [v1, v2] = &made.versions;
    review(&mut ws, v1, "ann");
    ws.reject_version(v1, "bob", "no").unwrap();
    ws.review(
        v1,
        ReviewOptions {
            resubmit: true,
            ..Default::default()
        },
        "ann",
        &quiet,
    )
    .unwrap();
    ws.approve_version(v1, "bob", None).unwrap();
    review(&mut ws, v2, "ann");
    ws.approve_version(v2, "bob", None).unwrap();
    ws.approve_version(v2, "carol", None).unwrap();
    let got = review_kinds(&ws);
    let want: Vec<(String, String)> = [
        ("review.submit", v1),
        ("review.reject", v1),
        ("review.submit", v1),
        ("review.approve", v1),
        ("review.submit", v2),
        ("review.approve", v2),
        ("review.approve", v2),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(got, want);
    let events = ws.audit_events().unwrap();
    let approvals: Vec<serde_json::Value> = events
        .iter()
        .filter(|e| e.kind == "review.approve")
        .map(|e| serde_json::from_str(&e.details).unwrap())
        .collect();
    assert_eq!(approvals[1]["state"], "in_review");
    assert_eq!(approvals[2]["state"], "approved");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind.starts_with("review."))
            .map(|e| e.actor.as_str())
            .collect::<Vec<_>>(),
        ["ann", "bob", "ann", "bob", "ann", "bob", "carol"]
    );
    assert_eq!(ws.verify_audit().unwrap(), None);
}

#[test]
fn a_workspace_of_format_2_gains_the_review_tables_and_its_versions_are_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.writ");
    let conn = common::raw(&path);
    conn.pragma_update(None, "application_id", writ_store::schema::APPLICATION_ID)
        .unwrap();
    for sql in &writ_store::schema::MIGRATIONS[..2] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch(
        "PRAGMA user_version = 2;
         INSERT INTO versions (id, parent, author, message, created_at)
         VALUES ('abcdef0123456789', NULL, 'ann', 'old', '2026-01-01T00:00:00.000Z');",
    )
    .unwrap();
    drop(conn);
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.format().unwrap(), writ_store::schema::current_format());
    let st = ws.version_status("abcdef01").unwrap();
    assert_eq!(st.state, ReviewState::Draft);
    assert!(ws.review_history("abcdef01").unwrap().is_empty());
    // Made before approver keys: its review steps stay unsigned until
    // someone requires signatures.
    assert_eq!(
        ws.signature_mode().unwrap(),
        writ_store::approvers::SignatureMode::Legacy
    );
}

#[test]
fn a_workspace_of_format_5_keeps_its_unsigned_approvals_and_opens_as_legacy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.writ");
    let conn = common::raw(&path);
    conn.pragma_update(None, "application_id", writ_store::schema::APPLICATION_ID)
        .unwrap();
    for sql in &writ_store::schema::MIGRATIONS[..5] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch(
        "PRAGMA user_version = 5;
         INSERT INTO versions (id, parent, author, message, created_at)
         VALUES ('abcdef0123456789', NULL, 'ann', 'old', '2026-01-01T00:00:00.000Z');
         INSERT INTO reviews (version_id, round, state, submitted_at, submitted_by, required, evidence, decided_at)
         VALUES ('abcdef0123456789', 1, 'approved', '2026-01-02T00:00:00.000Z', 'ann', 1, '{}', '2026-01-03T00:00:00.000Z');
         INSERT INTO review_decisions (review_id, decision, actor, at, comment)
         VALUES (1, 'approve', 'bob', '2026-01-03T00:00:00.000Z', NULL);",
    )
    .unwrap();
    drop(conn);
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.format().unwrap(), writ_store::schema::current_format());
    assert_eq!(
        ws.signature_mode().unwrap(),
        writ_store::approvers::SignatureMode::Legacy
    );
    let st = ws.version_status("abcdef01").unwrap();
    assert_eq!(st.state, ReviewState::Approved);
    assert_eq!(st.approvals[0].approver, "bob");
    assert_eq!(st.approvals[0].key_id, None);
    assert!(ws.signed_review("abcdef01").unwrap().is_empty());
    assert!(ws.approvers().unwrap().is_empty());
}

/// Without a trace set named, a review replays over the set its baseline
/// was approved over (the decision changes then compare the same traffic),
/// not a set imported since; the first approval, with no baseline, takes
/// the newest set.
#[test]
fn the_review_defaults_to_the_baselines_trace_set() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made) = sample_ws(dir.path());
    let [v1, v2] = &made.versions;
    let recorded = ws.trace_set("recorded").unwrap().id;
    review(&mut ws, v1, "ann");
    ws.approve_version(v1, "bob", None).unwrap();
    // A newer set, imported after v1's approval.
    let week = common::head_of_recorded(&dir.path().join("week.jsonl"), 300);
    let newer = ws
        .import_traces(&week, Some("week"), "ann", &quiet)
        .unwrap()
        .set
        .id;
    assert!(newer > recorded);
    let r = review(&mut ws, v2, "ann");
    let ev = &r.current().unwrap().evidence;
    assert_eq!(ev.set, recorded, "the baseline's set, not the newest");
    assert_eq!(ev.set_name, "recorded");
}
