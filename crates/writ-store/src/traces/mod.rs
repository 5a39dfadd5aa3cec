//! Trace sets: recorded actions imported whole (one transaction) with a
//! per-line error report, and the filtered, keyset-paged queries the
//! desktop app's tables use.
//!
//! Modules: `sets` (the set records), `import` and `browse`, each using
//! `sets` only.

mod browse;
mod import;
mod sets;

pub use browse::{ActionFilter, MatchingLines, StoredAction, StoredLines};
pub use import::{ImportOptions, ImportProgress, ImportReport, IMPORT_BATCH};
pub use sets::TraceSetInfo;
