//! Fuzz target `profile`: Mapping profiles (TOML), then mapping sample tool calls.
#![no_main]

use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::profile(data);
});
