//! What the writer did ([`LogStats`], at the end) and the log's state while
//! it runs ([`LogHealth`], for health and metrics).

use super::config::{Durability, OnFailure};

/// What the writer did, returned by [`super::LogWorker::finish`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Decision lines written.
    pub lines: u64,
    /// Bytes written (lines with their newlines).
    pub bytes: u64,
    /// Files rotated.
    pub rotations: u64,
    /// Groups written (one `write` each, one `fdatasync` in sync mode).
    pub groups: u64,
    /// Calls to [`super::DecisionLog::record`] that found the channel full and
    /// waited for the writer (back-pressure; nothing was dropped).
    pub waited_full: u64,
    /// Decision lines that could not be written.
    pub lost: u64,
    /// Times the file was found deleted or replaced and reopened.
    pub reopened: u64,
}

/// The log's state for health and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHealth {
    /// Whether the last write succeeded.
    pub ok: bool,
    /// What is wrong, while it is.
    pub error: Option<String>,
    /// Lines that could not be written since start.
    pub lost: u64,
    /// Failed writes (groups) since start.
    pub failures: u64,
    /// Times the file was found deleted or replaced and reopened.
    pub reopened: u64,
    /// What is answered when a line cannot be written.
    pub on_failure: OnFailure,
    /// When a line counts as written.
    pub durability: Durability,
}
