//! Workspaces, versions, commit, read-only versions, format and keyboard
//! shortcuts, driven through the real window. Workspaces are made with the
//! real CLI (`target/debug/writ`). Run under a display after building the
//! UI, `writ-app` and `writ-cli` (see this crate's README).

use fantoccini::key::Key;
use fantoccini::Locator;
use std::path::Path;
use std::time::Duration;
use writ_e2e::{cli, workspace_root, writ_cli, Harness};

/// `writ init PATH`, then sample v1 and v2 committed with `messages`;
/// returns the short ids, oldest first.
fn make_workspace(writ: &Path, path: &Path, messages: [&str; 2]) -> Vec<String> {
    cli(writ, &["init".as_ref(), path.as_os_str()]);
    for (dir, message) in ["v1", "v2"].iter().zip(messages) {
        let project = workspace_root().join("sample-policies").join(dir);
        cli(
            writ,
            &[
                "version".as_ref(),
                "commit".as_ref(),
                project.as_os_str(),
                "-m".as_ref(),
                message.as_ref(),
                "--workspace".as_ref(),
                path.as_os_str(),
            ],
        );
    }
    let mut ids = version_list(writ, path)
        .iter()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect::<Vec<_>>();
    ids.reverse();
    ids
}

/// `writ version list --workspace PATH`, one line per version, newest first.
fn version_list(writ: &Path, path: &Path) -> Vec<String> {
    cli(
        writ,
        &[
            "version".as_ref(),
            "list".as_ref(),
            "--workspace".as_ref(),
            path.as_os_str(),
        ],
    )
    .lines()
    .map(str::to_string)
    .collect()
}

fn arg(p: &Path) -> Vec<String> {
    vec![p.display().to_string()]
}

async fn text(h: &Harness, css: &str) -> String {
    h.wait_for(css).await.text().await.unwrap()
}

/// The policy editor's text (each line's raw text, so indentation counts).
async fn editor_text(h: &Harness) -> String {
    let v = h
        .client
        .execute(
            "const c = document.querySelector('.cm-content'); \
             return c ? Array.from(c.querySelectorAll('.cm-line')).map(l => l.textContent).join('\\n') : '';",
            vec![],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_string()
}

/// Waits until the editor shows `want`, failing with what it shows.
async fn until_text(h: &Harness, want: &str) {
    let deadline = std::time::Instant::now() + writ_e2e::TIMEOUT;
    loop {
        let now = editor_text(h).await;
        if now == want {
            return;
        }
        if std::time::Instant::now() > deadline {
            assert_eq!(now, want, "the editor's text");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Keys pressed together: the modifiers, then `key`, then all released.
fn chord(mods: &[Key], key: &str) -> String {
    let mut s: String = mods.iter().map(|k| char::from(*k)).collect();
    s.push_str(key);
    s.push(char::from(Key::Null));
    s
}

/// Sends keys to whatever has the focus (the page's active element).
async fn press(h: &Harness, keys: &str) {
    let active = h.client.active_element().await.unwrap();
    active.send_keys(keys).await.unwrap();
}

/// Opens the Policies view and waits for the checked editor.
async fn open_policies(h: &Harness) {
    h.click("#nav-policies").await;
    h.wait_for(".cm-content").await;
    h.wait_for("#problem-count").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// (a) `writ-app PATH` opens that workspace: its versions are listed, it
/// heads the recent workspaces, and no sample was made. Alt+N and `?` work.
#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_given_on_the_command_line_opens_at_start() {
    let Some(writ) = writ_cli() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("team.writ");
    let ids = make_workspace(&writ, &ws, ["first from cli", "second from cli"]);
    let Some(h) = Harness::start_with(&arg(&ws), &[]).await else {
        return;
    };
    h.wait_text("#workspace-path", "team.writ").await;
    assert_eq!(text(&h, "#workspace-path").await, ws.display().to_string());
    let versions = h.texts("#versions tbody tr").await;
    assert_eq!(versions.len(), 2, "{versions:?}");
    let recents = h.texts("#recents li").await;
    assert!(
        recents[0].contains(&ws.display().to_string()),
        "{recents:?}"
    );
    let stored = std::fs::read_to_string(h.app_data_dir().join("recent-workspaces.json")).unwrap();
    assert!(stored.contains("team.writ"), "{stored}");
    assert!(
        !h.app_data_dir().join("sample.writ").exists(),
        "no sample is made when a workspace is given"
    );

    // Alt+3: the Versions view (third in the navigation).
    h.wait_for("#open-workspace").await;
    press(&h, &chord(&[Key::Alt], "3")).await;
    h.wait_for("#version-history tbody tr").await;
    let rows = h.texts("#version-history tbody tr").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].contains("second from cli") && rows[0].contains(&ids[1]));
    assert!(
        rows[0].contains(&ids[0]),
        "the newest version's parent is the first: {rows:?}"
    );
    assert!(rows[1].contains("first from cli"));
    // Selecting one shows its files.
    h.click("#version-history tbody tr:nth-child(2) .pick")
        .await;
    h.wait_for("#version-files tbody tr").await;
    let files = h.texts("#version-files tbody tr").await;
    assert!(files.iter().any(|f| f.contains("policies/")), "{files:?}");
    h.screenshot("versions").await;

    // `?` lists the shortcuts; Escape closes the list.
    h.click("#nav-start").await;
    press(&h, "?").await;
    let list = text(&h, "#shortcut-list").await;
    assert!(
        list.contains("Ctrl+Shift+F") && list.contains("Ctrl+O"),
        "{list}"
    );
    press(&h, &char::from(Key::Escape).to_string()).await;
    h.poll("the shortcuts dialog to close", || async {
        h.client
            .find_all(Locator::Css("#shortcuts-dialog"))
            .await
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;
    h.close().await;
}

/// (b) "Open workspace…" (a scripted dialog) refuses a file that is not a
/// workspace and keeps the open one, then switches to another workspace;
/// a recent one reopens by its place in the list; "New workspace…" makes an
/// empty one.
#[tokio::test(flavor = "multi_thread")]
async fn b_open_workspace_switches_the_start_view() {
    let Some(writ) = writ_cli() else { return };
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.writ");
    let second = dir.path().join("second.writ");
    make_workspace(&writ, &first, ["first v1", "first v2"]);
    make_workspace(&writ, &second, ["second v1", "second v2"]);
    let foreign = dir.path().join("notes.writ");
    std::fs::write(&foreign, "not a database\n").unwrap();
    let created = dir.path().join("fresh");
    let answers = dir.path().join("answers.txt");
    std::fs::write(
        &answers,
        format!(
            "{}\n{}\n{}\n",
            foreign.display(),
            second.display(),
            created.display()
        ),
    )
    .unwrap();
    let Some(h) = Harness::start_with(
        &arg(&first),
        &[("WRIT_TEST_DIALOG_ANSWERS", answers.as_os_str())],
    )
    .await
    else {
        return;
    };
    h.wait_text("#versions tbody tr", "first v2").await;

    // A foreign file is refused and left as it was; the open workspace stays.
    h.click("#open-workspace").await;
    let refused = h.wait_text("#workspace-message", "notes.writ").await;
    assert!(refused.contains("not a Writ workspace"), "{refused}");
    // Said once, for an app user: the file named once, no CLI command.
    assert_eq!(refused.matches("notes.writ").count(), 1, "{refused}");
    assert!(
        !refused.contains("writ init") && !refused.contains('`'),
        "{refused}"
    );
    assert_eq!(
        std::fs::read_to_string(&foreign).unwrap(),
        "not a database\n"
    );
    assert_eq!(
        text(&h, "#workspace-path").await,
        first.display().to_string()
    );

    // The second answer: the other workspace.
    h.click("#open-workspace").await;
    h.wait_text("#workspace-path", "second.writ").await;
    h.wait_text("#versions tbody tr", "second v2").await;
    let versions = h.texts("#versions tbody tr").await;
    assert!(
        versions.iter().all(|v| !v.contains("first v")),
        "{versions:?}"
    );
    let recents = h.texts("#recents li").await;
    assert_eq!(recents.len(), 2, "{recents:?}");
    assert!(recents[0].contains("second.writ") && recents[1].contains("first.writ"));
    h.screenshot("workspace-switched").await;

    // Back to the first through the recent list.
    h.click("#recents li[data-index='1'] .recent-open").await;
    h.wait_text("#workspace-path", "first.writ").await;
    h.wait_text("#versions tbody tr", "first v2").await;

    // "New workspace…": an empty one, `.writ` added to the name.
    h.click("#new-workspace").await;
    h.wait_text("#workspace-path", "fresh.writ").await;
    assert!(dir.path().join("fresh.writ").is_file());
    assert!(h.texts("#versions tbody tr").await.is_empty());
    assert!(version_list(&writ, &dir.path().join("fresh.writ")).is_empty());

    // A missing recent file is marked and can be removed.
    std::fs::remove_file(&second).unwrap();
    h.click("#nav-policies").await;
    h.click("#nav-start").await;
    h.wait_for("#recents li.missing").await;
    let before = h.texts("#recents li").await.len();
    h.click("#recents li.missing .recent-remove").await;
    h.poll("the missing entry to go", || async {
        (h.texts("#recents li").await.len() == before - 1).then_some(())
    })
    .await;
    h.close().await;
}

/// (c) An edited policy is committed with a message (refused while the
/// edit has errors); the new version is in the Versions view and the CLI
/// lists it.
#[tokio::test(flavor = "multi_thread")]
async fn c_commit_an_edit_as_a_new_version() {
    let Some(writ) = writ_cli() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("commit.writ");
    make_workspace(&writ, &ws, ["v1", "v2"]);
    let Some(h) = Harness::start_with(&arg(&ws), &[]).await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    open_policies(&h).await;
    // Work on the last policy file (not the one opened first), so that
    // staying on it after the commit is seen.
    let tree = h
        .attr_all("#file-tree button[data-path$='.cedar']", "data-path")
        .await;
    let edited = tree.last().expect("policy files are listed").clone();
    h.click(&format!("#file-tree button[data-path='{edited}']"))
        .await;
    h.poll("the chosen file to open", || async {
        (h.attr(
            &format!("#file-tree button[data-path='{edited}']"),
            "aria-current",
        )
        .await
        .as_deref()
            == Some("true"))
        .then_some(())
    })
    .await;

    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    content.click().await.unwrap();
    content
        .send_keys(&chord(&[Key::Control], &char::from(Key::Home).to_string()))
        .await
        .unwrap();
    // First an error: underlined, marked in the gutter, and the commit
    // dialog refuses and says how many.
    content.send_keys("oops ").await.unwrap();
    h.wait_for("#problems .problem.error").await;
    h.wait_for(".cm-lint-marker-error").await;
    h.wait_for(".cm-lintRange-error").await;
    h.wait_for("#policies-dirty").await;
    h.wait_for("#file-tree .dirty").await;
    press(&h, &chord(&[Key::Control], "s")).await;
    let blocked = text(&h, "#commit-blocked").await;
    assert!(blocked.contains("error(s)"), "{blocked}");
    assert!(!h
        .wait_for("#commit-confirm")
        .await
        .is_enabled()
        .await
        .unwrap());
    h.screenshot("commit-refused").await;
    press(&h, &char::from(Key::Escape).to_string()).await;
    h.poll("the commit dialog to close", || async {
        h.client
            .find_all(Locator::Css("#commit-dialog"))
            .await
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;

    // Fix it into a comment, then commit.
    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    content.click().await.unwrap();
    content
        .send_keys(&chord(&[Key::Control], &char::from(Key::Home).to_string()))
        .await
        .unwrap();
    let delete: String = std::iter::repeat_n(char::from(Key::Delete), 5).collect();
    content.send_keys(&delete).await.unwrap();
    content.send_keys("// reviewed in e2e ").await.unwrap();
    h.poll("the error to clear", || async {
        h.texts("#problems .problem.error")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    h.click("#commit-btn").await;
    let message = "tighten after review (e2e)";
    h.wait_for("#commit-message")
        .await
        .send_keys(message)
        .await
        .unwrap();
    h.poll("the commit button to be enabled", || async {
        let b = h.wait_for("#commit-confirm").await;
        b.is_enabled().await.unwrap().then_some(())
    })
    .await;
    // The dialog shows what the commit changes, as a unified diff of the file.
    let diff = h
        .poll("the commit diff", || async {
            let t = h
                .texts(&format!("#commit-diff pre[data-path='{edited}']"))
                .await;
            t.first()
                .filter(|t| t.contains("+// reviewed in e2e"))
                .cloned()
        })
        .await;
    assert!(diff.contains(&format!("--- a/{edited}")), "{diff}");
    assert!(
        diff.lines()
            .any(|l| l.starts_with('-') && !l.starts_with("---")),
        "{diff}"
    );
    h.screenshot("commit-dialog").await;
    h.click("#commit-confirm").await;
    let notice = h.wait_text("#commit-notice", "Committed version").await;
    assert!(notice.contains(message), "{notice}");
    // Still on the file that was edited, now in the new version.
    assert_eq!(
        h.attr(
            &format!("#file-tree button[data-path='{edited}']"),
            "aria-current"
        )
        .await
        .as_deref(),
        Some("true")
    );
    assert!(editor_text(&h).await.contains("// reviewed in e2e"));
    h.poll("the unsaved marker to go", || async {
        h.client
            .find_all(Locator::Css("#policies-dirty"))
            .await
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;

    h.click("#nav-versions").await;
    let newest = h
        .wait_text("#version-history tbody tr:first-child", message)
        .await;
    assert_eq!(h.texts("#version-history tbody tr").await.len(), 3);
    let listed = version_list(&writ, &ws);
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(listed[0].ends_with(message), "{listed:?}");
    let short = listed[0].split_whitespace().next().unwrap();
    assert!(newest.contains(short), "{newest} vs {short}");
    h.close().await;
}

/// (d) An old version opens read-only from the Versions view: typing
/// changes nothing until "Edit a copy"; opening another version over
/// unsaved edits asks first.
#[tokio::test(flavor = "multi_thread")]
async fn d_an_old_version_opens_read_only() {
    let Some(writ) = writ_cli() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("history.writ");
    let ids = make_workspace(&writ, &ws, ["old one", "new one"]);
    let Some(h) = Harness::start_with(&arg(&ws), &[]).await else {
        return;
    };
    h.click("#nav-versions").await;
    h.wait_text("#version-history tbody tr", "old one").await;
    // "Compare with parent" on the newest: the sample's v1 -> v2 changes,
    // the rewritten forbid among them, as `writ diff` pairs it.
    h.click("#version-history tbody tr:nth-child(1) .pick")
        .await;
    h.click("#compare-parent").await;
    let rewritten = "#parent-changes .textdiff[data-name='low-tier-no-production-changes'] pre";
    let diff = h.wait_for(rewritten).await.text().await.unwrap();
    assert!(diff.contains("-@id(\"low-tier-no-destructive\")"), "{diff}");
    // The first version has no parent to compare with.
    h.click("#version-history tbody tr:nth-child(2) .pick")
        .await;
    assert!(!h
        .wait_for("#compare-parent")
        .await
        .is_enabled()
        .await
        .unwrap());
    h.click("#open-in-editor").await;
    let banner = text(&h, "#readonly-banner").await;
    assert!(banner.contains(&ids[0]), "{banner}");
    h.wait_for(".cm-content").await;
    let selected = h
        .wait_for("#version-select")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(selected.starts_with(&ids[0]), "{selected} vs {}", ids[0]);
    h.poll("the editor to show the file", || async {
        (!editor_text(&h).await.trim().is_empty()).then_some(())
    })
    .await;
    let before = editor_text(&h).await;
    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    assert_eq!(
        content.attr("aria-readonly").await.unwrap().as_deref(),
        Some("true")
    );
    content.click().await.unwrap();
    let _ = content.send_keys("typed into a stored version").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(editor_text(&h).await, before, "a read-only text changed");
    // Nothing to commit on a stored version: the button is off, Ctrl+S too.
    assert!(!h.wait_for("#commit-btn").await.is_enabled().await.unwrap());
    press(&h, &chord(&[Key::Control], "s")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(h
        .client
        .find_all(Locator::Css("#commit-dialog"))
        .await
        .unwrap()
        .is_empty());
    assert!(h
        .client
        .find_all(Locator::Css("#policies-dirty"))
        .await
        .unwrap()
        .is_empty());
    assert!(!h.wait_for("#format-btn").await.is_enabled().await.unwrap());
    h.screenshot("version-read-only").await;

    // "Edit a copy": the same version becomes the base of edits.
    h.click("#edit-copy").await;
    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    content.click().await.unwrap();
    content.send_keys("x").await.unwrap();
    h.wait_for("#policies-dirty").await;
    assert_ne!(editor_text(&h).await, before);

    // Opening another version would drop the edit: asked first.
    h.click("#nav-versions").await;
    h.click("#version-history tbody tr:nth-child(1) .pick")
        .await;
    h.click("#open-in-editor").await;
    h.wait_for("#discard-dialog").await;
    h.click("#discard-cancel").await;
    h.click("#nav-policies").await;
    h.wait_for("#policies-dirty").await;
    h.click("#nav-versions").await;
    h.click("#version-history tbody tr:nth-child(1) .pick")
        .await;
    h.click("#open-in-editor").await;
    h.click("#discard-confirm").await;
    h.wait_text("#readonly-banner", &ids[1]).await;
    assert!(h
        .client
        .find_all(Locator::Css("#policies-dirty"))
        .await
        .unwrap()
        .is_empty());
    h.close().await;
}

/// (e) A badly indented policy is formatted (Ctrl+Shift+F) exactly as
/// `writ fmt` formats it; a syntax error is reported at its place.
#[tokio::test(flavor = "multi_thread")]
async fn e_format_a_badly_indented_policy() {
    let Some(writ) = writ_cli() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("fmt.writ");
    make_workspace(&writ, &ws, ["v1", "v2"]);
    let Some(h) = Harness::start_with(&arg(&ws), &[]).await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    open_policies(&h).await;
    let file = h
        .wait_for("#file-tree .file.active")
        .await
        .attr("data-path")
        .await
        .unwrap()
        .unwrap();
    assert!(file.ends_with(".cedar"), "{file}");

    let messy = "permit(principal ,action ,   resource)    when {   context.x  ==   1 };";
    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    content.click().await.unwrap();
    content
        .send_keys(&chord(&[Key::Control], "a"))
        .await
        .unwrap();
    content.send_keys(messy).await.unwrap();
    until_text(&h, messy).await;

    // What `writ fmt` makes of the same text.
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join("policies")).unwrap();
    let target = project.join("policies/p.cedar");
    std::fs::write(&target, messy).unwrap();
    cli(&writ, &["fmt".as_ref(), project.as_os_str()]);
    let expected = std::fs::read_to_string(&target).unwrap();
    assert_ne!(expected, messy);

    press(&h, &chord(&[Key::Control, Key::Shift], "f")).await;
    let want = expected.clone();
    until_text(&h, &want).await;
    h.screenshot("policies-formatted").await;

    // A syntax error: located, and the text stays as typed.
    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    content
        .send_keys(&chord(&[Key::Control], "a"))
        .await
        .unwrap();
    content.send_keys("permit(principal, action").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let typed = editor_text(&h).await;
    h.click("#format-btn").await;
    let err = text(&h, "#format-error").await;
    assert!(err.contains(&format!("{file}:1:")), "{err}");
    assert_eq!(editor_text(&h).await, typed);
    h.close().await;
}

/// Without an argument, a later start reopens the workspace used last (the
/// first start, with nothing remembered, makes the sample: see `app.rs`).
#[tokio::test(flavor = "multi_thread")]
async fn f_a_later_start_reopens_the_last_workspace() {
    let Some(writ) = writ_cli() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("last.writ");
    make_workspace(&writ, &ws, ["last v1", "last v2"]);
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let env = [("XDG_DATA_HOME", data.as_os_str())];

    let Some(h) = Harness::start_with(&arg(&ws), &env).await else {
        return;
    };
    h.wait_text("#workspace-path", "last.writ").await;
    h.close().await;

    let Some(h) = Harness::start_with(&[], &env).await else {
        return;
    };
    h.wait_text("#workspace-path", "last.writ").await;
    h.wait_text("#versions tbody tr", "last v2").await;
    assert!(!data.join("dev.writ.workbench/sample.writ").exists());
    h.close().await;
}

/// (g) Picking another version in the Policies view while a file has
/// unsaved edits asks first: "Keep editing" keeps the edit and the
/// version; "Discard edits" opens the other version with its stored text.
#[tokio::test(flavor = "multi_thread")]
async fn g_switching_version_over_unsaved_edits_asks_first() {
    let Some(h) = Harness::start().await else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    open_policies(&h).await;
    let select = h.wait_for("#version-select").await;
    let first = select.prop("value").await.unwrap().unwrap_or_default();
    let options = h
        .client
        .find_all(Locator::Css("#version-select option"))
        .await
        .unwrap();
    let mut other = String::new();
    for o in options {
        let v = o.attr("value").await.unwrap().unwrap_or_default();
        if v != first {
            other = v;
        }
    }
    assert!(!other.is_empty(), "the sample has two versions");

    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    content.click().await.unwrap();
    content
        .send_keys(&chord(&[Key::Control], &char::from(Key::Home).to_string()))
        .await
        .unwrap();
    content.send_keys("// unsaved ").await.unwrap();
    h.wait_for("#policies-dirty").await;
    let edited = editor_text(&h).await;
    assert!(edited.starts_with("// unsaved "), "{edited}");

    // Keep editing: same version, same text.
    select.select_by_value(&other).await.unwrap();
    h.wait_for("#switch-version-dialog").await;
    h.click("#switch-version-cancel").await;
    h.poll("the dialog to close", || async {
        h.client
            .find_all(Locator::Css("#switch-version-dialog"))
            .await
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;
    let select = h.wait_for("#version-select").await;
    assert_eq!(
        select.prop("value").await.unwrap().unwrap_or_default(),
        first
    );
    assert_eq!(editor_text(&h).await, edited);

    // Discard: the other version opens, no unsaved marker is left.
    select.select_by_value(&other).await.unwrap();
    h.click("#switch-version-confirm").await;
    h.poll("the other version without edits", || async {
        let now = editor_text(&h).await;
        let clean = h
            .client
            .find_all(Locator::Css("#policies-dirty"))
            .await
            .ok()?
            .is_empty();
        (clean && !now.starts_with("// unsaved ") && !now.is_empty()).then_some(())
    })
    .await;
    let select = h.wait_for("#version-select").await;
    assert_eq!(
        select.prop("value").await.unwrap().unwrap_or_default(),
        other
    );
    // The editor shows the other version's own text of the open file (the
    // sample's versions differ at the end of every policy file), not the
    // first one's. CodeMirror renders only the lines in view: go to the end
    // and compare the rendered tail.
    let file = h
        .wait_for(".editor")
        .await
        .attr("data-file")
        .await
        .unwrap()
        .unwrap_or_default();
    let content = h.client.find(Locator::Css(".cm-content")).await.unwrap();
    content.click().await.unwrap();
    content
        .send_keys(&chord(&[Key::Control], &char::from(Key::End).to_string()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tail = editor_text(&h).await;
    let options = h.texts("#version-select option").await;
    // The sample's versions are v2 (newest, listed first) and v1.
    let folder_of = |id: &str| {
        if options[0].contains(&id[..12]) {
            "v2"
        } else {
            "v1"
        }
    };
    let text_of = |folder: &str| {
        std::fs::read_to_string(
            writ_e2e::workspace_root()
                .join("sample-policies")
                .join(folder)
                .join(&file),
        )
        .unwrap()
    };
    let (want, was) = (text_of(folder_of(&other)), text_of(folder_of(&first)));
    assert!(tail.lines().count() > 3, "{tail}");
    assert!(
        want.ends_with(&tail),
        "{file} does not end as {}'s:\n{tail}",
        folder_of(&other)
    );
    assert!(
        !was.ends_with(&tail),
        "{file} still ends as {}'s",
        folder_of(&first)
    );
    h.close().await;
}
