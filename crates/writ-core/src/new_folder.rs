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
    /// A file's path would leave the folder (absolute, or with `..`).
    #[error("{0} is not a path inside the project; nothing was written")]
    Escapes(String),
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
            let inside = Path::new(&f.relative)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside || f.relative.is_empty() {
                return Err(NewFolderError::Escapes(f.relative.clone()));
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ProjectFile;

    fn files(paths: &[&str]) -> ProjectFiles {
        ProjectFiles {
            policies: paths
                .iter()
                .map(|p| ProjectFile {
                    relative: p.to_string(),
                    shown: PathBuf::from(p),
                    text: format!("// {p}\n"),
                })
                .collect(),
            ..ProjectFiles::default()
        }
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn the_files_appear_together_and_an_occupied_folder_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("out");
        write_new_folder(&dir, &files(&["policies/a.cedar", "policies/b.cedar"])).expect("writes");
        assert_eq!(entries(&dir.join("policies")), ["a.cedar", "b.cedar"]);
        let e = write_new_folder(&dir, &files(&["policies/c.cedar"])).expect_err("occupied");
        assert!(matches!(e, NewFolderError::NotEmpty(_)), "{e}");
        assert_eq!(entries(tmp.path()), ["out"], "no staging folder left");
        // An empty folder is filled.
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).expect("mkdir");
        write_new_folder(&empty, &files(&["policies/a.cedar"])).expect("writes");
        assert_eq!(entries(&empty), ["policies"]);
    }

    #[test]
    fn a_failure_midway_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("out");
        for bad in [
            "../escape.cedar",
            "/etc/escape.cedar",
            "policies/../../x.cedar",
        ] {
            let e =
                write_new_folder(&dir, &files(&["policies/a.cedar", bad])).expect_err("refused");
            assert!(matches!(e, NewFolderError::Escapes(_)), "{e}");
        }
        // A file standing where a folder must go: the write fails after
        // the first file.
        let e = write_new_folder(&dir, &files(&["policies", "policies/a.cedar"]))
            .expect_err("cannot make a folder over a file");
        assert!(matches!(e, NewFolderError::Io { .. }), "{e}");
        assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
        assert!(!tmp
            .path()
            .parent()
            .map(|p| p.join("escape.cedar").exists())
            .unwrap_or(false));
    }
}
