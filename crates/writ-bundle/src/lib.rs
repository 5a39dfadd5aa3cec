//! Signed policy bundles: what an enforcement point loads, and the proof
//! that an approved policy version is what it loads.
//!
//! # Overview
//! The modules from the bottom up (each uses only those above it in this
//! list; `writ-testkit`'s `module_cycles` test checks it):
//! - [`format`]: the format numbers and the manifest's payload type.
//! - [`error`]: [`BundleError`] (making) and [`VerifyError`] (checking,
//!   one exit code per kind).
//! - [`keys`]: Ed25519 key pairs as PKCS#8 PEM (private, created with mode
//!   0600) and SPKI PEM (public), as `openssl genpkey -algorithm ed25519`
//!   writes them, and their key id (the first 16 bytes of the SHA-256 of
//!   the SPKI DER, as 32 lower-case hex characters).
//! - [`dsse`]: the DSSE envelope and its pre-authentication encoding (PAE).
//! - [`bundle`]: the manifest, building a bundle from a checked project,
//!   writing it as a folder or a deterministic `.tar.gz`, reading either
//!   safely, and verifying it against trusted keys.
//! - [`checkpoint`]: signed checkpoints of a hash chain (the workspace's
//!   audit trail, a decision log): its head and length, so a truncated or
//!   wiped chain is detected.
//! - [`approval`]: approval statements (submit, approve, reject a version)
//!   signed with a person's own approver key as DSSE envelopes of their
//!   own payload type over canonical JSON (RFC 8785), and their checks.
//! - [`fuzz_entry`]: the entry points of the fuzz targets.
//! - [`targets`]: delivering a verified bundle to enforcement points:
//!   permitio/cedar-agent (translated for its Cedar 2) and Amazon Verified
//!   Permissions (its `PutSchema` and `CreatePolicy` bodies).
//!
//! The crate knows nothing of the workspace: exporting an approved version
//! (`writ_store::export`) gathers plain values there and calls
//! [`bundle::build`], so the decision point links no SQLite.
//!
//! The same inputs always give byte-identical bundles: no time is read
//! from the clock, JSON keys have a fixed order, archive entries are sorted
//! with fixed metadata, and the gzip header carries no time.

#![warn(missing_docs)]

pub mod approval;
pub mod approver_key;
pub mod bundle;
pub mod bundle_review;
pub mod checkpoint;
pub mod dsse;
pub mod error;
pub mod format;
pub mod fuzz_entry;
pub mod keys;
pub mod targets;

pub use bundle::{Approval, Bundle, BundleInputs, Manifest};
pub use error::{BundleError, VerifyError};
