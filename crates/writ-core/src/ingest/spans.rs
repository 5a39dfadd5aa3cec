//! From spans (OTLP, Tempo, Jaeger, all read into one [`Span`] shape) to
//! recorded tool calls, after the OpenTelemetry GenAI conventions.
//!
//! Which spans are tool calls, which agent and user they belong to (walking
//! up `invoke_agent` ancestors), and which spans are the same call seen
//! twice (MCP client and server spans, nested tool spans, synthetic merged
//! parents) is decided here.
//!
//! Spans are exported when they end, so a parent usually comes *after* its
//! children. A tool call therefore waits in a window of [`PENDING_CAP`]
//! calls before it is resolved against the spans seen so far; the parent
//! links of the last [`INDEX_CAP`] spans and the last [`SEEN_CAP`] call
//! keys are kept. That state is bounded whatever the file's size: a parent
//! more than [`INDEX_CAP`] spans (or [`PENDING_CAP`] tool calls) after its
//! child is not seen, and the call falls back to the resource's agent.

use super::item::{IngestCounts, Item, Location, ToolCall};
use super::sink::{ItemError, Out, Stop};
use crate::trace::RecordedOutcome;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::sync::Arc;

/// Tool calls waiting for their ancestors before being resolved.
pub const PENDING_CAP: usize = 4096;
/// Spans whose parent link, agent and user are remembered.
pub const INDEX_CAP: usize = 1 << 16;
/// Call keys remembered to recognise the same call seen again.
pub const SEEN_CAP: usize = 1 << 16;
/// How far up a parent chain is walked.
const MAX_DEPTH: usize = 256;

/// The attributes naming the tool's arguments, in the order they are tried.
pub const ARGUMENT_KEYS: [&str; 4] = [
    "gen_ai.tool.call.arguments",
    "gcp.vertex.agent.tool_call_args",
    "input.value",
    "tool_arguments",
];

/// Attributes that name the user an agent acts for in common agent
/// frameworks, tried (in this order) after `enduser.id`, `user.id` and any
/// configured key: kagent, Langfuse, Traceloop (OpenLLMetry) association
/// properties, the Vercel AI SDK's telemetry metadata, and plain keys.
pub const KNOWN_USER_KEYS: [&str; 8] = [
    "kagent.user_id",
    "langfuse.user.id",
    "traceloop.association.properties.user_id",
    "ai.telemetry.metadata.userId",
    "gen_ai.user.id",
    "app.user.id",
    "user_id",
    "userId",
];

/// Skip reason: a span that is not a tool call.
pub const NOT_A_TOOL_CALL: &str = "not a tool call";
/// Skip reason: an MCP span for a call already counted.
pub const DUPLICATE_MCP: &str = "duplicate MCP span";
/// Skip reason: a tool span whose call id was already counted (synthetic
/// merged parents) or nested in a span of the same call.
pub const DUPLICATE_CALL: &str = "duplicate tool call";

/// Skip reason: the same span (trace id and span id) read again.
pub const DUPLICATE_SPAN: &str = "duplicate span";

/// One span, whatever the format it came from.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub trace_id: String,
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    /// Start time, nanoseconds since the Unix epoch.
    pub start_ns: Option<u64>,
    pub attrs: Map<String, Value>,
    /// Status ERROR (or Jaeger's `error` tag).
    pub error: bool,
    pub resource: Arc<Map<String, Value>>,
    pub location: Location,
}

#[derive(Debug)]
struct Meta {
    /// The parent's key ([`span_key`]).
    parent: Option<u64>,
    /// The agent, when this span is an `invoke_agent` span naming one:
    /// the attribute it was recorded under and its value.
    agent: Option<(&'static str, Box<str>)>,
    /// The user: the index of its key in the extractor's `user_keys`, and
    /// its value.
    user: Option<(usize, Box<str>)>,
    /// The tool, when this span is a tool call.
    tool: Option<Box<str>>,
}

#[derive(Debug)]
struct Pending {
    key: u64,
    call: ToolCall,
    parent: Option<String>,
    mcp: bool,
    rpc_id: Option<String>,
    resource: Arc<Map<String, Value>>,
}

/// Turns spans into tool calls with bounded state (see the module docs).
pub(crate) struct Extractor {
    user_keys: Vec<String>,
    index: FxHashMap<u64, Meta>,
    order: VecDeque<u64>,
    pending: VecDeque<Pending>,
    seen: FxHashSet<u64>,
    seen_order: VecDeque<u64>,
    /// The counts so far.
    pub counts: IngestCounts,
}

/// A span's key: a 64-bit hash of its trace and span ids (two different
/// spans sharing one is as likely as a random 64-bit collision, and costs
/// at most a wrong parent link or a call counted as a duplicate).
fn span_key(trace: &str, span: &str) -> u64 {
    key_of(&[trace, span])
}

fn key_of(parts: &[&str]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    for p in parts {
        h.write(p.as_bytes());
        h.write_u8(0xff);
    }
    h.finish()
}

fn text<'a>(attrs: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    match attrs.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

fn text_or_number(attrs: &Map<String, Value>, key: &str) -> Option<String> {
    match attrs.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The attributes naming an agent, in the order they are tried: the
/// GenAI conventions', then OpenInference's `agent.name`.
const AGENT_KEYS: [&str; 3] = ["gen_ai.agent.id", "gen_ai.agent.name", "agent.name"];

/// What kind of span this is in the instrumentation conventions besides
/// the GenAI ones: OpenInference (`openinference.span.kind`, upper case)
/// and OpenLLMetry / Traceloop (`traceloop.span.kind`, lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpanKind {
    /// A tool's execution.
    Tool,
    /// An agent's run.
    Agent,
    /// Anything else.
    Other,
}

fn span_kind(attrs: &Map<String, Value>) -> SpanKind {
    match (
        text(attrs, "openinference.span.kind"),
        text(attrs, "traceloop.span.kind"),
    ) {
        (Some("TOOL"), _) | (_, Some("tool")) => SpanKind::Tool,
        (Some("AGENT"), _) | (_, Some("agent")) => SpanKind::Agent,
        _ => SpanKind::Other,
    }
}

/// The agent an agent span names: the GenAI or OpenInference keys, else a
/// Traceloop agent span's entity name.
fn agent_span_agent(attrs: &Map<String, Value>) -> Option<(&'static str, &str)> {
    agent_with_key(attrs).or_else(|| {
        (text(attrs, "traceloop.span.kind") == Some("agent"))
            .then(|| text(attrs, "traceloop.entity.name").map(|a| ("traceloop.entity.name", a)))
            .flatten()
    })
}

/// A Traceloop tool's input (`{"args": [...], "kwargs": {...}}`, as its
/// Python decorators write it): the keyword arguments when there are no
/// positional ones, else the whole object.
fn traceloop_arguments(attrs: &Map<String, Value>) -> Option<Value> {
    let input = match attrs.get("traceloop.entity.input")? {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())),
        other => other.clone(),
    };
    let positional_empty = input
        .get("args")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    match input.get("kwargs") {
        Some(kwargs @ Value::Object(_)) if positional_empty => Some(kwargs.clone()),
        _ => Some(input),
    }
}

fn agent_of(attrs: &Map<String, Value>) -> Option<&str> {
    agent_with_key(attrs).map(|(_, a)| a)
}

/// The agent a span names and the attribute it is recorded under.
fn agent_with_key(attrs: &Map<String, Value>) -> Option<(&'static str, &str)> {
    AGENT_KEYS
        .iter()
        .find_map(|k| text(attrs, k).map(|a| (*k, a)))
}

/// `2026-04-30T13:17:35.632028200Z` from nanoseconds since the epoch.
pub fn rfc3339_nanos(ns: u64) -> Option<String> {
    writ_base::time::utc_nanos_from_unix(ns)
}

/// The tool's arguments: the first of [`ARGUMENT_KEYS`] present, a JSON
/// string parsed (a string that is not JSON kept as a string).
pub fn arguments(attrs: &Map<String, Value>) -> Option<Value> {
    let v = ARGUMENT_KEYS.iter().find_map(|k| attrs.get(*k))?;
    Some(match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    })
}

impl Extractor {
    /// An extractor trying `user_keys` after `enduser.id` and `user.id`,
    /// then [`KNOWN_USER_KEYS`].
    pub fn new(user_keys: &[String]) -> Self {
        let mut keys = vec!["enduser.id".to_string(), "user.id".to_string()];
        for k in user_keys.iter().map(String::as_str).chain(KNOWN_USER_KEYS) {
            if !keys.iter().any(|have| have == k) {
                keys.push(k.to_string());
            }
        }
        Extractor {
            user_keys: keys,
            index: FxHashMap::default(),
            order: VecDeque::new(),
            pending: VecDeque::new(),
            seen: FxHashSet::default(),
            seen_order: VecDeque::new(),
            counts: IngestCounts::default(),
        }
    }

    /// The user named in `attrs`: the index of the key found and its value.
    fn user_of(&self, attrs: &Map<String, Value>) -> Option<(usize, String)> {
        self.user_keys
            .iter()
            .enumerate()
            .find_map(|(i, k)| text_or_number(attrs, k).map(|u| (i, u)))
    }

    /// Counts a span that could not be read and passes the error on.
    pub fn bad_span(
        &mut self,
        err: ItemError,
        bytes: u64,
        sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.counts.read += 1;
        self.counts.skip("malformed span");
        sink(Out {
            key: self.counts.read,
            item: Err(err),
            text: None,
            bytes,
        })
    }

    /// Passes on an error about a part of the input that is not one span
    /// (a bad line, a bad batch, a truncated document).
    pub fn bad_input(
        &mut self,
        err: ItemError,
        bytes: u64,
        sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.counts.skip("malformed input");
        sink(Out {
            key: self.counts.read + 1,
            item: Err(err),
            text: None,
            bytes,
        })
    }

    /// Takes one span: remembers its links, and queues it if it is a tool
    /// call (resolving the oldest queued call when the window is full).
    pub fn span(
        &mut self,
        span: Span,
        bytes: u64,
        sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.counts.read += 1;
        let key = self.counts.read;
        if !span.span_id.is_empty()
            && self
                .index
                .contains_key(&span_key(&span.trace_id, &span.span_id))
        {
            self.counts.skip(DUPLICATE_SPAN);
            return Ok(());
        }
        let op = text(&span.attrs, "gen_ai.operation.name");
        let kind = span_kind(&span.attrs);
        let is_agent_span = op == Some("invoke_agent")
            || span.name.starts_with("invoke_agent")
            || kind == SpanKind::Agent;
        let mcp = text(&span.attrs, "mcp.method.name") == Some("tools/call");
        let execute = op == Some("execute_tool")
            || span.name == "execute_tool"
            || span.name.starts_with("execute_tool ")
            || kind == SpanKind::Tool;
        let tool = if execute || mcp {
            ["gen_ai.tool.name", "tool.name", "traceloop.entity.name"]
                .iter()
                .find_map(|k| text(&span.attrs, k))
                .map(str::to_string)
                .or_else(|| {
                    let prefix = if mcp { "tools/call " } else { "execute_tool " };
                    span.name
                        .strip_prefix(prefix)
                        .or_else(|| {
                            (kind == SpanKind::Tool)
                                .then(|| span.name.strip_suffix(".tool").unwrap_or(&span.name))
                        })
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                })
        } else {
            None
        };
        let user = self.user_of(&span.attrs);
        self.remember(
            &span,
            Meta {
                parent: span
                    .parent_id
                    .as_deref()
                    .map(|p| span_key(&span.trace_id, p)),
                agent: if is_agent_span {
                    agent_span_agent(&span.attrs)
                        .map(|(k, a)| (k, a.into()))
                        .or_else(|| {
                            // An OpenInference agent span named for its agent.
                            (kind == SpanKind::Agent && !span.name.is_empty())
                                .then(|| ("agent.name", span.name.as_str().into()))
                        })
                } else {
                    None
                },
                user: user.as_ref().map(|(i, u)| (*i, u.as_str().into())),
                tool: tool.as_deref().map(Into::into),
            },
        );
        if !(execute || mcp) {
            self.counts.skip(NOT_A_TOOL_CALL);
            return Ok(());
        }
        let Some(tool) = tool else {
            self.counts.skip("tool call without a tool name");
            return Ok(());
        };
        let Some(ts) = span.start_ns.and_then(rfc3339_nanos) else {
            self.counts.skip("malformed span");
            return sink(Out {
                key,
                item: Err(ItemError {
                    location: span.location.clone(),
                    column: None,
                    message: format!(
                        "the tool call `{tool}` has no valid start time (startTimeUnixNano or startTime)"
                    ),
                }),
                text: None,
                bytes,
            });
        };
        let failed = span.error || span.attrs.contains_key("error.type");
        let agent = agent_of(&span.attrs).map(str::to_string);
        let call_id = ["gen_ai.tool.call.id", "tool.id", "tool_call.id"]
            .iter()
            .find_map(|k| text_or_number(&span.attrs, k));
        let tool_type = text(&span.attrs, "gen_ai.tool.type").map(str::to_string);
        let args = arguments(&span.attrs).or_else(|| traceloop_arguments(&span.attrs));
        let rpc_id = text_or_number(&span.attrs, "jsonrpc.request.id");
        let mut attributes = (*span.resource).clone();
        attributes.extend(span.attrs);
        let (user_key, user) = match user {
            Some((i, u)) => (self.user_keys.get(i).cloned(), Some(u)),
            None => (None, None),
        };
        let call = ToolCall {
            location: span.location.clone(),
            ts,
            agent,
            user,
            user_key,
            tool,
            call_id,
            tool_type,
            args,
            attributes,
            trace_id: (!span.trace_id.is_empty()).then(|| span.trace_id.clone()),
            span_id: (!span.span_id.is_empty()).then(|| span.span_id.clone()),
            outcome: if failed {
                RecordedOutcome::Failed
            } else {
                RecordedOutcome::Executed
            },
        };
        self.pending.push_back(Pending {
            key,
            call,
            parent: span.parent_id,
            mcp,
            rpc_id,
            resource: span.resource,
        });
        if self.pending.len() > PENDING_CAP {
            if let Some(p) = self.pending.pop_front() {
                self.resolve(p, bytes, sink)?;
            }
        }
        Ok(())
    }

    /// Resolves every queued call (at the end of the input).
    pub fn finish(
        &mut self,
        bytes: u64,
        sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        while let Some(p) = self.pending.pop_front() {
            self.resolve(p, bytes, sink)?;
        }
        Ok(())
    }

    fn remember(&mut self, span: &Span, meta: Meta) {
        if span.span_id.is_empty() {
            return;
        }
        let key = span_key(&span.trace_id, &span.span_id);
        if self.index.insert(key, meta).is_none() {
            self.order.push_back(key);
            if self.order.len() > INDEX_CAP {
                if let Some(old) = self.order.pop_front() {
                    self.index.remove(&old);
                }
            }
        }
    }

    fn see(&mut self, key: u64) -> bool {
        if !self.seen.insert(key) {
            return false;
        }
        self.seen_order.push_back(key);
        if self.seen_order.len() > SEEN_CAP {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    fn resolve(
        &mut self,
        mut p: Pending,
        bytes: u64,
        sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        let trace = p.call.trace_id.clone().unwrap_or_default();
        // Walk up: the nearest invoke_agent agent, the nearest user, and
        // whether an ancestor is a span of the same call.
        let mut agent_from_ancestor = None;
        let mut user_from_ancestor = None;
        let mut nested_in_same_call = false;
        let mut parent = p.parent.as_deref().map(|id| span_key(&trace, id));
        let mut depth = 0;
        while let Some(id) = parent {
            depth += 1;
            if depth > MAX_DEPTH {
                break;
            }
            let Some(meta) = self.index.get(&id) else {
                break;
            };
            if agent_from_ancestor.is_none() {
                agent_from_ancestor = meta.agent.as_ref().map(|(k, a)| (*k, a.to_string()));
            }
            if user_from_ancestor.is_none() {
                user_from_ancestor = meta.user.as_ref().map(|(i, u)| (*i, u.to_string()));
            }
            if meta.tool.as_deref() == Some(p.call.tool.as_str()) {
                nested_in_same_call = true;
            }
            parent = meta.parent;
        }
        // A span nested in a span of the same call is counted through the
        // outer one, which claims the call's keys.
        let mut duplicate = nested_in_same_call;
        if let (false, Some(id)) = (nested_in_same_call, &p.call.call_id) {
            if !self.see(key_of(&[&trace, "call", id])) {
                duplicate = true;
            }
        }
        if p.mcp && !nested_in_same_call {
            if let Some(id) = &p.rpc_id {
                if !self.see(key_of(&[&trace, "rpc", &p.call.tool, id])) {
                    duplicate = true;
                }
            }
        }
        if duplicate {
            self.counts
                .skip(if p.mcp { DUPLICATE_MCP } else { DUPLICATE_CALL });
            return Ok(());
        }
        if p.call.agent.is_none() {
            if let Some((key, a)) = agent_from_ancestor {
                // Under the key the ancestor recorded it with.
                p.call
                    .attributes
                    .entry(key)
                    .or_insert_with(|| Value::String(a.clone()));
                p.call.agent = Some(a);
            } else {
                p.call.agent = agent_of(&p.resource)
                    .or_else(|| text(&p.resource, "service.name"))
                    .map(str::to_string);
            }
        }
        if p.call.user.is_none() {
            if let Some((i, u)) = user_from_ancestor.or_else(|| self.user_of(&p.resource)) {
                p.call.user_key = self.user_keys.get(i).cloned();
                p.call.user = Some(u);
            }
        }
        self.counts.actions += 1;
        sink(Out {
            key: p.key,
            item: Ok(Item::Call(Box::new(p.call))),
            text: None,
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_nanoseconds_and_arguments_parse() {
        assert_eq!(
            rfc3339_nanos(1_777_555_055_632_028_200).as_deref(),
            Some("2026-04-30T13:17:35.632028200Z")
        );
        let mut attrs = Map::new();
        attrs.insert("tool_arguments".into(), Value::String("not json".into()));
        assert_eq!(arguments(&attrs), Some(Value::String("not json".into())));
        attrs.insert("input.value".into(), Value::String("{\"a\":1}".into()));
        assert_eq!(arguments(&attrs), Some(serde_json::json!({"a": 1})));
    }
}
