//! Fuzz target `trace_toolhive_audit`: ToolHive audit logs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writ_core::ingest::Format;

fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::trace(Some(Format::ToolhiveAudit), data);
});
