//! Signed checkpoints of a hash chain: the head (the newest link's hash)
//! and the number of links, signed in a DSSE envelope whose payload type
//! names the chain, so a checkpoint of the audit trail cannot pass for one
//! of a decision log. A chain that no longer holds the checkpointed head at
//! the checkpointed position was truncated, wiped or rewritten.
//!
//! The chains themselves live elsewhere (`writ-store`'s audit trail,
//! `writ-pdp`'s decision log); this module only signs and checks the
//! values it is given.

use crate::bundle::TrustedKey;
use crate::dsse::{self, Envelope};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The payload type of a workspace audit trail checkpoint.
pub const AUDIT_PAYLOAD_TYPE: &str = "application/vnd.writ.audit-checkpoint+json";

/// The payload type of a decision log checkpoint.
pub const DECISION_LOG_PAYLOAD_TYPE: &str = "application/vnd.writ.decision-log-checkpoint+json";

/// What a checkpoint states (the signed payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The hash of the newest link when the checkpoint was made.
    pub head: String,
    /// How many links the chain held then (the newest link's position).
    pub count: u64,
    /// When the checkpoint was made (RFC 3339).
    pub created: String,
}

/// Why a checkpoint cannot be written or trusted.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file cannot be read or written.
    #[error("checkpoint {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a checkpoint envelope.
    #[error("checkpoint {}: {detail}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The envelope is of another kind of signed document.
    #[error("checkpoint {}: its payload type is `{found}`, expected `{expected}` (a checkpoint of another kind of chain?)", path.display())]
    WrongType {
        /// The file.
        path: PathBuf,
        /// The type found.
        found: String,
        /// The type expected.
        expected: String,
    },
    /// No signature is by a trusted key, or none verifies.
    #[error("checkpoint {}: no valid signature by a trusted key (signed by {signers}); trust the signing key's public key", path.display())]
    Untrusted {
        /// The file.
        path: PathBuf,
        /// The key ids that signed it.
        signers: String,
    },
}

/// Signs `checkpoint` as a DSSE envelope of `payload_type` with `key`.
pub fn sign(payload_type: &str, checkpoint: &Checkpoint, key: &SigningKey) -> Envelope {
    let body = serde_json::to_vec(checkpoint).unwrap_or_default();
    dsse::sign_as(payload_type, &body, key)
}

/// Signs `checkpoint` and writes the envelope to `path` (temporary file,
/// sync, rename: the file appears whole or not at all).
pub fn write(
    path: &Path,
    payload_type: &str,
    checkpoint: &Checkpoint,
    key: &SigningKey,
) -> Result<(), CheckpointError> {
    let envelope = sign(payload_type, checkpoint, key);
    let mut bytes = serde_json::to_vec_pretty(&envelope).unwrap_or_default();
    bytes.push(b'\n');
    writ_core::atomic_file::write_atomically(path, &bytes).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the checkpoint at `path` and checks that it is of `payload_type`
/// and signed by one of `trusted`; returns what it states.
pub fn read(
    path: &Path,
    payload_type: &str,
    trusted: &[TrustedKey],
) -> Result<Checkpoint, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let malformed = |detail: String| CheckpointError::Malformed {
        path: path.to_path_buf(),
        detail,
    };
    let envelope: Envelope = serde_json::from_slice(&bytes)
        .map_err(|e| malformed(format!("not a DSSE envelope: {e}")))?;
    if envelope.payload_type != payload_type {
        return Err(CheckpointError::WrongType {
            path: path.to_path_buf(),
            found: envelope.payload_type,
            expected: payload_type.to_string(),
        });
    }
    let body = envelope
        .payload_bytes()
        .ok_or_else(|| malformed("the payload is not base64".into()))?;
    let signed = envelope.signatures.iter().any(|s| {
        trusted
            .iter()
            .filter(|t| t.key_id == s.keyid)
            .any(|t| dsse::verify_signature(payload_type, &body, &s.sig, &t.key))
    });
    if !signed {
        let signers: Vec<&str> = envelope
            .signatures
            .iter()
            .map(|s| s.keyid.as_str())
            .collect();
        return Err(CheckpointError::Untrusted {
            path: path.to_path_buf(),
            signers: if signers.is_empty() {
                "no key".into()
            } else {
                signers.join(", ")
            },
        });
    }
    serde_json::from_slice(&body)
        .map_err(|e| malformed(format!("the payload is not a checkpoint: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_checkpoint_round_trips_and_is_bound_to_its_type_and_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cp.json");
        let cp = Checkpoint {
            head: "ab".repeat(32),
            count: 7,
            created: "2026-12-03T10:00:00Z".into(),
        };
        let k = key(1);
        write(&path, AUDIT_PAYLOAD_TYPE, &cp, &k).expect("write");
        let trusted = [TrustedKey::new(k.verifying_key())];
        assert_eq!(read(&path, AUDIT_PAYLOAD_TYPE, &trusted).expect("read"), cp);
        let other = read(&path, DECISION_LOG_PAYLOAD_TYPE, &trusted).expect_err("type");
        assert!(
            matches!(other, CheckpointError::WrongType { .. }),
            "{other}"
        );
        let stranger = [TrustedKey::new(key(2).verifying_key())];
        let untrusted = read(&path, AUDIT_PAYLOAD_TYPE, &stranger).expect_err("key");
        assert!(
            matches!(untrusted, CheckpointError::Untrusted { .. }),
            "{untrusted}"
        );
        // A payload edited after signing (count lowered) no longer verifies.
        let mut env: Envelope =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        let mut forged = cp.clone();
        forged.count = 3;
        use base64::Engine as _;
        env.payload = base64::engine::general_purpose::STANDARD
            .encode(serde_json::to_vec(&forged).expect("json"));
        std::fs::write(&path, serde_json::to_vec(&env).expect("json")).expect("write");
        let edited = read(&path, AUDIT_PAYLOAD_TYPE, &trusted).expect_err("edited");
        assert!(
            matches!(edited, CheckpointError::Untrusted { .. }),
            "{edited}"
        );
    }
}
