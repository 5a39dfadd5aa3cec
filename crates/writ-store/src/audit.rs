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
    hex(&h.finalize())
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
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
        Ok(None)
    }
}
