//! The Audit view: the workspace's hash-chained audit trail (`writ audit
//! list`), newest first and filtered by kind and actor, and the chain's
//! verification (`writ audit verify`), on the blocking pool.

use super::{blocking, open, valid_limit, valid_name, AppState};
use serde::Serialize;
use tauri::State;
use writ_store::audit::AuditEvent;

/// One audit event as the view lists it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct AuditRow {
    /// Sequence number (1, 2, ...).
    id: i64,
    /// When (RFC 3339).
    ts: String,
    /// Who.
    actor: String,
    /// What kind of change (`version.commit`, `run.store`, ...).
    kind: String,
    /// What it is about, drawn from the details (a version, run, set, ...).
    subject: String,
    /// The details, as stored JSON text.
    details: String,
    /// This event's hash.
    hash: String,
}

/// One page of the trail, newest first.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct AuditPage {
    /// Events in the whole trail.
    all: usize,
    /// Events matching the filters.
    total: usize,
    /// Every kind in the trail, sorted.
    kinds: Vec<String>,
    /// Every actor in the trail, sorted.
    actors: Vec<String>,
    /// The page's events.
    events: Vec<AuditRow>,
}

/// The result of checking the hash chain.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct AuditVerification {
    /// True when every event verifies.
    ok: bool,
    /// Events stored.
    events: usize,
    /// The newest event's hash, when intact and not empty.
    head: Option<String>,
    /// The first event that does not verify (or the id of a missing one).
    broken_event: Option<i64>,
    /// Why it does not verify.
    reason: Option<String>,
}

/// What an event is about, from well-known keys of its details.
fn subject(details: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(details) else {
        return String::new();
    };
    let text = |key: &str| match v.get(key) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    if let Some(r) = text("run") {
        return format!("run {r}");
    }
    if let Some(b) = text("bundle") {
        return format!("bundle {b}");
    }
    if let Some(n) = text("name") {
        return n;
    }
    if let Some(s) = text("suite") {
        return format!("suite {s}");
    }
    if let Some(k) = text("key_id") {
        return format!("key {k}");
    }
    if let Some(ver) = text("version") {
        return format!("version {}", ver.get(..12).unwrap_or(&ver));
    }
    String::new()
}

fn row(e: AuditEvent) -> AuditRow {
    AuditRow {
        subject: subject(&e.details),
        id: e.id,
        ts: e.ts,
        actor: e.actor,
        kind: e.kind,
        details: e.details,
        hash: e.hash,
    }
}

/// `limit` events from position `offset` of the trail, newest first, of
/// kind `kind` and by `actor` when given (blank: any).
#[tauri::command]
pub async fn audit_list(
    state: State<'_, AppState>,
    kind: Option<String>,
    actor: Option<String>,
    offset: u32,
    limit: u32,
) -> Result<AuditPage, String> {
    let kind = valid_name("kind", kind)?;
    let actor = valid_name("actor", actor)?;
    let limit = valid_limit(limit)? as usize;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let mut events = ws
            .audit_events()
            .map_err(|e| format!("cannot read the audit trail: {e}"))?;
        let all = events.len();
        let mut kinds: Vec<String> = events.iter().map(|e| e.kind.clone()).collect();
        kinds.sort();
        kinds.dedup();
        let mut actors: Vec<String> = events.iter().map(|e| e.actor.clone()).collect();
        actors.sort();
        actors.dedup();
        events.retain(|e| {
            kind.as_deref().is_none_or(|k| e.kind == k)
                && actor.as_deref().is_none_or(|a| e.actor == a)
        });
        events.reverse();
        let total = events.len();
        let events = events
            .into_iter()
            .skip(offset as usize)
            .take(limit)
            .map(row)
            .collect();
        Ok(AuditPage {
            all,
            total,
            kinds,
            actors,
            events,
        })
    })
    .await
}

/// Checks the whole chain, as `writ audit verify` does.
#[tauri::command]
pub async fn audit_verify(state: State<'_, AppState>) -> Result<AuditVerification, String> {
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let broken = ws
            .verify_audit()
            .map_err(|e| format!("cannot verify the audit trail: {e}"))?;
        let events = ws
            .audit_events()
            .map_err(|e| format!("cannot read the audit trail: {e}"))?;
        Ok(match broken {
            None => AuditVerification {
                ok: true,
                head: events.last().map(|e| e.hash.clone()),
                events: events.len(),
                broken_event: None,
                reason: None,
            },
            Some(b) => AuditVerification {
                ok: false,
                head: None,
                events: events.len(),
                broken_event: Some(b.event),
                reason: Some(b.reason),
            },
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::subject;

    #[test]
    fn subjects_come_from_the_details() {
        assert_eq!(
            subject(r#"{"run":2,"version":"8d7b576e71b040eb"}"#),
            "run 2"
        );
        assert_eq!(
            subject(r#"{"version":"8d7b576e71b040eb8fec","parent":null}"#),
            "version 8d7b576e71b0"
        );
        assert_eq!(subject(r#"{"set":1,"name":"recorded"}"#), "recorded");
        assert_eq!(subject("not json"), "");
        assert_eq!(subject("{}"), "");
    }
}
