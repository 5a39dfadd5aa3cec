//! JWT claims checking, after the signature verified: `exp` and `nbf`
//! (with a leeway), `aud`, `iss` and `sub`, per the kind of token (OIDC or
//! SPIFFE JWT-SVID).

use super::cache::Verified;
use super::error::IdentityError;
use super::jwks::{JwtConfig, TokenKind};
use serde_json::{Map, Value};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Checks `exp` and `nbf` against `now`, with the leeway.
pub(super) fn check_times(
    leeway: Duration,
    exp: i64,
    nbf: Option<i64>,
    now: OffsetDateTime,
) -> Result<(), IdentityError> {
    let leeway_i = i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX);
    let leeway_s = leeway.as_secs();
    let now_s = now.unix_timestamp();
    if now_s >= exp.saturating_add(leeway_i) {
        return Err(IdentityError::Expired {
            exp: show_time(exp),
            now: show_time(now_s),
            leeway_s,
        });
    }
    if let Some(nbf) = nbf {
        if now_s.saturating_add(leeway_i) < nbf {
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
pub(super) fn check_claims(
    jwt: &JwtConfig,
    claims: &Map<String, Value>,
    now: OffsetDateTime,
    leeway: Duration,
) -> Result<Verified, IdentityError> {
    let exp = numeric_date(claims, "exp")?.ok_or(IdentityError::MissingClaim("exp"))?;
    let nbf = numeric_date(claims, "nbf")?;
    check_times(leeway, exp, nbf, now)?;
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
pub(super) fn show_time(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

/// `a`, `a` or `b`, `a`, `b` or `c`, each in backquotes.
pub(super) fn list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    match quoted.as_slice() {
        [] => "no keys".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_naturally() {
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(show_time(0), "1970-01-01T00:00:00Z");
    }
}
