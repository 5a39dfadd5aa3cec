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

/// A typed name (who acts, in a legacy workspace): blank means none, which
/// the store refuses with its own message; not too long.
fn valid_person(name: Option<String>) -> Result<String, String> {
    let n = name.unwrap_or_default().trim().to_string();
    if n.len() > MAX_TEXT_BYTES || n.chars().any(char::is_control) {
        return Err(format!(
            "a name has at most {MAX_TEXT_BYTES} bytes and no control characters"
        ));
    }
    Ok(n)
}

/// Who takes a step: the chosen approver key, else the typed name (which
/// only a legacy workspace accepts).
fn signer<'a>(
    identity: &'a Option<super::identity::Identity>,
    name: &'a str,
) -> writ_store::approvers::ReviewSigner<'a> {
    match identity {
        Some(id) => writ_store::approvers::ReviewSigner::Key(&id.key),
        None => writ_store::approvers::ReviewSigner::Name(name),
    }
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
    actor: Option<String>,
    resubmit: bool,
) -> Result<ReviewView, String> {
    let version = valid_version(&version)?.to_string();
    let set = set.map(|s| valid_id("trace set", s)).transpose()?;
    let actor = valid_person(actor)?;
    let identity = state.identity();
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
                signer(&identity, &actor),
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

/// Approves a version in review, signed with the chosen approver key (or,
/// in a legacy workspace, as the typed `actor`); refused for its author or
/// submitter, and when its evidence no longer holds.
#[tauri::command]
pub async fn review_approve(
    state: State<'_, AppState>,
    version: String,
    actor: Option<String>,
    comment: Option<String>,
) -> Result<ReviewView, String> {
    let version = valid_version(&version)?.to_string();
    let actor = valid_person(actor)?;
    let comment = valid_comment(comment)?;
    let identity = state.identity();
    let path = state.path();
    blocking(move || {
        let mut ws = open(&path)?;
        ws.approve_version(&version, signer(&identity, &actor), comment.as_deref())
            .map_err(|e| e.to_string())?;
        shown(&ws, &version, "approved")
    })
    .await
}

/// Rejects a version in review (signed like an approval), with a required
/// comment.
#[tauri::command]
pub async fn review_reject(
    state: State<'_, AppState>,
    version: String,
    actor: Option<String>,
    comment: String,
) -> Result<ReviewView, String> {
    let version = valid_version(&version)?.to_string();
    let actor = valid_person(actor)?;
    let comment = valid_comment(Some(comment))?
        .ok_or_else(|| "a rejection needs a comment saying why".to_string())?;
    let identity = state.identity();
    let path = state.path();
    blocking(move || {
        let mut ws = open(&path)?;
        ws.reject_version(&version, signer(&identity, &actor), &comment)
            .map_err(|e| e.to_string())?;
        shown(&ws, &version, "rejected")
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::{valid_comment, valid_person};

    #[test]
    fn a_typed_name_and_a_comment_are_bounded() {
        assert_eq!(valid_person(Some("  bob ".into())).unwrap(), "bob");
        assert_eq!(valid_person(None).unwrap(), "");
        assert!(valid_person(Some("a\u{7}b".into())).is_err());
        assert!(valid_person(Some("x".repeat(5000))).is_err());
        assert_eq!(valid_comment(None).unwrap(), None);
        assert_eq!(valid_comment(Some("  ".into())).unwrap(), None);
        assert_eq!(
            valid_comment(Some(" fine ".into())).unwrap().as_deref(),
            Some("fine")
        );
        assert!(valid_comment(Some("x".repeat(5000))).is_err());
    }
}
