//! The identity configuration: the mode (verified or asserted), the key
//! sets, the leeway, and [`IdentityConfig::identify`], which names the
//! agent from what a request presented.

use super::error::IdentityError;
use super::jwks::{parse_jwks, JwtConfig, SpiffeBundle, TokenKind, VerifyKey};
use super::principal::{classify_principal, Identified, IdentityVia};
use super::token::{self, decode_json_part, strip_bearer};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The default clock-skew leeway for `exp` and `nbf`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

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

/// How agents may identify themselves: principals always, tokens when a
/// JWKS file is configured. Cheap to share (`Send + Sync`); build it once.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    jwt: Option<JwtConfig>,
    svid: Option<JwtConfig>,
    mode: IdentityMode,
    leeway: Duration,
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
        let agent = token::verify(cfg, token, now, self.leeway)?;
        Ok(Identified {
            agent,
            via: match cfg.kind {
                TokenKind::Oidc => IdentityVia::Jwt,
                TokenKind::Svid => IdentityVia::JwtSvid,
            },
        })
    }
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
}
