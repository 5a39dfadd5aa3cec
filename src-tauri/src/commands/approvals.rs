//! The Approvals view: a version's review state, evidence and history, and
//! the review steps (`writ review`, `writ approve`, `writ reject`), all on
//! the blocking pool over `writ_store::approvals`.

use super::{blocking, open, valid_id, valid_version, AppState};
use serde::Serialize;
use tauri::State;
use writ_store::approvals::{ReviewOptions, ReviewRound, VersionStatus};

/// Longest name or comment accepted (bytes).
const MAX_TEXT_BYTES: usize = 4096;

/// A version's review, as the view shows it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct ReviewView {
    /// State and the approvals of the latest round.
    status: VersionStatus,
    /// Who committed the version (who may not approve it).
    author: String,
    /// What the last step did (`submitted`, `updated`, `current`, `stale`,
    /// `history`), or `shown` when only read.
    action: String,
    /// Why the evidence is stale, when it is.
    stale: Option<String>,
    /// Every round, oldest first; the last is the current one.
    rounds: Vec<ReviewRound>,
}

/// A required name (who acts): not blank, not too long.
fn valid_person(name: &str) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("enter your name: review steps record who took them".to_string());
    }
    if n.len() > MAX_TEXT_BYTES || n.chars().any(char::is_control) {
        return Err(format!(
            "a name has at most {MAX_TEXT_BYTES} bytes and no control characters"
        ));
    }
    Ok(n.to_string())
}

/// An optional comment: blank means none.
fn valid_comment(comment: Option<String>) -> Result<Option<String>, String> {
    match comment {
        Some(c) if c.len() > MAX_TEXT_BYTES => {
            Err(format!("a comment has at most {MAX_TEXT_BYTES} bytes"))
        }
        Some(c) if c.trim().is_empty() => Ok(None),
        other => Ok(other.map(|c| c.trim().to_string())),
    }
}

fn shown(ws: &writ_store::Workspace, version: &str, action: &str) -> Result<ReviewView, String> {
    let status = ws.version_status(version).map_err(|e| e.to_string())?;
    let author = ws.version(&status.id).map_err(|e| e.to_string())?.author;
    let rounds = ws.review_history(&status.id).map_err(|e| e.to_string())?;
    Ok(ReviewView {
        status,
        author,
        action: action.to_string(),
        stale: None,
        rounds,
    })
}

/// A version's review state, evidence and history (read only).
#[tauri::command]
pub async fn review_show(
    state: State<'_, AppState>,
    version: String,
) -> Result<ReviewView, String> {
    let version = valid_version(&version)?.to_string();
    let path = state.path();
    blocking(move || shown(&open(&path)?, &version, "shown")).await
}

/// Submits a version for review (or refreshes its evidence; `resubmit`
/// for a rejected one), replaying over trace set `set` (default: newest).
#[tauri::command]
pub async fn review_submit(
    state: State<'_, AppState>,
    version: String,
    set: Option<i64>,
    actor: String,
    resubmit: bool,
) -> Result<ReviewView, String> {
    let version = valid_version(&version)?.to_string();
    let set = set.map(|s| valid_id("trace set", s)).transpose()?;
    let actor = valid_person(&actor)?;
    let path = state.path();
    blocking(move || {
        let mut ws = open(&path)?;
        let set = set.map(|s| s.to_string());
        let report = ws
            .review(
                &version,
                ReviewOptions {
                    traces: set.as_deref(),
                    resubmit,
                },
                &actor,
                &|_| {},
            )
            .map_err(|e| e.to_string())?;
        let (action, stale) = match &report.action {
            writ_store::approvals::ReviewAction::Submitted => ("submitted", None),
            writ_store::approvals::ReviewAction::Updated => ("updated", None),
            writ_store::approvals::ReviewAction::Current => ("current", None),
            writ_store::approvals::ReviewAction::Stale { reason } => {
                ("stale", Some(reason.clone()))
            }
            writ_store::approvals::ReviewAction::History => ("history", None),
        };
        Ok(ReviewView {
            status: report.status,
            author: report.author,
            action: action.to_string(),
            stale,
            rounds: report.rounds,
        })
    })
    .await
}

/// Approves a version in review as `actor` (refused for its author, and
/// when its evidence no longer holds).
#[tauri::command]
pub async fn review_approve(
    state: State<'_, AppState>,
    version: String,
    actor: String,
    comment: Option<String>,
) -> Result<ReviewView, String> {
    let version = valid_version(&version)?.to_string();
    let actor = valid_person(&actor)?;
    let comment = valid_comment(comment)?;
    let path = state.path();
    blocking(move || {
        let mut ws = open(&path)?;
        ws.approve_version(&version, &actor, comment.as_deref())
            .map_err(|e| e.to_string())?;
        shown(&ws, &version, "approved")
    })
    .await
}

/// Rejects a version in review as `actor`, with a required comment.
#[tauri::command]
pub async fn review_reject(
    state: State<'_, AppState>,
    version: String,
    actor: String,
    comment: String,
) -> Result<ReviewView, String> {
    let version = valid_version(&version)?.to_string();
    let actor = valid_person(&actor)?;
    let comment = valid_comment(Some(comment))?
        .ok_or_else(|| "a rejection needs a comment saying why".to_string())?;
    let path = state.path();
    blocking(move || {
        let mut ws = open(&path)?;
        ws.reject_version(&version, &actor, &comment)
            .map_err(|e| e.to_string())?;
        shown(&ws, &version, "rejected")
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::{valid_comment, valid_person};

    #[test]
    fn a_review_step_needs_a_name_and_takes_a_bounded_comment() {
        assert_eq!(valid_person("  bob ").unwrap(), "bob");
        assert!(valid_person("   ").unwrap_err().contains("enter your name"));
        assert!(valid_person("a\u{7}b").is_err());
        assert!(valid_person(&"x".repeat(5000)).is_err());
        assert_eq!(valid_comment(None).unwrap(), None);
        assert_eq!(valid_comment(Some("  ".into())).unwrap(), None);
        assert_eq!(
            valid_comment(Some(" fine ".into())).unwrap().as_deref(),
            Some("fine")
        );
        assert!(valid_comment(Some("x".repeat(5000))).is_err());
    }
}
