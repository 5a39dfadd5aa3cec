//! The UI contract, generated: the TypeScript declaration of every type a
//! command takes, returns or sends over a channel, rendered from the Rust
//! types with ts-rs (which follows their serde attributes) into one file,
//! `ui/src/lib/bindings.ts`, that `ui/src/lib/api.ts` imports.
//!
//! The test [`tests::bindings_are_current`] renders the declarations and
//! compares them with the committed file; it fails, naming the file, when a
//! Rust type changed without the file. `WRIT_UPDATE_BINDINGS=1 cargo test -p
//! writ-app bindings` writes the file instead.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use ts_rs::{Config, TypeVisitor, TS};

/// The generated file, relative to the `writ-app` package (src-tauri/).
pub const BINDINGS_FILE: &str = "../ui/src/lib/bindings.ts";

/// The environment variable that makes the test write the file.
pub const UPDATE_VAR: &str = "WRIT_UPDATE_BINDINGS";

/// Collects the declarations of a set of types and of every type they
/// reach, keyed by their TypeScript name.
struct Declarations {
    cfg: Config,
    seen: HashSet<TypeId>,
    by_name: BTreeMap<String, (&'static str, String)>,
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only declared (derived) types have an output path; primitives,
        // collections and wrappers are written inline.
        if T::output_path().is_none() || !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let name = T::ident(&self.cfg);
        let rust = std::any::type_name::<T>();
        let mut decl = T::docs().unwrap_or_default();
        decl.push_str("export ");
        decl.push_str(&T::decl(&self.cfg));
        match self.by_name.get(&name) {
            // One TypeScript type stands for several Rust types (ts-rs
            // declares `serde_json::Value` through a shadow type).
            Some((_, same)) if *same == decl => {}
            Some((other, _)) => panic!(
                "two Rust types are both `{name}` in TypeScript: {other} and {rust}; \
                 give one a #[ts(rename = \"...\")]"
            ),
            None => {
                self.by_name.insert(name, (rust, decl));
            }
        }
        T::visit_dependencies(self);
    }
}

/// The declarations of every type that crosses the IPC boundary, sorted by
/// name, as the text of the generated file.
pub fn render() -> String {
    use crate::commands::{
        approvals, audit, bench, bundle_keys, bundle_verify, bundles, charts, check, draft,
        entities, findings, identity, report, runs, tests_view, traces, versions, workspace,
    };
    use writ_core::inventory_edit::{Edit, InventoryRows};

    let mut all = Declarations {
        // Integers arrive as JSON numbers, never as bigint.
        cfg: Config::new().with_large_int("number"),
        seen: HashSet::new(),
        by_name: BTreeMap::new(),
    };
    macro_rules! declare {
        ($($ty:ty),* $(,)?) => { $( all.visit::<$ty>(); )* };
    }
    declare!(
        // Workspaces, versions, checking and formatting.
        workspace::Overview,
        workspace::FileEntry,
        crate::recents::RecentEntry,
        versions::CommitOutcome,
        versions::FormatOutcome,
        versions::FileChanges,
        check::Problem,
        // The inventory table.
        InventoryRows,
        Edit,
        // The fields an `Edit` names (as text).
        writ_core::inventory_edit::Field,
        // Runs, their diffs and charts.
        runs::RunRow,
        runs::Progress,
        runs::RunDiff,
        runs::ChangePage,
        writ_store::runs::RunResult,
        writ_core::diff::TextDiffEntry,
        writ_core::agent_label::AgentLabel,
        charts::RunCharts,
        charts::Locations,
        writ_core::diff::TextSides,
        // Traces: the table, the import and its preview, re-mapping and its
        // preview.
        traces::ActionQuery,
        writ_store::traces::StoredAction,
        traces::ChosenTrace,
        traces::ImportStage,
        traces::ImportOutcome,
        traces::ImportChoice,
        traces::ChosenProfile,
        traces::TracePreview,
        traces::RemapChoice,
        traces::RemapPreview,
        writ_store::traces::CallsKept,
        // Drafting a project from a trace set (its report and replay check).
        draft::DraftLimits,
        draft::DraftOutcome,
        draft::DraftFile,
        writ_core::draft::DraftReport,
        writ_core::draft::DraftCheck,
        writ_core::draft::Grant,
        writ_core::draft::DraftIdentity,
        writ_core::draft::StepUpDraft,
        writ_core::draft::NotGranted,
        writ_core::draft::DraftFinding,
        writ_core::draft::NextStep,
        writ_core::draft::DraftTool,
        // The test bench, suites, findings and entities.
        bench::BenchMeta,
        bench::SavedCase,
        writ_core::bench::BenchRequest,
        writ_core::bench::BenchResult,
        tests_view::SuiteRow,
        tests_view::TestReport,
        findings::FindingsReport,
        // Unused grants and their proposed narrowing.
        findings::Grants,
        writ_core::grants::GrantReview,
        writ_core::grants::UnusedGrant,
        writ_core::grants::Narrowing,
        writ_core::grants::NarrowingCheck,
        entities::EntityCount,
        writ_core::entity_list::EntityRow,
        // Approvals, bundles, the report and the audit trail.
        approvals::ReviewView,
        identity::IdentityView,
        identity::KeyChoice,
        bundles::BundlesView,
        bundle_keys::KeyOutcome,
        bundle_verify::BundleCheckView,
        bundle_verify::CheckedApproval,
        report::SavedReport,
        audit::AuditPage,
        audit::AuditVerification,
    );

    let mut out = format!(
        "// Generated from the Rust types of the desktop app's commands by\n\
         // src-tauri/src/bindings.rs (ts-rs). Do not edit: after changing a type, run\n\
         // `{UPDATE_VAR}=1 cargo test -p writ-app bindings` to regenerate.\n"
    );
    for (_, decl) in all.by_name.values() {
        out.push('\n');
        out.push_str(decl.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn bindings_are_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(BINDINGS_FILE);
        let rendered = render();
        if std::env::var(UPDATE_VAR).is_ok_and(|v| v == "1") {
            std::fs::write(&path, &rendered)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == rendered,
            "ui/src/lib/bindings.ts is stale: it does not match the Rust types of the commands. \
             Regenerate it with `{UPDATE_VAR}=1 cargo test -p writ-app bindings` and commit it."
        );
    }

    #[test]
    fn every_declaration_is_exported_once() {
        let text = render();
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("export type "))
            .filter_map(|l| l.split([' ', '<']).next())
            .collect();
        let unique: HashSet<&&str> = names.iter().collect();
        assert_eq!(names.len(), unique.len());
        for name in ["Overview", "Problem", "ReviewView", "TracePreview", "Edit"] {
            assert!(names.contains(&name), "{name} is missing");
        }
    }
}
