//! The trace formats `writ traces import` reads, and how a file's format is
//! detected from its first bytes.

use serde_json::{Map, Value};

/// A trace file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Writ's native JSON Lines (one `TraceRecord` per line).
    Native,
    /// Writ's decision logs (`writ serve`), one decision per line.
    DecisionLog,
    /// OTLP/JSON: one `TracesData` document, or JSON Lines of them.
    Otlp,
    /// Grafana Tempo's legacy OTLP export (`batches`,
    /// `instrumentationLibrarySpans`, string enums).
    Tempo,
    /// Jaeger's JSON export (`data[].spans[]`, `tags`, `processes`).
    Jaeger,
    /// MCP JSON-RPC message logs (JSON Lines of requests and responses).
    McpJsonRpc,
    /// Recorded MCP sessions (mcp-recorder cassettes).
    McpCassette,
    /// Claude Desktop's MCP logs (`<time> [server] [level] Message from
    /// client: {json}`).
    ClaudeMcpLog,
    /// Stacklok ToolHive's audit log (JSON Lines of `audit_event`s).
    ToolhiveAudit,
    /// Claude Code / Claude Agent SDK transcripts (`stream-json` output or
    /// session files).
    ClaudeCode,
    /// OpenAI Codex CLI events (`codex exec --json`).
    CodexExec,
}

impl Format {
    /// Every format, in the order they are listed to users.
    pub const ALL: [Format; 11] = [
        Format::Native,
        Format::DecisionLog,
        Format::Otlp,
        Format::Tempo,
        Format::Jaeger,
        Format::McpJsonRpc,
        Format::McpCassette,
        Format::ClaudeMcpLog,
        Format::ToolhiveAudit,
        Format::ClaudeCode,
        Format::CodexExec,
    ];

    /// The name used on the command line (`--format NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::DecisionLog => "decision-log",
            Format::Otlp => "otlp",
            Format::Tempo => "tempo",
            Format::Jaeger => "jaeger",
            Format::McpJsonRpc => "mcp-jsonrpc",
            Format::McpCassette => "mcp-cassette",
            Format::ClaudeMcpLog => "claude-mcp-log",
            Format::ToolhiveAudit => "toolhive-audit",
            Format::ClaudeCode => "claude-code",
            Format::CodexExec => "codex-exec",
        }
    }

    /// The format named `name` (see [`Format::name`]).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The names of every format, comma separated (for messages).
    pub fn names() -> String {
        Format::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The document describing this format, relative to the repository
    /// (where a bad item's help points).
    pub fn doc(self) -> &'static str {
        match self {
            Format::Native => "docs/trace-format.md",
            Format::DecisionLog => "docs/decision-log.md",
            Format::Otlp | Format::Tempo | Format::Jaeger => {
                "docs/trace-import.md (\"From spans to tool calls\")"
            }
            Format::ToolhiveAudit => "docs/trace-import.md (\"ToolHive audit logs\")",
            Format::ClaudeCode | Format::CodexExec => {
                "docs/trace-import.md (\"Agent transcripts\")"
            }
            Format::McpJsonRpc | Format::McpCassette | Format::ClaudeMcpLog => {
                "docs/trace-import.md (\"MCP recordings\")"
            }
        }
    }

    /// Whether every item of this format sits on its own line (its line is
    /// then its key); otherwise items are numbered in reading order.
    pub fn one_item_per_line(self) -> bool {
        matches!(
            self,
            Format::Native | Format::DecisionLog | Format::ToolhiveAudit
        )
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How many bytes [`detect`] wants to see (it copes with fewer).
pub const DETECT_BYTES: usize = 64 * 1024;

/// The format of a file starting with `head` (its first bytes, up to
/// [`DETECT_BYTES`]), or `None` when it is none of [`Format::ALL`].
///
/// A first line that is a whole JSON object is classified by its keys
/// (`decision_id` + `request`: decision log; `resourceSpans`: OTLP;
/// `batches`: Tempo; `data`: Jaeger; `jsonrpc`: MCP JSON-RPC;
/// `interactions`: MCP cassette; `ts` + `agent` + `action`: native).
/// Otherwise (a pretty-printed or very long document) the first key of the
/// top-level object decides, then the keys seen anywhere in `head`.
pub fn detect(head: &[u8]) -> Option<Format> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &head[start..];
    if text.first() != Some(&b'{') {
        return super::mcp_claude::detect(head).then_some(Format::ClaudeMcpLog);
    }
    let line_end = text.iter().position(|&b| b == b'\n');
    let first_line = &text[..line_end.unwrap_or(text.len())];
    if let Ok(obj) = serde_json::from_slice::<Map<String, Value>>(first_line) {
        if let Some(f) = by_keys(&obj) {
            return Some(f);
        }
    }
    let has = |needle: &str| head.windows(needle.len()).any(|w| w == needle.as_bytes());
    // An audit log whose first line is another log's line (`kubectl logs`
    // interleaves them); its events may hold JSON-RPC requests.
    if has("\"msg\":\"audit_event\"") && has("\"audit_id\"") {
        return Some(Format::ToolhiveAudit);
    }
    if let Some(f) = super::mcp::detect_mcp(head) {
        return Some(match f {
            super::mcp::McpFormat::JsonRpcLog => Format::McpJsonRpc,
            super::mcp::McpFormat::Cassette => Format::McpCassette,
        });
    }
    // A document: its first key, then any telling key in the head.
    if let Some(key) = first_key(text) {
        if let Some(f) = by_first_key(&key) {
            return Some(f);
        }
    }
    if has("\"resourceSpans\"") || has("\"scopeSpans\"") {
        Some(Format::Otlp)
    } else if has("\"batches\"") || has("\"instrumentationLibrarySpans\"") {
        Some(Format::Tempo)
    } else if has("\"operationName\"") && has("\"traceID\"") {
        Some(Format::Jaeger)
    } else if has("\"interactions\"") {
        Some(Format::McpCassette)
    } else if has("\"decision_id\"") {
        Some(Format::DecisionLog)
    } else if has("\"jsonrpc\"") {
        Some(Format::McpJsonRpc)
    } else {
        None
    }
}

fn by_keys(obj: &Map<String, Value>) -> Option<Format> {
    if obj.contains_key("decision_id") && obj.contains_key("request") {
        Some(Format::DecisionLog)
    } else if obj.contains_key("resourceSpans") {
        Some(Format::Otlp)
    } else if obj.contains_key("batches") {
        Some(Format::Tempo)
    } else if obj.get("data").is_some_and(Value::is_array) {
        Some(Format::Jaeger)
    } else if obj.contains_key("interactions") {
        Some(Format::McpCassette)
    } else if super::toolhive::is_audit_event(obj) {
        Some(Format::ToolhiveAudit)
    } else if super::codex::is_codex_event(obj) {
        Some(Format::CodexExec)
    } else if super::claude_code::is_transcript_line(obj) {
        Some(Format::ClaudeCode)
    } else if obj.contains_key("jsonrpc") {
        Some(Format::McpJsonRpc)
    } else if obj.contains_key("ts") && obj.contains_key("agent") && obj.contains_key("action") {
        Some(Format::Native)
    } else {
        None
    }
}

fn by_first_key(key: &str) -> Option<Format> {
    match key {
        "resourceSpans" => Some(Format::Otlp),
        "batches" => Some(Format::Tempo),
        "data" => Some(Format::Jaeger),
        "interactions" => Some(Format::McpCassette),
        "decision_id" => Some(Format::DecisionLog),
        "jsonrpc" => Some(Format::McpJsonRpc),
        _ => None,
    }
}

/// The first key of the object `text` starts with (no escapes handled:
/// the keys that matter have none).
fn first_key(text: &[u8]) -> Option<String> {
    let rest = text.strip_prefix(b"{")?;
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = rest[start..].strip_prefix(b"\"")?;
    let end = rest.iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&rest[..end]).ok().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_its_first_bytes() {
        let cases: [(&str, Option<Format>); 9] = [
            (
                r#"{"ts":"2026-01-01T00:00:00Z","agent":"a","action":"b","outcome":"executed"}"#,
                Some(Format::Native),
            ),
            (
                r#"{"decision_id":"1","request":{}}"#,
                Some(Format::DecisionLog),
            ),
            (
                "{\"resourceSpans\":[]}\n{\"resourceSpans\":[]}",
                Some(Format::Otlp),
            ),
            ("{\n  \"resourceSpans\": [\n", Some(Format::Otlp)),
            ("{\"batches\":[{\"resource\"", Some(Format::Tempo)),
            ("  {\n\"data\": [ {\"traceID\"", Some(Format::Jaeger)),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#,
                Some(Format::McpJsonRpc),
            ),
            (
                "{\n \"version\": \"1.0\", \"interactions\": [",
                Some(Format::McpCassette),
            ),
            ("hello, world", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect(text.as_bytes()), want, "{text}");
        }
        assert_eq!(Format::from_name("decision-log"), Some(Format::DecisionLog));
        assert!(Format::names().contains("mcp-cassette"));
    }
}
