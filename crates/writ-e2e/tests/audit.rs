//! The Audit view: the audit trail the window lists equals `writ audit list`
//! (the real CLI) on the app's own workspace file, filters by kind, and
//! "Verify the chain" agrees with `writ audit verify`, intact and after the
//! file was tampered with in SQL (the `sqlite3` shell).

use std::path::{Path, PathBuf};
use writ_e2e::{writ_cli, Harness};

/// (id, time, actor, kind, details) of one event.
type Row = (i64, String, String, String, String);

/// Runs `writ --workspace WS ARGS...`: (exit code, stdout, stderr).
fn writ(bin: &Path, ws: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(bin)
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .output()
        .expect("writ runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

/// `writ audit list`, oldest first: `ID  TS  ACTOR KIND DETAILS` per line.
fn cli_events(bin: &Path, ws: &Path) -> Vec<Row> {
    let (code, out, err) = writ(bin, ws, &["audit", "list"]);
    assert_eq!(code, 0, "writ audit list: {err}");
    out.lines()
        .map(|line| {
            let mut rest = line.trim_start();
            let mut field = || {
                let (f, r) = rest.split_once(' ').expect("five fields");
                rest = r.trim_start();
                f.to_string()
            };
            let id = field().parse().expect("an event id");
            let (ts, actor, kind) = (field(), field(), field());
            (id, ts, actor, kind, rest.to_string())
        })
        .collect()
}

/// The events the window lists, top to bottom, read in one script so that
/// a re-render between reads cannot leave a stale row.
async fn app_events(h: &Harness) -> Vec<Row> {
    let v = h
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#audit-table tr.event')).map(tr => \
             [tr.dataset.id, tr.dataset.ts, tr.dataset.actor, tr.dataset.kind, tr.dataset.details]);",
            vec![],
        )
        .await
        .unwrap();
    let rows: Vec<Vec<Option<String>>> = serde_json::from_value(v).expect("rows of attributes");
    rows.into_iter()
        .map(|r| {
            let f = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            (f(0).parse().expect("an id"), f(1), f(2), f(3), f(4))
        })
        .collect()
}

async fn select(h: &Harness, css: &str, value: &str) {
    h.wait_for(css)
        .await
        .select_by_value(value)
        .await
        .expect("select");
}

/// Polls until the window lists exactly `expected`.
async fn wait_for_rows(h: &Harness, what: &str, expected: &[Row]) {
    h.poll(what, || async {
        let rows = app_events(h).await;
        (rows == expected).then_some(())
    })
    .await;
}

/// Clicks "Verify the chain" and returns the result element once it shows `ok`.
async fn verify(h: &Harness, ok: bool) -> fantoccini::elements::Element {
    // A previous result stays until the new one replaces it: wait for the right one.
    h.click("#audit-verify").await;
    h.wait_for(&format!("#audit-verification[data-ok='{ok}']"))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_trail_matches_the_cli() {
    let Some(bin) = writ_cli() else {
        return;
    };
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    let ws = h.app_data_dir().join("sample.writ");
    assert!(ws.is_file(), "the app's workspace {}", ws.display());

    h.click("#nav-audit").await;
    h.wait_for("#audit-table tr.event").await;
    let oldest_first = cli_events(&bin, &ws);
    assert!(oldest_first.len() >= 5, "{oldest_first:?}");
    let newest_first: Vec<Row> = oldest_first.iter().rev().cloned().collect();
    wait_for_rows(
        &h,
        "the window's events to equal `writ audit list`",
        &newest_first,
    )
    .await;
    // A row expands to its details in full: the stored JSON, indented, and
    // the event's hash; it folds again.
    let newest = &newest_first[0];
    let row = format!("#audit-table tr.event[data-id='{}']", newest.0);
    h.click(&format!("{row} button.expand")).await;
    let shown = h
        .wait_for(&format!("#audit-details-{} pre", newest.0))
        .await
        .text()
        .await
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&shown).expect("the details as JSON");
    let stored: serde_json::Value = serde_json::from_str(&newest.4).expect("stored details");
    assert_eq!(parsed, stored);
    assert!(shown.contains("\n  "), "indented: {shown}");
    assert_eq!(
        h.attr(&format!("{row} button.expand"), "aria-expanded")
            .await
            .as_deref(),
        Some("true")
    );
    h.click(&format!("{row} button.expand")).await;
    h.poll("the details to fold", || async {
        h.client
            .find(fantoccini::Locator::Css(&format!(
                "#audit-details-{}",
                newest.0
            )))
            .await
            .is_err()
            .then_some(())
    })
    .await;
    let summary = h.wait_for("#audit-summary").await;
    assert_eq!(
        summary.attr("data-total").await.unwrap().as_deref(),
        Some(oldest_first.len().to_string().as_str())
    );

    // Filter by kind: only the run.store events, as the CLI lists them.
    select(&h, "#audit-kind", "run.store").await;
    let runs: Vec<Row> = newest_first
        .iter()
        .filter(|r| r.3 == "run.store")
        .cloned()
        .collect();
    assert!(!runs.is_empty());
    wait_for_rows(&h, "only the run.store events", &runs).await;
    // By actor: the newest event's actor's events.
    select(&h, "#audit-kind", "").await;
    wait_for_rows(&h, "every event again", &newest_first).await;
    let actor = newest_first[0].2.clone();
    let by_actor: Vec<Row> = newest_first
        .iter()
        .filter(|r| r.2 == actor)
        .cloned()
        .collect();
    select(&h, "#audit-actor", &actor).await;
    wait_for_rows(&h, "only the actor's events", &by_actor).await;
    select(&h, "#audit-actor", "").await;
    wait_for_rows(&h, "every event once more", &newest_first).await;

    // Intact: the same count as `writ audit verify`, with the head hash.
    let (code, out, err) = writ(&bin, &ws, &["audit", "verify"]);
    assert_eq!(code, 0, "writ audit verify: {out}{err}");
    let count = out
        .trim()
        .strip_prefix("audit trail intact: ")
        .and_then(|r| r.split_whitespace().next())
        .expect("the CLI's count")
        .to_string();
    let result = verify(&h, true).await;
    assert_eq!(result.attr("data-events").await.unwrap(), Some(count));
    let head = result.attr("data-head").await.unwrap().unwrap_or_default();
    assert!(
        head.len() == 64 && head.chars().all(|c| c.is_ascii_hexdigit()),
        "{head}"
    );
    h.screenshot("audit").await;

    // Every control of the view has an accessible name.
    let unnamed = h
        .client
        .execute(
            r#"return Array.from(document.querySelectorAll('section.audit button, section.audit input, section.audit select'))
                 .filter((el) => !((el.getAttribute('aria-label') || '').trim()
                   || (el.labels && Array.from(el.labels).map((l) => l.textContent).join('').trim())
                   || (el.tagName === 'BUTTON' && el.textContent.trim())))
                 .map((el) => el.outerHTML.slice(0, 120));"#,
            vec![],
        )
        .await
        .expect("the check runs");
    assert_eq!(unnamed, serde_json::json!([]), "unnamed controls");

    // Tamper with the third event in SQL: the app names the event the CLI names.
    let Some(sqlite3) = ["/usr/bin/sqlite3", "/bin/sqlite3", "/usr/local/bin/sqlite3"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    else {
        if std::env::var_os("CI").is_some() {
            panic!("sqlite3 is missing; `apt-get install sqlite3`");
        }
        println!("skipped the tampering check: sqlite3 is missing; `apt-get install sqlite3`");
        h.close().await;
        return;
    };
    // The head hash shown is the newest stored event's hash.
    let stored = std::process::Command::new(&sqlite3)
        .arg(&ws)
        .arg("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1;")
        .output()
        .expect("sqlite3 runs");
    assert_eq!(String::from_utf8_lossy(&stored.stdout).trim(), head);
    let status = std::process::Command::new(&sqlite3)
        .arg(&ws)
        .arg("UPDATE audit_events SET actor = 'mallory' WHERE id = 3;")
        .status()
        .expect("sqlite3 runs");
    assert!(status.success());
    let (code, _, err) = writ(&bin, &ws, &["audit", "verify"]);
    assert_eq!(code, 1, "a tampered trail fails: {err}");
    let (event, reason) = err
        .trim()
        .strip_prefix("audit trail broken at event ")
        .and_then(|r| r.split_once(": "))
        .expect("the CLI names the event");
    assert_eq!(event, "3", "{err}");
    let result = verify(&h, false).await;
    assert_eq!(
        result.attr("data-event").await.unwrap().as_deref(),
        Some(event)
    );
    let text = result.text().await.unwrap();
    assert!(text.contains(reason), "{text} / {reason}");
    h.close().await;
}
