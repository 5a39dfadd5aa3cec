//! The Tests view: scenario suites stored in the sample workspace, run in
//! the real window and compared with `writ test --suite` (the real CLI) on
//! a workspace made by `writ init --sample`.

use fantoccini::key::Key;
use fantoccini::Locator;
use std::path::{Path, PathBuf};
use writ_e2e::{writ_cli, Harness};

/// `writ init --sample` in a new folder; returns (folder, workspace).
fn cli_sample(writ: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("cli.writ");
    let init = std::process::Command::new(writ)
        .args(["init", "--sample", "--workspace"])
        .arg(&ws)
        .output()
        .unwrap();
    assert!(init.status.success(), "writ init: {init:?}");
    (dir, ws)
}

/// `N passed, M failed` from `writ test --suite ...` on `ws`.
fn cli_counts(writ: &Path, ws: &Path, args: &[&str]) -> (u64, u64) {
    let out = std::process::Command::new(writ)
        .arg("test")
        .args(args)
        .arg("--workspace")
        .arg(ws)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let words: Vec<&str> = last.split_whitespace().collect();
    let counts = match words.as_slice() {
        [p, "passed,", f, "failed"] => (p.parse().unwrap(), f.parse().unwrap()),
        _ => panic!("no summary line from writ test: {out:?}"),
    };
    // Exit 0 exactly when nothing failed.
    assert_eq!(out.status.success(), counts.1 == 0, "{out:?}");
    counts
}

/// The summary of the report for `suite`, as (passed, failed).
async fn summary(h: &Harness, suite: &str) -> (u64, u64) {
    let css = format!("#tests-summary[data-suite='{suite}']");
    let passed = h
        .attr(&css, "data-passed")
        .await
        .expect("the attribute")
        .parse()
        .unwrap();
    let failed = h
        .attr(&css, "data-failed")
        .await
        .expect("the attribute")
        .parse()
        .unwrap();
    (passed, failed)
}

async fn open_tests(h: &Harness) {
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-tests").await;
    h.wait_for("#suites tbody tr").await;
}

/// Ctrl+Enter runs every suite; the counts equal the CLI's, all pass.
#[tokio::test(flavor = "multi_thread")]
async fn all_suites_pass_as_in_the_cli() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let Some(h) = Harness::start().await else {
        return;
    };
    let (_dir, ws) = cli_sample(&writ);
    let (cli_passed, cli_failed) = cli_counts(&writ, &ws, &["--suite", "all"]);
    assert!(cli_passed > 0);

    open_tests(&h).await;
    let rows = h.texts("#suites tbody tr").await;
    assert_eq!(rows.len(), 3, "the sample has three suites: {rows:?}");
    for (row, name) in rows
        .iter()
        .zip(["v1-baseline", "v2-guardrails", "v2-step-up"])
    {
        assert!(row.contains(name) && row.contains("recorded"), "{rows:?}");
    }
    // The suites' case counts add up to what the CLI ran.
    let listed: u64 = h
        .texts("#suites tbody td.num")
        .await
        .iter()
        .map(|t| t.trim().parse::<u64>().unwrap())
        .sum();
    assert_eq!(listed, cli_passed + cli_failed);

    // Ctrl+Enter (the default choice is all suites, bound versions).
    let target = h.client.find(Locator::Css("#failures-only")).await.unwrap();
    let ctrl_enter = format!(
        "{}{}{}",
        char::from(Key::Control),
        char::from(Key::Enter),
        char::from(Key::Null)
    );
    target.send_keys(&ctrl_enter).await.unwrap();
    let (passed, failed) = summary(&h, "all").await;
    assert_eq!((passed, failed), (cli_passed, cli_failed));
    assert_eq!(
        h.texts("#cases li.case").await.len() as u64,
        passed + failed
    );
    assert_eq!(h.texts("#cases li.case.passed").await.len() as u64, passed);
    let text = h.texts("#tests-summary").await.join(" ");
    assert!(
        text.contains(&format!("{passed} passed, {failed} failed")),
        "{text}"
    );
    assert!(h.texts("#suite-errors li").await.is_empty());
    h.screenshot("tests").await;
    h.close().await;
}

/// v2's guardrails suite against v1 (the override): the failures are
/// listed with expected against actual, as many as the CLI counts.
#[tokio::test(flavor = "multi_thread")]
async fn a_v2_suite_against_v1_lists_failures() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let Some(h) = Harness::start().await else {
        return;
    };
    open_tests(&h).await;

    // v1 is the version v1-baseline is bound to; pick it as the override.
    let options = h
        .client
        .find_all(Locator::Css("#version-override option"))
        .await
        .unwrap();
    let mut v1 = None;
    for o in options {
        if o.text().await.unwrap().contains("policy version v1") {
            v1 = o.attr("value").await.unwrap();
            o.click().await.unwrap();
        }
    }
    let v1 = v1.expect("a v1 option in the version select");
    let bound = h
        .texts("#suites tr[data-suite='v1-baseline'] td.mono")
        .await
        .join(" ");
    assert!(bound.contains(&v1[..12]), "{bound} vs {v1}");
    h.click("#suite-select option[value='v2-guardrails']").await;
    h.click("#run-tests").await;

    let (_dir, ws) = cli_sample(&writ);
    let (cli_passed, cli_failed) = cli_counts(
        &writ,
        &ws,
        &["--suite", "v2-guardrails", "--version", &v1[..12]],
    );
    assert!(cli_failed > 0, "v1 must fail some of v2's cases");

    h.wait_for("#tests-summary[data-suite='v2-guardrails']")
        .await;
    assert_eq!(
        h.attr("#tests-summary", "data-version")
            .await
            .expect("the attribute"),
        v1,
        "the run used the override"
    );
    let (passed, failed) = summary(&h, "v2-guardrails").await;
    assert_eq!((passed, failed), (cli_passed, cli_failed));

    // Each failure shows expected against actual, with a differing row.
    let failures = h
        .client
        .find_all(Locator::Css("#cases li.case.failed"))
        .await
        .unwrap();
    assert_eq!(failures.len() as u64, failed);
    for f in &failures {
        let diff = f
            .find(Locator::Css(".compare tr.differs"))
            .await
            .expect("a differing row");
        let expected = diff
            .find(Locator::Css("td.expected"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let actual = diff
            .find(Locator::Css("td.actual"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_ne!(expected, actual, "a differing row differs");
    }
    // A pinned regression case expects v2's deny; v1 allows the action.
    let regression = h
        .texts("#cases li.case.failed")
        .await
        .into_iter()
        .find(|t| t.contains("REGRESSION"))
        .expect("a REGRESSION case fails against v1");
    assert!(
        regression.contains("deny") && regression.contains("allow"),
        "{regression}"
    );

    // Failures only.
    h.click("#failures-only").await;
    h.poll("only failures to be listed", || async {
        (h.texts("#cases li.case").await.len() as u64 == failed).then_some(())
    })
    .await;
    assert!(h.texts("#cases li.case.passed").await.is_empty());
    h.screenshot("tests-failures").await;
    h.close().await;
}
