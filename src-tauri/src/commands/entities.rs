//! The Entities view: every entity a stored version's project decides with,
//! searched and paged (`writ_core::entity_list` does the listing and the
//! search; this keeps one version's rows and serves pages of them).

use super::{blocking, open, valid_limit, valid_version, version_project, AppState};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tauri::State;
use writ_core::entity_list::{self, EntityFilter, EntityRow};

/// Longest search text accepted (bytes).
const MAX_SEARCH_BYTES: usize = 1024;

/// The rows of the last version listed (versions never change once stored,
/// so they are kept until another version or workspace is asked for).
/// Managed by the app.
#[derive(Default, Clone)]
pub struct EntityCache(Arc<Mutex<Option<Cached>>>);

struct Cached {
    path: PathBuf,
    version: String,
    rows: Arc<Vec<EntityRow>>,
}

impl EntityCache {
    /// The rows of `version` in the workspace at `path`, listed once.
    fn rows(&self, path: &Path, version: &str) -> Result<Arc<Vec<EntityRow>>, String> {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = kept
            .as_ref()
            .filter(|c| c.path == path && c.version == version)
        {
            return Ok(c.rows.clone());
        }
        let ws = open(path)?;
        let project = version_project(&ws, version, "listed")?;
        let rows = Arc::new(entity_list::rows(&project));
        *kept = Some(Cached {
            path: path.to_path_buf(),
            version: version.to_string(),
            rows: rows.clone(),
        });
        Ok(rows)
    }
}

/// How many entities a version has, and how many match the search.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct EntityCount {
    /// All entities of the version.
    total: usize,
    /// Those matching the search.
    matched: usize,
}

fn valid_search(search: &str) -> Result<EntityFilter, String> {
    if search.len() > MAX_SEARCH_BYTES {
        return Err(format!(
            "the search is longer than {MAX_SEARCH_BYTES} bytes"
        ));
    }
    Ok(EntityFilter::parse(search))
}

/// The number of entities of `version`, and of those matching `search`.
#[tauri::command]
pub async fn entities_count(
    state: State<'_, AppState>,
    cache: State<'_, EntityCache>,
    version: String,
    search: String,
) -> Result<EntityCount, String> {
    let version = valid_version(&version)?.to_string();
    let filter = valid_search(&search)?;
    let path = state.path();
    let cache = cache.inner().clone();
    blocking(move || {
        let rows = cache.rows(&path, &version)?;
        Ok(EntityCount {
            total: rows.len(),
            matched: rows.iter().filter(|r| filter.matches(r)).count(),
        })
    })
    .await
}

/// Up to `limit` entities of `version` matching `search`, from position
/// `offset` (0-based, in definition order).
#[tauri::command]
pub async fn entities_at(
    state: State<'_, AppState>,
    cache: State<'_, EntityCache>,
    version: String,
    search: String,
    offset: u64,
    limit: u32,
) -> Result<Vec<EntityRow>, String> {
    let version = valid_version(&version)?.to_string();
    let filter = valid_search(&search)?;
    let limit = valid_limit(limit)? as usize;
    let offset = usize::try_from(offset).map_err(|_| "the offset is too large".to_string())?;
    let path = state.path();
    let cache = cache.inner().clone();
    blocking(move || {
        let rows = cache.rows(&path, &version)?;
        Ok(rows
            .iter()
            .filter(|r| filter.matches(r))
            .skip(offset)
            .take(limit)
            .cloned()
            .collect())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_searches_are_refused() {
        assert!(valid_search(&"x".repeat(MAX_SEARCH_BYTES + 1)).is_err());
        assert!(valid_search("type:Agent").is_ok_and(|f| !f.is_empty()));
    }
}
