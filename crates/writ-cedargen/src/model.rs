//! The schema model a case is generated from, and its cedarschema text.

use crate::ids::cedar_string;

/// A Cedar extension type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ext {
    /// `ipaddr`, constructor `ip`.
    Ip,
    /// `decimal`.
    Decimal,
    /// `datetime`.
    Datetime,
    /// `duration`.
    Duration,
}

impl Ext {
    /// The type name in a schema.
    pub fn type_name(self) -> &'static str {
        match self {
            Ext::Ip => "ipaddr",
            Ext::Decimal => "decimal",
            Ext::Datetime => "datetime",
            Ext::Duration => "duration",
        }
    }

    /// The constructor function (`__extn.fn`).
    pub fn constructor(self) -> &'static str {
        match self {
            Ext::Ip => "ip",
            Ext::Decimal => "decimal",
            Ext::Datetime => "datetime",
            Ext::Duration => "duration",
        }
    }

    /// Valid literals of this type.
    pub fn literals(self) -> &'static [&'static str] {
        match self {
            Ext::Ip => &[
                "10.1.2.3",
                "127.0.0.1",
                "192.168.0.0/16",
                "::1",
                "10.0.0.0/8",
            ],
            Ext::Decimal => &["1.5", "-2.0", "0.0001", "922337203685477.5807", "3.0"],
            Ext::Datetime => &[
                "2024-10-15",
                "2024-10-15T11:35:00Z",
                "2024-10-15T11:35:00.123Z",
                "2024-10-15T11:35:00+0100",
                "1970-01-01",
            ],
            Ext::Duration => &["1h", "-30m", "1d2h3m4s5ms", "0ms", "2h"],
        }
    }
}

/// A Cedar type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// `Long`.
    Long,
    /// `String`.
    Str,
    /// `Bool`.
    Bool,
    /// `Set<T>`.
    Set(Box<Ty>),
    /// A record type.
    Record(Vec<Attr>),
    /// An entity reference (qualified type name).
    Entity(String),
    /// An extension type.
    Ext(Ext),
}

/// An attribute of a record, entity or context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Its name (a plain identifier).
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Whether it must be present.
    pub required: bool,
}

/// An entity type.
#[derive(Debug, Clone)]
pub struct EntityType {
    /// Qualified name (`N1::User`, `Doc`).
    pub name: String,
    /// Attributes.
    pub attrs: Vec<Attr>,
    /// Qualified names of the types its entities may be members of.
    pub parents: Vec<String>,
    /// Whether it declares `tags String`.
    pub tags: bool,
}

/// An action (or an action group, which applies to nothing).
#[derive(Debug, Clone)]
pub struct Action {
    /// Namespace (`""`, `N1`, `A::B`).
    pub ns: String,
    /// The bare id.
    pub id: String,
    /// Ids of the groups (same namespace) it is a member of.
    pub groups: Vec<String>,
    /// Principal types (qualified); empty for a group.
    pub principals: Vec<String>,
    /// Resource types (qualified).
    pub resources: Vec<String>,
    /// Context attributes.
    pub context: Vec<Attr>,
    /// Whether this is a group (no `appliesTo`).
    pub is_group: bool,
}

impl Action {
    /// The action entity type: `N1::Action` or `Action`.
    pub fn action_type(&self) -> String {
        action_type(&self.ns)
    }
}

/// `ns::Action`, or `Action` in the empty namespace.
pub fn action_type(ns: &str) -> String {
    if ns.is_empty() {
        "Action".into()
    } else {
        format!("{ns}::Action")
    }
}

/// A whole schema.
#[derive(Debug, Clone, Default)]
pub struct SchemaModel {
    /// Namespaces in declaration order.
    pub namespaces: Vec<String>,
    /// Entity types.
    pub entity_types: Vec<EntityType>,
    /// Actions and groups.
    pub actions: Vec<Action>,
}

fn ns_of(name: &str) -> &str {
    name.rfind("::").map_or("", |i| &name[..i])
}

fn base_of(name: &str) -> &str {
    name.rfind("::").map_or(name, |i| &name[i + 2..])
}

impl SchemaModel {
    /// The entity type named `name`.
    pub fn entity_type(&self, name: &str) -> Option<&EntityType> {
        self.entity_types.iter().find(|t| t.name == name)
    }

    /// The actions (not groups) that can be requested.
    pub fn requestable(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| !a.is_group)
    }

    /// The namespaces declaring an action with bare id `id`.
    pub fn namespaces_declaring(&self, id: &str) -> Vec<&str> {
        self.actions
            .iter()
            .filter(|a| a.id == id)
            .map(|a| a.ns.as_str())
            .collect()
    }

    /// The schema in Cedar's human syntax. Types of the empty namespace are
    /// written unqualified (their base names are unique), all others fully
    /// qualified.
    pub fn to_cedarschema(&self) -> String {
        let mut out = String::new();
        for ns in &self.namespaces {
            let mut body = String::new();
            for t in self.entity_types.iter().filter(|t| ns_of(&t.name) == ns) {
                body.push_str(&format!("entity {}", base_of(&t.name)));
                if !t.parents.is_empty() {
                    let ps: Vec<String> = t.parents.iter().map(|p| type_ref(p)).collect();
                    body.push_str(&format!(" in [{}]", ps.join(", ")));
                }
                if !t.attrs.is_empty() {
                    body.push_str(&format!(" = {}", record_text(&t.attrs)));
                }
                if t.tags {
                    body.push_str(" tags String");
                }
                body.push_str(";\n");
            }
            for a in self.actions.iter().filter(|a| &a.ns == ns) {
                body.push_str(&format!("action {}", cedar_string(&a.id)));
                if !a.groups.is_empty() {
                    let gs: Vec<String> = a.groups.iter().map(|g| cedar_string(g)).collect();
                    body.push_str(&format!(" in [{}]", gs.join(", ")));
                }
                if !a.is_group {
                    let ps: Vec<String> = a.principals.iter().map(|p| type_ref(p)).collect();
                    let rs: Vec<String> = a.resources.iter().map(|p| type_ref(p)).collect();
                    body.push_str(&format!(
                        " appliesTo {{ principal: [{}], resource: [{}], context: {} }}",
                        ps.join(", "),
                        rs.join(", "),
                        record_text(&a.context)
                    ));
                }
                body.push_str(";\n");
            }
            if ns.is_empty() {
                out.push_str(&body);
            } else {
                out.push_str(&format!("namespace {ns} {{\n{body}}}\n"));
            }
        }
        out
    }
}

fn type_ref(name: &str) -> String {
    name.to_string()
}

fn record_text(attrs: &[Attr]) -> String {
    let fields: Vec<String> = attrs
        .iter()
        .map(|a| {
            format!(
                "{}{}: {}",
                a.name,
                if a.required { "" } else { "?" },
                ty_text(&a.ty)
            )
        })
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

fn ty_text(t: &Ty) -> String {
    match t {
        Ty::Long => "Long".into(),
        Ty::Str => "String".into(),
        Ty::Bool => "Bool".into(),
        Ty::Set(e) => format!("Set<{}>", ty_text(e)),
        Ty::Record(attrs) => record_text(attrs),
        Ty::Entity(n) => type_ref(n),
        Ty::Ext(e) => e.type_name().into(),
    }
}
