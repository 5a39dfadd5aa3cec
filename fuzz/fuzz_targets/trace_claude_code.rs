//! Fuzz target `trace_claude_code`: Claude Code / Agent SDK transcripts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use writ_core::ingest::Format;

fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::trace(Some(Format::ClaudeCode), data);
});
