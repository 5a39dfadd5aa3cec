//! Who takes a review step, and the signed statement that records it.
//!
//! A step is taken either under a typed name (legacy workspaces only) or
//! with an approver key, whose registered name is then recorded. A signed
//! step is an approval statement (`writ_bundle::approval`) over the
//! version, the digest of the bundle payload the version would ship, the
//! digest of the evidence as stored, the decision, the comment and the
//! time, kept as DSSE JSON beside the step and carried by exported
//! bundles ([`Workspace::signed_review`]).

use crate::approvers::{active_signer, mode_of, ApproverError, ReviewSigner, SignatureMode};
use crate::error::{Result, StoreError};
use crate::review_state::ReviewError;
use crate::workspace::Workspace;
use ed25519_dalek::SigningKey;
use writ_bundle::approval::{self, ApprovalDecision, ApprovalStatement};
use writ_bundle::bundle;
use writ_bundle::dsse::Envelope;

/// The person taking a step, resolved against the workspace.
pub(crate) struct Step<'a> {
    /// The name recorded (the registered name for a key).
    pub name: String,
    /// The key and its id, for a signed step.
    pub key: Option<(&'a SigningKey, String)>,
}

impl Step<'_> {
    /// The signing key's id, if the step is signed.
    pub fn key_id(&self) -> Option<&str> {
        self.key.as_ref().map(|(_, id)| id.as_str())
    }
}

/// What a signed step binds besides the version.
pub(crate) struct StepFacts<'s> {
    /// The evidence as stored (its digest is signed).
    pub evidence_json: &'s str,
    /// Submit, approve or reject.
    pub decision: ApprovalDecision,
    /// The comment.
    pub comment: Option<&'s str>,
    /// The time recorded on the step (RFC 3339).
    pub at: &'s str,
}

impl Workspace {
    /// Resolves `signer` for a step: a name only where signatures are not
    /// required, a key only when it is an active approver key.
    pub(crate) fn step_taker<'a>(&self, signer: ReviewSigner<'a>) -> Result<Step<'a>> {
        match signer {
            ReviewSigner::Name(name) => {
                if mode_of(&self.conn)? == SignatureMode::Required {
                    return Err(ApproverError::SignatureRequired.into());
                }
                let name = name.trim();
                if name.is_empty() {
                    return Err(ReviewError::NoActor.into());
                }
                Ok(Step {
                    name: name.to_string(),
                    key: None,
                })
            }
            ReviewSigner::Key(key) => {
                let a = active_signer(&self.conn, key)?;
                Ok(Step {
                    name: a.name,
                    key: Some((key, a.key_id)),
                })
            }
        }
    }

    /// The digest of the bundle payload version `id` would ship
    /// (`writ_bundle::bundle::payload_digest`), from its checked project.
    pub fn version_payload_digest(&self, id: &str) -> Result<String> {
        let checked = self.project(id)?;
        bundle::inputs_from_project(&checked.id, &checked.project, Vec::new(), "", None)
            .payload_digest()
            .map_err(|e| StoreError::Damaged(format!("version {id}: {e}")))
    }

    /// The signed statement of `step` on version `id` as DSSE JSON, or
    /// `None` for an unsigned (legacy) step.
    pub(crate) fn sign_step(
        &self,
        step: &Step<'_>,
        id: &str,
        facts: &StepFacts<'_>,
    ) -> Result<Option<String>> {
        let Some((key, _)) = step.key else {
            return Ok(None);
        };
        let statement = ApprovalStatement {
            version: id.to_string(),
            payload_digest: self.version_payload_digest(id)?,
            evidence_digest: writ_base::sha256_hex(facts.evidence_json.as_bytes()),
            decision: facts.decision,
            approver: step.name.clone(),
            comment: facts.comment.map(str::to_string),
            at: facts.at.to_string(),
        };
        let envelope = approval::sign(&statement, key).map_err(ApproverError::from)?;
        serde_json::to_string(&envelope)
            .map(Some)
            .map_err(|e| StoreError::Encode {
                what: "the signed review step",
                source: e,
            })
    }

    /// The signed submission of version `id` with `evidence_json` at `at`
    /// (see [`Workspace::sign_step`]).
    pub(crate) fn sign_submission(
        &self,
        step: &Step<'_>,
        id: &str,
        evidence_json: &str,
        at: &str,
    ) -> Result<Option<String>> {
        self.sign_step(
            step,
            id,
            &StepFacts {
                evidence_json,
                decision: ApprovalDecision::Submit,
                comment: None,
                at,
            },
        )
    }

    /// The signed statements of version `id`'s latest round, in the order
    /// taken (the submission, then each approval or rejection): what an
    /// exported bundle carries. Empty for unsigned (legacy) steps.
    pub fn signed_review(&self, id_or_prefix: &str) -> Result<Vec<Envelope>> {
        let id = self.resolve_version(id_or_prefix)?;
        let mut stmt = self.conn.prepare(
            "SELECT s FROM (
                 SELECT 0 AS k, r.id AS n, r.submit_statement AS s FROM reviews r
                  WHERE r.id = (SELECT id FROM reviews WHERE version_id = ?1 ORDER BY round DESC LIMIT 1)
                 UNION ALL
                 SELECT 1, d.id, d.statement FROM review_decisions d
                  WHERE d.review_id = (SELECT id FROM reviews WHERE version_id = ?1 ORDER BY round DESC LIMIT 1)
             ) WHERE s IS NOT NULL ORDER BY k, n",
        )?;
        let texts = stmt
            .query_map([&id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        texts
            .iter()
            .map(|t| {
                serde_json::from_str(t).map_err(|e| {
                    StoreError::Damaged(format!(
                        "a signed review step of version {id} does not read: {e}"
                    ))
                })
            })
            .collect()
    }
}
