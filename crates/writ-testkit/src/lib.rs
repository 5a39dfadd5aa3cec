//! Fixtures shared by the tests of several Writ crates, kept once here
//! instead of copied into each crate's `tests/`. Used only as a
//! dev-dependency; never published.
//!
//! # Overview
//! - [`root`]: the repository root, for the sample projects, traces and
//!   fuzz corpora the tests read.
//! - [`fuzz`]: replays a fuzz target's seed corpus under `cargo test`.
//! - [`modules`]: the module graph of a crate and its cycles (the test
//!   `tests/module_cycles.rs` checks every crate of the workspace).
//! - With the `serve` feature: [`tokens`] (agent tokens and their JWKS),
//!   [`requests`] (the sample trace as decision requests) and [`http`] (a
//!   client for a server on 127.0.0.1 and its JSON answers).

#![warn(missing_docs)]

pub mod fuzz;
#[cfg(feature = "serve")]
pub mod http;
pub mod modules;
#[cfg(feature = "serve")]
pub mod requests;
#[cfg(feature = "serve")]
pub mod tokens;

use std::path::{Path, PathBuf};

/// The repository root (this crate lives in `crates/writ-testkit`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
