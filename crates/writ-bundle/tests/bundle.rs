//! Bundles end to end at the library level: determinism, verification, an
//! independent check with OpenSSL, and every tampering rejected with its
//! own error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use time::macros::datetime;
use writ_bundle::bundle::{self, Approval, Bundle, TrustedKey};
use writ_bundle::dsse::{self, Envelope};
use writ_bundle::keys;
use writ_bundle::VerifyError;

fn sample_project() -> writ_core::project::Project {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-policies/v2");
    let report = writ_core::project::check_project(&root, writ_core::project::today_utc());
    report.project.expect("the sample v2 checks cleanly")
}

pub(crate) fn inputs(expires: Option<&str>) -> bundle::BundleInputs {
    bundle::inputs_from_project(
        "8d7b576e00000000000000000000000000000000000000000000000000000000",
        &sample_project(),
        vec![Approval {
            approver: "bob".into(),
            at: "2026-11-30T10:00:00.000Z".into(),
            comment: Some("looks right".into()),
        }],
        "2026-11-30T10:00:00.000Z",
        expires.map(str::to_string),
    )
}

fn fixed_key(byte: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[byte; 32])
}

fn trusted(key: &ed25519_dalek::SigningKey) -> Vec<TrustedKey> {
    vec![TrustedKey::new(key.verifying_key())]
}

const AT: time::OffsetDateTime = datetime!(2026-12-01 00:00 UTC);

/// Whether the `openssl` command is there (the independent check); under
/// `CI` it must be.
pub(crate) fn has_openssl() -> bool {
    let there = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !there && std::env::var_os("CI").is_some() {
        panic!("openssl is missing; `apt-get install openssl` (.ci/run does)");
    }
    there
}

#[test]
fn the_same_inputs_give_byte_identical_bundles() {
    let key = fixed_key(7);
    let a = bundle::build(&inputs(Some("2026-12-30T10:00:00.000Z")), &key).unwrap();
    let b = bundle::build(&inputs(Some("2026-12-30T10:00:00.000Z")), &key).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.archive_bytes(), b.archive_bytes());
    let names: Vec<&str> = a.files.keys().map(String::as_str).collect();
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
    // The identity map names every declared workload identity, sorted.
    let ids: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&a.files["identities.json"]).unwrap();
    assert!(!ids.is_empty());
    for (k, v) in &ids {
        assert!(k.starts_with("spiffe://") || k.starts_with("oidc:"), "{k}");
        assert!(!v.is_empty());
    }
    // Bundles without the identity map (made before it existed) verify.
    let mut old = inputs(Some("2026-12-30T10:00:00.000Z"));
    old.identities = None;
    let old = bundle::build(&old, &key).unwrap();
    assert!(!old.files.contains_key("identities.json"));
    bundle::verify(&old, &trusted(&key), AT).unwrap();
    // Different inputs, different bundle.
    let c = bundle::build(&inputs(None), &key).unwrap();
    assert_ne!(a.files["manifest.json"], c.files["manifest.json"]);
    // On disk too: two archives and two folders, byte for byte.
    let dir = tempfile::tempdir().unwrap();
    for n in ["one", "two"] {
        a.write_archive(&dir.path().join(format!("{n}.tar.gz")))
            .unwrap();
        a.write_dir(&dir.path().join(n)).unwrap();
    }
    assert_eq!(
        std::fs::read(dir.path().join("one.tar.gz")).unwrap(),
        std::fs::read(dir.path().join("two.tar.gz")).unwrap()
    );
    for name in a.files.keys() {
        assert_eq!(
            std::fs::read(dir.path().join("one").join(name)).unwrap(),
            std::fs::read(dir.path().join("two").join(name)).unwrap()
        );
    }
    // Refuses to overwrite.
    assert!(a.write_archive(&dir.path().join("one.tar.gz")).is_err());
    assert!(a.write_dir(&dir.path().join("one")).is_err());
}

#[test]
fn the_bundle_holds_what_the_manifest_says() {
    let key = fixed_key(7);
    let b = bundle::build(&inputs(Some("2026-12-30T10:00:00.000Z")), &key).unwrap();
    let v = bundle::verify(&b, &trusted(&key), AT).unwrap();
    let m = &v.manifest;
    assert_eq!(m.format, bundle::FORMAT);
    assert_eq!(m.key_id, keys::key_id(&key.verifying_key()));
    assert_eq!(m.key_id.len(), 32);
    assert_eq!(m.approvals[0].approver, "bob");
    assert_eq!(m.created, "2026-11-30T10:00:00.000Z");
    let policies = String::from_utf8(b.files["policies.cedar"].clone()).unwrap();
    let project = sample_project();
    for p in &project.policies.policies {
        assert!(
            policies.contains(&format!("@id(\"{}\")", p.id)),
            "policy {} is in the bundle with its @id",
            p.id
        );
    }
    // The bundled policies parse as Cedar and hold every policy.
    let set: cedar_policy::PolicySet = policies.parse().unwrap();
    assert_eq!(set.policies().count(), project.policies.policies.len());
    let entities: serde_json::Value = serde_json::from_slice(&b.files["entities.json"]).unwrap();
    assert_eq!(
        entities.as_array().unwrap().len(),
        project.inventory.team.len() + project.inventory.agent.len() + project.inventory.tool.len()
    );
    for (name, hash) in &m.files {
        assert_eq!(&writ_base::sha256_hex(&b.files[name]), hash);
    }
    // The envelope's payload is manifest.json, byte for byte.
    let env: Envelope = serde_json::from_slice(&b.files["signature.dsse.json"]).unwrap();
    assert_eq!(env.payload_type, dsse::PAYLOAD_TYPE);
    assert_eq!(env.payload_bytes().unwrap(), b.files["manifest.json"]);
}

#[test]
fn dsse_pae_matches_the_specification() {
    assert_eq!(
        dsse::pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
    );
}

#[test]
fn folders_and_archives_read_back_and_verify() {
    let key = fixed_key(9);
    let b = bundle::build(&inputs(None), &key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    b.write_dir(&dir.path().join("b")).unwrap();
    b.write_archive(&dir.path().join("b.tar.gz")).unwrap();
    for p in ["b", "b.tar.gz"] {
        let read = bundle::read(&dir.path().join(p)).unwrap();
        assert_eq!(read, b);
        bundle::verify(&read, &trusted(&key), AT).unwrap();
    }
}

/// `openssl pkeyutl -verify -rawin` of `sig` (raw Ed25519 signature bytes)
/// over `data` with the public key file `public`, the files written into
/// `dir`: whether OpenSSL accepts it, and what it printed.
pub(crate) fn openssl_verifies(
    dir: &Path,
    public: &Path,
    data: &[u8],
    sig: &[u8],
) -> (bool, String) {
    std::fs::write(dir.join("data.bin"), data).unwrap();
    std::fs::write(dir.join("sig.bin"), sig).unwrap();
    let out = Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
        .arg(public)
        .args(["-rawin", "-in", "data.bin", "-sigfile", "sig.bin"])
        .current_dir(dir)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn openssl_verifies_the_signature_over_the_pae_bytes() {
    if !has_openssl() {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = keys::generate_files(&dir.path().join("release")).unwrap();
    let key = keys::read_private(&files.private).unwrap();
    let b = bundle::build(&inputs(None), &key).unwrap();
    let env: Envelope = serde_json::from_slice(&b.files["signature.dsse.json"]).unwrap();
    use base64::Engine as _;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&env.signatures[0].sig)
        .unwrap();
    let pae = dsse::pae(&env.payload_type, &env.payload_bytes().unwrap());
    let (ok, said) = openssl_verifies(dir.path(), &files.public, &pae, &sig);
    assert!(ok, "openssl: {said}");
    // And it does fail on other bytes, so the check means something.
    let mut other = pae.clone();
    other[10] ^= 1;
    assert!(!openssl_verifies(dir.path(), &files.public, &other, &sig).0);
    // OpenSSL reads our public key and derives the same key id.
    let der = Command::new("openssl")
        .args(["pkey", "-pubin", "-outform", "DER", "-in"])
        .arg(&files.public)
        .output()
        .unwrap();
    assert!(der.status.success());
    assert_eq!(
        &writ_base::sha256_hex(&der.stdout)[..32],
        files.key_id.as_str()
    );
}

#[test]
fn a_key_made_by_openssl_signs_a_bundle_writ_verifies() {
    if !has_openssl() {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("ossl.pem");
    let public = dir.path().join("ossl.pub.pem");
    assert!(Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&private)
        .status()
        .unwrap()
        .success());
    assert!(Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&public)
        .status()
        .unwrap()
        .success());
    let key = keys::read_private(&private).unwrap();
    let b = bundle::build(&inputs(None), &key).unwrap();
    let trust = bundle::read_trusted(&[public]).unwrap();
    let v = bundle::verify(&b, &trust, AT).unwrap();
    assert_eq!(v.key_id, keys::key_id(&key.verifying_key()));
}

#[cfg(unix)]
#[test]
fn generated_private_keys_are_mode_0600_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("k");
    let files = keys::generate_files(&name).unwrap();
    let mode = std::fs::metadata(&files.private)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&files.private).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"));
    let public = std::fs::read_to_string(&files.public).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    let before = std::fs::read(&files.private).unwrap();
    assert!(matches!(
        keys::generate_files(&name),
        Err(writ_bundle::BundleError::Exists(_))
    ));
    assert_eq!(std::fs::read(&files.private).unwrap(), before);
    // Only the public file exists: still refused, nothing written.
    std::fs::remove_file(&files.private).unwrap();
    assert!(keys::generate_files(&name).is_err());
    assert!(!files.private.exists());
    // Two keys differ.
    let other = keys::generate_files(&dir.path().join("k2")).unwrap();
    assert_ne!(other.key_id, files.key_id);
}

fn kind(e: &VerifyError) -> &'static str {
    match e {
        VerifyError::Unreadable { .. } => "unreadable",
        VerifyError::UnsafeEntry { .. } => "unsafe",
        VerifyError::TooLarge(_) => "too-large",
        VerifyError::MissingFile(_) => "missing",
        VerifyError::ExtraFile(_) => "extra",
        VerifyError::Malformed { .. } => "malformed",
        VerifyError::WrongPayloadType { .. } => "payload-type",
        VerifyError::UntrustedKey { .. } => "untrusted",
        VerifyError::BadSignature { .. } => "bad-signature",
        VerifyError::ManifestMismatch => "manifest-mismatch",
        VerifyError::HashMismatch { .. } => "hash",
        VerifyError::Expired { .. } => "expired",
        VerifyError::NotYetValid { .. } => "not-yet-valid",
        VerifyError::UnsupportedFormat(_) => "format",
        VerifyError::Channel { .. } => "channel",
        VerifyError::Rollback { .. } => "rollback",
        VerifyError::Approvals(_) => "approvals",
    }
}

/// A `.tar.gz` (made with the system's gzip, fast) whose first entry is an
/// extension header of `size` bytes of zeros.
fn huge_extension_header(path: &Path, ty: tar::EntryType, size: u64) {
    use std::io::Write as _;
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(ty);
    h.set_size(size);
    h.set_mode(0o644);
    let _ = h.set_path("././@LongLink");
    h.set_cksum();
    let mut gz = Command::new("gzip")
        .arg("-1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::fs::File::create(path).expect("creates"))
        .spawn()
        .expect("gzip runs");
    let mut input = gz.stdin.take().expect("stdin");
    input.write_all(h.as_bytes()).expect("header");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..size.div_ceil(1 << 20) {
        input.write_all(&zeros).expect("zeros");
    }
    drop(input);
    assert!(gz.wait().expect("gzip ends").success());
}

#[test]
fn oversized_archive_extension_headers_are_refused_before_they_are_read() {
    if Command::new("gzip").arg("--version").output().is_err() {
        eprintln!("skipped: no gzip on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, ty) in [
        ("longname.tar.gz", tar::EntryType::GNULongName),
        ("pax.tar.gz", tar::EntryType::XHeader),
    ] {
        let path = dir.path().join(name);
        huge_extension_header(&path, ty, 256 << 20);
        assert!(std::fs::metadata(&path).unwrap().len() < 2 << 20);
        let started = std::time::Instant::now();
        let err = bundle::read(&path).expect_err("refused");
        assert_eq!(kind(&err), "too-large", "{name}: {err}");
        assert!(err.to_string().contains("extension header"), "{err}");
        assert_eq!(err.exit_code(), 12);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{name}: took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn format_two_signs_channel_sequence_and_audit_and_channel_checks_apply() {
    let key = fixed_key(7);
    let mut i = inputs(Some("2026-12-30T10:00:00.000Z"));
    i.channel = Some("prod".into());
    i.sequence = Some(7);
    i.audit = Some(bundle::AuditMark {
        head: "ab".repeat(32),
        count: 12,
    });
    let b = bundle::build(&i, &key).unwrap();
    let v = bundle::verify(&b, &trusted(&key), AT).unwrap();
    assert_eq!(v.manifest.format, 2);
    assert_eq!(v.manifest.channel.as_deref(), Some("prod"));
    assert_eq!(v.manifest.sequence, Some(7));
    assert_eq!(v.manifest.audit.as_ref().map(|a| a.count), Some(12));
    let want = |channel: &str, min: Option<u64>| bundle::ChannelExpectation {
        channel: channel.into(),
        min_sequence: min,
    };
    bundle::check_channel(&v.manifest, &want("prod", Some(7))).expect("ok");
    assert_eq!(
        bundle::check_channel(&v.manifest, &want("prod", Some(8)))
            .unwrap_err()
            .exit_code(),
        25
    );
    assert_eq!(
        bundle::check_channel(&v.manifest, &want("staging", None))
            .unwrap_err()
            .exit_code(),
        24
    );
    // Without a sequence: refused for a channel.
    let mut i = inputs(Some("2026-12-30T10:00:00.000Z"));
    i.channel = Some("prod".into());
    let b = bundle::build(&i, &key).unwrap();
    let v = bundle::verify(&b, &trusted(&key), AT).unwrap();
    assert_eq!(
        bundle::check_channel(&v.manifest, &want("prod", None))
            .unwrap_err()
            .exit_code(),
        24
    );
    // Bad channel names are refused when building.
    let mut i = inputs(None);
    i.channel = Some("Prod!".into());
    assert!(bundle::build(&i, &key).is_err());
}

#[test]
fn flipping_any_byte_of_any_file_is_rejected() {
    let key = fixed_key(3);
    let b = bundle::build(&inputs(None), &key).unwrap();
    let trust = trusted(&key);
    for (name, bytes) in &b.files {
        let mut seen = BTreeSet::new();
        // Every byte of the small files; of the larger ones the first, the
        // last and about 150 spread between (each check verifies Ed25519,
        // slow in debug builds).
        let step = (bytes.len() / 150).max(1);
        let positions: BTreeSet<usize> = (0..bytes.len())
            .step_by(step)
            .chain([bytes.len() - 1])
            .collect();
        for i in positions {
            let mut t = b.clone();
            t.files.get_mut(name).unwrap()[i] ^= 0x01;
            let e = bundle::verify(&t, &trust, AT)
                .err()
                .unwrap_or_else(|| panic!("flipping byte {i} of {name} went unnoticed"));
            seen.insert(kind(&e));
        }
        let expected: &[&str] = match name.as_str() {
            "manifest.json" => &["manifest-mismatch"],
            "signature.dsse.json" => &["malformed", "payload-type", "untrusted", "bad-signature"],
            _ => &["hash"],
        };
        assert!(
            seen.iter().all(|k| expected.contains(k)),
            "{name}: {seen:?}"
        );
        if name == "signature.dsse.json" {
            assert!(
                seen.contains("bad-signature") && seen.contains("untrusted"),
                "{seen:?}"
            );
        }
    }
}

#[test]
fn missing_extra_wrong_key_and_expiry_each_have_their_own_error() {
    let key = fixed_key(3);
    let b = bundle::build(&inputs(Some("2026-12-30T10:00:00.000Z")), &key).unwrap();
    let trust = trusted(&key);
    let mut codes = BTreeSet::new();
    let mut check = |r: Result<bundle::Verified, VerifyError>, want: &str| {
        let e = r.err().unwrap_or_else(|| panic!("expected {want}"));
        assert_eq!(kind(&e), want, "{e}");
        codes.insert((want.to_string(), e.exit_code()));
        e
    };
    for name in b.files.keys() {
        let mut t = b.clone();
        t.files.remove(name);
        let e = check(bundle::verify(&t, &trust, AT), "missing");
        assert!(e.to_string().contains(name.as_str()));
    }
    let mut t = b.clone();
    t.files.insert(
        "extra.cedar".into(),
        b"permit(principal, action, resource);".to_vec(),
    );
    check(bundle::verify(&t, &trust, AT), "extra");
    // A wrong key: untrusted. Rotation: the right key among others is fine.
    let other = fixed_key(4);
    check(bundle::verify(&b, &trusted(&other), AT), "untrusted");
    let both = [trusted(&other), trust.clone()].concat();
    bundle::verify(&b, &both, AT).unwrap();
    // A signature naming a trusted key's id that the key did not make.
    let mut env: Envelope = serde_json::from_slice(&b.files["signature.dsse.json"]).unwrap();
    env.signatures[0].keyid = keys::key_id(&other.verifying_key());
    let mut t = b.clone();
    t.files.insert(
        "signature.dsse.json".into(),
        serde_json::to_vec(&env).unwrap(),
    );
    check(bundle::verify(&t, &both, AT), "bad-signature");
    // Another payload type, even correctly signed, is refused.
    let body = b.files["manifest.json"].clone();
    let mut env = dsse::sign(&body, &key);
    env.payload_type = "application/vnd.in-toto+json".into();
    let mut t = b.clone();
    t.files.insert(
        "signature.dsse.json".into(),
        serde_json::to_vec(&env).unwrap(),
    );
    check(bundle::verify(&t, &trust, AT), "payload-type");
    // Expired, and not valid yet.
    check(
        bundle::verify(&b, &trust, datetime!(2026-12-30 10:00 UTC)),
        "expired",
    );
    bundle::verify(&b, &trust, datetime!(2026-12-30 09:59:59 UTC)).unwrap();
    check(
        bundle::verify(&b, &trust, datetime!(2026-11-30 09:00 UTC)),
        "not-yet-valid",
    );
    // Each kind its own exit code.
    let exit: BTreeSet<u8> = codes.iter().map(|c| c.1).collect();
    assert_eq!(exit.len(), codes.len(), "{codes:?}");
}

/// Builds a .tar.gz whose entries are given raw: name bytes, type, data.
fn crafted_archive(path: &Path, entries: &[(&[u8], tar::EntryType, &[u8])]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, ty, data) in entries {
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_entry_type(*ty);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        if *ty == tar::EntryType::Symlink {
            h.set_link_name("/etc/passwd").unwrap();
        }
        h.set_cksum();
        tar.append(&h, *data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn good_entries(b: &Bundle) -> Vec<(Vec<u8>, Vec<u8>)> {
    b.files
        .iter()
        .map(|(n, d)| (n.as_bytes().to_vec(), d.clone()))
        .collect()
}

#[test]
fn unsafe_archive_entries_are_refused_before_anything_is_written() {
    let key = fixed_key(5);
    let b = bundle::build(&inputs(None), &key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = good_entries(&b);
    let cases: Vec<(&str, Vec<u8>, tar::EntryType)> = vec![
        ("dotdot", b"../evil.cedar".to_vec(), tar::EntryType::Regular),
        (
            "dotdot-inner",
            b"x/../../evil".to_vec(),
            tar::EntryType::Regular,
        ),
        (
            "absolute",
            b"/tmp/writ-evil".to_vec(),
            tar::EntryType::Regular,
        ),
        (
            "nested",
            b"sub/policies.cedar".to_vec(),
            tar::EntryType::Regular,
        ),
        ("symlink", b"link".to_vec(), tar::EntryType::Symlink),
        ("hardlink", b"hard".to_vec(), tar::EntryType::Link),
        ("fifo", b"fifo".to_vec(), tar::EntryType::Fifo),
        ("dir", b"d/".to_vec(), tar::EntryType::Directory),
    ];
    for (label, name, ty) in cases {
        let path: PathBuf = dir.path().join(format!("{label}.tar.gz"));
        let mut entries: Vec<(&[u8], tar::EntryType, &[u8])> = good
            .iter()
            .map(|(n, d)| (n.as_slice(), tar::EntryType::Regular, d.as_slice()))
            .collect();
        entries.insert(2, (name.as_slice(), ty, b"x"));
        crafted_archive(&path, &entries);
        let before: BTreeSet<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let e = bundle::read(&path).expect_err(label);
        assert_eq!(kind(&e), "unsafe", "{label}: {e}");
        assert_eq!(e.exit_code(), 11);
        let after: BTreeSet<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(before, after, "{label}: nothing was written");
    }
    assert!(!Path::new("/tmp/writ-evil").exists());
    // The same crafted writer with only good entries reads and verifies.
    let path = dir.path().join("good.tar.gz");
    let entries: Vec<(&[u8], tar::EntryType, &[u8])> = good
        .iter()
        .map(|(n, d)| (n.as_slice(), tar::EntryType::Regular, d.as_slice()))
        .collect();
    crafted_archive(&path, &entries);
    bundle::verify(&bundle::read(&path).unwrap(), &trusted(&key), AT).unwrap();
    // Not an archive at all.
    std::fs::write(dir.path().join("junk.tar.gz"), b"not gzip").unwrap();
    assert_eq!(
        kind(&bundle::read(&dir.path().join("junk.tar.gz")).unwrap_err()),
        "unreadable"
    );
}

#[cfg(unix)]
#[test]
fn folders_with_links_or_subfolders_are_refused() {
    let key = fixed_key(5);
    let b = bundle::build(&inputs(None), &key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("b");
    b.write_dir(&p).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", p.join("link")).unwrap();
    assert_eq!(kind(&bundle::read(&p).unwrap_err()), "unsafe");
    std::fs::remove_file(p.join("link")).unwrap();
    std::fs::create_dir(p.join("sub")).unwrap();
    assert_eq!(kind(&bundle::read(&p).unwrap_err()), "unsafe");
    std::fs::remove_dir(p.join("sub")).unwrap();
    bundle::verify(&bundle::read(&p).unwrap(), &trusted(&key), AT).unwrap();
}

#[test]
fn times_and_durations_parse() {
    assert_eq!(
        bundle::parse_duration("30d").unwrap(),
        time::Duration::days(30)
    );
    assert!(bundle::parse_duration("30").is_err());
    assert!(bundle::parse_duration("-1d").is_err());
    assert!(bundle::parse_time("yesterday").is_err());
    assert_eq!(
        bundle::format_time(bundle::parse_time("2026-11-30T12:00:00+01:00").unwrap()),
        "2026-11-30T11:00:00.000Z"
    );
    let key = fixed_key(1);
    let mut i = inputs(Some("2026-11-30T09:00:00Z"));
    assert!(bundle::build(&i, &key).is_err(), "expiry before creation");
    i.expires = None;
    i.created = "not a time".into();
    assert!(bundle::build(&i, &key).is_err());
}

#[test]
fn the_payload_digest_is_known_before_signing_and_recomputed_from_the_manifest() {
    let before = inputs(None).payload_digest().unwrap();
    let b = bundle::build(&inputs(None), &fixed_key(7)).unwrap();
    let manifest: bundle::Manifest = serde_json::from_slice(&b.files["manifest.json"]).unwrap();
    assert_eq!(manifest.payload_digest().unwrap(), before);
    // Independently: the SHA-256 of {"files":{...}} written by hand from
    // the shipped files, names in order, no white space.
    let entries: Vec<String> = b
        .files
        .iter()
        .filter(|(name, _)| *name != "manifest.json" && *name != "signature.dsse.json")
        .map(|(name, bytes)| format!("\"{name}\":\"{}\"", writ_base::sha256_hex(bytes)))
        .collect();
    let text = format!("{{\"files\":{{{}}}}}", entries.join(","));
    assert_eq!(before, writ_base::sha256_hex(text.as_bytes()));
    // Another export of the same content (other times, approvals, key,
    // channel, sequence) has the same payload digest ...
    let mut again = inputs(Some("2027-01-30T10:00:00.000Z"));
    again.created = "2026-12-01T08:00:00.000Z".into();
    again.approvals.clear();
    again.channel = Some("staging".into());
    again.sequence = Some(9);
    let other = bundle::build(&again, &fixed_key(8)).unwrap();
    let m: bundle::Manifest = serde_json::from_slice(&other.files["manifest.json"]).unwrap();
    assert_eq!(m.payload_digest().unwrap(), before);
    assert_ne!(other.digest(), b.digest());
    // ... and a changed policy text another.
    let mut changed = inputs(None);
    changed.policies.push_str("\n// changed\n");
    assert_ne!(changed.payload_digest().unwrap(), before);
}
