//! Shared helpers for the writ-store API tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use writ_core::project::ProjectFiles;
use writ_store::Workspace;

/// The repository root (two levels above this crate).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `sample-policies/<name>`.
pub fn sample(name: &str) -> PathBuf {
    repo().join("sample-policies").join(name)
}

/// The recorded trace (2,400 lines).
pub fn recorded() -> PathBuf {
    repo().join("scenarios/traces/recorded.jsonl")
}

/// Reads a project folder, insisting that every file could be read.
pub fn project(root: &Path) -> ProjectFiles {
    let (files, diags) = ProjectFiles::read(root);
    assert!(
        diags.iter().all(|d| !d.is_error()),
        "reading {} failed: {diags:?}",
        root.display()
    );
    files
}

/// No progress reporting.
pub fn quiet(_: u64) {}

/// A fresh workspace at `<dir>/ws.writ`.
pub fn new_workspace(dir: &Path) -> (Workspace, PathBuf) {
    let path = dir.join("ws.writ");
    let ws = Workspace::create(&path).expect("create workspace");
    (ws, path)
}

/// Every file under `root`, relative path ('/' separated) -> bytes.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("under root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let target = to.join(&rel);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, bytes).expect("write");
    }
}

/// The first `n` lines of the recorded trace, written to `path`.
pub fn head_of_recorded(path: &Path, n: usize) -> PathBuf {
    let text = std::fs::read_to_string(recorded()).expect("read trace");
    let head: String = text.lines().take(n).map(|l| format!("{l}\n")).collect();
    std::fs::write(path, head).expect("write trace");
    path.to_path_buf()
}

/// A raw connection to a workspace file, behind the store's back.
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("raw open")
}

/// `SELECT COUNT(*) FROM <table>` through a raw connection.
pub fn count(path: &Path, table: &str) -> i64 {
    raw(path)
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

/// The `-wal` and `-shm` files beside `path` that exist.
pub fn sidecars(path: &Path) -> Vec<PathBuf> {
    ["-wal", "-shm"]
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", path.display())))
        .filter(|p| p.exists())
        .collect()
}

/// Makes the workspace at `path` what a workspace migrated from a format
/// before approver keys is: review steps unsigned (legacy), taken under
/// typed names. (A migration adds no `review_signatures` mark; a workspace
/// created by this build has it.)
pub fn make_legacy(path: &Path) {
    raw(path)
        .execute("DELETE FROM meta WHERE key = 'review_signatures'", [])
        .expect("legacy");
}
