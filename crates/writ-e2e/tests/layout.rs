//! Every view at 1024 and 1440 px wide: nothing wider than the window (no
//! sideways scrolling, nothing reaching past its right edge), no two boxes
//! overlapping (labels, fields, buttons, headings, table headers, text), no
//! field sticking out of its box, and numeric columns' headers aligned with
//! their numbers, measured from the elements' rectangles and styles in the
//! real window; a screenshot of each view at each width
//! (`target/e2e-screenshots/layout-<view>-<width>.png`; with
//! `WRIT_E2E_UPDATE_SCREENSHOTS` also into `docs/screenshots/`). The
//! Traces view's draft dialog is measured too, alone over its backdrop.

use writ_e2e::Harness;

/// The views, by the id of their navigation button, with an element that
/// shows the view has its content.
const VIEWS: &[(&str, &str)] = &[
    ("start", "#workspace-path"),
    ("policies", ".cm-content"),
    ("versions", "#version-history tbody tr"),
    ("entities", "#entities-count"),
    ("traces", "#traces-set"),
    ("runs", "#runs tbody tr"),
    ("bench", "#bench-decide"),
    ("tests", "#suites tbody tr"),
    ("findings", "#findings-summary"),
    ("approvals", "#review-status"),
    ("bundles", "#bundles-title"),
    ("audit", "#audit-table tbody tr"),
];

/// Measures the page: its overflow beyond the window, and every pair of
/// visible boxes that overlap although neither contains the other.
const MEASURE: &str = r#"
const sel = 'main label, main select, main input, main textarea, main button, main h2, main h3, main legend, main th, main p, main dt, main dd, header button, header h1, header .identity';
// What the view has scrolled out of sight above its top is clipped, not
// overlapping the header. With a dialog open, only the dialog is measured
// (the view lies under its backdrop), clipped the same way by its box.
const dialog = document.querySelector('main [role=dialog]');
const view = (dialog ?? document.querySelector('main')).getBoundingClientRect();
const els = [...document.querySelectorAll(sel)].filter((e) => {
  const r = e.getBoundingClientRect();
  if (dialog && !dialog.contains(e)) return false;
  if (e.closest('main') && (r.top < view.top || (dialog && r.top > view.bottom))) return false;
  const style = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && e.offsetParent !== null
    && !e.closest('[hidden]') && !e.closest('.cm-editor');
});
const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
  (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '') +
  ' "' + (e.textContent || e.getAttribute('placeholder') || '').trim().slice(0, 30) + '"';
const overlaps = [];
for (let i = 0; i < els.length && overlaps.length < 10; i++) {
  const a = els[i].getBoundingClientRect();
  for (let j = i + 1; j < els.length && overlaps.length < 10; j++) {
    if (els[i].contains(els[j]) || els[j].contains(els[i])) continue;
    const b = els[j].getBoundingClientRect();
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 2 && h > 2) overlaps.push(name(els[i]) + ' overlaps ' + name(els[j]) + ` by ${w.toFixed(0)}x${h.toFixed(0)}`);
  }
}
// A field or button sticking out of the box that holds it.
const outside = [...document.querySelectorAll('main select, main input, main textarea, main button')]
  .filter((e) => els.includes(e))
  .filter((e) => {
    const r = e.getBoundingClientRect();
    const p = e.parentElement.getBoundingClientRect();
    return r.right > p.right + 2 || r.left < p.left - 2;
  })
  .slice(0, 10)
  .map((e) => name(e) + ' sticks out of its ' + e.parentElement.tagName.toLowerCase());
// A column of right-aligned numbers under a header aligned otherwise.
const misaligned = [];
for (const t of document.querySelectorAll('main table')) {
  if (t.closest('[hidden]') || t.offsetParent === null) continue;
  const heads = [...t.querySelectorAll('thead th')];
  const row = t.querySelector('tbody tr');
  if (!row || heads.length === 0) continue;
  [...row.children].forEach((td, i) => {
    const th = heads[i];
    if (!th || td.colSpan > 1) return;
    const right = (e) => ['right', 'end'].includes(getComputedStyle(e).textAlign);
    if (right(td) && !right(th) && td.textContent.trim() !== '') {
      misaligned.push(`${t.id || 'a table'}: header "${th.textContent.trim()}" is not aligned with its numbers`);
    }
  });
}
return {
  misaligned: misaligned.slice(0, 10),
  outside,
  scroll_width: document.documentElement.scrollWidth,
  window_width: window.innerWidth,
  // Boxes reaching past the window's right edge, unless a scrolling or
  // clipping box inside the view (not the view itself) that fits holds them.
  wide: [...document.querySelectorAll('main *')]
    .filter((e) => {
      if (e.closest('[hidden]') || e.offsetParent === null) return false;
      if (e.getBoundingClientRect().right <= window.innerWidth + 1) return false;
      const main = document.querySelector('main');
      for (let a = e.parentElement; a && a !== main; a = a.parentElement) {
        const o = getComputedStyle(a).overflowX;
        if (o !== 'visible' && a.getBoundingClientRect().right <= window.innerWidth + 1) return false;
      }
      return true;
    })
    .slice(0, 5).map(name),
  overlaps,
  boxes: els.length,
};
"#;

/// Measures the window as it is now and adds what is wrong to `problems`;
/// saves a screenshot named after `label` and `width`.
async fn measure(h: &Harness, label: &str, width: u32, problems: &mut Vec<String>) {
    // Let asynchronous content (charts, tables) settle.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let m = h.client.execute(MEASURE, vec![]).await.unwrap();
    let inner = m["window_width"].as_f64().unwrap_or(0.0);
    assert!(
        (inner - f64::from(width)).abs() < 40.0,
        "the window is {inner} px wide, not about {width}"
    );
    assert!(
        m["boxes"].as_u64().unwrap_or(0) > 3,
        "{label}: nothing measured: {m}"
    );
    let scroll = m["scroll_width"].as_f64().unwrap_or(0.0);
    if scroll > inner + 1.0 {
        problems.push(format!(
            "{label} at {width}: the page is {scroll} px wide in a {inner} px window"
        ));
    }
    for w in m["wide"].as_array().into_iter().flatten() {
        problems.push(format!(
            "{label} at {width}: {} reaches past the window's right edge",
            w.as_str().unwrap_or_default()
        ));
    }
    for o in m["overlaps"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(m["outside"].as_array().into_iter().flatten())
        .chain(m["misaligned"].as_array().into_iter().flatten())
    {
        problems.push(format!(
            "{label} at {width}: {}",
            o.as_str().unwrap_or_default()
        ));
    }
    h.screenshot(&format!("layout-{label}-{width}")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_fits_1024_and_1440_px_without_overlaps() {
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    let mut problems = Vec::new();
    for width in [1024u32, 1440] {
        h.client
            .set_window_size(width, 900)
            .await
            .unwrap_or_else(|e| panic!("cannot size the window to {width} px: {e}"));
        for (view, ready) in VIEWS {
            h.click(&format!("#nav-{view}")).await;
            h.wait_for(ready).await;
            measure(&h, view, width, &mut problems).await;
        }
        // The Runs view's other tab: the diff of the two sample runs.
        h.click("#nav-runs").await;
        h.click("#diff-button").await;
        h.wait_for("#diff-result #diff-responsible tbody tr").await;
        measure(&h, "runs-diff", width, &mut problems).await;
        // The Traces view's draft dialog, drafted from the sample's set.
        h.click("#nav-traces").await;
        h.click("#draft-button").await;
        h.wait_for("#draft-check").await;
        measure(&h, "traces-draft", width, &mut problems).await;
        h.click("#draft-close").await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    h.close().await;
}
