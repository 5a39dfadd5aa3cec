//! Masking context attributes in logged requests: the configured names
//! (top-level, or dotted paths into nested records) are replaced by
//! [`MASKED`].

use super::error::LogError;
use serde_json::{Map, Value};
use writ_core::decision_log::MASKED;

/// Splits the configured mask entries into paths; an empty entry or an
/// empty part (`a..b`) is an error.
pub(super) fn parse_mask(entries: &[String]) -> Result<Vec<Vec<String>>, LogError> {
    let mut mask = Vec::with_capacity(entries.len());
    for m in entries {
        let path: Vec<String> = m.split('.').map(str::to_string).collect();
        if m.trim().is_empty() || path.iter().any(|s| s.is_empty()) {
            return Err(LogError::Mask(m.clone()));
        }
        mask.push(path);
    }
    Ok(mask)
}

/// Replaces the attributes `names` (split into `paths` by [`parse_mask`])
/// by [`MASKED`] and returns the names of those that were present, in
/// order. A top-level attribute whose name itself contains dots is masked
/// by that name; otherwise a dotted name walks into nested records.
pub(super) fn mask_context(
    names: &[String],
    paths: &[Vec<String>],
    ctx: &mut Map<String, Value>,
) -> Vec<String> {
    let mut masked = Vec::new();
    for (name, path) in names.iter().zip(paths.iter()) {
        if let Some(v) = ctx.get_mut(name.as_str()) {
            *v = Value::String(MASKED.to_string());
            masked.push(name.clone());
            continue;
        }
        if mask_path(ctx, path) {
            masked.push(name.clone());
        }
    }
    masked
}

/// Masks the attribute at `path` (names of nested records); whether it
/// was present.
fn mask_path(map: &mut Map<String, Value>, path: &[String]) -> bool {
    match path {
        [] => false,
        [last] => match map.get_mut(last.as_str()) {
            Some(v) => {
                *v = Value::String(MASKED.to_string());
                true
            }
            None => false,
        },
        [first, rest @ ..] => match map.get_mut(first.as_str()) {
            Some(Value::Object(inner)) => mask_path(inner, rest),
            _ => false,
        },
    }
}
