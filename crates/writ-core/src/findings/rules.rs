//! The finding rules: one function per [`FindingCode`], each adding the
//! findings of its code, and [`RULES`], the table the finder runs. A rule
//! reads the run's [`Facts`] only; the order of its findings among equals
//! (same severity and subject) is the inventory's or the trace's order.

use super::aggregate::Occurrences;
use super::facts::{actions, duration, plural, span_of, tier_name, Claim, Facts};
use super::model::{Finding, FindingCode, Severity};
use crate::inventory::{AgentStatus, CredentialKind, Impact, RiskTier};
use std::collections::{BTreeMap, BTreeSet};

/// A rule: adds the findings of its code to `out`.
pub(super) type Rule = fn(&Facts<'_>, &mut Vec<Finding>);

/// Every rule with the code it finds, in [`FindingCode::ALL`] order.
pub(super) const RULES: [(FindingCode, Rule); 12] = [
    (FindingCode::NoOwner, no_owner),
    (FindingCode::ReviewOverdue, review_overdue),
    (FindingCode::StaticCredential, static_credential),
    (FindingCode::StaticCredentialUsed, static_credential_used),
    (FindingCode::SharedIdentity, shared_identity),
    (
        FindingCode::TrafficUnderSharedIdentity,
        traffic_under_shared_identity,
    ),
    (FindingCode::RetiredAgentActing, retired_agent_acting),
    (FindingCode::SuspendedAgentActing, suspended_agent_acting),
    (FindingCode::ShadowAgent, shadow_agent),
    (FindingCode::UnlistedTool, unlisted_tool),
    (FindingCode::OffUseCase, off_use_case),
    (FindingCode::UnconfirmedField, unconfirmed_field),
];

/// `no-owner`: an agent without an owner, or with an empty one.
fn no_owner(f: &Facts<'_>, out: &mut Vec<Finding>) {
    for (i, a) in f.inventory().agent.iter().enumerate() {
        let id = a.id.get_ref();
        match &a.owner {
            None => out.push(Finding {
                code: FindingCode::NoOwner,
                severity: Severity::High,
                subject: id.clone(),
                message: format!(
                    "agent `{id}` has no owner: nobody is accountable for what it does"
                ),
                inventory: vec![f.agent_id(i)],
                actions: None,
            }),
            Some(o) if o.get_ref().trim().is_empty() => out.push(Finding {
                code: FindingCode::NoOwner,
                severity: Severity::High,
                subject: id.clone(),
                message: format!(
                    "agent `{id}` has an empty owner: nobody is accountable for what it does"
                ),
                inventory: vec![f.at(span_of(o), "owner = \"\"")],
                actions: None,
            }),
            Some(_) => {}
        }
    }
}

/// `review-overdue`: a review date before today.
fn review_overdue(f: &Facts<'_>, out: &mut Vec<Finding>) {
    for a in &f.inventory().agent {
        let id = a.id.get_ref();
        let Some(due) = &a.review_due else {
            continue;
        };
        let Some(date) = due.get_ref().date.and_then(|d| {
            time::Month::try_from(d.month)
                .ok()
                .and_then(|m| time::Date::from_calendar_date(i32::from(d.year), m, d.day).ok())
        }) else {
            continue;
        };
        if date < f.today {
            let days = (f.today - date).whole_days();
            out.push(Finding {
                code: FindingCode::ReviewOverdue,
                severity: if a.risk_tier >= RiskTier::High {
                    Severity::High
                } else {
                    Severity::Medium
                },
                subject: id.clone(),
                message: format!(
                    "the review of {} agent `{id}` was due on {date}, {} ago",
                    tier_name(a.risk_tier),
                    plural(days.max(0) as u64, "day", "days")
                ),
                inventory: vec![f.at(span_of(due), format!("review_due = {date}"))],
                actions: None,
            });
        }
    }
}

/// `static-credential`: a high or critical agent declared with a static
/// credential.
fn static_credential(f: &Facts<'_>, out: &mut Vec<Finding>) {
    for (i, a) in f.inventory().agent.iter().enumerate() {
        if a.risk_tier < RiskTier::High {
            continue;
        }
        let Some(c) = &a.credential else {
            continue;
        };
        if c.kind == CredentialKind::Static {
            let id = a.id.get_ref();
            out.push(Finding {
                code: FindingCode::StaticCredential,
                severity: Severity::of_tier(a.risk_tier),
                subject: id.clone(),
                message: format!(
                    "{} agent `{id}` authenticates with a static (long-lived) credential{}",
                    tier_name(a.risk_tier),
                    c.max_ttl_secs
                        .map(|t| format!(" living up to {}", duration(t)))
                        .unwrap_or_default()
                ),
                inventory: vec![f.agent_key(i, "credential.kind", "kind = \"static\"")],
                actions: None,
            });
        }
    }
}

/// `static-credential-used`: an agent's own actions presenting a static
/// credential (any, for high and critical agents; otherwise when the
/// inventory does not declare one) or one living longer than allowed.
fn static_credential_used(f: &Facts<'_>, out: &mut Vec<Finding>) {
    let Some(t) = f.trace else {
        return;
    };
    let keep = t.aggregate.keep;
    for (i, activities) in f.per_agent.iter().enumerate() {
        if activities.is_empty() {
            continue;
        }
        let a = &f.inventory().agent[i];
        let id = a.id.get_ref();
        let declared = a.credential.as_ref();
        let high = a.risk_tier >= RiskTier::High;
        let max_ttl = declared.and_then(|c| c.max_ttl_secs);
        let declared_static = declared.is_some_and(|c| c.kind == CredentialKind::Static);
        let mut parts = Vec::new();
        let (mut statics, mut over) = (0u64, 0u64);
        for act in activities {
            for (seen, o) in &act.credentials {
                let is_static = seen.kind.as_deref() == Some(CredentialKind::Static.as_str());
                let too_long = matches!((seen.ttl_secs, max_ttl), (Some(t), Some(m)) if t > m);
                let flagged = too_long || (is_static && (high || !declared_static));
                if flagged {
                    parts.push(o);
                    if is_static {
                        statics += o.count;
                    }
                    if too_long {
                        over += o.count;
                    }
                }
            }
        }
        if parts.is_empty() {
            continue;
        }
        let o = Occurrences::merged(parts, keep);
        let mut why = Vec::new();
        if statics > 0 {
            why.push(format!("{statics} with a static credential"));
        }
        if over > 0 {
            if let Some(m) = max_ttl {
                why.push(format!(
                    "{over} with a credential living longer than the inventory's {}",
                    duration(m)
                ));
            }
        }
        let mut evidence = vec![f.agent_key(
            i,
            "credential.kind",
            format!(
                "kind = \"{}\"",
                declared.map_or("short_lived", |c| c.kind.as_str())
            ),
        )];
        if max_ttl.is_some() && over > 0 {
            evidence.push(f.agent_key(
                i,
                "credential.max_ttl_secs",
                format!("max_ttl_secs = {}", max_ttl.unwrap_or_default()),
            ));
        }
        out.push(Finding {
            code: FindingCode::StaticCredentialUsed,
            severity: Severity::of_tier(a.risk_tier),
            subject: id.clone(),
            message: format!(
                "{} agent `{id}` acted {} with a long-lived credential ({})",
                tier_name(a.risk_tier),
                plural(o.count, "time", "times"),
                why.join("; ")
            ),
            inventory: evidence,
            actions: actions(t.source, &o),
        });
    }
}

/// The identities claimed by two or more agents, with the claims.
fn shared_claims<'f>(
    f: &'f Facts<'_>,
) -> impl Iterator<Item = (&'f String, &'f Vec<(usize, crate::diagnostic::Span)>)> {
    f.claims.iter().filter(|(_, list)| list.len() >= 2)
}

/// `shared-identity`: one identity claimed by several agents.
fn shared_identity(f: &Facts<'_>, out: &mut Vec<Finding>) {
    for (identity, list) in shared_claims(f) {
        let names: Vec<String> = list
            .iter()
            .map(|(i, _)| format!("`{}`", f.agent_name(*i)))
            .collect();
        let activity = f
            .trace
            .and_then(|t| t.aggregate.identities.get(identity).map(|a| (t, a)));
        out.push(Finding {
            code: FindingCode::SharedIdentity,
            severity: Severity::High,
            subject: identity.clone(),
            message: format!(
                "identity `{identity}` is claimed by {} agents ({}): a shared account makes their actions indistinguishable",
                list.len(),
                names.join(", ")
            ),
            inventory: list
                .iter()
                .map(|(i, span)| f.at(*span, format!("identity of `{}`", f.agent_name(*i))))
                .collect(),
            actions: activity.and_then(|(t, a)| actions(t.source, &a.actions)),
        });
    }
}

/// `traffic-under-shared-identity`: per agent sharing an identity, the
/// trace's actions under it.
fn traffic_under_shared_identity(f: &Facts<'_>, out: &mut Vec<Finding>) {
    let Some(t) = f.trace else {
        return;
    };
    for (identity, list) in shared_claims(f) {
        let Some(a) = t.aggregate.identities.get(identity) else {
            continue;
        };
        for (i, span) in list {
            let id = f.agent_name(*i);
            let others: Vec<String> = list
                .iter()
                .filter(|(j, _)| j != i)
                .map(|(j, _)| format!("`{}`", f.agent_name(*j)))
                .collect();
            out.push(Finding {
                code: FindingCode::TrafficUnderSharedIdentity,
                severity: Severity::High,
                subject: id.clone(),
                message: format!(
                    "{} arrive under `{identity}`, which agent `{id}` shares with {}: they cannot be told apart",
                    plural(a.actions.count, "action", "actions"),
                    others.join(", ")
                ),
                inventory: vec![f.at(*span, format!("identity of `{id}`"))],
                actions: actions(t.source, &a.actions),
            });
        }
    }
}

/// `retired-agent-acting`: a retired agent's own actions.
fn retired_agent_acting(f: &Facts<'_>, out: &mut Vec<Finding>) {
    inactive_agent_acting(f, out, AgentStatus::Retired);
}

/// `suspended-agent-acting`: a suspended agent's own actions.
fn suspended_agent_acting(f: &Facts<'_>, out: &mut Vec<Finding>) {
    inactive_agent_acting(f, out, AgentStatus::Suspended);
}

/// The actions of agents of status `status` (retired or suspended).
fn inactive_agent_acting(f: &Facts<'_>, out: &mut Vec<Finding>, status: AgentStatus) {
    let Some(t) = f.trace else {
        return;
    };
    let (code, severity, word) = match status {
        AgentStatus::Active => return,
        AgentStatus::Retired => (
            FindingCode::RetiredAgentActing,
            Severity::Critical,
            "retired",
        ),
        AgentStatus::Suspended => (
            FindingCode::SuspendedAgentActing,
            Severity::High,
            "suspended",
        ),
    };
    for (i, activities) in f.per_agent.iter().enumerate() {
        let a = &f.inventory().agent[i];
        if activities.is_empty() || a.status != status {
            continue;
        }
        let id = a.id.get_ref();
        let all = Occurrences::merged(activities.iter().map(|x| &x.actions), t.aggregate.keep);
        out.push(Finding {
            code,
            severity,
            subject: id.clone(),
            message: format!(
                "agent `{id}` is {word} but acted {}",
                plural(all.count, "time", "times")
            ),
            inventory: vec![f.agent_key(i, "status", format!("status = \"{word}\""))],
            actions: actions(t.source, &all),
        });
    }
}

/// `shadow-agent`: an identity no inventory entry claims, acting; critical
/// when it used a destructive or external tool.
fn shadow_agent(f: &Facts<'_>, out: &mut Vec<Finding>) {
    let Some(t) = f.trace else {
        return;
    };
    for (identity, activity) in &t.aggregate.identities {
        if !matches!(f.claim(identity), Claim::Shadow) {
            continue;
        }
        let risky: Vec<String> = activity
            .tools
            .keys()
            .filter(|tl| {
                matches!(
                    f.tools.get(tl.as_str()),
                    Some(Impact::Destructive | Impact::External)
                )
            })
            .map(|tl| format!("`{tl}`"))
            .collect();
        let mut message = format!(
            "identity `{identity}` acted {} but no inventory entry claims it",
            plural(activity.actions.count, "time", "times")
        );
        if !risky.is_empty() {
            message.push_str(&format!(
                ", using destructive or external tools ({})",
                risky.join(", ")
            ));
        }
        out.push(Finding {
            code: FindingCode::ShadowAgent,
            severity: if risky.is_empty() {
                Severity::High
            } else {
                Severity::Critical
            },
            subject: identity.clone(),
            message,
            inventory: Vec::new(),
            actions: actions(t.source, &activity.actions),
        });
    }
}

/// `unlisted-tool`: a tool used in the trace that the inventory does not
/// list, with who used it (the agent when the identity is one's alone).
fn unlisted_tool(f: &Facts<'_>, out: &mut Vec<Finding>) {
    let Some(t) = f.trace else {
        return;
    };
    let mut unlisted: BTreeMap<&str, (Vec<&Occurrences>, BTreeSet<String>)> = BTreeMap::new();
    for (identity, activity) in &t.aggregate.identities {
        let c = f.claim(identity);
        for (tool, o) in &activity.tools {
            if !f.tools.contains_key(tool.as_str()) {
                let who = match &c {
                    Claim::Agent(i) => f.agent_name(*i).clone(),
                    _ => identity.clone(),
                };
                let e = unlisted.entry(tool.as_str()).or_default();
                e.0.push(o);
                e.1.insert(who);
            }
        }
    }
    for (tool, (parts, who)) in unlisted {
        let o = Occurrences::merged(parts, t.aggregate.keep);
        let who: Vec<String> = who.into_iter().map(|w| format!("`{w}`")).collect();
        out.push(Finding {
            code: FindingCode::UnlistedTool,
            severity: Severity::Medium,
            subject: tool.to_string(),
            message: format!(
                "tool `{tool}` was used {} by {} but the inventory does not list it",
                plural(o.count, "time", "times"),
                who.join(", ")
            ),
            inventory: Vec::new(),
            actions: actions(t.source, &o),
        });
    }
}

/// `off-use-case`: an agent's own actions for intents outside its approved
/// use cases.
fn off_use_case(f: &Facts<'_>, out: &mut Vec<Finding>) {
    let Some(t) = f.trace else {
        return;
    };
    for (i, activities) in f.per_agent.iter().enumerate() {
        if activities.is_empty() {
            continue;
        }
        let a = &f.inventory().agent[i];
        let id = a.id.get_ref();
        let mut off: BTreeMap<&str, Vec<&Occurrences>> = BTreeMap::new();
        for act in activities {
            for (intent, o) in &act.intents {
                if !a.use_cases.iter().any(|u| u == intent) {
                    off.entry(intent.as_str()).or_default().push(o);
                }
            }
        }
        if off.is_empty() {
            continue;
        }
        let listed: Vec<String> = off
            .iter()
            .map(|(intent, os)| format!("`{intent}` ({})", os.iter().map(|o| o.count).sum::<u64>()))
            .collect();
        let o = Occurrences::merged(off.values().flatten().copied(), t.aggregate.keep);
        let approved = if a.use_cases.is_empty() {
            "none".to_string()
        } else {
            a.use_cases
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(Finding {
            code: FindingCode::OffUseCase,
            severity: if a.risk_tier >= RiskTier::High {
                Severity::High
            } else {
                Severity::Medium
            },
            subject: id.clone(),
            message: format!(
                "agent `{id}` acted {} for intents outside its use cases: {} (approved: {approved})",
                plural(o.count, "time", "times"),
                listed.join(", ")
            ),
            inventory: vec![f.agent_key(
                i,
                "use_cases",
                format!(
                    "use_cases = [{}]",
                    a.use_cases
                        .iter()
                        .map(|u| format!("\"{u}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )],
            actions: actions(t.source, &o),
        });
    }
}

/// `unconfirmed-field`: one finding per field an agent lists in
/// `unconfirmed` (a placeholder `writ draft` wrote); an unconfirmed owner is
/// high (nobody is accountable yet), any other field medium.
fn unconfirmed_field(f: &Facts<'_>, out: &mut Vec<Finding>) {
    for a in &f.inventory().agent {
        let id = a.id.get_ref();
        for field in &a.unconfirmed {
            let name = field.get_ref();
            let severity = if name == "owner" {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(Finding {
                code: FindingCode::UnconfirmedField,
                severity,
                subject: format!("{id}.{name}"),
                message: format!(
                    "agent `{id}`: `{name}` is a placeholder nobody has confirmed; set it and remove `{name}` from `unconfirmed`"
                ),
                inventory: vec![f.at(span_of(field), format!("unconfirmed `{name}`"))],
                actions: None,
            });
        }
    }
}
