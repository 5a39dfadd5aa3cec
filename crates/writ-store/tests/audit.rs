//! The hash-chained audit trail, and tampering behind the store's back.

use crate::common::*;
use std::path::{Path, PathBuf};
use writ_store::audit::{event_hash, GENESIS};
use writ_store::Workspace;

/// A closed workspace with four events: commit v1, import, commit v2, run.
fn trail(dir: &Path) -> PathBuf {
    let (mut ws, path) = new_workspace(dir);
    let v1 = ws
        .commit_version(&project(&sample("v1")), "ana", "v1")
        .unwrap();
    let trace = head_of_recorded(&dir.join("small.jsonl"), 60);
    let set = ws.import_traces(&trace, None, "bo", &quiet).unwrap().set;
    ws.commit_version(&project(&sample("v2")), "ana", "v2")
        .unwrap();
    ws.store_run(v1.id(), &set.name, "cy", &quiet).unwrap();
    drop(ws);
    path
}

fn tamper(path: &Path, sql: &str) {
    let c = raw(path);
    let changed = c.execute_batch(sql);
    changed.unwrap();
}

fn verify(path: &Path) -> Option<writ_store::audit::ChainBreak> {
    Workspace::open(path).unwrap().verify_audit().unwrap()
}

#[test]
fn every_change_appends_a_chained_event() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let v1 = ws
        .commit_version(&project(&sample("v1")), "ana", "commit v1")
        .unwrap();
    let set = ws
        .import_traces(&recorded(), Some("week"), "bo", &quiet)
        .unwrap()
        .set;
    let run = ws.store_run(v1.id(), "week", "cy", &quiet).unwrap();
    let events = ws.audit_events().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["version.commit", "traces.import", "run.store"]);
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids, [1, 2, 3]);
    let actors: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(actors, ["ana", "bo", "cy"]);
    // The chain: each event's prev_hash is the hash before it, and each
    // hash covers the event as stored.
    let mut prev = GENESIS.to_string();
    for e in &events {
        assert_eq!(e.prev_hash, prev, "event {}", e.id);
        assert_eq!(
            e.hash,
            event_hash(e.id, &e.ts, &e.actor, &e.kind, &e.details, &e.prev_hash)
        );
        prev = e.hash.clone();
    }
    // Details name what changed.
    let details: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::from_str(&e.details).unwrap())
        .collect();
    assert_eq!(details[0]["version"], v1.id());
    assert_eq!(details[0]["message"], "commit v1");
    assert_eq!(details[1]["set"], set.id);
    assert_eq!(details[1]["actions"], 2400);
    assert_eq!(details[2]["run"], run.id);
    assert_eq!(details[2]["version"], v1.id());
    assert_eq!(details[2]["actions"], 2400);
    assert_eq!(ws.verify_audit().unwrap(), None);
    drop(ws);
    assert_eq!(verify(&dir.path().join("ws.writ")), None);
}

#[test]
fn the_fixture_trail_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let ws = Workspace::open(&path).unwrap();
    let kinds: Vec<String> = ws
        .audit_events()
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "version.commit",
            "traces.import",
            "version.commit",
            "run.store"
        ]
    );
    assert_eq!(ws.verify_audit().unwrap(), None);
}

#[test]
fn an_edited_event_breaks_at_that_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    tamper(
        &path,
        r#"UPDATE audit_events SET details = replace(details, '"bo"', '"mallory"') WHERE id = 2;
           UPDATE audit_events SET actor = 'mallory' WHERE id = 2;"#,
    );
    let b = verify(&path).expect("a break");
    assert_eq!(b.event, 2, "{b:?}");
    assert!(b.reason.contains("edited"), "{b:?}");
}

#[test]
fn an_edited_details_field_alone_breaks_at_that_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    tamper(
        &path,
        r#"UPDATE audit_events SET details = '{"set":1,"actions":0}' WHERE id = 2;"#,
    );
    assert_eq!(verify(&path).expect("a break").event, 2);
}

#[test]
fn an_edited_event_with_a_recomputed_hash_breaks_at_the_next() {
    // Editing event 2 and fixing its own hash: event 3 no longer follows it.
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let c = raw(&path);
    let (ts, actor, kind, prev): (String, String, String, String) = c
        .query_row(
            "SELECT ts, actor, kind, prev_hash FROM audit_events WHERE id = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let details = r#"{"forged":true}"#;
    let hash = event_hash(2, &ts, &actor, &kind, details, &prev);
    c.execute(
        "UPDATE audit_events SET details = ?1, hash = ?2 WHERE id = 2",
        rusqlite::params![details, hash],
    )
    .unwrap();
    drop(c);
    let b = verify(&path).expect("a break");
    assert_eq!(b.event, 3, "{b:?}");
}

#[test]
fn deleted_events_break_the_trail_where_they_are_missing() {
    // (what was done, the SQL doing it, the first broken event, a word of
    // the reason). Ids are sequence numbers: with event 2 gone the trail
    // goes 1, 3, ... and the gap is found before event 3's prev_hash;
    // renumbering 3 -> 2 and 4 -> 3 to hide the gap leaves an event 2 that
    // does not follow event 1; a deleted newest event, or every event, is
    // found against the recorded head.
    let cases: [(&str, &str, i64, &str); 4] = [
        (
            "event 2 deleted",
            "DELETE FROM audit_events WHERE id = 2;",
            2,
            "missing",
        ),
        (
            "event 2 deleted and the rest renumbered",
            "DELETE FROM audit_events WHERE id = 2;
             UPDATE audit_events SET id = id - 1 WHERE id > 2;",
            2,
            "",
        ),
        (
            "the newest event deleted",
            "DELETE FROM audit_events WHERE id = 4;",
            4,
            "newest",
        ),
        ("every event deleted", "DELETE FROM audit_events;", 4, ""),
    ];
    for (what, sql, event, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = trail(dir.path());
        tamper(&path, sql);
        let b = verify(&path).unwrap_or_else(|| panic!("{what}: no break found"));
        assert_eq!(b.event, event, "{what}: {b:?}");
        assert!(b.reason.contains(reason), "{what}: {b:?}");
    }
}

#[test]
fn reordered_events_break_at_the_first_moved() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    tamper(
        &path,
        "CREATE TEMP TABLE saved AS SELECT * FROM audit_events WHERE id IN (2, 3);
         UPDATE audit_events SET
            ts = (SELECT ts FROM saved WHERE id = 5 - audit_events.id),
            actor = (SELECT actor FROM saved WHERE id = 5 - audit_events.id),
            kind = (SELECT kind FROM saved WHERE id = 5 - audit_events.id),
            details = (SELECT details FROM saved WHERE id = 5 - audit_events.id),
            prev_hash = (SELECT prev_hash FROM saved WHERE id = 5 - audit_events.id),
            hash = (SELECT hash FROM saved WHERE id = 5 - audit_events.id)
         WHERE id IN (2, 3);",
    );
    let ws = Workspace::open(&path).unwrap();
    let kinds: Vec<String> = ws
        .audit_events()
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "version.commit",
            "version.commit",
            "traces.import",
            "run.store"
        ],
        "the swap happened"
    );
    let b = ws.verify_audit().unwrap().expect("a break");
    assert_eq!(b.event, 2, "{b:?}");
}

#[test]
fn a_deleted_newest_event_stays_noticed_after_more_changes() {
    // The next change must not paper over the gap by reusing the deleted
    // event's id and chaining onto the event before it.
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    tamper(&path, "DELETE FROM audit_events WHERE id = 4;");
    let mut ws = Workspace::open(&path).unwrap();
    let trace = head_of_recorded(&dir.path().join("more.jsonl"), 5);
    ws.import_traces(&trace, None, "ana", &quiet).unwrap();
    let ids: Vec<i64> = ws.audit_events().unwrap().iter().map(|e| e.id).collect();
    assert_eq!(ids, [1, 2, 3, 5]);
    let b = ws.verify_audit().unwrap().expect("a break");
    assert_eq!(b.event, 4, "{b:?}");
}

#[test]
fn deleting_all_events_stays_noticed_after_more_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    tamper(&path, "DELETE FROM audit_events;");
    let mut ws = Workspace::open(&path).unwrap();
    let trace = head_of_recorded(&dir.path().join("more.jsonl"), 5);
    ws.import_traces(&trace, None, "ana", &quiet).unwrap();
    let b = ws.verify_audit().unwrap().expect("a break");
    assert_eq!(b.event, 1, "{b:?}");
}

#[test]
fn tampering_while_the_workspace_is_open_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.verify_audit().unwrap(), None);
    tamper(
        &path,
        "UPDATE audit_events SET ts = '2000-01-01T00:00:00Z' WHERE id = 3;",
    );
    assert_eq!(ws.verify_audit().unwrap().expect("a break").event, 3);
}

#[test]
fn a_recorded_head_catches_truncation_with_a_moved_head_and_a_wipe() {
    let dir = tempfile::tempdir().unwrap();
    let path = trail(dir.path());
    let mark = Workspace::open(&path).unwrap().audit_head().unwrap();
    assert_eq!(mark.count, 4);
    // The newest event deleted and the stored head moved back onto event 3:
    // the chain alone cannot tell.
    tamper(
        &path,
        "DELETE FROM audit_events WHERE id = 4;
         UPDATE meta SET value = (SELECT id || ':' || hash FROM audit_events WHERE id = 3)
         WHERE key = 'audit_head';",
    );
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.verify_audit().unwrap(), None);
    let b = ws
        .verify_audit_against(&mark, "the checkpoint")
        .unwrap()
        .expect("a break");
    assert_eq!(b.event, 4, "{b:?}");
    assert!(
        b.reason.contains("truncated") && b.reason.contains("the checkpoint"),
        "{b:?}"
    );
    drop(ws);
    // Everything wiped, head included: an empty trail beside versions.
    tamper(
        &path,
        "DELETE FROM audit_events; DELETE FROM meta WHERE key = 'audit_head';",
    );
    let ws = Workspace::open(&path).unwrap();
    let b = ws.verify_audit().unwrap().expect("a break");
    assert!(
        b.reason
            .contains("empty but the workspace holds 2 version(s)"),
        "{b:?}"
    );
    assert!(ws.verify_audit_against(&mark, "x").unwrap().is_some());
}

#[test]
fn a_fresh_workspace_has_an_empty_head_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = new_workspace(dir.path());
    let head = ws.audit_head().unwrap();
    assert_eq!((head.head.as_str(), head.count), (GENESIS, 0));
    assert_eq!(ws.verify_audit().unwrap(), None);
    assert_eq!(ws.verify_audit_against(&head, "x").unwrap(), None);
}
