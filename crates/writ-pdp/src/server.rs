//! The HTTP server: its configuration, binding (bundle loaded and
//! admitted, decision log opened) and the serving run with graceful
//! shutdown. The parts live one level down: the shared state in
//! [`crate::state`], the routes in [`crate::routes`], the bundle watcher in
//! [`crate::bundle_watch`], the accept loop in [`crate::conn`]; what was
//! public here is re-exported.

pub use crate::api::MAX_UID_BYTES;
pub use crate::conn::Peer;
pub use crate::routes::router;
pub use crate::serve_error::ServeError;
pub use crate::state::{AppState, Rejected, NOT_LOGGED};

use crate::engine::{self, BundleInfo};
use crate::identity::{IdentityConfig, IdentityMode};
use crate::log_writer::{DecisionLog, LogConfig, LogWorker};
use crate::metrics::Metrics;
use crate::rollback::{ChannelConfig, Guard};
use crate::tls::TlsConfig;
use arc_swap::ArcSwapOption;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use writ_bundle::bundle::TrustedKey;

/// How to serve.
#[derive(Debug)]
pub struct ServerConfig {
    /// The bundle folder or `.tar.gz` (watched for changes).
    pub bundle: PathBuf,
    /// The trusted public keys.
    pub trusted: Vec<TrustedKey>,
    /// The signed approvals a bundle must carry, if any.
    pub approvals: Option<engine::ApprovalRule>,
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

impl ServerConfig {
    /// A configuration with the defaults: listen on 127.0.0.1:8180, no
    /// tokens, no bearer token, 64 KiB bodies (1 MiB for a batch), 1,000
    /// requests per batch,
    /// 5 s per request, the bundle looked at every second, no log.
    pub fn new(bundle: PathBuf, trusted: Vec<TrustedKey>) -> ServerConfig {
        ServerConfig {
            bundle,
            trusted,
            approvals: None,
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

/// A server bound to its address with its bundle loaded, not yet serving.
pub struct Server {
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    worker: Option<LogWorker>,
    bundle_path: PathBuf,
    trusted: Vec<TrustedKey>,
    approvals: Option<engine::ApprovalRule>,
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
        let active = engine::load(
            &cfg.bundle,
            &cfg.trusted,
            cfg.approvals.as_ref(),
            OffsetDateTime::now_utc(),
        )?
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
            approvals: cfg.approvals,
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
            approvals,
            watch_interval,
            conn,
        } = self;
        let addr = listener.local_addr().ok();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let watcher = tokio::spawn(crate::bundle_watch::watch(
            state.clone(),
            bundle_path,
            trusted,
            approvals,
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
