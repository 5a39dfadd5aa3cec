//! `writ push cedar-agent` against a real permitio/cedar-agent (Cedar 2),
//! started here on a free 127.0.0.1 port: the sample's approved v1 bundle
//! is pushed, then every one of the 2,400 recorded actions is asked of
//! cedar-agent and compared with `writ replay --format jsonl` (decision,
//! determining policies, error count). A version with a permit Cedar 2
//! cannot read is pushed without it, and exactly the actions that permit
//! decided differ. v2 (a datetime forbid), a tampered bundle and an
//! untrusted key push nothing: cedar-agent keeps its policies.
//!
//! cedar-agent is found at `$WRIT_CEDAR_AGENT`, else at
//! `target/tools/bin/cedar-agent` (where `.ci/run` installs it:
//! `cargo install cedar-agent --version =0.2.2-x86.64-unknown-linux-gnu
//! --root target/tools --locked`). Missing, the test is skipped, or fails
//! under `CI`.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use writ_bundle::bundle::{read_trusted, TrustedKey};
use writ_bundle::targets::{self, cedar_agent};

use crate::common;
use crate::common::SampleWorkspace as Ws;
use crate::common::{both, exits, ok, root, s};

/// The cedar-agent binary, or `None` (skipped) when it is not installed.
fn cedar_agent_binary() -> Option<PathBuf> {
    let path = std::env::var_os("WRIT_CEDAR_AGENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools/bin/cedar-agent"));
    if path.is_file() {
        return Some(path);
    }
    let how =
        "install it with `cargo install cedar-agent --version =0.2.2-x86.64-unknown-linux-gnu \
               --root target/tools --locked` (.ci/run does) or set WRIT_CEDAR_AGENT";
    if std::env::var_os("CI").is_some() {
        panic!("cedar-agent is missing at {}: {how}", path.display());
    }
    eprintln!(
        "skipped: cedar-agent is missing at {}: {how}",
        path.display()
    );
    None
}

/// A cedar-agent process on 127.0.0.1, killed when dropped.
struct Agent {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

/// Starts cedar-agent on a free port with its log level at error, in an
/// empty folder and without the environment variables it reads
/// (`PORT`, `ADDR`, ... override its arguments), and waits until it answers.
fn start_agent(bin: &Path) -> Agent {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut cmd = Command::new(bin);
    cmd.args([
        "--addr",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--log-level",
        "error",
    ])
    .current_dir(dir.path())
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::inherit());
    for v in [
        "AUTHENTICATION",
        "ADDR",
        "PORT",
        "LOG_LEVEL",
        "DATA",
        "POLICIES",
        "SCHEMA",
    ] {
        cmd.env_remove(v).env_remove(format!("CEDAR_AGENT_{v}"));
    }
    let child = cmd.spawn().expect("cedar-agent starts");
    let agent = Agent {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    let started = Instant::now();
    loop {
        if let Ok(mut r) = http().get(format!("{}/v1/", agent.url)).call() {
            if r.body_mut().read_to_string().is_ok_and(|b| b == "ok") {
                return agent;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "cedar-agent did not answer on {} within 20 s",
            agent.url
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Agent {
    fn policy_ids(&self) -> BTreeSet<String> {
        cedar_agent::policy_ids(&self.url, Duration::from_secs(10))
            .expect("GET /v1/policies")
            .into_iter()
            .collect()
    }

    /// `POST /v1/is_authorized`: decision (lower case), reasons, error count.
    fn decide(&self, body: &Value) -> (String, BTreeSet<String>, usize) {
        let mut r = http()
            .post(format!("{}/v1/is_authorized", self.url))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .expect("cedar-agent answers");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().expect("body");
        assert_eq!(status, 200, "{body} -> {text}");
        let v: Value = serde_json::from_str(&text).expect("JSON answer");
        let reasons = v["diagnostics"]["reason"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| r.as_str().expect("id").to_string())
            .collect();
        let errors = v["diagnostics"]["errors"].as_array().map_or(0, Vec::len);
        (
            v["decision"].as_str().expect("decision").to_lowercase(),
            reasons,
            errors,
        )
    }
}

impl Ws {
    fn export(&self, version: &str, out: &str) {
        ok(self.by(
            "alice",
            &[
                "bundle",
                "export",
                version,
                "--key",
                "release.pem",
                "--out",
                out,
            ],
        ));
    }

    fn push(&self, url: &str, bundle: &str) -> std::process::Output {
        self.by(
            "alice",
            &[
                "push",
                "cedar-agent",
                url,
                "--bundle",
                bundle,
                "--trust",
                "release.pub.pem",
                "--format",
                "json",
            ],
        )
    }

    /// Approves a version alice authored: bob, then carol when a second
    /// approver is needed.
    fn approve(&self, version: &str) {
        ok(self.by("alice", &["review", version]));
        ok(self.by("bob", &["approve", version]));
        let _ = self.by("carol", &["approve", version]);
        let review = ok(self.by("alice", &["review", version]));
        assert!(review.contains("approved"), "{review}");
    }
}

/// The outcome of comparing cedar-agent with `writ replay` on every action.
struct Comparison {
    compared: usize,
    /// Lines (1-based) where decision, reasons or error count differ.
    differing: BTreeSet<usize>,
    /// Lines whose replay reasons name a policy reported untranslated.
    expected_differing: BTreeSet<usize>,
    /// Requests from which a context attribute was removed (`now`).
    with_removed_attributes: usize,
    /// The first differences, described.
    examples: Vec<String>,
}

/// Replays `version` of the workspace over the recorded trace with
/// `writ replay --format jsonl` and asks cedar-agent the same requests.
fn compare(ws: &Ws, agent: &Agent, version: &str, bundle: &str, project_dir: &Path) -> Comparison {
    let traces = root().join("scenarios/traces/recorded.jsonl");
    let replay = ok(ws.by(
        "alice",
        &[
            "replay",
            "--project",
            &format!("@{version}"),
            "--traces",
            s(&traces),
            "--format",
            "jsonl",
        ],
    ));
    let lines: Vec<Value> = replay
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let text = std::fs::read_to_string(&traces).expect("the recorded trace");
    let records: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), records.len(), "one replay line per action");

    let trusted: Vec<TrustedKey> = read_trusted(&[ws.path("release.pub.pem")]).expect("key");
    let opened =
        targets::open_verified(&ws.path(bundle), &trusted, time::OffsetDateTime::now_utc())
            .expect("verifies");
    let translation = cedar_agent::translate(&opened).expect("translates");
    let untranslated: BTreeSet<&str> = translation
        .untranslated
        .iter()
        .map(|u| u.id.as_str())
        .collect();

    let project = writ_core::project::check_project(project_dir, writ_core::project::today_utc())
        .project
        .expect("the project checks");
    let evaluator = writ_core::evaluate::Evaluator::from_project("pushed", &project);
    let mut c = Comparison {
        compared: 0,
        differing: BTreeSet::new(),
        expected_differing: BTreeSet::new(),
        with_removed_attributes: 0,
        examples: Vec::new(),
    };
    for (i, (record_text, expected)) in records.iter().zip(&lines).enumerate() {
        let line = i + 1;
        assert_eq!(expected["line"], line, "replay lines in trace order");
        assert!(
            expected["request_error"].is_null(),
            "line {line}: {expected}"
        );
        let record = writ_core::trace::parse_record(line, record_text).expect("a valid record");
        let request = evaluator.request_json(&record).expect("request json");
        let body = cedar_agent::agent_request(&request, &translation).expect("agent request");
        if !body.removed.is_empty() {
            c.with_removed_attributes += 1;
        }
        let (decision, reasons, errors) = agent.decide(&body.body);
        let want_reasons: BTreeSet<String> = expected["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| r.as_str().expect("id").to_string())
            .collect();
        let want_errors = expected["errors"].as_array().map_or(0, Vec::len);
        if want_reasons
            .iter()
            .any(|r| untranslated.contains(r.as_str()))
        {
            c.expected_differing.insert(line);
        }
        if decision != expected["decision"].as_str().expect("decision")
            || reasons != want_reasons
            || errors != want_errors
        {
            c.differing.insert(line);
            if c.examples.len() < 5 {
                c.examples.push(format!(
                    "line {line}: cedar-agent {decision} {reasons:?} {errors} error(s); writ {} {want_reasons:?} {want_errors}; request {}",
                    expected["decision"], body.body
                ));
            }
        }
        c.compared += 1;
    }
    c
}

#[test]
fn cedar_agent_decides_the_recorded_actions_as_writ_replay_does() {
    let Some(bin) = cedar_agent_binary() else {
        return;
    };
    let agent = start_agent(&bin);
    let ws = Ws::sample();
    ok(ws.by("alice", &["key", "generate", "--out", "release"]));
    ws.approve(&ws.v1);
    ws.export(&ws.v1, "v1b");

    // v1: every policy translates; only the datetime `now` is left out.
    let report: Value = serde_json::from_str(&ok(ws.push(&agent.url, "v1b"))).expect("JSON report");
    assert_eq!(report["pushed"], true, "{report}");
    assert_eq!(report["untranslated"], serde_json::json!([]), "{report}");
    assert_eq!(
        report["context_attributes_removed"],
        serde_json::json!(["now"])
    );
    let sent: BTreeSet<String> = report["policies_sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(sent.len(), 23);
    assert_eq!(agent.policy_ids(), sent);

    let v1_dir = root().join("sample-policies/v1");
    let c = compare(&ws, &agent, &ws.v1, "v1b", &v1_dir);
    eprintln!(
        "v1: {} actions compared, {} differ, {} had `now` removed",
        c.compared,
        c.differing.len(),
        c.with_removed_attributes
    );
    assert_eq!(c.compared, 2400);
    assert_eq!(
        c.differing,
        BTreeSet::new(),
        "cedar-agent and writ replay differ:\n{}",
        c.examples.join("\n")
    );
    assert_eq!(c.expected_differing, BTreeSet::new());
    assert_eq!(c.with_removed_attributes, 2400);

    // v1 plus a permit Cedar 2 cannot read (datetime): pushed without it,
    // reported; exactly the actions it decides differ.
    let dir = ws.path("v1-morning");
    common::copy_dir(&v1_dir, &dir);
    std::fs::write(
        dir.join("policies/morning.cedar"),
        "@id(\"morning-reads\")\n@description(\"Reads before noon UTC.\")\n\
         permit (principal, action in Action::\"impact_read\", resource)\n\
         when { context.now.toTime() < duration(\"12h\") };\n",
    )
    .unwrap();
    let out = ok(ws.by(
        "alice",
        &["version", "commit", "v1-morning", "-m", "morning reads"],
    ));
    let v3 = out
        .split_whitespace()
        .last()
        .expect("the new version id")
        .to_string();
    // A review needs a bound suite: one case the new permit does not touch.
    std::fs::write(
        ws.path("morning.toml"),
        "name = \"morning reads\"\n\n[[case]]\nname = \"support bot updates a ticket\"\nline = 14\n\
         expect = { decision = \"allow\", reasons = [\"support-update-tickets\"] }\n",
    )
    .unwrap();
    ok(ws.by(
        "alice",
        &[
            "suites",
            "add",
            "morning.toml",
            "--version",
            &v3,
            "--traces",
            "recorded",
        ],
    ));
    ws.approve(&v3);
    ws.export(&v3, "v3b");
    let report: Value = serde_json::from_str(&ok(ws.push(&agent.url, "v3b"))).expect("JSON report");
    assert_eq!(report["pushed"], true, "{report}");
    let left: Vec<&str> = report["untranslated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["morning-reads"], "{report}");
    assert_eq!(report["untranslated"][0]["effect"], "permit");
    assert!(!agent.policy_ids().contains("morning-reads"));
    assert_eq!(agent.policy_ids().len(), 23);
    let c = compare(&ws, &agent, &v3, "v3b", &dir);
    eprintln!(
        "v1 + morning-reads: {} actions compared, {} differ, {} decided by the untranslated permit",
        c.compared,
        c.differing.len(),
        c.expected_differing.len()
    );
    assert_eq!(c.compared, 2400);
    assert!(
        !c.expected_differing.is_empty(),
        "the permit decides some actions"
    );
    assert_eq!(
        c.differing,
        c.expected_differing,
        "{}",
        c.examples.join("\n")
    );
}

#[test]
fn nothing_is_sent_for_a_refused_or_unverifiable_bundle() {
    let Some(bin) = cedar_agent_binary() else {
        return;
    };
    let agent = start_agent(&bin);
    let ws = Ws::sample();
    ok(ws.by("alice", &["key", "generate", "--out", "release"]));
    ws.approve(&ws.v1);
    ws.approve(&ws.v2);
    ws.export(&ws.v1, "v1b");
    ws.export(&ws.v2, "v2b");
    ok(ws.push(&agent.url, "v1b"));
    let held = agent.policy_ids();
    assert_eq!(held.len(), 23);

    // v2's payouts-business-hours forbid reads a datetime: refused, exit 3.
    let o = ws.by(
        "alice",
        &[
            "push",
            "cedar-agent",
            &agent.url,
            "--bundle",
            "v2b",
            "--trust",
            "release.pub.pem",
        ],
    );
    let err = exits(o, 3);
    assert!(
        err.contains("payouts-business-hours") && err.contains("Nothing was sent"),
        "{err}"
    );
    assert_eq!(agent.policy_ids(), held);

    // A tampered bundle: the hash mismatch exit code of `writ bundle verify`.
    common::copy_dir(&ws.path("v1b"), &ws.path("bad"));
    let p = ws.path("bad/policies.cedar");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace("forbid", "permit")).unwrap();
    let o = ws.push(&agent.url, "bad");
    let err = exits(o, 20);
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(agent.policy_ids(), held);

    // Signed by a key that is not trusted: exit 17.
    ok(ws.by("alice", &["key", "generate", "--out", "other"]));
    let o = ws.by(
        "alice",
        &[
            "push",
            "cedar-agent",
            &agent.url,
            "--bundle",
            "v1b",
            "--trust",
            "other.pub.pem",
        ],
    );
    exits(o, 17);
    assert_eq!(agent.policy_ids(), held);

    // A dry run reports and sends nothing: the agent, emptied first, stays empty.
    let r = http()
        .put(format!("{}/v1/policies", agent.url))
        .header("Content-Type", "application/json")
        .send("[]")
        .expect("PUT /v1/policies");
    assert_eq!(r.status().as_u16(), 200);
    assert!(agent.policy_ids().is_empty());
    let o = ws.by(
        "alice",
        &[
            "push",
            "cedar-agent",
            &agent.url,
            "--bundle",
            "v1b",
            "--trust",
            "release.pub.pem",
            "--dry-run",
        ],
    );
    let out = ok(o);
    assert!(
        out.contains("dry run") && out.contains("23 translated"),
        "{out}"
    );
    assert!(agent.policy_ids().is_empty());

    // The agent unreachable: a clear error, exit 1.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let o = ws.by(
        "alice",
        &[
            "push",
            "cedar-agent",
            &dead,
            "--bundle",
            "v1b",
            "--trust",
            "release.pub.pem",
        ],
    );
    let text = both(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("cannot reach") && text.contains(&dead),
        "{text}"
    );
}
