//! Fuzz target `project`: The project check with one sample file replaced.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use writ_core::fuzz_entry::SampleProject;

static SAMPLE: LazyLock<SampleProject> = LazyLock::new(|| {
    SampleProject::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../sample-policies/v1").as_ref())
        .expect("sample-policies/v1 loads")
});

fuzz_target!(|data: &[u8]| {
    writ_core::fuzz_entry::project(&SAMPLE, data);
});
