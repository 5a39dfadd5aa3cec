//! Principal classification: what a principal presented as a string names
//! (a Cedar uid, a SPIFFE ID, an OIDC identity or a bare inventory id),
//! and the [`Identified`] agent with [`IdentityVia`], how it was named.

use super::error::IdentityError;

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

/// The agent a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    /// The string the engine resolves like a trace record's `agent`.
    pub agent: String,
    /// How it was identified.
    pub via: IdentityVia,
}

/// Classifies a principal presented without (or alongside) a token.
pub(super) fn classify_principal(
    principal: &str,
    allow_oidc: bool,
) -> Result<Identified, IdentityError> {
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
