//! Helpers for the server tests: sample bundles signed with a fixed key,
//! a real server on 127.0.0.1 (port 0) in its own runtime, and the replay
//! the answers are compared with. The HTTP client, agent tokens and the
//! sample trace as requests come from `writ-testkit` (shared with the
//! CLI's `writ serve` tests).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use time::OffsetDateTime;
use writ_bundle::bundle::{self, Approval, TrustedKey};
use writ_pdp::server::{ServeError, ServeReport};
use writ_pdp::{Server, ServerConfig};

pub use writ_testkit::http::*;
pub use writ_testkit::requests::*;
pub use writ_testkit::root;
pub use writ_testkit::tokens::*;

/// The checked sample project `v1` or `v2`.
pub fn project(v: &str) -> writ_core::project::Project {
    let report = writ_core::project::check_project(
        &root().join("sample-policies").join(v),
        writ_core::project::today_utc(),
    );
    report.project.expect("the sample checks cleanly")
}

/// The signing key of the tests.
pub fn key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[42; 32])
}

/// The trusted keys of the tests.
pub fn trusted() -> Vec<TrustedKey> {
    vec![TrustedKey::new(key().verifying_key())]
}

/// Writes the sample version `v` as a signed bundle folder at `out`,
/// valid from `created` to `expires`.
pub fn write_bundle(v: &str, out: &Path, created: OffsetDateTime, expires: Option<OffsetDateTime>) {
    let p = project(v);
    let version = format!("{v}{}", "0".repeat(64 - v.len()));
    let created = bundle::format_time(created);
    let inputs = bundle::inputs_from_project(
        &version,
        &p,
        vec![Approval {
            approver: "bob".into(),
            at: created.clone(),
            comment: None,
        }],
        &created,
        expires.map(bundle::format_time),
    );
    bundle::build(&inputs, &key())
        .expect("builds")
        .write_dir(out)
        .expect("writes");
}

/// A bundle of `v` valid from a day ago for 30 days.
pub fn fresh_bundle(v: &str, out: &Path) {
    let now = OffsetDateTime::now_utc();
    write_bundle(
        v,
        out,
        now - time::Duration::days(1),
        Some(now + time::Duration::days(30)),
    );
}

/// What `writ replay` decides for each line of the sample trace against
/// the sample version `v`: (decision, reasons, verdict).
pub fn replayed(v: &str) -> Vec<(String, Vec<String>, String)> {
    use writ_core::replay::{replay, ActionResult, ReplayOptions, ResultSink, SinkError};
    struct Collect(Vec<(String, Vec<String>, String)>);
    impl ResultSink for Collect {
        fn result(&mut self, r: &ActionResult) -> Result<(), SinkError> {
            let o = &r.evaluations[0].outcome;
            self.0.push((
                match o.decision {
                    writ_core::trace::Decision::Allow => "Allow".into(),
                    writ_core::trace::Decision::Deny => "Deny".into(),
                },
                o.reasons.iter().map(|r| r.to_string()).collect(),
                o.verdict.as_str().to_string(),
            ));
            Ok(())
        }
    }
    let ev = writ_core::evaluate::Evaluator::from_project(v, &project(v));
    let mut sink = Collect(Vec::new());
    let f = std::io::BufReader::new(std::fs::File::open(recorded()).expect("trace"));
    replay(f, &[&ev], &ReplayOptions::default(), &mut sink, &|_| {}).expect("replays");
    sink.0
}

/// A server running in its own thread and runtime.
#[derive(Debug)]
pub struct Running {
    /// Its address.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<ServeReport, ServeError>>>,
}

impl Running {
    /// `http://addr` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signals shutdown (like SIGTERM) and waits for the server to finish.
    pub fn stop(mut self) -> Result<ServeReport, ServeError> {
        self.stop_signal();
        self.thread
            .take()
            .expect("running")
            .join()
            .expect("server thread")
    }

    /// Signals shutdown without waiting.
    pub fn stop_signal(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop_signal();
    }
}

/// A configuration for `bundle` with the test key, port 0 and a fast watcher.
pub fn config(bundle: &Path) -> ServerConfig {
    let mut cfg = ServerConfig::new(bundle.to_path_buf(), trusted());
    cfg.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.watch_interval = Duration::from_millis(100);
    // Asserted principals without caller authentication: 127.0.0.1 only.
    cfg.insecure_loopback = true;
    cfg
}

/// Starts a server; `Err` when it refuses to start.
pub fn start(cfg: ServerConfig) -> Result<Running, ServeError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            match Server::bind(cfg).await {
                Ok(server) => {
                    let _ = tx.send(Ok(server.local_addr().expect("addr")));
                    server
                        .run(async move {
                            let _ = stop_rx.await;
                        })
                        .await
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    Ok(ServeReport::default())
                }
            }
        })
    });
    match rx.recv().expect("the server answers") {
        Ok(addr) => Ok(Running {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Err(e) => {
            let _ = thread.join();
            Err(e)
        }
    }
}
