//! Why the server could not start or stopped badly, with the process exit
//! code; re-exported as `server::ServeError`.

use crate::engine::LoadError;
use std::net::SocketAddr;

/// Why the server could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The bundle does not load.
    #[error(transparent)]
    Bundle(#[from] LoadError),
    /// The listen address cannot be bound, or serving failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The decision log cannot be opened or closed.
    #[error("decision log: {0}")]
    Log(String),
    /// The bundle is refused by the channel rules or the state cannot be
    /// used (see [`crate::rollback`]).
    #[error(transparent)]
    Rollback(#[from] crate::rollback::RollbackError),
    /// The configuration is not safe or not complete (identity mode, caller
    /// authentication, expiry, TLS).
    #[error("{0}")]
    Config(String),
}

impl ServeError {
    /// The process exit code: a bundle's verification code (10-23, see the
    /// writ-bundle README), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Bundle(e) => e.exit_code(),
            ServeError::Rollback(e) => e.exit_code(),
            _ => 1,
        }
    }
}
