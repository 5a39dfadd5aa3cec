//! The review states a version moves through, what each step is refused
//! for ([`ReviewError`]), and the plain records the steps return. Uses no
//! other module of the crate.

use serde::{Deserialize, Serialize};
use writ_base::time::UtcTime;

/// Where a version is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
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

    /// The state named `text` (as [`ReviewState::as_str`] writes it).
    pub(crate) fn parse(text: &str) -> Option<ReviewState> {
        Some(match text {
            "draft" => ReviewState::Draft,
            "in_review" => ReviewState::InReview,
            "approved" => ReviewState::Approved,
            "rejected" => ReviewState::Rejected,
            _ => return None,
        })
    }

    /// Words for messages ("in review").
    pub(crate) fn words(self) -> &'static str {
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ApprovalInfo {
    /// Who approved (as given).
    pub approver: String,
    /// When.
    #[ts(type = "string")]
    pub at: UtcTime,
    /// What they said.
    pub comment: Option<String>,
    /// The approver key that signed the approval (none in a legacy
    /// workspace's unsigned steps).
    pub key_id: Option<String>,
}

/// A version's review state and the approvals of its current round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VersionStatus {
    /// The full version id.
    pub id: String,
    /// Its state.
    pub state: ReviewState,
    /// The approvals of its latest review round, oldest first (for an
    /// approved version: who approved it).
    pub approvals: Vec<ApprovalInfo>,
}

/// One approval or rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReviewDecision {
    /// `approve` or `reject`.
    pub decision: String,
    /// Who.
    pub actor: String,
    /// When.
    #[ts(type = "string")]
    pub at: UtcTime,
    /// What they said.
    pub comment: Option<String>,
    /// The approver key that signed the step, if it was signed.
    pub key_id: Option<String>,
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

/// What to review.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReviewOptions<'a> {
    /// The trace set to diff on (id or name); default: the set the
    /// baseline (the most recently approved version) was approved over, or
    /// the newest set when there is no baseline or its set is gone (for a
    /// version already in review: the set of its evidence).
    pub traces: Option<&'a str>,
    /// Submit a rejected version again, as a new round.
    pub resubmit: bool,
}

/// Why a review step was refused. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The version does not check clean.
    #[error("version {short} has {errors} error(s) and cannot be reviewed; see them in its check, fix them and commit a new version")]
    CheckFailed {
        /// Short version id.
        short: String,
        /// Error count.
        errors: usize,
    },
    /// No scenario suite is bound to the version.
    #[error("no scenario suite is bound to version {short}, so nothing shows what it must decide; bind a suite to it and review again")]
    NoSuites {
        /// Short version id.
        short: String,
    },
    /// The workspace has no trace set to diff on.
    #[error(
        "the workspace holds no trace set to replay the version on; import one and review again"
    )]
    NoTraceSet,
    /// The step needs the version in review.
    #[error("version {short} is {}, not in review; {}", state.words(), if *state == ReviewState::Rejected { "submit it for review again (resubmit it)" } else { "submit it for review" })]
    NotInReview {
        /// Short version id.
        short: String,
        /// Its state.
        state: ReviewState,
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
    #[error("version {short} cannot be approved: suite(s) {suites} fail against it (run them to see why); fix the suite and gather the evidence again, or reject this version and fix it in a new one")]
    SuitesFail {
        /// Short version id.
        short: String,
        /// The failing suites.
        suites: String,
    },
    /// The evidence stored with the review no longer holds.
    #[error("the evidence reviewed for version {short} is out of date: {reason}; {}", if *approved_by_some { "approvals were given on it, so reject it and submit it for review again" } else { "gather it again" })]
    StaleEvidence {
        /// Short version id.
        short: String,
        /// What changed.
        reason: String,
        /// Whether approvals were given on the stale evidence (then it
        /// must be rejected and submitted again rather than gathered again).
        approved_by_some: bool,
    },
    /// The review changed while this step was being taken.
    #[error("the review of version {short} changed meanwhile; gather its evidence again")]
    Changed {
        /// Short version id.
        short: String,
    },
    /// A rejection without a reason.
    #[error("a rejection needs a comment saying why")]
    CommentRequired,
    /// No name for who acts.
    #[error("a review step needs the name of who takes it")]
    NoActor,
    /// The approving key is the one that submitted the version.
    #[error("{approver}'s key {key_id} submitted version {short} for review and cannot approve it; another person must approve with their own key (four-eyes rule)")]
    SelfApprovalByKey {
        /// The short version id.
        short: String,
        /// The key's registered name.
        approver: String,
        /// The key id.
        key_id: String,
    },
    /// A suite bound to an approved version cannot change.
    #[error("suite `{suite}` is bound to version {short}, which is approved and final; its suites cannot be replaced or removed; add a new suite instead")]
    SuiteOfApproved {
        /// The suite.
        suite: String,
        /// Short version id.
        short: String,
    },
}

/// The short (12-character) form of a version id.
pub(crate) fn short(id: &str) -> String {
    id[..id.len().min(12)].to_string()
}

/// Whether two names are the same person (trimmed, case-insensitive).
pub(crate) fn same_person(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}
