//! Mapping profiles: declarative TOML saying how a recorded tool call
//! ([`ToolCall`]) becomes a trace record, and so the Cedar request the
//! policies expect.
//!
//! # Entry points
//! - [`Profile::builtin`]`(name)` / [`Profile::builtins`]: the profiles
//!   embedded in the binary (`writ`, the default; `toolhive`; `agentcore`),
//!   with [`BUILTIN_NAMES`] and [`Profile::builtin_source`] for their text.
//! - [`Profile::load`]`(path)` / [`Profile::parse`]`(shown, text)`: a profile
//!   file; errors are [`ProfileError`]s located at file:line:column.
//! - [`Profile::resolve`]`(name_or_path)`: a built-in name, else a file.
//! - A `Profile` implements [`Mapping`]: `profile.to_record(&call)`.
//!
//! # The format (see `docs/mapping-profiles.md`)
//! ```toml
//! name = "example"
//! description = "what it is for"
//!
//! [principal]
//! from = ["agent", "attr.gen_ai.agent.id", "attr.service.name"]  # first found wins
//! type = "Client"      # optional: principal = Client::"<id>" (no inventory lookup)
//!
//! [user]
//! from = ["user", "attr.enduser.id"]
//!
//! [action]
//! from = "tool"
//! format = "{target}___{tool}"   # optional; {name} = a source or a [vars] entry
//! unless_contains = "___"        # optional: names already holding it are kept
//! type = "AgentCore::Action"     # optional: action = AgentCore::Action::"<id>"
//!
//! [resource]                     # optional; absent = Tool::"<action>"
//! type = "Tool"
//! id = "{tool}"
//!
//! [vars]
//! target = ["attr.mcp.server.name", "=default"]
//!
//! [context]
//! intent = "args.intent"         # one attribute from a source (or a list)
//! "arg_*" = "args.*"             # one attribute per argument
//! "claim_*" = "attr.jwt.claims.*" # one attribute per attribute under a prefix
//! input = "args"                 # all arguments as a record
//!
//! [constants]                    # fixed context attributes
//! environment = "prod"
//!
//! [identities]                   # recorded identity → inventory identity
//! "kagent-helm-agent" = "spiffe://acme.example/agents/helm"
//!
//! [tools.create_issue]           # one tool's own mapping, over the rules above
//! action = "open_ticket"         # its action id (a format, like [action].format)
//! resource = { type = "Repo", id = "{args.repo}" }
//! context = { title = "args.title" }   # set after [context], overwriting it
//!
//! [options]
//! numbers = "as-recorded"        # or "decimal": fractional numbers → decimal("…"),
//!                                # or "all-decimal": every number → decimal
//! complex_args = "keep"          # or "present": objects/arrays in prefix rules
//!                                # become <name>_present = true (ToolHive's rule)
//! ```
//!
//! Sources: `agent`, `user`, `tool`, `call_id`, `tool_type`, `trace_id`,
//! `span_id`, `ts`, `args` (all arguments), `args.<path>` (an argument, dots
//! descend into objects; `arg.<path>` is the same), `attr.<key>` (an attribute, the key taken whole:
//! `attr.gen_ai.agent.id`), `var.<name>`, and `=text` (a literal).

use super::{Mapping, ToolCall};
use crate::trace::{ResourceRef, TraceRecord};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The names of the built-in profiles, the default first.
pub const BUILTIN_NAMES: [&str; 3] = ["writ", "toolhive", "agentcore"];

const BUILTIN_SOURCES: [(&str, &str); 3] = [
    ("writ", include_str!("../../profiles/writ.toml")),
    ("toolhive", include_str!("../../profiles/toolhive.toml")),
    ("agentcore", include_str!("../../profiles/agentcore.toml")),
];

/// A problem in a profile file, located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{file}{}: {message}; {hint}", match (line, column) { (Some(l), Some(c)) => format!(":{l}:{c}"), _ => String::new() })]
pub struct ProfileError {
    /// The file (or `builtin:<name>`).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// One way to get a value from a call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Source {
    /// A field of the call (`agent`, `user`, `tool`, ...).
    Field(String),
    /// All arguments.
    Args,
    /// One argument by path (`a.b` descends).
    Arg(Vec<String>),
    /// An attribute by key.
    Attr(String),
    /// A `[vars]` entry.
    Var(String),
    /// A literal.
    Literal(String),
}

const FIELDS: [&str; 8] = [
    "agent",
    "user",
    "tool",
    "call_id",
    "tool_type",
    "trace_id",
    "span_id",
    "ts",
];

impl Source {
    fn parse(text: &str) -> Result<Source, String> {
        if let Some(lit) = text.strip_prefix('=') {
            return Ok(Source::Literal(lit.to_string()));
        }
        if text == "args" {
            return Ok(Source::Args);
        }
        // `arg.<name>` reads as `args.<name>` (one argument).
        if let Some(p) = text
            .strip_prefix("args.")
            .or_else(|| text.strip_prefix("arg."))
        {
            if p.is_empty() || p.split('.').any(str::is_empty) {
                return Err(format!(
                    "`{text}`: an argument path needs names between the dots"
                ));
            }
            return Ok(Source::Arg(p.split('.').map(String::from).collect()));
        }
        if let Some(k) = text.strip_prefix("attr.") {
            if k.is_empty() {
                return Err(format!("`{text}`: name the attribute after `attr.`"));
            }
            return Ok(Source::Attr(k.to_string()));
        }
        if let Some(k) = text.strip_prefix("var.") {
            return Ok(Source::Var(k.to_string()));
        }
        if FIELDS.contains(&text) {
            return Ok(Source::Field(text.to_string()));
        }
        Err(format!(
            "unknown source `{text}`: use one of {}, `args`, `args.<name>`, `attr.<key>`, `var.<name>` or `=literal`",
            FIELDS.map(|f| format!("`{f}`")).join(", ")
        ))
    }
}

/// How a context attribute is filled.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum ContextRule {
    /// `name = source` (the first source with a value).
    One {
        /// The attribute.
        name: String,
        /// Where its value comes from.
        from: Vec<Source>,
    },
    /// `"prefix*" = "args.*"`: one attribute per argument.
    EachArg {
        /// Prefix of the context names.
        prefix: String,
        /// Path of the object whose members are taken (empty: the arguments).
        under: Vec<String>,
    },
    /// `"prefix*" = "attr.<p>*"`: one attribute per recorded attribute
    /// whose key starts with `p`.
    EachAttr {
        /// Prefix of the context names.
        prefix: String,
        /// Prefix of the attribute keys.
        attr_prefix: String,
    },
    /// A constant.
    Constant {
        /// The attribute.
        name: String,
        /// Its value.
        value: Value,
    },
}

/// How numbers with a fraction are written into the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NumberMode {
    /// As recorded (Cedar has no floats: a fractional number makes the
    /// request invalid, reported per record).
    #[default]
    AsRecorded,
    /// As Cedar `decimal` values (at most 4 fractional digits; others are a
    /// per-record problem).
    Decimal,
    /// Every number, integers too, as a Cedar `decimal` (what ToolHive
    /// does: Go decodes JSON numbers as float64 and ToolHive turns floats
    /// into decimals).
    AllDecimal,
}

/// How objects and arrays fare under a prefix rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ComplexArgs {
    /// Kept as records and sets.
    #[default]
    Keep,
    /// Replaced by `<name>_present = true` (ToolHive's rule).
    Present,
}

/// A mapping profile, ready to map calls.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Profile {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Where it came from (`builtin:<name>` or a path).
    pub origin: String,
    /// The SHA-256 of its text (tells two versions of a profile apart).
    pub digest: String,
    principal_from: Vec<Source>,
    principal_type: Option<String>,
    user_from: Vec<Source>,
    action_from: Vec<Source>,
    action_format: Option<String>,
    action_unless_contains: Option<String>,
    action_type: Option<String>,
    resource: Option<(String, String)>,
    vars: BTreeMap<String, Vec<Source>>,
    context: Vec<ContextRule>,
    identities: BTreeMap<String, String>,
    numbers: NumberMode,
    complex_args: ComplexArgs,
    tools: BTreeMap<String, ToolRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Option<String>,
    #[serde(default)]
    description: String,
    principal: Option<RawPrincipal>,
    user: Option<RawFrom>,
    action: Option<RawAction>,
    resource: Option<RawResource>,
    #[serde(default)]
    vars: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    context: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    constants: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    identities: BTreeMap<String, String>,
    options: Option<RawOptions>,
    #[serde(default)]
    tools: BTreeMap<String, RawTool>,
}

/// One tool's own mapping (`[tools.<name>]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTool {
    action: Option<Spanned<String>>,
    resource: Option<RawResource>,
    #[serde(default)]
    context: BTreeMap<String, Spanned<toml::Value>>,
}

/// A tool's own mapping: what overrides the profile's general rules for
/// calls of that tool.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ToolRule {
    /// The action id (a format string), instead of `[action]`'s.
    action: Option<String>,
    /// The resource (type, id format), instead of `[resource]`.
    resource: Option<(String, String)>,
    /// Context attributes set after the general ones (overwriting them).
    context: Vec<(String, Vec<Source>)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrincipal {
    from: Option<Spanned<toml::Value>>,
    #[serde(rename = "type")]
    ty: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrom {
    from: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    from: Option<Spanned<toml::Value>>,
    format: Option<Spanned<String>>,
    unless_contains: Option<String>,
    #[serde(rename = "type")]
    ty: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    #[serde(rename = "type")]
    ty: Spanned<String>,
    id: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    #[serde(default)]
    numbers: NumberMode,
    #[serde(default)]
    complex_args: ComplexArgs,
}

/// Byte offset → 1-based line and column (in characters).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Ctx<'a> {
    shown: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(
        &self,
        span: Option<std::ops::Range<usize>>,
        message: String,
        hint: &str,
    ) -> ProfileError {
        let (line, column) = match span {
            Some(s) => {
                let (l, c) = line_col(self.text, s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        ProfileError {
            file: self.shown.to_string(),
            line,
            column,
            message,
            hint: hint.to_string(),
        }
    }

    fn sources(&self, v: &Spanned<toml::Value>) -> Result<Vec<Source>, ProfileError> {
        let texts: Vec<&str> =
            match v.get_ref() {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(a) => {
                    let mut out = Vec::new();
                    for x in a {
                        match x.as_str() {
                            Some(s) => out.push(s),
                            None => return Err(self.err(
                                Some(v.span()),
                                "a source list holds something that is not a string".into(),
                                "write sources as strings, e.g. [\"agent\", \"attr.service.name\"]",
                            )),
                        }
                    }
                    out
                }
                _ => {
                    return Err(self.err(
                        Some(v.span()),
                        "expected a source (a string) or a list of sources".into(),
                        "write e.g. \"args.intent\" or [\"user\", \"attr.enduser.id\"]",
                    ))
                }
            };
        if texts.is_empty() {
            return Err(self.err(
                Some(v.span()),
                "an empty source list".into(),
                "name at least one source",
            ));
        }
        texts
            .into_iter()
            .map(|t| {
                Source::parse(t).map_err(|m| {
                    self.err(
                        Some(v.span()),
                        m,
                        "see docs/mapping-profiles.md for the sources",
                    )
                })
            })
            .collect()
    }

    fn check_format(
        &self,
        f: &Spanned<String>,
        vars: &BTreeMap<String, Vec<Source>>,
    ) -> Result<(), ProfileError> {
        for name in placeholders(f.get_ref()).map_err(|m| {
            self.err(
                Some(f.span()),
                m,
                "write placeholders as {tool} or {var_name}; {{ and }} for braces",
            )
        })? {
            if !vars.contains_key(&name) {
                Source::parse(&name).map_err(|m| {
                    self.err(
                        Some(f.span()),
                        format!("placeholder {{{name}}}: {m}"),
                        "declare it under [vars] or use a source name",
                    )
                })?;
            }
        }
        Ok(())
    }

    fn entity_type(&self, t: &Spanned<String>) -> Result<String, ProfileError> {
        let ok = !t.get_ref().is_empty()
            && t.get_ref().split("::").all(|seg| {
                !seg.is_empty()
                    && seg
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        if ok {
            Ok(t.get_ref().clone())
        } else {
            Err(self.err(
                Some(t.span()),
                format!("`{}` is not a Cedar entity type name", t.get_ref()),
                "use identifiers joined by `::`, e.g. `Client` or `AgentCore::OAuthUser`",
            ))
        }
    }
}

/// The placeholder names in a format string.
fn placeholders(format: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(format!("unclosed `{{` in `{format}`")),
                    }
                }
                if name.is_empty() {
                    return Err(format!("empty placeholder `{{}}` in `{format}`"));
                }
                out.push(name);
            }
            '}' => return Err(format!("unmatched `}}` in `{format}`")),
            _ => {}
        }
    }
    Ok(out)
}

impl Profile {
    /// A built-in profile by name.
    pub fn builtin(name: &str) -> Option<Profile> {
        let text = Profile::builtin_source(name)?;
        // The embedded profiles are tested to parse.
        Profile::parse(&format!("builtin:{name}"), text).ok()
    }

    /// The TOML text of a built-in profile.
    pub fn builtin_source(name: &str) -> Option<&'static str> {
        BUILTIN_SOURCES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// Every built-in profile, the default first.
    pub fn builtins() -> Vec<Profile> {
        BUILTIN_NAMES
            .iter()
            .filter_map(|n| Profile::builtin(n))
            .collect()
    }

    /// The default profile (`writ`).
    pub fn default_profile() -> Profile {
        Profile::builtin("writ").unwrap_or_else(|| Profile {
            name: "writ".into(),
            description: String::new(),
            origin: "builtin:writ".into(),
            digest: String::new(),
            principal_from: vec![Source::Field("agent".into())],
            principal_type: None,
            user_from: vec![Source::Field("user".into())],
            action_from: vec![Source::Field("tool".into())],
            action_format: None,
            action_unless_contains: None,
            action_type: None,
            resource: None,
            vars: BTreeMap::new(),
            context: Vec::new(),
            identities: BTreeMap::new(),
            numbers: NumberMode::AsRecorded,
            complex_args: ComplexArgs::Keep,
            tools: BTreeMap::new(),
        })
    }

    /// A built-in profile's name, else a profile file's path.
    pub fn resolve(name_or_path: &str) -> Result<Profile, ProfileError> {
        if let Some(p) = Profile::builtin(name_or_path) {
            return Ok(p);
        }
        let path = PathBuf::from(name_or_path);
        if !path.exists() {
            return Err(ProfileError {
                file: name_or_path.to_string(),
                line: None,
                column: None,
                message: "no built-in profile has this name and no such file exists".into(),
                hint: format!(
                    "use one of {} (`writ profiles list`) or the path of a profile file",
                    BUILTIN_NAMES.join(", ")
                ),
            });
        }
        Profile::load(&path)
    }

    /// Reads a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
            file: shown.clone(),
            line: None,
            column: None,
            message: format!("cannot read the profile: {e}"),
            hint: "check the path and that it is a UTF-8 text file".into(),
        })?;
        Profile::parse(&shown, &text)
    }

    /// Parses a profile's text; `shown` names it in errors.
    pub fn parse(shown: &str, text: &str) -> Result<Profile, ProfileError> {
        let cx = Ctx { shown, text };
        let raw: RawProfile = toml::from_str(text).map_err(|e| {
            cx.err(
                e.span(),
                e.message().trim().to_string(),
                "fix the TOML at the marked place; see docs/mapping-profiles.md for the keys",
            )
        })?;
        let mut vars = BTreeMap::new();
        for (k, v) in &raw.vars {
            vars.insert(k.clone(), cx.sources(v)?);
        }
        let from = |v: Option<&Spanned<toml::Value>>,
                    default: &str|
         -> Result<Vec<Source>, ProfileError> {
            match v {
                Some(v) => cx.sources(v),
                None => Ok(vec![Source::Field(default.into())]),
            }
        };
        let principal_from = from(
            raw.principal.as_ref().and_then(|p| p.from.as_ref()),
            "agent",
        )?;
        let principal_type = raw
            .principal
            .as_ref()
            .and_then(|p| p.ty.as_ref())
            .map(|t| cx.entity_type(t))
            .transpose()?;
        let user_from = from(raw.user.as_ref().and_then(|u| u.from.as_ref()), "user")?;
        let action_from = from(raw.action.as_ref().and_then(|a| a.from.as_ref()), "tool")?;
        let action_format = match raw.action.as_ref().and_then(|a| a.format.as_ref()) {
            Some(f) => {
                cx.check_format(f, &vars)?;
                Some(f.get_ref().clone())
            }
            None => None,
        };
        let action_type = raw
            .action
            .as_ref()
            .and_then(|a| a.ty.as_ref())
            .map(|t| cx.entity_type(t))
            .transpose()?;
        let resource = match &raw.resource {
            Some(r) => {
                cx.check_format(&r.id, &vars)?;
                Some((cx.entity_type(&r.ty)?, r.id.get_ref().clone()))
            }
            None => None,
        };
        let mut context = Vec::new();
        for (name, v) in &raw.context {
            if let Some(prefix) = name.strip_suffix('*') {
                let Some(src) = v.get_ref().as_str().and_then(|s| s.strip_suffix('*')) else {
                    return Err(cx.err(
                        Some(v.span()),
                        format!("the prefix rule `{name}` needs a source ending in `*`"),
                        "write e.g. \"arg_*\" = \"args.*\" or \"claim_*\" = \"attr.jwt.*\"",
                    ));
                };
                if src == "args." {
                    context.push(ContextRule::EachArg {
                        prefix: prefix.to_string(),
                        under: Vec::new(),
                    });
                } else if let Some(p) = src.strip_prefix("args.").and_then(|p| p.strip_suffix('.'))
                {
                    context.push(ContextRule::EachArg {
                        prefix: prefix.to_string(),
                        under: p.split('.').map(String::from).collect(),
                    });
                } else if let Some(p) = src.strip_prefix("attr.") {
                    context.push(ContextRule::EachAttr {
                        prefix: prefix.to_string(),
                        attr_prefix: p.to_string(),
                    });
                } else {
                    return Err(cx.err(
                        Some(v.span()),
                        format!("the prefix rule `{name}` takes `args.*`, `args.<path>.*` or `attr.<prefix>*`, not `{}`", v.get_ref()),
                        "write e.g. \"arg_*\" = \"args.*\"",
                    ));
                }
            } else {
                context.push(ContextRule::One {
                    name: name.clone(),
                    from: cx.sources(v)?,
                });
            }
        }
        for (name, v) in &raw.constants {
            let value = serde_json::to_value(v.get_ref()).map_err(|e| {
                cx.err(
                    Some(v.span()),
                    format!("constant `{name}`: {e}"),
                    "use a string, number, boolean, array or table",
                )
            })?;
            context.push(ContextRule::Constant {
                name: name.clone(),
                value,
            });
        }
        let mut tools = BTreeMap::new();
        for (tool, rule) in &raw.tools {
            let action = match &rule.action {
                Some(f) => {
                    cx.check_format(f, &vars)?;
                    Some(f.get_ref().clone())
                }
                None => None,
            };
            let resource = match &rule.resource {
                Some(r) => {
                    cx.check_format(&r.id, &vars)?;
                    Some((cx.entity_type(&r.ty)?, r.id.get_ref().clone()))
                }
                None => None,
            };
            let mut context = Vec::new();
            for (name, v) in &rule.context {
                context.push((name.clone(), cx.sources(v)?));
            }
            tools.insert(
                tool.clone(),
                ToolRule {
                    action,
                    resource,
                    context,
                },
            );
        }
        let options = raw.options.unwrap_or(RawOptions {
            numbers: NumberMode::AsRecorded,
            complex_args: ComplexArgs::Keep,
        });
        Ok(Profile {
            name: raw.name.unwrap_or_else(|| {
                Path::new(shown)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| shown.to_string())
            }),
            description: raw.description,
            origin: shown.to_string(),
            digest: writ_base::sha256_hex(text.as_bytes()),
            principal_from,
            principal_type,
            user_from,
            action_from,
            action_format,
            action_unless_contains: raw.action.as_ref().and_then(|a| a.unless_contains.clone()),
            action_type,
            resource,
            vars,
            context,
            identities: raw.identities,
            numbers: options.numbers,
            complex_args: options.complex_args,
            tools,
        })
    }

    /// The context rules, in the order they apply (later ones overwrite).
    pub fn context_rules(&self) -> &[ContextRule] {
        &self.context
    }

    fn value(&self, call: &ToolCall, src: &Source, depth: u8) -> Option<Value> {
        match src {
            Source::Field(f) => match f.as_str() {
                "agent" => call.agent.clone().map(Value::String),
                "user" => call.user.clone().map(Value::String),
                "tool" => Some(Value::String(call.tool.clone())),
                "call_id" => call.call_id.clone().map(Value::String),
                "tool_type" => call.tool_type.clone().map(Value::String),
                "trace_id" => call.trace_id.clone().map(Value::String),
                "span_id" => call.span_id.clone().map(Value::String),
                "ts" => Some(Value::String(call.ts.clone())),
                _ => None,
            },
            Source::Args => call.args.clone(),
            Source::Arg(path) => {
                let mut cur = call.args.as_ref()?;
                for p in path {
                    cur = cur.get(p)?;
                }
                Some(cur.clone())
            }
            Source::Attr(k) => call.attributes.get(k).cloned(),
            Source::Var(name) => self.var(call, name, depth),
            Source::Literal(s) => Some(Value::String(s.clone())),
        }
        .filter(|v| !v.is_null())
    }

    fn first(&self, call: &ToolCall, from: &[Source], depth: u8) -> Option<Value> {
        from.iter().find_map(|s| self.value(call, s, depth))
    }

    fn var(&self, call: &ToolCall, name: &str, depth: u8) -> Option<Value> {
        if depth > 8 {
            return None;
        }
        self.first(call, self.vars.get(name)?, depth + 1)
    }

    fn text(&self, call: &ToolCall, from: &[Source]) -> Option<String> {
        self.first(call, from, 0).map(|v| match v {
            Value::String(s) => s,
            other => other.to_string(),
        })
    }

    fn render(&self, call: &ToolCall, format: &str, what: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    let v = if self.vars.contains_key(&name) {
                        self.var(call, &name, 0)
                    } else {
                        Source::parse(&name)
                            .ok()
                            .and_then(|s| self.value(call, &s, 0))
                    };
                    match v {
                        Some(Value::String(s)) => out.push_str(&s),
                        Some(other) => out.push_str(&other.to_string()),
                        None => {
                            return Err(format!(
                                "{what}: the call has no value for {{{name}}} (profile `{}`)",
                                self.name
                            ))
                        }
                    }
                }
                c => out.push(c),
            }
        }
        Ok(out)
    }

    fn convert(&self, v: Value) -> Result<Value, String> {
        if self.numbers == NumberMode::AsRecorded {
            return Ok(v);
        }
        Ok(match v {
            Value::Number(n)
                if self.numbers == NumberMode::AllDecimal || !(n.is_i64() || n.is_u64()) =>
            {
                let f = n.as_f64().unwrap_or(0.0);
                json_decimal(f)?
            }
            Value::Array(a) => Value::Array(
                a.into_iter()
                    .map(|x| self.convert(x))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, x)| self.convert(x).map(|x| (k, x)))
                    .collect::<Result<_, _>>()?,
            ),
            other => other,
        })
    }

    fn put_each(&self, ctx: &mut Map<String, Value>, name: String, v: Value) -> Result<(), String> {
        if self.complex_args == ComplexArgs::Present && (v.is_object() || v.is_array()) {
            ctx.insert(format!("{name}_present"), Value::Bool(true));
        } else if !v.is_null() {
            ctx.insert(name, self.convert(v)?);
        }
        Ok(())
    }
}

/// A JSON float as a Cedar `decimal` literal, or why it cannot be one.
fn json_decimal(f: f64) -> Result<Value, String> {
    let text = format!("{f:.4}");
    let back: f64 = text.parse().unwrap_or(f64::NAN);
    if (back - f).abs() > 1e-12 * f.abs().max(1.0) {
        return Err(format!(
            "{f} has more than 4 fractional digits: Cedar decimals cannot hold it"
        ));
    }
    if f.abs() >= 922_337_203_685_477.0 {
        return Err(format!("{f} is out of the range of Cedar decimals"));
    }
    let trimmed = text.trim_end_matches('0');
    let trimmed = if trimmed.ends_with('.') {
        format!("{trimmed}0")
    } else {
        trimmed.to_string()
    };
    Ok(serde_json::json!({"__extn": {"fn": "decimal", "arg": trimmed}}))
}

fn uid_text(ty: &str, id: &str) -> String {
    format!("{ty}::{}", Value::String(id.to_string()))
}

impl Mapping for Profile {
    fn describe(&self) -> Value {
        serde_json::json!({ "name": self.name, "origin": self.origin, "digest": self.digest })
    }

    fn to_record(&self, call: &ToolCall) -> Result<TraceRecord, String> {
        let identity = self.text(call, &self.principal_from).ok_or_else(|| {
            format!(
                "no agent identity: none of the profile's principal sources ({}) has a value; add one under [principal] from",
                describe(&self.principal_from)
            )
        })?;
        let identity = self.identities.get(&identity).cloned().unwrap_or(identity);
        let agent = match &self.principal_type {
            Some(ty) => uid_text(ty, &identity),
            None => identity,
        };
        let user = self.text(call, &self.user_from);
        let base = self.text(call, &self.action_from).ok_or_else(|| {
            format!(
                "no action: none of {} has a value",
                describe(&self.action_from)
            )
        })?;
        let tool_rule = self.tools.get(&call.tool);
        let id = match (
            tool_rule.and_then(|r| r.action.as_ref()),
            &self.action_format,
            &self.action_unless_contains,
        ) {
            (Some(f), _, _) => self.render(call, f, "action")?,
            (None, Some(_), Some(sep)) if base.contains(sep.as_str()) => base,
            (None, Some(f), _) => self.render(call, f, "action")?,
            (None, None, _) => base,
        };
        let action = match &self.action_type {
            Some(ty) => uid_text(ty, &id),
            None => id,
        };
        let resource = match tool_rule
            .and_then(|r| r.resource.as_ref())
            .or(self.resource.as_ref())
        {
            Some((ty, f)) => Some(ResourceRef {
                ty: ty.clone(),
                id: self.render(call, f, "resource id")?,
            }),
            None => None,
        };
        let mut context = Map::new();
        for rule in &self.context {
            match rule {
                ContextRule::One { name, from } => {
                    if let Some(v) = self.first(call, from, 0) {
                        context.insert(
                            name.clone(),
                            self.convert(v)
                                .map_err(|e| format!("context.{name}: {e}"))?,
                        );
                    }
                }
                ContextRule::EachArg { prefix, under } => {
                    let mut cur = call.args.as_ref();
                    for p in under {
                        cur = cur.and_then(|c| c.get(p));
                    }
                    if let Some(Value::Object(o)) = cur {
                        for (k, v) in o {
                            self.put_each(&mut context, format!("{prefix}{k}"), v.clone())
                                .map_err(|e| format!("context.{prefix}{k}: {e}"))?;
                        }
                    }
                }
                ContextRule::EachAttr {
                    prefix,
                    attr_prefix,
                } => {
                    for (k, v) in &call.attributes {
                        if let Some(rest) = k.strip_prefix(attr_prefix.as_str()) {
                            if !rest.is_empty() {
                                self.put_each(&mut context, format!("{prefix}{rest}"), v.clone())
                                    .map_err(|e| format!("context.{prefix}{rest}: {e}"))?;
                            }
                        }
                    }
                }
                ContextRule::Constant { name, value } => {
                    context.insert(name.clone(), value.clone());
                }
            }
        }
        for (name, from) in tool_rule.map(|r| r.context.as_slice()).unwrap_or_default() {
            if let Some(v) = self.first(call, from, 0) {
                context.insert(
                    name.clone(),
                    self.convert(v)
                        .map_err(|e| format!("tools.{}.context.{name}: {e}", call.tool))?,
                );
            }
        }
        let args = match &call.args {
            Some(v) => {
                Some(serde_json::value::to_raw_value(v).map_err(|e| format!("arguments: {e}"))?)
            }
            None => None,
        };
        Ok(TraceRecord {
            ts: call.ts.clone(),
            trace_id: call.trace_id.clone(),
            span_id: call.span_id.clone(),
            agent,
            on_behalf_of: user,
            action,
            resource,
            args,
            context,
            outcome: call.outcome,
            recorded_decision: None,
        })
    }
}

fn describe(from: &[Source]) -> String {
    from.iter()
        .map(|s| match s {
            Source::Field(f) => format!("`{f}`"),
            Source::Args => "`args`".into(),
            Source::Arg(p) => format!("`args.{}`", p.join(".")),
            Source::Attr(k) => format!("`attr.{k}`"),
            Source::Var(v) => format!("`var.{v}`"),
            Source::Literal(l) => format!("`={l}`"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Location;
    use crate::trace::RecordedOutcome;
    use serde_json::json;

    fn call(tool: &str, args: Value) -> ToolCall {
        let mut attributes = Map::new();
        attributes.insert("mcp.server.name".into(), json!("RefundTool"));
        attributes.insert("jwt.claims.sub".into(), json!("alice"));
        attributes.insert("jwt.claims.role".into(), json!("admin"));
        ToolCall {
            location: Location::default(),
            ts: "2026-03-01T10:00:00Z".into(),
            agent: Some("kagent-helm-agent".into()),
            user: Some("alice".into()),
            user_key: Some("claims.sub".into()),
            tool: tool.into(),
            call_id: Some("7".into()),
            tool_type: None,
            args: Some(args),
            attributes,
            trace_id: None,
            span_id: Some("7".into()),
            outcome: RecordedOutcome::Executed,
        }
    }

    #[test]
    fn every_builtin_parses() {
        for n in BUILTIN_NAMES {
            let src = Profile::builtin_source(n).expect("embedded");
            Profile::parse(n, src).unwrap_or_else(|e| panic!("{n}: {e}"));
        }
        assert_eq!(Profile::builtins().len(), 3);
    }

    #[test]
    fn toolhive_maps_claims_and_args() {
        let p = Profile::builtin("toolhive").expect("builtin");
        let r = p
            .to_record(&call(
                "weather",
                json!({"city": "London", "opts": {"x": 1}}),
            ))
            .expect("maps");
        assert_eq!(r.agent, "Client::\"alice\"");
        assert_eq!(r.action, "Action::\"call_tool\"");
        assert_eq!(
            r.resource.as_ref().map(|r| (r.ty.as_str(), r.id.as_str())),
            Some(("Tool", "weather"))
        );
        assert_eq!(r.context["arg_city"], "London");
        assert_eq!(r.context["arg_opts_present"], true);
        assert_eq!(r.context["claim_role"], "admin");
        assert!(!r.context.contains_key("arg_opts"));
    }

    #[test]
    fn agentcore_formats_the_action_and_keeps_gateway_names() {
        let p = Profile::builtin("agentcore").expect("builtin");
        let r = p
            .to_record(&call("process_refund", json!({"amount": 450})))
            .expect("maps");
        assert_eq!(r.agent, "AgentCore::OAuthUser::\"alice\"");
        assert_eq!(
            r.action,
            "AgentCore::Action::\"RefundTool___process_refund\""
        );
        assert_eq!(r.context["input"], json!({"amount": 450}));
        let r = p
            .to_record(&call("Other___lookup", json!({})))
            .expect("maps");
        assert_eq!(r.action, "AgentCore::Action::\"Other___lookup\"");
    }

    #[test]
    fn identities_constants_and_decimals() {
        let text = r#"
name = "t"
[principal]
from = ["agent"]
[context]
intent = ["args.why", "=unknown"]
"arg_*" = "args.*"
[constants]
environment = "prod"
[identities]
"kagent-helm-agent" = "spiffe://acme.example/agents/helm"
[options]
numbers = "decimal"
"#;
        let p = Profile::parse("t.toml", text).expect("parses");
        let r = p
            .to_record(&call("t", json!({"a": 3.5, "b": 2})))
            .expect("maps");
        assert_eq!(r.agent, "spiffe://acme.example/agents/helm");
        assert_eq!(r.context["intent"], "unknown");
        assert_eq!(r.context["environment"], "prod");
        assert_eq!(
            r.context["arg_a"],
            json!({"__extn": {"fn": "decimal", "arg": "3.5"}})
        );
        assert_eq!(r.context["arg_b"], 2);
        let e = p
            .to_record(&call("t", json!({"a": 0.123456})))
            .expect_err("too precise");
        assert!(e.contains("4 fractional digits"), "{e}");
    }

    #[test]
    fn errors_are_located() {
        let e = Profile::parse("p.toml", "name = \"x\"\n[principal]\nfrom = \"agnet\"\n")
            .expect_err("bad source");
        assert_eq!((e.line, e.column), (Some(3), Some(8)));
        assert!(e.message.contains("unknown source `agnet`"), "{e}");
        let e = Profile::parse("p.toml", "name = \"x\"\n\n[actoin]\n").expect_err("unknown key");
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().starts_with("p.toml:3:"), "{e}");
        let e = Profile::parse("p.toml", "[action]\nformat = \"{target___{tool}\"\n")
            .expect_err("bad format");
        assert_eq!(e.line, Some(2));
        let e = Profile::parse("p.toml", "[action]\nformat = \"{target}___{tool}\"\n")
            .expect_err("unknown var");
        assert!(e.message.contains("{target}"), "{e}");
    }

    #[test]
    fn a_missing_identity_is_a_problem_not_a_guess() {
        let p = Profile::parse("p.toml", "[principal]\nfrom = [\"agent\"]\n").expect("parses");
        let mut c = call("t", json!({}));
        c.agent = None;
        let e = p.to_record(&c).expect_err("no agent");
        assert!(e.contains("no agent identity"), "{e}");
    }

    #[test]
    fn a_tools_table_maps_each_tool_its_own_way() {
        let text = r#"
name = "repos"
[action]
from = "tool"
[resource]
type = "Tool"
id = "{tool}"
[context]
"arg_*" = "args.*"
[tools.create_issue]
action = "open_ticket"
resource = { type = "Repo", id = "{arg.repo}" }
context = { title = "args.title", arg_repo = "=hidden" }
[tools.lookup]
context = { who = ["args.user", "user"] }
"#;
        let p = Profile::parse("p.toml", text).expect("parses");
        let r = p
            .to_record(&call("create_issue", json!({"repo": "web", "title": "T"})))
            .expect("maps");
        assert_eq!(r.action, "open_ticket");
        assert_eq!(
            r.resource.as_ref().map(|x| (x.ty.as_str(), x.id.as_str())),
            Some(("Repo", "web"))
        );
        assert_eq!(r.context["title"], "T");
        assert_eq!(
            r.context["arg_repo"], "hidden",
            "the tool's rule comes last"
        );
        // Another tool keeps the general rules, plus its own context.
        let r = p.to_record(&call("lookup", json!({"q": 1}))).expect("maps");
        assert_eq!(r.action, "lookup");
        assert_eq!(r.resource.as_ref().map(|x| x.id.as_str()), Some("lookup"));
        assert_eq!(r.context["who"], "alice");
        assert_eq!(r.context["arg_q"], 1);
        // A tool's resource needs its argument: a located problem per call.
        let e = p
            .to_record(&call("create_issue", json!({"title": "T"})))
            .expect_err("no repo");
        assert!(e.contains("{arg.repo}"), "{e}");
        // Errors in the table are located.
        let e = Profile::parse("p.toml", "[tools.x]\nactoin = \"y\"\n").expect_err("unknown key");
        assert_eq!(e.line, Some(2), "{e}");
        let e = Profile::parse(
            "p.toml",
            "[tools.x]\nresource = { type = \"9x\", id = \"a\" }\n",
        )
        .expect_err("bad type");
        assert!(e.message.contains("not a Cedar entity type"), "{e}");
    }
}
