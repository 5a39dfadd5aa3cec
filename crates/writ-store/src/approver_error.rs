//! Why an approver key change or a signed review step was refused: the
//! error of `approvers` and of signed steps, kept below `error` (which
//! wraps it) so that neither module needs the other.

use writ_bundle::approval::ApprovalError;

/// Why an approver key change or a signed step was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApproverError {
    /// The name is blank, too long or has control characters.
    #[error("{name} is not a usable approver name: give 1 to 64 printable characters (a person's name or handle)")]
    BadName {
        /// The name, quoted.
        name: String,
    },
    /// The key is registered as an approver key already (or was revoked).
    #[error("key {key_id} is registered already, as {name}'s approver key{}; generate a new key instead", if *revoked { " (revoked)" } else { "" })]
    AlreadyRegistered {
        /// The key id.
        key_id: String,
        /// Its registered name.
        name: String,
        /// Whether it was revoked.
        revoked: bool,
    },
    /// The key has another role.
    #[error("key {key_id} is registered for {role}; each key has one role, so generate a separate approver key")]
    OtherRole {
        /// The key id.
        key_id: String,
        /// The role it has.
        role: &'static str,
    },
    /// The signing key is not a registered approver key.
    #[error("key {key_id} is not a registered approver key of this workspace; an approver must register it first")]
    NotAnApprover {
        /// The key id.
        key_id: String,
    },
    /// The signing key was revoked.
    #[error(
        "{name}'s approver key {key_id} was revoked; sign with a key that is still registered"
    )]
    Revoked {
        /// The key id.
        key_id: String,
        /// Its registered name.
        name: String,
    },
    /// A key tried to vouch for itself.
    #[error("a key cannot register or revoke itself; another approver must sign (only a workspace's first approver key signs its own registration)")]
    SelfSigned,
    /// A typed name was given where signatures are required.
    #[error("this workspace requires signed review steps; sign with your approver key")]
    SignatureRequired,
    /// Signatures cannot be required before anyone can sign.
    #[error("no approver key is registered yet; register the team's approver keys first")]
    NoApprovers,
    /// Signing or reading a signed statement failed.
    #[error(transparent)]
    Signature(#[from] ApprovalError),
}
