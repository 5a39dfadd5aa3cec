//! The driver for JSON Lines event logs (one JSON object per line, each an
//! event of the recording tool: ToolHive's audit log, ...): it reads the
//! lines, reports those that are not JSON at their line and column, and
//! hands each object to the format's [`EventReader`], which yields tool
//! calls (at once, or once a later line completes them) and skips the rest
//! by reason.

use super::item::{IngestCounts, Item, Location, ToolCall};
use super::json_value::kind;
use super::sink::{IngestError, ItemError, Out, Stop};
use crate::trace::TraceLines;
use serde_json::Value;
use std::io::BufRead;

/// A call ready to be passed on, or a located problem, with the line it
/// was found on.
type Ready = (usize, Result<ToolCall, (Location, String)>);

/// What an [`EventReader`] makes of its lines.
#[derive(Debug, Default)]
pub(crate) struct Events {
    /// Calls (or located problems) ready to be passed on, each with the
    /// line it is keyed by.
    ready: Vec<Ready>,
    /// The counts so far.
    pub counts: IngestCounts,
    /// Whether items are keyed by their line (one item per line) rather
    /// than numbered in the order they are passed on.
    by_line: bool,
    /// Items passed on so far.
    passed: u64,
}

impl Events {
    /// A tool call, keyed by `line`.
    pub fn call(&mut self, line: usize, call: ToolCall) {
        self.counts.actions += 1;
        self.ready.push((line, Ok(call)));
    }

    /// A problem with the item on `line` (counted as malformed).
    pub fn problem(&mut self, line: usize, message: String) {
        self.counts.skip("malformed");
        let location = Location {
            line: Some(line),
            path: None,
        };
        self.ready.push((line, Err((location, message))));
    }

    /// A line skipped for `reason`.
    pub fn skip(&mut self, reason: &str) {
        self.counts.skip(reason);
    }
}

/// A format of JSON Lines events.
pub(crate) trait EventReader {
    /// Reads the object on line `line`.
    fn event(&mut self, line: usize, event: serde_json::Map<String, Value>, out: &mut Events);
    /// The input ended: yields what was waiting for a later line.
    fn finish(&mut self, out: &mut Events);
}

/// Reads `input` as JSON Lines events with `reader` into `sink`; a line
/// that is not a JSON object is reported where it is. Items are keyed by
/// their line when `by_line` (one item per line), else numbered.
pub(crate) fn read_events<R: BufRead>(
    input: R,
    by_line: bool,
    reader: &mut dyn EventReader,
    sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
) -> Result<IngestCounts, IngestError> {
    let mut events = Events {
        by_line,
        ..Events::default()
    };
    let mut lines = TraceLines::new(input);
    let mut buf = String::new();
    while let Some(n) = lines.next_line(&mut buf)? {
        events.counts.read += 1;
        let text = buf.trim_start_matches('\u{feff}');
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(obj)) => reader.event(n, obj, &mut events),
            Ok(other) => {
                events.problem(
                    n,
                    format!(
                        "expected a JSON object (one event per line), found {}",
                        kind(&other)
                    ),
                );
            }
            Err(e) => {
                events.skip("malformed");
                let hint = if e.is_eof() {
                    " (the line is cut off: a truncated file?)"
                } else {
                    ""
                };
                let column = e.column().max(1);
                let message = format!("{}{hint}", super::sink::clean(&e));
                events.ready.push((
                    n,
                    Err((
                        Location {
                            line: Some(n),
                            path: None,
                        },
                        format!("column {column}: {message}"),
                    )),
                ));
            }
        }
        pass_on(&mut events, lines.bytes_read(), sink)?;
    }
    reader.finish(&mut events);
    pass_on(&mut events, lines.bytes_read(), sink)?;
    Ok(events.counts)
}

/// Hands what is ready to the sink.
fn pass_on(
    events: &mut Events,
    bytes: u64,
    sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
) -> Result<(), IngestError> {
    for (line, item) in events.ready.drain(..) {
        events.passed += 1;
        let key = if events.by_line {
            line as u64
        } else {
            events.passed
        };
        let item = match item {
            Ok(call) => Ok(Item::Call(Box::new(call))),
            Err((location, message)) => {
                // A leading `column N: ` is the column.
                let (column, message) = match message
                    .strip_prefix("column ")
                    .and_then(|rest| rest.split_once(": "))
                    .and_then(|(c, m)| c.parse::<usize>().ok().map(|c| (c, m.to_string())))
                {
                    Some((c, m)) => (Some(c), m),
                    None => (None, message),
                };
                Err(ItemError {
                    location,
                    column,
                    message,
                })
            }
        };
        sink(Out {
            key,
            item,
            text: None,
            bytes,
        })
        .map_err(|Stop| IngestError::Stopped)?;
    }
    Ok(())
}
