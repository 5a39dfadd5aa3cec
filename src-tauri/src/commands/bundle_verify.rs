//! The Bundles view's "Verify…": a bundle (archive or folder, chosen in a
//! native dialog) checked against the workspace's signing keys and, when
//! it has any, its approver keys (`writ bundle verify PATH
//! --workspace-keys`).

use super::dialog::{choose, Purpose};
use super::{blocking, open, AppState};
use serde::Serialize;
use tauri::{AppHandle, State};

/// One approval that counted.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CheckedApproval {
    /// Who approved (the name in the signed statement).
    approver: String,
    /// The approver key that signed it.
    key_id: String,
    /// When.
    at: String,
}

/// What checking a bundle found.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct BundleCheckView {
    /// The bundle's file or folder name.
    name: String,
    /// Whether it verified.
    verified: bool,
    /// Why not (the message `writ bundle verify` prints), when it did not.
    problem: Option<String>,
    /// `writ bundle verify`'s exit code (0 when verified).
    exit_code: u8,
    /// The version it ships.
    version: Option<String>,
    /// The signing key's id.
    key_id: Option<String>,
    /// The bundle digest.
    digest: Option<String>,
    /// When it was created.
    created: Option<String>,
    /// When it expires (none: never).
    expires: Option<String>,
    /// Its release channel and sequence, when it has them.
    channel: Option<String>,
    /// Its sequence in the channel.
    sequence: Option<u64>,
    /// Whether the approvals were checked (the workspace has approver keys).
    approvals_checked: bool,
    /// The approvals that counted.
    approvals: Vec<CheckedApproval>,
    /// Statements that did not count, and why.
    not_counted: Vec<String>,
}

/// Verifies a bundle chosen in a dialog (`folder`: a bundle folder, else a
/// `.tar.gz` archive) now. `None` when the dialog was cancelled.
#[tauri::command]
pub async fn bundle_verify(
    app: AppHandle,
    state: State<'_, AppState>,
    folder: bool,
) -> Result<Option<BundleCheckView>, String> {
    let path = state.path();
    blocking(move || {
        let chosen = if folder {
            choose(
                &app,
                Purpose::Folder,
                "Choose a bundle folder to verify",
                &[],
            )?
        } else {
            choose(
                &app,
                Purpose::Open,
                "Choose a bundle archive to verify",
                &[("Bundle archives", &["gz"])],
            )?
        };
        let Some(bundle) = chosen else {
            return Ok(None);
        };
        let ws = open(&path)?;
        let name = bundle
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = ws
            .check_bundle(&bundle, time::OffsetDateTime::now_utc())
            .map_err(|e| e.to_string())?;
        Ok(Some(match outcome {
            Ok(c) => {
                let m = &c.verified.manifest;
                BundleCheckView {
                    name,
                    verified: true,
                    problem: None,
                    exit_code: 0,
                    version: Some(m.policy_version.clone()),
                    key_id: Some(c.verified.key_id.clone()),
                    digest: Some(c.verified.digest.clone()),
                    created: Some(m.created.clone()),
                    expires: m.expires.clone(),
                    channel: m.channel.clone(),
                    sequence: m.sequence,
                    approvals_checked: c.review.is_some(),
                    approvals: c
                        .review
                        .as_ref()
                        .map(|r| {
                            r.approvals
                                .iter()
                                .map(|a| CheckedApproval {
                                    approver: a.approver.clone(),
                                    key_id: a.key_id.clone(),
                                    at: a.at.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    not_counted: c.review.map(|r| r.not_counted).unwrap_or_default(),
                }
            }
            Err(e) => BundleCheckView {
                name,
                verified: false,
                problem: Some(e.to_string()),
                exit_code: e.exit_code(),
                version: None,
                key_id: None,
                digest: None,
                created: None,
                expires: None,
                channel: None,
                sequence: None,
                approvals_checked: false,
                approvals: Vec::new(),
                not_counted: Vec::new(),
            },
        }))
    })
    .await
}
