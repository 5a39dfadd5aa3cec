//! Files that appear whole or not at all: output is written to a temporary
//! file beside the target and renamed into place only when complete, so an
//! error or an interrupted run never leaves half a file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A file being written; it replaces its target only on [`PendingFile::commit`].
/// Dropped without a commit, it removes its temporary file.
pub struct PendingFile {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
    /// Where to write the content.
    pub writer: std::io::BufWriter<std::fs::File>,
}

impl PendingFile {
    /// Creates the temporary file for `target` in the target's folder.
    pub fn create(target: &Path) -> std::io::Result<Self> {
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.writ-tmp-{}", std::process::id()));
        let file = std::fs::File::create(&temp)?;
        Ok(PendingFile {
            target: target.to_path_buf(),
            temp,
            committed: false,
            writer: std::io::BufWriter::new(file),
        })
    }

    /// Flushes, syncs and moves the finished file into place.
    pub fn commit(mut self) -> std::io::Result<()> {
        self.writer.flush()?;
        self.writer.get_ref().sync_all()?;
        std::fs::rename(&self.temp, &self.target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = PendingFile::create(path)?;
    f.writer.write_all(bytes)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_files_leave_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.txt");
        {
            let mut f = PendingFile::create(&target).expect("create");
            f.writer.write_all(b"partial").expect("write");
        }
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
        write_atomically(&target, b"whole").expect("write");
        assert_eq!(std::fs::read(&target).expect("read"), b"whole");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }
}
