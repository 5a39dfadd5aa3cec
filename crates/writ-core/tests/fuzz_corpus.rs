//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) of writ-core's
//! readers under plain `cargo test`: every file goes through the same entry
//! function as its fuzz target (`writ_core::fuzz_entry`) and must not
//! panic. An input that crashed a target is kept there as a `crash-*` file
//! after the fix, with its own regression test here (none so far).

use writ_core::fuzz_entry::{self, SampleProject};
use writ_core::ingest::Format;
use writ_testkit::fuzz::replay;
use writ_testkit::root;

fn sample() -> SampleProject {
    SampleProject::load(&root().join("sample-policies/v1")).expect("sample-policies/v1 loads")
}

#[test]
fn trace_format_corpora_replay_without_panics() {
    let cases: [(&str, Format); 11] = [
        ("trace_native", Format::Native),
        ("trace_decision_log", Format::DecisionLog),
        ("trace_otlp", Format::Otlp),
        ("trace_tempo", Format::Tempo),
        ("trace_jaeger", Format::Jaeger),
        ("trace_mcp_jsonrpc", Format::McpJsonRpc),
        ("trace_mcp_cassette", Format::McpCassette),
        ("trace_claude_mcp_log", Format::ClaudeMcpLog),
        ("trace_toolhive_audit", Format::ToolhiveAudit),
        ("trace_claude_code", Format::ClaudeCode),
        ("trace_codex_exec", Format::CodexExec),
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
fn draft_corpus_replays_as_each_draft_states() {
    replay("draft", &fuzz_entry::draft);
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
