//! Fault tests of `writ serve`'s decision log, running the real binary on
//! 127.0.0.1 with its log on a small tmpfs: a full disk makes allows
//! denies (never an allow without its line), health says so, the log
//! recovers by itself when space returns, a deleted file is recreated, no
//! line is ever left torn, and the chain verifies. Needs root for `mount`;
//! skipped with a printed reason otherwise.

use crate::common;
use crate::common::{fails, ok, s};
use crate::pdp::*;
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small tmpfs mounted for the test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs(dir.to_path_buf())),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` with `dir/filler` until a write fails.
fn fill(dir: &Path) {
    let mut f = std::fs::File::create(dir.join("filler")).expect("filler");
    let chunk = vec![b'x'; 4096];
    for _ in 0..100_000 {
        if f.write_all(&chunk).is_err() {
            return;
        }
    }
    panic!("the tmpfs never filled up");
}

/// The decision ids in the log files under `dir`, and whether every file
/// ends with a full line.
fn logged_ids(dir: &Path) -> (Vec<String>, bool) {
    let mut ids = Vec::new();
    let mut whole = true;
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        if !name.starts_with("decisions.jsonl") {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("log");
        whole &= text.is_empty() || text.ends_with('\n');
        for line in text.lines() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name}: a torn or bad line `{line}`: {e}"));
            ids.push(v["decision_id"].as_str().expect("id").to_string());
        }
    }
    (ids, whole)
}

/// A request the sample's v1 bundle allows (by an agent named by uid).
fn allowed_request(http: &ureq::Agent, base: &str) -> Value {
    let requests: Vec<Value> = records()
        .iter()
        .filter(|r| !r["agent"].as_str().unwrap_or("oidc:").starts_with("oidc:"))
        .take(300)
        .map(asserted_request_for)
        .collect();
    let answers = decide_all(http, base, &requests, 300);
    let i = answers
        .iter()
        .position(|a| a["decision"] == "Allow")
        .expect("the sample holds an allowed action");
    requests[i].clone()
}

#[test]
fn a_full_disk_denies_allows_until_space_returns_and_a_deleted_log_is_recreated() {
    let ws = approved_and_exported();
    let Some(fs) = Tmpfs::mount(&ws.path("logfs"), "512k") else {
        return;
    };
    let server = serve_b1(
        ws.dir.path(),
        &[
            "--trust-request-time",
            "--decision-log",
            "logfs/decisions.jsonl",
            "--log-max-bytes",
            "100000",
            "--log-keep",
            "50",
        ],
    );
    let http = client();
    let one = format!("{}/v1/is_authorized", server.base);
    let batch = format!("{}/v1/is_authorized/batch", server.base);
    let health = format!("{}/v1/health", server.base);
    let req = allowed_request(&http, &server.base);
    let mut allowed_ids = Vec::new();
    let (status, a) = post(&http, &one, &req);
    assert_eq!(
        (status, a["decision"].as_str()),
        (200, Some("Allow")),
        "{a}"
    );
    allowed_ids.push(a["decision_id"].as_str().expect("id").to_string());

    // Disk full: allows become denies once a line no longer fits (the last
    // page of the file may hold a few more lines first).
    fill(&fs.0);
    let mut denied = 0;
    for _ in 0..200 {
        let (status, a) = post(&http, &one, &req);
        assert_eq!(status, 200, "{a}");
        if a["decision"] == "Allow" {
            allowed_ids.push(a["decision_id"].as_str().expect("id").to_string());
        } else {
            assert_eq!(a["verdict"], "denied_not_logged", "{a}");
            assert!(
                a["denied_because"]
                    .as_str()
                    .expect("why")
                    .contains("decision log"),
                "{a}"
            );
            denied += 1;
            if denied == 20 {
                break;
            }
        }
    }
    assert_eq!(denied, 20, "allows kept being answered with the disk full");
    // A batch of allows: all denied too.
    let (status, b) = post(&http, &batch, &json!({"requests": vec![req.clone(); 30]}));
    assert_eq!(status, 200);
    for a in b["responses"].as_array().expect("responses") {
        assert_eq!(a["decision"], "Deny", "{a}");
    }
    let (status, h) = get(&http, &health);
    assert_eq!(status, 503, "{h}");
    let h: Value = serde_json::from_str(&h).expect("json");
    assert_eq!(h["decision_log"]["ok"], false, "{h}");
    assert_eq!(h["decision_log"]["on_failure"], "deny", "{h}");
    assert!(
        h["decision_log"]["lost_lines"].as_u64().expect("lost") >= 50,
        "{h}"
    );
    assert!(
        h["reason"]
            .as_str()
            .expect("reason")
            .contains("answered as denies"),
        "{h}"
    );
    let (_, m) = get(&http, &format!("{}/metrics", server.base));
    assert!(m.contains("writ_pdp_decision_log_ok 0"), "{m}");
    assert!(
        m.contains("writ_pdp_decision_log_on_failure{mode=\"deny\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("writ_pdp_decision_log_unlogged_denies_total 50"),
        "{m}"
    );
    // No torn line while full, and every allow answered so far is logged.
    let (ids, whole) = logged_ids(&fs.0);
    assert!(whole, "a log file ends in a partial line");
    for id in &allowed_ids {
        assert!(ids.contains(id), "allow {id} was answered but not logged");
    }

    // Space returns: the next allow is written and answered as an allow.
    std::fs::remove_file(fs.0.join("filler")).expect("free space");
    let (_, a) = post(&http, &one, &req);
    assert_eq!(a["decision"], "Allow", "{a}");
    allowed_ids.push(a["decision_id"].as_str().expect("id").to_string());
    let (status, h) = get(&http, &health);
    assert_eq!(status, 200, "{h}");

    // The file deleted under the server: recreated, the allow is in it.
    std::fs::remove_file(fs.0.join("decisions.jsonl")).expect("delete");
    let (_, a) = post(&http, &one, &req);
    assert_eq!(a["decision"], "Allow", "{a}");
    let id = a["decision_id"].as_str().expect("id").to_string();
    let text = std::fs::read_to_string(fs.0.join("decisions.jsonl")).expect("recreated");
    assert!(text.contains(&id), "{text}");
    let (_, h) = get(&http, &health);
    let h: Value = serde_json::from_str(&h).expect("json");
    assert_eq!(h["decision_log"]["reopened"], 1, "{h}");

    let (code, err) = server.terminate();
    // Lines were lost while the disk was full: the exit says so.
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("decision lines were not written"), "{err}");
    let (ids, whole) = logged_ids(&fs.0);
    assert!(whole);
    assert!(ids.contains(&id));
    // The deleted file's lines are a gap in the chain between the rotated
    // files and the recreated one: verify names it.
    let (_, err) = fails(common::writ(&[
        "decisions",
        "verify",
        s(&fs.0.join("decisions.jsonl")),
    ]));
    assert!(
        err.contains("decisions.jsonl:1: line seq") && err.contains("line(s) are missing"),
        "{err}"
    );
}

#[test]
fn with_on_log_failure_allow_a_full_disk_still_allows_and_counts_lost_lines() {
    let ws = approved_and_exported();
    let Some(fs) = Tmpfs::mount(&ws.path("logfs"), "256k") else {
        return;
    };
    let server = serve_b1(
        ws.dir.path(),
        &[
            "--trust-request-time",
            "--decision-log",
            "logfs/decisions.jsonl",
            "--on-log-failure",
            "allow",
        ],
    );
    let http = client();
    let req = allowed_request(&http, &server.base);
    fill(&fs.0);
    for _ in 0..30 {
        let (_, a) = post(&http, &format!("{}/v1/is_authorized", server.base), &req);
        assert_eq!(a["decision"], "Allow", "{a}");
    }
    let (status, h) = get(&http, &format!("{}/v1/health", server.base));
    assert_eq!(status, 503, "{h}");
    let h: Value = serde_json::from_str(&h).expect("json");
    assert_eq!(h["decision_log"]["on_failure"], "allow", "{h}");
    assert!(
        h["decision_log"]["lost_lines"].as_u64().expect("lost") > 0,
        "{h}"
    );
    let (ids, whole) = logged_ids(&fs.0);
    assert!(whole && !ids.is_empty());
    let _ = server.terminate();
}

#[test]
fn a_checkpoint_catches_lines_removed_from_the_end_of_a_served_log() {
    let ws = approved_and_exported();
    let server = serve_b1(
        ws.dir.path(),
        &[
            "--decision-log",
            "decisions.jsonl",
            "--log-max-bytes",
            "20000",
        ],
    );
    let http = client();
    let _ = allowed_request(&http, &server.base);
    let (code, err) = server.terminate();
    assert_eq!(code, Some(0), "{err}");
    let log = ws.path("decisions.jsonl");
    let rotated = writ_pdp::log_writer::rotated_numbers(&log).expect("rotated");
    assert!(rotated.len() > 3, "300 lines rotate at 20 kB: {rotated:?}");
    let out = ok(common::writ_in(
        ws.dir.path(),
        &[
            "decisions",
            "checkpoint",
            "decisions.jsonl",
            "--key",
            "release.pem",
            "--out",
            "cp.json",
        ],
    ));
    assert!(out.contains("line seq 300"), "{out}");
    let verify = |extra: &[&str]| {
        let mut args = vec!["decisions", "verify", "decisions.jsonl"];
        args.extend_from_slice(extra);
        common::writ_in(ws.dir.path(), &args)
    };
    let cp = ["--checkpoint", "cp.json", "--trust", "release.pub.pem"];
    assert!(ok(verify(&cp)).contains("checkpoint matches"));
    // Drop the newest two lines: still a chain, but not the checkpointed one.
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = text.lines().collect();
    let kept = lines[..lines.len() - 2].join("\n") + "\n";
    std::fs::write(&log, kept).expect("truncate");
    ok(verify(&[]));
    let (_, err) = fails(verify(&cp));
    assert!(err.contains("truncated"), "{err}");
    // Delete a middle line of a rotated file: the chain names it.
    let mid = writ_pdp::log_writer::rotated_path(&log, rotated[1]);
    let text = std::fs::read_to_string(&mid).expect("rotated");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(3);
    std::fs::write(&mid, lines.join("\n") + "\n").expect("edit");
    let (_, err) = fails(verify(&[]));
    assert!(
        err.contains(":4: line seq") && err.contains("missing"),
        "{err}"
    );
    // Wipe everything: only the checkpoint tells.
    for n in &rotated {
        std::fs::remove_file(writ_pdp::log_writer::rotated_path(&log, *n)).expect("rm");
    }
    std::fs::write(&log, "").expect("wipe");
    let (_, err) = fails(verify(&cp));
    assert!(err.contains("no chained line is left"), "{err}");
}

#[test]
fn a_file_size_limit_cuts_no_line_in_half_and_no_allow_goes_unlogged() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("SKIPPED: prlimit is not installed");
        return;
    }
    let ws = approved_and_exported();
    // `prlimit --fsize` runs writ serve with a 40 kB file size limit: the
    // write that crosses it is cut short (then fails with EFBIG).
    let mut child = Command::new("prlimit")
        .arg("--fsize=40000")
        .arg(env!("CARGO_BIN_EXE_writ"))
        .args([
            "serve",
            "--bundle",
            "b1",
            "--trust",
            "release.pub.pem",
            "--insecure-loopback",
        ])
        .args(["--trust-request-time", "--decision-log", "decisions.jsonl"])
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(ws.dir.path())
        .env_remove("WRIT_WORKSPACE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("prlimit runs");
    let mut line = String::new();
    use std::io::BufRead as _;
    let _ = std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("writ serve did not start: {line}"))
        .to_string();
    let server = Serving { child, base };
    let http = client();
    let requests: Vec<Value> = records()
        .iter()
        .filter(|r| !r["agent"].as_str().unwrap_or("oidc:").starts_with("oidc:"))
        .take(40)
        .map(asserted_request_for)
        .collect();
    let one = format!("{}/v1/is_authorized", server.base);
    let answers: Vec<Value> = requests.iter().map(|r| post(&http, &one, r).1).collect();
    let i = answers
        .iter()
        .position(|a| a["decision"] == "Allow")
        .expect("an allowed action");
    let mut allowed = Vec::new();
    let mut denied = 0;
    for _ in 0..400 {
        let (status, a) = post(&http, &one, &requests[i]);
        assert_eq!(status, 200, "{a}");
        if a["decision"] == "Allow" {
            allowed.push(a["decision_id"].as_str().expect("id").to_string());
        } else {
            assert_eq!(a["verdict"], "denied_not_logged", "{a}");
            denied += 1;
            if denied == 5 {
                break;
            }
        }
    }
    assert_eq!(denied, 5, "the limit was never reached");
    let (code, err) = server.terminate();
    assert_eq!(code, Some(1), "{err}");
    let text = std::fs::read_to_string(ws.path("decisions.jsonl")).expect("log");
    assert!(text.len() <= 40_000, "{}", text.len());
    assert!(text.ends_with('\n'), "the log ends in a partial line");
    let (ids, whole) = logged_ids(ws.dir.path());
    assert!(whole);
    for id in &allowed {
        assert!(ids.contains(id), "allow {id} was answered but not logged");
    }
    ok(common::writ_in(
        ws.dir.path(),
        &["decisions", "verify", "decisions.jsonl"],
    ));
}
