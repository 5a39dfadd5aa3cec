//! OTLP/JSON (`TracesData`: one document, or JSON Lines of them), Grafana
//! Tempo's legacy export (`batches`, `instrumentationLibrarySpans`, string
//! enums) and, through the same driver, Jaeger JSON (see [`super::jaeger`]).
//!
//! The top-level array (`resourceSpans`, `batches` or `data`) is visited
//! one element at a time (a `DeserializeSeed`), so only one batch or trace
//! is in memory; each element is read as raw JSON first and each span
//! parsed on its own, so a bad span or batch is reported at its JSON path
//! and the rest is still read. Nanosecond times are read as integers
//! (numbers or decimal strings), never through `f64`.

use super::format::Format;
use super::item::{IngestCounts, Location};
use super::sink::{IngestError, ItemError, Out, ReadOptions, Stop};
use super::span_ctx::{clean, element_error, Ctx, Nanos};
use super::spans::{Extractor, Span};
use crate::trace::TraceLines;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};
use std::fmt;
use std::io::{BufRead, Read};
use std::sync::Arc;
use writ_base::counting::CountingReader;

/// Reads an OTLP, Tempo or Jaeger input (JSON Lines of documents, or
/// documents one after the other) into `sink`.
pub(crate) fn read_spans<R: BufRead>(
    mut input: R,
    format: Format,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Out<'_>) -> Result<(), Stop>,
) -> Result<IngestCounts, IngestError> {
    let mut ext = Extractor::new(&opts.user_attributes);
    let (whole, first) = probe_first_line(&mut input)?;
    let input = std::io::Cursor::new(first).chain(input);
    let bytes = if whole {
        let mut lines = TraceLines::new(input);
        let mut buf = String::new();
        while let Some(n) = lines.next_line(&mut buf)? {
            let read = lines.bytes_read();
            let mut ctx = Ctx {
                format,
                line: Some(n),
                pos: None,
                ext: &mut ext,
                sink: &mut *sink,
                bytes: read,
                stopped: false,
                cut_note: None,
            };
            let r = match format {
                Format::Jaeger => Ok(false),
                _ => fast_line(&mut ctx, &buf),
            };
            let r = match r {
                Ok(true) => Ok(()),
                Ok(false) if !ctx.stopped => {
                    let mut de = serde_json::Deserializer::from_str(&buf);
                    DocSeed(&mut ctx)
                        .deserialize(&mut de)
                        .and_then(|()| de.end())
                }
                Ok(false) => Ok(()),
                Err(e) => Err(e),
            };
            if ctx.stopped {
                return Err(IngestError::Stopped);
            }
            if let Err(e) = r {
                let err = ItemError {
                    location: Location {
                        line: Some(n),
                        path: None,
                    },
                    column: Some(e.column().max(1)),
                    message: clean(&e),
                };
                ext.bad_input(err, read, sink)
                    .map_err(|Stop| IngestError::Stopped)?;
            }
        }
        lines.bytes_read()
    } else {
        let counting = CountingReader::new(input);
        let pos = counting.position();
        let mut de = serde_json::Deserializer::from_reader(counting);
        loop {
            let mut ctx = Ctx {
                format,
                line: None,
                pos: Some(pos.clone()),
                ext: &mut ext,
                sink: &mut *sink,
                bytes: 0,
                stopped: false,
                cut_note: None,
            };
            let r = DocSeed(&mut ctx).deserialize(&mut de);
            if ctx.stopped {
                return Err(IngestError::Stopped);
            }
            if let Err(e) = r {
                if e.is_io() {
                    return Err(IngestError::Io(std::io::Error::other(e)));
                }
                let err = ItemError {
                    location: Location {
                        line: Some(e.line().max(1)),
                        path: None,
                    },
                    column: Some(e.column().max(1)),
                    message: match ctx.cut_note.take() {
                        Some(note) => format!(
                            "{} (the document is cut short or not valid JSON here; {note})",
                            clean(&e)
                        ),
                        None => format!(
                            "{} (the document is cut short or not valid JSON here; the spans of the elements before this point were read)",
                            clean(&e)
                        ),
                    },
                };
                ext.bad_input(err, pos.bytes.get(), sink)
                    .map_err(|Stop| IngestError::Stopped)?;
                break;
            }
            if de.end().is_ok() {
                break;
            }
        }
        pos.bytes.get()
    };
    ext.finish(bytes, sink)
        .map_err(|Stop| IngestError::Stopped)?;
    Ok(ext.counts)
}

/// The longest first line read as one JSON Lines document; a longer one
/// is read as a streamed document instead.
pub const LINE_PROBE: usize = 16 << 20;

/// Reads the first non-blank line (up to [`LINE_PROBE`] bytes) and says
/// whether it is a whole JSON value (the input is then JSON Lines); the
/// bytes read are returned to be read again.
fn probe_first_line<R: BufRead>(input: &mut R) -> std::io::Result<(bool, Vec<u8>)> {
    let mut first = Vec::new();
    loop {
        let start = first.len();
        let room = (LINE_PROBE - start.min(LINE_PROBE)) as u64;
        let n = (&mut *input).take(room).read_until(b'\n', &mut first)?;
        let line = &first[start..];
        if n == 0 || !line.iter().all(u8::is_ascii_whitespace) || first.len() >= LINE_PROBE {
            let ended = line.ends_with(b"\n") || (n > 0 && input.fill_buf()?.is_empty());
            let whole = ended && serde_json::from_slice::<IgnoredAny>(line).is_ok();
            return Ok((whole, first));
        }
    }
}

/// The top-level object: its span array is visited element by element.
struct DocSeed<'a, 'c>(&'a mut Ctx<'c>);

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (an OTLP TracesData, a Tempo export or a Jaeger export)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let wanted = match self.0.format {
                Format::Jaeger => key == "data",
                _ => key == "resourceSpans" || key == "batches",
            };
            if wanted {
                map.next_value_seed(ArraySeed {
                    ctx: &mut *self.0,
                    key,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct ArraySeed<'a, 'c> {
    ctx: &'a mut Ctx<'c>,
    key: String,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array under `{}`", self.key)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let path = format!("$.{}[{i}]", self.key);
            if self.ctx.format == Format::Jaeger {
                let seed = super::jaeger::TraceSeed {
                    ctx: &mut *self.ctx,
                    path,
                };
                if seq.next_element_seed(seed)?.is_none() {
                    break;
                }
            } else {
                let Some(raw) = seq.next_element::<Box<RawValue>>()? else {
                    break;
                };
                batch(self.ctx, raw.get(), &path)?;
            }
            i += 1;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBatch<'a> {
    #[serde(default)]
    resource: Option<RawResource>,
    #[serde(default, borrow)]
    scope_spans: Option<Vec<RawScope<'a>>>,
    #[serde(default, borrow)]
    instrumentation_library_spans: Option<Vec<RawScope<'a>>>,
}

#[derive(Deserialize)]
struct RawResource {
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct RawScope<'a> {
    #[serde(default, borrow)]
    spans: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    #[serde(default)]
    trace_id: String,
    #[serde(default)]
    span_id: String,
    #[serde(default)]
    parent_span_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    start_time_unix_nano: Option<Nanos>,
    #[serde(default)]
    attributes: Vec<KeyValue>,
    #[serde(default)]
    status: Option<Status>,
}

impl OtlpSpan {
    fn into_span(self, resource: &Arc<Map<String, Value>>, location: Location) -> Span {
        Span {
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_id: (!self.parent_span_id.is_empty()).then_some(self.parent_span_id),
            name: self.name,
            start_ns: self.start_time_unix_nano.map(|n| n.0),
            attrs: self
                .attributes
                .into_iter()
                .map(|kv| (kv.key, kv.value))
                .collect(),
            error: self.status.is_some_and(|s| s.code.0),
            resource: resource.clone(),
            location,
        }
    }
}

/// A JSON Lines line of OTLP or Tempo read in one pass, when every span in
/// it is well formed (otherwise the line is read again span by span, so
/// the bad spans are located and the others kept).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FastDoc {
    #[serde(default)]
    resource_spans: Option<Vec<FastBatch>>,
    #[serde(default)]
    batches: Option<Vec<FastBatch>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FastBatch {
    #[serde(default)]
    resource: Option<RawResource>,
    #[serde(default)]
    scope_spans: Option<Vec<FastScope>>,
    #[serde(default)]
    instrumentation_library_spans: Option<Vec<FastScope>>,
}

#[derive(Deserialize)]
struct FastScope {
    #[serde(default)]
    spans: Vec<OtlpSpan>,
}

/// A batch's resource attributes as a map shared by its spans.
fn resource_attributes(resource: Option<RawResource>) -> Arc<Map<String, Value>> {
    Arc::new(
        resource
            .map(|r| {
                r.attributes
                    .into_iter()
                    .map(|kv| (kv.key, kv.value))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// A batch's span groups with their JSON key: `scopeSpans` (OTLP) and
/// `instrumentationLibrarySpans` (Tempo's legacy export).
fn scope_lists<T>(
    scope: Option<Vec<T>>,
    legacy: Option<Vec<T>>,
) -> [(&'static str, Option<Vec<T>>); 2] {
    [
        ("scopeSpans", scope),
        ("instrumentationLibrarySpans", legacy),
    ]
}

/// Reads a whole JSON Lines line of OTLP or Tempo in one pass; `false`
/// when it needs the span-by-span reading.
fn fast_line(ctx: &mut Ctx<'_>, line: &str) -> Result<bool, serde_json::Error> {
    let Ok(doc) = serde_json::from_str::<FastDoc>(line) else {
        return Ok(false);
    };
    let lists = [
        ("resourceSpans", doc.resource_spans),
        ("batches", doc.batches),
    ];
    for (key, batches) in lists {
        for (i, b) in batches.into_iter().flatten().enumerate() {
            let resource = resource_attributes(b.resource);
            for (name, scopes) in scope_lists(b.scope_spans, b.instrumentation_library_spans) {
                for (j, scope) in scopes.into_iter().flatten().enumerate() {
                    for (k, span) in scope.spans.into_iter().enumerate() {
                        let location = Location {
                            line: ctx.line,
                            path: Some(format!("$.{key}[{i}].{name}[{j}].spans[{k}]")),
                        };
                        ctx.emit_span::<serde_json::Error>(span.into_span(&resource, location))?;
                    }
                }
            }
        }
    }
    Ok(true)
}

fn batch<E: de::Error>(ctx: &mut Ctx<'_>, raw: &str, path: &str) -> Result<(), E> {
    let b: RawBatch<'_> = match serde_json::from_str(raw) {
        Ok(b) => b,
        Err(e) => return element_error(ctx, raw, path, &e),
    };
    let mut cursor = ctx.cursor(raw);
    let resource = resource_attributes(b.resource);
    for (name, scopes) in scope_lists(b.scope_spans, b.instrumentation_library_spans) {
        for (j, scope) in scopes.into_iter().flatten().enumerate() {
            for (k, s) in scope.spans.into_iter().enumerate() {
                let span_path = format!("{path}.{name}[{j}].spans[{k}]");
                let location = ctx.location(&mut cursor, raw, s.get(), span_path);
                match serde_json::from_str::<OtlpSpan>(s.get()) {
                    Ok(span) => ctx.emit_span(span.into_span(&resource, location))?,
                    Err(e) => {
                        let err = ItemError {
                            location,
                            column: None,
                            message: format!(
                                "{} (at column {} of the span)",
                                clean(&e),
                                e.column()
                            ),
                        };
                        ctx.emit_error(err, true)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// A span status; only whether it is an error matters.
#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    code: StatusCode,
}

#[derive(Default)]
struct StatusCode(bool);

impl<'de> Deserialize<'de> for StatusCode {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StatusCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status code (0, 1, 2 or STATUS_CODE_*)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusCode, E> {
                Ok(StatusCode(v == 2))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusCode, E> {
                Ok(StatusCode(v == 2))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusCode, E> {
                Ok(StatusCode(matches!(
                    v,
                    "STATUS_CODE_ERROR" | "ERROR" | "Error"
                )))
            }
            fn visit_unit<E: de::Error>(self) -> Result<StatusCode, E> {
                Ok(StatusCode(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// An OTLP attribute: `{"key": K, "value": AnyValue}`.
pub(crate) struct KeyValue {
    pub key: String,
    pub value: Value,
}

impl<'de> Deserialize<'de> for KeyValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute {\"key\": ..., \"value\": {...}}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyValue, A::Error> {
                let mut key: Option<String> = None;
                let mut value = Value::Null;
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match k.as_ref() {
                        "key" => key = Some(map.next_value()?),
                        "value" => {
                            value = map
                                .next_value::<AnyValue>()
                                .map_err(|e| {
                                    de::Error::custom(match &key {
                                        Some(k) => format!("attribute `{k}`: {e}"),
                                        None => format!("attribute value: {e}"),
                                    })
                                })?
                                .0
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let key = key.ok_or_else(|| de::Error::missing_field("key"))?;
                Ok(KeyValue { key, value })
            }
        }
        d.deserialize_map(V)
    }
}

/// An OTLP `AnyValue` as plain JSON.
struct AnyValue(Value);

/// An integer attribute: a number or a decimal string.
struct IntValue(i64);

impl<'de> Deserialize<'de> for IntValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer (a number or a decimal string)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntValue, E> {
                Ok(IntValue(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntValue, E> {
                i64::try_from(v)
                    .map(IntValue)
                    .map_err(|_| E::custom(format!("{v} is out of the 64-bit integer range")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntValue, E> {
                v.trim()
                    .parse::<i64>()
                    .map(IntValue)
                    .map_err(|_| E::custom(format!("`{v}` is not a decimal integer")))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct ArrayValue {
    #[serde(default)]
    values: Vec<AnyValue>,
}

#[derive(Deserialize)]
struct KvList {
    #[serde(default)]
    values: Vec<KeyValue>,
}

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an OTLP AnyValue ({\"stringValue\": ...}, {\"intValue\": ...}, ...)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValue, A::Error> {
                let mut out = Value::Null;
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    out = match k.as_ref() {
                        "stringValue" | "bytesValue" => Value::String(map.next_value()?),
                        "boolValue" => Value::Bool(map.next_value()?),
                        "intValue" => Value::Number(map.next_value::<IntValue>()?.0.into()),
                        "doubleValue" => {
                            let v: Value = map.next_value()?;
                            match v {
                                Value::Number(n) => Value::Number(n),
                                Value::String(s) => s
                                    .parse::<f64>()
                                    .ok()
                                    .and_then(Number::from_f64)
                                    .map_or(Value::String(s), Value::Number),
                                other => {
                                    return Err(de::Error::custom(format!(
                                        "doubleValue must be a number, found {other}"
                                    )))
                                }
                            }
                        }
                        "arrayValue" => Value::Array(
                            map.next_value::<ArrayValue>()?
                                .values
                                .into_iter()
                                .map(|v| v.0)
                                .collect(),
                        ),
                        "kvlistValue" => Value::Object(
                            map.next_value::<KvList>()?
                                .values
                                .into_iter()
                                .map(|kv| (kv.key, kv.value))
                                .collect(),
                        ),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                }
                Ok(AnyValue(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_values_and_times_read_exactly() {
        let kv: KeyValue =
            serde_json::from_str(r#"{"key":"n","value":{"intValue":"9007199254740993"}}"#)
                .expect("int");
        assert_eq!(kv.value, serde_json::json!(9007199254740993i64));
        let err = serde_json::from_str::<KeyValue>(r#"{"key":"n","value":{"intValue":true}}"#)
            .err()
            .expect("a bool is not an int");
        assert!(err.to_string().contains("attribute `n`"), "{err}");
        let n: Nanos = serde_json::from_str("1777555053780274700").expect("u64");
        assert_eq!(n.0, 1_777_555_053_780_274_700);
        let n: Nanos = serde_json::from_str("\"9007199254740993\"").expect("string");
        assert_eq!(n.0, 9_007_199_254_740_993);
        assert!(serde_json::from_str::<Nanos>("1.5e18").is_err());
    }
}
