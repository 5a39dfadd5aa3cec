//! How an agent is shown to a person: its inventory name, with its id and
//! workload identities for reference. Decisions, diffs and traces name an
//! agent by inventory id or by the identity it presented; the labels let a
//! view show "Support Bot" for either, and say when an agent is not in the
//! inventory at all (a shadow agent).

use crate::inventory::Inventory;
use serde::Serialize;

/// One inventory agent as views label it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AgentLabel {
    /// The inventory id (the Cedar entity id).
    pub id: String,
    /// The inventory's display name.
    pub name: String,
    /// Its workload identities (`spiffe://...`, `oidc:<issuer>|<subject>`).
    pub identities: Vec<String>,
}

/// The labels of every agent of `inventory`, in inventory order.
pub fn agent_labels(inventory: &Inventory) -> Vec<AgentLabel> {
    inventory
        .agent
        .iter()
        .map(|a| AgentLabel {
            id: a.id.get_ref().clone(),
            name: a.name.clone(),
            identities: a.identity_keys().map(|(k, _)| k).collect(),
        })
        .collect()
}

/// The label of the agent that `agent` names: its inventory id or one of its
/// identities. `None` for an agent the inventory does not list.
pub fn label_of<'a>(labels: &'a [AgentLabel], agent: &str) -> Option<&'a AgentLabel> {
    labels
        .iter()
        .find(|l| l.id == agent || l.identities.iter().any(|i| i == agent))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVENTORY: &str = r#"
[[team]]
id = "support"
name = "Support"

[[agent]]
id = "support-bot"
name = "Support Bot"
team = "support"
risk_tier = "low"
status = "active"
[[agent.identity]]
spiffe = "spiffe://acme.example/agents/support-bot"
[[agent.identity]]
oidc_issuer = "https://login.acme.example"
oidc_subject = "support-bot"
"#;

    #[test]
    fn an_agent_is_found_by_id_or_by_any_identity() {
        let inv: Inventory = toml::from_str(INVENTORY).expect("the test inventory parses");
        let labels = agent_labels(&inv);
        assert_eq!(
            labels,
            vec![AgentLabel {
                id: "support-bot".into(),
                name: "Support Bot".into(),
                identities: vec![
                    "spiffe://acme.example/agents/support-bot".into(),
                    "oidc:https://login.acme.example|support-bot".into(),
                ],
            }]
        );
        for key in [
            "support-bot",
            "spiffe://acme.example/agents/support-bot",
            "oidc:https://login.acme.example|support-bot",
        ] {
            assert_eq!(
                label_of(&labels, key).map(|l| l.name.as_str()),
                Some("Support Bot")
            );
        }
        assert!(label_of(&labels, "spiffe://acme.example/agents/report-scraper").is_none());
        assert!(label_of(&labels, "Support Bot").is_none());
    }
}
