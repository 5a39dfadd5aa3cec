//! The Policies view's edits: committing them as a new version, and
//! formatting one policy file with the engine's formatter.

use super::{actor, blocking, open, valid_version, AppState, MAX_FILE_BYTES};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use tauri::State;
use writ_core::diagnostic::line_column;
use writ_core::project::ProjectFiles;
use writ_store::versions::Committed;

/// Longest commit message accepted (bytes).
const MAX_MESSAGE_BYTES: usize = 4096;

/// What a commit did.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CommitOutcome {
    /// The version id (the new one, or the existing one with that content).
    pub id: String,
    /// False when the content equals an existing version: nothing changed.
    pub created: bool,
}

impl From<Committed> for CommitOutcome {
    /// A new version, or the existing one holding the same content.
    fn from(c: Committed) -> Self {
        match c {
            Committed::New(id) => CommitOutcome { id, created: true },
            Committed::Unchanged(id) => CommitOutcome { id, created: false },
        }
    }
}

/// A commit message: non-blank, at most [`MAX_MESSAGE_BYTES`].
pub(crate) fn valid_message(message: &str) -> Result<&str, String> {
    let m = message.trim();
    if m.is_empty() {
        Err("a commit needs a message saying why the version exists".to_string())
    } else if m.len() > MAX_MESSAGE_BYTES {
        Err(format!(
            "the message is longer than {MAX_MESSAGE_BYTES} bytes; shorten it"
        ))
    } else {
        Ok(m)
    }
}

/// Commits version `version` with the edited files (`edits`: relative path
/// -> text) as a new version with `message`, by the current user. Refused
/// when the edited project has errors; `created: false` when nothing changed.
#[tauri::command]
pub async fn commit_edits(
    state: State<'_, AppState>,
    version: String,
    edits: HashMap<String, String>,
    message: String,
) -> Result<CommitOutcome, String> {
    let version = valid_version(&version)?.to_string();
    let message = valid_message(&message)?.to_string();
    for (path, text) in &edits {
        if text.len() > MAX_FILE_BYTES {
            return Err(format!(
                "{path} is larger than {MAX_FILE_BYTES} bytes; not committed"
            ));
        }
    }
    let path = state.path();
    blocking(move || {
        let mut ws = open(&path)?;
        ws.commit_edits(
            &version,
            edits.iter().map(|(p, t)| (p.as_str(), t.as_str())),
            &actor(),
            &message,
        )
        .map(CommitOutcome::from)
        .map_err(|e| format!("nothing was committed: {e}"))
    })
    .await
}

/// One edited file's changes, for the commit dialog.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct FileChanges {
    /// The file's path in the project.
    path: String,
    /// Its unified diff against the version the edits are based on (empty
    /// when the edit gives back the stored text).
    unified: String,
}

/// The unified diff of each edited file of version `version` (`edits`:
/// relative path -> text; a path not in the version is a new file), in
/// path order: what a commit of these edits would change.
#[tauri::command]
pub async fn edit_changes(
    state: State<'_, AppState>,
    version: String,
    edits: HashMap<String, String>,
) -> Result<Vec<FileChanges>, String> {
    let version = valid_version(&version)?.to_string();
    for (path, text) in &edits {
        if text.len() > MAX_FILE_BYTES {
            return Err(format!("{path} is larger than {MAX_FILE_BYTES} bytes"));
        }
    }
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let (_, stored) = ws.version_files(&version).map_err(|e| e.to_string())?;
        Ok(changes_of(&stored, &edits))
    })
    .await
}

/// Each edited file's diff against its stored text.
fn changes_of(stored: &ProjectFiles, edits: &HashMap<String, String>) -> Vec<FileChanges> {
    let mut paths: Vec<&String> = edits.keys().collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let old = stored
                .all()
                .find(|f| &f.relative == p)
                .map(|f| f.text.as_str())
                .unwrap_or("");
            FileChanges {
                path: p.clone(),
                unified: writ_core::diff::file_unified(p, old, &edits[p]),
            }
        })
        .collect()
}

/// Where formatting stopped: a located problem (1-based line and column).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct FormatProblem {
    message: String,
    line: Option<usize>,
    column: Option<usize>,
}

/// The formatted text, or why the file cannot be formatted.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct FormatOutcome {
    /// The formatted text, when the file parses.
    text: Option<String>,
    /// Whether formatting changed anything.
    changed: bool,
    /// The syntax errors that prevent formatting.
    problems: Vec<FormatProblem>,
}

/// Formats one policy file's text (`path`: its relative path, only for
/// messages) the way `writ fmt` does.
#[tauri::command]
pub async fn format_policy(path: String, text: String) -> Result<FormatOutcome, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is larger than {MAX_FILE_BYTES} bytes; not formatted"
        ));
    }
    if !path.ends_with(".cedar") || path.len() > 1024 {
        return Err("only Cedar policy files (.cedar) can be formatted".to_string());
    }
    blocking(move || Ok(format(&path, &text))).await
}

fn format(path: &str, text: &str) -> FormatOutcome {
    match writ_core::format::format_text(Path::new(path), text) {
        Ok(formatted) => FormatOutcome {
            changed: formatted != text,
            text: Some(formatted),
            problems: Vec::new(),
        },
        Err(diags) => FormatOutcome {
            text: None,
            changed: false,
            problems: diags
                .iter()
                .map(|d| {
                    let at = d
                        .position
                        .or_else(|| d.span.map(|s| line_column(text, s.start)));
                    FormatProblem {
                        message: d.message.clone(),
                        line: at.map(|p| p.0),
                        column: at.map(|p| p.1),
                    }
                })
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_required_and_bounded() {
        assert!(valid_message("  ").is_err());
        assert_eq!(valid_message(" why "), Ok("why"));
        assert!(valid_message(&"x".repeat(MAX_MESSAGE_BYTES + 1)).is_err());
    }

    #[test]
    fn syntax_errors_are_located() {
        let out = format(
            "policies/a.cedar",
            "permit(principal,\n  action,\n  resource\n",
        );
        assert!(out.text.is_none());
        assert!(!out.problems.is_empty());
        assert!(out.problems.iter().any(|p| p.line.is_some()), "{out:?}");
        let ok = format("policies/a.cedar", "permit(principal,action,resource);");
        assert!(ok.changed);
        assert!(ok.text.unwrap().starts_with("permit ("));
    }
}
