//! The end-to-end tests of the desktop app, one module per view or flow,
//! each driving the real Writ window through tauri-driver (WebDriver).
//! Run under a display, one window at a time, after building the UI,
//! `writ-app` and `writ-cli`: `cargo test -p writ-e2e --test tests --
//! --test-threads=1` (see scripts/test-all.sh).
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-e2e --test tests -- approvals::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).

mod accessibility;
mod app;
mod approvals;
mod audit;
mod bundles;
mod drafting;
mod entities;
mod findings;
mod inventory;
mod layout;
mod runs;
mod scenarios;
mod trace_import;
mod trace_remap;
mod traces;
mod workspace;
