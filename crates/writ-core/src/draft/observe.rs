//! One streaming pass over a trace, reduced to what a draft is made of:
//! who called which tool, on what, with which context, and what happened.
//! Memory depends on the number of distinct identities, tools and
//! resources (each capped), never on the length of the trace.

use super::sketch::Sketch;
use crate::trace::{
    parse_record, parse_timestamp, Decision, LineError, LineSource, RecordedOutcome,
};
use crate::uid::parse_uid_literal;
use std::collections::{BTreeMap, BTreeSet};

/// Distinct resources remembered per identity and tool; more are counted
/// as "more than this".
pub const RESOURCE_MEMORY: usize = 10_000;
/// Distinct tools a draft takes; a trace with more is refused.
pub const MAX_TOOLS: usize = 5_000;
/// Distinct identities a draft takes; a trace with more is refused.
pub const MAX_IDENTITIES: usize = 10_000;
/// Distinct context attributes a draft takes for one tool; a trace with
/// more is refused.
pub const MAX_CONTEXT_ATTRIBUTES: usize = 1_000;
/// Line numbers kept per identity and tool.
const LINES_KEPT: usize = 5;
/// Malformed lines kept for the report.
const BAD_LINES_KEPT: usize = 10;
/// Distinct intents kept per identity.
const INTENTS_KEPT: usize = 100;
/// Argument names kept per tool.
const ARG_NAMES_KEPT: usize = 200;

/// A resource as the request names it: entity type and id.
pub type ResourceKey = (String, String);

/// One identity's traffic.
#[derive(Debug, Clone, Default)]
pub struct IdentitySeen {
    /// Actions it took.
    pub calls: u64,
    /// The `context.intent` values it acted for.
    pub intents: BTreeSet<String>,
    /// Its first line.
    pub first_line: usize,
}

/// One tool's calls, whoever made them.
#[derive(Debug, Clone, Default)]
pub struct ToolSeen {
    /// Calls.
    pub calls: u64,
    /// Each context attribute's sketch and how many calls carried it.
    pub context: BTreeMap<String, (Sketch, u64)>,
    /// The names of its recorded arguments.
    pub arg_names: BTreeSet<String>,
    /// The entity types its resources had (`Tool` for calls without one).
    pub resource_types: BTreeSet<String>,
    /// Whether some call was made on behalf of a user.
    pub users: bool,
}

/// One identity calling one tool.
#[derive(Debug, Clone, Default)]
pub struct PairSeen {
    /// Calls recorded as executed and not denied: the ones a draft grants.
    pub granted_calls: u64,
    /// Calls recorded as blocked.
    pub blocked: u64,
    /// Calls that ran and failed.
    pub failed: u64,
    /// Calls recorded as executed although an enforcement point denied them.
    pub denied_executed: u64,
    /// The resources of the granted calls (at most [`RESOURCE_MEMORY`]).
    pub resources: BTreeSet<ResourceKey>,
    /// Whether more distinct resources were seen than are remembered.
    pub resources_overflow: bool,
    /// The first lines of its calls.
    pub lines: Vec<usize>,
    /// Earliest and latest time of the granted calls.
    pub window: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
}

/// What a trace holds, as a draft reads it.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    /// Actions read.
    pub actions: u64,
    /// Malformed lines skipped.
    pub bad_line_count: u64,
    /// The first malformed lines.
    pub bad_lines: Vec<LineError>,
    /// Each identity (the record's `agent`, as recorded).
    pub identities: BTreeMap<String, IdentitySeen>,
    /// Each tool, by action id.
    pub tools: BTreeMap<String, ToolSeen>,
    /// Each (identity, tool) pair.
    pub pairs: BTreeMap<(String, String), PairSeen>,
    /// Actions named by a namespaced uid (`NS::Action::"x"`), which a draft
    /// cannot declare, with their count.
    pub foreign_actions: BTreeMap<String, u64>,
    /// Earliest and latest record time.
    pub window: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
}

/// Why a trace cannot be drafted from.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// Reading failed.
    #[error("cannot read the trace: {0}")]
    Io(#[from] std::io::Error),
    /// More distinct tools, identities or context attributes than a draft takes.
    #[error("the trace names more than {limit} distinct {what}; a draft is for one team's agents and tools — draft from a narrower slice (a time window, one service), or map fewer arguments into the context with a profile")]
    TooMany {
        /// `tools`, `identities` or `context attributes for one tool`.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}

/// The action id a record names: itself, or the id of an `Action::"x"`
/// uid; `Err` with the text for uids of another type.
pub fn action_id(action: &str) -> Result<String, String> {
    if !action.contains("::\"") {
        return Ok(action.to_string());
    }
    match parse_uid_literal(action) {
        Some((ty, id)) if ty == "Action" => Ok(id),
        _ => Err(action.to_string()),
    }
}

fn widen(
    window: &mut Option<(time::OffsetDateTime, time::OffsetDateTime)>,
    t: time::OffsetDateTime,
) {
    *window = Some(match *window {
        None => (t, t),
        Some((a, b)) => (a.min(t), b.max(t)),
    });
}

/// The argument names of a record's raw `args`, when they are an object.
fn arg_names(args: Option<&serde_json::value::RawValue>) -> Vec<String> {
    args.and_then(|raw| {
        serde_json::from_str::<BTreeMap<String, serde::de::IgnoredAny>>(raw.get()).ok()
    })
    .map(|m| m.into_keys().collect())
    .unwrap_or_default()
}

impl Observations {
    /// Reads every record of `source`; `progress` gets the bytes read now
    /// and then.
    pub fn read<S: LineSource>(
        source: &mut S,
        progress: &dyn Fn(u64),
    ) -> Result<Observations, ObserveError> {
        let mut obs = Observations::default();
        let mut buf = String::new();
        while let Some(line) = source.next_line(&mut buf)? {
            if obs.actions % 4096 == 0 {
                progress(source.bytes_read());
            }
            match parse_record(line, &buf) {
                Ok(record) => obs.add(line, &record)?,
                Err(e) => {
                    obs.bad_line_count += 1;
                    if obs.bad_lines.len() < BAD_LINES_KEPT {
                        obs.bad_lines.push(e);
                    }
                }
            }
        }
        progress(source.bytes_read());
        Ok(obs)
    }

    /// Adds one record.
    pub fn add(
        &mut self,
        line: usize,
        record: &crate::trace::TraceRecord,
    ) -> Result<(), ObserveError> {
        self.actions += 1;
        let time = parse_timestamp(&record.ts).ok();
        if let Some(t) = time {
            widen(&mut self.window, t);
        }
        let tool = match action_id(&record.action) {
            Ok(id) => id,
            Err(text) => {
                *self.foreign_actions.entry(text).or_default() += 1;
                return Ok(());
            }
        };
        if !self.identities.contains_key(&record.agent) && self.identities.len() >= MAX_IDENTITIES {
            return Err(ObserveError::TooMany {
                what: "identities",
                limit: MAX_IDENTITIES,
            });
        }
        if !self.tools.contains_key(&tool) && self.tools.len() >= MAX_TOOLS {
            return Err(ObserveError::TooMany {
                what: "tools",
                limit: MAX_TOOLS,
            });
        }
        let who = self.identities.entry(record.agent.clone()).or_default();
        if who.calls == 0 {
            who.first_line = line;
        }
        who.calls += 1;
        if let Some(intent) = record.context.get("intent").and_then(|v| v.as_str()) {
            if who.intents.len() < INTENTS_KEPT {
                who.intents.insert(intent.to_string());
            }
        }

        let resource: ResourceKey = match &record.resource {
            Some(r) => (r.ty.clone(), r.id.clone()),
            None => ("Tool".to_string(), tool.clone()),
        };
        let seen = self.tools.entry(tool.clone()).or_default();
        seen.calls += 1;
        seen.users |= record.on_behalf_of.is_some();
        seen.resource_types.insert(resource.0.clone());
        for (name, value) in &record.context {
            if !seen.context.contains_key(name) && seen.context.len() >= MAX_CONTEXT_ATTRIBUTES {
                return Err(ObserveError::TooMany {
                    what: "context attributes for one tool",
                    limit: MAX_CONTEXT_ATTRIBUTES,
                });
            }
            let sketch = Sketch::of(value);
            match seen.context.remove(name) {
                Some((old, n)) => seen
                    .context
                    .insert(name.clone(), (old.merge(sketch), n + 1)),
                None => seen.context.insert(name.clone(), (sketch, 1)),
            };
        }
        for name in arg_names(record.args.as_deref()) {
            if seen.arg_names.len() < ARG_NAMES_KEPT {
                seen.arg_names.insert(name);
            }
        }

        let pair = self.pairs.entry((record.agent.clone(), tool)).or_default();
        if pair.lines.len() < LINES_KEPT {
            pair.lines.push(line);
        }
        let denied = record.recorded_decision == Some(Decision::Deny);
        match record.outcome {
            RecordedOutcome::Blocked => pair.blocked += 1,
            RecordedOutcome::Failed => pair.failed += 1,
            RecordedOutcome::Executed if denied => pair.denied_executed += 1,
            RecordedOutcome::Executed => {
                pair.granted_calls += 1;
                if let Some(t) = time {
                    widen(&mut pair.window, t);
                }
                if pair.resources.len() < RESOURCE_MEMORY {
                    pair.resources.insert(resource);
                } else if !pair.resources.contains(&resource) {
                    pair.resources_overflow = true;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceLines;

    const TRACE: &str = concat!(
        r#"{"ts":"2026-11-02T09:00:00Z","agent":"spiffe://x.example/a","action":"read","context":{"intent":"triage","n":1},"outcome":"executed"}"#,
        "\n",
        r#"{"ts":"2026-11-02T10:00:00+02:00","agent":"spiffe://x.example/a","action":"Action::\"read\"","resource":{"type":"Repo","id":"r1"},"context":{"intent":"triage"},"args":{"path":"x"},"outcome":"executed"}"#,
        "\n",
        r#"{"ts":"2026-11-02T09:00:02Z","agent":"spiffe://x.example/a","action":"drop","context":{},"outcome":"blocked"}"#,
        "\n",
        r#"{"ts":"2026-11-02T09:00:03Z","agent":"spiffe://x.example/b","action":"read","context":{},"outcome":"executed","recorded_decision":"deny"}"#,
        "\n",
        r#"{"ts":"2026-11-02T09:00:04Z","agent":"spiffe://x.example/b","action":"NS::Action::\"x\"","context":{},"outcome":"executed"}"#,
        "\n",
        "not json\n"
    );

    #[test]
    fn ever_new_context_attributes_are_refused_past_the_limit() {
        let lines: String = (0..=MAX_CONTEXT_ATTRIBUTES)
            .map(|i| {
                format!(
                    "{{\"ts\":\"2026-11-02T09:00:00Z\",\"agent\":\"a\",\"action\":\"t\",\"context\":{{\"k{i}\":1}},\"outcome\":\"executed\"}}\n"
                )
            })
            .collect();
        let e = Observations::read(&mut TraceLines::new(lines.as_bytes()), &|_| {})
            .expect_err("too many");
        assert!(
            e.to_string().contains("context attributes for one tool"),
            "{e}"
        );
    }

    #[test]
    fn a_trace_is_reduced_to_its_pairs_and_tools() {
        let obs =
            Observations::read(&mut TraceLines::new(TRACE.as_bytes()), &|_| {}).expect("reads");
        assert_eq!(obs.actions, 5);
        assert_eq!(obs.bad_line_count, 1);
        assert_eq!(obs.identities.len(), 2);
        assert_eq!(obs.foreign_actions.get("NS::Action::\"x\""), Some(&1));
        let a_read = &obs.pairs[&("spiffe://x.example/a".to_string(), "read".to_string())];
        assert_eq!(a_read.granted_calls, 2, "the uid form is the same tool");
        assert_eq!(
            a_read.resources.iter().cloned().collect::<Vec<_>>(),
            vec![
                ("Repo".to_string(), "r1".to_string()),
                ("Tool".to_string(), "read".to_string())
            ]
        );
        let (first, last) = a_read.window.expect("window");
        assert!(
            first > last - time::Duration::hours(2),
            "times are compared as instants"
        );
        let a_drop = &obs.pairs[&("spiffe://x.example/a".to_string(), "drop".to_string())];
        assert_eq!((a_drop.granted_calls, a_drop.blocked), (0, 1));
        let b_read = &obs.pairs[&("spiffe://x.example/b".to_string(), "read".to_string())];
        assert_eq!((b_read.granted_calls, b_read.denied_executed), (0, 1));
        let read = &obs.tools["read"];
        assert_eq!(read.context["n"].1, 1);
        assert_eq!(read.context["intent"].1, 2);
        assert!(read.arg_names.contains("path"));
        assert_eq!(
            obs.identities["spiffe://x.example/a"]
                .intents
                .iter()
                .collect::<Vec<_>>(),
            vec!["triage"]
        );
    }
}
