//! A large generated organisation and a non-repeating request stream over
//! it, for the replay benchmark.

use crate::request::{GenRequest, Spelling};
use crate::rng::G;
use serde_json::{json, Map, Value};

/// An organisation: `agents` agents, `tools` tools, one policy per pair.
#[derive(Debug, Clone)]
pub struct Org {
    /// Number of agents (`Agent::"a0"` ...).
    pub agents: usize,
    /// Number of tools (`Action::"t0"` ...).
    pub tools: usize,
    /// The schema (cedarschema).
    pub schema_text: String,
    /// The policies: one permit per agent and tool (`@id("aN-tM")`), plus a
    /// forbid per tool on a context limit (`@id("limit-tM")`).
    pub policies_text: String,
    /// Entities JSON (agents in teams).
    pub entities: Value,
}

/// Builds an organisation of `agents` x `tools` permits.
pub fn organisation(agents: usize, tools: usize) -> Org {
    let mut schema = String::from(
        "entity Team;\nentity Agent in [Team] = { level: Long };\nentity Resource = { owner: Agent };\n",
    );
    for t in 0..tools {
        schema.push_str(&format!(
            "action \"t{t}\" appliesTo {{ principal: [Agent], resource: [Resource], context: {{ n: Long, amount?: decimal }} }};\n"
        ));
    }
    let mut policies = String::new();
    for a in 0..agents {
        for t in 0..tools {
            policies.push_str(&format!(
                "@id(\"a{a}-t{t}\")\npermit(principal == Agent::\"a{a}\", action == Action::\"t{t}\", resource)\nwhen {{ context.n >= 0 }};\n"
            ));
        }
    }
    for t in 0..tools {
        policies.push_str(&format!(
            "@id(\"limit-t{t}\")\nforbid(principal, action == Action::\"t{t}\", resource)\nwhen {{ context has amount && context.amount.greaterThan(decimal(\"1000.0\")) }};\n"
        ));
    }
    let mut entities: Vec<Value> = (0..agents.div_ceil(10).max(1))
        .map(|k| json!({"uid": {"type": "Team", "id": format!("team{k}")}, "attrs": {}, "parents": []}))
        .collect();
    for a in 0..agents {
        entities.push(json!({
            "uid": {"type": "Agent", "id": format!("a{a}")},
            "attrs": {"level": (a % 5) as i64},
            "parents": [{"type": "Team", "id": format!("team{}", a / 10)}],
        }));
    }
    Org {
        agents,
        tools,
        schema_text: schema,
        policies_text: policies,
        entities: Value::Array(entities),
    }
}

/// A non-repeating request stream over an [`Org`]: request `i` has its own
/// resource (`Resource::"r<i>"`) and `context.n = i`, so no two requests
/// are equal and decision reuse never applies. Agents and tools are drawn
/// at random (seeded); a few agents are unknown (`Agent::"x<i>"`).
pub struct OrgStream {
    g: G,
    agents: usize,
    tools: usize,
    next: u64,
}

impl OrgStream {
    /// A stream over `org` for `seed`.
    pub fn new(org: &Org, seed: u64) -> Self {
        OrgStream {
            g: G::new(seed),
            agents: org.agents.max(1),
            tools: org.tools.max(1),
            next: 0,
        }
    }
}

impl Iterator for OrgStream {
    type Item = GenRequest;

    fn next(&mut self) -> Option<GenRequest> {
        let i = self.next;
        self.next += 1;
        let agent = if self.g.chance(0.02) {
            format!("x{i}")
        } else {
            format!("a{}", self.g.below(self.agents))
        };
        let tool = self.g.below(self.tools);
        let mut context = Map::new();
        context.insert("n".into(), json!(i));
        if self.g.chance(0.1) {
            let amount = format!("{}.{}", self.g.below(2000), self.g.below(10));
            context.insert("amount".into(), json!(amount));
        }
        Some(GenRequest {
            principal: ("Agent".into(), agent),
            action: (String::new(), format!("t{tool}")),
            spelling: if self.g.chance(0.5) {
                Spelling::Bare
            } else {
                Spelling::Qualified
            },
            resource: ("Resource".into(), format!("r{i}")),
            context,
        })
    }
}

impl Org {
    /// The organisation as a differential [`crate::Case`] whose stream is
    /// `requests` non-repeating requests of [`OrgStream`] for `seed`.
    pub fn to_case(&self, seed: u64, requests: usize) -> crate::Case {
        use crate::model::{Action, Attr, EntityType, Ext, SchemaModel, Ty};
        let actions = (0..self.tools)
            .map(|t| Action {
                ns: String::new(),
                id: format!("t{t}"),
                groups: vec![],
                principals: vec!["Agent".into()],
                resources: vec!["Resource".into()],
                context: vec![
                    Attr {
                        name: "n".into(),
                        ty: Ty::Long,
                        required: true,
                    },
                    Attr {
                        name: "amount".into(),
                        ty: Ty::Ext(Ext::Decimal),
                        required: false,
                    },
                ],
                is_group: false,
            })
            .collect();
        let model = SchemaModel {
            namespaces: vec![String::new()],
            entity_types: ["Team", "Agent", "Resource"]
                .iter()
                .map(|n| EntityType {
                    name: n.to_string(),
                    attrs: vec![],
                    parents: vec![],
                    tags: false,
                })
                .collect(),
            actions,
        };
        let policies: Vec<crate::GenPolicy> = self
            .policies_text
            .split_inclusive(";\n")
            .map(|text| crate::GenPolicy {
                id: text.split('"').nth(1).unwrap_or_default().to_string(),
                text: text.trim_end().to_string(),
                template: false,
            })
            .collect();
        let pool: Vec<GenRequest> = OrgStream::new(self, seed).take(requests).collect();
        crate::Case {
            seed,
            options: crate::GenOptions::today(),
            model,
            schema_text: self.schema_text.clone(),
            entities: self.entities.clone(),
            policies_b: policies
                .iter()
                .filter(|p| !p.id.ends_with("-t0"))
                .cloned()
                .collect(),
            policies,
            links: vec![],
            stream: (0..pool.len()).collect(),
            pool,
        }
    }
}
