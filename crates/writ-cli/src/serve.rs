//! `writ serve`: the policy decision point over HTTP (see
//! `docs/decision-api.md` and `crates/writ-pdp`).

use anyhow::Context as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use writ_bundle::bundle;
use writ_pdp::identity::{IdentityConfig, IdentityMode};
use writ_pdp::log_writer::LogConfig;
use writ_pdp::rollback::ChannelConfig;
use writ_pdp::{Server, ServerConfig};

/// Arguments of `writ serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The signed bundle (folder or .tar.gz); watched, and swapped when a
    /// new verified bundle appears there.
    #[arg(long, value_name = "DIR|FILE")]
    bundle: PathBuf,
    /// Trusted public keys (SPKI PEM); any of them may have signed.
    #[arg(long, value_name = "KEY.pub.pem", num_args = 1.., required = true)]
    trust: Vec<PathBuf>,
    /// Address to listen on (port 0: any free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8180")]
    listen: SocketAddr,
    /// A JWK Set file whose keys verify agent tokens (`token` in a request).
    #[arg(long, value_name = "FILE", requires = "audience")]
    jwks: Option<PathBuf>,
    /// The audience (`aud`) tokens must carry (repeatable).
    #[arg(long, value_name = "AUD", requires = "jwks")]
    audience: Vec<String>,
    /// The issuer (`iss`) tokens must come from.
    #[arg(long, value_name = "ISS", requires = "jwks")]
    issuer: Option<String>,
    /// Honour a request's `time` as the request time (for replaying
    /// recorded traffic); otherwise the server's clock is used.
    #[arg(long)]
    trust_request_time: bool,
    /// A file holding the bearer token callers must send (`Authorization: Bearer ...`).
    #[arg(long, value_name = "FILE")]
    bearer_token_file: Option<PathBuf>,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    max_body_bytes: usize,
    /// The largest batch request body accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    max_batch_body_bytes: usize,
    /// The most requests in one batch.
    #[arg(long, default_value_t = 1000)]
    max_batch: usize,
    /// The longest one HTTP request may take, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
    /// How often to look at the bundle path for a new bundle, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    watch_ms: u64,
    /// Threads answering requests (default: one per core). On a machine
    /// shared with the callers, fewer threads than cores gives a shorter tail.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    /// Write every decision to this JSON Lines file (see docs/decision-log.md).
    #[arg(long, value_name = "PATH")]
    decision_log: Option<PathBuf>,
    /// Rotate the decision log when it would grow past this many bytes (0: never).
    #[arg(long, default_value_t = 100 * 1024 * 1024, requires = "decision_log")]
    log_max_bytes: u64,
    /// How many rotated decision log files to keep.
    #[arg(long, default_value_t = 5, requires = "decision_log")]
    log_keep: usize,
    /// A context attribute to mask in the decision log (repeatable; dotted paths reach into records).
    #[arg(long, value_name = "FIELD", requires = "decision_log")]
    mask_context: Vec<String>,
    /// Who the principal is: `verified` (only what the request proves: a
    /// token or a client certificate) or `asserted` (as a trusted gateway
    /// names it). Default: verified when --jwks, --spiffe-bundle or
    /// --tls-client-ca is given, else asserted.
    #[arg(long, value_name = "MODE", value_parser = ["verified", "asserted"])]
    identity_mode: Option<String>,
    /// A SPIFFE trust bundle (JSON): its `jwt-svid` keys check JWT-SVIDs
    /// (with --audience); its `x509-svid` CA certificates check client
    /// certificates (needs --tls-cert).
    #[arg(long, value_name = "FILE")]
    spiffe_bundle: Option<PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates chaining to these CA certificates (PEM);
    /// a certificate's SPIFFE ID (URI SAN) names the agent in verified mode.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// Asserted mode without caller authentication, listening on 127.0.0.1
    /// only (a local trial; never in production).
    #[arg(long)]
    insecure_loopback: bool,
    /// Follow this release channel: refuse bundles of other channels, of
    /// the older format, and with a lower sequence than accepted before.
    #[arg(long, value_name = "NAME", requires = "state_dir")]
    channel: Option<String>,
    /// Where the highest accepted sequence is kept (JSON, synced before a
    /// bundle is activated).
    #[arg(long, value_name = "DIR", requires = "channel")]
    state_dir: Option<PathBuf>,
    /// The lowest sequence accepted (needed with an empty --state-dir,
    /// unless --accept-first).
    #[arg(long, value_name = "N", requires = "channel")]
    min_sequence: Option<u64>,
    /// With an empty --state-dir, accept whatever sequence comes first (logged).
    #[arg(long, requires = "channel")]
    accept_first: bool,
    /// Serve a bundle that has no expiry (otherwise refused).
    #[arg(long)]
    allow_no_expiry: bool,
    /// Load only bundles carrying signed approvals by these approver public
    /// keys (SPKI PEM), checked offline at start-up and on every reload.
    #[arg(long, value_name = "KEY.pub.pem", num_args = 1..)]
    approvers: Vec<PathBuf>,
    /// How many distinct approvers (not the author) a bundle needs
    /// (default 1 with --approvers; 0 is refused: it would check nothing).
    #[arg(long, value_name = "N", requires = "approvers", value_parser = crate::bundle::at_least_one)]
    min_approvals: Option<usize>,
    /// Health turns `degraded` this long before the bundle expires (30d, 24h, 90m...).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    expiry_warning: String,
    /// The decision cache's cap, in bytes (estimated).
    #[arg(long, default_value_t = writ_pdp::engine::DEFAULT_CACHE_BYTES)]
    cache_bytes: usize,
    /// The most connections open at once; more are closed at once.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// The longest a client may take to send a request's headers (and the
    /// TLS handshake), in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// How long a connection may stay without traffic, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    idle_timeout_ms: u64,
    /// What to answer when a decision's log line cannot be written (disk
    /// full, file unwritable): `deny` answers such allows as denies until
    /// the log is written again; `allow` answers as decided and only counts
    /// the lost lines. Shown in /v1/health and /metrics.
    #[arg(
        long,
        value_name = "deny|allow",
        default_value = "deny",
        requires = "decision_log"
    )]
    on_log_failure: writ_pdp::log_writer::OnFailure,
    /// When a log line counts as written: `write` (the write of its group
    /// returned: survives a crash of writ serve) or `sync` (also on disk,
    /// one fdatasync per group: survives a power cut; costs throughput).
    #[arg(
        long,
        value_name = "write|sync",
        default_value = "write",
        requires = "decision_log"
    )]
    log_durability: writ_pdp::log_writer::Durability,
}

/// Runs `writ serve` until Ctrl-C or SIGTERM.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    // A file size limit (ulimit -f) must fail the decision log's write
    // (EFBIG: the line is not written, the allow is denied), not kill the
    // decision point with SIGXFSZ.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" at start-up, before
    // the runtime's threads exist, is sound.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let trusted = bundle::read_trusted(&a.trust)?;
    let mut identity = match &a.jwks {
        Some(path) => IdentityConfig::from_jwks_file(path, a.audience.clone(), a.issuer.clone())?,
        None => IdentityConfig::none(),
    };
    let mut client_roots = Vec::new();
    if let Some(path) = &a.spiffe_bundle {
        let b = writ_pdp::identity::read_spiffe_bundle(path)?;
        client_roots.extend(b.x509_roots.iter().cloned());
        identity = identity.with_spiffe_bundle(path, &b, a.audience.clone())?;
    }
    if let Some(path) = &a.tls_client_ca {
        client_roots.extend(writ_pdp::tls::read_pem_certs(path)?);
    }
    if !client_roots.is_empty() && a.tls_cert.is_none() {
        anyhow::bail!("client certificates (--tls-client-ca, or a SPIFFE bundle's x509-svid keys) need TLS: pass --tls-cert and --tls-key");
    }
    let mode = match a.identity_mode.as_deref() {
        Some("verified") => IdentityMode::Verified,
        Some(_) => IdentityMode::Asserted,
        None if identity.checks_tokens() || !client_roots.is_empty() => IdentityMode::Verified,
        None => IdentityMode::Asserted,
    };
    let identity = identity.with_mode(mode);
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(cert), Some(key)) => Some(writ_pdp::tls::TlsConfig {
            cert: cert.clone(),
            key: key.clone(),
            client_roots,
        }),
        _ => None,
    };
    let expiry_warning = bundle::parse_duration(&a.expiry_warning)?;
    let bearer_token = match &a.bearer_token_file {
        Some(p) => {
            let t = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the bearer token file {}", p.display()))?;
            let t = t.trim().to_string();
            if t.is_empty() {
                anyhow::bail!(
                    "the bearer token file {} is empty; write the token callers must send in it",
                    p.display()
                );
            }
            Some(t)
        }
        None => None,
    };
    let mut cfg = ServerConfig::new(a.bundle.clone(), trusted);
    cfg.listen = a.listen;
    cfg.identity = identity;
    cfg.trust_request_time = a.trust_request_time;
    cfg.bearer_token = bearer_token;
    cfg.max_body_bytes = a.max_body_bytes;
    cfg.max_batch_body_bytes = a.max_batch_body_bytes;
    cfg.max_batch = a.max_batch.max(1);
    cfg.request_timeout = Duration::from_millis(a.timeout_ms.max(1));
    cfg.watch_interval = Duration::from_millis(a.watch_ms.max(10));
    cfg.log = a.decision_log.map(|path| LogConfig {
        path,
        max_bytes: a.log_max_bytes,
        keep: a.log_keep,
        mask: a.mask_context.clone(),
        on_failure: a.on_log_failure,
        durability: a.log_durability,
    });
    cfg.channel = match (&a.channel, &a.state_dir) {
        (Some(channel), Some(dir)) => Some(ChannelConfig {
            channel: channel.clone(),
            state_dir: dir.clone(),
            min_sequence: a.min_sequence,
            accept_first: a.accept_first,
        }),
        _ => None,
    };
    cfg.require_expiry = !a.allow_no_expiry;
    if !a.approvers.is_empty() {
        cfg.approvals = Some(writ_pdp::engine::ApprovalRule {
            approvers: bundle::read_trusted(&a.approvers)?,
            min_approvals: a.min_approvals.unwrap_or(1),
        });
    }
    cfg.expiry_warning = Duration::from_secs(expiry_warning.whole_seconds().max(0) as u64);
    cfg.cache_bytes = a.cache_bytes;
    cfg.max_connections = a.max_connections.max(1);
    cfg.header_timeout = Duration::from_millis(a.header_timeout_ms.max(1));
    cfg.idle_timeout = Duration::from_millis(a.idle_timeout_ms.max(1));
    cfg.tls = tls;
    cfg.insecure_loopback = a.insecure_loopback;
    let has_tls = cfg.tls.is_some();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = a.workers {
        builder.worker_threads(usize::from(n));
    }
    let rt = builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let server = match Server::bind(cfg).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(e.exit_code()));
            }
        };
        let addr = server.local_addr().context("no bound address")?;
        if let Some(info) = server.bundle_info() {
            eprintln!(
                "serving bundle {} (version {}, key {}, channel {}, sequence {}, expires {})",
                info.digest,
                &info.version[..info.version.len().min(12)],
                info.key_id,
                info.channel.as_deref().unwrap_or("-"),
                info.sequence.map_or("-".to_string(), |n| n.to_string()),
                info.expires.as_deref().unwrap_or("never")
            );
        }
        let stop = writ_pdp::server::shutdown_signal_installed();
        let scheme = if has_tls { "https" } else { "http" };
        println!("listening on {scheme}://{addr}");
        std::io::stdout().flush().ok();
        match server.run(stop).await {
            Ok(report) => {
                if let Some(l) = report.log {
                    eprintln!(
                        "decision log closed: {} decisions written, {} rotations",
                        l.lines, l.rotations
                    );
                }
                eprintln!("stopped");
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::from(e.exit_code()))
            }
        }
    })
}
