//! Live checking of a version with edited files.

use super::{blocking, open, valid_version, AppState, MAX_FILE_BYTES};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tauri::State;
use writ_core::diagnostic::{line_column, Severity};

/// A located problem, positions 1-based (columns in characters).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Problem {
    #[ts(type = "\"error\" | \"warning\"")]
    severity: &'static str,
    code: &'static str,
    message: String,
    /// The file's path relative to the project (`policies/x.cedar`), or the
    /// shown name when the problem is not in one of the version's files.
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    hint: Option<String>,
}

/// Checks a stored version with some files replaced by edited texts
/// (`edits`: relative path -> text; only the version's own files).
#[tauri::command]
pub async fn check_version(
    state: State<'_, AppState>,
    version: String,
    edits: HashMap<String, String>,
) -> Result<Vec<Problem>, String> {
    let version = valid_version(&version)?.to_string();
    for (path, text) in &edits {
        if text.len() > MAX_FILE_BYTES {
            return Err(format!(
                "{path} is larger than {MAX_FILE_BYTES} bytes; not checked"
            ));
        }
    }
    let path = state.path();
    blocking(move || check(&path, &version, edits)).await
}

fn check(
    path: &Path,
    version: &str,
    edits: HashMap<String, String>,
) -> Result<Vec<Problem>, String> {
    let ws = open(path)?;
    let edited = ws
        .check_edited(version, edits.iter().map(|(p, t)| (p.as_str(), t.as_str())))
        .map_err(|e| e.to_string())?;
    let shown_to_relative: HashMap<PathBuf, String> = edited
        .files
        .all()
        .map(|f| (f.shown.clone(), f.relative.clone()))
        .collect();
    let report = edited.checked.report;
    Ok(report
        .diagnostics
        .iter()
        .map(|d| {
            let start = report.sources.position(&d.file, d.span, d.position);
            let end = match (d.span, report.sources.get(&d.file)) {
                (Some(span), Some(text)) => Some(line_column(text, span.end)),
                _ => start,
            };
            Problem {
                severity: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                code: d.code,
                message: d.message.clone(),
                file: shown_to_relative
                    .get(&d.file)
                    .cloned()
                    .unwrap_or_else(|| d.file.display().to_string()),
                line: start.map(|p| p.0),
                column: start.map(|p| p.1),
                end_line: end.map(|p| p.0),
                end_column: end.map(|p| p.1),
                hint: d.hint.clone(),
            }
        })
        .collect())
}
