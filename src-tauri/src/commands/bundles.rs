//! The Bundles view: export an approved version as a signed bundle (the key
//! and the target chosen in native dialogs, never typed paths), the history
//! of exports and the registered keys, over `writ_store::export` and
//! `writ_store::keys`.

use super::dialog::{choose, choose_named, Purpose};
use super::{actor, blocking, open, valid_version, AppState};
use serde::Serialize;
use tauri::{AppHandle, State};
use writ_store::keys::BundleRecord;

/// Longest validity accepted (days).
const MAX_EXPIRY_DAYS: u32 = 3650;

/// A registered key, as the view lists it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct KeyRow {
    /// The key id.
    key_id: String,
    /// Where it was written or read.
    name: String,
    /// When it was registered.
    added_at: String,
    /// Who registered it.
    added_by: String,
}

/// The exports (newest first) and the registered keys.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct BundlesView {
    /// Every export.
    bundles: Vec<BundleRecord>,
    /// Every registered key.
    keys: Vec<KeyRow>,
}

pub(crate) fn view(ws: &writ_store::Workspace) -> Result<BundlesView, String> {
    let bundles = ws.bundles().map_err(|e| e.to_string())?;
    let keys = ws
        .keys()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|k| KeyRow {
            key_id: k.key_id,
            name: k.name,
            added_at: k.added_at.to_string(),
            added_by: k.added_by,
        })
        .collect();
    Ok(BundlesView { bundles, keys })
}

/// The exported bundles and the registered keys.
#[tauri::command]
pub async fn bundle_list(state: State<'_, AppState>) -> Result<BundlesView, String> {
    let path = state.path();
    blocking(move || view(&open(&path)?)).await
}

/// Exports an approved version: a dialog for the private key (PKCS#8 PEM),
/// one for the new bundle's location, then the export (`.tar.gz` when
/// `archive`, valid `expires_days` days from the last approval when
/// given). `None` when a dialog was cancelled; then nothing is written.
#[tauri::command]
pub async fn bundle_export(
    app: AppHandle,
    state: State<'_, AppState>,
    version: String,
    archive: bool,
    expires_days: Option<u32>,
) -> Result<Option<BundlesView>, String> {
    let version = valid_version(&version)?.to_string();
    if let Some(d) = expires_days {
        if d == 0 || d > MAX_EXPIRY_DAYS {
            return Err(format!(
                "the validity must be 1 to {MAX_EXPIRY_DAYS} days, got {d}"
            ));
        }
    }
    let path = state.path();
    blocking(move || {
        // Refuse early, before any dialog, when the version is not approved.
        {
            let ws = open(&path)?;
            let status = ws.version_status(&version).map_err(|e| e.to_string())?;
            if status.state != writ_store::approvals::ReviewState::Approved {
                return Err(format!(
                    "version {} is not approved; approve it in the Approvals view first",
                    &status.id[..12]
                ));
            }
        }
        let Some(key) = choose(
            &app,
            Purpose::Open,
            "Choose the signing key (private key, PEM)",
            &[("PEM private keys", &["pem"])],
        )?
        else {
            return Ok(None);
        };
        let title = if archive {
            "Save the bundle archive"
        } else {
            "Choose a new folder for the bundle"
        };
        let filters: &[(&str, &[&str])] = if archive {
            &[("Bundle archives", &["gz"])]
        } else {
            &[]
        };
        let name = suggested_name(&version, archive);
        let Some(mut out) = choose_named(&app, Purpose::Save, title, filters, Some(&name))? else {
            return Ok(None);
        };
        if archive && !out.to_string_lossy().ends_with(".tar.gz") {
            let mut s = out.into_os_string();
            s.push(".tar.gz");
            out = s.into();
        }
        let mut ws = open(&path)?;
        let options = writ_store::export::ExportOptions {
            archive,
            expires_in: expires_days.map(|d| format!("{d}d")),
            ..Default::default()
        };
        writ_store::export::export_version(&mut ws, &version, &key, &out, &options, &actor())
            .map_err(|e| e.to_string())?;
        view(&ws).map(Some)
    })
    .await
}

/// The name the save dialog offers for a bundle of `version` (an id or a
/// prefix of one): `writ-bundle-<12 hex digits>`, with `.tar.gz` for an
/// archive.
fn suggested_name(version: &str, archive: bool) -> String {
    let short: String = version.chars().take(12).collect();
    if archive {
        format!("writ-bundle-{short}.tar.gz")
    } else {
        format!("writ-bundle-{short}")
    }
}

#[cfg(test)]
mod tests {
    use super::suggested_name;

    #[test]
    fn the_offered_name_names_the_version_and_the_form() {
        let id = "8d7b576e71b040eb8fec495f084511f1d66f39f031c15a8cc4d3323a46da826f";
        assert_eq!(suggested_name(id, true), "writ-bundle-8d7b576e71b0.tar.gz");
        assert_eq!(suggested_name(id, false), "writ-bundle-8d7b576e71b0");
        assert_eq!(suggested_name("8d7b", true), "writ-bundle-8d7b.tar.gz");
    }
}
