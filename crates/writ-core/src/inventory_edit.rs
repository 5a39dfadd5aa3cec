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

use crate::inventory::{AgentStatus, RiskTier};
use serde::{Deserialize, Serialize};
use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

/// The risk tiers the inventory accepts, lowest first.
pub const RISK_TIERS: [RiskTier; 4] = [
    RiskTier::Low,
    RiskTier::Medium,
    RiskTier::High,
    RiskTier::Critical,
];

/// The statuses the inventory accepts.
pub const STATUSES: [AgentStatus; 3] = [
    AgentStatus::Active,
    AgentStatus::Suspended,
    AgentStatus::Retired,
];

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

/// The name a serde enum of [`crate::inventory`] is written with.
fn serde_name<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// The risk tier names (`low`, ...), as the inventory writes them.
pub fn risk_tier_names() -> Vec<String> {
    RISK_TIERS.iter().map(|t| serde_name(*t)).collect()
}

/// The status names (`active`, ...), as the inventory writes them.
pub fn status_names() -> Vec<String> {
    STATUSES.iter().map(|s| serde_name(*s)).collect()
}

/// A field of an agent that the table edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Display name (required).
    Name,
    /// The accountable person (optional in the file, reported when absent).
    Owner,
    /// Team id (required).
    Team,
    /// Risk tier (required, one of [`RISK_TIERS`]).
    RiskTier,
    /// Status (required, one of [`STATUSES`]).
    Status,
    /// Next review date (optional, `YYYY-MM-DD`).
    ReviewDue,
}

impl Field {
    /// Every editable field.
    pub const ALL: [Field; 6] = [
        Field::Name,
        Field::Owner,
        Field::Team,
        Field::RiskTier,
        Field::Status,
        Field::ReviewDue,
    ];

    /// The inventory key of this field.
    pub fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Owner => "owner",
            Field::Team => "team",
            Field::RiskTier => "risk_tier",
            Field::Status => "status",
            Field::ReviewDue => "review_due",
        }
    }

    /// The field named by an inventory key.
    pub fn parse(key: &str) -> Result<Field, EditError> {
        Field::ALL
            .into_iter()
            .find(|f| f.key() == key)
            .ok_or_else(|| EditError::UnknownField {
                field: key.to_string(),
            })
    }

    /// Whether the inventory parser requires this key.
    pub fn required(self) -> bool {
        !matches!(self, Field::Owner | Field::ReviewDue)
    }
}

/// A workload identity to add to an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NewIdentity {
    /// A SPIFFE ID (`spiffe://domain/path`).
    Spiffe {
        /// The SPIFFE ID.
        id: String,
    },
    /// An OIDC issuer and subject.
    Oidc {
        /// The issuer URL.
        issuer: String,
        /// The subject.
        subject: String,
    },
}

/// A new agent entry with the fields the inventory requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAgent {
    /// Inventory id (the Cedar entity id); must not exist yet.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The accountable person (blank or absent: none, which the checker reports).
    #[serde(default)]
    pub owner: Option<String>,
    /// Team id.
    pub team: String,
    /// Risk tier name.
    pub risk_tier: String,
    /// Status name.
    pub status: String,
    /// Next review date, `YYYY-MM-DD` (blank or absent: none).
    #[serde(default)]
    pub review_due: Option<String>,
}

/// One change to the inventory text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    /// Sets a field of an agent (`field` is an inventory key such as `owner`).
    Set {
        /// The agent's id.
        agent: String,
        /// The inventory key.
        field: String,
        /// The new value (a tier or status name, a `YYYY-MM-DD` date, or text).
        value: String,
    },
    /// Removes an optional field (`owner`, `review_due`) of an agent.
    Clear {
        /// The agent's id.
        agent: String,
        /// The inventory key.
        field: String,
    },
    /// Adds a workload identity to an agent.
    AddIdentity {
        /// The agent's id.
        agent: String,
        /// What to add.
        identity: NewIdentity,
    },
    /// Removes an agent's identity by its position (0-based) in the agent's list.
    RemoveIdentity {
        /// The agent's id.
        agent: String,
        /// Position among the agent's identities.
        index: usize,
    },
    /// Appends a new agent after the last one.
    AddAgent {
        /// The new entry.
        agent: NewAgent,
    },
    /// Removes an agent's whole entry (its credential and identities too).
    RemoveAgent {
        /// The agent's id.
        agent: String,
    },
}

/// Why an edit was refused. The text is never changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The text is not valid TOML, so it cannot be edited structurally.
    #[error("the inventory is not valid TOML at line {line}, column {column}: {message}; fix it in the Text view first")]
    Parse {
        /// The parser's message.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
    },
    /// The inventory's `agent` key is not a list of `[[agent]]` tables.
    #[error(
        "`agent` in the inventory is not a list of [[agent]] tables; edit it in the Text view"
    )]
    NotAgentTables,
    /// No agent has this id.
    #[error("there is no agent `{id}` in the inventory")]
    UnknownAgent {
        /// The id asked for.
        id: String,
    },
    /// Several agents have this id, so which one to edit is unclear.
    #[error("agent `{id}` is defined {count} times; remove the duplicate first")]
    AmbiguousAgent {
        /// The id.
        id: String,
        /// How many entries have it.
        count: usize,
    },
    /// An agent with this id already exists.
    #[error("an agent `{id}` already exists; choose another id")]
    AgentExists {
        /// The id.
        id: String,
    },
    /// Not a field the table edits.
    #[error("`{field}` is not an editable agent field (editable: name, owner, team, risk_tier, status, review_due)")]
    UnknownField {
        /// The key asked for.
        field: String,
    },
    /// A required field cannot be removed.
    #[error("`{field}` is required for every agent; it can be changed but not cleared")]
    Required {
        /// The key.
        field: &'static str,
    },
    /// Not a risk tier.
    #[error("`{value}` is not a risk tier (one of: {allowed})")]
    BadTier {
        /// What was given.
        value: String,
        /// The accepted names.
        allowed: String,
    },
    /// Not a status.
    #[error("`{value}` is not a status (one of: {allowed})")]
    BadStatus {
        /// What was given.
        value: String,
        /// The accepted names.
        allowed: String,
    },
    /// Not a `YYYY-MM-DD` calendar date.
    #[error("`{value}` is not a date; write it as YYYY-MM-DD, e.g. 2027-03-01")]
    BadDate {
        /// What was given.
        value: String,
    },
    /// A value that must not be blank was blank.
    #[error("{what} must not be empty")]
    Empty {
        /// What was blank.
        what: &'static str,
    },
    /// The agent has no identity at this position.
    #[error("agent `{agent}` has {count} identities; there is none at position {index}")]
    NoSuchIdentity {
        /// The agent's id.
        agent: String,
        /// The position asked for.
        index: usize,
        /// How many the agent has.
        count: usize,
    },
    /// The entry has a shape the table does not edit (e.g. a field written as a table).
    #[error(
        "{what} of agent `{agent}` is not written in a form the table can edit; use the Text view"
    )]
    NotEditable {
        /// The agent's id.
        agent: String,
        /// What could not be edited.
        what: &'static str,
    },
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut off = offset;
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn parse_error(text: &str, e: &toml_edit::TomlError) -> EditError {
    let (line, column) = e.span().map(|r| line_col(text, r.start)).unwrap_or((1, 1));
    EditError::Parse {
        message: e.message().trim().to_string(),
        line,
        column,
    }
}

fn valid_tier(value: &str) -> Result<String, EditError> {
    let v = value.trim();
    serde_json::from_value::<RiskTier>(serde_json::Value::String(v.to_string()))
        .map(serde_name)
        .map_err(|_| EditError::BadTier {
            value: value.to_string(),
            allowed: risk_tier_names().join(", "),
        })
}

fn valid_status(value: &str) -> Result<String, EditError> {
    let v = value.trim();
    serde_json::from_value::<AgentStatus>(serde_json::Value::String(v.to_string()))
        .map(serde_name)
        .map_err(|_| EditError::BadStatus {
            value: value.to_string(),
            allowed: status_names().join(", "),
        })
}

/// A `YYYY-MM-DD` calendar date as a TOML local date.
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

/// One workload identity of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityRow {
    /// `spiffe`, `oidc`, or `invalid` (neither form complete).
    pub kind: &'static str,
    /// How the table shows it: the SPIFFE ID, `issuer | subject`, or the raw text.
    pub label: String,
}

/// One agent as a table row. Missing required keys are empty strings;
/// values of the wrong type are shown as their TOML text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentRow {
    /// Position among the `[[agent]]` entries (0-based).
    pub index: usize,
    /// Inventory id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The accountable person, when the key is present.
    pub owner: Option<String>,
    /// Team id.
    pub team: String,
    /// Risk tier.
    pub risk_tier: String,
    /// Status.
    pub status: String,
    /// Next review date (`YYYY-MM-DD`), when present.
    pub review_due: Option<String>,
    /// Workload identities, in file order.
    pub identities: Vec<IdentityRow>,
    /// First line of the entry (its `[[agent]]` header), 1-based.
    pub start_line: usize,
    /// Last line of the entry (its last key or sub-table), 1-based.
    pub end_line: usize,
}

/// A TOML syntax error, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntaxError {
    /// The parser's message.
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
}

/// The agents of an inventory text as rows, or the syntax error that keeps
/// them from being read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryRows {
    /// The agents (empty when the text does not parse).
    pub agents: Vec<AgentRow>,
    /// The team ids defined (for choosing an agent's team).
    pub teams: Vec<String>,
    /// The accepted risk tier names.
    pub risk_tiers: Vec<String>,
    /// The accepted status names.
    pub statuses: Vec<String>,
    /// Why the text could not be read, when it could not.
    pub error: Option<SyntaxError>,
}

fn shown(item: Option<&Item>) -> Option<String> {
    let item = item?;
    match item {
        Item::None => None,
        Item::Value(Value::String(s)) => Some(s.value().clone()),
        Item::Value(v) => Some(v.to_string().trim().to_string()),
        other => Some(other.to_string().trim().to_string()),
    }
}

fn identity_row(get: &dyn Fn(&str) -> Option<String>, raw: String) -> IdentityRow {
    match (get("spiffe"), get("oidc_issuer"), get("oidc_subject")) {
        (Some(s), None, None) => IdentityRow {
            kind: "spiffe",
            label: s,
        },
        (None, Some(i), Some(s)) => IdentityRow {
            kind: "oidc",
            label: format!("{i} | {s}"),
        },
        _ => IdentityRow {
            kind: "invalid",
            label: raw,
        },
    }
}

fn identities(table: &Table) -> Vec<IdentityRow> {
    match table.get("identity") {
        Some(Item::ArrayOfTables(list)) => list
            .iter()
            .map(|t| {
                let raw = t
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", v.to_string().trim()))
                    .collect::<Vec<_>>()
                    .join(", ");
                identity_row(&|k| shown(t.get(k)), raw)
            })
            .collect(),
        Some(Item::Value(Value::Array(list))) => list
            .iter()
            .map(|v| match v {
                Value::InlineTable(t) => identity_row(
                    &|k| {
                        t.get(k)
                            .map(|v| shown(Some(&Item::Value(v.clone()))).unwrap_or_default())
                    },
                    v.to_string().trim().to_string(),
                ),
                other => IdentityRow {
                    kind: "invalid",
                    label: other.to_string().trim().to_string(),
                },
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The furthest byte any part of a parsed table (keys, values, sub-tables) reaches.
fn table_end(table: &Table) -> Option<usize> {
    let mut end = table.span().map(|r| r.end);
    let mut bump = |e: Option<usize>| {
        if let Some(e) = e {
            end = Some(end.map_or(e, |x: usize| x.max(e)));
        }
    };
    for (k, item) in table.iter() {
        bump(table.key(k).and_then(|k| k.span()).map(|r| r.end));
        match item {
            Item::Table(t) => bump(table_end(t)),
            Item::ArrayOfTables(list) => {
                for t in list.iter() {
                    bump(table_end(t));
                }
            }
            other => bump(other.span().map(|r| r.end)),
        }
    }
    end
}

/// The agents of an inventory text as rows with the lines each spans.
/// A text that is not valid TOML gives no rows and the located error.
pub fn rows(text: &str) -> InventoryRows {
    let mut out = InventoryRows {
        agents: Vec::new(),
        teams: Vec::new(),
        risk_tiers: risk_tier_names(),
        statuses: status_names(),
        error: None,
    };
    let doc = match toml_edit::Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            if let EditError::Parse {
                message,
                line,
                column,
            } = parse_error(text, &e)
            {
                out.error = Some(SyntaxError {
                    message,
                    line,
                    column,
                });
            }
            return out;
        }
    };
    let root = doc.as_table();
    if let Some(Item::ArrayOfTables(teams)) = root.get("team") {
        out.teams = teams
            .iter()
            .filter_map(|t| t.get("id").and_then(|i| i.as_str()).map(str::to_string))
            .collect();
    }
    match root.get("agent") {
        Some(Item::ArrayOfTables(agents)) => {
            for (index, t) in agents.iter().enumerate() {
                let start = t.span().map_or(0, |r| r.start);
                let end = table_end(t).unwrap_or(start);
                let text_of = |k: &str| shown(t.get(k)).unwrap_or_default();
                out.agents.push(AgentRow {
                    index,
                    id: text_of("id"),
                    name: text_of("name"),
                    owner: shown(t.get("owner")),
                    team: text_of("team"),
                    risk_tier: text_of("risk_tier"),
                    status: text_of("status"),
                    review_due: shown(t.get("review_due")),
                    identities: identities(t),
                    start_line: line_col(text, start).0,
                    end_line: line_col(text, end.saturating_sub(1).max(start)).0,
                });
            }
        }
        None => {}
        Some(other) => {
            let at = other.span().map_or(0, |r| r.start);
            let (line, column) = line_col(text, at);
            out.error = Some(SyntaxError {
                message: EditError::NotAgentTables.to_string(),
                line,
                column,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
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
