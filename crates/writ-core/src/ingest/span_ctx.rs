//! The context a streamed span document's element is read in (OTLP,
//! Tempo and Jaeger alike): where it is (a JSON Lines line, or the
//! counting reader's position), the span extractor and the caller's sink;
//! with the element-level error report and the nanosecond time both
//! formats share.

use super::format::Format;
use super::item::Location;
use super::sink::{ItemError, Out, Stop};
use super::spans::{Extractor, Span};
use serde::de::{self, Visitor};
use serde::Deserialize;
use std::fmt;
use std::rc::Rc;
use writ_base::counting::Position;

pub(crate) use super::sink::clean;

/// A position within an element's text and its line.
pub(crate) struct LineCursor {
    offset: usize,
    line: usize,
}

pub(crate) struct Ctx<'c> {
    pub format: Format,
    /// The line, in JSON Lines mode.
    pub line: Option<usize>,
    /// The reader's position, in document mode.
    pub pos: Option<Rc<Position>>,
    pub ext: &'c mut Extractor,
    pub sink: &'c mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
    /// Bytes read, in JSON Lines mode.
    pub bytes: u64,
    pub stopped: bool,
    /// What was kept of an element the input ended inside (a cut file),
    /// for the error that reports the cut.
    pub cut_note: Option<String>,
}

impl Ctx<'_> {
    pub(crate) fn bytes(&self) -> u64 {
        self.pos.as_ref().map_or(self.bytes, |p| p.bytes.get())
    }

    /// The line being read: the JSON Lines line, or in a document the
    /// reader's current line.
    pub(crate) fn current_line(&self) -> Option<usize> {
        match (&self.pos, self.line) {
            (_, Some(l)) => Some(l),
            (Some(p), None) => Some(p.line().max(1)),
            _ => None,
        }
    }

    /// The line where an element whose text is `raw` starts (document
    /// mode: the reader has just passed its end).
    pub(crate) fn start_line(&self, raw: &str) -> Option<usize> {
        match (&self.pos, self.line) {
            (_, Some(l)) => Some(l),
            (Some(p), None) => {
                let inside = raw.bytes().filter(|&b| b == b'\n').count();
                Some(p.line().saturating_sub(inside).max(1))
            }
            _ => None,
        }
    }

    /// Where `inner` (a slice of the element text `outer`) is: the line
    /// mode's line, or in a document the line found by counting newlines
    /// from `cursor` (spans are visited in order, so each byte is counted
    /// once).
    pub(crate) fn location(
        &self,
        cursor: &mut Option<LineCursor>,
        outer: &str,
        inner: &str,
        path: String,
    ) -> Location {
        let line = match (self.line, cursor.as_mut()) {
            (Some(l), _) => Some(l),
            (None, Some(c)) => {
                let offset = (inner.as_ptr() as usize)
                    .saturating_sub(outer.as_ptr() as usize)
                    .min(outer.len());
                if offset > c.offset {
                    c.line += outer.as_bytes()[c.offset..offset]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count();
                    c.offset = offset;
                }
                Some(c.line)
            }
            _ => None,
        };
        Location {
            line,
            path: Some(path),
        }
    }

    /// A cursor at the start of the element `raw`.
    pub(crate) fn cursor(&self, raw: &str) -> Option<LineCursor> {
        self.start_line(raw)
            .map(|line| LineCursor { offset: 0, line })
    }

    pub(crate) fn emit_span<E: de::Error>(&mut self, span: Span) -> Result<(), E> {
        let bytes = self.bytes();
        self.ext
            .span(span, bytes, self.sink)
            .map_err(|Stop| self.stop())
    }

    pub(crate) fn emit_error<E: de::Error>(&mut self, err: ItemError, span: bool) -> Result<(), E> {
        let bytes = self.bytes();
        let r = if span {
            self.ext.bad_span(err, bytes, self.sink)
        } else {
            self.ext.bad_input(err, bytes, self.sink)
        };
        r.map_err(|Stop| self.stop())
    }

    fn stop<E: de::Error>(&mut self) -> E {
        self.stopped = true;
        E::custom("stopped")
    }
}

/// Nanoseconds since the epoch: an integer or a decimal string, never a
/// float (values above 2^53 stay exact).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Nanos(pub u64);

impl<'de> Deserialize<'de> for Nanos {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Nanos;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time as an unsigned integer (a number or a decimal string)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Nanos, E> {
                Ok(Nanos(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Nanos, E> {
                u64::try_from(v)
                    .map(Nanos)
                    .map_err(|_| E::custom(format!("a time cannot be negative ({v})")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Nanos, E> {
                Err(E::custom(format!(
                    "a time must be an integer, not the floating-point number {v}"
                )))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Nanos, E> {
                v.trim()
                    .parse::<u64>()
                    .map(Nanos)
                    .map_err(|_| E::custom(format!("`{v}` is not a time as a decimal integer")))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reports an element that could not be read.
pub(crate) fn element_error<E: de::Error>(
    ctx: &mut Ctx<'_>,
    raw: &str,
    path: &str,
    e: &serde_json::Error,
) -> Result<(), E> {
    let start = ctx.start_line(raw);
    let err = ItemError {
        location: Location {
            line: start.map(|s| s + e.line().saturating_sub(1)),
            path: Some(path.to_string()),
        },
        column: ctx.line.is_none().then(|| e.column().max(1)),
        message: clean(e),
    };
    ctx.emit_error(err, false)
}
