//! The Bundles view's signing keys: generate a key pair and register it
//! (`writ key generate --out NAME`), or register a public key made
//! elsewhere (`writ key add KEY.pub.pem`). The files are chosen in native
//! dialogs; the web view only learns their names.

use super::bundles::{view, BundlesView};
use super::dialog::{choose, choose_named, Purpose};
use super::{actor, blocking, open, AppState};
use serde::Serialize;
use std::path::{Path, PathBuf};
use tauri::{AppHandle, State};

/// A key generated or registered, and the view after it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct KeyOutcome {
    /// The key id.
    key_id: String,
    /// The private key's file name (none when only a public key was added).
    private_file: Option<String>,
    /// The public key's file name.
    public_file: String,
    /// False when the key was registered already (nothing changed).
    registered: bool,
    /// The exports and keys, updated.
    view: BundlesView,
}

/// The key pair's stem from the chosen private key path: `release.pem` and
/// `release` both give `release` (the files are `release.pem` and
/// `release.pub.pem`).
fn stem_of(chosen: &Path) -> PathBuf {
    let text = chosen.to_string_lossy();
    match text.strip_suffix(".pem") {
        Some(stem) => PathBuf::from(stem),
        None => chosen.to_path_buf(),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Generates a bundle-signing key pair where the save dialog says (the
/// private key mode 0600) and registers its public key. `None` when the
/// dialog was cancelled. An existing file is never overwritten.
#[tauri::command]
pub async fn generate_signing_key(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<KeyOutcome>, String> {
    let path = state.path();
    blocking(move || {
        let Some(chosen) = choose_named(
            &app,
            Purpose::Save,
            "Save the new signing key (private key; its .pub.pem goes beside it)",
            &[("PEM private keys", &["pem"])],
            Some("release.pem"),
        )?
        else {
            return Ok(None);
        };
        let mut ws = open(&path)?;
        let files = writ_bundle::keys::generate_files_with(&stem_of(&chosen), None)
            .map_err(|e| format!("no key was made: {e}"))?;
        let shown = std::path::absolute(&files.private)
            .unwrap_or_else(|_| files.private.clone())
            .display()
            .to_string();
        let registered = ws
            .register_key(&files.key_id, &files.public_pem, &shown, &actor())
            .map_err(|e| {
                // Nothing half-made: the unregistered key files go again.
                let _ = std::fs::remove_file(&files.private);
                let _ = std::fs::remove_file(&files.public);
                format!("the key was not registered (its files were removed): {e}")
            })?;
        Ok(Some(KeyOutcome {
            key_id: files.key_id,
            private_file: Some(file_name(&files.private)),
            public_file: file_name(&files.public),
            registered,
            view: view(&ws)?,
        }))
    })
    .await
}

/// Registers a public key chosen in a dialog (SPKI PEM, e.g. made with
/// OpenSSL) as a bundle-signing key. `None` when the dialog was cancelled.
#[tauri::command]
pub async fn register_signing_key(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<KeyOutcome>, String> {
    let path = state.path();
    blocking(move || {
        let Some(public) = choose(
            &app,
            Purpose::Open,
            "Choose a public key to trust for bundles (PEM)",
            &[("PEM public keys", &["pem"])],
        )?
        else {
            return Ok(None);
        };
        let key = writ_bundle::keys::read_public(&public).map_err(|e| e.to_string())?;
        let key_id = writ_bundle::keys::key_id(&key);
        let pem = writ_bundle::keys::public_pem(&key);
        let mut ws = open(&path)?;
        let registered = ws
            .register_key(&key_id, &pem, &public.display().to_string(), &actor())
            .map_err(|e| e.to_string())?;
        Ok(Some(KeyOutcome {
            key_id,
            private_file: None,
            public_file: file_name(&public),
            registered,
            view: view(&ws)?,
        }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::stem_of;
    use std::path::{Path, PathBuf};

    #[test]
    fn the_chosen_file_names_the_pair() {
        assert_eq!(
            stem_of(Path::new("/k/release.pem")),
            PathBuf::from("/k/release")
        );
        assert_eq!(
            stem_of(Path::new("/k/release")),
            PathBuf::from("/k/release")
        );
        assert_eq!(stem_of(Path::new("/k/a.b.pem")), PathBuf::from("/k/a.b"));
    }
}
