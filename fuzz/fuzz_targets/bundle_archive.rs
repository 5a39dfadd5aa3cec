//! Fuzz target `bundle_archive`: A bundle `.tar.gz` read from bytes and verified.
#![no_main]

use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    writ_bundle::fuzz_entry::archive(data);
});
