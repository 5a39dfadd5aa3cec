//! The decision log's files: the rotated files `PATH.<n>` (eight digits or
//! more, so names sort in order) and the list of all files of a log, oldest
//! first. Below both [`crate::log_writer`], which rotates, and
//! [`crate::log_chain`], which verifies across the files; each re-exports
//! what it used to define.

use std::path::{Path, PathBuf};

/// The path of rotated file number `n`: `PATH.<n>`, eight digits or more.
pub fn rotated_path(path: &Path, n: u64) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n:08}"));
    PathBuf::from(s)
}

/// The numbers of the rotated files of `path` present in its folder,
/// ascending (oldest first).
pub fn rotated_numbers(path: &Path) -> std::io::Result<Vec<u64>> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{name}.");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e?;
        let file = e.file_name().to_string_lossy().into_owned();
        if let Some(num) = file.strip_prefix(&prefix) {
            if num.len() >= 8 && num.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(n) = num.parse::<u64>() {
                    out.push(n);
                }
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The decision log files of `path`: the file itself (when present) and
/// its rotated files `PATH.<n>`, oldest first.
pub fn log_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = rotated_numbers(path)?
        .into_iter()
        .map(|n| rotated_path(path, n))
        .collect();
    if path.exists() {
        out.push(path.to_path_buf());
    }
    Ok(out)
}
