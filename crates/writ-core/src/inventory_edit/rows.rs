//! The agents of an inventory text as table rows, with the lines each
//! entry spans, or the located syntax error that keeps them from being
//! read.

use super::model::{line_col, parse_error, risk_tier_names, status_names, EditError};
use serde::Serialize;
use toml_edit::{Item, Table, Value};

/// One workload identity of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "InventoryIdentity")]
pub struct IdentityRow {
    /// `spiffe`, `oidc`, or `invalid` (neither form complete).
    #[ts(type = "\"spiffe\" | \"oidc\" | \"invalid\"")]
    pub kind: &'static str,
    /// How the table shows it: the SPIFFE ID, `issuer | subject`, or the raw text.
    pub label: String,
}

/// One agent as a table row. Missing required keys are empty strings;
/// values of the wrong type are shown as their TOML text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "InventoryAgent")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "InventorySyntaxError")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
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
