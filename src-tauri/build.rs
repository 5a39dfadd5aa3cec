//! Embeds `tauri.conf.json` and the front end, and declares Writ's own
//! commands so that `capabilities/main.json` must grant each one by name
//! (an app manifest turns off Tauri's default "every app command allowed").

const COMMANDS: &[&str] = &[
    "open_workspace",
    "version_files",
    "choose_workspace",
    "new_workspace",
    "recent_workspaces",
    "open_recent",
    "remove_recent",
    "commit_edits",
    "format_policy",
    "check_version",
    "inventory_rows",
    "inventory_edit",
    "list_runs",
    "store_run",
    "diff_runs",
    "action_request",
    "choose_trace_file",
    "import_trace",
    "cancel_import",
    "choose_profile_file",
    "preview_trace_import",
    "count_actions",
    "actions_at",
    "cancel_replay",
    "run_result",
    "diff_changes",
    "policy_diff",
    "run_charts",
    "policy_sides",
    "policy_locations",
    "bench_meta",
    "bench_decide",
    "list_suites",
    "run_suites",
    "inventory_findings",
    "entities_count",
    "entities_at",
    "review_show",
    "review_submit",
    "review_approve",
    "review_reject",
    "identity_show",
    "identity_choose",
    "identity_unlock",
    "identity_forget",
    "require_signatures",
    "bundle_list",
    "bundle_export",
    "export_report",
    "audit_list",
    "audit_verify",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
