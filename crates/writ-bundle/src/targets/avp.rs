//! The inputs of Amazon Verified Permissions for a verified bundle.
//!
//! AVP keeps a policy store's schema and its policies as separate
//! resources, set through its API: `PutSchema` takes
//! `{"policyStoreId", "definition": {"cedarJson": "<schema JSON as a string>"}}`
//! and `CreatePolicy` takes `{"policyStoreId", "clientToken",
//! "definition": {"static": {"description", "statement"}}}` for each policy
//! (documented limits: `policyStoreId` 1-200 characters of
//! `[a-zA-Z0-9-/_]`, `clientToken` 1-64 of `[a-zA-Z0-9-]`, `description`
//! at most 150 characters, `statement` 1-10,000). [`export`] writes
//! `schema.json`, one `policies/<id>.json` per policy and `index.json` into
//! a new folder, all at once (a temporary folder renamed into place), so
//! that `aws verifiedpermissions put-schema --cli-input-json file://schema.json`
//! and `create-policy --cli-input-json file://policies/<id>.json` take them
//! as they are.
//!
//! A bundle with templates also gets one `templates/<id>.json` per template
//! (a `CreatePolicyTemplate` body) and one `policies/<link id>.json` per
//! link (a template-linked `CreatePolicy` body). AVP assigns a template its
//! id when it is created, so a linked body names its template with the
//! placeholder `{{template:<@id>}}` ([`template_placeholder`]) unless the
//! ids are given ([`bodies_with`], `writ export avp --apply-ids FILE`);
//! `index.json` lists every file in the order to apply them
//! (`apply_order`: schema, templates, static policies, links).

use super::{bundle_policies, schema_json, TargetError, VerifiedBundle};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The policy store id written when none is given.
pub const PLACEHOLDER_POLICY_STORE_ID: &str = "REPLACE-WITH-POLICY-STORE-ID";
/// AVP's limit on a static policy's description.
pub const MAX_DESCRIPTION_CHARS: usize = 150;
/// AVP's limit on a static policy's statement.
pub const MAX_STATEMENT_CHARS: usize = 10_000;
/// AVP's limit on a client token.
pub const MAX_CLIENT_TOKEN_CHARS: usize = 64;

/// One policy written.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedPolicy {
    /// The policy's `@id`.
    pub id: String,
    /// `permit` or `forbid`.
    pub effect: &'static str,
    /// The file, relative to the output folder.
    pub file: String,
    /// The `clientToken`: the SHA-256 of the id and statement, so the same
    /// policy always gets the same token and a changed one another.
    pub client_token: String,
    /// Whether `@description` was cut to 150 characters.
    pub description_truncated: bool,
}

/// What [`export`] wrote (also written as `index.json`).
#[derive(Debug, Clone, Serialize)]
pub struct AvpExport {
    /// The bundle's policy version.
    pub policy_version: String,
    /// The bundle's digest.
    pub bundle_digest: String,
    /// The policy store id in every body.
    pub policy_store_id: String,
    /// The `PutSchema` body's file.
    pub schema: String,
    /// The `CreatePolicy` bodies, in the bundle's order.
    pub policies: Vec<ExportedPolicy>,
    /// The `CreatePolicyTemplate` bodies, in the bundle's order.
    pub templates: Vec<ExportedTemplate>,
    /// The template-linked `CreatePolicy` bodies, in `links.json`'s order.
    pub links: Vec<ExportedLink>,
    /// Every file, in the order to apply them: the schema, the templates
    /// (note each id AVP assigns), the static policies, the links.
    pub apply_order: Vec<String>,
}

/// Checks a policy store id against AVP's documented constraints.
pub fn check_policy_store_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 200
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{id}` is not a policy store id (1-200 characters of letters, digits, -, / and _)"
        ))
    }
}

/// One template written.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedTemplate {
    /// The template's `@id`.
    pub id: String,
    /// The file, relative to the output folder.
    pub file: String,
    /// The `clientToken` (SHA-256 of the id and statement).
    pub client_token: String,
    /// What linked bodies hold until the AVP id is known, e.g. `{{template:viewer}}`.
    pub placeholder: String,
}

/// One template-linked policy written.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedLink {
    /// The link id.
    pub id: String,
    /// The template's `@id`.
    pub template: String,
    /// The file, relative to the output folder.
    pub file: String,
    /// The `clientToken` (SHA-256 of the link id, template and values).
    pub client_token: String,
    /// Whether the body holds the template's AVP id (`--apply-ids`) or
    /// still its placeholder.
    pub template_id_filled: bool,
}

/// The placeholder a template-linked body holds for the id AVP assigns to
/// template `id`: `{{template:<id>}}`.
pub fn template_placeholder(id: &str) -> String {
    format!("{{{{template:{id}}}}}")
}

/// The `PutSchema` body and the `CreatePolicy` bodies for a verified
/// bundle, with their file names; nothing written. Linked bodies hold
/// template placeholders (see [`bodies_with`]).
pub fn bodies(
    bundle: &VerifiedBundle,
    policy_store_id: &str,
) -> Result<(AvpExport, Vec<(String, Value)>), TargetError> {
    bodies_with(bundle, policy_store_id, None)
}

/// Reads an `--apply-ids` file: a JSON object from template `@id` to the
/// policy template id AVP assigned it.
pub fn read_apply_ids(path: &Path) -> Result<BTreeMap<String, String>, TargetError> {
    let content = |message: String| TargetError::Content {
        file: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| content(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| {
        content(format!(
            "line {} column {}: {e} (expected {{\"<template @id>\": \"<AVP policy template id>\", ...}})",
            e.line(),
            e.column()
        ))
    })
}

/// As [`bodies`]; with `apply_ids` (template `@id` -> AVP policy template
/// id) the linked bodies hold the AVP ids instead of placeholders, and every
/// template a link uses must be in the map.
pub fn bodies_with(
    bundle: &VerifiedBundle,
    policy_store_id: &str,
    apply_ids: Option<&BTreeMap<String, String>>,
) -> Result<(AvpExport, Vec<(String, Value)>), TargetError> {
    check_policy_store_id(policy_store_id).map_err(TargetError::Url)?;
    let schema = schema_json(&bundle.schema)?;
    let schema_text = serde_json::to_string(&schema).map_err(|e| TargetError::Content {
        file: super::SCHEMA_FILE.to_string(),
        message: e.to_string(),
    })?;
    let mut files = vec![(
        "schema.json".to_string(),
        json!({
            "policyStoreId": policy_store_id,
            "definition": { "cedarJson": schema_text },
        }),
    )];
    let mut policies = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for p in bundle_policies(&bundle.policies)? {
        let statement = p.text.trim().to_string();
        if statement.chars().count() > MAX_STATEMENT_CHARS {
            return Err(TargetError::Content {
                file: super::POLICIES_FILE.to_string(),
                message: format!(
                    "policy `{}` has more than {MAX_STATEMENT_CHARS} characters, AVP's limit for a statement",
                    p.id
                ),
            });
        }
        let (description, truncated) = match &p.description {
            Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
                let cut: String = d.chars().take(MAX_DESCRIPTION_CHARS - 1).collect();
                (format!("{cut}…"), true)
            }
            Some(d) => (d.clone(), false),
            None => (String::new(), false),
        };
        let token = writ_base::sha256_hex(format!("{}\n{}", p.id, statement).as_bytes());
        let token: String = token.chars().take(MAX_CLIENT_TOKEN_CHARS).collect();
        let file = format!("policies/{}.json", unique_name(&p.id, &mut names));
        files.push((
            file.clone(),
            json!({
                "policyStoreId": policy_store_id,
                "clientToken": token,
                "definition": { "static": { "description": description, "statement": statement } },
            }),
        ));
        policies.push(ExportedPolicy {
            id: p.id,
            effect: if p.forbid { "forbid" } else { "permit" },
            file,
            client_token: token,
            description_truncated: truncated,
        });
    }
    let (templates_in, links_in) = super::bundle_templates(bundle)?;
    if let Some(ids) = apply_ids {
        let known: std::collections::BTreeSet<&str> =
            templates_in.iter().map(|t| t.id.as_str()).collect();
        let missing: std::collections::BTreeSet<&str> = links_in
            .iter()
            .map(|l| l.template.as_str())
            .filter(|t| !ids.contains_key(*t))
            .collect();
        if !missing.is_empty() {
            return Err(TargetError::Content {
                file: "--apply-ids".to_string(),
                message: format!(
                    "no AVP template id for {} (give one for every linked template)",
                    missing.into_iter().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        if let Some(unknown) = ids.keys().find(|k| !known.contains(k.as_str())) {
            return Err(TargetError::Content {
                file: "--apply-ids".to_string(),
                message: format!("the bundle has no template `{unknown}`"),
            });
        }
    }
    let mut template_names = std::collections::BTreeSet::new();
    let mut templates = Vec::new();
    for t in templates_in {
        let statement = t.text.trim().to_string();
        let token = writ_base::sha256_hex(format!("template\n{}\n{}", t.id, statement).as_bytes());
        let token: String = token.chars().take(MAX_CLIENT_TOKEN_CHARS).collect();
        let file = format!("templates/{}.json", unique_name(&t.id, &mut template_names));
        let description: String = t
            .description
            .unwrap_or_default()
            .chars()
            .take(MAX_DESCRIPTION_CHARS)
            .collect();
        files.push((
            file.clone(),
            json!({
                "policyStoreId": policy_store_id,
                "clientToken": token,
                "description": description,
                "statement": statement,
            }),
        ));
        templates.push(ExportedTemplate {
            placeholder: template_placeholder(&t.id),
            id: t.id,
            file,
            client_token: token,
        });
    }
    let mut links = Vec::new();
    for l in links_in {
        let mut linked = serde_json::Map::new();
        let template_id = match apply_ids {
            Some(ids) => ids.get(&l.template).cloned().unwrap_or_default(),
            None => template_placeholder(&l.template),
        };
        linked.insert("policyTemplateId".into(), json!(template_id));
        for (slot, key) in [("?principal", "principal"), ("?resource", "resource")] {
            if let Some(v) = l.args.get(slot) {
                let uid =
                    cedar_policy::EntityUid::from_str(v).map_err(|e| TargetError::Content {
                        file: super::LINKS_FILE.to_string(),
                        message: format!("link `{}`: {slot} `{v}`: {e}", l.policy.id),
                    })?;
                linked.insert(
                    key.into(),
                    json!({
                        "entityType": uid.type_name().to_string(),
                        "entityId": uid.id().unescaped(),
                    }),
                );
            }
        }
        let token = writ_base::sha256_hex(
            format!("link\n{}\n{}\n{:?}", l.policy.id, l.template, l.args).as_bytes(),
        );
        let token: String = token.chars().take(MAX_CLIENT_TOKEN_CHARS).collect();
        let file = format!("policies/{}.json", unique_name(&l.policy.id, &mut names));
        files.push((
            file.clone(),
            json!({
                "policyStoreId": policy_store_id,
                "clientToken": token,
                "definition": { "templateLinked": Value::Object(linked) },
            }),
        ));
        links.push(ExportedLink {
            id: l.policy.id,
            template: l.template,
            file,
            client_token: token,
            template_id_filled: apply_ids.is_some(),
        });
    }
    let apply_order = std::iter::once("schema.json".to_string())
        .chain(templates.iter().map(|t| t.file.clone()))
        .chain(policies.iter().map(|p| p.file.clone()))
        .chain(links.iter().map(|l| l.file.clone()))
        .collect();
    let export = AvpExport {
        policy_version: bundle.verified.manifest.policy_version.clone(),
        bundle_digest: bundle.verified.digest.clone(),
        policy_store_id: policy_store_id.to_string(),
        schema: "schema.json".to_string(),
        policies,
        templates,
        links,
        apply_order,
    };
    Ok((export, files))
}

/// A file name for a policy id: letters, digits, `.`, `-`, `_` kept, the
/// rest replaced by `_`; a clash gets a numeric suffix.
fn unique_name(id: &str, taken: &mut std::collections::BTreeSet<String>) -> String {
    let base: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = if base.is_empty() || base.starts_with('.') {
        format!("policy{base}")
    } else {
        base
    };
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.to_lowercase()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// Writes the AVP inputs for a verified bundle into `out`, which must not
/// exist: everything goes into a temporary folder beside it, renamed into
/// place when complete, so `out` appears whole or not at all.
pub fn export(
    bundle: &VerifiedBundle,
    policy_store_id: &str,
    out: &Path,
) -> Result<AvpExport, TargetError> {
    export_with(bundle, policy_store_id, out, None)
}

/// As [`export`], with the AVP ids of the templates filled into the linked
/// bodies (see [`bodies_with`]).
pub fn export_with(
    bundle: &VerifiedBundle,
    policy_store_id: &str,
    out: &Path,
    apply_ids: Option<&BTreeMap<String, String>>,
) -> Result<AvpExport, TargetError> {
    if out.exists() {
        return Err(TargetError::Write {
            path: out.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "it already exists; give a new folder",
            ),
        });
    }
    let (export, files) = bodies_with(bundle, policy_store_id, apply_ids)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "avp".to_string());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let werr = |path: &Path, source: std::io::Error| TargetError::Write {
        path: path.display().to_string(),
        source,
    };
    let result = (|| {
        std::fs::create_dir_all(tmp.join("policies")).map_err(|e| werr(&tmp, e))?;
        if !export.templates.is_empty() {
            std::fs::create_dir_all(tmp.join("templates")).map_err(|e| werr(&tmp, e))?;
        }
        let index = serde_json::to_value(&export).unwrap_or(Value::Null);
        for (file, body) in files
            .iter()
            .map(|(f, b)| (f.as_str(), b))
            .chain(std::iter::once(("index.json", &index)))
        {
            let path = tmp.join(file);
            let mut text = serde_json::to_string_pretty(body).unwrap_or_default();
            text.push('\n');
            writ_core::atomic_file::write_atomically(&path, text.as_bytes())
                .map_err(|e| werr(&out.join(file), e))?;
        }
        std::fs::rename(&tmp, out).map_err(|e| werr(out, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|_| export)
}
