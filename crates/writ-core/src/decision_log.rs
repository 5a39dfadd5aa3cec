//! The decision log an enforcement point (`writ serve`) writes: one JSON
//! object per line per decision, and how a line becomes a trace record so
//! what production decided can be replayed against the next version.
//!
//! The format is documented in `docs/decision-log.md`.

use crate::trace::{Decision, LineError, RecordedOutcome, ResourceRef, TraceRecord};
use crate::uid::parse_uid_literal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The value written in place of a masked context attribute.
pub const MASKED: &str = "[masked]";

/// The bundle that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggedBundle {
    /// The policy version id in the workspace that exported it.
    pub version: String,
    /// The bundle's digest (SHA-256 over its files).
    pub digest: String,
    /// The key id that signed it.
    pub key_id: String,
}

/// The request as the enforcement point received it (context attributes
/// named in the mask list replaced by [`MASKED`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggedRequest {
    /// The principal as sent: a Cedar uid (`Agent::"x"`), a SPIFFE ID, or
    /// empty when the agent was named by a token.
    #[serde(default)]
    pub principal: String,
    /// The action uid (`Action::"read_ticket"`) or action id.
    pub action: String,
    /// The resource uid (`Ticket::"T-1"`).
    pub resource: String,
    /// The context as sent (masked).
    #[serde(default)]
    pub context: Map<String, Value>,
    /// The user the agent acts for, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

/// One line of a decision log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionLogEntry {
    /// The line's position in the log's hash chain (1, 2, ...), set by the
    /// log writer; absent in logs written before the chain existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The SHA-256 (hex) of the previous line's bytes (64 zeros before the
    /// first line), set by the log writer, so a deleted or edited line
    /// breaks the chain (see `docs/decision-log.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// A unique id for the decision (hex).
    pub decision_id: String,
    /// When the decision was made (RFC 3339, the server's clock).
    pub time: String,
    /// The time the policies saw as `context.now` (RFC 3339): the server's
    /// clock, or the caller's `time` when the server trusts request times.
    pub request_time: String,
    /// The bundle that decided; absent when no bundle was active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<LoggedBundle>,
    /// The identity the agent was resolved from: a SPIFFE ID,
    /// `oidc:<issuer>|<subject>` for a token, or the Cedar uid sent.
    pub agent: String,
    /// The principal the policies saw (`Agent::"x"`), when one was resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// The request.
    pub request: LoggedRequest,
    /// `allow` or `deny`.
    pub decision: Decision,
    /// The ids of the policies that determined the decision.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Evaluation and request errors.
    #[serde(default)]
    pub errors: Vec<String>,
    /// Why the request was denied before the policies were asked (a bad
    /// token, an expired bundle, an internal error), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_before_policies: Option<String>,
    /// The context attributes that were masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub masked: Vec<String>,
    /// Time spent deciding, in microseconds.
    pub latency_us: u64,
}

/// Whether a JSON line looks like a decision log entry rather than a
/// native trace record (it has a `decision_id` key at the top level).
pub fn looks_like_entry(line: &str) -> bool {
    serde_json::from_str::<Map<String, Value>>(line)
        .map(|m| m.contains_key("decision_id") && m.contains_key("request"))
        .unwrap_or(false)
}

/// Parses one decision log line.
pub fn parse_entry(line_no: usize, line: &str) -> Result<DecisionLogEntry, LineError> {
    serde_json::from_str(line).map_err(|e| LineError {
        line: line_no,
        column: e.column().max(1),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string(),
    })
}

impl DecisionLogEntry {
    /// The trace record this decision replays as: recorded at
    /// `request_time` by `agent`, with the logged action, resource, context
    /// and user; executed when allowed, blocked when denied, with the
    /// decision recorded. Fails when the resource is not a Cedar uid.
    pub fn to_trace_record(&self, line_no: usize) -> Result<TraceRecord, LineError> {
        let fail = |message: String| LineError {
            line: line_no,
            column: 1,
            message,
        };
        crate::trace::parse_timestamp(&self.request_time).map_err(|e| {
            fail(format!(
                "`request_time` `{}` is not an RFC 3339 time: {e}",
                self.request_time
            ))
        })?;
        if self.agent.is_empty() || self.request.action.is_empty() {
            return Err(fail(
                "`agent` and `request.action` must not be empty".into(),
            ));
        }
        let resource = if self.request.resource.is_empty() {
            None
        } else {
            let (ty, id) = parse_uid_literal(&self.request.resource).ok_or_else(|| {
                fail(format!(
                    "`request.resource` `{}` is not a Cedar entity uid such as Ticket::\"T-1\"",
                    self.request.resource
                ))
            })?;
            Some(ResourceRef {
                ty: ty.to_string(),
                id,
            })
        };
        // An action of the empty namespace is stored under its id, as trace
        // records name tools; a namespaced uid keeps its namespace (stripping
        // it would decide `N2::Action::"a"` as another action).
        let action = match crate::uid::parse_uid(&self.request.action) {
            Some(uid) if uid.type_name().to_string() == "Action" => {
                uid.id().unescaped().to_string()
            }
            _ => self.request.action.clone(),
        };
        Ok(TraceRecord {
            ts: self.request_time.clone(),
            trace_id: Some(self.decision_id.clone()),
            span_id: None,
            agent: self.agent.clone(),
            on_behalf_of: self.request.on_behalf_of.clone(),
            action,
            resource,
            args: None,
            context: self.request.context.clone(),
            outcome: match self.decision {
                Decision::Allow => RecordedOutcome::Executed,
                Decision::Deny => RecordedOutcome::Blocked,
            },
            recorded_decision: Some(self.decision),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> DecisionLogEntry {
        DecisionLogEntry {
            seq: None,
            prev: None,
            decision_id: "00ff".into(),
            time: "2026-11-30T10:00:00.5Z".into(),
            request_time: "2026-11-02T09:15:03Z".into(),
            bundle: Some(LoggedBundle {
                version: "abc".into(),
                digest: "d".into(),
                key_id: "k".into(),
            }),
            agent: "spiffe://acme.example/agents/support-bot".into(),
            principal: Some("Agent::\"support-bot\"".into()),
            request: LoggedRequest {
                principal: "spiffe://acme.example/agents/support-bot".into(),
                action: "Action::\"read_ticket\"".into(),
                resource: "Ticket::\"T-1\"".into(),
                context: serde_json::from_str(r#"{"intent":"triage","risk_score":3}"#)
                    .expect("json"),
                on_behalf_of: Some("alice".into()),
            },
            decision: Decision::Allow,
            reasons: vec!["support-read".into()],
            errors: vec![],
            denied_before_policies: None,
            masked: vec![],
            latency_us: 12,
        }
    }

    #[test]
    fn an_entry_round_trips_and_becomes_a_record() {
        let e = entry();
        let line = serde_json::to_string(&e).expect("json");
        assert!(looks_like_entry(&line));
        let back = parse_entry(1, &line).expect("parses");
        assert_eq!(back, e);
        let r = back.to_trace_record(1).expect("record");
        assert_eq!(r.action, "read_ticket");
        // A namespaced action keeps its namespace.
        let mut n = e.clone();
        n.request.action = "N2::Action::\"read_ticket\"".into();
        assert_eq!(
            n.to_trace_record(1).expect("record").action,
            "N2::Action::\"read_ticket\""
        );
        assert_eq!(r.ts, "2026-11-02T09:15:03Z");
        assert_eq!(r.resource.expect("resource").id, "T-1");
        assert_eq!(r.on_behalf_of.as_deref(), Some("alice"));
        assert_eq!(r.outcome, RecordedOutcome::Executed);
        assert_eq!(r.context["risk_score"], 3);
    }

    #[test]
    fn a_native_record_is_not_an_entry_and_a_bad_resource_is_located() {
        assert!(!looks_like_entry(
            r#"{"ts":"2026-11-02T09:15:03Z","agent":"a","action":"b","outcome":"executed"}"#
        ));
        let mut e = entry();
        e.request.resource = "T-1".into();
        e.decision = Decision::Deny;
        let err = e.to_trace_record(7).expect_err("bad resource");
        assert_eq!(err.line, 7);
        assert!(err.message.contains("request.resource"), "{}", err.message);
    }
}
