//! Drafting policies from a trace set and narrowing unused grants (issue
//! 16, part 4) through the real window, on workspaces made by
//! `writ init --sample`: "Draft policies from this trace set…" on the
//! `recorded` set shows the replay check (no problems) and the grants that
//! `writ draft --traces recorded --json` reports, a tool marked plain drops
//! its step-up, and the draft is saved as a version the Versions view and
//! `writ version list` show. The Findings view over `recorded` lists v2's
//! unused grants as `writ findings --format json` does, with the proposed
//! narrowing (0 lost, 0 gained), which is committed as a new version.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use writ_e2e::{cli, sample_workspace, writ_cli, Harness};

/// A sample workspace in a new temporary folder, and the app started on it.
async fn start(writ: &Path) -> Option<(Harness, PathBuf, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("draft.writ");
    sample_workspace(writ, &ws);
    let h = Harness::start_with(&[ws.display().to_string()], &[]).await?;
    h.wait_for("#versions tbody tr").await;
    Some((h, ws, dir))
}

/// `writ ARGS --workspace WS` parsed as JSON.
fn cli_json(writ: &Path, ws: &Path, args: &[&str]) -> serde_json::Value {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    all.extend(["--workspace".as_ref(), ws.as_os_str()]);
    serde_json::from_str(&cli(writ, &all)).expect("JSON")
}

/// The version ids `writ version list` prints, newest first.
fn cli_versions(writ: &Path, ws: &Path) -> Vec<String> {
    cli(
        writ,
        &[
            "version".as_ref(),
            "list".as_ref(),
            "--workspace".as_ref(),
            ws.as_os_str(),
        ],
    )
    .lines()
    .filter_map(|l| l.split_whitespace().next().map(str::to_string))
    .collect()
}

/// The ids of a JSON array's objects under `key`.
fn ids(v: &serde_json::Value, key: &str) -> BTreeSet<String> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x[key].as_str().expect("an id").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_draft_is_reviewed_and_saved_as_a_version() {
    let Some(writ) = writ_cli() else { return };
    let Some((h, ws, dir)) = start(&writ).await else {
        return;
    };
    let out = dir.path().join("cli-draft");
    let cli_draft = cli_json(
        &writ,
        &ws,
        &[
            "draft",
            "--traces",
            "recorded",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
    );

    h.click("#nav-traces").await;
    h.wait_for("#actions[data-total='2400']").await;
    h.click("#draft-button").await;
    h.wait_for("#draft-dialog").await;
    assert_eq!(
        h.value("#draft-max-resources").await,
        "20",
        "Limits::default()"
    );
    assert_eq!(h.value("#draft-max-principals").await, "25");
    let check = h.wait_for("#draft-check[data-problems='0']").await;
    assert_eq!(
        check.attr("data-holds").await.unwrap().as_deref(),
        Some("true")
    );
    let c = &cli_draft["check"];
    for (attr, key) in [
        ("data-granted", "granted_calls"),
        ("data-allowed", "granted_allowed"),
        ("data-step-up", "needs_step_up"),
    ] {
        assert_eq!(
            check.attr(attr).await.unwrap(),
            Some(c[key].as_u64().unwrap().to_string()),
            "{attr}"
        );
    }
    let text = check.text().await.unwrap();
    assert!(text.contains("0 problem(s)"), "{text}");
    // The grants table lists the permits the CLI drafts.
    let grants: BTreeSet<String> = h
        .attr_all("#draft-grants tbody tr", "data-id")
        .await
        .into_iter()
        .collect();
    assert_eq!(grants, ids(&cli_draft["report"]["grants"], "id"));
    let widened = h
        .attr_all("#draft-grants tbody tr[data-widened='yes']", "data-id")
        .await;
    assert!(!widened.is_empty(), "the sample has widened grants");
    h.screenshot("draft-dialog").await;
    // The drafted files, read-only.
    h.click("#draft-tab-files").await;
    h.click("#draft-dialog button.file[data-path='policies/grants.cedar']")
        .await;
    h.wait_text(
        "#draft-file[data-path='policies/grants.cedar'] .cm-content",
        "permit",
    )
    .await;
    assert_eq!(
        h.attr("#draft-file .cm-content", "aria-readonly")
            .await
            .as_deref(),
        Some("true")
    );

    // send_email marked plain: drafted again, its step-up forbid is gone.
    let step_ups = ids(&cli_draft["report"]["step_ups"], "id");
    assert!(step_ups.contains("step-up-send_email"), "{step_ups:?}");
    h.click("#draft-tab-tools").await;
    h.client
        .find(fantoccini::Locator::Css(
            "#draft-tools select[data-tool='send_email']",
        ))
        .await
        .unwrap()
        .select_by_value("plain")
        .await
        .unwrap();
    h.wait_for("#draft-stale").await;
    let save = h.wait_for("#draft-save").await;
    assert!(
        !save.is_enabled().await.unwrap(),
        "a stale draft is not saved"
    );
    h.click("#draft-start").await;
    h.wait_text(
        "#draft-tools tr[data-tool='send_email']",
        "granted outright",
    )
    .await;
    h.wait_for("#draft-check[data-problems='0']").await;
    h.click("#draft-tab-step-ups").await;
    let now: BTreeSet<String> = h
        .attr_all("#draft-step-ups li", "data-id")
        .await
        .into_iter()
        .collect();
    assert!(!now.contains("step-up-send_email"), "{now:?}");
    assert_eq!(now.len(), step_ups.len() - 1);

    // Saved as a version: the newest in `writ version list` and in Versions.
    h.click("#draft-save").await;
    h.fill("#draft-message", "First draft from the recorded traffic")
        .await;
    h.click("#draft-save-confirm").await;
    let saved = h
        .wait_for("#draft-saved")
        .await
        .attr("data-version")
        .await
        .unwrap()
        .expect("data-version");
    let versions = cli_versions(&writ, &ws);
    assert_eq!(versions.len(), 3, "{versions:?}");
    assert!(saved.starts_with(&versions[0]), "{saved} vs {versions:?}");
    // `writ check` exits 0: the saved version has no error.
    cli(
        &writ,
        &[
            "check".as_ref(),
            format!("@{}", versions[0]).as_ref(),
            "--workspace".as_ref(),
            ws.as_os_str(),
        ],
    );
    h.click("#draft-close").await;
    h.click("#nav-versions").await;
    h.wait_for(&format!("#version-history tr[data-version='{saved}']"))
        .await;
    h.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unused_grants_are_narrowed_and_committed() {
    let Some(writ) = writ_cli() else { return };
    let Some((h, ws, _dir)) = start(&writ).await else {
        return;
    };
    let before = cli_versions(&writ, &ws);
    let v2 = before[0].clone();
    let cli_findings = cli_json(
        &writ,
        &ws,
        &[
            "findings",
            "--project",
            &format!("@{v2}"),
            "--set",
            "recorded",
            "--format",
            "json",
        ],
    );
    let grants = &cli_findings["grants"];

    // The view opens on the newest version (v2) over `recorded`.
    h.click("#nav-findings").await;
    h.wait_for("#findings-summary[data-set='recorded']").await;
    assert!(h.value("#findings-version").await.starts_with(&v2));
    let unused: BTreeSet<String> = h
        .attr_all("li.finding[data-code='unused-grant']", "data-subject")
        .await
        .into_iter()
        .collect();
    let cli_unused: BTreeSet<String> = cli_findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unused-grant")
        .map(|f| f["subject"].as_str().unwrap().to_string())
        .collect();
    assert!(!unused.is_empty());
    assert_eq!(unused, cli_unused);

    // The proposal: one row per narrowed permit, the check holding.
    let rows: BTreeSet<String> = h
        .attr_all("#narrowing-table tr.narrowing", "data-policy")
        .await
        .into_iter()
        .collect();
    assert_eq!(rows, ids(&grants["narrowings"], "policy"));
    h.wait_text("#narrowing-check", "0 lost, 0 gained").await;
    let c = &grants["check"];
    for (attr, key) in [
        ("data-before", "allowed_before"),
        ("data-after", "allowed_after"),
        ("data-lost", "lost"),
        ("data-gained", "gained"),
    ] {
        assert_eq!(
            h.attr("#narrowing-check", attr).await,
            Some(c[key].as_u64().unwrap().to_string()),
            "{attr}"
        );
    }
    assert_eq!(
        h.attr("#narrowing-check", "data-holds").await.as_deref(),
        Some("true")
    );
    // A narrowed permit's texts side by side; a removed one alone.
    let kept = h
        .attr_all(
            "#narrowing-table tr.narrowing[data-remove='no']",
            "data-policy",
        )
        .await;
    let first = kept.first().expect("a narrowed (not removed) permit");
    h.click(&format!(
        "#narrowing-table tr.narrowing[data-policy='{first}'] button.toggle"
    ))
    .await;
    h.wait_for(&format!(
        "#narrowing-table tr.texts[data-policy='{first}'] .sbs[data-single='']"
    ))
    .await;
    h.scroll_to("#narrowing").await;
    h.screenshot("findings-narrowing").await;

    // Committed as a version: the newest, selectable in the view.
    h.click("#narrowing-commit").await;
    h.fill(
        "#narrowing-message",
        "Narrow the permits to what the agents used",
    )
    .await;
    h.click("#narrowing-commit-confirm").await;
    let committed = h
        .wait_for("#narrowing-committed")
        .await
        .attr("data-version")
        .await
        .unwrap()
        .expect("data-version");
    let after = cli_versions(&writ, &ws);
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert!(committed.starts_with(&after[0]), "{committed} vs {after:?}");
    h.wait_for(&format!("#findings-version option[value='{committed}']"))
        .await;
    // The narrowed version keeps every allow: no unused grant is left for
    // the permits it narrowed.
    let narrowed = cli_json(
        &writ,
        &ws,
        &[
            "findings",
            "--project",
            &format!("@{}", after[0]),
            "--set",
            "recorded",
            "--format",
            "json",
        ],
    );
    let left = ids(&narrowed["grants"]["narrowings"], "policy");
    assert!(left.is_disjoint(&rows), "{left:?}");
    h.close().await;
}
