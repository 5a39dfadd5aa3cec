//! Inventory findings: governance problems found in a project's inventory
//! and in what agents really did (a trace).
//!
//! The trace is reduced first, in one streaming pass, to a
//! [`TraceAggregate`] (per recorded identity: actions, tools, intents and
//! credentials, each with a count and its first line numbers), so a trace
//! file and a stored trace set give the same findings. [`find`] is then a
//! pure function of the inventory, its text (for locations), the date and
//! the aggregate. The codes and severities are documented in
//! `docs/findings.md`.

use crate::diagnostic::{line_column, Span};
use crate::inventory::{AgentStatus, CredentialKind, Impact, Inventory, RiskTier};
use crate::resolve::parse_uid_literal;
use crate::trace::{parse_record, LineError, LineSource, TraceRecord};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Should be fixed in the normal course of work.
    Medium,
    /// Should be fixed soon: governance does not hold.
    High,
    /// Fix now: an agent acts where it must not, unaccounted for.
    Critical,
}

impl Severity {
    /// Every severity, most serious first.
    pub const DESCENDING: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The severity of a risk tier's own name (`low` tier → `Low`, ...).
    pub fn of_tier(tier: RiskTier) -> Severity {
        match tier {
            RiskTier::Low => Severity::Low,
            RiskTier::Medium => Severity::Medium,
            RiskTier::High => Severity::High,
            RiskTier::Critical => Severity::Critical,
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "`{s}` is not a severity; use low, medium, high or critical"
            )),
        }
    }
}

/// The kind of a finding; its stable code is [`FindingCode::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCode {
    /// An agent without an accountable owner.
    NoOwner,
    /// An agent whose governance review date has passed.
    ReviewOverdue,
    /// A high or critical agent whose inventory credential is static.
    StaticCredential,
    /// Actions presented with a static credential or one living longer than
    /// the inventory allows (any static one for high and critical agents).
    StaticCredentialUsed,
    /// One identity claimed by several agents (a shared service account).
    SharedIdentity,
    /// An agent's traffic arrives under an identity it shares with another.
    TrafficUnderSharedIdentity,
    /// A retired agent acting in the trace.
    RetiredAgentActing,
    /// A suspended agent acting in the trace.
    SuspendedAgentActing,
    /// An identity no inventory entry claims, acting in the trace.
    ShadowAgent,
    /// A tool used in the trace that the inventory does not list.
    UnlistedTool,
    /// An agent acting for an intent outside its approved use cases.
    OffUseCase,
}

impl FindingCode {
    /// Every code, in documentation order.
    pub const ALL: [FindingCode; 11] = [
        FindingCode::NoOwner,
        FindingCode::ReviewOverdue,
        FindingCode::StaticCredential,
        FindingCode::StaticCredentialUsed,
        FindingCode::SharedIdentity,
        FindingCode::TrafficUnderSharedIdentity,
        FindingCode::RetiredAgentActing,
        FindingCode::SuspendedAgentActing,
        FindingCode::ShadowAgent,
        FindingCode::UnlistedTool,
        FindingCode::OffUseCase,
    ];

    /// The stable code, e.g. `shadow-agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::NoOwner => "no-owner",
            FindingCode::ReviewOverdue => "review-overdue",
            FindingCode::StaticCredential => "static-credential",
            FindingCode::StaticCredentialUsed => "static-credential-used",
            FindingCode::SharedIdentity => "shared-identity",
            FindingCode::TrafficUnderSharedIdentity => "traffic-under-shared-identity",
            FindingCode::RetiredAgentActing => "retired-agent-acting",
            FindingCode::SuspendedAgentActing => "suspended-agent-acting",
            FindingCode::ShadowAgent => "shadow-agent",
            FindingCode::UnlistedTool => "unlisted-tool",
            FindingCode::OffUseCase => "off-use-case",
        }
    }
}

/// A place in the inventory file that a finding rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEvidence {
    /// The inventory file as shown (`sample-policies/v2/inventory.toml`, `@8d7b576e1a2b/inventory.toml`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is there (`status = "retired"`, `agent legacy-report-bot`).
    pub note: String,
}

/// Trace actions a finding rests on: their count and the first lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionEvidence {
    /// Where the actions are (`trace set \`recorded\``, a file path).
    pub source: String,
    /// How many actions.
    pub count: u64,
    /// The first of their line numbers, ascending.
    pub lines: Vec<usize>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code.
    pub code: FindingCode,
    /// How serious it is.
    pub severity: Severity,
    /// What it is about: an agent id, an identity or a tool name.
    pub subject: String,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Inventory locations.
    pub inventory: Vec<InventoryEvidence>,
    /// Trace actions, when the finding comes from the trace.
    pub actions: Option<ActionEvidence>,
}

/// A count of actions with their first line numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrences {
    /// Number of actions.
    pub count: u64,
    /// The first line numbers (at most the aggregate's `keep`), ascending.
    pub first_lines: Vec<usize>,
}

impl Occurrences {
    fn add(&mut self, line: usize, keep: usize) {
        self.count += 1;
        if self.first_lines.len() < keep {
            self.first_lines.push(line);
        }
    }

    /// Several sets of occurrences as one (counts added, the first `keep`
    /// lines of all of them). Exact when each kept its first `keep` lines
    /// of disjoint actions.
    pub fn merged<'a>(parts: impl IntoIterator<Item = &'a Occurrences>, keep: usize) -> Self {
        let mut count = 0;
        let mut lines = BTreeSet::new();
        for p in parts {
            count += p.count;
            lines.extend(p.first_lines.iter().copied());
        }
        Occurrences {
            count,
            first_lines: lines.into_iter().take(keep).collect(),
        }
    }
}

/// The credential an action presented (`context.credential_kind`,
/// `context.credential_ttl_secs`), each when recorded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CredentialSeen {
    /// `static`, `short_lived` or whatever was recorded.
    pub kind: Option<String>,
    /// The credential's lifetime in seconds.
    pub ttl_secs: Option<i64>,
}

/// What one recorded identity (the trace's `agent` string) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityActivity {
    /// All its actions.
    pub actions: Occurrences,
    /// Per tool (the action id).
    pub tools: BTreeMap<String, Occurrences>,
    /// Per `context.intent` (actions without a text intent are not counted).
    pub intents: BTreeMap<String, Occurrences>,
    /// Per presented credential.
    pub credentials: BTreeMap<CredentialSeen, Occurrences>,
}

/// A trace reduced to what findings need, built in one streaming pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceAggregate {
    /// How many line numbers each [`Occurrences`] keeps.
    pub keep: usize,
    /// Valid actions read.
    pub actions: u64,
    /// Per recorded identity.
    pub identities: BTreeMap<String, IdentityActivity>,
    /// Malformed lines (skipped), the first 100 of them.
    pub bad_lines: Vec<LineError>,
    /// How many lines were malformed.
    pub bad_line_count: u64,
}

/// How many malformed lines an aggregate keeps.
const BAD_LINES_KEPT: usize = 100;

impl TraceAggregate {
    /// An empty aggregate keeping the first `keep` line numbers of everything.
    pub fn new(keep: usize) -> Self {
        TraceAggregate {
            keep,
            actions: 0,
            identities: BTreeMap::new(),
            bad_lines: Vec::new(),
            bad_line_count: 0,
        }
    }

    /// Adds one action found at `line`.
    pub fn add(&mut self, line: usize, record: &TraceRecord) {
        let keep = self.keep;
        self.actions += 1;
        let activity = self.identities.entry(record.agent.clone()).or_default();
        activity.actions.add(line, keep);
        let tool = tool_name(&record.action);
        match activity.tools.get_mut(tool) {
            Some(o) => o.add(line, keep),
            None => {
                let mut o = Occurrences::default();
                o.add(line, keep);
                activity.tools.insert(tool.to_string(), o);
            }
        }
        if let Some(intent) = record.context.get("intent").and_then(|v| v.as_str()) {
            match activity.intents.get_mut(intent) {
                Some(o) => o.add(line, keep),
                None => {
                    let mut o = Occurrences::default();
                    o.add(line, keep);
                    activity.intents.insert(intent.to_string(), o);
                }
            }
        }
        let seen = CredentialSeen {
            kind: record
                .context
                .get("credential_kind")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            ttl_secs: record
                .context
                .get("credential_ttl_secs")
                .and_then(|v| v.as_i64()),
        };
        activity
            .credentials
            .entry(seen)
            .or_default()
            .add(line, keep);
    }

    /// Parses one line of a native trace and adds it; a malformed line is
    /// remembered and skipped.
    pub fn add_line(&mut self, line: usize, text: &str) {
        match parse_record(line, text) {
            Ok(record) => self.add(line, &record),
            Err(e) => {
                self.bad_line_count += 1;
                if self.bad_lines.len() < BAD_LINES_KEPT {
                    self.bad_lines.push(e);
                }
            }
        }
    }

    /// Reads a whole trace (a file's lines or a stored set) into an
    /// aggregate; `progress` gets the bytes read now and then.
    pub fn read(
        source: &mut dyn LineSource,
        keep: usize,
        progress: &dyn Fn(u64),
    ) -> std::io::Result<TraceAggregate> {
        let mut agg = TraceAggregate::new(keep);
        let mut buf = String::new();
        let mut n: u64 = 0;
        while let Some(line) = source.next_line(&mut buf)? {
            agg.add_line(line, &buf);
            n += 1;
            if n.is_multiple_of(8192) {
                progress(source.bytes_read());
            }
        }
        progress(source.bytes_read());
        Ok(agg)
    }
}

/// The tool name of a recorded action: the id of an action uid
/// (`Action::"read_ticket"`), or the text itself.
fn tool_name(action: &str) -> &str {
    if action.contains("::\"") {
        if let Some(at) = action.find("::\"") {
            let ty = &action[..at];
            if ty == "Action" || ty.ends_with("::Action") {
                let quoted = &action[at + 2..];
                if quoted.len() >= 2
                    && quoted.ends_with('"')
                    && !quoted[1..quoted.len() - 1].contains(['"', '\\'])
                {
                    return &quoted[1..quoted.len() - 1];
                }
            }
        }
    }
    action
}

/// The inventory a finding run reads: the parsed inventory, its text (for
/// locations) and the file name to show.
#[derive(Debug, Clone, Copy)]
pub struct InventoryInput<'a> {
    /// The parsed inventory (it may have check errors: they are findings).
    pub inventory: &'a Inventory,
    /// Its text, as the spans were taken from.
    pub text: &'a str,
    /// The file name shown in evidence.
    pub file: &'a str,
}

/// The trace a finding run reads.
#[derive(Debug, Clone, Copy)]
pub struct TraceInput<'a> {
    /// What the trace is, shown in evidence (`trace set \`recorded\``).
    pub source: &'a str,
    /// Its aggregate.
    pub aggregate: &'a TraceAggregate,
}

/// Per `[[agent]]` table, in file order, the spans of its keys by dotted
/// path (`status`, `use_cases`, `credential.kind`, ...). Empty when the
/// text does not parse.
fn agent_key_spans(text: &str) -> Vec<HashMap<String, Span>> {
    use toml::de::{DeTable, DeValue};
    let Ok(doc) = DeTable::parse(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in doc.get_ref().iter() {
        if k.get_ref().as_ref() != "agent" {
            continue;
        }
        let DeValue::Array(items) = v.get_ref() else {
            continue;
        };
        for item in items {
            let DeValue::Table(t) = item.get_ref() else {
                out.push(HashMap::new());
                continue;
            };
            let mut spans = HashMap::new();
            for (ak, av) in t.iter() {
                let r = ak.span();
                let name = ak.get_ref().to_string();
                spans.insert(name.clone(), Span::new(r.start, r.end - r.start));
                if let DeValue::Table(sub) = av.get_ref() {
                    for (sk, _) in sub.iter() {
                        let r = sk.span();
                        spans.insert(
                            format!("{name}.{}", sk.get_ref()),
                            Span::new(r.start, r.end - r.start),
                        );
                    }
                }
            }
            out.push(spans);
        }
    }
    out
}

/// Who a recorded identity is, for findings.
enum Claim {
    /// Exactly one inventory agent (by identity, id or `Agent::"id"`).
    Agent(usize),
    /// Several agents claim it.
    Shared,
    /// No entry claims it.
    Shadow,
    /// A Cedar uid of another type (`User::"alice"`): not an agent.
    Other,
}

struct Ctx<'a> {
    inv: InventoryInput<'a>,
    spans: Vec<HashMap<String, Span>>,
}

impl Ctx<'_> {
    fn at(&self, span: Span, note: impl Into<String>) -> InventoryEvidence {
        let (line, column) = line_column(self.inv.text, span.start);
        InventoryEvidence {
            file: self.inv.file.to_string(),
            line,
            column,
            note: note.into(),
        }
    }

    fn span_of<T>(s: &toml::Spanned<T>) -> Span {
        Span::new(s.span().start, s.span().end - s.span().start)
    }

    /// The location of key `key` of agent `i`, or of its id.
    fn agent_key(&self, i: usize, key: &str, note: impl Into<String>) -> InventoryEvidence {
        let span = self
            .spans
            .get(i)
            .and_then(|m| m.get(key))
            .copied()
            .unwrap_or_else(|| Self::span_of(&self.inv.inventory.agent[i].id));
        self.at(span, note)
    }

    fn agent_id(&self, i: usize) -> InventoryEvidence {
        let a = &self.inv.inventory.agent[i];
        self.at(Self::span_of(&a.id), format!("agent `{}`", a.id.get_ref()))
    }
}

fn actions(source: &str, o: &Occurrences) -> Option<ActionEvidence> {
    Some(ActionEvidence {
        source: source.to_string(),
        count: o.count,
        lines: o.first_lines.clone(),
    })
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Every finding of an inventory (and, when given, a trace), most severe
/// first, then by code and subject. Reviews due before `today` are overdue.
pub fn find(
    inventory: InventoryInput<'_>,
    trace: Option<TraceInput<'_>>,
    today: time::Date,
) -> Vec<Finding> {
    let ctx = Ctx {
        inv: inventory,
        spans: agent_key_spans(inventory.text),
    };
    let inv = inventory.inventory;
    let mut out = Vec::new();

    // Identity claims and ids.
    let mut claims: BTreeMap<String, Vec<(usize, Span)>> = BTreeMap::new();
    for (i, a) in inv.agent.iter().enumerate() {
        for (key, span) in a.identity_keys() {
            let list = claims.entry(key).or_default();
            if !list.iter().any(|(j, _)| *j == i) {
                list.push((i, span));
            }
        }
    }
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, a) in inv.agent.iter().enumerate() {
        by_id.entry(a.id.get_ref().as_str()).or_insert(i);
    }
    let claim = |identity: &str| -> Claim {
        if let Some(list) = claims.get(identity) {
            return match list.as_slice() {
                [(i, _)] => Claim::Agent(*i),
                _ => Claim::Shared,
            };
        }
        if let Some(i) = by_id.get(identity) {
            return Claim::Agent(*i);
        }
        if let Some((ty, id)) = parse_uid_literal(identity) {
            if ty == "Agent" || ty.ends_with("::Agent") {
                if let Some(i) = by_id.get(id.as_str()) {
                    return Claim::Agent(*i);
                }
            }
            return Claim::Other;
        }
        Claim::Shadow
    };

    // Inventory alone.
    for (i, a) in inv.agent.iter().enumerate() {
        let id = a.id.get_ref();
        match &a.owner {
            None => out.push(Finding {
                code: FindingCode::NoOwner,
                severity: Severity::High,
                subject: id.clone(),
                message: format!(
                    "agent `{id}` has no owner: nobody is accountable for what it does"
                ),
                inventory: vec![ctx.agent_id(i)],
                actions: None,
            }),
            Some(o) if o.get_ref().trim().is_empty() => out.push(Finding {
                code: FindingCode::NoOwner,
                severity: Severity::High,
                subject: id.clone(),
                message: format!(
                    "agent `{id}` has an empty owner: nobody is accountable for what it does"
                ),
                inventory: vec![ctx.at(Ctx::span_of(o), "owner = \"\"")],
                actions: None,
            }),
            Some(_) => {}
        }
        if let Some(due) = &a.review_due {
            if let Some(date) = due.get_ref().date.and_then(|d| {
                time::Month::try_from(d.month)
                    .ok()
                    .and_then(|m| time::Date::from_calendar_date(i32::from(d.year), m, d.day).ok())
            }) {
                if date < today {
                    let days = (today - date).whole_days();
                    out.push(Finding {
                        code: FindingCode::ReviewOverdue,
                        severity: if a.risk_tier >= RiskTier::High {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        subject: id.clone(),
                        message: format!(
                            "the review of {} agent `{id}` was due on {date}, {} ago",
                            tier_name(a.risk_tier),
                            plural(days.max(0) as u64, "day", "days")
                        ),
                        inventory: vec![ctx.at(Ctx::span_of(due), format!("review_due = {date}"))],
                        actions: None,
                    });
                }
            }
        }
        if a.risk_tier >= RiskTier::High {
            if let Some(c) = &a.credential {
                if c.kind == CredentialKind::Static {
                    out.push(Finding {
                        code: FindingCode::StaticCredential,
                        severity: Severity::of_tier(a.risk_tier),
                        subject: id.clone(),
                        message: format!(
                            "{} agent `{id}` authenticates with a static (long-lived) credential{}",
                            tier_name(a.risk_tier),
                            c.max_ttl_secs
                                .map(|t| format!(" living up to {}", duration(t)))
                                .unwrap_or_default()
                        ),
                        inventory: vec![ctx.agent_key(i, "credential.kind", "kind = \"static\"")],
                        actions: None,
                    });
                }
            }
        }
    }
    for (identity, list) in &claims {
        if list.len() < 2 {
            continue;
        }
        let names: Vec<String> = list
            .iter()
            .map(|(i, _)| format!("`{}`", inv.agent[*i].id.get_ref()))
            .collect();
        let activity = trace.and_then(|t| t.aggregate.identities.get(identity).map(|a| (t, a)));
        out.push(Finding {
            code: FindingCode::SharedIdentity,
            severity: Severity::High,
            subject: identity.clone(),
            message: format!(
                "identity `{identity}` is claimed by {} agents ({}): a shared account makes their actions indistinguishable",
                list.len(),
                names.join(", ")
            ),
            inventory: list
                .iter()
                .map(|(i, span)| ctx.at(*span, format!("identity of `{}`", inv.agent[*i].id.get_ref())))
                .collect(),
            actions: activity.and_then(|(t, a)| actions(t.source, &a.actions)),
        });
        if let Some((t, a)) = activity {
            for (i, span) in list {
                let id = inv.agent[*i].id.get_ref();
                let others: Vec<String> = list
                    .iter()
                    .filter(|(j, _)| j != i)
                    .map(|(j, _)| format!("`{}`", inv.agent[*j].id.get_ref()))
                    .collect();
                out.push(Finding {
                    code: FindingCode::TrafficUnderSharedIdentity,
                    severity: Severity::High,
                    subject: id.clone(),
                    message: format!(
                        "{} arrive under `{identity}`, which agent `{id}` shares with {}: they cannot be told apart",
                        plural(a.actions.count, "action", "actions"),
                        others.join(", ")
                    ),
                    inventory: vec![ctx.at(*span, format!("identity of `{id}`"))],
                    actions: actions(t.source, &a.actions),
                });
            }
        }
    }

    // The trace.
    if let Some(t) = trace {
        let agg = t.aggregate;
        let keep = agg.keep;
        let mut per_agent: Vec<Vec<&IdentityActivity>> = vec![Vec::new(); inv.agent.len()];
        let tools: HashMap<&str, Impact> = inv
            .tool
            .iter()
            .map(|tl| (tl.name.get_ref().as_str(), *tl.impact.get_ref()))
            .collect();
        let mut unlisted: BTreeMap<&str, (Vec<&Occurrences>, BTreeSet<String>)> = BTreeMap::new();
        for (identity, activity) in &agg.identities {
            let c = claim(identity);
            for (tool, o) in &activity.tools {
                if !tools.contains_key(tool.as_str()) {
                    let who = match &c {
                        Claim::Agent(i) => inv.agent[*i].id.get_ref().clone(),
                        _ => identity.clone(),
                    };
                    let e = unlisted.entry(tool.as_str()).or_default();
                    e.0.push(o);
                    e.1.insert(who);
                }
            }
            match c {
                Claim::Agent(i) => per_agent[i].push(activity),
                Claim::Shared | Claim::Other => {}
                Claim::Shadow => {
                    let risky: Vec<String> = activity
                        .tools
                        .keys()
                        .filter(|tl| {
                            matches!(
                                tools.get(tl.as_str()),
                                Some(Impact::Destructive | Impact::External)
                            )
                        })
                        .map(|tl| format!("`{tl}`"))
                        .collect();
                    let mut message = format!(
                        "identity `{identity}` acted {} but no inventory entry claims it",
                        plural(activity.actions.count, "time", "times")
                    );
                    if !risky.is_empty() {
                        message.push_str(&format!(
                            ", using destructive or external tools ({})",
                            risky.join(", ")
                        ));
                    }
                    out.push(Finding {
                        code: FindingCode::ShadowAgent,
                        severity: if risky.is_empty() {
                            Severity::High
                        } else {
                            Severity::Critical
                        },
                        subject: identity.clone(),
                        message,
                        inventory: Vec::new(),
                        actions: actions(t.source, &activity.actions),
                    });
                }
            }
        }
        for (tool, (parts, who)) in unlisted {
            let o = Occurrences::merged(parts, keep);
            let who: Vec<String> = who.into_iter().map(|w| format!("`{w}`")).collect();
            out.push(Finding {
                code: FindingCode::UnlistedTool,
                severity: Severity::Medium,
                subject: tool.to_string(),
                message: format!(
                    "tool `{tool}` was used {} by {} but the inventory does not list it",
                    plural(o.count, "time", "times"),
                    who.join(", ")
                ),
                inventory: Vec::new(),
                actions: actions(t.source, &o),
            });
        }
        for (i, activities) in per_agent.iter().enumerate() {
            if activities.is_empty() {
                continue;
            }
            let a = &inv.agent[i];
            let id = a.id.get_ref();
            let all = Occurrences::merged(activities.iter().map(|x| &x.actions), keep);
            match a.status {
                AgentStatus::Active => {}
                AgentStatus::Retired | AgentStatus::Suspended => {
                    let retired = a.status == AgentStatus::Retired;
                    let word = if retired { "retired" } else { "suspended" };
                    out.push(Finding {
                        code: if retired {
                            FindingCode::RetiredAgentActing
                        } else {
                            FindingCode::SuspendedAgentActing
                        },
                        severity: if retired {
                            Severity::Critical
                        } else {
                            Severity::High
                        },
                        subject: id.clone(),
                        message: format!(
                            "agent `{id}` is {word} but acted {}",
                            plural(all.count, "time", "times")
                        ),
                        inventory: vec![ctx.agent_key(i, "status", format!("status = \"{word}\""))],
                        actions: actions(t.source, &all),
                    });
                }
            }
            // Credentials longer-lived than allowed.
            let declared = a.credential.as_ref();
            let high = a.risk_tier >= RiskTier::High;
            let max_ttl = declared.and_then(|c| c.max_ttl_secs);
            let declared_static = declared.is_some_and(|c| c.kind == CredentialKind::Static);
            let mut parts = Vec::new();
            let (mut statics, mut over) = (0u64, 0u64);
            for act in activities {
                for (seen, o) in &act.credentials {
                    let is_static = seen.kind.as_deref() == Some(CredentialKind::Static.as_str());
                    let too_long = matches!((seen.ttl_secs, max_ttl), (Some(t), Some(m)) if t > m);
                    let flagged = too_long || (is_static && (high || !declared_static));
                    if flagged {
                        parts.push(o);
                        if is_static {
                            statics += o.count;
                        }
                        if too_long {
                            over += o.count;
                        }
                    }
                }
            }
            if !parts.is_empty() {
                let o = Occurrences::merged(parts, keep);
                let mut why = Vec::new();
                if statics > 0 {
                    why.push(format!("{statics} with a static credential"));
                }
                if over > 0 {
                    if let Some(m) = max_ttl {
                        why.push(format!(
                            "{over} with a credential living longer than the inventory's {}",
                            duration(m)
                        ));
                    }
                }
                let mut evidence = vec![ctx.agent_key(
                    i,
                    "credential.kind",
                    format!(
                        "kind = \"{}\"",
                        declared.map_or("short_lived", |c| c.kind.as_str())
                    ),
                )];
                if max_ttl.is_some() && over > 0 {
                    evidence.push(ctx.agent_key(
                        i,
                        "credential.max_ttl_secs",
                        format!("max_ttl_secs = {}", max_ttl.unwrap_or_default()),
                    ));
                }
                out.push(Finding {
                    code: FindingCode::StaticCredentialUsed,
                    severity: Severity::of_tier(a.risk_tier),
                    subject: id.clone(),
                    message: format!(
                        "{} agent `{id}` acted {} with a long-lived credential ({})",
                        tier_name(a.risk_tier),
                        plural(o.count, "time", "times"),
                        why.join("; ")
                    ),
                    inventory: evidence,
                    actions: actions(t.source, &o),
                });
            }
            // Intents outside the approved use cases.
            let mut off: BTreeMap<&str, Vec<&Occurrences>> = BTreeMap::new();
            for act in activities {
                for (intent, o) in &act.intents {
                    if !a.use_cases.iter().any(|u| u == intent) {
                        off.entry(intent.as_str()).or_default().push(o);
                    }
                }
            }
            if !off.is_empty() {
                let listed: Vec<String> = off
                    .iter()
                    .map(|(intent, os)| {
                        format!("`{intent}` ({})", os.iter().map(|o| o.count).sum::<u64>())
                    })
                    .collect();
                let o = Occurrences::merged(off.values().flatten().copied(), keep);
                let approved = if a.use_cases.is_empty() {
                    "none".to_string()
                } else {
                    a.use_cases
                        .iter()
                        .map(|u| format!("`{u}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.push(Finding {
                    code: FindingCode::OffUseCase,
                    severity: if a.risk_tier >= RiskTier::High {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    subject: id.clone(),
                    message: format!(
                        "agent `{id}` acted {} for intents outside its use cases: {} (approved: {approved})",
                        plural(o.count, "time", "times"),
                        listed.join(", ")
                    ),
                    inventory: vec![ctx.agent_key(
                        i,
                        "use_cases",
                        format!(
                            "use_cases = [{}]",
                            a.use_cases
                                .iter()
                                .map(|u| format!("\"{u}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )],
                    actions: actions(t.source, &o),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(&b.code))
            .then(a.subject.cmp(&b.subject))
    });
    out
}

fn tier_name(t: RiskTier) -> &'static str {
    match t {
        RiskTier::Low => "low-tier",
        RiskTier::Medium => "medium-tier",
        RiskTier::High => "high-tier",
        RiskTier::Critical => "critical-tier",
    }
}

/// A number of seconds in the largest whole unit (`30 days`, `15 min`).
fn duration(secs: i64) -> String {
    if secs > 0 && secs % 86_400 == 0 {
        plural((secs / 86_400) as u64, "day", "days")
    } else if secs > 0 && secs % 3_600 == 0 {
        plural((secs / 3_600) as u64, "hour", "hours")
    } else if secs > 0 && secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// Counts of findings per severity.
pub fn counts(findings: &[Finding]) -> BTreeMap<Severity, usize> {
    let mut m: BTreeMap<Severity, usize> = Severity::DESCENDING.iter().map(|s| (*s, 0)).collect();
    for f in findings {
        *m.entry(f.severity).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::load;
    use std::path::Path;

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 30)
    }

    const INV: &str = r#"[[team]]
id = "ops"
name = "Ops"

[[agent]]
id = "deployer"
name = "Deployer"
owner = "a@x.example"
team = "ops"
risk_tier = "critical"
status = "active"
use_cases = ["deploy"]
review_due = 2027-01-01
[agent.credential]
kind = "static"
max_ttl_secs = 86400
[[agent.identity]]
spiffe = "spiffe://x.example/agents/deployer"

[[agent]]
id = "old-bot"
name = "Old"
team = "ops"
risk_tier = "low"
status = "retired"
use_cases = ["report"]
review_due = 2026-01-01
[agent.credential]
kind = "short_lived"
max_ttl_secs = 900
[[agent.identity]]
spiffe = "spiffe://x.example/agents/old-bot"

[[agent]]
id = "twin-a"
name = "Twin A"
owner = "b@x.example"
team = "ops"
risk_tier = "medium"
status = "active"
use_cases = ["report"]
[[agent.identity]]
spiffe = "spiffe://x.example/agents/twin"

[[agent]]
id = "twin-b"
name = "Twin B"
owner = "b@x.example"
team = "ops"
risk_tier = "low"
status = "suspended"
[[agent.identity]]
spiffe = "spiffe://x.example/agents/twin"

[[tool]]
name = "deploy"
impact = "destructive"

[[tool]]
name = "read"
impact = "read"
"#;

    fn inventory() -> Inventory {
        let (inv, _) = load(Path::new("inventory.toml"), INV, today());
        inv.expect("parses")
    }

    fn line(agent: &str, action: &str, context: &str) -> String {
        format!(
            r#"{{"ts":"2026-11-02T09:00:00Z","agent":"{agent}","action":"{action}","context":{context},"outcome":"executed"}}"#
        )
    }

    fn aggregate(lines: &[String], keep: usize) -> TraceAggregate {
        let text = lines.join("\n");
        let mut src = crate::trace::TraceLines::new(text.as_bytes());
        TraceAggregate::read(&mut src, keep, &|_| {}).expect("reads")
    }

    fn run(agg: Option<&TraceAggregate>) -> Vec<Finding> {
        let inv = inventory();
        find(
            InventoryInput {
                inventory: &inv,
                text: INV,
                file: "p/inventory.toml",
            },
            agg.map(|a| TraceInput {
                source: "t.jsonl",
                aggregate: a,
            }),
            today(),
        )
    }

    fn one<'a>(fs: &'a [Finding], code: FindingCode, subject: &str) -> &'a Finding {
        let hits: Vec<&Finding> = fs
            .iter()
            .filter(|f| f.code == code && f.subject == subject)
            .collect();
        assert_eq!(hits.len(), 1, "{code:?} {subject}: {fs:#?}");
        hits[0]
    }

    /// The 1-based line of INV holding `needle` (first occurrence after `after`).
    fn line_of(needle: &str, after: &str) -> usize {
        let start = INV.find(after).expect("after");
        let at = start + INV[start..].find(needle).expect("needle");
        INV[..at].matches('\n').count() + 1
    }

    #[test]
    fn inventory_alone() {
        let fs = run(None);
        let codes: Vec<(FindingCode, &str)> =
            fs.iter().map(|f| (f.code, f.subject.as_str())).collect();
        assert_eq!(
            codes,
            vec![
                (FindingCode::StaticCredential, "deployer"),
                (FindingCode::NoOwner, "old-bot"),
                (
                    FindingCode::SharedIdentity,
                    "spiffe://x.example/agents/twin"
                ),
                (FindingCode::ReviewOverdue, "old-bot"),
            ]
        );
        let stat = one(&fs, FindingCode::StaticCredential, "deployer");
        assert_eq!(stat.severity, Severity::Critical);
        assert_eq!(
            stat.inventory[0].line,
            line_of("kind = \"static\"", "deployer")
        );
        assert_eq!(stat.inventory[0].column, 1);
        let review = one(&fs, FindingCode::ReviewOverdue, "old-bot");
        assert_eq!(review.severity, Severity::Medium);
        assert_eq!(review.inventory[0].line, line_of("review_due", "old-bot"));
        assert!(review.message.contains("2026-01-01"), "{}", review.message);
        let shared = one(
            &fs,
            FindingCode::SharedIdentity,
            "spiffe://x.example/agents/twin",
        );
        assert_eq!(shared.inventory.len(), 2);
        assert!(shared.actions.is_none());
        assert_eq!(
            one(&fs, FindingCode::NoOwner, "old-bot").inventory[0].line,
            line_of("id = \"old-bot\"", "[[team]]")
        );
    }

    #[test]
    fn trace_findings_with_evidence() {
        let st = r#"{"intent":"deploy","credential_kind":"static","credential_ttl_secs":86400}"#;
        let sl = r#"{"intent":"deploy","credential_kind":"short_lived","credential_ttl_secs":600}"#;
        let mut lines = vec![
            line("spiffe://x.example/agents/deployer", "deploy", sl), // 1
            line("spiffe://x.example/agents/deployer", "deploy", st), // 2: static, critical
            line(
                "spiffe://x.example/agents/old-bot",
                "read",
                r#"{"intent":"report","credential_kind":"short_lived","credential_ttl_secs":3600}"#,
            ), // 3: retired, ttl over
            line("spiffe://x.example/agents/ghost", "deploy", sl),    // 4: shadow, destructive
            line("spiffe://x.example/agents/twin", "read", sl),       // 5: shared identity
            line("deployer", "format_disk", r#"{"intent":"mischief"}"#), // 6: by id; unlisted tool, off use case
            line("User::\\\"alice\\\"", "read", "{}"),                   // 7: a user, not an agent
            "{not json".to_string(),                                     // 8
        ];
        for _ in 0..6 {
            lines.push(line("spiffe://x.example/agents/ghost", "read", "{}")); // 9..14
        }
        let agg = aggregate(&lines, 3);
        assert_eq!(agg.actions, 13);
        assert_eq!(agg.bad_line_count, 1);
        assert_eq!(agg.bad_lines[0].line, 8);
        let fs = run(Some(&agg));

        let used = one(&fs, FindingCode::StaticCredentialUsed, "deployer");
        assert_eq!(used.severity, Severity::Critical);
        let ev = used.actions.as_ref().expect("actions");
        assert_eq!((ev.count, ev.lines.clone()), (1, vec![2]));
        assert_eq!(ev.source, "t.jsonl");

        let retired = one(&fs, FindingCode::RetiredAgentActing, "old-bot");
        assert_eq!(retired.severity, Severity::Critical);
        assert_eq!(retired.actions.as_ref().expect("a").lines, vec![3]);
        assert_eq!(retired.inventory[0].line, line_of("status", "old-bot"));
        // A low-tier agent using a credential longer-lived than its 15 minutes.
        let old_cred = one(&fs, FindingCode::StaticCredentialUsed, "old-bot");
        assert_eq!(old_cred.severity, Severity::Low);
        assert!(old_cred.message.contains("15 min"), "{}", old_cred.message);

        let ghost = one(
            &fs,
            FindingCode::ShadowAgent,
            "spiffe://x.example/agents/ghost",
        );
        assert_eq!(ghost.severity, Severity::Critical);
        let ev = ghost.actions.as_ref().expect("actions");
        assert_eq!(ev.count, 7);
        assert_eq!(ev.lines, vec![4, 9, 10], "the first three kept");

        let twin = one(&fs, FindingCode::TrafficUnderSharedIdentity, "twin-a");
        assert_eq!(twin.actions.as_ref().expect("a").lines, vec![5]);
        assert!(twin.message.contains("`twin-b`"), "{}", twin.message);
        one(&fs, FindingCode::TrafficUnderSharedIdentity, "twin-b");
        // Shared traffic is nobody's own: the suspended twin is not "acting".
        assert!(!fs
            .iter()
            .any(|f| f.code == FindingCode::SuspendedAgentActing));
        assert_eq!(
            one(
                &fs,
                FindingCode::SharedIdentity,
                "spiffe://x.example/agents/twin"
            )
            .actions
            .as_ref()
            .expect("a")
            .count,
            1
        );

        let unlisted = one(&fs, FindingCode::UnlistedTool, "format_disk");
        assert!(
            unlisted.message.contains("`deployer`"),
            "{}",
            unlisted.message
        );
        let off = one(&fs, FindingCode::OffUseCase, "deployer");
        assert_eq!(off.severity, Severity::High);
        assert!(off.message.contains("`mischief` (1)"), "{}", off.message);
        assert_eq!(off.actions.as_ref().expect("a").lines, vec![6]);
        // `User::"alice"` is neither a shadow agent nor anyone's action.
        assert!(!fs.iter().any(|f| f.subject.contains("alice")));
        // Most severe first.
        assert!(fs.windows(2).all(|w| w[0].severity >= w[1].severity));
    }

    #[test]
    fn quiet_inventory_and_trace_give_nothing() {
        let text = "[[team]]\nid=\"t\"\nname=\"T\"\n[[agent]]\nid=\"a\"\nname=\"A\"\nowner=\"o\"\nteam=\"t\"\nrisk_tier=\"high\"\nstatus=\"active\"\nuse_cases=[\"x\"]\n[agent.credential]\nkind=\"short_lived\"\nmax_ttl_secs=600\n[[agent.identity]]\nspiffe=\"spiffe://x.example/a\"\n[[tool]]\nname=\"t1\"\nimpact=\"read\"\n";
        let (inv, _) = load(Path::new("inventory.toml"), text, today());
        let inv = inv.expect("parses");
        let agg = aggregate(
            &[line(
                "spiffe://x.example/a",
                "Action::\\\"t1\\\"",
                r#"{"intent":"x","credential_kind":"short_lived","credential_ttl_secs":600}"#,
            )],
            5,
        );
        let fs = find(
            InventoryInput {
                inventory: &inv,
                text,
                file: "inventory.toml",
            },
            Some(TraceInput {
                source: "t",
                aggregate: &agg,
            }),
            today(),
        );
        assert!(fs.is_empty(), "{fs:#?}");
    }

    #[test]
    fn merged_occurrences_keep_the_first_lines_overall() {
        let a = Occurrences {
            count: 10,
            first_lines: vec![5, 9, 12],
        };
        let b = Occurrences {
            count: 2,
            first_lines: vec![1, 30],
        };
        let m = Occurrences::merged([&a, &b], 3);
        assert_eq!(m.count, 12);
        assert_eq!(m.first_lines, vec![1, 5, 9]);
    }

    #[test]
    fn codes_serialize_as_their_stable_names() {
        for code in FindingCode::ALL {
            assert_eq!(
                serde_json::to_value(code).expect("json"),
                serde_json::Value::from(code.as_str())
            );
        }
        let docs = include_str!("../../../docs/findings.md");
        for code in FindingCode::ALL {
            assert!(
                docs.contains(&format!("| `{}` |", code.as_str())),
                "docs/findings.md documents `{}`",
                code.as_str()
            );
        }
    }

    #[test]
    fn severities_parse_and_order() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Medium > Severity::Low);
        assert_eq!(tool_name("Action::\"x\""), "x");
        assert_eq!(tool_name("plain"), "plain");
    }
}
