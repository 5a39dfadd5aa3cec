//! Who each recorded identity becomes in a draft: an inventory agent (with
//! an id made from its SPIFFE ID, OIDC subject or recorded name), another
//! Cedar entity written in the trace (`Client::"x"`), or a shadow.

use super::sketch::is_ident;
use crate::uid::parse_uid_literal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The identity a mapping profile records when nothing names the agent.
pub const UNNAMED_AGENT: &str = "unknown-agent";

/// How an identity was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "DraftIdentityKind")]
pub enum IdentityKind {
    /// A SPIFFE ID: a workload identity.
    Spiffe,
    /// `oidc:<issuer>|<subject>`: a workload identity.
    Oidc {
        /// The issuer.
        issuer: String,
        /// The subject.
        subject: String,
    },
    /// A bare name (`triage-agent`): found by inventory id, not a workload identity.
    Name,
    /// An `Agent::"id"` uid.
    AgentUid,
    /// A uid of another entity type (`Client::"x"`): granted as written,
    /// not an inventory agent.
    Entity {
        /// Its entity type.
        entity_type: String,
    },
    /// Nothing named the agent (or a uid the draft cannot declare): its
    /// actions become step-up drafts.
    Shadow {
        /// Why it is a shadow.
        why: String,
    },
}

/// One identity of the trace, as the draft treats it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "DraftIdentity")]
pub struct DraftIdentity {
    /// The identity as recorded.
    pub recorded: String,
    /// How it was recorded.
    pub kind: IdentityKind,
    /// The principal's entity type.
    pub entity_type: String,
    /// The principal's entity id (the inventory agent id for agents).
    pub entity_id: String,
    /// Actions recorded under it.
    pub calls: u64,
}

impl DraftIdentity {
    /// Whether it becomes an inventory agent.
    pub fn is_agent(&self) -> bool {
        matches!(
            self.kind,
            IdentityKind::Spiffe
                | IdentityKind::Oidc { .. }
                | IdentityKind::Name
                | IdentityKind::AgentUid
        )
    }

    /// Whether its actions are step-up drafts.
    pub fn is_shadow(&self) -> bool {
        matches!(self.kind, IdentityKind::Shadow { .. })
    }
}

/// `base`, or `base-2`, `base-3`, ... : the first not in `taken`, which is
/// then taken.
pub(super) fn unique(taken: &mut BTreeSet<String>, base: String) -> String {
    let mut id = base.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// An inventory id made of a label: letters, digits, `-`, `_` and `.`
/// kept, anything else `-`; never empty.
fn id_from(label: &str) -> String {
    let id: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_matches('-').to_string();
    if id.is_empty() {
        "agent".to_string()
    } else {
        id
    }
}

fn kind_of(recorded: &str) -> IdentityKind {
    if recorded.trim().is_empty() || recorded == UNNAMED_AGENT {
        return IdentityKind::Shadow {
            why: "nothing in the recording names the agent".into(),
        };
    }
    if recorded.starts_with("spiffe://") {
        // A malformed one is kept as a name (found by id), never written
        // as an identity the inventory would refuse.
        return match crate::inventory::spiffe_problem(recorded) {
            None => IdentityKind::Spiffe,
            Some(_) => IdentityKind::Name,
        };
    }
    if let Some(rest) = recorded.strip_prefix("oidc:") {
        if let Some((issuer, subject)) = rest.split_once('|') {
            if !issuer.is_empty() && !subject.is_empty() {
                return IdentityKind::Oidc {
                    issuer: issuer.to_string(),
                    subject: subject.to_string(),
                };
            }
        }
    }
    if recorded.contains("::\"") {
        return match parse_uid_literal(recorded) {
            Some((ty, _)) if ty == "Agent" => IdentityKind::AgentUid,
            Some((ty, _))
                if is_ident(&ty) && !matches!(ty.as_str(), "Action" | "Team" | "Tool") =>
            {
                IdentityKind::Entity { entity_type: ty }
            }
            Some((ty, _)) => IdentityKind::Shadow {
                why: format!("a `{ty}` uid, which a draft does not declare as a principal"),
            },
            None => IdentityKind::Name,
        };
    }
    IdentityKind::Name
}

/// The draft identity of every recorded identity (`calls` per identity).
/// Agent ids are unique: names and `Agent::"id"` uids keep their text (the
/// engine finds them by id); SPIFFE IDs take their last path segment and
/// OIDC identities their subject, with `-2`, `-3`, ... on a clash.
pub fn assign(recorded: &BTreeMap<String, u64>) -> Vec<DraftIdentity> {
    let kinds: Vec<(&String, u64, IdentityKind)> =
        recorded.iter().map(|(r, n)| (r, *n, kind_of(r))).collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out: Vec<Option<DraftIdentity>> = vec![None; kinds.len()];
    // Exact ids first, so derived ones step around them.
    for (i, (r, n, kind)) in kinds.iter().enumerate() {
        let exact = match kind {
            IdentityKind::Name => Some(("Agent".to_string(), (*r).clone())),
            IdentityKind::AgentUid | IdentityKind::Entity { .. } => parse_uid_literal(r),
            IdentityKind::Shadow { .. } => Some(("Agent".to_string(), (*r).clone())),
            _ => None,
        };
        if let Some((ty, id)) = exact {
            if ty == "Agent" && !matches!(kind, IdentityKind::Shadow { .. }) {
                taken.insert(id.clone());
            }
            out[i] = Some(DraftIdentity {
                recorded: (*r).clone(),
                kind: kind.clone(),
                entity_type: ty,
                entity_id: id,
                calls: *n,
            });
        }
    }
    for (i, (r, n, kind)) in kinds.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        let label = match kind {
            IdentityKind::Oidc { subject, .. } => subject.as_str(),
            _ => r
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(r.as_str()),
        };
        let id = unique(&mut taken, id_from(label));
        out[i] = Some(DraftIdentity {
            recorded: (*r).clone(),
            kind: kind.clone(),
            entity_type: "Agent".into(),
            entity_id: id,
            calls: *n,
        });
    }
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(recorded: &[&str]) -> Vec<(String, String)> {
        let m: BTreeMap<String, u64> = recorded.iter().map(|r| (r.to_string(), 1)).collect();
        assign(&m)
            .into_iter()
            .map(|d| (d.entity_type, d.entity_id))
            .collect()
    }

    #[test]
    fn identities_become_unique_agent_ids() {
        let got = ids(&[
            "spiffe://a.example/agents/triage",
            "spiffe://b.example/triage",
            "triage",
            "oidc:https://login.example|svc bot",
            "Client::\"c1\"",
            "Agent::\"x\"",
            "unknown-agent",
        ]);
        let want: Vec<(String, String)> = [
            ("Agent", "x"),
            ("Client", "c1"),
            ("Agent", "svc-bot"),
            ("Agent", "triage-2"),
            ("Agent", "triage-3"),
            ("Agent", "triage"),
            ("Agent", "unknown-agent"),
        ]
        .iter()
        .map(|(t, i)| (t.to_string(), i.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn kinds_are_told_apart() {
        assert!(matches!(
            kind_of("unknown-agent"),
            IdentityKind::Shadow { .. }
        ));
        assert!(matches!(kind_of(""), IdentityKind::Shadow { .. }));
        assert!(matches!(
            kind_of("Action::\"x\""),
            IdentityKind::Shadow { .. }
        ));
        assert!(matches!(kind_of("oidc:i|s"), IdentityKind::Oidc { .. }));
        assert!(matches!(
            kind_of("spiffe://x.exam#le/b"),
            IdentityKind::Name
        ));
        assert!(matches!(
            kind_of("spiffe://x.example/b"),
            IdentityKind::Spiffe
        ));
        assert!(matches!(kind_of("oidc:nope"), IdentityKind::Name));
        assert!(matches!(
            kind_of("NS::User::\"a\""),
            IdentityKind::Shadow { .. }
        ));
    }
}
