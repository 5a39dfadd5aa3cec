//! The audit trail survives deletion: a signed checkpoint (`writ audit
//! checkpoint`) or an exported bundle (its signed manifest records the
//! trail before its export) shows a trail that was truncated (the newest
//! events deleted and the stored head moved back) or wiped, which the hash
//! chain alone cannot; an empty trail in a workspace holding versions is an
//! error on its own.

use crate::common;
use crate::common::{fails, ok};
use crate::pdp::approved_and_exported;

fn sql(ws: &common::SampleWorkspace, statements: &str) {
    rusqlite::Connection::open(&ws.file)
        .expect("open the workspace file")
        .execute_batch(statements)
        .expect("tamper");
}

/// Deletes the newest `n` events and moves the stored head onto the newest
/// remaining one: the chain alone still looks intact.
const TRUNCATE: &str =
    "DELETE FROM audit_events WHERE id > (SELECT MAX(id) FROM audit_events) - {n};
     UPDATE meta SET value = (SELECT id || ':' || hash FROM audit_events ORDER BY id DESC LIMIT 1)
     WHERE key = 'audit_head';";

const WIPE: &str = "DELETE FROM audit_events; DELETE FROM meta WHERE key = 'audit_head';";

fn newest(ws: &common::SampleWorkspace) -> i64 {
    rusqlite::Connection::open(&ws.file)
        .expect("open")
        .query_row("SELECT MAX(id) FROM audit_events", [], |r| r.get(0))
        .expect("max")
}

#[test]
fn a_checkpoint_catches_a_truncated_trail_with_a_moved_head() {
    let ws = approved_and_exported();
    let out = ok(ws.by(
        "alice",
        &[
            "audit",
            "checkpoint",
            "--key",
            "release.pem",
            "--out",
            "cp.json",
        ],
    ));
    let count = newest(&ws);
    assert!(out.contains(&format!("{count} event(s)")), "{out}");
    let with_cp = ["audit", "verify", "--checkpoint", "cp.json"];
    assert!(ok(ws.by("alice", &with_cp)).contains(&format!("holds event {count}")));
    sql(&ws, &TRUNCATE.replace("{n}", "1"));
    // The defect: the chain alone still verifies.
    ok(ws.by("alice", &["audit", "verify"]));
    let (_, err) = fails(ws.by("alice", &with_cp));
    assert!(err.contains(&format!("broken at event {count}")), "{err}");
    assert!(err.contains("truncated"), "{err}");
    // An independent key given with --trust gives the same verdict.
    let (_, err) = fails(ws.by(
        "alice",
        &[
            "audit",
            "verify",
            "--checkpoint",
            "cp.json",
            "--trust",
            "release.pub.pem",
        ],
    ));
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn a_wiped_trail_is_an_error_and_a_checkpoint_or_bundle_says_so() {
    let ws = approved_and_exported();
    ok(ws.by(
        "alice",
        &[
            "audit",
            "checkpoint",
            "--key",
            "release.pem",
            "--out",
            "cp.json",
        ],
    ));
    // Bundles keep their signing key registered after the wipe (keys are
    // not events), so `--bundle` works from the workspace's keys.
    ok(ws.by("alice", &["audit", "verify", "--bundle", "b2"]));
    sql(&ws, WIPE);
    let (_, err) = fails(ws.by("alice", &["audit", "verify"]));
    assert!(
        err.contains("empty but the workspace holds 2 version(s)"),
        "{err}"
    );
    let (_, err) = fails(ws.by("alice", &["audit", "verify", "--checkpoint", "cp.json"]));
    assert!(err.contains("broken at event 1"), "{err}");
    let (_, err) = fails(ws.by(
        "alice",
        &[
            "audit",
            "verify",
            "--bundle",
            "b1",
            "--trust",
            "release.pub.pem",
        ],
    ));
    assert!(err.contains("broken"), "{err}");
}

#[test]
fn a_bundle_catches_the_trail_truncated_back_past_its_export() {
    let ws = approved_and_exported();
    // b2 was exported last: it records the trail before its export event.
    let out = ok(ws.by("alice", &["audit", "verify", "--bundle", "b2"]));
    let count = newest(&ws);
    assert!(out.contains(&format!("holds event {}", count - 1)), "{out}");
    // Deleting only the export event itself leaves what b2 records intact.
    sql(&ws, &TRUNCATE.replace("{n}", "1"));
    ok(ws.by("alice", &["audit", "verify", "--bundle", "b2"]));
    // One more, and the trail no longer holds b2's event.
    sql(&ws, &TRUNCATE.replace("{n}", "1"));
    ok(ws.by("alice", &["audit", "verify"]));
    let (_, err) = fails(ws.by("alice", &["audit", "verify", "--bundle", "b2"]));
    assert!(err.contains("truncated"), "{err}");
    assert!(err.contains("bundle b2"), "{err}");
    // A checkpoint signed by a key the verifier does not trust is refused.
    let other = common::SampleWorkspace::sample();
    ok(other.by("alice", &["key", "generate", "--out", "other"]));
    std::fs::copy(other.path("other.pub.pem"), ws.path("other.pub.pem")).expect("copy");
    let (_, err) = fails(ws.by(
        "alice",
        &[
            "audit",
            "verify",
            "--bundle",
            "b1",
            "--trust",
            "other.pub.pem",
        ],
    ));
    assert!(err.contains("does not verify"), "{err}");
}
