//! Where the parts of a JSON document sit in its text.
//!
//! `serde_json` says where a syntax error is, but once a document parsed it
//! forgets where each value came from. Entity and link files are arrays of
//! objects, and an error about the seventh entity must point at the seventh
//! entity, so this module walks the text once more and records the byte
//! range of every value (and every object key). It is only run on text that
//! `serde_json` already accepted, and gives `None` rather than panic on
//! anything it does not understand.

use crate::diagnostic::Span;

/// One JSON value and where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonNode {
    /// An object: its range and its members (decoded key, key range, value).
    Object(Span, Vec<(String, Span, JsonNode)>),
    /// An array: its range and its items.
    Array(Span, Vec<JsonNode>),
    /// A string, number, `true`, `false` or `null`.
    Scalar(Span),
}

impl JsonNode {
    /// The range of the whole value.
    pub fn span(&self) -> Span {
        match self {
            JsonNode::Object(s, _) | JsonNode::Array(s, _) | JsonNode::Scalar(s) => *s,
        }
    }

    /// The items of an array (empty for anything else).
    pub fn items(&self) -> &[JsonNode] {
        match self {
            JsonNode::Array(_, items) => items,
            _ => &[],
        }
    }

    /// The value of member `key` of an object.
    pub fn member(&self, key: &str) -> Option<&JsonNode> {
        self.member_entry(key).map(|(_, v)| v)
    }

    /// The key range and value of member `key` of an object.
    pub fn member_entry(&self, key: &str) -> Option<(Span, &JsonNode)> {
        match self {
            JsonNode::Object(_, members) => members
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, s, v)| (*s, v)),
            _ => None,
        }
    }
}

/// Locates every value of `text`, a complete JSON document.
pub fn locate(text: &str) -> Option<JsonNode> {
    let mut p = Scanner {
        bytes: text.as_bytes(),
        text,
        at: 0,
        depth: 0,
    };
    let node = p.value()?;
    p.skip_ws();
    (p.at == p.bytes.len()).then_some(node)
}

/// Deeper than this is refused (no stack overflow on hostile input).
const MAX_DEPTH: usize = 256;

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    depth: usize,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Option<JsonNode> {
        self.skip_ws();
        let start = self.at;
        match *self.bytes.get(self.at)? {
            b'{' => {
                self.enter()?;
                self.at += 1;
                let mut members = Vec::new();
                self.skip_ws();
                if self.bytes.get(self.at) == Some(&b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.skip_ws();
                        let key_start = self.at;
                        self.string()?;
                        let key_span = Span {
                            start: key_start,
                            end: self.at,
                        };
                        let key: String =
                            serde_json::from_str(&self.text[key_start..self.at]).ok()?;
                        self.skip_ws();
                        self.expect(b':')?;
                        let v = self.value()?;
                        members.push((key, key_span, v));
                        self.skip_ws();
                        match *self.bytes.get(self.at)? {
                            b',' => self.at += 1,
                            b'}' => {
                                self.at += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                Some(JsonNode::Object(self.span_from(start), members))
            }
            b'[' => {
                self.enter()?;
                self.at += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.bytes.get(self.at) == Some(&b']') {
                    self.at += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        self.skip_ws();
                        match *self.bytes.get(self.at)? {
                            b',' => self.at += 1,
                            b']' => {
                                self.at += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                Some(JsonNode::Array(self.span_from(start), items))
            }
            b'"' => {
                self.string()?;
                Some(JsonNode::Scalar(self.span_from(start)))
            }
            _ => {
                while let Some(b) = self.bytes.get(self.at) {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.at += 1;
                }
                (self.at > start).then(|| JsonNode::Scalar(self.span_from(start)))
            }
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&b)).then(|| self.at += 1)
    }

    /// Skips a string literal, escapes included.
    fn string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            match *self.bytes.get(self.at)? {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                _ => self.at += 1,
            }
        }
    }

    fn span_from(&self, start: usize) -> Span {
        Span {
            start,
            end: self.at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_and_members_are_located() {
        let text = "[\n {\"uid\": {\"type\": \"U\", \"id\": \"a\\\"b\"}, \"n\": 1},\n {\"k\\u0041\": [true, null]}\n]";
        let root = locate(text).expect("valid json");
        let items = root.items();
        assert_eq!(items.len(), 2);
        let first = &text[items[0].span().start..items[0].span().end];
        assert!(
            first.starts_with("{\"uid\"") && first.ends_with("1}"),
            "{first}"
        );
        let uid = items[0].member("uid").expect("uid");
        assert_eq!(
            &text[uid.span().start..uid.span().end],
            "{\"type\": \"U\", \"id\": \"a\\\"b\"}"
        );
        let (key, v) = items[1].member_entry("kA").expect("escaped key decoded");
        assert_eq!(&text[key.start..key.end], "\"k\\u0041\"");
        assert_eq!(v.items().len(), 2);
    }

    #[test]
    fn bad_or_trailing_text_is_none() {
        assert_eq!(locate("[1, 2"), None);
        assert_eq!(locate("{} x"), None);
        assert_eq!(locate(&"[".repeat(1000)), None);
        assert!(locate(" 12 ").is_some());
    }
}
