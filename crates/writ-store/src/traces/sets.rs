//! The stored trace sets themselves: their record, listing one or all,
//! the malformed lines reported when each was imported, and the check
//! that a new set is neither a stored content again nor a taken name.

use crate::error::{NameProblem, Result, StoreError};
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use writ_base::time::UtcTime;
use writ_core::trace::LineError;

/// Longest trace set name (characters).
pub const MAX_SET_NAME_CHARS: usize = 100;

/// Checks a trace set name: 1 to [`MAX_SET_NAME_CHARS`] characters, no
/// leading or trailing blanks, no control characters, and not digits only
/// (a number names a set by its id).
pub fn check_set_name(name: &str) -> std::result::Result<(), NameProblem> {
    const WHAT: &str = "trace set";
    let chars = name.chars().count();
    if chars == 0 || name.trim() != name {
        return Err(NameProblem::Blank { what: WHAT });
    }
    if chars > MAX_SET_NAME_CHARS {
        return Err(NameProblem::TooLong {
            what: WHAT,
            name: name.to_string(),
            max: MAX_SET_NAME_CHARS,
            chars,
        });
    }
    if name.chars().any(char::is_control) {
        return Err(NameProblem::ControlCharacters { what: WHAT });
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err(NameProblem::OnlyDigits {
            what: WHAT,
            name: name.to_string(),
        });
    }
    Ok(())
}

/// The name a set imported from a file without one gets: the file's stem,
/// made a valid set name (trimmed, control characters dropped, at most
/// [`MAX_SET_NAME_CHARS`], `traces-` before a number; `traces` for none).
pub fn default_set_name(file: &std::path::Path) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem.chars().filter(|c| !c.is_control()).collect();
    let mut name: String = clean.trim().chars().take(MAX_SET_NAME_CHARS).collect();
    name = name.trim_end().to_string();
    if name.is_empty() {
        return "traces".to_string();
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        name = format!("traces-{name}");
    }
    name
}

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
    #[ts(type = "string")]
    pub imported_at: UtcTime,
    /// Actions stored.
    pub actions: i64,
    /// Malformed lines reported (not stored as actions).
    pub bad_lines: i64,
    /// Size of the imported file in bytes.
    pub bytes: i64,
}

/// Refuses a new set whose content (`sha`) is already stored, naming the
/// set holding it, or whose `name` is taken.
pub(super) fn refuse_existing(conn: &rusqlite::Connection, sha: &str, name: &str) -> Result<()> {
    if let Some((id, existing)) = conn
        .query_row(
            "SELECT id, name FROM trace_sets WHERE sha256 = ?1",
            [sha],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?
    {
        return Err(StoreError::DuplicateTraceSet { name: existing, id });
    }
    if conn
        .query_row("SELECT 1 FROM trace_sets WHERE name = ?1", [name], |_| {
            Ok(())
        })
        .optional()?
        .is_some()
    {
        return Err(StoreError::NameTaken {
            what: "trace set",
            name: name.to_string(),
        });
    }
    Ok(())
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
        imported_at: crate::columns::time(r, 4)?,
        actions: r.get(5)?,
        bad_lines: r.get(6)?,
        bytes: r.get(7)?,
    })
}

#[cfg(test)]
mod name_tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn set_names_are_checked() {
        assert!(check_set_name("week 46").is_ok());
        for (bad, what) in [
            ("", "empty"),
            (" week", "leading blank"),
            ("a\nb", "control"),
            ("42", "digits"),
        ] {
            assert!(check_set_name(bad).is_err(), "{what}");
        }
        assert!(matches!(
            check_set_name(&"x".repeat(101)),
            Err(NameProblem::TooLong {
                max: 100,
                chars: 101,
                ..
            })
        ));
        assert!(check_set_name(&"é".repeat(100)).is_ok());
    }

    #[test]
    fn default_names_are_valid_names() {
        for (file, want) in [
            ("dir/week 46.jsonl", "week 46"),
            ("20261102.jsonl", "traces-20261102"),
            (".jsonl", ".jsonl"),
            ("/", "traces"),
        ] {
            let name = default_set_name(Path::new(file));
            assert_eq!(name, want, "{file}");
            assert!(check_set_name(&name).is_ok(), "{file}");
        }
        let long = format!("{}.json", "y".repeat(300));
        assert_eq!(default_set_name(Path::new(&long)).chars().count(), 100);
    }
}
