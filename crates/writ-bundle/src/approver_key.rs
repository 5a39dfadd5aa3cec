//! Signed changes to a workspace's approver keys: registering a person's
//! public key under their name, and revoking it. Each change is a DSSE
//! envelope of type [`KEY_EVENT_PAYLOAD_TYPE`] over the event's canonical
//! JSON, signed by an approver other than the key concerned (the only
//! exception is the first key of a workspace, which proves possession by
//! signing its own registration). The workspace keeps the envelopes, so
//! who vouched for whom can be checked again later, offline.
//!
//! The payload type differs from approvals, bundle manifests and
//! checkpoints, so a key event can never pass for any of them.

use crate::approval::{verify_canonical, ApprovalError};
use crate::bundle::TrustedKey;
use crate::dsse::{self, Envelope};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

/// The payload type of a key event.
pub const KEY_EVENT_PAYLOAD_TYPE: &str = "application/vnd.writ.approver-key-event.v1+json";

/// What a key event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyEventKind {
    /// The key becomes an approver key under `name`.
    Register,
    /// The key stops being trusted for review steps.
    Revoke,
}

/// What the signer of a key event signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEvent {
    /// Register or revoke.
    pub event: KeyEventKind,
    /// The person the key belongs to.
    pub name: String,
    /// The key's id ([`crate::keys::key_id`]).
    pub key_id: String,
    /// The key itself, SPKI PEM.
    pub public_key: String,
    /// The id of the key that signs the event.
    pub signer: String,
    /// When (RFC 3339, UTC).
    pub at: String,
}

/// Signs `event` with `key` (whose id must be `event.signer`).
pub fn sign(event: &KeyEvent, key: &SigningKey) -> Result<Envelope, ApprovalError> {
    let body = serde_jcs::to_vec(event).map_err(|e| ApprovalError::Encode(e.to_string()))?;
    Ok(dsse::sign_as(KEY_EVENT_PAYLOAD_TYPE, &body, key))
}

/// Checks that `envelope` is a key event in canonical form signed by one
/// of `trusted`, and that the key that signed it is the one the event
/// names as its signer.
pub fn verify(envelope: &Envelope, trusted: &[TrustedKey]) -> Result<KeyEvent, ApprovalError> {
    let (event, key_id): (KeyEvent, String) =
        verify_canonical(envelope, KEY_EVENT_PAYLOAD_TYPE, trusted)?;
    if event.signer != key_id {
        return Err(ApprovalError::NotAStatement(format!(
            "the event names {} as its signer but was signed by {key_id}",
            event.signer
        )));
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;

    fn event(signer: &SigningKey, subject: &SigningKey) -> KeyEvent {
        KeyEvent {
            event: KeyEventKind::Register,
            name: "bob".into(),
            key_id: keys::key_id(&subject.verifying_key()),
            public_key: keys::public_pem(&subject.verifying_key()),
            signer: keys::key_id(&signer.verifying_key()),
            at: "2026-12-03T10:00:00.000Z".into(),
        }
    }

    #[test]
    fn an_event_verifies_only_with_the_key_it_names_as_signer() {
        let alice = SigningKey::from_bytes(&[1; 32]);
        let bob = SigningKey::from_bytes(&[2; 32]);
        let trusted = [
            TrustedKey::new(alice.verifying_key()),
            TrustedKey::new(bob.verifying_key()),
        ];
        let good = sign(&event(&alice, &bob), &alice).unwrap();
        assert_eq!(verify(&good, &trusted).unwrap(), event(&alice, &bob));
        // Signed by bob but claiming alice as the signer.
        let claimed = sign(&event(&alice, &bob), &bob).unwrap();
        assert!(matches!(
            verify(&claimed, &trusted),
            Err(ApprovalError::NotAStatement(_))
        ));
        // An approval signature is not a key event.
        let mut as_approval = good.clone();
        as_approval.payload_type = crate::approval::APPROVAL_PAYLOAD_TYPE.into();
        assert!(matches!(
            verify(&as_approval, &trusted),
            Err(ApprovalError::WrongType { .. })
        ));
        // Not trusted at all.
        assert!(matches!(
            verify(&good, &trusted[1..]),
            Err(ApprovalError::Untrusted { .. })
        ));
    }
}
