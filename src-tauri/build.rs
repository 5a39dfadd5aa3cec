//! Embeds `tauri.conf.json` and the front end, and declares Writ's own
//! commands so that `capabilities/main.json` must grant each one by name
//! (an app manifest turns off Tauri's default "every app command allowed").

const COMMANDS: &[&str] = &[
    "open_workspace",
    "version_files",
    "check_version",
    "list_runs",
    "store_run",
    "diff_runs",
    "list_actions",
    "run_result",
    "diff_changes",
    "policy_diff",
    "bench_meta",
    "bench_decide",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
