//! Committing a stored version with edited files (what the desktop app's
//! "Commit…" does).

use crate::common::*;

#[test]
fn edits_become_a_new_version_with_an_audit_event() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let v1 = ws
        .commit_version(&project(&sample("v1")), "ana", "v1")
        .unwrap();
    let (_, files) = ws.version_files(v1.id()).unwrap();
    let policy = &files.policies[0];
    let edited = format!("// reviewed\n{}", policy.text);
    let before = ws.audit_events().unwrap().len();

    let c = ws
        .commit_edits(
            v1.id(),
            [(policy.relative.as_str(), edited.as_str())],
            "bo",
            "  reviewed  ",
        )
        .unwrap();
    let writ_store::versions::Committed::New(id) = &c else {
        panic!("expected a new version, got {c:?}");
    };
    let info = ws.version(id).unwrap();
    assert_eq!(info.message, "reviewed");
    assert_eq!(info.author, "bo");
    assert_eq!(info.parent.as_deref(), Some(v1.id()));
    let (_, stored) = ws.version_files(id).unwrap();
    let p = stored
        .policies
        .iter()
        .find(|f| f.relative == policy.relative)
        .unwrap();
    assert_eq!(p.text, edited);
    let events = ws.audit_events().unwrap();
    assert_eq!(events.len(), before + 1);
    assert_eq!(events.last().unwrap().kind, "version.commit");

    // The same content again: nothing new.
    let again = ws
        .commit_edits(
            v1.id(),
            [(policy.relative.as_str(), edited.as_str())],
            "bo",
            "again",
        )
        .unwrap();
    assert_eq!(
        again,
        writ_store::versions::Committed::Unchanged(id.clone())
    );
    let none = ws.commit_edits(v1.id(), [], "bo", "no edits").unwrap();
    assert_eq!(
        none,
        writ_store::versions::Committed::Unchanged(v1.id().to_string())
    );
    assert_eq!(ws.list_versions().unwrap().len(), 2);
}

#[test]
fn errors_unknown_files_and_empty_messages_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let v1 = ws
        .commit_version(&project(&sample("v1")), "ana", "v1")
        .unwrap();
    let (_, files) = ws.version_files(v1.id()).unwrap();
    let policy = files.policies[0].relative.clone();

    let broken = ws
        .commit_edits(v1.id(), [(policy.as_str(), "permit(oops")], "bo", "broken")
        .unwrap_err()
        .to_string();
    assert!(broken.contains("error(s)"), "{broken}");
    let unknown = ws
        .commit_edits(v1.id(), [("policies/new.cedar", "")], "bo", "new")
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("policies/new.cedar"), "{unknown}");
    let empty = ws
        .commit_edits(v1.id(), [(policy.as_str(), "")], "bo", "   ")
        .unwrap_err()
        .to_string();
    assert!(empty.contains("message"), "{empty}");
    assert_eq!(ws.list_versions().unwrap().len(), 1, "nothing was stored");
}
