//! The decision log's configuration: where and how it is written
//! ([`LogConfig`]), what is answered when a line cannot be written
//! ([`OnFailure`]), when a line counts as written ([`Durability`]), and the
//! writer's limits.

use std::path::PathBuf;
use std::time::Duration;

/// How many decisions may wait for the writer before `record` blocks.
pub const DEFAULT_CAPACITY: usize = 8192;

/// The most lines written in one group.
pub const MAX_GROUP: usize = 4096;

/// How often a failed log is looked at again while no decision arrives
/// (a deleted file is recreated).
pub const RETRY_EVERY: Duration = Duration::from_millis(500);

/// What `writ serve` answers when a decision's line cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFailure {
    /// An allow whose line was not written is answered as a deny (the default).
    #[default]
    Deny,
    /// Decisions are answered as decided; unwritten lines are only counted.
    Allow,
}

impl OnFailure {
    /// `deny` or `allow`.
    pub fn as_str(self) -> &'static str {
        match self {
            OnFailure::Deny => "deny",
            OnFailure::Allow => "allow",
        }
    }
}

impl std::str::FromStr for OnFailure {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "deny" => Ok(OnFailure::Deny),
            "allow" => Ok(OnFailure::Allow),
            other => Err(format!("`{other}` is not `deny` or `allow`")),
        }
    }
}

/// When a line counts as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// When the `write` of its group has returned (in the page cache: it
    /// survives the process, not a power cut). The default.
    #[default]
    Write,
    /// When its group is also on disk (`fdatasync` once per group).
    Sync,
}

impl Durability {
    /// `write` or `sync`.
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::Write => "write",
            Durability::Sync => "sync",
        }
    }
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "write" => Ok(Durability::Write),
            "sync" => Ok(Durability::Sync),
            other => Err(format!("`{other}` is not `write` or `sync`")),
        }
    }
}

/// Where and how the decision log is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// The log file; rotated files are `PATH.<n>` (n increasing).
    pub path: PathBuf,
    /// Rotate when the file would grow past this many bytes (0: never).
    pub max_bytes: u64,
    /// How many rotated files to keep (0: rotated files are removed).
    pub keep: usize,
    /// Context attributes to mask: top-level names (`ssn`) or dotted paths
    /// into nested records (`human_approval.approver`).
    pub mask: Vec<String>,
    /// What to answer when a line cannot be written.
    pub on_failure: OnFailure,
    /// When a line counts as written.
    pub durability: Durability,
}

impl LogConfig {
    /// A configuration with the defaults: no rotation, no mask, deny on
    /// failure, a line written when its `write` returned.
    pub fn new(path: PathBuf) -> LogConfig {
        LogConfig {
            path,
            max_bytes: 0,
            keep: 0,
            mask: Vec::new(),
            on_failure: OnFailure::Deny,
            durability: Durability::Write,
        }
    }
}
