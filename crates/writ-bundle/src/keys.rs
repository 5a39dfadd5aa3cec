//! Ed25519 signing keys: generated from the system's random source,
//! written as PKCS#8 PEM (private, mode 0600 from creation) and SPKI PEM
//! (public), read back from the same forms or from OpenSSL's.

use crate::error::BundleError;
use ed25519_dalek::pkcs8::{
    spki::der::pem::LineEnding, DecodePrivateKey, DecodePublicKey, EncodePrivateKey,
    EncodePublicKey,
};
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A public key's id: the first 16 bytes of the SHA-256 of its SPKI DER
/// encoding, as 32 lower-case hex characters. The same key always has the
/// same id, whichever tool wrote its PEM file.
pub fn key_id(key: &VerifyingKey) -> String {
    use sha2::{Digest, Sha256};
    let der = key
        .to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_default();
    writ_base::hex(&Sha256::digest(&der)[..16])
}

/// A freshly generated key pair on disk.
#[derive(Debug, Clone)]
pub struct KeyPairFiles {
    /// The private key file (`NAME.pem`).
    pub private: PathBuf,
    /// The public key file (`NAME.pub.pem`).
    pub public: PathBuf,
    /// The public key's SPKI PEM text.
    pub public_pem: String,
    /// The key id.
    pub key_id: String,
}

/// Generates a key from the system's random source.
pub fn generate() -> Result<SigningKey, BundleError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| BundleError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    Ok(key)
}

/// The public key as SPKI PEM.
pub fn public_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
}

/// Generates a key pair and writes `NAME.pem` (PKCS#8 PEM, created with
/// mode 0600 so it is never readable by others, even briefly) and
/// `NAME.pub.pem` (SPKI PEM). Refuses to overwrite either file.
pub fn generate_files(name: &Path) -> Result<KeyPairFiles, BundleError> {
    let private = with_suffix(name, ".pem");
    let public = with_suffix(name, ".pub.pem");
    for p in [&private, &public] {
        if p.exists() || p.symlink_metadata().is_ok() {
            return Err(BundleError::Exists(p.clone()));
        }
    }
    let key = generate()?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| BundleError::Invalid(format!("cannot encode the key: {e}")))?;
    let pub_pem = public_pem(&key.verifying_key());
    write_new(&private, pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&public, pub_pem.as_bytes(), 0o644) {
        let _ = std::fs::remove_file(&private);
        return Err(e);
    }
    Ok(KeyPairFiles {
        private,
        public,
        public_pem: pub_pem,
        key_id: key_id(&key.verifying_key()),
    })
}

fn with_suffix(name: &Path, suffix: &str) -> PathBuf {
    let mut s = name.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Creates `path` (which must not exist) with `mode` from the start and
/// writes `bytes`.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), BundleError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let io = |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            BundleError::Exists(path.to_path_buf())
        } else {
            io(e)
        }
    })?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

/// Reads an Ed25519 private key from a PKCS#8 PEM file.
pub fn read_private(path: &Path) -> Result<SigningKey, BundleError> {
    let text = std::fs::read_to_string(path).map_err(|source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| BundleError::BadKey {
        path: path.to_path_buf(),
        kind: "private",
        detail: e.to_string(),
    })
}

/// Reads an Ed25519 public key from an SPKI PEM file.
pub fn read_public(path: &Path) -> Result<VerifyingKey, BundleError> {
    let text = std::fs::read_to_string(path).map_err(|source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_public(&text).map_err(|detail| BundleError::BadKey {
        path: path.to_path_buf(),
        kind: "public",
        detail,
    })
}

/// Parses an Ed25519 public key from SPKI PEM text.
pub fn parse_public(text: &str) -> Result<VerifyingKey, String> {
    VerifyingKey::from_public_key_pem(text).map_err(|e| e.to_string())
}
