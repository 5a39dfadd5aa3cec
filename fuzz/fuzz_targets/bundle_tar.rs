//! Fuzz target `bundle_tar`: An uncompressed tar, gzipped, read as a bundle and verified.
#![no_main]

use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    writ_bundle::fuzz_entry::tar(data);
});
