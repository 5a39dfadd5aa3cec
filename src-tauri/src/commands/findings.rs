//! The Findings view: governance findings of a stored version's inventory,
//! optionally over a stored trace set (`writ findings`), on the blocking pool.

use super::{blocking, open, valid_id, valid_version, AppState};
use serde::Serialize;
use tauri::State;
use writ_core::findings::{counts, find, Finding, InventoryInput, TraceInput};

/// How many line numbers each finding lists.
const EVIDENCE_LINES: usize = 100;

/// The findings of one version (and trace set).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct FindingsReport {
    /// The version's full id.
    version: String,
    /// The trace set's name, when one was read.
    set: Option<String>,
    /// Actions read from the set.
    actions: Option<u64>,
    /// The date reviews were judged against (`YYYY-MM-DD`).
    today: String,
    /// Findings per severity (`critical`, `high`, `medium`, `low`).
    counts: std::collections::BTreeMap<String, usize>,
    /// The findings, most severe first.
    findings: Vec<Finding>,
}

/// The findings of `version`'s inventory, and over trace set `set` when given.
#[tauri::command]
pub async fn inventory_findings(
    state: State<'_, AppState>,
    version: String,
    set: Option<i64>,
) -> Result<FindingsReport, String> {
    let version = valid_version(&version)?.to_string();
    let set = set.map(|s| valid_id("trace set", s)).transpose()?;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let (id, files) = ws
            .version_files(&version)
            .map_err(|e| format!("cannot read version {version}: {e}"))?;
        let Some(file) = files.inventory else {
            return Err(format!(
                "version {} has no inventory.toml; findings are drawn from the inventory",
                &id[..12]
            ));
        };
        let today = writ_core::project::today_utc();
        let shown = file.shown.display().to_string();
        let (inventory, _) = writ_core::inventory::load(&file.shown, &file.text, today);
        let inventory = inventory.ok_or_else(|| {
            format!(
                "the inventory of version {} does not parse; open it in Policies to see the errors",
                &id[..12]
            )
        })?;
        let trace = match set {
            Some(s) => {
                let (info, agg) = ws
                    .trace_aggregate(&s.to_string(), EVIDENCE_LINES, &|_| {})
                    .map_err(|e| format!("cannot read trace set {s}: {e}"))?;
                Some((format!("trace set `{}`", info.name), info.name, agg))
            }
            None => None,
        };
        let findings = find(
            InventoryInput {
                inventory: &inventory,
                text: &file.text,
                file: &shown,
            },
            trace
                .as_ref()
                .map(|(source, _, aggregate)| TraceInput { source, aggregate }),
            today,
        );
        Ok(FindingsReport {
            version: id,
            set: trace.as_ref().map(|(_, name, _)| name.clone()),
            actions: trace.as_ref().map(|(_, _, agg)| agg.actions),
            today: today.to_string(),
            counts: counts(&findings)
                .into_iter()
                .map(|(s, n)| (s.as_str().to_string(), n))
                .collect(),
            findings,
        })
    })
    .await
}
