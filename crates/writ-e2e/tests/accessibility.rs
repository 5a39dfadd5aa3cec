//! Every control the workbench shows has a name a screen reader can say:
//! each view in turn (and the inventory table), checked in the real window
//! with the accessible-name rules that matter here (aria-label,
//! aria-labelledby, a `<label>`, a button's or link's text, a title).

use fantoccini::Locator;
use std::time::Duration;
use writ_e2e::Harness;

/// The outer HTML (shortened) of every visible control without a name.
const UNNAMED_CONTROLS: &str = r#"
const unnamed = [];
let checked = 0;
const controls = document.querySelectorAll(
  'button, input, select, textarea, a[href], [role=button], [role=tab], [role=checkbox], [role=switch], [role=grid], [role=listbox]');
for (const el of controls) {
  if (el.type === 'hidden' || el.closest('[aria-hidden=true]')) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  checked += 1;
  let name = (el.getAttribute('aria-label') || '').trim();
  const by = el.getAttribute('aria-labelledby');
  if (!name && by) {
    name = by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim();
  }
  if (!name && el.labels && el.labels.length) {
    name = Array.from(el.labels).map((l) => l.textContent).join(' ').trim();
  }
  const textNamed = el.tagName === 'BUTTON' || el.tagName === 'A' || el.getAttribute('role') === 'button' || el.getAttribute('role') === 'tab';
  if (!name && textNamed) name = el.textContent.trim();
  if (!name && el.title) name = el.title.trim();
  if (!name) unnamed.push(el.outerHTML.slice(0, 160));
}
return { checked, unnamed };
"#;

/// The unnamed controls of the page, after checking that the page has
/// controls at all (so an empty list means something).
async fn unnamed(h: &Harness, what: &str) -> Vec<String> {
    let v = h
        .client
        .execute(UNNAMED_CONTROLS, vec![])
        .await
        .expect("the check runs");
    let checked = v["checked"].as_u64().unwrap_or(0);
    assert!(
        checked >= 3,
        "{what}: only {checked} visible controls found"
    );
    serde_json::from_value(v["unnamed"].clone()).expect("a list of strings")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_control_has_an_accessible_name() {
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    // The check itself finds an unnamed control when there is one.
    h.client
        .execute(
            "const i = document.createElement('input'); i.id = 'a11y-probe'; document.body.prepend(i);",
            vec![],
        )
        .await
        .expect("add a probe");
    let found = unnamed(&h, "probe").await;
    assert!(
        found.iter().any(|c| c.contains("a11y-probe")),
        "the check misses an unnamed input: {found:?}"
    );
    h.client
        .execute("document.getElementById('a11y-probe').remove();", vec![])
        .await
        .expect("remove the probe");
    let views = [
        ("start", "#versions tbody tr"),
        ("policies", ".cm-content"),
        ("versions", "main table"),
        ("entities", "#entities-table"),
        ("traces", "#actions"),
        ("runs", "main select"),
        ("bench", "main select"),
        ("tests", "main button"),
        ("findings", "#run-findings"),
        ("approvals", "#review-status"),
        ("bundles", "#export-bundle"),
        ("audit", "#audit-table"),
    ];
    let mut problems = Vec::new();
    for (view, ready) in views {
        h.click(&format!("#nav-{view}")).await;
        h.wait_for(ready).await;
        // Let the view's first data arrive and render.
        tokio::time::sleep(Duration::from_millis(800)).await;
        for control in unnamed(&h, view).await {
            problems.push(format!("{view}: {control}"));
        }
    }
    // The inventory as a table: every cell is a control.
    h.click("#nav-policies").await;
    let inventory = h
        .client
        .find_all(Locator::XPath(
            "//*[normalize-space(text())='inventory.toml']",
        ))
        .await
        .expect("the file tree");
    if let Some(entry) = inventory.into_iter().next() {
        entry.click().await.expect("open inventory.toml");
        tokio::time::sleep(Duration::from_millis(1200)).await;
        for control in unnamed(&h, "inventory table").await {
            problems.push(format!("inventory table: {control}"));
        }
    } else {
        problems.push("policies: inventory.toml is not in the file tree".to_string());
    }
    assert!(
        problems.is_empty(),
        "controls without an accessible name:\n{}",
        problems.join("\n")
    );
    h.close().await;
}

/// Ctrl+K opens the command palette, which reaches every view, those past
/// the ten Alt shortcuts too: typing filters it, Enter goes to the first
/// match, the arrows move the choice, Escape closes it.
#[tokio::test(flavor = "multi_thread")]
async fn the_command_palette_reaches_every_view() {
    use fantoccini::key::Key;
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    let labels = h.texts("nav button").await;
    assert_eq!(labels.len(), 12, "{labels:?}");
    for (id, label) in [("audit", "Audit"), ("bundles", "Bundles"), ("runs", "Runs")] {
        let body = h.wait_for("body").await;
        body.send_keys(&format!(
            "{}k{}",
            char::from(Key::Control),
            char::from(Key::Null)
        ))
        .await
        .unwrap();
        h.wait_for("#palette-input").await;
        h.fill("#palette-input", &label.to_lowercase()).await;
        let first = h.texts("#palette-list li button span").await;
        assert_eq!(
            first.first().map(String::as_str),
            Some(format!("Go to {label}").as_str()),
            "{first:?}"
        );
        h.wait_for("#palette-input")
            .await
            .send_keys(&char::from(Key::Enter).to_string())
            .await
            .unwrap();
        h.wait_for(&format!("#nav-{id}[aria-current='page']")).await;
        assert!(h.client.find(Locator::Css("#palette")).await.is_err());
    }
    // Arrows move the choice; Escape closes without going anywhere.
    let body = h.wait_for("body").await;
    body.send_keys(&format!(
        "{}k{}",
        char::from(Key::Control),
        char::from(Key::Null)
    ))
    .await
    .unwrap();
    let input = h.wait_for("#palette-input").await;
    input.send_keys("go to").await.unwrap();
    input
        .send_keys(&char::from(Key::Down).to_string())
        .await
        .unwrap();
    let chosen = h.texts("#palette-list li[aria-selected='true'] span").await;
    assert_eq!(chosen, ["Go to Policies"]);
    input
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .unwrap();
    h.poll("the palette to close", || async {
        h.client
            .find(Locator::Css("#palette"))
            .await
            .is_err()
            .then_some(())
    })
    .await;
    assert!(h.attr("#nav-runs", "aria-current").await.is_some());
    h.close().await;
}
