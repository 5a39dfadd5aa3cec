//! The decision API's request and answer, and how one request is decided:
//! converted to a trace record and decided by the active bundle exactly as
//! `writ replay` decides that record. Everything that goes wrong is a deny
//! with a reason (`denied_because`). The HTTP layer is in `routes`.

use crate::engine::ActiveBundle;
use crate::identity::{IdentityConfig, Presented};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use writ_core::decision_log::{DecisionLogEntry, LoggedBundle, LoggedRequest};
use writ_core::resolve::parse_uid_literal;
use writ_core::trace::{Decision, RecordedOutcome, ResourceRef, TraceRecord};

/// The longest principal, action or resource string accepted, in bytes.
pub const MAX_UID_BYTES: usize = 2048;

/// `POST /v1/is_authorized`: cedar-agent's request shape plus Writ's
/// optional fields.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuthorizeRequest {
    /// `Agent::"x"`, an inventory id, a SPIFFE ID or `oidc:<iss>|<sub>`;
    /// may be left out when `token` names the agent.
    #[serde(default)]
    pub principal: Option<String>,
    /// `Action::"read_ticket"` or `read_ticket`.
    #[serde(default)]
    pub action: Option<String>,
    /// `Ticket::"T-1"`; when absent, `Tool::"<action>"` (as in a trace).
    #[serde(default)]
    pub resource: Option<String>,
    /// The context attributes.
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
    /// A JWT naming the agent (checked against the configured JWKS).
    #[serde(default)]
    pub token: Option<String>,
    /// The user the agent acts for.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    /// The request time (RFC 3339): honoured only when the server trusts
    /// request times; otherwise the server's clock is used.
    #[serde(default)]
    pub time: Option<String>,
}

/// cedar-agent's `diagnostics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// The ids of the determining policies.
    pub reason: Vec<String>,
    /// Evaluation and request errors.
    pub errors: Vec<String>,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeResponse {
    /// `Allow` or `Deny`.
    pub decision: String,
    /// Determining policies and errors.
    pub diagnostics: Diagnostics,
    /// The decision's id (as in the decision log).
    pub decision_id: String,
    /// Writ's classification (`allowed`, `denied_by_forbid`,
    /// `not_permitted`, `needs_step_up`, `error`), or
    /// `denied_before_policies`.
    pub verdict: String,
    /// Why the request was denied before the policies were asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_because: Option<String>,
}

/// The verdict label of a deny before the policies.
pub const DENIED_BEFORE_POLICIES: &str = "denied_before_policies";

/// What the decider needs besides the request.
#[derive(Debug)]
pub struct DecideContext<'a> {
    /// The active bundle, if any.
    pub bundle: Option<&'a Arc<ActiveBundle>>,
    /// How agents are identified.
    pub identity: &'a IdentityConfig,
    /// Whether a request's `time` is honoured.
    pub trust_request_time: bool,
    /// The server's clock now.
    pub now: OffsetDateTime,
    /// The SPIFFE ID of the connection's verified client certificate.
    pub peer: Option<&'a str>,
}

/// One decided request: the answer and its decision log entry (not yet
/// masked; the caller masks and writes it).
#[derive(Debug, Clone)]
pub struct Decided {
    /// The HTTP answer.
    pub response: AuthorizeResponse,
    /// The log entry.
    pub entry: DecisionLogEntry,
}

/// A new decision id: 16 random bytes as hex (a counter with the clock
/// when the system's random source fails, so ids stay unique).
pub fn new_decision_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let t = OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
        bytes[..8].copy_from_slice(&t.to_be_bytes());
        bytes[8..].copy_from_slice(&n.to_be_bytes());
    }
    writ_base::hex(&bytes)
}

fn logged_bundle(b: Option<&Arc<ActiveBundle>>) -> Option<LoggedBundle> {
    b.map(|b| LoggedBundle {
        version: b.info.version.clone(),
        digest: b.info.digest.clone(),
        key_id: b.info.key_id.clone(),
    })
}

fn logged_request(req: &AuthorizeRequest) -> LoggedRequest {
    LoggedRequest {
        principal: req.principal.clone().unwrap_or_default(),
        action: req.action.clone().unwrap_or_default(),
        resource: req.resource.clone().unwrap_or_default(),
        context: req.context.clone().unwrap_or_default(),
        on_behalf_of: req.on_behalf_of.clone(),
    }
}

/// A deny before the policies were asked, with its log entry.
pub fn deny_before(
    req: &AuthorizeRequest,
    bundle: Option<&Arc<ActiveBundle>>,
    agent: String,
    now: OffsetDateTime,
    request_time: Option<String>,
    reason: String,
) -> Decided {
    let decision_id = new_decision_id();
    let time = writ_base::time::utc_millis(now);
    Decided {
        response: AuthorizeResponse {
            decision: "Deny".into(),
            diagnostics: Diagnostics::default(),
            decision_id: decision_id.clone(),
            verdict: DENIED_BEFORE_POLICIES.into(),
            denied_because: Some(reason.clone()),
        },
        entry: DecisionLogEntry {
            seq: None,
            prev: None,
            decision_id,
            request_time: request_time.unwrap_or_else(|| time.clone()),
            time,
            bundle: logged_bundle(bundle),
            agent,
            principal: None,
            request: logged_request(req),
            decision: Decision::Deny,
            reasons: Vec::new(),
            errors: Vec::new(),
            denied_before_policies: Some(reason),
            masked: Vec::new(),
            latency_us: 0,
        },
    }
}

/// Why a request is malformed (answered 400 with a deny).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

/// Decides one parsed request. `Err` is a malformed request (the caller
/// answers 400 with the deny inside it); every other failure is a deny.
pub fn decide(req: &AuthorizeRequest, cx: &DecideContext<'_>) -> Result<Decided, Box<Decided>> {
    let now = cx.now;
    let given_time = req.time.as_deref().filter(|_| cx.trust_request_time);
    let bundle = cx.bundle;
    let malformed = |msg: String| {
        Box::new(deny_before(
            req,
            bundle,
            req.principal.clone().unwrap_or_default(),
            now,
            given_time.map(str::to_string),
            msg,
        ))
    };
    // The request time.
    let ts = match given_time {
        Some(t) => {
            if OffsetDateTime::parse(t, &Rfc3339).is_err() {
                return Err(malformed(format!(
                    "`time` `{t}` is not an RFC 3339 time such as 2026-11-30T12:00:00Z"
                )));
            }
            t.to_string()
        }
        None => writ_base::time::utc_millis(now),
    };
    for (field, v) in [
        ("principal", &req.principal),
        ("action", &req.action),
        ("resource", &req.resource),
        ("on_behalf_of", &req.on_behalf_of),
    ] {
        if let Some(v) = v {
            if v.len() > MAX_UID_BYTES {
                return Err(malformed(format!(
                    "`{field}` is {} bytes long; at most {} are accepted",
                    v.len(),
                    MAX_UID_BYTES
                )));
            }
        }
    }
    // The action, passed on exactly as sent: the engine reads a uid with
    // Cedar's parser (its namespace counts) and a bare id by its unique
    // declaration.
    let action = match req.action.as_deref().map(str::trim) {
        None | Some("") => return Err(malformed("`action` is missing".into())),
        Some(a) => a.to_string(),
    };
    let resource = match req.resource.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => match parse_uid_literal(r) {
            Some((ty, id)) => Some(ResourceRef {
                ty: ty.to_string(),
                id,
            }),
            None => {
                return Err(malformed(format!(
                    "`resource` `{r}` is not a Cedar entity uid such as Ticket::\"T-1\""
                )))
            }
        },
    };
    let before = |agent: String, reason: String| {
        Ok(deny_before(
            req,
            bundle,
            agent,
            now,
            Some(ts.clone()),
            reason,
        ))
    };
    let Some(active) = bundle else {
        return before(
            req.principal.clone().unwrap_or_default(),
            "no valid bundle is loaded".into(),
        );
    };
    if active.info.expired_at(now) {
        return before(
            req.principal.clone().unwrap_or_default(),
            format!(
                "the active bundle expired at {}; export and deploy a new one",
                active.info.expires.as_deref().unwrap_or_default()
            ),
        );
    }
    // Who is asking.
    // A principal sent with a token may name the token's agent another way
    // (its inventory id, its uid): the bundle's identity map decides.
    let identified = match cx.identity.identify_with(
        Presented {
            principal: req.principal.as_deref().filter(|p| !p.trim().is_empty()),
            token: req.token.as_deref().filter(|t| !t.trim().is_empty()),
            peer: cx.peer,
        },
        now,
        &|agent| active.resolve_agent(agent),
    ) {
        Ok(i) => i,
        Err(e) => return before(req.principal.clone().unwrap_or_default(), e.to_string()),
    };
    let mut context = req.context.clone().unwrap_or_default();
    if !cx.trust_request_time {
        // The policies see the server's clock, never a caller's `now`
        // (see "context.now" in docs/decision-api.md).
        context.remove("now");
    }
    let record = TraceRecord {
        ts: ts.clone(),
        trace_id: None,
        span_id: None,
        agent: identified.agent.clone(),
        on_behalf_of: req.on_behalf_of.clone(),
        action,
        resource,
        args: None,
        context,
        outcome: RecordedOutcome::Executed,
        recorded_decision: None,
    };
    let (principal, outcome) = active.decide(&record);
    let decision_id = new_decision_id();
    let reasons: Vec<String> = outcome.reasons.iter().map(|r| r.to_string()).collect();
    let mut errors: Vec<String> = outcome
        .errors
        .iter()
        .map(|e| format!("policy `{}`: {}", e.policy, e.message))
        .collect();
    if let Some(e) = &outcome.request_error {
        errors.push(e.clone());
    }
    let decision = outcome.decision;
    Ok(Decided {
        response: AuthorizeResponse {
            decision: match decision {
                Decision::Allow => "Allow".into(),
                Decision::Deny => "Deny".into(),
            },
            diagnostics: Diagnostics {
                reason: reasons.clone(),
                errors: errors.clone(),
            },
            decision_id: decision_id.clone(),
            verdict: outcome.verdict.as_str().into(),
            denied_because: None,
        },
        entry: DecisionLogEntry {
            seq: None,
            prev: None,
            decision_id,
            time: writ_base::time::utc_millis(now),
            request_time: ts,
            bundle: logged_bundle(bundle),
            agent: identified.agent,
            principal: Some(format!(
                "{}::{}",
                principal.ty,
                Value::String(principal.id.to_string())
            )),
            request: logged_request(req),
            decision,
            reasons,
            errors,
            denied_before_policies: None,
            masked: Vec::new(),
            latency_us: 0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(identity: &IdentityConfig, trust: bool) -> DecideContext<'_> {
        DecideContext {
            bundle: None,
            identity,
            trust_request_time: trust,
            now: OffsetDateTime::now_utc(),
            peer: None,
        }
    }

    fn request() -> AuthorizeRequest {
        AuthorizeRequest {
            principal: Some("Agent::\"support-bot\"".into()),
            action: Some("Action::\"read_ticket\"".into()),
            resource: Some("Ticket::\"T-1\"".into()),
            ..AuthorizeRequest::default()
        }
    }

    #[test]
    fn without_a_bundle_everything_is_denied_before_the_policies() {
        let id = IdentityConfig::none();
        let d = decide(&request(), &cx(&id, false)).expect("well formed");
        assert_eq!(d.response.decision, "Deny");
        assert_eq!(d.response.verdict, DENIED_BEFORE_POLICIES);
        assert!(d
            .response
            .denied_because
            .as_deref()
            .unwrap_or_default()
            .contains("no valid bundle"));
        assert_eq!(d.entry.decision, Decision::Deny);
        assert_eq!(d.entry.decision_id, d.response.decision_id);
        assert_eq!(d.entry.request.action, "Action::\"read_ticket\"");
    }

    #[test]
    fn malformed_fields_are_named() {
        let id = IdentityConfig::none();
        let mut r = request();
        r.resource = Some("T-1".into());
        let e = decide(&r, &cx(&id, false)).expect_err("bad resource");
        assert!(e
            .response
            .denied_because
            .unwrap_or_default()
            .contains("resource"));
        let mut r = request();
        r.action = None;
        let e = decide(&r, &cx(&id, false)).expect_err("no action");
        assert!(e
            .response
            .denied_because
            .unwrap_or_default()
            .contains("action"));
        // A bad time matters only when request times are trusted.
        let mut r = request();
        r.time = Some("yesterday".into());
        assert!(decide(&r, &cx(&id, false)).is_ok());
        let e = decide(&r, &cx(&id, true)).expect_err("bad time");
        assert!(e
            .response
            .denied_because
            .unwrap_or_default()
            .contains("RFC 3339"));
        // A trusted time is the logged request time.
        r.time = Some("2026-11-02T09:15:03Z".into());
        let d = decide(&r, &cx(&id, true)).expect("ok");
        assert_eq!(d.entry.request_time, "2026-11-02T09:15:03Z");
    }

    #[test]
    fn decision_ids_are_unique_hex() {
        let a = new_decision_id();
        let b = new_decision_id();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
