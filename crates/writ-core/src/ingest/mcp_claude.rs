//! Claude Desktop's MCP logs (`mcp.log`, `mcp-server-NAME.log`), read as
//! recorded tool calls through the JSON-RPC pairing of [`super::mcp`].
//!
//! # The lines
//! ```text
//! 2026-03-02T09:16:10.345Z [github] [info] Message from client: {"jsonrpc":"2.0",...} { metadata: undefined }
//! 2026-03-02T09:16:10.912Z [info] [github] Message from server: {"jsonrpc":"2.0",...}
//! ```
//! A time (RFC 3339), then two bracketed fields, the server's name (the
//! key in the Claude Desktop configuration) and the level (`info`, `warn`,
//! `error`, `debug`), in either order (the per-server files and the
//! combined `mcp.log` differ), then the message. Only `Message from
//! client:` and `Message from server:` lines hold JSON-RPC; what follows
//! their JSON value (`{ metadata: undefined }`) is ignored. Every other
//! line (the app's own messages, a multi-line dump, the server's standard
//! error output) is skipped and counted by reason.
//!
//! # Pairing
//! Request ids are per server connection: each server has its own id
//! space, and a new connection (`Initializing server...`, or an
//! `initialize` request from the client) starts it again, so requests and
//! responses are paired per server and per connection. A request left
//! unanswered when its server reconnects is kept as unanswered (see
//! [`super::mcp`]). Each call's time is its request line's time (kept as
//! written); its trace id is `<server>#<connection>`; the server's name is
//! kept as the `mcp.server.key` attribute (the implementation's own name,
//! from `initialize`, stays `mcp.server.name`); the agent is the client's
//! name from `initialize` (`claude-ai`). The log records no user.

use super::item::{IngestCounts, Item, Location};
use super::mcp::{Envelope, Pairer};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::io::BufRead;

/// The levels Claude Desktop writes in a line's brackets.
const LEVELS: [&str; 7] = [
    "info", "warn", "warning", "error", "debug", "trace", "notice",
];

/// One timestamped line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// The time, as written.
    pub ts: &'a str,
    /// The server's name.
    pub server: &'a str,
    /// The level.
    pub level: &'a str,
    /// The message after the brackets.
    pub text: &'a str,
}

/// Who sent a JSON-RPC message in a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// `Message from client:` (Claude Desktop).
    Client,
    /// `Message from server:` (the MCP server).
    Server,
}

/// Splits a line into its time, server, level and message, or `None` when
/// it is not a timestamped log line.
pub fn split_line(line: &str) -> Option<LogLine<'_>> {
    let line = line.trim_end_matches(['\n', '\r']);
    let (ts, rest) = line.split_once(' ')?;
    if !ts.starts_with(|c: char| c.is_ascii_digit()) || crate::trace::parse_timestamp(ts).is_err() {
        return None;
    }
    let (first, rest) = bracketed(rest)?;
    let (second, rest) = bracketed(rest.strip_prefix(' ')?)?;
    let text = rest.strip_prefix(' ').unwrap_or(rest);
    let is_level = |s: &str| LEVELS.iter().any(|l| l.eq_ignore_ascii_case(s));
    let (server, level) = if is_level(second) && !is_level(first) {
        (first, second)
    } else if is_level(first) {
        (second, first)
    } else {
        (first, second)
    };
    Some(LogLine {
        ts,
        server,
        level,
        text,
    })
}

/// `[inner] rest` → `(inner, rest)`.
fn bracketed(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('[')?;
    let end = inner.find(']')?;
    Some((&inner[..end], &inner[end + 1..]))
}

/// The JSON-RPC message of a log line's text, with its sender and the byte
/// offset of the JSON within the text; `None` when the text is not a
/// `Message from client|server:` line.
pub fn message_of(text: &str) -> Option<(Sender, usize, &str)> {
    for (prefix, sender) in [
        ("Message from client:", Sender::Client),
        ("Message from server:", Sender::Server),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let json = rest.trim_start();
            return Some((sender, text.len() - json.len(), json));
        }
    }
    None
}

/// Reads the first JSON value of `text`, ignoring what follows it (the
/// `{ metadata: undefined }` suffix).
pub fn first_value(text: &str) -> Result<Value, serde_json::Error> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match values.next() {
        Some(v) => v,
        None => serde_json::from_str(text),
    }
}

/// Whether the start of a file looks like a Claude Desktop MCP log: one of
/// its first 20 non-blank lines is a timestamped line with two brackets,
/// and none of the lines before it starts a JSON value.
pub fn detect(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(20) {
        if split_line(line).is_some() {
            return true;
        }
        if line.trim_start().starts_with(['{', '[']) {
            return false;
        }
    }
    false
}

/// One server's pairing state: its current connection.
struct ServerState {
    connection: u64,
    /// Messages read on this connection.
    messages: u64,
    pairer: Pairer,
}

/// Reads a Claude Desktop MCP log (see the module documentation).
pub struct ClaudeLog<R> {
    reader: R,
    line_no: usize,
    bytes: u64,
    buf: Vec<u8>,
    servers: BTreeMap<String, ServerState>,
    /// Counts of the lines that reach no pairer and of finished
    /// connections.
    counts: IngestCounts,
    unanswered: u64,
    out: VecDeque<Result<Item, (Location, String)>>,
    done: bool,
}

impl<R: BufRead> ClaudeLog<R> {
    /// Wraps a reader.
    pub fn new(reader: R) -> Self {
        ClaudeLog {
            reader,
            line_no: 0,
            bytes: 0,
            buf: Vec::new(),
            servers: BTreeMap::new(),
            counts: IngestCounts::default(),
            unanswered: 0,
            out: VecDeque::new(),
            done: false,
        }
    }

    /// Lines read, actions extracted, lines skipped by reason (complete
    /// once the reader is exhausted).
    pub fn counts(&self) -> &IngestCounts {
        &self.counts
    }

    /// Requests yielded without a response (complete once exhausted).
    pub fn unanswered(&self) -> u64 {
        self.unanswered
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Ends a connection: its unanswered requests are yielded and its
    /// counts kept.
    fn retire(&mut self, mut state: Pairer) {
        state.finish();
        self.out.append(&mut state.out);
        merge(&mut self.counts, &state.counts);
        self.unanswered += state.unanswered;
    }

    /// Starts a new connection for `server` (a reconnect ends the old one),
    /// unless its current one has not seen a message yet.
    fn reconnect(&mut self, server: &str) {
        if self.servers.get(server).is_some_and(|s| s.messages == 0) {
            return;
        }
        let next = match self.servers.remove(server) {
            Some(old) => {
                let n = old.connection + 1;
                self.retire(old.pairer);
                n
            }
            None => 1,
        };
        self.servers.insert(
            server.to_string(),
            ServerState {
                connection: next,
                messages: 0,
                pairer: Pairer::default(),
            },
        );
    }

    fn skip(&mut self, reason: &str) {
        self.counts.read += 1;
        self.counts.skip(reason);
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
                let location = Location {
                    line: Some(self.line_no + 1),
                    path: None,
                };
                self.out
                    .push_back(Err((location, format!("cannot read the input: {e}"))));
                return self.finish();
            }
        };
        if n == 0 {
            self.done = true;
            return self.finish();
        }
        self.bytes += n as u64;
        self.line_no += 1;
        let location = Location {
            line: Some(self.line_no),
            path: None,
        };
        let buf = std::mem::take(&mut self.buf);
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_start_matches('\u{feff}');
        self.line(text, location);
        self.buf = buf;
    }

    fn line(&mut self, text: &str, location: Location) {
        if text.trim().is_empty() {
            return;
        }
        let Some(line) = split_line(text) else {
            return self.skip("server output or continuation line (no time)");
        };
        let Some((sender, offset, json)) = message_of(line.text) else {
            if line.text.starts_with("Initializing server") {
                self.reconnect(line.server);
            }
            return self.skip("log message (not JSON-RPC)");
        };
        let message = match first_value(json) {
            Ok(v) => v,
            Err(e) => {
                self.counts.read += 1;
                // The column within the whole line: time, brackets,
                // prefix, then the JSON's own column.
                let before = text.len() - line.text.len() + offset;
                let column = before + e.column().max(1);
                let hint = if e.is_eof() {
                    " (the message is cut off: a truncated log?)"
                } else {
                    ""
                };
                let what = super::sink::clean(&e);
                return self
                    .out
                    .push_back(Err((location, format!("column {column}: {what}{hint}"))));
            }
        };
        let client_initialize = sender == Sender::Client
            && message.get("method").and_then(Value::as_str) == Some("initialize");
        if client_initialize || !self.servers.contains_key(line.server) {
            // A new connection starts its id space again.
            self.reconnect(line.server);
        }
        let Some(state) = self.servers.get_mut(line.server) else {
            return;
        };
        state.messages += 1;
        let mut env = Envelope {
            ts: Some(line.ts.to_string()),
            direction: Some(
                match sender {
                    Sender::Client => "client_to_server",
                    Sender::Server => "server_to_client",
                }
                .to_string(),
            ),
            session_id: Some(format!("{}#{}", line.server, state.connection)),
            ..Envelope::default()
        };
        env.attributes.insert(
            "mcp.server.key".into(),
            Value::String(line.server.to_string()),
        );
        state.pairer.feed(message, location, &env);
        self.out.append(&mut state.pairer.out);
    }

    /// Ends the input: every connection's unanswered requests are yielded.
    fn finish(&mut self) {
        let servers = std::mem::take(&mut self.servers);
        for (_, state) in servers {
            self.retire(state.pairer);
        }
    }
}

/// Adds `more` to `total`.
fn merge(total: &mut IngestCounts, more: &IngestCounts) {
    total.read += more.read;
    total.actions += more.actions;
    for (reason, n) in &more.skipped {
        *total.skipped.entry(reason.clone()).or_default() += n;
    }
}

impl<R: BufRead> Iterator for ClaudeLog<R> {
    type Item = Result<Item, (Location, String)>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(x) = self.out.pop_front() {
                return Some(x);
            }
            if self.done {
                return None;
            }
            self.read_line();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_in_either_bracket_order() {
        let a = split_line("2026-03-02T09:16:10.345Z [github] [info] Message from client: {}")
            .expect("a log line");
        assert_eq!(
            (a.ts, a.server, a.level, a.text),
            (
                "2026-03-02T09:16:10.345Z",
                "github",
                "info",
                "Message from client: {}"
            )
        );
        let b = split_line("2026-03-02T09:16:10.345Z [warn] [filesystem] Server transport closed")
            .expect("a log line");
        assert_eq!((b.server, b.level), ("filesystem", "warn"));
        for not in [
            "npm warn exec The following package was not found",
            "{\"level\":30}",
            "  metadata: {",
            "2026-03-02 09:16:10 [info] main window ready",
            "2026-13-02T09:16:10Z [a] [info] bad month",
        ] {
            assert_eq!(split_line(not), None, "{not}");
        }
    }

    #[test]
    fn the_json_is_read_up_to_the_metadata_suffix() {
        let (sender, offset, json) =
            message_of("Message from server: {\"id\":1} { metadata: undefined }").expect("msg");
        assert_eq!(sender, Sender::Server);
        assert_eq!(offset, 21);
        assert_eq!(
            first_value(json).expect("json"),
            serde_json::json!({"id": 1})
        );
    }

    #[test]
    fn detection_needs_a_timestamped_line_before_any_json() {
        assert!(detect(
            b"npm warn x\n2026-03-02T09:15:01.100Z [github] [info] Initializing server...\n"
        ));
        assert!(!detect(
            b"{\"jsonrpc\":\"2.0\"}\n2026-03-02T09:15:01.100Z [a] [info] x\n"
        ));
        assert!(!detect(b"hello\n"));
    }

    #[test]
    fn calls_are_paired_per_server_and_connection() {
        let log = concat!(
            "2026-03-02T09:15:01.100Z [a] [info] Initializing server... { metadata: undefined }\n",
            "2026-03-02T09:15:01.200Z [a] [info] Message from client: {\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"clientInfo\":{\"name\":\"claude-ai\"}}} { metadata: undefined }\n",
            "2026-03-02T09:15:01.300Z [info] [b] Message from client: {\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"read\",\"arguments\":{\"p\":1}}}\n",
            "2026-03-02T09:15:01.400Z [a] [info] Message from client: {\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"write\",\"arguments\":{}}} { metadata: undefined }\n",
            "2026-03-02T09:15:01.500Z [a] [info] Message from server: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[],\"isError\":true}} { metadata: undefined }\n",
            "GitHub MCP Server running on stdio\n",
            "2026-03-02T09:15:01.600Z [b] [info] Message from server: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[]}}\n",
            "2026-03-02T09:15:02.000Z [a] [info] Message from client: {\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}} { metadata: undefined }\n",
            "2026-03-02T09:15:03.000Z [a] [info] Initializing server... { metadata: undefined }\n",
            "2026-03-02T09:15:03.100Z [a] [info] Message from client: {\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"again\"}} { metadata: undefined }\n",
            "2026-03-02T09:15:03.200Z [a] [info] Message from server: {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"content\":[]}} { metadata: undefined }\n",
            "2026-03-02T09:15:03.300Z [a] [info] Message from client: {\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\"\n",
        );
        let mut r = ClaudeLog::new(log.as_bytes());
        let items: Vec<_> = r.by_ref().collect();
        let mut calls = Vec::new();
        let mut bad = Vec::new();
        for i in items {
            match i {
                Ok(Item::Call(c)) => calls.push(*c),
                Ok(Item::Record(_)) => panic!("calls only"),
                Err(e) => bad.push(e),
            }
        }
        let seen: Vec<(&str, &str, String, &str)> = calls
            .iter()
            .map(|c| {
                (
                    c.tool.as_str(),
                    c.ts.as_str(),
                    serde_json::to_string(&c.outcome).unwrap_or_default(),
                    c.trace_id.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (
                    "write",
                    "2026-03-02T09:15:01.400Z",
                    "\"failed\"".to_string(),
                    "a#1"
                ),
                (
                    "read",
                    "2026-03-02T09:15:01.300Z",
                    "\"executed\"".to_string(),
                    "b#1"
                ),
                (
                    "slow",
                    "2026-03-02T09:15:02.000Z",
                    "\"executed\"".to_string(),
                    "a#1"
                ),
                (
                    "again",
                    "2026-03-02T09:15:03.100Z",
                    "\"executed\"".to_string(),
                    "a#2"
                ),
            ]
        );
        assert_eq!(calls[0].agent.as_deref(), Some("claude-ai"));
        assert_eq!(calls[0].attributes["mcp.server.key"], "a");
        assert_eq!(calls[1].args, Some(serde_json::json!({"p": 1})));
        assert_eq!(calls[2].attributes["mcp.response"], "missing");
        assert_eq!(r.unanswered(), 1);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(bad[0].0.line, Some(12));
        assert!(bad[0].1.contains("cut off"), "{}", bad[0].1);
        let c = r.counts();
        assert_eq!(c.actions, 4);
        assert_eq!(
            c.skipped
                .get("server output or continuation line (no time)"),
            Some(&1)
        );
        assert_eq!(c.skipped.get("log message (not JSON-RPC)"), Some(&2));
    }
}
