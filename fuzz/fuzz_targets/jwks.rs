//! Fuzz target `jwks`: JWK Set files (`writ serve --jwks`).
#![no_main]

use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    writ_pdp::fuzz_entry::jwks(data);
});
