//! Claude Code and Claude Agent SDK transcripts: the JSON Lines of
//! `claude -p --output-format stream-json` (and the SDK's message stream),
//! and the session files Claude Code keeps
//! (`~/.claude/projects/<project>/<session>.jsonl`). Both are lines of
//! `{"type": "system" | "assistant" | "user" | "result" | ...}`.
//!
//! A call is an assistant message's `tool_use` block (`{id, name, input}`)
//! and ends with the user message's `tool_result` block of the same
//! `tool_use_id`: tool = `name` (MCP tools are `mcp__<server>__<tool>`,
//! kept whole; the server is kept as `mcp.server.name`), arguments =
//! `input`, call id and span id = the block's `id`, trace id = the session
//! (`session_id`, or `sessionId` in session files), time = the line's
//! `timestamp` (session files; stream-json records none: the call then gets
//! `1970-01-01T00:00:00Z` and `writ.ts_missing = true`). Agent: inside a
//! sub-agent (`parent_tool_use_id` is a `Task`/`Agent` call) the sub-agent's
//! `subagent_type`; otherwise none (the transcript does not name its agent;
//! a profile may give one). The transcript records no user.
//!
//! Outcome: blocked when Claude Code refused it (the result's
//! `permission_denials` lists it, or the result text is Claude Code's
//! refusal: permission not granted, the user rejected the call, a hook
//! blocked it); failed when the result is an error (`is_error`); executed
//! otherwise, and when no result was recorded (then `writ.response =
//! "missing"`). Failed results wait for the final `result` line (which
//! lists the denials) or the end of the input; the others are yielded as
//! they end.

use super::events::{EventReader, Events};
use super::item::{Location, ToolCall, NO_TIME};
use super::json_value::str_at;
use crate::trace::RecordedOutcome;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// The `type`s of transcript lines.
const LINE_TYPES: [&str; 8] = [
    "system",
    "assistant",
    "user",
    "result",
    "summary",
    "file-history-snapshot",
    "queue-operation",
    "stream_event",
];

/// Whether a parsed first line looks like a Claude Code transcript line.
pub fn is_transcript_line(obj: &Map<String, Value>) -> bool {
    let typed = obj
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| LINE_TYPES.contains(&t));
    typed
        && [
            "session_id",
            "sessionId",
            "parentUuid",
            "leafUuid",
            "subtype",
            "uuid",
        ]
        .iter()
        .any(|k| obj.contains_key(*k))
}

/// How Claude Code words a call it refused.
const REFUSALS: [&str; 5] = [
    "The user doesn't want to proceed with this tool use",
    "but you haven't granted it yet",
    "Permission to use",
    "was blocked by a hook",
    "blocked by hook",
];

/// A call waiting for its result.
struct Open {
    line: usize,
    /// Its place among the calls read (several can share a line).
    seq: u64,
    call: ToolCall,
}

/// The transcript reader.
#[derive(Default)]
pub(crate) struct ClaudeCode {
    open: HashMap<String, Open>,
    /// Ended in an error, waiting for the final `result` line's denials.
    failed: Vec<Open>,
    /// Sub-agent calls (`Task` / `Agent`): their `subagent_type`.
    subagents: HashMap<String, String>,
    /// Calls read so far (each open call's `seq`).
    seen: u64,
}

/// The text of a tool result's content (a string, or text blocks).
fn result_text(block: &Value) -> String {
    match block.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

impl ClaudeCode {
    fn tool_use(&mut self, line: usize, event: &Value, block: &Value, out: &mut Events) {
        let (Some(id), Some(name)) = (str_at(block, &["id"]), str_at(block, &["name"])) else {
            return out.problem(line, "a `tool_use` block without `id` and `name`".into());
        };
        let input = block.get("input").cloned();
        if matches!(name, "Task" | "Agent") {
            if let Some(kind) = input
                .as_ref()
                .and_then(|i| i.get("subagent_type"))
                .and_then(Value::as_str)
            {
                self.subagents.insert(id.to_string(), kind.to_string());
            }
        }
        let mut attributes = Map::new();
        attributes.insert("gen_ai.tool.name".into(), Value::String(name.to_string()));
        if let Some(rest) = name.strip_prefix("mcp__") {
            if let Some((server, tool)) = rest.split_once("__") {
                attributes.insert("mcp.server.name".into(), Value::String(server.into()));
                attributes.insert("mcp.tool.name".into(), Value::String(tool.into()));
            }
        }
        let parent = str_at(event, &["parent_tool_use_id"]);
        if let Some(p) = parent {
            attributes.insert("claude.parent_tool_use_id".into(), Value::String(p.into()));
        }
        for key in ["cwd", "gitBranch", "version", "agentId"] {
            if let Some(v) = str_at(event, &[key]) {
                attributes.insert(format!("claude.{key}"), Value::String(v.into()));
            }
        }
        let ts = str_at(event, &["timestamp"])
            .filter(|t| crate::trace::parse_timestamp(t).is_ok())
            .map(str::to_string);
        if ts.is_none() {
            attributes.insert("writ.ts_missing".into(), Value::Bool(true));
        }
        let session = str_at(event, &["session_id"]).or_else(|| str_at(event, &["sessionId"]));
        let call = ToolCall {
            location: Location {
                line: Some(line),
                path: None,
            },
            ts: ts.unwrap_or_else(|| NO_TIME.to_string()),
            agent: parent.and_then(|p| self.subagents.get(p)).cloned(),
            user: None,
            user_key: None,
            tool: name.to_string(),
            call_id: Some(id.to_string()),
            tool_type: None,
            args: input,
            attributes,
            trace_id: session.map(str::to_string),
            span_id: Some(id.to_string()),
            outcome: RecordedOutcome::Executed,
        };
        self.seen += 1;
        let seq = self.seen;
        self.open.insert(id.to_string(), Open { line, seq, call });
    }

    fn tool_result(&mut self, block: &Value, out: &mut Events) {
        let Some(id) = str_at(block, &["tool_use_id"]) else {
            return out.skip("tool result without an id");
        };
        let Some(mut open) = self.open.remove(id) else {
            return out.skip("tool result without its call");
        };
        let is_error = block.get("is_error").and_then(Value::as_bool) == Some(true);
        let text = result_text(block);
        if is_error {
            let message: String = text.chars().take(500).collect();
            open.call
                .attributes
                .insert("error.message".into(), Value::String(message));
            if REFUSALS.iter().any(|r| text.contains(r)) {
                open.call.outcome = RecordedOutcome::Blocked;
                out.call(open.line, open.call);
            } else {
                open.call.outcome = RecordedOutcome::Failed;
                self.failed.push(open);
            }
        } else {
            out.call(open.line, open.call);
        }
    }

    /// Yields the failed calls, those the final result lists as denied
    /// marked blocked.
    fn settle(&mut self, denied: &HashSet<String>, out: &mut Events) {
        for mut f in self.failed.drain(..) {
            if f.call
                .call_id
                .as_ref()
                .is_some_and(|id| denied.contains(id))
            {
                f.call.outcome = RecordedOutcome::Blocked;
            }
            out.call(f.line, f.call);
        }
    }
}

impl EventReader for ClaudeCode {
    fn event(&mut self, line: usize, event: Map<String, Value>, out: &mut Events) {
        let event = Value::Object(event);
        let kind = str_at(&event, &["type"]).unwrap_or("untyped");
        match kind {
            "assistant" | "user" => {
                let blocks = event
                    .pointer("/message/content")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut any = false;
                for block in &blocks {
                    match str_at(block, &["type"]) {
                        Some("tool_use") => {
                            any = true;
                            self.tool_use(line, &event, block, out);
                        }
                        Some("tool_result") => {
                            any = true;
                            self.tool_result(block, out);
                        }
                        _ => {}
                    }
                }
                if !any {
                    out.skip(&format!("{kind} message without tool use"));
                }
            }
            "result" => {
                let denied: HashSet<String> = event
                    .get("permission_denials")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|d| str_at(d, &["tool_use_id"]).map(str::to_string))
                    .collect();
                self.settle(&denied, out);
                out.skip("result line");
            }
            other => out.skip(&format!("{other} line")),
        }
    }

    fn finish(&mut self, out: &mut Events) {
        self.settle(&HashSet::new(), out);
        let mut unanswered: Vec<Open> = self.open.drain().map(|(_, o)| o).collect();
        unanswered.sort_by_key(|o| o.seq);
        for mut open in unanswered {
            open.call
                .attributes
                .insert("writ.response".into(), Value::String("missing".into()));
            out.call(open.line, open.call);
        }
    }
}
