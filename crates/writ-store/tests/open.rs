//! Opening, creating, refusing and migrating workspace files.

use crate::common::*;
use writ_store::schema::{current_format, APPLICATION_ID};
use writ_store::{StoreError, Workspace};

#[test]
fn create_then_open() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, path) = new_workspace(dir.path());
    assert_eq!(ws.path(), path);
    assert_eq!(ws.format().unwrap(), current_format());
    ws.integrity_check().unwrap();
    drop(ws);
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.format().unwrap(), current_format());
    assert!(ws.list_versions().unwrap().is_empty());
    assert!(ws.list_trace_sets().unwrap().is_empty());
    assert!(ws.list_runs().unwrap().is_empty());
    assert!(ws.audit_events().unwrap().is_empty());
    assert_eq!(ws.verify_audit().unwrap(), None);
    let app: i64 = raw(&path)
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!(app, APPLICATION_ID);
}

#[test]
fn create_refuses_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("taken");
    std::fs::write(&path, b"keep me").unwrap();
    let err = Workspace::create(&path).unwrap_err();
    assert!(
        matches!(&err, StoreError::PathExists { path: p, .. } if p == &path),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
}

#[test]
fn open_or_create_creates_then_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.writ");
    let mut ws = Workspace::open_or_create(&path).unwrap();
    ws.commit_version(&project(&sample("v1")), "ana", "first")
        .unwrap();
    drop(ws);
    let ws = Workspace::open_or_create(&path).unwrap();
    assert_eq!(ws.list_versions().unwrap().len(), 1);
}

#[test]
fn open_missing_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.writ");
    let err = Workspace::open(&path).unwrap_err();
    assert!(
        matches!(&err, StoreError::Missing { path: p } if *p == path),
        "{err:?}"
    );
    assert!(!path.exists(), "open must not create the file");
}

/// Opens `path`, expecting a refusal, and checks the file was not touched.
fn refused_untouched(path: &std::path::Path) -> StoreError {
    let before = std::fs::read(path).unwrap();
    let err = Workspace::open(path).unwrap_err();
    assert!(
        std::fs::read(path).unwrap() == before,
        "the refused file changed"
    );
    assert!(
        sidecars(path).is_empty(),
        "left {:?} beside the file",
        sidecars(path)
    );
    err
}

#[test]
fn a_text_file_is_not_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "shopping list\n".repeat(500)).unwrap();
    let err = refused_untouched(&path);
    assert!(
        matches!(&err, StoreError::NotAWorkspace { path: p } if *p == path),
        "{err:?}"
    );
    assert!(err.to_string().contains("not a Writ workspace"), "{err}");
}

#[test]
fn an_empty_file_is_not_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty");
    std::fs::write(&path, b"").unwrap();
    let err = refused_untouched(&path);
    assert!(matches!(err, StoreError::NotAWorkspace { .. }), "{err:?}");
}

#[test]
fn another_applications_database_is_not_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE contacts (name TEXT, phone TEXT);
             INSERT INTO contacts VALUES ('ana', '555');",
        )
        .unwrap();
        let app: i64 = c
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(app, 0);
    }
    let err = refused_untouched(&path);
    assert!(matches!(err, StoreError::NotAWorkspace { .. }), "{err:?}");
    // Still the other application's data.
    let n: i64 = raw(&path)
        .query_row("SELECT COUNT(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_foreign_wal_database_with_pending_frames_is_left_untouched() {
    // Another application's WAL database, copied while it had frames not
    // yet checkpointed (as after a crash): the main file and the -wal file
    // must both be left as they were.
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let c = rusqlite::Connection::open(&live).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);")
        .unwrap();
    let copy = dir.path().join("copy.db");
    let copy_wal = dir.path().join("copy.db-wal");
    std::fs::copy(&live, &copy).unwrap();
    std::fs::copy(dir.path().join("live.db-wal"), &copy_wal).unwrap();
    drop(c);
    let db_before = std::fs::read(&copy).unwrap();
    let wal_before = std::fs::read(&copy_wal).unwrap();
    assert!(!wal_before.is_empty());
    let err = Workspace::open(&copy).unwrap_err();
    assert!(matches!(err, StoreError::NotAWorkspace { .. }), "{err:?}");
    assert!(
        std::fs::read(&copy).unwrap() == db_before,
        "main file changed"
    );
    assert!(copy_wal.exists(), "the -wal file was removed");
    assert!(
        std::fs::read(&copy_wal).unwrap() == wal_before,
        "-wal file changed"
    );
}

#[test]
fn a_newer_workspace_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, path) = new_workspace(dir.path());
    drop(ws);
    raw(&path)
        .pragma_update(None, "user_version", current_format() + 1)
        .unwrap();
    let err = refused_untouched(&path);
    match err {
        StoreError::TooNew { found, known, .. } => {
            assert_eq!(found, current_format() + 1);
            assert_eq!(known, current_format());
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    let v: i64 = raw(&path)
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, current_format() + 1, "the format must not be rewritten");
}

/// A workspace big enough to have many pages, closed.
fn big_workspace(dir: &std::path::Path) -> std::path::PathBuf {
    let (mut ws, path) = new_workspace(dir);
    ws.import_traces(&recorded(), None, "ana", &quiet).unwrap();
    drop(ws);
    assert!(
        sidecars(&path).is_empty(),
        "closing should checkpoint the WAL"
    );
    path
}

#[test]
fn corrupted_pages_give_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = big_workspace(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    assert!(
        len > 64 * 4096,
        "want a file with many pages, got {len} bytes"
    );
    // Garbage over several whole pages in the middle of the file.
    let start = (len / 2) / 4096 * 4096;
    for (i, b) in bytes[start..start + 8 * 4096].iter_mut().enumerate() {
        *b = (i * 7 + 13) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = refused_untouched(&path);
    assert!(
        matches!(
            err,
            StoreError::Corrupt { .. } | StoreError::NotAWorkspace { .. }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_corrupted_header_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = big_workspace(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..100].fill(0x5a);
    std::fs::write(&path, &bytes).unwrap();
    let err = refused_untouched(&path);
    assert!(
        matches!(
            err,
            StoreError::Corrupt { .. } | StoreError::NotAWorkspace { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn a_truncated_workspace_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = big_workspace(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let err = refused_untouched(&path);
    assert!(
        matches!(
            err,
            StoreError::Corrupt { .. } | StoreError::NotAWorkspace { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn a_format_0_file_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.writ");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 0);
    }
    let mut ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.format().unwrap(), current_format());
    // The migrated schema works.
    let c = ws
        .commit_version(&project(&sample("v1")), "ana", "first")
        .unwrap();
    assert_eq!(ws.list_versions().unwrap()[0].id, c.id());
    drop(ws);
    let v: i64 = raw(&path)
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, current_format());
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.list_versions().unwrap().len(), 1);
    assert_eq!(ws.verify_audit().unwrap(), None);
}

#[test]
fn two_handles_share_one_file_and_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, path) = new_workspace(dir.path());
    let mut b = Workspace::open(&path).unwrap();
    let v1 = a
        .commit_version(&project(&sample("v1")), "ana", "v1")
        .unwrap();
    assert_eq!(b.resolve_version(v1.id()).unwrap(), v1.id());
    let v2 = b
        .commit_version(&project(&sample("v2")), "bo", "v2")
        .unwrap();
    assert_eq!(a.version(v2.id()).unwrap().parent.as_deref(), Some(v1.id()));
    let ids: Vec<i64> = a.audit_events().unwrap().iter().map(|e| e.id).collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(a.verify_audit().unwrap(), None);
    assert_eq!(b.verify_audit().unwrap(), None);
}

#[test]
fn a_workspace_with_pending_wal_frames_opens_with_them() {
    // A copy taken while another process had the workspace open: the
    // committed frames still in the -wal file are part of the workspace.
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, path) = new_workspace(dir.path());
    let v1 = ws
        .commit_version(&project(&sample("v1")), "ana", "v1")
        .unwrap();
    let copy = dir.path().join("copy.writ");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::copy(
        dir.path().join("ws.writ-wal"),
        dir.path().join("copy.writ-wal"),
    )
    .unwrap();
    drop(ws);
    let ws = Workspace::open(&copy).unwrap();
    assert_eq!(ws.resolve_version(v1.id()).unwrap(), v1.id());
    assert_eq!(ws.verify_audit().unwrap(), None);
    drop(ws);
    // Closing our own workspace checkpoints as usual.
    assert!(sidecars(&copy).is_empty(), "{:?}", sidecars(&copy));
    let ws = Workspace::open(&copy).unwrap();
    assert_eq!(ws.list_versions().unwrap().len(), 1);
}

#[test]
fn a_folder_is_refused_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let err = Workspace::open(dir.path()).unwrap_err();
    assert!(!matches!(err, StoreError::Missing { .. }), "{err:?}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing created"
    );
}
