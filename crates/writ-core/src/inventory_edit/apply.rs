//! Applying one [`Edit`] to the inventory text through `toml_edit`,
//! keeping every byte the edit does not touch; inputs are checked before
//! the text changes.

use super::model::{
    parse_error, risk_tier_names, serde_name, status_names, Edit, EditError, Field, NewIdentity,
};
use crate::inventory::{AgentStatus, RiskTier};
use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

/// The agent keys in the order the documentation writes them; a key the
/// edit adds goes after the nearest one of these that precedes it.
const KEY_ORDER: &[&str] = &[
    "id",
    "name",
    "owner",
    "team",
    "risk_tier",
    "status",
    "use_cases",
    "review_due",
];

/// A risk tier name as the inventory writes it, or why it is none.
pub(super) fn valid_tier(value: &str) -> Result<String, EditError> {
    let v = value.trim();
    serde_json::from_value::<RiskTier>(serde_json::Value::String(v.to_string()))
        .map(serde_name)
        .map_err(|_| EditError::BadTier {
            value: value.to_string(),
            allowed: risk_tier_names().join(", "),
        })
}

/// A status name as the inventory writes it, or why it is none.
pub(super) fn valid_status(value: &str) -> Result<String, EditError> {
    let v = value.trim();
    serde_json::from_value::<AgentStatus>(serde_json::Value::String(v.to_string()))
        .map(serde_name)
        .map_err(|_| EditError::BadStatus {
            value: value.to_string(),
            allowed: status_names().join(", "),
        })
}

/// A `YYYY-MM-DD` calendar date as a TOML local date.
/// Takes `key` out of the agent's `unconfirmed` list (a person set it, so
/// it is no longer a placeholder); an emptied list is removed.
fn confirm(table: &mut Table, key: &str) {
    let emptied = match table.get_mut("unconfirmed").and_then(Item::as_array_mut) {
        Some(list) => {
            list.retain(|v| v.as_str() != Some(key));
            list.is_empty()
        }
        None => false,
    };
    if emptied {
        table.remove("unconfirmed");
    }
}

fn valid_date(value: &str) -> Result<toml_edit::Datetime, EditError> {
    let bad = || EditError::BadDate {
        value: value.to_string(),
    };
    let v = value.trim();
    let b = v.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| v[r].parse::<u16>().map_err(|_| bad());
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let m = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let d = u8::try_from(day).map_err(|_| bad())?;
    time::Date::from_calendar_date(i32::from(year), m, d).map_err(|_| bad())?;
    v.parse::<toml_edit::Datetime>().map_err(|_| bad())
}

fn non_empty(value: &str, what: &'static str) -> Result<String, EditError> {
    let v = value.trim();
    if v.is_empty() {
        Err(EditError::Empty { what })
    } else {
        Ok(v.to_string())
    }
}

/// The `[[agent]]` tables of a document.
fn agents_mut(doc: &mut DocumentMut) -> Result<Option<&mut ArrayOfTables>, EditError> {
    match doc.as_table_mut().get_mut("agent") {
        None => Ok(None),
        Some(Item::ArrayOfTables(a)) => Ok(Some(a)),
        Some(_) => Err(EditError::NotAgentTables),
    }
}

fn id_of(t: &Table) -> Option<&str> {
    t.get("id").and_then(|i| i.as_str())
}

/// The one agent table with this id.
fn agent_mut<'a>(doc: &'a mut DocumentMut, id: &str) -> Result<&'a mut Table, EditError> {
    let unknown = || EditError::UnknownAgent { id: id.to_string() };
    let agents = agents_mut(doc)?.ok_or_else(unknown)?;
    let found: Vec<usize> = agents
        .iter()
        .enumerate()
        .filter(|(_, t)| id_of(t) == Some(id))
        .map(|(i, _)| i)
        .collect();
    match found.as_slice() {
        [] => Err(unknown()),
        [i] => agents.get_mut(*i).ok_or_else(unknown),
        many => Err(EditError::AmbiguousAgent {
            id: id.to_string(),
            count: many.len(),
        }),
    }
}

/// Replaces a key's value keeping its surrounding formatting (the spaces
/// and any trailing comment), or adds the key in the documented order.
fn set_value(
    table: &mut Table,
    agent: &str,
    key: &'static str,
    mut value: Value,
) -> Result<(), EditError> {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            *value.decor_mut() = old.decor().clone();
            *old = value;
            Ok(())
        }
        Some(Item::None) | None => {
            table.remove(key);
            insert_in_order(table, key, Item::Value(value));
            Ok(())
        }
        Some(_) => Err(EditError::NotEditable {
            agent: agent.to_string(),
            what: key,
        }),
    }
}

/// Inserts a new key after the last present key that the documented order
/// puts before it (other keys keep their order and formatting).
fn insert_in_order(table: &mut Table, key: &'static str, item: Item) {
    let rank = |k: &str| KEY_ORDER.iter().position(|o| *o == k);
    let my_rank = rank(key).unwrap_or(KEY_ORDER.len());
    let keys: Vec<String> = table.iter().map(|(k, _)| k.to_string()).collect();
    // Insert after the last key ranked before this one, if any.
    let after = keys
        .iter()
        .rposition(|k| rank(k).is_some_and(|r| r < my_rank));
    let split = match after {
        Some(i) => i + 1,
        None => 0,
    };
    let moved: Vec<(toml_edit::Key, Item)> = keys[split..]
        .iter()
        .filter_map(|k| table.remove_entry(k))
        .collect();
    table.insert(key, item);
    for (k, v) in moved {
        table.insert_formatted(&k, v);
    }
}

/// Applies one edit to the inventory text and returns the new text.
pub fn apply(text: &str, edit: &Edit) -> Result<String, EditError> {
    let mut doc: DocumentMut = text.parse().map_err(|e| parse_error(text, &e))?;
    match edit {
        Edit::Set {
            agent,
            field,
            value,
        } => {
            let field = Field::parse(field)?;
            let new = match field {
                Field::Name => Value::from(value.trim()),
                Field::Owner => Value::from(non_empty(value, "the owner")?),
                Field::Team => Value::from(non_empty(value, "the team")?),
                Field::RiskTier => Value::from(valid_tier(value)?),
                Field::Status => Value::from(valid_status(value)?),
                Field::ReviewDue => Value::from(valid_date(value)?),
            };
            let table = agent_mut(&mut doc, agent)?;
            set_value(table, agent, field.key(), new)?;
            confirm(table, field.key());
        }
        Edit::Clear { agent, field } => {
            let field = Field::parse(field)?;
            if field.required() {
                return Err(EditError::Required { field: field.key() });
            }
            let table = agent_mut(&mut doc, agent)?;
            table.remove(field.key());
        }
        Edit::AddIdentity { agent, identity } => {
            let mut entry = InlineTable::new();
            match identity {
                NewIdentity::Spiffe { id } => {
                    entry.insert("spiffe", Value::from(non_empty(id, "the SPIFFE ID")?));
                }
                NewIdentity::Oidc { issuer, subject } => {
                    entry.insert(
                        "oidc_issuer",
                        Value::from(non_empty(issuer, "the OIDC issuer")?),
                    );
                    entry.insert(
                        "oidc_subject",
                        Value::from(non_empty(subject, "the OIDC subject")?),
                    );
                }
            }
            let table = agent_mut(&mut doc, agent)?;
            match table.get_mut("identity") {
                Some(Item::ArrayOfTables(list)) => {
                    let mut t = entry.into_table();
                    t.decor_mut().set_prefix("");
                    list.push(t);
                }
                Some(Item::Value(Value::Array(list))) => {
                    list.push(Value::InlineTable(entry));
                }
                Some(Item::None) | None => {
                    let mut t = entry.into_table();
                    t.decor_mut().set_prefix("");
                    let mut list = ArrayOfTables::new();
                    list.push(t);
                    table.insert("identity", Item::ArrayOfTables(list));
                }
                Some(_) => {
                    return Err(EditError::NotEditable {
                        agent: agent.clone(),
                        what: "identity",
                    })
                }
            }
        }
        Edit::RemoveIdentity { agent, index } => {
            let table = agent_mut(&mut doc, agent)?;
            let none = |count| EditError::NoSuchIdentity {
                agent: agent.clone(),
                index: *index,
                count,
            };
            let left = match table.get_mut("identity") {
                Some(Item::ArrayOfTables(list)) => {
                    if *index >= list.len() {
                        return Err(none(list.len()));
                    }
                    list.remove(*index);
                    list.len()
                }
                Some(Item::Value(Value::Array(list))) => {
                    if *index >= list.len() {
                        return Err(none(list.len()));
                    }
                    list.remove(*index);
                    list.len()
                }
                Some(Item::None) | None => return Err(none(0)),
                Some(_) => {
                    return Err(EditError::NotEditable {
                        agent: agent.clone(),
                        what: "identity",
                    })
                }
            };
            if left == 0 {
                table.remove("identity");
            }
        }
        Edit::AddAgent { agent } => {
            let id = non_empty(&agent.id, "the agent id")?;
            let name = non_empty(&agent.name, "the agent name")?;
            let team = non_empty(&agent.team, "the team")?;
            let tier = valid_tier(&agent.risk_tier)?;
            let status = valid_status(&agent.status)?;
            let owner = agent
                .owner
                .as_deref()
                .map(str::trim)
                .filter(|o| !o.is_empty());
            let review = match agent.review_due.as_deref().map(str::trim) {
                Some(d) if !d.is_empty() => Some(valid_date(d)?),
                _ => None,
            };
            let exists = match agents_mut(&mut doc)? {
                Some(list) => list.iter().any(|t| id_of(t) == Some(id.as_str())),
                None => false,
            };
            if exists {
                return Err(EditError::AgentExists { id });
            }
            let mut t = Table::new();
            t.insert("id", toml_edit::value(id));
            t.insert("name", toml_edit::value(name));
            if let Some(o) = owner {
                t.insert("owner", toml_edit::value(o));
            }
            t.insert("team", toml_edit::value(team));
            t.insert("risk_tier", toml_edit::value(tier));
            t.insert("status", toml_edit::value(status));
            if let Some(d) = review {
                t.insert("review_due", toml_edit::value(d));
            }
            t.decor_mut().set_prefix("\n");
            match agents_mut(&mut doc)? {
                Some(list) => list.push(t),
                None => {
                    let mut list = ArrayOfTables::new();
                    list.push(t);
                    doc.as_table_mut()
                        .insert("agent", Item::ArrayOfTables(list));
                }
            }
        }
        Edit::RemoveAgent { agent } => {
            // Find it first so a missing or duplicated id is reported as such.
            agent_mut(&mut doc, agent)?;
            if let Some(list) = agents_mut(&mut doc)? {
                let at = list.iter().position(|t| id_of(t) == Some(agent.as_str()));
                if let Some(i) = at {
                    list.remove(i);
                }
                if list.is_empty() {
                    doc.as_table_mut().remove("agent");
                }
            }
        }
    }
    let mut out = doc.to_string();
    if text.ends_with('\n') && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}
