//! A first project drafted from recorded traffic, least privilege by
//! construction: `writ draft` and the app's "Draft policies from this
//! trace set…".
//!
//! The trace is read once into [`Observations`]; [`draft`] then makes a
//! schema with one action per tool (context typed from the recorded
//! values), an inventory with one agent per identity (owner, team and tier
//! left `unconfirmed` for a human), and policies that permit what was
//! executed and not denied, and no more: a permit per tool and group of
//! principals that used the same resources, `resource in [...]` up to
//! [`Limits::max_resources`], `@widened` past it; sensitive tools and
//! shadow identities behind `@step_up` forbids. The files are checked by
//! the project checker before they are returned; [`verify`] replays the
//! trace against them and lists every decision outside what the draft
//! states.
//!
//! Modules, each using only those listed before it: `sketch` (Cedar types
//! of observed values), `sensitive` (which tools need a step-up),
//! `observe` (the trace reduction), `identity` (who becomes which
//! principal), `plan` (what is granted), `render` (the texts), `verify`
//! (the replay check).

mod identity;
mod observe;
mod plan;
mod render;
mod sensitive;
mod sketch;
mod verify;

pub use identity::{DraftIdentity, IdentityKind, UNNAMED_AGENT};
pub use observe::{
    action_id, Observations, ObserveError, MAX_CONTEXT_ATTRIBUTES, MAX_IDENTITIES, MAX_TOOLS,
};
pub use plan::{EntityScope, Grant, Limits, NotGranted, Principals, Resources, StepUpDraft};
pub use render::{UNASSIGNED_OWNER, UNASSIGNED_TEAM};
pub use sensitive::Sensitivity;
pub use verify::{verify, DraftCheck};

use crate::project::{check_files, Project, ProjectFile, ProjectFiles};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A tool as the draft treats it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DraftTool {
    /// The action id.
    pub name: String,
    /// Calls recorded.
    pub calls: u64,
    /// The impact written to the inventory.
    pub impact: String,
    /// Why it needs a step-up, if it does.
    pub step_up: Option<String>,
}

/// What a person can do about a [`DraftFinding`]; each caller (the CLI,
/// the app) says it in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "DraftNextStep")]
pub enum NextStep {
    /// Keep the step-up forbid, or mark the tool plain and draft again.
    KeepOrMarkPlain,
    /// List what the widened permit should cover, or raise the limit; the
    /// unused grants over the trace show what it lets agents do.
    NarrowOrRaiseLimit,
    /// Map the identity to a workload identity (a profile's `[identities]`)
    /// and re-map the trace set.
    MapIdentity,
    /// Add the agent's SPIFFE ID or OIDC subject to the inventory.
    AddWorkloadIdentity,
}

/// Something a human must look at before the draft is used.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DraftFinding {
    /// `step-up-draft`, `widened-grant`, `shadow-identity`, `name-only-identity`.
    pub code: String,
    /// The policy, tool or identity it is about.
    pub subject: String,
    /// What was drafted and why (no instructions: see `next`).
    pub message: String,
    /// What a person can do about it.
    pub next: NextStep,
}

/// What a draft holds and why.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DraftReport {
    /// Where the traffic came from (`trace set \`x\``).
    pub source: String,
    /// Actions read.
    pub actions: u64,
    /// Malformed lines skipped.
    pub bad_lines: u64,
    /// Each identity.
    pub identities: Vec<DraftIdentity>,
    /// Each tool.
    pub tools: Vec<DraftTool>,
    /// The permits.
    pub grants: Vec<Grant>,
    /// The step-up forbids.
    pub step_ups: Vec<StepUpDraft>,
    /// Pairs seen and not granted.
    pub not_granted: Vec<NotGranted>,
    /// What to review.
    pub findings: Vec<DraftFinding>,
    /// What could not be declared (context values Cedar cannot type, ...).
    pub left_out: Vec<String>,
    /// Per tool, the context attributes holding something left out: calls
    /// carrying one cannot be decided until a profile maps them to values
    /// Cedar can type (`numbers = "decimal"`, `complex_args = "present"`).
    pub untyped: BTreeMap<String, BTreeSet<String>>,
}

/// A drafted project: its files and its report.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Draft {
    /// `schema.cedarschema`.
    pub schema: String,
    /// `inventory.toml`.
    pub inventory: String,
    /// `policies/<name>.cedar` → text.
    pub policies: Vec<(String, String)>,
    /// What it holds and why.
    pub report: DraftReport,
}

/// Why there is no draft.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// The trace holds no action a draft could grant or declare.
    #[error("{from} holds no action a draft can be made from ({actions} read, {bad} malformed)")]
    Empty {
        /// Where.
        from: String,
        /// Actions read.
        actions: u64,
        /// Malformed lines.
        bad: u64,
    },
    /// The drafted files do not check (a fault in the drafting, reported whole).
    #[error("the drafted project does not check; this is a fault in `writ draft`, please report it with the trace:\n{0}")]
    Invalid(String),
    /// The output folder exists and is not empty.
    #[error("{0} exists and is not empty; choose a new folder (the draft never overwrites)")]
    OutputExists(PathBuf),
    /// Writing failed.
    #[error("cannot write the draft to {path}: {source}")]
    Write {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The file name of the permits.
pub const GRANTS_FILE: &str = "policies/grants.cedar";
/// The file name of the step-up forbids.
pub const STEP_UPS_FILE: &str = "policies/step-up.cedar";

/// Drafts a project from observations. `source` names the traffic in
/// annotations and messages. The draft is checked before it is returned,
/// with the project the check made (for [`verify`]).
pub fn draft(
    obs: &Observations,
    source: &str,
    limits: &Limits,
) -> Result<(Draft, Project), DraftError> {
    if obs.tools.is_empty() {
        return Err(DraftError::Empty {
            from: source.to_string(),
            actions: obs.actions,
            bad: obs.bad_line_count,
        });
    }
    let calls = obs
        .identities
        .iter()
        .map(|(k, v)| (k.clone(), v.calls))
        .collect();
    let identities = identity::assign(&calls);
    let sensitive = plan::sensitivities(obs, limits);
    let planned = plan::plan(obs, &identities, &sensitive, limits);
    let mut left_out = Vec::new();
    for (action, n) in &obs.foreign_actions {
        left_out.push(format!(
            "action {action} ({n} call(s)): a namespaced action a draft does not declare"
        ));
    }
    let mut untyped = BTreeMap::new();
    let schema = render::schema(
        source,
        obs,
        &identities,
        &planned,
        &mut left_out,
        &mut untyped,
    );
    let inventory = render::inventory(source, obs, &identities, &sensitive);
    let mut policies = vec![(GRANTS_FILE.to_string(), render::grants(&planned, source))];
    if !planned.step_ups.is_empty() {
        policies.push((
            STEP_UPS_FILE.to_string(),
            render::step_ups(&planned.step_ups, source),
        ));
    }
    let tools = obs
        .tools
        .iter()
        .map(|(name, seen)| DraftTool {
            name: name.clone(),
            calls: seen.calls,
            impact: sensitive
                .get(name)
                .map(|(k, _)| k.impact())
                .unwrap_or(crate::inventory::Impact::Read)
                .as_str()
                .to_string(),
            step_up: sensitive
                .get(name)
                .map(|(k, why)| format!("looks like {}: {why}", k.phrase())),
        })
        .collect();
    let findings = findings(&identities, &planned);
    let report = DraftReport {
        source: source.to_string(),
        actions: obs.actions,
        bad_lines: obs.bad_line_count,
        identities,
        tools,
        grants: planned.grants,
        step_ups: planned.step_ups,
        not_granted: planned.not_granted,
        findings,
        left_out,
        untyped,
    };
    let d = Draft {
        schema,
        inventory,
        policies,
        report,
    };
    let project = d.check(Path::new("draft"), crate::project::today_utc())?;
    Ok((d, project))
}

fn findings(identities: &[DraftIdentity], planned: &plan::Plan) -> Vec<DraftFinding> {
    let mut out = Vec::new();
    for s in &planned.step_ups {
        out.push(DraftFinding {
            code: "step-up-draft".into(),
            subject: s.id.clone(),
            message: format!("{}: drafted behind a human approval", s.reason),
            next: NextStep::KeepOrMarkPlain,
        });
    }
    for g in planned.grants.iter().filter(|g| g.widened.is_some()) {
        out.push(DraftFinding {
            code: "widened-grant".into(),
            subject: g.id.clone(),
            message: format!(
                "`{}` grants more than was seen ({})",
                g.id,
                g.widened.as_deref().unwrap_or_default()
            ),
            next: NextStep::NarrowOrRaiseLimit,
        });
    }
    for d in identities {
        match &d.kind {
            IdentityKind::Shadow { why } => out.push(DraftFinding {
                code: "shadow-identity".into(),
                subject: d.recorded.clone(),
                message: format!(
                    "`{}` ({} call(s)): {why}; its calls are step-up drafts",
                    d.recorded, d.calls
                ),
                next: NextStep::MapIdentity,
            }),
            IdentityKind::Name => out.push(DraftFinding {
                code: "name-only-identity".into(),
                subject: d.recorded.clone(),
                message: format!(
                    "agent `{}` is known only by the name `{}`, not a workload identity",
                    d.entity_id, d.recorded
                ),
                next: NextStep::AddWorkloadIdentity,
            }),
            _ => {}
        }
    }
    out
}

impl Draft {
    /// The drafted files as a project under `root`.
    pub fn files(&self, root: &Path) -> ProjectFiles {
        let file = |relative: &str, text: &str| ProjectFile {
            relative: relative.to_string(),
            shown: root.join(relative),
            text: text.to_string(),
        };
        ProjectFiles {
            schema: Some(file(crate::project::SCHEMA_FILES[0], &self.schema)),
            policies: self.policies.iter().map(|(p, t)| file(p, t)).collect(),
            inventory: Some(file(crate::project::INVENTORY_FILE, &self.inventory)),
            entities: None,
            links: None,
        }
    }

    /// Checks the drafted files as `writ check` would; the project when
    /// they hold no error.
    pub fn check(&self, root: &Path, today: time::Date) -> Result<Project, DraftError> {
        let report = check_files(root, self.files(root), Vec::new(), today);
        match report.project {
            Some(p) if report.error_count() == 0 => Ok(p),
            _ => {
                let text: String = report
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| report.sources.render(d))
                    .collect();
                Err(DraftError::Invalid(text))
            }
        }
    }

    /// Writes the files into `dir`, which must not exist or be empty,
    /// whole (see [`crate::new_folder`]).
    pub fn write(&self, dir: &Path) -> Result<(), DraftError> {
        use crate::new_folder::{write_new_folder, NewFolderError};
        write_new_folder(dir, &self.files(dir)).map_err(|e| match e {
            NewFolderError::NotEmpty(p) => DraftError::OutputExists(p),
            e @ NewFolderError::Escapes(_) => DraftError::Invalid(e.to_string()),
            NewFolderError::Io { path, source } => DraftError::Write { path, source },
        })
    }
}
