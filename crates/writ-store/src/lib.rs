//! Writ's workspace: one SQLite file that the CLI and the desktop app both
//! open, holding what an analyst's work must keep.
//!
//! # Overview
//! - [`Workspace`] opens, creates and migrates the file (`user_version`),
//!   refusing foreign, newer or damaged files without touching them.
//! - Versions ([`versions`]): immutable snapshots of a project, addressed
//!   by the SHA-256 of their canonical content; checked ([`checked`]) into
//!   a report or a project in one place.
//! - Trace sets ([`traces`]): imported whole in one transaction, with the
//!   per-line error report, progress and cancel (a cancelled import leaves
//!   nothing); filtered, keyset-paged listing, and positional access (a
//!   count, the matching lines, rows by position) for virtual tables.
//! - Runs ([`runs`]): a version replayed over a trace set, every decision
//!   stored; two runs compared without deciding again.
//! - The audit trail ([`audit`]): every change appends a hash-chained event;
//!   `verify_audit` names the first edited, deleted or reordered event.
//! - Scenario suites ([`suites`]): scenario files stored by name, bound to
//!   a version and a trace set, run against the workspace.
//! - Reviews ([`approvals`]): four-eyes approval of versions (draft, in
//!   review, approved, rejected) with the evidence reviewed stored as JSON.
//! - Keys and bundles ([`keys`]): registered public signing keys and the
//!   record of exported signed bundles.
//! - Bundle export ([`export`]): an approved version signed as a bundle
//!   with `writ-bundle`, the key registered and the export recorded.
//! - Release channels ([`channels`]): the increasing bundle sequence number
//!   each channel hands out (rollback protection at the decision point).
//! - The evidence report ([`report`]): a version's inventory, findings,
//!   policies and controls, tests, decision changes, approvals and bundles
//!   as one self-contained HTML file.
//!
//! This crate is the only place that speaks SQL.

#![warn(missing_docs)]

pub mod actor;
pub mod approvals;
mod approver_error;
pub mod approvers;
pub mod audit;
pub mod bundle_check;
pub mod channels;
pub mod checked;
mod columns;
pub mod draft;
pub mod error;
pub mod export;
pub mod findings;
pub mod keys;
pub mod report;
mod review_sql;
mod review_state;
pub mod runs;
pub mod sample;
pub mod schema;
pub mod suite_case;
pub mod suites;
pub mod traces;
pub mod versions;
pub mod workspace;

pub use actor::Actor;
pub use checked::{CheckedVersion, EditedVersion, VersionProject};
pub use error::{Result, StoreError};
pub use workspace::Workspace;
