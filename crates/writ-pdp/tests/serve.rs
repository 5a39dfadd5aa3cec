//! The decision point against a real server on 127.0.0.1 (port 0): every
//! sample action decided as `writ replay` decides it, refusing bad bundles,
//! hot swap, expiry, limits, metrics and graceful shutdown with the log.

use crate::common::*;
use serde_json::{json, Value};
use std::time::Duration;
use time::OffsetDateTime;
use writ_pdp::identity::IdentityConfig;
use writ_pdp::log_writer::LogConfig;

fn with_tokens(cfg: &mut writ_pdp::ServerConfig, dir: &std::path::Path) -> Tokens {
    let tokens = Tokens::new(dir);
    cfg.identity = IdentityConfig::from_jwks_file(
        &tokens.jwks,
        vec![AUDIENCE.into()],
        Some("https://login.acme.example".into()),
    )
    .expect("jwks loads");
    let path = tokens.spiffe_bundle.clone();
    let bundle = writ_pdp::identity::read_spiffe_bundle(&path).expect("spiffe bundle");
    cfg.identity = cfg
        .identity
        .clone()
        .with_spiffe_bundle(&path, &bundle, vec![AUDIENCE.into()])
        .expect("svid keys load");
    tokens
}

fn answer(v: &Value) -> (String, Vec<String>, String) {
    (
        v["decision"].as_str().expect("decision").to_string(),
        v["diagnostics"]["reason"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| r.as_str().expect("id").to_string())
            .collect(),
        v["verdict"].as_str().expect("verdict").to_string(),
    )
}

#[test]
fn every_sample_action_gets_replays_decision_one_by_one_and_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("v1");
    fresh_bundle("v1", &b);
    let mut cfg = config(&b);
    cfg.trust_request_time = true;
    let mut tokens = with_tokens(&mut cfg, dir.path());
    let server = start(cfg).expect("starts");
    let http = client();
    let expected = replayed("v1");
    let records = records();
    assert_eq!(records.len(), 2400);
    assert_eq!(expected.len(), records.len());
    let requests: Vec<Value> = records
        .iter()
        .map(|r| request_for(r, &mut tokens))
        .collect();
    let mut allowed = 0;
    for (i, req) in requests.iter().enumerate() {
        let (status, v) = post(&http, &server.url("/v1/is_authorized"), req);
        assert_eq!(status, 200, "line {}: {v}", i + 1);
        assert!(v.get("denied_because").is_none(), "line {}: {v}", i + 1);
        assert_eq!(answer(&v), expected[i], "line {}: {req}", i + 1);
        assert_eq!(v["decision_id"].as_str().unwrap().len(), 32);
        allowed += usize::from(expected[i].0 == "Allow");
    }
    // Both outcomes occur, so the comparison means something.
    assert!(allowed > 100 && allowed < 2300, "{allowed} allowed");
    // The batch endpoint, 500 at a time.
    let mut i = 0;
    for chunk in requests.chunks(500) {
        let (status, v) = post(
            &http,
            &server.url("/v1/is_authorized/batch"),
            &json!({ "requests": chunk }),
        );
        assert_eq!(status, 200, "{v}");
        let responses = v["responses"].as_array().expect("responses");
        assert_eq!(responses.len(), chunk.len());
        for r in responses {
            assert_eq!(answer(r), expected[i], "batch line {}", i + 1);
            i += 1;
        }
    }
    assert_eq!(i, 2400);
    // Without --trust-request-time the request's time is ignored (the
    // server's clock decides) but the answer still comes.
    server.stop().expect("stops");
}

#[test]
fn a_tampered_or_expired_bundle_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    fresh_bundle("v1", &good);
    // Tampered: one byte of the policies changed.
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    for e in std::fs::read_dir(&good).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), bad.join(e.file_name())).unwrap();
    }
    let p = bad.join("policies.cedar");
    let mut bytes = std::fs::read(&p).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&p, bytes).unwrap();
    let err = start(config(&bad)).expect_err("refuses");
    assert_eq!(err.exit_code(), 20, "{err}");
    assert!(err.to_string().contains("policies.cedar"), "{err}");
    // Expired.
    let old = dir.path().join("old");
    let now = OffsetDateTime::now_utc();
    write_bundle(
        "v1",
        &old,
        now - time::Duration::days(10),
        Some(now - time::Duration::days(1)),
    );
    let err = start(config(&old)).expect_err("refuses");
    assert_eq!(err.exit_code(), 21, "{err}");
    // Signed by a key that is not trusted.
    let mut cfg = config(&good);
    cfg.trusted = vec![writ_bundle::bundle::TrustedKey::new(
        ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key(),
    )];
    assert_eq!(start(cfg).expect_err("refuses").exit_code(), 17);
    // Missing.
    let err = start(config(&dir.path().join("none"))).expect_err("refuses");
    assert_eq!(err.exit_code(), 10, "{err}");
    // The good one starts.
    start(config(&good)).expect("starts").stop().expect("stops");
}

/// The index of a sample action v1 and v2 decide differently.
fn changed_action() -> (Value, String, String) {
    let v1 = replayed("v1");
    let v2 = replayed("v2");
    let records = records();
    let i = (0..records.len())
        .find(|&i| {
            v1[i].0 != v2[i].0 && !records[i]["agent"].as_str().unwrap().starts_with("oidc:")
        })
        .expect("v2 changes some decision");
    (records[i].clone(), v1[i].0.clone(), v2[i].0.clone())
}

#[test]
fn a_new_bundle_is_swapped_in_and_a_tampered_one_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    fresh_bundle("v1", &live);
    let mut cfg = config(&live);
    cfg.trust_request_time = true;
    let mut tokens = with_tokens(&mut cfg, dir.path());
    let server = start(cfg).expect("starts");
    let http = client();
    let (rec, d1, d2) = changed_action();
    let req = request_for(&rec, &mut tokens);
    let decide = || post(&http, &server.url("/v1/is_authorized"), &req).1;
    assert_eq!(decide()["decision"], d1.as_str());
    let info = |http: &ureq::Agent| -> Value {
        serde_json::from_str(&get(http, &server.url("/v1/bundle")).1).unwrap()
    };
    let v1_digest = info(&http)["active"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(info(&http)["active"]["version"]
        .as_str()
        .unwrap()
        .starts_with("v1"));

    // Swap to v2: the new folder is renamed into place.
    let staged = dir.path().join("staged");
    fresh_bundle("v2", &staged);
    std::fs::remove_dir_all(&live).unwrap();
    std::fs::rename(&staged, &live).unwrap();
    assert!(
        wait_until(10, || info(&http)["active"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("v2"))),
        "v2 was not swapped in: {}",
        info(&http)
    );
    assert_eq!(decide()["decision"], d2.as_str());
    assert_ne!(info(&http)["active"]["digest"].as_str().unwrap(), v1_digest);

    // A tampered new bundle (v1 with a changed entity) is rejected; v2 keeps serving.
    let staged = dir.path().join("staged2");
    fresh_bundle("v1", &staged);
    let p = staged.join("entities.json");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replacen("\"critical\"", "\"low\"", 1)).unwrap();
    std::fs::remove_dir_all(&live).unwrap();
    std::fs::rename(&staged, &live).unwrap();
    assert!(
        wait_until(10, || !info(&http)["last_rejected"].is_null()),
        "the tampered bundle was not rejected: {}",
        info(&http)
    );
    let view = info(&http);
    assert!(
        view["active"]["version"]
            .as_str()
            .unwrap()
            .starts_with("v2"),
        "{view}"
    );
    let reason = view["last_rejected"]["reason"].as_str().unwrap();
    assert!(reason.contains("entities.json"), "{reason}");
    assert_eq!(decide()["decision"], d2.as_str());
    let metrics = get(&http, &server.url("/metrics")).1;
    assert!(
        metrics.contains("writ_pdp_bundle_reloads_total{result=\"rejected\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("writ_pdp_bundle_reloads_total{result=\"ok\"} 1"),
        "{metrics}"
    );
    server.stop().expect("stops");
}

#[test]
fn a_bundle_that_expires_while_serving_denies_everything() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    // Everything slow (replay, tokens) before the bundle's clock starts.
    let expected = replayed("v1");
    let records = records();
    let i = expected.iter().position(|e| e.0 == "Allow").unwrap();
    let jwks_dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let expires = now + time::Duration::seconds(6);
    write_bundle("v1", &b, now - time::Duration::minutes(1), Some(expires));
    let mut cfg = config(&b);
    cfg.trust_request_time = true;
    let mut tokens = with_tokens(&mut cfg, jwks_dir.path());
    let req = request_for(&records[i], &mut tokens);
    let server = start(cfg).expect("starts");
    let http = client();
    let (_, v) = post(&http, &server.url("/v1/is_authorized"), &req);
    assert_eq!(v["decision"], "Allow", "{v}");
    assert_eq!(get(&http, &server.url("/v1/health")).0, 200);
    let left = expires - OffsetDateTime::now_utc() + time::Duration::milliseconds(300);
    std::thread::sleep(Duration::from_millis(
        left.whole_milliseconds().max(0) as u64
    ));
    let (status, v) = post(&http, &server.url("/v1/is_authorized"), &req);
    assert_eq!(status, 200);
    assert_eq!(v["decision"], "Deny", "{v}");
    assert_eq!(v["verdict"], "denied_before_policies");
    assert!(
        v["denied_because"].as_str().unwrap().contains("expired"),
        "{v}"
    );
    let (status, health) = get(&http, &server.url("/v1/health"));
    assert_eq!(status, 503, "{health}");
    assert!(health.contains("expired"), "{health}");
    server.stop().expect("stops");
}

#[test]
fn limits_bad_requests_and_the_bearer_token_all_deny() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    fresh_bundle("v1", &b);
    let mut cfg = config(&b);
    cfg.bearer_token = Some("s3cret".into());
    cfg.max_body_bytes = 4096;
    cfg.max_batch = 3;
    cfg.request_timeout = Duration::from_millis(500);
    let server = start(cfg).expect("starts");
    let http = client();
    let url = server.url("/v1/is_authorized");
    let ok_req = json!({
        "principal": "spiffe://acme.example/agents/support-bot",
        "action": "Action::\"read_ticket\"",
        "resource": "Ticket::\"T-1\"",
        "context": {"intent": "triage", "environment": "production", "risk_score": 3,
                     "credential_kind": "short_lived", "credential_ttl_secs": 900}
    });
    let body = ok_req.to_string();
    // Missing and wrong bearer token.
    for bearer in [None, Some("wrong"), Some("s3cre")] {
        let (status, v) = post_raw(&http, &url, &body, bearer);
        assert_eq!(status, 401, "{bearer:?}: {v}");
        assert_eq!(v["decision"], "Deny");
        assert!(
            v["denied_because"].as_str().unwrap().contains("bearer"),
            "{v}"
        );
    }
    // The right one.
    let (status, v) = post_raw(&http, &url, &body, Some("s3cret"));
    assert_eq!(status, 200, "{v}");
    assert!(v["decision"] == "Allow" || v["decision"] == "Deny");
    assert!(v.get("denied_because").is_none(), "{v}");
    // Bad JSON, a missing action, a bad resource.
    for (text, words) in [
        ("{\"principal\": ", "not a decision request"),
        ("[1,2]", "not a decision request"),
        ("{\"principal\":\"Agent::\\\"x\\\"\"}", "action"),
        (
            "{\"principal\":\"Agent::\\\"x\\\"\",\"action\":\"read_ticket\",\"resource\":\"T-1\"}",
            "resource",
        ),
    ] {
        let (status, v) = post_raw(&http, &url, text, Some("s3cret"));
        assert_eq!(status, 400, "{text}: {v}");
        assert_eq!(v["decision"], "Deny", "{v}");
        assert!(v["denied_because"].as_str().unwrap().contains(words), "{v}");
    }
    // Too large.
    let mut big = ok_req.clone();
    big["context"]["padding"] = Value::from("x".repeat(5000));
    let (status, v) = post_raw(&http, &url, &big.to_string(), Some("s3cret"));
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["decision"], "Deny");
    // A token in asserted mode, an oversized principal: denies with
    // reasons, never allows.
    for (req, words, code) in [
        (
            json!({"token": "a.b.c", "action": "read_ticket", "resource": "Ticket::\"T-1\""}),
            "asserted",
            200,
        ),
        (
            json!({"principal": format!("Agent::\"{}\"", "x".repeat(3000)), "action": "read_ticket", "resource": "Ticket::\"T-1\""}),
            "at most 2048",
            400,
        ),
    ] {
        let (status, v) = post_raw(&http, &url, &req.to_string(), Some("s3cret"));
        assert_eq!(status, code, "{v}");
        assert_eq!(v["decision"], "Deny", "{v}");
        let why = v["denied_because"].as_str().unwrap_or_default();
        assert!(why.to_lowercase().contains(&words.to_lowercase()), "{v}");
    }
    // A body that never finishes arriving: 408 with a deny, in time.
    {
        use std::io::{Read as _, Write as _};
        let mut tcp = std::net::TcpStream::connect(server.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            tcp,
            "POST /v1/is_authorized HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"principal\""
        )
        .unwrap();
        let started = std::time::Instant::now();
        let mut answer = String::new();
        let _ = tcp.read_to_string(&mut answer);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"decision\":\"Deny\""), "{answer}");
    }
    // Batch limit.
    let (status, v) = post_raw(
        &http,
        &server.url("/v1/is_authorized/batch"),
        &json!({"requests": [ok_req, ok_req, ok_req, ok_req]}).to_string(),
        Some("s3cret"),
    );
    assert_eq!(status, 400, "{v}");
    assert!(
        v["denied_because"].as_str().unwrap().contains("at most 3"),
        "{v}"
    );
    // Metrics name the digest and key id: protected like the API.
    let (status, m) = get(&http, &server.url("/metrics"));
    assert_eq!(status, 401, "{m}");
    assert!(!m.contains("writ_pdp_active_bundle"), "{m}");
    let (status, m) = get_with(&http, &server.url("/metrics"), "wrong");
    assert_eq!(status, 401, "{m}");
    // Metrics: decisions by outcome, latency, the bundle, refusals.
    let (status, m) = get_with(&http, &server.url("/metrics"), "s3cret");
    assert_eq!(status, 200);
    for needle in [
        "writ_pdp_decisions_total{decision=\"deny\",verdict=\"denied_before_policies\"}",
        "writ_pdp_decision_latency_seconds_bucket",
        "writ_pdp_active_bundle{version=\"v1",
        "writ_pdp_refused_requests_total{result=\"unauthorized\"} 5",
        "writ_pdp_auth_failures_total 5",
        "writ_pdp_refused_requests_total{result=\"too_large\"} 2",
        "writ_pdp_refused_requests_total{result=\"timeout\"} 1",
    ] {
        assert!(m.contains(needle), "{needle} not in\n{m}");
    }
    server.stop().expect("stops");
}

#[test]
fn shutdown_finishes_requests_in_flight_and_the_log_has_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    fresh_bundle("v1", &b);
    let log = dir.path().join("decisions.jsonl");
    let mut cfg = config(&b);
    cfg.trust_request_time = true;
    cfg.log = Some(LogConfig {
        mask: vec!["risk_score".into()],
        ..LogConfig::new(log.clone())
    });
    let mut tokens = with_tokens(&mut cfg, dir.path());
    let mut server = start(cfg).expect("starts");
    let records = records();
    let requests: Vec<Value> = records
        .iter()
        .take(1200)
        .map(|r| request_for(r, &mut tokens))
        .collect();
    let url = server.url("/v1/is_authorized");
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = requests
        .chunks(300)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            let url = url.clone();
            let answered = answered.clone();
            std::thread::spawn(move || {
                let http = client();
                let mut ids = Vec::new();
                for req in chunk {
                    match http
                        .post(&url)
                        .header("content-type", "application/json")
                        .send(req.to_string())
                    {
                        Ok(mut r) => {
                            let v: Value =
                                serde_json::from_str(&r.body_mut().read_to_string().unwrap())
                                    .unwrap();
                            ids.push(v["decision_id"].as_str().unwrap().to_string());
                            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        // Refused after shutdown began: not answered.
                        Err(_) => break,
                    }
                }
                ids
            })
        })
        .collect();
    // Shut down while requests are being answered.
    assert!(wait_until(30, || answered
        .load(std::sync::atomic::Ordering::SeqCst)
        >= 200));
    server.stop_signal();
    let ids: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let report = server.stop().expect("stops cleanly");
    let stats = report.log.expect("a log was written");
    assert_eq!(stats.lines as usize, ids.len());
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), ids.len(), "one log line per answered request");
    let mut logged: Vec<String> = lines
        .iter()
        .map(|l| {
            let e = writ_core::decision_log::parse_entry(1, l).expect("an entry");
            assert_eq!(e.request.context["risk_score"], "[masked]");
            assert_eq!(e.masked, ["risk_score"]);
            assert!(e.bundle.is_some());
            e.decision_id
        })
        .collect();
    let mut ids = ids;
    ids.sort();
    logged.sort();
    assert_eq!(ids, logged);
    assert!(ids.len() >= 200);
}

#[test]
fn a_principal_sent_with_a_token_must_name_the_same_agent() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    fresh_bundle("v1", &b);
    let mut cfg = config(&b);
    let mut tokens = with_tokens(&mut cfg, dir.path());
    let server = start(cfg).expect("starts");
    let http = client();
    let token = tokens.token("oidc:https://login.acme.example|hr-assistant");
    let ask = |principal: &str| {
        post(
            &http,
            &server.url("/v1/is_authorized"),
            &json!({"principal": principal, "token": token, "action": "read_ticket",
                    "resource": "Ticket::\"T-1\"", "context": {}}),
        )
        .1
    };
    // The same agent named by inventory id or uid: decided by the policies.
    for same in ["hr-assistant", "Agent::\"hr-assistant\""] {
        let v = ask(same);
        assert!(v.get("denied_because").is_none(), "{same}: {v}");
    }
    // Another agent: denied before the policies.
    let v = ask("support-bot");
    assert_eq!(v["decision"], "Deny");
    assert!(
        v["denied_because"]
            .as_str()
            .unwrap()
            .contains("does not name the agent"),
        "{v}"
    );
    server.stop().expect("stops");
}
