//! End-to-end tests of `writ serve`, running the real binary on 127.0.0.1
//! port 0 over bundles exported from a sample workspace.

use crate::common;
use crate::common::{ok, s};
use crate::pdp::*;
use serde_json::{json, Value};

#[test]
fn served_decisions_equal_writ_replay_and_sigterm_flushes_the_log() {
    let ws = approved_and_exported();
    let server = serve_b1(
        ws.dir.path(),
        &["--trust-request-time", "--decision-log", "decisions.jsonl"],
    );
    let http = client();
    // What `writ replay --format jsonl` decides for v1 on the sample trace.
    let trace = common::root().join("scenarios/traces/recorded.jsonl");
    let replayed = ok(ws.by(
        "alice",
        &[
            "replay",
            "--project",
            &format!("@{}", ws.v1),
            "--traces",
            s(&trace),
            "--format",
            "jsonl",
        ],
    ));
    let expected: Vec<Value> = replayed
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect();
    let records = records();
    assert_eq!(expected.len(), 2400);
    let requests: Vec<Value> = records.iter().map(asserted_request_for).collect();
    let answers = decide_all(&http, &server.base, &requests, 400);
    for (i, (a, e)) in answers.iter().zip(&expected).enumerate() {
        let decision = e["decision"].as_str().unwrap();
        assert_eq!(
            a["decision"].as_str().unwrap().to_ascii_lowercase(),
            decision,
            "line {}: {a} vs {e}",
            i + 1
        );
        assert_eq!(a["diagnostics"]["reason"], e["reasons"], "line {}", i + 1);
        assert_eq!(a["verdict"], e["verdict"], "line {}", i + 1);
    }
    // A few single requests too.
    for i in [0, 17, 999, 2399] {
        let (status, a) = post(
            &http,
            &format!("{}/v1/is_authorized", server.base),
            &requests[i],
        );
        assert_eq!(status, 200);
        assert_eq!(a["diagnostics"]["reason"], expected[i]["reasons"]);
    }
    // Health, bundle, metrics.
    let get = |p: &str| {
        let mut r = http
            .get(&format!("{}{p}", server.base))
            .call()
            .expect("answers");
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().expect("body"),
        )
    };
    let (status, health) = get("/v1/health");
    assert_eq!(status, 200, "{health}");
    let (_, bundle) = get("/v1/bundle");
    let bundle: Value = serde_json::from_str(&bundle).unwrap();
    assert!(bundle["active"]["version"]
        .as_str()
        .unwrap()
        .starts_with(&ws.v1));
    assert_eq!(bundle["active"]["identity_map"], true);
    let (_, metrics) = get("/metrics");
    assert!(
        metrics.contains("writ_pdp_decisions_total{decision=\"allow\",verdict=\"allowed\"}"),
        "{metrics}"
    );
    // SIGTERM: exit 0, one log line per answered request.
    let (code, err) = server.terminate();
    assert_eq!(code, Some(0), "{err}");
    let log = std::fs::read_to_string(ws.path("decisions.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 2404, "{err}");
    assert!(err.contains("2404 decisions written"), "{err}");
}

#[test]
fn a_tampered_or_expired_bundle_does_not_start_and_exits_with_its_code() {
    let ws = approved_and_exported();
    common::copy_dir(&ws.path("b1"), &ws.path("bad"));
    let p = ws.path("bad/identities.json");
    let text = std::fs::read_to_string(&p).unwrap();
    // Point an identity at another agent: a privilege change by editing.
    std::fs::write(&p, text.replacen("support-bot\"", "deploy-agent\"", 1)).unwrap();
    let (code, err) = serve(
        ws.dir.path(),
        &[
            "--bundle",
            "bad",
            "--trust",
            "release.pub.pem",
            "--insecure-loopback",
        ],
    )
    .err()
    .expect("refuses");
    assert_eq!(code, Some(20), "{err}");
    assert!(err.contains("identities.json"), "{err}");
    // Expired: exported with a validity that has passed.
    ok(ws.by(
        "alice",
        &[
            "bundle",
            "export",
            &ws.v1,
            "--key",
            "release.pem",
            "--out",
            "old",
            "--created",
            "2020-01-01T00:00:00Z",
            "--expires-in",
            "1d",
        ],
    ));
    let (code, err) = serve(
        ws.dir.path(),
        &[
            "--bundle",
            "old",
            "--trust",
            "release.pub.pem",
            "--insecure-loopback",
        ],
    )
    .err()
    .expect("refuses");
    assert_eq!(code, Some(21), "{err}");
    // A .tar.gz serves too.
    ok(ws.by(
        "alice",
        &[
            "bundle",
            "export",
            &ws.v1,
            "--key",
            "release.pem",
            "--out",
            "b1.tar.gz",
            "--archive",
            "--expires-in",
            "30d",
        ],
    ));
    let server = serve(
        ws.dir.path(),
        &[
            "--bundle",
            "b1.tar.gz",
            "--trust",
            "release.pub.pem",
            "--insecure-loopback",
        ],
    )
    .unwrap_or_else(|(c, e)| panic!("{c:?}: {e}"));
    let (status, a) = post(
        &client(),
        &format!("{}/v1/is_authorized", server.base),
        &json!({"principal": "Agent::\"support-bot\"", "action": "read_ticket", "resource": "Ticket::\"T-1\"",
                "context": {"intent": "triage", "environment": "production", "risk_score": 3,
                            "credential_kind": "short_lived", "credential_ttl_secs": 900}}),
    );
    assert_eq!(status, 200, "{a}");
    assert!(a["decision"] == "Allow" || a["decision"] == "Deny", "{a}");
    let (code, err) = server.terminate();
    assert_eq!(code, Some(0), "{err}");
    // A bearer token file that is empty is refused before serving.
    std::fs::write(ws.path("token"), "\n").unwrap();
    let (code, err) = serve(
        ws.dir.path(),
        &[
            "--bundle",
            "b1",
            "--trust",
            "release.pub.pem",
            "--bearer-token-file",
            "token",
        ],
    )
    .err()
    .expect("refuses");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn with_approvers_only_a_bundle_approved_by_enough_of_them_serves() {
    let ws = approved_and_exported();
    let keys = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| format!("s.writ.keys/{n}.pub.pem"))
            .collect()
    };
    let start = |bundle: &str, approvers: &[&str], min: &str| {
        let mut args = vec![
            "--bundle",
            bundle,
            "--trust",
            "release.pub.pem",
            "--insecure-loopback",
            "--approvers",
        ];
        let k = keys(approvers);
        args.extend(k.iter().map(String::as_str));
        args.extend(["--min-approvals", min]);
        serve(ws.dir.path(), &args)
    };
    // v2 was approved by bob and carol; alice, its author, does not count.
    let server = start("b2", &["alice", "bob", "carol"], "2").expect("serves");
    let (code, _) = server.terminate();
    assert_eq!(code, Some(0));
    let (code, err) = start("b2", &["alice", "bob", "carol"], "3")
        .err()
        .expect("refuses");
    assert_eq!(code, Some(26), "{err}");
    assert!(
        err.contains("2 approval(s) by the given approver keys, 3 required"),
        "{err}"
    );
    // v1 was approved by bob alone; a server that does not trust bob refuses it.
    let (code, err) = start("b1", &["alice", "carol"], "1")
        .err()
        .expect("refuses");
    assert_eq!(code, Some(26), "{err}");
}
