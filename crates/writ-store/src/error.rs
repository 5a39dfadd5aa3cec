//! The store's errors.

use std::path::PathBuf;

/// What can go wrong with a workspace.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not a Writ workspace (or not SQLite at all).
    #[error(
        "{path} is not a Writ workspace (it was left untouched); create one with `writ init PATH`"
    )]
    NotAWorkspace {
        /// The file.
        path: PathBuf,
    },
    /// The workspace was made by a newer Writ.
    #[error("{path} was made by a newer Writ (workspace format {found}, this Writ knows up to {known}); upgrade Writ to open it")]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// The workspace file is damaged.
    #[error("{path} is damaged: {detail}; restore it from a backup")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// No workspace at that path.
    #[error("no workspace at {path}; create one with `writ init {path}`", path = .path.display())]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// A version, trace set or run that does not exist.
    #[error("{what} `{id}` is not in the workspace")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// The id given.
        id: String,
    },
    /// A version prefix that matches several versions.
    #[error("`{prefix}` matches several versions ({matches}); give more characters")]
    Ambiguous {
        /// The prefix.
        prefix: String,
        /// Some of the matches.
        matches: String,
    },
    /// The same trace content was imported before.
    #[error(
        "this trace was imported before as trace set `{name}` (id {id}); nothing was imported"
    )]
    DuplicateTraceSet {
        /// The existing set's name.
        name: String,
        /// Its id.
        id: i64,
    },
    /// A trace set name already in use.
    #[error("a trace set named `{0}` exists already; choose another --name")]
    NameTaken(String),
    /// A long job (import, replay) was cancelled; everything it wrote
    /// was rolled back.
    #[error("{0} was cancelled; nothing was stored")]
    Cancelled(&'static str),
    /// Something the caller asked is not possible.
    #[error("{0}")]
    Invalid(String),
    /// A scenario suite is malformed or could not be run.
    #[error(transparent)]
    Scenario(#[from] writ_core::scenario::ScenarioError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The workspace turned out to be damaged while it was being used.
    #[error("the workspace is damaged ({0}); restore it from a backup")]
    Damaged(String),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sql(rusqlite::Error),
    /// A replay failed.
    #[error(transparent)]
    Replay(#[from] writ_core::replay::ReplayError),
    /// A review step (submit, approve, reject) was refused.
    #[error(transparent)]
    Review(#[from] crate::review_state::ReviewError),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                StoreError::Damaged(e.to_string())
            }
            _ => StoreError::Sql(e),
        }
    }
}

/// The store's result type.
pub type Result<T> = std::result::Result<T, StoreError>;
