//! Opening the workspace (at start, from a native dialog, from the recent
//! workspaces), creating an empty one, and reading a version's files.

use super::dialog::{choose, Purpose};
use super::runs::RunRow;
use super::{actor, blocking, open, valid_version, AppState};
use crate::recents::{AppFiles, RecentEntry};
use serde::Serialize;
use std::path::{Path, PathBuf};
use tauri::{AppHandle, State};
use writ_store::traces::TraceSetInfo;
use writ_store::versions::VersionInfo;

/// What the Start view shows.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Overview {
    path: String,
    created: bool,
    versions: Vec<VersionInfo>,
    trace_sets: Vec<TraceSetInfo>,
    runs: Vec<RunRow>,
}

fn overview(path: &Path, created: bool) -> Result<Overview, String> {
    let ws = writ_store::Workspace::open(path).map_err(|e| open_error(path, &e))?;
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

/// Opens the current workspace (the one given at start, the last one used,
/// or the sample, created on first start) and remembers it as the most
/// recent.
#[tauri::command]
pub async fn open_workspace(
    state: State<'_, AppState>,
    files: State<'_, AppFiles>,
) -> Result<Overview, String> {
    let path = state.path();
    let created = {
        let _guard = state.create.lock().await;
        // Only the app's own sample is made on demand; any other missing
        // file is reported by `open` below.
        if path.exists() || path != files.sample() {
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
    let files = files.inner().clone();
    blocking(move || {
        let ov = overview(&path, created)?;
        files.remember(&path)?;
        Ok(ov)
    })
    .await
}

/// Why the workspace at `path` did not open, said once, for someone using
/// the app: the store's own message when it names the file already, else
/// the file and the cause.
fn open_error(path: &Path, e: &writ_store::StoreError) -> String {
    use writ_store::StoreError;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    match e {
        StoreError::NotAWorkspace { .. } => format!(
            "{name} is not a Writ workspace (it was left untouched): open another one, or make a new one with New workspace…"
        ),
        StoreError::Missing { .. } => format!(
            "{name} is not there any more (moved or deleted): open it where it is now"
        ),
        StoreError::TooNew { .. } | StoreError::Corrupt { .. } => e.to_string(),
        other => format!("could not open {name}: {other}"),
    }
}

/// Opens `path` (it must be a Writ workspace), makes it current and
/// remembers it.
async fn switch_to(
    state: &AppState,
    files: &AppFiles,
    path: PathBuf,
    created: bool,
) -> Result<Overview, String> {
    let files = files.clone();
    let p = path.clone();
    let ov = blocking(move || {
        let ov = overview(&p, created)?;
        files.remember(&p)?;
        Ok(ov)
    })
    .await?;
    state.set_path(path);
    Ok(ov)
}

/// "Open workspace…": a native dialog for a `.writ` file; `None` when
/// cancelled. A file that is not a workspace, is damaged or made by a newer
/// Writ is refused (and left untouched); the open workspace stays.
#[tauri::command]
pub async fn choose_workspace(
    app: AppHandle,
    state: State<'_, AppState>,
    files: State<'_, AppFiles>,
) -> Result<Option<Overview>, String> {
    let chosen = blocking(move || {
        choose(
            &app,
            Purpose::Open,
            "Open a Writ workspace",
            &[("Writ workspaces", &["writ"])],
        )
    })
    .await?;
    let Some(path) = chosen else {
        return Ok(None);
    };
    switch_to(&state, &files, crate::recents::absolute(&path), false)
        .await
        .map(Some)
}

/// "New workspace…": a native save dialog, then an empty workspace there
/// (`.writ` is added when the name has no extension); `None` when cancelled.
#[tauri::command]
pub async fn new_workspace(
    app: AppHandle,
    state: State<'_, AppState>,
    files: State<'_, AppFiles>,
) -> Result<Option<Overview>, String> {
    let chosen = blocking(move || {
        choose(
            &app,
            Purpose::Save,
            "Create a Writ workspace",
            &[("Writ workspaces", &["writ"])],
        )
    })
    .await?;
    let Some(mut path) = chosen else {
        return Ok(None);
    };
    if path.extension().is_none() {
        path.set_extension("writ");
    }
    let path = crate::recents::absolute(&path);
    let p = path.clone();
    blocking(move || {
        writ_store::Workspace::create(&p)
            .map(|_| ())
            .map_err(|e| format!("could not create a workspace at {}: {e}", p.display()))
    })
    .await?;
    switch_to(&state, &files, path, true).await.map(Some)
}

/// The recent workspaces, most recent first (missing files marked).
#[tauri::command]
pub fn recent_workspaces(files: State<'_, AppFiles>) -> Vec<RecentEntry> {
    files.list()
}

/// Opens the recent workspace at `index` in [`recent_workspaces`]' list.
#[tauri::command]
pub async fn open_recent(
    state: State<'_, AppState>,
    files: State<'_, AppFiles>,
    index: u32,
) -> Result<Overview, String> {
    let path = files.get(index as usize)?;
    if !path.is_file() {
        return Err(format!(
            "{} is gone (moved or deleted); remove it from the list or open it where it is now",
            path.display()
        ));
    }
    switch_to(&state, &files, path, false).await
}

/// Removes the recent workspace at `index`; returns the new list.
#[tauri::command]
pub fn remove_recent(files: State<'_, AppFiles>, index: u32) -> Result<Vec<RecentEntry>, String> {
    files.remove(index as usize)
}

/// One file of a version.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct FileEntry {
    path: String,
    #[ts(type = "\"schema\" | \"inventory\" | \"policy\"")]
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
