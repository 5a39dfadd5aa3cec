//! Reading a trace file of any [`Format`] as a stream of [`Item`]s: the
//! driver every importer (the store, the CLI, the app) goes through.
//!
//! JSON Lines inputs are read one line at a time. Single-document inputs
//! (OTLP, Tempo, Jaeger) are read through serde's streaming visitors, one
//! element of the `resourceSpans` / `batches` / `data` array at a time, so
//! memory does not grow with the file (see [`super::spans`] for the bounded
//! state kept to resolve parents).

use super::format::{detect, Format, DETECT_BYTES};
use super::item::{IngestCounts, Item, Location};
pub use super::sink::{IngestError, ItemError, Out, ReadOptions, Stop};
use crate::trace::{parse_record, TraceLines};
use std::io::BufRead;

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
        Format::McpJsonRpc | Format::McpCassette => {
            let kind = if format == Format::McpJsonRpc {
                super::mcp::McpFormat::JsonRpcLog
            } else {
                super::mcp::McpFormat::Cassette
            };
            let mut reader = super::mcp::read_mcp(kind, input);
            pass_calls(&mut reader, |r| r.bytes_read(), sink)?;
            reader.counts().clone()
        }
        Format::ClaudeMcpLog => {
            let mut reader = super::mcp_claude::ClaudeLog::new(input);
            pass_calls(&mut reader, |r| r.bytes_read(), sink)?;
            reader.counts().clone()
        }
        Format::ToolhiveAudit => super::events::read_events(
            input,
            format.one_item_per_line(),
            &mut super::toolhive::ToolhiveAudit,
            sink,
        )?,
        Format::ClaudeCode => super::events::read_events(
            input,
            format.one_item_per_line(),
            &mut super::claude_code::ClaudeCode::default(),
            sink,
        )?,
        Format::CodexExec => super::events::read_events(
            input,
            format.one_item_per_line(),
            &mut super::codex::CodexExec::default(),
            sink,
        )?,
    };
    Ok((format, counts))
}

/// Passes on the items of a reader of recorded calls (the MCP readers),
/// numbered in the order they are yielded, with the bytes it has read.
fn pass_calls<I>(
    reader: &mut I,
    bytes: impl Fn(&I) -> u64,
    sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
) -> Result<(), IngestError>
where
    I: Iterator<Item = Result<Item, (Location, String)>>,
{
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
            bytes: bytes(reader),
        })
        .map_err(|Stop| IngestError::Stopped)?;
    }
    Ok(())
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
