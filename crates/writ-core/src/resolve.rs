//! Identity resolution: which Cedar principal a recorded `agent` string is.

use crate::inventory::Inventory;
pub use crate::uid::{parse_uid, parse_uid_literal};
use rustc_hash::FxHashMap;
use std::sync::{Arc, RwLock};

/// How a recorded agent was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// An inventory agent, found by workload identity or inventory id.
    Inventory,
    /// An identity no inventory entry claims: a shadow agent.
    Shadow,
    /// A Cedar entity uid written directly in the trace (`User::"alice"`).
    Literal,
}

/// A resolved principal: entity type and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Entity type, e.g. `Agent`.
    pub ty: Arc<str>,
    /// Entity id.
    pub id: Arc<str>,
    /// How it was found.
    pub kind: PrincipalKind,
}

/// Maps workload identities and inventory ids to agents.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    by_identity: FxHashMap<String, Arc<str>>,
    agent_type: Arc<str>,
    /// Uid literals read before (Cedar's parser costs microseconds), shared
    /// by clones.
    literals: Arc<RwLock<FxHashMap<Box<str>, Option<Literal>>>>,
}

/// A parsed uid literal: type name as Cedar prints it, unescaped id.
type Literal = (Arc<str>, Arc<str>);

/// How many distinct uid literals a resolver remembers before it forgets
/// them all (memory stays bounded on hostile input).
const LITERAL_MEMO: usize = 16_384;

impl Resolver {
    /// A resolver over an inventory's agents.
    pub fn from_inventory(inv: &Inventory) -> Self {
        let mut by_identity = FxHashMap::default();
        for a in &inv.agent {
            let id: Arc<str> = Arc::from(a.id.get_ref().as_str());
            by_identity.insert(a.id.get_ref().clone(), id.clone());
            for (key, _) in a.identity_keys() {
                by_identity.entry(key).or_insert_with(|| id.clone());
            }
        }
        Resolver {
            by_identity,
            agent_type: Arc::from("Agent"),
            literals: Arc::default(),
        }
    }

    /// A resolver from an identity map (workload identity string, such as
    /// `spiffe://...` or `oidc:<issuer>|<subject>`, to inventory agent id,
    /// as a bundle's `identities.json` holds it) and the inventory's agent
    /// ids (found by their own id). Resolves as [`Resolver::from_inventory`]
    /// does for the inventory the map was made from.
    pub fn from_identities<I, A>(identities: I, agent_ids: A) -> Self
    where
        I: IntoIterator<Item = (String, String)>,
        A: IntoIterator<Item = String>,
    {
        let mut by_identity: FxHashMap<String, Arc<str>> = FxHashMap::default();
        for (key, id) in identities {
            by_identity
                .entry(key)
                .or_insert_with(|| Arc::from(id.as_str()));
        }
        for id in agent_ids {
            let shared: Arc<str> = Arc::from(id.as_str());
            by_identity.insert(id, shared);
        }
        Resolver {
            by_identity,
            agent_type: Arc::from("Agent"),
            literals: Arc::default(),
        }
    }

    /// The identity map of an inventory: every workload identity string an
    /// agent declares, to that agent's id (the first agent declaring it wins,
    /// as in [`Resolver::from_inventory`]), sorted by identity.
    pub fn identity_map(inv: &Inventory) -> std::collections::BTreeMap<String, String> {
        let mut map = std::collections::BTreeMap::new();
        for a in &inv.agent {
            for (key, _) in a.identity_keys() {
                map.entry(key).or_insert_with(|| a.id.get_ref().clone());
            }
        }
        map
    }

    /// Resolves a recorded `agent` string.
    pub fn resolve(&self, agent: &str) -> Principal {
        if let Some(id) = self.by_identity.get(agent) {
            return Principal {
                ty: self.agent_type.clone(),
                id: id.clone(),
                kind: PrincipalKind::Inventory,
            };
        }
        if let Some((ty, id)) = self.literal(agent) {
            return Principal {
                ty,
                id,
                kind: PrincipalKind::Literal,
            };
        }
        Principal {
            ty: if self.agent_type.is_empty() {
                Arc::from("Agent")
            } else {
                self.agent_type.clone()
            },
            id: Arc::from(agent),
            kind: PrincipalKind::Shadow,
        }
    }
}

impl Resolver {
    /// The uid literal `text` names, through the memo.
    fn literal(&self, text: &str) -> Option<Literal> {
        if !text.contains("::") || !text.contains('"') {
            return None;
        }
        if let Ok(known) = self.literals.read() {
            if let Some(found) = known.get(text) {
                return found.clone();
            }
        }
        let parsed: Option<Literal> =
            parse_uid_literal(text).map(|(ty, id)| (Arc::from(ty), Arc::from(id)));
        if let Ok(mut known) = self.literals.write() {
            if known.len() >= LITERAL_MEMO {
                known.clear();
            }
            known.insert(Box::from(text), parsed.clone());
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_map_resolves_like_the_inventory() {
        let r = Resolver::from_identities(
            [(
                "spiffe://x.example/agents/bot".to_string(),
                "bot".to_string(),
            )],
            ["bot".to_string(), "other".to_string()],
        );
        let p = r.resolve("spiffe://x.example/agents/bot");
        assert_eq!((&*p.id, p.kind), ("bot", PrincipalKind::Inventory));
        let p = r.resolve("other");
        assert_eq!((&*p.id, p.kind), ("other", PrincipalKind::Inventory));
        assert_eq!(r.resolve("ghost").kind, PrincipalKind::Shadow);
    }

    #[test]
    fn unknown_identities_are_shadow_agents() {
        let r = Resolver::default();
        let p = r.resolve("spiffe://x.example/agents/ghost");
        assert_eq!(p.kind, PrincipalKind::Shadow);
        assert_eq!(&*p.ty, "Agent");
    }
}
