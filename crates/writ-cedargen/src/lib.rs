//! `writ-cedargen`: a seeded generator of random but valid Cedar material
//! for Writ's differential tests: schemas with several namespaces, entity
//! data, policies, templates with links, and request streams with heavy
//! repetition. The same seed always gives the same [`Case`].
//!
//! ```
//! use writ_cedargen::{generate, GenOptions};
//! let case = generate(7, &GenOptions::full());
//! assert!(cedar_policy::Schema::from_cedarschema_str(&case.schema_text).is_ok());
//! assert!(!case.stream.is_empty());
//! ```

#![warn(missing_docs)]

pub mod ids;
pub mod model;
mod org;
mod policy;
mod request;
mod rng;
mod schema;
mod values;

pub use org::{organisation, Org, OrgStream};
pub use request::{GenRequest, Spelling};

use serde_json::Value;

/// Which inputs a case may contain. Each switch names an input today's
/// engine cannot take (see the differential test's report); `today()` turns
/// them off, `full()` turns everything on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptions {
    /// The same bare action id declared in several namespaces (requested
    /// with qualified ids).
    pub shared_bare_ids: bool,
    /// Requests naming such an ambiguous action by its bare id (the fixed
    /// engine must refuse them with a request error naming the candidates).
    pub ambiguous_bare_spelling: bool,
    /// Action ids (and group ids) with odd characters that JSON and Cedar
    /// write alike (quotes, backslashes, `\n`, `\t`, non-ASCII, emoji,
    /// spaces, the empty id).
    pub odd_action_ids: bool,
    /// Action ids with characters Cedar writes as `\u{..}` (C0 controls,
    /// DEL, C1, ESC, zero-width and combining marks).
    pub control_action_ids: bool,
    /// Entity ids with odd characters.
    pub odd_entity_ids: bool,
    /// Qualified action ids spelt with `\uXXXX` escapes inside the literal.
    pub escaped_spellings: bool,
    /// `datetime` values as `{"__extn":{"fn":"offset","args":[..]}}`.
    pub offset_args: bool,
    /// Templates and links.
    pub templates: bool,
    /// Principals of namespaced entity types (`N1::User::"x"`); when off,
    /// principals are of the empty namespace's `Agent` type.
    pub namespaced_principals: bool,
    /// Requests Cedar must refuse (wrong types, undeclared attributes,
    /// missing required ones, undeclared actions, groups as actions).
    pub invalid_requests: bool,
    /// Unqualified references from a named namespace to a type of the
    /// empty namespace (`Folder` inside `namespace N2`), which Cedar
    /// resolves to the empty namespace's type.
    pub root_types_from_namespaces: bool,
    /// Ids in Cedar run-tests uid strings that read differently in JSON and
    /// Cedar syntax (control characters other than `\n`, `\r`, `\t`).
    pub cedar_syntax_uids_in_tests: bool,
}

impl GenOptions {
    /// Everything on: what the fixed engine must take.
    pub fn full() -> Self {
        GenOptions {
            shared_bare_ids: true,
            ambiguous_bare_spelling: true,
            odd_action_ids: true,
            control_action_ids: true,
            odd_entity_ids: true,
            escaped_spellings: true,
            offset_args: true,
            templates: true,
            namespaced_principals: true,
            invalid_requests: true,
            cedar_syntax_uids_in_tests: true,
            root_types_from_namespaces: true,
        }
    }

    /// Only what today's engine takes ("known gaps" mode); the lead turns
    /// switches on as fixes land.
    pub fn today() -> Self {
        GenOptions {
            shared_bare_ids: false,
            ambiguous_bare_spelling: false,
            odd_action_ids: true,
            control_action_ids: false,
            odd_entity_ids: true,
            escaped_spellings: false,
            offset_args: false,
            templates: false,
            namespaced_principals: true,
            invalid_requests: true,
            cedar_syntax_uids_in_tests: false,
            root_types_from_namespaces: false,
        }
    }

    /// Reads switches from a comma-separated list such as
    /// `shared_bare_ids,offset_args` (unknown names are returned as errors).
    pub fn with_switches(mut self, list: &str) -> Result<Self, String> {
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (on, name) = match name.strip_prefix('-') {
                Some(n) => (false, n),
                None => (true, name),
            };
            let flag = match name {
                "shared_bare_ids" => &mut self.shared_bare_ids,
                "ambiguous_bare_spelling" => &mut self.ambiguous_bare_spelling,
                "odd_action_ids" => &mut self.odd_action_ids,
                "control_action_ids" => &mut self.control_action_ids,
                "odd_entity_ids" => &mut self.odd_entity_ids,
                "escaped_spellings" => &mut self.escaped_spellings,
                "offset_args" => &mut self.offset_args,
                "templates" => &mut self.templates,
                "namespaced_principals" => &mut self.namespaced_principals,
                "invalid_requests" => &mut self.invalid_requests,
                "cedar_syntax_uids_in_tests" => &mut self.cedar_syntax_uids_in_tests,
                "root_types_from_namespaces" => &mut self.root_types_from_namespaces,
                other => return Err(format!("unknown generator switch `{other}`")),
            };
            *flag = on;
        }
        Ok(self)
    }
}

/// One generated policy (or template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenPolicy {
    /// Its `@id`.
    pub id: String,
    /// Its full text, `@id` annotation included.
    pub text: String,
    /// Whether it is a template (has slots).
    pub template: bool,
}

/// One template link, as the Cedar CLI's `links.json` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The template's `@id`.
    pub template_id: String,
    /// The link id (the id decisions name).
    pub link_id: String,
    /// Slot (`?principal`, `?resource`) to entity (type, id).
    pub args: Vec<(String, String, String)>,
}

/// A generated case: schema, entities, policies, links and requests.
#[derive(Debug, Clone)]
pub struct Case {
    /// The seed it was made from.
    pub seed: u64,
    /// The switches it was made with.
    pub options: GenOptions,
    /// The schema model.
    pub model: model::SchemaModel,
    /// The schema in Cedar's human syntax.
    pub schema_text: String,
    /// Entities JSON (Cedar's format).
    pub entities: Value,
    /// The policies (and templates) of version A.
    pub policies: Vec<GenPolicy>,
    /// Version B for `diff`: some of A's policies dropped, others added.
    pub policies_b: Vec<GenPolicy>,
    /// Links of A's (and B's) templates.
    pub links: Vec<Link>,
    /// Distinct requests.
    pub pool: Vec<GenRequest>,
    /// The stream: indexes into `pool`, with heavy repetition.
    pub stream: Vec<usize>,
}

/// The text of a policy list, one policy after another.
pub fn policies_text(policies: &[GenPolicy]) -> String {
    policies
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Case {
    /// Version A's policy file text.
    pub fn policies_text(&self) -> String {
        policies_text(&self.policies)
    }

    /// The links in the Cedar CLI's `links.json` format (uids in Cedar
    /// syntax).
    pub fn links_json(&self) -> Value {
        Value::Array(
            self.links
                .iter()
                .map(|l| {
                    let args: serde_json::Map<String, Value> = l
                        .args
                        .iter()
                        .map(|(slot, ty, id)| (slot.clone(), Value::String(ids::cedar_uid(ty, id))))
                        .collect();
                    serde_json::json!({
                        "template_id": l.template_id,
                        "link_id": l.link_id,
                        "args": args,
                    })
                })
                .collect(),
        )
    }
}

/// Generates the case of `seed`.
pub fn generate(seed: u64, options: &GenOptions) -> Case {
    let mut g = rng::G::new(seed);
    let model = schema::schema_model(&mut g, options);
    let ents = values::entities(&mut g, &model, options);
    let (policies, policies_b, links) = policy::policies(&mut g, &model, &ents, options);
    let pool = request::pool(&mut g, &model, &ents, options);
    let stream = request::stream(&mut g, pool.len());
    Case {
        seed,
        options: options.clone(),
        schema_text: model.to_cedarschema(),
        entities: ents.json,
        model,
        policies,
        policies_b,
        links,
        pool,
        stream,
    }
}
