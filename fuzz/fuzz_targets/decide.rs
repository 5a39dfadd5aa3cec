//! Fuzz target `decide`: The decision request body, decided against a bundle of sample-policies/v1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use writ_pdp::fuzz_entry::Decider;

static DECIDER: LazyLock<Decider> = LazyLock::new(|| {
    Decider::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../sample-policies/v1").as_ref())
        .expect("a bundle of sample-policies/v1 loads")
});

fuzz_target!(|data: &[u8]| {
    DECIDER.decide(data);
});
