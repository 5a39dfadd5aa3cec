//! Entry points for fuzzing: each takes arbitrary bytes, runs them through
//! the bundle reader and verifier the way `writ bundle verify` and `writ
//! serve` do, and must never panic, whatever the bytes. The fuzz targets in
//! `fuzz/` call these, and so does `tests/fuzz_corpus.rs`, which replays
//! the checked-in corpus under plain `cargo test`. Nothing here is used by
//! Writ itself.

use crate::bundle::{self, Bundle, TrustedKey, MANIFEST, SIGNATURE};
use crate::dsse;
use ed25519_dalek::SigningKey;
use std::collections::BTreeMap;
use std::io::Write as _;
use time::OffsetDateTime;

/// The fixed signing key of the fuzz corpus (never a real key: its seed is
/// public). Seed bundles are signed with it so the fuzzer starts past the
/// signature check.
pub fn fixed_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// An Ed25519 signature of `message` by [`fixed_key`].
pub fn sign(message: &[u8]) -> [u8; 64] {
    use ed25519_dalek::Signer as _;
    fixed_key().sign(message).to_bytes()
}

/// The key the entry points trust: [`fixed_key`]'s public half.
pub fn trusted() -> Vec<TrustedKey> {
    vec![TrustedKey::new(fixed_key().verifying_key())]
}

/// The time bundles are verified at (fixed, so a corpus file verifies the
/// same way every day).
pub fn verify_at() -> OffsetDateTime {
    time::macros::datetime!(2026-06-01 12:00:00 UTC)
}

fn verify_all(b: &Bundle) {
    let _ = b.digest();
    match bundle::verify(b, &trusted(), verify_at()) {
        Ok(v) => {
            let _ = serde_json::to_string(&v.manifest);
        }
        Err(e) => {
            let _ = e.to_string();
            let _ = e.exit_code();
        }
    }
}

/// Reads `data` as a `.tar.gz` bundle ([`bundle::read_archive_bytes`]) and
/// verifies it against the fixed key.
pub fn archive(data: &[u8]) {
    match bundle::read_archive_bytes(data) {
        Ok(b) => verify_all(&b),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Gzips `data` (an uncompressed tar, so the fuzzer mutates the tar
/// headers themselves) and reads and verifies it as [`archive`] does.
pub fn tar(data: &[u8]) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if gz.write_all(data).is_err() {
        return;
    }
    if let Ok(bytes) = gz.finish() {
        archive(&bytes);
    }
}

/// Treats `data` as `manifest.json`: signs it with the fixed key (so the
/// signature holds and the manifest's own checks are reached), puts it in a
/// bundle beside three small files, and verifies that bundle.
pub fn manifest(data: &[u8]) {
    let envelope = dsse::sign(data, &fixed_key());
    let Ok(sig) = serde_json::to_vec(&envelope) else {
        return;
    };
    let mut files = BTreeMap::new();
    files.insert(MANIFEST.to_string(), data.to_vec());
    files.insert(SIGNATURE.to_string(), sig);
    for (name, text) in [
        (bundle::POLICIES, "permit(principal, action, resource);\n"),
        (bundle::SCHEMA, "entity Agent;\n"),
        (bundle::ENTITIES, "[]\n"),
    ] {
        files.insert(name.to_string(), text.as_bytes().to_vec());
    }
    verify_all(&Bundle { files });
}
