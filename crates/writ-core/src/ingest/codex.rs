//! OpenAI Codex CLI's event stream (`codex exec --json`): JSON Lines of
//! `{"type": "thread.started" | "turn.started" | "item.started" |
//! "item.updated" | "item.completed" | ...}`, each item `{id, type, ...}`.
//!
//! A call is an item that acts: `mcp_tool_call` (tool = `tool`, server =
//! `server`, kept as `mcp.server.name`, arguments = `arguments`),
//! `command_execution` (tool `command_execution`, arguments `{"command"}`),
//! `file_change` (tool `file_change`, arguments `{"changes"}`) and
//! `web_search` (tool `web_search`, arguments `{"query"}`); the others
//! (messages, reasoning, to-do lists) are skipped by type. Each item is
//! yielded once, as completed (an item only started or updated by the end
//! of the input is yielded as executed, with `writ.response = "missing"`).
//! Call id and span id = the item's id, trace id = the thread's id, time =
//! the `thread.started` event's `timestamp` when recorded (Codex records no
//! per-item time: otherwise `1970-01-01T00:00:00Z` and `writ.ts_missing =
//! true`). Outcome: status `declined` is blocked; `failed`, an `error`, or
//! a command's non-zero exit code is failed; otherwise executed. Codex
//! records no agent name or user.

use super::events::{EventReader, Events};
use super::item::{Location, ToolCall};
use super::json_value::str_at;
use crate::trace::RecordedOutcome;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Whether a parsed first line looks like a Codex event.
pub fn is_codex_event(obj: &Map<String, Value>) -> bool {
    obj.get("type").and_then(Value::as_str).is_some_and(|t| {
        t == "thread.started"
            || t == "turn.started"
            || (t.starts_with("item.") && obj.get("item").is_some_and(Value::is_object))
    })
}

/// The Codex event reader.
#[derive(Default)]
pub(crate) struct CodexExec {
    thread: Option<String>,
    started: Option<String>,
    /// Items seen but not completed: the line they were first seen on and
    /// their latest state.
    open: HashMap<String, (usize, Value)>,
}

impl CodexExec {
    /// The call an acting item is, or `None` for an item that does not act.
    fn call(&self, line: usize, item: &Value, completed: bool) -> Option<ToolCall> {
        let id = str_at(item, &["id"]).unwrap_or_default().to_string();
        let status = str_at(item, &["status"]);
        let errored = item.get("error").is_some_and(|e| !e.is_null());
        let mut attributes = Map::new();
        let (tool, args, failed) = match str_at(item, &["type"])? {
            "mcp_tool_call" => {
                let server = str_at(item, &["server"]).unwrap_or_default();
                attributes.insert("mcp.server.name".into(), Value::String(server.into()));
                (
                    str_at(item, &["tool"]).unwrap_or_default().to_string(),
                    item.get("arguments").cloned(),
                    errored,
                )
            }
            "command_execution" => {
                let code = item.get("exit_code").and_then(Value::as_i64);
                if let Some(c) = code {
                    attributes.insert("process.exit.code".into(), json!(c));
                }
                (
                    "command_execution".to_string(),
                    Some(json!({ "command": item.get("command").cloned().unwrap_or(Value::Null) })),
                    errored || code.is_some_and(|c| c != 0),
                )
            }
            "file_change" => (
                "file_change".to_string(),
                Some(json!({ "changes": item.get("changes").cloned().unwrap_or(Value::Null) })),
                errored,
            ),
            "web_search" => (
                "web_search".to_string(),
                Some(json!({ "query": item.get("query").cloned().unwrap_or(Value::Null) })),
                errored,
            ),
            _ => return None,
        };
        if let Some(m) = item.pointer("/error/message").and_then(Value::as_str) {
            attributes.insert("error.message".into(), Value::String(m.into()));
        }
        attributes.insert("gen_ai.tool.name".into(), Value::String(tool.clone()));
        if let Some(s) = status {
            attributes.insert("codex.status".into(), Value::String(s.into()));
        }
        if !completed {
            attributes.insert("writ.response".into(), Value::String("missing".into()));
        }
        let ts = match &self.started {
            Some(t) => t.clone(),
            None => {
                attributes.insert("writ.ts_missing".into(), Value::Bool(true));
                super::item::NO_TIME.to_string()
            }
        };
        let outcome = match status {
            Some("declined") => RecordedOutcome::Blocked,
            Some("failed") => RecordedOutcome::Failed,
            _ if failed => RecordedOutcome::Failed,
            _ => RecordedOutcome::Executed,
        };
        Some(ToolCall {
            location: Location {
                line: Some(line),
                path: None,
            },
            ts,
            agent: None,
            user: None,
            user_key: None,
            tool,
            call_id: Some(id.clone()),
            tool_type: None,
            args,
            attributes,
            trace_id: self.thread.clone(),
            span_id: Some(id),
            outcome,
        })
    }
}

impl EventReader for CodexExec {
    fn event(&mut self, line: usize, event: Map<String, Value>, out: &mut Events) {
        let event = Value::Object(event);
        let kind = str_at(&event, &["type"]).unwrap_or("untyped").to_string();
        match kind.as_str() {
            "thread.started" => {
                self.thread = str_at(&event, &["thread_id"]).map(str::to_string);
                self.started = str_at(&event, &["timestamp"])
                    .filter(|t| crate::trace::parse_timestamp(t).is_ok())
                    .map(str::to_string);
                out.skip("thread.started event");
            }
            "item.started" | "item.updated" | "item.completed" => {
                let Some(item) = event.get("item").filter(|i| i.is_object()) else {
                    return out.problem(line, format!("a `{kind}` event without an `item` object"));
                };
                let Some(id) = str_at(item, &["id"]).map(str::to_string) else {
                    return out.problem(line, format!("a `{kind}` item without an `id`"));
                };
                let item_type = str_at(item, &["type"]).unwrap_or("untyped").to_string();
                if kind != "item.completed" {
                    self.open
                        .entry(id)
                        .and_modify(|open| open.1 = item.clone())
                        .or_insert_with(|| (line, item.clone()));
                    return out.skip(&format!("{kind} event"));
                }
                let first_line = self.open.remove(&id).map_or(line, |(l, _)| l);
                match self.call(first_line, item, true) {
                    Some(call) => out.call(first_line, call),
                    None => out.skip(&format!("{item_type} item")),
                }
            }
            other => out.skip(&format!("{other} event")),
        }
    }

    fn finish(&mut self, out: &mut Events) {
        // In the order they were first seen (one item starts per line).
        let mut unfinished: Vec<(usize, Value)> = self.open.drain().map(|(_, o)| o).collect();
        unfinished.sort_by_key(|(line, _)| *line);
        for (line, item) in unfinished {
            if let Some(call) = self.call(line, &item, false) {
                out.call(line, call);
            }
        }
    }
}
