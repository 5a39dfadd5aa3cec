//! Writ's policy decision point (`writ serve`): decides agent actions over
//! HTTP from a verified signed bundle, identifies agents by workload
//! identity, and logs every decision.
//!
//! # Overview
//! - [`engine`]: read and verify a bundle, build its Cedar engine exactly
//!   as `writ replay` builds one from a project, decide with reuse.
//! - [`api`]: the request and answer of `POST /v1/is_authorized`, and how
//!   one request becomes a trace record and a decision (fail closed).
//! - [`server`]: the axum routes, bearer token, body limit, timeouts, the
//!   bundle watcher (atomic hot swap), graceful shutdown.
//! - [`metrics`]: the Prometheus metrics.
//! - [`identity`]: who the agent is (uid, SPIFFE ID, JWT against a JWKS).
//! - [`log_writer`]: the decision log (JSON Lines, masking, rotation).
//!
//! The HTTP API is documented in `docs/decision-api.md`.

#![warn(missing_docs)]

pub mod api;
pub mod engine;
pub mod fuzz_entry;
pub mod identity;
pub mod log_writer;
pub mod metrics;
pub mod server;

pub use server::{Server, ServerConfig};
