//! Approver keys from the command line: `writ key generate --approver`,
//! `writ key revoke`, `writ key require-signatures`, and
//! `writ bundle verify --approvers --min-approvals` checking the signed
//! approvals a bundle carries, offline.

use crate::common::SampleWorkspace as Ws;
use crate::common::{exits, ok, stdout, writ_in};

fn key_id_in(list: &str, name: &str) -> String {
    list.lines()
        .find(|l| l.contains("approver") && l.split_whitespace().nth(2) == Some(name))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no approver {name} in {list}"))
        .to_string()
}

#[test]
fn approver_keys_are_registered_and_revoked_by_another_approver() {
    let ws = Ws::sample();
    // dan's key needs someone to vouch for it; without --by it is refused and
    // no key file is left behind.
    let err = exits(
        ws.by(
            "dan",
            &["key", "generate", "--approver", "dan", "--out", "dan"],
        ),
        1,
    );
    assert!(err.contains("--by"), "{err}");
    assert!(!ws.path("dan.pem").exists());
    let bob = ws.demo_key("bob");
    let out = ok(ws.by(
        "bob",
        &[
            "key",
            "generate",
            "--approver",
            "dan",
            "--out",
            "dan",
            "--by",
            bob.to_str().unwrap(),
        ],
    ));
    assert!(out.contains("registered as dan"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(ws.path("dan.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let list = ok(ws.by("bob", &["key", "list"]));
    let dan = key_id_in(&list, "dan");
    let bob_id = key_id_in(&list, "bob");
    assert!(list.contains(&format!("by key {bob_id}")), "{list}");
    // dan cannot revoke himself; carol can, and it is in the audit trail.
    let dan_key = ws.path("dan.pem");
    let err = exits(
        ws.by(
            "dan",
            &["key", "revoke", &dan, "--by", dan_key.to_str().unwrap()],
        ),
        1,
    );
    assert!(err.contains("cannot register or revoke itself"), "{err}");
    let carol = ws.demo_key("carol");
    ok(ws.by(
        "carol",
        &["key", "revoke", &dan, "--by", carol.to_str().unwrap()],
    ));
    let list = ok(ws.by("bob", &["key", "list"]));
    assert!(list.contains("revoked"), "{list}");
    let audit = ok(ws.by("bob", &["audit", "list"]));
    assert!(
        audit.contains("approver.revoke") && audit.contains(&dan),
        "{audit}"
    );
    // A revoked key signs no review step.
    let out = writ_in(
        ws.dir.path(),
        &[
            "--workspace",
            "s.writ",
            "review",
            &ws.v1,
            "--key",
            "dan.pem",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("was revoked"));
}

#[test]
fn bundle_verify_counts_the_approvals_signed_by_the_given_keys() {
    let ws = Ws::sample();
    ok(ws.by("alice", &["key", "generate", "--out", "release"]));
    ok(ws.by("alice", &["review", &ws.v1]));
    ok(ws.by("bob", &["approve", &ws.v1]));
    ok(ws.by("alice", &["review", &ws.v2]));
    ok(ws.by("bob", &["approve", &ws.v2]));
    ok(ws.by("carol", &["approve", &ws.v2]));
    ok(ws.by(
        "alice",
        &[
            "bundle",
            "export",
            &ws.v2,
            "--key",
            "release.pem",
            "--out",
            "b2",
        ],
    ));
    let pubs = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| format!("s.writ.keys/{n}.pub.pem"))
            .collect()
    };
    let verify = |approvers: &[&str], min: &str| {
        let mut args = vec![
            "bundle",
            "verify",
            "b2",
            "--trust",
            "release.pub.pem",
            "--approvers",
        ];
        let keys = pubs(approvers);
        args.extend(keys.iter().map(String::as_str));
        args.extend(["--min-approvals", min]);
        writ_in(ws.dir.path(), &args)
    };
    let out = ok(verify(&["alice", "bob", "carol"], "2"));
    assert!(
        out.contains("approved by bob") && out.contains("approved by carol"),
        "{out}"
    );
    assert!(out.contains("signature by key"), "{out}");
    // Alice wrote and submitted v2: her key never adds an approval.
    let err = exits(verify(&["alice", "bob", "carol"], "3"), 26);
    assert!(
        err.contains("2 approval(s) by the given approver keys, 3 required"),
        "{err}"
    );
    // A verifier who does not trust carol (say her key was revoked) sees one.
    let err = exits(verify(&["alice", "bob"], "2"), 26);
    assert!(err.contains("1 approval(s)"), "{err}");
    // Asking for no approval at all is refused as a usage error, not passed.
    let err = exits(verify(&["bob"], "0"), 2);
    assert!(err.contains("at least 1"), "{err}");
    // Without --approvers the bundle verifies as before.
    let plain = writ_in(
        ws.dir.path(),
        &["bundle", "verify", "b2", "--trust", "release.pub.pem"],
    );
    assert!(plain.status.success(), "{}", stdout(&plain));

    // --workspace-keys: the workspace's own signing and approver keys.
    let with_ws = |bundle: &str| {
        writ_in(
            ws.dir.path(),
            &[
                "--workspace",
                "s.writ",
                "bundle",
                "verify",
                bundle,
                "--workspace-keys",
            ],
        )
    };
    let out = ok(with_ws("b2"));
    assert!(
        out.contains("approved by bob") && out.contains("approved by carol"),
        "{out}"
    );
    // Once bob's and carol's keys are revoked, no approval counts: exit 26.
    let list = stdout(&ws.by("alice", &["key", "list"]));
    for who in ["bob", "carol"] {
        let id = key_id_in(&list, who);
        ok(ws.by(
            "alice",
            &["key", "revoke", &id, "--by", "s.writ.keys/alice.pem"],
        ));
    }
    exits(with_ws("b2"), 26);
    // Another workspace never registered the signing key: refused.
    ok(writ_in(ws.dir.path(), &["init", "other.writ"]));
    let other = writ_in(
        ws.dir.path(),
        &[
            "--workspace",
            "other.writ",
            "bundle",
            "verify",
            "b2",
            "--workspace-keys",
        ],
    );
    assert!(!other.status.success(), "{}", stdout(&other));
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("key"),
        "{other:?}"
    );
}

#[test]
fn a_legacy_workspace_is_told_how_to_require_signatures() {
    let ws = Ws::sample();
    rusqlite::Connection::open(&ws.file)
        .unwrap()
        .execute("DELETE FROM meta WHERE key = 'review_signatures'", [])
        .unwrap();
    let list = ok(ws.by("bob", &["key", "list"]));
    assert!(list.contains("unsigned (legacy workspace)"), "{list}");
    assert!(list.contains("writ key require-signatures"), "{list}");
    // Unsigned steps are accepted until signatures are required.
    let out = writ_in(
        ws.dir.path(),
        &["--workspace", "s.writ", "--as", "alice", "review", &ws.v1],
    );
    assert!(out.status.success());
    let bob = ws.demo_key("bob");
    let out = ok(ws.by(
        "bob",
        &["key", "require-signatures", "--by", bob.to_str().unwrap()],
    ));
    assert!(out.contains("must now be signed"), "{out}");
    let out = writ_in(
        ws.dir.path(),
        &["--workspace", "s.writ", "--as", "bob", "approve", &ws.v1],
    );
    assert_eq!(out.status.code(), Some(1));
    ok(ws.by("bob", &["approve", &ws.v1]));
}

#[test]
fn an_encrypted_approver_key_signs_only_with_its_passphrase() {
    let ws = Ws::sample();
    let run = |args: &[&str], passphrase: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_writ"));
        cmd.args(["--workspace", "s.writ"])
            .args(args)
            .current_dir(ws.dir.path())
            .env_remove("WRIT_KEY")
            .env_remove("WRIT_KEY_PASSPHRASE")
            .env_remove("WRIT_WORKSPACE");
        if let Some(p) = passphrase {
            cmd.env("WRIT_KEY_PASSPHRASE", p);
        }
        cmd.output().unwrap()
    };
    let bob = ws.demo_key("bob");
    let by = bob.to_str().unwrap();
    let gen = [
        "key",
        "generate",
        "--approver",
        "erin",
        "--out",
        "erin",
        "--by",
        by,
        "--encrypt",
    ];
    let short = run(&gen, Some("short"));
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("shorter than 12"));
    assert!(!ws.path("erin.pem").exists());
    ok(run(&gen, Some("a long passphrase")));
    let text = std::fs::read_to_string(ws.path("erin.pem")).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let review = ["review", &ws.v1, "--key", "erin.pem"];
    let err = exits(run(&review, None), 1);
    assert!(
        err.contains("passphrase-encrypted") && err.contains("WRIT_KEY_PASSPHRASE"),
        "{err}"
    );
    let err = exits(run(&review, Some("the wrong one")), 1);
    assert!(err.contains("does not decrypt"), "{err}");
    let out = ok(run(&review, Some("a long passphrase")));
    assert!(out.contains("submitted for review"), "{out}");
}
