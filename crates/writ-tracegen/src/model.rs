//! The traffic model: which agents act, with which tools, how often, and
//! how often something unusual happens. Loaded from TOML.

use serde::Deserialize;

use crate::error::TracegenError;

/// A complete traffic model (the root of `traffic-model.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficModel {
    /// First timestamp of the trace, `YYYY-MM-DDTHH:MM:SSZ`.
    pub start: String,
    /// Mean seconds between two actions during business hours.
    pub mean_gap_secs: u32,
    /// Relative activity outside business hours (0 < x <= 1): gaps grow by `1 / x`.
    pub night_activity: f64,
    /// First UTC hour of business hours.
    #[serde(default = "default_day_start")]
    pub day_start_hour: u32,
    /// First UTC hour after business hours.
    #[serde(default = "default_day_end")]
    pub day_end_hour: u32,
    /// Inclusive `[min, max]` number of actions in one agent session (one `trace_id`).
    pub session_length: [u32; 2],
    /// Approver names used in `human_approval` contexts.
    pub approvers: Vec<String>,
    /// Rates of unusual events.
    pub anomalies: Anomalies,
    /// The agents that produce traffic.
    #[serde(rename = "agent")]
    pub agents: Vec<AgentModel>,
}

fn default_day_start() -> u32 {
    8
}

fn default_day_end() -> u32 {
    18
}

/// Probabilities (0..=1) of unusual events, applied per session or per action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anomalies {
    /// Per session: the session is run under an identity no inventory claims.
    pub shadow_rate: f64,
    /// Identities used by shadow sessions.
    pub shadow_identities: Vec<String>,
    /// Per session: a short-lived agent presents a static credential instead.
    pub static_credential_rate: f64,
    /// Per action: the intent is replaced by one outside the agent's use cases.
    pub off_intent_rate: f64,
    /// Intents used for off-intent actions.
    pub off_intents: Vec<String>,
    /// Per session: the runtime risk score is high.
    pub high_risk_rate: f64,
    /// Risk scores used for high-risk sessions.
    pub high_risk_scores: Vec<i64>,
    /// Per session: the human the agent acts for is not recorded.
    pub missing_user_rate: f64,
    /// Per action: the record carries no `recorded_decision`.
    pub recorded_decision_missing_rate: f64,
    /// Per action: the recorded decision is the opposite of the usual one.
    pub recorded_decision_noise: f64,
    /// Per allowed action: the tool call failed.
    pub failure_rate: f64,
}

/// One agent's behaviour.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentModel {
    /// Inventory id (informational).
    pub id: String,
    /// Identities the agent presents; one is chosen per session.
    pub identities: Vec<String>,
    /// Relative share of sessions.
    pub weight: u32,
    /// Humans the agent acts for; empty for autonomous agents.
    #[serde(default)]
    pub users: Vec<String>,
    /// Intents, one chosen per session (repeat an entry to weight it).
    pub intents: Vec<String>,
    /// Environment the agent usually runs in.
    pub environment: String,
    /// Credential kind the agent normally presents (`static` or `short_lived`).
    pub credential_kind: String,
    /// Credential lifetimes in seconds, one chosen per session.
    pub credential_ttl_secs: Vec<i64>,
    /// Usual runtime risk scores, one chosen per session.
    pub risk_scores: Vec<i64>,
    /// Tools the agent calls.
    #[serde(rename = "tool")]
    pub tools: Vec<ToolModel>,
}

/// How an agent uses one tool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolModel {
    /// Tool name (the Cedar action id).
    pub name: String,
    /// Relative share of this agent's actions.
    pub weight: u32,
    /// Cedar entity type of the resource; omitted when the resource is the tool itself.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// Pool of resource ids (required with `resource_type`).
    #[serde(default)]
    pub resources: Option<ResourcePool>,
    /// Name of the argument that carries the resource id.
    #[serde(default)]
    pub arg: Option<String>,
    /// Overrides the session intent for this tool.
    #[serde(default)]
    pub intent: Option<String>,
    /// Overrides the agent's environment for this tool.
    #[serde(default)]
    pub environment: Option<String>,
    /// Probability that an approved `human_approval` is attached.
    #[serde(default)]
    pub approval_rate: f64,
    /// Probability that a granted `elevation` is attached.
    #[serde(default)]
    pub elevation_rate: f64,
    /// Elevation lifetimes in seconds, one chosen when an elevation is attached.
    #[serde(default)]
    pub elevation_secs: Vec<i64>,
    /// Amounts in cents; when non-empty one is attached as `amount_cents`.
    #[serde(default)]
    pub amounts_cents: Vec<i64>,
    /// Recipient domains; when non-empty one is attached as `recipient_domain`.
    #[serde(default)]
    pub recipient_domains: Vec<String>,
}

/// A pool of resource ids: an explicit list, or `prefix` + a numbered range.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ResourcePool {
    /// Explicit ids.
    List(Vec<String>),
    /// Ids `prefix{first}` .. `prefix{first + count - 1}`.
    Range(ResourceRange),
}

/// A numbered range of resource ids.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceRange {
    /// Text before the number.
    pub prefix: String,
    /// First number.
    pub first: u64,
    /// How many ids.
    pub count: u64,
}

impl ResourcePool {
    /// Number of ids in the pool.
    pub fn len(&self) -> u64 {
        match self {
            ResourcePool::List(ids) => ids.len() as u64,
            ResourcePool::Range(r) => r.count,
        }
    }

    /// Whether the pool holds no ids.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn check_rate(what: &str, rate: f64) -> Result<(), TracegenError> {
    if (0.0..=1.0).contains(&rate) {
        Ok(())
    } else {
        Err(TracegenError::InvalidModel(format!(
            "{what} must be between 0 and 1, got {rate}"
        )))
    }
}

fn non_empty<T>(what: &str, items: &[T]) -> Result<(), TracegenError> {
    if items.is_empty() {
        Err(TracegenError::InvalidModel(format!(
            "{what} must not be empty"
        )))
    } else {
        Ok(())
    }
}

impl TrafficModel {
    /// Checks the model for values the generator cannot use.
    pub fn validate(&self) -> Result<(), TracegenError> {
        crate::clock::parse_utc(&self.start)?;
        if self.mean_gap_secs == 0 {
            return Err(TracegenError::InvalidModel(
                "mean_gap_secs must be > 0".into(),
            ));
        }
        if !(self.night_activity > 0.0 && self.night_activity <= 1.0) {
            return Err(TracegenError::InvalidModel(
                "night_activity must be in (0, 1]".into(),
            ));
        }
        if self.day_start_hour >= self.day_end_hour || self.day_end_hour > 24 {
            return Err(TracegenError::InvalidModel(
                "business hours must satisfy day_start_hour < day_end_hour <= 24".into(),
            ));
        }
        let [lo, hi] = self.session_length;
        if lo == 0 || lo > hi {
            return Err(TracegenError::InvalidModel(
                "session_length must be [min, max] with 1 <= min <= max".into(),
            ));
        }
        non_empty("approvers", &self.approvers)?;
        self.anomalies.validate()?;
        non_empty("agent", &self.agents)?;
        if self.agents.iter().all(|a| a.weight == 0) {
            return Err(TracegenError::InvalidModel(
                "all agent weights are 0".into(),
            ));
        }
        self.agents.iter().try_for_each(AgentModel::validate)
    }
}

impl Anomalies {
    fn validate(&self) -> Result<(), TracegenError> {
        for (what, rate) in [
            ("shadow_rate", self.shadow_rate),
            ("static_credential_rate", self.static_credential_rate),
            ("off_intent_rate", self.off_intent_rate),
            ("high_risk_rate", self.high_risk_rate),
            ("missing_user_rate", self.missing_user_rate),
            (
                "recorded_decision_missing_rate",
                self.recorded_decision_missing_rate,
            ),
            ("recorded_decision_noise", self.recorded_decision_noise),
            ("failure_rate", self.failure_rate),
        ] {
            check_rate(&format!("anomalies.{what}"), rate)?;
        }
        non_empty("anomalies.shadow_identities", &self.shadow_identities)?;
        non_empty("anomalies.off_intents", &self.off_intents)?;
        non_empty("anomalies.high_risk_scores", &self.high_risk_scores)
    }
}

impl AgentModel {
    fn validate(&self) -> Result<(), TracegenError> {
        let at = |field: &str| format!("agent `{}`: {field}", self.id);
        non_empty(&at("identities"), &self.identities)?;
        non_empty(&at("intents"), &self.intents)?;
        non_empty(&at("credential_ttl_secs"), &self.credential_ttl_secs)?;
        non_empty(&at("risk_scores"), &self.risk_scores)?;
        non_empty(&at("tool"), &self.tools)?;
        if self.tools.iter().all(|t| t.weight == 0) {
            return Err(TracegenError::InvalidModel(at("all tool weights are 0")));
        }
        for tool in &self.tools {
            let at = |field: &str| format!("agent `{}`, tool `{}`: {field}", self.id, tool.name);
            check_rate(&at("approval_rate"), tool.approval_rate)?;
            check_rate(&at("elevation_rate"), tool.elevation_rate)?;
            if tool.elevation_rate > 0.0 {
                non_empty(&at("elevation_secs"), &tool.elevation_secs)?;
            }
            match (&tool.resource_type, &tool.resources) {
                (Some(_), Some(pool)) if !pool.is_empty() => {}
                (None, None) => {}
                _ => {
                    return Err(TracegenError::InvalidModel(at(
                        "resource_type and a non-empty resources pool go together",
                    )))
                }
            }
        }
        Ok(())
    }
}
