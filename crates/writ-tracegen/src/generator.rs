//! The streaming trace generator.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::clock;
use crate::model::{AgentModel, ResourcePool, ToolModel, TrafficModel};
use crate::pick::{chance, one_of, skewed, Weighted};
use crate::record::{Approval, Args, Context, Elevation, Record, ResourceRef};

/// How resources are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Resources come from the model's pools with a hot/cold skew, so requests repeat.
    Realistic,
    /// Every action gets a resource id never used before, so no two requests are equal.
    Unique,
}

/// Lifetime of a static credential presented by mistake (30 days).
const LEAKED_STATIC_TTL: i64 = 2_592_000;

/// Per-session state: one agent, one identity, one trace id.
#[derive(Debug)]
struct Session {
    agent: usize,
    identity: String,
    anomalous: bool,
    user: Option<String>,
    intent: String,
    credential_kind: &'static str,
    ttl: i64,
    risk_score: i64,
    trace_id: String,
    remaining: u32,
}

/// Yields one native trace line (JSON, no trailing newline) per agent action.
#[derive(Debug)]
pub struct Generator {
    model: TrafficModel,
    rng: ChaCha8Rng,
    variant: Variant,
    agents: Weighted,
    tools: Vec<Weighted>,
    now: i64,
    counter: u64,
    session: Option<Session>,
}

impl Generator {
    /// Creates a generator; the same model, seed and variant always yield the same lines.
    ///
    /// The model should have passed [`TrafficModel::validate`] (as [`crate::load_model`] ensures).
    pub fn new(model: &TrafficModel, seed: u64, variant: Variant) -> Generator {
        let agents = Weighted::new(model.agents.iter().map(|a| a.weight));
        let tools = model
            .agents
            .iter()
            .map(|a| Weighted::new(a.tools.iter().map(|t| t.weight)))
            .collect();
        Generator {
            model: model.clone(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            variant,
            agents,
            tools,
            now: clock::parse_utc(&model.start).unwrap_or(0),
            counter: 0,
            session: None,
        }
    }

    /// Moves the clock forward: short hops inside a session, longer and
    /// (at night) much longer gaps between sessions.
    fn advance(&mut self, new_session: bool) {
        if !new_session {
            self.now += self.rng.random_range(1..=20);
            return;
        }
        let mean = f64::from(self.model.mean_gap_secs);
        let hour = clock::hour_of_day(self.now);
        let day = (i64::from(self.model.day_start_hour)..i64::from(self.model.day_end_hour))
            .contains(&hour);
        let scale = if day {
            1.0
        } else {
            1.0 / self.model.night_activity
        };
        let gap = self.rng.random_range(0.0..2.0 * mean) * scale;
        self.now += 1 + gap as i64;
    }

    fn start_session(&mut self) -> Session {
        let rng = &mut self.rng;
        let idx = self.agents.pick(rng);
        let agent: &AgentModel = &self.model.agents[idx];
        let anomalies = &self.model.anomalies;
        let shadow = chance(rng, anomalies.shadow_rate);
        let identity = if shadow {
            one_of(rng, &anomalies.shadow_identities)
        } else {
            one_of(rng, &agent.identities)
        }
        .cloned()
        .unwrap_or_default();
        let user = if chance(rng, anomalies.missing_user_rate) {
            None
        } else {
            one_of(rng, &agent.users).cloned()
        };
        let leaked =
            agent.credential_kind != "static" && chance(rng, anomalies.static_credential_rate);
        let (credential_kind, ttl) = if agent.credential_kind == "static" || leaked {
            let ttl = if leaked {
                LEAKED_STATIC_TTL
            } else {
                one_of(rng, &agent.credential_ttl_secs)
                    .copied()
                    .unwrap_or(0)
            };
            ("static", ttl)
        } else {
            let ttl = one_of(rng, &agent.credential_ttl_secs)
                .copied()
                .unwrap_or(0);
            ("short_lived", ttl)
        };
        let high_risk = chance(rng, anomalies.high_risk_rate);
        let risk_score = if high_risk {
            one_of(rng, &anomalies.high_risk_scores)
        } else {
            one_of(rng, &agent.risk_scores)
        }
        .copied()
        .unwrap_or(0);
        let intent = one_of(rng, &agent.intents).cloned().unwrap_or_default();
        let [lo, hi] = self.model.session_length;
        let remaining = rng.random_range(lo..=hi);
        let trace_id = format!("{:016x}{:016x}", rng.random::<u64>(), rng.random::<u64>());
        Session {
            agent: idx,
            identity,
            anomalous: shadow || leaked || high_risk,
            user,
            intent,
            credential_kind,
            ttl,
            risk_score,
            trace_id,
            remaining,
        }
    }

    /// The resource id for one action, or `None` when the resource is the tool.
    fn resource_id(&mut self, tool: &ToolModel) -> Option<String> {
        let pool = tool.resources.as_ref()?;
        match self.variant {
            Variant::Realistic => {
                let i = skewed(&mut self.rng, pool.len());
                Some(match pool {
                    ResourcePool::List(ids) => ids.get(i as usize).cloned().unwrap_or_default(),
                    ResourcePool::Range(r) => format!("{}{}", r.prefix, r.first + i),
                })
            }
            Variant::Unique => Some(match pool {
                ResourcePool::List(ids) => {
                    let i = skewed(&mut self.rng, pool.len());
                    let base = ids.get(i as usize).map(String::as_str).unwrap_or("r");
                    format!("{base}-u{}", self.counter)
                }
                ResourcePool::Range(r) => format!("{}u{}", r.prefix, self.counter),
            }),
        }
    }

    /// Produces the next line.
    fn next_line(&mut self) -> String {
        let new_session = self.session.as_ref().is_none_or(|s| s.remaining == 0);
        if new_session {
            let s = self.start_session();
            self.session = Some(s);
        }
        self.advance(new_session);
        let Some(mut session) = self.session.take() else {
            return String::new();
        };
        session.remaining = session.remaining.saturating_sub(1);
        let tool_idx = self.tools[session.agent].pick(&mut self.rng);
        // Cloning the small tool description keeps the borrow checker simple.
        let tool = self.model.agents[session.agent].tools[tool_idx].clone();
        let line = self.render(&session, &tool);
        self.session = Some(session);
        self.counter += 1;
        line
    }

    fn render(&mut self, session: &Session, tool: &ToolModel) -> String {
        let mut ts = String::with_capacity(20);
        clock::format_utc(self.now, &mut ts);
        let span_id = format!("{:016x}", self.rng.random::<u64>());
        let agent = &self.model.agents[session.agent];
        let environment = tool
            .environment
            .clone()
            .unwrap_or_else(|| agent.environment.clone());
        let resource_id = self.resource_id(tool);
        // Unique variant: tools without a resource still get a fresh Tool id.
        let (resource_kind, resource_id) = match (&tool.resource_type, resource_id) {
            (Some(kind), Some(id)) => (Some(kind.clone()), Some(id)),
            _ if self.variant == Variant::Unique => (
                Some("Tool".to_string()),
                Some(format!("{}-u{}", tool.name, self.counter)),
            ),
            _ => (None, None),
        };
        let rng = &mut self.rng;
        let anomalies = &self.model.anomalies;
        let off_intent = chance(rng, anomalies.off_intent_rate);
        let intent = if off_intent {
            one_of(rng, &anomalies.off_intents)
                .cloned()
                .unwrap_or_default()
        } else {
            tool.intent
                .clone()
                .unwrap_or_else(|| session.intent.clone())
        };
        let approved = chance(rng, tool.approval_rate);
        let missing_approval = tool.approval_rate > 0.0 && !approved;
        let human_approval = if approved {
            one_of(rng, &self.model.approvers).map(|a| Approval {
                approved: true,
                approver: a,
            })
        } else {
            None
        };
        let elevation = if chance(rng, tool.elevation_rate) {
            one_of(rng, &tool.elevation_secs).map(|&secs| Elevation {
                granted: true,
                expires_in_secs: secs,
            })
        } else {
            None
        };
        let amount_cents = one_of(rng, &tool.amounts_cents).copied();
        let recipient_domain = one_of(rng, &tool.recipient_domains).map(String::as_str);
        let anomalous = session.anomalous || off_intent || missing_approval;
        let mut allow = !(anomalous && rng.random::<bool>());
        if chance(rng, anomalies.recorded_decision_noise) {
            allow = !allow;
        }
        let outcome = match (allow, chance(rng, anomalies.failure_rate)) {
            (false, _) => "blocked",
            (true, true) => "failed",
            (true, false) => "executed",
        };
        let recorded_decision = if chance(rng, anomalies.recorded_decision_missing_rate) {
            None
        } else {
            Some(if allow { "allow" } else { "deny" })
        };
        let record = Record {
            ts: &ts,
            trace_id: &session.trace_id,
            span_id: &span_id,
            agent: &session.identity,
            on_behalf_of: session.user.as_deref(),
            action: &tool.name,
            resource: match (&resource_kind, &resource_id) {
                (Some(kind), Some(id)) => Some(ResourceRef { kind, id }),
                _ => None,
            },
            args: Args {
                resource: match (&tool.arg, &resource_id) {
                    (Some(arg), Some(id)) => Some((arg.as_str(), id.as_str())),
                    _ => None,
                },
                amount_cents,
                recipient_domain,
            },
            context: Context {
                intent: &intent,
                environment: &environment,
                risk_score: session.risk_score,
                credential_kind: session.credential_kind,
                credential_ttl_secs: session.ttl,
                human_approval,
                elevation,
                amount_cents,
                recipient_domain,
            },
            outcome,
            recorded_decision,
        };
        // Serializing plain strings and integers into a String cannot fail.
        serde_json::to_string(&record).unwrap_or_default()
    }
}

impl Iterator for Generator {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        Some(self.next_line())
    }
}
