//! Approver keys: the people whose signatures the workspace accepts on
//! review steps, and whether it requires them.
//!
//! - A key is registered under a person's name by a signed key event
//!   (`writ_bundle::approver_key`) made by another active approver; only
//!   the workspace's very first approver key signs its own registration.
//!   Revoking is likewise signed by another approver. The envelopes are
//!   kept, and each change is an audit event (`approver.register`,
//!   `approver.revoke`) in the same transaction.
//! - One role per key: a key registered for signing bundles cannot become
//!   an approver key, nor an approver key a bundle-signing key.
//! - A workspace created by this build requires signed review steps;
//!   one migrated from an older format keeps unsigned (legacy) steps until
//!   an approver requires signatures ([`Workspace::require_signatures`]),
//!   which cannot be undone.
//!
//! The store keeps public keys only; private keys stay in their files.

pub use crate::approver_error::ApproverError;
use crate::audit;
use crate::error::{Result, StoreError};
use crate::workspace::{now_rfc3339, Workspace};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use writ_base::time::UtcTime;
use writ_bundle::approver_key::{self, KeyEvent, KeyEventKind};
use writ_bundle::keys;

/// Whether review steps must be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMode {
    /// Review steps are recorded under a typed name (a workspace made
    /// before approver keys existed).
    Legacy,
    /// Every review step is signed by a registered approver key.
    Required,
}

/// A registered approver key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ApproverKey {
    /// The key id (32 hex characters).
    pub key_id: String,
    /// The person it belongs to.
    pub name: String,
    /// The public key, SPKI PEM.
    pub public_pem: String,
    /// When it was registered.
    #[ts(type = "string")]
    pub registered_at: UtcTime,
    /// The key id of the approver who registered it (its own for the
    /// workspace's first key).
    pub registered_by: String,
    /// When it was revoked, if it was.
    #[ts(type = "string | null")]
    pub revoked_at: Option<UtcTime>,
    /// The key id of the approver who revoked it.
    pub revoked_by: Option<String>,
}

impl ApproverKey {
    /// Whether the key is still trusted.
    pub fn active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// Who takes a review step: a typed name (legacy workspaces only) or a
/// person's approver key.
#[derive(Clone, Copy)]
pub enum ReviewSigner<'a> {
    /// A name, recorded as given (refused where signatures are required).
    Name(&'a str),
    /// A private approver key; the step is signed and recorded under the
    /// name the key is registered with.
    Key(&'a SigningKey),
}

impl<'a> From<&'a str> for ReviewSigner<'a> {
    fn from(name: &'a str) -> Self {
        ReviewSigner::Name(name)
    }
}

impl<'a> From<&'a SigningKey> for ReviewSigner<'a> {
    fn from(key: &'a SigningKey) -> Self {
        ReviewSigner::Key(key)
    }
}

fn check_name(name: &str) -> std::result::Result<&str, ApproverError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApproverError::BadName {
            name: writ_core::display::quoted_input(name),
        });
    }
    Ok(name)
}

/// The approver key `key_id` as stored, active or not.
pub(crate) fn approver_by_id(conn: &Connection, key_id: &str) -> Result<Option<ApproverKey>> {
    Ok(conn
        .query_row(
            "SELECT key_id, name, public_pem, registered_at, registered_by, revoked_at, revoked_by FROM approver_keys WHERE key_id = ?1",
            [key_id],
            read_row,
        )
        .optional()?)
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApproverKey> {
    Ok(ApproverKey {
        key_id: r.get(0)?,
        name: r.get(1)?,
        public_pem: r.get(2)?,
        registered_at: crate::columns::time(r, 3)?,
        registered_by: r.get(4)?,
        revoked_at: crate::columns::optional_time(r, 5)?,
        revoked_by: r.get(6)?,
    })
}

/// The active approver whose private key `key` is, or why it cannot sign.
pub(crate) fn active_signer(conn: &Connection, key: &SigningKey) -> Result<ApproverKey> {
    let key_id = keys::key_id(&key.verifying_key());
    match approver_by_id(conn, &key_id)? {
        None => Err(ApproverError::NotAnApprover { key_id }.into()),
        Some(a) if !a.active() => Err(ApproverError::Revoked {
            key_id,
            name: a.name,
        }
        .into()),
        Some(a) => Ok(a),
    }
}

/// The workspace's mode, read on `conn`.
pub(crate) fn mode_of(conn: &Connection) -> Result<SignatureMode> {
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'review_signatures'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match v.as_deref() {
        None => Ok(SignatureMode::Legacy),
        Some("required") => Ok(SignatureMode::Required),
        Some(other) => Err(StoreError::Damaged(format!(
            "the workspace's review signature mode is `{other}`"
        ))),
    }
}

impl Workspace {
    /// Whether review steps must be signed.
    pub fn signature_mode(&self) -> Result<SignatureMode> {
        mode_of(&self.conn)
    }

    /// Every approver key, active and revoked, in registration order.
    pub fn approvers(&self) -> Result<Vec<ApproverKey>> {
        let mut stmt = self.conn.prepare(
            "SELECT key_id, name, public_pem, registered_at, registered_by, revoked_at, revoked_by FROM approver_keys ORDER BY registered_at, key_id",
        )?;
        let rows = stmt.query_map([], read_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Registers `public` as `name`'s approver key, the event signed by
    /// the active approver key `by` (which must be another key, unless no
    /// approver key was ever registered, when it must be the key itself).
    pub fn register_approver(
        &mut self,
        name: &str,
        public: &VerifyingKey,
        by: &SigningKey,
    ) -> Result<ApproverKey> {
        let name = check_name(name)?;
        let key_id = keys::key_id(public);
        let signer_id = keys::key_id(&by.verifying_key());
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if let Some(a) = approver_by_id(&tx, &key_id)? {
            return Err(ApproverError::AlreadyRegistered {
                key_id,
                revoked: !a.active(),
                name: a.name,
            }
            .into());
        }
        refuse_other_role(&tx, &key_id)?;
        let first: bool =
            tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM approver_keys)", [], |r| {
                r.get(0)
            })?;
        let signer_name = if first {
            if signer_id != key_id {
                return Err(ApproverError::NotAnApprover { key_id: signer_id }.into());
            }
            name.to_string()
        } else {
            if signer_id == key_id {
                return Err(ApproverError::SelfSigned.into());
            }
            active_signer(&tx, by)?.name
        };
        let event = KeyEvent {
            event: KeyEventKind::Register,
            name: name.to_string(),
            key_id: key_id.clone(),
            public_key: keys::public_pem(public),
            signer: signer_id.clone(),
            at: now_rfc3339(),
        };
        let envelope = signed_event(&event, by)?;
        tx.execute(
            "INSERT INTO approver_keys (key_id, name, public_pem, registered_at, registered_by, registration) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![key_id, name, event.public_key, event.at, signer_id, envelope],
        )?;
        audit::append(
            &tx,
            &signer_name,
            "approver.register",
            &serde_json::json!({
                "key_id": key_id,
                "name": name,
                "by": signer_id,
                "first": first,
                "event_sha256": writ_base::sha256_hex(envelope.as_bytes()),
            }),
        )?;
        let stored = approver_by_id(&tx, &key_id)?
            .ok_or_else(|| StoreError::Damaged("the approver key just stored vanished".into()))?;
        tx.commit()?;
        Ok(stored)
    }

    /// Revokes approver key `key_id` (a full id), the event signed by
    /// another active approver key `by`. Steps it signed before stay
    /// recorded; it signs nothing from now on.
    pub fn revoke_approver(&mut self, key_id: &str, by: &SigningKey) -> Result<ApproverKey> {
        let signer_id = keys::key_id(&by.verifying_key());
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let target = approver_by_id(&tx, key_id)?.ok_or_else(|| StoreError::NotFound {
            what: "approver key",
            id: key_id.to_string(),
        })?;
        if !target.active() {
            return Err(ApproverError::Revoked {
                key_id: key_id.to_string(),
                name: target.name,
            }
            .into());
        }
        if signer_id == key_id {
            return Err(ApproverError::SelfSigned.into());
        }
        let signer = active_signer(&tx, by)?;
        let event = KeyEvent {
            event: KeyEventKind::Revoke,
            name: target.name.clone(),
            key_id: key_id.to_string(),
            public_key: target.public_pem.clone(),
            signer: signer_id.clone(),
            at: now_rfc3339(),
        };
        let envelope = signed_event(&event, by)?;
        tx.execute(
            "UPDATE approver_keys SET revoked_at = ?2, revoked_by = ?3, revocation = ?4 WHERE key_id = ?1",
            params![key_id, event.at, signer_id, envelope],
        )?;
        audit::append(
            &tx,
            &signer.name,
            "approver.revoke",
            &serde_json::json!({
                "key_id": key_id,
                "name": target.name,
                "by": signer_id,
                "event_sha256": writ_base::sha256_hex(envelope.as_bytes()),
            }),
        )?;
        let stored = approver_by_id(&tx, key_id)?
            .ok_or_else(|| StoreError::Damaged("the revoked approver key vanished".into()))?;
        tx.commit()?;
        Ok(stored)
    }

    /// From now on, every review step must be signed by an approver key
    /// (`by`, an active one, signs the change into the audit trail).
    /// Returns `false` when signatures were required already.
    pub fn require_signatures(&mut self, by: &SigningKey) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if mode_of(&tx)? == SignatureMode::Required {
            return Ok(false);
        }
        let any: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM approver_keys WHERE revoked_at IS NULL)",
            [],
            |r| r.get(0),
        )?;
        if !any {
            return Err(ApproverError::NoApprovers.into());
        }
        let signer = active_signer(&tx, by)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('review_signatures', 'required') ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [],
        )?;
        audit::append(
            &tx,
            &signer.name,
            "review.require_signatures",
            &serde_json::json!({"by": signer.key_id}),
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Whether `key_id` is an approver key (active or revoked): such a key
    /// is never registered for signing bundles.
    pub(crate) fn is_approver_key(&self, key_id: &str) -> Result<bool> {
        Ok(approver_by_id(&self.conn, key_id)?.is_some())
    }
}

/// Refuses `key_id` as an approver key when it has another role.
fn refuse_other_role(conn: &Connection, key_id: &str) -> Result<()> {
    let signing: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM keys WHERE key_id = ?1)",
        [key_id],
        |r| r.get(0),
    )?;
    if signing {
        return Err(ApproverError::OtherRole {
            key_id: key_id.to_string(),
            role: "signing bundles",
        }
        .into());
    }
    Ok(())
}

fn signed_event(event: &KeyEvent, by: &SigningKey) -> Result<String> {
    let envelope = approver_key::sign(event, by).map_err(ApproverError::from)?;
    serde_json::to_string(&envelope).map_err(|e| StoreError::Encode {
        what: "the key event",
        source: e,
    })
}
