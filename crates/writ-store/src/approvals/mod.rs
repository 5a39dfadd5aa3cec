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
//!
//! Modules, each using only those listed before it: `state` (states,
//! refusals, records), `sql` (the review tables), `evidence` (what a round
//! is decided on, and gathering it), `machine` (the steps).

mod evidence;
mod machine;
mod signing;
pub(crate) use crate::review_sql as sql;
pub(crate) use crate::review_state as state;

pub use evidence::{CheckEvidence, DiffEvidence, Evidence, ReplayEvidence, SuiteEvidence};
pub use machine::{ReviewReport, ReviewRound};
pub use state::{
    ApprovalInfo, ReviewAction, ReviewDecision, ReviewError, ReviewOptions, ReviewState,
    VersionStatus,
};
