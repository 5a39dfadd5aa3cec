//! A trace reduced to what findings need, in one streaming pass: per
//! recorded identity its actions, tools, intents and credentials, each with
//! a count and its first line numbers.

use crate::trace::{parse_record, LineError, LineSource, TraceRecord};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

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
pub(super) fn tool_name(action: &str) -> &str {
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
