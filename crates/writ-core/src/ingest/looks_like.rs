//! What a trace file looks like when nothing in it could be read as the
//! format it was read as: the sentence an import that found nothing adds to
//! its error, so that the analyst learns what to do (name another format,
//! decompress, turn a document into JSON Lines) rather than only how many
//! items were malformed.

use serde_json::Value;

/// How many bytes [`looks_like`] wants (it copes with fewer).
pub const LOOKS_LIKE_BYTES: usize = 8 * 1024;

/// Longest excerpt of the file quoted in the description (characters).
const QUOTE_CHARS: usize = 80;

/// A sentence saying what the file starting with `head` looks like, and
/// what to do about it, or `None` when it looks like plain JSON Lines
/// (nothing more useful to say than the errors themselves).
pub fn looks_like(head: &[u8]) -> Option<String> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if head.iter().all(u8::is_ascii_whitespace) {
        return Some("the file is empty".into());
    }
    if let Some(kind) = compressed(head) {
        return Some(format!(
            "it is compressed ({kind}), not text: decompress it first and import the result"
        ));
    }
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // A multi-byte character cut at the end of the head is fine.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return Some("it is binary data, not UTF-8 text".into()),
    };
    if text.contains('\0') {
        return Some("it is binary data, not UTF-8 text".into());
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    if first.starts_with('[') && !whole_json(first) {
        return Some(
            "it is a JSON array spread over many lines, not JSON Lines (one object per line): \
             if it holds records, write one per line (`jq -c '.[]' FILE > FILE.jsonl`)"
                .into(),
        );
    }
    if first.starts_with('[') {
        return Some(
            "its lines are JSON arrays, not objects: if each array holds records, write one \
             record per line (`jq -c '.[]' FILE > FILE.jsonl`)"
                .into(),
        );
    }
    if first.starts_with('{') && !whole_json(first) {
        return Some(
            "it is one pretty-printed JSON document (an object over many lines), not JSON \
             Lines (one object per line): if it is a trace export, name its format \
             (--format otlp, tempo, jaeger or mcp-cassette); if it holds records, write one \
             per line (`jq -c . FILE`)"
                .into(),
        );
    }
    if let Some(brace) = first.find('{').filter(|&i| i > 0) {
        let prefix = first[..brace].trim_end();
        let prefixed = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter(|l| l.find('{').is_some_and(|i| i > 0))
            .count();
        return Some(format!(
            "its lines start with text before their JSON (`{}`, on {prefixed} line(s) of the \
             first {} bytes): a log with a prefix on each line, such as a Claude Desktop or \
             Claude Code MCP log (`<time> [server] [info] Message from client: {{...}}`); \
             read it with --format claude-mcp-log, or strip the prefixes",
            quote(prefix),
            text.len()
        ));
    }
    if first.starts_with('{') {
        let keys = serde_json::from_str::<serde_json::Map<String, Value>>(first)
            .map(|m| m.keys().take(8).cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        if keys.is_empty() {
            return None;
        }
        return Some(format!(
            "its first line is a JSON object with the keys {}: check that this is the format \
             it was read as (--format)",
            keys.iter()
                .map(|k| format!("`{}`", quote(k)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Some(format!(
        "it is text, not JSON (its first line: `{}`)",
        quote(first)
    ))
}

/// The compression a file starting with `head` uses, by its magic bytes.
fn compressed(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("zip")
    } else if head.starts_with(b"BZh") {
        Some("bzip2")
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else {
        None
    }
}

/// Whether `line` is one whole JSON value.
fn whole_json(line: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok()
}

/// `text` shortened to [`QUOTE_CHARS`] characters, with control characters
/// and backticks shown escaped, for quoting in a message.
fn quote(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(QUOTE_CHARS)
        .flat_map(|c| {
            if c.is_control() || c == '`' {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > QUOTE_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(head: &str, needle: &str) {
        let said = looks_like(head.as_bytes()).unwrap_or_default();
        assert!(said.contains(needle), "{head:?}: {said}");
    }

    #[test]
    fn each_shape_is_named_with_what_to_do() {
        says("", "empty");
        says("  \n\n", "empty");
        says(
            "{\n  \"resourceSpans\": [\n",
            "pretty-printed JSON document",
        );
        says("[\n {\"a\": 1},\n", "JSON array spread over many lines");
        says("[{\"a\":1}]\n[{\"a\":2}]\n", "lines are JSON arrays");
        says(
            "2025-01-15T10:23:45.123Z [github] [info] Message from client: {\"jsonrpc\":\"2.0\"}\n",
            "--format claude-mcp-log",
        );
        says(
            "2025-01-15T10:23:45.123Z [github] [info] Message from client: {\"x\":1}\n",
            "`2025-01-15T10:23:45.123Z [github] [info] Message from client:`",
        );
        says("{\"level\":\"info\",\"msg\":\"hi\"}\n", "`level`, `msg`");
        says(
            "hello, world\n",
            "text, not JSON (its first line: `hello, world`)",
        );
        assert!(looks_like(b"\x1f\x8b\x08\x00")
            .unwrap_or_default()
            .contains("gzip"));
        assert!(looks_like(b"\x00\x01\xff\xfe")
            .unwrap_or_default()
            .contains("binary"));
        // A multi-byte character cut by the head's end is still text.
        let cut = "caf\u{e9}".as_bytes();
        assert!(looks_like(&cut[..cut.len() - 1])
            .unwrap_or_default()
            .contains("text, not JSON"));
        // Hostile text is quoted shortened and escaped.
        let long = format!("{}`\u{1b}[2J {{", "x".repeat(100));
        let said = looks_like(long.as_bytes()).unwrap_or_default();
        assert!(!said.contains('\u{1b}') && said.contains('…'), "{said}");
    }
}
