//! The IPC commands. Each one validates what the front end sent, opens the
//! workspace decided in Rust, calls the libraries and adapts the result to
//! small serializable shapes. Errors are readable strings.
//!
//! Anything that can take long (creating the sample, storing a run) runs on
//! the blocking thread pool, never on the UI thread. This module holds the
//! shared state and input validators; each submodule serves one view.

pub mod agents;
pub mod approvals;
pub mod audit;
pub mod bench;
pub mod bundle_keys;
pub mod bundle_verify;
pub mod bundles;
pub mod charts;
pub mod check;
pub mod dialog;
pub mod draft;
pub mod entities;
pub mod findings;
pub mod identity;
pub mod inventory;
pub mod report;
pub mod runs;
// The Tests view (`tests.rs`); named apart from this module's unit tests.
#[path = "tests.rs"]
pub mod tests_view;
pub mod traces;
pub mod versions;
pub mod workspace;

use std::path::{Path, PathBuf};
use writ_core::evaluate::Verdict;
use writ_core::project::{Project, ProjectFiles};
use writ_store::Workspace;

/// Largest policy text accepted for checking (bytes).
const MAX_FILE_BYTES: usize = 1 << 20;

/// Most rows one page of a table may ask for.
const MAX_PAGE: u32 = 500;

/// Longest agent or tool name accepted as a filter (bytes).
const MAX_NAME_BYTES: usize = 1024;

/// Where the workspace is (switched by opening another one), and a lock so
/// the sample is created once.
pub struct AppState {
    path: std::sync::Mutex<PathBuf>,
    create: tauri::async_runtime::Mutex<()>,
    identity: std::sync::Mutex<Option<identity::Identity>>,
    pending_key: std::sync::Mutex<Option<PathBuf>>,
}

impl AppState {
    /// State for the workspace at `path` (created from the sample if absent).
    pub fn new(path: PathBuf) -> Self {
        AppState {
            path: std::sync::Mutex::new(path),
            create: tauri::async_runtime::Mutex::new(()),
            identity: std::sync::Mutex::new(None),
            pending_key: std::sync::Mutex::new(None),
        }
    }

    /// The encrypted key file chosen last, waiting for its passphrase.
    pub fn pending_key(&self) -> Option<PathBuf> {
        self.pending_key
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Sets (or clears) the key file waiting for its passphrase.
    pub fn set_pending_key(&self, file: Option<PathBuf>) {
        *self
            .pending_key
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = file;
    }

    /// The approver key review steps are signed with, if one was chosen.
    pub fn identity(&self) -> Option<identity::Identity> {
        self.identity
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Acts with `identity` from now on (`None`: with no key).
    pub fn set_identity(&self, identity: Option<identity::Identity>) {
        *self
            .identity
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = identity;
    }

    /// The workspace file currently open.
    pub fn path(&self) -> PathBuf {
        self.path
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Makes `path` the open workspace (after it was opened successfully).
    pub fn set_path(&self, path: PathBuf) {
        *self
            .path
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = path;
    }
}

/// Who acts in the audit trail (`writ_store::Actor::from_env`, as in the
/// CLI without `--as`; `desktop` when no variable names anyone).
pub(crate) fn actor() -> String {
    writ_store::Actor::from_env(None)
        .map(|a| a.to_string())
        .unwrap_or_else(|| "desktop".to_string())
}

pub(crate) fn open(path: &Path) -> Result<Workspace, String> {
    Workspace::open(path).map_err(|e| e.to_string())
}

/// A version id or unique prefix: 4 to 64 hex digits.
pub(crate) fn valid_version(v: &str) -> Result<&str, String> {
    let v = v.trim();
    if (4..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(v)
    } else {
        Err(format!(
            "`{v}` is not a version id (4 to 64 hex digits expected)"
        ))
    }
}

pub(crate) fn valid_id(what: &str, id: i64) -> Result<i64, String> {
    if id > 0 {
        Ok(id)
    } else {
        Err(format!("{what} id must be a positive number, got {id}"))
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| format!("background task failed: {e}"))?
}

/// A page size: 1 to [`MAX_PAGE`].
pub(crate) fn valid_limit(limit: u32) -> Result<u32, String> {
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(format!("page size must be 1 to {MAX_PAGE}, got {limit}"))
    }
}

/// An optional agent or tool filter: blank means none.
pub(crate) fn valid_name(what: &str, name: Option<String>) -> Result<Option<String>, String> {
    match name {
        Some(n) if n.len() > MAX_NAME_BYTES => {
            Err(format!("{what} is longer than {MAX_NAME_BYTES} bytes"))
        }
        Some(n) if n.trim().is_empty() => Ok(None),
        Some(n) => Ok(Some(n.trim().to_string())),
        None => Ok(None),
    }
}

/// An optional verdict filter: blank means none, else one of the verdict
/// names (whether a run was given is the store's check).
pub(crate) fn valid_verdict(verdict: Option<String>) -> Result<Option<Verdict>, String> {
    match verdict.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<Verdict>().map(Some).map_err(|e| e.to_string()),
    }
}

/// The version id `files` would be stored under: their content hash, as
/// `Workspace::commit_version` computes it (so a command can say which
/// files it will store, and refuse others).
pub(crate) fn version_of(files: &ProjectFiles) -> String {
    let bytes: Vec<(String, Vec<u8>)> = files
        .all()
        .map(|f| (f.relative.clone(), f.text.as_bytes().to_vec()))
        .collect();
    writ_store::versions::content_hash(&bytes)
}

/// The checked projects of the versions replayed by stored runs `a` and
/// `b` (for comparing their texts).
pub(crate) fn run_projects(path: &Path, a: i64, b: i64) -> Result<(Project, Project), String> {
    let ws = open(path)?;
    let (ra, rb) = (
        ws.run(a).map_err(|e| e.to_string())?,
        ws.run(b).map_err(|e| e.to_string())?,
    );
    Ok((
        version_project(&ws, &ra.version, "compared")?,
        version_project(&ws, &rb.version, "compared")?,
    ))
}

/// The checked project of a stored version (`why`: what it is needed for,
/// said in place of the store's advice when the version has errors).
pub(crate) fn version_project(ws: &Workspace, version: &str, why: &str) -> Result<Project, String> {
    match ws.project(version) {
        Ok(checked) => Ok(checked.project),
        Err(writ_store::StoreError::VersionHasErrors { version, errors }) => Err(format!(
            "version {version} has {errors} error(s); it cannot be {why}"
        )),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_must_be_hex() {
        assert!(valid_version("8d7b576e").is_ok());
        assert!(valid_version("../etc").is_err());
        assert!(valid_version("abc").is_err());
        assert!(valid_id("run", 0).is_err());
    }

    #[test]
    fn filters_are_checked() {
        assert!(valid_limit(0).is_err());
        assert!(valid_limit(MAX_PAGE + 1).is_err());
        assert_eq!(valid_limit(200), Ok(200));
        assert_eq!(valid_name("agent", Some("  ".into())), Ok(None));
        assert_eq!(
            valid_name("agent", Some(" support-bot ".into())),
            Ok(Some("support-bot".into()))
        );
        assert!(valid_name("tool", Some("x".repeat(MAX_NAME_BYTES + 1))).is_err());
        assert_eq!(
            valid_verdict(Some(" denied_by_forbid ".into())),
            Ok(Some(Verdict::DeniedByForbid))
        );
        let e = valid_verdict(Some("maybe".into())).unwrap_err();
        assert!(e.contains("`maybe` is not a verdict"), "{e}");
        assert_eq!(valid_verdict(Some(String::new())), Ok(None));
        assert_eq!(valid_verdict(None), Ok(None));
    }
}
