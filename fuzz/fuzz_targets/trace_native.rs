//! Fuzz target `trace_native`: Native traces (JSON Lines of trace records).
#![no_main]

use libfuzzer_sys::fuzz_target;
use writ_core::ingest::Format;

fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::trace(Some(Format::Native), data);
});
