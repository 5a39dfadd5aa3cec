//! Fuzz target `trace_decision_log`: Decision logs of `writ serve` read as traces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writ_core::ingest::Format;

fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::trace(Some(Format::DecisionLog), data);
});
