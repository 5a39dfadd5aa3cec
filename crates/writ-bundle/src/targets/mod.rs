//! Enforcement points a verified bundle is delivered to.
//!
//! - [`cedar_agent`]: translate a bundle for permitio/cedar-agent (built on
//!   Cedar 2.x), report what does not translate, and load the rest through
//!   its HTTP API.
//! - [`avp`]: the request bodies Amazon Verified Permissions takes
//!   (`PutSchema`, one `CreatePolicy` per policy).
//!
//! Both start from [`open_verified`]: a bundle is read and verified exactly
//! as `writ bundle verify` does before anything is translated or sent.

pub mod avp;
pub mod cedar_agent;
mod http;

use crate::bundle::{self, TrustedKey, Verified};
use crate::error::VerifyError;
use std::path::Path;
use time::OffsetDateTime;

/// The file of a bundle holding its policies.
pub const POLICIES_FILE: &str = "policies.cedar";
/// The file of a bundle holding its schema (Cedar's human syntax).
pub const SCHEMA_FILE: &str = "schema.cedarschema";
/// The file of a bundle holding its entities (Cedar entity JSON).
pub const ENTITIES_FILE: &str = "entities.json";
/// The file of a bundle holding its template links, when it has any.
pub const LINKS_FILE: &str = "links.json";

/// The content of a verified bundle, as text.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    /// What verification established: manifest, key id, digest.
    pub verified: Verified,
    /// `policies.cedar`.
    pub policies: String,
    /// `schema.cedarschema`.
    pub schema: String,
    /// `entities.json`.
    pub entities: String,
    /// `links.json`, when the bundle links templates.
    pub links: Option<String>,
}

/// Errors of delivering a bundle to an enforcement point.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The bundle did not verify (its exit code is [`VerifyError::exit_code`]).
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A verified bundle whose content does not parse (a bundle made by
    /// another tool, or a Cedar feature this build cannot read).
    #[error("{file} in the bundle: {message}")]
    Content {
        /// The bundle file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The enforcement point's URL cannot be used.
    #[error("{0}")]
    Url(String),
    /// The enforcement point could not be reached.
    #[error("cannot reach {url}: {message} (is the agent running and listening there?)")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The enforcement point answered with an error status.
    #[error("{method} {url} answered {status}: {body}")]
    Status {
        /// The HTTP method.
        method: String,
        /// The URL asked.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The body of the answer (shortened).
        body: String,
    },
    /// The enforcement point answered something that is not what was sent.
    #[error("{0}")]
    Mismatch(String),
    /// The bundle cannot be delivered without widening access (a `forbid`
    /// that does not translate); nothing was sent.
    #[error("{0}")]
    Refused(String),
    /// Writing an output file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl TargetError {
    /// The process exit code for this error: a verification failure keeps
    /// the code `writ bundle verify` gives it, a refusal is 3, anything
    /// else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            TargetError::Verify(e) => e.exit_code(),
            TargetError::Refused(_) => 3,
            _ => 1,
        }
    }
}

/// Reads and verifies a bundle (folder or `.tar.gz`) exactly as
/// `writ bundle verify` does, then returns its files as text.
pub fn open_verified(
    path: &Path,
    trusted: &[TrustedKey],
    at: OffsetDateTime,
) -> Result<VerifiedBundle, TargetError> {
    let b = bundle::read(path)?;
    let verified = bundle::verify(&b, trusted, at)?;
    let text = |name: &str| -> Result<String, TargetError> {
        let bytes = b.files.get(name).ok_or_else(|| TargetError::Content {
            file: name.to_string(),
            message: "missing".to_string(),
        })?;
        String::from_utf8(bytes.clone()).map_err(|_| TargetError::Content {
            file: name.to_string(),
            message: "not UTF-8 text".to_string(),
        })
    };
    Ok(VerifiedBundle {
        policies: text(POLICIES_FILE)?,
        schema: text(SCHEMA_FILE)?,
        entities: text(ENTITIES_FILE)?,
        links: match b.files.contains_key(LINKS_FILE) {
            true => Some(text(LINKS_FILE)?),
            false => None,
        },
        verified,
    })
}

/// One policy of a bundle: its `@id`, effect, description and text.
#[derive(Debug, Clone)]
pub(crate) struct BundlePolicy {
    pub id: String,
    pub forbid: bool,
    pub description: Option<String>,
    pub text: String,
    pub est: serde_json::Value,
}

/// Parses the bundle's policies with Cedar 4, each named by its `@id`.
pub(crate) fn bundle_policies(text: &str) -> Result<Vec<BundlePolicy>, TargetError> {
    use std::str::FromStr;
    let bad = |message: String| TargetError::Content {
        file: POLICIES_FILE.to_string(),
        message,
    };
    let set = cedar_policy::PolicySet::from_str(text).map_err(|e| bad(format!("{e}")))?;
    // `PolicySet` iterates in no fixed order; keep the file's order by
    // sorting on the source offset Cedar names the policies with (policy0,
    // policy1, ...).
    let mut policies: Vec<(usize, &cedar_policy::Policy)> = set
        .policies()
        .map(|p| {
            let n = p
                .id()
                .to_string()
                .strip_prefix("policy")
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(usize::MAX);
            (n, p)
        })
        .collect();
    policies.sort_by_key(|(n, _)| *n);
    let mut out = Vec::with_capacity(policies.len());
    let mut seen = std::collections::BTreeSet::new();
    for (_, p) in policies {
        let id = p
            .annotation("id")
            .map(str::to_string)
            .unwrap_or_else(|| p.id().to_string());
        if !seen.insert(id.clone()) {
            return Err(bad(format!("two policies have the @id `{id}`")));
        }
        let est = p
            .to_json()
            .map_err(|e| bad(format!("policy `{id}`: {e}")))?;
        out.push(BundlePolicy {
            forbid: p.effect() == cedar_policy::Effect::Forbid,
            description: p.annotation("description").map(str::to_string),
            text: p.to_string(),
            est,
            id,
        });
    }
    Ok(out)
}

/// One template of a bundle.
#[derive(Debug, Clone)]
pub(crate) struct BundleTemplate {
    pub id: String,
    pub description: Option<String>,
    pub text: String,
}

/// One template-linked policy of a bundle: the template's `@id`, the slot
/// values, and the linked policy (named by its link id).
#[derive(Debug, Clone)]
pub(crate) struct BundleLink {
    pub template: String,
    pub args: std::collections::BTreeMap<String, String>,
    pub policy: BundlePolicy,
}

/// The bundle's templates (in file order) and links (in `links.json`
/// order), linked with Cedar 4 as `writ serve` links them.
pub(crate) fn bundle_templates(
    bundle: &VerifiedBundle,
) -> Result<(Vec<BundleTemplate>, Vec<BundleLink>), TargetError> {
    use writ_core::policies::{parse_policy_files, PolicySource};
    let path = Path::new(POLICIES_FILE);
    let (mut catalog, diags) = parse_policy_files(&[PolicySource {
        path,
        text: &bundle.policies,
    }]);
    let first_error = |file: &str, diags: &[writ_core::diagnostic::Diagnostic]| {
        diags
            .iter()
            .find(|d| d.is_error())
            .map(|d| TargetError::Content {
                file: file.to_string(),
                message: d.message.clone(),
            })
    };
    if let Some(e) = first_error(POLICIES_FILE, &diags) {
        return Err(e);
    }
    if let Some(links) = &bundle.links {
        let diags =
            writ_core::links::link_templates(&mut catalog, Path::new(LINKS_FILE), links, None);
        if let Some(e) = first_error(LINKS_FILE, &diags) {
            return Err(e);
        }
    }
    let templates = catalog
        .templates
        .iter()
        .map(|t| BundleTemplate {
            id: t.info.id.clone(),
            description: t.info.description.clone(),
            text: t.info.text.clone(),
        })
        .collect();
    let mut links = Vec::with_capacity(catalog.links.len());
    for l in &catalog.links {
        let policy = catalog
            .set
            .policy(&cedar_policy::PolicyId::new(&l.id))
            .ok_or_else(|| TargetError::Content {
                file: LINKS_FILE.to_string(),
                message: format!("link `{}` is missing after linking", l.id),
            })?;
        let est = policy.to_json().map_err(|e| TargetError::Content {
            file: LINKS_FILE.to_string(),
            message: format!("link `{}`: {e}", l.id),
        })?;
        // The linked policy as static Cedar text (slots filled).
        let text = cedar_policy::Policy::from_json(None, est.clone())
            .map(|p| p.to_string())
            .unwrap_or_else(|_| l.policy.text.clone());
        links.push(BundleLink {
            template: l.template.clone(),
            args: l.args.clone(),
            policy: BundlePolicy {
                id: l.id.clone(),
                forbid: l.policy.effect == cedar_policy::Effect::Forbid,
                description: l.policy.description.clone(),
                text,
                est,
            },
        });
    }
    Ok((templates, links))
}

/// The bundle's schema as Cedar 4's JSON schema.
pub(crate) fn schema_json(text: &str) -> Result<serde_json::Value, TargetError> {
    let bad = |message: String| TargetError::Content {
        file: SCHEMA_FILE.to_string(),
        message,
    };
    let (fragment, _warnings) = cedar_policy::SchemaFragment::from_cedarschema_str(text)
        .map_err(|e| bad(format!("{e}")))?;
    fragment.to_json_value().map_err(|e| bad(format!("{e}")))
}
