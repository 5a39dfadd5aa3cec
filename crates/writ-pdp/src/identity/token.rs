//! Verifying one token against one key set: its form, header (`alg`,
//! `kid`, no `crit`), the signature with the key's own algorithm, then the
//! claims ([`super::claims`]); verified tokens are remembered in the key
//! set's cache.

use super::claims::{check_claims, check_times, list};
use super::error::IdentityError;
use super::jwks::{JwtConfig, VerifyKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use std::time::Duration;
use time::OffsetDateTime;

/// The longest token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Verifies a token against one key set and returns its agent
/// (`oidc:<iss>|<sub>`, or a JWT-SVID's SPIFFE ID).
pub(super) fn verify(
    jwt: &JwtConfig,
    token: &str,
    now: OffsetDateTime,
    leeway: Duration,
) -> Result<String, IdentityError> {
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if let Some(known) = jwt.cache.get(&digest) {
        check_times(leeway, known.exp, known.nbf, now)?;
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
    let verified = check_claims(jwt, &claims, now, leeway)?;
    jwt.cache
        .insert(digest, verified.clone(), now.unix_timestamp());
    Ok(verified.agent)
}

/// The token without a leading `Bearer ` (any case) and surrounding spaces.
pub(super) fn strip_bearer(token: &str) -> &str {
    let t = token.trim();
    match t.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => t[7..].trim_start(),
        _ => t,
    }
}

/// Decodes one base64url JSON part of a JWT into an object.
pub(super) fn decode_json_part(
    part: &str,
    what: &str,
) -> Result<Map<String, Value>, IdentityError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| IdentityError::Malformed(format!("the {what} is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| IdentityError::Malformed(format!("the {what} is not a JSON object: {e}")))
}
