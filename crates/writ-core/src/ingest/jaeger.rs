//! Jaeger's JSON export: `{"data": [{"traceID", "spans": [{operationName,
//! tags: [{key, type, value}], references, startTime (µs), processID}],
//! "processes": {id: {serviceName, tags}}}]}`. Read by the OTLP driver,
//! one trace of `data` at a time, each visited as serde reads it
//! ([`TraceSeed`]); a process becomes the span's resource (`service.name` =
//! its `serviceName`).

use super::item::Location;
use super::sink::ItemError;
use super::span_ctx::{clean, Ctx, Nanos};
use super::spans::Span;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

#[derive(Deserialize)]
struct Process {
    #[serde(rename = "serviceName", default)]
    service_name: String,
    #[serde(default)]
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
struct Tag {
    key: String,
    #[serde(rename = "type", default)]
    ty: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "refType", default)]
    ref_type: String,
    #[serde(rename = "spanID", default)]
    span_id: String,
}

#[derive(Deserialize)]
struct JaegerSpan {
    #[serde(rename = "traceID", default)]
    trace_id: String,
    #[serde(rename = "spanID", default)]
    span_id: String,
    #[serde(rename = "operationName", default)]
    operation_name: String,
    #[serde(default)]
    references: Vec<Reference>,
    /// Microseconds since the epoch.
    #[serde(rename = "startTime", default)]
    start_time: Option<Nanos>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(rename = "processID", default)]
    process_id: Option<String>,
    #[serde(default)]
    process: Option<Process>,
}

/// A tag's value, checked against its declared type.
fn tag_value(tag: Tag) -> Result<(String, Value), String> {
    let ok = match (tag.ty.as_str(), &tag.value) {
        ("string" | "binary", Value::String(_)) => true,
        ("bool", Value::Bool(_)) => true,
        ("int64", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("float64", Value::Number(_)) => true,
        ("", _) => true,
        _ => false,
    };
    if ok {
        Ok((tag.key, tag.value))
    } else {
        Err(format!(
            "tag `{}` is declared `{}` but its value is {}",
            tag.key, tag.ty, tag.value
        ))
    }
}

fn resource_of(p: Process) -> Result<Map<String, Value>, String> {
    let mut m = Map::new();
    for t in p.tags {
        let (k, v) = tag_value(t)?;
        m.insert(k, v);
    }
    if !p.service_name.is_empty() {
        m.insert("service.name".into(), Value::String(p.service_name));
    }
    Ok(m)
}

/// Reads one element of `data` (a trace with its processes) as serde
/// visits it: its spans are kept as raw JSON until the trace's `processes`
/// (which Jaeger writes after them) are read, then each is parsed and
/// passed on. A document cut inside a trace (a truncated export) still
/// passes on every span read whole before the cut, and says so in
/// [`Ctx::cut_note`].
pub(crate) struct TraceSeed<'a, 'c> {
    /// Where the spans go.
    pub ctx: &'a mut Ctx<'c>,
    /// The trace's JSON path (`$.data[0]`).
    pub path: String,
}

/// A span read whole, and where.
struct RawSpan {
    text: Box<RawValue>,
    location: Location,
}

impl<'de> DeserializeSeed<'de> for TraceSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl TraceSeed<'_, '_> {
    /// Reports an element of `data` that is not a trace object.
    fn not_a_trace<E: de::Error>(self, found: &str) -> Result<(), E> {
        let err = ItemError {
            location: Location {
                line: self.ctx.current_line(),
                path: Some(self.path),
            },
            column: None,
            message: format!("expected a trace (an object with `spans`), found {found}"),
        };
        self.ctx.emit_error(err, false)
    }
}

impl<'de> Visitor<'de> for TraceSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Jaeger trace (an object with `spans` and `processes`)")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.not_a_trace("a boolean")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.not_a_trace("a number")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.not_a_trace("a number")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.not_a_trace("a number")
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.not_a_trace("a string")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_a_trace("null")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.not_a_trace("an array")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut spans: Vec<RawSpan> = Vec::new();
        let mut processes: Option<Box<RawValue>> = None;
        let outcome = (|| -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "spans" => map.next_value_seed(SpansSeed {
                        ctx: &*self.ctx,
                        path: &self.path,
                        out: &mut spans,
                    })?,
                    "processes" => processes = Some(map.next_value()?),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        })();
        let mut this = self;
        let processes = match processes {
            Some(raw) => this.processes(&raw)?,
            None => HashMap::new(),
        };
        if outcome.is_err() && !this.ctx.stopped {
            this.ctx.cut_note = Some(format!(
                "{} whole span(s) of the unfinished trace {} were read before this point and kept{}",
                spans.len(),
                this.path,
                if processes.is_empty() && !spans.is_empty() {
                    " (its `processes` were not reached: their service names are unknown)"
                } else {
                    ""
                }
            ));
        }
        if !this.ctx.stopped {
            this.spans(spans, &processes)?;
        }
        outcome
    }
}

/// The `spans` array of a trace: each span kept whole, as raw JSON, with
/// where it was read.
struct SpansSeed<'a, 'c> {
    ctx: &'a Ctx<'c>,
    path: &'a str,
    out: &'a mut Vec<RawSpan>,
}

impl<'de> DeserializeSeed<'de> for SpansSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SpansSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of spans under `spans`")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(text) = seq.next_element::<Box<RawValue>>()? {
            let location = Location {
                line: self.ctx.start_line(text.get()),
                path: Some(format!("{}.spans[{}]", self.path, self.out.len())),
            };
            self.out.push(RawSpan { text, location });
        }
        Ok(())
    }
}

impl TraceSeed<'_, '_> {
    /// The trace's processes as span resources; one that cannot be read is
    /// reported and left out.
    fn processes<E: de::Error>(
        &mut self,
        raw: &RawValue,
    ) -> Result<HashMap<String, Arc<Map<String, Value>>>, E> {
        let mut out = HashMap::new();
        let parsed: HashMap<String, Process> = match serde_json::from_str(raw.get()) {
            Ok(p) => p,
            Err(e) => {
                let err = ItemError {
                    location: Location {
                        line: self.ctx.start_line(raw.get()),
                        path: Some(format!("{}.processes", self.path)),
                    },
                    column: None,
                    message: clean(&e),
                };
                self.ctx.emit_error(err, false)?;
                return Ok(out);
            }
        };
        for (id, p) in parsed {
            match resource_of(p) {
                Ok(m) => {
                    out.insert(id, Arc::new(m));
                }
                Err(message) => {
                    let err = ItemError {
                        location: Location {
                            line: self.ctx.start_line(raw.get()),
                            path: Some(format!("{}.processes.{id}", self.path)),
                        },
                        column: None,
                        message,
                    };
                    self.ctx.emit_error(err, false)?;
                }
            }
        }
        Ok(out)
    }

    /// Parses each span kept and passes it on.
    fn spans<E: de::Error>(
        &mut self,
        spans: Vec<RawSpan>,
        processes: &HashMap<String, Arc<Map<String, Value>>>,
    ) -> Result<(), E> {
        let ctx = &mut *self.ctx;
        let empty = Arc::new(Map::new());
        for RawSpan { text: s, location } in spans {
            let fail = |message: String| ItemError {
                location: location.clone(),
                column: None,
                message,
            };
            let span: JaegerSpan = match serde_json::from_str(s.get()) {
                Ok(span) => span,
                Err(e) => {
                    let err = fail(format!(
                        "{} (at column {} of the span)",
                        clean(&e),
                        e.column()
                    ));
                    ctx.emit_error(err, true)?;
                    continue;
                }
            };
            let mut attrs = Map::new();
            let mut bad = None;
            for t in span.tags {
                match tag_value(t) {
                    Ok((k, v)) => {
                        attrs.insert(k, v);
                    }
                    Err(m) => {
                        bad = Some(m);
                        break;
                    }
                }
            }
            if let Some(m) = bad {
                ctx.emit_error(fail(m), true)?;
                continue;
            }
            let resource = match (span.process, span.process_id) {
                (Some(p), _) => match resource_of(p) {
                    Ok(m) => Arc::new(m),
                    Err(m) => {
                        ctx.emit_error(fail(m), true)?;
                        continue;
                    }
                },
                (None, Some(id)) => processes.get(&id).cloned().unwrap_or_else(|| empty.clone()),
                (None, None) => empty.clone(),
            };
            let parent = span
                .references
                .iter()
                .find(|r| r.ref_type == "CHILD_OF")
                .or(span.references.first())
                .map(|r| r.span_id.clone())
                .filter(|s| !s.is_empty());
            let error = attrs.get("error") == Some(&Value::Bool(true))
                || attrs.get("error").and_then(Value::as_str) == Some("true")
                || attrs.get("otel.status_code").and_then(Value::as_str) == Some("ERROR");
            let start_ns = match span.start_time.map(|us| us.0.checked_mul(1000)) {
                Some(Some(ns)) => Some(ns),
                Some(None) => {
                    ctx.emit_error(fail("`startTime` is out of range".into()), true)?;
                    continue;
                }
                None => None,
            };
            ctx.emit_span(Span {
                trace_id: span.trace_id,
                span_id: span.span_id,
                parent_id: parent,
                name: span.operation_name,
                start_ns,
                attrs,
                error,
                resource,
                location,
            })?;
        }
        Ok(())
    }
}
