//! Why the decision log cannot be opened or written: [`LogError`].

use std::path::PathBuf;

/// Why the decision log cannot be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The log file (or its folder) cannot be opened for appending.
    #[error("cannot open decision log {} for appending: {source} (check that the folder exists or can be created, and is writable)", path.display())]
    Open {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A mask entry is not a name or dotted path.
    #[error("decision log mask `{0}` is not an attribute name or dotted path such as `human_approval.approver`")]
    Mask(String),
    /// Lines could not be written and the log had not recovered when it
    /// was closed.
    #[error("decision log {}: {what}{}", path.display(), lost_text(*lost))]
    Write {
        /// The file written.
        path: PathBuf,
        /// What failed last.
        what: String,
        /// How many decision lines could not be written.
        lost: u64,
    },
    /// The writer thread stopped unexpectedly.
    #[error("the decision log writer thread stopped unexpectedly")]
    WriterPanicked,
}

fn lost_text(lost: u64) -> String {
    if lost == 0 {
        String::new()
    } else {
        format!(" ({lost} decision lines were not written)")
    }
}
