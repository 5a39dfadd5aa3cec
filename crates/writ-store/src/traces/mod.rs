//! Trace sets: recorded actions imported whole (one transaction) with a
//! per-line error report, and the filtered, keyset-paged queries the
//! desktop app's tables use.
//!
//! Modules: `sets` (the set records), `time_bound` (a filter's checked
//! time bounds), `import`, `remap` (mapping a set again from its kept calls;
//! removing a set) and `browse`, each using only those before it.

mod browse;
mod import;
mod remap;
mod sets;
mod time_bound;

pub use browse::{ActionFilter, MatchingLines, StoredAction, StoredLines};
pub use import::{CallsKept, ImportOptions, ImportProgress, ImportReport, IMPORT_BATCH};
pub use remap::RemapOptions;
pub use sets::{check_set_name, default_set_name, TraceSetInfo, MAX_SET_NAME_CHARS};
pub use time_bound::{BadTimeBound, TimeBound};
