//! The Approvals view: the sample's v1 then v2 submitted, refused for the
//! submitter, approved (v2 by two people, since it changes decisions of
//! critical agents) in the real window, every step signed with the demo
//! approver key chosen in the (scripted) native dialog, the header naming
//! who signs; the evidence shown equals `writ review --format json` (the
//! real CLI) on a workspace made by `writ init --sample` (versions are
//! content-addressed: same ids); the signed statements verify offline.

use fantoccini::Locator;
use std::path::Path;
use writ_e2e::{writ_cli, Harness};

/// The CLI's evidence for v1 (first approval) and v2 (against v1), and the
/// two version ids, on a new sample workspace.
fn cli_evidence(writ: &Path) -> (String, String, serde_json::Value, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("cli.writ");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(writ)
            .arg("--workspace")
            .arg(&ws)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "writ {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["init", "--sample", "--as", "author"]);
    let key = |who: &str| format!("{}.keys/{who}.pem", ws.display());
    let list = run(&["version", "list"]);
    let ids: Vec<String> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let (v2, v1) = (ids[0].clone(), ids[1].clone());
    let json = |v: &str| -> serde_json::Value {
        let r: serde_json::Value = serde_json::from_str(&run(&[
            "review",
            v,
            "--key",
            &key("alice"),
            "--format",
            "json",
        ]))
        .unwrap();
        r["rounds"][0]["evidence"].clone()
    };
    let e1 = json(&v1);
    run(&["approve", &v1, "--key", &key("bob")]);
    let e2 = json(&v2);
    (v1, v2, e1, e2)
}

/// Picks the version whose id starts with `prefix`; returns its full id.
async fn pick_version(h: &Harness, prefix: &str) -> String {
    let option = h
        .wait_for(&format!("#review-version option[value^='{prefix}']"))
        .await;
    let full = option.attr("value").await.unwrap().expect("an id");
    h.client
        .find(Locator::Css("#review-version"))
        .await
        .unwrap()
        .select_by_value(&full)
        .await
        .unwrap();
    full
}

/// Acts as `who`: forgets the key chosen before (if any) and chooses the
/// next one through the scripted dialog; waits for the header to name them.
async fn become_person(h: &Harness, who: &str) {
    if h.client
        .find(Locator::Css("#identity-forget"))
        .await
        .is_ok()
    {
        h.click("#identity-forget").await;
    }
    h.click("#identity-choose").await;
    h.wait_for(&format!("#identity[data-name='{who}']")).await;
    h.wait_for("#review-signer").await;
    h.scroll_to("fieldset.act").await;
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn approvals_follow_the_four_eyes_rules_and_match_the_cli() {
    let Some(writ) = writ_cli() else {
        return;
    };
    // The approver keys are chosen, and the evidence report is saved,
    // through the (scripted) native dialogs, in this order.
    let reports = tempfile::tempdir().unwrap();
    let report = reports.path().join("evidence.html");
    let answers = reports.path().join("answers.txt");
    std::fs::write(&answers, "").unwrap();
    let Some(h) =
        Harness::start_with(&[], &[("WRIT_TEST_DIALOG_ANSWERS", answers.as_os_str())]).await
    else {
        return;
    };
    // The app made its sample (and its people's demo keys) on first start.
    let keys = h.app_data_dir().join("sample.writ.keys");
    let mut lines = String::new();
    for who in ["alice", "bob", "alice", "bob", "carol"] {
        lines.push_str(&format!("{}\n", keys.join(format!("{who}.pem")).display()));
    }
    lines.push_str(&format!("{}\n", report.display()));
    std::fs::write(&answers, lines).unwrap();
    let (v1, v2, e1, e2) = cli_evidence(&writ);

    h.wait_for("#versions tbody tr").await;
    h.click("#nav-approvals").await;
    let v1 = pick_version(&h, &v1).await;
    h.wait_for(&format!(
        "#review-status[data-version='{v1}'][data-state='draft']"
    ))
    .await;
    let author = h
        .attr("#review-status", "data-author")
        .await
        .unwrap_or_default();
    assert!(!author.is_empty());
    assert_ne!(author.to_lowercase(), "bob");

    // No key chosen: the step cannot be taken, and the view says why.
    h.wait_for("#review-no-key").await;
    assert!(h.attr("#review-submit", "disabled").await.is_some());
    // Submit v1 as alice: its evidence is the CLI's.
    become_person(&h, "alice").await;
    h.click("#review-submit").await;
    h.wait_for("#review-status[data-state='in_review'][data-required='1']")
        .await;
    assert_eq!(
        h.attr("#evidence-replay", "data-actions")
            .await
            .unwrap_or_default(),
        e1["replay"]["actions"].to_string()
    );
    assert_eq!(
        h.attr("#evidence-baseline", "data-baseline")
            .await
            .unwrap_or_default(),
        ""
    );
    let suites: Vec<String> = e1["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    let mut shown = Vec::new();
    for li in h
        .client
        .find_all(Locator::Css("#evidence-suites li"))
        .await
        .unwrap()
    {
        assert_eq!(li.attr("data-ok").await.unwrap().as_deref(), Some("true"));
        shown.push(li.attr("data-suite").await.unwrap().unwrap());
    }
    assert_eq!(shown, suites);

    // The submitter's key may not approve.
    h.click("#review-approve").await;
    let err = h.wait_for("#review-error").await.text().await.unwrap();
    assert!(err.contains("cannot approve"), "{err}");
    assert!(err.contains("alice's key"), "{err}");
    assert_eq!(
        h.attr("#review-status", "data-state")
            .await
            .unwrap_or_default(),
        "in_review"
    );

    become_person(&h, "bob").await;
    h.fill("#review-comment", "the baseline").await;
    h.click("#review-approve").await;
    h.wait_for("#review-status[data-state='approved'][data-approvals='1']")
        .await;

    // v2 against v1: two approvers, because critical agents change.
    let v2 = pick_version(&h, &v2).await;
    h.wait_for(&format!(
        "#review-status[data-version='{v2}'][data-state='draft']"
    ))
    .await;
    become_person(&h, "alice").await;
    h.click("#review-submit").await;
    h.wait_for("#review-status[data-state='in_review'][data-required='2']")
        .await;
    assert_eq!(
        h.attr("#evidence-baseline", "data-baseline")
            .await
            .unwrap_or_default(),
        v1
    );
    assert_eq!(
        h.attr("#evidence-diff", "data-changed")
            .await
            .unwrap_or_default(),
        e2["diff"]["changed"].to_string()
    );
    let critical = strings(&e2["critical_agents"]);
    assert!(!critical.is_empty());
    assert_eq!(
        h.attr("#evidence-required", "data-critical")
            .await
            .unwrap_or_default(),
        critical.join(",")
    );
    assert_eq!(e2["required_approvals"], 2);
    // Changed actions by agent, most first, as the CLI counts them.
    let mut want: Vec<(String, u64)> = e2["diff"]["changed_by_agent"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(a, n)| (a.clone(), n.as_u64().unwrap()))
        .collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let agents = h
        .attr_all("#evidence-by-agent tbody tr", "data-agent")
        .await;
    let counts: Vec<u64> = h
        .texts("#evidence-by-agent tbody td.num")
        .await
        .iter()
        .map(|t| t.trim().parse().unwrap())
        .collect();
    let shown: Vec<(String, u64)> = agents.into_iter().zip(counts).collect();
    assert_eq!(shown, want);
    h.wait_for("#evidence-chart").await;
    // The text diff against the baseline is shown before the buttons: the
    // regression policy added by v2, with its lines marked as added.
    let added = h
        .wait_for("#policy-diffs .textdiff[data-name='low-tier-no-production-changes'] pre")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        added.contains("+@id(\"low-tier-no-production-changes\")"),
        "{added}"
    );
    h.screenshot("approvals").await;

    // Leaving the view and coming back returns to the place being read.
    let read_at = h
        .client
        .execute(
            "document.querySelector('#policy-diffs').scrollIntoView({block: 'start'}); \
             return document.querySelector('main').scrollTop;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(read_at > 100.0, "the evidence is below the fold: {read_at}");
    // The page hears of the scroll at its next frame, as after a reader's own.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    h.click("#nav-runs").await;
    h.wait_for("#runs tbody tr").await;
    h.click("#nav-approvals").await;
    h.wait_for(&format!("#review-status[data-version='{v2}']"))
        .await;
    h.wait_for("#policy-diffs .textdiff").await;
    let mut back_at = 0.0;
    for _ in 0..50 {
        back_at = h
            .client
            .execute(
                "const m = document.querySelector('main'); return [m.scrollTop, m.scrollHeight, m.clientHeight];",
                vec![],
            )
            .await
            .unwrap()[0]
            .as_f64()
            .unwrap();
        if (back_at - read_at).abs() < 2.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let dims = h
        .client
        .execute(
            "const m = document.querySelector('main'); return [m.scrollTop, m.scrollHeight, m.clientHeight];",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        (back_at - read_at).abs() < 2.0,
        "scrolled back to {back_at}, not {read_at}: {dims}"
    );

    become_person(&h, "bob").await;
    h.click("#review-approve").await;
    h.wait_for("#review-status[data-state='in_review'][data-approvals='1']")
        .await;
    // bob again does not count twice.
    h.click("#review-approve").await;
    h.poll("the second approval by bob to be refused", || async {
        let t = h
            .client
            .find(Locator::Css("#review-error"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        t.contains("already approved").then_some(())
    })
    .await;
    become_person(&h, "carol").await;
    h.click("#review-approve").await;
    h.wait_for("#review-status[data-state='approved'][data-approvals='2']")
        .await;
    // Every step was signed: the history says so, and the workspace's signed
    // statements verify offline with the three demo public keys.
    assert_eq!(
        h.texts("#review-history li.decision .signed").await.len(),
        2
    );
    let trusted: Vec<writ_bundle::bundle::TrustedKey> = ["alice", "bob", "carol"]
        .iter()
        .map(|who| {
            let k = writ_bundle::keys::read_public(&keys.join(format!("{who}.pub.pem"))).unwrap();
            writ_bundle::bundle::TrustedKey::new(k)
        })
        .collect();
    let ws = writ_store::Workspace::open(&h.app_data_dir().join("sample.writ")).unwrap();
    let signed: Vec<(String, String)> = ws
        .signed_review(&v2)
        .unwrap()
        .iter()
        .map(|e| {
            let v = writ_bundle::approval::verify(e, &trusted).expect("verifies");
            (format!("{:?}", v.statement.decision), v.statement.approver)
        })
        .collect();
    assert_eq!(
        signed,
        [
            ("Submit", "alice"),
            ("Approve", "bob"),
            ("Approve", "carol")
        ]
        .map(|(d, n)| (d.to_string(), n.to_string()))
    );
    drop(ws);
    let decisions = h
        .texts("#review-history li.decision[data-decision='approve']")
        .await;
    assert_eq!(decisions.len(), 2, "{decisions:?}");
    assert!(decisions[0].contains("by bob") && decisions[1].contains("by carol"));

    // "Evidence report…" writes what `writ report` writes for the same
    // workspace, byte for byte.
    h.click("#export-report").await;
    h.wait_for("#report-note").await;
    let html = std::fs::read_to_string(&report).expect("the report was written");
    for section in [
        "version",
        "findings",
        "policies",
        "changes",
        "approvals",
        "bundles",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{section}\"")),
            "no {section} section"
        );
    }
    assert!(html.contains("carol"), "the approvals name carol");
    let cli_report = reports.path().join("cli.html");
    let out = std::process::Command::new(&writ)
        .arg("--workspace")
        .arg(h.app_data_dir().join("sample.writ"))
        .args(["report", &v2])
        .arg("--out")
        .arg(&cli_report)
        .output()
        .unwrap();
    assert!(out.status.success(), "writ report: {out:?}");
    assert_eq!(std::fs::read_to_string(&cli_report).unwrap(), html);

    // The Versions view shows where each version is in its review, and its
    // time for people, with the exact time on hover.
    h.click("#nav-versions").await;
    for v in [&v1, &v2] {
        h.wait_for(&format!(
            "#version-history tr[data-version='{v}'] [data-review='approved']"
        ))
        .await;
    }
    let time = h
        .wait_for(&format!("#version-history tr[data-version='{v2}'] time"))
        .await;
    let iso = time.attr("datetime").await.unwrap().unwrap_or_default();
    assert_eq!(time.attr("title").await.unwrap(), Some(iso.clone()));
    assert!(iso.ends_with('Z') && iso.contains('T'), "{iso}");
    let shown = time.text().await.unwrap();
    assert!(
        shown.ends_with(" UTC") && !shown.contains(&iso[..10]),
        "{shown}"
    );
    h.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_encrypted_approver_key_is_unlocked_with_its_passphrase() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("answers.txt");
    std::fs::write(&answers, "").unwrap();
    let Some(h) =
        Harness::start_with(&[], &[("WRIT_TEST_DIALOG_ANSWERS", answers.as_os_str())]).await
    else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    // erin's key, encrypted, vouched for by alice in the app's own sample.
    let ws = h.app_data_dir().join("sample.writ");
    let erin = dir.path().join("erin");
    let out = std::process::Command::new(&writ)
        .arg("--workspace")
        .arg(&ws)
        .args([
            "key",
            "generate",
            "--approver",
            "erin",
            "--encrypt",
            "--out",
        ])
        .arg(&erin)
        .arg("--by")
        .arg(h.app_data_dir().join("sample.writ.keys/alice.pem"))
        .env("WRIT_KEY_PASSPHRASE", "a long passphrase")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    std::fs::write(&answers, format!("{}.pem\n", erin.display())).unwrap();

    h.click("#identity-choose").await;
    h.wait_for("#unlock-dialog").await;
    h.fill("#unlock-passphrase", "not it").await;
    h.click("#unlock-submit").await;
    let err = h.wait_for("#unlock-error").await.text().await.unwrap();
    assert!(err.contains("passphrase does not decrypt"), "{err}");
    h.fill("#unlock-passphrase", "a long passphrase").await;
    h.click("#unlock-submit").await;
    h.wait_for("#identity[data-name='erin']").await;
    assert!(h.client.find(Locator::Css("#unlock-dialog")).await.is_err());
    h.close().await;
}
