//! The Entities view: every entity of the sample's newest version, listed
//! in the real window, counts and rows equal to `writ entities --format
//! json` (the real CLI) on a workspace made by `writ init --sample`; a
//! typed search filters the rows as `writ entities --search` does.

use std::collections::BTreeSet;
use std::path::Path;
use writ_e2e::{cli, sample_workspace, writ_cli, Harness};

/// `writ entities @<newest> --format json [--search TEXT]` on `ws`.
fn cli_entities(writ: &Path, ws: &Path, version: &str, search: Option<&str>) -> serde_json::Value {
    let project = format!("@{version}");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "entities".as_ref(),
        project.as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--workspace".as_ref(),
        ws.as_os_str(),
    ];
    if let Some(s) = search {
        args.push("--search".as_ref());
        args.push(s.as_ref());
    }
    serde_json::from_str(&cli(writ, &args)).expect("writ entities prints JSON")
}

fn uids(doc: &serde_json::Value) -> BTreeSet<String> {
    doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["uid"].as_str().expect("a uid").to_string())
        .collect()
}

/// The count once it describes `search`: (matched, total).
async fn count_for(h: &Harness, search: &str) -> (u64, u64) {
    h.poll(&format!("the count for the search `{search}`"), || async {
        let el = h
            .client
            .find(fantoccini::Locator::Css("#entities-count"))
            .await
            .ok()?;
        if el.attr("data-search").await.ok()??.as_str() != search {
            return None;
        }
        let matched = el.attr("data-matched").await.ok()??.parse().ok()?;
        let total = el.attr("data-total").await.ok()??.parse().ok()?;
        Some((matched, total))
    })
    .await
}

/// The uids the table shows once it shows `n` rows.
async fn shown_uids(h: &Harness, n: usize) -> BTreeSet<String> {
    h.poll(&format!("{n} rows in the entities table"), || async {
        let cells = h.contents("#entities-table .vt-row [data-uid]").await;
        (cells.len() == n).then(|| cells.into_iter().collect())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn entities_match_the_cli_and_search_filters() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let Some(h) = Harness::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("cli.writ");
    sample_workspace(&writ, &ws);
    let list = cli(
        &writ,
        &[
            "version".as_ref(),
            "list".as_ref(),
            "--workspace".as_ref(),
            ws.as_os_str(),
        ],
    );
    let newest = list
        .split_whitespace()
        .next()
        .expect("a version")
        .to_string();
    let all = cli_entities(&writ, &ws, &newest, None);
    let total = all["total"].as_u64().expect("total");
    assert!(
        total > 10,
        "the sample has teams, agents and tools: {total}"
    );

    h.wait_for("#versions tbody tr").await;
    h.click("#nav-entities").await;
    // The view opens on the newest version, every entity listed.
    assert_eq!(count_for(&h, "").await, (total, total));
    let count_text = h.wait_text("#entities-count", " of ").await;
    assert_eq!(count_text, format!("{total} of {total}"));
    let version = h
        .client
        .execute(
            "return document.querySelector('#entities-version').value;",
            vec![],
        )
        .await
        .expect("the version is read");
    assert!(
        version.as_str().is_some_and(|v| v.starts_with(&newest)),
        "{version:?} is not {newest}"
    );
    // The first rows shown are the CLI's first rows, in its order.
    let first_cli: Vec<String> = all["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .take(5)
        .map(|r| r["uid"].as_str().expect("uid").to_string())
        .collect();
    let first_app = h
        .poll("the first rows to load", || async {
            let cells = h.contents("#entities-table .vt-row [data-uid]").await;
            (cells.len() >= 5).then_some(cells)
        })
        .await;
    assert_eq!(first_app[..5], first_cli[..], "{first_app:?}");
    let sources = h.contents("#entities-table .vt-row .source").await;
    assert!(
        sources.iter().all(|s| s.starts_with("inventory.toml:")),
        "{sources:?}"
    );
    h.screenshot("entities").await;

    // A typed search filters the rows as the CLI's search does.
    let search = "type:agent parent:support";
    h.fill("#entities-search", search).await;
    let want = cli_entities(&writ, &ws, &newest, Some(search));
    let want_uids = uids(&want);
    let matched = want["matched"].as_u64().expect("matched");
    assert!(matched >= 1 && matched < total, "{matched} of {total}");
    assert_eq!(count_for(&h, search).await, (matched, total));
    assert_eq!(shown_uids(&h, matched as usize).await, want_uids);
    assert!(want_uids.iter().all(|u| u.starts_with("Agent::")));
    let parents = h.contents("#entities-table .vt-row .parents").await;
    assert!(
        parents.iter().all(|p| p.contains("Team::\"support\"")),
        "{parents:?}"
    );
    // Selecting a row shows its attributes.
    h.click("#entities-table .vt-row").await;
    h.wait_text("#entity-detail-h", "Agent::").await;
    h.screenshot("entities-search").await;

    // A search nothing matches.
    h.fill("#entities-search", "no-entity-is-called-this").await;
    assert_eq!(count_for(&h, "no-entity-is-called-this").await, (0, total));
    h.wait_for("#no-entities").await;

    // Every control of the view has an accessible name.
    let unnamed = h
        .client
        .execute(
            r#"return Array.from(document.querySelectorAll('section.entities button, section.entities input, section.entities select'))
                 .filter((el) => !((el.getAttribute('aria-label') || '').trim()
                   || (el.labels && Array.from(el.labels).map((l) => l.textContent).join('').trim())
                   || (el.tagName === 'BUTTON' && el.textContent.trim())))
                 .map((el) => el.outerHTML.slice(0, 120));"#,
            vec![],
        )
        .await
        .expect("the check runs");
    assert_eq!(unnamed, serde_json::json!([]), "unnamed controls");
    h.close().await;
}
