//! What format readers yield: [`Item`]s (a record already in Writ's form,
//! or a [`ToolCall`] a mapping turns into one), located by [`Location`],
//! and the [`IngestCounts`] of a read. The bottom of the ingest modules:
//! it uses none of them.

use crate::trace::{RecordedOutcome, TraceRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Where in the input something was found: a line (JSON Lines inputs) or
/// a JSON path within a document (`$.data[0].spans[12]`), or both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "ItemLocation")]
pub struct Location {
    /// 1-based line number, when the input is line oriented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// A JSON path within the document or line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.line, &self.path) {
            (Some(l), Some(p)) => write!(f, "line {l}, {p}"),
            (Some(l), None) => write!(f, "line {l}"),
            (None, Some(p)) => write!(f, "{p}"),
            (None, None) => write!(f, "the input"),
        }
    }
}

/// One recorded tool call, as the recording system saw it, before a
/// mapping profile turns it into a Cedar request (stored as JSON with its
/// trace set, so that the set can be mapped again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ToolCall {
    /// Where it was found.
    pub location: Location,
    /// When it started (RFC 3339, UTC, nanosecond precision kept).
    pub ts: String,
    /// The acting agent as recorded (`gen_ai.agent.id` or name, found on
    /// the span, an `invoke_agent` ancestor or the resource), if any.
    pub agent: Option<String>,
    /// The user the agent acted for (`enduser.id`, `user.id`, a configured
    /// attribute or a known one such as `kagent.user_id`), if any.
    pub user: Option<String>,
    /// Where [`ToolCall::user`] was found: the attribute key
    /// (`kagent.user_id`) or the envelope field (`user`, `claims.sub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub user_key: Option<String>,
    /// The tool's name.
    pub tool: String,
    /// The tool call id, if recorded.
    pub call_id: Option<String>,
    /// The tool's type (`function`, `MCPTool`, ...), if recorded.
    pub tool_type: Option<String>,
    /// The arguments (JSON strings already parsed), if recorded.
    pub args: Option<Value>,
    /// Every attribute of the span, its ancestors' agent attributes and its
    /// resource, flattened (`key` → value), for mapping profiles to read.
    pub attributes: Map<String, Value>,
    /// Trace id of the recording system.
    pub trace_id: Option<String>,
    /// Span id (or JSON-RPC request id) of the recording system.
    pub span_id: Option<String>,
    /// Whether the call ran, failed or was blocked.
    pub outcome: RecordedOutcome,
}

/// The time given to calls recorded without one (a record needs a valid
/// time); such calls are marked by an attribute saying so.
pub const NO_TIME: &str = "1970-01-01T00:00:00Z";

/// What a format reader yields.
#[derive(Debug, Clone)]
pub enum Item {
    /// A record already in Writ's form (native traces, decision logs).
    Record(Box<TraceRecord>),
    /// A recorded tool call that a mapping turns into a record.
    Call(Box<ToolCall>),
}

/// What an import read: spans (or messages) read, actions extracted, and
/// spans skipped by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct IngestCounts {
    /// Spans, messages or lines read.
    pub read: u64,
    /// Actions extracted.
    pub actions: u64,
    /// Items skipped, by reason (`not a tool call`, `duplicate of the
    /// client span`, ...).
    pub skipped: BTreeMap<String, u64>,
}

impl IngestCounts {
    /// Counts one item skipped for `reason`.
    pub fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_string()).or_default() += 1;
    }
}
