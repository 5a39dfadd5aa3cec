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
