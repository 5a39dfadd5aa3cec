//! Signing keys and exported bundles: the public keys registered in the
//! workspace (by key id) and the record of every bundle exported, each
//! change an audit event (`key.register`, `bundle.export`).
//!
//! The store keeps public keys only; private keys never enter the
//! workspace. Key ids and digests are computed by `writ-bundle`; this
//! module stores what it is given.

use crate::audit;
use crate::error::{Result, StoreError};
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use writ_base::time::UtcTime;

/// A registered public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key id (32 hex characters).
    pub key_id: String,
    /// The public key, SPKI PEM.
    pub public_pem: String,
    /// Where the key was written or read when it was registered.
    pub name: String,
    /// When it was registered (RFC 3339).
    pub added_at: UtcTime,
    /// Who registered it.
    pub added_by: String,
}

/// A bundle to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NewBundle {
    /// The bundled version (full id).
    pub version_id: String,
    /// The signing key's id (registered).
    pub key_id: String,
    /// The bundle's digest (SHA-256 of its manifest).
    pub digest: String,
    /// Where it was written.
    pub path: String,
    /// Whether it is a `.tar.gz` (else a folder).
    pub archive: bool,
    /// The manifest's creation time.
    pub created: String,
    /// The manifest's expiry time.
    pub expires: Option<String>,
    /// The release channel (format 2 bundles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The sequence number in the channel (format 2 bundles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i64>,
}

/// A recorded bundle export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BundleRecord {
    /// Sequence number.
    pub id: i64,
    /// What was exported.
    #[serde(flatten)]
    pub bundle: NewBundle,
    /// When (RFC 3339).
    #[ts(type = "string")]
    pub exported_at: UtcTime,
    /// By whom.
    pub exported_by: String,
}

fn valid_key_id(key_id: &str) -> bool {
    key_id.len() == 32
        && key_id
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

impl Workspace {
    /// Registers a public key under its id. Returns `false` (and changes
    /// nothing) when the key id is registered already.
    pub fn register_key(
        &mut self,
        key_id: &str,
        public_pem: &str,
        name: &str,
        actor: &str,
    ) -> Result<bool> {
        if !valid_key_id(key_id) {
            return Err(StoreError::NotAKeyId {
                key_id: key_id.to_string(),
            });
        }
        if self.is_approver_key(key_id)? {
            return Err(crate::approvers::ApproverError::OtherRole {
                key_id: key_id.to_string(),
                role: "review steps (an approver key)",
            }
            .into());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: Option<String> = tx
            .query_row("SELECT key_id FROM keys WHERE key_id = ?1", [key_id], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_some() {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO keys (key_id, public_pem, name, added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key_id, public_pem, name, now_rfc3339(), actor],
        )?;
        audit::append(
            &tx,
            actor,
            "key.register",
            &serde_json::json!({"key_id": key_id, "name": name}),
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Every registered key, oldest first.
    pub fn keys(&self) -> Result<Vec<KeyInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT key_id, public_pem, name, added_at, added_by FROM keys ORDER BY added_at, key_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(KeyInfo {
                key_id: r.get(0)?,
                public_pem: r.get(1)?,
                name: r.get(2)?,
                added_at: crate::columns::time(r, 3)?,
                added_by: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One registered key.
    pub fn key(&self, key_id: &str) -> Result<KeyInfo> {
        self.keys()?
            .into_iter()
            .find(|k| k.key_id == key_id)
            .ok_or_else(|| StoreError::NotFound {
                what: "key",
                id: key_id.to_string(),
            })
    }

    /// Records an exported bundle (its key must be registered) with an
    /// audit event; returns its sequence number.
    pub fn record_bundle(&mut self, b: &NewBundle, actor: &str) -> Result<i64> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let key: Option<String> = tx
            .query_row(
                "SELECT key_id FROM keys WHERE key_id = ?1",
                [&b.key_id],
                |r| r.get(0),
            )
            .optional()?;
        if key.is_none() {
            return Err(StoreError::NotFound {
                what: "key",
                id: b.key_id.clone(),
            });
        }
        let version: Option<String> = tx
            .query_row(
                "SELECT id FROM versions WHERE id = ?1",
                [&b.version_id],
                |r| r.get(0),
            )
            .optional()?;
        if version.is_none() {
            return Err(StoreError::NotFound {
                what: "version",
                id: b.version_id.clone(),
            });
        }
        tx.execute(
            "INSERT INTO bundles (version_id, key_id, digest, path, archive, created, expires, exported_at, exported_by, channel, sequence)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                b.version_id,
                b.key_id,
                b.digest,
                b.path,
                b.archive,
                b.created,
                b.expires,
                now_rfc3339(),
                actor,
                b.channel,
                b.sequence
            ],
        )?;
        let id = tx.last_insert_rowid();
        audit::append(
            &tx,
            actor,
            "bundle.export",
            &serde_json::json!({
                "bundle": id,
                "version": b.version_id,
                "key_id": b.key_id,
                "digest": b.digest,
                "path": b.path,
                "archive": b.archive,
                "created": b.created,
                "expires": b.expires,
                "channel": b.channel,
                "sequence": b.sequence,
            }),
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Every recorded bundle export, newest first.
    pub fn bundles(&self) -> Result<Vec<BundleRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, version_id, key_id, digest, path, archive, created, expires, exported_at, exported_by, channel, sequence
             FROM bundles ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(BundleRecord {
                id: r.get(0)?,
                bundle: NewBundle {
                    version_id: r.get(1)?,
                    key_id: r.get(2)?,
                    digest: r.get(3)?,
                    path: r.get(4)?,
                    archive: r.get(5)?,
                    created: r.get(6)?,
                    expires: r.get(7)?,
                    channel: r.get(10)?,
                    sequence: r.get(11)?,
                },
                exported_at: crate::columns::time(r, 8)?,
                exported_by: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (tempfile::TempDir, Workspace, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.writ");
        let mut ws = Workspace::create(&path).unwrap();
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-policies/v1");
        let (files, _) = writ_core::project::ProjectFiles::read(&root);
        let id = ws
            .commit_version(&files, "alice", "v1")
            .unwrap()
            .id()
            .to_string();
        (dir, ws, id)
    }

    #[test]
    fn keys_register_once_and_bundles_are_recorded_with_audit_events() {
        let (_d, mut ws, version) = sample();
        let kid = "0123456789abcdef0123456789abcdef";
        assert!(ws.register_key(kid, "PEM", "k.pem", "alice").unwrap());
        assert!(!ws.register_key(kid, "PEM", "k.pem", "bob").unwrap());
        assert!(ws.register_key("nothex", "PEM", "k", "alice").is_err());
        assert_eq!(ws.keys().unwrap().len(), 1);
        assert_eq!(ws.key(kid).unwrap().added_by, "alice");
        let b = NewBundle {
            version_id: version.clone(),
            key_id: kid.into(),
            digest: "d".repeat(64),
            path: "out".into(),
            archive: false,
            created: "2026-01-01T00:00:00Z".into(),
            expires: None,
            channel: Some("prod".into()),
            sequence: Some(4),
        };
        let id = ws.record_bundle(&b, "carol").unwrap();
        let listed = ws.bundles().unwrap();
        assert_eq!(listed[0].bundle.channel.as_deref(), Some("prod"));
        assert_eq!(listed[0].bundle.sequence, Some(4));
        let unknown = NewBundle {
            key_id: "f".repeat(32),
            ..b.clone()
        };
        assert!(matches!(
            ws.record_bundle(&unknown, "carol"),
            Err(StoreError::NotFound { what: "key", .. })
        ));
        let list = ws.bundles().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, id);
        assert_eq!(list[0].bundle, b);
        assert_eq!(list[0].exported_by, "carol");
        let kinds: Vec<String> = ws
            .audit_events()
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| *k == "key.register").count(),
            1,
            "{kinds:?}"
        );
        assert!(kinds.iter().any(|k| k == "bundle.export"));
        assert!(ws.verify_audit().unwrap().is_none());
    }
}
