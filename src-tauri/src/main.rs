//! Writ's desktop app: a Tauri 2 shell around the `ui/` front end.
//!
//! The commands in [`commands`] are thin: they validate their inputs, call
//! `writ-store` / `writ-core`, and return plain JSON or a readable error
//! string. The workspace file is decided here, in Rust (the sample
//! workspace in the app data dir); no path ever comes over IPC.

// Keep a console-less window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::path::PathBuf;
use tauri::Manager;

/// The file name of the sample workspace inside the app data dir.
const WORKSPACE_FILE: &str = "sample.writ";

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let dir: PathBuf = app.path().app_data_dir()?;
            std::fs::create_dir_all(&dir)?;
            app.manage(commands::AppState::new(dir.join(WORKSPACE_FILE)));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace::open_workspace,
            commands::workspace::version_files,
            commands::check::check_version,
            commands::runs::list_runs,
            commands::runs::store_run,
            commands::runs::diff_runs,
            commands::traces::list_actions,
            commands::runs::run_result,
            commands::runs::diff_changes,
            commands::runs::policy_diff,
            commands::bench::bench_meta,
            commands::bench::bench_decide,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Writ app");
}
