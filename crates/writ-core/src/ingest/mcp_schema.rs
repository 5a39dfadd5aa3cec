//! Cedar schema fragments from MCP tool catalogs (`tools/list` results):
//! one action per tool, the tool's `inputSchema` typed in the action's
//! context (under `input`, as Bedrock AgentCore and Cedar's own generator
//! do, or flat with [`SchemaOptions::flat`]).
//!
//! # Entry points
//! - [`tools_from_text`]`(text)`: the tool list in a `tools/list` result
//!   (`{"tools": [...]}`), a JSON-RPC response holding one
//!   (`{"result": {"tools": [...]}}`), a recorded session (an mcp-recorder
//!   cassette, or a JSON-RPC JSON Lines log: every `tools/list` response,
//!   pages merged, later duplicates dropped), or a bare array of tools.
//! - [`schema_from_tools`]`(tools, options)` → [`GeneratedSchema`]: the
//!   cedarschema text (checked by parsing it with `cedar-policy`) and notes
//!   on what could not be typed.
//!
//! # Type mapping (JSON Schema → Cedar)
//! `string` → `String` (also with `enum` or `format`), `integer` → `Long`,
//! `boolean` → `Bool`, `array` with `items` → `Set<T>`, `object` with
//! `properties` → a record, required properties plain and the others
//! optional (`name?: T`), a type list with `null` → its other type,
//! `anyOf`/`oneOf` whose branches agree → that type, `const` → its value's
//! type, local `$ref`s (`#/$defs/…`, `#/definitions/…`) followed.
//! `number` → Cedar has no floating point: by default `decimal` (what
//! AgentCore does; it holds 4 fractional digits and ±922337203685477, so a
//! recorded value with more digits cannot be represented and is reported
//! per record when mapped with `numbers = "decimal"`), or `String`, or
//! skipped ([`NumberTreatment`]). Skipped, each with a note: objects
//! without `properties` (Cedar records are closed), arrays without `items`
//! or of mixed types, `null`, unresolvable `$ref`s, disagreeing
//! `anyOf`/`oneOf`, nesting deeper than 32. Attribute names that are not
//! Cedar identifiers are quoted.
//!
//! # Why not `cedar-policy-mcp-schema-generator`
//! The crate (0.7.0, cedar-policy/cedar-for-agents) pins
//! `cedar-policy-core = "=4.14.0"` while Writ uses `cedar-policy` 4.14.1,
//! which pins `cedar-policy-core = "=4.14.1"`: Cargo cannot put both in one
//! build (checked with `cargo generate-lockfile`: "failed to select a
//! version for `cedar-policy-core`"); it also needs Rust 1.90 where Writ
//! promises 1.89. The mapping here follows the same shape (one action per
//! tool, inputs typed in context) and can be replaced when the versions
//! line up.

use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// How JSON Schema `number` (non-integer) properties are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumberTreatment {
    /// Cedar `decimal` (4 fractional digits).
    #[default]
    Decimal,
    /// `String`.
    String,
    /// Left out, with a note.
    Skip,
}

impl NumberTreatment {
    /// Parses `decimal`, `string` or `skip`.
    pub fn parse(s: &str) -> Option<NumberTreatment> {
        match s {
            "decimal" => Some(NumberTreatment::Decimal),
            "string" => Some(NumberTreatment::String),
            "skip" => Some(NumberTreatment::Skip),
            _ => None,
        }
    }
}

/// Choices for the generated schema.
#[derive(Debug, Clone)]
pub struct SchemaOptions {
    /// Wrap everything in this namespace.
    pub namespace: Option<String>,
    /// The principal entity type (declared, no attributes).
    pub principal_type: String,
    /// The resource entity type (declared, no attributes).
    pub resource_type: String,
    /// Put the inputs directly in context instead of under `input`.
    pub flat: bool,
    /// How `number` properties are typed.
    pub numbers: NumberTreatment,
    /// Named in the header comment (the input file).
    pub source: Option<String>,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        SchemaOptions {
            namespace: None,
            principal_type: "Agent".into(),
            resource_type: "Tool".into(),
            flat: false,
            numbers: NumberTreatment::Decimal,
            source: None,
        }
    }
}

/// The generated fragment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GeneratedSchema {
    /// The cedarschema text (parsed by Cedar before it is returned).
    pub text: String,
    /// Tools turned into actions.
    pub actions: usize,
    /// What could not be typed, and other remarks (`tool add: ...`).
    pub notes: Vec<String>,
}

/// Why no schema could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McpSchemaError {
    /// The input is not JSON (or JSON Lines).
    #[error("line {line}, column {column}: not JSON: {message}")]
    NotJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde's message.
        message: String,
    },
    /// No tool list was found.
    #[error("no MCP tool list found: expected a `tools/list` result (`{{\"tools\": [...]}}`), a JSON-RPC response holding one, or a recorded session with a `tools/list` response")]
    NoTools,
    /// An option is not a Cedar name.
    #[error("`{0}` is not a Cedar identifier (letters, digits, `_`; not starting with a digit; `::` between namespace parts)")]
    BadName(String),
    /// Cedar rejected the generated text (a bug: please report it).
    #[error("the generated schema does not parse ({0}); please report this with the tool list")]
    Invalid(String),
}

/// Finds the tools in a file's text (see the module documentation).
pub fn tools_from_text(text: &str) -> Result<Vec<Value>, McpSchemaError> {
    let mut tools = Vec::new();
    match serde_json::from_str::<Value>(text) {
        Ok(v) => collect_tools(&v, &mut tools),
        Err(whole) => {
            let claude_log = super::mcp_claude::detect(text.as_bytes());
            let mut any_line = false;
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                // A Claude Desktop log line: its message's JSON.
                let claude = super::mcp_claude::split_line(line)
                    .and_then(|l| super::mcp_claude::message_of(l.text))
                    .and_then(|(_, _, json)| super::mcp_claude::first_value(json).ok());
                if let Some(v) = claude {
                    any_line = true;
                    collect_tools(&v, &mut tools);
                    continue;
                }
                if claude_log {
                    // Its other lines: log messages, dumps, server output.
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(v) => {
                        any_line = true;
                        collect_tools(&v, &mut tools);
                    }
                    Err(e) if !any_line => {
                        let _ = e;
                        return Err(McpSchemaError::NotJson {
                            line: whole.line(),
                            column: whole.column(),
                            message: whole
                                .to_string()
                                .split(" at line ")
                                .next()
                                .unwrap_or_default()
                                .to_string(),
                        });
                    }
                    Err(e) => {
                        return Err(McpSchemaError::NotJson {
                            line: i + 1,
                            column: e.column(),
                            message: e
                                .to_string()
                                .split(" at line ")
                                .next()
                                .unwrap_or_default()
                                .to_string(),
                        })
                    }
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    tools.retain(|t| {
        t.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| seen.insert(n.to_string()))
    });
    if tools.is_empty() {
        return Err(McpSchemaError::NoTools);
    }
    Ok(tools)
}

fn is_tool_array(a: &[Value]) -> bool {
    !a.is_empty()
        && a.iter()
            .all(|t| t.get("name").is_some_and(Value::is_string))
}

fn collect_tools(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(a) if is_tool_array(a) => out.extend(a.iter().cloned()),
        Value::Array(a) => a.iter().for_each(|x| collect_tools(x, out)),
        Value::Object(o) => {
            if let Some(Value::Array(t)) = o.get("tools") {
                if is_tool_array(t) || t.is_empty() {
                    out.extend(t.iter().cloned());
                    return;
                }
            }
            // Where a response sits: a result, a cassette's interactions,
            // or any envelope the log importer unwraps (see `mcp`).
            for key in ["result", "response", "interactions"]
                .into_iter()
                .chain(super::mcp::MESSAGE_KEYS)
            {
                if let Some(x) = o.get(key) {
                    collect_tools(x, out);
                }
            }
        }
        // An envelope may hold the message as JSON text.
        Value::String(text) if text.trim_start().starts_with(['{', '[']) => {
            if let Ok(inner) = serde_json::from_str::<Value>(text) {
                collect_tools(&inner, out);
            }
        }
        _ => {}
    }
}

/// Whether `s` is a Cedar identifier.
pub fn is_ident(s: &str) -> bool {
    const RESERVED: [&str; 9] = [
        "true", "false", "if", "then", "else", "in", "is", "like", "has",
    ];
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&s)
        && !s.starts_with("__cedar")
}

fn check_path(s: &str) -> Result<(), McpSchemaError> {
    if s.split("::").all(is_ident) {
        Ok(())
    } else {
        Err(McpSchemaError::BadName(s.to_string()))
    }
}

fn quote(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn attr_name(s: &str) -> String {
    if is_ident(s) {
        s.to_string()
    } else {
        quote(s)
    }
}

const MAX_DEPTH: usize = 32;

struct Typer<'a> {
    root: &'a Value,
    numbers: NumberTreatment,
    notes: Vec<String>,
    tool: String,
}

impl Typer<'_> {
    fn note(&mut self, path: &str, what: &str) {
        self.notes
            .push(format!("tool `{}`: `{path}` left out: {what}", self.tool));
    }

    /// The Cedar type of a JSON Schema, or `None` (noted) when it has none.
    fn ty(&mut self, s: &Value, path: &str, depth: usize, indent: usize) -> Option<String> {
        if depth > MAX_DEPTH {
            self.note(path, "nested too deeply");
            return None;
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let target = r
                .strip_prefix("#/$defs/")
                .map(|n| ("$defs", n))
                .or_else(|| r.strip_prefix("#/definitions/").map(|n| ("definitions", n)))
                .and_then(|(k, n)| self.root.get(k).and_then(|d| d.get(n)));
            return match target {
                Some(t) => self.ty(t, path, depth + 1, indent),
                None => {
                    self.note(path, &format!("`$ref` {r} cannot be resolved"));
                    None
                }
            };
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = s.get(key) {
                let non_null: Vec<&Value> = branches
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                    .collect();
                let mut types = Vec::new();
                let before = self.notes.len();
                for b in &non_null {
                    types.push(self.ty(b, path, depth + 1, indent));
                }
                self.notes.truncate(before);
                let first = types.first().cloned().flatten();
                if first.is_some() && types.iter().all(|t| *t == first) {
                    return first;
                }
                self.note(path, &format!("its `{key}` branches have different types"));
                return None;
            }
        }
        if let Some(c) = s.get("const") {
            return match c {
                Value::String(_) => Some("String".into()),
                Value::Bool(_) => Some("Bool".into()),
                Value::Number(n) if n.is_i64() || n.is_u64() => Some("Long".into()),
                _ => {
                    self.note(path, "a `const` of a type Cedar cannot hold");
                    None
                }
            };
        }
        let ty: Option<String> = match s.get("type") {
            Some(Value::String(t)) => Some(t.clone()),
            Some(Value::Array(ts)) => {
                let named: Vec<&str> = ts
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null")
                    .collect();
                match named.as_slice() {
                    [one] => Some((*one).to_string()),
                    ["integer", "number"] | ["number", "integer"] => Some("number".into()),
                    _ => {
                        self.note(path, &format!("it may be any of {}", named.join(", ")));
                        return None;
                    }
                }
            }
            _ => {
                if s.get("properties").is_some() {
                    Some("object".into())
                } else if s.get("items").is_some() {
                    Some("array".into())
                } else if let Some(Value::Array(e)) = s.get("enum") {
                    if e.iter().all(Value::is_string) {
                        Some("string".into())
                    } else {
                        None
                    }
                } else {
                    None
                }
            }
        };
        match ty.as_deref() {
            Some("string") => Some("String".into()),
            Some("integer") => Some("Long".into()),
            Some("boolean") => Some("Bool".into()),
            Some("number") => match self.numbers {
                NumberTreatment::Decimal => Some("decimal".into()),
                NumberTreatment::String => Some("String".into()),
                NumberTreatment::Skip => {
                    self.note(path, "a non-integer number (Cedar has no floating point; use --numbers decimal or string to keep it)");
                    None
                }
            },
            Some("array") => match s.get("items") {
                Some(items @ Value::Object(_)) => {
                    let inner = self.ty(items, &format!("{path}[]"), depth + 1, indent)?;
                    Some(format!("Set<{inner}>"))
                }
                Some(Value::Array(_)) => {
                    self.note(
                        path,
                        "a tuple (`items` as a list): Cedar sets hold one type",
                    );
                    None
                }
                _ => {
                    self.note(
                        path,
                        "an array without `items`: Cedar sets need an element type",
                    );
                    None
                }
            },
            Some("object") => match s.get("properties").and_then(Value::as_object) {
                Some(props) => Some(self.record(s, props, path, depth + 1, indent)),
                None => {
                    self.note(
                        path,
                        "an object without `properties`: Cedar records are closed",
                    );
                    None
                }
            },
            Some("null") => {
                self.note(path, "type `null`");
                None
            }
            Some(other) => {
                self.note(path, &format!("unknown type `{other}`"));
                None
            }
            None => {
                self.note(path, "no `type`");
                None
            }
        }
    }

    fn record(
        &mut self,
        s: &Value,
        props: &Map<String, Value>,
        path: &str,
        depth: usize,
        indent: usize,
    ) -> String {
        let required: BTreeSet<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let pad = "  ".repeat(indent + 1);
        let mut fields = Vec::new();
        for (name, sub) in props {
            let p = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            if let Some(t) = self.ty(sub, &p, depth, indent + 1) {
                let opt = if required.contains(name.as_str()) {
                    ""
                } else {
                    "?"
                };
                fields.push(format!("{pad}{}{opt}: {t}", attr_name(name)));
            }
        }
        if fields.is_empty() {
            "{}".into()
        } else {
            format!("{{\n{},\n{}}}", fields.join(",\n"), "  ".repeat(indent))
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Builds the cedarschema fragment for `tools` (see the module docs).
pub fn schema_from_tools(
    tools: &[Value],
    opts: &SchemaOptions,
) -> Result<GeneratedSchema, McpSchemaError> {
    if let Some(ns) = &opts.namespace {
        check_path(ns)?;
    }
    check_path(&opts.principal_type)?;
    check_path(&opts.resource_type)?;
    let mut notes = Vec::new();
    let base = if opts.namespace.is_some() { 1 } else { 0 };
    let pad = "  ".repeat(base);
    let mut body = String::new();
    let mut declared = BTreeSet::new();
    for ty in [&opts.principal_type, &opts.resource_type] {
        if declared.insert(ty.clone()) {
            let _ = writeln!(body, "{pad}entity {ty};");
        }
    }
    let mut count = 0;
    for tool in tools {
        let Some(name) = tool.get("name").and_then(Value::as_str) else {
            continue;
        };
        count += 1;
        let _ = writeln!(body);
        if let Some(d) = tool.get("description").and_then(Value::as_str) {
            let d = one_line(d);
            if !d.is_empty() {
                let _ = writeln!(body, "{pad}// {d}");
            }
        }
        let mut typer = Typer {
            root: tool.get("inputSchema").unwrap_or(&Value::Null),
            numbers: opts.numbers,
            notes: Vec::new(),
            tool: name.to_string(),
        };
        let input = match tool.get("inputSchema") {
            Some(s @ Value::Object(_)) => match s.get("properties").and_then(Value::as_object) {
                Some(props) => typer.record(s, props, "", 0, base + if opts.flat { 1 } else { 2 }),
                None => "{}".into(),
            },
            _ => {
                typer.notes.push(format!(
                    "tool `{name}`: no `inputSchema`: its context is empty"
                ));
                "{}".into()
            }
        };
        notes.extend(typer.notes);
        let inner = "  ".repeat(base + 1);
        let context = if opts.flat {
            input
        } else {
            format!("{{\n{inner}  input: {input},\n{inner}}}")
        };
        let _ = writeln!(
            body,
            "{pad}action {} appliesTo {{\n{inner}principal: [{}],\n{inner}resource: [{}],\n{inner}context: {context}\n{pad}}};",
            quote(name),
            opts.principal_type,
            opts.resource_type
        );
    }
    if count == 0 {
        return Err(McpSchemaError::NoTools);
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "// Generated by `writ schema from-mcp`{}: one action per MCP tool,",
        opts.source
            .as_ref()
            .map(|s| format!(" from {}", one_line(s)))
            .unwrap_or_default()
    );
    let _ = writeln!(
        text,
        "// its arguments typed in {}. Review before use.",
        if opts.flat {
            "context"
        } else {
            "context.input"
        }
    );
    match &opts.namespace {
        Some(ns) => {
            let _ = write!(text, "namespace {ns} {{\n{body}}}\n");
        }
        None => text.push_str(&body),
    }
    let (_, warnings) = cedar_policy::Schema::from_cedarschema_str(&text)
        .map_err(|e| McpSchemaError::Invalid(e.to_string()))?;
    for w in warnings {
        notes.push(format!("Cedar: {w}"));
    }
    Ok(GeneratedSchema {
        text,
        actions: count,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tools_are_found_in_every_envelope_the_importer_reads() {
        let list = r#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"search","inputSchema":{"type":"object"}}]}}"#;
        let quoted = serde_json::to_string(list).expect("quote");
        let logs = [
            format!(r#"{{"seq":2,"t":1772359200.5,"dir":"s2c","msg":{list}}}"#),
            format!(r#"{{"ts":"2026-01-01T00:00:00Z","data":{list}}}"#),
            format!(r#"{{"ts":"2026-01-01T00:00:00Z","body":{quoted}}}"#),
            format!(r#"{{"timestamp":"2026-01-01T00:00:00Z","message":{quoted}}}"#),
        ];
        for log in logs {
            let text = format!("{log}\n{{\"type\":\"summary\"}}\n");
            let tools = tools_from_text(&text).unwrap_or_else(|e| panic!("{log}: {e}"));
            assert_eq!(tools.len(), 1, "{log}");
            assert_eq!(tools[0]["name"], "search");
        }
    }

    #[test]
    fn edge_cases_type_or_are_noted() {
        let tools = json!({"tools": [
            {"name": "create-issue", "description": "Create\nan issue", "inputSchema": {
                "type": "object",
                "required": ["title", "labels"],
                "properties": {
                    "title": {"type": "string"},
                    "labels": {"type": "array", "items": {"type": "string"}},
                    "assignees": {"type": "array", "items": {"type": "object", "properties": {"login": {"type": "string"}}, "required": ["login"]}},
                    "meta": {"type": "object", "properties": {"x-trace": {"type": "integer"}, "inner": {"type": "object", "properties": {"deep": {"type": "boolean"}}}}},
                    "priority": {"type": "string", "enum": ["low", "high"]},
                    "weight": {"type": "number"},
                    "free": {"type": "object"},
                    "anything": {},
                    "maybe": {"type": ["integer", "null"]},
                    "ref": {"$ref": "#/$defs/Point"},
                    "tuple": {"type": "array", "items": [{"type": "string"}]},
                    "in": {"type": "string"}
                },
                "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}}
            }},
            {"name": "ping"}
        ]});
        let t = tools_from_text(&tools.to_string()).expect("tools");
        let g = schema_from_tools(
            &t,
            &SchemaOptions {
                namespace: Some("Mcp".into()),
                ..Default::default()
            },
        )
        .expect("schema");
        let text = &g.text;
        assert!(text.contains("action \"create-issue\""), "{text}");
        assert!(text.contains("title: String"), "{text}");
        assert!(text.contains("labels: Set<String>"), "{text}");
        assert!(text.contains("assignees?: Set<{"), "{text}");
        assert!(text.contains("\"x-trace\"?: Long"), "{text}");
        assert!(text.contains("deep?: Bool"), "{text}");
        assert!(text.contains("priority?: String"), "{text}");
        assert!(text.contains("weight?: decimal"), "{text}");
        assert!(text.contains("maybe?: Long"), "{text}");
        assert!(text.contains("ref?: {"), "{text}");
        assert!(text.contains("\"in\"?: String"), "{text}");
        assert!(!text.contains("free"), "{text}");
        assert_eq!(g.actions, 2);
        for what in [
            "`free`",
            "`anything`",
            "`tuple`",
            "tool `ping`: no `inputSchema`",
        ] {
            assert!(
                g.notes.iter().any(|n| n.contains(what)),
                "{what}: {:?}",
                g.notes
            );
        }
        // Cedar accepts it (checked inside) and so does a second parse.
        let _ = cedar_policy::Schema::from_cedarschema_str(text).expect("parses");
    }

    #[test]
    fn numbers_can_be_strings_or_skipped_and_context_flat() {
        let t = tools_from_text(r#"{"result":{"tools":[{"name":"m","inputSchema":{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"integer"}},"required":["a","b"]}}]}}"#).expect("tools");
        let g = schema_from_tools(
            &t,
            &SchemaOptions {
                numbers: NumberTreatment::String,
                flat: true,
                ..Default::default()
            },
        )
        .expect("schema");
        assert!(g.text.contains("a: String"), "{}", g.text);
        let g = schema_from_tools(
            &t,
            &SchemaOptions {
                numbers: NumberTreatment::Skip,
                ..Default::default()
            },
        )
        .expect("schema");
        assert!(!g.text.contains("a:"), "{}", g.text);
        assert!(g.notes.iter().any(|n| n.contains("`a`")));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(tools_from_text(r#"{"x": 1}"#), Err(McpSchemaError::NoTools));
        assert!(matches!(
            tools_from_text("{\"tools\": [\n"),
            Err(McpSchemaError::NotJson { .. })
        ));
        let t = vec![json!({"name": "a"})];
        assert!(matches!(
            schema_from_tools(
                &t,
                &SchemaOptions {
                    namespace: Some("bad-ns".into()),
                    ..Default::default()
                }
            ),
            Err(McpSchemaError::BadName(_))
        ));
    }
}
