//! Naming the agent by its workload identity.
//!
//! A request names its agent by a principal (a Cedar uid such as
//! `Agent::"support-bot"`, a SPIFFE ID, or a bare inventory id), by a JWT
//! checked against a configured JWKS file, or by both. [`IdentityConfig::identify`]
//! turns what was presented into the `agent` string the engine resolves
//! exactly like a trace record's `agent` field
//! ([`writ_core::resolve::Resolver::resolve`]): a SPIFFE ID as is,
//! `oidc:<iss>|<sub>` for a verified token (the same key an inventory entry
//! with `oidc_issuer` and `oidc_subject` claims, see
//! [`writ_core::inventory::identity_key`]), a Cedar uid as is, or a bare
//! inventory id. Every failure is an [`IdentityError`] whose text is the
//! deny reason.
//!
//! Token rules: the key is chosen by the token's `kid` (or is the only key
//! when the set holds one and the token has no `kid`); the algorithm comes
//! from the key (its `alg`, or its type and curve), never from the header
//! alone, so `none` and HMAC tokens are refused; `exp` is required and must
//! not be past, `nbf` is honoured (both with a leeway, 30 s by default),
//! `aud` must contain a configured audience, `iss` must equal the configured
//! issuer when one is set, and `iss` and `sub` must be present.
//!
//! The parts, each using only those listed after it:
//! - `config`: [`IdentityConfig`] and [`IdentityConfig::identify`].
//! - `token`: verifying one token against one key set.
//! - `claims`: checking a verified token's claims.
//! - `jwks`: key sets (JWK Set files, SPIFFE trust bundles).
//! - `cache`: tokens that verified.
//! - `principal`: classifying a presented principal.
//! - `error`: [`IdentityError`].

mod cache;
mod claims;
mod config;
mod error;
mod jwks;
mod principal;
mod token;

pub use config::{IdentityConfig, IdentityMode, Presented, DEFAULT_LEEWAY};
pub use error::IdentityError;
pub use jwks::{read_spiffe_bundle, SpiffeBundle, MIN_RSA_BITS};
pub use principal::{Identified, IdentityVia};
pub use token::MAX_TOKEN_BYTES;
