//! The project schema: Cedar's `Schema`, plus the compiled request and
//! entity shapes Writ uses to build requests without re-validating each one.

use crate::diagnostic::{from_miette, Diagnostic, Severity};
use crate::shape::{RecordShape, ShapeCompiler};
use cedar_policy::{EntityUid, Schema, SchemaFragment};
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// What an action accepts, compiled from the schema.
#[derive(Debug, Clone)]
pub struct ActionShape {
    /// The action's uid, e.g. `Action::"read_ticket"`.
    pub uid: EntityUid,
    /// The action id, e.g. `read_ticket`.
    pub id: String,
    /// Entity types allowed as principal.
    pub principals: Vec<String>,
    /// Entity types allowed as resource.
    pub resources: Vec<String>,
    /// The context type.
    pub context: RecordShape,
    /// Action groups this action belongs to (ids).
    pub groups: Vec<String>,
}

/// What an entity type declares.
#[derive(Debug, Clone)]
pub struct EntityTypeShape {
    /// Attributes.
    pub attributes: RecordShape,
    /// Types its entities may be members of.
    pub parents: Vec<String>,
}

/// A loaded schema and its compiled shapes.
#[derive(Debug, Clone)]
pub struct ProjectSchema {
    /// Cedar's schema.
    pub schema: Schema,
    /// Actions by id (`read_ticket`) and by uid text (`Action::"read_ticket"`).
    pub actions: FxHashMap<String, Arc<ActionShape>>,
    /// Entity types by (qualified) name.
    pub entity_types: HashMap<String, EntityTypeShape>,
    /// The schema in Cedar's human syntax (converted when the file was JSON).
    pub cedarschema_text: String,
}

impl ProjectSchema {
    /// The action named `name`: an action id or an action uid (`Action::"x"`).
    pub fn action(&self, name: &str) -> Option<&Arc<ActionShape>> {
        self.actions.get(name)
    }

    /// Parses a schema file (`.cedarschema`, or JSON when the file name ends
    /// in `.json`). `shown` is the path used in diagnostics.
    pub fn load(
        shown: &Path,
        text: &str,
    ) -> Result<(ProjectSchema, Vec<Diagnostic>), Vec<Diagnostic>> {
        let is_json = shown
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut warnings = Vec::new();
        let (schema, cedarschema_text) = if is_json {
            let schema = Schema::from_json_str(text).map_err(|e| {
                vec![from_miette("schema", Severity::Error, shown, 0, &e)
                    .with_hint("the JSON schema format is described in Cedar's documentation; `writ check` also accepts schema.cedarschema")]
            })?;
            let frag = SchemaFragment::from_json_str(text)
                .map_err(|e| vec![from_miette("schema", Severity::Error, shown, 0, &e)])?;
            let human = frag
                .to_cedarschema()
                .map_err(|e| vec![Diagnostic::error("schema", shown, None, e.to_string())])?;
            (schema, human)
        } else {
            let (schema, warns) = Schema::from_cedarschema_str(text).map_err(|e| {
                vec![from_miette("schema", Severity::Error, shown, 0, &e)
                    .with_hint("fix the schema at the marked place; see Cedar's schema grammar")]
            })?;
            for w in warns {
                warnings.push(from_miette(
                    "schema-warning",
                    Severity::Warning,
                    shown,
                    0,
                    &w,
                ));
            }
            (schema, text.to_string())
        };
        let (json, _) = cedar_policy::schema_str_to_json_with_resolved_types(&cedarschema_text)
            .map_err(|e| vec![from_miette("schema", Severity::Error, shown, 0, &e)])?;
        let (actions, entity_types) = compile(&json).map_err(|e| {
            vec![Diagnostic::error("schema-unsupported", shown, None, e)
                .with_hint("Writ supports every Cedar type except unresolved references; report this schema to the Writ developers")]
        })?;
        Ok((
            ProjectSchema {
                schema,
                actions,
                entity_types,
                cedarschema_text,
            },
            warnings,
        ))
    }
}

type Compiled = (
    FxHashMap<String, Arc<ActionShape>>,
    HashMap<String, EntityTypeShape>,
);

fn compile(json: &Value) -> Result<Compiled, String> {
    let compiler = ShapeCompiler::new(json);
    let mut actions = FxHashMap::default();
    let mut entity_types = HashMap::new();
    let Some(namespaces) = json.as_object() else {
        return Err("schema JSON is not an object".into());
    };
    for (ns, frag) in namespaces {
        let qualify = |n: &str| {
            if ns.is_empty() || n.contains("::") {
                n.to_string()
            } else {
                format!("{ns}::{n}")
            }
        };
        if let Some(types) = frag.get("entityTypes").and_then(Value::as_object) {
            for (name, def) in types {
                let attributes = match def.get("shape") {
                    Some(shape) => compiler
                        .compile_record(ns, shape, 0)
                        .map_err(|e| format!("entity type {name}: {e}"))?,
                    None => RecordShape::default(),
                };
                let parents = def
                    .get("memberOfTypes")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(&qualify).collect())
                    .unwrap_or_default();
                entity_types.insert(
                    qualify(name),
                    EntityTypeShape {
                        attributes,
                        parents,
                    },
                );
            }
        }
        if let Some(acts) = frag.get("actions").and_then(Value::as_object) {
            let action_type = qualify("Action");
            for (id, def) in acts {
                let uid_text = format!("{action_type}::{}", Value::String(id.clone()));
                let uid =
                    EntityUid::from_str(&uid_text).map_err(|e| format!("action {id}: {e}"))?;
                let applies = def.get("appliesTo");
                let list = |key: &str| -> Vec<String> {
                    applies
                        .and_then(|a| a.get(key))
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).map(&qualify).collect())
                        .unwrap_or_default()
                };
                let context = match applies.and_then(|a| a.get("context")) {
                    Some(ctx) => match compiler
                        .compile(ns, ctx)
                        .map_err(|e| format!("context of action {id}: {e}"))?
                    {
                        crate::shape::Shape::Record(r) => r,
                        _ => return Err(format!("context of action {id} is not a record")),
                    },
                    None => RecordShape::default(),
                };
                let groups = def
                    .get("memberOf")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|m| m.get("id").and_then(Value::as_str))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                let shape = Arc::new(ActionShape {
                    uid,
                    id: id.clone(),
                    principals: list("principalTypes"),
                    resources: list("resourceTypes"),
                    context,
                    groups,
                });
                actions.entry(id.clone()).or_insert_with(|| shape.clone());
                actions.insert(uid_text, shape);
            }
        }
    }
    Ok((actions, entity_types))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"
type Ctx = { env: String, approval?: { ok: Bool }, who: User };
entity Team = { name: String };
entity User;
entity Agent in [Team] = { tier: String };
action "group";
action "read" in ["group"] appliesTo { principal: [Agent], resource: [Team, User], context: Ctx };
"#;

    #[test]
    fn compiles_actions_and_entity_types() {
        let (s, warns) = ProjectSchema::load(Path::new("schema.cedarschema"), SRC).expect("loads");
        assert!(warns.is_empty());
        let read = s.action("read").expect("read");
        assert_eq!(read.principals, ["Agent"]);
        assert_eq!(read.groups, ["group"]);
        assert_eq!(read.resources.len(), 2);
        let names: Vec<&str> = read
            .context
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["approval", "env", "who"]);
        assert!(!read.context.attributes[0].required);
        assert!(
            matches!(read.context.attribute("who").map(|a| &a.shape), Some(crate::shape::Shape::Entity(t)) if t == "User")
        );
        assert!(s.action("Action::\"read\"").is_some());
        assert_eq!(s.entity_types["Agent"].parents, ["Team"]);
    }

    #[test]
    fn json_schemas_compile_to_the_same_shapes() {
        let (human, _) = ProjectSchema::load(Path::new("schema.cedarschema"), SRC).expect("loads");
        let frag = SchemaFragment::from_cedarschema_str(SRC).expect("parses").0;
        let json = frag.to_json_string().expect("to json");
        let (from_json, _) =
            ProjectSchema::load(Path::new("schema.cedarschema.json"), &json).expect("loads json");
        let (a, b) = (
            human.action("read").expect("read"),
            from_json.action("read").expect("read"),
        );
        assert_eq!(a.context, b.context);
        assert_eq!(a.principals, b.principals);
        assert_eq!(a.groups, b.groups);
        let errs = ProjectSchema::load(Path::new("schema.json"), "{\"\": {\"entityTypes\": 5}}")
            .unwrap_err();
        assert_eq!(errs[0].code, "schema");
    }

    #[test]
    fn syntax_errors_are_located() {
        let errs =
            ProjectSchema::load(Path::new("s.cedarschema"), "entity A = { x: };").unwrap_err();
        assert!(errs[0].span.is_some(), "{errs:?}");
    }
}
