//! The HTTP routes: `POST /v1/is_authorized` (and `/batch`), `GET
//! /v1/health`, `/v1/bundle` and `/metrics`; the bearer token check, body
//! limits, timeouts and the fail-closed answers (every refusal is a deny,
//! logged like any decision).

use crate::api::{self, AuthorizeRequest, AuthorizeResponse, DecideContext};
use crate::conn::Peer;
use crate::engine::BundleInfo;
use crate::log_writer::{DecisionLog, LogHealth, OnFailure};
use crate::rollback::Guard;
use crate::state::{AppState, Pending, Rejected};
use axum::body::{to_bytes, Body};
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use time::OffsetDateTime;

/// The routes over a state.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/is_authorized", post(is_authorized))
        .route("/v1/is_authorized/batch", post(is_authorized_batch))
        .route("/v1/health", get(health))
        .route("/v1/bundle", get(bundle_info))
        .route("/metrics", get(metrics))
        .with_state(state)
}

fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| {
        br#"{"decision":"Deny","diagnostics":{"reason":[],"errors":[]},"decision_id":"","verdict":"denied_before_policies","denied_because":"internal error"}"#.to_vec()
    });
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// Whether the caller sent the configured bearer token (compared in
/// constant time).
fn authorized(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(expected) = &state.bearer else {
        return true;
    };
    let Some(got) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (expected.as_bytes(), got.trim().as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `response` marked `Connection: close`: it answers a request whose body
/// was not read, so the connection cannot carry another request (the
/// unread bytes would be taken for one), and a client must not pool it.
fn closing(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response
}

/// The 401 answer to a caller that did not authenticate: counted in the
/// metrics, never written to the decision log (a flood of them must not
/// displace decision lines). The body is not read, so the connection closes.
fn unauthorized(state: &AppState) -> Response {
    state.metrics.refuse("unauthorized");
    state.metrics.auth_failures.inc();
    closing(json_response(
        StatusCode::UNAUTHORIZED,
        &AuthorizeResponse {
            decision: "Deny".into(),
            diagnostics: api::Diagnostics::default(),
            decision_id: String::new(),
            verdict: api::DENIED_BEFORE_POLICIES.into(),
            denied_because: Some(
                "missing or wrong bearer token (send `Authorization: Bearer <token>`)".into(),
            ),
        },
    ))
}

/// A deny answered without reading a decision request (413, 400, 408),
/// logged like every other decision; the connection closes after it.
fn refuse(state: &AppState, status: StatusCode, why: &str, reason: String) -> Response {
    state.metrics.refuse(why);
    let active = state.active.load_full();
    let started = Instant::now();
    let d = api::deny_before(
        &AuthorizeRequest::default(),
        active.as_ref(),
        String::new(),
        OffsetDateTime::now_utc(),
        None,
        reason,
    );
    // A deny: it does not wait for its line.
    let response = state.settle(state.write(d, started), None);
    closing(json_response(status, &response))
}

/// Decides one parsed request against the current bundle; a panic inside
/// becomes a deny.
fn decide_one(
    state: &AppState,
    req: &AuthorizeRequest,
    peer: Option<&str>,
) -> (StatusCode, Pending) {
    let started = Instant::now();
    let active = state.active.load_full();
    let now = OffsetDateTime::now_utc();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        api::decide(
            req,
            &DecideContext {
                bundle: active.as_ref(),
                identity: &state.identity,
                trust_request_time: state.trust_request_time,
                now,
                peer,
            },
        )
    }));
    let (status, decided) = match result {
        Ok(Ok(d)) => (StatusCode::OK, d),
        Ok(Err(d)) => (StatusCode::BAD_REQUEST, *d),
        Err(_) => {
            tracing::error!("internal error while deciding; denied");
            (
                StatusCode::OK,
                api::deny_before(
                    req,
                    active.as_ref(),
                    req.principal.clone().unwrap_or_default(),
                    now,
                    None,
                    "internal error while deciding".into(),
                ),
            )
        }
    };
    (status, state.write(decided, started))
}

async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<axum::body::Bytes, Response> {
    if !authorized(state, headers) {
        return Err(unauthorized(state));
    }
    match to_bytes(body, limit).await {
        Ok(b) => Ok(b),
        Err(_) => Err(refuse(
            state,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is larger than {limit} bytes (or could not be read)"),
        )),
    }
}

async fn with_timeout(state: Arc<AppState>, f: impl Future<Output = Response>) -> Response {
    match tokio::time::timeout(state.timeout, f).await {
        Ok(r) => r,
        Err(_) => refuse(
            &state,
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!("the request took longer than {:?}", state.timeout),
        ),
    }
}

/// Parses a request body as `T`, or answers 400 with a deny saying it is
/// not `what`.
fn parse_body<T: serde::de::DeserializeOwned>(
    state: &AppState,
    bytes: &[u8],
    what: &str,
) -> Result<T, Box<Response>> {
    serde_json::from_slice(bytes).map_err(|e| {
        Box::new(refuse(
            state,
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("the request is not {what}: {e}"),
        ))
    })
}

type PeerExt = Option<Extension<Arc<Peer>>>;

fn peer_id(peer: &PeerExt) -> Option<String> {
    peer.as_ref().and_then(|Extension(p)| p.spiffe_id.clone())
}

/// The body read within `limit` (after the caller is authorized) and
/// parsed as JSON `what`; the refusal to send otherwise.
async fn read_json<T: serde::de::DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    what: &str,
) -> Result<T, Response> {
    let bytes = read_body(state, headers, body, limit).await?;
    parse_body(state, &bytes, what).map_err(|r| *r)
}

async fn is_authorized(
    State(state): State<Arc<AppState>>,
    peer: PeerExt,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let peer = peer_id(&peer);
    let s = state.clone();
    with_timeout(state, async move {
        let req: AuthorizeRequest =
            match read_json(&s, &headers, body, s.max_body, "a decision request").await {
                Ok(r) => r,
                Err(r) => return r,
            };
        let (status, pending) = decide_one(&s, &req, peer.as_deref());
        let response = s.settled(pending).await;
        json_response(status, &response)
    })
    .await
}

#[derive(serde::Deserialize)]
struct BatchRequest {
    requests: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct BatchResponse {
    responses: Vec<AuthorizeResponse>,
}

async fn is_authorized_batch(
    State(state): State<Arc<AppState>>,
    peer: PeerExt,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let peer = peer_id(&peer);
    let s = state.clone();
    with_timeout(state, async move {
        let what = "a batch `{\"requests\": [...]}`";
        let batch: BatchRequest = match read_json(&s, &headers, body, s.max_batch_body, what).await
        {
            Ok(b) => b,
            Err(r) => return r,
        };
        if batch.requests.len() > s.max_batch {
            return refuse(
                &s,
                StatusCode::BAD_REQUEST,
                "too_large",
                format!(
                    "the batch holds {} requests; at most {} are allowed",
                    batch.requests.len(),
                    s.max_batch
                ),
            );
        }
        let state2 = s.clone();
        let decided = tokio::task::spawn_blocking(move || {
            batch
                .requests
                .into_iter()
                .map(|v| match serde_json::from_value::<AuthorizeRequest>(v) {
                    Ok(req) => decide_one(&state2, &req, peer.as_deref()).1,
                    Err(e) => {
                        let started = Instant::now();
                        let d = api::deny_before(
                            &AuthorizeRequest::default(),
                            state2.active.load_full().as_ref(),
                            String::new(),
                            OffsetDateTime::now_utc(),
                            None,
                            format!("the request is not a decision request: {e}"),
                        );
                        state2.write(d, started)
                    }
                })
                .collect::<Vec<_>>()
        })
        .await;
        match decided {
            Ok(pending) => {
                // One group commit holds the whole batch's lines.
                let mut responses = Vec::with_capacity(pending.len());
                for p in pending {
                    responses.push(s.settled(p).await);
                }
                json_response(StatusCode::OK, &BatchResponse { responses })
            }
            Err(_) => refuse(
                &s,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error while deciding the batch".into(),
            ),
        }
    })
    .await
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    bundle_loaded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    identity_mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence: Option<u64>,
    /// Seconds until the active bundle expires (absent: no expiry).
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds_until_expiry: Option<i64>,
    rejected_bundles: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_rejected: Option<Rejected>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_log: Option<LogView>,
}

/// The decision log's state in `/v1/health`.
#[derive(Serialize)]
struct LogView {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    on_failure: &'static str,
    durability: &'static str,
    lost_lines: u64,
    failed_writes: u64,
    reopened: u64,
}

impl From<LogHealth> for LogView {
    fn from(h: LogHealth) -> LogView {
        LogView {
            ok: h.ok,
            error: h.error,
            on_failure: h.on_failure.as_str(),
            durability: h.durability.as_str(),
            lost_lines: h.lost,
            failed_writes: h.failures,
            reopened: h.reopened,
        }
    }
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    let active = state.active.load_full();
    let now = OffsetDateTime::now_utc();
    let left = active
        .as_ref()
        .and_then(|b| b.info.seconds_until_expiry(now));
    let warn = i64::try_from(state.expiry_warning.as_secs()).unwrap_or(i64::MAX);
    let last_rejected = state.last_rejected.lock().ok().and_then(|r| r.clone());
    let (status, word, reason) = match &active {
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Some("no valid bundle is loaded".to_string()),
        ),
        Some(b) if b.info.expired_at(now) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Some(format!(
                "the active bundle expired at {}",
                b.info.expires.as_deref().unwrap_or_default()
            )),
        ),
        Some(b) => match state.log.as_ref().map(DecisionLog::health) {
            // Decisions that cannot be recorded are an outage for audit.
            Some(h) if !h.ok => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                Some(format!(
                    "the decision log cannot be written: {}; {}",
                    h.error.unwrap_or_else(|| "a write failed".into()),
                    match h.on_failure {
                        OnFailure::Deny => "allows are answered as denies until it recovers",
                        OnFailure::Allow =>
                            "decisions are answered but not logged (--on-log-failure allow)",
                    }
                )),
            ),
            _ => match (left, &last_rejected) {
                (Some(l), _) if l < warn => (
                    StatusCode::OK,
                    "degraded",
                    Some(format!(
                        "the active bundle expires in {l} s (at {}); deploy a new one",
                        b.info.expires.as_deref().unwrap_or_default()
                    )),
                ),
                (_, Some(r)) if r.kind == "rollback" || r.kind == "channel" => (
                    StatusCode::OK,
                    "degraded",
                    Some(format!("a bundle was refused at {}: {}", r.at, r.reason)),
                ),
                _ => (StatusCode::OK, "ok", None),
            },
        },
    };
    json_response(
        status,
        &Health {
            status: word,
            bundle_loaded: active.is_some(),
            reason,
            identity_mode: state.identity.mode().as_str(),
            channel: state.guard.as_ref().map(|g| g.channel().to_string()),
            sequence: active.as_ref().and_then(|b| b.info.sequence),
            seconds_until_expiry: left,
            rejected_bundles: state.metrics.rejected_total(),
            last_rejected,
            decision_log: state.log.as_ref().map(|l| l.health().into()),
        },
    )
}

#[derive(Serialize)]
struct BundleView {
    active: Option<BundleInfo>,
    expired: bool,
    seconds_until_expiry: Option<i64>,
    channel_state: Option<crate::rollback::ChannelState>,
    last_rejected: Option<Rejected>,
}

async fn bundle_info(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return unauthorized(&state);
    }
    let active = state.active.load_full();
    let now = OffsetDateTime::now_utc();
    let view = BundleView {
        expired: active.as_ref().is_some_and(|b| b.info.expired_at(now)),
        seconds_until_expiry: active
            .as_ref()
            .and_then(|b| b.info.seconds_until_expiry(now)),
        channel_state: state.guard.as_ref().and_then(Guard::current),
        active: active.map(|b| b.info.clone()),
        last_rejected: state.last_rejected.lock().ok().and_then(|r| r.clone()),
    };
    json_response(StatusCode::OK, &view)
}

async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    // The metrics name the bundle digest and key id: protected like the API.
    if !authorized(&state, &headers) {
        return unauthorized(&state);
    }
    let active = state.active.load_full();
    let now = OffsetDateTime::now_utc();
    state.metrics.bundle_expiry_seconds.set(
        active
            .as_ref()
            .and_then(|b| b.info.seconds_until_expiry(now))
            .unwrap_or(-1),
    );
    state.metrics.cache_bytes.set(
        active
            .as_ref()
            .map_or(0, |b| i64::try_from(b.cache_bytes()).unwrap_or(i64::MAX)),
    );
    if let Some(log) = &state.log {
        state.metrics.set_log(&log.health());
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}
