//! The server's shared state: the active bundle (swapped atomically), the
//! admission rules for a new bundle, the identity and request limits, the
//! decision log and the metrics; and how a decision's answer waits for its
//! log line. Used by the routes, the bundle watcher and the accept loop,
//! below all three.

use crate::api::{AuthorizeResponse, Decided};
use crate::engine::ActiveBundle;
use crate::identity::IdentityConfig;
use crate::log_writer::{Ack, DecisionLog, OnFailure};
use crate::metrics::Metrics;
use crate::rollback::Guard;
use crate::serve_error::ServeError;
use arc_swap::ArcSwapOption;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

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
    pub(crate) active: ArcSwapOption<ActiveBundle>,
    pub(crate) last_rejected: Mutex<Option<Rejected>>,
    pub(crate) guard: Option<Guard>,
    pub(crate) require_expiry: bool,
    pub(crate) expiry_warning: Duration,
    pub(crate) cache_bytes: usize,
    pub(crate) identity: IdentityConfig,
    pub(crate) trust_request_time: bool,
    pub(crate) bearer: Option<String>,
    pub(crate) max_body: usize,
    pub(crate) max_batch_body: usize,
    pub(crate) max_batch: usize,
    pub(crate) timeout: Duration,
    pub(crate) log: Option<DecisionLog>,
    pub(crate) metrics: Metrics,
}

impl AppState {
    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub(crate) fn set_active(&self, b: ActiveBundle) {
        self.metrics
            .set_bundle(&b.info.version, &b.info.digest, &b.info.key_id);
        self.metrics.bundle_sequence.set(
            b.info
                .sequence
                .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)),
        );
        self.active.store(Some(Arc::new(b)));
    }

    pub(crate) fn reject(&self, kind: &str, reason: String) {
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
    pub(crate) fn admit(&self, b: &ActiveBundle) -> Result<(), (&'static str, ServeError)> {
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
    pub(crate) fn write(&self, mut d: Decided, started: Instant) -> Pending {
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
    pub(crate) fn must_wait(&self, p: &Pending) -> bool {
        p.response.decision == "Allow"
            && p.ack.is_some()
            && self
                .log
                .as_ref()
                .is_some_and(|l| l.on_failure() == OnFailure::Deny)
    }

    /// The answer of `p` once its line is known `written` (`None`: not
    /// waited for): an allow whose line was not written becomes a deny.
    pub(crate) fn settle(&self, mut p: Pending, written: Option<bool>) -> AuthorizeResponse {
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
    pub(crate) async fn settled(&self, mut p: Pending) -> AuthorizeResponse {
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
pub(crate) struct Pending {
    pub(crate) response: AuthorizeResponse,
    pub(crate) ack: Option<Ack>,
    pub(crate) seconds: f64,
}
