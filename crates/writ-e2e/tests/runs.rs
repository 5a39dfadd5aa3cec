//! The Runs view's charts, the side-by-side policy diff, and a determining
//! policy shown highlighted in the Policies view, through the real window.
//! Run under a display after building the UI, `writ-app` and `writ-cli`:
//! `xvfb-run -a cargo test -p writ-e2e --test tests -- runs::`.

use fantoccini::elements::Element;
use fantoccini::Locator;
use std::collections::BTreeMap;
use writ_e2e::{writ_cli, Harness};

/// An attribute of an element already in hand (e.g. a chart's row found
/// inside its chart; [`Harness::attr`] takes a page-wide selector), or "".
async fn attr_of(e: &Element, name: &str) -> String {
    e.attr(name).await.ok().flatten().unwrap_or_default()
}

/// Replays run 2's version of a sample workspace made by the CLI over the
/// recorded trace, as `writ replay --format json` computes it: the summary.
fn cli_summary_of_run_2(writ: &std::path::Path) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("cli.writ");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(writ)
            .args(args)
            .arg("--workspace")
            .arg(&ws)
            .output()
            .unwrap();
        assert!(out.status.success(), "writ {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["init", "--sample"]);
    let list = run(&["runs", "list"]);
    // "   2  version e1145c3bb4be  set   1  ..."
    let version = list
        .lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("2") && w.next() == Some("version"))
                .then(|| w.next().map(str::to_string))
                .flatten()
        })
        .unwrap_or_else(|| panic!("run 2 in `writ runs list`: {list}"));
    let trace = writ_e2e::workspace_root().join("scenarios/traces/recorded.jsonl");
    let out = run(&[
        "replay",
        "--project",
        &format!("@{version}"),
        "--traces",
        trace.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    doc["summary"].clone()
}

/// name -> (total, verdict -> count) of a summary's `by_agent` / `by_tool`.
type Counts = BTreeMap<String, (u64, BTreeMap<String, u64>)>;

fn summary_counts(v: &serde_json::Value) -> Counts {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, c)| {
            let verdicts = c["verdicts"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(v, n)| (v.clone(), n.as_u64().unwrap()))
                .filter(|(_, n)| *n > 0)
                .collect();
            (k.clone(), (c["total"].as_u64().unwrap(), verdicts))
        })
        .collect()
}

/// The rows of a chart's data table (shown by its toggle), as counts.
async fn table_counts(h: &Harness, chart: &str) -> Counts {
    h.click(&format!("#{chart}-toggle")).await;
    h.wait_for(&format!("#{chart}-table:not([hidden]) tbody tr"))
        .await;
    let mut out = Counts::new();
    for row in h
        .client
        .find_all(Locator::Css(&format!("#{chart}-table tbody tr")))
        .await
        .unwrap()
    {
        let name = attr_of(&row, "data-name").await;
        let total: u64 = attr_of(&row, "data-total").await.parse().unwrap();
        let shown_total: u64 = row
            .find(Locator::Css("td.num"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(total, shown_total, "{name}: the cell shows the total");
        let mut verdicts = BTreeMap::new();
        for cell in row.find_all(Locator::Css("td[data-series]")).await.unwrap() {
            let n: u64 = cell.text().await.unwrap().trim().parse().unwrap();
            if n > 0 {
                verdicts.insert(attr_of(&cell, "data-series").await, n);
            }
        }
        out.insert(name, (total, verdicts));
    }
    // Back to the chart.
    h.click(&format!("#{chart}-toggle")).await;
    h.wait_for(&format!("#{chart} svg")).await;
    out
}

/// (name, total) of every bar of a bar chart, top to bottom.
async fn bars(h: &Harness, chart: &str) -> Vec<(String, u64, bool)> {
    let mut out = Vec::new();
    for g in h
        .client
        .find_all(Locator::Css(&format!("#{chart} svg g.bar")))
        .await
        .unwrap()
    {
        out.push((
            attr_of(&g, "data-name").await,
            attr_of(&g, "data-total").await.parse().unwrap(),
            !attr_of(&g, "data-others").await.is_empty(),
        ));
    }
    out
}

/// The bars show the largest rows of `counts`, then one "others" bar
/// holding exactly the rest.
fn check_bars(chart: &str, bars: &[(String, u64, bool)], counts: &Counts, top: usize) {
    let mut sorted: Vec<(&String, u64)> = counts.iter().map(|(k, c)| (k, c.0)).collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let named: Vec<(String, u64)> = bars
        .iter()
        .filter(|b| !b.2)
        .map(|b| (b.0.clone(), b.1))
        .collect();
    let expected: Vec<(String, u64)> = sorted
        .iter()
        .take(top)
        .map(|(k, n)| ((*k).clone(), *n))
        .collect();
    assert_eq!(named, expected, "{chart}: the largest first");
    let others: Vec<&(String, u64, bool)> = bars.iter().filter(|b| b.2).collect();
    if sorted.len() > top {
        assert_eq!(others.len(), 1, "{chart}: one others bar");
        let rest: u64 = sorted.iter().skip(top).map(|r| r.1).sum();
        assert_eq!(others[0].1, rest, "{chart}: others holds the rest");
    } else {
        assert!(others.is_empty(), "{chart}: no others bar");
    }
}

/// Opens the Runs view and compares runs 1 and 2.
async fn compare_1_2(h: &Harness) {
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-runs").await;
    h.wait_for("#runs tbody tr").await;
    h.click("#diff-a option[value='1']").await;
    h.click("#diff-b option[value='2']").await;
    h.click("#diff-button").await;
    h.wait_for("#diff-result[data-a='1'][data-b='2']").await;
    // The agents' inventory names have arrived (shown in place of ids).
    h.wait_for("#diff-by-agent .agent-name[title^='inventory id']")
        .await;
}

/// Run 2's charts: per-agent and per-tool verdict counts equal an
/// independent `writ replay` of run 2's version; the bars show the top 10
/// and the rest as "others"; the timeline holds every action once.
#[tokio::test(flavor = "multi_thread")]
async fn run_charts_match_the_cli_summary() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let Some(h) = Harness::start().await else {
        return;
    };
    let summary = cli_summary_of_run_2(&writ);
    let cli_agents = summary_counts(&summary["by_agent"]);
    let cli_tools = summary_counts(&summary["by_tool"]);
    assert!(cli_agents.len() > 10, "the sample has many agents");

    h.wait_for("#versions tbody tr").await;
    h.click("#nav-runs").await;
    h.wait_for("#runs tbody tr[data-run='2']").await;
    h.click("#charts-run option[value='2']").await;
    h.wait_for("#run-charts[data-run='2'] #chart-agents svg g.bar")
        .await;

    // The text alternative: every agent and tool with its verdicts.
    let agents = table_counts(&h, "chart-agents").await;
    assert_eq!(agents, cli_agents, "verdicts by agent");
    let tools = table_counts(&h, "chart-tools").await;
    assert_eq!(tools, cli_tools, "verdicts by tool");
    // And the run's own row in the runs table.
    let actions: u64 = h
        .texts("#runs tbody tr[data-run='2'] td:nth-child(4)")
        .await[0]
        .trim()
        .parse()
        .unwrap();
    assert_eq!(agents.values().map(|c| c.0).sum::<u64>(), actions);

    // The bars: top 10 and others, then all of them.
    check_bars("chart-agents", &bars(&h, "chart-agents").await, &agents, 10);
    check_bars("chart-tools", &bars(&h, "chart-tools").await, &tools, 10);
    // Each bar's segments add up to its total.
    for g in h
        .client
        .find_all(Locator::Css("#chart-agents svg g.bar"))
        .await
        .unwrap()
    {
        let total: u64 = attr_of(&g, "data-total").await.parse().unwrap();
        let mut sum = 0;
        for r in g.find_all(Locator::Css("rect")).await.unwrap() {
            sum += attr_of(&r, "data-value").await.parse::<u64>().unwrap();
        }
        assert_eq!(sum, total);
    }
    h.click("#charts-top option[value='0']").await;
    h.poll("every agent as a bar", || async {
        (bars(&h, "chart-agents").await.len() == agents.len()).then_some(())
    })
    .await;
    check_bars(
        "chart-agents",
        &bars(&h, "chart-agents").await,
        &agents,
        usize::MAX,
    );
    h.click("#charts-top option[value='10']").await;

    // The timeline: every action once, allowed and denied as replayed.
    let mut allowed = 0u64;
    let mut denied = 0u64;
    let cols = h
        .client
        .find_all(Locator::Css("#chart-timeline svg g.col"))
        .await
        .unwrap();
    assert!(
        cols.len() > 1 && cols.len() <= 48,
        "{} intervals",
        cols.len()
    );
    for c in &cols {
        allowed += attr_of(c, "data-allowed").await.parse::<u64>().unwrap();
        denied += attr_of(c, "data-denied").await.parse::<u64>().unwrap();
    }
    let decisions = &summary["decisions"];
    assert_eq!(allowed, decisions["allow"].as_u64().unwrap_or(0));
    assert_eq!(denied, decisions["deny"].as_u64().unwrap_or(0));
    assert_eq!(allowed + denied, actions);
    let label = attr_of(&h.wait_for("#chart-timeline svg").await, "aria-label").await;
    assert!(
        label.contains(&format!("{allowed} allowed and {denied} denied")),
        "{label}"
    );

    h.scroll_to("#run-charts").await;
    h.screenshot("runs-charts").await;
    h.close().await;
}

/// Measures a side-by-side diff (the `.sidediff` matching the selector
/// given): lines taller than one row (`wrapped`), line numbers whose top is
/// not their line's (`gutter_off`), and unchanged lines paired in order
/// across the two sides whose tops differ (`shared_off`; `shared` counts
/// the pairs).
const ALIGNMENT: &str = r#"
const root = document.querySelector(arguments[0]);
const out = { wrapped: 0, gutter_off: [], shared: 0, shared_off: [] };
const unchanged = [];
for (const side of ['.cm-merge-a', '.cm-merge-b']) {
  const ed = root.querySelector(side);
  const lines = Array.from(ed.querySelectorAll('.cm-content .cm-line'));
  const row = parseFloat(getComputedStyle(lines[0]).lineHeight) || 16;
  // (The gutter's first element is a hidden spacer sized for the widest number.)
  const numbers = Array.from(ed.querySelectorAll('.cm-lineNumbers .cm-gutterElement'))
    .filter((g) => /^\d+$/.test(g.textContent.trim()) && g.offsetHeight > 0);
  lines.forEach((l, i) => {
    const r = l.getBoundingClientRect();
    if (r.height > row * 1.5) out.wrapped += 1;
    const g = numbers[i];
    if (!g || Math.abs(g.getBoundingClientRect().top - r.top) > 1) {
      out.gutter_off.push(`${side} line ${i + 1}`);
    }
  });
  unchanged.push(lines.filter((l) => !l.classList.contains('cm-changedLine'))
    .map((l) => ({ top: l.getBoundingClientRect().top, text: l.textContent })));
}
const [a, b] = unchanged;
for (let i = 0; i < Math.min(a.length, b.length); i++) {
  if (a[i].text !== b[i].text) continue;
  out.shared += 1;
  if (Math.abs(a[i].top - b[i].top) > 1) out.shared_off.push(`${a[i].text} (${a[i].top} vs ${b[i].top})`);
}
return out;
"#;

/// The diff of runs 1 and 2: changed decisions by agent as bars equal to
/// the by-agent table; side by side, the regression policy
/// `low-tier-no-production-changes` is shown against the policy it
/// rewrote, with the changed lines marked on both sides.
#[tokio::test(flavor = "multi_thread")]
async fn side_by_side_shows_the_regression_policy() {
    let Some(h) = Harness::start().await else {
        return;
    };
    compare_1_2(&h).await;

    // Diff charts: the bars of the top agents equal the by-agent table.
    let mut table = Vec::new();
    for row in h
        .client
        .find_all(Locator::Css("#diff-by-agent tbody tr"))
        .await
        .unwrap()
    {
        let cells = row.find_all(Locator::Css("td")).await.unwrap();
        let name = cells[0].text().await.unwrap();
        let total: u64 = cells[1].text().await.unwrap().trim().parse().unwrap();
        table.push((name, total));
    }
    assert!(!table.is_empty());
    let diff_bars = bars(&h, "diff-chart-agents").await;
    let named: Vec<(String, u64)> = diff_bars
        .iter()
        .filter(|b| !b.2)
        .map(|b| (b.0.clone(), b.1))
        .collect();
    assert_eq!(named, table.iter().take(10).cloned().collect::<Vec<_>>());
    let changed: u64 = h.texts("#diff-changed").await[0].trim().parse().unwrap();
    assert_eq!(diff_bars.iter().map(|b| b.1).sum::<u64>(), changed);
    assert!(!bars(&h, "diff-chart-tools").await.is_empty());

    // Side by side.
    h.click("#texts-side").await;
    let entry = ".sidediff[data-name='low-tier-no-production-changes']";
    h.wait_for(&format!("{entry} .cm-merge-b .cm-content"))
        .await;
    let heading = h.texts(&format!("{entry} h4")).await;
    assert!(
        heading[0].contains("rewritten from low-tier-no-destructive"),
        "{heading:?}"
    );
    let left = h
        .texts(&format!("{entry} .cm-merge-a .cm-content"))
        .await
        .join("\n");
    let right = h
        .texts(&format!("{entry} .cm-merge-b .cm-content"))
        .await
        .join("\n");
    assert!(left.contains("@id(\"low-tier-no-destructive\")"), "{left}");
    assert!(
        left.contains("forbid (principal, action in Action::\"impact_destructive\", resource)"),
        "{left}"
    );
    assert!(
        right.contains("@id(\"low-tier-no-production-changes\")"),
        "{right}"
    );
    assert!(
        right.contains("forbid (principal, action, resource)"),
        "{right}"
    );
    // The changed lines are marked on both sides, the forbid line among them.
    let changed_left = h
        .texts(&format!("{entry} .cm-merge-a .cm-changedLine"))
        .await;
    let changed_right = h
        .texts(&format!("{entry} .cm-merge-b .cm-changedLine"))
        .await;
    assert!(
        changed_left
            .iter()
            .any(|l| l.contains("action in Action::\"impact_destructive\"")),
        "{changed_left:?}"
    );
    assert!(
        changed_right
            .iter()
            .any(|l| l.contains("forbid (principal, action, resource)")),
        "{changed_right:?}"
    );
    // The unchanged @control line is not marked.
    assert!(changed_right.iter().all(|l| !l.contains("@control")));
    let marked = h
        .client
        .find_all(Locator::Css(&format!("{entry} .cm-changedText")))
        .await
        .unwrap();
    assert!(
        !marked.is_empty(),
        "changed text within the lines is marked"
    );
    // Narrow, so that long lines wrap: every line number sits on the first
    // row of its line, and the lines both sides share (not changed) stay
    // level with each other, however the changed ones wrap.
    let (width, height) = h.client.get_window_size().await.unwrap();
    h.client.set_window_size(1024, 900).await.unwrap();
    h.scroll_to(entry).await;
    // Measured once the editors have re-laid out for the new width.
    let mut measured = serde_json::Value::Null;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        measured = h
            .client
            .execute(ALIGNMENT, vec![serde_json::json!(entry)])
            .await
            .unwrap();
        if measured["gutter_off"] == serde_json::json!([])
            && measured["shared_off"] == serde_json::json!([])
        {
            break;
        }
    }
    let wrapped = measured["wrapped"].as_u64().unwrap();
    assert!(wrapped > 0, "some line wraps at 1024 px: {measured}");
    assert_eq!(measured["gutter_off"], serde_json::json!([]), "{measured}");
    assert!(measured["shared"].as_u64().unwrap() > 0, "{measured}");
    assert_eq!(measured["shared_off"], serde_json::json!([]), "{measured}");
    h.client
        .set_window_size(width as u32, height as u32)
        .await
        .unwrap();

    // A policy only in one version is shown alone, with no empty pane.
    let added = h
        .wait_for("#policy-diffs .sidediff[data-change='added'] .sbs")
        .await;
    assert_eq!(
        added.attr("data-single").await.unwrap().as_deref(),
        Some("new")
    );
    assert_eq!(
        added
            .find_all(Locator::Css(".cm-editor"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(added.find(Locator::Css(".cm-mergeView")).await.is_err());
    h.scroll_to(entry).await;
    h.screenshot("runs-side-by-side").await;

    // Back to the unified view.
    h.click("#texts-unified").await;
    h.wait_for("#policy-diffs .textdiff[data-name='low-tier-no-production-changes'] pre")
        .await;
    h.close().await;
}

/// Clicking `low-tier-no-production-changes` on a changed action opens the
/// Policies view on run 2's version with that policy's whole text
/// highlighted; the Traces detail pane does the same.
#[tokio::test(flavor = "multi_thread")]
async fn a_determining_policy_opens_highlighted_in_the_editor() {
    let Some(h) = Harness::start().await else {
        return;
    };
    compare_1_2(&h).await;
    let run2_version = {
        let row = h
            .texts("#runs tbody tr[data-run='2'] td:nth-child(2)")
            .await;
        row[0].trim().to_string()
    };
    let link = "#diff-changes td[data-col='to'] button.policy-link[data-policy='low-tier-no-production-changes']";
    h.click(link).await;

    h.wait_for("#nav-policies[aria-current='page']").await;
    let id = h
        .poll("the highlighted policy's id", || async {
            h.texts("#policy-target-id").await.into_iter().next()
        })
        .await;
    assert_eq!(id, "low-tier-no-production-changes");
    let highlighted = h
        .poll("the highlighted text", || async {
            // The highlighted lines (the policy starts and ends a line).
            let text = h
                .texts(".editor .cm-line.cm-policy-line-active")
                .await
                .join("\n");
            text.contains("@id(\"low-tier-no-production-changes\")")
                .then_some(text)
        })
        .await;
    assert!(
        highlighted.contains("forbid (principal, action, resource)"),
        "the whole policy is highlighted: {highlighted}"
    );
    assert!(
        !highlighted.contains("risk-score-blocks-changes"),
        "only that policy: {highlighted}"
    );
    // The exact range is marked too.
    h.wait_for(".editor .cm-policy-active[data-policy='low-tier-no-production-changes']")
        .await;
    let editor = h.wait_for(".editor[data-highlights]").await;
    assert_eq!(attr_of(&editor, "data-file").await, "policies/risk.cedar");
    let version = h.wait_for("#version-select").await;
    let selected = version.prop("value").await.unwrap().unwrap_or_default();
    assert!(
        selected.starts_with(&run2_version),
        "run 2's version {run2_version} is open, not {selected}"
    );
    h.screenshot("policies-highlight").await;

    // The Traces detail pane: run 2's first denial by that policy.
    h.click("#nav-traces").await;
    h.click("#traces-run option[value='2']").await;
    h.click("#traces-verdict option[value='denied_by_forbid']")
        .await;
    h.poll("denied rows", || async {
        // The virtual table's cells: by content (WebDriver's rendered text is empty).
        let v = h.contents("#actions [data-col='verdict']").await;
        (!v.is_empty() && v.iter().all(|x| x == "denied_by_forbid")).then_some(())
    })
    .await;
    // Find a row whose determining policy is the regression.
    let lines = h.contents("#actions .line[data-line]").await;
    let mut found = false;
    for line in lines.iter().take(40) {
        let line = line.trim();
        h.click(&format!("#actions .line[data-line='{line}']"))
            .await;
        // Selecting clears the old result before the heading names the line.
        let heading = format!("Line {line}");
        let reasons = h
            .poll("the result's policies", || async {
                let shown = h.texts("#action-detail-h").await.into_iter().next()?;
                if shown != heading {
                    return None;
                }
                h.texts("#action-reasons").await.into_iter().next()
            })
            .await;
        if reasons.contains("low-tier-no-production-changes") {
            found = true;
            break;
        }
    }
    assert!(found, "a denial by the regression policy in the first rows");
    h.click("#action-reasons button.policy-link[data-policy='low-tier-no-production-changes']")
        .await;
    h.wait_for("#nav-policies[aria-current='page']").await;
    h.poll("the policy highlighted again", || async {
        let text = h
            .texts(".editor .cm-line.cm-policy-line-active")
            .await
            .join("\n");
        text.contains("@id(\"low-tier-no-production-changes\")")
            .then_some(())
    })
    .await;
    h.close().await;
}

/// The policies responsible for the changes of runs 1 -> 2 as `writ diff
/// --runs 1 2 --format json` counts them on a sample workspace the CLI
/// makes: (policy, before, after), ordered by the larger count, then the
/// sum, then the id.
/// `writ diff --runs 1 2 --format json` on a new sample workspace.
fn cli_diff_1_2(writ: &std::path::Path) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("cli.writ");
    writ_e2e::sample_workspace(writ, &ws);
    let out = writ_e2e::cli(
        writ,
        &[
            "diff".as_ref(),
            "--runs".as_ref(),
            "1".as_ref(),
            "2".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--workspace".as_ref(),
            ws.as_os_str(),
        ],
    );
    serde_json::from_str(&out).unwrap()
}

fn cli_responsible_1_2(writ: &std::path::Path) -> Vec<(String, u64, u64)> {
    let doc = cli_diff_1_2(writ);
    let d = &doc["decisions"];
    let count = |side: &str, p: &str| d[side][p].as_u64().unwrap_or(0);
    let mut rows: Vec<(String, u64, u64)> = ["responsible_from", "responsible_to"]
        .iter()
        .flat_map(|side| d[*side].as_object().unwrap().keys())
        .map(|p| {
            (
                p.clone(),
                count("responsible_from", p),
                count("responsible_to", p),
            )
        })
        .collect();
    rows.sort();
    rows.dedup();
    rows.sort_by(|x, y| {
        (y.1.max(y.2), y.1 + y.2)
            .cmp(&(x.1.max(x.2), x.1 + x.2))
            .then_with(|| x.0.cmp(&y.0))
    });
    rows
}

/// The diff's "policies responsible" table holds the CLI's counts, most
/// first, with the sample's regression policy on top; choosing a policy
/// lists exactly the changed actions it determined.
#[tokio::test(flavor = "multi_thread")]
async fn responsible_policies_lead_to_their_changed_actions() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let want = cli_responsible_1_2(&writ);
    let Some(h) = Harness::start().await else {
        return;
    };
    compare_1_2(&h).await;
    let mut shown = Vec::new();
    for row in h
        .client
        .find_all(Locator::Css("#diff-responsible tbody tr"))
        .await
        .unwrap()
    {
        let cells = row.find_all(Locator::Css("td")).await.unwrap();
        let num = |t: String| -> u64 { t.trim().parse().unwrap() };
        shown.push((
            cells[0].text().await.unwrap().trim().to_string(),
            num(cells[1].text().await.unwrap()),
            num(cells[2].text().await.unwrap()),
        ));
    }
    assert_eq!(shown, want);
    let (lead, before, after) = want[0].clone();
    assert_eq!(lead, "low-tier-no-production-changes");
    assert_eq!(before, 0, "a policy new in v2 determined nothing before");

    // Choosing it lists its changed actions: as many as it determined.
    // (The list of all changes may still be loading when the policy is
    // chosen: wait for the chosen policy's count; a timeout fails.)
    h.click("#diff-responsible tbody tr:first-child button")
        .await;
    let want_total = after.to_string();
    h.poll(&format!("{want_total} changes of {lead}"), || async {
        let t = h.attr("#changes-status", "data-total").await?;
        let p = h
            .attr("#diff-responsible tbody tr.chosen", "data-policy")
            .await?;
        (p == lead && t == want_total).then_some(())
    })
    .await;
    h.wait_text("#changes-status", &format!("of {after}")).await;
    let policy = h
        .client
        .find(Locator::Css("#changes-policy"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(policy.as_deref(), Some(lead.as_str()));
    // Every listed change names the policy on its after side.
    let listed = h.texts("#diff-changes tbody td[data-col='to']").await;
    assert_eq!(listed.len() as u64, after.min(200));
    assert!(listed.iter().all(|t| t.contains(&lead)), "{listed:?}");
    h.close().await;
}

/// The Runs view opens with the newest run and the run of the other
/// version before it chosen for comparison; Compare shows the Diff tab,
/// brings the result into view and states the regression in one line whose
/// figures are `writ diff --runs 1 2`'s (thousands separated).
#[tokio::test(flavor = "multi_thread")]
async fn the_newest_runs_are_chosen_and_the_headline_states_the_regression() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let doc = cli_diff_1_2(&writ);
    let d = &doc["decisions"];
    let thousands = |n: u64| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let total = d["counts"]["total"].as_u64().unwrap();
    let actions = d["actions"].as_u64().unwrap();
    let a2d = d["counts"]["kinds"]["allow_to_deny"].as_u64().unwrap_or(0);

    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-runs").await;
    h.wait_for("#runs tbody tr").await;
    // Preselected: from run 1 (v1) to run 2 (v2, the newest); the charts tab first.
    assert_eq!(h.value("#diff-a").await, "1");
    assert_eq!(h.value("#diff-b").await, "2");
    assert_eq!(
        h.attr("#tab-charts", "aria-selected").await.as_deref(),
        Some("true")
    );
    h.click("#diff-button").await;
    h.wait_for("#diff-result[data-a='1'][data-b='2']").await;
    assert_eq!(
        h.attr("#tab-diff", "aria-selected").await.as_deref(),
        Some("true")
    );
    let headline = h.wait_for("#diff-headline").await.text().await.unwrap();
    let want = format!(
        "{} of {} actions change: {} allow → deny",
        thousands(total),
        thousands(actions),
        thousands(a2d)
    );
    assert!(headline.contains(&want), "{headline:?} lacks {want:?}");
    assert!(
        headline.contains("most by low-tier-no-production-changes"),
        "{headline}"
    );
    // The result was brought into view: its heading is inside the window.
    let top = h
        .client
        .execute(
            "return document.getElementById('diff-result').getBoundingClientRect().top;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    let height = h
        .client
        .execute("return window.innerHeight;", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        (0.0..height / 2.0).contains(&top),
        "the result starts at {top} of {height}"
    );
    h.close().await;
}
