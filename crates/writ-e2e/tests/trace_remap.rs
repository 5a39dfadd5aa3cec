//! Re-mapping and removing trace sets (issue 16, part 3) through the real
//! window: the MCP cassette sample is imported with the default profile
//! (actions named by their tools), "Re-map…" maps its kept calls again
//! with a profile file (ToolHive's model under another name, from the real
//! CLI), and the new set, selected at once, holds `Action::"call_tool"`
//! actions, as `writ traces list` counts them. Before Re-map is pressed,
//! the dialog's preview shows the first calls under the default profile,
//! then as the profile file maps them (`Action::"call_tool"`), and no set
//! is stored by it. Removing the imported set is refused while the
//! re-mapped set maps its calls; the re-mapped set is removed; the
//! sample's `recorded` set (native records: Re-map is off) is refused, the
//! message naming its runs.

use crate::trace_import::{cassette_calls, choose, sample};
use writ_e2e::{cli, cli_trace_sets, writ_cli, Harness};

/// The tool column of every row the table shows.
async fn tools(h: &Harness) -> Vec<String> {
    h.contents("#actions [data-col='tool']").await
}

/// Opens "Remove set…" for the selected set and confirms.
async fn remove_selected(h: &Harness) {
    h.click("#remove-set-button").await;
    h.wait_for("#remove-set-dialog").await;
    h.click("#remove-set-confirm").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_set_is_mapped_again_and_removed() {
    let Some(file) = sample("mcp-session-cassette.json") else {
        return;
    };
    let calls = cassette_calls(&file);
    let Some(writ) = writ_cli() else { return };
    // ToolHive's built-in profile as a file of another name.
    let profiles = tempfile::tempdir().unwrap();
    let gateway = profiles.path().join("gateway.toml");
    let toolhive = cli(
        &writ,
        &["profiles".as_ref(), "show".as_ref(), "toolhive".as_ref()],
    );
    std::fs::write(
        &gateway,
        toolhive.replace("name = \"toolhive\"", "name = \"my-gateway\""),
    )
    .unwrap();
    let Some((h, ws, _dir, _writ)) = choose(&[&file, &gateway]).await else {
        return;
    };

    // Imported with the default profile: the actions are the tool names.
    h.fill("#import-name", "cassette").await;
    h.click("#import-start").await;
    h.wait_for("#import-result").await;
    let imported = h.attr("#import-result", "data-set").await.unwrap();
    h.wait_for(&format!("#remap-button[data-calls='{}']", calls.len()))
        .await;
    h.wait_for(&format!("#actions[data-total='{}']", calls.len()))
        .await;
    let want: Vec<String> = calls.iter().map(|c| c.0.clone()).collect();
    let before = h
        .poll("the imported set's tools", || async {
            let t = tools(&h).await;
            (t.len() == calls.len()).then_some(t)
        })
        .await;
    assert_eq!(before, want);

    // The dialog previews the first calls under the default profile: the
    // recorded tools, in order.
    h.click("#remap-button").await;
    h.wait_for("#remap-dialog").await;
    let shown = calls.len().min(5);
    h.wait_for(&format!(
        "#remap-preview[data-profile='writ'][data-loading='false'][data-items='{shown}']"
    ))
    .await;
    assert_eq!(
        h.attr_all("#remap-preview .preview-item", "data-tool")
            .await,
        want[..shown].to_vec()
    );

    // Re-mapped with the profile file; the name left to the workspace.
    h.click("#remap-profile-file").await;
    h.wait_for("#remap-profile option[value='file']").await;
    assert_eq!(h.value("#remap-profile").await, "file");
    assert_eq!(
        h.attr("#remap-name", "placeholder").await.as_deref(),
        Some("cassette-my-gateway")
    );
    // Before Re-map is pressed, the preview shows what the profile file
    // maps the calls to, and stored nothing.
    h.wait_for(&format!(
        "#remap-preview[data-profile='my-gateway'][data-loading='false'][data-items='{shown}']"
    ))
    .await;
    assert_eq!(
        h.contents("#remap-preview .preview-item .item-mapped")
            .await,
        vec![r#"Action::"call_tool""#.to_string(); shown]
    );
    assert_eq!(
        h.attr_all("#remap-preview .preview-item", "data-tool")
            .await,
        want[..shown].to_vec(),
        "the recorded tools stay as they were"
    );
    let names: Vec<String> = cli_trace_sets(&writ, &ws)
        .into_iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(
        names,
        vec!["recorded".to_string(), "cassette".to_string()],
        "the preview stored no set"
    );
    h.screenshot("trace-remap-dialog").await;
    h.click("#remap-start").await;
    let result = h.wait_text("#remap-result", "cassette-my-gateway").await;
    assert!(result.contains("“cassette”"), "{result}");
    let remapped = h.attr("#remap-result", "data-set").await.unwrap();
    assert_eq!(
        h.attr("#remap-result", "data-actions").await.as_deref(),
        Some(calls.len().to_string().as_str())
    );
    // The new set is listed, selected and shown with ToolHive's actions.
    assert_eq!(h.value("#traces-set").await, remapped);
    h.poll("the re-mapped set's actions", || async {
        let t = tools(&h).await;
        (t.len() == calls.len() && t.iter().all(|a| a == r#"Action::"call_tool""#)).then_some(())
    })
    .await;
    let sets = cli_trace_sets(&writ, &ws);
    assert!(
        sets.contains(&("cassette-my-gateway".to_string(), calls.len() as u64)),
        "`writ traces list`: {sets:?}"
    );

    // The imported set is kept while the re-mapped one maps its calls.
    h.click(&format!("#traces-set option[value='{imported}']"))
        .await;
    remove_selected(&h).await;
    let refused = h.wait_text("#remove-set-error", "cannot be removed").await;
    assert!(refused.contains("cassette-my-gateway"), "{refused}");
    h.click("#remove-set-cancel").await;

    // The re-mapped set goes; the first set left is shown.
    h.click(&format!("#traces-set option[value='{remapped}']"))
        .await;
    remove_selected(&h).await;
    h.wait_text("#remove-set-notice", "cassette-my-gateway")
        .await;
    let names: Vec<String> = cli_trace_sets(&writ, &ws)
        .into_iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(names, vec!["recorded".to_string(), "cassette".to_string()]);
    h.poll("the set gone from the list", || async {
        let options = h.attr_all("#traces-set option", "value").await;
        (!options.contains(&remapped)).then_some(())
    })
    .await;

    // The sample's native set kept no calls, and its runs hold it.
    h.wait_for("#actions[data-total='2400']").await;
    assert_eq!(h.value("#traces-set").await, "1");
    let remap = h.wait_for("#remap-button[data-calls='0']").await;
    assert!(!remap.is_enabled().await.unwrap(), "Re-map is off");
    remove_selected(&h).await;
    let refused = h.wait_text("#remove-set-error", "run 1").await;
    assert!(
        refused.contains("`recorded` cannot be removed") && refused.contains("run 2"),
        "{refused}"
    );
    h.screenshot("trace-remove-refused").await;
    h.click("#remove-set-cancel").await;
    let names: Vec<String> = cli_trace_sets(&writ, &ws)
        .into_iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(names, vec!["recorded".to_string(), "cassette".to_string()]);
    h.close().await;
}
