//! Writ's native trace format: JSON Lines, one recorded agent action per
//! line (documented by `docs/trace.schema.json`).

use serde::{Deserialize, Serialize};
use serde_json::{value::RawValue, Map, Value};
use std::io::BufRead;

/// What happened to the action when it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum RecordedOutcome {
    /// The action ran.
    Executed,
    /// An enforcement point stopped it.
    Blocked,
    /// It ran and failed.
    Failed,
}

/// An authorization decision.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, ts_rs::TS,
)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Denied.
    Deny,
}

impl Decision {
    /// `allow` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

impl From<cedar_policy::Decision> for Decision {
    fn from(d: cedar_policy::Decision) -> Self {
        match d {
            cedar_policy::Decision::Allow => Decision::Allow,
            cedar_policy::Decision::Deny => Decision::Deny,
        }
    }
}

/// The resource an action touched.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ResourceRef {
    /// Entity type, e.g. `Repository`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Entity id.
    pub id: String,
}

/// One recorded agent action.
#[derive(Debug, Clone, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct TraceRecord {
    /// When it happened (RFC 3339).
    pub ts: String,
    /// Trace id of the recording system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// Span id of the recording system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    /// The acting agent: a SPIFFE ID, `oidc:<issuer>|<subject>`, an
    /// inventory id, or a Cedar entity uid such as `User::"alice"`.
    pub agent: String,
    /// The user the agent acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// Tool or API name (a Cedar action id), or an action uid.
    pub action: String,
    /// The resource; when absent, `Tool::"<action>"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef>,
    /// The tool's arguments as recorded (not part of the Cedar request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "unknown")]
    pub args: Option<Box<RawValue>>,
    /// The Cedar context.
    #[serde(default)]
    pub context: Map<String, Value>,
    /// What happened.
    pub outcome: RecordedOutcome,
    /// The decision an enforcement point made, when it was recorded by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_decision: Option<Decision>,
}

/// A line that is not a valid trace record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, ts_rs::TS)]
#[error("line {line}, column {column}: {message}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column of the problem within the line.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses one line of a native trace.
pub fn parse_record(line_no: usize, line: &str) -> Result<TraceRecord, LineError> {
    let record: TraceRecord = serde_json::from_str(line).map_err(|e| LineError {
        line: line_no,
        column: e.column().max(1),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string(),
    })?;
    if let Err(e) = parse_timestamp(&record.ts) {
        return Err(LineError {
            line: line_no,
            column: line.find("\"ts\"").map_or(1, |c| c + 1),
            message: format!("`ts` is not an RFC 3339 time: {e}"),
        });
    }
    if record.agent.is_empty() || record.action.is_empty() {
        return Err(LineError {
            line: line_no,
            column: 1,
            message: "`agent` and `action` must not be empty".into(),
        });
    }
    Ok(record)
}

/// Parses an RFC 3339 time.
pub fn parse_timestamp(ts: &str) -> Result<time::OffsetDateTime, time::error::Parse> {
    time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
}

/// The timestamp in the form Cedar's `datetime()` accepts
/// (`YYYY-MM-DDThh:mm:ss.sssZ`, UTC).
pub fn cedar_datetime(ts: &str) -> Option<String> {
    parse_timestamp(ts).ok().map(writ_base::time::utc_millis)
}

/// The name a recorded action is counted under in summaries and diffs: the
/// id of an action of the empty namespace written as a uid
/// (`Action::"read_ticket"` counts as `read_ticket`, as a bare id would);
/// any other name as written (a namespaced uid keeps its namespace).
pub fn tool_label(action: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if let Some(inner) = action
        .strip_prefix("Action::\"")
        .and_then(|r| r.strip_suffix('"'))
    {
        if !inner.contains(['\\', '"']) {
            return Cow::Borrowed(inner);
        }
        if let Some(uid) = crate::uid::parse_uid(action) {
            if uid.type_name().to_string() == "Action" {
                return Cow::Owned(uid.id().unescaped().to_string());
            }
        }
    }
    Cow::Borrowed(action)
}

/// Where replay gets its lines from: a file, or stored actions.
pub trait LineSource {
    /// Reads the next record's text into `buf` and returns its line number,
    /// or `None` at the end.
    fn next_line(&mut self, buf: &mut String) -> std::io::Result<Option<usize>>;
    /// How far the source has got, in bytes (for progress).
    fn bytes_read(&self) -> u64;
}

impl<R: BufRead> LineSource for TraceLines<R> {
    fn next_line(&mut self, buf: &mut String) -> std::io::Result<Option<usize>> {
        TraceLines::next_line(self, buf)
    }
    fn bytes_read(&self) -> u64 {
        TraceLines::bytes_read(self)
    }
}

/// Reads a native trace line by line, keeping line numbers and the bytes read.
pub struct TraceLines<R> {
    reader: R,
    line_no: usize,
    bytes: u64,
    raw: Vec<u8>,
}

impl<R: BufRead> TraceLines<R> {
    /// Wraps a reader.
    pub fn new(reader: R) -> Self {
        TraceLines {
            reader,
            line_no: 0,
            bytes: 0,
            raw: Vec::new(),
        }
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Reads the next non-blank line into `buf` and returns its number, or
    /// `None` at the end. A line longer than
    /// [`writ_base::lines::MAX_LINE_BYTES`] or not UTF-8 is an
    /// [`std::io::ErrorKind::InvalidData`] error naming the line.
    pub fn next_line(&mut self, buf: &mut String) -> std::io::Result<Option<usize>> {
        loop {
            buf.clear();
            self.raw.clear();
            let located = |line: usize, e: std::io::Error| {
                std::io::Error::new(e.kind(), format!("line {line}: {e}"))
            };
            let n = writ_base::lines::read_line_bounded(
                &mut self.reader,
                &mut self.raw,
                writ_base::lines::MAX_LINE_BYTES,
            )
            .map_err(|e| located(self.line_no + 1, e))?;
            if n == 0 {
                return Ok(None);
            }
            match std::str::from_utf8(&self.raw) {
                Ok(text) => buf.push_str(text),
                Err(e) => {
                    return Err(located(
                        self.line_no + 1,
                        std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                    ))
                }
            }
            self.bytes += n as u64;
            self.line_no += 1;
            let trimmed = buf.trim_end_matches(['\n', '\r']).len();
            buf.truncate(trimmed);
            if !buf.trim().is_empty() {
                return Ok(Some(self.line_no));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"ts":"2026-11-02T09:15:03+01:00","agent":"spiffe://a.example/x","action":"read","resource":{"type":"Ticket","id":"T-1"},"args":{"q":1},"context":{"n":1},"outcome":"executed","recorded_decision":"allow"}"#;

    #[test]
    fn parses_a_full_record() {
        let r = parse_record(1, LINE).expect("valid");
        assert_eq!(r.agent, "spiffe://a.example/x");
        assert_eq!(r.resource.expect("resource").id, "T-1");
        assert_eq!(r.recorded_decision, Some(Decision::Allow));
        assert_eq!(
            cedar_datetime(&r.ts).as_deref(),
            Some("2026-11-02T08:15:03.000Z")
        );
    }

    #[test]
    fn bad_lines_say_where_and_why() {
        let e = parse_record(
            7,
            r#"{"ts":"2026-11-02T09:15:03Z","action":"x","outcome":"executed"}"#,
        )
        .unwrap_err();
        assert_eq!(e.line, 7);
        assert!(e.message.contains("agent"), "{e}");
        let e = parse_record(8, &LINE.replace("executed", "exploded")).unwrap_err();
        assert!(e.message.contains("exploded"), "{e}");
        let e =
            parse_record(9, &LINE.replace("2026-11-02T09:15:03+01:00", "yesterday")).unwrap_err();
        assert!(e.message.contains("RFC 3339"), "{e}");
        let e = parse_record(10, &LINE.replace("\"args\"", "\"argz\"")).unwrap_err();
        assert!(e.message.contains("argz"), "{e}");
        assert!(parse_record(11, "{not json").is_err());
    }

    #[test]
    fn line_reader_counts_and_skips_blank_lines() {
        let text = "a\n\n  \nb\r\n";
        let mut lines = TraceLines::new(text.as_bytes());
        let mut buf = String::new();
        assert_eq!(lines.next_line(&mut buf).expect("io"), Some(1));
        assert_eq!(buf, "a");
        assert_eq!(lines.next_line(&mut buf).expect("io"), Some(4));
        assert_eq!(buf, "b");
        assert_eq!(lines.next_line(&mut buf).expect("io"), None);
        assert_eq!(lines.bytes_read(), text.len() as u64);
    }
}
