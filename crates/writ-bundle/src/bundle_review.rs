//! Checking, offline, that a bundle's version was approved by people whose
//! keys the verifier trusts: the signed review statements a bundle carries
//! ([`crate::bundle::Manifest::signed_review`]) against a list of approver
//! public keys and a minimum number of approvals.
//!
//! An approval counts when its signature verifies with one of the given
//! keys, it approves (not submits or rejects), it names the bundle's
//! version and the digest of the bundle's own content (recomputed here
//! from the manifest, so an approval of other files never counts), it was
//! made on the evidence the author submitted, and its key and name are
//! neither the author's nor those of an approval already counted. A
//! rejection by a trusted key of the same content refuses the bundle.

use crate::approval::{self, ApprovalDecision, ApprovalStatement, VerifiedApproval};
use crate::bundle::{Manifest, TrustedKey};
pub use crate::error::ReviewCheckError;
use serde::Serialize;

/// The approvals that counted, and why the others did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedReview {
    /// The author's submission, when one verifies with a given key.
    pub submitted_by: Option<String>,
    /// Each counted approval: the approver's registered name and key id.
    pub approvals: Vec<CountedApproval>,
    /// For each statement that did not count, why (in the bundle's order).
    pub not_counted: Vec<String>,
}

/// One approval that counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountedApproval {
    /// The name in the signed statement.
    pub approver: String,
    /// The trusted key that signed it.
    pub key_id: String,
    /// When it was signed.
    pub at: String,
}

/// Checks the signed review statements of `manifest` against `approvers`;
/// at least `min_approvals` distinct approvals must count.
pub fn check(
    manifest: &Manifest,
    approvers: &[TrustedKey],
    min_approvals: usize,
) -> Result<CheckedReview, ReviewCheckError> {
    let digest = manifest
        .payload_digest()
        .map_err(|e| ReviewCheckError::Digest(e.to_string()))?;
    let mut not_counted = Vec::new();
    let mut verified: Vec<(usize, VerifiedApproval)> = Vec::new();
    for (i, envelope) in manifest.signed_review.iter().enumerate() {
        let n = i + 1;
        match approval::verify(envelope, approvers) {
            Err(e) => not_counted.push(format!("statement {n}: {e}")),
            Ok(v) if v.statement.version != manifest.policy_version => not_counted.push(format!(
                "statement {n} ({}) is for version {}, not the bundled {}",
                v.statement.approver, v.statement.version, manifest.policy_version
            )),
            Ok(v) if v.statement.payload_digest != digest => not_counted.push(format!(
                "statement {n} ({}) was signed over other bundle content (payload digest {})",
                v.statement.approver, v.statement.payload_digest
            )),
            Ok(v) => verified.push((n, v)),
        }
    }
    if let Some((_, r)) = verified
        .iter()
        .find(|(_, v)| v.statement.decision == ApprovalDecision::Reject)
    {
        return Err(ReviewCheckError::Rejected {
            approver: r.statement.approver.clone(),
            key_id: r.key_id.clone(),
            comment: r.statement.comment.clone().unwrap_or_default(),
        });
    }
    // The author is known by every submission the bundle names, trusted or
    // not: excluding an unverified author can only lower the count.
    let authors = submissions(manifest);
    let submitted = verified
        .iter()
        .find(|(_, v)| v.statement.decision == ApprovalDecision::Submit)
        .map(|(_, v)| v);
    let mut counted: Vec<CountedApproval> = Vec::new();
    for (n, v) in &verified {
        let st = &v.statement;
        if st.decision != ApprovalDecision::Approve {
            continue;
        }
        let why = if authors
            .iter()
            .any(|(key, name)| *key == v.key_id || same_name(name, &st.approver))
        {
            Some("is by the author")
        } else if submitted.is_some_and(|s| s.statement.evidence_digest != st.evidence_digest) {
            Some("was made on other evidence than the author submitted")
        } else if counted
            .iter()
            .any(|c| c.key_id == v.key_id || same_name(&c.approver, &st.approver))
        {
            Some("repeats an approver already counted")
        } else {
            None
        };
        match why {
            Some(why) => not_counted.push(format!("statement {n} ({}) {why}", st.approver)),
            None => counted.push(CountedApproval {
                approver: st.approver.clone(),
                key_id: v.key_id.clone(),
                at: st.at.clone(),
            }),
        }
    }
    if counted.len() < min_approvals {
        return Err(ReviewCheckError::TooFew {
            found: counted.len(),
            needed: min_approvals,
            not_counted,
        });
    }
    Ok(CheckedReview {
        submitted_by: submitted.map(|s| s.statement.approver.clone()),
        approvals: counted,
        not_counted,
    })
}

/// The (claimed key id, name) of every submission statement in the
/// manifest, read without checking signatures.
fn submissions(manifest: &Manifest) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for envelope in &manifest.signed_review {
        let Some(st) = envelope
            .payload_bytes()
            .and_then(|b| serde_json::from_slice::<ApprovalStatement>(&b).ok())
        else {
            continue;
        };
        if st.decision == ApprovalDecision::Submit {
            for s in &envelope.signatures {
                out.push((s.keyid.clone(), st.approver.clone()));
            }
        }
    }
    out
}

/// Names compare as people do: trimmed, case-insensitively.
fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}
