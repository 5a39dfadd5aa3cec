//! The trace import's format detection and mapping preview (issue 7,
//! part 5), driven through the real window on the real samples in
//! `../shared/samples/traces/`: the detected format, the previewed tool
//! calls (the failed one marked), the user attribute, and the import's
//! action count equal to the CLI's. Workspaces are made with the real CLI
//! (`target/debug/writ`). Run under a display after building the UI,
//! `writ-app` and `writ-cli` (see this crate's README).

use fantoccini::key::Key;
use std::path::{Path, PathBuf};
use writ_e2e::{cli, cli_trace_sets, sample_workspace, workspace_root, writ_cli, Harness};

/// A sample trace file, or `None` (after saying why the test is skipped)
/// when `../shared` is missing.
pub(crate) fn sample(name: &str) -> Option<PathBuf> {
    let path = workspace_root().join("../shared/samples/traces").join(name);
    if path.is_file() {
        Some(path)
    } else {
        println!(
            "skipped: {} is missing (the real trace samples live in ../shared)",
            path.display()
        );
        None
    }
}

/// Every string value of a Jaeger tag `{"key": key, "value": ...}` in `v`.
fn tag_values(v: &serde_json::Value, key: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("key").and_then(|k| k.as_str()) == Some(key) {
                if let Some(s) = m.get("value").and_then(|s| s.as_str()) {
                    out.push(s.to_string());
                }
            }
            m.values().for_each(|x| tag_values(x, key, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| tag_values(x, key, out)),
        _ => {}
    }
}

/// Starts the app on a fresh sample workspace with `files` as the
/// scripted dialog's answers, opens the Traces view and chooses the first;
/// returns the harness, the workspace, its temporary directory and the CLI.
pub(crate) async fn choose(
    files: &[&Path],
) -> Option<(Harness, PathBuf, tempfile::TempDir, PathBuf)> {
    let writ = writ_cli()?;
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("import.writ");
    sample_workspace(&writ, &ws);
    let answers = dir.path().join("answers.txt");
    let text: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    std::fs::write(&answers, text).unwrap();
    let h = Harness::start_with(
        &[ws.display().to_string()],
        &[("WRIT_TEST_DIALOG_ANSWERS", answers.as_os_str())],
    )
    .await?;
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-traces").await;
    h.wait_for("#actions").await;
    h.click("#import-button").await;
    h.wait_for("#import-form").await;
    Some((h, ws, dir, writ))
}

/// The previewed items once the preview has settled: (tool, user,
/// outcome, problems) for each.
async fn previewed(h: &Harness) -> Vec<(String, String, String, usize)> {
    h.wait_for("#import-preview[data-loading='false']").await;
    let v = h
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#import-preview .preview-item')).map(e => [e.dataset.tool, e.dataset.user, e.dataset.outcome, Number(e.dataset.problems)]);",
            vec![],
        )
        .await
        .expect("the previewed items");
    serde_json::from_value(v).expect("item tuples")
}

/// What `writ traces preview --format-output json` shows for `file` on
/// workspace `ws`: (tool, problems) for each item.
fn cli_preview(writ: &Path, ws: &Path, file: &Path) -> Vec<(String, usize)> {
    let out = cli(
        writ,
        &[
            "traces".as_ref(),
            "preview".as_ref(),
            "--format-output".as_ref(),
            "json".as_ref(),
            "--workspace".as_ref(),
            ws.as_os_str(),
            file.as_os_str(),
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["action"]["tool"].as_str().unwrap_or_default().to_string(),
                i["problems"].as_array().map_or(0, Vec::len),
            )
        })
        .collect()
}

/// The `tools/call` names of a cassette and whether each failed (a
/// JSON-RPC error or `isError: true`), read from the file itself.
pub(crate) fn cassette_calls(file: &Path) -> Vec<(String, bool)> {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    doc["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["request"]["method"] == "tools/call")
        .map(|i| {
            let r = &i["response"];
            let failed = r.get("error").is_some_and(|e| !e.is_null())
                || r["result"]["isError"].as_bool().unwrap_or(false);
            (
                i["request"]["params"]["name"].as_str().unwrap().to_string(),
                failed,
            )
        })
        .collect()
}

/// The MCP cassette: detected as `mcp-cassette`, its four tool calls
/// previewed (outcomes and problems as recorded and as the CLI's preview
/// shows them), then imported with the same action count as `writ traces
/// list` on the same workspace. A copy whose last call failed
/// (`isError: true`) is then chosen: exactly that call is marked failed.
#[tokio::test(flavor = "multi_thread")]
async fn a_mcp_cassette_is_detected_previewed_and_imported() {
    let Some(file) = sample("mcp-session-cassette.json") else {
        return;
    };
    let calls = cassette_calls(&file);
    assert_eq!(
        calls.len(),
        4,
        "the sample holds four tools/call: {calls:?}"
    );
    // A copy with the last call's result turned into a tool error.
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("cassette-with-error.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let last = doc["interactions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .rev()
        .find(|i| i["request"]["method"] == "tools/call")
        .unwrap();
    last["response"]["result"]["isError"] = serde_json::json!(true);
    std::fs::write(&broken, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let broken_calls = cassette_calls(&broken);
    let failed_tool = broken_calls.iter().find(|c| c.1).unwrap().0.clone();

    let Some((h, ws, dir, writ)) = choose(&[&file, &broken]).await else {
        return;
    };
    let _ = dir;
    h.wait_for("#import-detected[data-format='mcp-cassette']")
        .await;
    h.wait_for("#import-preview[data-format='mcp-cassette']")
        .await;
    let items = previewed(&h).await;
    let tools: Vec<String> = items.iter().map(|i| i.0.clone()).collect();
    let want: Vec<String> = calls.iter().map(|c| c.0.clone()).collect();
    assert_eq!(tools, want, "the cassette's tool calls, in order");
    for (item, call) in items.iter().zip(&calls) {
        let want = if call.1 { "failed" } else { "executed" };
        assert_eq!(item.2, want, "{item:?}");
    }
    // The same problems as the CLI's preview on the same workspace.
    let cli_items = cli_preview(&writ, &ws, &file);
    let app_items: Vec<(String, usize)> = items.iter().map(|i| (i.0.clone(), i.3)).collect();
    assert_eq!(app_items, cli_items, "the app's preview and the CLI's");
    // Problems are shown in the page, listed under their item.
    let listed = h
        .contents("#import-preview .preview-item .problems li")
        .await;
    assert_eq!(listed.len(), items.iter().map(|i| i.3).sum::<usize>());
    // Every control of the import pane has an accessible name.
    let unnamed = h
        .client
        .execute(
            r#"const out = []; let n = 0;
for (const el of document.querySelectorAll('section.import button, section.import input, section.import select, section.import summary')) {
  n += 1;
  const name = (el.getAttribute('aria-label') || '').trim()
    || (el.labels && Array.from(el.labels).map((l) => l.textContent).join(' ').trim())
    || ((el.tagName === 'BUTTON' || el.tagName === 'SUMMARY') ? el.textContent.trim() : '');
  if (!name) out.push(el.outerHTML.slice(0, 160));
}
return [n, out];"#,
            vec![],
        )
        .await
        .expect("the name check runs");
    let (controls, unnamed): (usize, Vec<String>) = serde_json::from_value(unnamed).unwrap();
    assert!(controls >= 8, "the pane's controls: {controls}");
    assert!(unnamed.is_empty(), "controls without a name: {unnamed:?}");
    // The first item shows its Cedar request, pretty printed.
    let requests = h.contents("#import-preview .preview-item .request").await;
    assert!(
        requests
            .first()
            .is_some_and(|r| r.contains("\"principal\"") && r.contains('\n')),
        "{requests:?}"
    );

    h.fill("#import-name", "cassette").await;
    h.click("#import-start").await;
    h.wait_for("#import-result").await;
    let shown: u64 = h
        .attr("#import-result", "data-actions")
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        h.attr("#import-counts", "data-format").await.as_deref(),
        Some("mcp-cassette")
    );
    let extracted: u64 = h
        .attr("#import-counts", "data-extracted")
        .await
        .unwrap()
        .parse()
        .unwrap();
    let sets = cli_trace_sets(&writ, &ws);
    let (_, listed) = sets
        .iter()
        .find(|(n, _)| n == "cassette")
        .unwrap_or_else(|| panic!("`writ traces list` has no set `cassette`: {sets:?}"));
    assert_eq!(shown, *listed, "the app's action count and the CLI's");
    assert_eq!(extracted, *listed);
    assert_eq!(*listed, calls.len() as u64, "every recorded call imported");

    // The copy with a failed call: that call, and only it, is marked.
    h.click("#import-button").await;
    h.wait_for("#import-form").await;
    let items = h
        .poll("the copy's preview", || async {
            let items = previewed(&h).await;
            items.iter().any(|i| i.2 == "failed").then_some(items)
        })
        .await;
    let failed: Vec<&str> = items
        .iter()
        .filter(|i| i.2 == "failed")
        .map(|i| i.0.as_str())
        .collect();
    assert_eq!(failed, vec![failed_tool.as_str()], "{items:?}");
    let badges = h
        .contents("#import-preview .preview-item.failed .outcome-failed")
        .await;
    assert_eq!(badges, vec!["failed".to_string()]);
    // Show the failed call in the preview pane for the screenshot.
    h.client
        .execute(
            "const p = document.querySelector('#import-preview'); const f = p.querySelector('.preview-item.failed'); p.scrollTop = f.offsetTop - p.offsetTop - 8;",
            vec![],
        )
        .await
        .expect("scroll the preview");
    h.screenshot("import-preview").await;
    h.close().await;
}

/// The Jaeger sample: with the user attribute `kagent.user_id` the
/// `helm_list_releases` call shows the user recorded in that tag.
#[tokio::test(flavor = "multi_thread")]
async fn b_jaeger_with_a_user_attribute_shows_the_user() {
    let Some(file) = sample("jaeger-kagent-helm.json") else {
        return;
    };
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let mut users = Vec::new();
    tag_values(&doc, "kagent.user_id", &mut users);
    users.sort();
    users.dedup();
    assert!(!users.is_empty(), "the sample records kagent.user_id");
    // Two profile files for the "Profile file…" dialog: a broken one, then
    // ToolHive's built-in profile under another name (from the real CLI).
    let Some(writ) = writ_cli() else { return };
    let profiles = tempfile::tempdir().unwrap();
    let bad = profiles.path().join("broken.toml");
    std::fs::write(&bad, "name = \"broken\"\n[principal\n").unwrap();
    let good = profiles.path().join("gateway.toml");
    let toolhive = cli(
        &writ,
        &["profiles".as_ref(), "show".as_ref(), "toolhive".as_ref()],
    );
    std::fs::write(
        &good,
        toolhive.replace("name = \"toolhive\"", "name = \"my-gateway\""),
    )
    .unwrap();
    let Some((h, _ws, _dir, _writ)) = choose(&[&file, &bad, &good]).await else {
        return;
    };
    h.wait_for("#import-detected[data-format='jaeger']").await;
    h.wait_for("#import-preview[data-format='jaeger']").await;
    let before = previewed(&h).await;
    assert!(
        before.iter().any(|i| i.0 == "helm_list_releases"),
        "{before:?}"
    );

    h.fill("#import-user-attr", "kagent.user_id").await;
    h.wait_for("#import-user-attr")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    let user = h
        .poll("the helm call's user", || async {
            let items = previewed(&h).await;
            items
                .into_iter()
                .find(|i| i.0 == "helm_list_releases" && !i.1.is_empty())
                .map(|i| i.1)
        })
        .await;
    assert!(users.contains(&user), "{user} is one of {users:?}");
    let shown = h
        .contents("#import-preview .preview-item[data-tool='helm_list_releases'] .item-user-value")
        .await;
    assert!(shown.contains(&user), "{shown:?}");
    // Where the user was read from is named beside it.
    let key = h
        .contents("#import-preview .preview-item[data-tool='helm_list_releases'] .item-user-key")
        .await;
    assert!(
        key.iter().any(|k| k.contains("(from kagent.user_id)")),
        "{key:?}"
    );

    // A broken profile file is refused with its location; the preview stays.
    h.click("#import-profile-file").await;
    let e = h.wait_text("#import-profile-error", "broken.toml").await;
    assert!(e.contains("broken.toml:"), "a located error: {e}");
    assert_eq!(
        h.attr("#import-profile", "value").await.as_deref(),
        Some("writ")
    );
    // A valid one is chosen and the preview maps with it: ToolHive's
    // model, `Action::"call_tool"` on `Tool::"helm_list_releases"`.
    h.click("#import-profile-file").await;
    h.wait_for("#import-profile option[value='file']").await;
    h.wait_text("#import-preview", "profile my-gateway").await;
    let request = h
        .poll("the helm call's request under the profile file", || async {
            let r = h
                .contents("#import-preview .preview-item[data-tool='helm_list_releases'] .request")
                .await;
            r.into_iter().find(|r| r.contains("call_tool"))
        })
        .await;
    let request: serde_json::Value = serde_json::from_str(&request).unwrap();
    assert_eq!(request["action"]["id"], "call_tool");
    assert_eq!(request["resource"]["type"], "Tool");
    assert_eq!(request["resource"]["id"], "helm_list_releases");
    h.close().await;
}
