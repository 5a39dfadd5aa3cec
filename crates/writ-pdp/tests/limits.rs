//! Resource limits against a real server on 127.0.0.1: the connection
//! limit, the header and idle timeouts (bounded loops), failed
//! authentication kept out of the decision log, and the decision cache
//! capped in bytes.

use crate::common::*;
use serde_json::json;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use writ_pdp::log_writer::LogConfig;

/// Reads until the server closes the connection (or `limit` passes);
/// returns how long that took and whether it closed.
fn closed_within(tcp: &mut TcpStream, limit: Duration) -> (Duration, bool) {
    let started = Instant::now();
    tcp.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 1024];
    while started.elapsed() < limit {
        match tcp.read(&mut buf) {
            Ok(0) => return (started.elapsed(), true),
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return (started.elapsed(), true),
        }
    }
    (started.elapsed(), false)
}

#[test]
fn idle_slow_and_surplus_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    fresh_bundle("v1", &b);
    let mut cfg = config(&b);
    cfg.max_connections = 4;
    cfg.header_timeout = Duration::from_millis(700);
    cfg.idle_timeout = Duration::from_millis(700);
    let server = start(cfg).expect("starts");
    // Four idle connections take every slot...
    let mut idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    // ...so a fifth is closed at once.
    let mut extra = TcpStream::connect(server.addr).unwrap();
    let (took, closed) = closed_within(&mut extra, Duration::from_secs(5));
    assert!(closed && took < Duration::from_secs(2), "{took:?} {closed}");
    // The idle ones are closed by the idle timeout.
    for c in &mut idle {
        let (took, closed) = closed_within(c, Duration::from_secs(10));
        assert!(closed, "an idle connection stayed open for {took:?}");
    }
    // A slowloris sending one header byte every 100 ms is cut off.
    let mut slow = TcpStream::connect(server.addr).unwrap();
    slow.set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let header = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let started = Instant::now();
    let mut cut = false;
    for byte in header.iter() {
        if slow.write_all(&[*byte]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(6) {
            break;
        }
    }
    if !cut {
        let (_, closed) = closed_within(&mut slow, Duration::from_secs(3));
        cut = closed;
    }
    assert!(cut, "the slow client kept its connection");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    // The server still answers, and counted what it closed.
    let http = client();
    let (status, m) = get(&http, &server.url("/metrics"));
    assert_eq!(status, 200, "{m}");
    assert!(m.contains("writ_pdp_connections_refused_total 1"), "{m}");
    let timed_out: u64 = m
        .lines()
        .find_map(|l| l.strip_prefix("writ_pdp_connections_timed_out_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the timed-out counter");
    assert!(timed_out >= 1, "{m}");
    server.stop().expect("stops");
}

#[test]
fn failed_authentication_never_reaches_the_decision_log() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    fresh_bundle("v1", &b);
    let log = dir.path().join("decisions.jsonl");
    let mut cfg = config(&b);
    cfg.insecure_loopback = false;
    cfg.bearer_token = Some("s3cret".into());
    cfg.log = Some(LogConfig {
        max_bytes: 0,
        keep: 1,
        ..LogConfig::new(log.clone())
    });
    let server = start(cfg).expect("starts");
    let http = client();
    let url = server.url("/v1/is_authorized");
    let body = json!({"principal": "spiffe://acme.example/agents/support-bot",
                      "action": "read_ticket", "resource": "Ticket::\"T-1\""})
    .to_string();
    for i in 0..200 {
        let bearer = if i % 2 == 0 { None } else { Some("wrong") };
        assert_eq!(post_raw(&http, &url, &body, bearer).0, 401);
    }
    // A 401 leaves the request body unread, so it closes the connection
    // and says so: a keep-alive client must not send the next request on it.
    let mut tcp = std::net::TcpStream::connect(server.addr).unwrap();
    use std::io::{Read as _, Write as _};
    write!(
        tcp,
        "POST /v1/is_authorized HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    let head = answer
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(head.contains("\r\nconnection: close"), "{head}");
    assert_eq!(post_raw(&http, &url, &body, Some("s3cret")).0, 200);
    let (_, m) = get_with(&http, &server.url("/metrics"), "s3cret");
    assert!(m.contains("writ_pdp_auth_failures_total 201"), "{m}");
    server.stop().expect("stops");
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines.lines().count(), 1, "{lines}");
}

#[test]
fn the_decision_cache_stays_under_its_byte_cap() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    fresh_bundle("v1", &b);
    let cap = 512 * 1024;
    let active = writ_pdp::engine::load(&b, &trusted(), None, OffsetDateTime::now_utc())
        .expect("loads")
        .with_cache_bytes(cap);
    let records = records();
    let mut peak = 0;
    // 3,000 distinct requests with 1.5 KB resource ids: about 5 MB of keys.
    for i in 0..3000 {
        let mut r: writ_core::trace::TraceRecord =
            serde_json::from_value(records[i % records.len()].clone()).expect("record");
        r.resource = Some(writ_core::trace::ResourceRef {
            ty: "Ticket".into(),
            id: format!("{i}-{}", "x".repeat(1500)),
        });
        let _ = active.decide(&r);
        peak = peak.max(active.cache_bytes());
    }
    assert!(peak > 0, "nothing was cached");
    assert!(peak <= cap, "the cache held {peak} bytes, more than {cap}");
    // The same request again is still decided the same way.
    let r: writ_core::trace::TraceRecord =
        serde_json::from_value(records[0].clone()).expect("record");
    assert_eq!(active.decide(&r).1.decision, active.decide(&r).1.decision);
}

#[test]
fn health_turns_degraded_before_expiry_and_counts_the_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    let now = OffsetDateTime::now_utc();
    write_bundle(
        "v1",
        &b,
        now - time::Duration::days(1),
        Some(now + time::Duration::hours(2)),
    );
    let mut cfg = config(&b);
    cfg.expiry_warning = Duration::from_secs(24 * 3600);
    let server = start(cfg).expect("starts");
    let http = client();
    let (status, h) = get(&http, &server.url("/v1/health"));
    assert_eq!(status, 200, "{h}");
    let h: serde_json::Value = serde_json::from_str(&h).unwrap();
    assert_eq!(h["status"], "degraded", "{h}");
    let left = h["seconds_until_expiry"].as_i64().unwrap();
    assert!((7000..=7200).contains(&left), "{h}");
    let (_, m) = get(&http, &server.url("/metrics"));
    let gauge: i64 = m
        .lines()
        .find_map(|l| l.strip_prefix("writ_pdp_bundle_expiry_seconds "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the expiry gauge");
    assert!((7000..=7200).contains(&gauge), "{m}");
    server.stop().expect("stops");
    // A bundle without expiry does not start unless allowed.
    let forever = dir.path().join("forever");
    write_bundle("v1", &forever, now - time::Duration::days(1), None);
    let Err(err) = start(config(&forever)) else {
        panic!("a bundle without expiry was served");
    };
    assert!(err.to_string().contains("--allow-no-expiry"), "{err}");
    let mut cfg = config(&forever);
    cfg.require_expiry = false;
    start(cfg).expect("allowed").stop().expect("stops");
}
