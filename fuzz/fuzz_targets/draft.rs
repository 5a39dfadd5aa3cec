//! Fuzz target `draft`: a native trace drafted into a project (`writ draft`), which must check and replay exactly as it states.
#![no_main]

use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::draft(data);
});
