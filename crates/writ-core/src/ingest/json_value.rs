//! Small readings of parsed JSON the format readers share: what kind of
//! value something is (for messages) and the text at a path of keys. The
//! bottom of the ingest modules, with `item`: it uses none of them.

use serde_json::Value;

/// What kind of JSON value `v` is, for messages (`a string`, `null`, ...).
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The string at `path` (object keys, outermost first) in `v`.
pub(crate) fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}
