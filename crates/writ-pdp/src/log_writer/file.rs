//! The log file on disk: opening it for appending (terminating a torn last
//! line), its identity (device and inode, to notice a deleted or replaced
//! file), the newest chained line to resume the chain from, and removing
//! a rotated file.

use crate::log_chain::{line_hash, link_of};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The device and inode of a file.
pub(super) type FileId = Option<(u64, u64)>;

#[cfg(unix)]
pub(super) fn file_id(m: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt as _;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
pub(super) fn file_id(_: &std::fs::Metadata) -> FileId {
    None
}

/// Opens `path` for appending, creating it (and its folder) if needed, and
/// makes sure a partial last line from an earlier crash is terminated (it
/// stays, on its own line, outside the chain); returns the file, its id and
/// its length.
pub(super) fn open_append(path: &Path) -> std::io::Result<(File, FileId, u64)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "it is a folder",
        ));
    }
    let mut len = meta.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
            len += 1;
        }
    }
    Ok((file, file_id(&meta), len))
}

/// The `seq` and hash of the newest chained line of `path` (looking at its
/// last MiB), or `None` when it has none (missing, empty, or only lines from
/// before the chain: then the chain starts again at 1, from the newest
/// line's hash when there is one).
pub(super) fn last_link(path: &Path) -> std::io::Result<Option<(u64, String)>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let start = len.saturating_sub(1024 * 1024);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.take(len - start).read_to_end(&mut tail)?;
    let text = String::from_utf8_lossy(&tail);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0); // maybe cut
    }
    for line in lines.iter().rev() {
        match link_of(line) {
            Ok(Some((seq, _))) => return Ok(Some((seq, line_hash(line)))),
            Ok(None) => return Ok(Some((0, line_hash(line)))),
            Err(()) => continue,
        }
    }
    Ok(None)
}

pub(super) fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
