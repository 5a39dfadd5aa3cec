//! The project schema: Cedar's `Schema`, plus the compiled request and
//! entity shapes Writ uses to build requests without re-validating each one.

use crate::diagnostic::{from_miette, Diagnostic, Severity};
use crate::shape::{RecordShape, ShapeCompiler};
use cedar_policy::{EntityId, EntityTypeName, EntityUid, Schema, SchemaFragment};
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// What an action accepts, compiled from the schema.
#[derive(Debug, Clone)]
pub struct ActionShape {
    /// The action's uid, e.g. `Action::"read_ticket"` or `N1::Action::"a"`.
    pub uid: EntityUid,
    /// The action id as declared (unescaped), e.g. `read_ticket`.
    pub id: String,
    /// Entity types allowed as principal (qualified names).
    pub principals: Vec<String>,
    /// Entity types allowed as resource (qualified names).
    pub resources: Vec<String>,
    /// The context type.
    pub context: RecordShape,
    /// The action groups this action belongs to, directly or through other
    /// groups (Cedar's action hierarchy), sorted.
    pub groups: Vec<EntityUid>,
}

/// What an entity type declares.
#[derive(Debug, Clone)]
pub struct EntityTypeShape {
    /// Attributes.
    pub attributes: RecordShape,
    /// Types its entities may be members of.
    pub parents: Vec<String>,
    /// For an enumerated entity type (`entity Color enum ["red", ...]`),
    /// the ids it allows.
    pub enum_ids: Option<Vec<String>>,
}

/// Why an action name does not name one declared action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionLookupError {
    /// No declared action has this uid or id.
    #[error("action `{}` is not declared in the schema", crate::display::escaped(.0))]
    NotDeclared(String),
    /// A bare id declared in several namespaces.
    #[error("action `{}` is declared in several namespaces ({}); name one by its uid, e.g. `{}`", crate::display::escaped(name), crate::display::escaped(&candidates.join(", ")), crate::display::escaped(candidates.first().map(String::as_str).unwrap_or_default()))]
    Ambiguous {
        /// The name as given.
        name: String,
        /// The declared uids with that id, in Cedar syntax.
        candidates: Vec<String>,
    },
}

/// A loaded schema and its compiled shapes.
#[derive(Debug, Clone)]
pub struct ProjectSchema {
    /// Cedar's schema.
    pub schema: Schema,
    /// Every declared action (groups included) by uid.
    actions: FxHashMap<EntityUid, Arc<ActionShape>>,
    /// Declared action uids by their bare id (several when namespaces
    /// reuse an id), sorted.
    by_id: FxHashMap<String, Vec<EntityUid>>,
    /// Entity types by (qualified) name.
    pub entity_types: HashMap<String, EntityTypeShape>,
    /// The schema in Cedar's human syntax (converted when the file was JSON).
    pub cedarschema_text: String,
}

/// How a recorded action names an action: a Cedar uid literal, or a bare id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionName {
    /// A uid in Cedar syntax, e.g. `N1::Action::"a"` (parsed by Cedar).
    Uid(EntityUid),
    /// A bare action id, e.g. `read_ticket`.
    Bare(String),
}

impl ActionName {
    /// Reads an action name: text that Cedar parses as an entity uid is a
    /// uid (escapes are Cedar's); anything else is a bare id.
    pub fn parse(name: &str) -> ActionName {
        if crate::faults::on(crate::faults::Fault::RawActionSpelling) {
            return ActionName::Bare(name.to_string());
        }
        match crate::uid::parse_uid(name) {
            Some(uid) => ActionName::Uid(uid),
            None => ActionName::Bare(name.to_string()),
        }
    }
}

impl ProjectSchema {
    /// The action a recorded name refers to: a uid literal is looked up by
    /// uid (compared as parsed uids, whatever its spelling); a bare id must
    /// be declared in exactly one namespace. A uid literal that is not
    /// declared is still tried as a bare id (an id may itself look like a
    /// uid).
    pub fn action(&self, name: &str) -> Result<&Arc<ActionShape>, ActionLookupError> {
        match ActionName::parse(name) {
            ActionName::Uid(uid) => match self.actions.get(&uid) {
                Some(a) => Ok(a),
                None => self.action_by_id(name),
            },
            ActionName::Bare(id) => self.action_by_id(&id),
        }
    }

    /// The action with uid `uid`.
    pub fn action_by_uid(&self, uid: &EntityUid) -> Option<&Arc<ActionShape>> {
        self.actions.get(uid)
    }

    /// The action with bare id `id`, when exactly one namespace declares it.
    pub fn action_by_id(&self, id: &str) -> Result<&Arc<ActionShape>, ActionLookupError> {
        if crate::faults::on(crate::faults::Fault::RawActionSpelling) {
            return self
                .actions
                .values()
                .find(|a| a.uid.to_string() == id || a.id == id)
                .ok_or_else(|| ActionLookupError::NotDeclared(id.to_string()));
        }
        match self.by_id.get(id).map(Vec::as_slice) {
            None | Some([]) => Err(ActionLookupError::NotDeclared(id.to_string())),
            Some([one]) => self
                .actions
                .get(one)
                .ok_or_else(|| ActionLookupError::NotDeclared(id.to_string())),
            Some(several) => {
                if crate::faults::on(crate::faults::Fault::FirstNamespaceWins) {
                    if let Some(a) = self.actions.get(&several[0]) {
                        return Ok(a);
                    }
                }
                Err(ActionLookupError::Ambiguous {
                    name: id.to_string(),
                    candidates: several.iter().map(ToString::to_string).collect(),
                })
            }
        }
    }

    /// Every declared action, sorted by uid text.
    pub fn actions(&self) -> Vec<&Arc<ActionShape>> {
        let mut all: Vec<&Arc<ActionShape>> = self.actions.values().collect();
        all.sort_by_cached_key(|a| a.uid.to_string());
        all
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
        let (actions, entity_types) = compile(&json, &schema).map_err(|e| {
            vec![Diagnostic::error("schema-unsupported", shown, None, e)
                .with_hint("Writ supports every Cedar type except unresolved references; report this schema to the Writ developers")]
        })?;
        let mut by_id: FxHashMap<String, Vec<EntityUid>> = FxHashMap::default();
        for uid in actions.keys() {
            by_id
                .entry(uid.id().unescaped().to_string())
                .or_default()
                .push(uid.clone());
        }
        for uids in by_id.values_mut() {
            uids.sort_by_cached_key(ToString::to_string);
        }
        Ok((
            ProjectSchema {
                schema,
                actions,
                by_id,
                entity_types,
                cedarschema_text,
            },
            warnings,
        ))
    }
}

type Compiled = (
    FxHashMap<EntityUid, Arc<ActionShape>>,
    HashMap<String, EntityTypeShape>,
);

/// The uid of action `id` of namespace `ns`, built through Cedar's API (the
/// id is taken as it is: no escaping, no parsing).
fn action_uid(ns: &str, id: &str) -> Result<EntityUid, String> {
    let ty = if ns.is_empty() {
        "Action".to_string()
    } else {
        format!("{ns}::Action")
    };
    if crate::faults::on(crate::faults::Fault::UidFromText) {
        return EntityUid::from_str(&format!("{ty}::{}", Value::String(id.to_string())))
            .map_err(|e| format!("action {id}: {e}"));
    }
    let name = EntityTypeName::from_str(&ty).map_err(|e| format!("action type {ty}: {e}"))?;
    Ok(EntityUid::from_type_name_and_id(name, EntityId::new(id)))
}

fn compile(json: &Value, schema: &Schema) -> Result<Compiled, String> {
    let compiler = ShapeCompiler::new(json);
    let mut actions = FxHashMap::default();
    let mut entity_types = HashMap::new();
    let Some(namespaces) = json.as_object() else {
        return Err("schema JSON is not an object".into());
    };
    // The action hierarchy as Cedar resolved it.
    let action_entities = schema.action_entities().map_err(|e| e.to_string())?;
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
                // References in a resolved schema are absolute already.
                let parents = def
                    .get("memberOfTypes")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                let enum_ids = def.get("enum").and_then(Value::as_array).map(|ids| {
                    ids.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                });
                entity_types.insert(
                    qualify(name),
                    EntityTypeShape {
                        attributes,
                        parents,
                        enum_ids,
                    },
                );
            }
        }
        if let Some(acts) = frag.get("actions").and_then(Value::as_object) {
            for (id, def) in acts {
                let uid = action_uid(ns, id)?;
                let types = |found: Option<Vec<String>>| {
                    let mut v = found.unwrap_or_default();
                    v.sort();
                    v
                };
                let principals = types(
                    schema
                        .principals_for_action(&uid)
                        .map(|it| it.map(ToString::to_string).collect()),
                );
                let resources = types(
                    schema
                        .resources_for_action(&uid)
                        .map(|it| it.map(ToString::to_string).collect()),
                );
                let applies = def.get("appliesTo");
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
                let mut groups: Vec<EntityUid> = action_entities
                    .ancestors(&uid)
                    .map(|it| it.cloned().collect())
                    .unwrap_or_default();
                groups.sort_by_cached_key(ToString::to_string);
                let shape = Arc::new(ActionShape {
                    uid: uid.clone(),
                    id: id.clone(),
                    principals,
                    resources,
                    context,
                    groups,
                });
                actions.insert(uid, shape);
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
        assert_eq!(
            read.groups,
            [EntityUid::from_str("Action::\"group\"").expect("uid")]
        );
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
        assert!(s.action("Action::\"read\"").is_ok());
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

    const NAMESPACES: &str = r#"
namespace N1 { entity U; action "a" appliesTo { principal: [U], resource: [U] }; action "only1" appliesTo { principal: [U], resource: [U] }; }
namespace N2 { entity U; action "a" appliesTo { principal: [U], resource: [U] }; }
"#;

    #[test]
    fn actions_are_keyed_by_full_uid() {
        let (s, _) = ProjectSchema::load(Path::new("s.cedarschema"), NAMESPACES).expect("loads");
        let n1 = s.action("N1::Action::\"a\"").expect("n1");
        let n2 = s.action("N2::Action::\"a\"").expect("n2");
        assert_eq!(n1.uid.to_string(), "N1::Action::\"a\"");
        assert_eq!(n2.uid.to_string(), "N2::Action::\"a\"");
        assert_eq!(n1.principals, ["N1::U"]);
        assert_eq!(n2.principals, ["N2::U"]);
        // A bare id in one namespace resolves; in two it is an error naming both.
        assert_eq!(
            s.action("only1").expect("unique").uid.to_string(),
            "N1::Action::\"only1\""
        );
        match s.action("a") {
            Err(ActionLookupError::Ambiguous { candidates, .. }) => {
                assert_eq!(candidates, ["N1::Action::\"a\"", "N2::Action::\"a\""])
            }
            other => panic!("expected ambiguity, got {other:?}"),
        }
        assert!(matches!(
            s.action("N3::Action::\"a\""),
            Err(ActionLookupError::NotDeclared(_))
        ));
    }

    #[test]
    fn action_ids_that_need_escaping_are_supported() {
        // Control characters, quotes, backslashes, non-ASCII: all valid Cedar.
        let ids = [
            "tab\there",
            "q\"uote",
            "back\\slash",
            "\u{1}ctl",
            "del\u{7f}",
            "sup\u{b9}",
            "emoji😀",
            "",
        ];
        let mut src = String::from("entity U;\n");
        for id in ids {
            let lit = cedar_literal(id);
            src.push_str(&format!(
                "action {lit} appliesTo {{ principal: [U], resource: [U] }};\n"
            ));
        }
        let (s, _) = ProjectSchema::load(Path::new("s.cedarschema"), &src)
            .unwrap_or_else(|d| panic!("{d:?}"));
        for id in ids {
            let by_id = s.action(id).unwrap_or_else(|e| panic!("{id:?}: {e}"));
            assert_eq!(by_id.id, id);
            // The same action named by its uid in Cedar syntax, whatever the spelling.
            let uid_text = format!("Action::{}", cedar_literal(id));
            assert_eq!(s.action(&uid_text).expect("by uid").uid, by_id.uid);
        }
        // `\u{b9}` and the raw character name the same action.
        assert_eq!(
            s.action("Action::\"sup\\u{b9}\"").expect("escaped").uid,
            s.action("Action::\"sup\u{b9}\"").expect("raw").uid
        );
    }

    /// A Cedar string literal for `s` (Cedar's escapes).
    fn cedar_literal(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn empty_namespace_types_used_inside_a_namespace_stay_unqualified() {
        let src = r#"entity Folder; type T = { x: Long };
namespace N2 { entity Doc in [Folder] = { f: Folder, t: T }; entity Own; type L = { y: Own };
  action "a" appliesTo { principal: [Folder], resource: [Doc], context: { who: Folder, own: Own, l: L, t: T } }; }"#;
        let (s, _) = ProjectSchema::load(Path::new("s.cedarschema"), src).expect("loads");
        let a = s.action("a").expect("a");
        assert_eq!(a.principals, ["Folder"]);
        assert_eq!(a.resources, ["N2::Doc"]);
        let shape = |n: &str| a.context.attribute(n).map(|x| x.shape.clone());
        assert_eq!(
            shape("who"),
            Some(crate::shape::Shape::Entity("Folder".into()))
        );
        assert_eq!(
            shape("own"),
            Some(crate::shape::Shape::Entity("N2::Own".into()))
        );
        assert!(matches!(shape("l"), Some(crate::shape::Shape::Record(_))));
        assert!(matches!(shape("t"), Some(crate::shape::Shape::Record(_))));
        assert_eq!(s.entity_types["N2::Doc"].parents, ["Folder"]);
    }

    #[test]
    fn syntax_errors_are_located() {
        let errs =
            ProjectSchema::load(Path::new("s.cedarschema"), "entity A = { x: };").unwrap_err();
        assert!(errs[0].span.is_some(), "{errs:?}");
    }
}
