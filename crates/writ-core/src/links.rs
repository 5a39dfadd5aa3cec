//! Template links: `links.json`, in the Cedar CLI's format
//! (`cedar ... --template-linked FILE`):
//!
//! ```json
//! [{"template_id": "share", "link_id": "BobViewsD",
//!   "args": {"?principal": "User::\"bob\"", "?resource": "Document::\"d\""}}]
//! ```
//!
//! `template_id` names a template by its Writ id (its `@id`), or the way the
//! Cedar CLI numbers policies when they have no `@id`: `policyN` is the Nth
//! policy or template, counting both from 0, of the project's policy files
//! in the order Writ reads them (`policies/*.cedar` sorted by file name,
//! then source order), see [`PolicyCatalog::by_cedar_name`]. A Writ id wins
//! over a Cedar number when both could apply.
//!
//! Each link becomes a policy of [`PolicyCatalog::set`] named by its
//! `link_id`, so decisions name the link. Every problem is a located
//! diagnostic: bad JSON, an unknown template, a missing or extra slot, a
//! value that is not an entity uid or whose type the schema does not
//! declare, a link id already used by a policy, template or link. Whether
//! the linked policy type-checks is the validator's job
//! ([`crate::project::check_files`] runs it over the linked set).

use crate::diagnostic::{Diagnostic, Span};
use crate::json_locate::{locate, JsonNode};
use crate::policies::{LinkInfo, PolicyCatalog};
use cedar_policy::{EntityUid, PolicyId, SlotId};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

/// The links file name in a project.
pub const LINKS_FILE: &str = "links.json";

const SLOTS: [&str; 2] = ["?principal", "?resource"];
const KEYS: [&str; 3] = ["template_id", "link_id", "args"];

/// Links every entry of the links file `text` (shown as `path`) into
/// `catalog`, reporting every problem. `schema`, when given, must declare
/// the type of every slot value. Entries with errors are not linked.
pub fn link_templates(
    catalog: &mut PolicyCatalog,
    path: &Path,
    text: &str,
    schema: Option<&cedar_policy::Schema>,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "links-json",
                    path,
                    None,
                    format!("{} is not valid JSON: {e}", path.display()),
                )
                .at_position(e.line(), e.column())
                .with_hint("links.json is a JSON array of {\"template_id\", \"link_id\", \"args\"} objects, as the Cedar CLI reads it"),
            );
            return diags;
        }
    };
    let root = locate(text);
    let whole = root.as_ref().map(JsonNode::span);
    let Value::Array(entries) = value else {
        diags.push(
            Diagnostic::error(
                "links-shape",
                path,
                whole,
                "links.json must be a JSON array of links",
            )
            .with_hint("write [{\"template_id\": \"...\", \"link_id\": \"...\", \"args\": {\"?principal\": \"User::\\\"bob\\\"\"}}]"),
        );
        return diags;
    };
    let nodes: &[JsonNode] = root.as_ref().map(JsonNode::items).unwrap_or(&[]);
    let mut seen: HashMap<String, Option<Span>> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let node = nodes.get(i);
        let at = Site { path, node };
        if let Some(d) = link_one(catalog, &at, i, entry, schema, &mut seen) {
            diags.extend(d);
        }
    }
    diags
}

/// Where an entry sits, for locating its problems.
struct Site<'a> {
    path: &'a Path,
    node: Option<&'a JsonNode>,
}

impl Site<'_> {
    fn entry(&self) -> Option<Span> {
        self.node.map(JsonNode::span)
    }
    fn value(&self, key: &str) -> Option<Span> {
        self.node
            .and_then(|n| n.member(key))
            .map(JsonNode::span)
            .or_else(|| self.entry())
    }
    fn key(&self, key: &str) -> Option<Span> {
        self.node
            .and_then(|n| n.member_entry(key))
            .map(|(s, _)| s)
            .or_else(|| self.entry())
    }
    fn arg_key(&self, slot: &str) -> Option<Span> {
        self.node
            .and_then(|n| n.member("args"))
            .and_then(|a| a.member_entry(slot))
            .map(|(s, _)| s)
            .or_else(|| self.value("args"))
    }
    fn arg_value(&self, slot: &str) -> Option<Span> {
        self.node
            .and_then(|n| n.member("args"))
            .and_then(|a| a.member(slot))
            .map(JsonNode::span)
            .or_else(|| self.value("args"))
    }
    fn error(&self, code: &'static str, span: Option<Span>, message: String) -> Diagnostic {
        Diagnostic::error(code, self.path, span, message)
    }
}

/// Links one entry; `None` when it linked without a problem.
fn link_one(
    catalog: &mut PolicyCatalog,
    at: &Site<'_>,
    i: usize,
    entry: &Value,
    schema: Option<&cedar_policy::Schema>,
    seen: &mut HashMap<String, Option<Span>>,
) -> Option<Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let n = i + 1;
    let Value::Object(fields) = entry else {
        return Some(vec![at
            .error(
                "links-shape",
                at.entry(),
                format!("link {n} is not a JSON object"),
            )
            .with_hint(
                "each link is {\"template_id\": ..., \"link_id\": ..., \"args\": {...}}",
            )]);
    };
    for key in fields.keys().filter(|k| !KEYS.contains(&k.as_str())) {
        diags.push(
            Diagnostic::warning(
                "links-unknown-key",
                at.path,
                at.key(key),
                format!("link {n}: key `{key}` is not part of a link and is ignored"),
            )
            .with_hint("a link has template_id, link_id and args"),
        );
    }
    let string = |key: &str, diags: &mut Vec<Diagnostic>| -> Option<String> {
        match fields.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                diags.push(at.error(
                    "links-shape",
                    at.value(key),
                    format!("link {n}: `{key}` must be a string"),
                ));
                None
            }
            None => {
                diags.push(
                    at.error(
                        "links-shape",
                        at.entry(),
                        format!("link {n} has no `{key}`"),
                    )
                    .with_hint(format!("add \"{key}\": \"...\" to the link")),
                );
                None
            }
        }
    };
    let template_id = string("template_id", &mut diags);
    let link_id = string("link_id", &mut diags);

    // The template.
    let template = template_id.as_deref().and_then(|tid| {
        let found = catalog
            .template(tid)
            .or_else(|| catalog.by_cedar_name(tid).and_then(|w| catalog.template(w)));
        if found.is_none() {
            let known: Vec<&str> = catalog
                .templates
                .iter()
                .map(|t| t.info.id.as_str())
                .collect();
            let static_policy = catalog.position(tid).is_some()
                || catalog
                    .by_cedar_name(tid)
                    .is_some_and(|w| catalog.position(w).is_some());
            let message = if static_policy {
                format!("link {n}: `{tid}` is a static policy, not a template")
            } else {
                format!("link {n}: no template `{tid}`")
            };
            let hint = if known.is_empty() {
                "the project has no templates; write a policy with ?principal or ?resource in its scope".to_string()
            } else {
                format!("the project's templates are: {}", known.join(", "))
            };
            diags.push(
                at.error("links-unknown-template", at.value("template_id"), message)
                    .with_hint(hint),
            );
        }
        found.cloned()
    });

    // The link id.
    if let Some(lid) = &link_id {
        if lid.is_empty() {
            diags.push(at.error(
                "links-id-empty",
                at.value("link_id"),
                format!("link {n}: the link id is empty"),
            ));
        } else if let Some(first) = seen.get(lid) {
            diags.push(
                at.error(
                    "links-id-duplicate",
                    at.value("link_id"),
                    format!("link id `{lid}` is used by two links"),
                )
                .with_related(at.path, *first, "first used here")
                .with_hint("link ids must be unique; rename one of the links"),
            );
        } else if let Some(other) = catalog
            .get(lid)
            .or_else(|| catalog.template(lid).map(|t| &t.info))
        {
            diags.push(
                at.error(
                    "links-id-taken",
                    at.value("link_id"),
                    format!("link id `{lid}` is already the id of a policy or template"),
                )
                .with_related(
                    other.file.clone(),
                    other.span.map(|s| Span::new(s.start, 1)),
                    format!("`{lid}` is defined here"),
                )
                .with_hint(
                    "decisions name policies and links by id, so they must differ; rename the link",
                ),
            );
        } else {
            seen.insert(lid.clone(), at.value("link_id"));
        }
    }

    // The slot values.
    let mut vals: HashMap<SlotId, EntityUid> = HashMap::new();
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    match fields.get("args") {
        None => {}
        Some(Value::Object(given)) => {
            for (slot, v) in given {
                let slot_id = match slot.as_str() {
                    "?principal" => SlotId::principal(),
                    "?resource" => SlotId::resource(),
                    _ => {
                        diags.push(
                            at.error(
                                "links-unknown-slot",
                                at.arg_key(slot),
                                format!("link {n}: `{slot}` is not a slot"),
                            )
                            .with_hint(format!("Cedar's slots are {}", SLOTS.join(" and "))),
                        );
                        continue;
                    }
                };
                if let Some(t) = &template {
                    if !t.slots.iter().any(|s| s == slot) {
                        diags.push(
                            at.error(
                                "links-extra-slot",
                                at.arg_key(slot),
                                format!("link {n}: template `{}` has no {slot} slot", t.info.id),
                            )
                            .with_related(
                                t.info.file.clone(),
                                t.info.span.map(|s| Span::new(s.start, 1)),
                                "the template",
                            )
                            .with_hint(format!("remove \"{slot}\" from args")),
                        );
                        continue;
                    }
                }
                let Value::String(text) = v else {
                    diags.push(
                        at.error(
                            "links-value",
                            at.arg_value(slot),
                            format!("link {n}: the value of {slot} must be a string holding an entity uid"),
                        )
                        .with_hint("write it as Cedar does, e.g. \"User::\\\"bob\\\"\""),
                    );
                    continue;
                };
                match EntityUid::from_str(text) {
                    Ok(uid) => {
                        let declared =
                            schema.is_none_or(|s| s.entity_types().any(|t| t == uid.type_name()));
                        if !declared {
                            diags.push(
                                at.error(
                                    "links-value-type",
                                    at.arg_value(slot),
                                    format!(
                                        "link {n}: {slot} is `{uid}`, but the schema declares no entity type `{}`",
                                        uid.type_name()
                                    ),
                                )
                                .with_hint("use an entity type the schema declares"),
                            );
                            continue;
                        }
                        args.insert(slot.clone(), uid.to_string());
                        vals.insert(slot_id, uid);
                    }
                    Err(e) => diags.push(
                        at.error(
                            "links-value",
                            at.arg_value(slot),
                            format!("link {n}: {slot} is not an entity uid: {e}"),
                        )
                        .with_hint("write it as Cedar does, e.g. \"User::\\\"bob\\\"\""),
                    ),
                }
            }
        }
        Some(_) => diags.push(
            at.error(
                "links-shape",
                at.value("args"),
                format!("link {n}: `args` must be an object from slot to entity uid"),
            )
            .with_hint("write \"args\": {\"?principal\": \"User::\\\"bob\\\"\"}"),
        ),
    }
    if let Some(t) = &template {
        let given = fields.get("args").and_then(Value::as_object);
        for slot in &t.slots {
            if !given.is_some_and(|g| g.contains_key(slot)) {
                diags.push(
                    at.error(
                        "links-missing-slot",
                        at.value("args"),
                        format!(
                            "link {n}: template `{}` has a {slot} slot, which the link does not fill",
                            t.info.id
                        ),
                    )
                    .with_related(
                        t.info.file.clone(),
                        t.info.span.map(|s| Span::new(s.start, 1)),
                        "the template",
                    )
                    .with_hint(format!("add \"{slot}\": \"Type::\\\"id\\\"\" to args")),
                );
            }
        }
    }
    if diags.iter().any(Diagnostic::is_error) {
        return Some(diags);
    }
    let (Some(template), Some(link_id)) = (template, link_id) else {
        return Some(diags);
    };
    let new_id = PolicyId::new(&link_id);
    if let Err(e) = catalog
        .set
        .link(PolicyId::new(&template.info.id), new_id.clone(), vals)
    {
        diags.push(at.error(
            "links-link",
            at.entry(),
            format!(
                "link {n}: Cedar could not link template `{}`: {e}",
                template.info.id
            ),
        ));
        return Some(diags);
    }
    let text = catalog
        .set
        .policy(&new_id)
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut policy = template.info.clone();
    policy.id = link_id.clone();
    policy.file = at.path.to_path_buf();
    policy.span = at.entry();
    policy.text = text;
    catalog.push_link(LinkInfo {
        id: link_id,
        template: template.info.id.clone(),
        args,
        policy,
    });
    (!diags.is_empty()).then_some(diags)
}

/// The links of `catalog` in the Cedar CLI's links format, template ids
/// as Writ ids (what a bundle's `links.json` holds).
pub fn to_links_json(catalog: &PolicyCatalog) -> Value {
    Value::Array(
        catalog
            .links
            .iter()
            .map(|l| {
                serde_json::json!({
                    "template_id": l.template,
                    "link_id": l.id,
                    "args": l.args,
                })
            })
            .collect(),
    )
}
