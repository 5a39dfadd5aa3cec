//! Exporting an approved version of a workspace as a signed bundle: the
//! one path the CLI and the desktop app share. The workspace gathers the
//! values (approvals, audit head, channel sequence) and hands them to
//! `writ-bundle`, which builds and signs without knowing about SQLite.

use crate::approvals::ReviewState;
use crate::error::StoreError;
use crate::workspace::Workspace;
use std::path::{Path, PathBuf};
use writ_bundle::bundle::{self, Approval, Bundle};
use writ_bundle::error::BundleError;
use writ_bundle::keys;

/// What can go wrong exporting a version.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The version to export is not approved.
    #[error("version {version} is {state}, not approved; nothing was exported (submit it for review and have someone other than its author approve it)")]
    NotApproved {
        /// The short version id.
        version: String,
        /// Its state, in words.
        state: &'static str,
    },
    /// The stored version does not check.
    #[error("version {version} has {errors} error(s) in its check; nothing was exported")]
    VersionHasErrors {
        /// The short version id.
        version: String,
        /// How many errors `writ check` reports.
        errors: usize,
    },
    /// Building, signing or writing the bundle failed.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The workspace failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Write a `.tar.gz` instead of a folder.
    pub archive: bool,
    /// The creation time (RFC 3339); default: the last approval's time.
    pub created: Option<String>,
    /// How long the bundle stays valid after its creation (`30d`).
    pub expires_in: Option<String>,
    /// The expiry time (RFC 3339); ignored when `expires_in` is given.
    pub expires: Option<String>,
    /// The release channel (default [`DEFAULT_CHANNEL`]); the workspace
    /// hands out the bundle's sequence number in it.
    pub channel: Option<String>,
    /// The workspace's audit head and count to sign into the manifest
    /// (handed in as values; not checked here).
    pub audit: Option<bundle::AuditMark>,
}

/// The release channel of an export that names none.
pub const DEFAULT_CHANNEL: &str = "prod";

/// What an export did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    /// The bundle's sequence number in the workspace.
    pub record: i64,
    /// The full version id.
    pub version: String,
    /// The signing key's id.
    pub key_id: String,
    /// The bundle's digest (SHA-256 of its manifest).
    pub digest: String,
    /// Its creation time.
    pub created: String,
    /// Its expiry time.
    pub expires: Option<String>,
    /// Its release channel.
    pub channel: String,
    /// Its sequence number in the channel.
    pub sequence: u64,
    /// Where it was written (absolute).
    pub path: PathBuf,
}

/// Exports version `version` of `ws` (which must be approved) signed with
/// the private key in `key_path`, to the new path `out`; registers the
/// key if needed and records the export (both audit events as `actor`).
pub fn export_version(
    ws: &mut Workspace,
    version: &str,
    key_path: &Path,
    out: &Path,
    options: &ExportOptions,
    actor: &str,
) -> Result<(Exported, Bundle), ExportError> {
    let status = ws.version_status(version)?;
    let short = status.id[..12].to_string();
    if status.state != ReviewState::Approved {
        return Err(ExportError::NotApproved {
            version: short,
            state: match status.state {
                ReviewState::Draft => "a draft",
                ReviewState::InReview => "in review",
                ReviewState::Rejected => "rejected",
                ReviewState::Approved => "approved",
            },
        });
    }
    if out.symlink_metadata().is_ok() {
        return Err(BundleError::Exists(out.to_path_buf()).into());
    }
    let channel = options
        .channel
        .clone()
        .unwrap_or_else(|| DEFAULT_CHANNEL.to_string());
    bundle::check_channel_name(&channel).map_err(BundleError::Invalid)?;
    let key = keys::read_private(key_path)?;
    let created = match &options.created {
        Some(c) => bundle::format_time(bundle::parse_time(c)?),
        None => {
            let last = status.approvals.iter().map(|a| a.at).max().ok_or_else(|| {
                BundleError::Invalid(
                    "the version has no recorded approval time; give the creation time".into(),
                )
            })?;
            bundle::format_time(last.as_offset_date_time())
        }
    };
    let expires = match (&options.expires_in, &options.expires) {
        (Some(d), _) => Some(bundle::format_time(
            bundle::parse_time(&created)? + bundle::parse_duration(d)?,
        )),
        (None, Some(e)) => Some(bundle::format_time(bundle::parse_time(e)?)),
        (None, None) => None,
    };
    let crate::checked::VersionProject { id, project, .. } =
        ws.project(&status.id).map_err(|e| match e {
            StoreError::VersionHasErrors { version, errors } => {
                ExportError::VersionHasErrors { version, errors }
            }
            other => other.into(),
        })?;
    let approvals = status
        .approvals
        .iter()
        .map(|a| Approval {
            approver: a.approver.clone(),
            at: a.at.to_string(),
            comment: a.comment.clone(),
        })
        .collect();
    let mut inputs = bundle::inputs_from_project(&id, &project, approvals, &created, expires);
    inputs.signed_review = ws.signed_review(&id)?;
    // The trail as it is before this export's own events (an explicit mark
    // handed in by the caller wins).
    let head = ws.audit_head()?;
    inputs.audit = Some(options.audit.clone().unwrap_or(bundle::AuditMark {
        head: head.head,
        count: head.count,
    }));
    // The sequence is taken last, once everything else is known to be good.
    let sequence = ws.next_bundle_sequence(&channel)?;
    inputs.channel = Some(channel.clone());
    inputs.sequence = Some(sequence);
    let b = bundle::build(&inputs, &key)?;
    if options.archive {
        b.write_archive(out)?;
    } else {
        b.write_dir(out)?;
    }
    let verifying = key.verifying_key();
    let key_id = keys::key_id(&verifying);
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    ws.register_key(
        &key_id,
        &keys::public_pem(&verifying),
        &absolute(key_path).display().to_string(),
        actor,
    )?;
    let path = absolute(out);
    let record = ws.record_bundle(
        &crate::keys::NewBundle {
            version_id: id.clone(),
            key_id: key_id.clone(),
            digest: b.digest(),
            path: path.display().to_string(),
            archive: options.archive,
            created: inputs.created.clone(),
            expires: inputs.expires.clone(),
            channel: Some(channel.clone()),
            sequence: i64::try_from(sequence).ok(),
        },
        actor,
    )?;
    Ok((
        Exported {
            record,
            version: id,
            key_id,
            digest: b.digest(),
            created: inputs.created,
            expires: inputs.expires,
            channel,
            sequence,
            path,
        },
        b,
    ))
}
