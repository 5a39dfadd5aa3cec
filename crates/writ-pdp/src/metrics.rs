//! The server's Prometheus metrics (`GET /metrics`, OpenMetrics text).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Labels of a decision.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    /// `allow` or `deny`.
    pub decision: String,
    /// The verdict (`allowed`, `not_permitted`, ..., `denied_before_policies`).
    pub verdict: String,
}

/// Labels of the active bundle.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BundleLabels {
    /// The policy version id.
    pub version: String,
    /// The bundle digest.
    pub digest: String,
    /// The signing key id.
    pub key_id: String,
}

/// Labels of a bundle (re)load.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// `ok` or `rejected`.
    pub result: String,
}

/// Labels of a decision log setting.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModeLabels {
    /// The setting's value (`deny`/`allow`, `write`/`sync`).
    pub mode: String,
}

/// The decision log's metrics (set from its state at each scrape, except
/// the counter of allows denied for want of a log line).
#[derive(Debug, Default)]
pub struct LogMetrics {
    /// 1 while the log is written, 0 while writes fail.
    pub ok: Gauge,
    /// Decision lines that could not be written since start.
    pub lost_lines: Gauge,
    /// Failed writes since start.
    pub failed_writes: Gauge,
    /// Times the file was found deleted or replaced and reopened.
    pub reopened: Gauge,
    /// Allows answered as denies because their line was not written.
    pub unlogged_denies: Counter,
    /// 1 for the `--on-log-failure` mode in force.
    pub on_failure: Family<ModeLabels, Gauge>,
    /// 1 for the `--log-durability` mode in force.
    pub durability: Family<ModeLabels, Gauge>,
}

/// Every metric the server keeps.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Decisions by decision and verdict.
    pub decisions: Family<DecisionLabels, Counter>,
    /// Time to decide one request, in seconds.
    pub latency: Histogram,
    /// 1 for the active bundle.
    pub bundle: Family<BundleLabels, Gauge>,
    /// Bundle reloads by result.
    pub reloads: Family<ReloadLabels, Counter>,
    /// HTTP requests refused before deciding (bad bearer token, too large, malformed).
    pub refused: Family<ReloadLabels, Counter>,
    /// Bundles refused after start, by kind (verify, rollback, channel, state, expiry).
    pub rejections: Family<ReloadLabels, Counter>,
    /// Requests that failed caller authentication (never logged as decisions).
    pub auth_failures: Counter,
    /// The active bundle's sequence number (-1: none).
    pub bundle_sequence: Gauge,
    /// Seconds until the active bundle expires (-1: no expiry).
    pub bundle_expiry_seconds: Gauge,
    /// The decision cache's estimated bytes.
    pub cache_bytes: Gauge,
    /// Connections open now.
    pub open_connections: Gauge,
    /// Connections closed at once because --max-connections were open.
    pub connections_refused: Counter,
    /// Connections closed by the header or idle timeout, or a failed TLS handshake.
    pub connections_timed_out: Counter,
    /// The decision log's state.
    pub log: LogMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("writ_pdp");
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "decisions",
            "Decisions answered, by decision and verdict",
            decisions.clone(),
        );
        // 10 us to about 5 s.
        let latency = Histogram::new(exponential_buckets(0.000_01, 2.0, 20));
        registry.register(
            "decision_latency_seconds",
            "Time to decide one request (from parsed request to answer)",
            latency.clone(),
        );
        let bundle = Family::<BundleLabels, Gauge>::default();
        registry.register(
            "active_bundle",
            "1 for the bundle currently deciding",
            bundle.clone(),
        );
        let reloads = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "bundle_reloads",
            "Bundle loads after start, by result (ok, rejected)",
            reloads.clone(),
        );
        let refused = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "refused_requests",
            "HTTP requests denied before reading them as a decision (unauthorized, too_large, malformed, timeout)",
            refused.clone(),
        );
        let rejections = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "bundle_rejections",
            "Bundles refused after start, by kind (verify, rollback, channel, state, expiry)",
            rejections.clone(),
        );
        let auth_failures = Counter::default();
        registry.register(
            "auth_failures",
            "Requests that failed caller authentication (401; not written to the decision log)",
            auth_failures.clone(),
        );
        let bundle_sequence = Gauge::default();
        registry.register(
            "bundle_sequence",
            "The active bundle's sequence number in its channel (-1: none)",
            bundle_sequence.clone(),
        );
        let bundle_expiry_seconds = Gauge::default();
        registry.register(
            "bundle_expiry_seconds",
            "Seconds until the active bundle expires (-1: no expiry)",
            bundle_expiry_seconds.clone(),
        );
        let cache_bytes = Gauge::default();
        registry.register(
            "cache_bytes",
            "Estimated bytes held by the decision cache",
            cache_bytes.clone(),
        );
        let open_connections = Gauge::default();
        registry.register(
            "open_connections",
            "Connections open now",
            open_connections.clone(),
        );
        let connections_refused = Counter::default();
        registry.register(
            "connections_refused",
            "Connections closed at once because --max-connections were open",
            connections_refused.clone(),
        );
        let connections_timed_out = Counter::default();
        registry.register(
            "connections_timed_out",
            "Connections closed by the header or idle timeout or a failed TLS handshake",
            connections_timed_out.clone(),
        );
        let log = LogMetrics::default();
        registry.register(
            "decision_log_ok",
            "1 while the decision log is written, 0 while writes fail",
            log.ok.clone(),
        );
        registry.register(
            "decision_log_lost_lines",
            "Decision lines that could not be written since start",
            log.lost_lines.clone(),
        );
        registry.register(
            "decision_log_failed_writes",
            "Failed decision log writes since start",
            log.failed_writes.clone(),
        );
        registry.register(
            "decision_log_reopened",
            "Times the decision log was found deleted or replaced and reopened",
            log.reopened.clone(),
        );
        registry.register(
            "decision_log_unlogged_denies",
            "Allows answered as denies because their decision log line could not be written",
            log.unlogged_denies.clone(),
        );
        registry.register(
            "decision_log_on_failure",
            "1 for what is answered when the decision log cannot be written (--on-log-failure)",
            log.on_failure.clone(),
        );
        registry.register(
            "decision_log_durability",
            "1 for when a decision log line counts as written (--log-durability)",
            log.durability.clone(),
        );
        Metrics {
            log,
            registry,
            decisions,
            latency,
            bundle,
            reloads,
            refused,
            rejections,
            auth_failures,
            bundle_sequence,
            bundle_expiry_seconds,
            cache_bytes,
            open_connections,
            connections_refused,
            connections_timed_out,
        }
    }

    /// Counts one decision.
    pub fn decision(&self, decision: &str, verdict: &str, seconds: f64) {
        self.decisions
            .get_or_create(&DecisionLabels {
                decision: decision.to_ascii_lowercase(),
                verdict: verdict.to_string(),
            })
            .inc();
        self.latency.observe(seconds);
    }

    /// Marks the active bundle.
    pub fn set_bundle(&self, version: &str, digest: &str, key_id: &str) {
        self.bundle.clear();
        self.bundle
            .get_or_create(&BundleLabels {
                version: version.to_string(),
                digest: digest.to_string(),
                key_id: key_id.to_string(),
            })
            .set(1);
    }

    /// Counts a reload (`ok` or `rejected`).
    pub fn reload(&self, result: &str) {
        self.reloads
            .get_or_create(&ReloadLabels {
                result: result.to_string(),
            })
            .inc();
    }

    /// Counts a refused bundle by kind.
    pub fn reject(&self, kind: &str) {
        self.rejections
            .get_or_create(&ReloadLabels {
                result: kind.to_string(),
            })
            .inc();
    }

    /// How many bundles were refused after start.
    pub fn rejected_total(&self) -> u64 {
        self.reloads
            .get_or_create(&ReloadLabels {
                result: "rejected".into(),
            })
            .get()
    }

    /// Counts a refused HTTP request.
    pub fn refuse(&self, why: &str) {
        self.refused
            .get_or_create(&ReloadLabels {
                result: why.to_string(),
            })
            .inc();
    }

    /// Counts an allow answered as a deny for want of its log line.
    pub fn unlogged_deny(&self) {
        self.log.unlogged_denies.inc();
    }

    /// Sets the decision log's gauges from its state.
    pub fn set_log(&self, h: &crate::log_writer::LogHealth) {
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.log.ok.set(i64::from(h.ok));
        self.log.lost_lines.set(clamp(h.lost));
        self.log.failed_writes.set(clamp(h.failures));
        self.log.reopened.set(clamp(h.reopened));
        self.log.on_failure.clear();
        self.log
            .on_failure
            .get_or_create(&ModeLabels {
                mode: h.on_failure.as_str().into(),
            })
            .set(1);
        self.log.durability.clear();
        self.log
            .durability
            .get_or_create(&ModeLabels {
                mode: h.durability.as_str().into(),
            })
            .set(1);
    }

    /// The metrics as OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
