//! Agent labels for the views that name agents (Runs, Traces, Approvals):
//! each inventory agent's name, id and identities in a stored version.

use super::{blocking, open, valid_version, version_project, AppState};
use tauri::State;
use writ_core::agent_label::{agent_labels, AgentLabel};

/// The labels of the agents of `version`'s inventory (empty when the
/// version has no inventory).
#[tauri::command]
pub async fn agent_names(
    state: State<'_, AppState>,
    version: String,
) -> Result<Vec<AgentLabel>, String> {
    let version = valid_version(&version)?.to_string();
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let project = version_project(&ws, &version, "labelled")?;
        Ok(agent_labels(&project.inventory))
    })
    .await
}
