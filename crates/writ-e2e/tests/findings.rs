//! The Findings view: the findings of the sample's v2 over the `recorded`
//! trace set, shown in the real window, equal `writ findings --format json`
//! (the real CLI) on a workspace made by `writ init --sample`.

use fantoccini::Locator;
use std::collections::BTreeSet;
use std::path::Path;
use writ_e2e::{writ_cli, Harness};

/// `writ findings --format json` on a new sample workspace, for the newest
/// version (v2) and, when given, trace set `set`.
fn cli_findings(writ: &Path, set: Option<&str>) -> serde_json::Value {
    cli_findings_with(writ, set, &[])
}

/// As [`cli_findings`], with more arguments (e.g. `--evidence 100`).
fn cli_findings_with(writ: &Path, set: Option<&str>, more: &[&str]) -> serde_json::Value {
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
    run(&["init", "--sample"]);
    let list = run(&["version", "list"]);
    let newest = list
        .split_whitespace()
        .next()
        .expect("a version")
        .to_string();
    let project = format!("@{newest}");
    let mut args = vec!["findings", "--project", &project, "--format", "json"];
    if let Some(s) = set {
        args.extend(["--set", s]);
    }
    args.extend(more);
    serde_json::from_str(&run(&args)).expect("JSON")
}

/// (code, subject, severity, action count) of every finding.
type Row = (String, String, String, Option<u64>);

fn cli_rows(doc: &serde_json::Value) -> BTreeSet<Row> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["actions"]["count"].as_u64(),
            )
        })
        .collect()
}

/// The findings the window lists.
async fn app_rows(h: &Harness) -> BTreeSet<Row> {
    let mut rows = BTreeSet::new();
    for li in h.client.find_all(Locator::Css("li.finding")).await.unwrap() {
        let count = match li.find(Locator::Css("p.actions")).await {
            Ok(p) => p
                .attr("data-count")
                .await
                .unwrap()
                .map(|c| c.parse().unwrap()),
            Err(_) => None,
        };
        rows.insert((
            li.attr("data-code").await.unwrap().unwrap(),
            li.attr("data-subject").await.unwrap().unwrap(),
            li.attr("data-severity").await.unwrap().unwrap(),
            count,
        ));
    }
    rows
}

/// The summary once it describes the trace set `set` ("" for none).
async fn summary_for(h: &Harness, set: &str) -> u64 {
    let css = format!("#findings-summary[data-set='{set}']");
    let total = h
        .wait_for(&css)
        .await
        .attr("data-total")
        .await
        .unwrap()
        .expect("data-total");
    total.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn findings_match_the_cli() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let Some(h) = Harness::start().await else {
        return;
    };
    let with_trace = cli_findings(&writ, Some("recorded"));
    let inventory_only = cli_findings(&writ, None);

    h.wait_for("#versions tbody tr").await;
    h.click("#nav-findings").await;
    // The view opens on the newest version over the sample's trace set.
    let total = summary_for(&h, "recorded").await;
    let expected = cli_rows(&with_trace);
    assert_eq!(total as usize, expected.len());
    assert_eq!(app_rows(&h).await, expected);
    // Critical first; the sample's shadow agents and its retired agent are there.
    let first = h.texts("h3.sev").await;
    assert!(
        first
            .first()
            .is_some_and(|t| t.to_lowercase().starts_with("critical")),
        "{first:?}"
    );
    let codes: BTreeSet<String> = expected.iter().map(|r| r.0.clone()).collect();
    assert!(codes.contains("shadow-agent") && codes.contains("retired-agent-acting"));
    let evidence = h
        .texts("li.finding[data-code='review-overdue'] .inventory-evidence")
        .await;
    assert!(
        evidence.iter().all(|e| e.contains("inventory.toml:")),
        "{evidence:?}"
    );
    h.screenshot("findings").await;
    // Every control of the view has an accessible name (a label, aria-label or text).
    let unnamed = h
        .client
        .execute(
            r#"return Array.from(document.querySelectorAll('section.findings button, section.findings input, section.findings select'))
                 .filter((el) => !((el.getAttribute('aria-label') || '').trim()
                   || (el.labels && Array.from(el.labels).map((l) => l.textContent).join('').trim())
                   || (el.tagName === 'BUTTON' && el.textContent.trim())))
                 .map((el) => el.outerHTML.slice(0, 120));"#,
            vec![],
        )
        .await
        .expect("the check runs");
    assert_eq!(unnamed, serde_json::json!([]), "unnamed controls");
    assert!(h.texts("section.findings select").await.len() == 2);

    // Only critical and high.
    h.click("#show-medium").await;
    h.click("#show-low").await;
    let severe: BTreeSet<Row> = expected
        .iter()
        .filter(|r| r.2 == "critical" || r.2 == "high")
        .cloned()
        .collect();
    h.poll("the medium and low findings to be hidden", || async {
        let rows = app_rows(&h).await;
        (rows == severe).then_some(())
    })
    .await;

    // The inventory alone: no finding rests on actions.
    h.client
        .find(Locator::Css("#findings-set"))
        .await
        .unwrap()
        .select_by_value("")
        .await
        .unwrap();
    h.click("#show-medium").await;
    h.click("#show-low").await;
    h.click("#run-findings").await;
    let total = summary_for(&h, "").await;
    let expected = cli_rows(&inventory_only);
    assert_eq!(total as usize, expected.len());
    assert_eq!(app_rows(&h).await, expected);
    assert!(expected.iter().all(|r| r.3.is_none()), "{expected:?}");
    h.close().await;
}

/// A finding's inventory location is a link: it opens the Policies view on
/// that file of the chosen version with the cursor on that line (the line
/// is compared with the sample's own `inventory.toml`, read here).
#[tokio::test(flavor = "multi_thread")]
async fn an_inventory_location_opens_the_editor_at_its_line() {
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-findings").await;
    let link = h
        .wait_for("li.finding[data-code='review-overdue'] button.location")
        .await;
    let text = link.text().await.unwrap();
    // `@<version>/inventory.toml:LINE:COLUMN`
    let mut parts = text.trim().rsplitn(3, ':');
    let _column = parts.next().unwrap();
    let line: usize = parts.next().unwrap().parse().unwrap();
    assert!(parts.next().unwrap().ends_with("inventory.toml"), "{text}");
    link.click().await.unwrap();
    h.wait_for("#nav-policies[aria-current='page']").await;
    let want = std::fs::read_to_string(
        writ_e2e::workspace_root().join("sample-policies/v2/inventory.toml"),
    )
    .unwrap()
    .lines()
    .nth(line - 1)
    .unwrap()
    .to_string();
    h.poll(&format!("the cursor on line {line}: {want}"), || async {
        let active = h
            .client
            .execute(
                "const l = document.querySelector('.cm-activeLine'); return l ? l.textContent : null;",
                vec![],
            )
            .await
            .ok()?;
        (active.as_str()? == want).then_some(())
    })
    .await;
    h.close().await;
}

/// A finding's trace lines are links: five are listed, "+N more" lists the
/// rest the app keeps (the same lines as `writ findings --evidence 100`),
/// and a line opens the Traces view on that set with that action selected
/// and scrolled into view.
#[tokio::test(flavor = "multi_thread")]
async fn trace_lines_expand_and_open_their_action_in_traces() {
    let Some(writ) = writ_cli() else { return };
    let doc = cli_findings_with(&writ, Some("recorded"), &["--evidence", "100"]);
    // The finding with the most actions beyond the first five.
    let finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["actions"]["count"].as_u64().unwrap_or(0) > 5)
        .max_by_key(|f| f["actions"]["count"].as_u64())
        .expect("a finding resting on more than five actions");
    let (code, subject) = (
        finding["code"].as_str().unwrap(),
        finding["subject"].as_str().unwrap(),
    );
    let count = finding["actions"]["count"].as_u64().unwrap();
    let lines: Vec<String> = finding["actions"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().unwrap().to_string())
        .collect();
    assert_eq!(lines.len() as u64, count.min(100));

    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-findings").await;
    let item = format!("li.finding[data-code='{code}'][data-subject='{subject}']");
    h.wait_for(&format!("{item} p.actions")).await;
    let listed = h
        .attr_all(&format!("{item} .trace-line"), "data-line")
        .await;
    assert_eq!(listed, lines[..5].to_vec());
    let more = h.texts(&format!("{item} .more-lines")).await;
    assert_eq!(more, vec![format!("+{} more", count - 5)]);
    h.click(&format!("{item} .more-lines")).await;
    let all = h
        .poll("the lines to expand", || async {
            let l = h
                .attr_all(&format!("{item} .trace-line"), "data-line")
                .await;
            (l.len() > 5).then_some(l)
        })
        .await;
    assert_eq!(all, lines);
    if count > 100 {
        let beyond = h.texts(&format!("{item} .beyond")).await;
        assert_eq!(
            beyond,
            vec![format!("and {} more in the trace set", count - 100)]
        );
    }

    // The last kept line: far down the set, so the table must scroll to it.
    let line = lines.last().unwrap().clone();
    h.click(&format!("{item} .trace-line[data-line='{line}']"))
        .await;
    h.wait_for("#nav-traces[aria-current='page']").await;
    h.wait_text("#action-detail-h", &format!("Line {line}"))
        .await;
    let row = h
        .poll("the selected row to be shown", || async {
            let rows = h
                .attr_all("#actions [aria-selected='true'] .line", "data-line")
                .await;
            rows.first().cloned()
        })
        .await;
    assert_eq!(row, line);
    h.screenshot("findings-trace-line").await;
    h.close().await;
}
