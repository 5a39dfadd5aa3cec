//! The cost of the decision log: throughput and acknowledgement wait per
//! durability mode (ignored by default).

use super::*;

/// Lines per second and the p99 wait for an acknowledgement with 16
/// threads each recording and waiting, per durability mode. A rough
/// figure (run it with `--release` for a meaningful one):
/// `cargo test -p writ-pdp --lib group_commit_cost -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn group_commit_cost() {
    let line = r#"{"decision_id":"0","time":"2026-12-03T10:00:00Z","request_time":"2026-12-03T10:00:00Z","agent":"spiffe://acme.example/agents/support-bot","request":{"action":"Action::\"read_ticket\"","resource":"Ticket::\"T-1047\"","context":{"intent":"triage","risk_score":12}},"decision":"allow","reasons":["support-read-tickets"],"latency_us":41}"#;
    let entry = writ_core::decision_log::parse_entry(1, line).expect("entry");
    for durability in [Durability::Write, Durability::Sync] {
        let dir = tempfile::tempdir_in(".").expect("tempdir on the real disk");
        let (log, worker) = DecisionLog::open(LogConfig {
            durability,
            ..LogConfig::new(dir.path().join("d.jsonl"))
        })
        .expect("open");
        let started = std::time::Instant::now();
        let per_thread = 2000;
        let waits: Vec<Vec<u128>> = (0..16)
            .map(|_| {
                let (log, entry) = (log.clone(), entry.clone());
                std::thread::spawn(move || {
                    (0..per_thread)
                        .map(|_| {
                            let t = std::time::Instant::now();
                            assert!(log.record(entry.clone()).written_blocking());
                            t.elapsed().as_micros()
                        })
                        .collect::<Vec<u128>>()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        let secs = started.elapsed().as_secs_f64();
        drop(log);
        let stats = worker.finish().expect("finish");
        let mut all: Vec<u128> = waits.into_iter().flatten().collect();
        all.sort_unstable();
        let p99 = all[all.len() * 99 / 100];
        println!(
            "{}: {:.0} lines/s, p99 wait {:.3} ms, {:.1} lines per group",
            durability.as_str(),
            all.len() as f64 / secs,
            p99 as f64 / 1000.0,
            stats.lines as f64 / stats.groups.max(1) as f64
        );
    }
}
