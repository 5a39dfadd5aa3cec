//! The inventory as a table: the agents of an `inventory.toml` text as
//! rows, and one structured edit of that text. Both work on the text the
//! Policies view holds in its edit buffer (nothing is stored here), so the
//! live check, the unsaved marker and committing see table edits like typed
//! ones.

use super::{blocking, MAX_FILE_BYTES};
use writ_core::inventory_edit::{self, Edit, InventoryRows};

/// Longest single value an edit may carry (bytes).
const MAX_VALUE_BYTES: usize = 4096;

fn valid_text(text: &str) -> Result<(), String> {
    if text.len() > MAX_FILE_BYTES {
        Err(format!(
            "the inventory is larger than {MAX_FILE_BYTES} bytes; edit it in the Text view"
        ))
    } else {
        Ok(())
    }
}

/// Every string an edit carries must be at most [`MAX_VALUE_BYTES`].
fn valid_edit(edit: &Edit) -> Result<(), String> {
    let strings: Vec<&str> = match edit {
        Edit::Set {
            agent,
            field,
            value,
        } => vec![agent, field, value],
        Edit::Clear { agent, field } => vec![agent, field],
        Edit::AddIdentity { agent, identity } => match identity {
            inventory_edit::NewIdentity::Spiffe { id } => vec![agent, id],
            inventory_edit::NewIdentity::Oidc { issuer, subject } => {
                vec![agent, issuer, subject]
            }
        },
        Edit::RemoveIdentity { agent, .. } | Edit::RemoveAgent { agent } => vec![agent],
        Edit::AddAgent { agent } => {
            let mut v = vec![
                agent.id.as_str(),
                agent.name.as_str(),
                agent.team.as_str(),
                agent.risk_tier.as_str(),
                agent.status.as_str(),
            ];
            v.extend(agent.owner.as_deref());
            v.extend(agent.review_due.as_deref());
            v
        }
    };
    match strings.iter().find(|s| s.len() > MAX_VALUE_BYTES) {
        Some(_) => Err(format!(
            "a value of the edit is longer than {MAX_VALUE_BYTES} bytes; shorten it"
        )),
        None => Ok(()),
    }
}

/// The agents of an inventory text as rows (id, name, owner, team, tier,
/// status, review date, identities, line range), the teams, tiers and
/// statuses to choose from, or the located TOML error when it does not parse.
#[tauri::command]
pub async fn inventory_rows(text: String) -> Result<InventoryRows, String> {
    valid_text(&text)?;
    blocking(move || Ok(inventory_edit::rows(&text))).await
}

/// Applies one edit (set or clear a field, add or remove an identity, add
/// or remove an agent) to an inventory text and returns the new text; the
/// rest of the text, comments included, is unchanged.
#[tauri::command]
pub async fn inventory_edit(text: String, edit: Edit) -> Result<String, String> {
    valid_text(&text)?;
    valid_edit(&edit)?;
    blocking(move || inventory_edit::apply(&text, &edit).map_err(|e| e.to_string())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_inputs_are_refused() {
        assert!(valid_text(&"x".repeat(MAX_FILE_BYTES + 1)).is_err());
        assert!(valid_text("[[agent]]\n").is_ok());
        let long = Edit::Set {
            agent: "a".into(),
            field: "name".into(),
            value: "x".repeat(MAX_VALUE_BYTES + 1),
        };
        assert!(valid_edit(&long).is_err());
        let ok = Edit::RemoveAgent { agent: "a".into() };
        assert!(valid_edit(&ok).is_ok());
    }

    #[test]
    fn edits_arrive_as_tagged_json() {
        let e: Edit = serde_json::from_value(serde_json::json!({
            "op": "set", "agent": "support-bot", "field": "owner", "value": "x@y"
        }))
        .expect("a set edit");
        assert!(matches!(e, Edit::Set { .. }));
        let e: Edit = serde_json::from_value(serde_json::json!({
            "op": "add_identity", "agent": "a",
            "identity": {"kind": "oidc", "issuer": "https://i", "subject": "s"}
        }))
        .expect("an add_identity edit");
        assert!(matches!(e, Edit::AddIdentity { .. }));
    }
}
