//! The integration tests of writ-bundle, one module per former test file:
//! bundles end to end at the library level (determinism, verification,
//! OpenSSL cross-check, tampering), delivery to enforcement points
//! (cedar-agent translation, request bodies, HTTP) and the bundle reader's
//! fuzz corpus replayed under plain `cargo test`.
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-bundle --test tests -- targets::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).

mod approval;
mod bundle;
mod bundle_review;
mod fuzz_corpus;
mod keys;
mod targets;
