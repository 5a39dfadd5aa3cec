//! Rollback protection: a decision point bound to a release channel
//! accepts only bundles of that channel whose sequence number never goes
//! down, and remembers the highest sequence it accepted in a small JSON
//! state file (not SQLite: the decision point does not link it).
//!
//! The state is written to a temporary file, synced, renamed over the old
//! one and the folder synced, all *before* the bundle is activated; when
//! that write fails the bundle is refused. A lower sequence, or the same
//! sequence with another digest, is refused. An empty state folder accepts
//! a first bundle only with a configured lowest sequence or when told to
//! accept the first one it sees.

use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use writ_bundle::bundle::{self, ChannelExpectation, Manifest};
use writ_bundle::VerifyError;

/// How a decision point follows a release channel.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    /// The channel bundles must belong to.
    pub channel: String,
    /// The folder holding the state file (created when missing).
    pub state_dir: PathBuf,
    /// The lowest sequence accepted when the state folder is empty (and
    /// always, when higher than the stored one).
    pub min_sequence: Option<u64>,
    /// Accept whatever sequence comes first when the state folder is empty.
    pub accept_first: bool,
}

/// What the state file holds: the highest accepted bundle of the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelState {
    /// The channel.
    pub channel: String,
    /// The highest sequence accepted.
    pub sequence: u64,
    /// That bundle's digest.
    pub digest: String,
    /// When it was accepted (RFC 3339).
    pub accepted_at: String,
}

/// Why a bundle was refused or the state cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    /// The state file exists but cannot be read or is not a state file.
    #[error("state file {}: {message}; fix or remove it (removing it needs --min-sequence or --accept-first)", path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The state folder is empty and neither a lowest sequence nor
    /// accepting the first bundle was configured.
    #[error("the state folder {} holds no state for channel `{channel}`: pass --min-sequence N (the lowest sequence to accept) or --accept-first", dir.display())]
    NoState {
        /// The folder.
        dir: PathBuf,
        /// The channel.
        channel: String,
    },
    /// The bundle is refused (wrong channel, older format, rollback).
    #[error(transparent)]
    Refused(#[from] VerifyError),
    /// The new state could not be written durably, so the bundle was not
    /// activated.
    #[error("cannot record the accepted sequence in {}: {message}; the bundle was not activated", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

impl RollbackError {
    /// The process exit code: 24 (channel), 25 (rollback), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            RollbackError::Refused(e) => e.exit_code(),
            _ => 1,
        }
    }

    /// A short label for metrics (`channel`, `rollback`, `state`).
    pub fn label(&self) -> &'static str {
        match self {
            RollbackError::Refused(VerifyError::Rollback { .. }) => "rollback",
            RollbackError::Refused(_) => "channel",
            _ => "state",
        }
    }
}

/// The channel guard of a running decision point.
#[derive(Debug)]
pub struct Guard {
    cfg: ChannelConfig,
    path: PathBuf,
    state: Mutex<Option<ChannelState>>,
}

impl Guard {
    /// Reads the state of the channel (creating the folder if needed).
    /// An unreadable or damaged state file is an error (fail closed); an
    /// absent one needs `min_sequence` or `accept_first`.
    pub fn open(cfg: ChannelConfig) -> Result<Guard, RollbackError> {
        bundle::check_channel_name(&cfg.channel).map_err(|message| RollbackError::State {
            path: cfg.state_dir.clone(),
            message,
        })?;
        let path = cfg.state_dir.join(format!("{}.state.json", cfg.channel));
        std::fs::create_dir_all(&cfg.state_dir).map_err(|e| RollbackError::State {
            path: cfg.state_dir.clone(),
            message: format!("cannot create the folder: {e}"),
        })?;
        let state = match std::fs::read(&path) {
            Ok(bytes) => {
                let s: ChannelState =
                    serde_json::from_slice(&bytes).map_err(|e| RollbackError::State {
                        path: path.clone(),
                        message: format!(
                            "line {}, column {}: not a channel state ({e})",
                            e.line(),
                            e.column()
                        ),
                    })?;
                if s.channel != cfg.channel {
                    return Err(RollbackError::State {
                        path,
                        message: format!(
                            "it is the state of channel `{}`, not `{}`",
                            s.channel, cfg.channel
                        ),
                    });
                }
                Some(s)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if cfg.min_sequence.is_none() && !cfg.accept_first {
                    return Err(RollbackError::NoState {
                        dir: cfg.state_dir.clone(),
                        channel: cfg.channel.clone(),
                    });
                }
                None
            }
            Err(e) => {
                return Err(RollbackError::State {
                    path,
                    message: e.to_string(),
                })
            }
        };
        Ok(Guard {
            cfg,
            path,
            state: Mutex::new(state),
        })
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.cfg.channel
    }

    /// The state file.
    pub fn state_path(&self) -> &Path {
        &self.path
    }

    /// The highest accepted state, if any.
    pub fn current(&self) -> Option<ChannelState> {
        self.state.lock().ok().and_then(|s| s.clone())
    }

    /// Admits a verified bundle (its manifest and digest) or refuses it.
    /// When admitted with a higher sequence, the new state is on disk
    /// (synced) when this returns; the caller activates the bundle only
    /// after `Ok`.
    pub fn admit(&self, m: &Manifest, digest: &str, now: &str) -> Result<(), RollbackError> {
        let mut guard = self.state.lock().map_err(|_| RollbackError::State {
            path: self.path.clone(),
            message: "internal lock poisoned".into(),
        })?;
        let stored = guard.as_ref().map(|s| s.sequence);
        let min = match (stored, self.cfg.min_sequence) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        bundle::check_channel(
            m,
            &ChannelExpectation {
                channel: self.cfg.channel.clone(),
                min_sequence: min,
            },
        )?;
        let seq = m.sequence.unwrap_or_default();
        if let Some(s) = guard.as_ref() {
            if s.sequence == seq {
                if s.digest == digest {
                    return Ok(());
                }
                return Err(RollbackError::Refused(VerifyError::Rollback {
                    channel: self.cfg.channel.clone(),
                    sequence: seq,
                    detail: format!(
                        "sequence {seq} was accepted with another digest ({}); a sequence is used once",
                        s.digest
                    ),
                }));
            }
        } else if self.cfg.min_sequence.is_none() {
            tracing::warn!(
                channel = %self.cfg.channel,
                sequence = seq,
                digest = %digest,
                "accepting the first bundle of an empty state folder (--accept-first)"
            );
        }
        let next = ChannelState {
            channel: self.cfg.channel.clone(),
            sequence: seq,
            digest: digest.to_string(),
            accepted_at: now.to_string(),
        };
        write_state(&self.path, &next).map_err(|e| RollbackError::Write {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        *guard = Some(next);
        Ok(())
    }
}

/// Writes the state durably: a temporary file beside it, written and
/// synced, renamed over it, then the folder synced.
fn write_state(path: &Path, state: &ChannelState) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
    let mut bytes = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(channel: &str, seq: u64) -> Manifest {
        Manifest {
            format: bundle::FORMAT,
            channel: Some(channel.into()),
            sequence: Some(seq),
            audit: None,
            policy_version: "v".into(),
            created: "2026-01-01T00:00:00Z".into(),
            expires: None,
            key_id: "k".into(),
            approvals: Vec::new(),
            signed_review: Vec::new(),
            files: Default::default(),
        }
    }

    fn cfg(dir: &Path, min: Option<u64>, first: bool) -> ChannelConfig {
        ChannelConfig {
            channel: "prod".into(),
            state_dir: dir.to_path_buf(),
            min_sequence: min,
            accept_first: first,
        }
    }

    #[test]
    fn sequences_only_go_up_and_survive_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            Guard::open(cfg(dir.path(), None, false)),
            Err(RollbackError::NoState { .. })
        ));
        let g = Guard::open(cfg(dir.path(), Some(2), false)).expect("opens");
        let e = g
            .admit(&manifest("prod", 1), "d1", "t")
            .expect_err("below min");
        assert_eq!(e.exit_code(), 25, "{e}");
        g.admit(&manifest("prod", 2), "d2", "t").expect("first");
        g.admit(&manifest("prod", 2), "d2", "t")
            .expect("same again");
        let e = g
            .admit(&manifest("prod", 2), "dX", "t")
            .expect_err("same seq, other digest");
        assert_eq!(e.label(), "rollback");
        g.admit(&manifest("prod", 5), "d5", "t").expect("higher");
        let e = g
            .admit(&manifest("staging", 9), "s", "t")
            .expect_err("channel");
        assert_eq!(e.exit_code(), 24, "{e}");
        let mut old = manifest("prod", 9);
        old.format = 1;
        old.channel = None;
        old.sequence = None;
        assert_eq!(
            g.admit(&old, "o", "t").expect_err("format 1").exit_code(),
            24
        );
        // A restart reads the highest accepted sequence back.
        let g = Guard::open(cfg(dir.path(), None, false)).expect("reopens");
        assert_eq!(g.current().expect("state").sequence, 5);
        assert!(g.admit(&manifest("prod", 4), "d4", "t").is_err());
        // A damaged state file fails closed.
        std::fs::write(g.state_path(), b"{").expect("writes");
        assert!(matches!(
            Guard::open(cfg(dir.path(), Some(1), true)),
            Err(RollbackError::State { .. })
        ));
    }

    #[test]
    fn a_state_that_cannot_be_written_refuses_the_bundle() {
        let dir = tempfile::tempdir().expect("tempdir");
        let g = Guard::open(cfg(dir.path(), None, true)).expect("opens");
        // Make the state path a folder: the rename over it fails.
        std::fs::create_dir(g.state_path()).expect("mkdir");
        std::fs::write(g.state_path().join("x"), b"x").expect("fills");
        let e = g
            .admit(&manifest("prod", 3), "d3", "t")
            .expect_err("cannot write");
        assert!(matches!(e, RollbackError::Write { .. }), "{e}");
        assert!(g.current().is_none());
    }
}
