//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) of writ-core's
//! readers under plain `cargo test`: every file goes through the same entry
//! function as its fuzz target (`writ_core::fuzz_entry`) and must not
//! panic. An input that crashed a target is kept there as a `crash-*` file
//! after the fix, with its own regression test here (none so far).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use writ_core::fuzz_entry::{self, SampleProject};
use writ_core::ingest::Format;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample() -> SampleProject {
    SampleProject::load(&root().join("sample-policies/v1")).expect("sample-policies/v1 loads")
}

/// Runs every file of `fuzz/corpus/<target>` through `entry`; fails naming
/// each file that panicked. Returns how many files ran.
fn replay(target: &str, entry: &dyn Fn(&[u8])) -> usize {
    let dir = root().join("fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no seed", dir.display());
    let mut panicked = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("read seed");
        if catch_unwind(AssertUnwindSafe(|| entry(&data))).is_err() {
            panicked.push(f.display().to_string());
        }
    }
    assert!(panicked.is_empty(), "panicked on: {panicked:?}");
    files.len()
}

#[test]
fn trace_format_corpora_replay_without_panics() {
    let cases: [(&str, Format); 7] = [
        ("trace_native", Format::Native),
        ("trace_decision_log", Format::DecisionLog),
        ("trace_otlp", Format::Otlp),
        ("trace_tempo", Format::Tempo),
        ("trace_jaeger", Format::Jaeger),
        ("trace_mcp_jsonrpc", Format::McpJsonRpc),
        ("trace_mcp_cassette", Format::McpCassette),
    ];
    for (target, format) in cases {
        replay(target, &|d| fuzz_entry::trace(Some(format), d));
    }
}

#[test]
fn detection_and_native_line_corpora_replay_without_panics() {
    replay("trace_detect", &fuzz_entry::detect_and_read);
    replay("native_line", &fuzz_entry::native_line);
}

#[test]
fn profile_corpus_replays_without_panics() {
    replay("profile", &fuzz_entry::profile);
}

#[test]
fn project_file_corpora_replay_without_panics() {
    let sample = sample();
    replay("inventory", &|d| fuzz_entry::inventory(&sample, d));
    replay("entities", &|d| fuzz_entry::entities(&sample, d));
    replay("project", &|d| fuzz_entry::project(&sample, d));
}
