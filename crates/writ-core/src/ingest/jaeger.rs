//! Jaeger's JSON export: `{"data": [{"traceID", "spans": [{operationName,
//! tags: [{key, type, value}], references, startTime (µs), processID}],
//! "processes": {id: {serviceName, tags}}}]}`. Read by the OTLP driver
//! (one trace of `data` at a time); a process becomes the span's resource
//! (`service.name` = its `serviceName`).

use super::sink::ItemError;
use super::span_ctx::{clean, element_error, Ctx, Nanos};
use super::spans::Span;
use serde::de;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Deserialize)]
struct RawTrace<'a> {
    #[serde(default, borrow)]
    spans: Vec<&'a RawValue>,
    #[serde(default)]
    processes: HashMap<String, Process>,
}

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

/// Reads one element of `data` (a trace with its processes).
pub(crate) fn trace<E: de::Error>(ctx: &mut Ctx<'_>, raw: &str, path: &str) -> Result<(), E> {
    let t: RawTrace<'_> = match serde_json::from_str(raw) {
        Ok(t) => t,
        Err(e) => return element_error(ctx, raw, path, &e),
    };
    let mut cursor = ctx.cursor(raw);
    let mut processes: HashMap<String, Arc<Map<String, Value>>> = HashMap::new();
    for (id, p) in t.processes {
        match resource_of(p) {
            Ok(m) => {
                processes.insert(id, Arc::new(m));
            }
            Err(message) => {
                let err = ItemError {
                    location: ctx.location(&mut None, raw, raw, format!("{path}.processes.{id}")),
                    column: None,
                    message,
                };
                ctx.emit_error(err, false)?;
            }
        }
    }
    let empty = Arc::new(Map::new());
    for (k, s) in t.spans.into_iter().enumerate() {
        let location = ctx.location(&mut cursor, raw, s.get(), format!("{path}.spans[{k}]"));
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
