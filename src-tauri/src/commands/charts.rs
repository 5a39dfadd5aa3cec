//! Charts of a run (verdicts by agent and by tool, decisions over time),
//! both texts of every changed policy for the side-by-side diff, and where
//! policies sit in a version's files (to show them in the editor).

use super::{blocking, open, run_projects, valid_id, valid_version, version_project, AppState};
use serde::Serialize;
use std::collections::BTreeMap;
use tauri::State;
use writ_core::diff::{text_diff, text_sides, TextDiffEntry, TextSides};
use writ_core::locate::{locate_policy, PolicyLocation};
use writ_core::project::Project;
use writ_core::summary::VerdictCounts;
use writ_store::runs::RunTimeline;

/// Most intervals a timeline may ask for.
const MAX_BUCKETS: u32 = 500;

/// Most policies one location request may name.
const MAX_POLICY_IDS: usize = 64;

/// Longest policy id accepted (bytes).
const MAX_POLICY_ID_BYTES: usize = 1024;

/// Verdict counts of one agent or tool.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct VerdictRow {
    name: String,
    total: u64,
    /// Counts per verdict (`allowed`, `denied_by_forbid`, ...).
    verdicts: BTreeMap<String, u64>,
}

/// What the charts of one run show.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct RunCharts {
    run: i64,
    version: String,
    actions: u64,
    /// Every agent, most actions first.
    by_agent: Vec<VerdictRow>,
    /// Every tool, most actions first.
    by_tool: Vec<VerdictRow>,
    timeline: RunTimeline,
}

/// The rows of one `by_agent` / `by_tool` map of a run's summary, most
/// actions first.
fn verdict_rows(counts: &BTreeMap<String, VerdictCounts>) -> Vec<VerdictRow> {
    let mut rows: Vec<VerdictRow> = counts
        .iter()
        .map(|(name, c)| VerdictRow {
            name: name.clone(),
            total: c.total,
            verdicts: c
                .verdicts
                .iter()
                .map(|(v, n)| (v.as_str().to_string(), *n))
                .collect(),
        })
        .collect();
    rows.sort_by(|x, y| y.total.cmp(&x.total).then_with(|| x.name.cmp(&y.name)));
    rows
}

/// Verdicts by agent and by tool of run `run`, and its allowed and denied
/// actions over recorded time in at most `buckets` intervals.
#[tauri::command]
pub async fn run_charts(
    state: State<'_, AppState>,
    run: i64,
    buckets: u32,
) -> Result<RunCharts, String> {
    let run = valid_id("run", run)?;
    if !(1..=MAX_BUCKETS).contains(&buckets) {
        return Err(format!(
            "a timeline has 1 to {MAX_BUCKETS} intervals, got {buckets}"
        ));
    }
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let info = ws.run(run).map_err(|e| e.to_string())?;
        let timeline = ws
            .run_timeline(run, buckets)
            .map_err(|e| format!("cannot chart run {run} over time: {e}"))?;
        Ok(RunCharts {
            run,
            version: info.version.clone(),
            actions: info.summary.actions,
            by_agent: verdict_rows(&info.summary.by_agent),
            by_tool: verdict_rows(&info.summary.by_tool),
            timeline,
        })
    })
    .await
}

/// Both full texts of every policy, schema or inventory that differs
/// between the versions replayed by runs `a` and `b`.
#[tauri::command]
pub async fn policy_sides(
    state: State<'_, AppState>,
    a: i64,
    b: i64,
) -> Result<Vec<TextSides>, String> {
    let a = valid_id("run", a)?;
    let b = valid_id("run", b)?;
    let path = state.path();
    blocking(move || {
        let (from, to) = run_projects(&path, a, b)?;
        Ok(text_sides(&from, &to))
    })
    .await
}

/// Where the named policies are in a version.
#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(rename = "PolicyLocations")]
pub struct Locations {
    /// The located policies, in the order asked.
    located: Vec<PolicyLocation>,
    /// Ids the version does not hold (or whose text could not be found).
    missing: Vec<String>,
}

/// Checks the policy ids of a location request.
fn valid_policy_ids(ids: Vec<String>) -> Result<Vec<String>, String> {
    if ids.is_empty() || ids.len() > MAX_POLICY_IDS {
        return Err(format!(
            "name 1 to {MAX_POLICY_IDS} policies to locate, got {}",
            ids.len()
        ));
    }
    ids.into_iter()
        .map(|id| {
            let id = id.trim().to_string();
            if id.is_empty() || id.len() > MAX_POLICY_ID_BYTES {
                Err(format!(
                    "a policy id must be 1 to {MAX_POLICY_ID_BYTES} bytes"
                ))
            } else {
                Ok(id)
            }
        })
        .collect()
}

/// The file and range of each policy `ids` in stored version `version`.
#[tauri::command]
pub async fn policy_locations(
    state: State<'_, AppState>,
    version: String,
    ids: Vec<String>,
) -> Result<Locations, String> {
    let version = valid_version(&version)?.to_string();
    let ids = valid_policy_ids(ids)?;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let project = version_project(&ws, &version, "shown")?;
        let mut located = Vec::new();
        let mut missing = Vec::new();
        for id in ids {
            match locate_policy(&project, &id) {
                Some(l) => located.push(l),
                None => missing.push(id),
            }
        }
        Ok(Locations { located, missing })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_ids_are_checked() {
        assert!(valid_policy_ids(vec![]).is_err());
        assert!(valid_policy_ids(vec!["  ".into()]).is_err());
        assert!(valid_policy_ids(vec!["x".repeat(MAX_POLICY_ID_BYTES + 1)]).is_err());
        assert!(valid_policy_ids(vec!["a".into(); MAX_POLICY_IDS + 1]).is_err());
        assert_eq!(
            valid_policy_ids(vec![" a ".into(), "b".into()]),
            Ok(vec!["a".to_string(), "b".to_string()])
        );
    }

    #[test]
    fn summary_maps_become_rows_largest_first() {
        let v = serde_json::json!({
            "x": {"total": 2, "verdicts": {"allowed": 2}},
            "y": {"total": 5, "verdicts": {"allowed": 1, "denied_by_forbid": 4}},
        });
        let counts: BTreeMap<String, VerdictCounts> =
            serde_json::from_value(v).expect("a summary map");
        let rows = verdict_rows(&counts);
        assert_eq!(rows[0].name, "y");
        assert_eq!(rows[0].verdicts["denied_by_forbid"], 4);
        assert_eq!(rows[1].total, 2);
        assert!(verdict_rows(&BTreeMap::new()).is_empty());
    }
}

/// The text diff (unified, per changed policy, schema and inventory) from
/// stored version `from` to version `to` (the Versions view's "Compare
/// with parent"; `writ diff --from @FROM --to @TO` prints the same).
#[tauri::command]
pub async fn version_text_diff(
    state: State<'_, AppState>,
    from: String,
    to: String,
) -> Result<Vec<TextDiffEntry>, String> {
    let path = state.path();
    let (from, to) = (
        valid_version(&from)?.to_string(),
        valid_version(&to)?.to_string(),
    );
    blocking(move || {
        let (a, b) = version_projects(&path, &from, &to)?;
        Ok(text_diff(&a, &b))
    })
    .await
}

/// Both full texts of every policy, schema and inventory that differs from
/// stored version `from` to version `to`, for the side-by-side view.
#[tauri::command]
pub async fn version_text_sides(
    state: State<'_, AppState>,
    from: String,
    to: String,
) -> Result<Vec<TextSides>, String> {
    let path = state.path();
    let (from, to) = (
        valid_version(&from)?.to_string(),
        valid_version(&to)?.to_string(),
    );
    blocking(move || {
        let (a, b) = version_projects(&path, &from, &to)?;
        Ok(text_sides(&a, &b))
    })
    .await
}

/// The checked projects of two stored versions.
fn version_projects(
    path: &std::path::Path,
    from: &str,
    to: &str,
) -> Result<(Project, Project), String> {
    let ws = open(path)?;
    Ok((
        version_project(&ws, from, "compared")?,
        version_project(&ws, to, "compared")?,
    ))
}
