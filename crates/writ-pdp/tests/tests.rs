//! The integration tests of writ-pdp, one module per former test file: the
//! decision point against a real server on 127.0.0.1 (decisions equal to
//! replay, bad bundles, hot swap, expiry, limits, metrics, shutdown),
//! Cedar-native bundles with links, workload identity (JWT, JWKS, SPIFFE),
//! the serve engine in the differential harness, and the fuzz corpus of
//! `writ serve`'s readers replayed under plain `cargo test`.
//!
//! One test binary for the crate (`tests`); each former file is a module.
//! Run one group with `cargo test -p writ-pdp --test tests -- identity::`
//! (a filter is a substring of `module::test`; several filters are OR-ed).

mod common;

mod differential_serve;
mod fuzz_corpus;
mod identity;
mod limits;
mod serve;
mod serve_links;
