//! Replays the fuzz corpus of the bundle reader (`fuzz/corpus/bundle_*`)
//! under plain `cargo test`: every file goes through the same entry
//! function as its fuzz target (`writ_bundle::fuzz_entry`) and must not
//! panic. `regenerate_seeds` (ignored) writes the generated seeds.

use writ_bundle::bundle;
use writ_bundle::fuzz_entry::{self, fixed_key, trusted, verify_at};
use writ_testkit::fuzz::{corpus, replay};
use writ_testkit::root;

/// A bundle of the sample project `v`, signed with the fixed key and valid
/// at [`verify_at`].
fn sample_bundle(v: &str) -> bundle::Bundle {
    let report = writ_core::project::check_project(
        &root().join("sample-policies").join(v),
        writ_core::fuzz_entry::today(),
    );
    let project = report.project.expect("the sample checks");
    let inputs = bundle::inputs_from_project(
        &format!("{v}{}", "0".repeat(64 - v.len())),
        &project,
        vec![bundle::Approval {
            approver: "bob".into(),
            at: "2026-01-01T00:00:00Z".into(),
            comment: Some("fuzz seed".into()),
        }],
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z".into()),
    );
    bundle::build(&inputs, &fixed_key()).expect("builds")
}

/// The uncompressed tar of a bundle's archive.
fn untar(gz: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}

#[test]
fn bundle_corpora_replay_without_panics() {
    replay("bundle_archive", &fuzz_entry::archive);
    replay("bundle_tar", &fuzz_entry::tar);
    replay("bundle_manifest", &fuzz_entry::manifest);
}

#[test]
fn the_generated_seeds_verify_so_fuzzing_starts_past_the_signature() {
    let archive = std::fs::read(corpus("bundle_archive").join("gen-sample-v1.tar.gz"))
        .expect("seed (run the ignored regenerate_seeds test)");
    let b = bundle::read_archive_bytes(&archive).expect("reads");
    let v = bundle::verify(&b, &trusted(), verify_at()).expect("verifies");
    assert_eq!(v.manifest.policy_version, format!("v1{}", "0".repeat(62)));
    // The tar seed is the same bundle uncompressed.
    let tar = std::fs::read(corpus("bundle_tar").join("gen-sample-v1.tar")).expect("seed");
    assert_eq!(tar, untar(&archive));
    // The manifest seed is that bundle's manifest.
    let manifest =
        std::fs::read(corpus("bundle_manifest").join("gen-sample-v1.json")).expect("seed");
    assert_eq!(manifest, b.files[bundle::MANIFEST]);
}

#[test]
fn reading_from_memory_matches_reading_the_file() {
    let b = sample_bundle("v2");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("b.tar.gz");
    b.write_archive(&path).expect("write");
    let from_file = bundle::read(&path).expect("file reads");
    let from_memory = bundle::read_archive_bytes(&b.archive_bytes()).expect("memory reads");
    assert_eq!(from_file, from_memory);
    assert_eq!(from_memory, b);
    // Damage is reported the same way, naming `<memory>`.
    let mut bad = b.archive_bytes();
    bad.truncate(bad.len() / 2);
    let e = bundle::read_archive_bytes(&bad).expect_err("truncated");
    assert!(e.to_string().contains("<memory>"), "{e}");
}

/// Writes the generated seeds: `cargo test -p writ-bundle --test
/// tests -- --ignored fuzz_corpus::regenerate_seeds`.
#[test]
#[ignore = "writes fuzz/corpus seeds; run by hand"]
fn regenerate_seeds() {
    let b = sample_bundle("v1");
    let archive = b.archive_bytes();
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = corpus(target);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(name), bytes).expect("write seed");
    };
    write("bundle_archive", "gen-sample-v1.tar.gz", &archive);
    write("bundle_tar", "gen-sample-v1.tar", &untar(&archive));
    write(
        "bundle_manifest",
        "gen-sample-v1.json",
        &b.files[bundle::MANIFEST],
    );
    write("entities", "gen-sample-v1.json", &b.files[bundle::ENTITIES]);
    let v2 = sample_bundle("v2");
    write(
        "entities",
        "gen-sample-v2.json",
        &v2.files[bundle::ENTITIES],
    );
}
