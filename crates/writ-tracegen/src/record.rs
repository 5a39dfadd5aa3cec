//! The native trace record as it is serialized: one JSON object per line.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// One recorded agent action, borrowing all its text.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    /// RFC 3339 UTC timestamp.
    pub ts: &'a str,
    /// W3C trace id (32 hex digits), shared by a session.
    pub trace_id: &'a str,
    /// W3C span id (16 hex digits), one per action.
    pub span_id: &'a str,
    /// Identity the agent presented.
    pub agent: &'a str,
    /// Human the agent acted for, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<&'a str>,
    /// Tool name.
    pub action: &'a str,
    /// Resource acted on; absent when it is the tool itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef<'a>>,
    /// Tool-call arguments.
    pub args: Args<'a>,
    /// Cedar request context.
    pub context: Context<'a>,
    /// What happened: `executed`, `blocked` or `failed`.
    pub outcome: &'a str,
    /// What the recording gateway decided, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_decision: Option<&'a str>,
}

/// A resource reference `{"type": .., "id": ..}`.
#[derive(Debug, Serialize)]
pub struct ResourceRef<'a> {
    /// Cedar entity type.
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// Entity id.
    pub id: &'a str,
}

/// Tool-call arguments: the resource id under its argument name, and the amount.
#[derive(Debug)]
pub struct Args<'a> {
    /// `(argument name, resource id)`.
    pub resource: Option<(&'a str, &'a str)>,
    /// Amount in cents.
    pub amount_cents: Option<i64>,
    /// Recipient domain.
    pub recipient_domain: Option<&'a str>,
}

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some((name, id)) = self.resource {
            map.serialize_entry(name, id)?;
        }
        if let Some(amount) = self.amount_cents {
            map.serialize_entry("amount_cents", &amount)?;
        }
        if let Some(domain) = self.recipient_domain {
            map.serialize_entry("recipient_domain", domain)?;
        }
        map.end()
    }
}

/// The Cedar context of an action (the engine adds `now` and `on_behalf_of`).
#[derive(Debug, Serialize)]
pub struct Context<'a> {
    /// Why the agent acts; should be one of its use cases.
    pub intent: &'a str,
    /// Environment the action targets.
    pub environment: &'a str,
    /// Runtime risk score, 0..100.
    pub risk_score: i64,
    /// Kind of the credential presented.
    pub credential_kind: &'a str,
    /// Lifetime of the credential presented.
    pub credential_ttl_secs: i64,
    /// A human approval, when one was obtained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub human_approval: Option<Approval<'a>>,
    /// A time-limited elevation, when one was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elevation: Option<Elevation>,
    /// Amount of money moved, in cents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_cents: Option<i64>,
    /// Domain of an email recipient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_domain: Option<&'a str>,
}

/// `human_approval` context record.
#[derive(Debug, Serialize)]
pub struct Approval<'a> {
    /// Whether the approval was granted.
    pub approved: bool,
    /// Who approved.
    pub approver: &'a str,
}

/// `elevation` context record.
#[derive(Debug, Serialize)]
pub struct Elevation {
    /// Whether the elevation was granted.
    pub granted: bool,
    /// Seconds until the elevation expires.
    pub expires_in_secs: i64,
}
