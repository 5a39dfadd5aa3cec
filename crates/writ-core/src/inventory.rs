//! The governance inventory (`inventory.toml`): teams, agents and tools,
//! checked with located errors and turned into Cedar entities.

use crate::diagnostic::{Diagnostic, Span};
use crate::schema::ProjectSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// An agent's risk tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskTier {
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk.
    High,
    /// Critical risk.
    Critical,
}

/// Whether an agent may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentStatus {
    /// In service.
    Active,
    /// Temporarily not allowed to act.
    Suspended,
    /// Out of service for good.
    Retired,
}

/// What a tool can do to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// Reads data.
    Read,
    /// Changes data.
    Write,
    /// Deletes or irreversibly changes data or systems.
    Destructive,
    /// Reaches outside the organisation.
    External,
}

impl Impact {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Read => "read",
            Impact::Write => "write",
            Impact::Destructive => "destructive",
            Impact::External => "external",
        }
    }
}

/// How an agent authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A long-lived secret (API key, password).
    Static,
    /// Short-lived tokens issued per workload.
    ShortLived,
}

impl CredentialKind {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Static => "static",
            CredentialKind::ShortLived => "short_lived",
        }
    }
}

/// A team.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Team id.
    pub id: Spanned<String>,
    /// Display name.
    pub name: String,
}

/// The credential profile of an agent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Static or short-lived.
    pub kind: CredentialKind,
    /// The longest lifetime of one credential, in seconds.
    #[serde(default)]
    pub max_ttl_secs: Option<i64>,
}

/// One workload identity an agent presents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityEntry {
    /// A SPIFFE ID.
    #[serde(default)]
    pub spiffe: Option<String>,
    /// OIDC issuer (with `oidc_subject`).
    #[serde(default)]
    pub oidc_issuer: Option<String>,
    /// OIDC subject (with `oidc_issuer`).
    #[serde(default)]
    pub oidc_subject: Option<String>,
}

/// An agent of the inventory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Inventory id, the Cedar entity id.
    pub id: Spanned<String>,
    /// Display name.
    pub name: String,
    /// The accountable person.
    #[serde(default)]
    pub owner: Option<Spanned<String>>,
    /// Team id.
    pub team: Spanned<String>,
    /// Risk tier.
    pub risk_tier: RiskTier,
    /// Status.
    pub status: AgentStatus,
    /// Approved use cases.
    #[serde(default)]
    pub use_cases: Vec<String>,
    /// Workload identities.
    #[serde(default)]
    pub identity: Vec<Spanned<IdentityEntry>>,
    /// Credential profile.
    #[serde(default)]
    pub credential: Option<Credential>,
    /// When the next governance review is due.
    #[serde(default)]
    pub review_due: Option<Spanned<toml::value::Datetime>>,
    /// Fields whose values are placeholders a human has yet to confirm
    /// (`owner`, `team`, `risk_tier`, ...), as `writ draft` writes them:
    /// each is a finding until it is removed from the list.
    #[serde(default)]
    pub unconfirmed: Vec<Spanned<String>>,
}

/// A tool (a Cedar action).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// Tool name, equal to the Cedar action id.
    pub name: Spanned<String>,
    /// Impact level.
    pub impact: Spanned<Impact>,
    /// Data classification of what it touches.
    #[serde(default)]
    pub data_classification: Option<String>,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
}

/// The whole inventory file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Teams.
    #[serde(default)]
    pub team: Vec<Team>,
    /// Agents.
    #[serde(default)]
    pub agent: Vec<Agent>,
    /// Tools.
    #[serde(default)]
    pub tool: Vec<Tool>,
}

impl Agent {
    /// The identity strings this agent presents (`spiffe://...`, `oidc:<iss>|<sub>`).
    pub fn identity_keys(&self) -> impl Iterator<Item = (String, Span)> + '_ {
        self.identity.iter().filter_map(|i| {
            let span = Span::new(i.span().start, i.span().end - i.span().start);
            identity_key(i.get_ref()).map(|k| (k, span))
        })
    }

    /// The review date as `YYYY-MM-DD`.
    pub fn review_due_text(&self) -> Option<String> {
        self.review_due
            .as_ref()
            .and_then(|d| d.get_ref().date.map(|d| d.to_string()))
    }
}

/// The canonical identity string of an entry, if it is well formed.
pub fn identity_key(entry: &IdentityEntry) -> Option<String> {
    match (&entry.spiffe, &entry.oidc_issuer, &entry.oidc_subject) {
        (Some(s), None, None) => Some(s.clone()),
        (None, Some(iss), Some(sub)) => Some(format!("oidc:{iss}|{sub}")),
        _ => None,
    }
}

/// Why a string is not a valid SPIFFE ID, if it is not.
pub fn spiffe_problem(id: &str) -> Option<&'static str> {
    let Some(rest) = id.strip_prefix("spiffe://") else {
        return Some("a SPIFFE ID starts with spiffe://");
    };
    let (domain, path) = rest.split_once('/').unwrap_or((rest, ""));
    if domain.is_empty() {
        return Some("the trust domain is empty");
    }
    if !domain
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
    {
        return Some("the trust domain may hold only lower-case letters, digits, '.', '-' and '_'");
    }
    if id.contains('?') || id.contains('#') {
        return Some("a SPIFFE ID has no query or fragment");
    }
    if id.ends_with('/') {
        return Some("a SPIFFE ID has no trailing slash");
    }
    if path
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
        && !path.is_empty()
    {
        return Some("path segments may not be empty, '.' or '..'");
    }
    None
}

fn span_of<T>(s: &Spanned<T>) -> Span {
    Span::new(s.span().start, s.span().end - s.span().start)
}

/// The keys each kind of inventory table accepts (kept beside the structs
/// above; a test checks they agree).
const TOP_KEYS: &[&str] = &["team", "agent", "tool"];
const TEAM_KEYS: &[&str] = &["id", "name"];
const AGENT_KEYS: &[&str] = &[
    "id",
    "name",
    "owner",
    "team",
    "risk_tier",
    "status",
    "use_cases",
    "identity",
    "credential",
    "review_due",
    "unconfirmed",
];

/// The agent fields `unconfirmed` may name.
pub const CONFIRMABLE_FIELDS: &[&str] = &[
    "name",
    "owner",
    "team",
    "risk_tier",
    "status",
    "use_cases",
    "identity",
    "credential",
    "review_due",
];
const CREDENTIAL_KEYS: &[&str] = &["kind", "max_ttl_secs"];
const IDENTITY_KEYS: &[&str] = &["spiffe", "oidc_issuer", "oidc_subject"];
const TOOL_KEYS: &[&str] = &["name", "impact", "data_classification", "description"];

/// Finds every TOML syntax error and every unknown key, so one run reports
/// them all (serde stops at the first).
fn structural_problems(shown: &Path, text: &str) -> Vec<Diagnostic> {
    use toml::de::{DeTable, DeValue};
    let (doc, errors) = DeTable::parse_recoverable(text);
    let mut diags: Vec<Diagnostic> = errors
        .iter()
        .map(|e| {
            let span = e.span().map(|r| Span::new(r.start, r.end - r.start));
            Diagnostic::error("inventory-parse", shown, span, e.message().to_string())
                .with_hint("fix the TOML syntax at the marked place")
        })
        .collect();
    fn check_table(
        shown: &Path,
        table: &DeTable<'_>,
        allowed: &[&str],
        what: &str,
        diags: &mut Vec<Diagnostic>,
    ) {
        for (k, _) in table.iter() {
            if !allowed.contains(&k.get_ref().as_ref()) {
                let r = k.span();
                diags.push(
                    Diagnostic::error(
                        "inventory-unknown-key",
                        shown,
                        Some(Span::new(r.start, r.end - r.start)),
                        format!("unknown key `{}` in {what}", k.get_ref()),
                    )
                    .with_hint(format!("the keys of {what} are: {}", allowed.join(", "))),
                );
            }
        }
    }
    fn tables<'a, 'i>(v: &'a DeValue<'i>) -> Vec<&'a DeTable<'i>> {
        match v {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|i| match i.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                })
                .collect(),
            DeValue::Table(t) => vec![t],
            _ => Vec::new(),
        }
    }
    let doc = doc.get_ref();
    check_table(
        shown,
        doc,
        TOP_KEYS,
        "the inventory (top level)",
        &mut diags,
    );
    for (k, v) in doc.iter() {
        match k.get_ref().as_ref() {
            "team" => {
                for t in tables(v.get_ref()) {
                    check_table(shown, t, TEAM_KEYS, "a [[team]]", &mut diags);
                }
            }
            "tool" => {
                for t in tables(v.get_ref()) {
                    check_table(shown, t, TOOL_KEYS, "a [[tool]]", &mut diags);
                }
            }
            "agent" => {
                for a in tables(v.get_ref()) {
                    check_table(shown, a, AGENT_KEYS, "an [[agent]]", &mut diags);
                    for (ak, av) in a.iter() {
                        match ak.get_ref().as_ref() {
                            "credential" => {
                                for c in tables(av.get_ref()) {
                                    check_table(
                                        shown,
                                        c,
                                        CREDENTIAL_KEYS,
                                        "an [agent.credential]",
                                        &mut diags,
                                    );
                                }
                            }
                            "identity" => {
                                for c in tables(av.get_ref()) {
                                    check_table(
                                        shown,
                                        c,
                                        IDENTITY_KEYS,
                                        "an [[agent.identity]]",
                                        &mut diags,
                                    );
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    diags
}

/// Parses and checks an inventory file. Returns the inventory (when it
/// parsed) and every problem found.
pub fn load(shown: &Path, text: &str, today: time::Date) -> (Option<Inventory>, Vec<Diagnostic>) {
    let structural = structural_problems(shown, text);
    if !structural.is_empty() {
        return (None, structural);
    }
    let inv: Inventory = match toml::from_str(text) {
        Ok(inv) => inv,
        Err(e) => {
            let span = e.span().map(|r| Span::new(r.start, r.end - r.start));
            let message = e.message().to_string();
            let hint = if message.contains("unknown field") {
                "remove the key or fix its spelling; the inventory's keys are listed in docs/inventory.md"
            } else if message.contains("missing field") {
                "add the missing key to this entry"
            } else {
                "fix the TOML at the marked place"
            };
            return (
                None,
                vec![Diagnostic::error("inventory-parse", shown, span, message).with_hint(hint)],
            );
        }
    };
    let diags = check(shown, &inv, today);
    (Some(inv), diags)
}

fn check(shown: &Path, inv: &Inventory, today: time::Date) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let file = || PathBuf::from(shown);
    let mut teams: HashMap<&str, Span> = HashMap::new();
    for t in &inv.team {
        if let Some(first) = teams.insert(t.id.get_ref(), span_of(&t.id)) {
            diags.push(
                Diagnostic::error(
                    "inventory-duplicate-team",
                    file(),
                    Some(span_of(&t.id)),
                    format!("team `{}` is defined twice", t.id.get_ref()),
                )
                .with_related(file(), Some(first), "first defined here"),
            );
        }
    }
    let mut agents: HashMap<&str, Span> = HashMap::new();
    let mut identities: HashMap<String, (&str, Span)> = HashMap::new();
    for a in &inv.agent {
        let id = a.id.get_ref().as_str();
        if let Some(first) = agents.insert(id, span_of(&a.id)) {
            diags.push(
                Diagnostic::error(
                    "inventory-duplicate-agent",
                    file(),
                    Some(span_of(&a.id)),
                    format!("agent `{id}` is defined twice"),
                )
                .with_related(file(), Some(first), "first defined here"),
            );
        }
        match &a.owner {
            None => diags.push(
                Diagnostic::error(
                    "inventory-no-owner",
                    file(),
                    Some(span_of(&a.id)),
                    format!("agent `{id}` has no owner"),
                )
                .with_hint(
                    "every agent needs an accountable person: add owner = \"name@example.com\"",
                ),
            ),
            Some(o) if o.get_ref().trim().is_empty() => diags.push(
                Diagnostic::error(
                    "inventory-no-owner",
                    file(),
                    Some(span_of(o)),
                    format!("agent `{id}` has an empty owner"),
                )
                .with_hint("name the accountable person"),
            ),
            Some(_) => {}
        }
        if !teams.contains_key(a.team.get_ref().as_str()) {
            diags.push(
                Diagnostic::error(
                    "inventory-unknown-team",
                    file(),
                    Some(span_of(&a.team)),
                    format!(
                        "agent `{id}` names team `{}`, which is not defined",
                        a.team.get_ref()
                    ),
                )
                .with_hint("add a [[team]] entry with this id, or fix the team name"),
            );
        }
        for ident in &a.identity {
            let span = span_of(ident);
            let entry = ident.get_ref();
            let Some(key) = identity_key(entry) else {
                diags.push(
                    Diagnostic::error("inventory-identity", file(), Some(span), format!("identity of agent `{id}` must have either `spiffe` or both `oidc_issuer` and `oidc_subject`"))
                        .with_hint("write spiffe = \"spiffe://domain/path\" or oidc_issuer = \"...\" with oidc_subject = \"...\""),
                );
                continue;
            };
            if let Some(s) = &entry.spiffe {
                if let Some(problem) = spiffe_problem(s) {
                    diags.push(
                        Diagnostic::error(
                            "inventory-identity",
                            file(),
                            Some(span),
                            format!("`{s}` is not a valid SPIFFE ID: {problem}"),
                        )
                        .with_hint(
                            "a SPIFFE ID looks like spiffe://acme.example/agents/support-bot",
                        ),
                    );
                }
            }
            match identities.get(&key) {
                Some((other, first)) => diags.push(
                    Diagnostic::error("inventory-shared-identity", file(), Some(span), format!("identity `{key}` is claimed by agents `{other}` and `{id}`"))
                        .with_related(file(), Some(*first), format!("claimed by `{other}` here"))
                        .with_hint("each agent needs its own workload identity; a shared identity makes its actions indistinguishable"),
                ),
                None => {
                    identities.insert(key, (id, span));
                }
            }
        }
        for field in &a.unconfirmed {
            if !CONFIRMABLE_FIELDS.contains(&field.get_ref().as_str()) {
                diags.push(
                    Diagnostic::error(
                        "inventory-unconfirmed-field",
                        file(),
                        Some(span_of(field)),
                        format!(
                            "agent `{id}` lists `{}` as unconfirmed, which is not an agent field",
                            field.get_ref()
                        ),
                    )
                    .with_hint(format!("name one of {}", CONFIRMABLE_FIELDS.join(", "))),
                );
            }
        }
        if let Some(due) = &a.review_due {
            match due.get_ref().date {
                Some(d) => {
                    let date = time::Month::try_from(d.month).ok().and_then(|m| {
                        time::Date::from_calendar_date(i32::from(d.year), m, d.day).ok()
                    });
                    if let Some(date) = date {
                        if date < today {
                            diags.push(
                                Diagnostic::warning(
                                    "inventory-review-overdue",
                                    file(),
                                    Some(span_of(due)),
                                    format!("the review of agent `{id}` was due on {date}"),
                                )
                                .with_hint(
                                    "review the agent with its owner and set the next review date",
                                ),
                            );
                        }
                    }
                }
                None => diags.push(
                    Diagnostic::error(
                        "inventory-review-date",
                        file(),
                        Some(span_of(due)),
                        "review_due must be a date such as 2027-03-01",
                    )
                    .with_hint("write the date without time, e.g. review_due = 2027-03-01"),
                ),
            }
        }
    }
    let mut tools: HashMap<&str, Span> = HashMap::new();
    for t in &inv.tool {
        if let Some(first) = tools.insert(t.name.get_ref(), span_of(&t.name)) {
            diags.push(
                Diagnostic::error(
                    "inventory-duplicate-tool",
                    file(),
                    Some(span_of(&t.name)),
                    format!("tool `{}` is defined twice", t.name.get_ref()),
                )
                .with_related(file(), Some(first), "first defined here"),
            );
        }
    }
    diags
}

/// Checks the inventory against the schema: every tool is a declared action
/// and its impact matches the action's `impact_*` group when the schema uses
/// such groups.
pub fn check_against_schema(
    shown: &Path,
    inv: &Inventory,
    schema: &ProjectSchema,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let group_ids = |a: &crate::schema::ActionShape| -> Vec<String> {
        a.groups
            .iter()
            .map(|g| g.id().unescaped().to_string())
            .filter(|g| g.starts_with("impact_"))
            .collect()
    };
    let uses_impact_groups = schema
        .actions()
        .into_iter()
        .any(|a| !group_ids(a).is_empty());
    for t in &inv.tool {
        let name = t.name.get_ref();
        match schema.action(name) {
            Err(crate::schema::ActionLookupError::NotDeclared(_)) => diags.push(
                Diagnostic::error(
                    "inventory-tool-not-in-schema",
                    shown,
                    Some(span_of(&t.name)),
                    format!(
                        "tool `{}` is not an action of the schema",
                        crate::display::escaped(name)
                    ),
                )
                .with_hint(format!(
                    "declare `action {} appliesTo {{ ... }};` in the schema, or fix the tool name",
                    serde_json::Value::from(name.as_str())
                )),
            ),
            Err(e) => diags.push(
                Diagnostic::error(
                    "inventory-tool-ambiguous",
                    shown,
                    Some(span_of(&t.name)),
                    e.to_string(),
                )
                .with_hint("name the tool by its action uid, e.g. `N1::Action::\"name\"`"),
            ),
            Ok(action) if uses_impact_groups => {
                let expected = format!("impact_{}", t.impact.get_ref().as_str());
                let declared: Vec<String> = group_ids(action);
                if !declared.contains(&expected) {
                    let found = if declared.is_empty() {
                        "no impact group".to_string()
                    } else {
                        declared
                            .iter()
                            .map(|g| format!("`{g}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    diags.push(
                        Diagnostic::error("inventory-impact-mismatch", shown, Some(span_of(&t.impact)), format!("tool `{name}` has impact `{}` here, but the schema puts its action in {found}", t.impact.get_ref().as_str()))
                            .with_hint(format!("make the schema declare `action \"{name}\" in [\"{expected}\"]`, or correct the impact")),
                    );
                }
            }
            Ok(_) => {}
        }
    }
    diags
}

/// The Cedar entities of an inventory, in Cedar's entity JSON format,
/// keeping for each type only the attributes its schema declares.
pub fn to_entities_json(inv: &Inventory, schema: &ProjectSchema) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let keep = |ty: &str, attrs: Map<String, Value>| -> Map<String, Value> {
        match schema.entity_types.get(ty) {
            Some(def) => attrs
                .into_iter()
                .filter(|(k, _)| def.attributes.attribute(k).is_some())
                .collect(),
            None => attrs,
        }
    };
    let mut out = Vec::new();
    for t in &inv.team {
        let mut attrs = Map::new();
        attrs.insert("name".into(), json!(t.name));
        out.push(json!({"uid": {"type": "Team", "id": t.id.get_ref()}, "attrs": keep("Team", attrs), "parents": []}));
    }
    for a in &inv.agent {
        let mut attrs = Map::new();
        attrs.insert("name".into(), json!(a.name));
        attrs.insert(
            "owner".into(),
            json!(a
                .owner
                .as_ref()
                .map(|o| o.get_ref().clone())
                .unwrap_or_default()),
        );
        attrs.insert(
            "team".into(),
            json!({"__entity": {"type": "Team", "id": a.team.get_ref()}}),
        );
        attrs.insert(
            "risk_tier".into(),
            serde_json::to_value(a.risk_tier).unwrap_or(Value::Null),
        );
        attrs.insert(
            "status".into(),
            serde_json::to_value(a.status).unwrap_or(Value::Null),
        );
        attrs.insert("use_cases".into(), json!(a.use_cases));
        let (kind, ttl) = match &a.credential {
            Some(c) => (c.kind, c.max_ttl_secs.unwrap_or(0)),
            None => (CredentialKind::ShortLived, 0),
        };
        attrs.insert("credential_kind".into(), json!(kind.as_str()));
        attrs.insert("credential_max_ttl_secs".into(), json!(ttl));
        attrs.insert(
            "review_due".into(),
            json!(a.review_due_text().unwrap_or_default()),
        );
        out.push(json!({
            "uid": {"type": "Agent", "id": a.id.get_ref()},
            "attrs": keep("Agent", attrs),
            "parents": [{"type": "Team", "id": a.team.get_ref()}],
        }));
    }
    for t in &inv.tool {
        let mut attrs = Map::new();
        attrs.insert("impact".into(), json!(t.impact.get_ref().as_str()));
        attrs.insert(
            "data_classification".into(),
            json!(t.data_classification.clone().unwrap_or_default()),
        );
        out.push(json!({"uid": {"type": "Tool", "id": t.name.get_ref()}, "attrs": keep("Tool", attrs), "parents": []}));
    }
    serde_json::Value::Array(out)
}

/// Where an inventory entity is defined, for locating entity errors.
pub fn entity_spans(inv: &Inventory) -> Vec<(String, Span)> {
    let mut v = Vec::new();
    for t in &inv.team {
        v.push((format!("Team::\"{}\"", t.id.get_ref()), span_of(&t.id)));
    }
    for a in &inv.agent {
        v.push((format!("Agent::\"{}\"", a.id.get_ref()), span_of(&a.id)));
    }
    for t in &inv.tool {
        v.push((format!("Tool::\"{}\"", t.name.get_ref()), span_of(&t.name)));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 30)
    }

    const GOOD: &str = r#"
[[team]]
id = "ops"
name = "Ops"

[[agent]]
id = "deployer"
name = "Deployer"
owner = "a@x.example"
team = "ops"
risk_tier = "high"
status = "active"
review_due = 2027-01-01
[agent.credential]
kind = "static"
[[agent.identity]]
spiffe = "spiffe://x.example/agents/deployer"

[[tool]]
name = "deploy"
impact = "destructive"
"#;

    #[test]
    fn a_good_inventory_has_no_problems() {
        let (inv, diags) = load(Path::new("inventory.toml"), GOOD, today());
        assert!(diags.is_empty(), "{diags:?}");
        let inv = inv.expect("parsed");
        let keys: Vec<String> = inv.agent[0].identity_keys().map(|(k, _)| k).collect();
        assert_eq!(keys, ["spiffe://x.example/agents/deployer"]);
    }

    #[test]
    fn every_unknown_key_is_a_located_error() {
        let text = GOOD
            .replace("risk_tier = \"high\"", "risk_tier = \"high\"\nriks = 1")
            .replace("kind = \"static\"", "kind = \"static\"\nttl = 3")
            .replace(
                "impact = \"destructive\"",
                "impact = \"destructive\"\nimpakt = 1",
            );
        let (inv, diags) = load(Path::new("inventory.toml"), &text, today());
        assert!(inv.is_none());
        let keys: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(diags.len(), 3, "{keys:?}");
        assert!(diags
            .iter()
            .all(|d| d.code == "inventory-unknown-key" && d.span.is_some()));
        let riks = diags
            .iter()
            .find(|d| d.message.contains("`riks`"))
            .expect("riks");
        assert_eq!(
            &text[riks.span.expect("span").start..riks.span.expect("span").end],
            "riks"
        );
    }

    #[test]
    fn key_lists_match_the_structs() {
        // Every listed key deserializes (none is unknown to serde).
        let text = "[[team]]\nid=\"t\"\nname=\"T\"\n[[agent]]\nid=\"a\"\nname=\"A\"\nowner=\"o\"\nteam=\"t\"\nrisk_tier=\"low\"\nstatus=\"active\"\nuse_cases=[]\nreview_due=2030-01-01\n[agent.credential]\nkind=\"static\"\nmax_ttl_secs=1\n[[agent.identity]]\nspiffe=\"spiffe://x.example/a\"\n[[agent.identity]]\noidc_issuer=\"i\"\noidc_subject=\"s\"\n[[tool]]\nname=\"x\"\nimpact=\"read\"\ndata_classification=\"public\"\ndescription=\"d\"\n";
        let (inv, diags) = load(Path::new("inventory.toml"), text, today());
        assert!(diags.is_empty(), "{diags:?}");
        assert!(inv.is_some());
    }

    #[test]
    fn syntax_errors_are_located() {
        let (inv, diags) = load(
            Path::new("inventory.toml"),
            "[[agent]\nid = \"x\"\n",
            today(),
        );
        assert!(inv.is_none());
        assert_eq!(diags[0].code, "inventory-parse");
        assert!(diags[0].span.is_some());
    }

    #[test]
    fn semantic_problems_are_all_reported() {
        let text = GOOD
            .replace("owner = \"a@x.example\"\n", "")
            .replace("team = \"ops\"", "team = \"nope\"")
            .replace("review_due = 2027-01-01", "review_due = 2020-01-01")
            + "\n[[agent]]\nid = \"b\"\nname = \"B\"\nowner = \"o\"\nteam = \"ops\"\nrisk_tier = \"low\"\nstatus = \"active\"\n[[agent.identity]]\nspiffe = \"spiffe://x.example/agents/deployer\"\n";
        let (_, diags) = load(Path::new("inventory.toml"), &text, today());
        let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
        assert!(codes.contains(&"inventory-no-owner"), "{codes:?}");
        assert!(codes.contains(&"inventory-unknown-team"), "{codes:?}");
        assert!(codes.contains(&"inventory-review-overdue"), "{codes:?}");
        assert!(codes.contains(&"inventory-shared-identity"), "{codes:?}");
        let shared = diags
            .iter()
            .find(|d| d.code == "inventory-shared-identity")
            .expect("shared");
        assert_eq!(shared.related.len(), 1);
        assert!(diags.iter().all(|d| d.span.is_some()));
    }

    #[test]
    fn spiffe_ids_are_checked() {
        assert!(spiffe_problem("spiffe://acme.example/agents/bot").is_none());
        assert!(spiffe_problem("https://acme.example/bot").is_some());
        assert!(spiffe_problem("spiffe://acme.example/bot/").is_some());
        assert!(spiffe_problem("spiffe://Acme/bot").is_some());
    }
}
