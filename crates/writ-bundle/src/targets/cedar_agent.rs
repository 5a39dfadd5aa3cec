//! Delivering a verified bundle to permitio/cedar-agent.
//!
//! cedar-agent (crates.io `cedar-agent` 0.2.x) is built on Cedar 2.x
//! (cedar-policy 2.5 in its lock file), which lacks what Cedar 3 and 4 added:
//! the `is` operator, entity tags (`getTag`, `hasTag`), `.isEmpty()`, the
//! `datetime` and `duration` extensions, and in the JSON schema the
//! `EntityOrCommon` type, annotations, entity tags and enumerated entity
//! types. [`translate`] walks every policy (its JSON form from Cedar 4) and
//! the schema, keeps what Cedar 2 reads, and reports the rest with the
//! reason. Omitting a `forbid` would widen access, so a bundle with an
//! untranslatable `forbid` is refused ([`Translation::refusal`]); omitting a
//! `permit` only narrows access and is reported. The entities sent are the
//! bundle's plus one per action with its groups as parents: Cedar 4 reads
//! the action hierarchy from the schema, Cedar 2 only from entity data.
//!
//! [`push`] then loads the translation through cedar-agent's HTTP API
//! (`DELETE /v1/schema`, `PUT /v1/data`, `PUT /v1/policies`,
//! `PUT /v1/schema`, in that order: cedar-agent validates stored policies
//! and entities against a new schema, so the old schema is removed first
//! and the new one is set last, when it validates everything new) and reads
//! `GET /v1/policies` back to confirm the ids it holds.
//! [`agent_request`] turns Writ's JSON request form into the body of
//! cedar-agent's `POST /v1/is_authorized`.

use super::http::Client;
use super::{bundle_policies, schema_json, TargetError, VerifiedBundle, ENTITIES_FILE};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Extension functions (and methods) Cedar 2 has: `ipaddr` and `decimal`.
const CEDAR2_EXTENSION_FUNCTIONS: &[&str] = &[
    "ip",
    "isIpv4",
    "isIpv6",
    "isLoopback",
    "isMulticast",
    "isInRange",
    "decimal",
    "lessThan",
    "lessThanOrEqual",
    "greaterThan",
    "greaterThanOrEqual",
];

/// Extension value constructors Cedar 2 reads in `__extn` escapes.
const CEDAR2_EXTENSION_CONSTRUCTORS: &[&str] = &["ip", "decimal"];

/// Extension types Cedar 2's schema knows.
const CEDAR2_EXTENSION_TYPES: &[&str] = &["ipaddr", "decimal"];

/// Operators of the policy JSON form (EST) that Cedar 2 has.
const CEDAR2_OPERATORS: &[&str] = &[
    "Value",
    "Var",
    "Slot",
    "!",
    "neg",
    "==",
    "!=",
    "in",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "+",
    "-",
    "*",
    "contains",
    "containsAll",
    "containsAny",
    ".",
    "has",
    "like",
    "if-then-else",
    "Set",
    "Record",
];

/// Why a Cedar 4 feature has no Cedar 2 equivalent.
fn operator_reason(op: &str) -> String {
    match op {
        "is" => "uses the `is` operator (Cedar 3)".to_string(),
        "isEmpty" => "uses `.isEmpty()` (Cedar 4)".to_string(),
        "getTag" | "hasTag" => format!("uses entity tags (`.{op}()`, Cedar 4)"),
        "datetime" | "duration" | "offset" | "durationSince" | "toDate" | "toTime" | "toDays"
        | "toHours" | "toMinutes" | "toSeconds" | "toMilliseconds" => {
            format!("uses `{op}` of the datetime extension (Cedar 4)")
        }
        _ => format!("uses `{op}`, which Cedar 2 does not have"),
    }
}

/// A policy as cedar-agent stores it (`PUT /v1/policies` takes a list).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct AgentPolicy {
    /// The policy id: the bundle policy's `@id`.
    pub id: String,
    /// The policy text.
    pub content: String,
}

/// A policy left out, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Untranslated {
    /// The policy's `@id`.
    pub id: String,
    /// `permit` or `forbid`.
    pub effect: &'static str,
    /// Every reason found (deduplicated, in order of appearance).
    pub reasons: Vec<String>,
}

/// A schema or entity element left out or changed, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ElementNote {
    /// Where (`AgentContext.now`, `entity Agent`, `entities.json Agent::"x" tags`).
    pub element: String,
    /// What was done and why.
    pub reason: String,
}

/// A bundle translated for cedar-agent, with the report of what was left out.
#[derive(Debug, Clone, Serialize)]
pub struct Translation {
    /// The bundle's policy version.
    pub policy_version: String,
    /// The bundle's digest.
    pub digest: String,
    /// The policies sent, in the bundle's order.
    pub policies: Vec<AgentPolicy>,
    /// The policies left out.
    pub untranslated: Vec<Untranslated>,
    /// The schema in Cedar 2's JSON form.
    pub schema: Value,
    /// Schema elements left out or changed.
    pub schema_notes: Vec<ElementNote>,
    /// The entities in Cedar 2's entity JSON: the bundle's, then one per
    /// action (see [`Translation::action_entities`]).
    pub entities: Value,
    /// How many of [`Translation::entities`] are action entities, added so
    /// that Cedar 2 knows the action groups.
    pub action_entities: usize,
    /// Entity data left out.
    pub entity_notes: Vec<ElementNote>,
    /// Context attributes the schema translation removed (every action's
    /// context): a request carrying them has them removed too.
    pub dropped_context_attributes: BTreeSet<String>,
}

impl Translation {
    /// `Some(message)` when the translation must not be pushed: a `forbid`
    /// that cannot be translated would be missing, and missing forbids
    /// widen access.
    pub fn refusal(&self) -> Option<String> {
        let forbids: Vec<&str> = self
            .untranslated
            .iter()
            .filter(|u| u.effect == "forbid")
            .map(|u| u.id.as_str())
            .collect();
        if forbids.is_empty() {
            None
        } else {
            Some(format!(
                "refused: {} forbid polic{} cannot be translated for cedar-agent ({}); leaving a \
                 forbid out would allow what the bundle denies. Nothing was sent.",
                forbids.len(),
                if forbids.len() == 1 { "y" } else { "ies" },
                forbids.join(", ")
            ))
        }
    }

    /// The ids of the policies sent.
    pub fn policy_ids(&self) -> BTreeSet<String> {
        self.policies.iter().map(|p| p.id.clone()).collect()
    }
}

/// Translates a verified bundle for cedar-agent's Cedar 2.
pub fn translate(bundle: &VerifiedBundle) -> Result<Translation, TargetError> {
    let v4 = schema_json(&bundle.schema)?;
    let (schema, schema_notes, dropped) = translate_schema(&v4);
    let dropped_context_attributes: BTreeSet<String> = dropped
        .iter()
        .filter(|(owner, _)| owner.is_none())
        .map(|(_, a)| a.clone())
        .collect();
    let dropped_entity_attributes: BTreeSet<(String, String)> = dropped
        .iter()
        .filter_map(|(owner, a)| owner.clone().map(|o| (o, a.clone())))
        .collect();
    // A policy reading an attribute of that name may read a dropped one.
    let dropped_names: BTreeSet<&str> = dropped
        .iter()
        .filter_map(|(_, a)| a.rsplit('.').next())
        .collect();

    let mut policies = Vec::new();
    let mut untranslated = Vec::new();
    // Template-linked policies go as the static policies they link to
    // (cedar-agent has no templates), under their link ids.
    let (_, links) = super::bundle_templates(bundle)?;
    let linked = links.into_iter().map(|l| l.policy);
    for p in bundle_policies(&bundle.policies)?.into_iter().chain(linked) {
        let mut reasons = Vec::new();
        let mut attributes = BTreeSet::new();
        for scope in ["principal", "action", "resource"] {
            if p.est[scope]["op"] == "is" {
                push_unique(
                    &mut reasons,
                    format!("uses `{scope} is ...` in its scope (Cedar 3)"),
                );
            }
        }
        if let Some(conditions) = p.est["conditions"].as_array() {
            for c in conditions {
                walk_expr(&c["body"], &mut reasons, &mut attributes);
            }
        }
        if let Some(annotations) = p.est["annotations"].as_object() {
            for (k, v) in annotations {
                if v.is_null() {
                    push_unique(
                        &mut reasons,
                        format!("has the annotation `@{k}` without a value (Cedar 4)"),
                    );
                }
            }
        }
        for a in &attributes {
            if dropped_names.contains(a.as_str()) {
                push_unique(
                    &mut reasons,
                    format!("reads the attribute `{a}`, whose type Cedar 2 lacks (left out of the schema)"),
                );
            }
        }
        if reasons.is_empty() {
            policies.push(AgentPolicy {
                id: p.id,
                content: p.text,
            });
        } else {
            untranslated.push(Untranslated {
                id: p.id,
                effect: if p.forbid { "forbid" } else { "permit" },
                reasons,
            });
        }
    }

    let (mut entities, entity_notes) =
        translate_entities(&bundle.entities, &dropped_entity_attributes)?;
    let actions = action_entities(&v4);
    let action_count = actions.len();
    if let Some(list) = entities.as_array_mut() {
        list.extend(actions);
    }
    Ok(Translation {
        policy_version: bundle.verified.manifest.policy_version.clone(),
        digest: bundle.verified.digest.clone(),
        policies,
        untranslated,
        schema,
        schema_notes,
        entities,
        entity_notes,
        action_entities: action_count,
        dropped_context_attributes,
    })
}

fn push_unique(reasons: &mut Vec<String>, reason: String) {
    if !reasons.contains(&reason) {
        reasons.push(reason);
    }
}

/// Walks an EST expression: unsupported operators into `reasons`,
/// attribute names read (`.` and `has`) into `attributes`.
fn walk_expr(e: &Value, reasons: &mut Vec<String>, attributes: &mut BTreeSet<String>) {
    match e {
        Value::Array(items) => {
            for i in items {
                walk_expr(i, reasons, attributes);
            }
        }
        Value::Object(map) => {
            for (op, arg) in map {
                match op.as_str() {
                    "Value" => walk_value(arg, reasons),
                    "Var" | "Slot" => {}
                    "Record" => {
                        // The keys are attribute names, not operators.
                        if let Some(fields) = arg.as_object() {
                            for v in fields.values() {
                                walk_expr(v, reasons, attributes);
                            }
                        }
                    }
                    "." | "has" => {
                        if let Some(a) = arg["attr"].as_str() {
                            attributes.insert(a.to_string());
                        }
                        walk_expr(&arg["left"], reasons, attributes);
                    }
                    "like" => walk_expr(&arg["left"], reasons, attributes),
                    op if CEDAR2_OPERATORS.contains(&op) => walk_args(arg, reasons, attributes),
                    op if CEDAR2_EXTENSION_FUNCTIONS.contains(&op) => {
                        walk_args(arg, reasons, attributes)
                    }
                    op => {
                        push_unique(reasons, operator_reason(op));
                        walk_args(arg, reasons, attributes);
                    }
                }
            }
        }
        _ => {}
    }
}

/// Walks the operands of an operator: an object of named operands, or a
/// list (function calls, sets).
fn walk_args(arg: &Value, reasons: &mut Vec<String>, attributes: &mut BTreeSet<String>) {
    match arg {
        Value::Object(fields) => {
            for (k, v) in fields {
                // `is` carries a type name, `like` a pattern: not expressions.
                if k != "entity_type" && k != "pattern" && k != "attr" {
                    walk_expr(v, reasons, attributes);
                }
            }
        }
        Value::Array(_) => walk_expr(arg, reasons, attributes),
        _ => {}
    }
}

/// Walks a literal value for extension escapes Cedar 2 cannot read.
fn walk_value(v: &Value, reasons: &mut Vec<String>) {
    if let Some(f) = unsupported_extension_value(v) {
        push_unique(reasons, operator_reason(&f));
    }
}

/// The first `__extn` function in a JSON value that Cedar 2 cannot read.
fn unsupported_extension_value(v: &Value) -> Option<String> {
    match v {
        Value::Object(map) => {
            if let Some(x) = map.get("__extn") {
                let f = x["fn"].as_str().unwrap_or("?");
                if !CEDAR2_EXTENSION_CONSTRUCTORS.contains(&f) {
                    return Some(f.to_string());
                }
            }
            map.values().find_map(unsupported_extension_value)
        }
        Value::Array(items) => items.iter().find_map(unsupported_extension_value),
        _ => None,
    }
}

/// Names of attributes a schema translation dropped: the owner entity type
/// (`None` for action contexts) and the attribute name.
type Dropped = BTreeSet<(Option<String>, String)>;

/// Translates Cedar 4's JSON schema to Cedar 2's: common types are inlined,
/// `EntityOrCommon` resolved, annotations removed, and types Cedar 2 lacks
/// (datetime, duration) left out with a note.
fn translate_schema(v4: &Value) -> (Value, Vec<ElementNote>, Dropped) {
    let mut notes = BTreeSet::new();
    let mut dropped = Dropped::new();
    let mut out = Map::new();
    let Some(namespaces) = v4.as_object() else {
        return (Value::Object(out), Vec::new(), dropped);
    };
    for (ns, def) in namespaces {
        let common: BTreeMap<String, Value> = def["commonTypes"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let entity_names: BTreeSet<String> = def["entityTypes"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let cx = SchemaCx {
            ns,
            common: &common,
            entities: &entity_names,
        };
        let mut entity_types = Map::new();
        if let Some(ets) = def["entityTypes"].as_object() {
            for (name, et) in ets {
                let qualified = qualify(ns, name);
                let mut t = Map::new();
                if let Some(m) = et.get("memberOfTypes") {
                    t.insert("memberOfTypes".into(), m.clone());
                }
                if et.get("enum").is_some() {
                    notes.insert(ElementNote {
                        element: format!("entity {qualified}"),
                        reason: "an enumerated entity type (Cedar 4): sent as an ordinary entity \
                                 type, so its ids are not restricted"
                            .into(),
                    });
                }
                if et.get("tags").is_some() {
                    notes.insert(ElementNote {
                        element: format!("entity {qualified} tags"),
                        reason: "entity tags (Cedar 4) left out".into(),
                    });
                }
                if let Some(shape) = et.get("shape") {
                    let mut here = Vec::new();
                    match cx.ty(shape, &qualified, &mut here) {
                        Ok(s) => {
                            t.insert("shape".into(), s);
                        }
                        Err(r) => here.push((qualified.clone(), r)),
                    }
                    for (path, reason) in here {
                        if let Some(attr) = attr_path(&path) {
                            dropped.insert((Some(qualified.clone()), attr));
                        }
                        notes.insert(ElementNote {
                            element: path,
                            reason,
                        });
                    }
                }
                entity_types.insert(name.clone(), Value::Object(t));
            }
        }
        let mut actions = Map::new();
        if let Some(acts) = def["actions"].as_object() {
            for (name, a) in acts {
                let mut t = Map::new();
                for key in ["memberOf", "attributes"] {
                    if let Some(m) = a.get(key) {
                        t.insert(key.into(), m.clone());
                    }
                }
                if let Some(applies) = a.get("appliesTo").and_then(Value::as_object) {
                    let mut ap = Map::new();
                    for key in ["principalTypes", "resourceTypes"] {
                        if let Some(m) = applies.get(key) {
                            ap.insert(key.into(), m.clone());
                        }
                    }
                    if let Some(ctx) = applies.get("context") {
                        let label = format!("action {name} context");
                        let mut here = Vec::new();
                        match cx.ty(ctx, &label, &mut here) {
                            Ok(c) => {
                                ap.insert("context".into(), c);
                            }
                            Err(r) => here.push((label.clone(), r)),
                        }
                        for (path, reason) in here {
                            if let Some(attr) = attr_path(&path) {
                                dropped.insert((None, attr));
                            }
                            notes.insert(ElementNote {
                                element: path,
                                reason,
                            });
                        }
                    }
                    t.insert("appliesTo".into(), Value::Object(ap));
                }
                actions.insert(name.clone(), Value::Object(t));
            }
        }
        let mut nsdef = Map::new();
        nsdef.insert("entityTypes".into(), Value::Object(entity_types));
        nsdef.insert("actions".into(), Value::Object(actions));
        out.insert(ns.clone(), Value::Object(nsdef));
    }
    (Value::Object(out), notes.into_iter().collect(), dropped)
}

/// A name qualified by its namespace (`App::User`; as is in the empty one).
fn qualify(ns: &str, name: &str) -> String {
    if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}::{name}")
    }
}

/// The attribute path of a note's path (`AgentContext.a.b` -> `a.b`): the
/// path starts with the entity type, the common type, or `action NAME
/// context`, none of which holds a dot.
fn attr_path(path: &str) -> Option<String> {
    path.split_once('.').map(|(_, rest)| rest.to_string())
}

/// Removes the attribute at a dotted path from a record; true when it was there.
fn remove_path(record: &mut Map<String, Value>, path: &str) -> bool {
    match path.split_once('.') {
        None => record.remove(path).is_some(),
        Some((head, rest)) => record
            .get_mut(head)
            .and_then(Value::as_object_mut)
            .is_some_and(|inner| remove_path(inner, rest)),
    }
}

/// Removes every attribute (at any depth) holding an extension value Cedar
/// 2 cannot read; their dotted paths go to `removed`.
fn strip_unsupported(record: &mut Map<String, Value>, prefix: &str, removed: &mut Vec<String>) {
    let names: Vec<String> = record.keys().cloned().collect();
    for name in names {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let Some(v) = record.get_mut(&name) else {
            continue;
        };
        let Some(obj) = v.as_object_mut() else {
            if unsupported_extension_value(v).is_some() {
                record.remove(&name);
                removed.push(path);
            }
            continue;
        };
        if obj.contains_key("__extn") || obj.contains_key("__entity") {
            if unsupported_extension_value(v).is_some() {
                record.remove(&name);
                removed.push(path);
            }
        } else {
            strip_unsupported(obj, &path, removed);
        }
    }
}

/// The names a schema type can refer to within a namespace.
struct SchemaCx<'a> {
    ns: &'a str,
    common: &'a BTreeMap<String, Value>,
    entities: &'a BTreeSet<String>,
}

impl SchemaCx<'_> {
    /// Translates one type; `path` names it in notes. Attributes whose type
    /// does not translate are left out of their record, noted in `notes`.
    fn ty(
        &self,
        t: &Value,
        path: &str,
        notes: &mut Vec<(String, String)>,
    ) -> Result<Value, String> {
        let kind = t["type"].as_str().unwrap_or("");
        match kind {
            "String" | "Long" | "Boolean" => Ok(serde_json::json!({ "type": kind })),
            "Set" => {
                let element = self.ty(&t["element"], path, notes)?;
                Ok(serde_json::json!({ "type": "Set", "element": element }))
            }
            "Record" => {
                let mut attributes = Map::new();
                if let Some(attrs) = t["attributes"].as_object() {
                    for (name, at) in attrs {
                        let here = format!("{path}.{name}");
                        match self.ty(at, &here, notes) {
                            Ok(Value::Object(mut m)) => {
                                if let Some(r) = at.get("required") {
                                    m.insert("required".into(), r.clone());
                                }
                                attributes.insert(name.clone(), Value::Object(m));
                            }
                            Ok(other) => {
                                attributes.insert(name.clone(), other);
                            }
                            Err(reason) => notes.push((here, reason)),
                        }
                    }
                }
                let mut m = Map::new();
                m.insert("type".into(), "Record".into());
                m.insert("attributes".into(), Value::Object(attributes));
                if let Some(a) = t.get("additionalAttributes") {
                    m.insert("additionalAttributes".into(), a.clone());
                }
                Ok(Value::Object(m))
            }
            "Entity" => Ok(serde_json::json!({ "type": "Entity", "name": t["name"] })),
            "Extension" => self.extension(t["name"].as_str().unwrap_or("")),
            "EntityOrCommon" => self.named(t["name"].as_str().unwrap_or(""), path, notes),
            other => self.named(other, path, notes),
        }
    }

    fn extension(&self, name: &str) -> Result<Value, String> {
        let name = name.strip_prefix("__cedar::").unwrap_or(name);
        if CEDAR2_EXTENSION_TYPES.contains(&name) {
            Ok(serde_json::json!({ "type": "Extension", "name": name }))
        } else {
            Err(format!(
                "the `{name}` extension type (Cedar 4) does not exist in Cedar 2: left out"
            ))
        }
    }

    /// Resolves a type name as Cedar 4 does: common type, entity type,
    /// then a built-in (primitive or extension) type.
    fn named(
        &self,
        name: &str,
        path: &str,
        notes: &mut Vec<(String, String)>,
    ) -> Result<Value, String> {
        let local = name
            .strip_prefix(self.ns)
            .and_then(|r| r.strip_prefix("::"))
            .filter(|_| !self.ns.is_empty())
            .unwrap_or(name);
        if let Some(c) = self.common.get(local) {
            // Notes about a common type's content name the common type.
            let mut inner = Vec::new();
            let out = self.ty(c, &qualify(self.ns, local), &mut inner);
            for n in inner {
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
            let _ = path;
            return out;
        }
        if self.entities.contains(local) {
            return Ok(serde_json::json!({ "type": "Entity", "name": name }));
        }
        match name.strip_prefix("__cedar::").unwrap_or(name) {
            "String" => Ok(serde_json::json!({ "type": "String" })),
            "Long" => Ok(serde_json::json!({ "type": "Long" })),
            "Bool" | "Boolean" => Ok(serde_json::json!({ "type": "Boolean" })),
            "ipaddr" | "decimal" | "datetime" | "duration" => self.extension(name),
            _ => Ok(serde_json::json!({ "type": "Entity", "name": name })),
        }
    }
}

/// The schema's actions as entities with their groups as parents. Cedar 4
/// takes the action hierarchy from the schema; cedar-agent's Cedar 2 only
/// from the entity data, so `action in Action::"group"` needs them there.
fn action_entities(v4: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let Some(namespaces) = v4.as_object() else {
        return out;
    };
    for (ns, def) in namespaces {
        let action_type = qualify(ns, "Action");
        let Some(actions) = def["actions"].as_object() else {
            continue;
        };
        for (id, a) in actions {
            let parents: Vec<Value> = a["memberOf"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .map(|p| {
                            let ty = p["type"]
                                .as_str()
                                .map(|t| {
                                    if t.contains("::") || ns.is_empty() {
                                        t.to_string()
                                    } else {
                                        qualify(ns, t)
                                    }
                                })
                                .unwrap_or_else(|| action_type.clone());
                            serde_json::json!({ "type": ty, "id": p["id"] })
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(serde_json::json!({
                "uid": { "type": action_type, "id": id },
                "attrs": {},
                "parents": parents,
            }));
        }
    }
    out
}

/// Translates entity JSON: drops entity tags, attributes whose values
/// Cedar 2 cannot read, and attributes the schema translation dropped.
fn translate_entities(
    text: &str,
    dropped: &BTreeSet<(String, String)>,
) -> Result<(Value, Vec<ElementNote>), TargetError> {
    let mut entities: Value = serde_json::from_str(text).map_err(|e| TargetError::Content {
        file: ENTITIES_FILE.to_string(),
        message: format!("line {}, column {}: {e}", e.line(), e.column()),
    })?;
    let Some(list) = entities.as_array_mut() else {
        return Err(TargetError::Content {
            file: ENTITIES_FILE.to_string(),
            message: "not a JSON array of entities".to_string(),
        });
    };
    let mut notes = BTreeSet::new();
    for e in list.iter_mut() {
        let ty = e["uid"]["type"]
            .as_str()
            .or_else(|| e["uid"]["__entity"]["type"].as_str())
            .unwrap_or("?")
            .to_string();
        let id = e["uid"]["id"]
            .as_str()
            .or_else(|| e["uid"]["__entity"]["id"].as_str())
            .unwrap_or("?")
            .to_string();
        let Some(obj) = e.as_object_mut() else {
            continue;
        };
        if let Some(tags) = obj.remove("tags") {
            if tags.as_object().is_some_and(|t| !t.is_empty()) {
                notes.insert(ElementNote {
                    element: format!("{ENTITIES_FILE} {ty}::{id:?} tags"),
                    reason: "entity tags (Cedar 4) left out".into(),
                });
            }
        }
        if let Some(attrs) = obj.get_mut("attrs").and_then(Value::as_object_mut) {
            for (owner, path) in dropped {
                if owner == &ty && remove_path(attrs, path) {
                    notes.insert(ElementNote {
                        element: format!("{ENTITIES_FILE} {ty}::{id:?} attribute {path}"),
                        reason: "left out: its type is left out of the schema".into(),
                    });
                }
            }
            let mut removed = Vec::new();
            strip_unsupported(attrs, "", &mut removed);
            for path in removed {
                notes.insert(ElementNote {
                    element: format!("{ENTITIES_FILE} {ty}::{id:?} attribute {path}"),
                    reason: "left out: an extension value (Cedar 4) Cedar 2 cannot read".into(),
                });
            }
        }
    }
    Ok((entities, notes.into_iter().collect()))
}

/// The body of cedar-agent's `POST /v1/is_authorized` for a request in
/// Cedar's JSON form (`Evaluator::request_json`: `principal`, `action`,
/// `resource` as `{"type","id"}`, `context`), with the context attributes
/// cedar-agent cannot take removed.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRequest {
    /// The JSON body.
    pub body: Value,
    /// Context attributes removed: those the schema translation dropped and
    /// those holding an extension value Cedar 2 cannot read.
    pub removed: Vec<String>,
}

/// Builds cedar-agent's request body from Writ's JSON request form.
pub fn agent_request(request: &Value, translation: &Translation) -> Result<AgentRequest, String> {
    let uid = |k: &str| -> Result<String, String> {
        let ty = request[k]["type"]
            .as_str()
            .ok_or_else(|| format!("the request has no {k} type"))?;
        let id = request[k]["id"]
            .as_str()
            .ok_or_else(|| format!("the request has no {k} id"))?;
        let name = cedar_policy::EntityTypeName::from_str_checked(ty)?;
        let id: cedar_policy::EntityId = id.parse().map_err(|e| format!("{e}"))?;
        Ok(cedar_policy::EntityUid::from_type_name_and_id(name, id).to_string())
    };
    let mut context = request["context"].as_object().cloned().unwrap_or_default();
    let mut removed = Vec::new();
    for path in &translation.dropped_context_attributes {
        if remove_path(&mut context, path) {
            removed.push(path.clone());
        }
    }
    strip_unsupported(&mut context, "", &mut removed);
    Ok(AgentRequest {
        body: serde_json::json!({
            "principal": uid("principal")?,
            "action": uid("action")?,
            "resource": uid("resource")?,
            "context": Value::Object(context),
        }),
        removed,
    })
}

/// Helper so `EntityTypeName` parsing reads as a checked conversion.
trait FromStrChecked: Sized {
    fn from_str_checked(s: &str) -> Result<Self, String>;
}

impl FromStrChecked for cedar_policy::EntityTypeName {
    fn from_str_checked(s: &str) -> Result<Self, String> {
        s.parse().map_err(|e| format!("`{s}`: {e}"))
    }
}

/// What a push did.
#[derive(Debug, Clone, Serialize)]
pub struct PushOutcome {
    /// The agent's base URL.
    pub url: String,
    /// Whether anything was sent (false for a dry run).
    pub sent: bool,
    /// The policy ids cedar-agent holds after the push (read back).
    pub agent_policy_ids: Vec<String>,
    /// How many entities were sent.
    pub entities_sent: usize,
}

/// Options of a push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Translate and report only; send nothing.
    pub dry_run: bool,
    /// cedar-agent's API key (its `--authentication`), sent as `Authorization`.
    pub token: Option<String>,
    /// The timeout of each HTTP request.
    pub timeout: Duration,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            dry_run: false,
            token: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Loads a translation into the cedar-agent at `url`: the old schema
/// removed, entities, policies, then the new schema; then the policy ids
/// are read back and must be exactly the ones sent. Refuses (sending
/// nothing) when [`Translation::refusal`] says so.
pub fn push(
    url: &str,
    translation: &Translation,
    options: &PushOptions,
) -> Result<PushOutcome, TargetError> {
    let client = Client::new(url, options.token.as_deref(), options.timeout)?;
    if let Some(why) = translation.refusal() {
        return Err(TargetError::Refused(why));
    }
    let entities_sent = translation.entities.as_array().map_or(0, Vec::len);
    if options.dry_run {
        return Ok(PushOutcome {
            url: url.to_string(),
            sent: false,
            agent_policy_ids: Vec::new(),
            entities_sent: 0,
        });
    }
    let json = |v: &Value| serde_json::to_string(v).unwrap_or_else(|_| "null".to_string());
    client.call("DELETE", "/v1/schema", None)?;
    client.call("PUT", "/v1/data", Some(&json(&translation.entities)))?;
    let policies = serde_json::to_value(&translation.policies).unwrap_or(Value::Null);
    client.call("PUT", "/v1/policies", Some(&json(&policies)))?;
    client.call("PUT", "/v1/schema", Some(&json(&translation.schema)))?;
    let held = agent_policy_ids(&client)?;
    let sent: Vec<String> = translation.policy_ids().into_iter().collect();
    if held != sent {
        let missing: Vec<&String> = sent.iter().filter(|i| !held.contains(i)).collect();
        let extra: Vec<&String> = held.iter().filter(|i| !sent.contains(i)).collect();
        return Err(TargetError::Mismatch(format!(
            "cedar-agent at {url} holds other policies than were sent: missing {missing:?}, extra {extra:?}"
        )));
    }
    Ok(PushOutcome {
        url: url.to_string(),
        sent: true,
        agent_policy_ids: held,
        entities_sent,
    })
}

/// The policy ids a cedar-agent holds (`GET /v1/policies`), sorted.
pub fn policy_ids(url: &str, timeout: Duration) -> Result<Vec<String>, TargetError> {
    agent_policy_ids(&Client::new(url, None, timeout)?)
}

fn agent_policy_ids(client: &Client) -> Result<Vec<String>, TargetError> {
    let text = client.call("GET", "/v1/policies", None)?;
    let held: Vec<AgentPolicy> = serde_json::from_str(&text).map_err(|e| {
        TargetError::Mismatch(format!(
            "GET {} answered something that is not a policy list: {e}",
            client.url("/v1/policies")
        ))
    })?;
    let mut ids: Vec<String> = held.into_iter().map(|p| p.id).collect();
    ids.sort();
    Ok(ids)
}
