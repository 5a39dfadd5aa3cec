//! What every finding rule reads, worked out once per run: the inputs, the
//! spans of each agent's keys, who claims which identity, the listed tools
//! and, per agent, the trace activity that is its own; and the small text
//! helpers the rules' messages share.

use super::aggregate::{IdentityActivity, Occurrences, TraceAggregate};
use super::model::{ActionEvidence, InventoryEvidence};
use crate::diagnostic::{line_column, Span};
use crate::inventory::{Impact, Inventory, RiskTier};
use crate::uid::parse_uid_literal;
use std::collections::{BTreeMap, HashMap};

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

/// Who a recorded identity is, for findings.
pub(super) enum Claim {
    /// Exactly one inventory agent (by identity, id or `Agent::"id"`).
    Agent(usize),
    /// Several agents claim it.
    Shared,
    /// No entry claims it.
    Shadow,
    /// A Cedar uid of another type (`User::"alice"`): not an agent.
    Other,
}

/// The facts of one finding run.
pub(super) struct Facts<'a> {
    /// The inventory as given.
    pub inv: InventoryInput<'a>,
    /// The trace, when given.
    pub trace: Option<TraceInput<'a>>,
    /// Reviews due before this day are overdue.
    pub today: time::Date,
    /// Per `[[agent]]` table, in file order, the spans of its keys.
    spans: Vec<HashMap<String, Span>>,
    /// Per identity key, the agents claiming it (each once) and where.
    pub claims: BTreeMap<String, Vec<(usize, Span)>>,
    /// Agent index by id (the first of duplicates).
    by_id: HashMap<&'a str, usize>,
    /// The listed tools and their impact.
    pub tools: HashMap<&'a str, Impact>,
    /// Per agent, the activities of the identities that are its alone
    /// (empty without a trace).
    pub per_agent: Vec<Vec<&'a IdentityActivity>>,
}

impl<'a> Facts<'a> {
    /// Works out the facts of a run.
    pub fn new(
        inv: InventoryInput<'a>,
        trace: Option<TraceInput<'a>>,
        today: time::Date,
    ) -> Facts<'a> {
        let agents = &inv.inventory.agent;
        let mut claims: BTreeMap<String, Vec<(usize, Span)>> = BTreeMap::new();
        for (i, a) in agents.iter().enumerate() {
            for (key, span) in a.identity_keys() {
                let list = claims.entry(key).or_default();
                if !list.iter().any(|(j, _)| *j == i) {
                    list.push((i, span));
                }
            }
        }
        let mut by_id: HashMap<&str, usize> = HashMap::new();
        for (i, a) in agents.iter().enumerate() {
            by_id.entry(a.id.get_ref().as_str()).or_insert(i);
        }
        let tools = inv
            .inventory
            .tool
            .iter()
            .map(|tl| (tl.name.get_ref().as_str(), *tl.impact.get_ref()))
            .collect();
        let mut facts = Facts {
            inv,
            trace,
            today,
            spans: agent_key_spans(inv.text),
            claims,
            by_id,
            tools,
            per_agent: vec![Vec::new(); agents.len()],
        };
        if let Some(t) = trace {
            for (identity, activity) in &t.aggregate.identities {
                if let Claim::Agent(i) = facts.claim(identity) {
                    facts.per_agent[i].push(activity);
                }
            }
        }
        facts
    }

    /// The inventory.
    pub fn inventory(&self) -> &'a Inventory {
        self.inv.inventory
    }

    /// The id of agent `i`.
    pub fn agent_name(&self, i: usize) -> &'a String {
        self.inv.inventory.agent[i].id.get_ref()
    }

    /// Who a recorded identity is.
    pub fn claim(&self, identity: &str) -> Claim {
        if let Some(list) = self.claims.get(identity) {
            return match list.as_slice() {
                [(i, _)] => Claim::Agent(*i),
                _ => Claim::Shared,
            };
        }
        if let Some(i) = self.by_id.get(identity) {
            return Claim::Agent(*i);
        }
        if let Some((ty, id)) = parse_uid_literal(identity) {
            if ty == "Agent" || ty.ends_with("::Agent") {
                if let Some(i) = self.by_id.get(id.as_str()) {
                    return Claim::Agent(*i);
                }
            }
            return Claim::Other;
        }
        Claim::Shadow
    }

    /// Evidence at `span` of the inventory text.
    pub fn at(&self, span: Span, note: impl Into<String>) -> InventoryEvidence {
        let (line, column) = line_column(self.inv.text, span.start);
        InventoryEvidence {
            file: self.inv.file.to_string(),
            line,
            column,
            note: note.into(),
        }
    }

    /// The location of key `key` of agent `i`, or of its id.
    pub fn agent_key(&self, i: usize, key: &str, note: impl Into<String>) -> InventoryEvidence {
        let span = self
            .spans
            .get(i)
            .and_then(|m| m.get(key))
            .copied()
            .unwrap_or_else(|| span_of(&self.inv.inventory.agent[i].id));
        self.at(span, note)
    }

    /// The location of agent `i`'s id.
    pub fn agent_id(&self, i: usize) -> InventoryEvidence {
        let a = &self.inv.inventory.agent[i];
        self.at(span_of(&a.id), format!("agent `{}`", a.id.get_ref()))
    }
}

/// The span of a spanned TOML value.
pub(super) fn span_of<T>(s: &toml::Spanned<T>) -> Span {
    Span::new(s.span().start, s.span().end - s.span().start)
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

/// Trace evidence: `o`'s count and first lines in `source`.
pub(super) fn actions(source: &str, o: &Occurrences) -> Option<ActionEvidence> {
    Some(ActionEvidence {
        source: source.to_string(),
        count: o.count,
        lines: o.first_lines.clone(),
    })
}

/// `1 day`, `3 days`.
pub(super) fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A risk tier as a message says it (`high-tier`).
pub(super) fn tier_name(t: RiskTier) -> &'static str {
    match t {
        RiskTier::Low => "low-tier",
        RiskTier::Medium => "medium-tier",
        RiskTier::High => "high-tier",
        RiskTier::Critical => "critical-tier",
    }
}

/// A number of seconds in the largest whole unit (`30 days`, `15 min`).
pub(super) fn duration(secs: i64) -> String {
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
