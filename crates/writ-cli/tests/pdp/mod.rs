//! Helpers for the tests of `writ serve`: the sample workspace approved and
//! exported, the real `writ serve` process on 127.0.0.1 port 0. Agent
//! tokens, the sample trace as decision requests and the HTTP client come
//! from `writ-testkit` (shared with writ-pdp's tests).

use crate::common::{ok, SampleWorkspace as Ws};
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub use writ_testkit::http::*;
pub use writ_testkit::requests::{asserted_request_for, records, request_for};
pub use writ_testkit::tokens::{Tokens, AUDIENCE};

/// The sample workspace with a signing key `release`, v1 approved by bob,
/// v2 by bob and carol, and each exported as a bundle folder (`b1`, `b2`)
/// valid for 30 days from its last approval.
pub fn approved_and_exported() -> Ws {
    let ws = Ws::sample();
    ok(ws.by("alice", &["key", "generate", "--out", "release"]));
    ok(ws.by("alice", &["review", &ws.v1]));
    ok(ws.by("bob", &["approve", &ws.v1]));
    ok(ws.by("alice", &["review", &ws.v2]));
    ok(ws.by("bob", &["approve", &ws.v2]));
    ok(ws.by("carol", &["approve", &ws.v2]));
    for (v, out) in [(&ws.v1, "b1"), (&ws.v2, "b2")] {
        ok(ws.by(
            "alice",
            &[
                "bundle",
                "export",
                v,
                "--key",
                "release.pem",
                "--out",
                out,
                "--expires-in",
                "30d",
            ],
        ));
    }
    ws
}

/// A running `writ serve`.
pub struct Serving {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Serving {
    /// Sends SIGTERM and waits; returns the exit code and standard error.
    pub fn terminate(mut self) -> (Option<i32>, String) {
        // SAFETY: signalling our own child process by its id.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let status = self.child.wait().expect("waits");
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            use std::io::Read as _;
            let _ = e.read_to_string(&mut err);
        }
        (status.code(), err)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `writ serve ARGS --listen 127.0.0.1:0` in `dir` and reads the
/// address it prints; `Err((exit code, stderr))` when it exits instead.
pub fn serve(dir: &Path, args: &[&str]) -> Result<Serving, (Option<i32>, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_writ"))
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("WRIT_WORKSPACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("writ serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    match line.trim().strip_prefix("listening on ") {
        Some(base) => Ok(Serving {
            base: base.to_string(),
            child,
        }),
        None => {
            let status = child.wait().expect("waits");
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read as _;
                let _ = e.read_to_string(&mut err);
            }
            Err((status.code(), err))
        }
    }
}

/// Starts `writ serve` in `dir` on the sample's bundle `b1` trusted by
/// `release.pub.pem`, with asserted principals without caller
/// authentication (`--insecure-loopback`: 127.0.0.1 only), then `extra`;
/// panics when it does not start.
pub fn serve_b1(dir: &Path, extra: &[&str]) -> Serving {
    let mut args = vec![
        "--bundle",
        "b1",
        "--trust",
        "release.pub.pem",
        "--insecure-loopback",
    ];
    args.extend_from_slice(extra);
    serve(dir, &args)
        .unwrap_or_else(|(code, err)| panic!("writ serve did not start ({code:?}): {err}"))
}
