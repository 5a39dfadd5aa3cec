//! The draft's files as text: the Cedar schema, the inventory TOML and the
//! policies. Every name is quoted where the language needs it; the texts
//! are checked by the project checker before anything is written.

use super::identity::{DraftIdentity, IdentityKind};
use super::observe::Observations;
use super::plan::{Grant, Plan, Principals, Resources, StepUpDraft};
use super::sensitive::Sensitivity;
use super::sketch::{attribute_name, cedar_string, declarable};
use crate::inventory::Impact;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The team every drafted agent is put in until a human assigns one.
pub const UNASSIGNED_TEAM: &str = "unassigned";
/// The owner every drafted agent gets until a human names one.
pub const UNASSIGNED_OWNER: &str = "unassigned";
/// The step-up context attribute the draft's forbids read.
const APPROVAL: &str = "human_approval";

/// The type the draft declares for [`APPROVAL`].
const APPROVAL_TYPE: &str = "{ approved: Bool, approver?: String }";

/// Whether recorded approval values fit what the step-up forbid reads: a
/// record always holding a Boolean `approved` (and types for the rest).
fn approval_fits(sketch: &super::sketch::Sketch) -> bool {
    use super::sketch::Sketch;
    match sketch {
        Sketch::Record { fields, seen } => {
            // Typed whole: no member left out along the way.
            let mut left_out = Vec::new();
            matches!(fields.get("approved"), Some((Sketch::Bool, n)) if n == seen)
                && sketch.cedar_type("", &mut left_out).is_ok()
                && left_out.is_empty()
        }
        _ => false,
    }
}

/// Entity types the draft itself declares.
const OWN_TYPES: [&str; 4] = ["Agent", "Team", "Tool", "User"];

/// A TOML basic string holding `s` (JSON's escapes are TOML's).
fn toml_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A Cedar uid literal.
fn uid(ty: &str, id: &str) -> String {
    format!("{ty}::{}", cedar_string(id))
}

/// The schema text; `left_out` collects what could not be declared.
pub fn schema(
    source: &str,
    obs: &Observations,
    identities: &[DraftIdentity],
    plan: &Plan,
    left_out: &mut Vec<String>,
    untyped: &mut BTreeMap<String, BTreeSet<String>>,
) -> String {
    let by_recorded: BTreeMap<&str, &DraftIdentity> = identities
        .iter()
        .map(|d| (d.recorded.as_str(), d))
        .collect();
    let stepped: BTreeSet<&str> = plan
        .step_ups
        .iter()
        .flat_map(|s| s.tools.iter().map(String::as_str))
        .collect();
    let mut principal_types: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (recorded, tool) in obs.pairs.keys() {
        if let Some(d) = by_recorded.get(recorded.as_str()) {
            principal_types
                .entry(tool.as_str())
                .or_default()
                .insert(d.entity_type.clone());
        }
    }
    let mut entity_types: BTreeSet<String> = BTreeSet::new();
    for d in identities {
        entity_types.insert(d.entity_type.clone());
    }
    let users = obs.tools.values().any(|t| t.users);
    for t in obs.tools.values() {
        for ty in &t.resource_types {
            if declarable(ty) {
                entity_types.insert(ty.clone());
            }
        }
        for (sketch, _) in t.context.values() {
            sketch.entity_types(&mut entity_types);
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Drafted by `writ draft` from {source}: one action per tool seen,\n// each context typed from the values recorded. Review before use."
    );
    out.push_str("\n/// A team that owns agents.\nentity Team = {\n  name: String,\n};\n");
    out.push_str("\n/// An AI agent of the inventory.\nentity Agent in [Team] = {\n  name: String,\n  owner: String,\n  risk_tier: String,\n  status: String,\n  use_cases: Set<String>,\n};\n");
    out.push_str("\n/// A tool an agent calls; the id equals the action id.\nentity Tool = {\n  impact: String,\n};\n");
    if users || entity_types.contains("User") {
        out.push_str("\n/// The human an agent acts for.\nentity User;\n");
    }
    for ty in &entity_types {
        if !OWN_TYPES.contains(&ty.as_str()) {
            let _ = writeln!(out, "\nentity {ty};");
        }
    }
    for (tool, seen) in &obs.tools {
        let mut resources: Vec<String> = Vec::new();
        for ty in &seen.resource_types {
            if declarable(ty) {
                resources.push(ty.clone());
            } else {
                left_out.push(format!(
                    "resource type `{ty}` of `{tool}`: not a plain Cedar name; its calls cannot be decided"
                ));
            }
        }
        if resources.is_empty() {
            // Cedar needs a resource type; calls on the undeclarable ones
            // stay undecided.
            resources.push("Tool".to_string());
        }
        let principals: Vec<String> = principal_types
            .get(tool.as_str())
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_else(|| vec!["Agent".to_string()]);
        let mut context: Vec<String> = Vec::new();
        let is_stepped = stepped.contains(tool.as_str());
        for (name, (sketch, count)) in &seen.context {
            let path = format!("{tool}: context.{name}");
            if is_stepped && name == APPROVAL && !approval_fits(sketch) {
                // The step-up forbid reads `approved` as a Bool: the
                // draft's own type is declared and the recorded values,
                // which do not fit it, leave their calls undecided.
                left_out.push(format!(
                    "{path}: the recorded values do not fit {{ approved: Bool }}, which the step-up forbid reads"
                ));
                untyped
                    .entry(tool.clone())
                    .or_default()
                    .insert(name.clone());
                context.push(format!("{APPROVAL}?: {APPROVAL_TYPE}"));
                continue;
            }
            let before = left_out.len();
            match sketch.cedar_type(&path, left_out) {
                Ok(ty) => {
                    let opt = if *count < seen.calls { "?" } else { "" };
                    context.push(format!("{}{opt}: {ty}", attribute_name(name)));
                }
                Err(why) => left_out.push(format!("{path}: {why}")),
            }
            if left_out.len() > before {
                untyped
                    .entry(tool.clone())
                    .or_default()
                    .insert(name.clone());
            }
        }
        if users && !seen.context.contains_key("on_behalf_of") && seen.users {
            context.push("on_behalf_of?: User".into());
        }
        if is_stepped && !seen.context.contains_key(APPROVAL) {
            context.push(format!("{APPROVAL}?: {APPROVAL_TYPE}"));
        }
        context.sort();
        let _ = writeln!(
            out,
            "\n/// Seen {} time(s).\naction {} appliesTo {{\n  principal: [{}],\n  resource: [{}],\n  context: {{{}}},\n}};",
            seen.calls,
            cedar_string(tool),
            principals.join(", "),
            resources.join(", "),
            if context.is_empty() {
                String::new()
            } else {
                format!("\n    {},\n  ", context.join(",\n    "))
            }
        );
    }
    out
}

/// The inventory text: one team, one agent per identity that is one, one
/// tool per tool seen.
pub fn inventory(
    source: &str,
    obs: &Observations,
    identities: &[DraftIdentity],
    sensitive: &BTreeMap<String, (Sensitivity, String)>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Drafted by `writ draft` from {source}.\n# One agent per identity seen acting. Owner, team and risk tier are\n# placeholders listed in `unconfirmed`: set each and remove it from the list\n# (`writ findings` reports each until then).\n"
    );
    let _ = writeln!(
        out,
        "[[team]]\nid = {}\nname = \"Unassigned (drafted from traffic)\"",
        toml_string(UNASSIGNED_TEAM)
    );
    let mut used_sensitive: BTreeMap<&str, bool> = BTreeMap::new();
    for ((recorded, tool), pair) in &obs.pairs {
        let e = used_sensitive.entry(recorded.as_str()).or_default();
        *e |= pair.granted_calls > 0 && sensitive.contains_key(tool);
    }
    for d in identities.iter().filter(|d| d.is_agent()) {
        let seen = obs.identities.get(&d.recorded);
        let intents: Vec<String> = seen
            .map(|s| s.intents.iter().map(|i| toml_string(i)).collect())
            .unwrap_or_default();
        let tier = if used_sensitive
            .get(d.recorded.as_str())
            .copied()
            .unwrap_or(false)
        {
            "high"
        } else {
            "medium"
        };
        let _ = writeln!(
            out,
            "\n[[agent]]\nid = {}\nname = {}\nowner = {}\nteam = {}\nrisk_tier = \"{tier}\"\nstatus = \"active\"\nuse_cases = [{}]\nunconfirmed = [\"owner\", \"team\", \"risk_tier\"]",
            toml_string(&d.entity_id),
            toml_string(&d.entity_id),
            toml_string(UNASSIGNED_OWNER),
            toml_string(UNASSIGNED_TEAM),
            intents.join(", ")
        );
        match &d.kind {
            IdentityKind::Spiffe => {
                let _ = writeln!(
                    out,
                    "[[agent.identity]]\nspiffe = {}",
                    toml_string(&d.recorded)
                );
            }
            IdentityKind::Oidc { issuer, subject } => {
                let _ = writeln!(
                    out,
                    "[[agent.identity]]\noidc_issuer = {}\noidc_subject = {}",
                    toml_string(issuer),
                    toml_string(subject)
                );
            }
            _ => {}
        }
    }
    for (tool, seen) in &obs.tools {
        let impact = sensitive
            .get(tool)
            .map(|(k, _)| k.impact())
            .unwrap_or(Impact::Read);
        let _ = writeln!(
            out,
            "\n[[tool]]\nname = {}\nimpact = \"{}\"\ndescription = {}",
            toml_string(tool),
            impact.as_str(),
            toml_string(&format!("Seen {} time(s) in {source}", seen.calls))
        );
    }
    out
}

fn principal_scope(p: &Principals, conditions: &mut Vec<String>) -> String {
    match p {
        Principals::Listed { entity_type, ids } if ids.len() == 1 => {
            format!("principal == {}", uid(entity_type, &ids[0]))
        }
        Principals::Listed { entity_type, ids } => {
            let list: Vec<String> = ids.iter().map(|i| uid(entity_type, i)).collect();
            conditions.push(format!("principal in [{}]", list.join(", ")));
            format!("principal is {entity_type}")
        }
        Principals::AnyOf { entity_type, .. } => format!("principal is {entity_type}"),
    }
}

fn resource_scope(r: &Resources, conditions: &mut Vec<String>) -> String {
    match r {
        Resources::Listed { entity_type, ids } if ids.len() == 1 => {
            format!("resource == {}", uid(entity_type, &ids[0]))
        }
        Resources::Listed { entity_type, ids } => {
            let list: Vec<String> = ids.iter().map(|i| uid(entity_type, i)).collect();
            conditions.push(format!("resource in [{}]", list.join(", ")));
            format!("resource is {entity_type}")
        }
        Resources::AnyOf { entity_type, .. } => format!("resource is {entity_type}"),
    }
}

fn describe(g: &Grant, source: &str) -> String {
    let who = match &g.principals {
        Principals::Listed { ids, .. } if ids.len() == 1 => format!("`{}`", ids[0]),
        Principals::Listed { ids, .. } => format!("the {} principals seen", ids.len()),
        Principals::AnyOf { entity_type, .. } => format!("any {entity_type}"),
    };
    let on = match &g.resources {
        Resources::Listed { entity_type, ids }
            if entity_type == "Tool" && ids == std::slice::from_ref(&g.tool) =>
        {
            "the tool itself".to_string()
        }
        Resources::Listed { ids, entity_type } => {
            format!("the {} {entity_type} resource(s) seen", ids.len())
        }
        Resources::AnyOf { entity_type, .. } => format!("any {entity_type}"),
    };
    let when = g
        .window
        .as_ref()
        .map(|(a, b)| format!(" between {a} and {b}"))
        .unwrap_or_default();
    format!(
        "Lets {who} call `{}` on {on}: {} executed call(s){when} in {source}.",
        g.tool, g.calls
    )
}

/// The permits' text.
pub fn grants(plan: &Plan, source: &str) -> String {
    let mut out = format!(
        "// Permits drafted by `writ draft` from {source}: what was executed and\n// not denied, and no more (`@widened` marks where a limit was passed).\n"
    );
    for g in &plan.grants {
        let mut conditions = Vec::new();
        let principal = principal_scope(&g.principals, &mut conditions);
        let resource = resource_scope(&g.resources, &mut conditions);
        let _ = write!(
            out,
            "\n@id({})\n@description({})\n@generated({})\n",
            cedar_string(&g.id),
            cedar_string(&describe(g, source)),
            cedar_string(&format!("writ draft from {source}"))
        );
        if let Some(w) = &g.widened {
            let _ = writeln!(out, "@widened({})", cedar_string(w));
        }
        let _ = write!(
            out,
            "permit (\n  {principal},\n  action == {},\n  {resource}\n)",
            uid("Action", &g.tool)
        );
        if !conditions.is_empty() {
            let _ = write!(out, "\nwhen {{ {} }}", conditions.join(" && "));
        }
        out.push_str(";\n");
    }
    out
}

/// The step-up forbids' text.
pub fn step_ups(steps: &[StepUpDraft], source: &str) -> String {
    let mut out = format!(
        "// Step-up forbids drafted by `writ draft` from {source}: these calls need a\n// human approval (`context.{APPROVAL}.approved`) until a human decides otherwise.\n"
    );
    for s in steps {
        let principal = match &s.principal {
            Some((ty, id)) => format!("principal == {}", uid(ty, id)),
            None => "principal".to_string(),
        };
        let action = if s.tools.len() == 1 {
            format!("action == {}", uid("Action", &s.tools[0]))
        } else {
            let list: Vec<String> = s.tools.iter().map(|t| uid("Action", t)).collect();
            format!("action in [{}]", list.join(", "))
        };
        let _ = write!(
            out,
            "\n@id({})\n@step_up(\"human_approval\")\n@description({})\n@generated({})\nforbid (\n  {principal},\n  {action},\n  resource\n)\nunless {{ context has {APPROVAL} && context.{APPROVAL}.approved }};\n",
            cedar_string(&s.id),
            cedar_string(&format!("{}; each call needs a human approval.", s.reason)),
            cedar_string(&format!("writ draft from {source}"))
        );
    }
    out
}
