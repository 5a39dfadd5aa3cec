//! Replays a fuzz target's seed corpus (`fuzz/corpus/<target>/`) under
//! plain `cargo test`: every file goes through the target's entry function
//! and must not panic.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// The seed folder of a fuzz target: `fuzz/corpus/<target>`.
pub fn corpus(target: &str) -> PathBuf {
    crate::root().join("fuzz/corpus").join(target)
}

/// Runs every file of `fuzz/corpus/<target>` through `entry`, in name
/// order; fails naming each file that panicked, or when the folder holds
/// no file. Returns how many files ran.
pub fn replay(target: &str, entry: &dyn Fn(&[u8])) -> usize {
    let dir = corpus(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no seed", dir.display());
    let mut panicked = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("read seed");
        if catch_unwind(AssertUnwindSafe(|| entry(&data))).is_err() {
            panicked.push(f.display().to_string());
        }
    }
    assert!(panicked.is_empty(), "panicked on: {panicked:?}");
    files.len()
}
