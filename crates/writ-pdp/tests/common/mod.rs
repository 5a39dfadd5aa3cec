//! Helpers for the server tests: sample bundles signed with a fixed key,
//! a real server on 127.0.0.1 (port 0) in its own runtime, an HTTP
//! client, agent tokens, and the replay the answers are compared with.

#![allow(dead_code)]

use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;
use writ_bundle::bundle::{self, Approval, TrustedKey};
use writ_pdp::server::{ServeError, ServeReport};
use writ_pdp::{Server, ServerConfig};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The sample trace.
pub fn recorded() -> PathBuf {
    root().join("scenarios/traces/recorded.jsonl")
}

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

/// The JWKS and token signer of the tests: an Ed25519 key, issuer
/// `https://login.acme.example`, audience `writ-pdp`.
pub struct Tokens {
    key: jsonwebtoken::EncodingKey,
    svid_key: jsonwebtoken::EncodingKey,
    cache: HashMap<String, String>,
    /// The SPIFFE trust bundle (JWT-SVID key `svid-1`) beside the JWKS.
    pub spiffe_bundle: PathBuf,
}

/// The audience tokens carry.
pub const AUDIENCE: &str = "writ-pdp";

impl Tokens {
    /// Writes the JWKS to `dir/jwks.json`; returns the signer and the path.
    pub fn new(dir: &Path) -> (Tokens, PathBuf) {
        use base64::Engine as _;
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let x =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sk.verifying_key().as_bytes());
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "test-1", "alg": "EdDSA", "use": "sig"}]});
        let path = dir.join("jwks.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&jwks).expect("json")).expect("write jwks");
        let pem = sk
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .expect("pem");
        let key = jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).expect("ed key");
        // The SPIFFE trust bundle: one JWT-SVID key of another key pair.
        let svid = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
        let sx = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(svid.verifying_key().as_bytes());
        let bundle = json!({"spiffe_sequence": 1, "keys": [{"kty": "OKP", "crv": "Ed25519", "x": sx, "kid": "svid-1", "use": "jwt-svid"}]});
        let spiffe_bundle = dir.join("spiffe-bundle.json");
        std::fs::write(
            &spiffe_bundle,
            serde_json::to_vec_pretty(&bundle).expect("json"),
        )
        .expect("write bundle");
        let spem = svid
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .expect("pem");
        let svid_key = jsonwebtoken::EncodingKey::from_ed_pem(spem.as_bytes()).expect("ed key");
        (
            Tokens {
                key,
                svid_key,
                cache: HashMap::new(),
                spiffe_bundle,
            },
            path,
        )
    }

    /// A JWT-SVID for the SPIFFE ID `agent`, valid for an hour.
    pub fn svid(&mut self, agent: &str) -> String {
        if let Some(t) = self.cache.get(agent) {
            return t.clone();
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({"sub": agent, "aud": [AUDIENCE], "exp": now + 3600, "iat": now});
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some("svid-1".into());
        header.typ = Some("JWT".into());
        let t = jsonwebtoken::encode(&header, &claims, &self.svid_key).expect("signs");
        self.cache.insert(agent.to_string(), t.clone());
        t
    }

    /// A token for `oidc:<iss>|<sub>`, valid for an hour.
    pub fn token(&mut self, agent: &str) -> String {
        if let Some(t) = self.cache.get(agent) {
            return t.clone();
        }
        let (iss, sub) = agent
            .strip_prefix("oidc:")
            .and_then(|s| s.split_once('|'))
            .expect("an oidc agent");
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims =
            json!({"iss": iss, "sub": sub, "aud": AUDIENCE, "exp": now + 3600, "iat": now});
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some("test-1".into());
        let t = jsonwebtoken::encode(&header, &claims, &self.key).expect("signs");
        self.cache.insert(agent.to_string(), t.clone());
        t
    }
}

/// The request of [`request_for`] as a trusted gateway sends it in
/// asserted mode: the agent named as the principal, no token.
pub fn asserted_request_for(rec: &Value) -> Value {
    let mut req = base_request(rec);
    req["principal"] = rec["agent"].clone();
    req
}

/// A trace line's request without the agent.
fn base_request(rec: &Value) -> Value {
    let mut req = json!({
        "action": format!("Action::{}", Value::from(rec["action"].as_str().expect("action"))),
        "context": rec.get("context").cloned().unwrap_or(json!({})),
        "time": rec["ts"],
    });
    if let Some(r) = rec.get("resource") {
        req["resource"] = Value::from(format!(
            "{}::{}",
            r["type"].as_str().expect("type"),
            Value::from(r["id"].as_str().expect("id"))
        ));
    }
    if let Some(u) = rec.get("on_behalf_of") {
        req["on_behalf_of"] = u.clone();
    }
    req
}

/// The decision request for a recorded trace line in verified mode: an
/// `oidc:` agent by an OIDC token, a SPIFFE agent by a JWT-SVID (another
/// agent by principal), the action and resource as uids,
/// the context, the user and the recorded time.
pub fn request_for(rec: &Value, tokens: &mut Tokens) -> Value {
    let agent = rec["agent"].as_str().expect("agent");
    let mut req = json!({
        "action": format!("Action::{}", Value::from(rec["action"].as_str().expect("action"))),
        "context": rec.get("context").cloned().unwrap_or(json!({})),
        "time": rec["ts"],
    });
    if agent.starts_with("oidc:") {
        req["token"] = Value::from(tokens.token(agent));
    } else if agent.starts_with("spiffe://") {
        // Verified mode: a SPIFFE agent proves itself with a JWT-SVID.
        req["token"] = Value::from(tokens.svid(agent));
    } else {
        req["principal"] = Value::from(agent);
    }
    if let Some(r) = rec.get("resource") {
        req["resource"] = Value::from(format!(
            "{}::{}",
            r["type"].as_str().expect("type"),
            Value::from(r["id"].as_str().expect("id"))
        ));
    }
    if let Some(u) = rec.get("on_behalf_of") {
        req["on_behalf_of"] = u.clone();
    }
    req
}

/// The sample trace's records.
pub fn records() -> Vec<Value> {
    std::fs::read_to_string(recorded())
        .expect("the sample trace")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
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

/// An HTTP client that returns error statuses as responses.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// POSTs a JSON body; returns the status and the JSON answer.
pub fn post(agent: &ureq::Agent, url: &str, body: &Value) -> (u16, Value) {
    post_raw(
        agent,
        url,
        &serde_json::to_string(body).expect("json"),
        None,
    )
}

/// POSTs raw text, optionally with a bearer token; returns status and JSON.
pub fn post_raw(agent: &ureq::Agent, url: &str, body: &str, bearer: Option<&str>) -> (u16, Value) {
    let mut req = agent.post(url).header("content-type", "application/json");
    if let Some(b) = bearer {
        req = req.header("authorization", &format!("Bearer {b}"));
    }
    let mut resp = req.send(body).expect("the server answers");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON ({e}): {text}")),
    )
}

/// GETs a path; returns status and text.
pub fn get(agent: &ureq::Agent, url: &str) -> (u16, String) {
    let mut resp = agent.get(url).call().expect("the server answers");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().expect("body"))
}

/// GETs a URL with a bearer token; returns the status and body.
pub fn get_with(agent: &ureq::Agent, url: &str, bearer: &str) -> (u16, String) {
    let mut resp = agent
        .get(url)
        .header("Authorization", &format!("Bearer {bearer}"))
        .call()
        .expect("the server answers");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().expect("body"))
}

/// Polls `f` every 50 ms for up to `secs` seconds.
pub fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
