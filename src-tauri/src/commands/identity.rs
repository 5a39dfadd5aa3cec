//! Who the app acts as in review steps: a person's approver key, chosen
//! in a native dialog (or configured with `$WRIT_KEY` at start), held in
//! memory for the session. The header shows the name the key is
//! registered under in the open workspace; review steps are signed with
//! it. A legacy workspace (unsigned review steps) shows a banner and can
//! be made to require signatures here.

use super::dialog::{choose, Purpose};
use super::{blocking, open, AppState};
use ed25519_dalek::SigningKey;
use serde::Serialize;
use std::path::{Path, PathBuf};
use tauri::{AppHandle, Runtime, State};
use writ_store::approvers::SignatureMode;

/// The chosen approver key.
#[derive(Clone)]
pub struct Identity {
    /// Where it was read from.
    pub path: PathBuf,
    /// The private key.
    pub key: SigningKey,
}

/// Where the app takes a key's passphrase from, in error messages.
const PASSPHRASE_HINT: &str = "in the passphrase field, or $WRIT_KEY_PASSPHRASE at start";

impl Identity {
    /// Reads the approver key at `path`, decrypting it with `passphrase`
    /// when it is encrypted.
    pub fn read(path: &Path, passphrase: Option<&str>) -> Result<Identity, String> {
        let key = writ_bundle::keys::read_private_with(path, passphrase, PASSPHRASE_HINT)
            .map_err(|e| e.to_string())?;
        Ok(Identity {
            path: path.to_path_buf(),
            key,
        })
    }
}

/// What choosing a key file led to.
#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum KeyChoice {
    /// The dialog was cancelled; nothing changed.
    Cancelled,
    /// The key is in use.
    Chosen {
        /// Who the app acts as now.
        identity: IdentityView,
    },
    /// The key is passphrase-encrypted: [`identity_unlock`] decrypts it.
    NeedsPassphrase {
        /// The file's name.
        file: String,
    },
}

/// Who the app acts as, as the header shows it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct IdentityView {
    /// Whether the workspace requires signed review steps.
    mode: SignatureMode,
    /// The chosen key file's name, if a key was chosen.
    file: Option<String>,
    /// The key's id.
    key_id: Option<String>,
    /// The name it is registered under in this workspace (none when it is
    /// not an approver key here).
    name: Option<String>,
    /// Whether the registration was revoked.
    revoked: bool,
}

fn view(workspace: &Path, identity: Option<&Identity>) -> Result<IdentityView, String> {
    let ws = open(workspace)?;
    let mode = ws.signature_mode().map_err(|e| e.to_string())?;
    let Some(id) = identity else {
        return Ok(IdentityView {
            mode,
            file: None,
            key_id: None,
            name: None,
            revoked: false,
        });
    };
    let key_id = writ_bundle::keys::key_id(&id.key.verifying_key());
    let registered = ws
        .approvers()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|a| a.key_id == key_id);
    Ok(IdentityView {
        mode,
        file: id
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        revoked: registered.as_ref().is_some_and(|a| !a.active()),
        name: registered.map(|a| a.name),
        key_id: Some(key_id),
    })
}

/// Who the app acts as in the open workspace.
#[tauri::command]
pub async fn identity_show(state: State<'_, AppState>) -> Result<IdentityView, String> {
    let (path, identity) = (state.path(), state.identity());
    blocking(move || view(&path, identity.as_ref())).await
}

/// Asks for an approver key file in a native dialog and acts with it from
/// now on; an encrypted one waits for its passphrase ([`identity_unlock`]).
#[tauri::command]
pub async fn identity_choose<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<KeyChoice, String> {
    let path = state.path();
    let file = blocking(move || {
        choose(
            &app,
            Purpose::Open,
            "Choose your approver key",
            &[("Private keys (PEM)", &["pem"])],
        )
    })
    .await?;
    let Some(file) = file else {
        return Ok(KeyChoice::Cancelled);
    };
    let encrypted = writ_bundle::keys::is_encrypted(&file).map_err(|e| e.to_string())?;
    if encrypted {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        state.set_pending_key(Some(file));
        return Ok(KeyChoice::NeedsPassphrase { file: name });
    }
    let identity = blocking(move || Identity::read(&file, None)).await?;
    state.set_identity(Some(identity.clone()));
    let identity = blocking(move || view(&path, Some(&identity))).await?;
    Ok(KeyChoice::Chosen { identity })
}

/// Decrypts the encrypted key file chosen last with `passphrase` and acts
/// with it (a wrong passphrase changes nothing and can be tried again).
#[tauri::command]
pub async fn identity_unlock(
    state: State<'_, AppState>,
    passphrase: String,
) -> Result<IdentityView, String> {
    let Some(file) = state.pending_key() else {
        return Err("choose the key file first".into());
    };
    if passphrase.len() > 4096 {
        return Err("a passphrase has at most 4096 bytes".into());
    }
    let identity = blocking(move || Identity::read(&file, Some(&passphrase))).await?;
    state.set_pending_key(None);
    state.set_identity(Some(identity.clone()));
    let path = state.path();
    blocking(move || view(&path, Some(&identity))).await
}

/// Stops acting with the chosen key.
#[tauri::command]
pub async fn identity_forget(state: State<'_, AppState>) -> Result<IdentityView, String> {
    state.set_identity(None);
    let path = state.path();
    blocking(move || view(&path, None)).await
}

/// Makes the open (legacy) workspace require signed review steps from now
/// on, signed by the chosen approver key.
#[tauri::command]
pub async fn require_signatures(state: State<'_, AppState>) -> Result<IdentityView, String> {
    let Some(identity) = state.identity() else {
        return Err("choose your approver key first: requiring signatures is itself signed".into());
    };
    let path = state.path();
    blocking(move || {
        let mut ws = open(&path)?;
        ws.require_signatures(&identity.key)
            .map_err(|e| e.to_string())?;
        view(&path, Some(&identity))
    })
    .await
}
