//! Mapping a trace set again without its file, and removing a set.
//!
//! An import keeps every recorded tool call it read, as read (before the
//! mapping profile made a request of it), in `trace_calls`. Re-mapping
//! makes a new set from those calls with another profile (and user
//! attribute), in one transaction, so that the loop "import, see the
//! shadow agents, write a profile, map again" works in one workspace. A
//! re-mapped set names the set whose calls it maps (`calls_from`); the
//! calls are stored once.
//!
//! What re-mapping cannot change: how the file was read (its format, which
//! spans are tool calls, which agent a span belongs to). A user attribute
//! given to `remap` is looked up in each call's attributes (its span's and
//! resource's); a user recorded only on an ancestor span is found at
//! import time (the known keys and `--user-attribute`), not by `remap`.

use super::import::{map_call, unmapped, CallsKept, ImportReport};
use super::sets::check_set_name;
use crate::audit;
use crate::error::{Result, StoreError};
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::params;
use serde_json::Value;
use std::sync::Arc;
use writ_core::ingest::{Format, IngestCounts, Mapping, ToolCall};
use writ_core::trace::LineError;

/// How a set is mapped again.
#[derive(Clone)]
pub struct RemapOptions {
    /// The mapping profile.
    pub mapping: Arc<dyn Mapping>,
    /// Attributes naming the user, tried in order before the user found
    /// at import (e.g. `kagent.user_id`).
    pub user_attributes: Vec<String>,
}

impl std::fmt::Debug for RemapOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemapOptions")
            .field("mapping", &self.mapping.describe())
            .field("user_attributes", &self.user_attributes)
            .finish()
    }
}

/// The user named by the first of `keys` present in the call's attributes
/// (text or a number), and that key.
fn user_from(call: &ToolCall, keys: &[String]) -> Option<(String, String)> {
    keys.iter().find_map(|k| match call.attributes.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some((s.clone(), k.clone())),
        Some(Value::Number(n)) => Some((n.to_string(), k.clone())),
        _ => None,
    })
}

impl Workspace {
    /// The set whose recorded calls `set` maps (itself, for an import).
    fn calls_source(&self, set: i64) -> Result<i64> {
        let from: Option<i64> = self.conn.query_row(
            "SELECT calls_from FROM trace_sets WHERE id = ?1",
            [set],
            |r| r.get(0),
        )?;
        Ok(from.unwrap_or(set))
    }

    /// Recorded tool calls kept with `set` (or with the set it maps), and
    /// their size as stored.
    pub fn calls_kept(&self, set: &str) -> Result<CallsKept> {
        let info = self.trace_set(set)?;
        let source = self.calls_source(info.id)?;
        let (calls, bytes): (i64, i64) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(length(call)), 0) FROM trace_calls WHERE set_id = ?1",
            [source],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(CallsKept {
            calls: calls.max(0) as u64,
            bytes: bytes.max(0) as u64,
        })
    }

    /// The first `limit` recorded calls of `set` (or of the set it maps)
    /// as `opts` would map them, with each one's request and, given an
    /// evaluator, its verdict: what `remap_trace_set` would store, before
    /// anything is stored (`writ traces remap --preview`, the app's Re-map
    /// dialog).
    pub fn preview_remap(
        &self,
        set: &str,
        opts: &RemapOptions,
        evaluator: Option<&writ_core::evaluate::Evaluator>,
        limit: usize,
    ) -> Result<Vec<writ_core::ingest::preview::PreviewItem>> {
        let info = self.trace_set(set)?;
        let source = self.calls_source(info.id)?;
        let mut rows = self.conn.prepare(
            "SELECT line, call FROM trace_calls WHERE set_id = ?1 ORDER BY line LIMIT ?2",
        )?;
        let limit_sql = i64::try_from(limit).unwrap_or(i64::MAX);
        let calls: Vec<(i64, String)> = rows
            .query_map(params![source, limit_sql], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        if calls.is_empty() {
            return Err(StoreError::NoCallsToRemap { set: info.name });
        }
        let items = calls.into_iter().map(|(key, text)| {
            let location = writ_core::ingest::Location {
                line: usize::try_from(key).ok(),
                path: None,
            };
            match serde_json::from_str::<ToolCall>(&text) {
                Ok(mut call) => {
                    if let Some((user, k)) = user_from(&call, &opts.user_attributes) {
                        call.user = Some(user);
                        call.user_key = Some(k);
                    }
                    Ok(writ_core::ingest::Item::Call(Box::new(call)))
                }
                Err(e) => Err((location, format!("the stored call cannot be read ({e})"))),
            }
        });
        Ok(writ_core::ingest::preview::preview(
            items,
            opts.mapping.as_ref(),
            evaluator,
            limit,
            &|_| None,
        ))
    }

    /// Makes a new trace set from the recorded calls of `set` mapped with
    /// `opts` (see the module documentation), named `name` (default
    /// `<set>-<profile>`), in one transaction, audited. Refused when the
    /// set kept no calls (native records, decision logs), when the same
    /// calls were already mapped the same way, and when nothing maps.
    pub fn remap_trace_set(
        &mut self,
        set: &str,
        name: Option<&str>,
        actor: &str,
        opts: &RemapOptions,
    ) -> Result<ImportReport> {
        let info = self.trace_set(set)?;
        let source = self.calls_source(info.id)?;
        let described = opts.mapping.describe();
        let profile_name = described
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("custom")
            .to_string();
        let name = match name {
            Some(n) => n.to_string(),
            None => format!("{}-{profile_name}", info.name),
        };
        check_set_name(&name)?;
        let (source_name, source_sha, source_mapping): (String, String, Option<String>) =
            self.conn.query_row(
                "SELECT name, sha256, mapping FROM trace_sets WHERE id = ?1",
                [source],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
        let format = source_mapping
            .as_deref()
            .and_then(|m| serde_json::from_str::<Value>(m).ok())
            .and_then(|m| m.get("format").and_then(Value::as_str).map(str::to_string))
            .and_then(|f| Format::from_name(&f))
            .unwrap_or(Format::Native);
        let sha = writ_base::sha256_hex(
            format!(
                "writ remap\n{source_sha}\n{described}\n{}",
                serde_json::Value::from(opts.user_attributes.clone())
            )
            .as_bytes(),
        );
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let calls: i64 = tx.query_row(
            "SELECT count(*) FROM trace_calls WHERE set_id = ?1",
            [source],
            |r| r.get(0),
        )?;
        if calls == 0 {
            return Err(StoreError::NoCallsToRemap { set: info.name });
        }
        super::sets::refuse_existing(&tx, &sha, &name)?;
        let how = serde_json::json!({
            "format": format.name(),
            "profile": described,
            "user_attributes": opts.user_attributes,
            "remapped_from": info.id,
        });
        tx.execute(
            "INSERT INTO trace_sets (name, sha256, source, imported_at, actions, bad_lines, bytes, calls_from, mapping) VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?6, ?7)",
            params![
                name,
                sha,
                format!("the calls of `{source_name}`, mapped again"),
                now_rfc3339(),
                info.bytes,
                source,
                how.to_string()
            ],
        )?;
        let set_id = tx.last_insert_rowid();
        let mut errors: Vec<LineError> = Vec::new();
        let mut count = 0u64;
        {
            let mut rows =
                tx.prepare("SELECT line, call FROM trace_calls WHERE set_id = ?1 ORDER BY line")?;
            let mut insert = tx.prepare(
                "INSERT INTO actions (set_id, line, ts, agent, action, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut insert_error = tx.prepare(
                "INSERT INTO trace_errors (set_id, line, col, message) VALUES (?1, ?2, 1, ?3)",
            )?;
            let mut stored = rows.query([source])?;
            while let Some(row) = stored.next()? {
                let key: i64 = row.get(0)?;
                let text: String = row.get(1)?;
                let key_u = u64::try_from(key).unwrap_or(0);
                let mapped = match serde_json::from_str::<ToolCall>(&text) {
                    Ok(mut call) => {
                        if let Some((user, k)) = user_from(&call, &opts.user_attributes) {
                            call.user = Some(user);
                            call.user_key = Some(k);
                        }
                        map_call(opts.mapping.as_ref(), key_u, &call)
                            .map_err(|(location, message)| unmapped(&location, &message))
                    }
                    Err(e) => Err(format!("the stored call cannot be read ({e})")),
                };
                match mapped {
                    Ok((rec, json)) => {
                        insert
                            .execute(params![set_id, key, rec.ts, rec.agent, rec.action, json])?;
                        count += 1;
                    }
                    Err(message) => {
                        insert_error.execute(params![set_id, key, message])?;
                        errors.push(LineError {
                            line: usize::try_from(key).unwrap_or(0),
                            column: 1,
                            message,
                        });
                    }
                }
            }
        }
        let calls = calls as u64;
        let mut counts = IngestCounts {
            read: calls,
            actions: count,
            ..IngestCounts::default()
        };
        if !errors.is_empty() {
            counts
                .skipped
                .insert("mapping failed".into(), errors.len() as u64);
        }
        if count == 0 {
            return Err(StoreError::NothingToImport {
                format,
                read: calls,
                malformed: errors.len() as u64,
                skipped: counts.skipped,
                looks_like: None,
                first_problem: errors
                    .first()
                    .map(|e| format!("item {}: {}", e.line, e.message)),
            });
        }
        tx.execute(
            "UPDATE trace_sets SET actions = ?1, bad_lines = ?2 WHERE id = ?3",
            params![count as i64, errors.len() as i64, set_id],
        )?;
        audit::append(
            &tx,
            actor,
            "traces.remap",
            &serde_json::json!({"set": set_id, "name": name, "from": info.id, "calls_from": source, "profile": how["profile"], "user_attributes": opts.user_attributes, "actions": count, "bad_lines": errors.len()}),
        )?;
        tx.commit()?;
        Ok(ImportReport {
            set: self.trace_set(&set_id.to_string())?,
            errors,
            format,
            counts,
            calls_kept: CallsKept::default(),
        })
    }

    /// What refers to a trace set: its runs, review rounds, suites and the
    /// sets that map its calls, each named for a message.
    pub fn trace_set_uses(&self, set: i64) -> Result<Vec<String>> {
        uses_of(&self.conn, set)
    }

    /// Removes a trace set (its actions, errors and kept calls), audited;
    /// refused while a run, a review round, a suite or a re-mapped set
    /// refers to it (review evidence is never destroyed).
    pub fn remove_trace_set(&mut self, set: &str, actor: &str) -> Result<()> {
        let info = self.trace_set(set)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Checked inside the transaction: nothing can start using the set
        // between the check and the removal.
        let uses = uses_of(&tx, info.id)?;
        if !uses.is_empty() {
            return Err(StoreError::TraceSetInUse {
                name: info.name,
                uses,
            });
        }
        for table in ["actions", "trace_errors", "trace_calls"] {
            tx.execute(&format!("DELETE FROM {table} WHERE set_id = ?1"), [info.id])?;
        }
        tx.execute("DELETE FROM trace_sets WHERE id = ?1", [info.id])?;
        audit::append(
            &tx,
            actor,
            "traces.remove",
            &serde_json::json!({"set": info.id, "name": info.name, "sha256": info.sha256, "actions": info.actions, "source": info.source}),
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// What refers to trace set `set` (see [`Workspace::trace_set_uses`]).
fn uses_of(conn: &rusqlite::Connection, set: i64) -> Result<Vec<String>> {
    let mut uses = Vec::new();
    let mut collect =
        |sql: &str, show: &dyn Fn(&rusqlite::Row<'_>) -> rusqlite::Result<String>| -> Result<()> {
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([set], |r| show(r))?;
            for r in rows {
                uses.push(r?);
            }
            Ok(())
        };
    collect("SELECT id FROM runs WHERE set_id = ?1 ORDER BY id", &|r| {
        Ok(format!("run {}", r.get::<_, i64>(0)?))
    })?;
    collect(
        "SELECT version_id, round FROM reviews WHERE set_id = ?1 ORDER BY id",
        &|r| {
            let v: String = r.get(0)?;
            Ok(format!(
                "the review of version {} (round {})",
                &v[..v.len().min(8)],
                r.get::<_, i64>(1)?
            ))
        },
    )?;
    collect(
        "SELECT name FROM suites WHERE set_id = ?1 ORDER BY id",
        &|r| Ok(format!("suite `{}`", r.get::<_, String>(0)?)),
    )?;
    collect(
        "SELECT name FROM trace_sets WHERE calls_from = ?1 AND id != ?1 ORDER BY id",
        &|r| {
            Ok(format!(
                "trace set `{}` (its calls, mapped again)",
                r.get::<_, String>(0)?
            ))
        },
    )?;
    Ok(uses)
}
