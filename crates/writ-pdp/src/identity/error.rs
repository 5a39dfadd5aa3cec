//! Why an agent identity was refused, or why a key set cannot be used:
//! [`IdentityError`], whose text is the deny reason a caller sees. The
//! bottom of the identity modules.

use std::path::PathBuf;

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
