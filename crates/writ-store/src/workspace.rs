//! Opening, creating and migrating a workspace file.

use crate::error::{Result, StoreError};
use crate::schema::{current_format, APPLICATION_ID, MIGRATIONS};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another process's transaction to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// An open workspace: one SQLite file.
pub struct Workspace {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("path", &self.path)
            .finish()
    }
}

fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    if path.is_dir() {
        return StoreError::NotAWorkspace {
            path: path.to_path_buf(),
        };
    }
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotAWorkspace {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        _ => StoreError::Sql(e),
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

impl Workspace {
    /// Creates a new workspace at `path`; fails if the file exists.
    pub fn create(path: &Path) -> Result<Workspace> {
        if path.exists() {
            return Err(StoreError::PathExists {
                path: path.to_path_buf(),
                what: "workspace",
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )
        .map_err(|e| classify(path, e))?;
        configure(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        let mut ws = Workspace {
            conn,
            path: path.to_path_buf(),
        };
        ws.migrate(0)?;
        ws.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('review_signatures', 'required')",
            [],
        )?;
        Ok(ws)
    }

    /// Opens an existing workspace, migrating an older format. A file that
    /// is not a workspace, or is newer or damaged, is refused unmodified.
    pub fn open(path: &Path) -> Result<Workspace> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(path, e))?;
        // Until the file is known to be ours, closing must not checkpoint
        // frames pending in a -wal file beside it into it (that would
        // rewrite a refused file). Without pending frames, closing writes
        // nothing and removes the -wal and -shm files opening created.
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
                .map_err(|e| classify(path, e))?;
        }
        configure(&conn).map_err(|e| classify(path, e))?;
        // Read-only checks first: nothing is written to a foreign file.
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if app != APPLICATION_ID {
            return Err(StoreError::NotAWorkspace {
                path: path.to_path_buf(),
            });
        }
        let format: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if format > current_format() {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: format,
                known: current_format(),
            });
        }
        let check: String = conn
            .pragma_query_value(None, "quick_check", |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: check,
            });
        }
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let mut ws = Workspace {
            conn,
            path: path.to_path_buf(),
        };
        if format < current_format() {
            ws.migrate(format)?;
        }
        Ok(ws)
    }

    /// Opens `path`, creating the workspace when the file does not exist.
    pub fn open_or_create(path: &Path) -> Result<Workspace> {
        if path.exists() {
            Self::open(path)
        } else {
            Self::create(path)
        }
    }

    fn migrate(&mut self, from: i64) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated meanwhile.
        let now: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let start = now.max(from);
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(start as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (n + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The workspace file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format version of the open workspace.
    pub fn format(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Runs SQLite's full integrity check; `Ok` when it reports `ok`.
    pub fn integrity_check(&self) -> Result<()> {
        let check: String = self
            .conn
            .pragma_query_value(None, "integrity_check", |r| r.get(0))?;
        if check == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: check,
            })
        }
    }

    /// Moves everything from the write-ahead log into the main file.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// A second connection to the same file (for work on another thread).
    pub(crate) fn reopen(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        Ok(conn)
    }
}

/// The current time as RFC 3339 in UTC with milliseconds, fixed width so
/// that texts sort in time order.
pub fn now_rfc3339() -> String {
    writ_base::time::now_utc_millis()
}
