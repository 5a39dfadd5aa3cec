//! The inventory as an editable table in the Policies view, driven through
//! the real window. Run under a display after building the UI, `writ-app`
//! and `writ-cli` (see this crate's README):
//! `xvfb-run -a cargo test -p writ-e2e --test tests -- inventory::`.

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::Locator;
use std::process::Command;
use writ_e2e::{writ_cli, Harness};

/// The stored `inventory.toml` of `version` in a sample workspace made by
/// the CLI (versions are content-addressed, so the ids equal the app's).
fn stored_inventory(writ: &std::path::Path, version: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("cli.writ");
    let init = Command::new(writ)
        .args(["init", "--sample", "--workspace"])
        .arg(&ws)
        .output()
        .unwrap();
    assert!(init.status.success(), "writ init: {init:?}");
    let out = dir.path().join("checkout");
    let checkout = Command::new(writ)
        .args(["version", "checkout", version])
        .arg(&out)
        .arg("--workspace")
        .arg(&ws)
        .output()
        .unwrap();
    assert!(
        checkout.status.success(),
        "writ version checkout: {checkout:?}"
    );
    std::fs::read_to_string(out.join("inventory.toml")).unwrap()
}

async fn find(h: &Harness, css: &str) -> Element {
    h.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` not found: {e}"))
}

/// Replaces the value of the text input matching `css` with `value` and
/// leaves it with Tab (which commits the cell).
async fn type_into(h: &Harness, css: &str, value: &str) {
    let input = find(h, css).await;
    input.click().await.unwrap();
    let select_all = format!("{}a{}", char::from(Key::Control), char::from(Key::Null));
    input.send_keys(&select_all).await.unwrap();
    input
        .send_keys(&char::from(Key::Backspace).to_string())
        .await
        .unwrap();
    let rest = format!("{value}{}", char::from(Key::Tab));
    input.send_keys(&rest).await.unwrap();
}

/// Waits until the window has painted two frames and the CPU had a moment,
/// so a screenshot shows the current state (on a busy machine the picture
/// otherwise can lag behind the page).
async fn painted(h: &Harness) {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let _ = h
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await;
}

/// The inline problems shown on an agent's row.
async fn row_problems(h: &Harness, agent: &str) -> Vec<String> {
    h.texts(&format!(
        "tr.agent-problems[data-agent='{agent}'] li.problem"
    ))
    .await
}

/// The whole text of the CodeMirror editor (through its view when it can be
/// reached, otherwise by scrolling through the rendered lines).
async fn editor_text(h: &Harness) -> String {
    let js = "const c = document.querySelector('.cm-content');\
              const t = c && c.cmTile; const v = t && t.root && t.root.view;\
              return v ? v.state.doc.toString() : null;";
    if let Ok(serde_json::Value::String(s)) = h.client.execute(js, vec![]).await {
        return s;
    }
    let js = "const s = document.querySelector('.cm-scroller'); const seen = new Map();\
              for (let top = 0; ; top += s.clientHeight / 2) {\
                s.scrollTop = top; await new Promise(r => setTimeout(r, 50));\
                for (const l of document.querySelectorAll('.cm-content .cm-line')) {\
                  const n = l.getBoundingClientRect().top + s.scrollTop; seen.set(Math.round(n), l.textContent);\
                }\
                if (top > s.scrollHeight) break;\
              }\
              return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]).join('\\n');";
    match h.client.execute_async(
        &format!("const done = arguments[arguments.length - 1]; (async () => {{ {js} }})().then(done);"),
        vec![],
    ).await {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("could not read the editor's text: {other:?}"),
    }
}

/// Table shows the stored agents; clearing an owner shows the problem on
/// that agent's row and restoring it clears it; a tier changed in the table
/// is in the text, with every comment kept and nothing else changed.
#[tokio::test(flavor = "multi_thread")]
async fn inventory_table_edits_the_text() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#nav-policies").await;
    h.click("#nav-policies").await;
    h.wait_for("#file-tree button[data-path='inventory.toml']")
        .await;
    let version = find(&h, "#version-select")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("a version is selected");
    let stored = stored_inventory(&writ, &version);
    let expected_agents = stored.lines().filter(|l| l.trim() == "[[agent]]").count();
    assert!(expected_agents > 0, "{stored}");

    h.click("#file-tree button[data-path='inventory.toml']")
        .await;
    // Table is the default.
    h.wait_for("#inventory-table").await;
    // Readable: no field cuts its text, dates are ISO, and identities break
    // only after `/` or `|` (never inside a word).
    let readability = h
        .client
        .execute(
            r#"const cut = Array.from(document.querySelectorAll('#inventory-table td input[type=text]'))
                 .filter((i) => i.value && i.scrollWidth > i.clientWidth + 1)
                 .map((i) => i.getAttribute('aria-label') + ': ' + i.value);
               const dates = Array.from(document.querySelectorAll('#inventory-table input[data-field=review_due]'))
                 .map((i) => i.value).filter((v) => v && !/^\d{4}-\d{2}-\d{2}$/.test(v));
               const broken = [];
               for (const span of document.querySelectorAll('#inventory-table .identity .mono')) {
                 const r = document.createRange();
                 const text = span.textContent;
                 let lastTop = null;
                 const texts = [];
                 const walk = document.createTreeWalker(span, NodeFilter.SHOW_TEXT);
                 while (walk.nextNode()) texts.push(walk.currentNode);
                 for (const node of texts) {
                   for (let k = 0; k < node.length; k++) {
                     r.setStart(node, k); r.setEnd(node, k + 1);
                     const top = r.getBoundingClientRect().top;
                     // A new line may start only where a segment (after `/` or `|`) starts.
                     if (lastTop !== null && top > lastTop + 2 && k > 0) broken.push(text + ' at ' + node.data.slice(0, k));
                     lastTop = top;
                   }
                 }
               }
               return { cut, dates, broken, dated: document.querySelectorAll('#inventory-table input[data-field=review_due]').length };"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(readability["cut"], serde_json::json!([]), "{readability}");
    assert_eq!(readability["dates"], serde_json::json!([]), "{readability}");
    assert_eq!(
        readability["broken"],
        serde_json::json!([]),
        "{readability}"
    );
    let pressed = find(&h, "#inventory-mode-table")
        .await
        .attr("aria-pressed")
        .await
        .unwrap();
    assert_eq!(pressed.as_deref(), Some("true"));
    let ids = h
        .poll("the agents' rows", || async {
            let rows = h
                .client
                .find_all(Locator::Css("#inventory-table tbody tr.agent"))
                .await
                .ok()?;
            let mut ids = Vec::new();
            for r in rows {
                ids.push(r.attr("data-agent").await.ok()??);
            }
            (!ids.is_empty()).then_some(ids)
        })
        .await;
    assert_eq!(ids.len(), expected_agents, "{ids:?}");
    assert!(ids.iter().any(|i| i == "support-bot"), "{ids:?}");
    // Wait for the stored version's own check, then take the baseline.
    h.wait_for("#problem-count").await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let baseline = row_problems(&h, "support-bot").await;
    assert!(
        baseline.iter().all(|p| !p.contains("no owner")),
        "{baseline:?}"
    );

    // Clear support-bot's owner: the "no owner" problem shows on its row.
    let owner_css = "tr.agent[data-agent='support-bot'] input[data-field='owner']";
    let owner = find(&h, owner_css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(!owner.is_empty());
    type_into(&h, owner_css, "").await;
    let problem = h
        .poll("the no-owner problem on support-bot's row", || async {
            row_problems(&h, "support-bot")
                .await
                .into_iter()
                .find(|p| p.contains("support-bot") && p.contains("no owner"))
        })
        .await;
    assert!(problem.starts_with("error"), "{problem}");
    // It is the edit buffer: the file is marked as edited.
    h.wait_for("#file-tree button[data-path='inventory.toml'] .dirty")
        .await;
    // Other agents' rows do not show it.
    for other in ids.iter().filter(|i| *i != "support-bot") {
        let theirs = row_problems(&h, other).await;
        assert!(
            theirs.iter().all(|p| !p.contains("no owner")),
            "{other}: {theirs:?}"
        );
    }
    painted(&h).await;
    h.screenshot("inventory-table").await;

    // Restore it: the problem clears.
    type_into(&h, owner_css, &owner).await;
    h.poll("the no-owner problem to clear", || async {
        let now = row_problems(&h, "support-bot").await;
        now.iter().all(|p| !p.contains("no owner")).then_some(())
    })
    .await;

    // Change support-bot's tier.
    let tier_css = "tr.agent[data-agent='support-bot'] select[data-field='risk_tier']";
    let old_tier = find(&h, tier_css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    let new_tier = if old_tier == "high" {
        "critical"
    } else {
        "high"
    };
    // By keyboard (type-ahead on the focused select), as a user would.
    let select = find(&h, tier_css).await;
    select.send_keys(&new_tier[..1]).await.unwrap();
    h.poll("the tier to be changed", || async {
        let v = find(&h, tier_css).await.prop("value").await.ok()??;
        (v == new_tier).then_some(())
    })
    .await;
    // Let the edit reach the buffer.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // The Text view shows the new tier, the comments, and nothing else changed.
    h.click("#inventory-mode-text").await;
    h.wait_for(".cm-content").await;
    let text = h
        .poll("the edited text in the editor", || async {
            let t = editor_text(&h).await;
            t.contains(&format!("risk_tier = \"{new_tier}\""))
                .then_some(t)
        })
        .await;
    let comments: Vec<&str> = stored
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect();
    assert!(!comments.is_empty(), "the sample inventory has comments");
    for c in &comments {
        assert!(text.contains(c), "comment lost: {c}");
    }
    let before: Vec<&str> = stored.lines().collect();
    let after: Vec<&str> = text.lines().collect();
    assert_eq!(before.len(), after.len(), "line count changed:\n{text}");
    let changed: Vec<(String, String)> = before
        .iter()
        .zip(after.iter())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        changed,
        [(
            format!("risk_tier = \"{old_tier}\""),
            format!("risk_tier = \"{new_tier}\"")
        )],
        "exactly support-bot's tier line changes"
    );
    // Which is inside support-bot's entry.
    let at = after
        .iter()
        .position(|l| *l == format!("risk_tier = \"{new_tier}\""))
        .unwrap();
    let entry_start = after[..at]
        .iter()
        .rposition(|l| l.trim() == "[[agent]]")
        .unwrap();
    assert!(
        after[entry_start..at].contains(&"id = \"support-bot\""),
        "the changed tier is support-bot's"
    );
    // Show support-bot's entry in the picture.
    let _ = h
        .client
        .execute(
            "const s = document.querySelector('.cm-scroller'); const l = document.querySelector('.cm-line');\
             if (s && l) s.scrollTop = arguments[0] * l.getBoundingClientRect().height;",
            vec![serde_json::json!(entry_start.saturating_sub(2))],
        )
        .await;
    painted(&h).await;
    h.screenshot("inventory-text").await;

    // Back in the table: add an agent with the form, give it an identity,
    // then remove it again.
    h.click("#inventory-mode-table").await;
    h.wait_for("#inventory-add-agent").await;
    for (css, value) in [
        ("#new-agent-id", "triage-bot"),
        ("#new-agent-name", "Triage Bot"),
        ("#new-agent-owner", "ana.silva@acme.example"),
        ("#new-agent-team", "support"),
    ] {
        find(&h, css).await.send_keys(value).await.unwrap();
    }
    h.click("#new-agent-tier option[value='medium']").await;
    h.click("#new-agent-add").await;
    let row = "tr.agent[data-agent='triage-bot']";
    h.wait_for(row).await;
    let count = h.texts("#inventory-table tbody tr.agent").await.len();
    assert_eq!(count, expected_agents + 1);
    let tier = find(&h, &format!("{row} select[data-field='risk_tier']"))
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(tier.as_deref(), Some("medium"));
    h.click(&format!(
        "{row} button[aria-label='Add an identity to triage-bot']"
    ))
    .await;
    let spiffe = find(&h, &format!("{row} input[aria-label='SPIFFE ID']")).await;
    spiffe
        .send_keys(&format!(
            "acme.example/agents/triage-bot{}",
            char::from(Key::Enter)
        ))
        .await
        .unwrap();
    h.poll("the new identity on the row", || async {
        h.texts(&format!("{row} li.identity"))
            .await
            .into_iter()
            .find(|t| t.contains("spiffe://acme.example/agents/triage-bot"))
    })
    .await;
    // The new entry checks clean (it has an owner, a known team and its own identity).
    h.poll("the new agent's row to check clean", || async {
        let checking = h.texts(".problems h2").await.join(" ");
        (!checking.contains("checking") && row_problems(&h, "triage-bot").await.is_empty())
            .then_some(())
    })
    .await;
    // Removing asks for a second click.
    let remove = format!("{row} button.remove");
    h.click(&remove).await;
    assert!(h.client.find(Locator::Css(row)).await.is_ok());
    h.click(&remove).await;
    h.poll("the new agent to be removed", || async {
        let n = h.texts("#inventory-table tbody tr.agent").await.len();
        (n == expected_agents).then_some(())
    })
    .await;
    h.close().await;
}
