//! Paging through a stored trace set's actions.

use super::{blocking, open, valid_id, valid_limit, valid_name, valid_verdict, AppState};
use serde::Serialize;
use tauri::State;
use writ_store::traces::{ActionFilter, StoredAction};

/// One page of a trace set's actions.
#[derive(Debug, Serialize)]
pub struct ActionPage {
    rows: Vec<StoredAction>,
    /// Whether more rows follow the last one.
    more: bool,
}

/// A page of trace set `set`'s actions after line `after`, filtered by
/// agent, tool and (with `run`) verdict; with `run`, each row carries its
/// verdict in that run.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn list_actions(
    state: State<'_, AppState>,
    set: i64,
    run: Option<i64>,
    agent: Option<String>,
    tool: Option<String>,
    verdict: Option<String>,
    after: i64,
    limit: u32,
) -> Result<ActionPage, String> {
    let set = valid_id("trace set", set)?;
    let run = run.map(|r| valid_id("run", r)).transpose()?;
    let filter = ActionFilter {
        agent: valid_name("agent", agent)?,
        tool: valid_name("tool", tool)?,
        verdict: valid_verdict(verdict, run)?,
        run,
        ..Default::default()
    };
    let after = after.max(0);
    let limit = valid_limit(limit)? as usize;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        // One more than asked, to know whether a next page exists.
        let mut rows = ws
            .list_actions(set, &filter, after, limit + 1)
            .map_err(|e| e.to_string())?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok(ActionPage { rows, more })
    })
    .await
}
