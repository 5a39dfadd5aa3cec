//! Request pools and streams with heavy repetition.

use crate::ids::{cedar_string, cedar_string_escaped};
use crate::model::{action_type, SchemaModel};
use crate::rng::G;
use crate::schema::{principal_types, RESOURCE_TYPES};
use crate::values::{record_value, value, wrong_value, Ents};
use crate::GenOptions;
use serde_json::{json, Map, Value};

/// How a request writes its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// The bare id (`read`).
    Bare,
    /// A uid literal (`N1::Action::"read"`), id as a JSON string literal.
    Qualified,
    /// A uid literal with every non-ASCII character as a `\uXXXX` escape.
    QualifiedEscaped,
}

/// One generated request.
#[derive(Debug, Clone, PartialEq)]
pub struct GenRequest {
    /// Principal (qualified type, id).
    pub principal: (String, String),
    /// The action meant: (namespace, bare id). May be undeclared.
    pub action: (String, String),
    /// How the trace writes the action.
    pub spelling: Spelling,
    /// Resource (qualified type, id).
    pub resource: (String, String),
    /// Context (Cedar JSON).
    pub context: Map<String, Value>,
}

impl GenRequest {
    /// The action entity type (`N1::Action`).
    pub fn action_type(&self) -> String {
        action_type(&self.action.0)
    }

    /// The trace's `action` text.
    pub fn action_text(&self) -> String {
        match self.spelling {
            Spelling::Bare => self.action.1.clone(),
            Spelling::Qualified => {
                format!("{}::{}", self.action_type(), cedar_string(&self.action.1))
            }
            Spelling::QualifiedEscaped => format!(
                "{}::{}",
                self.action_type(),
                cedar_string_escaped(&self.action.1)
            ),
        }
    }

    /// The trace's `agent` text: a uid literal in Cedar's syntax (Writ reads
    /// trace uids with Cedar's parser).
    pub fn agent_text(&self) -> String {
        format!("{}::{}", self.principal.0, cedar_string(&self.principal.1))
    }

    /// The request as one line of Writ's native trace.
    pub fn trace_line(&self, ts: &str) -> String {
        let mut line = json!({
            "ts": ts,
            "agent": self.agent_text(),
            "action": self.action_text(),
            "resource": {"type": self.resource.0, "id": self.resource.1},
            "outcome": "executed",
        });
        if !self.context.is_empty() {
            line["context"] = Value::Object(self.context.clone());
        }
        line.to_string()
    }
}

/// A pool of distinct-ish requests.
pub fn pool(g: &mut G, model: &SchemaModel, ents: &Ents, options: &GenOptions) -> Vec<GenRequest> {
    let n = g.range(4, 14);
    let actions: Vec<_> = model.requestable().collect();
    let principals = principal_types(options);
    let mut pool: Vec<GenRequest> = (0..n)
        .map(|_| {
            let a = *g.pick(&actions);
            let mut action = (a.ns.clone(), a.id.clone());
            let mut principal_ty = g.pick(&a.principals).clone();
            let mut resource_ty = g.pick(&a.resources).clone();
            let mut context = match record_value(g, &a.context, ents, options, false) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            if options.invalid_requests && g.chance(0.15) {
                match g.below(6) {
                    0 => principal_ty = g.pick(&principals).to_string(),
                    1 => resource_ty = g.pick(&RESOURCE_TYPES).to_string(),
                    2 => {
                        if let Some(attr) = a.context.first() {
                            context.insert(attr.name.clone(), wrong_value(&attr.ty));
                        }
                    }
                    3 => {
                        context.insert("undeclared_attr".into(), json!(1));
                    }
                    4 => {
                        if let Value::Object(m) = record_value(g, &a.context, ents, options, true) {
                            context = m;
                        }
                    }
                    _ => {
                        action = if g.chance(0.5) {
                            (a.ns.clone(), "no_such_action".into())
                        } else {
                            let grp = model
                                .actions
                                .iter()
                                .find(|x| x.is_group && x.ns == a.ns)
                                .map(|x| x.id.clone())
                                .unwrap_or_else(|| "no_such_action".into());
                            (a.ns.clone(), grp)
                        };
                    }
                }
            }
            let declaring = model.namespaces_declaring(&action.1);
            let bare_ok = !action.1.is_empty()
                && declaring.len() <= 1
                && (declaring.is_empty() || declaring[0] == action.0)
                || declaring.len() > 1 && options.ambiguous_bare_spelling && !action.1.is_empty();
            let spelling = if bare_ok && g.chance(0.4) {
                Spelling::Bare
            } else if options.escaped_spellings && g.chance(0.3) && !action.1.is_ascii() {
                Spelling::QualifiedEscaped
            } else {
                Spelling::Qualified
            };
            let principal = (principal_ty.clone(), ents.id(g, &principal_ty));
            let resource = (resource_ty.clone(), ents.id(g, &resource_ty));
            // A context value of another type than declared, sometimes.
            if g.chance(0.05) {
                if let Some(attr) = a.context.last() {
                    context.insert(attr.name.clone(), value(g, &attr.ty, ents, options));
                }
            }
            GenRequest {
                principal,
                action,
                spelling,
                resource,
                context,
            }
        })
        .collect();
    // Twins: the same request with the same bare action id in another
    // namespace (what a reuse key holding the bare id confuses).
    for i in 0..pool.len() {
        let declaring: Vec<String> = model
            .namespaces_declaring(&pool[i].action.1)
            .into_iter()
            .filter(|ns| *ns != pool[i].action.0)
            .map(str::to_string)
            .collect();
        if declaring.is_empty() || !g.chance(0.6) {
            continue;
        }
        let mut twin = pool[i].clone();
        twin.action.0 = g.pick(&declaring).clone();
        if twin.spelling == Spelling::Bare {
            twin.spelling = Spelling::Qualified;
        }
        pool.push(twin);
    }
    pool
}

/// A stream of pool indexes where a few hot requests repeat many times.
pub fn stream(g: &mut G, pool: usize) -> Vec<usize> {
    let len = g.range(20, 60);
    // A few hot requests take half the stream.
    let hot: Vec<usize> = (0..3).map(|_| g.below(pool)).collect();
    (0..len)
        .map(|_| {
            if g.chance(0.5) {
                *g.pick(&hot)
            } else {
                g.below(pool)
            }
        })
        .collect()
}
