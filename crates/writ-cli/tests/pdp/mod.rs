//! Helpers for the tests of `writ serve`: the sample workspace approved and
//! exported, the real `writ serve` process on 127.0.0.1 port 0, agent
//! tokens, and the sample trace as decision requests.

#![allow(dead_code)]

use crate::common::{ok, SampleWorkspace as Ws};
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The audience and issuer of the test tokens.
pub const AUDIENCE: &str = "writ-pdp";

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

/// Signs agent tokens; the JWKS is written to `dir/jwks.json`.
pub struct Tokens {
    key: jsonwebtoken::EncodingKey,
    cache: HashMap<String, String>,
}

impl Tokens {
    /// A new signer; writes `dir/jwks.json`.
    pub fn new(dir: &Path) -> Tokens {
        use base64::Engine as _;
        let sk = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let x =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sk.verifying_key().as_bytes());
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA", "use": "sig"}]});
        std::fs::write(dir.join("jwks.json"), jwks.to_string()).expect("jwks");
        let pem = sk
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .expect("pem");
        Tokens {
            key: jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).expect("key"),
            cache: HashMap::new(),
        }
    }

    /// A token naming `oidc:<iss>|<sub>`, valid for an hour.
    pub fn token(&mut self, agent: &str) -> String {
        if let Some(t) = self.cache.get(agent) {
            return t.clone();
        }
        let (iss, sub) = agent
            .strip_prefix("oidc:")
            .and_then(|s| s.split_once('|'))
            .expect("an oidc agent");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({"iss": iss, "sub": sub, "aud": AUDIENCE, "exp": now + 3600});
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some("k1".into());
        let t = jsonwebtoken::encode(&header, &claims, &self.key).expect("signs");
        self.cache.insert(agent.to_string(), t.clone());
        t
    }
}

/// The sample trace's records.
pub fn records() -> Vec<Value> {
    std::fs::read_to_string(crate::common::root().join("scenarios/traces/recorded.jsonl"))
        .expect("the sample trace")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

/// A recorded action as a decision request (an `oidc:` agent by token).
pub fn request_for(rec: &Value, tokens: &mut Tokens) -> Value {
    let agent = rec["agent"].as_str().expect("agent");
    let mut req = json!({
        "action": format!("Action::{}", Value::from(rec["action"].as_str().expect("action"))),
        "context": rec.get("context").cloned().unwrap_or(json!({})),
        "time": rec["ts"],
    });
    if agent.starts_with("oidc:") {
        req["token"] = Value::from(tokens.token(agent));
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

/// A recorded action as a trusted gateway sends it in asserted mode: the
/// agent named as the principal (no token).
pub fn asserted_request_for(rec: &Value) -> Value {
    let mut req = json!({
        "principal": rec["agent"],
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

/// An HTTP client that returns error statuses as responses.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// POSTs JSON; returns the status and the JSON answer.
pub fn post(http: &ureq::Agent, url: &str, body: &Value) -> (u16, Value) {
    let mut r = http
        .post(url)
        .header("content-type", "application/json")
        .send(body.to_string())
        .expect("answers");
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().expect("body");
    (status, serde_json::from_str(&text).expect("json answer"))
}

/// Sends every request through the batch endpoint, `chunk` at a time;
/// returns the answers in order.
pub fn decide_all(http: &ureq::Agent, base: &str, requests: &[Value], chunk: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for c in requests.chunks(chunk) {
        let (status, v) = post(
            http,
            &format!("{base}/v1/is_authorized/batch"),
            &json!({ "requests": c }),
        );
        assert_eq!(status, 200, "{v}");
        out.extend(
            v["responses"]
                .as_array()
                .expect("responses")
                .iter()
                .cloned(),
        );
    }
    assert_eq!(out.len(), requests.len());
    out
}
