//! Stacklok ToolHive's audit log: JSON Lines written by its audit
//! middleware (Go `slog`), one `audit_event` per MCP request, e.g.
//!
//! ```text
//! {"time":"…","level":"AUDIT","msg":"audit_event","audit_id":"…","type":"mcp_tool_call",
//!  "logged_at":"2026-03-02T09:20:11.482913417Z","outcome":"success","component":"github",
//!  "source":{"type":"network","value":"10.42.0.17","extra":{"user_agent":"…"}},
//!  "subjects":{"user":"Alice Moreau","user_id":"2f6c…"},
//!  "target":{"endpoint":"/mcp","method":"tools/call","name":"get_issue","type":"tool"},
//!  "metadata":{"extra":{"duration_ms":41,"transport":"http"}},
//!  "data":{"request":{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{…}}}}
//! ```
//!
//! Each `mcp_tool_call` event (or any event whose `target.method` is
//! `tools/call`) is a tool call: tool = `target.name` (else the request's
//! `params.name`), arguments = the request's `params.arguments` (present
//! when ToolHive records request data), call id = the JSON-RPC id, span id
//! = `audit_id`, time = `logged_at` as written (ToolHive writes it when the
//! response has finished; `time` when it is missing), user =
//! `subjects.user_id` (the token's `sub`; else `subjects.user` unless
//! `anonymous`), agent = `subjects.client_name` when recorded. Outcome:
//! `denied` (HTTP 401/403, e.g. ToolHive's own Cedar authorizer) is
//! blocked; `failure` and `error` are failed; `success` is executed unless
//! the recorded response is a JSON-RPC error or a tool error.
//!
//! Attributes: `mcp.server.name` (`component`), `mcp.method.name`,
//! `gen_ai.tool.name`, `jsonrpc.request.id`, `jwt.claims.sub` (the
//! `user_id`, which ToolHive takes from the token's `sub`: what the
//! `toolhive` profile reads), `enduser.name` (`subjects.user`),
//! `toolhive.subjects.<key>` for every subject, `client.address`,
//! `user_agent.original`, `toolhive.outcome`, `toolhive.audit_id`,
//! `toolhive.duration_ms`, `toolhive.transport`, `toolhive.endpoint`.
//!
//! Other events are skipped by type (`mcp_initialize event`, ...), and
//! lines that are not audit events (ToolHive's application log, which
//! `kubectl logs` interleaves) as `not an audit event`.

use super::events::{EventReader, Events};
use super::item::{Location, ToolCall};
use super::json_value::str_at;
use crate::trace::RecordedOutcome;
use serde_json::{Map, Value};

/// The ToolHive audit log reader (no state between lines).
#[derive(Debug, Default)]
pub(crate) struct ToolhiveAudit;

/// Whether a parsed line is a ToolHive audit event.
pub fn is_audit_event(obj: &Map<String, Value>) -> bool {
    obj.get("msg").and_then(Value::as_str) == Some("audit_event")
        && (obj.contains_key("audit_id") || obj.contains_key("logged_at"))
}

impl EventReader for ToolhiveAudit {
    fn event(&mut self, line: usize, event: Map<String, Value>, out: &mut Events) {
        if !is_audit_event(&event) {
            return out.skip("not an audit event");
        }
        let event = Value::Object(event);
        let kind = str_at(&event, &["type"]).unwrap_or("untyped");
        let method = str_at(&event, &["target", "method"]);
        if kind != "mcp_tool_call" && method != Some("tools/call") {
            return out.skip(&format!("{kind} event"));
        }
        let request = event.pointer("/data/request");
        let Some(tool) = str_at(&event, &["target", "name"])
            .or_else(|| request.and_then(|r| str_at(r, &["params", "name"])))
            .filter(|t| !t.is_empty())
        else {
            return out.problem(
                line,
                "a tool call event without a tool name (`target.name`)".into(),
            );
        };
        let ts = ["logged_at", "time"]
            .iter()
            .filter_map(|k| str_at(&event, &[k]))
            .find(|t| crate::trace::parse_timestamp(t).is_ok());
        let Some(ts) = ts else {
            return out.problem(
                line,
                format!("the tool call `{tool}` has no valid time (`logged_at` or `time`)"),
            );
        };
        let call_id = request.and_then(|r| r.get("id")).and_then(|id| match id {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        let subjects = event.get("subjects").and_then(Value::as_object);
        let subject = |k: &str| {
            subjects
                .and_then(|s| s.get(k))
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
        };
        let (user_key, user) = match (subject("user_id"), subject("user")) {
            (Some(id), _) => (Some("subjects.user_id"), Some(id)),
            (None, Some(name)) if name != "anonymous" => (Some("subjects.user"), Some(name)),
            _ => (None, None),
        };
        let mut attributes = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                attributes.insert(k.to_string(), v);
            }
        };
        let text = |v: Option<&str>| v.map(|s| Value::String(s.to_string()));
        put("mcp.server.name", text(str_at(&event, &["component"])));
        put("mcp.method.name", Some(Value::String("tools/call".into())));
        put("gen_ai.tool.name", text(Some(tool)));
        put("jsonrpc.request.id", call_id.clone().map(Value::String));
        put("jwt.claims.sub", text(subject("user_id")));
        put("enduser.name", text(subject("user")));
        for (k, v) in subjects.into_iter().flatten() {
            put(&format!("toolhive.subjects.{k}"), Some(v.clone()));
        }
        put("client.address", text(str_at(&event, &["source", "value"])));
        put(
            "user_agent.original",
            text(str_at(&event, &["source", "extra", "user_agent"])),
        );
        put("toolhive.outcome", text(str_at(&event, &["outcome"])));
        put("toolhive.audit_id", text(str_at(&event, &["audit_id"])));
        put(
            "toolhive.duration_ms",
            event.pointer("/metadata/extra/duration_ms").cloned(),
        );
        put(
            "toolhive.transport",
            text(str_at(&event, &["metadata", "extra", "transport"])),
        );
        put(
            "toolhive.endpoint",
            text(str_at(&event, &["target", "endpoint"])),
        );
        let outcome = match str_at(&event, &["outcome"]) {
            Some("denied") => RecordedOutcome::Blocked,
            Some("failure" | "error") => RecordedOutcome::Failed,
            _ if response_failed(event.pointer("/data/response")) => RecordedOutcome::Failed,
            _ => RecordedOutcome::Executed,
        };
        out.call(
            line,
            ToolCall {
                location: Location {
                    line: Some(line),
                    path: None,
                },
                ts: ts.to_string(),
                agent: subject("client_name").map(str::to_string),
                user: user.map(str::to_string),
                user_key: user_key.map(str::to_string),
                tool: tool.to_string(),
                call_id: call_id.clone(),
                tool_type: None,
                args: request
                    .and_then(|r| r.pointer("/params/arguments"))
                    .cloned(),
                attributes,
                trace_id: None,
                span_id: str_at(&event, &["audit_id"]).map(str::to_string),
                outcome,
            },
        );
    }

    fn finish(&mut self, _: &mut Events) {}
}

/// Whether a recorded response (JSON, or a text body of server-sent
/// events whose `data:` lines hold JSON) is a JSON-RPC error or a tool
/// error (`result.isError`).
fn response_failed(response: Option<&Value>) -> bool {
    let failed = |v: &Value| {
        v.get("error").is_some_and(|e| !e.is_null())
            || v.pointer("/result/isError").and_then(Value::as_bool) == Some(true)
    };
    match response {
        Some(Value::String(body)) => body
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .any(|v| failed(&v)),
        Some(v) => failed(v),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_fail_by_error_or_is_error_also_in_event_streams() {
        assert!(response_failed(Some(
            &serde_json::json!({"error": {"code": 1}})
        )));
        assert!(response_failed(Some(
            &serde_json::json!({"result": {"isError": true}})
        )));
        assert!(!response_failed(Some(&serde_json::json!({"result": {}}))));
        let sse = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"isError\":true}}\n\n";
        assert!(response_failed(Some(&Value::String(sse.into()))));
        assert!(!response_failed(Some(&Value::String(
            "data: not json".into()
        ))));
        assert!(!response_failed(None));
    }
}
