//! End-to-end tests of `writ key` and `writ bundle` on temporary sample
//! workspaces, running the real `writ` binary (and OpenSSL as an
//! independent verifier when it is installed).

use base64::Engine as _;
use std::path::Path;
use std::process::Command;

use crate::common::SampleWorkspace as Ws;

/// The files of a `.tar.gz` bundle by name.
fn writ_bundle_files(path: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read as _;
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).expect("opens"));
    let mut archive = tar::Archive::new(gz);
    let mut out = std::collections::BTreeMap::new();
    for entry in archive.entries().expect("entries") {
        let mut e = entry.expect("entry");
        let name = e.path().expect("path").display().to_string();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).expect("reads");
        out.insert(name, bytes);
    }
    out
}
use crate::common::{both, copy_dir, exits, ok};

/// Whether the `openssl` command is there (the independent check); under
/// `CI` it must be.
fn has_openssl() -> bool {
    let there = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !there && std::env::var_os("CI").is_some() {
        panic!("openssl is missing; `apt-get install openssl` (.ci/run does)");
    }
    there
}

/// More commands on the sample workspace, run in its temporary folder.
impl Ws {
    /// v1 approved by bob, then v2 (which changes what critical agents may
    /// do) by bob and carol; alice is the author of both.
    fn approve_both(&self) {
        ok(self.by("alice", &["review", &self.v1]));
        ok(self.by("bob", &["approve", &self.v1]));
        ok(self.by("alice", &["review", &self.v2]));
        ok(self.by("bob", &["approve", &self.v2]));
        ok(self.by(
            "carol",
            &["approve", &self.v2, "--comment", "checked the diff"],
        ));
    }
}

#[test]
fn keys_are_generated_private_0600_registered_and_never_overwritten() {
    let ws = Ws::sample();
    let out = ok(ws.by("alice", &["key", "generate", "--out", "release"]));
    let key_id = out
        .lines()
        .find_map(|l| l.strip_prefix("key id"))
        .map(|l| l.trim().to_string())
        .expect("key id printed");
    assert_eq!(key_id.len(), 32, "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(ws.path("release.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let private = std::fs::read(ws.path("release.pem")).unwrap();
    assert!(private.starts_with(b"-----BEGIN PRIVATE KEY-----"));
    assert!(std::fs::read(ws.path("release.pub.pem"))
        .unwrap()
        .starts_with(b"-----BEGIN PUBLIC KEY-----"));
    // Refuses to overwrite; the key is unchanged.
    let err = exits(ws.by("alice", &["key", "generate", "--out", "release"]), 1);
    assert!(err.contains("exists already"), "{err}");
    assert_eq!(std::fs::read(ws.path("release.pem")).unwrap(), private);
    // Registered, with an audit event.
    let list = ok(ws.by("alice", &["key", "list"]));
    assert!(list.contains(&key_id), "{list}");
    assert_eq!(
        list.lines()
            .filter(|l| l.contains("bundle signing"))
            .count(),
        1,
        "{list}"
    );
    let audit = ok(ws.by("alice", &["audit", "list"]));
    assert!(
        audit.contains("key.register") && audit.contains(&key_id),
        "{audit}"
    );
    // The key id is the SHA-256 of the SPKI DER, first 16 bytes.
    if has_openssl() {
        let der = Command::new("openssl")
            .args(["pkey", "-pubin", "-outform", "DER", "-in"])
            .arg(ws.path("release.pub.pem"))
            .output()
            .unwrap();
        assert!(der.status.success());
        use std::fmt::Write as _;
        let digest = {
            let out = Command::new("openssl")
                .args(["dgst", "-sha256", "-binary"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write as _;
                    c.stdin.take().unwrap().write_all(&der.stdout)?;
                    c.wait_with_output()
                })
                .unwrap();
            out.stdout
        };
        let mut hex = String::new();
        for b in &digest[..16] {
            let _ = write!(hex, "{b:02x}");
        }
        assert_eq!(hex, key_id);
    }
}

/// The DSSE PAE bytes and the signature, rebuilt here from the envelope
/// (independently of writ-bundle).
fn pae_and_sig(bundle_dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let env: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle_dir.join("signature.dsse.json")).unwrap())
            .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let t = env["payloadType"].as_str().unwrap();
    assert_eq!(t, "application/vnd.writ.bundle-manifest+json");
    let body = b64.decode(env["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        std::fs::read(bundle_dir.join("manifest.json")).unwrap()
    );
    let mut pae = format!("DSSEv1 {} {} {} ", t.len(), t, body.len()).into_bytes();
    pae.extend_from_slice(&body);
    let sig = b64
        .decode(env["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    (pae, sig)
}

#[test]
fn an_approved_version_exports_as_a_signed_bundle_that_verifies() {
    let ws = Ws::sample();
    ok(ws.by("alice", &["key", "generate", "--out", "release"]));
    // `writ bundle export V2 --key release.pem --out OUT EXTRA...` as alice.
    let export = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "bundle",
            "export",
            &ws.v2,
            "--key",
            "release.pem",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        ws.by("alice", &args)
    };
    // Not approved yet: refused, nothing written.
    let err = exits(export("b", &[]), 1);
    assert!(err.contains("not approved"), "{err}");
    assert!(!ws.path("b").exists());
    ws.approve_both();

    // Two exports of the same version differ only in the sequence the
    // workspace hands out (1, then 2) and in the audit head their manifest
    // records (the first export's events come before the second): every
    // other file, and every other manifest field, is byte-identical.
    for out in ["one.tar.gz", "two.tar.gz"] {
        ok(export(out, &["--archive", "--expires-in", "30d"]));
    }
    let read = |name: &str| writ_bundle_files(&ws.path(name));
    let (one, two) = (read("one.tar.gz"), read("two.tar.gz"));
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &one {
        if name != "manifest.json" && name != "signature.dsse.json" {
            assert_eq!(bytes, &two[name], "{name}");
        }
    }
    let manifest = |files: &std::collections::BTreeMap<String, Vec<u8>>| -> serde_json::Value {
        serde_json::from_slice(&files["manifest.json"]).expect("manifest")
    };
    let (mut m1, mut m2) = (manifest(&one), manifest(&two));
    assert_eq!(
        (m1["sequence"].clone(), m2["sequence"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(m1["channel"], "prod");
    let count = |m: &serde_json::Value| m["audit"]["count"].as_u64().expect("audit count");
    assert!(count(&m1) < count(&m2), "{m1} {m2}");
    for m in [&mut m1, &mut m2] {
        m["sequence"] = 0.into();
        m["audit"] = serde_json::Value::Null;
    }
    assert_eq!(m1, m2);
    ok(export("dir", &["--expires-in", "30d"]));
    // Never overwrites.
    let err = exits(export("dir", &[]), 1);
    assert!(err.contains("exists already"), "{err}");

    // The folder holds exactly the six files; the manifest names the
    // version, its approvals and the key.
    let mut names: Vec<String> = std::fs::read_dir(ws.path("dir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "entities.json",
            "identities.json",
            "manifest.json",
            "policies.cedar",
            "schema.cedarschema",
            "signature.dsse.json"
        ]
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path("dir/manifest.json")).unwrap()).unwrap();
    assert!(manifest["policy_version"]
        .as_str()
        .unwrap()
        .starts_with(&ws.v2));
    let approvers: Vec<&str> = manifest["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["approver"].as_str().unwrap())
        .collect();
    assert_eq!(approvers, ["bob", "carol"]);
    // Created at the last approval, not at export time.
    let carol_at = manifest["approvals"][1]["at"].as_str().unwrap();
    assert_eq!(manifest["created"].as_str().unwrap(), carol_at);
    let policies = std::fs::read_to_string(ws.path("dir/policies.cedar")).unwrap();
    assert!(policies.contains("@id(\"low-tier-no-production-changes\")"));

    // writ verifies both forms.
    for p in ["dir", "one.tar.gz"] {
        let out = ok(ws.by(
            "alice",
            &["bundle", "verify", p, "--trust", "release.pub.pem"],
        ));
        assert!(
            out.contains("verified") && out.contains("approved by carol"),
            "{out}"
        );
    }
    let json = ok(ws.by(
        "alice",
        &[
            "bundle",
            "verify",
            "dir",
            "--trust",
            "release.pub.pem",
            "--json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["verified"], true);

    // OpenSSL verifies the signature over the PAE bytes.
    if has_openssl() {
        let (pae, sig) = pae_and_sig(&ws.path("dir"));
        std::fs::write(ws.path("pae.bin"), &pae).unwrap();
        std::fs::write(ws.path("sig.bin"), &sig).unwrap();
        let o = Command::new("openssl")
            .args([
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "release.pub.pem",
                "-rawin",
            ])
            .args(["-in", "pae.bin", "-sigfile", "sig.bin"])
            .current_dir(ws.path(""))
            .output()
            .unwrap();
        assert!(o.status.success(), "openssl: {}", both(&o));
    } else {
        eprintln!("openssl is not installed: the independent check was skipped");
    }

    // Recorded: three exports, audit events, the chain intact.
    let list = ok(ws.by("alice", &["bundle", "list"]));
    assert_eq!(list.lines().count(), 3, "{list}");
    let audit = ok(ws.by("alice", &["audit", "list"]));
    assert_eq!(audit.matches("bundle.export").count(), 3, "{audit}");
    ok(ws.by("alice", &["audit", "verify"]));
}

/// Builds a .tar.gz from raw entries (name bytes, data).
fn crafted_archive(path: &Path, entries: &[(&[u8], &[u8])]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, data) in entries {
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append(&h, *data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

#[test]
fn tampered_bundles_wrong_keys_and_expiry_fail_with_their_own_exit_codes() {
    let ws = Ws::sample();
    ok(ws.by("alice", &["key", "generate", "--out", "old"]));
    ok(ws.by("alice", &["key", "generate", "--out", "release"]));
    ws.approve_both();
    ok(ws.by(
        "alice",
        &[
            "bundle",
            "export",
            &ws.v2,
            "--key",
            "release.pem",
            "--out",
            "good",
            "--created",
            "2026-01-01T00:00:00Z",
            "--expires-in",
            "30d",
        ],
    ));
    let verify = |p: &str, extra: &[&str]| {
        let mut args = vec![
            "bundle",
            "verify",
            p,
            "--trust",
            "release.pub.pem",
            "--at",
            "2026-01-15T00:00:00Z",
        ];
        args.extend_from_slice(extra);
        ws.by("alice", &args)
    };
    ok(verify("good", &[]));

    // A flipped byte in each file.
    for (file, code, words) in [
        ("policies.cedar", 20, "was altered"),
        ("schema.cedarschema", 20, "was altered"),
        ("entities.json", 20, "was altered"),
        ("identities.json", 20, "was altered"),
        ("manifest.json", 19, "differs from the signed manifest"),
    ] {
        let name = format!("flip-{file}");
        copy_dir(&ws.path("good"), &ws.path(&name));
        let p = ws.path(&name).join(file);
        let mut bytes = std::fs::read(&p).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x20;
        std::fs::write(&p, bytes).unwrap();
        let err = exits(verify(&name, &[]), code);
        assert!(err.contains(words), "{file}: {err}");
    }
    // A signature byte flipped (inside the base64 of the signature).
    copy_dir(&ws.path("good"), &ws.path("flip-sig"));
    let p = ws.path("flip-sig/signature.dsse.json");
    let text = std::fs::read_to_string(&p).unwrap();
    let at = text.find("\"sig\": \"").unwrap() + 12;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&p, bytes).unwrap();
    let err = exits(verify("flip-sig", &[]), 18);
    assert!(err.contains("does not verify"), "{err}");

    // A file removed, a file added.
    copy_dir(&ws.path("good"), &ws.path("less"));
    std::fs::remove_file(ws.path("less/entities.json")).unwrap();
    let err = exits(verify("less", &[]), 13);
    assert!(
        err.contains("entities.json") && err.contains("missing"),
        "{err}"
    );
    copy_dir(&ws.path("good"), &ws.path("more"));
    std::fs::write(
        ws.path("more/extra.cedar"),
        "permit(principal, action, resource);",
    )
    .unwrap();
    let err = exits(verify("more", &[]), 14);
    assert!(err.contains("extra.cedar"), "{err}");

    // A wrong key; rotation: the old and the new key trusted together.
    let err = exits(
        ws.by(
            "alice",
            &[
                "bundle",
                "verify",
                "good",
                "--trust",
                "old.pub.pem",
                "--at",
                "2026-01-15T00:00:00Z",
            ],
        ),
        17,
    );
    assert!(err.contains("not among the trusted keys"), "{err}");
    ok(ws.by(
        "alice",
        &[
            "bundle",
            "verify",
            "good",
            "--trust",
            "old.pub.pem",
            "release.pub.pem",
            "--at",
            "2026-01-15T00:00:00Z",
        ],
    ));

    // Expired.
    let err = exits(
        ws.by(
            "alice",
            &[
                "bundle",
                "verify",
                "good",
                "--trust",
                "release.pub.pem",
                "--at",
                "2026-03-01T00:00:00Z",
            ],
        ),
        21,
    );
    assert!(err.contains("expired"), "{err}");

    // Archives with `..` or an absolute path.
    let good: Vec<(String, Vec<u8>)> = std::fs::read_dir(ws.path("good"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    for (label, evil) in [
        ("dotdot", &b"../escaped.cedar"[..]),
        ("absolute", &b"/tmp/writ-escaped.cedar"[..]),
    ] {
        let mut entries: Vec<(&[u8], &[u8])> = good
            .iter()
            .map(|(n, d)| (n.as_bytes(), d.as_slice()))
            .collect();
        entries.insert(1, (evil, b"permit(principal, action, resource);"));
        let name = format!("{label}.tar.gz");
        crafted_archive(&ws.path(&name), &entries);
        let err = exits(verify(&name, &[]), 11);
        assert!(err.contains("unsafe entry"), "{label}: {err}");
    }
    assert!(!ws
        .dir
        .path()
        .parent()
        .unwrap()
        .join("escaped.cedar")
        .exists());
    assert!(!Path::new("/tmp/writ-escaped.cedar").exists());
    // The same writer with only the good entries verifies.
    let entries: Vec<(&[u8], &[u8])> = good
        .iter()
        .map(|(n, d)| (n.as_bytes(), d.as_slice()))
        .collect();
    crafted_archive(&ws.path("crafted-good.tar.gz"), &entries);
    ok(verify("crafted-good.tar.gz", &[]));
}

#[test]
fn a_key_made_by_openssl_signs_a_bundle_writ_and_openssl_accept() {
    if !has_openssl() {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let ws = Ws::sample();
    let run = |args: &[&str]| {
        let o = Command::new("openssl")
            .args(args)
            .current_dir(ws.dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "openssl {args:?}: {}", both(&o));
    };
    run(&["genpkey", "-algorithm", "ed25519", "-out", "ossl.pem"]);
    run(&["pkey", "-in", "ossl.pem", "-pubout", "-out", "ossl.pub.pem"]);
    ok(ws.by("alice", &["key", "add", "ossl.pub.pem"]));
    ws.approve_both();
    ok(ws.by(
        "alice",
        &[
            "bundle", "export", &ws.v1, "--key", "ossl.pem", "--out", "b",
        ],
    ));
    ok(ws.by(
        "alice",
        &["bundle", "verify", "b", "--trust", "ossl.pub.pem"],
    ));
    let (pae, sig) = pae_and_sig(&ws.path("b"));
    std::fs::write(ws.path("pae.bin"), &pae).unwrap();
    std::fs::write(ws.path("sig.bin"), &sig).unwrap();
    run(&[
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        "ossl.pub.pem",
        "-rawin",
        "-in",
        "pae.bin",
        "-sigfile",
        "sig.bin",
    ]);
}
