//! Attacks on `writ serve` with the real binary on 127.0.0.1: rolling the
//! bundle back (live and at a restart), and naming an agent without
//! proving it in verified mode.

use crate::common;
use crate::common::{exits, ok, s};
use crate::pdp::*;
use serde_json::{json, Value};

/// The replayed decisions (`allow`/`deny`) of a version over the sample trace.
fn replayed(ws: &common::SampleWorkspace, v: &str) -> Vec<String> {
    let trace = common::root().join("scenarios/traces/recorded.jsonl");
    ok(ws.by(
        "alice",
        &[
            "replay",
            "--project",
            &format!("@{v}"),
            "--traces",
            s(&trace),
            "--format",
            "jsonl",
        ],
    ))
    .lines()
    .map(|l| {
        let v: Value = serde_json::from_str(l).expect("jsonl");
        v["decision"].as_str().expect("decision").to_string()
    })
    .collect()
}

#[test]
fn an_older_bundle_is_refused_live_and_at_restart_and_the_newer_keeps_deciding() {
    let ws = approved_and_exported();
    // b1 is v1 with sequence 1, b2 is v2 with sequence 2, both channel prod.
    let verify = |b: &str, extra: &[&str]| {
        let mut args = vec!["bundle", "verify", b, "--trust", "release.pub.pem"];
        args.extend_from_slice(extra);
        ws.by("alice", &args)
    };
    let out = ok(verify("b2", &["--channel", "prod", "--min-sequence", "2"]));
    assert!(out.contains("channel  prod sequence 2"), "{out}");
    let err = exits(
        verify("b1", &["--channel", "prod", "--min-sequence", "2"]),
        25,
    );
    assert!(err.contains("rollback"), "{err}");
    let err = exits(verify("b1", &["--channel", "staging"]), 24);
    assert!(err.contains("channel `prod`"), "{err}");

    // A request v2 decides differently from v1.
    let (d1, d2) = (replayed(&ws, &ws.v1), replayed(&ws, &ws.v2));
    let i = (0..d1.len())
        .find(|&i| d1[i] != d2[i])
        .expect("v2 changes a decision");
    let req = asserted_request_for(&records()[i]);

    common::copy_dir(&ws.path("b2"), &ws.path("live"));
    let args = [
        "--bundle",
        "live",
        "--trust",
        "release.pub.pem",
        "--trust-request-time",
        "--insecure-loopback",
        "--channel",
        "prod",
        "--state-dir",
        "state",
        "--watch-ms",
        "100",
    ];
    // An empty state folder needs --min-sequence or --accept-first.
    let (code, err) = serve(ws.dir.path(), &args).err().expect("refuses");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--min-sequence"), "{err}");
    let mut first = args.to_vec();
    first.push("--accept-first");
    let server = serve(ws.dir.path(), &first).unwrap_or_else(|(c, e)| panic!("{c:?}: {e}"));
    let http = client();
    let url = |p: &str| format!("{}{p}", server.base);
    let decide = || post(&http, &url("/v1/is_authorized"), &req).1;
    assert_eq!(decide()["decision"].as_str().unwrap().to_lowercase(), d2[i]);
    let bundle = |http: &ureq::Agent| -> Value {
        serde_json::from_str(&get(http, &url("/v1/bundle")).1).expect("json")
    };
    let b2_digest = bundle(&http)["active"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(bundle(&http)["active"]["sequence"], 2);
    let state: Value =
        serde_json::from_slice(&std::fs::read(ws.path("state/prod.state.json")).unwrap()).unwrap();
    assert_eq!(state["sequence"], 2);
    assert_eq!(state["digest"], b2_digest.as_str());

    // Copy the older, validly signed v1 over the live path.
    std::fs::remove_dir_all(ws.path("live")).unwrap();
    common::copy_dir(&ws.path("b1"), &ws.path("live"));
    assert!(
        wait_until(20, || !bundle(&http)["last_rejected"].is_null()),
        "the rollback was never noticed"
    );
    let view = bundle(&http);
    assert_eq!(view["active"]["digest"], b2_digest.as_str(), "{view}");
    assert_eq!(view["last_rejected"]["kind"], "rollback", "{view}");
    assert!(
        view["last_rejected"]["reason"]
            .as_str()
            .unwrap()
            .contains("sequence 1"),
        "{view}"
    );
    // v2 still decides.
    assert_eq!(decide()["decision"].as_str().unwrap().to_lowercase(), d2[i]);
    let (status, health) = get(&http, &url("/v1/health"));
    assert_eq!(status, 200, "{health}");
    let health: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["sequence"], 2, "{health}");
    assert_eq!(health["rejected_bundles"], 1, "{health}");
    assert!(
        health["seconds_until_expiry"].as_i64().unwrap() > 86_400,
        "{health}"
    );
    let (_, metrics) = get(&http, &url("/metrics"));
    for needle in [
        "writ_pdp_bundle_rejections_total{result=\"rollback\"} 1",
        "writ_pdp_bundle_sequence 2",
        "writ_pdp_bundle_expiry_seconds ",
    ] {
        assert!(metrics.contains(needle), "{needle} not in\n{metrics}");
    }
    let (code, err) = server.terminate();
    assert_eq!(code, Some(0), "{err}");

    // A restart on the old bundle is refused (exit 25), even with --accept-first.
    let (code, err) = serve(ws.dir.path(), &first).err().expect("refuses v1");
    assert_eq!(code, Some(25), "{err}");
    assert!(err.contains("rollback refused"), "{err}");
    // A bundle of another channel is refused (exit 24).
    ok(ws.by(
        "alice",
        &[
            "bundle",
            "export",
            &ws.v2,
            "--key",
            "release.pem",
            "--out",
            "stg",
            "--channel",
            "staging",
            "--expires-in",
            "30d",
        ],
    ));
    let mut other = first.clone();
    other[1] = "stg";
    let (code, err) = serve(ws.dir.path(), &other).err().expect("refuses staging");
    assert_eq!(code, Some(24), "{err}");
    // A bundle without expiry is refused unless allowed.
    ok(ws.by(
        "alice",
        &[
            "bundle",
            "export",
            &ws.v2,
            "--key",
            "release.pem",
            "--out",
            "forever",
        ],
    ));
    let mut forever = first.clone();
    forever[1] = "forever";
    let (code, err) = serve(ws.dir.path(), &forever)
        .err()
        .expect("refuses no expiry");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--allow-no-expiry"), "{err}");
    forever.push("--allow-no-expiry");
    let server = serve(ws.dir.path(), &forever).unwrap_or_else(|(c, e)| panic!("{c:?}: {e}"));
    let (status, health) = get(&http, &format!("{}/v1/health", server.base));
    assert_eq!(status, 200, "{health}");
    assert!(!health.contains("seconds_until_expiry"), "{health}");
    let (code, err) = server.terminate();
    assert_eq!(code, Some(0), "{err}");
    // The newest accepted sequence is on disk: prod went 1, 2, then 3 for
    // `forever` (the staging export counted in its own channel).
    let state: Value =
        serde_json::from_slice(&std::fs::read(ws.path("state/prod.state.json")).unwrap()).unwrap();
    assert_eq!(state["sequence"], 3, "{state}");
}

#[test]
fn verified_mode_decides_only_what_the_request_proves() {
    let ws = approved_and_exported();
    let mut tokens = Tokens::new(ws.dir.path());
    // An OIDC agent's action that v1 allows.
    let d1 = replayed(&ws, &ws.v1);
    let records = records();
    let i = (0..records.len())
        .find(|&i| d1[i] == "allow" && records[i]["agent"].as_str().unwrap().starts_with("oidc:"))
        .expect("an allowed oidc action");
    let rec = &records[i];
    let oidc = rec["agent"].as_str().unwrap().to_string();
    let identities: Value =
        serde_json::from_slice(&std::fs::read(ws.path("b1/identities.json")).unwrap()).unwrap();
    let id = identities[&oidc]
        .as_str()
        .expect("the agent's inventory id")
        .to_string();

    // --jwks: verified mode (the default with a JWKS).
    let server = serve(
        ws.dir.path(),
        &[
            "--bundle",
            "b1",
            "--trust",
            "release.pub.pem",
            "--trust-request-time",
            "--jwks",
            "jwks.json",
            "--audience",
            AUDIENCE,
        ],
    )
    .unwrap_or_else(|(c, e)| panic!("{c:?}: {e}"));
    let http = client();
    let url = format!("{}/v1/is_authorized", server.base);
    let with_token = request_for(rec, &mut tokens);
    let (status, a) = post(&http, &url, &with_token);
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["decision"], "Allow", "{a}");
    // The same agent named by inventory id, by uid, by its OIDC identity,
    // without a token or with an empty one: never that agent.
    let uid = format!("Agent::{}", Value::from(id.as_str()));
    for principal in [id.as_str(), uid.as_str(), oidc.as_str()] {
        for token in [None, Some(""), Some("  ")] {
            let mut req = with_token.clone();
            let o = req.as_object_mut().unwrap();
            o.remove("token");
            o.insert("principal".into(), Value::from(principal));
            if let Some(t) = token {
                o.insert("token".into(), Value::from(t));
            }
            let (status, a) = post(&http, &url, &req);
            assert_eq!(status, 200, "{principal} {token:?}: {a}");
            assert_eq!(a["decision"], "Deny", "{principal} {token:?}: {a}");
            assert!(
                a["denied_because"].as_str().unwrap().contains("verified"),
                "{a}"
            );
        }
    }
    // A principal with the token must name the token's agent.
    let mut req = with_token.clone();
    req["principal"] = Value::from(uid.as_str());
    assert_eq!(post(&http, &url, &req).1["decision"], "Allow");
    req["principal"] = json!("Agent::\"someone-else\"");
    let (_, a) = post(&http, &url, &req);
    assert_eq!(a["decision"], "Deny", "{a}");
    let (code, err) = server.terminate();
    assert_eq!(code, Some(0), "{err}");

    // Asserted mode refuses to start without caller authentication...
    let (code, err) = serve(
        ws.dir.path(),
        &["--bundle", "b1", "--trust", "release.pub.pem"],
    )
    .err()
    .expect("refuses");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("authenticate"), "{err}");
    // ...and with token keys.
    let (code, err) = serve(
        ws.dir.path(),
        &[
            "--bundle",
            "b1",
            "--trust",
            "release.pub.pem",
            "--identity-mode",
            "asserted",
            "--insecure-loopback",
            "--jwks",
            "jwks.json",
            "--audience",
            AUDIENCE,
        ],
    )
    .err()
    .expect("refuses");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("verified"), "{err}");
    // --insecure-loopback never listens beyond 127.0.0.1.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_writ"))
        .args([
            "serve",
            "--bundle",
            "b1",
            "--trust",
            "release.pub.pem",
            "--insecure-loopback",
            "--listen",
            "0.0.0.0:0",
        ])
        .current_dir(ws.dir.path())
        .env_remove("WRIT_WORKSPACE")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("127.0.0.1 only"), "{err}");
    // With a bearer token the gateway's principal is taken as sent.
    std::fs::write(ws.path("token"), "gateway-secret\n").unwrap();
    let server = serve(
        ws.dir.path(),
        &[
            "--bundle",
            "b1",
            "--trust",
            "release.pub.pem",
            "--trust-request-time",
            "--bearer-token-file",
            "token",
        ],
    )
    .unwrap_or_else(|(c, e)| panic!("{c:?}: {e}"));
    let mut r = http
        .post(&format!("{}/v1/is_authorized", server.base))
        .header("content-type", "application/json")
        .header("authorization", "Bearer gateway-secret")
        .send(asserted_request_for(rec).to_string())
        .expect("answers");
    let a: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(a["decision"], "Allow", "{a}");
    let (code, err) = server.terminate();
    assert_eq!(code, Some(0), "{err}");
}
