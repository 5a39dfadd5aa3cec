//! The Tests view: scenario suites stored in the workspace, listed and run
//! (one or all, optionally against another version) on the blocking pool.

use super::{blocking, open, valid_version, AppState};
use serde::Serialize;
use tauri::State;
use writ_core::scenario::{CaseResult, Expect};
use writ_store::suites::{check_name, Overrides, SuiteInfo, ALL};

/// A suite as the list shows it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SuiteRow {
    name: String,
    title: Option<String>,
    version: Option<String>,
    set: Option<String>,
    cases: i64,
    source: String,
}

impl From<SuiteInfo> for SuiteRow {
    fn from(s: SuiteInfo) -> Self {
        SuiteRow {
            name: s.name,
            title: s.title,
            version: s.version,
            set: s.set_name,
            cases: s.cases,
            source: s.source,
        }
    }
}

/// The suites stored in the workspace, by name.
#[tauri::command]
pub async fn list_suites(state: State<'_, AppState>) -> Result<Vec<SuiteRow>, String> {
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        Ok(ws
            .list_suites()
            .map_err(|e| format!("cannot list the suites: {e}"))?
            .into_iter()
            .map(SuiteRow::from)
            .collect())
    })
    .await
}

/// What a case expected or got.
#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(rename = "CaseSide")]
pub struct Side {
    decision: String,
    /// Expected: policies that must be among the determining ones;
    /// actual: the determining policies.
    reasons: Vec<String>,
    /// `None` when the case does not check it.
    verdict: Option<String>,
    /// `None` when the case does not check it.
    errors: Option<usize>,
}

fn expected(e: &Expect) -> Side {
    Side {
        decision: e.decision.as_str().to_string(),
        reasons: e.reasons.clone(),
        verdict: e.verdict.clone(),
        errors: e.errors,
    }
}

/// One case of a run.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CaseRow {
    /// The stored suite's name.
    suite: String,
    name: String,
    location: String,
    passed: bool,
    failures: Vec<String>,
    expected: Side,
    actual: Side,
}

fn case_row(suite: &str, c: &CaseResult) -> CaseRow {
    CaseRow {
        suite: suite.to_string(),
        name: c.name.clone(),
        location: c.location.clone(),
        passed: c.passed,
        failures: c.failures.clone(),
        expected: expected(&c.expected),
        actual: Side {
            decision: c.decision.as_str().to_string(),
            reasons: c.reasons.clone(),
            verdict: Some(c.verdict.as_str().to_string()),
            errors: Some(c.errors),
        },
    }
}

/// How one suite went.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SuiteResult {
    name: String,
    version: Option<String>,
    set: Option<String>,
    cases: usize,
    passed: usize,
    error: Option<String>,
}

/// Policy coverage of one version.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CoverageRow {
    project: String,
    policies: usize,
    missing: Vec<String>,
}

/// The result of running suites.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct TestReport {
    passed: usize,
    failed: usize,
    suites: Vec<SuiteResult>,
    cases: Vec<CaseRow>,
    coverage: Vec<CoverageRow>,
}

/// Runs suite `suite` (or every suite for `all`), against `version`
/// instead of each suite's bound version when one is given. A suite that
/// cannot run is reported in its row; the others run.
#[tauri::command]
pub async fn run_suites(
    state: State<'_, AppState>,
    suite: String,
    version: Option<String>,
) -> Result<TestReport, String> {
    let suite = suite.trim().to_string();
    if suite != ALL {
        check_name(&suite).map_err(|e| e.to_string())?;
    }
    let version = match version.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => Some(valid_version(v)?.to_string()),
    };
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let result = ws
            .run_suites(
                &[suite.as_str()],
                Overrides {
                    version: version.as_deref(),
                    traces: None,
                },
            )
            .map_err(|e| format!("cannot run the suites: {e}"))?;
        let mut cases = Vec::with_capacity(result.run.cases.len());
        let mut suites = Vec::with_capacity(result.suites.len());
        let mut at = 0;
        for s in &result.suites {
            let own = &result.run.cases[at..at + s.cases];
            cases.extend(own.iter().map(|c| case_row(&s.name, c)));
            suites.push(SuiteResult {
                name: s.name.clone(),
                version: s.version.clone(),
                set: s.set.clone(),
                cases: s.cases,
                passed: own.iter().filter(|c| c.passed).count(),
                error: s.error.clone(),
            });
            at += s.cases;
        }
        let coverage = result
            .run
            .coverage
            .iter()
            .map(|(project, c)| CoverageRow {
                project: project.clone(),
                policies: c.policies.len(),
                missing: c.missing().into_iter().map(str::to_string).collect(),
            })
            .collect();
        Ok(TestReport {
            passed: result.run.passed(),
            failed: result.run.failed(),
            suites,
            cases,
            coverage,
        })
    })
    .await
}
