//! Ed25519 signing keys: generated from the system's random source,
//! written as PKCS#8 PEM (private, mode 0600 from creation; optionally
//! passphrase-encrypted with PBES2: scrypt and AES-256-CBC) and SPKI PEM
//! (public), read back from the same forms or from OpenSSL's.

use crate::error::BundleError;
use ed25519_dalek::pkcs8::{
    spki::der::pem::LineEnding, DecodePrivateKey, DecodePublicKey, EncodePublicKey,
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
    /// The private key itself, so that a caller need not read back (and
    /// decrypt) the file it just wrote.
    pub key: SigningKey,
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
    generate_files_with(name, None)
}

/// The scrypt cost of an encrypted private key: N = 2^14, r = 8, p = 1
/// (16 MiB), OpenSSL's own default for PKCS#8 and within the 32 MiB it
/// allows when it decrypts; a 32-byte AES key.
const SCRYPT_LOG_N: u8 = 14;

/// The private key as encrypted PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`):
/// PBES2 with scrypt and AES-256-CBC, a fresh salt and IV, readable by
/// OpenSSL (`openssl pkey -in K.pem -passin ...`).
pub fn encrypted_pem(key: &SigningKey, passphrase: &str) -> Result<String, BundleError> {
    let invalid =
        |e: &dyn std::fmt::Display| BundleError::Invalid(format!("cannot encrypt the key: {e}"));
    let octets = private_key_octets(key);
    let info = pkcs8::PrivateKeyInfo::new(ed25519_dalek::pkcs8::ALGORITHM_ID, &octets[..]);
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| BundleError::Random(e.to_string()))?;
    getrandom::fill(&mut iv).map_err(|e| BundleError::Random(e.to_string()))?;
    let cost =
        pkcs8::pkcs5::scrypt::Params::new(SCRYPT_LOG_N, 8, 1, 32).map_err(|e| invalid(&e))?;
    let params = pkcs8::pkcs5::pbes2::Parameters::scrypt_aes256cbc(cost, &salt, &iv)
        .map_err(|e| invalid(&e))?;
    let encrypted = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|e| invalid(&e))?;
    let pem = encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| invalid(&e))?;
    Ok(pem.to_string())
}

/// The private key as PKCS#8 v1 PEM (`PRIVATE KEY`): the algorithm and the
/// 32-byte seed, without the optional public key, the form OpenSSL writes
/// and reads (OpenSSL 3.0 does not read the v2 form with the public key).
pub fn private_pem(key: &SigningKey) -> Result<zeroize::Zeroizing<String>, BundleError> {
    use pkcs8::der::Encode as _;
    let invalid =
        |e: &dyn std::fmt::Display| BundleError::Invalid(format!("cannot encode the key: {e}"));
    let octets = private_key_octets(key);
    let info = pkcs8::PrivateKeyInfo::new(ed25519_dalek::pkcs8::ALGORITHM_ID, &octets[..]);
    let der = zeroize::Zeroizing::new(info.to_der().map_err(|e| invalid(&e))?);
    let pem = pkcs8::der::pem::encode_string("PRIVATE KEY", LineEnding::LF, &der)
        .map_err(|e| invalid(&e))?;
    Ok(zeroize::Zeroizing::new(pem))
}

/// RFC 8410's `CurvePrivateKey`: the seed as a DER OCTET STRING.
fn private_key_octets(key: &SigningKey) -> zeroize::Zeroizing<[u8; 34]> {
    let mut octets = zeroize::Zeroizing::new([0u8; 34]);
    octets[0] = 0x04;
    octets[1] = 0x20;
    octets[2..].copy_from_slice(key.as_bytes());
    octets
}

/// [`generate_files`], the private key encrypted with `passphrase` when
/// one is given (see [`encrypted_pem`]).
pub fn generate_files_with(
    name: &Path,
    passphrase: Option<&str>,
) -> Result<KeyPairFiles, BundleError> {
    let private = with_suffix(name, ".pem");
    let public = with_suffix(name, ".pub.pem");
    for p in [&private, &public] {
        if p.exists() || p.symlink_metadata().is_ok() {
            return Err(BundleError::Exists(p.clone()));
        }
    }
    let key = generate()?;
    let pem = match passphrase {
        Some(p) => zeroize::Zeroizing::new(encrypted_pem(&key, p)?),
        None => private_pem(&key)?,
    };
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
        key,
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

/// Reads an Ed25519 private key from a PKCS#8 PEM file (not encrypted:
/// an encrypted one is [`BundleError::NeedsPassphrase`]).
pub fn read_private(path: &Path) -> Result<SigningKey, BundleError> {
    read_private_with(path, None, "not accepted here")
}

/// Whether the private key file at `path` is passphrase-encrypted.
pub fn is_encrypted(path: &Path) -> Result<bool, BundleError> {
    let text = std::fs::read_to_string(path).map_err(|source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(text.contains(ENCRYPTED_LABEL))
}

const ENCRYPTED_LABEL: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

/// Reads an Ed25519 private key from a PKCS#8 PEM file, decrypting an
/// encrypted one with `passphrase`; without one, an encrypted key is
/// [`BundleError::NeedsPassphrase`] naming `hint` (where this program
/// takes a passphrase from).
pub fn read_private_with(
    path: &Path,
    passphrase: Option<&str>,
    hint: &'static str,
) -> Result<SigningKey, BundleError> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
        BundleError::Io {
            path: path.to_path_buf(),
            source,
        }
    })?);
    if text.contains(ENCRYPTED_LABEL) {
        let Some(passphrase) = passphrase else {
            return Err(BundleError::NeedsPassphrase {
                path: path.to_path_buf(),
                hint,
            });
        };
        return SigningKey::from_pkcs8_encrypted_pem(&text, passphrase.as_bytes()).map_err(|e| {
            match e {
                pkcs8::Error::EncryptedPrivateKey(_) => BundleError::BadPassphrase {
                    path: path.to_path_buf(),
                },
                other => BundleError::BadKey {
                    path: path.to_path_buf(),
                    kind: "private",
                    detail: other.to_string(),
                },
            }
        });
    }
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
