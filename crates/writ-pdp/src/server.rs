//! The HTTP server: routes, the fail-closed request handling, the bundle
//! watcher (hot swap), the decision log and graceful shutdown.

use crate::api::{self, AuthorizeRequest, AuthorizeResponse, DecideContext, Decided};
use crate::engine::{self, ActiveBundle, BundleInfo, LoadError};
use crate::identity::{IdentityConfig, IdentityMode};
use crate::log_writer::{Ack, DecisionLog, LogConfig, LogHealth, LogWorker, OnFailure};
use crate::metrics::Metrics;
use crate::rollback::{ChannelConfig, Guard};
use crate::tls::TlsConfig;
use arc_swap::ArcSwapOption;
use axum::body::{to_bytes, Body};
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use writ_bundle::bundle::TrustedKey;

/// How to serve.
#[derive(Debug)]
pub struct ServerConfig {
    /// The bundle folder or `.tar.gz` (watched for changes).
    pub bundle: PathBuf,
    /// The trusted public keys.
    pub trusted: Vec<TrustedKey>,
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// How agents are identified (JWKS for tokens).
    pub identity: IdentityConfig,
    /// Honour a request's `time` (for replaying recorded traffic).
    pub trust_request_time: bool,
    /// A bearer token callers must send (`Authorization: Bearer ...`).
    pub bearer_token: Option<String>,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// The largest batch request body accepted.
    pub max_batch_body_bytes: usize,
    /// The most requests in one batch.
    pub max_batch: usize,
    /// The longest a request may take (reading and deciding).
    pub request_timeout: Duration,
    /// How often the bundle path is looked at for changes.
    pub watch_interval: Duration,
    /// The decision log, if one is written.
    pub log: Option<LogConfig>,
    /// The release channel followed (rollback protection), if any.
    pub channel: Option<ChannelConfig>,
    /// Refuse bundles without an expiry (default: true).
    pub require_expiry: bool,
    /// How long before its expiry the bundle makes health `degraded`.
    pub expiry_warning: Duration,
    /// The cap of the decision cache, in (estimated) bytes.
    pub cache_bytes: usize,
    /// The most connections open at once; more are closed at once.
    pub max_connections: usize,
    /// The longest a client may take to send a request's headers (and
    /// the TLS handshake).
    pub header_timeout: Duration,
    /// How long a connection may stay without any traffic.
    pub idle_timeout: Duration,
    /// TLS (and mTLS client authentication), if configured.
    pub tls: Option<TlsConfig>,
    /// Asserted mode without caller authentication, on 127.0.0.1 only.
    pub insecure_loopback: bool,
}

/// The longest principal, action or resource string accepted, in bytes.
pub const MAX_UID_BYTES: usize = 2048;

impl ServerConfig {
    /// A configuration with the defaults: listen on 127.0.0.1:8180, no
    /// tokens, no bearer token, 64 KiB bodies (1 MiB for a batch), 1,000
    /// requests per batch,
    /// 5 s per request, the bundle looked at every second, no log.
    pub fn new(bundle: PathBuf, trusted: Vec<TrustedKey>) -> ServerConfig {
        ServerConfig {
            bundle,
            trusted,
            listen: SocketAddr::from(([127, 0, 0, 1], 8180)),
            identity: IdentityConfig::none(),
            trust_request_time: false,
            bearer_token: None,
            max_body_bytes: 64 * 1024,
            max_batch_body_bytes: 1024 * 1024,
            max_batch: 1000,
            request_timeout: Duration::from_secs(5),
            watch_interval: Duration::from_secs(1),
            log: None,
            channel: None,
            require_expiry: true,
            expiry_warning: Duration::from_secs(24 * 3600),
            cache_bytes: engine::DEFAULT_CACHE_BYTES,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            tls: None,
            insecure_loopback: false,
        }
    }
}

/// Why the server could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The bundle does not load.
    #[error(transparent)]
    Bundle(#[from] LoadError),
    /// The listen address cannot be bound, or serving failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The decision log cannot be opened or closed.
    #[error("decision log: {0}")]
    Log(String),
    /// The bundle is refused by the channel rules or the state cannot be
    /// used (see [`crate::rollback`]).
    #[error(transparent)]
    Rollback(#[from] crate::rollback::RollbackError),
    /// The configuration is not safe or not complete (identity mode, caller
    /// authentication, expiry, TLS).
    #[error("{0}")]
    Config(String),
}

impl ServeError {
    /// The process exit code: a bundle's verification code (10-23, see the
    /// writ-bundle README), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Bundle(e) => e.exit_code(),
            ServeError::Rollback(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// A bundle that was refused after start.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    /// When (RFC 3339).
    pub at: String,
    /// Why.
    pub reason: String,
    /// The kind (`verify`, `rollback`, `channel`, `state`, `expiry`).
    pub kind: String,
}

/// The server's shared state.
#[derive(Debug)]
pub struct AppState {
    active: ArcSwapOption<ActiveBundle>,
    last_rejected: Mutex<Option<Rejected>>,
    guard: Option<Guard>,
    require_expiry: bool,
    expiry_warning: Duration,
    cache_bytes: usize,
    identity: IdentityConfig,
    trust_request_time: bool,
    bearer: Option<String>,
    max_body: usize,
    max_batch_body: usize,
    max_batch: usize,
    timeout: Duration,
    log: Option<DecisionLog>,
    metrics: Metrics,
}

impl AppState {
    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn set_active(&self, b: ActiveBundle) {
        self.metrics
            .set_bundle(&b.info.version, &b.info.digest, &b.info.key_id);
        self.metrics.bundle_sequence.set(
            b.info
                .sequence
                .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)),
        );
        self.active.store(Some(Arc::new(b)));
    }

    fn reject(&self, kind: &str, reason: String) {
        self.metrics.reload("rejected");
        self.metrics.reject(kind);
        if let Ok(mut r) = self.last_rejected.lock() {
            *r = Some(Rejected {
                at: writ_bundle::bundle::format_time(OffsetDateTime::now_utc()),
                reason,
                kind: kind.to_string(),
            });
        }
    }

    /// The rules a verified bundle must pass before it is activated: an
    /// expiry (unless allowed without), and the channel rules, whose state
    /// is written durably here. `Err` is the kind and the reason.
    fn admit(&self, b: &ActiveBundle) -> Result<(), (&'static str, ServeError)> {
        if self.require_expiry && b.info.expires.is_none() {
            return Err((
                "expiry",
                ServeError::Config(format!(
                    "bundle {}: it has no expiry; serve requires one (export with --expires-in), or pass --allow-no-expiry",
                    b.info.path.display()
                )),
            ));
        }
        if let Some(g) = &self.guard {
            let now = writ_bundle::bundle::format_time(OffsetDateTime::now_utc());
            g.admit(&b.info.manifest, &b.info.digest, &now)
                .map_err(|e| (e.label(), ServeError::Rollback(e)))?;
        }
        Ok(())
    }

    /// Queues the decision's log line; the answer waits in the returned
    /// [`Pending`] until [`Self::settle`].
    fn write(&self, mut d: Decided, started: Instant) -> Pending {
        let elapsed = started.elapsed();
        let ack = self.log.as_ref().map(|log| {
            d.entry.latency_us = elapsed.as_micros().min(u128::from(u64::MAX)) as u64;
            d.entry.masked = log.mask_context(&mut d.entry.request.context);
            log.record(d.entry)
        });
        Pending {
            response: d.response,
            ack,
            seconds: elapsed.as_secs_f64(),
        }
    }

    /// Whether `p`'s answer must wait for its log line: an allow, with a
    /// log, unless `--on-log-failure allow`.
    fn must_wait(&self, p: &Pending) -> bool {
        p.response.decision == "Allow"
            && p.ack.is_some()
            && self
                .log
                .as_ref()
                .is_some_and(|l| l.on_failure() == OnFailure::Deny)
    }

    /// The answer of `p` once its line is known `written` (`None`: not
    /// waited for): an allow whose line was not written becomes a deny.
    fn settle(&self, mut p: Pending, written: Option<bool>) -> AuthorizeResponse {
        if written == Some(false) {
            let why = self
                .log
                .as_ref()
                .and_then(DecisionLog::error)
                .unwrap_or_else(|| "the write failed".into());
            p.response.decision = "Deny".into();
            p.response.verdict = NOT_LOGGED.into();
            p.response.diagnostics.reason.clear();
            p.response.denied_because = Some(format!(
                "the decision could not be written to the decision log ({why}); allows are denied until it can (--on-log-failure deny)"
            ));
            self.metrics.unlogged_deny();
        }
        self.metrics
            .decision(&p.response.decision, &p.response.verdict, p.seconds);
        p.response
    }

    /// [`Self::settle`] after waiting for the log line when it must.
    async fn settled(&self, mut p: Pending) -> AuthorizeResponse {
        let written = if self.must_wait(&p) {
            match p.ack.take() {
                Some(a) => Some(a.written().await),
                None => None,
            }
        } else {
            None
        };
        self.settle(p, written)
    }
}

/// The verdict of an allow denied because its log line could not be written.
pub const NOT_LOGGED: &str = "denied_not_logged";

/// A decision whose answer may depend on its log line being written.
#[derive(Debug)]
struct Pending {
    response: AuthorizeResponse,
    ack: Option<Ack>,
    seconds: f64,
}

/// A server bound to its address with its bundle loaded, not yet serving.
pub struct Server {
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    worker: Option<LogWorker>,
    bundle_path: PathBuf,
    trusted: Vec<TrustedKey>,
    watch_interval: Duration,
    conn: ConnLimits,
}

/// The connection limits and TLS of the accept loop.
#[derive(Clone)]
struct ConnLimits {
    max_connections: usize,
    header_timeout: Duration,
    idle_timeout: Duration,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Refuses configurations that would let a request pick its own identity
/// or reach the decisions without authenticating (see the identity modes
/// in `docs/decision-api.md`).
fn check_config(cfg: &ServerConfig) -> Result<(), ServeError> {
    let client_auth = cfg.tls.as_ref().is_some_and(|t| !t.client_roots.is_empty());
    match cfg.identity.mode() {
        IdentityMode::Verified => {
            if !cfg.identity.checks_tokens() && !client_auth {
                return Err(ServeError::Config(
                    "identity mode `verified` needs something to verify: --jwks, a SPIFFE trust bundle (--spiffe-bundle) or mTLS client certificates (--tls-client-ca)".into(),
                ));
            }
        }
        IdentityMode::Asserted => {
            if cfg.identity.checks_tokens() {
                return Err(ServeError::Config(
                    "token keys (--jwks or a SPIFFE bundle's JWT-SVID keys) are checked only in identity mode `verified`; drop them or use --identity-mode verified".into(),
                ));
            }
            if cfg.insecure_loopback {
                if cfg.listen.ip() != std::net::IpAddr::from([127, 0, 0, 1]) {
                    return Err(ServeError::Config(format!(
                        "--insecure-loopback listens on 127.0.0.1 only, not {}",
                        cfg.listen
                    )));
                }
            } else if cfg.bearer_token.is_none() && !client_auth {
                return Err(ServeError::Config(
                    "identity mode `asserted` trusts the principal a caller names, so callers must authenticate: set --bearer-token-file or mTLS (--tls-client-ca), or, for a local trial, --insecure-loopback (127.0.0.1 only)".into(),
                ));
            }
        }
    }
    if cfg.tls.is_none() && client_auth {
        return Err(ServeError::Config("client certificates need TLS".into()));
    }
    Ok(())
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

/// What a served run did.
#[derive(Debug, Clone, Default)]
pub struct ServeReport {
    /// What the decision log writer wrote, when a log was configured.
    pub log: Option<crate::log_writer::LogStats>,
}

impl Server {
    /// Loads and verifies the bundle (refusing a bad one), opens the
    /// decision log and binds the address.
    pub async fn bind(cfg: ServerConfig) -> Result<Server, ServeError> {
        check_config(&cfg)?;
        let tls = match &cfg.tls {
            Some(t) => {
                Some(crate::tls::acceptor(t).map_err(|e| ServeError::Config(e.to_string()))?)
            }
            None => None,
        };
        let guard = match cfg.channel.clone() {
            Some(c) => Some(Guard::open(c)?),
            None => None,
        };
        let active = engine::load(&cfg.bundle, &cfg.trusted, OffsetDateTime::now_utc())?
            .with_cache_bytes(cfg.cache_bytes);
        let (log, worker) = match cfg.log {
            Some(l) => {
                let (log, worker) =
                    DecisionLog::open(l).map_err(|e| ServeError::Log(e.to_string()))?;
                (Some(log), Some(worker))
            }
            None => (None, None),
        };
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .map_err(|source| ServeError::Listen {
                addr: cfg.listen,
                source,
            })?;
        let metrics = Metrics::new();
        let _ = metrics
            .reloads
            .get_or_create(&crate::metrics::ReloadLabels {
                result: "ok".into(),
            });
        let _ = metrics
            .reloads
            .get_or_create(&crate::metrics::ReloadLabels {
                result: "rejected".into(),
            });
        let state = Arc::new(AppState {
            active: ArcSwapOption::empty(),
            last_rejected: Mutex::new(None),
            guard,
            require_expiry: cfg.require_expiry,
            expiry_warning: cfg.expiry_warning,
            cache_bytes: cfg.cache_bytes,
            identity: cfg.identity,
            trust_request_time: cfg.trust_request_time,
            bearer: cfg.bearer_token,
            max_body: cfg.max_body_bytes,
            max_batch_body: cfg.max_batch_body_bytes,
            max_batch: cfg.max_batch,
            timeout: cfg.request_timeout,
            log,
            metrics,
        });
        state.admit(&active).map_err(|(_, e)| e)?;
        tracing::info!(
            version = %active.info.version,
            digest = %active.info.digest,
            key_id = %active.info.key_id,
            channel = active.info.channel.as_deref().unwrap_or("-"),
            sequence = active.info.sequence.unwrap_or(0),
            identity_mode = state.identity.mode().as_str(),
            "bundle loaded"
        );
        state.set_active(active);
        Ok(Server {
            listener,
            state,
            worker,
            bundle_path: cfg.bundle,
            trusted: cfg.trusted,
            watch_interval: cfg.watch_interval,
            conn: ConnLimits {
                max_connections: cfg.max_connections.max(1),
                header_timeout: cfg.header_timeout,
                idle_timeout: cfg.idle_timeout,
                tls,
            },
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Result<SocketAddr, std::io::Error> {
        self.listener.local_addr()
    }

    /// The active bundle's description.
    pub fn bundle_info(&self) -> Option<BundleInfo> {
        self.state.active.load_full().map(|b| b.info.clone())
    }

    /// Serves until `shutdown` completes; then stops accepting, finishes
    /// the requests in flight, stops the watcher and flushes and closes
    /// the decision log.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<ServeReport, ServeError> {
        let Server {
            listener,
            state,
            worker,
            bundle_path,
            trusted,
            watch_interval,
            conn,
        } = self;
        let addr = listener.local_addr().ok();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let watcher = tokio::spawn(watch(
            state.clone(),
            bundle_path,
            trusted,
            watch_interval,
            stop_rx,
        ));
        let app = router(state.clone());
        let (conn_stop_tx, conn_stop_rx) = tokio::sync::watch::channel(false);
        let served = tokio::spawn(crate::conn::accept_loop(
            listener,
            app,
            crate::conn::Limits {
                max_connections: conn.max_connections,
                header_timeout: conn.header_timeout,
                idle_timeout: conn.idle_timeout,
                tls: conn.tls,
            },
            state.clone(),
            conn_stop_rx,
        ));
        shutdown.await;
        let _ = conn_stop_tx.send(true);
        let served = served.await;
        let _ = stop_tx.send(true);
        let _ = watcher.await;
        drop(state);
        if let Err(e) = served {
            return Err(ServeError::Listen {
                addr: addr.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
                source: std::io::Error::other(e.to_string()),
            });
        }
        let mut report = ServeReport::default();
        if let Some(worker) = worker {
            let stats = tokio::task::spawn_blocking(move || worker.finish())
                .await
                .map_err(|e| ServeError::Log(e.to_string()))?
                .map_err(|e| ServeError::Log(e.to_string()))?;
            report.log = Some(stats);
        }
        Ok(report)
    }
}

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

/// The 401 answer to a caller that did not authenticate: counted in the
/// metrics, never written to the decision log (a flood of them must not
/// displace decision lines).
fn unauthorized(state: &AppState) -> Response {
    state.metrics.refuse("unauthorized");
    state.metrics.auth_failures.inc();
    json_response(
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
    )
}

/// A deny answered without reading a decision request (413, 400, 408),
/// logged like every other decision.
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
    json_response(status, &response)
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

/// What the connection proved: the SPIFFE ID of its verified client
/// certificate, if any (set by the accept loop on every request).
#[derive(Debug, Clone, Default)]
pub struct Peer {
    /// The client certificate's SPIFFE ID (URI SAN).
    pub spiffe_id: Option<String>,
}

type PeerExt = Option<Extension<Arc<Peer>>>;

fn peer_id(peer: &PeerExt) -> Option<String> {
    peer.as_ref().and_then(|Extension(p)| p.spiffe_id.clone())
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
        let bytes = match read_body(&s, &headers, body, s.max_body).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        let req: AuthorizeRequest = match parse_body(&s, &bytes, "a decision request") {
            Ok(r) => r,
            Err(r) => return *r,
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
        let bytes = match read_body(&s, &headers, body, s.max_batch_body).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        let batch: BatchRequest = match parse_body(&s, &bytes, "a batch `{\"requests\": [...]}`") {
            Ok(b) => b,
            Err(r) => return *r,
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

/// A cheap fingerprint of the bundle path: for a folder, its own identity
/// and each entry's name, size, change time and inode; for a file, its
/// size, change time and inode. `None` when the path cannot be read.
/// Per entry: name, size, modification time (ns), inode mixed with change time.
type Fingerprint = Vec<(String, u64, i128, u64)>;

fn fingerprint(path: &std::path::Path) -> Option<Fingerprint> {
    fn one(name: String, m: &std::fs::Metadata) -> (String, u64, i128, u64) {
        let mtime = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        #[cfg(unix)]
        let ino = {
            use std::os::unix::fs::MetadataExt as _;
            m.ino() ^ (m.ctime_nsec() as u64).rotate_left(32) ^ m.ctime() as u64
        };
        #[cfg(not(unix))]
        let ino = 0;
        (name, m.len(), mtime, ino)
    }
    let m = std::fs::metadata(path).ok()?;
    let mut out = vec![one(String::new(), &m)];
    if m.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some(one(e.file_name().to_string_lossy().into_owned(), &m))
            })
            .collect();
        entries.sort();
        out.extend(entries);
    }
    Some(out)
}

/// Watches the bundle path by polling its fingerprint. A change is acted
/// on once the fingerprint has stayed the same for one more interval (an
/// export writes several files); the new bundle is read and verified, and
/// swapped in when good. A bad one is logged and recorded, and the last
/// good one keeps serving; it is tried again when the path changes again.
async fn watch(
    state: Arc<AppState>,
    path: PathBuf,
    trusted: Vec<TrustedKey>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let p = path.clone();
    let mut seen = tokio::task::spawn_blocking(move || fingerprint(&p))
        .await
        .ok()
        .flatten();
    let mut pending: Option<Option<Fingerprint>> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        let p = path.clone();
        let now_fp = tokio::task::spawn_blocking(move || fingerprint(&p))
            .await
            .ok()
            .flatten();
        if now_fp == seen {
            pending = None;
            continue;
        }
        match &pending {
            Some(p) if *p == now_fp => {}
            _ => {
                // Changed: wait one more interval for it to settle.
                pending = Some(now_fp);
                continue;
            }
        }
        pending = None;
        seen = now_fp;
        let (p, t) = (path.clone(), trusted.clone());
        let cache_bytes = state.cache_bytes;
        let loaded = tokio::task::spawn_blocking(move || {
            engine::load(&p, &t, OffsetDateTime::now_utc()).map(|b| b.with_cache_bytes(cache_bytes))
        })
        .await;
        match loaded {
            Ok(Ok(b)) => {
                let same = state
                    .active
                    .load()
                    .as_ref()
                    .is_some_and(|a| a.info.digest == b.info.digest);
                if same {
                    continue;
                }
                // Checked, and the channel state written, before the swap.
                let st = state.clone();
                let admitted = tokio::task::spawn_blocking(move || st.admit(&b).map(|()| b)).await;
                let b = match admitted {
                    Ok(Ok(b)) => b,
                    Ok(Err((kind, e))) => {
                        tracing::warn!(error = %e, "new bundle refused; the last good bundle keeps serving");
                        state.reject(kind, e.to_string());
                        continue;
                    }
                    Err(e) => {
                        state.reject("verify", format!("internal error while admitting: {e}"));
                        continue;
                    }
                };
                tracing::info!(
                    version = %b.info.version,
                    digest = %b.info.digest,
                    key_id = %b.info.key_id,
                    "new bundle verified and swapped in"
                );
                state.metrics.reload("ok");
                state.set_active(b);
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "new bundle rejected; the last good bundle keeps serving");
                state.reject("verify", e.to_string());
            }
            Err(e) => {
                tracing::error!(error = %e, "loading the new bundle failed");
                state.reject("verify", format!("internal error while loading: {e}"));
            }
        }
    }
}

/// Completes on Ctrl-C or SIGTERM; the SIGTERM handler is installed when
/// this is called (not when first polled), so a SIGTERM sent as soon as the
/// server says it listens is not lost.
pub fn shutdown_signal_installed() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
