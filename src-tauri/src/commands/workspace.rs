//! Opening the workspace and reading a version's files.

use super::runs::RunRow;
use super::{actor, blocking, open, valid_version, AppState};
use serde::Serialize;
use std::path::Path;
use tauri::State;
use writ_store::traces::TraceSetInfo;
use writ_store::versions::VersionInfo;

/// What the Start view shows.
#[derive(Debug, Serialize)]
pub struct Overview {
    path: String,
    created: bool,
    versions: Vec<VersionInfo>,
    trace_sets: Vec<TraceSetInfo>,
    runs: Vec<RunRow>,
}

fn overview(path: &Path, created: bool) -> Result<Overview, String> {
    let ws = open(path)?;
    Ok(Overview {
        path: path.display().to_string(),
        created,
        versions: ws.list_versions().map_err(|e| e.to_string())?,
        trace_sets: ws.list_trace_sets().map_err(|e| e.to_string())?,
        runs: ws
            .list_runs()
            .map_err(|e| e.to_string())?
            .iter()
            .map(RunRow::from)
            .collect(),
    })
}

/// Opens the workspace, creating the sample workspace on first start.
#[tauri::command]
pub async fn open_workspace(state: State<'_, AppState>) -> Result<Overview, String> {
    let path = state.path();
    let created = {
        let _guard = state.create.lock().await;
        if path.exists() {
            false
        } else {
            let p = path.clone();
            blocking(move || {
                writ_store::sample::create_sample(&p, &actor())
                    .map(|_| ())
                    .map_err(|e| format!("could not create the sample workspace: {e}"))
            })
            .await?;
            true
        }
    };
    blocking(move || overview(&path, created)).await
}

/// One file of a version.
#[derive(Debug, Serialize)]
pub struct FileEntry {
    path: String,
    kind: &'static str,
    text: String,
}

/// A version's files: schema, inventory and policies.
#[tauri::command]
pub fn version_files(
    state: State<'_, AppState>,
    version: String,
) -> Result<Vec<FileEntry>, String> {
    let version = valid_version(&version)?;
    let ws = open(&state.path())?;
    let (_, files) = ws.version_files(version).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    if let Some(f) = &files.schema {
        out.push(FileEntry {
            path: f.relative.clone(),
            kind: "schema",
            text: f.text.clone(),
        });
    }
    if let Some(f) = &files.inventory {
        out.push(FileEntry {
            path: f.relative.clone(),
            kind: "inventory",
            text: f.text.clone(),
        });
    }
    for f in &files.policies {
        out.push(FileEntry {
            path: f.relative.clone(),
            kind: "policy",
            text: f.text.clone(),
        });
    }
    Ok(out)
}
