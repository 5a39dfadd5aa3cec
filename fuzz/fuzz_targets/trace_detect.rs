//! Fuzz target `trace_detect`: Format detection, then reading as the detected format.
#![no_main]

use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::detect_and_read(data);
});
