//! Signed approval statements: one person's step in the review of one
//! version (submitting it, approving it, rejecting it), signed with that
//! person's own approver key. Four eyes are then two keys, not two typed
//! names, and anyone holding the registered public keys can check them
//! offline.
//!
//! A statement is signed as a DSSE envelope of type
//! [`APPROVAL_PAYLOAD_TYPE`] whose payload is the statement's canonical
//! JSON (RFC 8785, written by `serde_jcs`). Because the type is inside the
//! signed bytes, a bundle-signing or checkpoint signature never passes for
//! an approval, nor an approval for either. [`verify`] also refuses a
//! payload that is not in canonical form, so one statement has exactly
//! one signed byte string.
//!
//! What a statement binds (see [`ApprovalStatement`]): the version id, the
//! digest of the bundle payload the version would ship, the digest of the
//! evidence reviewed, the decision, the comment and the time. A statement
//! for one version therefore cannot be replayed for another, nor for the
//! same version with other files or other evidence.

use crate::bundle::TrustedKey;
use crate::dsse::{self, Envelope};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

/// The payload type of an approval statement.
pub const APPROVAL_PAYLOAD_TYPE: &str = "application/vnd.writ.approval.v1+json";

/// A step in a version's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    /// The author submits the version for review.
    Submit,
    /// A reviewer approves it.
    Approve,
    /// A reviewer rejects it.
    Reject,
}

/// What an approver signs (the payload of the envelope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalStatement {
    /// The version reviewed (its content id, 64 hex digits).
    pub version: String,
    /// The digest of the bundle payload the version would ship
    /// ([`crate::bundle::payload_digest`]: the same from the inputs before
    /// export and from a bundle's manifest after).
    pub payload_digest: String,
    /// The SHA-256 (hex) of the evidence the decision was made on.
    pub evidence_digest: String,
    /// Submit, approve or reject.
    pub decision: ApprovalDecision,
    /// The name the signing key is registered under.
    pub approver: String,
    /// What the approver said.
    pub comment: Option<String>,
    /// When (RFC 3339, UTC).
    pub at: String,
}

/// A statement whose signature checked out, with the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedApproval {
    /// What was signed.
    pub statement: ApprovalStatement,
    /// The id of the trusted key whose signature verified.
    pub key_id: String,
}

/// Why a statement cannot be signed or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// The statement could not be written as canonical JSON.
    #[error("the approval statement cannot be written as canonical JSON: {0}")]
    Encode(String),
    /// The envelope is another kind of signed document.
    #[error("the envelope's payload type is `{found}`, not `{expected}`")]
    WrongType {
        /// The type found.
        found: String,
        /// The type this check reads.
        expected: String,
    },
    /// The payload is not base64.
    #[error("the signed payload is not base64")]
    NotBase64,
    /// The payload is not a statement of the expected kind.
    #[error("the signed payload is not a statement of the expected kind: {0}")]
    NotAStatement(String),
    /// The payload is a statement, but not in canonical JSON.
    #[error("the signed payload is not in canonical JSON (RFC 8785); it was not written by Writ's signer")]
    NotCanonical,
    /// No signature is by a trusted key, or none verifies.
    #[error("no valid signature by a trusted approver key (signed by {signers})")]
    Untrusted {
        /// The key ids the envelope names.
        signers: String,
    },
}

/// The canonical JSON (RFC 8785) of `statement`: the signed payload.
pub fn canonical_payload(statement: &ApprovalStatement) -> Result<Vec<u8>, ApprovalError> {
    serde_jcs::to_vec(statement).map_err(|e| ApprovalError::Encode(e.to_string()))
}

/// Signs `statement` with the approver's `key`.
pub fn sign(statement: &ApprovalStatement, key: &SigningKey) -> Result<Envelope, ApprovalError> {
    Ok(dsse::sign_as(
        APPROVAL_PAYLOAD_TYPE,
        &canonical_payload(statement)?,
        key,
    ))
}

/// Checks that `envelope` is an approval statement in canonical form,
/// signed by one of `trusted`; returns it with the key that signed it.
pub fn verify(
    envelope: &Envelope,
    trusted: &[TrustedKey],
) -> Result<VerifiedApproval, ApprovalError> {
    let (statement, key_id) = verify_canonical(envelope, APPROVAL_PAYLOAD_TYPE, trusted)?;
    Ok(VerifiedApproval { statement, key_id })
}

/// The one check behind every signed review document: the envelope has
/// `payload_type`, a signature by one of `trusted` verifies over it, the
/// payload reads as a `T` and is that `T`'s canonical JSON. Returns the
/// value and the id of the key whose signature verified.
pub(crate) fn verify_canonical<T>(
    envelope: &Envelope,
    payload_type: &str,
    trusted: &[TrustedKey],
) -> Result<(T, String), ApprovalError>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    if envelope.payload_type != payload_type {
        return Err(ApprovalError::WrongType {
            found: envelope.payload_type.clone(),
            expected: payload_type.to_string(),
        });
    }
    let body = envelope.payload_bytes().ok_or(ApprovalError::NotBase64)?;
    let key_id = envelope
        .signatures
        .iter()
        .find_map(|s| {
            trusted
                .iter()
                .filter(|t| t.key_id == s.keyid)
                .find(|t| dsse::verify_signature(payload_type, &body, &s.sig, &t.key))
                .map(|t| t.key_id.clone())
        })
        .ok_or_else(|| {
            let signers: Vec<&str> = envelope
                .signatures
                .iter()
                .map(|s| s.keyid.as_str())
                .collect();
            ApprovalError::Untrusted {
                signers: if signers.is_empty() {
                    "no key".into()
                } else {
                    signers.join(", ")
                },
            }
        })?;
    let value: T =
        serde_json::from_slice(&body).map_err(|e| ApprovalError::NotAStatement(e.to_string()))?;
    let canonical = serde_jcs::to_vec(&value).map_err(|e| ApprovalError::Encode(e.to_string()))?;
    if canonical != body {
        return Err(ApprovalError::NotCanonical);
    }
    Ok((value, key_id))
}
