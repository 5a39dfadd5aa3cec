//! Random schema models over a fixed skeleton of namespaces and types.

use crate::ids::{same_escapes, ODD_IDS};
use crate::model::{Action, Attr, EntityType, Ext, SchemaModel, Ty};
use crate::rng::G;
use crate::GenOptions;

/// The namespaces every case declares.
pub const NAMESPACES: [&str; 4] = ["", "N1", "N2", "A::B"];

/// Principal entity types (the empty namespace's `Bot` always; the
/// namespaced ones with [`GenOptions::namespaced_principals`]).
pub fn principal_types(options: &GenOptions) -> Vec<&'static str> {
    if options.namespaced_principals {
        vec!["N1::User", "N1::Agent", "N2::User", "N2::Agent", "Bot"]
    } else {
        vec!["Bot"]
    }
}

/// Resource entity types.
pub const RESOURCE_TYPES: [&str; 5] = ["Doc", "Folder", "A::B::Tool", "A::B::Res", "N1::Team"];

fn record_type() -> Ty {
    Ty::Record(vec![
        Attr {
            name: "x".into(),
            ty: Ty::Long,
            required: true,
        },
        Attr {
            name: "y".into(),
            ty: Ty::Str,
            required: false,
        },
    ])
}

/// Entity attributes a type may declare (name, type); `owner` refers to
/// `owner_type`.
fn entity_menu(owner_type: &str) -> Vec<(&'static str, Ty)> {
    vec![
        ("name", Ty::Str),
        ("level", Ty::Long),
        ("active", Ty::Bool),
        ("labels", Ty::Set(Box::new(Ty::Str))),
        ("meta", record_type()),
        ("owner", Ty::Entity(owner_type.into())),
        ("addr", Ty::Ext(Ext::Ip)),
        ("score", Ty::Ext(Ext::Decimal)),
        ("since", Ty::Ext(Ext::Datetime)),
        ("ttl", Ty::Ext(Ext::Duration)),
    ]
}

/// Context attributes an action may declare. Never `now` or
/// `on_behalf_of`: Writ fills those from the trace record.
fn context_menu(who_type: &str) -> Vec<(&'static str, Ty)> {
    vec![
        ("n", Ty::Long),
        ("s", Ty::Str),
        ("flag", Ty::Bool),
        ("nums", Ty::Set(Box::new(Ty::Long))),
        ("rec", record_type()),
        ("who", Ty::Entity(who_type.into())),
        ("src", Ty::Ext(Ext::Ip)),
        ("amount", Ty::Ext(Ext::Decimal)),
        ("at", Ty::Ext(Ext::Datetime)),
        ("dur", Ty::Ext(Ext::Duration)),
    ]
}

fn attrs(g: &mut G, menu: Vec<(&'static str, Ty)>, p: f64) -> Vec<Attr> {
    let mut out = Vec::new();
    for (name, ty) in menu {
        if g.chance(p) {
            out.push(Attr {
                name: name.into(),
                ty,
                required: g.chance(0.6),
            });
        }
    }
    out
}

fn nonempty_subset(g: &mut G, items: &[&str], p: f64) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .filter(|_| g.chance(p))
        .map(|s| s.to_string())
        .collect();
    if out.is_empty() {
        out.push(g.pick(items).to_string());
    }
    out
}

/// A random schema model.
pub fn schema_model(g: &mut G, options: &GenOptions) -> SchemaModel {
    let principals = principal_types(options);
    let owner = principals[0];
    let skeleton: [(&str, &[&str]); 10] = [
        ("Folder", &[]),
        ("Doc", &["Folder"]),
        ("Bot", &["Folder"]),
        ("N1::Team", &[]),
        ("N1::User", &["N1::Team"]),
        ("N1::Agent", &["N1::Team"]),
        ("N2::Group", &[]),
        ("N2::User", &["N2::Group"]),
        ("N2::Agent", &["N2::Group"]),
        ("A::B::Tool", &[]),
    ];
    let mut entity_types: Vec<EntityType> = skeleton
        .iter()
        .map(|(name, parents)| EntityType {
            name: name.to_string(),
            attrs: attrs(g, entity_menu(owner), 0.4),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            tags: g.chance(0.4),
        })
        .collect();
    let res_parent = if options.root_types_from_namespaces {
        "Folder"
    } else {
        "A::B::Tool"
    };
    entity_types.push(EntityType {
        name: "A::B::Res".into(),
        attrs: attrs(g, entity_menu(owner), 0.4),
        parents: vec![res_parent.into()],
        tags: g.chance(0.5),
    });

    let prefix = |ns: &str| match ns {
        "" => "root",
        "N1" => "n1",
        "N2" => "n2",
        _ => "ab",
    };
    let mut actions = Vec::new();
    for ns in NAMESPACES {
        let p = prefix(ns);
        // Cedar refuses a namespaced action that shadows one of the empty
        // namespace, so only the named namespaces share bare ids.
        let shared = |id: &str| {
            if options.shared_bare_ids && !ns.is_empty() {
                id.to_string()
            } else {
                format!("{p}_{id}")
            }
        };
        let group = if options.odd_action_ids && g.chance(0.3) {
            format!("g\"{}", shared("all"))
        } else {
            shared("all")
        };
        actions.push(Action {
            ns: ns.into(),
            id: group.clone(),
            groups: vec![],
            principals: vec![],
            resources: vec![],
            context: vec![],
            is_group: true,
        });
        let mut ids = vec![shared("read"), format!("{p}_list")];
        if ns == "N1" || ns == "N2" {
            ids.push(shared("write"));
        }
        if options.odd_action_ids || options.control_action_ids {
            let odd_ids: Vec<&str> = ODD_IDS
                .iter()
                .copied()
                .filter(|id| {
                    if same_escapes(id) {
                        options.odd_action_ids
                    } else {
                        options.control_action_ids
                    }
                })
                .collect();
            let odd = g.pick(&odd_ids).to_string();
            let odd = if options.shared_bare_ids && !ns.is_empty() {
                odd
            } else {
                format!("{p}{odd}")
            };
            if !ids.contains(&odd) && odd != group {
                ids.push(odd);
            }
        }
        // Types this namespace may name.
        let nameable =
            |t: &&str| options.root_types_from_namespaces || ns.is_empty() || t.contains("::");
        let mut ns_principals: Vec<&str> = principals.iter().copied().filter(nameable).collect();
        if ns_principals.is_empty() {
            ns_principals = principals.clone();
        }
        let ns_resources: Vec<&str> = RESOURCE_TYPES.iter().copied().filter(nameable).collect();
        for id in ids {
            let who = *g.pick(&ns_principals);
            actions.push(Action {
                ns: ns.into(),
                id,
                groups: if g.chance(0.5) {
                    vec![group.clone()]
                } else {
                    vec![]
                },
                principals: nonempty_subset(g, &ns_principals, 0.6),
                resources: nonempty_subset(g, &ns_resources, 0.5),
                context: attrs(g, context_menu(who), 0.45),
                is_group: false,
            });
        }
    }
    SchemaModel {
        namespaces: NAMESPACES.iter().map(|s| s.to_string()).collect(),
        entity_types,
        actions,
    }
}
