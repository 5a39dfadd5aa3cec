//! Writing a project's files into a new folder whole: the files go into a
//! hidden sibling folder first, which is renamed into place, so a failure
//! (disk full, a killed process) never leaves a half-written project where
//! the folder was asked for. Used by `writ version checkout`, `writ draft`
//! and `writ findings --narrowed-out`.

use crate::project::ProjectFiles;
use std::path::{Path, PathBuf};

/// Why the folder was not written; nothing was left in its place.
#[derive(Debug, thiserror::Error)]
pub enum NewFolderError {
    /// The folder exists and holds something.
    #[error("{} is not empty; choose a new folder", .0.display())]
    NotEmpty(PathBuf),
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Writes `files` (at their relative paths) into `dir`, which must not
/// exist or be empty.
pub fn write_new_folder(dir: &Path, files: &ProjectFiles) -> Result<(), NewFolderError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| NewFolderError::Io { path, source }
    };
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(NewFolderError::NotEmpty(dir.to_path_buf()));
        }
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let staging = parent.join(format!(
        ".{}.writ-new-{}-{nanos}",
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    std::fs::create_dir(&staging).map_err(io(&staging))?;
    let written = (|| {
        for f in files.all() {
            let target = staging.join(&f.relative);
            if let Some(p) = target.parent() {
                std::fs::create_dir_all(p).map_err(io(p))?;
            }
            std::fs::write(&target, f.text.as_bytes()).map_err(io(&target))?;
        }
        if dir.exists() {
            std::fs::remove_dir(dir).map_err(io(dir))?;
        }
        std::fs::rename(&staging, dir).map_err(io(dir))
    })();
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    written
}
