//! The evidence a review round is decided on ([`Evidence`]: the check,
//! the bound suites run, the replay and the decision diff against the
//! baseline) and how it is gathered from the workspace.

use super::sql::baseline_of;
use super::state::{short, ReviewError};
use crate::error::Result;
use crate::suites::Overrides;
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use writ_core::diff::ChangeKind;
use writ_core::inventory::RiskTier;

/// The check of the version under review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CheckEvidence {
    /// Errors (a version with any is not accepted for review).
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
}

/// One suite bound to the version, run against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SuiteEvidence {
    /// The suite's name.
    pub name: String,
    /// SHA-256 of its text, to notice a suite replaced after review.
    pub sha256: String,
    /// The trace set it is bound to, by id.
    pub set: Option<i64>,
    /// Cases run.
    pub cases: usize,
    /// Cases passed.
    pub passed: usize,
    /// Names of the cases that failed.
    pub failed: Vec<String>,
    /// Why it could not run at all.
    pub error: Option<String>,
}

impl SuiteEvidence {
    /// Whether it ran and every case passed.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.failed.is_empty()
    }
}

/// The version's own replay over the trace set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReplayEvidence {
    /// Actions decided.
    pub actions: u64,
    /// Allowed.
    pub allowed: u64,
    /// Denied.
    pub denied: u64,
    /// Count per verdict (`allowed`, `denied_by_forbid`, ...).
    pub verdicts: BTreeMap<String, u64>,
}

/// The decision diff from the baseline to the version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DiffEvidence {
    /// Actions compared.
    pub actions: u64,
    /// Actions whose outcome did not change.
    pub unchanged: u64,
    /// Actions whose outcome changed.
    pub changed: u64,
    /// Allowed before, denied now.
    pub allow_to_deny: u64,
    /// Denied before, allowed now.
    pub deny_to_allow: u64,
    /// Same decision, other determining policies, errors or verdict.
    pub same_decision_other_reasons: u64,
    /// Changed actions per agent.
    pub changed_by_agent: BTreeMap<String, u64>,
    /// Agents for which some action's decision or verdict changes (what
    /// they may do changes, not only why).
    pub agents_with_decision_changes: Vec<String>,
}

/// What a review round was decided on, stored with it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Evidence {
    /// The version under review (full id).
    pub version: String,
    /// The most recently approved other version when reviewed, if any.
    pub baseline: Option<String>,
    /// The trace set replayed (id).
    pub set: i64,
    /// Its name.
    pub set_name: String,
    /// SHA-256 of its imported bytes.
    pub set_sha256: String,
    /// The version's check.
    pub check: CheckEvidence,
    /// The suites bound to the version, run against it.
    pub suites: Vec<SuiteEvidence>,
    /// The stored run of the version over the set.
    pub run: i64,
    /// The stored run of the baseline over the set.
    pub baseline_run: Option<i64>,
    /// The version's replay summary.
    pub replay: ReplayEvidence,
    /// The decision diff from the baseline (none without a baseline).
    pub diff: Option<DiffEvidence>,
    /// Agents of `critical` tier (in the version's or the baseline's
    /// inventory) whose decisions the diff changes.
    pub critical_agents: Vec<String>,
    /// Distinct approvers needed: 2 when `critical_agents` is not empty.
    pub required_approvals: u32,
}

impl Evidence {
    /// Whether at least one suite is bound and every one passed.
    pub fn suites_pass(&self) -> bool {
        !self.suites.is_empty() && self.suites.iter().all(SuiteEvidence::ok)
    }

    /// Suites that failed or could not run, by name.
    pub fn failing_suites(&self) -> Vec<String> {
        self.suites
            .iter()
            .filter(|s| !s.ok())
            .map(|s| s.name.clone())
            .collect()
    }
}

/// The inputs evidence depends on that can change after a review: the
/// baseline, the trace set and the suites bound to the version.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Inputs {
    pub baseline: Option<String>,
    pub suites: Vec<(String, String, Option<i64>)>,
}

impl Workspace {
    /// Errors and warnings of a stored version's check.
    pub(crate) fn check_counts(&self, id: &str) -> Result<(usize, usize)> {
        let report = self.check_version(id)?.report;
        Ok((report.error_count(), report.warning_count()))
    }

    /// The baseline and the suites bound to `id` (name, text hash, set).
    pub(crate) fn inputs(&self, id: &str) -> Result<Inputs> {
        let mut suites = Vec::new();
        for s in self.list_suites()? {
            if s.version.as_deref() == Some(id) {
                let text = self.suite(&s.name)?.text;
                suites.push((s.name, writ_base::sha256_hex(text.as_bytes()), s.set));
            }
        }
        Ok(Inputs {
            baseline: baseline_of(&self.conn, id)?,
            suites,
        })
    }

    /// Runs the suites bound to `id` against it.
    pub(crate) fn run_bound_suites(&self, id: &str) -> Result<Vec<SuiteEvidence>> {
        let inputs = self.inputs(id)?;
        if inputs.suites.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = inputs.suites.iter().map(|s| s.0.as_str()).collect();
        let result = self.run_suites(&names, Overrides::default())?;
        let mut at = 0;
        let mut out = Vec::new();
        for (outcome, (name, sha, set)) in result.suites.iter().zip(&inputs.suites) {
            let cases = &result.run.cases[at..at + outcome.cases];
            at += outcome.cases;
            out.push(SuiteEvidence {
                name: name.clone(),
                sha256: sha.clone(),
                set: *set,
                cases: cases.len(),
                passed: cases.iter().filter(|c| c.passed).count(),
                failed: cases
                    .iter()
                    .filter(|c| !c.passed)
                    .map(|c| c.name.clone())
                    .collect(),
                error: outcome.error.clone(),
            });
        }
        Ok(out)
    }

    /// The newest stored run of `version` over `set`, or a new one.
    pub(crate) fn run_for(
        &mut self,
        version: &str,
        set: i64,
        actor: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<i64> {
        let existing: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM runs WHERE version_id = ?1 AND set_id = ?2 ORDER BY id DESC LIMIT 1",
                params![version, set],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(r) => Ok(r),
            None if actor.trim().is_empty() => Err(ReviewError::NoActor.into()),
            None => Ok(self
                .store_run(version, &set.to_string(), actor, progress)?
                .id),
        }
    }

    /// Agent id -> risk tier in a stored version's inventory.
    pub(crate) fn tiers(&self, id: &str) -> Result<BTreeMap<String, RiskTier>> {
        Ok(self
            .check_version(id)?
            .report
            .project
            .map(|p| {
                p.inventory
                    .agent
                    .iter()
                    .map(|a| (a.id.get_ref().clone(), a.risk_tier))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The trace set version `id`'s approved round was reviewed over, when
    /// it is still in the workspace.
    fn approved_set_of(&self, id: &str) -> Result<Option<crate::traces::TraceSetInfo>> {
        let set: Option<Option<i64>> = self
            .conn
            .query_row(
                "SELECT set_id FROM reviews WHERE version_id = ?1 AND state = 'approved' ORDER BY round DESC LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(Some(set)) = set else {
            return Ok(None);
        };
        Ok(self.list_trace_sets()?.into_iter().find(|s| s.id == set))
    }

    /// Gathers the evidence for reviewing `id` (see [`Evidence`]).
    pub(crate) fn gather_evidence(
        &mut self,
        id: &str,
        traces: Option<&str>,
        actor: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Evidence> {
        let sh = short(id);
        let (errors, warnings) = self.check_counts(id)?;
        if errors > 0 {
            return Err(ReviewError::CheckFailed { short: sh, errors }.into());
        }
        let suites = self.run_bound_suites(id)?;
        if suites.is_empty() {
            return Err(ReviewError::NoSuites { short: sh }.into());
        }
        let baseline = baseline_of(&self.conn, id)?;
        // By default, the trace set the baseline was approved over (so the
        // decision changes are against the same traffic), else the newest.
        let baseline_set = match &baseline {
            Some(b) => self.approved_set_of(b)?,
            None => None,
        };
        let set = match (traces, baseline_set) {
            (Some(t), _) => self.trace_set(t)?,
            (None, Some(s)) => s,
            (None, None) => self
                .list_trace_sets()?
                .pop()
                .ok_or(ReviewError::NoTraceSet)?,
        };
        let run = self.run_for(id, set.id, actor, progress)?;
        let mut replay = ReplayEvidence::default();
        {
            let mut stmt = self.conn.prepare(
                "SELECT decision, verdict, COUNT(*) FROM run_results WHERE run_id = ?1 GROUP BY decision, verdict",
            )?;
            let mut rows = stmt.query([run])?;
            while let Some(row) = rows.next()? {
                let decision: String = row.get(0)?;
                let verdict: String = row.get(1)?;
                let n = u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0);
                replay.actions += n;
                if decision == "allow" {
                    replay.allowed += n;
                } else {
                    replay.denied += n;
                }
                *replay.verdicts.entry(verdict).or_default() += n;
            }
        }
        let (baseline_run, diff, critical_agents) = match &baseline {
            None => (None, None, Vec::new()),
            Some(b) => {
                let brun = self.run_for(b, set.id, actor, progress)?;
                let d = self.diff_runs(brun, run)?;
                let mut moved = BTreeSet::new();
                for c in &d.changes {
                    if c.kind != ChangeKind::SameDecisionOtherReasons
                        || c.from.verdict != c.to.verdict
                    {
                        moved.insert(c.agent.clone());
                    }
                }
                let mut tiers = self.tiers(b)?;
                for (agent, tier) in self.tiers(id)? {
                    let t = tiers.entry(agent).or_insert(tier);
                    *t = (*t).max(tier);
                }
                let critical = moved
                    .iter()
                    .filter(|a| tiers.get(*a) == Some(&RiskTier::Critical))
                    .cloned()
                    .collect();
                let evidence = DiffEvidence {
                    actions: d.actions,
                    unchanged: d.unchanged,
                    changed: d.counts.total,
                    allow_to_deny: d.counts.get(ChangeKind::AllowToDeny),
                    deny_to_allow: d.counts.get(ChangeKind::DenyToAllow),
                    same_decision_other_reasons: d.counts.get(ChangeKind::SameDecisionOtherReasons),
                    changed_by_agent: d
                        .by_agent
                        .iter()
                        .map(|(a, c)| (a.clone(), c.total))
                        .collect(),
                    agents_with_decision_changes: moved.into_iter().collect(),
                };
                (Some(brun), Some(evidence), critical)
            }
        };
        let required_approvals = if critical_agents.is_empty() { 1 } else { 2 };
        Ok(Evidence {
            version: id.to_string(),
            baseline,
            set: set.id,
            set_name: set.name,
            set_sha256: set.sha256,
            check: CheckEvidence { errors, warnings },
            suites,
            run,
            baseline_run,
            replay,
            diff,
            critical_agents,
            required_approvals,
        })
    }
}

/// A short description of how evidence changed.
pub(crate) fn describe_change(old: &Evidence, new: &Evidence) -> String {
    let mut parts = Vec::new();
    if old.baseline != new.baseline {
        parts.push(format!(
            "the baseline is now {}",
            new.baseline
                .as_deref()
                .map(short)
                .unwrap_or_else(|| "none".into())
        ));
    }
    if old.set != new.set {
        parts.push(format!("the trace set is now `{}`", new.set_name));
    }
    if old.suites != new.suites {
        parts.push("the suites bound to it or their results changed".into());
    }
    if old.check != new.check {
        parts.push("its check changed".into());
    }
    if parts.is_empty() {
        parts.push("the replay or the diff changed".into());
    }
    parts.join("; ")
}
