//! Writ's policy decision point (`writ serve`): decides agent actions over
//! HTTP from a verified signed bundle, identifies agents by workload
//! identity, and logs every decision.
//!
//! # Overview
//! - [`engine`]: read and verify a bundle, build its Cedar engine exactly
//!   as `writ replay` builds one from a project, decide with reuse.
//! - [`api`]: the request and answer of `POST /v1/is_authorized`, and how
//!   one request becomes a trace record and a decision (fail closed).
//! - [`server`]: configuration, binding and the serving run with graceful
//!   shutdown, over [`routes`] (the axum routes, bearer token, body limit,
//!   timeouts), [`bundle_watch`] (atomic hot swap), [`state`] (the shared
//!   state) and [`serve_error`].
//! - [`metrics`]: the Prometheus metrics.
//! - [`identity`]: who the agent is (uid, SPIFFE ID, JWT against a JWKS).
//! - [`log_writer`]: the decision log (JSON Lines, masking, group commit,
//!   recovery from write faults, rotation).
//! - [`log_chain`]: the decision log's hash chain and its verification.
//! - [`log_files`]: the decision log's file names (rotated files) and the
//!   list of a log's files.
//! - [`rollback`]: the release channel rules and their durable state
//!   (refusing older bundles).
//! - [`conn`]: the accept loop: connection limit, header and idle
//!   timeouts, TLS handshakes and client certificates.
//! - [`tls`]: rustls (ring) server and mTLS client verification, SPIFFE IDs
//!   of client certificates.
//!
//! The HTTP API is documented in `docs/decision-api.md`.

#![warn(missing_docs)]

pub mod api;
pub mod bundle_watch;
pub mod conn;
pub mod engine;
pub mod fuzz_entry;
pub mod identity;
pub mod log_chain;
pub mod log_files;
pub mod log_writer;
pub mod metrics;
pub mod rollback;
pub mod routes;
pub mod serve_error;
pub mod server;
pub mod state;
pub mod tls;

pub use server::{Server, ServerConfig};
