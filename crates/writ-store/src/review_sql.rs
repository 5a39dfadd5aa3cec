//! The review tables read and written inside a transaction: a version's
//! state, the baseline, a round's approvals, the guard on suites bound to
//! approved versions, and the write transaction the steps run in.

use crate::error::Result;
use crate::error::StoreError;
use crate::review_state::{short, ApprovalInfo, ReviewError, ReviewState};
use crate::workspace::Workspace;
use rusqlite::{Connection, OptionalExtension};

/// The state of a version's latest review round (`Draft` without one),
/// read on `conn` (inside a caller's transaction if it has one).
pub(crate) fn state_of(conn: &Connection, version: &str) -> Result<(ReviewState, Option<i64>)> {
    let row: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, state FROM reviews WHERE version_id = ?1 ORDER BY round DESC LIMIT 1",
            [version],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        None => Ok((ReviewState::Draft, None)),
        Some((id, s)) => {
            let state = ReviewState::parse(&s).ok_or_else(|| {
                StoreError::Damaged(format!("review {id} has an unknown state `{s}`"))
            })?;
            Ok((state, Some(id)))
        }
    }
}

/// Refuses a change to a suite bound to an approved version (used by
/// `suites.rs` inside its transaction).
pub(crate) fn guard_suite(conn: &Connection, suite: &str) -> Result<()> {
    let bound: Option<Option<String>> = conn
        .query_row(
            "SELECT version_id FROM suites WHERE name = ?1",
            [suite],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(Some(version)) = bound {
        if state_of(conn, &version)?.0 == ReviewState::Approved {
            return Err(ReviewError::SuiteOfApproved {
                suite: suite.to_string(),
                short: short(&version),
            }
            .into());
        }
    }
    Ok(())
}

/// The most recently approved version other than `except`.
pub(crate) fn baseline_of(conn: &Connection, except: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT version_id FROM reviews WHERE state = 'approved' AND version_id <> ?1 ORDER BY decided_at DESC, id DESC LIMIT 1",
            [except],
            |r| r.get(0),
        )
        .optional()?)
}

/// The approvals of review `review`, oldest first.
pub(crate) fn approvals_of(conn: &Connection, review: i64) -> Result<Vec<ApprovalInfo>> {
    let mut stmt = conn.prepare(
        "SELECT actor, at, comment, key_id FROM review_decisions WHERE review_id = ?1 AND decision = 'approve' ORDER BY id",
    )?;
    let rows = stmt.query_map([review], |r| {
        Ok(ApprovalInfo {
            approver: r.get(0)?,
            at: crate::columns::time(r, 1)?,
            comment: r.get(2)?,
            key_id: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Runs `f` inside `BEGIN IMMEDIATE` on the workspace's connection,
/// committing on success and rolling back on error.
pub(crate) fn in_write_tx<T>(
    ws: &mut Workspace,
    f: impl FnOnce(&mut Workspace) -> Result<T>,
) -> Result<T> {
    ws.conn.execute_batch("BEGIN IMMEDIATE")?;
    match f(ws) {
        Ok(v) => match ws.conn.execute_batch("COMMIT") {
            Ok(()) => Ok(v),
            Err(e) => {
                let _ = ws.conn.execute_batch("ROLLBACK");
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = ws.conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
