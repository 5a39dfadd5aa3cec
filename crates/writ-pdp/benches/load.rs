//! Load benchmark of `writ serve` against a real permitio/cedar-agent on
//! loopback, both loaded with the same signed bundle (the sample's v1, 23 policies) and
//! sent the same request mix (the sample's 2,400 recorded actions) by `wrk`
//! at 1, 16 and 64 connections. Bounded in time (`WRIT_BENCH_SECONDS` per
//! run, 10 by default: six runs plus set-up, about a minute and a half).
//!
//! Before the load, every request of the mix is decided once through each
//! server's API and compared: `writ serve` must answer exactly what
//! `writ replay --format jsonl` decides (decision and determining
//! policies); cedar-agent's agreement is printed for information (it
//! cannot take what Cedar 2 lacks; `writ push` reports it).
//!
//! Needs the release `writ` (`cargo build --release -p writ-cli`), wrk, and
//! cedar-agent (`$WRIT_CEDAR_AGENT` or `target/tools/bin/cedar-agent`);
//! `scripts/bench-serve.sh` builds and runs everything. Prints a table and
//! the ratios against cedar-agent measured in the same run, with the issue's
//! targets at 16 connections: throughput at least 4x, p99 at most 1/2,
//! zero errors. `writ serve` runs with `--workers 1` unless
//! `WRIT_BENCH_WORKERS` says otherwise: on two cores shared with wrk, one
//! request thread (plus the decision log's writer) keeps the tail short;
//! `WRIT_BENCH_WORKERS=2` measures the default of one thread per core.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A child process killed (and reaped) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Stops the benchmark; a panic (not `exit`) so the servers started so far
/// are killed by their guards on the way out.
fn fail(msg: impl std::fmt::Display) -> ! {
    panic!("bench load: {msg}")
}

fn writ(bin: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env("WRIT_WORKSPACE", dir.join("bench.writ"))
        .env("WRIT_USER", "alice")
        .output()
        .unwrap_or_else(|e| fail(format!("cannot run {}: {e}", bin.display())));
    if !out.status.success() {
        fail(format!(
            "writ {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Makes a workspace, approves v1 and exports it signed (v1, because
/// cedar-agent's Cedar 2 cannot take v2: its business-hours forbid uses the
/// datetime extension, and `writ push` refuses to leave a forbid out).
fn export_bundle(bin: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    writ(bin, dir, &["init", "--sample", "--as", "alice"]);
    let list = writ(bin, dir, &["version", "list"]);
    let id_of = |label: &str| -> String {
        list.lines()
            .find(|l| l.trim_end().ends_with(label))
            .and_then(|l| l.split_whitespace().next())
            .map(str::to_string)
            .unwrap_or_else(|| fail(format!("no version `{label}` in:\n{list}")))
    };
    let v1 = id_of("policy version v1");
    writ(bin, dir, &["review", &v1, "--as", "alice"]);
    writ(bin, dir, &["approve", &v1, "--as", "bob"]);
    writ(bin, dir, &["key", "generate", "--out", "release"]);
    writ(
        bin,
        dir,
        &[
            "bundle",
            "export",
            &v1,
            "--key",
            "release.pem",
            "--out",
            "v1-bundle",
            "--expires-in",
            "30d",
        ],
    );
    (dir.join("v1-bundle"), dir.join("release.pub.pem"))
}

/// Reads the recorded sample actions.
fn recorded() -> Vec<writ_core::trace::TraceRecord> {
    let path = root().join("scenarios/traces/recorded.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| fail(format!("cannot read {}: {e}", path.display())));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            writ_core::trace::parse_record(i + 1, l).unwrap_or_else(|e| fail(e.to_string()))
        })
        .collect()
}

/// The audience of the agents' tokens.
const AUDIENCE: &str = "writ-pdp";

/// Signs the OIDC agents' tokens and the SPIFFE agents' JWT-SVIDs
/// (Ed25519) and writes the JWKS and SPIFFE trust bundle `writ serve`
/// checks them with (verified identity mode).
struct Tokens {
    key: jsonwebtoken::EncodingKey,
    jwks: PathBuf,
    spiffe: PathBuf,
}

impl Tokens {
    fn new(dir: &Path) -> Tokens {
        use base64::Engine as _;
        use ed25519_dalek::pkcs8::EncodePrivateKey as _;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap_or_else(|e| fail(e));
        let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
        let x =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sk.verifying_key().as_bytes());
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "bench-1", "alg": "EdDSA", "use": "sig"}]});
        let path = dir.join("jwks.json");
        std::fs::write(&path, jwks.to_string()).unwrap_or_else(|e| fail(e));
        let bundle = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "bench-svid", "use": "jwt-svid"}]});
        let spiffe = dir.join("spiffe-bundle.json");
        std::fs::write(&spiffe, bundle.to_string()).unwrap_or_else(|e| fail(e));
        let pem = sk
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap_or_else(|e| fail(e));
        let key =
            jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).unwrap_or_else(|e| fail(e));
        Tokens {
            key,
            jwks: path,
            spiffe,
        }
    }

    /// A token for `oidc:<iss>|<sub>`, or a JWT-SVID for a SPIFFE ID,
    /// valid for an hour.
    fn token(&self, agent: &str) -> String {
        if agent.starts_with("spiffe://") {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let claims = json!({"sub": agent, "aud": [AUDIENCE], "exp": now + 3600, "iat": now});
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            header.kid = Some("bench-svid".into());
            return jsonwebtoken::encode(&header, &claims, &self.key).unwrap_or_else(|e| fail(e));
        }
        let (iss, sub) = agent
            .strip_prefix("oidc:")
            .and_then(|s| s.split_once('|'))
            .unwrap_or_else(|| fail(format!("`{agent}` is not an oidc identity")));
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims =
            json!({"iss": iss, "sub": sub, "aud": AUDIENCE, "exp": now + 3600, "iat": now});
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some("bench-1".into());
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap_or_else(|e| fail(e))
    }
}

/// `writ serve`'s request for a recorded action (its own time trusted, so
/// the answer equals replay's): in verified identity mode each agent proves
/// itself, an OIDC agent with a signed token, a SPIFFE agent with a
/// JWT-SVID (another agent is named by principal).
fn writ_body(r: &writ_core::trace::TraceRecord, tokens: &Tokens) -> Value {
    let resource = match &r.resource {
        Some(res) => format!("{}::{}", res.ty, Value::from(res.id.as_str())),
        None => format!("Tool::{}", Value::from(r.action.as_str())),
    };
    let mut body = json!({
        "action": format!("Action::{}", Value::from(r.action.as_str())),
        "resource": resource,
        "context": r.context,
        "time": r.ts,
    });
    if r.agent.starts_with("oidc:") || r.agent.starts_with("spiffe://") {
        body["token"] = Value::from(tokens.token(&r.agent));
    } else {
        body["principal"] = Value::from(r.agent.as_str());
    }
    if let Some(u) = &r.on_behalf_of {
        body["on_behalf_of"] = Value::from(u.as_str());
    }
    body
}

fn post(url: &str, body: &Value) -> Value {
    let text = serde_json::to_string(body).unwrap_or_default();
    let mut resp = ureq::post(url)
        .header("Content-Type", "application/json")
        .send(text.as_bytes())
        .unwrap_or_else(|e| fail(format!("POST {url}: {e}")));
    let s = resp
        .body_mut()
        .read_to_string()
        .unwrap_or_else(|e| fail(format!("POST {url}: {e}")));
    serde_json::from_str(&s).unwrap_or_else(|e| fail(format!("POST {url}: {e}: {s}")))
}

fn decision_and_reasons(v: &Value) -> (String, Vec<String>) {
    let decision = v["decision"].as_str().unwrap_or("?").to_ascii_lowercase();
    let mut reasons: Vec<String> = v["diagnostics"]["reason"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    reasons.sort();
    (decision, reasons)
}

/// `writ replay`'s decisions for the sample trace.
fn replay_decisions(bin: &Path, dir: &Path) -> Vec<(String, Vec<String>)> {
    let traces = root().join("scenarios/traces/recorded.jsonl");
    let project = root().join("sample-policies/v1");
    let out = writ(
        bin,
        dir,
        &[
            "replay",
            "--project",
            &project.display().to_string(),
            "--traces",
            &traces.display().to_string(),
            "--format",
            "jsonl",
        ],
    );
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("decision").is_some())
        .map(|v| {
            decision_and_reasons(
                &json!({"decision": v["decision"], "diagnostics": {"reason": v["reasons"]}}),
            )
        })
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| fail(format!("no free port: {e}")))
}

fn wait_until_up(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ureq::get(url).call().is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    fail(format!("{url} did not answer within 30 s"))
}

/// Starts `writ serve`; its decision log (unless `WRIT_BENCH_NO_LOG`) is
/// `decisions-<durability>.jsonl` with `--log-durability <durability>`.
fn start_writ(
    bin: &Path,
    dir: &Path,
    bundle: &Path,
    key: &Path,
    tokens: &Tokens,
    durability: &str,
) -> (Running, String) {
    let mut child = Command::new(bin)
        .args(["serve", "--bundle"])
        .arg(bundle)
        .arg("--trust")
        .arg(key)
        .args(["--listen", "127.0.0.1:0", "--trust-request-time"])
        .args(["--workers", &workers().to_string()])
        .arg("--jwks")
        .arg(&tokens.jwks)
        .arg("--spiffe-bundle")
        .arg(&tokens.spiffe)
        .args(["--audience", AUDIENCE])
        .args(if std::env::var_os("WRIT_BENCH_NO_LOG").is_some() {
            vec![]
        } else {
            vec![
                "--decision-log".into(),
                dir.join(format!("decisions-{durability}.jsonl"))
                    .into_os_string(),
                "--log-durability".into(),
                durability.into(),
            ]
        })
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| fail(format!("cannot start writ serve: {e}")));
    let stdout = child.stdout.take().unwrap_or_else(|| fail("no stdout"));
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| fail(format!("writ serve: {e}")));
    let base = line
        .trim()
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://"))
        .unwrap_or_else(|| fail(format!("writ serve printed `{}`", line.trim())))
        .to_string();
    wait_until_up(&format!("{base}/v1/health"));
    (Running(child), base)
}

/// `writ serve --workers` for the runs: `WRIT_BENCH_WORKERS`, else 1 (wrk
/// keeps the other of the machine's two cores busy).
fn workers() -> u16 {
    std::env::var("WRIT_BENCH_WORKERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn start_cedar_agent(bin: &Path) -> (Running, String) {
    let port = free_port();
    let child = Command::new(bin)
        .args(["--addr", "127.0.0.1", "--port", &port.to_string()])
        .args(["--log-level", "error"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| fail(format!("cannot start {}: {e}", bin.display())));
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(&format!("{base}/v1/policies"));
    (Running(child), base)
}

/// One wrk run's figures (from the script's `done` line).
#[derive(Debug, Clone, Copy)]
struct Load {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    errors: u64,
}

fn run_wrk(url: &str, bodies: &Path, conns: usize, seconds: u64) -> Load {
    let script = root().join("crates/writ-pdp/benches/wrk-mix.lua");
    let threads = conns.min(2);
    let out = Command::new("wrk")
        .args([
            "-t",
            &threads.to_string(),
            "-c",
            &conns.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--timeout",
            "5s",
            "-s",
        ])
        .arg(&script)
        .arg(url)
        .arg("--")
        .arg(bodies)
        .output()
        .unwrap_or_else(|e| fail(format!("cannot run wrk (apt-get install wrk): {e}")));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| fail(format!("wrk printed no summary: {text}")));
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| fail(format!("{e}: {line}")));
    let n = |k: &str| v[k].as_f64().unwrap_or(0.0);
    let errors = [
        "connect_errors",
        "read_errors",
        "write_errors",
        "status_errors",
        "timeouts",
    ]
    .iter()
    .map(|k| n(k) as u64)
    .sum();
    Load {
        rps: n("requests") / (n("duration_us") / 1e6),
        p50_us: n("p50_us"),
        p99_us: n("p99_us"),
        errors,
    }
}

/// Writes one request body per line (what `wrk-mix.lua` reads).
fn write_bodies(path: &Path, bodies: &[Value]) {
    let text: String = bodies.iter().map(|b| format!("{b}\n")).collect();
    std::fs::write(path, text).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("load: benchmark");
        return;
    }
    let seconds: u64 = std::env::var("WRIT_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let writ_bin = std::env::var_os("WRIT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/release/writ"));
    let agent_bin = std::env::var_os("WRIT_CEDAR_AGENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools/bin/cedar-agent"));
    for (what, p) in [("writ", &writ_bin), ("cedar-agent", &agent_bin)] {
        if !p.exists() {
            fail(format!(
                "{what} is missing at {} (scripts/bench-serve.sh builds and installs both)",
                p.display()
            ));
        }
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| fail(e));
    let dir = tmp.path();
    let (bundle, key) = export_bundle(&writ_bin, dir);
    let records = recorded();

    // The same mix for both: writ's shape, and cedar-agent's translation.
    let opened = writ_bundle::targets::open_verified(
        &bundle,
        &writ_bundle::bundle::read_trusted(std::slice::from_ref(&key)).unwrap_or_else(|e| fail(e)),
        time::OffsetDateTime::now_utc(),
    )
    .unwrap_or_else(|e| fail(e));
    let translation =
        writ_bundle::targets::cedar_agent::translate(&opened).unwrap_or_else(|e| fail(e));
    let report = writ_core::project::check_project(
        &root().join("sample-policies/v1"),
        writ_core::project::today_utc(),
    );
    let project = report
        .project
        .unwrap_or_else(|| fail("sample v1 does not check"));
    let ev = writ_core::evaluate::Evaluator::from_project("v1", &project);
    let tokens = Tokens::new(dir);
    let writ_bodies: Vec<Value> = records.iter().map(|r| writ_body(r, &tokens)).collect();
    let agent_bodies: Vec<Value> = records
        .iter()
        .map(|r| {
            let req = ev.request_json(r).unwrap_or_else(|e| fail(e));
            writ_bundle::targets::cedar_agent::agent_request(&req, &translation)
                .unwrap_or_else(|e| fail(e))
                .body
        })
        .collect();
    let writ_mix = dir.join("writ-mix.jsonl");
    let agent_mix = dir.join("agent-mix.jsonl");
    write_bodies(&writ_mix, &writ_bodies);
    write_bodies(&agent_mix, &agent_bodies);

    let (_serve, writ_url) = start_writ(&writ_bin, dir, &bundle, &key, &tokens, "write");
    let (_agent, agent_url) = start_cedar_agent(&agent_bin);
    writ(
        &writ_bin,
        dir,
        &[
            "push",
            "cedar-agent",
            &agent_url,
            "--bundle",
            &bundle.display().to_string(),
            "--trust",
            &key.display().to_string(),
        ],
    );

    // Decisions first: writ serve must equal replay on every action.
    let expected = replay_decisions(&writ_bin, dir);
    if expected.len() != records.len() {
        fail(format!(
            "writ replay gave {} decisions for {} actions",
            expected.len(),
            records.len()
        ));
    }
    let mut writ_equal = 0usize;
    let mut agent_equal = 0usize;
    for (i, want) in expected.iter().enumerate() {
        let got = decision_and_reasons(&post(
            &format!("{writ_url}/v1/is_authorized"),
            &writ_bodies[i],
        ));
        if &got == want {
            writ_equal += 1;
        } else if writ_equal + 10 > i {
            eprintln!("action {}: writ serve {got:?}, writ replay {want:?}", i + 1);
        }
        let got = decision_and_reasons(&post(
            &format!("{agent_url}/v1/is_authorized"),
            &agent_bodies[i],
        ));
        if got.0 == want.0 {
            agent_equal += 1;
        }
    }
    println!(
        "decisions: writ serve equals writ replay on {writ_equal}/{} actions; cedar-agent's decision equals on {agent_equal}/{} ({} policies sent, {} not translatable for Cedar 2)",
        records.len(),
        records.len(),
        translation.policies.len(),
        translation.untranslated.len()
    );
    if writ_equal != records.len() {
        fail("writ serve's decisions differ from writ replay's");
    }

    println!(
        "\nload: {seconds} s per run, wrk with up to 2 threads, mix of {} requests, writ serve --workers {} with its decision log on, cedar-agent as it comes; client and servers share the machine's cores",
        records.len(),
        workers()
    );
    println!(
        "{:>5}  {:<12} {:>10} {:>9} {:>9} {:>7}",
        "conns", "server", "req/s", "p50 ms", "p99 ms", "errors"
    );
    let mut at16 = None;
    for conns in [1usize, 16, 64] {
        let w = run_wrk(
            &format!("{writ_url}/v1/is_authorized"),
            &writ_mix,
            conns,
            seconds,
        );
        let a = run_wrk(
            &format!("{agent_url}/v1/is_authorized"),
            &agent_mix,
            conns,
            seconds,
        );
        for (name, l) in [("writ serve", w), ("cedar-agent", a)] {
            println!(
                "{conns:>5}  {name:<12} {:>10.0} {:>9.3} {:>9.3} {:>7}",
                l.rps,
                l.p50_us / 1000.0,
                l.p99_us / 1000.0,
                l.errors
            );
        }
        println!(
            "{:>5}  ratio writ/cedar-agent: throughput {:.2}x, p50 {:.2}, p99 {:.2}",
            "",
            w.rps / a.rps.max(1e-9),
            w.p50_us / a.p50_us.max(1e-9),
            w.p99_us / a.p99_us.max(1e-9)
        );
        if conns == 16 {
            at16 = Some((w, a));
        }
    }
    if let Some((w, a)) = at16 {
        let tput = w.rps / a.rps.max(1e-9);
        let p99 = w.p99_us / a.p99_us.max(1e-9);
        println!(
            "\ntargets at 16 connections: throughput {tput:.2}x (target >= 4: {}), p99 {p99:.2} of cedar-agent's (target <= 0.5: {}), writ errors {} (target 0: {})",
            if tput >= 4.0 { "met" } else { "missed" },
            if p99 <= 0.5 { "met" } else { "missed" },
            w.errors,
            if w.errors == 0 { "met" } else { "missed" }
        );
        if std::env::var_os("WRIT_BENCH_NO_LOG").is_none() {
            durable_cost(
                &writ_bin,
                dir,
                (&bundle, &key, &tokens),
                &writ_mix,
                seconds,
                w,
            );
        }
    }
}

/// The cost of `--log-durability sync` (one fdatasync per group commit)
/// against the default (`write`) measured above, at 16 connections.
fn durable_cost(
    bin: &Path,
    dir: &Path,
    (bundle, key, tokens): (&Path, &Path, &Tokens),
    mix: &Path,
    seconds: u64,
    default: Load,
) {
    let (_sync, url) = start_writ(bin, dir, bundle, key, tokens, "sync");
    let s = run_wrk(&format!("{url}/v1/is_authorized"), mix, 16, seconds);
    println!(
        "
decision log durability at 16 connections (every allow waits for its line):"
    );
    for (name, l) in [("write", default), ("sync", s)] {
        println!(
            "{:>5}  {:<12} {:>10.0} {:>9.3} {:>9.3} {:>7}",
            16,
            format!("log {name}"),
            l.rps,
            l.p50_us / 1000.0,
            l.p99_us / 1000.0,
            l.errors
        );
    }
    println!(
        "{:>5}  cost of sync: throughput {:.2}x of write's, p99 {:+.3} ms",
        "",
        s.rps / default.rps.max(1e-9),
        (s.p99_us - default.p99_us) / 1000.0
    );
}
