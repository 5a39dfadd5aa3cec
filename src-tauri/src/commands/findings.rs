//! The Findings view: governance findings of a stored version's inventory,
//! optionally over a stored trace set (`writ findings`), on the blocking
//! pool. Over a set, a version that checks also gets its unused grants
//! (`Workspace::grant_review`): `unused-grant` findings and the proposed
//! narrowing with its replay check, which can be committed as a version.

use super::versions::{valid_message, CommitOutcome};
use super::{actor, blocking, open, valid_id, valid_version, version_of, AppState};
use serde::Serialize;
use std::path::Path;
use tauri::State;
use writ_core::findings::{counts, find, Finding, InventoryInput, TraceInput};
use writ_core::grants::GrantReview;
use writ_core::project::Project;
use writ_store::Workspace;

/// How many line numbers each finding lists.
const EVIDENCE_LINES: usize = 100;

/// The findings of one version (and trace set).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct FindingsReport {
    /// The version's full id.
    version: String,
    /// The trace set's name, when one was read.
    set: Option<String>,
    /// Actions read from the set.
    actions: Option<u64>,
    /// The date reviews were judged against (`YYYY-MM-DD`).
    today: String,
    /// Findings per severity (`critical`, `high`, `medium`, `low`).
    counts: std::collections::BTreeMap<String, usize>,
    /// The findings, most severe first.
    findings: Vec<Finding>,
    /// Over a trace set, the version's unused grants and their proposed
    /// narrowing (none when the version has errors: see `grants_note`).
    grants: Option<Grants>,
    /// Why unused grants are not reported, when a set was read but the
    /// version has errors (or its grants could not be replayed).
    grants_note: Option<String>,
}

/// A version's unused grants over a trace set, with the proposed narrowing.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Grants {
    /// The review: unused grants, proposals, their replay check.
    review: GrantReview,
    /// Whether the narrowing keeps every allow and adds none (it can be
    /// committed only then).
    holds: bool,
    /// The version id the narrowed files would be stored under (their
    /// content hash), when there is a narrowing; committing checks that a
    /// new review still gives it.
    narrowed_version: Option<String>,
}

/// The checked project of version `id`, or why unused grants cannot be
/// reported (the version has errors).
fn checked_project(ws: &Workspace, id: &str) -> Result<Result<Project, String>, String> {
    let checked = ws
        .check_version(id)
        .map_err(|e| format!("cannot read version {id}: {e}"))?;
    let errors = checked.report.error_count();
    Ok(match checked.report.project {
        Some(p) if errors == 0 => Ok(p),
        _ => Err(format!(
            "Unused grants need a version without errors: version {} has {errors} error(s) \
             (open it in Policies to see them).",
            checked.short
        )),
    })
}

/// The grant review of `project` over set `set`.
fn review(ws: &Workspace, project: &Project, set: i64) -> Result<GrantReview, String> {
    ws.grant_review(project, &set.to_string(), &|_| {})
        .map(|(_, r)| r)
        .map_err(|e| format!("cannot review the grants over trace set {set}: {e}"))
}

/// The findings of `version`'s inventory, and over trace set `set` when given.
#[tauri::command]
pub async fn inventory_findings(
    state: State<'_, AppState>,
    version: String,
    set: Option<i64>,
) -> Result<FindingsReport, String> {
    let version = valid_version(&version)?.to_string();
    let set = set.map(|s| valid_id("trace set", s)).transpose()?;
    let path = state.path();
    blocking(move || {
        let ws = open(&path)?;
        let (id, files) = ws
            .version_files(&version)
            .map_err(|e| format!("cannot read version {version}: {e}"))?;
        let Some(file) = files.inventory else {
            return Err(format!(
                "version {} has no inventory.toml; findings are drawn from the inventory",
                &id[..12]
            ));
        };
        let today = writ_core::project::today_utc();
        let shown = file.shown.display().to_string();
        let (inventory, _) = writ_core::inventory::load(&file.shown, &file.text, today);
        let inventory = inventory.ok_or_else(|| {
            format!(
                "the inventory of version {} does not parse; open it in Policies to see the errors",
                &id[..12]
            )
        })?;
        let trace = match set {
            Some(s) => {
                let (info, agg) = ws
                    .trace_aggregate(&s.to_string(), EVIDENCE_LINES, &|_| {})
                    .map_err(|e| format!("cannot read trace set {s}: {e}"))?;
                Some((format!("trace set `{}`", info.name), info.name, agg))
            }
            None => None,
        };
        let mut findings = find(
            InventoryInput {
                inventory: &inventory,
                text: &file.text,
                file: &shown,
            },
            trace
                .as_ref()
                .map(|(source, _, aggregate)| TraceInput { source, aggregate }),
            today,
        );
        let (mut grants, mut grants_note) = (None, None);
        if let Some(s) = set {
            let reviewed =
                checked_project(&ws, &id)?.and_then(|p| review(&ws, &p, s).map(|r| (r, p)));
            match reviewed {
                Ok((r, project)) => {
                    findings.extend(r.findings(&project));
                    writ_core::findings::sort(&mut findings);
                    grants = Some(Grants {
                        holds: r.check.as_ref().is_some_and(|c| c.holds()),
                        narrowed_version: (!r.narrowings.is_empty())
                            .then(|| version_of(&r.narrowed_files)),
                        review: r,
                    });
                }
                Err(note) => grants_note = Some(note),
            }
        }
        Ok(FindingsReport {
            version: id,
            set: trace.as_ref().map(|(_, name, _)| name.clone()),
            actions: trace.as_ref().map(|(_, _, agg)| agg.actions),
            today: today.to_string(),
            counts: counts(&findings)
                .into_iter()
                .map(|(s, n)| (s.as_str().to_string(), n))
                .collect(),
            findings,
            grants,
            grants_note,
        })
    })
    .await
}

/// Reviews the grants of `version` over set `set` again and commits the
/// narrowed files as a version with `message` by `author`, when they are
/// the ones reviewed (`expected`), the narrowed project checks and the
/// replay check holds.
fn commit(
    path: &Path,
    version: &str,
    set: i64,
    expected: &str,
    author: &str,
    message: &str,
) -> Result<CommitOutcome, String> {
    let mut ws = open(path)?;
    let id = ws
        .resolve_version(version)
        .map_err(|e| format!("cannot read version {version}: {e}"))?;
    let project = checked_project(&ws, &id)??;
    let r = review(&ws, &project, set)?;
    if r.narrowings.is_empty() {
        return Err("the grants need no narrowing any more; nothing was committed".to_string());
    }
    if version_of(&r.narrowed_files) != expected {
        return Err(
            "reviewing the grants again gave another narrowing than the one shown; nothing \
             was committed (find again and review the new proposal)"
                .to_string(),
        );
    }
    match (&r.check, &r.narrowed_errors) {
        (Some(c), _) if c.holds() => {}
        (Some(c), _) => {
            return Err(format!(
                "the narrowing would lose {} allow(s) and add {}; nothing was committed",
                c.lost, c.gained
            ))
        }
        (None, Some(e)) => {
            return Err(format!(
                "the narrowed project does not check; nothing was committed:\n{e}"
            ))
        }
        (None, None) => {
            return Err("the narrowing was not checked; nothing was committed".to_string())
        }
    }
    ws.commit_version(&r.narrowed_files, author, message)
        .map(CommitOutcome::from)
        .map_err(|e| format!("nothing was committed: {e}"))
}

/// Commits the proposed narrowing of `version`'s grants over trace set
/// `set` as a new version with `message`, by the current user
/// (`Workspace::commit_version`, audited as `version.commit`). The grants
/// are reviewed again: the narrowed files are stored only when their
/// version id is `expected` (the proposal shown), they check and the
/// replay keeps every allow and adds none.
#[tauri::command]
pub async fn commit_narrowing(
    state: State<'_, AppState>,
    version: String,
    set: i64,
    expected: String,
    message: String,
) -> Result<CommitOutcome, String> {
    let version = valid_version(&version)?.to_string();
    let set = valid_id("trace set", set)?;
    let expected = valid_version(&expected)?.to_string();
    let message = valid_message(&message)?.to_string();
    let path = state.path();
    let author = actor();
    blocking(move || commit(&path, &version, set, &expected, &author, &message)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_v2_narrowing_is_committed() {
        let dir = std::env::temp_dir().join(format!("writ-app-narrow-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let ws_path = dir.join("w.writ");
        writ_store::sample::create_sample(&ws_path, "test").expect("sample");
        let ws = open(&ws_path).expect("open");
        let v2 = ws.list_versions().expect("versions")[0].id.clone();
        let project = checked_project(&ws, &v2).expect("read").expect("checks");
        let r = review(&ws, &project, 1).expect("review");
        assert!(!r.unused.is_empty() && !r.narrowings.is_empty());
        let c = r.check.as_ref().expect("checked");
        assert_eq!((c.lost, c.gained), (0, 0));
        let findings = r.findings(&project);
        assert!(findings
            .iter()
            .all(|f| f.code == writ_core::findings::FindingCode::UnusedGrant));
        let expected = version_of(&r.narrowed_files);
        drop(ws);

        let e = commit(&ws_path, &v2, 1, "abcd", "test", "narrow").unwrap_err();
        assert!(e.contains("another narrowing"), "{e}");
        let done = commit(&ws_path, &v2, 1, &expected, "test", "narrow").expect("committed");
        assert!(done.created);
        assert_eq!(done.id, expected);
        let ws = open(&ws_path).expect("open");
        assert_eq!(ws.list_versions().expect("versions")[0].id, expected);
        assert_eq!(
            ws.check_version(&expected)
                .expect("stored")
                .report
                .error_count(),
            0
        );

        // A version with errors gets a note, in the window's words.
        let mut ws = ws;
        let (_, mut files) = ws.version_files(&v2).expect("files");
        files.policies[0].text.push_str("\npermit(");
        let broken = ws
            .commit_version(&files, "test", "broken")
            .expect("stored")
            .id()
            .to_string();
        let note = checked_project(&ws, &broken).expect("read").unwrap_err();
        assert!(
            note.starts_with("Unused grants need a version without errors"),
            "{note}"
        );
        assert!(!note.contains("--"), "{note}");
    }
}
