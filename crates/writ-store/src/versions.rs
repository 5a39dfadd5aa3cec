//! Policy versions: immutable snapshots of a project (schema, policy files,
//! inventory, entity data, template links), addressed by the SHA-256 of their canonical content.

use crate::audit;
use crate::error::{Result, StoreError};
use crate::workspace::{now_rfc3339, Workspace};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use writ_base::time::UtcTime;
use writ_core::project::{ProjectFile, ProjectFiles};

/// A stored version (without its files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VersionInfo {
    /// The content hash (hex).
    pub id: String,
    /// The version it was committed on top of.
    pub parent: Option<String>,
    /// Who committed it.
    pub author: String,
    /// Why.
    pub message: String,
    /// When (RFC 3339).
    #[ts(type = "string")]
    pub created_at: UtcTime,
    /// Its files' relative paths.
    pub files: Vec<String>,
    /// Where it is in its review (its latest round's state; draft when
    /// never submitted).
    pub review: crate::review_state::ReviewState,
}

/// What `commit` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// A new version.
    New(String),
    /// The content equals this existing version; nothing was stored.
    Unchanged(String),
}

impl Committed {
    /// The version id either way.
    pub fn id(&self) -> &str {
        match self {
            Committed::New(id) | Committed::Unchanged(id) => id,
        }
    }
}

/// The canonical content hash of a set of files: each file's relative path
/// and bytes, length-prefixed, in path order.
pub fn content_hash(files: &[(String, Vec<u8>)]) -> String {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h = Sha256::new();
    h.update(b"writ-version-v1\0");
    for (path, bytes) in sorted {
        h.update((path.len() as u64).to_le_bytes());
        h.update(path.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    writ_base::hex(&h.finalize())
}

fn files_of(project: &ProjectFiles) -> Vec<(String, Vec<u8>)> {
    project
        .all()
        .map(|f| (f.relative.clone(), f.text.clone().into_bytes()))
        .collect()
}

impl Workspace {
    /// Stores the project's files as a version on top of the newest one.
    /// Committing content equal to an existing version stores nothing.
    pub fn commit_version(
        &mut self,
        project: &ProjectFiles,
        author: &str,
        message: &str,
    ) -> Result<Committed> {
        let files = files_of(project);
        if files.is_empty() {
            return Err(StoreError::NothingToCommit);
        }
        let id = content_hash(&files);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: Option<String> = tx
            .query_row("SELECT id FROM versions WHERE id = ?1", [&id], |r| r.get(0))
            .optional()?;
        if exists.is_some() {
            return Ok(Committed::Unchanged(id));
        }
        let parent: Option<String> = tx
            .query_row(
                "SELECT id FROM versions ORDER BY rowid DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        tx.execute(
            "INSERT INTO versions (id, parent, author, message, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, parent, author, message, now_rfc3339()],
        )?;
        for (path, bytes) in &files {
            tx.execute(
                "INSERT INTO version_files (version_id, path, content) VALUES (?1, ?2, ?3)",
                params![id, path, bytes],
            )?;
        }
        audit::append(
            &tx,
            author,
            "version.commit",
            &serde_json::json!({"version": id, "parent": parent, "message": message, "files": files.len()}),
        )?;
        tx.commit()?;
        Ok(Committed::New(id))
    }

    /// Commits the files of version `base` with some of them replaced by
    /// edited texts (`edits`: relative path -> text). An edit of a file the
    /// version does not have, or an edited project with errors (as `writ
    /// check` reports them), is refused and nothing is stored; content equal
    /// to an existing version stores nothing ([`Committed::Unchanged`]).
    pub fn commit_edits<'a>(
        &mut self,
        base: &str,
        edits: impl IntoIterator<Item = (&'a str, &'a str)>,
        author: &str,
        message: &str,
    ) -> Result<Committed> {
        if message.trim().is_empty() {
            return Err(StoreError::NoMessage);
        }
        let edited = self.check_edited(base, edits)?;
        let errors = edited.checked.report.error_count();
        if errors > 0 {
            return Err(StoreError::EditedProjectHasErrors { errors });
        }
        self.commit_version(&edited.files, author, message.trim())
    }

    /// Resolves a version id or unique prefix (at least 4 characters).
    pub fn resolve_version(&self, prefix: &str) -> Result<String> {
        let prefix = prefix.trim_start_matches('@');
        if prefix.len() < 4 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound {
                what: "version",
                id: prefix.to_string(),
            });
        }
        let mut stmt = self.conn.prepare(
            "SELECT id FROM versions WHERE id >= ?1 AND id < ?1 || 'g' ORDER BY id LIMIT 3",
        )?;
        let ids: Vec<String> = stmt
            .query_map([prefix.to_ascii_lowercase()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(StoreError::NotFound {
                what: "version",
                id: prefix.to_string(),
            }),
            many => Err(StoreError::Ambiguous {
                prefix: prefix.to_string(),
                matches: many.iter().map(|m| &m[..12]).collect::<Vec<_>>().join(", "),
            }),
        }
    }

    /// Every version, newest first.
    pub fn list_versions(&self) -> Result<Vec<VersionInfo>> {
        self.versions_where("1 = 1", [])
    }

    /// One version's metadata.
    pub fn version(&self, id_or_prefix: &str) -> Result<VersionInfo> {
        let id = self.resolve_version(id_or_prefix)?;
        self.versions_where("id = ?1", [id.as_str()])?
            .pop()
            .ok_or(StoreError::NotFound {
                what: "version",
                id,
            })
    }

    /// The versions matching a condition, newest first, with their paths.
    fn versions_where<P: rusqlite::Params>(
        &self,
        condition: &str,
        params: P,
    ) -> Result<Vec<VersionInfo>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, parent, author, message, created_at,
                    (SELECT state FROM reviews WHERE reviews.version_id = versions.id ORDER BY round DESC LIMIT 1)
             FROM versions WHERE {condition} ORDER BY rowid DESC"
        ))?;
        type Row = (
            String,
            Option<String>,
            String,
            String,
            UtcTime,
            Option<String>,
        );
        let rows: Vec<Row> = stmt
            .query_map(params, |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    crate::columns::time(r, 4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(id, parent, author, message, created_at, state)| {
                let files = self.version_paths(&id)?;
                let review = match state {
                    None => crate::review_state::ReviewState::Draft,
                    Some(s) => crate::review_state::ReviewState::parse(&s).ok_or_else(|| {
                        StoreError::Damaged(format!(
                            "version {id} has a review in an unknown state `{s}`"
                        ))
                    })?,
                };
                Ok(VersionInfo {
                    id,
                    parent,
                    author,
                    message,
                    created_at,
                    files,
                    review,
                })
            })
            .collect()
    }

    fn version_paths(&self, id: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path FROM version_files WHERE version_id = ?1 ORDER BY path")?;
        let paths = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(paths)
    }

    /// A version's files as a project, shown under `@<short id>/`.
    pub fn version_files(&self, id_or_prefix: &str) -> Result<(String, ProjectFiles)> {
        let id = self.resolve_version(id_or_prefix)?;
        let mut stmt = self.conn.prepare(
            "SELECT path, content FROM version_files WHERE version_id = ?1 ORDER BY path",
        )?;
        let rows: Vec<(String, Vec<u8>)> = stmt
            .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let root = PathBuf::from(format!("@{}", &id[..12]));
        let mut files = ProjectFiles::default();
        for (path, bytes) in rows {
            let text = String::from_utf8(bytes).map_err(|_| StoreError::Corrupt {
                path: self.path().to_path_buf(),
                detail: format!("file {path} of version {id} is not UTF-8"),
            })?;
            let f = ProjectFile {
                shown: root.join(&path),
                relative: path,
                text,
            };
            files.place(f);
        }
        Ok((id, files))
    }

    /// Writes a version's files into `dir`, byte for byte. `dir` must not
    /// exist or be empty; the files appear together (written to a
    /// temporary folder, then renamed).
    pub fn checkout_version(&self, id_or_prefix: &str, dir: &Path) -> Result<String> {
        let (id, files) = self.version_files(id_or_prefix)?;
        use writ_core::new_folder::{write_new_folder, NewFolderError};
        write_new_folder(dir, &files).map_err(|e| match e {
            NewFolderError::NotEmpty(path) => StoreError::FolderNotEmpty { path },
            e @ NewFolderError::Escapes(_) => StoreError::Damaged(format!("version {id}: {e}")),
            NewFolderError::Io { path, source } => StoreError::Io { path, source },
        })?;
        Ok(id)
    }
}
