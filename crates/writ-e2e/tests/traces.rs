//! Trace import (scripted native dialog, progress, cancel), the virtual
//! table scrolled to its end, and replay (counts equal to the CLI's, and
//! cancel), driven through the real window. Workspaces are made with the
//! real CLI (`target/debug/writ`). Run under a display after building the
//! UI, `writ-app` and `writ-cli` (see this crate's README).

use fantoccini::key::Key;
use fantoccini::Locator;
use std::path::Path;
use writ_e2e::{cli, cli_trace_sets, sample_workspace, workspace_root, writ_cli, Harness};

/// How many runs `writ runs list` prints.
fn cli_runs(writ: &Path, ws: &Path) -> usize {
    cli(
        writ,
        &[
            "runs".as_ref(),
            "list".as_ref(),
            "--workspace".as_ref(),
            ws.as_os_str(),
        ],
    )
    .lines()
    .count()
}

fn recorded_lines() -> Vec<String> {
    std::fs::read_to_string(workspace_root().join("scenarios/traces/recorded.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Writes `n` lines cycling through the recorded trace.
fn cycled(path: &Path, n: usize) {
    let lines = recorded_lines();
    let mut text = String::with_capacity(n * 500);
    for i in 0..n {
        text.push_str(&lines[i % lines.len()]);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// An attribute of the first element matching `css`, or `None` when there
/// is no such element (yet): unlike [`Harness::attr`] this does not wait,
/// so it can be polled for an element that comes and goes (the import's
/// progress line).
async fn attr_now(h: &Harness, css: &str, name: &str) -> Option<String> {
    let e = h.client.find(Locator::Css(css)).await.ok()?;
    e.attr(name).await.ok()?
}

/// The option labels of the trace set menu.
async fn set_options(h: &Harness) -> Vec<String> {
    h.texts("#traces-set option").await
}

/// (a) Import through the scripted dialog: a file with two malformed
/// lines imports under a new name, its actions equal the CLI's count and
/// the table's; the same content as the sample's set is refused with the
/// store's message; a 200,000-line import cancelled mid-way leaves the set
/// list unchanged (in the app and for the CLI). Then the virtual table is
/// scrolled to its end and the keyboard selects the last line.
#[tokio::test(flavor = "multi_thread")]
async fn a_import_with_progress_cancel_and_scroll_to_the_end() {
    let Some(writ) = writ_cli() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("traces.writ");
    sample_workspace(&writ, &ws);

    // 1,500 recorded lines with malformed lines 10 and 20 among them.
    let mut lines: Vec<String> = recorded_lines().into_iter().take(1500).collect();
    lines.insert(9, "{not json".to_string());
    lines.insert(19, r#"{"ts": 5}"#.to_string());
    let week = dir.path().join("week-48.jsonl");
    std::fs::write(&week, lines.join("\n") + "\n").unwrap();
    let file_lines = lines.len();
    let big = dir.path().join("big.jsonl");
    cycled(&big, 200_000);
    let answers = dir.path().join("answers.txt");
    std::fs::write(
        &answers,
        format!(
            "{}\n{}\n{}\n",
            week.display(),
            workspace_root()
                .join("scenarios/traces/recorded.jsonl")
                .display(),
            big.display()
        ),
    )
    .unwrap();
    let Some(h) = Harness::start_with(
        &[ws.display().to_string()],
        &[("WRIT_TEST_DIALOG_ANSWERS", answers.as_os_str())],
    )
    .await
    else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-traces").await;
    h.wait_for("#actions[data-total='2400']").await;

    // The first file: the name is prefilled from the stem; rename it.
    h.click("#import-button").await;
    let name = h.wait_for("#import-name").await;
    assert_eq!(
        name.prop("value").await.unwrap().as_deref(),
        Some("week-48")
    );
    h.fill("#import-name", "week48").await;
    h.click("#import-start").await;
    let result = h.wait_text("#import-result", "Imported trace set").await;
    let actions: u64 = h
        .attr("#import-result", "data-actions")
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(actions as usize, file_lines - 2, "{result}");
    assert_eq!(
        h.attr("#import-result", "data-bad-lines").await.as_deref(),
        Some("2")
    );
    let errors = h.texts("#import-errors li").await;
    assert!(errors[0].starts_with("line 10:2: "), "{errors:?}");
    assert!(errors[1].starts_with("line 20:"), "{errors:?}");
    // The store agrees, and the new set is selected with all its rows.
    let sets = cli_trace_sets(&writ, &ws);
    assert_eq!(
        sets.last().unwrap(),
        &("week48".to_string(), actions),
        "{sets:?}"
    );
    h.wait_for(&format!("#actions[data-total='{actions}']"))
        .await;
    let status = h.wait_text("#traces-count", "matching actions").await;
    assert!(status.starts_with("1,500 matching"), "{status}");
    let before = set_options(&h).await;
    assert_eq!(before.len(), 2, "{before:?}");

    // The same content as the sample's set: the store's message.
    h.click("#import-button").await;
    h.poll("the second file's name to be prefilled", || async {
        let e = h.client.find(Locator::Css("#import-name")).await.ok()?;
        (e.prop("value").await.ok()??.as_str() == "recorded").then_some(())
    })
    .await;
    // The name is taken: refused before anything runs.
    h.wait_text("#import-name-problem", "exists already").await;
    h.fill("#import-name", "recorded again").await;
    h.click("#import-start").await;
    let dup = h.wait_text("#import-error", "imported before").await;
    assert!(dup.contains("trace set `recorded`"), "{dup}");

    // A large import, cancelled once it is under way.
    h.click("#import-button").await;
    h.fill("#import-name", "big").await;
    h.click("#import-start").await;
    h.poll("the import to store actions", || async {
        let n: u64 = attr_now(&h, "#import-progress", "data-actions")
            .await?
            .parse()
            .ok()?;
        (n > 0).then_some(())
    })
    .await;
    h.screenshot("traces-import-progress").await;
    h.click("#import-cancel").await;
    let notice = h.wait_text("#import-notice", "cancelled").await;
    assert!(notice.contains("nothing was stored"), "{notice}");
    assert_eq!(set_options(&h).await, before);
    assert_eq!(cli_trace_sets(&writ, &ws), sets, "the store is unchanged");

    // Scroll the virtual table to the end: the last line of the file shows.
    let rendered = h
        .client
        .find_all(Locator::Css("#actions .vt-row"))
        .await
        .unwrap();
    assert!(
        rendered.len() < 200,
        "only the visible rows are in the page, not {}",
        rendered.len()
    );
    h.client
        .execute(
            "const s = document.querySelector('#actions .vt-scroll'); s.scrollTop = s.scrollHeight;",
            vec![],
        )
        .await
        .unwrap();
    h.wait_for(&format!("#actions [data-line='{file_lines}']"))
        .await;
    // Keyboard: Home selects the first row, End the last; the detail follows.
    h.click("#actions .vt-row[data-index='1490']").await;
    h.wait_text("#action-detail-h", "Line").await;
    let grid = h.wait_for("#actions").await;
    grid.send_keys(&char::from(Key::Home).to_string())
        .await
        .unwrap();
    h.wait_text("#action-detail-h", "Line 1").await;
    grid.send_keys(&char::from(Key::Down).to_string())
        .await
        .unwrap();
    h.wait_text("#action-detail-h", "Line 2").await;
    grid.send_keys(&char::from(Key::End).to_string())
        .await
        .unwrap();
    h.wait_text("#action-detail-h", &format!("Line {file_lines}"))
        .await;
    h.wait_for(&format!(
        "#actions .vt-row.selected [data-line='{file_lines}']"
    ))
    .await;
    // The detail pane shows the Cedar request the record becomes (under
    // the newest version): the record's tool is the action, its resource
    // the resource (the tool itself when it names none), its context
    // carried over.
    let request = h
        .poll("the Cedar request of the selected line", || async {
            let text = h.contents("#action-request").await.into_iter().next()?;
            serde_json::from_str::<serde_json::Value>(&text).ok()
        })
        .await;
    let record: serde_json::Value = serde_json::from_str(
        &h.contents("#action-record")
            .await
            .into_iter()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(request["action"]["id"], record["action"], "{request:#}");
    if record["resource"].is_object() {
        assert_eq!(request["resource"]["id"], record["resource"]["id"]);
    } else {
        // A record without a resource acts on the tool itself.
        assert_eq!(request["resource"]["type"], "Tool", "{request:#}");
        assert_eq!(request["resource"]["id"], record["action"]);
    }
    assert_eq!(
        request["context"]["environment"], record["context"]["environment"],
        "{request:#}"
    );
    assert!(request["principal"]["type"].is_string(), "{request:#}");
    h.screenshot("traces-virtual-table").await;
    h.close().await;
}

/// (b) A replay in the app stores a run whose verdict counts equal what
/// `writ replay --version V --traces recorded --format json` prints on a
/// CLI workspace; a replay over a 60,000-action set cancelled mid-way
/// stores nothing. Then the Traces table filtered by a verdict in run 2
/// lists exactly that run's count of the verdict.
#[tokio::test(flavor = "multi_thread")]
async fn b_replay_matches_the_cli_and_cancel_stores_nothing() {
    let Some(writ) = writ_cli() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("replay.writ");
    sample_workspace(&writ, &ws);
    let big = dir.path().join("big.jsonl");
    cycled(&big, 60_000);
    cli(
        &writ,
        &[
            "traces".as_ref(),
            "import".as_ref(),
            big.as_os_str(),
            "--name".as_ref(),
            "big".as_ref(),
            "--workspace".as_ref(),
            ws.as_os_str(),
        ],
    );
    // What the CLI says, on a copy (replaying there stores a run too).
    let copy = dir.path().join("copy.writ");
    std::fs::copy(&ws, &copy).unwrap();
    let versions = cli(
        &writ,
        &[
            "version".as_ref(),
            "list".as_ref(),
            "--workspace".as_ref(),
            ws.as_os_str(),
        ],
    );
    // `version list` is newest first: the last line is v1.
    let v1 = versions
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let out = cli(
        &writ,
        &[
            "replay".as_ref(),
            "--version".as_ref(),
            v1.as_ref(),
            "--traces".as_ref(),
            "recorded".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--workspace".as_ref(),
            copy.as_os_str(),
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cli_verdicts = doc["summary"]["verdicts"]["verdicts"].clone();
    let cli_actions = doc["summary"]["actions"].as_u64().unwrap();
    let runs_before = cli_runs(&writ, &ws);

    let Some(h) = Harness::start_with(&[ws.display().to_string()], &[]).await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-runs").await;
    h.wait_for("#runs tbody tr").await;
    let version_option = format!("#replay-version option[value^='{v1}']");
    h.click(&version_option).await;
    h.click("#replay-set option[value='1']").await;
    h.click("#replay-button").await;
    // v1 was replayed over set 1 already (run 1): the stored run is offered
    // first; replaying again is a choice.
    let offered = h.wait_for("#replay-duplicate").await;
    assert_eq!(
        offered.attr("data-run").await.unwrap().as_deref(),
        Some("1")
    );
    h.click("#replay-again").await;
    let next = runs_before + 1;
    let result = h.wait_text("#replay-result", "Stored run").await;
    assert!(
        result.starts_with(&format!("Stored run {next}")),
        "{result}"
    );
    let row = format!("#runs tbody tr[data-run='{next}']");
    h.wait_for(&row).await;
    for v in [
        "allowed",
        "denied_by_forbid",
        "not_permitted",
        "needs_step_up",
        "error",
    ] {
        let cell = h.texts(&format!("{row} td[data-verdict='{v}']")).await;
        let app: u64 = cell[0].trim().parse().unwrap();
        assert_eq!(app, cli_verdicts[v].as_u64().unwrap_or(0), "verdict {v}");
    }
    let cells = h.texts(&format!("{row} td")).await;
    assert_eq!(cells[3].trim(), cli_actions.to_string(), "{cells:?}");
    let runs_now = cli_runs(&writ, &ws);
    assert_eq!(runs_now, next);

    // Cancel a long replay: nothing is stored.
    h.click("#replay-set option[value='2']").await;
    h.click("#replay-button").await;
    h.wait_text("#replay-progress", "Replaying").await;
    let shown = h.wait_for("#replay-progress").await;
    h.client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(shown).unwrap()],
        )
        .await
        .unwrap();
    h.screenshot("runs-replay-progress").await;
    h.click("#replay-cancel").await;
    let said = h.wait_text("#replay-result", "cancelled").await;
    assert!(said.contains("nothing was stored"), "{said}");
    assert_eq!(cli_runs(&writ, &ws), runs_now, "no run was stored");
    assert_eq!(h.texts("#runs tbody tr").await.len(), runs_now);

    // The Traces table filtered by a verdict in run 2 counts exactly the
    // run's number of that verdict, and every row shown has it.
    let denied: u64 = h
        .texts("#runs tbody tr[data-run='2'] td[data-verdict='denied_by_forbid']")
        .await[0]
        .trim()
        .parse()
        .unwrap();
    assert!(denied > 0);
    h.click("#nav-traces").await;
    h.wait_for("#actions[data-total='2400']").await;
    h.click("#traces-run option[value='2']").await;
    h.click("#traces-verdict option[value='denied_by_forbid']")
        .await;
    h.wait_for(&format!("#actions[data-total='{denied}']"))
        .await;
    let verdicts = h
        .poll("the filtered rows", || async {
            let v = h.contents("#actions [data-col='verdict']").await;
            (!v.is_empty()).then_some(v)
        })
        .await;
    assert!(
        verdicts.iter().all(|v| v == "denied_by_forbid"),
        "{verdicts:?}"
    );
    // The first row's stored decision shows in the detail pane.
    h.click("#actions .vt-row[data-index='0']").await;
    h.wait_text("#action-verdict", "denied_by_forbid").await;
    assert_eq!(h.texts("#action-decision").await, vec!["deny".to_string()]);
    assert!(!h.texts("#action-reasons").await[0].trim().is_empty());
    h.close().await;
}
