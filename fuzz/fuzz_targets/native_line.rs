//! Fuzz target `native_line`: One native trace line (`trace::parse_record`).
#![no_main]

use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::native_line(data);
});
