//! Importing the traces teams already have: detecting a file's format,
//! reading it as a stream of recorded tool calls, and mapping each call to
//! the trace record (and so the Cedar request) the policies expect.
//!
//! The pipeline: *bytes* → a format reader (native trace, decision log,
//! OTLP/JSON, Tempo, Jaeger, MCP logs, Claude Desktop logs, ToolHive audit
//! logs, Claude Code and Codex transcripts) yielding [`Item`]s → for tool calls,
//! a [`Mapping`] (a mapping profile) → [`TraceRecord`]s, counted in
//! [`IngestCounts`].

//!
//! Modules, each using only those listed before it: `item` (what readers
//! yield), `json_value` (kinds and paths of parsed JSON), `sink` (what a reader hands its caller, and why a read fails),
//! `spans` (span trees to tool calls), `span_ctx` (one streamed document
//! element's context), `jaeger`, `otlp` (the span-document driver), `mcp`,
//! `mcp_claude` (Claude Desktop logs, through `mcp`'s pairing), `events`
//! (the JSON Lines event driver), `toolhive`, `claude_code`, `codex`,
//! `format` (detection), `read` (the driver over every format),
//! `looks_like` (what an unreadable file looks like instead); above
//! them this module (the [`Mapping`]), `profile`, `preview`, `mcp_schema`.

pub mod claude_code;
pub mod codex;
mod events;
pub mod format;
mod item;
mod jaeger;
mod json_value;
pub mod looks_like;
mod otlp;
pub mod read;
mod sink;
mod span_ctx;
pub mod spans;

pub use format::{detect, Format};
pub use item::{IngestCounts, Item, Location, ToolCall};
pub use read::read_items;
pub use sink::{
    AttributeKey, BadAttributeKey, IngestError, ItemError, Out, ReadOptions, Stop,
    MAX_ATTRIBUTE_KEY_BYTES,
};

use crate::trace::TraceRecord;
use serde_json::Map;

pub mod mcp;
pub mod mcp_claude;
pub mod mcp_schema;
pub mod preview;
pub mod profile;
pub mod toolhive;

/// Turns a recorded tool call into a trace record (a mapping profile).
pub trait Mapping: Send + Sync {
    /// The record for `call`, or why it cannot be mapped.
    fn to_record(&self, call: &ToolCall) -> Result<TraceRecord, String>;

    /// What this mapping is, as recorded with a trace set it made
    /// (`{"name": ..., "origin": ..., "digest": ...}`).
    fn describe(&self) -> serde_json::Value {
        serde_json::json!({ "name": "custom" })
    }
}

/// The plainest mapping, used until a profile is chosen: the agent as
/// recorded (or `unknown-agent`), the tool as the action, the user as
/// `on_behalf_of`, the arguments kept as `args`, an empty context.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainMapping;

impl Mapping for PlainMapping {
    fn describe(&self) -> serde_json::Value {
        serde_json::json!({ "name": "plain" })
    }

    fn to_record(&self, call: &ToolCall) -> Result<TraceRecord, String> {
        let args = match &call.args {
            Some(v) => {
                Some(serde_json::value::to_raw_value(v).map_err(|e| format!("arguments: {e}"))?)
            }
            None => None,
        };
        Ok(TraceRecord {
            ts: call.ts.clone(),
            trace_id: call.trace_id.clone(),
            span_id: call.span_id.clone(),
            agent: call
                .agent
                .clone()
                .unwrap_or_else(|| "unknown-agent".to_string()),
            on_behalf_of: call.user.clone(),
            action: call.tool.clone(),
            resource: None,
            args,
            context: Map::new(),
            outcome: call.outcome,
            recorded_decision: None,
        })
    }
}
