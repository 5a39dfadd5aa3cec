//! Reading a trace file of any [`Format`] as a stream of [`Item`]s: the
//! driver every importer (the store, the CLI, the app) goes through.
//!
//! JSON Lines inputs are read one line at a time. Single-document inputs
//! (OTLP, Tempo, Jaeger) are read through serde's streaming visitors, one
//! element of the `resourceSpans` / `batches` / `data` array at a time, so
//! memory does not grow with the file (see [`super::spans`] for the bounded
//! state kept to resolve parents).

use super::format::{detect, Format, DETECT_BYTES};
use super::{IngestCounts, Item, Location};
use crate::trace::{parse_record, TraceLines};
use std::cell::Cell;
use std::io::{BufRead, Read};
use std::rc::Rc;

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
    /// item per line ([`Format::one_item_per_line`]), otherwise its number
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

/// The format of `input`, detected from its first bytes without consuming
/// them (`input` should buffer at least [`DETECT_BYTES`] for best results).
pub fn detect_reader<R: BufRead>(input: &mut R) -> Result<Format, IngestError> {
    let head = input.fill_buf()?;
    detect(&head[..head.len().min(DETECT_BYTES)]).ok_or_else(|| IngestError::Undetected {
        formats: Format::names(),
    })
}

/// Reads `input` as `format` (`None`: detected), calling `sink` with each
/// item or item error; returns the format read and the counts.
pub fn read_items<R: BufRead>(
    mut input: R,
    format: Option<Format>,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
) -> Result<(Format, IngestCounts), IngestError> {
    let format = match format {
        Some(f) => f,
        None => detect_reader(&mut input)?,
    };
    let counts = match format {
        Format::Native | Format::DecisionLog => read_writ_lines(input, format, sink)?,
        Format::Otlp | Format::Tempo | Format::Jaeger => {
            super::otlp::read_spans(input, format, opts, sink)?
        }
        Format::McpJsonRpc => read_mcp(input, super::mcp::McpFormat::JsonRpcLog, sink)?,
        Format::McpCassette => read_mcp(input, super::mcp::McpFormat::Cassette, sink)?,
    };
    Ok((format, counts))
}

/// MCP recordings, through the MCP readers (`super::mcp`); items are
/// numbered in the order they are yielded.
fn read_mcp<R: BufRead>(
    input: R,
    format: super::mcp::McpFormat,
    sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
) -> Result<IngestCounts, IngestError> {
    let mut reader = super::mcp::read_mcp(format, input);
    let mut key = 0u64;
    while let Some(next) = reader.next() {
        key += 1;
        let item = next.map_err(|(location, message)| ItemError {
            location,
            column: None,
            message,
        });
        sink(Out {
            key,
            item,
            text: None,
            bytes: reader.bytes_read(),
        })
        .map_err(|Stop| IngestError::Stopped)?;
    }
    Ok(reader.counts().clone())
}

/// Native traces and decision logs: one record per line.
fn read_writ_lines<R: BufRead>(
    input: R,
    format: Format,
    sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
) -> Result<IngestCounts, IngestError> {
    let mut counts = IngestCounts::default();
    let mut lines = TraceLines::new(input);
    let mut buf = String::new();
    while let Some(n) = lines.next_line(&mut buf)? {
        counts.read += 1;
        let parsed = if format == Format::DecisionLog {
            crate::decision_log::parse_entry(n, &buf).and_then(|e| e.to_trace_record(n))
        } else {
            parse_record(n, &buf)
        };
        let item = match parsed {
            Ok(rec) => {
                counts.actions += 1;
                Ok(Item::Record(Box::new(rec)))
            }
            Err(e) => {
                counts.skip("malformed");
                Err(ItemError {
                    location: Location {
                        line: Some(e.line),
                        path: None,
                    },
                    column: Some(e.column),
                    message: e.message,
                })
            }
        };
        let out = Out {
            key: n as u64,
            item,
            text: (format == Format::Native).then_some(buf.as_str()),
            bytes: lines.bytes_read(),
        };
        sink(out).map_err(|Stop| IngestError::Stopped)?;
    }
    Ok(counts)
}

/// The position of a [`Counting`] reader, shared with whoever reports.
#[derive(Debug, Default)]
pub(crate) struct Position {
    /// Bytes handed out.
    pub bytes: Cell<u64>,
    /// Newlines handed out.
    pub newlines: Cell<u64>,
}

impl Position {
    /// The 1-based line of the next byte.
    pub fn line(&self) -> usize {
        self.newlines.get() as usize + 1
    }
}

/// A reader that counts the bytes and newlines it hands out.
pub(crate) struct Counting<R> {
    inner: R,
    pub pos: Rc<Position>,
}

impl<R> Counting<R> {
    pub fn new(inner: R) -> Self {
        Counting {
            inner,
            pos: Rc::new(Position::default()),
        }
    }

    fn note(&self, bytes: &[u8]) {
        self.pos
            .bytes
            .set(self.pos.bytes.get() + bytes.len() as u64);
        let nl = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        if nl > 0 {
            self.pos.newlines.set(self.pos.newlines.get() + nl);
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.note(&buf[..n]);
        Ok(n)
    }
}
