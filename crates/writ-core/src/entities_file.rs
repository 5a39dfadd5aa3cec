//! The entities file: a project's `entities.json` (Cedar's entities JSON
//! format: `uid`, `attrs`, `parents`, `tags`, extension values in `__extn`
//! form) read into located entries, merged with the entities the inventory
//! makes, and validated against the schema with located errors. Below
//! [`crate::project`], which reads a project with it; re-exported by
//! [`crate::entity_data`].
//!
//! A uid defined both in `entities.json` and by `inventory.toml` (or twice in
//! `entities.json`) is an error pointing at both places; an entity that does
//! not fit the schema is an error at that entity, carrying Cedar's message.

use crate::diagnostic::{Diagnostic, Span};
use crate::json_locate::{locate, JsonNode};
use cedar_policy::{Entities, Entity, EntityUid, Schema};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The entity data file name in a project.
pub const ENTITIES_FILE: &str = "entities.json";

/// One entity of the entity data, with where it was defined.
#[derive(Debug, Clone)]
pub struct EntityEntry {
    /// Its uid.
    pub uid: EntityUid,
    /// Its JSON, as written.
    pub json: Value,
    /// The file defining it.
    pub file: PathBuf,
    /// Where in that file.
    pub span: Option<Span>,
}

/// Reads an `entities.json` text into its entries, each located. Problems
/// that make an entry unreadable (bad JSON, no uid) are diagnostics; schema
/// conformance is checked by [`merge`].
pub fn read_entities_file(path: &Path, text: &str) -> (Vec<EntityEntry>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "entities-json",
                    path,
                    None,
                    format!("{} is not valid JSON: {e}", path.display()),
                )
                .at_position(e.line(), e.column())
                .with_hint("entities.json is Cedar's entities format: a JSON array of {\"uid\", \"attrs\", \"parents\"} objects"),
            );
            return (Vec::new(), diags);
        }
    };
    let root = locate(text);
    let Value::Array(items) = value else {
        diags.push(
            Diagnostic::error(
                "entities-shape",
                path,
                root.as_ref().map(JsonNode::span),
                "entities.json must be a JSON array of entities",
            )
            .with_hint("write [{\"uid\": {\"type\": \"User\", \"id\": \"alice\"}, \"attrs\": {}, \"parents\": []}]"),
        );
        return (Vec::new(), diags);
    };
    let nodes: &[JsonNode] = root.as_ref().map(JsonNode::items).unwrap_or(&[]);
    let mut out = Vec::with_capacity(items.len());
    for (i, json) in items.into_iter().enumerate() {
        let node = nodes.get(i);
        let span = node.map(JsonNode::span);
        let uid_json = json.get("uid").cloned();
        let uid = match uid_json.map(EntityUid::from_json) {
            Some(Ok(uid)) => uid,
            Some(Err(e)) => {
                diags.push(
                    Diagnostic::error(
                        "entities-uid",
                        path,
                        node.and_then(|n| n.member("uid"))
                            .map(JsonNode::span)
                            .or(span),
                        format!("entity {} has an unreadable uid: {e}", i + 1),
                    )
                    .with_hint("write the uid as {\"type\": \"User\", \"id\": \"alice\"}"),
                );
                continue;
            }
            None => {
                diags.push(
                    Diagnostic::error(
                        "entities-uid",
                        path,
                        span,
                        format!("entity {} has no uid", i + 1),
                    )
                    .with_hint("add \"uid\": {\"type\": \"User\", \"id\": \"alice\"}"),
                );
                continue;
            }
        };
        out.push(EntityEntry {
            uid,
            json,
            file: path.to_path_buf(),
            span,
        });
    }
    (out, diags)
}

/// The place of an inventory entity: its uid and span in `inventory.toml`.
pub type InventoryPlace = (EntityUid, Span);

/// Merges the inventory's entities (`inventory_json`, Cedar's entities JSON
/// as [`crate::inventory::to_entities_json`] makes it, defined in
/// `inventory_file` at `inventory_places`) with the entries of
/// `entities.json`, and builds the Cedar entities validated against
/// `schema`. Every duplicate uid and every entity that does not fit the
/// schema is a located diagnostic; the entities are returned only when
/// there is none.
pub fn merge(
    inventory: Option<(&Path, Value, &[InventoryPlace])>,
    file_entries: &[EntityEntry],
    schema: &Schema,
) -> (Option<Entities>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    // Where each uid was first defined.
    let mut defined: HashMap<EntityUid, (PathBuf, Option<Span>)> = HashMap::new();
    let mut all: Vec<Value> = Vec::new();
    if let Some((file, json, places)) = &inventory {
        for (uid, span) in places.iter() {
            defined
                .entry(uid.clone())
                .or_insert_with(|| (file.to_path_buf(), Some(*span)));
        }
        if let Value::Array(items) = json {
            all.extend(items.iter().cloned());
        }
    }
    for e in file_entries {
        if let Some((file, span)) = defined.get(&e.uid) {
            let from_inventory = inventory
                .as_ref()
                .is_some_and(|(f, _, _)| *f == file.as_path());
            let hint = if from_inventory {
                "an entity is defined either by inventory.toml or by entities.json, not both; remove one of the two definitions"
            } else {
                "each entity is defined once; merge the two definitions"
            };
            diags.push(
                Diagnostic::error(
                    "entities-duplicate",
                    &e.file,
                    e.span,
                    format!("entity `{}` is defined twice", e.uid),
                )
                .with_related(file.clone(), *span, "also defined here")
                .with_hint(hint),
            );
            continue;
        }
        defined.insert(e.uid.clone(), (e.file.clone(), e.span));
        // Each entity on its own first, so a schema error points at it.
        if let Err(err) = Entity::from_json_value(e.json.clone(), Some(schema)) {
            diags.push(
                Diagnostic::error(
                    "entities-schema",
                    &e.file,
                    e.span,
                    format!("entity `{}` does not fit the schema: {}", e.uid, full_message(&err)),
                )
                .with_hint("make the entity match its type in the schema (attribute names and types, parent types, tags)"),
            );
            continue;
        }
        all.push(e.json.clone());
    }
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    match Entities::from_json_value(Value::Array(all), Some(schema)) {
        Ok(entities) => (Some(entities), diags),
        Err(err) => {
            let message = full_message(&err);
            // Point at the entity the message names, if any.
            let culprit = file_entries
                .iter()
                .find(|e| message.contains(&e.uid.to_string()));
            let (code, file, span) = match (culprit, &inventory) {
                (Some(e), _) => ("entities-schema", e.file.clone(), e.span),
                (None, Some((f, _, places))) => (
                    "inventory-entities",
                    f.to_path_buf(),
                    places
                        .iter()
                        .find(|(uid, _)| message.contains(&uid.to_string()))
                        .map(|(_, s)| *s),
                ),
                (None, None) => (
                    "entities-schema",
                    file_entries
                        .first()
                        .map(|e| e.file.clone())
                        .unwrap_or_default(),
                    None,
                ),
            };
            diags.push(
                Diagnostic::error(
                    code,
                    file,
                    span,
                    format!("the entities do not fit the schema: {message}"),
                )
                .with_hint("make the entity match its type in the schema, or declare what it uses"),
            );
            (None, diags)
        }
    }
}

/// An error's message with the causes Cedar keeps in `source()`.
fn full_message(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let detail = s.to_string();
        if !message.contains(&detail) {
            message.push_str(": ");
            message.push_str(&detail);
        }
        source = s.source();
    }
    message
}
