//! Errors raised while loading a traffic model or writing a trace.

use std::path::PathBuf;

/// Everything that can go wrong in `writ-tracegen`.
#[derive(Debug, thiserror::Error)]
pub enum TracegenError {
    /// The model file could not be read.
    #[error("cannot read traffic model {path}: {source}")]
    ReadModel {
        /// Path of the model file.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// The model file is not valid TOML or does not match the model format.
    #[error("cannot parse traffic model {path}: {source}")]
    ParseModel {
        /// Path of the model file.
        path: PathBuf,
        /// Underlying TOML error.
        source: toml::de::Error,
    },
    /// The model parsed but is semantically unusable.
    #[error("invalid traffic model: {0}")]
    InvalidModel(String),
    /// Writing the trace failed.
    #[error("cannot write trace: {0}")]
    Write(#[from] std::io::Error),
}
