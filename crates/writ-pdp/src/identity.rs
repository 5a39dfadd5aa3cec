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

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The longest token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The default clock-skew leeway for `exp` and `nbf`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// The smallest RSA modulus accepted in a JWKS, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// Why an agent identity was refused, or why a JWKS file cannot be used.
/// The text is the deny reason a caller sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Neither a principal nor a token was presented.
    #[error("no agent identity: send a principal (Agent::\"id\", a SPIFFE ID or an inventory id) or a token")]
    Missing,
    /// The principal is not a valid SPIFFE ID.
    #[error("SPIFFE ID `{id}`: {problem}")]
    Spiffe {
        /// The principal as sent.
        id: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The principal is neither a Cedar uid, a SPIFFE ID nor an inventory id.
    #[error("principal `{principal}`: {problem}")]
    Principal {
        /// The principal as sent.
        principal: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A principal claimed an OIDC identity without a token proving it.
    #[error("principal `{0}` is an OIDC identity, which is accepted only from a verified token")]
    UnverifiedOidc(String),
    /// A token was presented but no JWKS file is configured.
    #[error("a token was presented but no JWKS is configured to check it")]
    NoJwks,
    /// Verified mode: the request proves no identity (no token, no client
    /// certificate); a principal named by id or uid is not accepted.
    #[error("no verified agent identity: this server runs in `verified` identity mode, where the agent is only what the request proves (a token, or a client certificate with a SPIFFE ID); a principal named by id or uid is not accepted")]
    Unproven,
    /// Asserted mode: tokens are not checked.
    #[error("a token was presented but this server runs in `asserted` identity mode, where the gateway names the principal; send `principal` instead")]
    TokenInAssertedMode,
    /// A client certificate and a token name different agents.
    #[error("the client certificate's SPIFFE ID `{peer}` and the token's identity `{token}` name different agents")]
    PeerMismatch {
        /// The certificate's SPIFFE ID.
        peer: String,
        /// The token's identity.
        token: String,
    },
    /// The SPIFFE trust bundle file cannot be used.
    #[error("SPIFFE trust bundle {}: {message}", path.display())]
    SpiffeBundle {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// The token is not a well-formed JWT.
    #[error("token is malformed: {0}")]
    Malformed(String),
    /// The token's algorithm is never accepted (`none`, HMAC, unknown).
    #[error("token algorithm `{0}` is not accepted: tokens must be signed with a public-key algorithm (RS*, PS*, ES256, ES384, EdDSA) by a key in the JWKS")]
    AlgorithmRefused(String),
    /// The token's algorithm does not match its key.
    #[error("token algorithm `{alg}` does not match key `{kid}`, which signs with {expected}")]
    AlgorithmMismatch {
        /// The algorithm in the token header.
        alg: String,
        /// The key's id.
        kid: String,
        /// The algorithms the key signs with.
        expected: String,
    },
    /// The token names a key id the JWKS does not hold.
    #[error("token signed by unknown key id `{kid}` (the JWKS holds {known})")]
    UnknownKeyId {
        /// The token's `kid`.
        kid: String,
        /// The key ids the JWKS holds, listed.
        known: String,
    },
    /// The token has no `kid` and the JWKS holds several keys.
    #[error(
        "token has no key id (`kid`) and the JWKS holds {0} keys: the token must name its key"
    )]
    NoKeyId(usize),
    /// The signature does not verify.
    #[error("token signature does not verify against key `{0}`")]
    BadSignature(String),
    /// `exp` is past.
    #[error("token expired at {exp} (now {now}, leeway {leeway_s} s)")]
    Expired {
        /// `exp` as RFC 3339.
        exp: String,
        /// The time of the check.
        now: String,
        /// The leeway in seconds.
        leeway_s: u64,
    },
    /// `nbf` is in the future.
    #[error("token not valid before {nbf} (now {now}, leeway {leeway_s} s)")]
    NotYetValid {
        /// `nbf` as RFC 3339.
        nbf: String,
        /// The time of the check.
        now: String,
        /// The leeway in seconds.
        leeway_s: u64,
    },
    /// A required claim is missing.
    #[error("token has no `{0}` claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or value.
    #[error("token claim `{claim}` {problem}")]
    BadClaim {
        /// The claim.
        claim: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// `aud` names no configured audience.
    #[error("token audience {got} not accepted (expected {expected})")]
    Audience {
        /// The token's audiences, listed.
        got: String,
        /// The configured audiences, listed.
        expected: String,
    },
    /// `iss` is not the configured issuer.
    #[error("token issuer `{got}` not accepted (expected `{expected}`)")]
    Issuer {
        /// The token's issuer.
        got: String,
        /// The configured issuer.
        expected: String,
    },
    /// A principal and a token name different agents.
    #[error("principal `{principal}` does not name the agent the token identifies (`{token}`)")]
    Mismatch {
        /// The principal as sent.
        principal: String,
        /// The token's identity.
        token: String,
    },
    /// The JWKS file cannot be read.
    #[error("cannot read JWKS file {}: {message}", path.display())]
    JwksRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// The JWKS file is not a usable key set.
    #[error("JWKS file {}: {message}", path.display())]
    Jwks {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
}

/// How the agent was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityVia {
    /// A Cedar uid such as `Agent::"support-bot"`, passed through.
    Uid,
    /// A SPIFFE ID.
    Spiffe,
    /// A bare inventory id.
    InventoryId,
    /// A verified JWT: the agent is `oidc:<iss>|<sub>`.
    Jwt,
    /// A verified SPIFFE JWT-SVID: the agent is its `sub` SPIFFE ID.
    JwtSvid,
    /// A client certificate (mTLS) whose URI SAN is a SPIFFE ID.
    Certificate,
}

impl IdentityVia {
    /// The lower-case name (`uid`, `spiffe`, `inventory_id`, `jwt`).
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityVia::Uid => "uid",
            IdentityVia::Spiffe => "spiffe",
            IdentityVia::InventoryId => "inventory_id",
            IdentityVia::Jwt => "jwt",
            IdentityVia::JwtSvid => "jwt_svid",
            IdentityVia::Certificate => "certificate",
        }
    }
}

/// What a request presented to name its agent. Empty strings count as absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented<'a> {
    /// The principal as sent: a Cedar uid, a SPIFFE ID or an inventory id.
    pub principal: Option<&'a str>,
    /// A JWT (a leading `Bearer ` is ignored).
    pub token: Option<&'a str>,
    /// The SPIFFE ID of the verified client certificate of the connection
    /// (mTLS), if any.
    pub peer: Option<&'a str>,
}

/// Who the principal of a request is (see `docs/decision-api.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMode {
    /// Only what the request proves: a JWT (OIDC or SPIFFE JWT-SVID)
    /// checked against the configured keys, or an mTLS client certificate
    /// whose URI SAN is a SPIFFE ID. A principal named by id or uid alone is
    /// refused; sent with a proof, it must name the proven agent.
    Verified,
    /// As sent by a trusted gateway (which authenticated the agent); the
    /// server must authenticate its callers (bearer token or mTLS) unless
    /// it listens on 127.0.0.1 only with `--insecure-loopback`.
    Asserted,
}

impl IdentityMode {
    /// `verified` or `asserted`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityMode::Verified => "verified",
            IdentityMode::Asserted => "asserted",
        }
    }
}

/// What kind of token a key set checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    /// An OIDC token: `iss` and `sub` required, the agent is `oidc:<iss>|<sub>`.
    Oidc,
    /// A SPIFFE JWT-SVID: `sub` is a SPIFFE ID, which is the agent.
    Svid,
}

/// The agent a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    /// The string the engine resolves like a trace record's `agent`.
    pub agent: String,
    /// How it was identified.
    pub via: IdentityVia,
}

/// One verification key of the JWKS.
#[derive(Debug, Clone)]
struct VerifyKey {
    /// The key id, if the JWK has one.
    kid: Option<String>,
    /// The algorithms this key verifies.
    algs: Vec<Algorithm>,
    key: DecodingKey,
}

impl VerifyKey {
    fn label(&self) -> String {
        self.kid.clone().unwrap_or_else(|| "(no kid)".into())
    }
}

/// The JWT part of the configuration.
#[derive(Debug, Clone)]
struct JwtConfig {
    kind: TokenKind,
    path: PathBuf,
    keys: Vec<VerifyKey>,
    audiences: Vec<String>,
    issuer: Option<String>,
    cache: Arc<TokenCache>,
}

/// A token whose signature and claims verified: its identity and the
/// window in which it is valid.
#[derive(Debug, Clone)]
struct Verified {
    agent: String,
    exp: i64,
    nbf: Option<i64>,
}

/// Tokens that verified, by the SHA-256 of their text, so an agent that
/// presents the same token on every request pays for the signature check
/// once. Only fully verified tokens are stored; their times are checked
/// again at every use. Bounded: when full, expired entries are dropped,
/// and everything if that is not enough.
#[derive(Debug, Default)]
struct TokenCache {
    map: Mutex<HashMap<[u8; 32], Verified>>,
}

impl TokenCache {
    fn get(&self, digest: &[u8; 32]) -> Option<Verified> {
        self.map.lock().ok()?.get(digest).cloned()
    }

    fn insert(&self, digest: [u8; 32], v: Verified, now_s: i64) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= TOKEN_CACHE_ENTRIES {
                map.retain(|_, e| e.exp > now_s);
                if map.len() >= TOKEN_CACHE_ENTRIES {
                    map.clear();
                }
            }
            map.insert(digest, v);
        }
    }
}

/// How many verified tokens are remembered.
const TOKEN_CACHE_ENTRIES: usize = 10_000;

/// How agents may identify themselves: principals always, tokens when a
/// JWKS file is configured. Cheap to share (`Send + Sync`); build it once.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    jwt: Option<JwtConfig>,
    svid: Option<JwtConfig>,
    mode: IdentityMode,
    leeway: Duration,
}

/// A SPIFFE trust bundle read from its JSON (JWK Set) form: the JWT-SVID
/// keys (`"use": "jwt-svid"`) and the X.509 CA certificates
/// (`"use": "x509-svid"`, each a DER certificate in `x5c`).
#[derive(Debug, Clone, Default)]
pub struct SpiffeBundle {
    /// The JWT-SVID keys as a JWK Set text (empty `keys` when none).
    jwt_keys: Vec<Value>,
    /// The X.509 CA certificates (DER), for mTLS client certificates.
    pub x509_roots: Vec<Vec<u8>>,
}

/// Reads a SPIFFE trust bundle file (JSON: `{"keys": [...]}` with
/// `"use": "jwt-svid"` keys and `"use": "x509-svid"` keys carrying their
/// CA certificate in `x5c`).
pub fn read_spiffe_bundle(path: &Path) -> Result<SpiffeBundle, IdentityError> {
    use base64::engine::general_purpose::STANDARD;
    let fail = |message: String| IdentityError::SpiffeBundle {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        fail(format!(
            "line {}, column {}: not JSON: {e}",
            e.line(),
            e.column().max(1)
        ))
    })?;
    let Some(items) = doc.get("keys").and_then(Value::as_array) else {
        return Err(fail(
            "not a SPIFFE bundle: expected an object with a `keys` list".into(),
        ));
    };
    let mut out = SpiffeBundle::default();
    for (i, item) in items.iter().enumerate() {
        match item.get("use").and_then(Value::as_str) {
            Some("jwt-svid") => {
                let mut k = item.clone();
                if let Some(o) = k.as_object_mut() {
                    o.remove("use");
                }
                out.jwt_keys.push(k);
            }
            Some("x509-svid") => {
                let certs = item.get("x5c").and_then(Value::as_array).ok_or_else(|| {
                    fail(format!(
                        "key {} (x509-svid) has no `x5c` certificate list",
                        i + 1
                    ))
                })?;
                for c in certs {
                    let der = c
                        .as_str()
                        .and_then(|b| STANDARD.decode(b).ok())
                        .ok_or_else(|| {
                            fail(format!("key {}: an `x5c` entry is not base64 DER", i + 1))
                        })?;
                    out.x509_roots.push(der);
                }
            }
            other => {
                return Err(fail(format!(
                    "key {} has `use` {:?}; a SPIFFE bundle key is `jwt-svid` or `x509-svid`",
                    i + 1,
                    other.unwrap_or("(none)")
                )))
            }
        }
    }
    if out.jwt_keys.is_empty() && out.x509_roots.is_empty() {
        return Err(fail("holds no keys".into()));
    }
    Ok(out)
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig::none()
    }
}

impl IdentityConfig {
    /// Asserted principals only: any token is refused.
    pub fn none() -> Self {
        IdentityConfig {
            jwt: None,
            svid: None,
            mode: IdentityMode::Asserted,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// The identity mode.
    pub fn mode(&self) -> IdentityMode {
        self.mode
    }

    /// The configuration in another identity mode.
    pub fn with_mode(mut self, mode: IdentityMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether token keys (a JWKS or SPIFFE JWT-SVID keys) are configured.
    pub fn checks_tokens(&self) -> bool {
        self.jwt.is_some() || self.svid.is_some()
    }

    /// Adds the JWT-SVID keys of a SPIFFE bundle (read from `path`):
    /// JWT-SVIDs must carry one of `audiences`. Switches to verified mode.
    /// A bundle without JWT-SVID keys leaves tokens as they were.
    pub fn with_spiffe_bundle(
        mut self,
        path: &Path,
        bundle: &SpiffeBundle,
        audiences: Vec<String>,
    ) -> Result<Self, IdentityError> {
        self.mode = IdentityMode::Verified;
        if bundle.jwt_keys.is_empty() {
            return Ok(self);
        }
        let fail = |message: String| IdentityError::SpiffeBundle {
            path: path.to_path_buf(),
            message,
        };
        let audiences: Vec<String> = audiences.into_iter().filter(|a| !a.is_empty()).collect();
        if audiences.is_empty() {
            return Err(fail(
                "no token audience is configured: name the audience (`aud`) JWT-SVIDs must carry"
                    .into(),
            ));
        }
        let text = serde_json::json!({"keys": bundle.jwt_keys}).to_string();
        let keys = parse_jwks(&text).map_err(fail)?;
        self.svid = Some(JwtConfig {
            kind: TokenKind::Svid,
            path: path.to_path_buf(),
            keys,
            audiences,
            issuer: None,
            cache: Arc::default(),
        });
        Ok(self)
    }

    /// Principals, and tokens verified by the keys of a JWK Set file (RSA,
    /// EC P-256/P-384 and OKP Ed25519 public keys; keys marked
    /// `"use": "enc"` are skipped). Tokens must carry one of `audiences`,
    /// and come from `issuer` when it is given. Fails, naming the file, when
    /// it cannot be read, is not a JWK Set, holds a symmetric or private
    /// key, a weak or malformed key, or two keys with the same `kid`, or
    /// when no audience is given.
    pub fn from_jwks_file(
        path: &Path,
        audiences: Vec<String>,
        issuer: Option<String>,
    ) -> Result<Self, IdentityError> {
        let text = std::fs::read_to_string(path).map_err(|e| IdentityError::JwksRead {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let fail = |message: String| IdentityError::Jwks {
            path: path.to_path_buf(),
            message,
        };
        let audiences: Vec<String> = audiences.into_iter().filter(|a| !a.is_empty()).collect();
        if audiences.is_empty() {
            return Err(fail(
                "no token audience is configured: name the audience (`aud`) tokens must carry"
                    .into(),
            ));
        }
        let keys = parse_jwks(&text).map_err(fail)?;
        Ok(IdentityConfig {
            svid: None,
            mode: IdentityMode::Verified,
            jwt: Some(JwtConfig {
                kind: TokenKind::Oidc,
                path: path.to_path_buf(),
                keys,
                audiences,
                issuer: issuer.filter(|i| !i.is_empty()),
                cache: Arc::default(),
            }),
            leeway: DEFAULT_LEEWAY,
        })
    }

    /// Sets the clock-skew leeway for `exp` and `nbf` (default 30 s).
    pub fn set_leeway(&mut self, leeway: Duration) {
        self.leeway = leeway;
    }

    /// The configuration with another leeway (see [`Self::set_leeway`]).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The JWKS file tokens are checked against, if any.
    pub fn jwks_path(&self) -> Option<&Path> {
        self.jwt.as_ref().map(|j| j.path.as_path())
    }

    /// The key ids of the JWKS (`(no kid)` for a key without one).
    pub fn key_ids(&self) -> Vec<String> {
        self.jwt
            .as_ref()
            .map(|j| j.keys.iter().map(VerifyKey::label).collect())
            .unwrap_or_default()
    }

    /// Names the agent from what a request presented, checking tokens at
    /// `now`. When both a principal and a token are presented, the
    /// principal must be the token's identity string itself.
    pub fn identify(
        &self,
        p: Presented<'_>,
        now: OffsetDateTime,
    ) -> Result<Identified, IdentityError> {
        self.identify_with(p, now, &|_| None)
    }

    /// [`Self::identify`], where a principal presented with a token may
    /// also name the token's agent another way: `resolve` maps an agent
    /// string to the agent it names (such as the inventory id through the
    /// active bundle's inventory), or `None` when it names no known agent.
    /// The two match when the strings are equal or both resolve to the same
    /// agent.
    pub fn identify_with(
        &self,
        p: Presented<'_>,
        now: OffsetDateTime,
        resolve: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Identified, IdentityError> {
        let principal = p.principal.filter(|s| !s.is_empty());
        let token = p.token.map(strip_bearer).filter(|s| !s.is_empty());
        let peer = p.peer.filter(|s| !s.is_empty());
        let same = |a: &str, b: &str| {
            a == b
                || matches!(
                    (resolve(a), resolve(b)),
                    (Some(x), Some(y)) if x == y
                )
        };
        if self.mode == IdentityMode::Asserted {
            // The gateway named the principal; tokens and certificates do
            // not name agents here.
            if token.is_some() {
                return Err(IdentityError::TokenInAssertedMode);
            }
            return match principal {
                Some(pr) => classify_principal(pr, true),
                None => Err(IdentityError::Missing),
            };
        }
        // Verified: only what the request proves.
        let from_token = match token {
            Some(tok) => Some(self.verify_token(tok, now)?),
            None => None,
        };
        let proven = match (from_token, peer) {
            (None, None) => return Err(IdentityError::Unproven),
            (Some(t), None) => t,
            (None, Some(pe)) => Identified {
                agent: pe.to_string(),
                via: IdentityVia::Certificate,
            },
            (Some(t), Some(pe)) => {
                if !same(pe, &t.agent) {
                    return Err(IdentityError::PeerMismatch {
                        peer: pe.to_string(),
                        token: t.agent,
                    });
                }
                t
            }
        };
        if let Some(pr) = principal {
            let named = classify_principal(pr, true)?;
            if !same(&named.agent, &proven.agent) {
                return Err(IdentityError::Mismatch {
                    principal: pr.to_string(),
                    token: proven.agent,
                });
            }
        }
        Ok(proven)
    }

    /// Verifies a token with the key set that holds its key: the SPIFFE
    /// JWT-SVID keys when its `kid` is theirs (or they are the only keys),
    /// else the JWKS.
    fn verify_token(&self, token: &str, now: OffsetDateTime) -> Result<Identified, IdentityError> {
        let kid = token
            .split('.')
            .next()
            .and_then(|h| decode_json_part(h, "header").ok())
            .and_then(|h| h.get("kid").and_then(Value::as_str).map(str::to_string));
        let use_svid = match (&self.svid, &self.jwt) {
            (Some(_), None) => true,
            (Some(sv), Some(_)) => kid
                .as_deref()
                .is_some_and(|k| sv.keys.iter().any(|key| key.kid.as_deref() == Some(k))),
            (None, _) => false,
        };
        let cfg = if use_svid {
            self.svid.as_ref()
        } else {
            self.jwt.as_ref()
        };
        let cfg = cfg.ok_or(IdentityError::NoJwks)?;
        let agent = self.verify_token_with(cfg, token, now)?;
        Ok(Identified {
            agent,
            via: match cfg.kind {
                TokenKind::Oidc => IdentityVia::Jwt,
                TokenKind::Svid => IdentityVia::JwtSvid,
            },
        })
    }

    /// Verifies a token against one key set and returns its agent
    /// (`oidc:<iss>|<sub>`, or a JWT-SVID's SPIFFE ID).
    fn verify_token_with(
        &self,
        jwt: &JwtConfig,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<String, IdentityError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(known) = jwt.cache.get(&digest) {
            self.check_times(known.exp, known.nbf, now)?;
            return Ok(known.agent);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(IdentityError::Malformed(format!(
                "it is {} bytes long, more than the {MAX_TOKEN_BYTES} accepted",
                token.len()
            )));
        }
        let mut parts = token.split('.');
        let (Some(h64), Some(c64), Some(sig64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(IdentityError::Malformed(
                "a JWT has three dot-separated parts (header.claims.signature)".into(),
            ));
        };
        let header = decode_json_part(h64, "header")?;
        let alg_text = match header.get("alg") {
            Some(Value::String(a)) => a.as_str(),
            Some(_) => {
                return Err(IdentityError::Malformed(
                    "header `alg` is not a string".into(),
                ))
            }
            None => return Err(IdentityError::Malformed("header has no `alg`".into())),
        };
        let alg = match alg_text.parse::<Algorithm>() {
            Ok(a) if !matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) => a,
            _ => return Err(IdentityError::AlgorithmRefused(alg_text.to_string())),
        };
        if header.contains_key("crit") {
            return Err(IdentityError::Malformed(
                "header has critical extensions (`crit`), which are not supported".into(),
            ));
        }
        let key = match header.get("kid") {
            Some(Value::String(kid)) => jwt
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid.as_str()))
                .ok_or_else(|| IdentityError::UnknownKeyId {
                    kid: kid.clone(),
                    known: list(&jwt.keys.iter().map(VerifyKey::label).collect::<Vec<_>>()),
                })?,
            Some(_) => {
                return Err(IdentityError::Malformed(
                    "header `kid` is not a string".into(),
                ))
            }
            None => match jwt.keys.as_slice() {
                [only] => only,
                keys => return Err(IdentityError::NoKeyId(keys.len())),
            },
        };
        if !key.algs.contains(&alg) {
            return Err(IdentityError::AlgorithmMismatch {
                alg: alg_text.to_string(),
                kid: key.label(),
                expected: key
                    .algs
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let message = &token[..h64.len() + 1 + c64.len()];
        let verified = jsonwebtoken::crypto::verify(sig64, message.as_bytes(), &key.key, alg)
            .map_err(|e| IdentityError::Malformed(format!("signature cannot be checked: {e}")))?;
        if !verified {
            return Err(IdentityError::BadSignature(key.label()));
        }
        let claims = decode_json_part(c64, "claims")?;
        let verified = self.check_claims(jwt, &claims, now)?;
        jwt.cache
            .insert(digest, verified.clone(), now.unix_timestamp());
        Ok(verified.agent)
    }

    /// Checks `exp` and `nbf` against `now`, with the leeway.
    fn check_times(
        &self,
        exp: i64,
        nbf: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<(), IdentityError> {
        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        let leeway_s = self.leeway.as_secs();
        let now_s = now.unix_timestamp();
        if now_s >= exp.saturating_add(leeway) {
            return Err(IdentityError::Expired {
                exp: show_time(exp),
                now: show_time(now_s),
                leeway_s,
            });
        }
        if let Some(nbf) = nbf {
            if now_s.saturating_add(leeway) < nbf {
                return Err(IdentityError::NotYetValid {
                    nbf: show_time(nbf),
                    now: show_time(now_s),
                    leeway_s,
                });
            }
        }
        Ok(())
    }

    /// Checks the claims of a token whose signature verified.
    fn check_claims(
        &self,
        jwt: &JwtConfig,
        claims: &Map<String, Value>,
        now: OffsetDateTime,
    ) -> Result<Verified, IdentityError> {
        let exp = numeric_date(claims, "exp")?.ok_or(IdentityError::MissingClaim("exp"))?;
        let nbf = numeric_date(claims, "nbf")?;
        self.check_times(exp, nbf, now)?;
        if jwt.kind == TokenKind::Svid {
            check_audience(jwt, claims)?;
            let sub = string_claim(claims, "sub")?.ok_or(IdentityError::MissingClaim("sub"))?;
            if let Some(problem) = writ_core::inventory::spiffe_problem(sub) {
                return Err(IdentityError::BadClaim {
                    claim: "sub",
                    problem: format!("`{sub}` is not a SPIFFE ID ({problem})"),
                });
            }
            return Ok(Verified {
                agent: sub.to_string(),
                exp,
                nbf,
            });
        }
        let iss = string_claim(claims, "iss")?.ok_or(IdentityError::MissingClaim("iss"))?;
        if let Some(expected) = &jwt.issuer {
            if iss != expected {
                return Err(IdentityError::Issuer {
                    got: iss.to_string(),
                    expected: expected.clone(),
                });
            }
        }
        check_audience(jwt, claims)?;
        let sub = string_claim(claims, "sub")?.ok_or(IdentityError::MissingClaim("sub"))?;
        if sub.is_empty() || iss.is_empty() {
            return Err(IdentityError::BadClaim {
                claim: if sub.is_empty() { "sub" } else { "iss" },
                problem: "is empty".into(),
            });
        }
        Ok(Verified {
            agent: format!("oidc:{iss}|{sub}"),
            exp,
            nbf,
        })
    }
}

/// Checks that `aud` names a configured audience.
fn check_audience(jwt: &JwtConfig, claims: &Map<String, Value>) -> Result<(), IdentityError> {
    let aud: Vec<&str> = match claims.get("aud") {
        None | Some(Value::Null) => return Err(IdentityError::MissingClaim("aud")),
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().ok_or(IdentityError::BadClaim {
                    claim: "aud",
                    problem: "holds a value that is not a string".into(),
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(IdentityError::BadClaim {
                claim: "aud",
                problem: "is neither a string nor a list of strings".into(),
            })
        }
    };
    if !aud.iter().any(|a| jwt.audiences.iter().any(|c| c == a)) {
        return Err(IdentityError::Audience {
            got: if aud.is_empty() {
                "(empty)".into()
            } else {
                list(&aud)
            },
            expected: list(&jwt.audiences),
        });
    }
    Ok(())
}

/// Classifies a principal presented without (or alongside) a token.
fn classify_principal(principal: &str, allow_oidc: bool) -> Result<Identified, IdentityError> {
    let bad = |problem: &str| IdentityError::Principal {
        principal: principal.to_string(),
        problem: problem.to_string(),
    };
    if principal.len() > 2048 {
        return Err(bad("is longer than 2048 bytes"));
    }
    let lower = principal.get(..7).map(str::to_ascii_lowercase);
    if lower.as_deref() == Some("spiffe:") {
        if let Some(problem) = writ_core::inventory::spiffe_problem(principal) {
            return Err(IdentityError::Spiffe {
                id: principal.to_string(),
                problem: problem.to_string(),
            });
        }
        return Ok(Identified {
            agent: principal.to_string(),
            via: IdentityVia::Spiffe,
        });
    }
    if principal.starts_with("oidc:") {
        if !allow_oidc {
            return Err(IdentityError::UnverifiedOidc(principal.to_string()));
        }
        return Ok(Identified {
            agent: principal.to_string(),
            via: IdentityVia::Jwt,
        });
    }
    if writ_core::resolve::parse_uid_literal(principal).is_some() {
        return Ok(Identified {
            agent: principal.to_string(),
            via: IdentityVia::Uid,
        });
    }
    if principal.contains("::") || principal.contains('"') {
        return Err(bad(
            "is not a well-formed Cedar uid: write it as Agent::\"id\" (the id in double quotes)",
        ));
    }
    if principal.contains("://") {
        return Err(bad(
            "is a URI but not a SPIFFE ID: send spiffe://domain/path, a Cedar uid (Agent::\"id\") or an inventory id",
        ));
    }
    if principal.chars().any(char::is_whitespace) {
        return Err(bad("holds whitespace, which no inventory id does"));
    }
    Ok(Identified {
        agent: principal.to_string(),
        via: IdentityVia::InventoryId,
    })
}

/// The token without a leading `Bearer ` (any case) and surrounding spaces.
fn strip_bearer(token: &str) -> &str {
    let t = token.trim();
    match t.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => t[7..].trim_start(),
        _ => t,
    }
}

/// Decodes one base64url JSON part of a JWT into an object.
fn decode_json_part(part: &str, what: &str) -> Result<Map<String, Value>, IdentityError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| IdentityError::Malformed(format!("the {what} is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| IdentityError::Malformed(format!("the {what} is not a JSON object: {e}")))
}

/// Reads a NumericDate claim (seconds since the epoch, possibly fractional).
fn numeric_date(
    claims: &Map<String, Value>,
    claim: &'static str,
) -> Result<Option<i64>, IdentityError> {
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                // Fractional seconds: the whole second is enough here.
                Ok(Some(
                    f.floor().clamp(i64::MIN as f64, i64::MAX as f64) as i64
                ))
            } else {
                Err(IdentityError::BadClaim {
                    claim,
                    problem: format!("`{n}` is not a time in seconds since 1970"),
                })
            }
        }
        Some(other) => Err(IdentityError::BadClaim {
            claim,
            problem: format!("`{other}` is not a number of seconds since 1970"),
        }),
    }
}

/// Reads a string claim.
fn string_claim<'a>(
    claims: &'a Map<String, Value>,
    claim: &'static str,
) -> Result<Option<&'a str>, IdentityError> {
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(IdentityError::BadClaim {
            claim,
            problem: "is not a string".into(),
        }),
    }
}

/// A unix time as RFC 3339 (or the number when out of range).
fn show_time(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

/// `a`, `a` or `b`, `a`, `b` or `c`, each in backquotes.
fn list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    match quoted.as_slice() {
        [] => "no keys".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Parses a JWK Set into verification keys.
fn parse_jwks(text: &str) -> Result<Vec<VerifyKey>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "line {}, column {}: not JSON: {e}",
            e.line(),
            e.column().max(1)
        )
    })?;
    let Some(items) = doc.get("keys").and_then(Value::as_array) else {
        return Err(
            "not a JWK Set: expected an object with a `keys` list ({\"keys\": [...]})".into(),
        );
    };
    let mut keys: Vec<VerifyKey> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let kid_text = item
            .get("kid")
            .and_then(Value::as_str)
            .map(|k| format!(" (kid `{k}`)"))
            .unwrap_or_default();
        let at = format!("key {}{kid_text}", i + 1);
        let Some(obj) = item.as_object() else {
            return Err(format!("{at} is not a JSON object"));
        };
        if obj.get("kty").and_then(Value::as_str) == Some("oct") {
            return Err(format!(
                "{at} is a symmetric (`oct`) key: HMAC-signed tokens are not accepted; publish only public keys"
            ));
        }
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            if obj.contains_key(private) {
                return Err(format!(
                    "{at} holds secret key material (`{private}`): a JWKS for checking tokens holds only public keys; remove it"
                ));
            }
        }
        let jwk: Jwk = serde_json::from_value(item.clone())
            .map_err(|e| format!("{at} is not a valid JWK: {e}"))?;
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        let algs = key_algorithms(&jwk).map_err(|m| format!("{at} {m}"))?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("{at} cannot be used: {e}"))?;
        check_key_material(&jwk, &key, algs[0]).map_err(|m| format!("{at} {m}"))?;
        let kid = jwk.common.key_id.clone();
        if let Some(k) = &kid {
            if keys.iter().any(|o| o.kid.as_deref() == Some(k)) {
                return Err(format!(
                    "{at}: the key id `{k}` is used twice; each key needs its own kid"
                ));
            }
        }
        keys.push(VerifyKey { kid, algs, key });
    }
    if keys.is_empty() {
        return Err("holds no signature keys: add the public keys tokens are signed with".into());
    }
    if keys.len() > 1 && keys.iter().any(|k| k.kid.is_none()) {
        return Err(
            "holds several keys and some have no `kid`: give each key a kid so tokens can name it"
                .into(),
        );
    }
    Ok(keys)
}

/// The algorithms a key verifies, from its type and curve (and its `alg`
/// when given, which must agree).
fn key_algorithms(jwk: &Jwk) -> Result<Vec<Algorithm>, String> {
    let by_type: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            ref c => return Err(format!("uses curve {c:?}, which is not supported (use P-256, P-384 or Ed25519)")),
        },
        AlgorithmParameters::OctetKeyPair(p) => match p.curve {
            EllipticCurve::Ed25519 => vec![Algorithm::EdDSA],
            ref c => return Err(format!("uses curve {c:?}, which is not supported for OKP keys (use Ed25519)")),
        },
        AlgorithmParameters::OctetKey(_) => {
            return Err("is a symmetric (`oct`) key: HMAC-signed tokens are not accepted; publish only public keys".into())
        }
        _ => return Err("has an unsupported key type (use RSA, EC or OKP)".into()),
    };
    match jwk.common.key_algorithm {
        None => Ok(by_type),
        Some(ka) => {
            let alg = key_algorithm(ka)
                .ok_or_else(|| format!("names algorithm {ka:?}, which is not accepted"))?;
            if by_type.contains(&alg) {
                Ok(vec![alg])
            } else {
                Err(format!(
                    "names algorithm {ka:?}, which does not fit its key type"
                ))
            }
        }
    }
}

/// The signing algorithm a JWK `alg` names, if it is an accepted one.
fn key_algorithm(ka: KeyAlgorithm) -> Option<Algorithm> {
    Some(match ka {
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

/// Checks a public key's sizes and that the crypto backend accepts it.
fn check_key_material(jwk: &Jwk, key: &DecodingKey, alg: Algorithm) -> Result<(), String> {
    let b64len = |s: &str| {
        URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map(|b| b.len())
    };
    match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => {
            let n = URL_SAFE_NO_PAD
                .decode(p.n.trim_end_matches('='))
                .map_err(|e| format!("has a modulus `n` that is not base64url: {e}"))?;
            let bits = n.iter().position(|b| *b != 0).map_or(0, |first| {
                (n.len() - first) * 8 - n[first].leading_zeros() as usize
            });
            if bits < MIN_RSA_BITS {
                return Err(format!(
                    "is a {bits}-bit RSA key; at least {MIN_RSA_BITS} bits are required"
                ));
            }
            if b64len(&p.e)
                .map_err(|e| format!("has an exponent `e` that is not base64url: {e}"))?
                == 0
            {
                return Err("has an empty exponent `e`".into());
            }
        }
        AlgorithmParameters::EllipticCurve(p) => {
            let want = if alg == Algorithm::ES384 { 48 } else { 32 };
            for (name, v) in [("x", &p.x), ("y", &p.y)] {
                let len =
                    b64len(v).map_err(|e| format!("has `{name}` that is not base64url: {e}"))?;
                if len != want {
                    return Err(format!(
                        "has a `{name}` coordinate of {len} bytes; {want} are expected for its curve"
                    ));
                }
            }
        }
        AlgorithmParameters::OctetKeyPair(p) => {
            let len = b64len(&p.x).map_err(|e| format!("has `x` that is not base64url: {e}"))?;
            if len != 32 {
                return Err(format!(
                    "has an Ed25519 public key `x` of {len} bytes; 32 are expected"
                ));
            }
        }
        _ => {}
    }
    let provider = jsonwebtoken::crypto::CryptoProvider::try_get_default()
        .ok_or_else(|| "cannot be checked: no JWT crypto backend is built in".to_string())?;
    (provider.verifier_factory)(&alg, key)
        .map(|_| ())
        .map_err(|e| format!("is not a valid public key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_are_classified() {
        let cfg = IdentityConfig::none();
        let now = OffsetDateTime::now_utc();
        let id = |p: &str| {
            cfg.identify(
                Presented {
                    principal: Some(p),
                    token: None,
                    peer: None,
                },
                now,
            )
        };
        let uid = id("Agent::\"support-bot\"").expect("uid");
        assert_eq!(uid.agent, "Agent::\"support-bot\"");
        assert_eq!(uid.via, IdentityVia::Uid);
        let sp = id("spiffe://acme.example/agents/support-bot").expect("spiffe");
        assert_eq!(sp.via, IdentityVia::Spiffe);
        assert_eq!(sp.agent, "spiffe://acme.example/agents/support-bot");
        let inv = id("support-bot").expect("inventory id");
        assert_eq!(inv.via, IdentityVia::InventoryId);
        assert_eq!(inv.agent, "support-bot");

        let bad = id("spiffe://Acme/bot").expect_err("upper case domain");
        assert!(matches!(bad, IdentityError::Spiffe { .. }));
        assert!(
            bad.to_string()
                .starts_with("SPIFFE ID `spiffe://Acme/bot`: "),
            "{bad}"
        );
        let trailing = id("spiffe://acme.example/bot/").expect_err("trailing slash");
        assert!(
            trailing.to_string().contains("trailing slash"),
            "{trailing}"
        );
        assert!(matches!(
            id("SPIFFE://acme.example/bot"),
            Err(IdentityError::Spiffe { .. })
        ));
        // Asserted mode: an OIDC identity named by the gateway is as sent.
        assert_eq!(
            id("oidc:https://idp.example|bot").expect("asserted").agent,
            "oidc:https://idp.example|bot"
        );
        // Control characters Cedar accepts in an id are not refused.
        let del = id("Agent::\"bot\u{7f}\u{85}\"").expect("DEL and C1 in a uid");
        assert_eq!(del.via, IdentityVia::Uid);
        assert!(id("Agent::bot").is_err());
        assert!(id("https://idp.example/bot").is_err());
        assert!(id("two words").is_err());
        assert_eq!(
            cfg.identify(Presented::default(), now),
            Err(IdentityError::Missing)
        );
        assert_eq!(
            cfg.identify(
                Presented {
                    principal: Some(""),
                    token: Some(""),
                    peer: None,
                },
                now
            ),
            Err(IdentityError::Missing)
        );
    }

    #[test]
    fn a_token_in_asserted_mode_is_refused() {
        let err = IdentityConfig::none()
            .identify(
                Presented {
                    principal: None,
                    token: Some("a.b.c"),
                    peer: None,
                },
                OffsetDateTime::now_utc(),
            )
            .expect_err("asserted mode");
        assert_eq!(err, IdentityError::TokenInAssertedMode);
        assert!(err.to_string().contains("asserted"), "{err}");
    }

    #[test]
    fn verified_mode_refuses_a_principal_without_proof_and_takes_the_certificate() {
        let cfg = IdentityConfig::none().with_mode(IdentityMode::Verified);
        let now = OffsetDateTime::now_utc();
        for p in [
            "support-bot",
            "Agent::\"support-bot\"",
            "spiffe://acme.example/bot",
        ] {
            let err = cfg
                .identify(
                    Presented {
                        principal: Some(p),
                        token: None,
                        peer: None,
                    },
                    now,
                )
                .expect_err("unproven");
            assert_eq!(err, IdentityError::Unproven, "{p}");
        }
        let by_cert = cfg
            .identify(
                Presented {
                    principal: None,
                    token: None,
                    peer: Some("spiffe://acme.example/bot"),
                },
                now,
            )
            .expect("certificate");
        assert_eq!(by_cert.agent, "spiffe://acme.example/bot");
        assert_eq!(by_cert.via, IdentityVia::Certificate);
        let other = cfg.identify(
            Presented {
                principal: Some("spiffe://acme.example/other"),
                token: None,
                peer: Some("spiffe://acme.example/bot"),
            },
            now,
        );
        assert!(
            matches!(other, Err(IdentityError::Mismatch { .. })),
            "{other:?}"
        );
    }

    #[test]
    fn the_config_is_shareable_across_threads() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<IdentityConfig>();
        shareable::<IdentityError>();
    }

    #[test]
    fn lists_read_naturally() {
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(show_time(0), "1970-01-01T00:00:00Z");
    }
}
