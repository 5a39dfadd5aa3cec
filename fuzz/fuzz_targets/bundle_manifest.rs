//! Fuzz target `bundle_manifest`: A bundle's `manifest.json`, signed with the fixed key, verified.
#![no_main]

use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    writ_bundle::fuzz_entry::manifest(data);
});
