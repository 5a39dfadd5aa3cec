//! A verified bundle ready to decide: read and verify a bundle (folder or
//! `.tar.gz`), build the Cedar engine from its files exactly as `writ
//! replay` builds it from a project, and decide trace records with reuse
//! of equal relevant requests.

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use writ_bundle::bundle::{self, Bundle, TrustedKey, Verified};
use writ_bundle::VerifyError;
use writ_core::evaluate::{Evaluator, Outcome};
use writ_core::policies::{parse_policy_files, PolicySource};
use writ_core::resolve::{Principal, PrincipalKind, Resolver};
use writ_core::schema::ProjectSchema;
use writ_core::trace::TraceRecord;

/// Why a bundle could not become the active one.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bundle did not verify (signature, hashes, validity period, ...).
    #[error("bundle {path}: {source}")]
    Verify {
        /// The bundle path.
        path: PathBuf,
        /// What failed.
        #[source]
        source: VerifyError,
    },
    /// The bundle verified but one of its files does not load.
    #[error("bundle {path}: `{file}` does not load: {message}; re-export the bundle with `writ bundle export`")]
    Invalid {
        /// The bundle path.
        path: PathBuf,
        /// The file in the bundle.
        file: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl LoadError {
    /// The process exit code: the verification error's (see the
    /// `writ-bundle` README), 15 (malformed) for a file that does not load.
    pub fn exit_code(&self) -> u8 {
        match self {
            LoadError::Verify { source, .. } => source.exit_code(),
            LoadError::Invalid { .. } => 15,
        }
    }
}

/// What is known about the active bundle (served by `GET /v1/bundle`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct BundleInfo {
    /// Where it was read from.
    pub path: PathBuf,
    /// The policy version id it carries.
    pub version: String,
    /// Its digest (SHA-256 of `manifest.json`).
    pub digest: String,
    /// The key id that signed it.
    pub key_id: String,
    /// Its creation time.
    pub created: String,
    /// Its expiry time, if any.
    pub expires: Option<String>,
    /// When this server loaded it (RFC 3339).
    pub loaded_at: String,
    /// Whether it carries an identity map (`identities.json`).
    pub identity_map: bool,
    /// How many policies it holds.
    pub policies: usize,
    /// Its manifest format.
    pub format: u32,
    /// Its release channel (format 2 and later).
    pub channel: Option<String>,
    /// Its sequence number in the channel (format 2 and later).
    pub sequence: Option<u64>,
    /// The verified manifest.
    #[serde(skip)]
    pub manifest: writ_bundle::Manifest,
    #[serde(skip)]
    expires_at: Option<OffsetDateTime>,
}

impl BundleInfo {
    /// Whether the bundle has expired at `now`.
    pub fn expired_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }

    /// Whole seconds from `now` until the bundle expires (negative once
    /// expired); `None` for a bundle without expiry.
    pub fn seconds_until_expiry(&self, now: OffsetDateTime) -> Option<i64> {
        self.expires_at.map(|e| (e - now).whole_seconds())
    }
}

/// The default cap of the decision cache (remembered outcomes), in bytes
/// (`writ serve --cache-bytes`). Each shard forgets everything it holds
/// when an insert would take it past its share of the cap.
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;
const SHARDS: usize = 16;
/// What one remembered entry costs besides its key and outcome text (map
/// slot, `Arc`, allocation headers): an estimate on the high side.
const ENTRY_OVERHEAD: usize = 160;

/// One shard of the decision cache: the entries and their estimated bytes.
#[derive(Default)]
struct Shard {
    map: FxHashMap<String, Arc<Outcome>>,
    bytes: usize,
}

/// The estimated memory of one cache entry.
fn entry_bytes(key: &str, o: &Outcome) -> usize {
    let text: usize = o
        .reasons
        .iter()
        .map(|r| r.to_string().len() + 32)
        .sum::<usize>()
        + o.errors
            .iter()
            .map(|e| e.policy.to_string().len() + e.message.len() + 64)
            .sum::<usize>()
        + o.request_error.as_ref().map_or(0, |e| e.len() + 32);
    key.len() + std::mem::size_of::<Outcome>() + text + ENTRY_OVERHEAD
}

/// A verified bundle, ready to decide.
pub struct ActiveBundle {
    /// What it is.
    pub info: BundleInfo,
    evaluator: Evaluator,
    resolver: Resolver,
    reuse: Vec<Mutex<Shard>>,
    shard_cap: usize,
}

impl std::fmt::Debug for ActiveBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveBundle")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The signed approvals a bundle must carry to be loaded (`writ serve
/// --approvers KEY... --min-approvals N`; see `writ_bundle::bundle_review`).
#[derive(Debug, Clone)]
pub struct ApprovalRule {
    /// The approver public keys trusted to approve.
    pub approvers: Vec<TrustedKey>,
    /// How many distinct approvers (not the author) must have approved.
    pub min_approvals: usize,
}

/// Reads the bundle at `path` (folder or `.tar.gz`), verifies it against
/// `trusted` at `now` (and its approvals against `approvals`, when given),
/// and builds its engine.
pub fn load(
    path: &Path,
    trusted: &[TrustedKey],
    approvals: Option<&ApprovalRule>,
    now: OffsetDateTime,
) -> Result<ActiveBundle, LoadError> {
    let verify_err = |source| LoadError::Verify {
        path: path.to_path_buf(),
        source,
    };
    let b = bundle::read(path).map_err(verify_err)?;
    let verified = bundle::verify(&b, trusted, now).map_err(verify_err)?;
    if let Some(rule) = approvals {
        writ_bundle::bundle_review::check(&verified.manifest, &rule.approvers, rule.min_approvals)
            .map_err(|e| verify_err(writ_bundle::VerifyError::Approvals(e)))?;
    }
    ActiveBundle::build(path, &b, verified, now)
}

/// The ids a bare inventory id may name: those of the entities whose type
/// is exactly `Agent` (the type the resolver gives a bare id). Agents of a
/// namespaced type (`N1::Agent::"x"`) are keyed by their full uid and are
/// named by it, so `N1::Agent::"x"` and `N2::Agent::"x"` never collide.
fn inventory_agent_ids(entities: &cedar_policy::Entities) -> Vec<String> {
    entities
        .iter()
        .filter(|e| e.uid().type_name().to_string() == "Agent")
        .map(|e| e.uid().id().unescaped().to_string())
        .collect()
}

impl ActiveBundle {
    /// Builds the engine of a verified bundle: schema, policies (named by
    /// their `@id`), entities, and the identity map when the bundle has one.
    pub fn build(
        path: &Path,
        b: &Bundle,
        verified: Verified,
        now: OffsetDateTime,
    ) -> Result<ActiveBundle, LoadError> {
        let invalid = |file: &'static str, message: String| LoadError::Invalid {
            path: path.to_path_buf(),
            file,
            message,
        };
        let text = |file: &'static str| -> Result<&str, LoadError> {
            let bytes = b
                .files
                .get(file)
                .ok_or_else(|| invalid(file, "the file is missing".into()))?;
            std::str::from_utf8(bytes).map_err(|e| invalid(file, format!("not UTF-8 ({e})")))
        };
        let first = |diags: Vec<writ_core::diagnostic::Diagnostic>| {
            diags
                .into_iter()
                .find(|d| d.is_error())
                .map(|d| d.message)
                .unwrap_or_else(|| "unknown error".into())
        };
        let (schema, _) = ProjectSchema::load(Path::new(bundle::SCHEMA), text(bundle::SCHEMA)?)
            .map_err(|d| invalid(bundle::SCHEMA, first(d)))?;
        let policies_path = Path::new(bundle::POLICIES);
        let (mut catalog, diags) = parse_policy_files(&[PolicySource {
            path: policies_path,
            text: text(bundle::POLICIES)?,
        }]);
        if diags.iter().any(|d| d.is_error()) {
            return Err(invalid(bundle::POLICIES, first(diags)));
        }
        if b.files.contains_key(bundle::LINKS) {
            let diags = writ_core::links::link_templates(
                &mut catalog,
                Path::new(bundle::LINKS),
                text(bundle::LINKS)?,
                Some(&schema.schema),
            );
            if diags.iter().any(|d| d.is_error()) {
                return Err(invalid(bundle::LINKS, first(diags)));
            }
        }
        let entities =
            cedar_policy::Entities::from_json_str(text(bundle::ENTITIES)?, Some(&schema.schema))
                .map_err(|e| invalid(bundle::ENTITIES, e.to_string()))?;
        let agent_ids = inventory_agent_ids(&entities);
        let identities: BTreeMap<String, String> = match b.files.get(bundle::IDENTITIES) {
            Some(bytes) => serde_json::from_slice(bytes)
                .map_err(|e| invalid(bundle::IDENTITIES, e.to_string()))?,
            None => BTreeMap::new(),
        };
        let identity_map = b.files.contains_key(bundle::IDENTITIES);
        let resolver = Resolver::from_identities(identities, agent_ids);
        let m = &verified.manifest;
        let expires_at = match &m.expires {
            Some(e) => Some(OffsetDateTime::parse(e, &Rfc3339).map_err(|_| {
                invalid(bundle::MANIFEST, format!("`expires` {e} is not RFC 3339"))
            })?),
            None => None,
        };
        let policies = catalog.policies.len();
        let short: String = m.policy_version.chars().take(12).collect();
        let evaluator = Evaluator::new(short, catalog, Some(schema), entities, resolver.clone());
        Ok(ActiveBundle {
            info: BundleInfo {
                path: path.to_path_buf(),
                version: m.policy_version.clone(),
                digest: verified.digest.clone(),
                key_id: verified.key_id.clone(),
                created: m.created.clone(),
                expires: m.expires.clone(),
                loaded_at: bundle::format_time(now),
                identity_map,
                policies,
                format: m.format,
                channel: m.channel.clone(),
                sequence: m.sequence,
                manifest: m.clone(),
                expires_at,
            },
            evaluator,
            resolver,
            reuse: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            shard_cap: DEFAULT_CACHE_BYTES / SHARDS,
        })
    }

    /// Caps the decision cache at `bytes` (estimated; see
    /// [`DEFAULT_CACHE_BYTES`]). 0 turns the cache off.
    pub fn with_cache_bytes(mut self, bytes: usize) -> ActiveBundle {
        self.shard_cap = bytes / SHARDS;
        self
    }

    /// The estimated bytes the decision cache holds now.
    pub fn cache_bytes(&self) -> usize {
        self.reuse
            .iter()
            .filter_map(|s| s.lock().ok().map(|s| s.bytes))
            .sum()
    }

    /// The engine.
    pub fn evaluator(&self) -> &Evaluator {
        &self.evaluator
    }

    /// The principal (`Type::"id"`) an agent string names in this bundle,
    /// when it names a known agent (through the identity map or as an
    /// inventory id) or is a Cedar uid; `None` for an unknown identity.
    pub fn resolve_agent(&self, agent: &str) -> Option<String> {
        let p = self.resolver.resolve(agent);
        match p.kind {
            PrincipalKind::Shadow => None,
            _ => Some(format!(
                "{}::{}",
                p.ty,
                serde_json::Value::String(p.id.to_string())
            )),
        }
    }

    /// Decides a record as `writ replay` does: prepare (resolve the agent,
    /// check the request against the schema, compute the relevance key),
    /// reuse the outcome of an equal relevant request, else ask Cedar.
    pub fn decide(&self, record: &TraceRecord) -> (Principal, Arc<Outcome>) {
        match self.evaluator.prepare(record) {
            Err(u) => (u.principal, u.outcome),
            Ok(p) => {
                let mut h = rustc_hash::FxHasher::default();
                p.key.hash(&mut h);
                let shard = &self.reuse[(h.finish() as usize) % SHARDS];
                let known = shard.lock().ok().and_then(|m| m.map.get(&p.key).cloned());
                if let Some(o) = known {
                    return (p.principal, o);
                }
                let o = Arc::new(self.evaluator.decide(&p));
                let cost = entry_bytes(&p.key, &o);
                if cost <= self.shard_cap {
                    if let Ok(mut m) = shard.lock() {
                        if m.bytes + cost > self.shard_cap {
                            m.map = FxHashMap::default();
                            m.bytes = 0;
                        }
                        if m.map.insert(p.key.clone(), o.clone()).is_none() {
                            m.bytes += cost;
                        }
                    }
                }
                (p.principal, o)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_of_namespaced_types_are_not_found_by_bare_id() {
        let entities = cedar_policy::Entities::from_json_str(
            r#"[
                {"uid": {"type": "N1::Agent", "id": "x"}, "attrs": {}, "parents": []},
                {"uid": {"type": "N2::Agent", "id": "x"}, "attrs": {}, "parents": []},
                {"uid": {"type": "Agent", "id": "y"}, "attrs": {}, "parents": []}
            ]"#,
            None,
        )
        .expect("entities");
        assert_eq!(inventory_agent_ids(&entities), vec!["y".to_string()]);
        let r = Resolver::from_identities(Vec::new(), inventory_agent_ids(&entities));
        let p1 = r.resolve("N1::Agent::\"x\"");
        let p2 = r.resolve("N2::Agent::\"x\"");
        assert_ne!(p1.ty, p2.ty);
    }
}
