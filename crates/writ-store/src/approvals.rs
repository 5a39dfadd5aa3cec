//! Four-eyes review of policy versions: a version moves
//! draft → in review → approved or rejected.
//!
//! - Submitting a version ([`Workspace::review`]) gathers the evidence an
//!   approver sees: the version's check (no errors allowed), the scenario
//!   suites bound to it run against it (at least one must be bound), and a
//!   decision diff over a trace set against the *baseline*, the most
//!   recently approved other version (for the first approval there is none:
//!   the evidence is the version's replay summary). The runs it needs are
//!   stored as ordinary runs; the evidence is stored as JSON with the
//!   review round.
//! - Approving ([`Workspace::approve_version`]) re-checks that the evidence
//!   still holds (same baseline and trace set, same suites, which still
//!   pass, a clean check) and refuses the version's author (compared
//!   case-insensitively). A version whose diff changes a decision or
//!   verdict of a `critical` agent (in its inventory or the baseline's)
//!   needs two distinct approvers; the first approval is recorded and the
//!   version stays in review until the second.
//! - Rejecting ([`Workspace::reject_version`]) needs a comment; a rejected
//!   version can be submitted again, as a new round.
//! - An approved version is final: no further review step, and the suites
//!   bound to it can be neither replaced nor removed.
//!
//! Every step is an audit event (`review.submit`, `review.update`,
//! `review.approve`, `review.reject`), written in the same transaction.

use crate::audit;
use crate::error::{Result, StoreError};
use crate::suites::Overrides;
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use writ_core::diff::ChangeKind;
use writ_core::inventory::RiskTier;

/// Where a version is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Never submitted for review.
    Draft,
    /// Submitted, waiting for approval.
    InReview,
    /// Approved: final and immutable.
    Approved,
    /// Rejected; it may be submitted again.
    Rejected,
}

impl ReviewState {
    /// The snake-case name (`draft`, `in_review`, `approved`, `rejected`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Draft => "draft",
            ReviewState::InReview => "in_review",
            ReviewState::Approved => "approved",
            ReviewState::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Option<ReviewState> {
        Some(match text {
            "draft" => ReviewState::Draft,
            "in_review" => ReviewState::InReview,
            "approved" => ReviewState::Approved,
            "rejected" => ReviewState::Rejected,
            _ => return None,
        })
    }

    /// Words for messages ("in review").
    fn words(self) -> &'static str {
        match self {
            ReviewState::Draft => "a draft",
            ReviewState::InReview => "in review",
            ReviewState::Approved => "approved",
            ReviewState::Rejected => "rejected",
        }
    }
}

impl std::fmt::Display for ReviewState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One approval of a version's current review round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalInfo {
    /// Who approved (as given).
    pub approver: String,
    /// When (RFC 3339).
    pub at: String,
    /// What they said.
    pub comment: Option<String>,
}

/// A version's review state and the approvals of its current round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionStatus {
    /// The full version id.
    pub id: String,
    /// Its state.
    pub state: ReviewState,
    /// The approvals of its latest review round, oldest first (for an
    /// approved version: who approved it).
    pub approvals: Vec<ApprovalInfo>,
}

/// The check of the version under review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckEvidence {
    /// Errors (a version with any is not accepted for review).
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
}

/// One suite bound to the version, run against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteEvidence {
    /// The suite's name.
    pub name: String,
    /// SHA-256 of its text, to notice a suite replaced after review.
    pub sha256: String,
    /// The trace set it is bound to, by id.
    pub set: Option<i64>,
    /// Cases run.
    pub cases: usize,
    /// Cases passed.
    pub passed: usize,
    /// Names of the cases that failed.
    pub failed: Vec<String>,
    /// Why it could not run at all.
    pub error: Option<String>,
}

impl SuiteEvidence {
    /// Whether it ran and every case passed.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.failed.is_empty()
    }
}

/// The version's own replay over the trace set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayEvidence {
    /// Actions decided.
    pub actions: u64,
    /// Allowed.
    pub allowed: u64,
    /// Denied.
    pub denied: u64,
    /// Count per verdict (`allowed`, `denied_by_forbid`, ...).
    pub verdicts: BTreeMap<String, u64>,
}

/// The decision diff from the baseline to the version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffEvidence {
    /// Actions compared.
    pub actions: u64,
    /// Actions whose outcome did not change.
    pub unchanged: u64,
    /// Actions whose outcome changed.
    pub changed: u64,
    /// Allowed before, denied now.
    pub allow_to_deny: u64,
    /// Denied before, allowed now.
    pub deny_to_allow: u64,
    /// Same decision, other determining policies, errors or verdict.
    pub same_decision_other_reasons: u64,
    /// Changed actions per agent.
    pub changed_by_agent: BTreeMap<String, u64>,
    /// Agents for which some action's decision or verdict changes (what
    /// they may do changes, not only why).
    pub agents_with_decision_changes: Vec<String>,
}

/// What a review round was decided on, stored with it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The version under review (full id).
    pub version: String,
    /// The most recently approved other version when reviewed, if any.
    pub baseline: Option<String>,
    /// The trace set replayed (id).
    pub set: i64,
    /// Its name.
    pub set_name: String,
    /// SHA-256 of its imported bytes.
    pub set_sha256: String,
    /// The version's check.
    pub check: CheckEvidence,
    /// The suites bound to the version, run against it.
    pub suites: Vec<SuiteEvidence>,
    /// The stored run of the version over the set.
    pub run: i64,
    /// The stored run of the baseline over the set.
    pub baseline_run: Option<i64>,
    /// The version's replay summary.
    pub replay: ReplayEvidence,
    /// The decision diff from the baseline (none without a baseline).
    pub diff: Option<DiffEvidence>,
    /// Agents of `critical` tier (in the version's or the baseline's
    /// inventory) whose decisions the diff changes.
    pub critical_agents: Vec<String>,
    /// Distinct approvers needed: 2 when `critical_agents` is not empty.
    pub required_approvals: u32,
}

impl Evidence {
    /// Whether at least one suite is bound and every one passed.
    pub fn suites_pass(&self) -> bool {
        !self.suites.is_empty() && self.suites.iter().all(SuiteEvidence::ok)
    }

    /// Suites that failed or could not run, by name.
    pub fn failing_suites(&self) -> Vec<String> {
        self.suites
            .iter()
            .filter(|s| !s.ok())
            .map(|s| s.name.clone())
            .collect()
    }
}

/// One approval or rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewDecision {
    /// `approve` or `reject`.
    pub decision: String,
    /// Who.
    pub actor: String,
    /// When (RFC 3339).
    pub at: String,
    /// What they said.
    pub comment: Option<String>,
}

/// One submission of a version for review, with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewRound {
    /// 1 for the first submission, then 2, ...
    pub round: i64,
    /// `in_review`, `approved` or `rejected`.
    pub state: ReviewState,
    /// Who submitted it.
    pub submitted_by: String,
    /// When.
    pub submitted_at: String,
    /// When it was approved or rejected.
    pub decided_at: Option<String>,
    /// Distinct approvers needed.
    pub required_approvals: u32,
    /// What was reviewed.
    pub evidence: Evidence,
    /// Approvals and the rejection, oldest first.
    pub decisions: Vec<ReviewDecision>,
}

/// What [`Workspace::review`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ReviewAction {
    /// The version was submitted (a new round).
    Submitted,
    /// The version was in review with no approval yet and its evidence had
    /// changed; the stored evidence was replaced.
    Updated,
    /// The version was in review and its evidence is still what is stored.
    Current,
    /// The version is in review with approvals, but its evidence changed
    /// since; approval is refused until it is rejected and submitted again.
    Stale {
        /// What changed.
        reason: String,
    },
    /// The version is approved or rejected: its history is shown, nothing
    /// was done.
    History,
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

/// What to review.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReviewOptions<'a> {
    /// The trace set to diff on (id or name); default: the newest set (for
    /// a version already in review: the set of its evidence).
    pub traces: Option<&'a str>,
    /// Submit a rejected version again, as a new round.
    pub resubmit: bool,
}

/// Why a review step was refused. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The version does not check clean.
    #[error("version {short} has {errors} error(s) and cannot be reviewed; see them with `writ check @{short}`, fix them and commit a new version")]
    CheckFailed {
        /// Short version id.
        short: String,
        /// Error count.
        errors: usize,
    },
    /// No scenario suite is bound to the version.
    #[error("no scenario suite is bound to version {short}, so nothing shows what it must decide; bind one with `writ suites add FILE --version {short}` and review again")]
    NoSuites {
        /// Short version id.
        short: String,
    },
    /// The workspace has no trace set to diff on.
    #[error("the workspace holds no trace set to replay the version on; import one with `writ traces import FILE --name NAME` and review again")]
    NoTraceSet,
    /// The step needs the version in review.
    #[error("version {short} is {}, not in review; {hint}", state.words())]
    NotInReview {
        /// Short version id.
        short: String,
        /// Its state.
        state: ReviewState,
        /// What to do.
        hint: String,
    },
    /// The version is approved, which is final.
    #[error("version {short} is approved, which is final; commit a new version and review that")]
    Final {
        /// Short version id.
        short: String,
    },
    /// The approver wrote the version.
    #[error("{approver} is the author of version {short} and cannot approve it; another person must approve (four-eyes rule)")]
    SelfApproval {
        /// Short version id.
        short: String,
        /// Who tried.
        approver: String,
    },
    /// The same person approved this round already.
    #[error("{approver} has already approved version {short}; it changes decisions of critical agents ({agents}), so a second, different person must approve")]
    AlreadyApproved {
        /// Short version id.
        short: String,
        /// Who tried.
        approver: String,
        /// The critical agents affected.
        agents: String,
    },
    /// Suites bound to the version fail.
    #[error("version {short} cannot be approved: suite(s) {suites} fail against it (see `writ test --suite NAME`); fix the suite and gather the evidence again (`writ review {short}`), or reject this version and fix it in a new one")]
    SuitesFail {
        /// Short version id.
        short: String,
        /// The failing suites.
        suites: String,
    },
    /// The evidence stored with the review no longer holds.
    #[error("the evidence reviewed for version {short} is out of date: {reason}; {hint}")]
    StaleEvidence {
        /// Short version id.
        short: String,
        /// What changed.
        reason: String,
        /// What to do.
        hint: String,
    },
    /// A rejection without a reason.
    #[error("a rejection needs a comment saying why (--comment TEXT)")]
    CommentRequired,
    /// No name for who acts.
    #[error("a review step needs the name of who takes it (--as NAME)")]
    NoActor,
    /// A suite bound to an approved version cannot change.
    #[error("suite `{suite}` is bound to version {short}, which is approved and final; its suites cannot be replaced or removed; add a new suite instead")]
    SuiteOfApproved {
        /// The suite.
        suite: String,
        /// Short version id.
        short: String,
    },
}

fn short(id: &str) -> String {
    id[..id.len().min(12)].to_string()
}

fn same_person(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The state of a version's latest review round (`Draft` without one),
/// read on `conn` (inside a caller's transaction if it has one).
pub(crate) fn state_of(conn: &Connection, version: &str) -> Result<(ReviewState, Option<i64>)> {
    let row: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, state FROM reviews WHERE version_id = ?1 ORDER BY round DESC LIMIT 1",
            [version],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        None => Ok((ReviewState::Draft, None)),
        Some((id, s)) => {
            let state = ReviewState::parse(&s).ok_or_else(|| {
                StoreError::Damaged(format!("review {id} has an unknown state `{s}`"))
            })?;
            Ok((state, Some(id)))
        }
    }
}

/// Refuses a change to a suite bound to an approved version (used by
/// `suites.rs` inside its transaction).
pub(crate) fn guard_suite(conn: &Connection, suite: &str) -> Result<()> {
    let bound: Option<Option<String>> = conn
        .query_row(
            "SELECT version_id FROM suites WHERE name = ?1",
            [suite],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(Some(version)) = bound {
        if state_of(conn, &version)?.0 == ReviewState::Approved {
            return Err(ReviewError::SuiteOfApproved {
                suite: suite.to_string(),
                short: short(&version),
            }
            .into());
        }
    }
    Ok(())
}

/// The most recently approved version other than `except`.
fn baseline_of(conn: &Connection, except: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT version_id FROM reviews WHERE state = 'approved' AND version_id <> ?1 ORDER BY decided_at DESC, id DESC LIMIT 1",
            [except],
            |r| r.get(0),
        )
        .optional()?)
}

/// The approvals of review `review`, oldest first.
fn approvals_of(conn: &Connection, review: i64) -> Result<Vec<ApprovalInfo>> {
    let mut stmt = conn.prepare(
        "SELECT actor, at, comment FROM review_decisions WHERE review_id = ?1 AND decision = 'approve' ORDER BY id",
    )?;
    let rows = stmt.query_map([review], |r| {
        Ok(ApprovalInfo {
            approver: r.get(0)?,
            at: r.get(1)?,
            comment: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Runs `f` inside `BEGIN IMMEDIATE` on the workspace's connection,
/// committing on success and rolling back on error.
fn in_write_tx<T>(ws: &mut Workspace, f: impl FnOnce(&mut Workspace) -> Result<T>) -> Result<T> {
    ws.conn.execute_batch("BEGIN IMMEDIATE")?;
    match f(ws) {
        Ok(v) => match ws.conn.execute_batch("COMMIT") {
            Ok(()) => Ok(v),
            Err(e) => {
                let _ = ws.conn.execute_batch("ROLLBACK");
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = ws.conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The inputs evidence depends on that can change after a review: the
/// baseline, the trace set and the suites bound to the version.
#[derive(Debug, PartialEq, Eq)]
struct Inputs {
    baseline: Option<String>,
    suites: Vec<(String, String, Option<i64>)>,
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
            "SELECT id, round, state, submitted_by, submitted_at, decided_at, required, evidence FROM reviews WHERE version_id = ?1 ORDER BY round",
        )?;
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            Option<String>,
            i64,
            String,
        );
        let rows: Vec<Row> = stmt
            .query_map([&id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut decisions = self.conn.prepare(
            "SELECT decision, actor, at, comment FROM review_decisions WHERE review_id = ?1 ORDER BY id",
        )?;
        let mut out = Vec::new();
        for (rid, round, state, by, at, decided, required, evidence) in rows {
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
                        at: r.get(2)?,
                        comment: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.push(ReviewRound {
                round,
                state,
                submitted_by: by,
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
    pub fn review(
        &mut self,
        id_or_prefix: &str,
        options: ReviewOptions<'_>,
        actor: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReviewReport> {
        let id = self.resolve_version(id_or_prefix)?;
        let (state, review) = state_of(&self.conn, &id)?;
        let action = match state {
            ReviewState::Approved => ReviewAction::History,
            ReviewState::Rejected if !options.resubmit => ReviewAction::History,
            ReviewState::Draft | ReviewState::Rejected => {
                if actor.trim().is_empty() {
                    return Err(ReviewError::NoActor.into());
                }
                let evidence = self.gather_evidence(&id, options.traces, actor, progress)?;
                in_write_tx(self, |ws| {
                    if state_of(&ws.conn, &id)?.0 != state
                        || baseline_of(&ws.conn, &id)? != evidence.baseline
                    {
                        return Err(StoreError::Invalid(format!(
                            "the review of version {} changed while its evidence was gathered; run `writ review` again",
                            short(&id)
                        )));
                    }
                    let round: i64 = ws.conn.query_row(
                        "SELECT COALESCE(MAX(round), 0) + 1 FROM reviews WHERE version_id = ?1",
                        [&id],
                        |r| r.get(0),
                    )?;
                    let json = serde_json::to_string(&evidence).map_err(|e| {
                        StoreError::Invalid(format!("cannot record the evidence: {e}"))
                    })?;
                    ws.conn.execute(
                        "INSERT INTO reviews (version_id, round, state, submitted_at, submitted_by, baseline_id, set_id, required, evidence) VALUES (?1, ?2, 'in_review', ?3, ?4, ?5, ?6, ?7, ?8)",
                        params![
                            id,
                            round,
                            now_rfc3339(),
                            actor,
                            evidence.baseline,
                            evidence.set,
                            evidence.required_approvals,
                            json
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
                let stored = self
                    .review_history(&id)?
                    .pop()
                    .map(|r| r.evidence)
                    .ok_or_else(|| StoreError::Damaged(format!("review {review} vanished")))?;
                let set = options
                    .traces
                    .map(str::to_string)
                    .unwrap_or_else(|| stored.set.to_string());
                let fresh = self.gather_evidence(&id, Some(&set), actor, progress)?;
                if fresh == stored {
                    ReviewAction::Current
                } else if !approvals_of(&self.conn, review)?.is_empty() {
                    ReviewAction::Stale {
                        reason: describe_change(&stored, &fresh),
                    }
                } else {
                    if actor.trim().is_empty() {
                        return Err(ReviewError::NoActor.into());
                    }
                    in_write_tx(self, |ws| {
                        let json = serde_json::to_string(&fresh).map_err(|e| {
                            StoreError::Invalid(format!("cannot record the evidence: {e}"))
                        })?;
                        let n = ws.conn.execute(
                            "UPDATE reviews SET evidence = ?2, baseline_id = ?3, set_id = ?4, required = ?5 WHERE id = ?1 AND state = 'in_review' AND NOT EXISTS (SELECT 1 FROM review_decisions WHERE review_id = ?1)",
                            params![review, json, fresh.baseline, fresh.set, fresh.required_approvals],
                        )?;
                        if n != 1 {
                            return Err(StoreError::Invalid(format!(
                                "the review of version {} changed meanwhile; run `writ review` again",
                                short(&id)
                            )));
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
    pub fn approve_version(
        &mut self,
        id_or_prefix: &str,
        approver: &str,
        comment: Option<&str>,
    ) -> Result<VersionStatus> {
        let approver = approver.trim();
        if approver.is_empty() {
            return Err(ReviewError::NoActor.into());
        }
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
            let evidence = &round.evidence;
            let before = approvals_of(&ws.conn, review)?;
            if before.iter().any(|a| same_person(&a.approver, approver)) {
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
                    hint: stale_hint(&sh, !before.is_empty()),
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
                    hint: stale_hint(&sh, !before.is_empty()),
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
                    hint: stale_hint(&sh, !before.is_empty()),
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
            ws.conn.execute(
                "INSERT INTO review_decisions (review_id, decision, actor, at, comment) VALUES (?1, 'approve', ?2, ?3, ?4)",
                params![review, approver, at, comment],
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
                }),
            )?;
            Ok(())
        })?;
        self.version_status(&id)
    }

    /// `writ reject V --as NAME --comment TEXT`: rejects a version in
    /// review (a comment is required). It can be submitted again as a new
    /// round (`ReviewOptions::resubmit`).
    pub fn reject_version(
        &mut self,
        id_or_prefix: &str,
        actor: &str,
        comment: &str,
    ) -> Result<VersionStatus> {
        let actor = actor.trim();
        if actor.is_empty() {
            return Err(ReviewError::NoActor.into());
        }
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(ReviewError::CommentRequired.into());
        }
        let id = self.resolve_version(id_or_prefix)?;
        in_write_tx(self, |ws| {
            let review = ws.open_review(&id)?;
            let at = now_rfc3339();
            ws.conn.execute(
                "INSERT INTO review_decisions (review_id, decision, actor, at, comment) VALUES (?1, 'reject', ?2, ?3, ?4)",
                params![review, actor, at, comment],
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
                &serde_json::json!({"version": id, "round": round, "comment": comment}),
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
            (state, _) => Err(ReviewError::NotInReview {
                hint: match state {
                    ReviewState::Rejected => {
                        format!("submit it again with `writ review {sh} --resubmit`")
                    }
                    _ => format!("submit it with `writ review {sh}`"),
                },
                short: sh,
                state,
            }
            .into()),
        }
    }

    /// Errors and warnings of a stored version's check.
    fn check_counts(&self, id: &str) -> Result<(usize, usize)> {
        let (_, files) = self.version_files(id)?;
        let report = writ_core::project::check_files(
            &PathBuf::from(format!("@{}", short(id))),
            files,
            Vec::new(),
            writ_core::project::today_utc(),
        );
        Ok((report.error_count(), report.warning_count()))
    }

    /// The baseline and the suites bound to `id` (name, text hash, set).
    fn inputs(&self, id: &str) -> Result<Inputs> {
        let mut suites = Vec::new();
        for s in self.list_suites()? {
            if s.version.as_deref() == Some(id) {
                let text = self.suite(&s.name)?.text;
                suites.push((s.name, writ_base::sha256_hex(text.as_bytes()), s.set));
            }
        }
        Ok(Inputs {
            baseline: baseline_of(&self.conn, id)?,
            suites,
        })
    }

    /// Runs the suites bound to `id` against it.
    fn run_bound_suites(&self, id: &str) -> Result<Vec<SuiteEvidence>> {
        let inputs = self.inputs(id)?;
        if inputs.suites.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = inputs.suites.iter().map(|s| s.0.as_str()).collect();
        let result = self.run_suites(&names, Overrides::default())?;
        let mut at = 0;
        let mut out = Vec::new();
        for (outcome, (name, sha, set)) in result.suites.iter().zip(&inputs.suites) {
            let cases = &result.run.cases[at..at + outcome.cases];
            at += outcome.cases;
            out.push(SuiteEvidence {
                name: name.clone(),
                sha256: sha.clone(),
                set: *set,
                cases: cases.len(),
                passed: cases.iter().filter(|c| c.passed).count(),
                failed: cases
                    .iter()
                    .filter(|c| !c.passed)
                    .map(|c| c.name.clone())
                    .collect(),
                error: outcome.error.clone(),
            });
        }
        Ok(out)
    }

    /// The newest stored run of `version` over `set`, or a new one.
    fn run_for(
        &mut self,
        version: &str,
        set: i64,
        actor: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<i64> {
        let existing: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM runs WHERE version_id = ?1 AND set_id = ?2 ORDER BY id DESC LIMIT 1",
                params![version, set],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(r) => Ok(r),
            None if actor.trim().is_empty() => Err(ReviewError::NoActor.into()),
            None => Ok(self
                .store_run(version, &set.to_string(), actor, progress)?
                .id),
        }
    }

    /// Agent id -> risk tier in a stored version's inventory.
    fn tiers(&self, id: &str) -> Result<BTreeMap<String, RiskTier>> {
        let (_, files) = self.version_files(id)?;
        let report = writ_core::project::check_files(
            &PathBuf::from(format!("@{}", short(id))),
            files,
            Vec::new(),
            writ_core::project::today_utc(),
        );
        Ok(report
            .project
            .map(|p| {
                p.inventory
                    .agent
                    .iter()
                    .map(|a| (a.id.get_ref().clone(), a.risk_tier))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Gathers the evidence for reviewing `id` (see [`Evidence`]).
    fn gather_evidence(
        &mut self,
        id: &str,
        traces: Option<&str>,
        actor: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Evidence> {
        let sh = short(id);
        let (errors, warnings) = self.check_counts(id)?;
        if errors > 0 {
            return Err(ReviewError::CheckFailed { short: sh, errors }.into());
        }
        let suites = self.run_bound_suites(id)?;
        if suites.is_empty() {
            return Err(ReviewError::NoSuites { short: sh }.into());
        }
        let set = match traces {
            Some(t) => self.trace_set(t)?,
            None => self
                .list_trace_sets()?
                .pop()
                .ok_or(ReviewError::NoTraceSet)?,
        };
        let baseline = baseline_of(&self.conn, id)?;
        let run = self.run_for(id, set.id, actor, progress)?;
        let mut replay = ReplayEvidence::default();
        {
            let mut stmt = self.conn.prepare(
                "SELECT decision, verdict, COUNT(*) FROM run_results WHERE run_id = ?1 GROUP BY decision, verdict",
            )?;
            let mut rows = stmt.query([run])?;
            while let Some(row) = rows.next()? {
                let decision: String = row.get(0)?;
                let verdict: String = row.get(1)?;
                let n = u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0);
                replay.actions += n;
                if decision == "allow" {
                    replay.allowed += n;
                } else {
                    replay.denied += n;
                }
                *replay.verdicts.entry(verdict).or_default() += n;
            }
        }
        let (baseline_run, diff, critical_agents) = match &baseline {
            None => (None, None, Vec::new()),
            Some(b) => {
                let brun = self.run_for(b, set.id, actor, progress)?;
                let d = self.diff_runs(brun, run)?;
                let mut moved = BTreeSet::new();
                for c in &d.changes {
                    if c.kind != ChangeKind::SameDecisionOtherReasons
                        || c.from.verdict != c.to.verdict
                    {
                        moved.insert(c.agent.clone());
                    }
                }
                let mut tiers = self.tiers(b)?;
                for (agent, tier) in self.tiers(id)? {
                    let t = tiers.entry(agent).or_insert(tier);
                    *t = (*t).max(tier);
                }
                let critical = moved
                    .iter()
                    .filter(|a| tiers.get(*a) == Some(&RiskTier::Critical))
                    .cloned()
                    .collect();
                let evidence = DiffEvidence {
                    actions: d.actions,
                    unchanged: d.unchanged,
                    changed: d.counts.total,
                    allow_to_deny: d.counts.get(ChangeKind::AllowToDeny),
                    deny_to_allow: d.counts.get(ChangeKind::DenyToAllow),
                    same_decision_other_reasons: d.counts.get(ChangeKind::SameDecisionOtherReasons),
                    changed_by_agent: d
                        .by_agent
                        .iter()
                        .map(|(a, c)| (a.clone(), c.total))
                        .collect(),
                    agents_with_decision_changes: moved.into_iter().collect(),
                };
                (Some(brun), Some(evidence), critical)
            }
        };
        let required_approvals = if critical_agents.is_empty() { 1 } else { 2 };
        Ok(Evidence {
            version: id.to_string(),
            baseline,
            set: set.id,
            set_name: set.name,
            set_sha256: set.sha256,
            check: CheckEvidence { errors, warnings },
            suites,
            run,
            baseline_run,
            replay,
            diff,
            critical_agents,
            required_approvals,
        })
    }
}

/// What to do about stale evidence: gather it again, or, once someone
/// approved what is stale, reject and submit again.
fn stale_hint(short: &str, approved_by_some: bool) -> String {
    if approved_by_some {
        format!("approvals were given on it, so reject it (`writ reject {short} --comment ...`) and submit it again with `writ review {short} --resubmit`")
    } else {
        format!("gather it again with `writ review {short}`")
    }
}

/// A short description of how evidence changed.
fn describe_change(old: &Evidence, new: &Evidence) -> String {
    let mut parts = Vec::new();
    if old.baseline != new.baseline {
        parts.push(format!(
            "the baseline is now {}",
            new.baseline
                .as_deref()
                .map(short)
                .unwrap_or_else(|| "none".into())
        ));
    }
    if old.set != new.set {
        parts.push(format!("the trace set is now `{}`", new.set_name));
    }
    if old.suites != new.suites {
        parts.push("the suites bound to it or their results changed".into());
    }
    if old.check != new.check {
        parts.push("its check changed".into());
    }
    if parts.is_empty() {
        parts.push("the replay or the diff changed".into());
    }
    parts.join("; ")
}
