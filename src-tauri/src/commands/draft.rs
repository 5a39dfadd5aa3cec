//! The Traces view's "Draft policies from this trace set…": a first project
//! drafted from a stored set (`Workspace::draft_from_set`, as `writ draft
//! --traces SET`), shown for review with its replay check and files, then
//! saved as a version. Saving drafts again from the same set and limits
//! and stores the files only when they are the ones reviewed (same content
//! hash), they check without errors and the replay check holds.

use super::versions::{valid_message, CommitOutcome};
use super::{actor, blocking, open, valid_id, valid_version, version_of, AppState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;
use tauri::State;
use writ_core::draft::{DraftCheck, DraftError, DraftReport, Limits};
use writ_core::project::ProjectFiles;
use writ_store::draft::SetDraft;
use writ_store::traces::TraceSetInfo;
use writ_store::StoreError;

/// The largest limit accepted for resources or principals listed per permit.
const MAX_LIMIT: u32 = 100_000;

/// Most tools that may be marked step-up or plain.
const MAX_MARKS: usize = 1_000;

/// Longest tool name accepted in a mark (bytes).
const MAX_TOOL_BYTES: usize = 1024;

/// The draft's limits and marks as the front end sends them.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct DraftLimits {
    /// Distinct resources of one type a permit lists before it leaves the
    /// resource open (`@widened`); 1 to 100,000 (default 20).
    pub max_resources: u32,
    /// Principals of one type a permit lists before it leaves the principal
    /// open (`@widened`); 1 to 100,000 (default 25).
    pub max_principals: u32,
    /// Tools to put behind a human approval whatever their names suggest.
    pub step_up: Vec<String>,
    /// Tools to grant outright although their names suggest a write.
    pub plain: Vec<String>,
}

/// One drafted file, as it would be stored.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DraftFile {
    /// Its path in the project (`schema.cedarschema`, `inventory.toml`,
    /// `policies/grants.cedar`, ...).
    pub path: String,
    /// Its text.
    pub text: String,
}

/// A draft for review: what it holds and why, its replay check and files.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DraftOutcome {
    /// The set it was drafted from.
    pub set: TraceSetInfo,
    /// What the draft holds and why.
    pub report: DraftReport,
    /// The replay of the set against the draft.
    pub check: DraftCheck,
    /// Whether every decision of the replay is what the draft states (it
    /// can be saved only then).
    pub holds: bool,
    /// The drafted files, schema first, then the policies and the inventory.
    pub files: Vec<DraftFile>,
    /// The version id the files would be stored under (their content hash);
    /// saving checks that a new draft still has it.
    pub version: String,
    /// Whether a version with exactly these files is stored already.
    pub stored: bool,
}

/// Checks the limits and marks and makes the library's [`Limits`].
fn valid_limits(l: &DraftLimits) -> Result<Limits, String> {
    for (what, n) in [
        ("resources", l.max_resources),
        ("principals", l.max_principals),
    ] {
        if !(1..=MAX_LIMIT).contains(&n) {
            return Err(format!(
                "the most {what} a permit lists must be 1 to {MAX_LIMIT}, got {n}"
            ));
        }
    }
    let marks = |what: &str, tools: &[String]| -> Result<BTreeSet<String>, String> {
        if tools.len() > MAX_MARKS {
            return Err(format!("at most {MAX_MARKS} tools can be marked {what}"));
        }
        let mut out = BTreeSet::new();
        for t in tools {
            let t = t.trim();
            if t.len() > MAX_TOOL_BYTES {
                return Err(format!(
                    "a tool marked {what} is longer than {MAX_TOOL_BYTES} bytes"
                ));
            }
            if !t.is_empty() {
                out.insert(t.to_string());
            }
        }
        Ok(out)
    };
    let step_up = marks("step-up", &l.step_up)?;
    let plain = marks("plain", &l.plain)?;
    if let Some(t) = step_up.intersection(&plain).next() {
        return Err(format!(
            "`{t}` is marked both step-up and plain; choose one"
        ));
    }
    Ok(Limits {
        max_resources: l.max_resources as usize,
        max_principals: l.max_principals as usize,
        step_up,
        plain,
    })
}

/// A refused draft, worded for the window (the library's messages name the
/// CLI command).
fn draft_error(e: StoreError) -> String {
    match e {
        StoreError::Draft(DraftError::Invalid(errors)) => format!(
            "the drafted project does not check; this is a fault in Writ's drafting, please \
             report it with the trace set:\n{errors}"
        ),
        e => e.to_string(),
    }
}

/// The drafted files as a project (paths relative to the project root).
fn draft_files(d: &SetDraft) -> ProjectFiles {
    d.draft.files(Path::new(""))
}

/// Drafts from set `set` of the workspace at `path` under `limits`.
fn drafted(path: &Path, set: i64, limits: &Limits) -> Result<SetDraft, String> {
    open(path)?
        .draft_from_set(&set.to_string(), limits, &|_| {})
        .map_err(draft_error)
}

/// The draft of set `set` for review.
fn outcome(path: &Path, set: i64, limits: &Limits) -> Result<DraftOutcome, String> {
    let d = drafted(path, set, limits)?;
    let files = draft_files(&d);
    let version = version_of(&files);
    let stored = open(path)?.resolve_version(&version).is_ok();
    Ok(DraftOutcome {
        holds: d.check.holds(),
        files: files
            .all()
            .map(|f| DraftFile {
                path: f.relative.clone(),
                text: f.text.clone(),
            })
            .collect(),
        version,
        stored,
        set: d.set,
        report: d.draft.report,
        check: d.check,
    })
}

/// Drafts a first project from trace set `set` under `limits`, as
/// `writ draft --traces SET` does (`Workspace::draft_from_set`): the
/// report (identities, tools, grants, step-ups, pairs not granted, what to
/// review, what was left out), the replay check and the files. Nothing is
/// stored.
#[tauri::command]
pub async fn draft_trace_set(
    state: State<'_, AppState>,
    set: i64,
    limits: DraftLimits,
) -> Result<DraftOutcome, String> {
    let set = valid_id("trace set", set)?;
    let limits = valid_limits(&limits)?;
    let path = state.path();
    blocking(move || outcome(&path, set, &limits)).await
}

/// Drafts from set `set` of the workspace at `path` again and stores the
/// files as a version with `message` by `author`, when they are the files
/// reviewed (`expected`: their version id), check without errors and the
/// replay check holds.
fn save(
    path: &Path,
    set: i64,
    limits: &Limits,
    expected: &str,
    author: &str,
    message: &str,
) -> Result<CommitOutcome, String> {
    let d = drafted(path, set, limits)?;
    let files = draft_files(&d);
    if version_of(&files) != expected {
        return Err(
            "drafting again gave other files than the ones shown; nothing was saved (draft \
             again and review the new result)"
                .to_string(),
        );
    }
    if !d.check.holds() {
        return Err(format!(
            "replaying the trace set against the draft gave {} decision(s) outside what it \
             states; nothing was saved (please report this with the trace set)",
            d.check.problem_count
        ));
    }
    open(path)?
        .commit_version(&files, author, message)
        .map(CommitOutcome::from)
        .map_err(|e| format!("nothing was saved: {e}"))
}

/// Saves the draft of set `set` under `limits` as a new version with
/// `message`, by the current user (`Workspace::commit_version`, audited as
/// `version.commit`). The set is drafted again: the files are stored only
/// when their version id is `expected` (the draft reviewed), they check
/// without errors and the replay check holds; `created: false` when a
/// version with these files exists already.
#[tauri::command]
pub async fn save_draft(
    state: State<'_, AppState>,
    set: i64,
    limits: DraftLimits,
    expected: String,
    message: String,
) -> Result<CommitOutcome, String> {
    let set = valid_id("trace set", set)?;
    let limits = valid_limits(&limits)?;
    let expected = valid_version(&expected)?.to_string();
    let message = valid_message(&message)?.to_string();
    let path = state.path();
    let author = actor();
    blocking(move || save(&path, set, &limits, &expected, &author, &message)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("writ-app-draft-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    }

    fn limits(step_up: &[&str], plain: &[&str]) -> DraftLimits {
        DraftLimits {
            max_resources: 20,
            max_principals: 25,
            step_up: step_up.iter().map(|s| s.to_string()).collect(),
            plain: plain.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn limits_are_checked() {
        let l = valid_limits(&limits(&[" send_email ", ""], &["read_repo"])).expect("valid");
        assert_eq!(
            l.step_up.into_iter().collect::<Vec<_>>(),
            vec!["send_email"]
        );
        assert_eq!((l.max_resources, l.max_principals), (20, 25));
        let e = valid_limits(&limits(&["x"], &["x"])).unwrap_err();
        assert!(e.contains("both step-up and plain"), "{e}");
        let mut zero = limits(&[], &[]);
        zero.max_resources = 0;
        assert!(valid_limits(&zero).is_err());
        let long = "t".repeat(MAX_TOOL_BYTES + 1);
        assert!(valid_limits(&limits(&[long.as_str()], &[])).is_err());
    }

    #[test]
    fn a_sample_draft_is_reviewed_and_saved_as_a_version() {
        let dir = scratch("save");
        let ws = dir.join("w.writ");
        writ_store::sample::create_sample(&ws, "test").expect("sample");
        let l = valid_limits(&limits(&["read_logs"], &["send_email"])).expect("valid");
        let d = outcome(&ws, 1, &l).expect("drafted");
        assert!(d.holds, "{:?}", d.check);
        assert_eq!(d.check.problem_count, 0);
        assert!(!d.stored);
        assert!(!d.report.grants.is_empty());
        let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths[0], "schema.cedarschema");
        assert!(paths.contains(&"inventory.toml") && paths.contains(&"policies/grants.cedar"));
        // The marks are the library's: read_logs behind a step-up, send_email plain.
        let tool = |n: &str| d.report.tools.iter().find(|t| t.name == n).expect(n);
        assert!(tool("read_logs").step_up.is_some());
        assert!(tool("send_email").step_up.is_none());

        // Files other than those reviewed are refused; the draft is saved.
        let e = save(&ws, 1, &l, "abcd", "test", "draft").unwrap_err();
        assert!(e.contains("other files than the ones shown"), "{e}");
        let saved = save(&ws, 1, &l, &d.version, "test", "first draft").expect("saved");
        assert!(saved.created);
        assert_eq!(saved.id, d.version);
        let stored = open(&ws).expect("open");
        let checked = stored.check_version(&saved.id).expect("stored");
        assert_eq!(checked.report.error_count(), 0);
        assert!(outcome(&ws, 1, &l).expect("again").stored);
        let again = save(&ws, 1, &l, &d.version, "test", "again").expect("unchanged");
        assert!(!again.created);
    }
}
