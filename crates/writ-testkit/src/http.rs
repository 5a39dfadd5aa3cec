//! An HTTP client for a test server on 127.0.0.1 that returns error
//! statuses as answers, and JSON requests through it.

use serde_json::{json, Value};
use std::time::Duration;

/// A client that returns error statuses as responses (60 s per call).
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// POSTs a JSON body; returns the status and the JSON answer.
pub fn post(agent: &ureq::Agent, url: &str, body: &Value) -> (u16, Value) {
    post_raw(agent, url, &body.to_string(), None)
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

/// GETs a URL; returns the status and the body.
pub fn get(agent: &ureq::Agent, url: &str) -> (u16, String) {
    let mut resp = agent.get(url).call().expect("the server answers");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().expect("body"))
}

/// GETs a URL with a bearer token; returns the status and the body.
pub fn get_with(agent: &ureq::Agent, url: &str, bearer: &str) -> (u16, String) {
    let mut resp = agent
        .get(url)
        .header("Authorization", &format!("Bearer {bearer}"))
        .call()
        .expect("the server answers");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().expect("body"))
}

/// Sends every request through `base/v1/is_authorized/batch`, `chunk` at
/// a time; each batch must answer 200. Returns the answers in order.
pub fn decide_all(agent: &ureq::Agent, base: &str, requests: &[Value], chunk: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for c in requests.chunks(chunk) {
        let (status, v) = post(
            agent,
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

/// Polls `f` every 50 ms for up to `secs` seconds; whether it came true.
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
