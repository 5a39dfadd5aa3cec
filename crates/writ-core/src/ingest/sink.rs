//! What a format reader hands its caller ([`Out`]: an item or an
//! [`ItemError`], with its key and the bytes read), the caller's [`Stop`],
//! the options every reader takes, why a whole read fails
//! ([`IngestError`]). The streamed document readers count bytes and lines
//! with `writ_base::counting::CountingReader`.

use super::item::{Item, Location};

/// What a reader needs to know besides the bytes.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Extra span or resource attributes naming the user an agent acts
    /// for, tried after `enduser.id` and `user.id` (e.g. `kagent.user_id`).
    pub user_attributes: Vec<String>,
}

/// A serde_json error's message without its " at line L column C" tail.
pub(crate) fn clean(e: &serde_json::Error) -> String {
    let s = e.to_string();
    s.split(" at line ").next().unwrap_or_default().to_string()
}

/// Longest attribute key accepted (bytes).
pub const MAX_ATTRIBUTE_KEY_BYTES: usize = 256;

/// A checked attribute key naming the user (`--user-attribute`, the app's
/// import form): 1 to [`MAX_ATTRIBUTE_KEY_BYTES`] bytes of letters, digits
/// and `. _ - : /`, e.g. `kagent.user_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttributeKey(String);

/// Text that is not an attribute key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadAttributeKey {
    /// Empty.
    #[error("the attribute key is empty; give one such as kagent.user_id")]
    Empty,
    /// Too long.
    #[error("the attribute key is longer than {MAX_ATTRIBUTE_KEY_BYTES} bytes")]
    TooLong,
    /// Holds other characters.
    #[error(
        "`{}` is not an attribute key; use letters, digits and . _ - : / (e.g. kagent.user_id)",
        crate::display::quoted_input(.0)
    )]
    Characters(String),
}

impl std::str::FromStr for AttributeKey {
    type Err = BadAttributeKey;

    /// Reads a key; surrounding blanks are dropped.
    fn from_str(text: &str) -> Result<Self, BadAttributeKey> {
        let key = text.trim();
        if key.is_empty() {
            Err(BadAttributeKey::Empty)
        } else if key.len() > MAX_ATTRIBUTE_KEY_BYTES {
            Err(BadAttributeKey::TooLong)
        } else if key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/'))
        {
            Ok(AttributeKey(key.to_string()))
        } else {
            Err(BadAttributeKey::Characters(key.to_string()))
        }
    }
}

impl AttributeKey {
    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<AttributeKey> for String {
    fn from(k: AttributeKey) -> String {
        k.0
    }
}

/// An item that could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ItemError {
    /// Where: the line (JSON Lines, or the line a document's span ends on)
    /// and the JSON path within the line or document.
    pub location: Location,
    /// The column within the line, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.location.line, self.column, &self.location.path) {
            (Some(l), Some(c), Some(p)) => write!(f, "line {l}, column {c}, {p}: {}", self.message),
            (Some(l), Some(c), None) => write!(f, "line {l}, column {c}: {}", self.message),
            _ => write!(f, "{}: {}", self.location, self.message),
        }
    }
}

/// One thing a reader yields.
#[derive(Debug)]
pub struct Out<'a> {
    /// The item's key within the import: its line for formats with one
    /// item per line ([`Format::one_item_per_line`](super::format::Format::one_item_per_line)), otherwise its number
    /// in reading order (the n-th span or message read, from 1).
    pub key: u64,
    /// The item, or why it could not be read.
    pub item: Result<Item, ItemError>,
    /// For native traces: the line as written (stored verbatim).
    pub text: Option<&'a str>,
    /// Bytes of the input consumed so far (for progress).
    pub bytes: u64,
}

/// The sink asked the reader to stop (for example the user cancelled);
/// the sink keeps its own reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop;

/// Why a whole input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// No known format matched the first bytes.
    #[error("the trace format is not recognised: it is none of {formats}; if it is one of them, name it with --format")]
    Undetected {
        /// The format names.
        formats: String,
    },
    /// Reading the input failed.
    #[error("cannot read the trace: {0}")]
    Io(#[from] std::io::Error),
    /// The sink returned [`Stop`].
    #[error("the import was stopped")]
    Stopped,
}

#[cfg(test)]
mod attribute_key_tests {
    use super::*;

    #[test]
    fn attribute_keys_are_checked() {
        let k: AttributeKey = " kagent.user_id ".parse().expect("a key");
        assert_eq!(k.as_str(), "kagent.user_id");
        assert!("enduser/id:x-y".parse::<AttributeKey>().is_ok());
        assert_eq!("".parse::<AttributeKey>(), Err(BadAttributeKey::Empty));
        assert_eq!(
            "a".repeat(257).parse::<AttributeKey>(),
            Err(BadAttributeKey::TooLong)
        );
        for bad in ["user id", "a\nb", "x'); drop"] {
            assert!(
                matches!(
                    bad.parse::<AttributeKey>(),
                    Err(BadAttributeKey::Characters(_))
                ),
                "{bad}"
            );
        }
    }
}
