//! DSSE envelopes (<https://github.com/secure-systems-lab/dsse>): the
//! signature covers `PAE(type, body)`, binding the payload type into the
//! signed bytes.

use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

pub use crate::format::PAYLOAD_TYPE;

/// A DSSE envelope, as stored in `signature.dsse.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The payload's media type.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The payload, standard base64.
    pub payload: String,
    /// The signatures.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// The signing key's id (see [`crate::keys::key_id`]).
    pub keyid: String,
    /// The Ed25519 signature over the PAE bytes, standard base64.
    pub sig: String,
}

/// The pre-authentication encoding:
/// `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths as ASCII
/// decimal byte counts.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Signs `body` with `key` into an envelope of type [`PAYLOAD_TYPE`].
pub fn sign(body: &[u8], key: &SigningKey) -> Envelope {
    sign_as(PAYLOAD_TYPE, body, key)
}

/// Signs `body` with `key` into an envelope of type `payload_type` (the
/// type is covered by the signature, so one kind of signed document cannot
/// pass for another).
pub fn sign_as(payload_type: &str, body: &[u8], key: &SigningKey) -> Envelope {
    let b64 = base64::engine::general_purpose::STANDARD;
    let sig = key.sign(&pae(payload_type, body));
    Envelope {
        payload_type: payload_type.to_string(),
        payload: b64.encode(body),
        signatures: vec![EnvelopeSignature {
            keyid: crate::keys::key_id(&key.verifying_key()),
            sig: b64.encode(sig.to_bytes()),
        }],
    }
}

impl Envelope {
    /// The decoded payload, if it is valid base64.
    pub fn payload_bytes(&self) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.payload)
            .ok()
    }
}

/// Whether `sig` (base64) is `key`'s Ed25519 signature over
/// `PAE(payload_type, body)` (strict verification).
pub fn verify_signature(payload_type: &str, body: &[u8], sig: &str, key: &VerifyingKey) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(sig) else {
        return false;
    };
    let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else {
        return false;
    };
    key.verify_strict(&pae(payload_type, body), &sig).is_ok()
}
