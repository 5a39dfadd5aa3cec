//! The stored trace sets themselves: their record, listing one or all,
//! and the malformed lines reported when each was imported.

use crate::error::{Result, StoreError};
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use writ_core::trace::LineError;

/// A stored trace set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TraceSetInfo {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// SHA-256 of the imported bytes.
    pub sha256: String,
    /// Where it came from.
    pub source: String,
    /// When it was imported.
    pub imported_at: String,
    /// Actions stored.
    pub actions: i64,
    /// Malformed lines reported (not stored as actions).
    pub bad_lines: i64,
    /// Size of the imported file in bytes.
    pub bytes: i64,
}

impl Workspace {
    /// Every trace set, oldest first.
    pub fn list_trace_sets(&self) -> Result<Vec<TraceSetInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, sha256, source, imported_at, actions, bad_lines, bytes FROM trace_sets ORDER BY id",
        )?;
        let rows = stmt.query_map([], row_to_set)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A trace set by id or name.
    pub fn trace_set(&self, id_or_name: &str) -> Result<TraceSetInfo> {
        let by_id = id_or_name.parse::<i64>().ok();
        self.conn
            .query_row(
                "SELECT id, name, sha256, source, imported_at, actions, bad_lines, bytes FROM trace_sets WHERE id = ?1 OR name = ?2 ORDER BY id IS ?1 DESC LIMIT 1",
                params![by_id, id_or_name],
                row_to_set,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "trace set",
                id: id_or_name.to_string(),
            })
    }

    /// The malformed lines reported when a set was imported.
    pub fn trace_set_errors(&self, set: i64) -> Result<Vec<LineError>> {
        let mut stmt = self.conn.prepare(
            "SELECT line, col, message FROM trace_errors WHERE set_id = ?1 ORDER BY line",
        )?;
        let rows = stmt.query_map([set], |r| {
            Ok(LineError {
                line: r.get::<_, i64>(0)? as usize,
                column: r.get::<_, i64>(1)? as usize,
                message: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// A `trace_sets` row (id, name, sha256, source, imported_at, actions,
/// bad_lines, bytes) as a [`TraceSetInfo`].
pub(crate) fn row_to_set(r: &rusqlite::Row<'_>) -> rusqlite::Result<TraceSetInfo> {
    Ok(TraceSetInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        sha256: r.get(2)?,
        source: r.get(3)?,
        imported_at: r.get(4)?,
        actions: r.get(5)?,
        bad_lines: r.get(6)?,
        bytes: r.get(7)?,
    })
}
