//! The sample trace (`scenarios/traces/recorded.jsonl`) as decision
//! requests for `POST /v1/is_authorized`.

use crate::tokens::Tokens;
use serde_json::{json, Value};
use std::path::PathBuf;

/// The sample trace.
pub fn recorded() -> PathBuf {
    crate::root().join("scenarios/traces/recorded.jsonl")
}

/// The sample trace's records.
pub fn records() -> Vec<Value> {
    std::fs::read_to_string(recorded())
        .expect("the sample trace")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// A trace line's request without the agent: the action and resource as
/// uids, the context, the user and the recorded time.
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

/// The request of [`request_for`] as a trusted gateway sends it in
/// asserted mode: the agent named as the principal, no token.
pub fn asserted_request_for(rec: &Value) -> Value {
    let mut req = base_request(rec);
    req["principal"] = rec["agent"].clone();
    req
}

/// The decision request for a recorded trace line in verified mode: an
/// `oidc:` agent by an OIDC token, a SPIFFE agent by a JWT-SVID, another
/// agent by principal.
pub fn request_for(rec: &Value, tokens: &mut Tokens) -> Value {
    let agent = rec["agent"].as_str().expect("agent");
    let mut req = base_request(rec);
    if agent.starts_with("oidc:") {
        req["token"] = Value::from(tokens.token(agent));
    } else if agent.starts_with("spiffe://") {
        req["token"] = Value::from(tokens.svid(agent));
    } else {
        req["principal"] = Value::from(agent);
    }
    req
}
