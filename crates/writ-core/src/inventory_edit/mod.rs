//! Structured edits of the inventory *text*: change one agent's field, add
//! or remove an identity, add or remove an agent, and list the agents as
//! table rows with the lines each entry spans.
//!
//! Edits go through [`toml_edit`], so everything the edit does not touch
//! (comments, blank lines, key order, quoting, other entries) stays byte
//! for byte as it was. Inputs are checked before the text is changed:
//! the agent must exist, the field must be one the table edits, a tier or
//! status must be one [`crate::inventory`] accepts, a date must be
//! `YYYY-MM-DD`. What the inventory checker reports (an agent without an
//! owner, a team that is not defined, a malformed SPIFFE ID...) is left to
//! the checker, so the edited text shows those problems like typed text.
//!
//! ```
//! use writ_core::inventory_edit::{apply, Edit};
//! let text = "# ACME\n[[agent]]\nid = \"bot\"  # the Cedar id\nname = \"Bot\"\nowner = \"a@x.example\"\nteam = \"ops\"\nrisk_tier = \"low\"\nstatus = \"active\"\n";
//! let edit = Edit::Set { agent: "bot".into(), field: "risk_tier".into(), value: "high".into() };
//! let out = apply(text, &edit).unwrap();
//! assert!(out.contains("risk_tier = \"high\"") && out.contains("# the Cedar id"));
//! ```

//!
//! Modules: `model` (the edits, the errors, the names), `apply` and
//! `rows`, each using `model` only.

mod apply;
mod model;
mod rows;

pub use apply::apply;
pub use model::{
    risk_tier_names, status_names, Edit, EditError, Field, NewAgent, NewIdentity, RISK_TIERS,
    STATUSES,
};
pub use rows::{rows, AgentRow, IdentityRow, InventoryRows, SyntaxError};

#[cfg(test)]
mod tests {
    use super::apply::{valid_status, valid_tier};
    use super::*;
    use crate::inventory::{AgentStatus, RiskTier};
    use std::path::Path;

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 30)
    }

    const TEXT: &str = r#"# ACME inventory: a comment at the top.

[[team]]
id = "support"
name = "Customer Support"

# The support bot answers tickets.
[[agent]]
id = "support-bot"
name = "Support Bot"
owner = "maria.lopez@acme.example"  # accountable person
team = "support"
risk_tier = "low"   # low | medium | high | critical
status = "active"
use_cases = ["answer_tickets"]
review_due = 2027-03-01
[agent.credential]
kind = "short_lived"
max_ttl_secs = 900
[[agent.identity]]
spiffe = "spiffe://acme.example/agents/support-bot"

[[agent]]
id = "docs-writer"
name = "Docs Writer"
owner = "dev.patel@acme.example"
team = "support"
risk_tier = "medium"
status = "active"
[[agent.identity]]
oidc_issuer = "https://login.acme.example"
oidc_subject = "docs-writer"

# Tools follow.
[[tool]]
name = "read_ticket"
impact = "read"
"#;

    /// Parses with the real inventory loader; returns the inventory and the problem codes.
    fn load(text: &str) -> (crate::inventory::Inventory, Vec<&'static str>) {
        let (inv, diags) = crate::inventory::load(Path::new("inventory.toml"), text, today());
        let codes = diags.iter().map(|d| d.code).collect();
        (
            inv.unwrap_or_else(|| panic!("does not load: {diags:?}\n{text}")),
            codes,
        )
    }

    fn set(agent: &str, field: &str, value: &str) -> Edit {
        Edit::Set {
            agent: agent.into(),
            field: field.into(),
            value: value.into(),
        }
    }

    fn assert_comments_kept(out: &str) {
        for c in [
            "# ACME inventory: a comment at the top.",
            "# The support bot answers tickets.",
            "# accountable person",
            "# low | medium | high | critical",
            "# Tools follow.",
        ] {
            assert!(out.contains(c), "lost `{c}`:\n{out}");
        }
    }

    #[test]
    fn the_sample_text_loads_cleanly() {
        let (_, codes) = load(TEXT);
        assert!(codes.is_empty(), "{codes:?}");
    }

    #[test]
    fn setting_a_tier_changes_only_that_value() {
        let out = apply(TEXT, &set("support-bot", "risk_tier", "high")).unwrap();
        assert_eq!(
            out,
            TEXT.replace(
                "risk_tier = \"low\"   # low",
                "risk_tier = \"high\"   # low"
            )
        );
        let (inv, codes) = load(&out);
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(inv.agent[0].risk_tier, RiskTier::High);
        assert_eq!(inv.agent[1].risk_tier, RiskTier::Medium);
    }

    #[test]
    fn setting_a_placeholder_confirms_it() {
        let drafted: String = TEXT
            .lines()
            .map(|l| {
                if l.starts_with("risk_tier = \"low\"") {
                    format!("{l}\nunconfirmed = [\"owner\", \"risk_tier\"]\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let (inv, codes) = load(&drafted);
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(inv.agent[0].unconfirmed.len(), 2);
        let out = apply(&drafted, &set("support-bot", "owner", "maria@acme.example")).unwrap();
        let (inv, _) = load(&out);
        let left: Vec<&str> = inv.agent[0]
            .unconfirmed
            .iter()
            .map(|f| f.get_ref().as_str())
            .collect();
        assert_eq!(left, ["risk_tier"]);
        let out = apply(&out, &set("support-bot", "risk_tier", "medium")).unwrap();
        assert!(
            !out.contains("unconfirmed"),
            "an emptied list is removed:\n{out}"
        );
        assert_comments_kept(&out);
    }

    #[test]
    fn every_field_round_trips_through_the_parser() {
        let mut text = TEXT.to_string();
        for (field, value) in [
            ("name", "Helpdesk Bot"),
            ("owner", "new.owner@acme.example"),
            ("team", "support"),
            ("risk_tier", "critical"),
            ("status", "suspended"),
            ("review_due", "2028-02-29"),
        ] {
            text = apply(&text, &set("docs-writer", field, value)).unwrap();
            assert_comments_kept(&text);
        }
        let (inv, codes) = load(&text);
        assert!(codes.is_empty(), "{codes:?}");
        let a = &inv.agent[1];
        assert_eq!(a.name, "Helpdesk Bot");
        assert_eq!(
            a.owner.as_ref().unwrap().get_ref(),
            "new.owner@acme.example"
        );
        assert_eq!(a.risk_tier, RiskTier::Critical);
        assert_eq!(a.status, AgentStatus::Suspended);
        assert_eq!(a.review_due_text().as_deref(), Some("2028-02-29"));
        // The other agent is untouched.
        assert_eq!(inv.agent[0].name, "Support Bot");
        // The new review_due sits with the agent's keys, before its identity.
        let r = rows(&text);
        assert_eq!(r.agents[1].review_due.as_deref(), Some("2028-02-29"));
        let review = text.find("review_due = 2028-02-29").unwrap();
        let ident = text.find("oidc_subject = \"docs-writer\"").unwrap();
        assert!(review < ident, "{text}");
    }

    #[test]
    fn clearing_and_restoring_the_owner() {
        let cleared = apply(
            TEXT,
            &Edit::Clear {
                agent: "support-bot".into(),
                field: "owner".into(),
            },
        )
        .unwrap();
        assert!(!cleared.contains("maria.lopez"));
        assert!(cleared.contains("# The support bot answers tickets."));
        let (inv, codes) = load(&cleared);
        assert!(inv.agent[0].owner.is_none());
        assert_eq!(codes, ["inventory-no-owner"]);

        let restored = apply(
            &cleared,
            &set("support-bot", "owner", "maria.lopez@acme.example"),
        )
        .unwrap();
        let (inv, codes) = load(&restored);
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(
            inv.agent[0].owner.as_ref().unwrap().get_ref(),
            "maria.lopez@acme.example"
        );
        // Back in its documented place: after the name, before the team.
        let name = restored.find("name = \"Support Bot\"").unwrap();
        let owner = restored.find("owner = \"maria.lopez").unwrap();
        let team = restored[name..].find("team = ").unwrap() + name;
        assert!(name < owner && owner < team, "{restored}");
    }

    #[test]
    fn identities_are_added_and_removed() {
        let out = apply(
            TEXT,
            &Edit::AddIdentity {
                agent: "support-bot".into(),
                identity: NewIdentity::Oidc {
                    issuer: "https://login.acme.example".into(),
                    subject: "support-bot".into(),
                },
            },
        )
        .unwrap();
        assert_comments_kept(&out);
        let (inv, codes) = load(&out);
        assert!(codes.is_empty(), "{codes:?}");
        let keys: Vec<String> = inv.agent[0].identity_keys().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "spiffe://acme.example/agents/support-bot",
                "oidc:https://login.acme.example|support-bot"
            ]
        );
        assert_eq!(
            inv.agent[1].identity.len(),
            1,
            "the other agent keeps its one"
        );

        let out = apply(
            &out,
            &Edit::RemoveIdentity {
                agent: "support-bot".into(),
                index: 0,
            },
        )
        .unwrap();
        let (inv, _) = load(&out);
        let keys: Vec<String> = inv.agent[0].identity_keys().map(|(k, _)| k).collect();
        assert_eq!(keys, ["oidc:https://login.acme.example|support-bot"]);

        // Removing the last one leaves no identity key; adding one back to an
        // agent without any creates the list.
        let out = apply(
            &out,
            &Edit::RemoveIdentity {
                agent: "support-bot".into(),
                index: 0,
            },
        )
        .unwrap();
        let (inv, _) = load(&out);
        assert!(inv.agent[0].identity.is_empty());
        let out = apply(
            &out,
            &Edit::AddIdentity {
                agent: "support-bot".into(),
                identity: NewIdentity::Spiffe {
                    id: "spiffe://acme.example/agents/bot2".into(),
                },
            },
        )
        .unwrap();
        let (inv, codes) = load(&out);
        assert!(codes.is_empty(), "{codes:?}");
        let keys: Vec<String> = inv.agent[0].identity_keys().map(|(k, _)| k).collect();
        assert_eq!(keys, ["spiffe://acme.example/agents/bot2"]);
        assert_comments_kept(&out);
    }

    #[test]
    fn agents_are_added_and_removed() {
        let new = NewAgent {
            id: "triage-bot".into(),
            name: "Triage Bot".into(),
            owner: Some("ana@acme.example".into()),
            team: "support".into(),
            risk_tier: "medium".into(),
            status: "active".into(),
            review_due: Some("2027-06-30".into()),
        };
        let out = apply(TEXT, &Edit::AddAgent { agent: new.clone() }).unwrap();
        assert_comments_kept(&out);
        let (inv, codes) = load(&out);
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(inv.agent.len(), 3);
        assert_eq!(inv.agent[2].id.get_ref(), "triage-bot");
        assert_eq!(
            inv.agent[2].review_due_text().as_deref(),
            Some("2027-06-30")
        );
        assert_eq!(inv.tool.len(), 1);
        // It lands after the last agent and before the tools.
        assert!(out.find("triage-bot").unwrap() < out.find("# Tools follow.").unwrap());
        assert_eq!(
            apply(&out, &Edit::AddAgent { agent: new }),
            Err(EditError::AgentExists {
                id: "triage-bot".into()
            })
        );

        let out = apply(
            &out,
            &Edit::RemoveAgent {
                agent: "support-bot".into(),
            },
        )
        .unwrap();
        let (inv, codes) = load(&out);
        assert!(codes.is_empty(), "{codes:?}");
        let ids: Vec<&str> = inv.agent.iter().map(|a| a.id.get_ref().as_str()).collect();
        assert_eq!(ids, ["docs-writer", "triage-bot"]);
        assert!(!out.contains("spiffe://acme.example/agents/support-bot"));
        assert!(out.contains("# ACME inventory: a comment at the top."));
        assert!(out.contains("# Tools follow."));
    }

    #[test]
    fn bad_inputs_are_typed_errors_and_change_nothing() {
        assert_eq!(
            apply(TEXT, &set("nobody", "owner", "x")),
            Err(EditError::UnknownAgent {
                id: "nobody".into()
            })
        );
        assert_eq!(
            apply(TEXT, &set("support-bot", "colour", "x")),
            Err(EditError::UnknownField {
                field: "colour".into()
            })
        );
        assert!(matches!(
            apply(TEXT, &set("support-bot", "risk_tier", "extreme")),
            Err(EditError::BadTier { .. })
        ));
        assert!(matches!(
            apply(TEXT, &set("support-bot", "status", "paused")),
            Err(EditError::BadStatus { .. })
        ));
        for bad in [
            "2027-3-1",
            "01/03/2027",
            "2027-02-30",
            "2027-13-01",
            "tomorrow",
            "",
        ] {
            assert_eq!(
                apply(TEXT, &set("support-bot", "review_due", bad)),
                Err(EditError::BadDate { value: bad.into() }),
                "{bad}"
            );
        }
        assert_eq!(
            apply(
                TEXT,
                &Edit::Clear {
                    agent: "support-bot".into(),
                    field: "team".into()
                }
            ),
            Err(EditError::Required { field: "team" })
        );
        assert!(matches!(
            apply(
                TEXT,
                &Edit::RemoveIdentity {
                    agent: "docs-writer".into(),
                    index: 3
                }
            ),
            Err(EditError::NoSuchIdentity { count: 1, .. })
        ));
        let dup = format!("{TEXT}\n[[agent]]\nid = \"docs-writer\"\nname = \"x\"\nteam = \"support\"\nrisk_tier = \"low\"\nstatus = \"active\"\n");
        assert_eq!(
            apply(&dup, &set("docs-writer", "name", "y")),
            Err(EditError::AmbiguousAgent {
                id: "docs-writer".into(),
                count: 2
            })
        );
        let broken = TEXT.replace(
            "[[agent]]\nid = \"docs-writer\"",
            "[[agent]\nid = \"docs-writer\"",
        );
        match apply(&broken, &set("support-bot", "name", "x")) {
            Err(EditError::Parse { line, .. }) => assert_eq!(line, 23),
            other => panic!("{other:?}"),
        }
        // Messages say what to do.
        let msg = EditError::BadDate { value: "x".into() }.to_string();
        assert!(msg.contains("YYYY-MM-DD"), "{msg}");
    }

    #[test]
    fn rows_list_the_agents_with_their_lines() {
        let r = rows(TEXT);
        assert!(r.error.is_none());
        assert_eq!(r.teams, ["support"]);
        assert_eq!(r.risk_tiers, ["low", "medium", "high", "critical"]);
        assert_eq!(r.statuses, ["active", "suspended", "retired"]);
        assert_eq!(r.agents.len(), 2);
        let a = &r.agents[0];
        assert_eq!(
            (
                a.id.as_str(),
                a.name.as_str(),
                a.owner.as_deref(),
                a.team.as_str()
            ),
            (
                "support-bot",
                "Support Bot",
                Some("maria.lopez@acme.example"),
                "support"
            )
        );
        assert_eq!((a.risk_tier.as_str(), a.status.as_str()), ("low", "active"));
        assert_eq!(a.review_due.as_deref(), Some("2027-03-01"));
        assert_eq!(
            a.identities,
            [IdentityRow {
                kind: "spiffe",
                label: "spiffe://acme.example/agents/support-bot".into()
            }]
        );
        let lines: Vec<&str> = TEXT.lines().collect();
        assert_eq!(lines[a.start_line - 1], "[[agent]]");
        assert_eq!(
            lines[a.end_line - 1],
            "spiffe = \"spiffe://acme.example/agents/support-bot\""
        );
        let b = &r.agents[1];
        assert_eq!(lines[b.start_line - 1], "[[agent]]");
        assert_eq!(lines[b.end_line - 1], "oidc_subject = \"docs-writer\"");
        assert_eq!(b.identities[0].kind, "oidc");
        assert_eq!(
            b.identities[0].label,
            "https://login.acme.example | docs-writer"
        );
        // Every agent of the loader, in order.
        let (inv, _) = load(TEXT);
        let ids: Vec<&str> = r.agents.iter().map(|a| a.id.as_str()).collect();
        let loaded: Vec<&str> = inv.agent.iter().map(|a| a.id.get_ref().as_str()).collect();
        assert_eq!(ids, loaded);
    }

    #[test]
    fn rows_of_a_broken_text_give_the_located_error() {
        let broken = TEXT.replace(
            "status = \"active\"\nuse_cases",
            "status = \"active\nuse_cases",
        );
        let r = rows(&broken);
        assert!(r.agents.is_empty());
        let e = r.error.expect("an error");
        assert_eq!(e.line, 14, "{e:?}");
        assert!(!e.message.is_empty());
        // Missing keys and odd types still give rows.
        let r = rows("[[agent]]\nid = \"x\"\nrisk_tier = 3\n");
        assert!(r.error.is_none());
        assert_eq!(r.agents[0].risk_tier, "3");
        assert_eq!(r.agents[0].name, "");
        assert_eq!(r.agents[0].owner, None);
    }

    #[test]
    fn the_allowed_lists_cover_every_variant() {
        // Fails to compile when a variant is added without listing it.
        for t in RISK_TIERS {
            match t {
                RiskTier::Low | RiskTier::Medium | RiskTier::High | RiskTier::Critical => {}
            }
        }
        for s in STATUSES {
            match s {
                AgentStatus::Active | AgentStatus::Suspended | AgentStatus::Retired => {}
            }
        }
        for name in risk_tier_names() {
            assert_eq!(valid_tier(&name), Ok(name.clone()));
        }
        for name in status_names() {
            assert_eq!(valid_status(&name), Ok(name.clone()));
        }
    }

    #[test]
    fn edits_round_trip_on_the_sample_inventory() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-policies/v2/inventory.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let r = rows(&text);
        assert_eq!(r.agents.len(), text.matches("\n[[agent]]\n").count());
        let out = apply(&text, &set("support-bot", "risk_tier", "medium")).unwrap();
        let changed: Vec<(&str, &str)> = text
            .lines()
            .zip(out.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(text.lines().count(), out.lines().count());
    }
}
