//! The evidence report: `writ report` from the app, saved where the user
//! chooses in a native dialog.

use super::dialog::{choose_named, Purpose};
use super::{blocking, open, valid_version, AppState};
use serde::Serialize;
use tauri::{AppHandle, State};
use writ_store::report::{render_html, ReportOptions};

/// Where the report went.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SavedReport {
    /// The file written.
    path: String,
    /// Its size in bytes.
    bytes: usize,
}

/// Writes the evidence report of `version` (as `writ report V --out F`)
/// to a file chosen in a save dialog; `None` when the dialog is cancelled.
#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    state: State<'_, AppState>,
    version: String,
) -> Result<Option<SavedReport>, String> {
    let version = valid_version(&version)?.to_string();
    let path = state.path();
    blocking(move || {
        // Gather first: a version that cannot be reported fails before the dialog.
        let html = {
            let ws = open(&path)?;
            let data = ws
                .report_data(&version, &ReportOptions::default())
                .map_err(|e| format!("the report could not be made: {e}"))?;
            render_html(&data)
        };
        let name = format!(
            "writ-report-{}.html",
            version.chars().take(12).collect::<String>()
        );
        let Some(mut out) = choose_named(
            &app,
            Purpose::Save,
            "Save the evidence report",
            &[("HTML", &["html"])],
            Some(&name),
        )?
        else {
            return Ok(None);
        };
        if out.extension().is_none() {
            out.set_extension("html");
        }
        writ_core::atomic_file::write_atomically(&out, html.as_bytes())
            .map_err(|e| format!("could not write {}: {e}", out.display()))?;
        Ok(Some(SavedReport {
            path: out.display().to_string(),
            bytes: html.len(),
        }))
    })
    .await
}
