//! The audit trail: every change to the workspace appends an event whose
//! hash covers its content and the previous event's hash, so an edited,
//! deleted or reordered event breaks the chain at a place `verify` names.

use crate::error::Result;
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// Sequence number (1, 2, ...).
    pub id: i64,
    /// When (RFC 3339).
    pub ts: String,
    /// Who.
    pub actor: String,
    /// What kind of change (`version.commit`, `traces.import`, `run.store`, ...).
    pub kind: String,
    /// Details, as stored JSON text.
    pub details: String,
    /// The previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// The hash of an event: SHA-256 over its fields and the previous hash.
pub fn event_hash(id: i64, ts: &str, actor: &str, kind: &str, details: &str, prev: &str) -> String {
    let mut h = Sha256::new();
    for part in [id.to_string().as_str(), ts, actor, kind, details, prev] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    writ_base::hex(&h.finalize())
}

/// Appends an event inside the caller's open transaction (on `tx`), so the
/// change and its record commit together.
pub fn append(
    tx: &Connection,
    actor: &str,
    kind: &str,
    details: &serde_json::Value,
) -> Result<i64> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    // Chain onto the recorded head, not merely the newest row: if the newest
    // events were deleted, reusing their ids would hide the gap for good.
    let head: Option<(i64, String)> = tx
        .query_row("SELECT value FROM meta WHERE key = 'audit_head'", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .and_then(|h| {
            let (id, hash) = h.split_once(':')?;
            Some((id.parse().ok()?, hash.to_string()))
        });
    let (id, prev) = match (head, last) {
        (Some((hid, hash)), last) => (hid.max(last.map_or(0, |l| l.0)) + 1, hash),
        (None, Some((id, hash))) => (id + 1, hash),
        (None, None) => (1, GENESIS.to_string()),
    };
    let ts = now_rfc3339();
    let details = details.to_string();
    let hash = event_hash(id, &ts, actor, kind, &details, &prev);
    tx.execute(
        "INSERT INTO audit_events (id, ts, actor, kind, details, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, ts, actor, kind, details, prev, hash],
    )?;
    // The head, so deleting the newest events is noticed too.
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('audit_head', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![format!("{id}:{hash}")],
    )?;
    Ok(id)
}

/// The trail's newest event: what a signed checkpoint or a bundle manifest
/// records, so a trail later truncated, wiped or rewritten is detected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditHead {
    /// The newest event's hash ([`GENESIS`] for an empty trail).
    pub head: String,
    /// The number of events (the newest event's id; 0 for an empty trail).
    pub count: u64,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// The first event that does not verify (or the expected id of a missing one).
    pub event: i64,
    /// Why.
    pub reason: String,
}

impl Workspace {
    /// Every audit event, oldest first.
    pub fn audit_events(&self) -> Result<Vec<AuditEvent>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, ts, actor, kind, details, prev_hash, hash FROM audit_events ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AuditEvent {
                id: r.get(0)?,
                ts: r.get(1)?,
                actor: r.get(2)?,
                kind: r.get(3)?,
                details: r.get(4)?,
                prev_hash: r.get(5)?,
                hash: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Checks the whole chain. `Ok(None)` when intact, else the first break.
    pub fn verify_audit(&self) -> Result<Option<ChainBreak>> {
        let events = self.audit_events()?;
        let mut prev = GENESIS.to_string();
        for (i, e) in events.iter().enumerate() {
            let expected_id = i as i64 + 1;
            if e.id != expected_id {
                return Ok(Some(ChainBreak {
                    event: expected_id,
                    reason: format!(
                        "event {expected_id} is missing (the next stored event is {})",
                        e.id
                    ),
                }));
            }
            if e.prev_hash != prev {
                return Ok(Some(ChainBreak {
                    event: e.id,
                    reason: "it does not follow the event before it (deleted, inserted or reordered events)".into(),
                }));
            }
            let h = event_hash(e.id, &e.ts, &e.actor, &e.kind, &e.details, &e.prev_hash);
            if h != e.hash {
                return Ok(Some(ChainBreak {
                    event: e.id,
                    reason: "its content does not match its hash (the event was edited)".into(),
                }));
            }
            prev = e.hash.clone();
        }
        let head: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'audit_head'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let last = events.last().map(|e| format!("{}:{}", e.id, e.hash));
        if head != last {
            let expected = head
                .as_deref()
                .and_then(|h| h.split(':').next())
                .and_then(|n| n.parse::<i64>().ok())
                .unwrap_or(0);
            return Ok(Some(ChainBreak {
                event: expected.max(events.len() as i64 + 1),
                reason: format!(
                    "the newest events are missing: the trail ends at event {} but its head records {}",
                    events.len(),
                    head.unwrap_or_else(|| "no events".into())
                ),
            }));
        }
        // Events and head both gone: a workspace holding versions had
        // events (every commit appends one).
        if events.is_empty() {
            let versions: i64 = self
                .conn
                .query_row("SELECT COUNT(*) FROM versions", [], |r| r.get(0))?;
            if versions > 0 {
                return Ok(Some(ChainBreak {
                    event: 1,
                    reason: format!(
                        "the trail is empty but the workspace holds {versions} version(s): its events were deleted"
                    ),
                }));
            }
        }
        Ok(None)
    }
}

impl Workspace {
    /// The trail's newest event as it is now (its hash and id), for a
    /// checkpoint or a bundle's manifest. Call it before appending the
    /// event of the operation it is recorded by (a bundle carries the head
    /// as it was before its own export event).
    pub fn audit_head(&self) -> Result<AuditHead> {
        let last: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match last {
            Some((id, hash)) => AuditHead {
                head: hash,
                count: u64::try_from(id).unwrap_or(0),
            },
            None => AuditHead {
                head: GENESIS.to_string(),
                count: 0,
            },
        })
    }

    /// Checks the whole chain ([`Self::verify_audit`]) and that it still
    /// holds `mark` (from a signed checkpoint or a bundle): event
    /// `mark.count` exists with hash `mark.head`. `what` names where the mark
    /// comes from in the message (`the checkpoint`, `bundle b1`).
    /// `Ok(None)` when both hold, else the first break.
    pub fn verify_audit_against(&self, mark: &AuditHead, what: &str) -> Result<Option<ChainBreak>> {
        if let Some(b) = self.verify_audit()? {
            return Ok(Some(b));
        }
        if mark.count == 0 {
            return Ok(None);
        }
        let id = i64::try_from(mark.count).unwrap_or(i64::MAX);
        let at: Option<String> = self
            .conn
            .query_row(
                "SELECT hash FROM audit_events WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?;
        let newest = self.audit_head()?.count;
        Ok(match at {
            Some(h) if h == mark.head => None,
            Some(_) => Some(ChainBreak {
                event: id,
                reason: format!(
                    "event {id} is not the one {what} records (the trail was rewritten from there on)"
                ),
            }),
            None => Some(ChainBreak {
                event: id,
                reason: if newest == 0 {
                    format!("the trail was wiped: it holds no event but {what} records {} event(s)", mark.count)
                } else {
                    format!(
                        "the trail was truncated: it ends at event {newest} but {what} records {} event(s)",
                        mark.count
                    )
                },
            }),
        })
    }
}
