//! `writ-tracegen`: deterministic synthetic traces of AI-agent actions in
//! Writ's native JSON Lines format, driven by a TOML traffic model.
//!
//! ```no_run
//! use writ_tracegen::{load_model, write_trace, Variant};
//! let model = load_model(std::path::Path::new("scenarios/traces/traffic-model.toml"))?;
//! let mut out = Vec::new();
//! write_trace(&model, 42, Variant::Realistic, 100, &mut out)?;
//! # Ok::<(), writ_tracegen::TracegenError>(())
//! ```

#![warn(missing_docs)]

mod clock;
mod error;
mod generator;
mod model;
mod pick;
mod record;

use std::io::Write;
use std::path::Path;

pub use error::TracegenError;
pub use generator::{Generator, Variant};
pub use model::{AgentModel, Anomalies, ResourcePool, ResourceRange, ToolModel, TrafficModel};

/// Reads, parses and validates a traffic model file.
pub fn load_model(path: &Path) -> Result<TrafficModel, TracegenError> {
    let text = std::fs::read_to_string(path).map_err(|source| TracegenError::ReadModel {
        path: path.to_path_buf(),
        source,
    })?;
    let model: TrafficModel =
        toml::from_str(&text).map_err(|source| TracegenError::ParseModel {
            path: path.to_path_buf(),
            source,
        })?;
    model.validate()?;
    Ok(model)
}

/// Writes `count` trace lines, each followed by `\n`, to `out`.
///
/// Streams: memory use does not depend on `count`. Wrap `out` in a
/// `BufWriter` when it is a file.
pub fn write_trace(
    model: &TrafficModel,
    seed: u64,
    variant: Variant,
    count: usize,
    out: &mut impl Write,
) -> Result<(), TracegenError> {
    for line in Generator::new(model, seed, variant).take(count) {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
