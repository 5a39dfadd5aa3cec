//! Compiled value shapes: the types a schema declares for request contexts
//! and entity attributes, checked and converted without asking Cedar to
//! re-validate each request.
//!
//! A [`Shape`] is built once from the schema (its JSON form with resolved
//! types). Checking a JSON value against it mirrors what Cedar does when it
//! parses a context with a schema: exact attribute sets for closed records,
//! required attributes present, 64-bit integers, entity references of the
//! declared type, and extension values (`ip`, `decimal`, `datetime`,
//! `duration`) given either as `{"__extn": ...}` or as a plain string.

use cedar_policy::{Context, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::RwLock;

/// An extension type of Cedar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionKind {
    /// `ipaddr`, made by `ip("...")`.
    Ip,
    /// `decimal`.
    Decimal,
    /// `datetime`.
    Datetime,
    /// `duration`.
    Duration,
}

impl ExtensionKind {
    fn from_type_name(name: &str) -> Option<Self> {
        match name.trim_start_matches("__cedar::") {
            "ipaddr" => Some(Self::Ip),
            "decimal" => Some(Self::Decimal),
            "datetime" => Some(Self::Datetime),
            "duration" => Some(Self::Duration),
            _ => None,
        }
    }

    fn from_constructor(name: &str) -> Option<Self> {
        match name {
            "ip" => Some(Self::Ip),
            "decimal" => Some(Self::Decimal),
            "datetime" => Some(Self::Datetime),
            "duration" => Some(Self::Duration),
            _ => None,
        }
    }

    /// The Cedar type name.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Ip => "ipaddr",
            Self::Decimal => "decimal",
            Self::Datetime => "datetime",
            Self::Duration => "duration",
        }
    }

    fn construct(self, arg: &str) -> RestrictedExpression {
        match self {
            Self::Ip => RestrictedExpression::new_ip(arg),
            Self::Decimal => RestrictedExpression::new_decimal(arg),
            Self::Datetime => RestrictedExpression::new_datetime(arg),
            Self::Duration => RestrictedExpression::new_duration(arg),
        }
    }
}

/// A declared type.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A 64-bit integer.
    Long,
    /// A string.
    String,
    /// A boolean.
    Bool,
    /// A set of values of one shape.
    Set(Box<Shape>),
    /// A record.
    Record(RecordShape),
    /// A reference to an entity of the named type.
    Entity(String),
    /// An extension value.
    Extension(ExtensionKind),
}

/// One attribute of a record shape.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeShape {
    /// Attribute name.
    pub name: String,
    /// Its type.
    pub shape: Shape,
    /// Whether it must be present.
    pub required: bool,
}

/// A record type: its attributes and whether others are allowed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordShape {
    /// Declared attributes, sorted by name.
    pub attributes: Vec<AttributeShape>,
    /// Whether attributes beyond the declared ones are allowed.
    pub open: bool,
}

impl RecordShape {
    /// The declared attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&AttributeShape> {
        self.attributes
            .binary_search_by(|a| a.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.attributes[i])
    }
}

/// Why a value does not fit its declared shape, or why the compiled check
/// cannot judge it.
///
/// The compiled check accepts only values it fully understands, each of
/// which Cedar accepts too; whatever it does not accept is handed to
/// Cedar's own schema-based parser by the evaluator, which has the last
/// word. So a `ShapeError` never decides alone that a request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct ShapeError {
    /// Where in the value, as `context.a.b[2]`.
    pub path: String,
    /// What is wrong.
    pub problem: String,
    /// The value uses a form the compiled check does not read (for example
    /// an extension call with several arguments); only Cedar can judge it.
    pub outside_fast_path: bool,
}

impl ShapeError {
    fn new(path: &str, problem: String) -> ShapeError {
        ShapeError {
            path: path.to_string(),
            problem,
            outside_fast_path: false,
        }
    }

    fn outside(path: &str, problem: String) -> ShapeError {
        ShapeError {
            path: path.to_string(),
            problem,
            outside_fast_path: true,
        }
    }
}

/// Builds shapes from the JSON form of a schema with resolved types.
pub struct ShapeCompiler<'a> {
    common: HashMap<String, &'a Value>,
}

/// A schema type the compiler could not understand.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unsupported schema type: {0}")]
pub struct UnsupportedType(pub String);

impl<'a> ShapeCompiler<'a> {
    /// A compiler that resolves common type names through `schema_json`
    /// (the resolved JSON schema: namespaces to fragments).
    pub fn new(schema_json: &'a Value) -> Self {
        let mut common = HashMap::new();
        if let Some(namespaces) = schema_json.as_object() {
            for (ns, frag) in namespaces {
                if let Some(types) = frag.get("commonTypes").and_then(Value::as_object) {
                    for (name, ty) in types {
                        common.insert(qualify(ns, name), ty);
                        common.insert(name.clone(), ty);
                    }
                }
            }
        }
        ShapeCompiler { common }
    }

    /// Compiles one JSON schema type in namespace `ns`.
    pub fn compile(&self, ns: &str, ty: &Value) -> Result<Shape, UnsupportedType> {
        self.compile_depth(ns, ty, 0)
    }

    fn compile_depth(&self, ns: &str, ty: &Value, depth: usize) -> Result<Shape, UnsupportedType> {
        if depth > 64 {
            return Err(UnsupportedType("type nesting too deep".into()));
        }
        let kind = ty
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| UnsupportedType(ty.to_string()))?;
        let name = ty.get("name").and_then(Value::as_str);
        Ok(match kind.trim_start_matches("__cedar::") {
            "Long" => Shape::Long,
            "String" => Shape::String,
            "Boolean" | "Bool" => Shape::Bool,
            "Set" => {
                let el = ty
                    .get("element")
                    .ok_or_else(|| UnsupportedType(ty.to_string()))?;
                Shape::Set(Box::new(self.compile_depth(ns, el, depth + 1)?))
            }
            "Record" => Shape::Record(self.compile_record(ns, ty, depth)?),
            "Entity" => Shape::Entity(
                name.map(|n| qualify_type(ns, n))
                    .ok_or_else(|| UnsupportedType(ty.to_string()))?,
            ),
            "Extension" => {
                let n = name.ok_or_else(|| UnsupportedType(ty.to_string()))?;
                Shape::Extension(
                    ExtensionKind::from_type_name(n).ok_or_else(|| UnsupportedType(n.into()))?,
                )
            }
            "EntityOrCommon" | "CommonType" => {
                let n = name.ok_or_else(|| UnsupportedType(ty.to_string()))?;
                if let Some(ext) = ExtensionKind::from_type_name(n) {
                    Shape::Extension(ext)
                } else if let Some(prim) = primitive(n) {
                    prim
                } else if let Some(common) = self.lookup_common(ns, n) {
                    self.compile_depth(ns, common, depth + 1)?
                } else {
                    Shape::Entity(qualify_type(ns, n))
                }
            }
            other => {
                if let Some(ext) = ExtensionKind::from_type_name(other) {
                    Shape::Extension(ext)
                } else if let Some(common) = self.lookup_common(ns, other) {
                    self.compile_depth(ns, common, depth + 1)?
                } else {
                    return Err(UnsupportedType(other.to_string()));
                }
            }
        })
    }

    /// Compiles a record type (`{"type":"Record","attributes":{...}}`).
    pub fn compile_record(
        &self,
        ns: &str,
        ty: &Value,
        depth: usize,
    ) -> Result<RecordShape, UnsupportedType> {
        let mut attributes = Vec::new();
        if let Some(attrs) = ty.get("attributes").and_then(Value::as_object) {
            for (name, aty) in attrs {
                attributes.push(AttributeShape {
                    name: name.clone(),
                    shape: self.compile_depth(ns, aty, depth + 1)?,
                    required: aty.get("required").and_then(Value::as_bool).unwrap_or(true),
                });
            }
        }
        attributes.sort_by(|a, b| a.name.cmp(&b.name));
        let open = ty
            .get("additionalAttributes")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Ok(RecordShape { attributes, open })
    }

    /// A common type by the name a resolved schema uses for it: absolute
    /// (`T` is the empty namespace's, `N2::L` is N2's).
    fn lookup_common(&self, _ns: &str, name: &str) -> Option<&'a Value> {
        self.common.get(name).copied()
    }
}

fn primitive(name: &str) -> Option<Shape> {
    match name.trim_start_matches("__cedar::") {
        "Long" => Some(Shape::Long),
        "String" => Some(Shape::String),
        "Bool" | "Boolean" => Some(Shape::Bool),
        _ => None,
    }
}

fn qualify(ns: &str, name: &str) -> String {
    if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}::{name}")
    }
}

/// An entity type name as a resolved schema writes references: already
/// absolute (`Folder` inside `namespace N2` is the empty namespace's
/// `Folder` when that is what Cedar resolved it to; N2's own would read
/// `N2::Folder`), so it is taken as it is.
fn qualify_type(_ns: &str, name: &str) -> String {
    name.to_string()
}

/// What the value check needs besides shapes: which extension literals
/// Cedar accepts (remembered, so a repeated literal is checked once) and
/// the ids of enumerated entity types.
#[derive(Debug, Default)]
pub struct ExtensionLiteralCheck {
    known: RwLock<HashMap<(ExtensionKind, String), Option<String>>>,
    enums: HashMap<String, Vec<String>>,
}

const EXTENSION_MEMO_LIMIT: usize = 65_536;

impl ExtensionLiteralCheck {
    /// A check that knows the enumerated entity types (type name to the
    /// ids it allows).
    pub fn with_enums(enums: HashMap<String, Vec<String>>) -> Self {
        ExtensionLiteralCheck {
            known: RwLock::default(),
            enums,
        }
    }

    /// Whether `id` may name an entity of type `ty` (always, unless the
    /// type is an enumeration that does not list it).
    pub fn entity_id_allowed(&self, ty: &str, id: &str) -> bool {
        self.enums
            .get(ty)
            .is_none_or(|ids| ids.iter().any(|i| i == id))
    }

    /// `Ok` when Cedar accepts `arg` as a literal of `kind`, else Cedar's message.
    pub fn check(&self, kind: ExtensionKind, arg: &str) -> Result<(), String> {
        // Timestamps are nearly all distinct, so the memo does not help them
        // and asking Cedar costs a parse of the function name each time.
        // The common UTC forms are recognised here (a strict subset of what
        // Cedar accepts); anything else is still checked by Cedar.
        if kind == ExtensionKind::Datetime && is_plain_utc_datetime(arg) {
            return Ok(());
        }
        if let Ok(known) = self.known.read() {
            if let Some(verdict) = known.get(&(kind, arg.to_string())) {
                return verdict.clone().map_or(Ok(()), Err);
            }
        }
        let verdict = Context::from_pairs([("v".to_string(), kind.construct(arg))])
            .err()
            .map(|e| e.to_string());
        if let Ok(mut known) = self.known.write() {
            if known.len() >= EXTENSION_MEMO_LIMIT {
                known.clear();
            }
            known.insert((kind, arg.to_string()), verdict.clone());
        }
        verdict.map_or(Ok(()), Err)
    }
}

/// Whether `s` is `YYYY-MM-DD`, or `YYYY-MM-DDThh:mm:ssZ` with optional
/// `.sss` milliseconds before the `Z`, naming a real date and time. Cedar's
/// `datetime` accepts every such string (it also accepts UTC offsets, which
/// this does not recognise).
pub fn is_plain_utc_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day)) = (num(0, 4), num(5, 2), num(8, 2)) else {
        return false;
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    let (Some(h), Some(m), Some(sec)) = (num(11, 2), num(14, 2), num(17, 2)) else {
        return false;
    };
    if b.get(10) != Some(&b'T') || b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return false;
    }
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    match &b[19..] {
        b"Z" => true,
        [b'.', rest @ ..] => rest.len() == 4 && rest[3] == b'Z' && num(20, 3).is_some(),
        _ => false,
    }
}

/// Checks `value` against `shape`; `path` names the value in messages.
/// `Ok` means Cedar accepts the value with this type and
/// [`to_expression`] builds exactly the value Cedar would.
pub fn check_value(
    shape: &Shape,
    value: &Value,
    path: &mut String,
    ext: &ExtensionLiteralCheck,
) -> Result<(), ShapeError> {
    let fail = |path: &str, problem: String| ShapeError::new(path, problem);
    match shape {
        Shape::Long => match value.as_i64() {
            Some(_) => Ok(()),
            None => Err(fail(
                path,
                format!(
                    "expected a Long (64-bit integer), found {}",
                    describe(value)
                ),
            )),
        },
        Shape::String => match value {
            Value::String(_) => Ok(()),
            _ => Err(fail(
                path,
                format!("expected a String, found {}", describe(value)),
            )),
        },
        Shape::Bool => match value {
            Value::Bool(_) => Ok(()),
            _ => Err(fail(
                path,
                format!("expected a Bool, found {}", describe(value)),
            )),
        },
        Shape::Set(el) => {
            let Value::Array(items) = value else {
                return Err(fail(
                    path,
                    format!("expected a Set (JSON array), found {}", describe(value)),
                ));
            };
            let len = path.len();
            for (i, item) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                check_value(el, item, path, ext)?;
                path.truncate(len);
            }
            Ok(())
        }
        Shape::Record(rec) => {
            let Value::Object(map) = value else {
                return Err(fail(
                    path,
                    format!("expected a record (JSON object), found {}", describe(value)),
                ));
            };
            check_record(rec, map, path, ext)
        }
        Shape::Entity(ty) => match entity_ref(value) {
            Some((t, id)) if t == ty => {
                if ext.entity_id_allowed(ty, id) {
                    Ok(())
                } else {
                    Err(fail(
                        path,
                        format!(
                            "`{}` is not one of the ids the enumerated entity type {ty} allows",
                            crate::display::escaped(id)
                        ),
                    ))
                }
            }
            Some((t, _)) => Err(fail(
                path,
                format!("expected an entity of type {ty}, found one of type {t}"),
            )),
            None => Err(ShapeError::outside(
                path,
                format!(
                    "expected an entity reference {{\"type\": \"{ty}\", \"id\": ...}}, found {}",
                    describe(value)
                ),
            )),
        },
        Shape::Extension(kind) => match value {
            Value::String(s) => ext.check(*kind, s).map_err(|e| {
                fail(
                    path,
                    format!("invalid {} literal `{s}`: {e}", kind.type_name()),
                )
            }),
            Value::Object(_) => match explicit_extension(value) {
                Some((k, arg)) if k == *kind => ext.check(k, arg).map_err(|e| {
                    fail(
                        path,
                        format!("invalid {} literal `{arg}`: {e}", kind.type_name()),
                    )
                }),
                _ => Err(ShapeError::outside(
                    path,
                    format!("a {} written in a form only Cedar reads", kind.type_name()),
                )),
            },
            _ => Err(fail(
                path,
                format!(
                    "expected a {} (a string such as the literal's text), found {}",
                    kind.type_name(),
                    describe(value)
                ),
            )),
        },
    }
}

/// Checks a JSON object against a record shape.
pub fn check_record(
    rec: &RecordShape,
    map: &Map<String, Value>,
    path: &mut String,
    ext: &ExtensionLiteralCheck,
) -> Result<(), ShapeError> {
    let len = path.len();
    for attr in &rec.attributes {
        match map.get(&attr.name) {
            Some(v) => {
                path.push('.');
                path.push_str(&attr.name);
                check_value(&attr.shape, v, path, ext)?;
                path.truncate(len);
            }
            None if attr.required => {
                return Err(ShapeError::new(
                    path,
                    format!("required attribute `{}` is missing", attr.name),
                ))
            }
            None => {}
        }
    }
    for (k, v) in map {
        if rec.attribute(k).is_some() {
            continue;
        }
        if !rec.open {
            return Err(ShapeError::new(
                path,
                format!("attribute `{k}` is not declared in the schema"),
            ));
        }
        if has_escape_keys(v) {
            return Err(ShapeError::outside(
                path,
                format!("undeclared attribute `{k}` holds a Cedar escape"),
            ));
        }
    }
    Ok(())
}

/// Whether a value holds an object with a key Cedar reserves for escapes
/// (`__entity`, `__extn`, `__expr`) anywhere inside it.
pub fn has_escape_keys(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(has_escape_keys),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.starts_with("__") || has_escape_keys(v)),
        _ => false,
    }
}

/// Converts a JSON value that passed [`check_value`] into a Cedar restricted
/// expression.
pub fn to_expression(
    shape: &Shape,
    value: &Value,
    names: &TypeNames,
) -> Result<RestrictedExpression, ShapeError> {
    let bad = |p: &str| ShapeError::new("", p.to_string());
    Ok(match shape {
        Shape::Long => {
            RestrictedExpression::new_long(value.as_i64().ok_or_else(|| bad("not a Long"))?)
        }
        Shape::String => RestrictedExpression::new_string(
            value
                .as_str()
                .ok_or_else(|| bad("not a String"))?
                .to_string(),
        ),
        Shape::Bool => {
            RestrictedExpression::new_bool(value.as_bool().ok_or_else(|| bad("not a Bool"))?)
        }
        Shape::Set(el) => {
            let items = value.as_array().ok_or_else(|| bad("not a Set"))?;
            RestrictedExpression::new_set(
                items
                    .iter()
                    .map(|v| to_expression(el, v, names))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        }
        Shape::Record(rec) => {
            let map = value.as_object().ok_or_else(|| bad("not a record"))?;
            let mut pairs = Vec::with_capacity(map.len());
            for (k, v) in map {
                let expr = match rec.attribute(k) {
                    Some(a) => to_expression(&a.shape, v, names)?,
                    None => untyped_expression(v)?,
                };
                pairs.push((k.clone(), expr));
            }
            RestrictedExpression::new_record(pairs).map_err(|e| bad(&e.to_string()))?
        }
        Shape::Entity(_) => {
            let (ty, id) = entity_ref(value).ok_or_else(|| bad("not an entity reference"))?;
            RestrictedExpression::new_entity_uid(names.uid(ty, id).map_err(|e| bad(&e))?)
        }
        Shape::Extension(kind) => match explicit_extension(value) {
            Some((k, arg)) => k.construct(arg),
            None => kind.construct(
                value
                    .as_str()
                    .ok_or_else(|| bad("not an extension literal"))?,
            ),
        },
    })
}

/// Converts a JSON value with no declared shape (an undeclared attribute of
/// an open record, or a context without a schema). Values holding Cedar's
/// escapes (`__entity`, `__extn`, `__expr`) are left to Cedar's own parser:
/// they are refused here as outside the fast path.
pub fn untyped_expression(value: &Value) -> Result<RestrictedExpression, ShapeError> {
    let bad = |p: String| ShapeError::new("", p);
    Ok(match value {
        Value::Bool(b) => RestrictedExpression::new_bool(*b),
        Value::Number(n) => RestrictedExpression::new_long(
            n.as_i64()
                .ok_or_else(|| bad(format!("{n} is not a 64-bit integer")))?,
        ),
        Value::String(s) => RestrictedExpression::new_string(s.clone()),
        Value::Array(items) => RestrictedExpression::new_set(
            items
                .iter()
                .map(untyped_expression)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Value::Object(map) => {
            if map.keys().any(|k| k.starts_with("__")) {
                return Err(ShapeError::outside(
                    "",
                    "a Cedar escape that only Cedar reads".into(),
                ));
            }
            let pairs = map
                .iter()
                .map(|(k, v)| Ok((k.clone(), untyped_expression(v)?)))
                .collect::<Result<Vec<_>, ShapeError>>()?;
            RestrictedExpression::new_record(pairs).map_err(|e| bad(e.to_string()))?
        }
        Value::Null => return Err(bad("null is not a Cedar value".into())),
    })
}

/// Reads an entity reference in the two forms the compiled check accepts:
/// `{"type": T, "id": I}` and `{"__entity": {"type": T, "id": I}}`, with no
/// other keys.
pub fn entity_ref(value: &Value) -> Option<(&str, &str)> {
    let obj = value.as_object()?;
    let inner = match obj.get("__entity") {
        Some(e) if obj.len() == 1 => e.as_object()?,
        Some(_) => return None,
        None => obj,
    };
    if inner.len() != 2 {
        return None;
    }
    Some((inner.get("type")?.as_str()?, inner.get("id")?.as_str()?))
}

/// Reads `{"__extn": {"fn": F, "arg": "text"}}` where `F` is the one-argument
/// constructor of an extension type (`ip`, `decimal`, `datetime`,
/// `duration`), with no other keys. Every other extension form (`args`,
/// other functions, the escape without `__extn`) is Cedar's to read.
fn explicit_extension(value: &Value) -> Option<(ExtensionKind, &str)> {
    let obj = value.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    let inner = obj.get("__extn")?.as_object()?;
    if inner.len() != 2 {
        return None;
    }
    let f = ExtensionKind::from_constructor(inner.get("fn")?.as_str()?)?;
    Some((f, inner.get("arg")?.as_str()?))
}

/// Parsed entity type names, so building a uid does not run Cedar's parser
/// for a type seen before (parsing a name costs microseconds).
#[derive(Debug, Clone, Default)]
pub struct TypeNames {
    known: rustc_hash::FxHashMap<String, (EntityTypeName, String)>,
}

impl TypeNames {
    /// Names parsed up front (the schema's entity types).
    pub fn new<'a>(types: impl IntoIterator<Item = &'a str>) -> Self {
        let known = types
            .into_iter()
            .filter_map(|t| {
                EntityTypeName::from_str(t)
                    .ok()
                    .map(|n| (t.to_string(), (n.clone(), n.to_string())))
            })
            .collect();
        TypeNames { known }
    }

    /// The uid `ty::"id"`, built through Cedar's API (the id is taken as it
    /// is, never escaped or parsed).
    pub fn uid(&self, ty: &str, id: &str) -> Result<EntityUid, String> {
        match self.known.get(ty) {
            Some((name, _)) => Ok(EntityUid::from_type_name_and_id(
                name.clone(),
                EntityId::new(id),
            )),
            None => make_uid(ty, id),
        }
    }

    /// The type name as Cedar prints it (so two spellings of one type
    /// compare equal); the text itself when it is not a type name.
    pub fn canonical<'a>(&'a self, ty: &'a str) -> std::borrow::Cow<'a, str> {
        match self.known.get(ty) {
            Some((_, text)) => std::borrow::Cow::Borrowed(text.as_str()),
            None => match EntityTypeName::from_str(ty) {
                Ok(n) => std::borrow::Cow::Owned(n.to_string()),
                Err(_) => std::borrow::Cow::Borrowed(ty),
            },
        }
    }
}

/// Builds an entity uid from a type name and an id.
pub fn make_uid(ty: &str, id: &str) -> Result<EntityUid, String> {
    let ty =
        EntityTypeName::from_str(ty).map_err(|e| format!("invalid entity type `{ty}`: {e}"))?;
    Ok(EntityUid::from_type_name_and_id(ty, EntityId::new(id)))
}

/// A short description of a JSON value's kind, for messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the Bool {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the String \"{}\"", truncate(s, 40)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> RecordShape {
        let schema = json!({"": {"commonTypes": {"Ctx": {"type": "Record", "attributes": {
            "n": {"type": "Long"},
            "ip": {"type": "Extension", "name": "ipaddr"},
            "who": {"type": "Entity", "name": "User"},
            "tags": {"type": "Set", "element": {"type": "String"}, "required": false}
        }}}}});
        let c = ShapeCompiler::new(&schema);
        match c
            .compile("", &json!({"type": "EntityOrCommon", "name": "Ctx"}))
            .expect("compiles")
        {
            Shape::Record(r) => r,
            other => panic!("{other:?}"),
        }
    }

    fn check(v: Value) -> Result<(), ShapeError> {
        let Value::Object(m) = v else { panic!() };
        check_record(
            &record(),
            &m,
            &mut "context".to_string(),
            &ExtensionLiteralCheck::default(),
        )
    }

    #[test]
    fn plain_utc_datetimes_agree_with_cedar() {
        let cedar_accepts = |s: &str| {
            Context::from_pairs([("v".to_string(), RestrictedExpression::new_datetime(s))]).is_ok()
        };
        for s in [
            "2026-11-02",
            "2026-11-02T08:15:03Z",
            "2026-11-02T08:15:03.123Z",
            "2024-02-29T23:59:59.999Z",
            "2000-02-29",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
        ] {
            assert!(is_plain_utc_datetime(s), "{s}");
            assert!(cedar_accepts(s), "{s}");
        }
        for s in [
            "2023-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-01",
            "2026-04-31",
            "2026-11-02T24:00:00Z",
            "2026-11-02T08:60:00Z",
            "2026-11-02T08:15:60Z",
            "2026-11-02T08:15:03",
            "2026-11-02T08:15:03.12Z",
            "2026-11-02T08:15:03.1234Z",
            "2026-11-02 08:15:03Z",
            "2026-1-02",
            "+2026-11-02",
            "2026-11-02T08:15:03Zx",
            "",
        ] {
            assert!(!is_plain_utc_datetime(s), "{s}");
        }
        // Every date of the shape, valid or not, decides as Cedar does.
        for y in [1900, 2000, 2023, 2024] {
            for m in 0..=13 {
                for d in 0..=32 {
                    for t in ["", "T23:59:59.000Z"] {
                        let s = format!("{y:04}-{m:02}-{d:02}{t}");
                        assert_eq!(is_plain_utc_datetime(&s), cedar_accepts(&s), "{s}");
                    }
                }
            }
        }
        // Forms Cedar accepts that are left to Cedar.
        assert!(!is_plain_utc_datetime("2026-11-02T08:15:03+0100"));
        assert!(cedar_accepts("2026-11-02T08:15:03+0100"));
        let check = ExtensionLiteralCheck::default();
        assert!(check
            .check(ExtensionKind::Datetime, "2026-11-02T08:15:03+0100")
            .is_ok());
        assert!(check.check(ExtensionKind::Datetime, "2026-02-30").is_err());
    }

    #[test]
    fn accepts_matching_values() {
        check(json!({"n": 3, "ip": "10.0.0.1", "who": {"type": "User", "id": "a"}})).expect("ok");
        check(json!({"n": 3, "ip": {"__extn": {"fn": "ip", "arg": "10.0.0.0/8"}}, "who": {"__entity": {"type": "User", "id": "a"}}, "tags": ["x"]})).expect("ok");
    }

    #[test]
    fn rejects_wrong_types_missing_and_extra() {
        let e = check(json!({"n": 1.5, "ip": "10.0.0.1", "who": {"type": "User", "id": "a"}}))
            .unwrap_err();
        assert_eq!(e.path, "context.n");
        let e = check(json!({"ip": "10.0.0.1", "who": {"type": "User", "id": "a"}})).unwrap_err();
        assert!(e.problem.contains("`n` is missing"));
        let e =
            check(json!({"n": 1, "ip": "10.0.0.1", "who": {"type": "User", "id": "a"}, "z": 1}))
                .unwrap_err();
        assert!(e.problem.contains("`z`"));
        let e = check(json!({"n": 1, "ip": "not-an-ip", "who": {"type": "User", "id": "a"}}))
            .unwrap_err();
        assert_eq!(e.path, "context.ip");
        let e = check(json!({"n": 1, "ip": "10.0.0.1", "who": {"type": "Team", "id": "a"}}))
            .unwrap_err();
        assert!(e.problem.contains("type User"));
        let e = check(
            json!({"n": 1, "ip": "10.0.0.1", "who": {"type": "User", "id": "a"}, "tags": [1]}),
        )
        .unwrap_err();
        assert_eq!(e.path, "context.tags[0]");
    }
}
