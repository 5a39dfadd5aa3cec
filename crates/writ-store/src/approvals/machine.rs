//! The review state machine: submitting (and refreshing) a version's
//! review, approving and rejecting it, its status and its history. Each
//! step checks the state, runs in one write transaction and appends its
//! audit event there.

use super::evidence::{describe_change, Evidence};
use super::signing::StepFacts;
use super::sql::{approvals_of, baseline_of, in_write_tx, state_of};
use super::state::{
    same_person, short, ReviewAction, ReviewDecision, ReviewError, ReviewOptions, ReviewState,
    VersionStatus,
};
use crate::approvers::ReviewSigner;
use crate::audit;
use crate::error::{Result, StoreError};
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::params;
use serde::Serialize;
use writ_base::time::UtcTime;
use writ_bundle::approval::ApprovalDecision;

/// One submission of a version for review, with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReviewRound {
    /// 1 for the first submission, then 2, ...
    pub round: i64,
    /// `in_review`, `approved` or `rejected`.
    pub state: ReviewState,
    /// Who submitted it.
    pub submitted_by: String,
    /// The approver key that signed the submission, if it was signed.
    pub submitted_key: Option<String>,
    /// When.
    #[ts(type = "string")]
    pub submitted_at: UtcTime,
    /// When it was approved or rejected.
    #[ts(type = "string | null")]
    pub decided_at: Option<UtcTime>,
    /// Distinct approvers needed.
    pub required_approvals: u32,
    /// What was reviewed.
    pub evidence: Evidence,
    /// Approvals and the rejection, oldest first.
    pub decisions: Vec<ReviewDecision>,
}

/// The answer of [`Workspace::review`].
#[derive(Debug, Clone, Serialize)]
pub struct ReviewReport {
    /// The version's state after the call.
    pub status: VersionStatus,
    /// Who committed the version.
    pub author: String,
    /// What the call did.
    pub action: ReviewAction,
    /// Every review round, oldest first (the last is the current one).
    pub rounds: Vec<ReviewRound>,
}

impl ReviewReport {
    /// The latest round, if the version was ever submitted.
    pub fn current(&self) -> Option<&ReviewRound> {
        self.rounds.last()
    }
}

impl Workspace {
    /// A version's review state and the approvals of its latest round.
    pub fn version_status(&self, id_or_prefix: &str) -> Result<VersionStatus> {
        let id = self.resolve_version(id_or_prefix)?;
        let (state, review) = state_of(&self.conn, &id)?;
        let approvals = match review {
            Some(r) => approvals_of(&self.conn, r)?,
            None => Vec::new(),
        };
        Ok(VersionStatus {
            id,
            state,
            approvals,
        })
    }

    /// Every review round of a version, oldest first (empty for a draft).
    pub fn review_history(&self, id_or_prefix: &str) -> Result<Vec<ReviewRound>> {
        let id = self.resolve_version(id_or_prefix)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, round, state, submitted_by, submitted_at, decided_at, required, evidence, submit_key FROM reviews WHERE version_id = ?1 ORDER BY round",
        )?;
        type Row = (
            i64,
            i64,
            String,
            String,
            UtcTime,
            Option<UtcTime>,
            i64,
            String,
            Option<String>,
        );
        let rows: Vec<Row> = stmt
            .query_map([&id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    crate::columns::time(r, 4)?,
                    crate::columns::optional_time(r, 5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut decisions = self.conn.prepare(
            "SELECT decision, actor, at, comment, key_id FROM review_decisions WHERE review_id = ?1 ORDER BY id",
        )?;
        let mut out = Vec::new();
        for (rid, round, state, by, at, decided, required, evidence, submit_key) in rows {
            let state = ReviewState::parse(&state).ok_or_else(|| {
                StoreError::Damaged(format!("review {rid} has an unknown state `{state}`"))
            })?;
            let evidence: Evidence = serde_json::from_str(&evidence).map_err(|e| {
                StoreError::Damaged(format!("the evidence of review {rid} does not read: {e}"))
            })?;
            let list = decisions
                .query_map([rid], |r| {
                    Ok(ReviewDecision {
                        decision: r.get(0)?,
                        actor: r.get(1)?,
                        at: crate::columns::time(r, 2)?,
                        comment: r.get(3)?,
                        key_id: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.push(ReviewRound {
                round,
                state,
                submitted_by: by,
                submitted_key: submit_key,
                submitted_at: at,
                decided_at: decided,
                required_approvals: u32::try_from(required).unwrap_or(1),
                evidence,
                decisions: list,
            });
        }
        Ok(out)
    }

    /// `writ review V`: submits a draft (or, with `resubmit`, a rejected)
    /// version for review with freshly gathered [`Evidence`]; for a version
    /// in review, refreshes or compares its evidence; for an approved or
    /// rejected one, returns its history. Refused when the version has
    /// check errors or no suite bound, or the workspace has no trace set.
    /// Replays that are missing are stored as runs (`progress` counts
    /// actions).
    pub fn review<'k>(
        &mut self,
        id_or_prefix: &str,
        options: ReviewOptions<'_>,
        signer: impl Into<ReviewSigner<'k>>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReviewReport> {
        let signer = signer.into();
        let id = self.resolve_version(id_or_prefix)?;
        let (state, review) = state_of(&self.conn, &id)?;
        let action = match state {
            ReviewState::Approved => ReviewAction::History,
            ReviewState::Rejected if !options.resubmit => ReviewAction::History,
            ReviewState::Draft | ReviewState::Rejected => {
                let step = self.step_taker(signer)?;
                let actor = step.name.as_str();
                let evidence = self.gather_evidence(&id, options.traces, actor, progress)?;
                in_write_tx(self, |ws| {
                    if state_of(&ws.conn, &id)?.0 != state
                        || baseline_of(&ws.conn, &id)? != evidence.baseline
                    {
                        return Err(ReviewError::Changed { short: short(&id) }.into());
                    }
                    let round: i64 = ws.conn.query_row(
                        "SELECT COALESCE(MAX(round), 0) + 1 FROM reviews WHERE version_id = ?1",
                        [&id],
                        |r| r.get(0),
                    )?;
                    let json =
                        serde_json::to_string(&evidence).map_err(|e| StoreError::Encode {
                            what: "the evidence",
                            source: e,
                        })?;
                    let at = now_rfc3339();
                    let statement = ws.sign_submission(&step, &id, &json, &at)?;
                    ws.conn.execute(
                        "INSERT INTO reviews (version_id, round, state, submitted_at, submitted_by, baseline_id, set_id, required, evidence, submit_key, submit_statement) VALUES (?1, ?2, 'in_review', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        params![
                            id,
                            round,
                            at,
                            actor,
                            evidence.baseline,
                            evidence.set,
                            evidence.required_approvals,
                            json,
                            step.key_id(),
                            statement
                        ],
                    )?;
                    audit::append(
                        &ws.conn,
                        actor,
                        "review.submit",
                        &serde_json::json!({
                            "version": id,
                            "round": round,
                            "baseline": evidence.baseline,
                            "set": evidence.set,
                            "required_approvals": evidence.required_approvals,
                            "critical_agents": evidence.critical_agents,
                            "evidence_sha256": writ_base::sha256_hex(json.as_bytes()),
                            "key_id": step.key_id(),
                        }),
                    )?;
                    Ok(())
                })?;
                ReviewAction::Submitted
            }
            ReviewState::InReview => {
                let review = review.ok_or_else(|| {
                    StoreError::Damaged(format!("version {} is in review without a round", &id))
                })?;
                let current = self
                    .review_history(&id)?
                    .pop()
                    .ok_or_else(|| StoreError::Damaged(format!("review {review} vanished")))?;
                let stored = current.evidence;
                let set = options
                    .traces
                    .map(str::to_string)
                    .unwrap_or_else(|| stored.set.to_string());
                // Looking at current evidence needs no signature; a replay
                // it lacks is stored under the round's submitter, and
                // replacing the evidence needs the step taker (below).
                let step = self.step_taker(signer);
                let runs_by = match &step {
                    Ok(s) => s.name.clone(),
                    Err(_) => current.submitted_by.clone(),
                };
                let fresh = self.gather_evidence(&id, Some(&set), &runs_by, progress)?;
                if fresh == stored {
                    ReviewAction::Current
                } else if !approvals_of(&self.conn, review)?.is_empty() {
                    ReviewAction::Stale {
                        reason: describe_change(&stored, &fresh),
                    }
                } else {
                    let step = step?;
                    let actor = step.name.as_str();
                    in_write_tx(self, |ws| {
                        let json =
                            serde_json::to_string(&fresh).map_err(|e| StoreError::Encode {
                                what: "the evidence",
                                source: e,
                            })?;
                        // Whoever gathers the new evidence submits it: their
                        // statement replaces the submission (signed where
                        // signatures are required), so they cannot approve it.
                        let at = now_rfc3339();
                        let statement = ws.sign_submission(&step, &id, &json, &at)?;
                        let n = ws.conn.execute(
                            "UPDATE reviews SET evidence = ?2, baseline_id = ?3, set_id = ?4, required = ?5, submitted_by = ?6, submit_key = ?7, submit_statement = ?8 WHERE id = ?1 AND state = 'in_review' AND NOT EXISTS (SELECT 1 FROM review_decisions WHERE review_id = ?1)",
                            params![review, json, fresh.baseline, fresh.set, fresh.required_approvals, actor, step.key_id(), statement],
                        )?;
                        if n != 1 {
                            return Err(ReviewError::Changed { short: short(&id) }.into());
                        }
                        audit::append(
                            &ws.conn,
                            actor,
                            "review.update",
                            &serde_json::json!({
                                "version": id,
                                "reason": describe_change(&stored, &fresh),
                                "baseline": fresh.baseline,
                                "set": fresh.set,
                                "required_approvals": fresh.required_approvals,
                                "evidence_sha256": writ_base::sha256_hex(json.as_bytes()),
                            }),
                        )?;
                        Ok(())
                    })?;
                    ReviewAction::Updated
                }
            }
        };
        Ok(ReviewReport {
            status: self.version_status(&id)?,
            author: self.version(&id)?.author,
            action,
            rounds: self.review_history(&id)?,
        })
    }

    /// `writ approve V --as NAME`: records an approval of a version in
    /// review. Refused for the version's author, for someone who approved
    /// this round already, when the evidence no longer holds (another
    /// version approved since, the suites bound to it changed, the trace
    /// set gone), or when the check has errors or a suite fails. The
    /// version becomes approved once it has the approvals its evidence
    /// requires.
    pub fn approve_version<'k>(
        &mut self,
        id_or_prefix: &str,
        signer: impl Into<ReviewSigner<'k>>,
        comment: Option<&str>,
    ) -> Result<VersionStatus> {
        let step = self.step_taker(signer.into())?;
        let approver = step.name.as_str();
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        let id = self.resolve_version(id_or_prefix)?;
        let sh = short(&id);
        in_write_tx(self, |ws| {
            let review = ws.open_review(&id)?;
            let author = ws.version(&id)?.author;
            if same_person(&author, approver) {
                return Err(ReviewError::SelfApproval {
                    short: sh.clone(),
                    approver: approver.to_string(),
                }
                .into());
            }
            let round = ws
                .review_history(&id)?
                .pop()
                .ok_or_else(|| StoreError::Damaged(format!("review {review} vanished")))?;
            if let (Some(key), Some(submitted)) = (step.key_id(), &round.submitted_key) {
                if key == submitted {
                    return Err(ReviewError::SelfApprovalByKey {
                        short: sh.clone(),
                        approver: approver.to_string(),
                        key_id: key.to_string(),
                    }
                    .into());
                }
            }
            if same_person(&round.submitted_by, approver) {
                return Err(ReviewError::SelfApproval {
                    short: sh.clone(),
                    approver: approver.to_string(),
                }
                .into());
            }
            let evidence = &round.evidence;
            let before = approvals_of(&ws.conn, review)?;
            if before.iter().any(|a| {
                same_person(&a.approver, approver)
                    || (a.key_id.is_some() && a.key_id.as_deref() == step.key_id())
            }) {
                return Err(ReviewError::AlreadyApproved {
                    short: sh.clone(),
                    approver: approver.to_string(),
                    agents: evidence.critical_agents.join(", "),
                }
                .into());
            }
            // The evidence must still describe what is being approved.
            let now = ws.inputs(&id)?;
            if now.baseline != evidence.baseline {
                return Err(ReviewError::StaleEvidence {
                    approved_by_some: !before.is_empty(),
                    short: sh.clone(),
                    reason: format!(
                        "it was compared with {}, but the most recently approved version is now {}",
                        evidence
                            .baseline
                            .as_deref()
                            .map(short)
                            .unwrap_or_else(|| "no baseline".into()),
                        now.baseline
                            .as_deref()
                            .map(short)
                            .unwrap_or_else(|| "none".into())
                    ),
                }
                .into());
            }
            let set = ws.trace_set(&evidence.set.to_string()).ok();
            if set.map(|s| s.sha256) != Some(evidence.set_sha256.clone()) {
                return Err(ReviewError::StaleEvidence {
                    approved_by_some: !before.is_empty(),
                    short: sh.clone(),
                    reason: format!(
                        "trace set `{}` is no longer stored as reviewed",
                        evidence.set_name
                    ),
                }
                .into());
            }
            let reviewed: Vec<(String, String, Option<i64>)> = evidence
                .suites
                .iter()
                .map(|s| (s.name.clone(), s.sha256.clone(), s.set))
                .collect();
            if now.suites != reviewed {
                return Err(ReviewError::StaleEvidence {
                    approved_by_some: !before.is_empty(),
                    short: sh.clone(),
                    reason: "the suites bound to it were added, replaced or removed since".into(),
                }
                .into());
            }
            let (errors, _) = ws.check_counts(&id)?;
            if errors > 0 {
                return Err(ReviewError::CheckFailed {
                    short: sh.clone(),
                    errors,
                }
                .into());
            }
            let suites = ws.run_bound_suites(&id)?;
            let failing: Vec<String> = suites
                .iter()
                .filter(|s| !s.ok())
                .map(|s| s.name.clone())
                .collect();
            if suites.is_empty() {
                return Err(ReviewError::NoSuites { short: sh.clone() }.into());
            }
            if !failing.is_empty() {
                return Err(ReviewError::SuitesFail {
                    short: sh.clone(),
                    suites: failing.join(", "),
                }
                .into());
            }
            let at = now_rfc3339();
            let statement = ws.sign_step(
                &step,
                &id,
                &StepFacts {
                    evidence_json: &stored_evidence(&ws.conn, review)?,
                    decision: ApprovalDecision::Approve,
                    comment,
                    at: &at,
                },
            )?;
            ws.conn.execute(
                "INSERT INTO review_decisions (review_id, decision, actor, at, comment, key_id, statement) VALUES (?1, 'approve', ?2, ?3, ?4, ?5, ?6)",
                params![review, approver, at, comment, step.key_id(), statement],
            )?;
            let count = before.len() as u32 + 1;
            let done = count >= round.required_approvals;
            if done {
                ws.conn.execute(
                    "UPDATE reviews SET state = 'approved', decided_at = ?2 WHERE id = ?1",
                    params![review, at],
                )?;
            }
            audit::append(
                &ws.conn,
                approver,
                "review.approve",
                &serde_json::json!({
                    "version": id,
                    "round": round.round,
                    "comment": comment,
                    "approvals": count,
                    "required_approvals": round.required_approvals,
                    "state": if done { "approved" } else { "in_review" },
                    "key_id": step.key_id(),
                }),
            )?;
            Ok(())
        })?;
        self.version_status(&id)
    }

    /// `writ reject V --as NAME --comment TEXT`: rejects a version in
    /// review (a comment is required). It can be submitted again as a new
    /// round (`ReviewOptions::resubmit`).
    pub fn reject_version<'k>(
        &mut self,
        id_or_prefix: &str,
        signer: impl Into<ReviewSigner<'k>>,
        comment: &str,
    ) -> Result<VersionStatus> {
        let step = self.step_taker(signer.into())?;
        let actor = step.name.as_str();
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(ReviewError::CommentRequired.into());
        }
        let id = self.resolve_version(id_or_prefix)?;
        in_write_tx(self, |ws| {
            let review = ws.open_review(&id)?;
            let at = now_rfc3339();
            let statement = ws.sign_step(
                &step,
                &id,
                &StepFacts {
                    evidence_json: &stored_evidence(&ws.conn, review)?,
                    decision: ApprovalDecision::Reject,
                    comment: Some(comment),
                    at: &at,
                },
            )?;
            ws.conn.execute(
                "INSERT INTO review_decisions (review_id, decision, actor, at, comment, key_id, statement) VALUES (?1, 'reject', ?2, ?3, ?4, ?5, ?6)",
                params![review, actor, at, comment, step.key_id(), statement],
            )?;
            ws.conn.execute(
                "UPDATE reviews SET state = 'rejected', decided_at = ?2 WHERE id = ?1",
                params![review, at],
            )?;
            let round: i64 =
                ws.conn
                    .query_row("SELECT round FROM reviews WHERE id = ?1", [review], |r| {
                        r.get(0)
                    })?;
            audit::append(
                &ws.conn,
                actor,
                "review.reject",
                &serde_json::json!({"version": id, "round": round, "comment": comment, "key_id": step.key_id()}),
            )?;
            Ok(())
        })?;
        self.version_status(&id)
    }

    /// The id of the version's review round in review, or why there is none.
    fn open_review(&self, id: &str) -> Result<i64> {
        let sh = short(id);
        match state_of(&self.conn, id)? {
            (ReviewState::InReview, Some(r)) => Ok(r),
            (ReviewState::Approved, _) => Err(ReviewError::Final { short: sh }.into()),
            (state, _) => Err(ReviewError::NotInReview { short: sh, state }.into()),
        }
    }
}

/// The evidence of review `review` exactly as stored (its digest is what a
/// signed step binds).
fn stored_evidence(conn: &rusqlite::Connection, review: i64) -> Result<String> {
    Ok(conn.query_row(
        "SELECT evidence FROM reviews WHERE id = ?1",
        [review],
        |r| r.get(0),
    )?)
}
