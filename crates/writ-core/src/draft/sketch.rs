//! The Cedar type of observed JSON values: each context value a tool was
//! called with is folded into a [`Sketch`], and the sketch is written as a
//! Cedar schema type when every observation agrees on one.

use serde_json::Value;
use std::collections::BTreeMap;

/// How deep records and sets are followed; deeper values are left untyped.
const MAX_DEPTH: usize = 16;
/// How many distinct members a record may have before it is left untyped
/// (memory stays bounded on records with ever new keys).
pub const MAX_MEMBERS: usize = 1_000;
/// Why a record with too many members has no type.
const TOO_MANY_MEMBERS: &str = "a record with more than 1,000 distinct members";

/// What the values seen under one name have in common.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sketch {
    /// `true` / `false`.
    Bool,
    /// Integers that fit an `i64`.
    Long,
    /// Strings.
    String,
    /// A Cedar entity reference (`{"__entity": {"type": T, ...}}`).
    Entity(String),
    /// A Cedar extension value (`{"__extn": {"fn": F, ...}}`).
    Extension(String),
    /// Arrays whose elements agree (`None` while only empty ones were seen).
    Set(Option<Box<Sketch>>),
    /// Objects: each member's sketch and how many of the objects held it.
    Record {
        /// Member name → (sketch, how many objects held it).
        fields: BTreeMap<String, (Sketch, u64)>,
        /// How many objects were seen.
        seen: u64,
    },
    /// Values Cedar cannot hold as they are, or that disagree; why.
    Untyped(&'static str),
}

impl Sketch {
    /// The sketch of one value.
    pub fn of(value: &Value) -> Sketch {
        Self::of_at(value, 0)
    }

    fn of_at(value: &Value, depth: usize) -> Sketch {
        if depth > MAX_DEPTH {
            return Sketch::Untyped("nested too deeply");
        }
        match value {
            Value::Null => Sketch::Untyped("null, which Cedar has no value for"),
            Value::Bool(_) => Sketch::Bool,
            Value::Number(n) if n.is_i64() => Sketch::Long,
            Value::Number(n) if n.is_u64() => Sketch::Untyped("an integer beyond Cedar's Long"),
            Value::Number(_) => Sketch::Untyped("a fractional number, which Cedar has no type for"),
            Value::String(_) => Sketch::String,
            Value::Array(items) => {
                let mut element: Option<Sketch> = None;
                for item in items {
                    let s = Sketch::of_at(item, depth + 1);
                    element = Some(match element {
                        None => s,
                        Some(e) => e.merge(s),
                    });
                }
                Sketch::Set(element.map(Box::new))
            }
            Value::Object(map) => {
                if let Some(ty) = map
                    .get("__entity")
                    .and_then(|e| e.get("type"))
                    .and_then(Value::as_str)
                {
                    return Sketch::Entity(ty.to_string());
                }
                if let Some(f) = map
                    .get("__extn")
                    .and_then(|e| e.get("fn"))
                    .and_then(Value::as_str)
                {
                    return Sketch::Extension(f.to_string());
                }
                if map.len() > MAX_MEMBERS {
                    return Sketch::Untyped(TOO_MANY_MEMBERS);
                }
                let fields = map
                    .iter()
                    .map(|(k, v)| (k.clone(), (Sketch::of_at(v, depth + 1), 1)))
                    .collect();
                Sketch::Record { fields, seen: 1 }
            }
        }
    }

    /// The sketch of values seen under both `self` and `other`.
    pub fn merge(self, other: Sketch) -> Sketch {
        match (self, other) {
            (Sketch::Untyped(why), _) | (_, Sketch::Untyped(why)) => Sketch::Untyped(why),
            (Sketch::Set(None), Sketch::Set(e)) | (Sketch::Set(e), Sketch::Set(None)) => {
                Sketch::Set(e)
            }
            (Sketch::Set(Some(a)), Sketch::Set(Some(b))) => {
                Sketch::Set(Some(Box::new(a.merge(*b))))
            }
            (
                Sketch::Record {
                    fields: mut a,
                    seen: sa,
                },
                Sketch::Record {
                    fields: b,
                    seen: sb,
                },
            ) => {
                for (name, (sketch, count)) in b {
                    let merged = match a.remove(&name) {
                        Some((old, n)) => (old.merge(sketch), n + count),
                        None => (sketch, count),
                    };
                    a.insert(name, merged);
                    if a.len() > MAX_MEMBERS {
                        return Sketch::Untyped(TOO_MANY_MEMBERS);
                    }
                }
                Sketch::Record {
                    fields: a,
                    seen: sa + sb,
                }
            }
            (a, b) if a == b => a,
            _ => Sketch::Untyped("values of different types"),
        }
    }

    /// The Cedar schema type, or why there is none. Record members that are
    /// not always present are optional (`name?: T`); members without a type
    /// are left out and named in `left_out` (as `path.member: why`).
    pub fn cedar_type(&self, path: &str, left_out: &mut Vec<String>) -> Result<String, String> {
        match self {
            Sketch::Bool => Ok("Bool".into()),
            Sketch::Long => Ok("Long".into()),
            Sketch::String => Ok("String".into()),
            Sketch::Entity(ty) if declarable(ty) => Ok(ty.clone()),
            Sketch::Entity(ty) => Err(format!(
                "entity type `{ty}` is not a plain Cedar name a draft can declare"
            )),
            Sketch::Extension(f) => match f.as_str() {
                "decimal" | "ip" | "ipaddr" | "datetime" | "duration" => Ok(if f == "ip" {
                    "ipaddr".to_string()
                } else {
                    f.clone()
                }),
                other => Err(format!("extension function `{other}` has no Cedar type")),
            },
            Sketch::Set(None) => Err("only empty arrays were seen".into()),
            Sketch::Set(Some(e)) => Ok(format!("Set<{}>", e.cedar_type(path, left_out)?)),
            Sketch::Record { fields, seen } => {
                let mut members = Vec::new();
                for (name, (sketch, count)) in fields {
                    let inner = format!("{path}.{name}");
                    match sketch.cedar_type(&inner, left_out) {
                        Ok(ty) => {
                            let opt = if count < seen { "?" } else { "" };
                            members.push(format!("{}{opt}: {ty}", attribute_name(name)));
                        }
                        Err(why) => left_out.push(format!("{inner}: {why}")),
                    }
                }
                Ok(format!("{{ {} }}", members.join(", ")))
            }
            Sketch::Untyped(why) => Err((*why).to_string()),
        }
    }
}

impl Sketch {
    /// The entity types the values refer to (`{"__entity": ...}`), for the
    /// schema to declare.
    pub fn entity_types(&self, out: &mut std::collections::BTreeSet<String>) {
        match self {
            Sketch::Entity(ty) if declarable(ty) => {
                out.insert(ty.clone());
            }
            Sketch::Set(Some(e)) => e.entity_types(out),
            Sketch::Record { fields, .. } => {
                for (f, _) in fields.values() {
                    f.entity_types(out);
                }
            }
            _ => {}
        }
    }
}

/// Whether `s` is a Cedar identifier.
pub fn is_ident(s: &str) -> bool {
    crate::ingest::mcp_schema::is_ident(s)
}

/// Whether a draft can declare an entity type of this name: a plain
/// identifier other than `Action` (namespaced names would need namespaces).
pub fn declarable(ty: &str) -> bool {
    is_ident(ty) && ty != "Action"
}

/// An attribute name as the schema writes it: bare when it is an
/// identifier, else quoted.
pub fn attribute_name(name: &str) -> String {
    if is_ident(name) {
        name.to_string()
    } else {
        cedar_string(name)
    }
}

/// A Cedar string literal holding `s` exactly (Cedar reads Rust's
/// `\u{...}`, `\n`, `\t`, `\\`, `\"` and `\'` escapes).
pub fn cedar_string(s: &str) -> String {
    format!("\"{}\"", s.escape_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn type_of(values: &[Value]) -> Result<String, String> {
        let mut sketch: Option<Sketch> = None;
        for v in values {
            let s = Sketch::of(v);
            sketch = Some(match sketch {
                None => s,
                Some(old) => old.merge(s),
            });
        }
        let mut left_out = Vec::new();
        sketch.expect("values").cedar_type("x", &mut left_out)
    }

    #[test]
    fn agreeing_values_get_their_type_and_optional_members() {
        assert_eq!(type_of(&[json!(1), json!(-5)]), Ok("Long".into()));
        assert_eq!(
            type_of(&[json!([]), json!(["a"])]),
            Ok("Set<String>".into())
        );
        assert_eq!(
            type_of(&[json!({"a": 1, "b": true}), json!({"a": 2})]),
            Ok("{ a: Long, b?: Bool }".into())
        );
        assert_eq!(
            type_of(&[json!({"__extn": {"fn": "decimal", "arg": "1.5"}})]),
            Ok("decimal".into())
        );
        assert_eq!(
            type_of(&[json!({"__entity": {"type": "User", "id": "a"}})]),
            Ok("User".into())
        );
        assert_eq!(
            type_of(&[json!({"odd key": "v"})]),
            Ok("{ \"odd key\": String }".into())
        );
    }

    #[test]
    fn disagreeing_or_uncedar_values_have_no_type() {
        assert!(type_of(&[json!(1), json!("1")]).is_err());
        assert!(type_of(&[json!(1.5)]).is_err());
        assert!(type_of(&[json!(u64::MAX)]).is_err());
        assert!(type_of(&[json!(null)]).is_err());
        assert!(type_of(&[json!([])]).is_err());
        let mut left_out = Vec::new();
        let t = Sketch::of(&json!({"a": 1, "b": 2.5}))
            .cedar_type("ctx", &mut left_out)
            .expect("record");
        assert_eq!(t, "{ a: Long }");
        assert_eq!(left_out.len(), 1);
        assert!(left_out[0].starts_with("ctx.b:"), "{left_out:?}");
    }

    #[test]
    fn records_with_ever_new_keys_stop_at_the_limit() {
        let mut sketch = Sketch::of(&json!({}));
        for i in 0..=MAX_MEMBERS {
            sketch = sketch.merge(Sketch::of(&json!({ format!("k{i}"): 1 })));
        }
        assert_eq!(sketch, Sketch::Untyped(TOO_MANY_MEMBERS));
        let wide: serde_json::Map<String, Value> = (0..=MAX_MEMBERS)
            .map(|i| (format!("k{i}"), json!(1)))
            .collect();
        assert_eq!(
            Sketch::of(&Value::Object(wide)),
            Sketch::Untyped(TOO_MANY_MEMBERS)
        );
    }

    #[test]
    fn deep_values_stop_at_the_limit() {
        let mut v = json!(1);
        for _ in 0..100 {
            v = json!([v]);
        }
        assert!(type_of(&[v]).is_err());
    }

    #[test]
    fn cedar_strings_escape_quotes_and_controls() {
        assert_eq!(cedar_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(cedar_string("é"), "\"\\u{e9}\"");
    }
}
