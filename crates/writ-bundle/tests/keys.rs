//! Passphrase-encrypted private keys (`writ_bundle::keys`): written mode
//! 0600 as PBES2 (scrypt, AES-256-CBC) PKCS#8, read back only with the
//! right passphrase, refused clearly without one, and readable by OpenSSL,
//! which derives the same public key.

use std::process::Command;
use writ_bundle::error::BundleError;
use writ_bundle::keys;

#[test]
fn an_encrypted_key_reads_back_only_with_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let files =
        keys::generate_files_with(&dir.path().join("carol"), Some("correct horse")).unwrap();
    let text = std::fs::read_to_string(&files.private).unwrap();
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    assert!(keys::is_encrypted(&files.private).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&files.private)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key = keys::read_private_with(&files.private, Some("correct horse"), "test").unwrap();
    assert_eq!(keys::key_id(&key.verifying_key()), files.key_id);
    assert!(matches!(
        keys::read_private_with(&files.private, Some("wrong horse"), "test"),
        Err(BundleError::BadPassphrase { .. })
    ));
    let err = keys::read_private(&files.private).unwrap_err();
    assert!(matches!(err, BundleError::NeedsPassphrase { .. }));
    assert!(err.to_string().contains("passphrase-encrypted"), "{err}");
    // An unencrypted key reads with or without a passphrase offered.
    let plain = keys::generate_files(&dir.path().join("dan")).unwrap();
    assert!(!keys::is_encrypted(&plain.private).unwrap());
    assert!(keys::read_private_with(&plain.private, Some("unused"), "test").is_ok());
}

#[test]
fn openssl_decrypts_an_encrypted_key_to_the_same_public_key() {
    if !crate::bundle::has_openssl() {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = keys::generate_files_with(&dir.path().join("erin"), Some("s3cret phrase")).unwrap();
    let out = openssl_public_of(&files.private, Some("s3cret phrase"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), files.public_pem);
    let wrong = openssl_public_of(&files.private, Some("nope"));
    assert!(!wrong.status.success());
    // An unencrypted key is PKCS#8 v1, which OpenSSL reads as well.
    let plain = keys::generate_files(&dir.path().join("fred")).unwrap();
    let out = openssl_public_of(&plain.private, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), plain.public_pem);
}

/// `openssl pkey -pubout` of the private key at `path`, decrypted with
/// `passphrase` when given.
fn openssl_public_of(path: &std::path::Path, passphrase: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new("openssl");
    cmd.args(["pkey", "-pubout"]);
    if let Some(p) = passphrase {
        cmd.arg("-passin").arg(format!("pass:{p}"));
    }
    cmd.arg("-in").arg(path).output().unwrap()
}
