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

    // Replay v2 over the recorded set: run 2 did that already, so it is
    // offered first; replaying again makes a third run.
    h.client
        .find(Locator::Css("#replay-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let offered = h.wait_for("#replay-duplicate").await;
    assert_eq!(
        offered.attr("data-run").await.unwrap().as_deref(),
        Some("2")
    );
    h.click("#replay-again").await;
    let result = h
        .poll("the replay to finish", || async {
            h.texts("#replay-result").await.into_iter().next()
        })
        .await;
    assert!(result.starts_with("Stored run 3"), "{result}");
    h.wait_for("#runs tbody tr[data-run='3']").await;
    h.close().await;
}

/// The diff of runs 1 and 2 lists its changed actions (as many as counted,
/// also per agent) and the text diff of the regression policy.
#[tokio::test(flavor = "multi_thread")]
async fn run_diff_drills_down_to_actions_and_policy_text() {
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-runs").await;
    h.wait_for("#runs tbody tr").await;
    h.click("#diff-a option[value='1']").await;
    h.click("#diff-b option[value='2']").await;
    h.click("#diff-button").await;
    h.wait_for("#diff-result[data-a='1'][data-b='2']").await;
    let changed: usize = h.texts("#diff-changed").await[0].trim().parse().unwrap();
    assert!(changed > 200, "the sample's diff spans pages: {changed}");

    let shown = |want_total: usize, from: usize| {
        let h = &h;
        async move {
            h.poll(&format!("changes {from}.. of {want_total}"), || async {
                let status = h.texts("#changes-status").await.into_iter().next()?;
                let rows = h.texts("#diff-changes tbody tr").await;
                (status.starts_with(&format!("Showing {from}–"))
                    && status.ends_with(&format!(" of {want_total}"))
                    && !rows.is_empty())
                .then_some(rows)
            })
            .await
        }
    };
    let rows = shown(changed, 1).await;
    assert_eq!(rows.len(), 200);
    let first_line = || async {
        let row = h
            .client
            .find(Locator::Css("#diff-changes tbody tr"))
            .await
            .unwrap();
        let line = row.attr("data-line").await.unwrap().unwrap();
        line.parse::<usize>().unwrap()
    };
    let first = first_line().await;
    // Every listed change shows before -> after sides.
    let to = h.texts("#diff-changes td[data-col='to']").await;
    assert_eq!(to.len(), 200);
    assert!(to
        .iter()
        .any(|t| t.contains("low-tier-no-production-changes")));

    // Walk the pages: together they hold exactly the counted changes.
    let mut total = rows.len();
    let mut from = 1;
    while from + 200 <= changed {
        h.click("#changes-next").await;
        from += 200;
        let rows = shown(changed, from).await;
        assert!(first_line().await > first);
        total += rows.len();
    }
    assert_eq!(total, changed);

    // One agent's changes: as many as the by-agent table counts.
    let top = h.texts("#diff-by-agent tbody tr:first-child td").await;
    let first = "#diff-by-agent tbody tr:first-child .agent-name";
    let agent = h.attr(first, "data-agent").await.expect("the agent's id");
    let agent = agent.as_str();
    let count: usize = top[1].trim().parse().unwrap();
    // Shown by its inventory name, with its id and identity on hover.
    let hover = h.attr(first, "title").await.unwrap_or_default();
    assert_ne!(top[0].trim(), agent, "an inventory agent is shown by name");
    assert!(hover.contains(&format!("inventory id: {agent}")), "{hover}");
    assert!(hover.contains("identity: spiffe://"), "{hover}");
    let option = h
        .client
        .find(Locator::Css("#changes-agent option:nth-child(2)"))
        .await
        .unwrap();
    assert_eq!(option.attr("value").await.unwrap().as_deref(), Some(agent));
    option.click().await.unwrap();
    let rows = shown(count, 1).await;
    assert_eq!(rows.len(), count.min(200));
    let agents = h
        .attr_all(
            "#diff-changes tbody td:nth-child(2) .agent-name",
            "data-agent",
        )
        .await;
    assert_eq!(agents.len(), rows.len());
    assert!(agents.iter().all(|a| a == agent), "{agents:?}");
    h.scroll_to("#changes").await;
    h.screenshot("runs-changes").await;

    // The regression policy's text diff.
    let policy = "#policy-diffs .textdiff[data-name='low-tier-no-production-changes']";
    h.wait_for(policy).await;
    let text = h.texts(&format!("{policy} pre")).await;
    assert!(
        text[0].contains("+forbid (principal, action, resource)"),
        "{text:?}"
    );
    let added = h.texts(&format!("{policy} pre span.add")).await;
    assert!(!added.is_empty());
    // Rewritten in place, it is paired with the policy it replaced, as in
    // the side-by-side view: one entry from the old text to the new.
    let heading = h.texts(&format!("{policy} h4")).await;
    assert!(
        heading[0].contains("rewritten from low-tier-no-destructive"),
        "{heading:?}"
    );
    assert!(
        text[0].contains("-@id(\"low-tier-no-destructive\")"),
        "{text:?}"
    );
    assert!(h
        .client
        .find(Locator::Css(
            "#policy-diffs .textdiff[data-name='low-tier-no-destructive']"
        ))
        .await
        .is_err());
    // The mode in use is the pressed button.
    assert_eq!(
        h.attr("#texts-unified", "aria-pressed").await.as_deref(),
        Some("true")
    );
    h.scroll_to("#policy-diffs").await;
    h.screenshot("runs-policy-diff").await;
    h.close().await;
}

/// The test bench decides one composed request on v2: support-bot reading a
/// ticket in production is denied by v2's regression, in staging allowed
/// (the same as `writ replay --project sample-policies/v2` on that record).
#[tokio::test(flavor = "multi_thread")]
async fn test_bench_decides_one_request() {
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-bench").await;
    h.wait_for("#bench-version option").await;
    // A fresh bench starts on a read-only tool, not the schema's first action.
    h.wait_for("#bench-action option").await;
    let first_action = h.value("#bench-action").await;
    assert!(
        ["read_", "search_", "get_", "list_", "query_"]
            .iter()
            .any(|p| first_action.starts_with(p)),
        "default action {first_action}"
    );
    let mut v2 = None;
    for o in h
        .client
        .find_all(Locator::Css("#bench-version option"))
        .await
        .unwrap()
    {
        if o.text().await.unwrap().contains("v2") {
            v2 = Some(o);
        }
    }
    v2.expect("a v2 option").click().await.unwrap();
    let support = h.wait_for("#bench-agent option[value='support-bot']").await;
    assert_eq!(support.text().await.unwrap(), "Support Bot (support-bot)");
    support.click().await.unwrap();
    h.wait_for("#bench-action option[value='read_ticket']")
        .await
        .click()
        .await
        .unwrap();
    h.wait_for("#bench-resource-type option[value='Ticket']")
        .await
        .click()
        .await
        .unwrap();
    h.fill("#bench-resource-id", "T-1").await;
    h.fill("#ctx-intent", "answer_tickets").await;
    h.fill("#ctx-environment", "production").await;
    h.fill("#ctx-risk_score", "10").await;
    h.fill("#ctx-credential_kind", "short_lived").await;
    h.fill("#ctx-credential_ttl_secs", "600").await;
    // `now` is left blank: it comes from the request time.
    h.click("#bench-decide").await;
    let policies = h
        .poll("a deny by low-tier-no-production-changes", || async {
            let decision = h.texts("#bench-decision").await.into_iter().next()?;
            let policies = h.texts("#bench-policies li").await;
            (decision == "deny"
                && policies
                    .iter()
                    .any(|p| p.contains("low-tier-no-production-changes")))
            .then_some(policies)
        })
        .await;
    assert!(
        policies
            .iter()
            .any(|p| p.contains("Low-risk-tier agents may not change production.")),
        "each policy shows its @description: {policies:?}"
    );
    let verdict = h.texts("#bench-verdict").await;
    assert_eq!(verdict, vec!["denied_by_forbid".to_string()]);
    h.screenshot("test-bench").await;

    // A determining policy is a link to its text in the editor; coming
    // back finds the request and its decision.
    h.click("#bench-policies button.policy-link[data-policy='low-tier-no-production-changes']")
        .await;
    h.wait_for("#nav-policies[aria-current='page']").await;
    h.wait_text("#policy-target-id", "low-tier-no-production-changes")
        .await;
    h.click("#nav-bench").await;
    h.wait_for("#bench-decision").await;
    // The form is rebuilt once the version's schema is read again.
    h.wait_for("#ctx-credential_ttl_secs").await;
    assert_eq!(h.value("#bench-resource-id").await, "T-1");
    assert_eq!(h.value("#ctx-environment").await, "production");
    assert_eq!(h.value("#ctx-credential_ttl_secs").await, "600");
    assert_eq!(h.value("#bench-action").await, "read_ticket");
    assert_eq!(
        h.texts("#bench-verdict").await,
        vec!["denied_by_forbid".to_string()]
    );

    h.fill("#ctx-environment", "staging").await;
    h.click("#bench-decide").await;
    h.poll("an allow in staging", || async {
        let decision = h.texts("#bench-decision").await.into_iter().next()?;
        (decision == "allow").then_some(())
    })
    .await;
    assert!(h.texts("#bench-error").await.is_empty());

    // Save it as a test case of the v2 suite: the suite gains a case that
    // expects this allow, and still passes.
    let suite = "v2-guardrails";
    h.wait_for(&format!("#bench-save-suite option[value='{suite}']"))
        .await
        .click()
        .await
        .unwrap();
    let option = h
        .texts(&format!("#bench-save-suite option[value='{suite}']"))
        .await;
    let before: usize = option[0]
        .rsplit('(')
        .next()
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the suite's case count");
    h.fill(
        "#bench-save-name",
        "support reads a ticket in staging (e2e)",
    )
    .await;
    h.click("#bench-save-button").await;
    let notice = h.wait_text("#bench-save-notice", "Saved to suite").await;
    assert!(
        notice.contains(&format!("{suite} ({} cases)", before + 1))
            && notice.contains("expects allow (allowed)"),
        "{notice}"
    );
    h.click("#nav-tests").await;
    let row = h
        .wait_text(&format!("#suites tbody tr[data-suite='{suite}']"), suite)
        .await;
    assert!(row.contains(&(before + 1).to_string()), "{row}");
    h.close().await;
}
