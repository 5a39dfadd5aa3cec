//! Writ's desktop app: a Tauri 2 shell around the `ui/` front end.
//!
//! The commands in [`commands`] are thin: they validate their inputs, call
//! `writ-store` / `writ-core`, and return plain JSON or a readable error
//! string. The workspace file is decided here, in Rust (a path given on
//! the command line, else the last one used, else the sample workspace in
//! the app data dir) or chosen in a native dialog opened from Rust; no path
//! ever comes over IPC.

// Keep a console-less window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod bindings;
mod commands;
mod recents;

use std::path::PathBuf;
use tauri::Manager;

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let dir: PathBuf = app.path().app_data_dir()?;
            std::fs::create_dir_all(&dir)?;
            // `writ-app [PATH]`: PATH opens at start; otherwise the last
            // workspace used, or the sample (created on first start).
            let files = recents::AppFiles::new(dir);
            let start = files.startup(recents::path_argument(std::env::args_os()));
            let state = commands::AppState::new(start);
            // A configured approver key: `$WRIT_KEY`, as for the CLI.
            if let Some(key) = std::env::var_os("WRIT_KEY") {
                let passphrase = std::env::var("WRIT_KEY_PASSPHRASE").ok();
                match commands::identity::Identity::read(
                    std::path::Path::new(&key),
                    passphrase.as_deref(),
                ) {
                    Ok(identity) => state.set_identity(Some(identity)),
                    Err(e) => eprintln!("writ: $WRIT_KEY is not usable: {e}"),
                }
            }
            app.manage(state);
            app.manage(files);
            app.manage(commands::traces::ImportJobs::default());
            app.manage(commands::traces::TableCache::default());
            app.manage(commands::runs::ReplayJobs::default());
            app.manage(commands::entities::EntityCache::default());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace::open_workspace,
            commands::workspace::version_files,
            commands::workspace::choose_workspace,
            commands::workspace::new_workspace,
            commands::workspace::recent_workspaces,
            commands::workspace::open_recent,
            commands::workspace::remove_recent,
            commands::versions::commit_edits,
            commands::versions::format_policy,
            commands::bundle_verify::bundle_verify,
            commands::bundle_keys::register_signing_key,
            commands::bundle_keys::generate_signing_key,
            commands::bench::save_bench_case,
            commands::charts::version_text_sides,
            commands::charts::version_text_diff,
            commands::agents::agent_names,
            commands::traces::action_position,
            commands::versions::edit_changes,
            commands::check::check_version,
            commands::inventory::inventory_rows,
            commands::inventory::inventory_edit,
            commands::runs::list_runs,
            commands::runs::store_run,
            commands::runs::diff_runs,
            commands::traces::action_request,
            commands::traces::count_actions,
            commands::traces::actions_at,
            commands::traces::choose_trace_file,
            commands::traces::import_trace,
            commands::traces::cancel_import,
            commands::traces::choose_profile_file,
            commands::traces::preview_trace_import,
            commands::traces::trace_set_calls,
            commands::traces::remap_trace_set,
            commands::traces::preview_remap_trace_set,
            commands::traces::remove_trace_set,
            commands::draft::draft_trace_set,
            commands::draft::save_draft,
            commands::runs::cancel_replay,
            commands::runs::run_result,
            commands::runs::diff_changes,
            commands::runs::policy_diff,
            commands::charts::run_charts,
            commands::charts::policy_sides,
            commands::charts::policy_locations,
            commands::bench::bench_meta,
            commands::bench::bench_decide,
            commands::tests_view::list_suites,
            commands::tests_view::run_suites,
            commands::findings::inventory_findings,
            commands::findings::commit_narrowing,
            commands::entities::entities_count,
            commands::entities::entities_at,
            commands::approvals::review_show,
            commands::approvals::review_submit,
            commands::approvals::review_approve,
            commands::approvals::review_reject,
            commands::identity::identity_show,
            commands::identity::identity_choose,
            commands::identity::identity_unlock,
            commands::identity::identity_forget,
            commands::identity::require_signatures,
            commands::bundles::bundle_list,
            commands::bundles::bundle_export,
            commands::report::export_report,
            commands::audit::audit_list,
            commands::audit::audit_verify,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Writ app");
}
