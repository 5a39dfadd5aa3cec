//! The vocabulary of inventory edits: the fields the table edits, the
//! edits themselves, why one is refused ([`EditError`]), the tier and
//! status names the inventory accepts, and locating a byte offset.

use crate::inventory::{AgentStatus, RiskTier};
use serde::{Deserialize, Serialize};

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

/// The name a serde enum of [`crate::inventory`] is written with.
pub(super) fn serde_name<T: Serialize>(v: T) -> String {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "InventoryField")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
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

/// A TOML parse error of `text` as a located [`EditError::Parse`].
pub(super) fn parse_error(text: &str, e: &toml_edit::TomlError) -> EditError {
    let (line, column) = e.span().map(|r| line_col(text, r.start)).unwrap_or((1, 1));
    EditError::Parse {
        message: e.message().trim().to_string(),
        line,
        column,
    }
}
