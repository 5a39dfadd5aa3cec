//! Fuzz target `entities`: Cedar entities JSON with the sample schema.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use writ_core::fuzz_entry::SampleProject;

static SAMPLE: LazyLock<SampleProject> = LazyLock::new(|| {
    SampleProject::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../sample-policies/v1").as_ref())
        .expect("sample-policies/v1 loads")
});

fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::entities(&SAMPLE, data);
});
