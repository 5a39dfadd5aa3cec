//! Drives the real Writ window through tauri-driver. Run under a display:
//! `xvfb-run -a cargo test -p writ-e2e` after building the UI, `writ-app`
//! and `writ-cli` (see this crate's README).

use fantoccini::key::Key;
use fantoccini::Locator;
use writ_e2e::{debug_binary, Harness};

/// Opening the app creates and shows the sample workspace.
#[tokio::test(flavor = "multi_thread")]
async fn start_view_lists_the_sample() {
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    let versions = h.texts("#versions tbody tr").await;
    assert_eq!(versions.len(), 2, "the sample has v1 and v2: {versions:?}");
    assert!(
        versions.iter().any(|v| v.contains("policy version v2")),
        "{versions:?}"
    );
    let sets = h.texts("#trace-sets tbody tr").await;
    assert_eq!(sets.len(), 1, "{sets:?}");
    assert!(sets[0].contains("recorded"), "{sets:?}");
    let runs = h.texts("#start-runs tbody tr").await;
    assert_eq!(runs.len(), 2, "the sample has runs 1 and 2: {runs:?}");
    h.screenshot("start").await;
    h.close().await;
}

/// A syntax error typed into a policy is reported at its place, and fixing
/// it clears the report.
#[tokio::test(flavor = "multi_thread")]
async fn editing_a_policy_shows_live_diagnostics() {
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    h.client
        .find(Locator::Css("#nav-policies"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.wait_for(".cm-content").await;
    // The stored version's own problems, once checked (warnings, if any).
    h.wait_for("#problem-count").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let baseline: Vec<String> = h.texts("#problems .problem").await;
    assert!(
        baseline.iter().all(|p| !p.starts_with("error")),
        "the stored version has errors: {baseline:?}"
    );

    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    content.click().await.unwrap();
    // Ctrl+Home, then type a stray word at the very start of the file.
    let home = format!(
        "{}{}{}",
        char::from(Key::Control),
        char::from(Key::Home),
        char::from(Key::Null)
    );
    content.send_keys(&home).await.unwrap();
    content.send_keys("oops ").await.unwrap();

    let located = regex_like_location();
    let error = h
        .poll("a located error in the problems panel", || async {
            h.texts("#problems .problem.error")
                .await
                .into_iter()
                .find(|t| located(t))
        })
        .await;
    assert!(
        error.contains("policies/"),
        "the error names the policy file: {error}"
    );
    // The editor underlines it.
    h.wait_for(".cm-lintRange-error").await;
    h.screenshot("policies-error").await;

    // Clicking the problem moves the cursor there (the editor keeps focus).
    h.client
        .find(Locator::Css("#problems .problem.error"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Fix it: put the caret back at the start and delete the five characters.
    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    content.send_keys(&home).await.unwrap();
    let delete: String = std::iter::repeat_n(char::from(Key::Delete), 5).collect();
    content.send_keys(&delete).await.unwrap();
    h.poll("the error to clear", || async {
        let now = h.texts("#problems .problem").await;
        (now.iter().all(|t| !t.starts_with("error")) && now.len() == baseline.len()).then_some(())
    })
    .await;
    assert!(h
        .client
        .find_all(Locator::Css(".cm-lintRange-error"))
        .await
        .unwrap()
        .is_empty());
    h.screenshot("policies-clean").await;
    h.close().await;
}

/// `file.cedar:LINE:COL ...` somewhere in the text.
fn regex_like_location() -> impl Fn(&str) -> bool {
    |t: &str| {
        t.split_whitespace().any(|w| {
            let Some(i) = w.find(".cedar:") else {
                return false;
            };
            let rest: Vec<&str> = w[i + 7..].split(':').collect();
            rest.len() == 2
                && rest
                    .iter()
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
    }
}

/// The diff of runs 1 and 2 in the app equals `writ diff --runs 1 2` on a
/// sample workspace made by the CLI; a replay stores run 3.
#[tokio::test(flavor = "multi_thread")]
async fn run_diff_matches_the_cli() {
    let writ = debug_binary("writ");
    if !writ.is_file() {
        if std::env::var_os("CI").is_some() {
            panic!("{} is missing; `cargo build -p writ-cli`", writ.display());
        }
        println!(
            "skipped: {} is missing; `cargo build -p writ-cli`",
            writ.display()
        );
        return;
    }
    let Some(h) = Harness::start().await else {
        return;
    };

    // What the CLI says.
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("cli.writ");
    let init = std::process::Command::new(&writ)
        .args(["init", "--sample", "--workspace"])
        .arg(&ws)
        .output()
        .unwrap();
    assert!(init.status.success(), "writ init: {init:?}");
    let out = std::process::Command::new(&writ)
        .args([
            "diff",
            "--runs",
            "1",
            "2",
            "--format",
            "json",
            "--workspace",
        ])
        .arg(&ws)
        .output()
        .unwrap();
    assert!(out.status.success(), "writ diff: {out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let counts = &doc["decisions"]["counts"];
    let total = counts["total"].as_u64().unwrap();
    let kind = |k: &str| counts["kinds"][k].as_u64().unwrap_or(0);
    assert!(total > 0, "the sample's v1 -> v2 diff changes something");

    h.wait_for("#versions tbody tr").await;
    h.client
        .find(Locator::Css("#nav-runs"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.wait_for("#runs tbody tr").await;
    h.client
        .find(Locator::Css("#diff-a option[value='1']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.client
        .find(Locator::Css("#diff-b option[value='2']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.client
        .find(Locator::Css("#diff-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    h.wait_for("#diff-result[data-a='1'][data-b='2']").await;
    let number = |css: &'static str| {
        let h = &h;
        async move {
            h.texts(css).await[0]
                .trim()
                .parse::<u64>()
                .unwrap_or_else(|e| panic!("{css}: {e}"))
        }
    };
    assert_eq!(number("#diff-changed").await, total);
    assert_eq!(number("#diff-allow-to-deny").await, kind("allow_to_deny"));
    assert_eq!(number("#diff-deny-to-allow").await, kind("deny_to_allow"));
    assert_eq!(
        number("#diff-other").await,
        kind("same_decision_other_reasons")
    );
    let agents = h.texts("#diff-by-agent tbody tr").await;
    let cli_agents = doc["decisions"]["by_agent"].as_object().unwrap().len();
    assert_eq!(agents.len(), cli_agents, "{agents:?}");
    h.screenshot("runs-diff").await;

    // Replay v2 over the recorded set: a third run appears.
    h.client
        .find(Locator::Css("#replay-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let result = h
        .poll("the replay to finish", || async {
            h.texts("#replay-result").await.into_iter().next()
        })
        .await;
    assert!(result.starts_with("Stored run 3"), "{result}");
    h.wait_for("#runs tbody tr[data-run='3']").await;
    h.close().await;
}
