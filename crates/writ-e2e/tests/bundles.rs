//! The Bundles view: exporting a signed bundle of an approved version in
//! the real window (the key and the target answered through the scripted
//! dialogs), refused for a version that is not approved, a cancelled
//! dialog exporting nothing, and the bundle the app wrote accepted by the
//! real `writ bundle verify`, its digest the one the view lists.

use fantoccini::Locator;
use std::path::Path;
use writ_e2e::{writ_cli, Harness};

fn run(writ: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(writ)
        .args(args)
        .current_dir(dir)
        .env_remove("WRIT_WORKSPACE")
        .output()
        .unwrap()
}

fn ok(writ: &Path, dir: &Path, args: &[&str]) -> String {
    let out = run(writ, dir, args);
    assert!(out.status.success(), "writ {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

async fn pick_version(h: &Harness, id: &str) {
    h.client
        .find(Locator::Css("#bundle-version"))
        .await
        .unwrap()
        .select_by_value(id)
        .await
        .unwrap();
}

async fn text_of(h: &Harness, css: &str, want: &str) -> String {
    h.poll(&format!("{css} to contain `{want}`"), || async {
        let t = h
            .client
            .find(Locator::Css(css))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        t.contains(want).then_some(t)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_version_is_exported_as_a_bundle_the_cli_verifies() {
    let Some(writ) = writ_cli() else {
        return;
    };
    // A sample workspace with v1 approved (by bob; alice wrote it), v2 a
    // draft, and a signing key.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w = ["--workspace", "s.writ"];
    ok(&writ, d, &["init", "--sample", "s.writ", "--as", "alice"]);
    let list = ok(&writ, d, &[w[0], w[1], "version", "list"]);
    let ids: Vec<String> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let (v2, v1) = (ids[0].clone(), ids[1].clone());
    // Each signs with the demo approver key `init --sample` wrote for them.
    ok(
        &writ,
        d,
        &[w[0], w[1], "review", &v1, "--key", "s.writ.keys/alice.pem"],
    );
    ok(
        &writ,
        d,
        &[w[0], w[1], "approve", &v1, "--key", "s.writ.keys/bob.pem"],
    );
    ok(
        &writ,
        d,
        &[
            w[0], w[1], "--as", "alice", "key", "generate", "--out", "release",
        ],
    );
    let full = |v: &str| {
        ok(&writ, d, &[w[0], w[1], "version", "show", v])
            .lines()
            .find_map(|l| l.strip_prefix("version"))
            .unwrap()
            .trim()
            .to_string()
    };
    let (v1_full, v2_full) = (full(&v1), full(&v2));

    // Dialog answers: the first export is cancelled at the key; the second
    // chooses the key and the archive's path (the view adds `.tar.gz`).
    let answers = d.join("answers.txt");
    let out = d.join("v1-bundle");
    std::fs::write(
        &answers,
        format!("\n{}\n{}\n", d.join("release.pem").display(), out.display()),
    )
    .unwrap();
    let Some(h) = Harness::start_with(
        &[d.join("s.writ").display().to_string()],
        &[("WRIT_TEST_DIALOG_ANSWERS", answers.as_os_str())],
    )
    .await
    else {
        return;
    };
    h.wait_for("#versions tbody tr").await;
    h.click("#nav-bundles").await;
    h.wait_for("#bundle-history-empty").await;
    // Every control of the view has an accessible name.
    let unnamed = h
        .client
        .execute(
            r#"return Array.from(document.querySelectorAll('.bundles input, .bundles select, .bundles button'))
                .filter((el) => !((el.getAttribute('aria-label') || '').trim()
                    || (el.labels && Array.from(el.labels).map((l) => l.textContent).join('').trim())
                    || (el.tagName === 'BUTTON' && el.textContent.trim())))
                .map((el) => el.outerHTML.slice(0, 120));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unnamed, serde_json::json!([]), "unnamed controls");

    // v2 is a draft: refused before any dialog.
    pick_version(&h, &v2_full).await;
    h.click("#export-bundle").await;
    let err = text_of(&h, "#bundle-error", "not approved").await;
    assert!(err.contains(&v2[..12]), "{err}");

    // v1: the key dialog cancelled, nothing exported.
    pick_version(&h, &v1_full).await;
    h.click("#export-bundle").await;
    text_of(&h, "#bundle-notice", "Cancelled").await;
    assert!(h
        .client
        .find(Locator::Css("#bundle-history"))
        .await
        .is_err());

    // Then exported, archive, valid 30 days.
    h.click("#export-bundle").await;
    let notice = text_of(&h, "#bundle-notice", "Exported bundle 1").await;
    let row = h.wait_for("#bundle-history tr[data-bundle='1']").await;
    let row_text = row.text().await.unwrap();
    assert!(row_text.contains(&v1_full[..12]), "{row_text}");
    h.screenshot("bundles").await;

    // The CLI verifies what the app wrote, and agrees on the digest.
    let archive = d.join("v1-bundle.tar.gz");
    assert!(archive.is_file(), "{notice}");
    let verified = ok(
        &writ,
        d,
        &[
            "bundle",
            "verify",
            archive.to_str().unwrap(),
            "--trust",
            "release.pub.pem",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&verified).unwrap();
    assert_eq!(v["manifest"]["policy_version"], v1_full.as_str());
    let digest = v["digest"].as_str().unwrap();
    assert!(notice.contains(&digest[..16]), "{notice} vs {digest}");
    assert_eq!(v["manifest"]["approvals"][0]["approver"], "bob");
    assert!(v["manifest"]["expires"].is_string());
    let listed = ok(&writ, d, &[w[0], w[1], "bundle", "list"]);
    assert!(listed.contains(digest), "{listed}");
    h.close().await;
}
