//! Fuzz target `trace_tempo`: Grafana Tempo's legacy OTLP export.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writ_core::ingest::Format;

fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::trace(Some(Format::Tempo), data);
});
