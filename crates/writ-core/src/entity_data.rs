//! Entity data: a project's `entities.json` merged with the entities the
//! inventory makes. Reading and merging the file live one level down in
//! [`crate::entities_file`] (re-exported here, so `entity_data::merge` and
//! the rest keep their paths); this module adds what needs the whole
//! checked [`Project`]: the entities JSON bundles carry.

use crate::project::Project;
use serde_json::Value;

pub use crate::entities_file::{
    merge, read_entities_file, EntityEntry, InventoryPlace, ENTITIES_FILE,
};

/// The project's entities as one Cedar entities JSON array: the
/// inventory's (see [`crate::inventory::to_entities_json`]) followed by
/// `entities.json`'s, as written. No action entities: Cedar adds those from
/// the schema. What bundles and pushes carry.
pub fn project_entities_json(project: &Project) -> Value {
    let mut all = Vec::new();
    if project.files.inventory.is_some() {
        if let Value::Array(items) =
            crate::inventory::to_entities_json(&project.inventory, &project.schema)
        {
            all.extend(items);
        }
    }
    if let Some(f) = &project.files.entities {
        if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&f.text) {
            all.extend(items);
        }
    }
    Value::Array(all)
}
