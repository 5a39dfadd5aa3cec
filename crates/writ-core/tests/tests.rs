//! The integration tests of writ-core, one module per former test file:
//! Cedar's conformance suite through Writ's own path, Cedar-native projects
//! (entities.json, templates, links), trace ingest (samples, formats, spans, MCP
//! recordings), `writ fmt`'s properties, the Cedar request shown for a record, decision reuse being
//! invisible, the regressions of issue 12, the fuzz corpus replayed, and
//! the differential harness against Cedar itself (`differential`, a folder).
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-core --test tests -- regressions::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).
//!
//! With the `fault-injection` feature (test-only, process-wide switches
//! that put past engine bugs back), the binary holds only `differential`
//! and `regressions`, which coordinate around the switches through the lock
//! in `common`; the other modules would see a fault that a concurrent test
//! put back, so they run in the default build only. The fault run:
//! `cargo test -p writ-core --features fault-injection --test tests`.

mod common;

mod differential;
#[cfg(not(feature = "fault-injection"))]
mod draft;
mod regressions;

#[cfg(not(feature = "fault-injection"))]
mod conformance;
#[cfg(not(feature = "fault-injection"))]
mod entities_templates;
#[cfg(not(feature = "fault-injection"))]
mod format_properties;
#[cfg(not(feature = "fault-injection"))]
mod fuzz_corpus;
#[cfg(not(feature = "fault-injection"))]
mod ingest_formats;
#[cfg(not(feature = "fault-injection"))]
mod ingest_samples;
#[cfg(not(feature = "fault-injection"))]
mod ingest_spans;
#[cfg(not(feature = "fault-injection"))]
mod mcp_profiles;
#[cfg(not(feature = "fault-injection"))]
mod request_json;
#[cfg(not(feature = "fault-injection"))]
mod reuse_equivalence;
