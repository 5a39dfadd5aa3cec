//! The end-to-end tests of the `writ` binary, one module per former test
//! file, each running the real binary: the sample organisation and broken
//! copies of it, workspaces, approvals, suites, findings, reports, keys and
//! bundles, trace imports, MCP profiles, Cedar-native projects, AVP export,
//! `writ serve` (decisions, mTLS, hardening, log faults, the round trip back
//! into a trace set), pushing to a real cedar-agent, the audit checkpoint,
//! durability under SIGKILL, and the README's command-line tour run as
//! written. Helpers shared by the modules are in
//! `common` (the binary and the sample workspace) and `pdp` (`writ serve`).
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-cli --test tests -- serve::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).

mod common;
mod pdp;

mod approvals;
mod approver_keys;
mod audit_checkpoint;
mod bundle;
mod cedar_native;
mod cli;
mod draft;
mod durability;
mod export_avp;
mod findings;
mod mcp_profiles;
mod push_cedar_agent;
mod readme_tour;
mod report;
mod serve;
mod serve_hardening;
mod serve_log_faults;
mod serve_mtls;
mod serve_roundtrip;
mod suites;
mod trace_import;
mod workspace;
