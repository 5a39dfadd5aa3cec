//! Verifying a bundle against the workspace's own keys: the signing keys
//! registered in it (`writ key generate`, `writ key add`) as the trusted
//! signers, and its active approver keys for the signed approvals the
//! bundle carries. What the workbench's "Verify a bundle…" shows and what
//! `writ bundle verify PATH --workspace-keys` prints.

use crate::error::{Result, StoreError};
use crate::workspace::Workspace;
use std::path::Path;
use time::OffsetDateTime;
use writ_bundle::bundle::{self, TrustedKey, Verified};
use writ_bundle::bundle_review::{self, CheckedReview};
use writ_bundle::error::VerifyError;
use writ_bundle::keys::parse_public;

/// A bundle checked against the workspace's keys.
#[derive(Debug)]
pub struct WorkspaceCheck {
    /// The signature, files and validity, verified.
    pub verified: Verified,
    /// The signed approvals checked against the active approver keys (at
    /// least one must count); `None` when the workspace has no approver key
    /// (a legacy workspace), so none could be checked.
    pub review: Option<CheckedReview>,
}

impl Workspace {
    /// The registered signing keys, as keys a bundle may be signed by.
    pub fn trusted_signing_keys(&self) -> Result<Vec<TrustedKey>> {
        self.keys()?
            .into_iter()
            .map(|k| trusted(&k.key_id, &k.public_pem))
            .collect()
    }

    /// The approver keys not revoked, as keys approvals may be signed by.
    pub fn trusted_approver_keys(&self) -> Result<Vec<TrustedKey>> {
        self.approvers()?
            .into_iter()
            .filter(|a| a.active())
            .map(|a| trusted(&a.key_id, &a.public_pem))
            .collect()
    }

    /// Verifies the bundle at `path` at time `at` against the workspace's
    /// signing keys and, when it has approver keys, its approvals against
    /// them. The outer error is the workspace's; the inner one is why the
    /// bundle was refused (with its `writ bundle verify` exit code).
    pub fn check_bundle(
        &self,
        path: &Path,
        at: OffsetDateTime,
    ) -> Result<std::result::Result<WorkspaceCheck, VerifyError>> {
        let signers = self.trusted_signing_keys()?;
        let approvers = self.trusted_approver_keys()?;
        Ok(check_with(path, &signers, &approvers, at))
    }
}

/// Verifies the bundle at `path` against `signers` and, when `approvers`
/// is not empty, requires at least one approval by them.
pub fn check_with(
    path: &Path,
    signers: &[TrustedKey],
    approvers: &[TrustedKey],
    at: OffsetDateTime,
) -> std::result::Result<WorkspaceCheck, VerifyError> {
    let verified = bundle::read(path).and_then(|b| bundle::verify(&b, signers, at))?;
    let review = if approvers.is_empty() {
        None
    } else {
        Some(bundle_review::check(&verified.manifest, approvers, 1)?)
    };
    Ok(WorkspaceCheck { verified, review })
}

/// A registered public key, read back (a key that no longer parses means
/// the workspace was altered).
fn trusted(key_id: &str, pem: &str) -> Result<TrustedKey> {
    let key = parse_public(pem)
        .map_err(|e| StoreError::Damaged(format!("registered key {key_id} does not parse: {e}")))?;
    Ok(TrustedKey::new(key))
}
