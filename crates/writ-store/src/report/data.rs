//! What the evidence report shows ([`ReportData`]), gathered by
//! `report_data` and rendered by `render_html`.

use crate::approvals::{ReviewRound, VersionStatus};
use crate::keys::BundleRecord;
use crate::suites::SuiteOutcome;
use crate::versions::VersionInfo;
use std::collections::BTreeMap;
use writ_core::findings::Finding;
use writ_core::policies::PolicyInfo;
use writ_core::scenario::CaseResult;

/// The inventory at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventorySummary {
    /// Agents.
    pub agents: usize,
    /// Agents by risk tier (`low`, `medium`, `high`, `critical`).
    pub by_tier: BTreeMap<String, usize>,
    /// Agents by status (`active`, `suspended`, `retired`).
    pub by_status: BTreeMap<String, usize>,
    /// Agents by owner (`(no owner)` when none is named).
    pub by_owner: BTreeMap<String, usize>,
    /// Each agent: (id, name, tier, status, owner).
    pub rows: Vec<[String; 5]>,
}

/// One suite bound to the version, run against it.
#[derive(Debug, Clone)]
pub struct SuiteResult {
    /// The suite's outcome (name, bindings, error when it could not run).
    pub outcome: SuiteOutcome,
    /// Its cases, in order.
    pub cases: Vec<CaseResult>,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct ReportData {
    /// The version.
    pub version: VersionInfo,
    /// Its review state and approvals.
    pub status: VersionStatus,
    /// Every review round, oldest first (empty when never reviewed).
    pub rounds: Vec<ReviewRound>,
    /// The report's time (RFC 3339).
    pub generated_at: String,
    /// The inventory summary, or why there is none.
    pub inventory: std::result::Result<InventorySummary, String>,
    /// Where the findings' action evidence came from (`None`: inventory alone).
    pub findings_source: Option<String>,
    /// The findings, most severe first.
    pub findings: Vec<Finding>,
    /// The policies, in file order.
    pub policies: Vec<PolicyInfo>,
    /// The suites bound to the version, run against it.
    pub suites: Vec<SuiteResult>,
    /// The bundles exported of the version, oldest first.
    pub bundles: Vec<BundleRecord>,
}
