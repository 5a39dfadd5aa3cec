//! Fuzz target `trace_codex_exec`: Codex CLI event streams (`codex exec --json`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use writ_core::ingest::Format;

fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::trace(Some(Format::CodexExec), data);
});
