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

/// Keys and verification in the app: a signing key generated and
/// registered (both files written, the private one mode 0600, the CLI
/// lists it), a bundle exported with it verified against the workspace's
/// keys (its version and bob's signed approval shown), a damaged copy
/// refused with the exit code `writ bundle verify` gives it, and a public
/// key made by OpenSSL registered.
#[tokio::test(flavor = "multi_thread")]
async fn keys_are_made_in_the_app_and_bundles_verified_against_them() {
    let Some(writ) = writ_cli() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w = ["--workspace", "s.writ"];
    ok(&writ, d, &["init", "--sample", "s.writ", "--as", "alice"]);
    let list = ok(&writ, d, &[w[0], w[1], "version", "list"]);
    let v1 = list
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
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
    let v1_full = ok(&writ, d, &[w[0], w[1], "version", "show", &v1])
        .lines()
        .find_map(|l| l.strip_prefix("version"))
        .unwrap()
        .trim()
        .to_string();
    // A public key made elsewhere, by OpenSSL.
    let openssl = |args: &[&str]| {
        let o = std::process::Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output();
        o.map(|o| o.status.success()).unwrap_or(false)
    };
    let have_openssl = openssl(&["genpkey", "-algorithm", "ed25519", "-out", "partner.pem"])
        && openssl(&[
            "pkey",
            "-in",
            "partner.pem",
            "-pubout",
            "-out",
            "partner.pub.pem",
        ]);

    let answers = d.join("answers.txt");
    let mut script = vec![
        d.join("app-key.pem"), // Generate: where the key goes
        d.join("app-key.pem"), // Export: the signing key
        d.join("b1"),          // Export: the archive
        d.join("b1.tar.gz"),   // Verify an archive
        d.join("bad.tar.gz"),  // Verify the damaged copy
    ];
    if have_openssl {
        script.push(d.join("partner.pub.pem")); // Register a public key
    }
    let text: String = script
        .iter()
        .map(|p| format!("{}\n", p.display()))
        .collect();
    std::fs::write(&answers, text).unwrap();
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
    h.wait_for("#bundle-keys-empty").await;

    h.click("#generate-key").await;
    let notice = text_of(&h, "#key-notice", "Generated key").await;
    let key_id = notice
        .split_whitespace()
        .nth(2)
        .map(|t| t.trim_end_matches(':').to_string())
        .unwrap();
    h.wait_for(&format!("#bundle-keys tr[data-key='{key_id}']"))
        .await;
    let private = d.join("app-key.pem");
    assert!(d.join("app-key.pub.pem").is_file());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the private key is readable by its owner only");
    }
    let keys = ok(&writ, d, &[w[0], w[1], "key", "list"]);
    assert!(keys.contains(&key_id), "{keys}");

    pick_version(&h, &v1_full).await;
    h.click("#export-bundle").await;
    text_of(&h, "#bundle-notice", "Exported bundle 1").await;
    assert!(d.join("b1.tar.gz").is_file());

    h.click("#verify-archive").await;
    h.wait_for("#bundle-check[data-verified='true']").await;
    assert_eq!(h.texts("#check-version").await, vec![v1_full.clone()]);
    let approvals = h.texts("#check-approvals").await.join(" ");
    assert!(approvals.contains("bob"), "{approvals}");
    h.screenshot("bundles-verified").await;

    // A damaged copy: refused, with the CLI's exit code for it.
    let mut bytes = std::fs::read(d.join("b1.tar.gz")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(d.join("bad.tar.gz"), &bytes).unwrap();
    let cli = run(
        &writ,
        d,
        &[
            w[0],
            w[1],
            "bundle",
            "verify",
            "bad.tar.gz",
            "--workspace-keys",
        ],
    );
    assert!(!cli.status.success());
    let code = cli.status.code().unwrap().to_string();
    h.click("#verify-archive").await;
    let refused = h.wait_for("#bundle-check[data-verified='false']").await;
    assert_eq!(refused.attr("data-exit").await.unwrap(), Some(code));
    assert!(h.texts("#check-problem").await[0].contains("bad.tar.gz"));

    if have_openssl {
        h.click("#register-key").await;
        let notice = text_of(&h, "#key-notice", "Registered key").await;
        let id = notice.split_whitespace().nth(2).unwrap().to_string();
        h.wait_for(&format!("#bundle-keys tr[data-key='{id}']"))
            .await;
        let keys = ok(&writ, d, &[w[0], w[1], "key", "list"]);
        assert!(keys.contains(&id), "{keys}");
    } else {
        println!("skipped: registering an OpenSSL key (openssl is not installed)");
    }
    h.close().await;
}
