//! Key sets: JWK Set files and SPIFFE trust bundles read into verification
//! keys (public keys only, of accepted types and sizes, each `kid` once),
//! and [`JwtConfig`], a key set with the claims its tokens must carry.

use super::cache::TokenCache;
use super::error::IdentityError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The smallest RSA modulus accepted in a JWKS, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// What kind of token a key set checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// An OIDC token: `iss` and `sub` required, the agent is `oidc:<iss>|<sub>`.
    Oidc,
    /// A SPIFFE JWT-SVID: `sub` is a SPIFFE ID, which is the agent.
    Svid,
}

/// One verification key of the JWKS.
#[derive(Debug, Clone)]
pub(super) struct VerifyKey {
    /// The key id, if the JWK has one.
    pub(super) kid: Option<String>,
    /// The algorithms this key verifies.
    pub(super) algs: Vec<Algorithm>,
    pub(super) key: DecodingKey,
}

impl VerifyKey {
    pub(super) fn label(&self) -> String {
        self.kid.clone().unwrap_or_else(|| "(no kid)".into())
    }
}

/// The JWT part of the configuration.
#[derive(Debug, Clone)]
pub(super) struct JwtConfig {
    pub(super) kind: TokenKind,
    pub(super) path: PathBuf,
    pub(super) keys: Vec<VerifyKey>,
    pub(super) audiences: Vec<String>,
    pub(super) issuer: Option<String>,
    pub(super) cache: Arc<TokenCache>,
}

/// A SPIFFE trust bundle read from its JSON (JWK Set) form: the JWT-SVID
/// keys (`"use": "jwt-svid"`) and the X.509 CA certificates
/// (`"use": "x509-svid"`, each a DER certificate in `x5c`).
#[derive(Debug, Clone, Default)]
pub struct SpiffeBundle {
    /// The JWT-SVID keys as a JWK Set text (empty `keys` when none).
    pub(super) jwt_keys: Vec<Value>,
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

/// Parses a JWK Set into verification keys.
pub(super) fn parse_jwks(text: &str) -> Result<Vec<VerifyKey>, String> {
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
