//! Model Context Protocol recordings: JSON-RPC message logs and recorded
//! sessions (mcp-recorder cassettes), read as recorded tool calls.
//!
//! # Entry points (for the import pipeline)
//! - [`detect_mcp`]`(first_bytes)` → `Some(McpFormat)` when the start of a
//!   file looks like an MCP log or cassette.
//! - [`read_mcp`]`(format, reader)` → an [`McpReader`]: an iterator of
//!   `Result<Item, (Location, String)>` (every `Ok` is an [`Item::Call`]),
//!   with [`McpReader::counts`] (messages read, actions, skipped by reason),
//!   [`McpReader::unanswered`] and [`McpReader::bytes_read`] once iterated.
//! - Or the readers directly: [`McpLog::new`] (JSON Lines) and
//!   [`Cassette::read`] (one document).
//!
//! # What is read
//! - **JSON-RPC logs**: JSON Lines, one message per line (a JSON-RPC batch
//!   array counts as its elements). Requests and responses are paired by
//!   `id`, in either order. A line may also wrap the message in an envelope
//!   object: the message under `message`, `payload`, `data`, `msg`, `body`
//!   or `jsonrpc` (an object, or a string holding the JSON), the time under
//!   one of [`TIME_KEYS`] (`timestamp`, `ts`, `time`, `t`, ...: RFC 3339
//!   text kept as written, or Unix seconds, milliseconds, microseconds or
//!   nanoseconds, as a number or numeric text, converted from the digits as
//!   written, never through floating point), and the direction under
//!   `direction` / `dir` (kept as the `mcp.direction` attribute), the
//!   session under `session_id` / `sessionId` / `mcp.session.id`. A line
//!   holding no message whose `type` says it describes the recording
//!   (`summary`, `header`, `metadata`, ...: mcp-recorder ends its sessions
//!   with a `summary` line) is skipped, not an error.
//! - **Cassettes** (mcp-recorder): one JSON document with `metadata`
//!   (`recorded_at`, `server_info`, `protocol_version`) and `interactions[]`
//!   of `{type, request, response, response_status, latency_ms}`. The
//!   interactions are visited one at a time as serde reads the document (a
//!   `DeserializeSeed` visitor): the raw document is never held, only the
//!   extracted calls. Every call takes `metadata.recorded_at` as its time (a
//!   cassette records no per-message time). An interaction whose request got
//!   no JSON-RPC response but an HTTP 401/403 is *blocked*; another non-2xx
//!   status is *failed*.
//!
//! # Mapping to [`ToolCall`]
//! `tools/call` requests only: tool = `params.name`, args =
//! `params.arguments`, call id (and span id) = the JSON-RPC `id` (numbers
//! as decimal text), agent = the client's name from `params._meta`
//! (`clientInfo` or `io.modelcontextprotocol/clientInfo`, the 2026-07-28
//! sessionless form) or else from the session's `initialize` request
//! (`params.clientInfo.name`), else none; user = the envelope's user (or
//! its claims' `sub`), else none (JSON-RPC itself records no user).
//! Outcome: a JSON-RPC `error` response or a result with `isError: true`
//! is [`RecordedOutcome::Failed`]; otherwise executed. Attributes:
//! `mcp.method.name`, `jsonrpc.request.id`, `gen_ai.tool.name`,
//! `mcp.protocol.version`, `mcp.client.name` / `.version`,
//! `mcp.server.name` / `.version`, `mcp.session.id`, `mcp.direction`,
//! `error.type` (the JSON-RPC error code, or `tool_error`),
//! `mcp.error.message`, and `mcp.meta.<key>` for each `params._meta` entry.
//!
//! A message with no time anywhere gets `1970-01-01T00:00:00Z` and the
//! attribute `mcp.ts_missing = true` (a record needs a valid time).
//!
//! **A request without a response is kept** as an executed action with the
//! attribute `mcp.response = "missing"`, and counted by
//! [`McpReader::unanswered`]: the call was attempted, which is what policies
//! decide; recordings cut off mid-call are common. Such calls are yielded at
//! the end of the input (a reader cannot know earlier that no response will
//! come), in the order they were requested. Pending requests are held in
//! memory until answered; answered calls are yielded as soon as paired.
//! Ids form one space per file: requests the server sends the client
//! (`sampling/createMessage`, `elicitation/create`) are skipped like any
//! non-tool request, but one reusing the id of a pending `tools/call` would
//! take its response (logs with a `direction` could separate them; not done).
//!
//! Skipped, by reason (in [`IngestCounts::skipped`]): `<method> request`
//! (e.g. `initialize request`, `tools/list request`), `notification`,
//! `response to a non-tool request`, `response without a request`,
//! `lifecycle event` (cassettes), `empty interaction`.

use super::item::{IngestCounts, Item, Location, ToolCall};
use super::json_value::{kind, str_at};
use crate::trace::RecordedOutcome;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Read};
use writ_base::counting::CountingReader;

/// The time given to messages recorded without one.
pub use super::item::NO_TIME;

/// The MCP recordings Writ reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum McpFormat {
    /// JSON Lines of JSON-RPC messages (optionally in an envelope).
    JsonRpcLog,
    /// A recorded session: one document with `interactions[]`.
    Cassette,
}

impl McpFormat {
    /// The name used by `--format` (`mcp-jsonrpc`, `mcp-cassette`).
    pub fn name(self) -> &'static str {
        match self {
            McpFormat::JsonRpcLog => "mcp-jsonrpc",
            McpFormat::Cassette => "mcp-cassette",
        }
    }
}

/// Guesses from the first bytes of a file (a few KB are enough) whether it
/// is an MCP recording: a cassette (a JSON object with `interactions`
/// holding `request`s) or a JSON-RPC log (the first line holds
/// `"jsonrpc":"2.0"`, bare or in an envelope). `None` for anything else.
pub fn detect_mcp(first_bytes: &[u8]) -> Option<McpFormat> {
    let text = String::from_utf8_lossy(first_bytes);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') {
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("\"interactions\":[")
            && (compact.contains("\"request\":") || compact.contains("\"jsonrpc\""))
        {
            return Some(McpFormat::Cassette);
        }
    }
    let first_line = trimmed.lines().next().unwrap_or("");
    let compact: String = first_line.chars().filter(|c| !c.is_whitespace()).collect();
    let starts_json = compact.starts_with('{') || compact.starts_with('[');
    if starts_json
        && (compact.contains("\"jsonrpc\":\"2.0\"")
            || compact.contains("\\\"jsonrpc\\\":\\\"2.0\\\""))
    {
        return Some(McpFormat::JsonRpcLog);
    }
    None
}

/// Reads an MCP recording of the given format.
pub fn read_mcp<'a, R: BufRead + 'a>(format: McpFormat, reader: R) -> McpReader<'a> {
    match format {
        McpFormat::JsonRpcLog => {
            let boxed: Box<dyn BufRead + 'a> = Box::new(reader);
            McpReader::Log(Box::new(McpLog::new(boxed)))
        }
        McpFormat::Cassette => McpReader::Cassette(Cassette::read(reader)),
    }
}

/// Either MCP reader, as one iterator.
pub enum McpReader<'a> {
    /// A JSON-RPC log.
    Log(Box<McpLog<Box<dyn BufRead + 'a>>>),
    /// A cassette.
    Cassette(Cassette),
}

impl McpReader<'_> {
    /// Messages read, actions extracted, messages skipped by reason.
    pub fn counts(&self) -> &IngestCounts {
        match self {
            McpReader::Log(l) => l.counts(),
            McpReader::Cassette(c) => c.counts(),
        }
    }

    /// Requests yielded without a response.
    pub fn unanswered(&self) -> u64 {
        match self {
            McpReader::Log(l) => l.unanswered(),
            McpReader::Cassette(c) => c.unanswered(),
        }
    }

    /// Bytes consumed so far (for progress).
    pub fn bytes_read(&self) -> u64 {
        match self {
            McpReader::Log(l) => l.bytes_read(),
            McpReader::Cassette(c) => c.bytes_read(),
        }
    }
}

impl Iterator for McpReader<'_> {
    type Item = Result<Item, (Location, String)>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            McpReader::Log(l) => l.next(),
            McpReader::Cassette(c) => c.next(),
        }
    }
}

// ---------------------------------------------------------------------------
// Pairing requests and responses.

/// What the session has told us so far (from `initialize` and metadata).
#[derive(Debug, Default, Clone)]
struct Session {
    client_name: Option<String>,
    client_version: Option<String>,
    server_name: Option<String>,
    server_version: Option<String>,
    protocol_version: Option<String>,
}

/// Per-message facts from an envelope (or a cassette interaction, or a
/// log line's prefix).
#[derive(Debug, Default, Clone)]
pub(crate) struct Envelope {
    pub(crate) ts: Option<String>,
    pub(crate) direction: Option<String>,
    pub(crate) session_id: Option<String>,
    /// The user and the field it was found under.
    pub(crate) user: Option<(String, String)>,
    pub(crate) claims: Option<Map<String, Value>>,
    /// More attributes for a tool call requested in this message.
    pub(crate) attributes: Map<String, Value>,
}

/// How a response ended a call.
#[derive(Debug, Clone)]
struct Ending {
    outcome: RecordedOutcome,
    error_type: Option<String>,
    error_message: Option<String>,
}

#[derive(Debug)]
struct Pending {
    call: ToolCall,
    order: u64,
}

/// Pairs requests and responses, yielding tool calls.
#[derive(Debug, Default)]
pub(crate) struct Pairer {
    session: Session,
    pending: HashMap<String, Pending>,
    early: HashMap<String, Ending>,
    non_tool: HashMap<String, String>,
    order: u64,
    pub(crate) counts: IngestCounts,
    pub(crate) unanswered: u64,
    pub(crate) out: VecDeque<Result<Item, (Location, String)>>,
}

fn id_key(id: &Value) -> Option<String> {
    match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a time: RFC 3339 text (kept as written), or Unix seconds,
/// milliseconds, microseconds or nanoseconds as a number or numeric text,
/// converted exactly (see [`writ_base::time::utc_nanos_from_unix_decimal`]).
/// `raw` is the number's text as written in the input, when known: a
/// number already parsed as floating point is otherwise written back in
/// its shortest form, which is the written text for up to 15 significant
/// digits.
fn read_time(v: &Value, raw: Option<&str>) -> Option<String> {
    match v {
        Value::String(s) => {
            if crate::trace::parse_timestamp(s).is_ok() {
                Some(s.clone())
            } else {
                writ_base::time::utc_nanos_from_unix_decimal(s.trim())
            }
        }
        Value::Number(n) => match raw {
            Some(text) => writ_base::time::utc_nanos_from_unix_decimal(text.trim()),
            None => writ_base::time::utc_nanos_from_unix_decimal(&n.to_string()),
        },
        _ => None,
    }
}

impl Pairer {
    pub(crate) fn error(&mut self, location: Location, message: String) {
        self.out.push_back(Err((location, message)));
    }

    /// Feeds one message (or a batch) found at `location`.
    pub(crate) fn feed(&mut self, msg: Value, location: Location, env: &Envelope) {
        match msg {
            Value::Array(items) => {
                for (i, m) in items.into_iter().enumerate() {
                    let loc = Location {
                        line: location.line,
                        path: Some(format!("{}[{i}]", location.path.as_deref().unwrap_or("$"))),
                    };
                    self.feed(m, loc, env);
                }
            }
            Value::Object(obj) => self.feed_object(obj, location, env),
            other => {
                self.counts.read += 1;
                self.error(
                    location,
                    format!(
                        "expected a JSON-RPC message (an object), found {}",
                        kind(&other)
                    ),
                )
            }
        }
    }

    fn feed_object(&mut self, obj: Map<String, Value>, location: Location, env: &Envelope) {
        self.counts.read += 1;
        let id = obj.get("id").and_then(id_key);
        if let Some(method) = obj.get("method") {
            let Some(method) = method.as_str() else {
                return self.error(location, "`method` is not a string".into());
            };
            let Some(id) = id else {
                self.counts.skip("notification");
                return;
            };
            if method == "tools/call" {
                self.request(id, obj, location, env);
            } else {
                if method == "initialize" {
                    let params = obj.get("params").cloned().unwrap_or(Value::Null);
                    if let Some(n) = str_at(&params, &["clientInfo", "name"]) {
                        self.session.client_name = Some(n.to_string());
                    }
                    if let Some(v) = str_at(&params, &["clientInfo", "version"]) {
                        self.session.client_version = Some(v.to_string());
                    }
                    if let Some(v) = str_at(&params, &["protocolVersion"]) {
                        self.session.protocol_version = Some(v.to_string());
                    }
                }
                self.counts.skip(&format!("{method} request"));
                // Its response may already have come (before the request).
                if self.early.remove(&id).is_some() {
                    self.counts.skip("response to a non-tool request");
                } else {
                    self.non_tool.insert(id, method.to_string());
                }
            }
            return;
        }
        if obj.contains_key("result") || obj.contains_key("error") {
            let Some(id) = id else {
                // An error about an unparseable request has `id: null`.
                self.counts.skip("response without a request");
                return;
            };
            let ending = ending_of(&obj);
            if let Some(mut p) = self.pending.remove(&id) {
                apply_ending(&mut p.call, &ending);
                self.emit(p.call);
            } else if let Some(method) = self.non_tool.remove(&id) {
                if method == "initialize" {
                    let r = obj.get("result").cloned().unwrap_or(Value::Null);
                    if let Some(n) = str_at(&r, &["serverInfo", "name"]) {
                        self.session.server_name = Some(n.to_string());
                    }
                    if let Some(v) = str_at(&r, &["serverInfo", "version"]) {
                        self.session.server_version = Some(v.to_string());
                    }
                    if let Some(v) = str_at(&r, &["protocolVersion"]) {
                        self.session.protocol_version = Some(v.to_string());
                    }
                }
                self.counts.skip("response to a non-tool request");
            } else {
                self.early.insert(id, ending);
            }
            return;
        }
        self.error(
            location,
            "not a JSON-RPC message: no `method`, `result` or `error`".into(),
        );
    }

    fn request(
        &mut self,
        id: String,
        mut obj: Map<String, Value>,
        location: Location,
        env: &Envelope,
    ) {
        let mut params = obj.remove("params").unwrap_or(Value::Null);
        let Some(tool) = params
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return self.error(
                location,
                "a `tools/call` request without a string `params.name`: the tool name is required"
                    .into(),
            );
        };
        let mut attributes = Map::new();
        let mut put = |k: &str, v: Option<&String>| {
            if let Some(v) = v {
                attributes.insert(k.to_string(), Value::String(v.clone()));
            }
        };
        put("mcp.method.name", Some(&"tools/call".to_string()));
        put("jsonrpc.request.id", Some(&id));
        put("gen_ai.tool.name", Some(&tool));
        put(
            "mcp.protocol.version",
            self.session.protocol_version.as_ref(),
        );
        put("mcp.server.name", self.session.server_name.as_ref());
        put("mcp.server.version", self.session.server_version.as_ref());
        put("mcp.session.id", env.session_id.as_ref());
        put("mcp.direction", env.direction.as_ref());
        for (k, v) in &env.attributes {
            attributes.insert(k.clone(), v.clone());
        }
        if let Some(claims) = &env.claims {
            for (k, v) in claims {
                attributes.insert(format!("jwt.claims.{k}"), v.clone());
            }
        }
        let mut client_name = self.session.client_name.clone();
        let mut client_version = self.session.client_version.clone();
        if let Some(meta) = params.get("_meta").and_then(Value::as_object) {
            for (k, v) in meta {
                attributes.insert(format!("mcp.meta.{k}"), v.clone());
            }
            let info = meta
                .get("clientInfo")
                .or_else(|| meta.get("io.modelcontextprotocol/clientInfo"));
            if let Some(info) = info {
                if let Some(n) = info.get("name").and_then(Value::as_str) {
                    client_name = Some(n.to_string());
                }
                if let Some(v) = info.get("version").and_then(Value::as_str) {
                    client_version = Some(v.to_string());
                }
            }
            if let Some(v) = meta
                .get("protocolVersion")
                .or_else(|| meta.get("io.modelcontextprotocol/protocolVersion"))
                .and_then(Value::as_str)
            {
                attributes.insert("mcp.protocol.version".into(), Value::String(v.into()));
            }
        }
        if let Some(n) = &client_name {
            attributes.insert("mcp.client.name".into(), Value::String(n.clone()));
        }
        if let Some(v) = &client_version {
            attributes.insert("mcp.client.version".into(), Value::String(v.clone()));
        }
        let ts = match &env.ts {
            Some(t) => t.clone(),
            None => {
                attributes.insert("mcp.ts_missing".into(), Value::Bool(true));
                NO_TIME.to_string()
            }
        };
        let args = params.as_object_mut().and_then(|p| p.remove("arguments"));
        let call = ToolCall {
            location,
            ts,
            agent: client_name,
            user: env.user.as_ref().map(|(_, u)| u.clone()),
            user_key: env.user.as_ref().map(|(k, _)| k.clone()),
            tool,
            call_id: Some(id.clone()),
            tool_type: None,
            args,
            attributes,
            trace_id: env.session_id.clone(),
            span_id: Some(id.clone()),
            outcome: RecordedOutcome::Executed,
        };
        if let Some(ending) = self.early.remove(&id) {
            let mut call = call;
            apply_ending(&mut call, &ending);
            self.emit(call);
            return;
        }
        self.order += 1;
        let order = self.order;
        if let Some(prev) = self.pending.insert(id, Pending { call, order }) {
            // The same id requested twice with no response in between: the
            // first one will never be paired; keep it as unanswered.
            self.unanswered(prev.call);
        }
    }

    fn emit(&mut self, call: ToolCall) {
        self.counts.actions += 1;
        self.out.push_back(Ok(Item::Call(Box::new(call))));
    }

    fn unanswered(&mut self, mut call: ToolCall) {
        call.attributes
            .insert("mcp.response".into(), Value::String("missing".into()));
        self.unanswered += 1;
        self.emit(call);
    }

    /// Ends the input: unanswered requests are yielded in request order,
    /// responses that never met their request are counted.
    pub(crate) fn finish(&mut self) {
        let mut rest: Vec<Pending> = self.pending.drain().map(|(_, p)| p).collect();
        rest.sort_by_key(|p| p.order);
        for p in rest {
            self.unanswered(p.call);
        }
        for _ in self.early.drain() {
            self.counts.skip("response without a request");
        }
    }
}

fn ending_of(obj: &Map<String, Value>) -> Ending {
    if let Some(err) = obj.get("error") {
        return Ending {
            outcome: RecordedOutcome::Failed,
            error_type: Some(
                err.get("code")
                    .map(|c| match c {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .unwrap_or_else(|| "error".into()),
            ),
            error_message: err.get("message").and_then(Value::as_str).map(String::from),
        };
    }
    let result = obj.get("result");
    if result
        .and_then(|r| r.get("isError"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        let message = result
            .and_then(|r| r.get("content"))
            .and_then(Value::as_array)
            .and_then(|c| c.iter().find_map(|p| p.get("text").and_then(Value::as_str)))
            .map(|s| s.chars().take(500).collect());
        return Ending {
            outcome: RecordedOutcome::Failed,
            error_type: Some("tool_error".into()),
            error_message: message,
        };
    }
    Ending {
        outcome: RecordedOutcome::Executed,
        error_type: None,
        error_message: None,
    }
}

fn apply_ending(call: &mut ToolCall, ending: &Ending) {
    call.outcome = ending.outcome;
    if let Some(t) = &ending.error_type {
        call.attributes
            .insert("error.type".into(), Value::String(t.clone()));
    }
    if let Some(m) = &ending.error_message {
        call.attributes
            .insert("mcp.error.message".into(), Value::String(m.clone()));
    }
}

// ---------------------------------------------------------------------------
// JSON-RPC logs.

/// Reads a JSON Lines log of JSON-RPC messages, streaming (see the module
/// documentation).
pub struct McpLog<R> {
    reader: R,
    line_no: usize,
    bytes: u64,
    buf: Vec<u8>,
    pairer: Pairer,
    done: bool,
}

impl<R: BufRead> McpLog<R> {
    /// Wraps a reader.
    pub fn new(reader: R) -> Self {
        McpLog {
            reader,
            line_no: 0,
            bytes: 0,
            buf: Vec::new(),
            pairer: Pairer::default(),
            done: false,
        }
    }

    /// Messages read, actions extracted, messages skipped by reason.
    pub fn counts(&self) -> &IngestCounts {
        &self.pairer.counts
    }

    /// Requests yielded without a response.
    pub fn unanswered(&self) -> u64 {
        self.pairer.unanswered
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn read_line(&mut self) {
        self.buf.clear();
        let n = match writ_base::lines::read_line_bounded(
            &mut self.reader,
            &mut self.buf,
            writ_base::lines::MAX_LINE_BYTES,
        ) {
            Ok(n) => n,
            Err(e) => {
                self.done = true;
                let loc = Location {
                    line: Some(self.line_no + 1),
                    path: None,
                };
                return self
                    .pairer
                    .error(loc, format!("cannot read the input: {e}"));
            }
        };
        if n == 0 {
            self.done = true;
            self.pairer.finish();
            return;
        }
        self.bytes += n as u64;
        self.line_no += 1;
        let location = Location {
            line: Some(self.line_no),
            path: None,
        };
        let text = match std::str::from_utf8(&self.buf) {
            Ok(t) => t,
            Err(e) => {
                self.pairer.counts.read += 1;
                return self.pairer.error(
                    location,
                    format!("not UTF-8 text (byte {}): {e}", e.valid_up_to() + 1),
                );
            }
        };
        let text = text
            .trim_start_matches('\u{feff}')
            .trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            return;
        }
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.pairer.counts.read += 1;
                let what = e
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let hint = if e.is_eof() {
                    " (the line is cut off: a truncated file?)"
                } else {
                    ""
                };
                return self.pairer.error(
                    location,
                    format!("column {}: {what}{hint}", e.column().max(1)),
                );
            }
        };
        match unwrap_envelope(value, text) {
            LineContent::Message(msg, env) => self.pairer.feed(msg, location, &env),
            LineContent::Recording(reason) => {
                self.pairer.counts.read += 1;
                self.pairer.counts.skip(&reason);
            }
            LineContent::Bad(problem) => {
                self.pairer.counts.read += 1;
                self.pairer.error(location, problem)
            }
        }
    }
}

/// The keys an envelope's message is found under, in the order tried.
pub const MESSAGE_KEYS: [&str; 6] = ["message", "payload", "data", "msg", "body", "jsonrpc"];

/// The keys an envelope's time is found under, in the order tried.
pub const TIME_KEYS: [&str; 11] = [
    "timestamp",
    "ts",
    "time",
    "t",
    "@timestamp",
    "recorded_at",
    "logged_at",
    "created_at",
    "received_at",
    "sent_at",
    "datetime",
];

/// Envelope lines that hold no message but describe the recording (a
/// header or a closing summary), by their `type`: skipped, not errors.
const RECORDING_LINE_TYPES: [&str; 9] = [
    "summary",
    "header",
    "metadata",
    "meta",
    "session",
    "session_start",
    "session_end",
    "start",
    "end",
];

/// What one line of a JSON-RPC log holds.
enum LineContent {
    /// A message (or batch), with its envelope's facts.
    Message(Value, Box<Envelope>),
    /// A line describing the recording (skipped for this reason).
    Recording(String),
    /// Neither: why.
    Bad(String),
}

/// The text of each top-level number of an object line, by key (serde
/// would otherwise read a decimal as floating point and lose digits).
fn raw_numbers(line: &str) -> std::collections::HashMap<String, String> {
    serde_json::from_str::<std::collections::HashMap<String, &serde_json::value::RawValue>>(line)
        .map(|m| {
            m.into_iter()
                .filter(|(_, v)| {
                    v.get()
                        .trim_start()
                        .starts_with(|c: char| c.is_ascii_digit() || c == '-')
                })
                .map(|(k, v)| (k, v.get().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Splits an envelope line (`line`, its text, parsed as `value`) into its
/// message and envelope facts; a bare message is returned as is.
fn unwrap_envelope(value: Value, line: &str) -> LineContent {
    let Value::Object(mut obj) = value else {
        return LineContent::Message(value, Box::default());
    };
    let bare = obj.get("jsonrpc").is_some_and(Value::is_string)
        || obj.contains_key("method")
        || obj.contains_key("result")
        || obj.contains_key("error");
    if bare {
        return LineContent::Message(Value::Object(obj), Box::default());
    }
    let mut env = Envelope::default();
    let numbers = if TIME_KEYS
        .iter()
        .any(|k| obj.get(*k).is_some_and(Value::is_number))
    {
        raw_numbers(line)
    } else {
        Default::default()
    };
    for k in TIME_KEYS {
        if let Some(t) = obj
            .get(k)
            .and_then(|v| read_time(v, numbers.get(k).map(String::as_str)))
        {
            env.ts = Some(t);
            break;
        }
    }
    env.direction = ["direction", "dir"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str).map(String::from));
    env.session_id = ["session_id", "sessionId", "mcp.session.id"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str).map(String::from));
    env.claims = ["claims", "jwt_claims"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_object).cloned());
    env.user = ["user", "subject"]
        .iter()
        .find_map(|k| {
            obj.get(*k)
                .and_then(Value::as_str)
                .map(|u| (k.to_string(), u.to_string()))
        })
        .or_else(|| {
            env.claims
                .as_ref()
                .and_then(|c| c.get("sub"))
                .and_then(Value::as_str)
                .map(|u| ("claims.sub".to_string(), u.to_string()))
        });
    for k in MESSAGE_KEYS {
        match obj.remove(k) {
            Some(Value::String(s)) => {
                if let Ok(v @ (Value::Object(_) | Value::Array(_))) =
                    serde_json::from_str::<Value>(&s)
                {
                    return LineContent::Message(v, Box::new(env));
                }
            }
            Some(v @ (Value::Object(_) | Value::Array(_))) => {
                return LineContent::Message(v, Box::new(env))
            }
            _ => {}
        }
    }
    if let Some(kind) = obj
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| RECORDING_LINE_TYPES.contains(t))
    {
        return LineContent::Recording(format!("`{kind}` line (no message)"));
    }
    LineContent::Bad("not a JSON-RPC message: no `jsonrpc`, `method`, `result` or `error`, and no envelope field (`message`, `payload`, `data`, `msg`, `body`) holding one".into())
}

impl<R: BufRead> Iterator for McpLog<R> {
    type Item = Result<Item, (Location, String)>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(x) = self.pairer.out.pop_front() {
                return Some(x);
            }
            if self.done {
                return None;
            }
            self.read_line();
        }
    }
}

// ---------------------------------------------------------------------------
// Cassettes.

/// A recorded session (mcp-recorder cassette), read in one pass: the
/// interactions are visited one by one as the document is parsed, and only
/// the extracted calls are kept (see the module documentation).
pub struct Cassette {
    out: VecDeque<Result<Item, (Location, String)>>,
    counts: IngestCounts,
    unanswered: u64,
    bytes: u64,
}

#[derive(Default)]
struct CassetteState {
    pairer: Pairer,
    recorded_at: Option<String>,
}

impl Cassette {
    /// Reads a cassette document.
    pub fn read<R: Read>(reader: R) -> Cassette {
        let mut counting = CountingReader::new(reader);
        let position = counting.position();
        let mut state = CassetteState::default();
        let mut de = serde_json::Deserializer::from_reader(&mut counting);
        let result = DocSeed { state: &mut state }
            .deserialize(&mut de)
            .and_then(|()| de.end());
        let recorded_at = state.recorded_at.clone();
        state.pairer.finish();
        let mut out = std::mem::take(&mut state.pairer.out);
        // Calls seen before `metadata` take its time too.
        for item in out.iter_mut() {
            if let Ok(Item::Call(c)) = item {
                if let (Some(t), Some(_)) = (&recorded_at, c.attributes.get("mcp.ts_missing")) {
                    c.ts = t.clone();
                    c.attributes.remove("mcp.ts_missing");
                }
            }
        }
        if let Err(e) = result {
            let what = e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string();
            let hint = if e.is_eof() {
                " (the document is cut off: a truncated file?)"
            } else {
                ""
            };
            out.push_back(Err((
                Location {
                    line: Some(e.line()),
                    path: None,
                },
                format!("column {}: {what}{hint}", e.column().max(1)),
            )));
        }
        Cassette {
            out,
            counts: state.pairer.counts,
            unanswered: state.pairer.unanswered,
            bytes: position.bytes.get(),
        }
    }

    /// Interactions' messages read, actions extracted, skipped by reason.
    pub fn counts(&self) -> &IngestCounts {
        &self.counts
    }

    /// Requests yielded without a response.
    pub fn unanswered(&self) -> u64 {
        self.unanswered
    }

    /// Bytes read.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

impl Iterator for Cassette {
    type Item = Result<Item, (Location, String)>;
    fn next(&mut self) -> Option<Self::Item> {
        self.out.pop_front()
    }
}

struct DocSeed<'s> {
    state: &'s mut CassetteState,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a cassette object with `interactions`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metadata" => {
                    let m: Value = map.next_value()?;
                    if let Some(t) = m.get("recorded_at").and_then(|t| read_time(t, None)) {
                        self.state.recorded_at = Some(t);
                    }
                    let s = &mut self.state.pairer.session;
                    if let Some(n) = str_at(&m, &["server_info", "name"]) {
                        s.server_name = Some(n.into());
                    }
                    if let Some(v) = str_at(&m, &["server_info", "version"]) {
                        s.server_version = Some(v.into());
                    }
                    if let Some(v) = str_at(&m, &["protocol_version"]) {
                        s.protocol_version = Some(v.into());
                    }
                }
                "interactions" => map.next_value_seed(InteractionsSeed {
                    state: &mut *self.state,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct InteractionsSeed<'s> {
    state: &'s mut CassetteState,
}

impl<'de> DeserializeSeed<'de> for InteractionsSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for InteractionsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of interactions")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while let Some(interaction) = seq.next_element::<Value>()? {
            self.state.interaction(i, interaction);
            i += 1;
        }
        Ok(())
    }
}

impl CassetteState {
    fn interaction(&mut self, i: usize, v: Value) {
        let at = |part: &str| Location {
            line: None,
            path: Some(format!("$.interactions[{i}]{part}")),
        };
        let Value::Object(mut obj) = v else {
            self.pairer.counts.read += 1;
            return self.pairer.error(
                at(""),
                format!("expected an interaction object, found {}", kind(&v)),
            );
        };
        let env = Envelope {
            ts: self.recorded_at.clone(),
            ..Envelope::default()
        };
        let request = obj.remove("request").filter(|r| !r.is_null());
        let response = obj.remove("response").filter(|r| !r.is_null());
        if request.is_none() && response.is_none() {
            self.pairer.counts.read += 1;
            let ty = obj.get("type").and_then(Value::as_str).unwrap_or("");
            self.pairer.counts.skip(if ty == "lifecycle" {
                "lifecycle event"
            } else {
                "empty interaction"
            });
            return;
        }
        let status = obj.get("response_status").and_then(Value::as_u64);
        let req_id = request.as_ref().and_then(|r| r.get("id")).and_then(id_key);
        let is_request = request.as_ref().is_some_and(|r| r.get("method").is_some());
        if let Some(req) = request {
            self.pairer.feed(req, at(".request"), &env);
        }
        match response {
            Some(resp) => self.pairer.feed(resp, at(".response"), &env),
            None => {
                // No JSON-RPC answer: an HTTP status may still say what happened.
                if let (Some(id), true, Some(code)) = (req_id, is_request, status) {
                    if !(200..300).contains(&code) {
                        if let Some(mut p) = self.pairer.pending.remove(&id) {
                            let blocked = code == 401 || code == 403;
                            apply_ending(
                                &mut p.call,
                                &Ending {
                                    outcome: if blocked {
                                        RecordedOutcome::Blocked
                                    } else {
                                        RecordedOutcome::Failed
                                    },
                                    error_type: Some(format!("http.{code}")),
                                    error_message: None,
                                },
                            );
                            self.pairer.emit(p.call);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(
        items: Vec<Result<Item, (Location, String)>>,
    ) -> (Vec<ToolCall>, Vec<(Location, String)>) {
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        for i in items {
            match i {
                Ok(Item::Call(c)) => ok.push(*c),
                Ok(Item::Record(_)) => panic!("MCP readers yield calls only"),
                Err(e) => bad.push(e),
            }
        }
        (ok, bad)
    }

    #[test]
    fn detection() {
        assert_eq!(
            detect_mcp(br#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#),
            Some(McpFormat::JsonRpcLog)
        );
        assert_eq!(
            detect_mcp(b"{\"ts\":\"2026-01-01T00:00:00Z\",\"message\":{\"jsonrpc\": \"2.0\"}}\n"),
            Some(McpFormat::JsonRpcLog)
        );
        assert_eq!(
            detect_mcp(b"{\n \"version\": \"1.0\",\n \"interactions\": [\n {\"request\": {}}"),
            Some(McpFormat::Cassette)
        );
        assert_eq!(detect_mcp(br#"{"resourceSpans":[]}"#), None);
        assert_eq!(detect_mcp(br#"{"data":[{"traceID":"x"}]}"#), None);
        assert_eq!(detect_mcp(b""), None);
    }

    #[test]
    fn envelopes_give_time_direction_and_session() {
        let log = concat!(
            r#"{"timestamp":"2026-03-01T10:00:00Z","direction":"client_to_server","session_id":"s1","message":{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"t","arguments":{}}}}"#,
            "\n",
            r#"{"ts":1772359201000,"direction":"server_to_client","message":"{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{\"content\":[]}}"}"#,
            "\n"
        );
        let mut r = McpLog::new(log.as_bytes());
        let (c, bad) = calls(r.by_ref().collect());
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].ts, "2026-03-01T10:00:00Z");
        assert_eq!(c[0].trace_id.as_deref(), Some("s1"));
        assert_eq!(c[0].attributes["mcp.direction"], "client_to_server");
        assert_eq!(r.counts().read, 2);
    }

    #[test]
    fn unix_times_are_read_exactly() {
        assert_eq!(
            read_time(&serde_json::json!(1772359200), None).as_deref(),
            Some("2026-03-01T10:00:00.000000000Z")
        );
        assert_eq!(
            read_time(&serde_json::json!(1772359200500u64), None).as_deref(),
            Some("2026-03-01T10:00:00.500000000Z")
        );
        assert_eq!(
            read_time(&serde_json::json!("1772359200.953"), None).as_deref(),
            Some("2026-03-01T10:00:00.953000000Z")
        );
        // The written digits, not the nearest floating-point value.
        let f = serde_json::json!(1772359200.953_f64);
        assert_eq!(
            read_time(&f, Some("1772359200.953")).as_deref(),
            Some("2026-03-01T10:00:00.953000000Z")
        );
        assert_eq!(
            read_time(&f, None).as_deref(),
            Some("2026-03-01T10:00:00.953000000Z")
        );
        assert_eq!(read_time(&serde_json::json!("yesterday"), None), None);
    }

    #[test]
    fn recorder_sessions_read_t_exactly_and_skip_their_summary() {
        // mcp-recorder's session lines: sequence, time in Unix seconds
        // (a float with up to 19 significant digits), direction, message.
        let log = concat!(
            r#"{"seq":1,"t":1772359200.953123456,"dir":"c2s","msg":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"x":1}}}}"#,
            "\n",
            r#"{"seq":2,"t":1772359201.1,"dir":"s2c","msg":{"jsonrpc":"2.0","id":1,"result":{"content":[]}}}"#,
            "\n",
            r#"{"type":"summary","messages":2,"duration_s":0.147}"#,
            "\n"
        );
        let mut r = McpLog::new(log.as_bytes());
        let (c, bad) = calls(r.by_ref().collect());
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].ts, "2026-03-01T10:00:00.953123456Z");
        assert_eq!(c[0].attributes["mcp.direction"], "c2s");
        assert_eq!(
            r.counts().skipped.get("`summary` line (no message)"),
            Some(&1)
        );
    }
}
