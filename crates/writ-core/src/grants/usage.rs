//! What a trace's replay allowed: each (inventory agent, action) pair that
//! had an allow, and, per permit, the pairs it was a reason for.

use crate::evaluate::{Evaluator, Verdict};
use crate::replay::{ActionResult, ResultSink, SinkError};
use crate::trace::parse_timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// A (principal uid, action uid) pair, both as Cedar prints them
/// (`Agent::"support-bot"`, `Action::"read_ticket"`).
pub type Pair = (String, String);

/// The allows of one replay.
#[derive(Debug, Clone, Default)]
pub struct AllowedUse {
    /// Actions replayed.
    pub actions: u64,
    /// Pairs with at least one allow (any principal, inventory agent or not).
    pub pairs: BTreeSet<Pair>,
    /// Pairs denied only by `@step_up` forbids (an approval would have
    /// allowed them): a grant used through a step-up.
    pub stepped: BTreeSet<Pair>,
    /// Per permit id, the pairs it was a determining policy for.
    pub by_policy: BTreeMap<String, BTreeSet<Pair>>,
    /// Earliest and latest record time.
    pub window: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
}

/// A sink collecting [`AllowedUse`] for the first version replayed.
pub struct UsageSink<'a> {
    evaluator: &'a Evaluator,
    /// What was collected.
    pub usage: AllowedUse,
}

impl<'a> UsageSink<'a> {
    /// A sink for replays against `evaluator`.
    pub fn new(evaluator: &'a Evaluator) -> Self {
        UsageSink {
            evaluator,
            usage: AllowedUse::default(),
        }
    }
}

impl ResultSink for UsageSink<'_> {
    fn result(&mut self, r: &ActionResult) -> Result<(), SinkError> {
        self.usage.actions += 1;
        if let Ok(t) = parse_timestamp(&r.record.ts) {
            self.usage.window = Some(match self.usage.window {
                None => (t, t),
                Some((a, b)) => (a.min(t), b.max(t)),
            });
        }
        let Some(eval) = r.evaluations.first() else {
            return Ok(());
        };
        let stepped = eval.outcome.verdict == Verdict::NeedsStepUp;
        if eval.outcome.verdict != Verdict::Allowed && !stepped {
            return Ok(());
        }
        let agent = &eval.principal;
        let Ok(ty) = cedar_policy::EntityTypeName::from_str(&agent.ty) else {
            return Ok(());
        };
        let principal = cedar_policy::EntityUid::from_type_name_and_id(
            ty,
            cedar_policy::EntityId::new(&*agent.id),
        );
        let Ok(action) = self.evaluator.action(&r.record.action) else {
            return Ok(());
        };
        let pair = (principal.to_string(), action.uid.to_string());
        if stepped {
            self.usage.stepped.insert(pair);
            return Ok(());
        }
        for reason in &eval.outcome.reasons {
            self.usage
                .by_policy
                .entry(reason.to_string())
                .or_default()
                .insert(pair.clone());
        }
        self.usage.pairs.insert(pair);
        Ok(())
    }
}
