//! Entity data and attribute values, in every JSON form Cedar accepts.

use crate::ids::ODD_IDS;
use crate::model::{Attr, Ext, SchemaModel, Ty};
use crate::rng::G;
use crate::GenOptions;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Plain entity ids.
pub const NAMES: [&str; 4] = ["alice", "bob", "carol", "d1"];
/// String values (policies compare with these).
pub const STRINGS: [&str; 6] = ["a", "b", "alice", "", "é", "a*b"];
/// Long values.
pub const LONGS: [i64; 7] = [-1, 0, 1, 2, 5, 100, i64::MAX];
/// Tag keys.
pub const TAG_KEYS: [&str; 2] = ["k1", "k2"];

/// Generated entities: the JSON, and the ids of each type.
pub struct Ents {
    /// Cedar's entities JSON.
    pub json: Value,
    /// Entity ids by qualified type.
    pub by_type: BTreeMap<String, Vec<String>>,
}

impl Ents {
    /// An id of `ty`: usually an existing entity, sometimes one with no data.
    pub fn id(&self, g: &mut G, ty: &str) -> String {
        match self.by_type.get(ty) {
            Some(ids) if !ids.is_empty() && g.chance(0.9) => g.pick(ids).clone(),
            _ => "ghost".into(),
        }
    }
}

/// Entities of every type of `model`.
pub fn entities(g: &mut G, model: &SchemaModel, options: &GenOptions) -> Ents {
    let mut by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &model.entity_types {
        let mut ids: Vec<String> = g
            .subset(&NAMES, 0.6)
            .iter()
            .map(|s| s.to_string())
            .collect();
        if ids.is_empty() {
            ids.push("alice".into());
        }
        if options.odd_entity_ids {
            let odd = g.pick(ODD_IDS).to_string();
            if !ids.contains(&odd) {
                ids.push(odd);
            }
        }
        by_type.insert(t.name.clone(), ids);
    }
    let mut ents = Ents {
        json: Value::Null,
        by_type,
    };
    let mut list = Vec::new();
    for t in &model.entity_types {
        for id in ents.by_type[&t.name].clone() {
            let attrs = record_value(g, &t.attrs, &ents, options, false);
            let mut parents = Vec::new();
            for p in &t.parents {
                for pid in ents.by_type.get(p).cloned().unwrap_or_default() {
                    if g.chance(0.4) {
                        parents.push(json!({"type": p, "id": pid}));
                    }
                }
            }
            let mut e = json!({
                "uid": {"type": t.name, "id": id},
                "attrs": attrs,
                "parents": parents,
            });
            if t.tags {
                let mut tags = Map::new();
                for k in TAG_KEYS {
                    if g.chance(0.6) {
                        tags.insert(k.to_string(), json!(g.pick(&STRINGS)));
                    }
                }
                e["tags"] = Value::Object(tags);
            }
            list.push(e);
        }
    }
    ents.json = Value::Array(list);
    ents
}

/// A record value for `attrs`: required attributes always, optional ones
/// usually. With `drop_required`, one required attribute is left out.
pub fn record_value(
    g: &mut G,
    attrs: &[Attr],
    ents: &Ents,
    options: &GenOptions,
    drop_required: bool,
) -> Value {
    let mut out = Map::new();
    let dropped = if drop_required {
        attrs.iter().position(|a| a.required)
    } else {
        None
    };
    for (i, a) in attrs.iter().enumerate() {
        if Some(i) == dropped || (!a.required && g.chance(0.3)) {
            continue;
        }
        out.insert(a.name.clone(), value(g, &a.ty, ents, options));
    }
    Value::Object(out)
}

/// A valid value of `ty`, in a random JSON form.
pub fn value(g: &mut G, ty: &Ty, ents: &Ents, options: &GenOptions) -> Value {
    match ty {
        Ty::Long => json!(g.pick(&LONGS)),
        Ty::Str => json!(g.pick(&STRINGS)),
        Ty::Bool => json!(g.chance(0.5)),
        Ty::Set(e) => {
            let n = g.below(4);
            Value::Array((0..n).map(|_| value(g, e, ents, options)).collect())
        }
        Ty::Record(attrs) => record_value(g, attrs, ents, options, false),
        Ty::Entity(t) => {
            let id = ents.id(g, t);
            if g.chance(0.5) {
                json!({"__entity": {"type": t, "id": id}})
            } else {
                json!({"type": t, "id": id})
            }
        }
        Ty::Ext(x) => ext_value(g, *x, options),
    }
}

/// An extension value: explicit `__extn`, the implicit string, or for a
/// `datetime` (with [`GenOptions::offset_args`]) an `offset` call with
/// `args`.
pub fn ext_value(g: &mut G, x: Ext, options: &GenOptions) -> Value {
    let lit = *g.pick(x.literals());
    if x == Ext::Datetime && options.offset_args && g.chance(0.25) {
        let dur = *g.pick(Ext::Duration.literals());
        return json!({"__extn": {"fn": "offset", "args": [
            {"__extn": {"fn": "datetime", "arg": lit}},
            {"__extn": {"fn": "duration", "arg": dur}},
        ]}});
    }
    if g.chance(0.5) {
        json!({"__extn": {"fn": x.constructor(), "arg": lit}})
    } else {
        json!(lit)
    }
}

/// A value of the wrong type for `ty`.
pub fn wrong_value(ty: &Ty) -> Value {
    match ty {
        Ty::Long => json!("not a number"),
        Ty::Str | Ty::Ext(_) => json!(12),
        Ty::Bool => json!("true"),
        Ty::Set(_) => json!({"not": "a set"}),
        Ty::Record(_) => json!([1, 2]),
        Ty::Entity(_) => json!(true),
    }
}
