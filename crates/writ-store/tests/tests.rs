//! The API-level integration tests of writ-store, one module per former
//! test file: opening and migrating workspace files, versions, trace sets
//! and runs, committing edits, imports of other formats, long jobs with
//! progress and cancel, the run timeline, four-eyes approvals, scenario
//! suites, and the hash-chained audit trail.
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-store --test tests -- approvals::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).

mod common;

mod approvals;
mod audit;
mod charts;
mod commit_edits;
mod draft;
mod ingest;
mod jobs;
mod open;
mod signed_review;
mod store;
mod suites;
