//! The recent workspaces: a small JSON file in the app data dir
//! (`recent-workspaces.json`), most recent first, at most [`MAX_RECENTS`],
//! written atomically. The front end names an entry by its index in the
//! list, never by its path.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The most workspaces remembered.
pub const MAX_RECENTS: usize = 10;

/// The file's name inside the app data dir.
pub const RECENTS_FILE: &str = "recent-workspaces.json";

/// The file name of the sample workspace inside the app data dir.
pub const SAMPLE_FILE: &str = "sample.writ";

/// What is stored on disk.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    /// Absolute paths, most recent first.
    workspaces: Vec<PathBuf>,
}

/// One recent workspace as the Start view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RecentEntry {
    /// The workspace file.
    pub path: String,
    /// Its file name alone.
    pub name: String,
    /// Whether the file is gone (it can still be removed from the list).
    pub missing: bool,
}

/// Where the app keeps its own files: the recents list and the sample.
#[derive(Debug, Clone)]
pub struct AppFiles {
    dir: PathBuf,
}

impl AppFiles {
    /// The app's files inside `dir` (the app data dir).
    pub fn new(dir: PathBuf) -> Self {
        AppFiles { dir }
    }

    /// The sample workspace, created on first start.
    pub fn sample(&self) -> PathBuf {
        self.dir.join(SAMPLE_FILE)
    }

    fn file(&self) -> PathBuf {
        self.dir.join(RECENTS_FILE)
    }

    /// The remembered paths, most recent first. A missing or unreadable
    /// list is an empty one (it is only a convenience).
    pub fn paths(&self) -> Vec<PathBuf> {
        std::fs::read(self.file())
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Stored>(&bytes).ok())
            .map(|s| s.workspaces)
            .unwrap_or_default()
    }

    /// The list as shown, each entry marked when its file is gone.
    pub fn list(&self) -> Vec<RecentEntry> {
        self.paths().iter().map(|p| entry(p)).collect()
    }

    /// The path at `index` in the list.
    pub fn get(&self, index: usize) -> Result<PathBuf, String> {
        let paths = self.paths();
        paths.get(index).cloned().ok_or_else(|| {
            format!(
                "there is no recent workspace number {} (the list has {}); reopen the Start view",
                index + 1,
                paths.len()
            )
        })
    }

    /// Puts `path` first (once), keeping at most [`MAX_RECENTS`].
    pub fn remember(&self, path: &Path) -> Result<(), String> {
        let mut paths = self.paths();
        paths.retain(|p| p != path);
        paths.insert(0, path.to_path_buf());
        paths.truncate(MAX_RECENTS);
        self.save(paths)
    }

    /// Removes the entry at `index` and returns the new list.
    pub fn remove(&self, index: usize) -> Result<Vec<RecentEntry>, String> {
        let mut paths = self.paths();
        if index >= paths.len() {
            return Err(format!(
                "there is no recent workspace number {} (the list has {})",
                index + 1,
                paths.len()
            ));
        }
        paths.remove(index);
        self.save(paths)?;
        Ok(self.list())
    }

    fn save(&self, workspaces: Vec<PathBuf>) -> Result<(), String> {
        let file = self.file();
        let json = serde_json::to_vec_pretty(&Stored { workspaces })
            .map_err(|e| format!("could not write the recent workspaces: {e}"))?;
        std::fs::create_dir_all(&self.dir)
            .and_then(|()| writ_core::atomic_file::write_atomically(&file, &json))
            .map_err(|e| {
                format!(
                    "could not write the recent workspaces to {}: {e}",
                    file.display()
                )
            })
    }

    /// The workspace to open at start: `arg` (a path given on the command
    /// line), else the most recent one that still exists, else the sample.
    pub fn startup(&self, arg: Option<PathBuf>) -> PathBuf {
        if let Some(p) = arg {
            return absolute(&p);
        }
        self.paths()
            .into_iter()
            .find(|p| p.is_file())
            .unwrap_or_else(|| self.sample())
    }
}

fn entry(p: &Path) -> RecentEntry {
    RecentEntry {
        path: p.display().to_string(),
        name: p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string()),
        missing: !p.is_file(),
    }
}

/// `p` made absolute against the current directory (kept as is if that
/// fails), so the recents list stays valid from anywhere.
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The workspace path given on the command line: the first argument that
/// is not an option (WebDriver adds options such as `--automation`).
pub fn path_argument(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<PathBuf> {
    args.into_iter()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-') && !a.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "writ-app-recents-{name}-{}-{:?}",
                std::process::id(),
                std::time::SystemTime::now()
            ));
            std::fs::create_dir_all(&dir).expect("temp dir");
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn most_recent_first_once_and_at_most_ten() {
        let t = TempDir::new("order");
        let files = AppFiles::new(t.0.clone());
        assert!(files.list().is_empty(), "no file yet: empty list");
        for i in 0..12 {
            let p = t.0.join(format!("w{i}.writ"));
            std::fs::write(&p, b"x").unwrap();
            files.remember(&p).unwrap();
        }
        files.remember(&t.0.join("w5.writ")).unwrap();
        let list = files.list();
        assert_eq!(list.len(), MAX_RECENTS);
        assert_eq!(list[0].name, "w5.writ");
        assert_eq!(list[1].name, "w11.writ");
        assert_eq!(list.iter().filter(|e| e.name == "w5.writ").count(), 1);
        assert!(list.iter().all(|e| !e.missing));
        // No temporary file is left beside the list.
        let leftovers: Vec<_> = std::fs::read_dir(&t.0)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("writ-tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn missing_files_are_marked_and_removable() {
        let t = TempDir::new("missing");
        let files = AppFiles::new(t.0.clone());
        let kept = t.0.join("kept.writ");
        std::fs::write(&kept, b"x").unwrap();
        let gone = t.0.join("gone.writ");
        files.remember(&kept).unwrap();
        files.remember(&gone).unwrap();
        let list = files.list();
        assert_eq!(
            (list[0].name.as_str(), list[0].missing),
            ("gone.writ", true)
        );
        assert!(!list[1].missing);
        // At start, the newest existing one is reopened.
        assert_eq!(files.startup(None), kept);
        let list = files.remove(0).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(files.get(0).unwrap(), kept);
        assert!(files.get(1).is_err());
        assert!(files.remove(5).is_err());
    }

    #[test]
    fn startup_prefers_the_argument_then_the_sample() {
        let t = TempDir::new("startup");
        let files = AppFiles::new(t.0.clone());
        assert_eq!(files.startup(None), t.0.join(SAMPLE_FILE));
        let arg = t.0.join("given.writ");
        assert_eq!(files.startup(Some(arg.clone())), arg);
        assert!(files.startup(Some("rel.writ".into())).is_absolute());
    }

    #[test]
    fn a_damaged_list_reads_as_empty() {
        let t = TempDir::new("damaged");
        std::fs::write(t.0.join(RECENTS_FILE), b"{not json").unwrap();
        assert!(AppFiles::new(t.0.clone()).list().is_empty());
    }

    #[test]
    fn the_path_argument_skips_options() {
        let args = ["writ-app", "--automation", "/tmp/a.writ"].map(std::ffi::OsString::from);
        assert_eq!(path_argument(args), Some(PathBuf::from("/tmp/a.writ")));
        assert_eq!(
            path_argument(["writ-app"].map(std::ffi::OsString::from)),
            None
        );
    }
}
