//! Bundles: the manifest, building one from a checked project, writing it
//! as a folder or a `.tar.gz`, reading either safely, and verifying it.

use crate::dsse::{self, Envelope};
use crate::error::{BundleError, VerifyError};
use crate::format::PAYLOAD_TYPE;
use crate::keys;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use crate::format::{FORMAT, MIN_FORMAT};
/// The longest channel name.
pub const MAX_CHANNEL_BYTES: usize = 64;
/// The largest tar extension header (GNU long name or link, PAX record
/// set) a bundle archive may hold; a larger one is refused before it is read.
pub const MAX_EXTENSION_HEADER_BYTES: u64 = 64 * 1024;
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The signature envelope's file name.
pub const SIGNATURE: &str = "signature.dsse.json";
/// The policies' file name.
pub const POLICIES: &str = "policies.cedar";
/// The schema's file name.
pub const SCHEMA: &str = "schema.cedarschema";
/// The entities' file name.
pub const ENTITIES: &str = "entities.json";
/// The template links' file name (the Cedar CLI's links format; only in
/// bundles of projects that link templates).
pub const LINKS: &str = "links.json";
/// The identity map's file name: workload identity to agent id. Optional
/// when read (bundles made before it existed do not have it).
pub const IDENTITIES: &str = "identities.json";
/// The largest file a bundle may hold when read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The largest total a bundle may hold when read.
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;
/// The most entries a bundle may hold when read.
pub const MAX_ENTRIES: usize = 64;

/// One approval of the bundled version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Who approved.
    pub approver: String,
    /// When (RFC 3339).
    pub at: String,
    /// Their comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The exporting workspace's audit trail as it was before the bundle's own
/// export event: its newest event's hash and the number of events. Signed
/// with the manifest, so `writ audit verify --bundle` detects a trail later
/// truncated, wiped or rewritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditMark {
    /// The newest event's hash.
    pub head: String,
    /// The number of events.
    pub count: u64,
}

/// `manifest.json`: what the signature covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The bundle format ([`FORMAT`]).
    pub format: u32,
    /// The release channel (`prod`, `staging`, ...); format 2 and later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The bundle's sequence number in its channel, allocated by the
    /// workspace and increasing with every export; format 2 and later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// The workspace's audit head and count before this export, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditMark>,
    /// The policy version's id in the workspace.
    pub policy_version: String,
    /// When the bundle was made (RFC 3339).
    pub created: String,
    /// When it stops being valid (RFC 3339), if ever.
    pub expires: Option<String>,
    /// The signing key's id.
    pub key_id: String,
    /// The version's approvals, as the workspace recorded them.
    pub approvals: Vec<Approval>,
    /// The signed review statements of the approved round (the author's
    /// submission, then each approval; see [`crate::approval`]), checked
    /// against approver keys by [`crate::bundle_review::check`]. Empty for
    /// a version reviewed before signatures were required.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signed_review: Vec<crate::dsse::Envelope>,
    /// Every other file (not the manifest, not the signature): name to
    /// lower-case hex SHA-256.
    pub files: BTreeMap<String, String>,
}

/// What a bundle is made of.
#[derive(Debug, Clone)]
pub struct BundleInputs {
    /// The policy version id.
    pub policy_version: String,
    /// The policies' text (see [`policies_text`]).
    pub policies: String,
    /// The schema in Cedar's human syntax.
    pub schema: String,
    /// The project's entities (inventory and `entities.json` merged) as
    /// Cedar entity JSON.
    pub entities: String,
    /// The template links (see [`links_text`]); `None` leaves `links.json`
    /// out.
    pub links: Option<String>,
    /// The identity map as JSON (see [`identities_text`]); `None` leaves
    /// `identities.json` out.
    pub identities: Option<String>,
    /// The approvals.
    pub approvals: Vec<Approval>,
    /// The signed review statements to carry (see
    /// [`Manifest::signed_review`]).
    pub signed_review: Vec<crate::dsse::Envelope>,
    /// The creation time (RFC 3339); never read from the clock here.
    pub created: String,
    /// The expiry time (RFC 3339).
    pub expires: Option<String>,
    /// The release channel (see [`check_channel_name`]).
    pub channel: Option<String>,
    /// The sequence number in the channel (allocated by the workspace).
    pub sequence: Option<u64>,
    /// The audit head and count to sign into the manifest.
    pub audit: Option<AuditMark>,
}

/// Checks a channel name: 1 to 64 bytes of lower-case ASCII letters,
/// digits, `-`, `_` and `.`, starting with a letter or digit.
pub fn check_channel_name(channel: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
    if channel.is_empty() || channel.len() > MAX_CHANNEL_BYTES {
        return Err(format!(
            "channel `{channel}` must be 1 to {MAX_CHANNEL_BYTES} bytes long"
        ));
    }
    if !channel.chars().all(ok_char) || !channel.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "channel `{channel}` may hold only lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit (e.g. prod, staging)"
        ));
    }
    Ok(())
}

/// A bundle in memory: file name to bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The files, by name.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Every policy of the project, then every template, in catalogue order,
/// each with its `@id` (added in front of the policy when its source has
/// none, so the bundle names policies as Writ does).
pub fn policies_text(project: &writ_core::project::Project) -> String {
    let mut out = String::new();
    let templates = project.policies.templates.iter().map(|t| &t.info);
    for p in project.policies.policies.iter().chain(templates) {
        if !out.is_empty() {
            out.push('\n');
        }
        if !p.annotations.contains_key("id") {
            out.push_str(&format!(
                "@id({})\n",
                serde_json::Value::from(p.id.as_str())
            ));
        }
        out.push_str(p.text.trim_end());
        out.push('\n');
    }
    out
}

/// The project's Cedar entities (the inventory's and `entities.json`'s) as
/// pretty JSON text.
pub fn entities_text(project: &writ_core::project::Project) -> String {
    let json = writ_core::entity_data::project_entities_json(project);
    let mut s = serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

/// The project's template links in the Cedar CLI's format (template ids as
/// Writ ids), or `None` when it links no template.
pub fn links_text(project: &writ_core::project::Project) -> Option<String> {
    if project.policies.links.is_empty() {
        return None;
    }
    let json = writ_core::links::to_links_json(&project.policies);
    let mut s = serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    Some(s)
}

/// The inventory's identity map as pretty JSON text: an object from every
/// workload identity an agent declares (`spiffe://...`,
/// `oidc:<issuer>|<subject>`) to that agent's inventory id, keys sorted.
pub fn identities_text(project: &writ_core::project::Project) -> String {
    let map = writ_core::resolve::Resolver::identity_map(&project.inventory);
    let mut s = serde_json::to_string_pretty(&map).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Bundle inputs from a project that checked without errors.
pub fn inputs_from_project(
    policy_version: &str,
    project: &writ_core::project::Project,
    approvals: Vec<Approval>,
    created: &str,
    expires: Option<String>,
) -> BundleInputs {
    BundleInputs {
        policy_version: policy_version.to_string(),
        policies: policies_text(project),
        schema: project.schema.cedarschema_text.clone(),
        entities: entities_text(project),
        links: links_text(project),
        identities: Some(identities_text(project)),
        approvals,
        signed_review: Vec::new(),
        created: created.to_string(),
        expires,
        channel: None,
        sequence: None,
        audit: None,
    }
}

/// Parses an RFC 3339 time.
pub fn parse_time(text: &str) -> Result<OffsetDateTime, BundleError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
        BundleError::Time(format!(
            "`{text}` is not an RFC 3339 time ({e}); write e.g. 2026-11-30T12:00:00Z"
        ))
    })
}

/// Formats a time as RFC 3339 in UTC with milliseconds.
pub fn format_time(t: OffsetDateTime) -> String {
    writ_base::time::utc_millis(t)
}

/// Parses a duration such as `30d`, `12h`, `90m`, `45s` or `2w`.
pub fn parse_duration(text: &str) -> Result<time::Duration, BundleError> {
    let bad = || {
        BundleError::Time(format!(
            "`{text}` is not a duration; write a number and a unit: 30d, 12h, 90m, 45s or 2w"
        ))
    };
    let t = text.trim();
    let unit = t.chars().last().ok_or_else(bad)?;
    let n: i64 = t[..t.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    Ok(match unit {
        's' => time::Duration::seconds(n),
        'm' => time::Duration::minutes(n),
        'h' => time::Duration::hours(n),
        'd' => time::Duration::days(n),
        'w' => time::Duration::weeks(n),
        _ => return Err(bad()),
    })
}

fn pretty<T: Serialize>(v: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(v).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The files a bundle of `inputs` ships besides its manifest and
/// signature, by name.
fn content_files(inputs: &BundleInputs) -> BTreeMap<String, Vec<u8>> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert(POLICIES.into(), inputs.policies.clone().into_bytes());
    files.insert(SCHEMA.into(), inputs.schema.clone().into_bytes());
    files.insert(ENTITIES.into(), inputs.entities.clone().into_bytes());
    if let Some(identities) = &inputs.identities {
        files.insert(IDENTITIES.into(), identities.clone().into_bytes());
    }
    if let Some(links) = &inputs.links {
        files.insert(LINKS.into(), links.clone().into_bytes());
    }
    files
}

/// The payload digest of a bundle whose content files have these SHA-256
/// hashes (file name to hex, as the manifest's `files`): the SHA-256 (hex)
/// of the canonical JSON (RFC 8785) `{"files": {name: hash, ...}}`. It
/// covers what the bundle decides with (policies, schema, entities,
/// links, identities) and nothing that changes from one export of the
/// same version to the next (times, channel, sequence, approvals, key), so
/// an approval can bind it before the bundle exists
/// ([`BundleInputs::payload_digest`]) and a verifier can recompute it from
/// the manifest ([`Manifest::payload_digest`]).
pub fn payload_digest(file_hashes: &BTreeMap<String, String>) -> Result<String, BundleError> {
    #[derive(Serialize)]
    struct Payload<'a> {
        files: &'a BTreeMap<String, String>,
    }
    let canonical = serde_jcs::to_vec(&Payload { files: file_hashes })
        .map_err(|e| BundleError::Invalid(format!("the payload digest cannot be computed: {e}")))?;
    Ok(writ_base::sha256_hex(&canonical))
}

impl BundleInputs {
    /// The payload digest the bundle built from these inputs will have
    /// (see [`payload_digest`]), without signing anything.
    pub fn payload_digest(&self) -> Result<String, BundleError> {
        let hashes = content_files(self)
            .iter()
            .map(|(name, bytes)| (name.clone(), writ_base::sha256_hex(bytes)))
            .collect();
        payload_digest(&hashes)
    }
}

impl Manifest {
    /// The payload digest of the bundle this manifest signs, recomputed
    /// from its file hashes (see [`payload_digest`]).
    pub fn payload_digest(&self) -> Result<String, BundleError> {
        payload_digest(&self.files)
    }
}

/// Builds and signs a bundle. Deterministic: the same inputs and key give
/// the same bytes.
pub fn build(inputs: &BundleInputs, key: &SigningKey) -> Result<Bundle, BundleError> {
    let created = parse_time(&inputs.created)?;
    if let Some(e) = &inputs.expires {
        if parse_time(e)? <= created {
            return Err(BundleError::Time(format!(
                "the expiry {e} is not after the creation time {}",
                inputs.created
            )));
        }
    }
    if let Some(c) = &inputs.channel {
        check_channel_name(c).map_err(BundleError::Invalid)?;
    }
    if inputs.sequence == Some(0) {
        return Err(BundleError::Invalid("a bundle sequence starts at 1".into()));
    }
    let mut files = content_files(inputs);
    let manifest = Manifest {
        format: FORMAT,
        channel: inputs.channel.clone(),
        sequence: inputs.sequence,
        audit: inputs.audit.clone(),
        policy_version: inputs.policy_version.clone(),
        created: inputs.created.clone(),
        expires: inputs.expires.clone(),
        key_id: keys::key_id(&key.verifying_key()),
        approvals: inputs.approvals.clone(),
        signed_review: inputs.signed_review.clone(),
        files: files
            .iter()
            .map(|(name, bytes)| (name.clone(), writ_base::sha256_hex(bytes)))
            .collect(),
    };
    let manifest_bytes = pretty(&manifest);
    let envelope = dsse::sign(&manifest_bytes, key);
    files.insert(MANIFEST.into(), manifest_bytes);
    files.insert(SIGNATURE.into(), pretty(&envelope));
    Ok(Bundle { files })
}

impl Bundle {
    /// The bundle's digest: the SHA-256 of `manifest.json`, which names
    /// every other file's hash.
    pub fn digest(&self) -> String {
        writ_base::sha256_hex(self.files.get(MANIFEST).map_or(&[][..], |b| b))
    }

    /// Writes the files into a new folder `dir` (which must not exist):
    /// written into a temporary folder beside it, then renamed.
    pub fn write_dir(&self, dir: &Path) -> Result<(), BundleError> {
        if dir.symlink_metadata().is_ok() {
            return Err(BundleError::Exists(dir.to_path_buf()));
        }
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let staging = parent.join(format!(
            ".{}.writ-bundle-{}",
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| BundleError::Io { path, source }
        };
        let result = (|| -> Result<(), BundleError> {
            std::fs::create_dir(&staging).map_err(io(&staging))?;
            for (name, bytes) in &self.files {
                let p = staging.join(name);
                std::fs::write(&p, bytes).map_err(io(&p))?;
            }
            std::fs::rename(&staging, dir).map_err(io(dir))
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    }

    /// The bundle as `.tar.gz` bytes: entries sorted by name, mode 0644,
    /// uid and gid 0, no owner names, mtime 0; a gzip header without time
    /// or name.
    pub fn archive_bytes(&self) -> Vec<u8> {
        let gz = flate2::GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(Vec::new(), flate2::Compression::new(6));
        let mut tar = tar::Builder::new(gz);
        tar.mode(tar::HeaderMode::Deterministic);
        for (name, bytes) in &self.files {
            let mut h = tar::Header::new_ustar();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(0);
            // Names are fixed ASCII file names; these cannot fail.
            let _ = h.set_path(name);
            h.set_cksum();
            let _ = tar.append(&h, bytes.as_slice());
        }
        let gz = tar.into_inner().expect("writing to memory cannot fail");
        gz.finish().expect("writing to memory cannot fail")
    }

    /// Writes the bundle as a new `.tar.gz` file (refusing to overwrite).
    pub fn write_archive(&self, path: &Path) -> Result<(), BundleError> {
        use std::io::Write as _;
        let bytes = self.archive_bytes();
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    BundleError::Exists(path.to_path_buf())
                } else {
                    BundleError::Io {
                        path: path.to_path_buf(),
                        source: e,
                    }
                }
            })?;
        f.write_all(&bytes)
            .and_then(|()| f.sync_all())
            .map_err(|source| BundleError::Io {
                path: path.to_path_buf(),
                source,
            })
    }
}

fn check_name(name: &str) -> Result<(), VerifyError> {
    let unsafe_entry = |reason: &str| VerifyError::UnsafeEntry {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    let p = Path::new(name);
    if p.is_absolute() || name.starts_with('/') || name.starts_with('\\') {
        return Err(unsafe_entry("absolute path"));
    }
    let comps: Vec<Component<'_>> = p.components().collect();
    if comps.iter().any(|c| matches!(c, Component::ParentDir)) {
        return Err(unsafe_entry("path with `..`"));
    }
    if comps.len() != 1 || !matches!(comps[0], Component::Normal(_)) || name.contains('\\') {
        return Err(unsafe_entry("not a plain file name at the top level"));
    }
    Ok(())
}

/// Reads a bundle folder or `.tar.gz` into memory, refusing unsafe entries
/// (`..`, absolute paths, sub-folders, links, anything but a regular file)
/// and oversized content. Nothing is written to disk.
pub fn read(path: &Path) -> Result<Bundle, VerifyError> {
    read_from(path, None)
}

/// Reads a `.tar.gz` bundle held in memory, with the checks of [`read`]
/// (errors name `<memory>` as the path). For callers that already hold
/// the bytes, and for fuzzing.
pub fn read_archive_bytes(bytes: &[u8]) -> Result<Bundle, VerifyError> {
    read_from(Path::new("<memory>"), Some(bytes))
}

fn read_from(path: &Path, in_memory: Option<&[u8]>) -> Result<Bundle, VerifyError> {
    let unreadable = |detail: String| VerifyError::Unreadable {
        path: path.to_path_buf(),
        detail,
    };
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    let mut add = |name: String, size: u64| -> Result<(), VerifyError> {
        if files_len_check(size, &mut total)? {
            Ok(())
        } else {
            Err(VerifyError::TooLarge(format!("`{name}` is {size} bytes")))
        }
    };
    let is_dir = match in_memory {
        Some(_) => false,
        None => std::fs::metadata(path)
            .map_err(|e| unreadable(e.to_string()))?
            .is_dir(),
    };
    if is_dir {
        let entries = std::fs::read_dir(path).map_err(|e| unreadable(e.to_string()))?;
        let mut count = 0;
        for entry in entries {
            let entry = entry.map_err(|e| unreadable(e.to_string()))?;
            count += 1;
            if count > MAX_ENTRIES {
                return Err(VerifyError::TooLarge(format!(
                    "more than {MAX_ENTRIES} entries"
                )));
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            check_name(&name)?;
            let m = entry
                .path()
                .symlink_metadata()
                .map_err(|e| unreadable(e.to_string()))?;
            if !m.file_type().is_file() {
                return Err(VerifyError::UnsafeEntry {
                    name,
                    reason: "not a regular file (a folder, link or device)".into(),
                });
            }
            add(name.clone(), m.len())?;
            let bytes = std::fs::read(entry.path()).map_err(|e| unreadable(e.to_string()))?;
            files.insert(name, bytes);
        }
    } else {
        scan_extension_headers(path, in_memory)?;
        let f: Box<dyn std::io::Read + '_> = match in_memory {
            Some(bytes) => Box::new(bytes),
            None => Box::new(std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?),
        };
        let gz = flate2::read::GzDecoder::new(f);
        let mut archive = tar::Archive::new(gz);
        let entries = archive
            .entries()
            .map_err(|e| unreadable(format!("not a .tar.gz archive ({e})")))?;
        let mut count = 0;
        for entry in entries {
            let mut entry = entry.map_err(|e| unreadable(format!("damaged archive ({e})")))?;
            count += 1;
            if count > MAX_ENTRIES {
                return Err(VerifyError::TooLarge(format!(
                    "more than {MAX_ENTRIES} entries"
                )));
            }
            let raw = entry.path_bytes().into_owned();
            let name = String::from_utf8_lossy(&raw).into_owned();
            check_name(&name)?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                return Err(VerifyError::UnsafeEntry {
                    name,
                    reason: format!(
                        "not a regular file (entry type {:?})",
                        entry.header().entry_type()
                    ),
                });
            }
            let size = entry
                .header()
                .size()
                .map_err(|e| unreadable(e.to_string()))?;
            add(name.clone(), size)?;
            let mut bytes = Vec::with_capacity(size as usize);
            (&mut entry)
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| unreadable(format!("damaged archive ({e})")))?;
            if bytes.len() as u64 != size {
                return Err(unreadable(format!("entry `{name}` is truncated")));
            }
            if files.insert(name.clone(), bytes).is_some() {
                return Err(VerifyError::UnsafeEntry {
                    name,
                    reason: "the archive holds this name twice".into(),
                });
            }
        }
    }
    Ok(Bundle { files })
}

/// Looks at every raw header of a `.tar.gz` (without reading any entry's
/// content into memory) and refuses extension headers (GNU long name or
/// long link, PAX) larger than [`MAX_EXTENSION_HEADER_BYTES`], and
/// archives of more than a few times [`MAX_ENTRIES`] raw entries. The tar
/// reader would otherwise read such a header whole into memory before any
/// other limit applies.
fn scan_extension_headers(path: &Path, in_memory: Option<&[u8]>) -> Result<(), VerifyError> {
    let unreadable = |detail: String| VerifyError::Unreadable {
        path: path.to_path_buf(),
        detail,
    };
    let f: Box<dyn std::io::Read + '_> = match in_memory {
        Some(bytes) => Box::new(bytes),
        None => Box::new(std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?),
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let entries = archive
        .entries()
        .map_err(|e| unreadable(format!("not a .tar.gz archive ({e})")))?
        .raw(true);
    for (i, entry) in entries.enumerate() {
        if i >= MAX_ENTRIES * 4 {
            return Err(VerifyError::TooLarge(format!(
                "more than {} raw archive entries",
                MAX_ENTRIES * 4
            )));
        }
        let entry = entry.map_err(|e| unreadable(format!("damaged archive ({e})")))?;
        let h = entry.header();
        let t = h.entry_type();
        if t.is_gnu_longname()
            || t.is_gnu_longlink()
            || t.is_pax_local_extensions()
            || t.is_pax_global_extensions()
        {
            let size = h.size().map_err(|e| unreadable(e.to_string()))?;
            if size > MAX_EXTENSION_HEADER_BYTES {
                return Err(VerifyError::TooLarge(format!(
                    "an archive extension header (entry type {t:?}) of {size} bytes; at most {MAX_EXTENSION_HEADER_BYTES} are accepted"
                )));
            }
        }
    }
    Ok(())
}

fn files_len_check(size: u64, total: &mut u64) -> Result<bool, VerifyError> {
    if size > MAX_FILE_BYTES {
        return Ok(false);
    }
    *total += size;
    if *total > MAX_TOTAL_BYTES {
        return Err(VerifyError::TooLarge(format!(
            "more than {MAX_TOTAL_BYTES} bytes in all"
        )));
    }
    Ok(true)
}

/// A bundle that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Its manifest.
    pub manifest: Manifest,
    /// The trusted key that signed it.
    pub key_id: String,
    /// Its digest (see [`Bundle::digest`]).
    pub digest: String,
}

/// A trusted public key with its id.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// The key id.
    pub key_id: String,
    /// The key.
    pub key: VerifyingKey,
}

impl TrustedKey {
    /// Wraps a key, computing its id.
    pub fn new(key: VerifyingKey) -> TrustedKey {
        TrustedKey {
            key_id: keys::key_id(&key),
            key,
        }
    }
}

/// Verifies a bundle against trusted keys at time `at`: the envelope's
/// payload type, a signature by a trusted key (matched by key id, so
/// several keys can be trusted while keys rotate), `manifest.json` equal
/// to the signed payload, no file missing or extra, every hash, and the
/// validity period.
pub fn verify(
    bundle: &Bundle,
    trusted: &[TrustedKey],
    at: OffsetDateTime,
) -> Result<Verified, VerifyError> {
    let sig_bytes = bundle
        .files
        .get(SIGNATURE)
        .ok_or_else(|| VerifyError::MissingFile(SIGNATURE.into()))?;
    let envelope: Envelope =
        serde_json::from_slice(sig_bytes).map_err(|e| VerifyError::Malformed {
            file: SIGNATURE.into(),
            detail: e.to_string(),
        })?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(VerifyError::WrongPayloadType {
            found: envelope.payload_type,
        });
    }
    let body = envelope
        .payload_bytes()
        .ok_or_else(|| VerifyError::Malformed {
            file: SIGNATURE.into(),
            detail: "the payload is not base64".into(),
        })?;
    let mut by_trusted = envelope
        .signatures
        .iter()
        .filter_map(|s| trusted.iter().find(|t| t.key_id == s.keyid).map(|t| (s, t)))
        .peekable();
    if by_trusted.peek().is_none() {
        return Err(VerifyError::UntrustedKey {
            key_ids: envelope
                .signatures
                .iter()
                .map(|s| s.keyid.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            trusted: trusted
                .iter()
                .map(|t| t.key_id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut signer = None;
    let mut failed = String::new();
    for (s, t) in by_trusted {
        if dsse::verify_signature(&envelope.payload_type, &body, &s.sig, &t.key) {
            signer = Some(t.key_id.clone());
            break;
        }
        failed = s.keyid.clone();
    }
    let key_id = signer.ok_or(VerifyError::BadSignature { key_id: failed })?;
    let manifest_file = bundle
        .files
        .get(MANIFEST)
        .ok_or_else(|| VerifyError::MissingFile(MANIFEST.into()))?;
    if manifest_file != &body {
        return Err(VerifyError::ManifestMismatch);
    }
    let manifest: Manifest = serde_json::from_slice(&body).map_err(|e| VerifyError::Malformed {
        file: MANIFEST.into(),
        detail: e.to_string(),
    })?;
    if !(MIN_FORMAT..=FORMAT).contains(&manifest.format) {
        return Err(VerifyError::UnsupportedFormat(manifest.format));
    }
    if manifest.format < 2
        && (manifest.channel.is_some() || manifest.sequence.is_some() || manifest.audit.is_some())
    {
        return Err(VerifyError::Malformed {
            file: MANIFEST.into(),
            detail: format!(
                "format {} has no `channel`, `sequence` or `audit` fields",
                manifest.format
            ),
        });
    }
    if let Some(c) = &manifest.channel {
        check_channel_name(c).map_err(|detail| VerifyError::Malformed {
            file: MANIFEST.into(),
            detail,
        })?;
    }
    if manifest.sequence == Some(0) {
        return Err(VerifyError::Malformed {
            file: MANIFEST.into(),
            detail: "its sequence is 0; sequences start at 1".into(),
        });
    }
    for required in [POLICIES, SCHEMA, ENTITIES] {
        if !manifest.files.contains_key(required) {
            return Err(VerifyError::Malformed {
                file: MANIFEST.into(),
                detail: format!("it does not list `{required}`"),
            });
        }
    }
    for name in manifest.files.keys() {
        if name == MANIFEST || name == SIGNATURE {
            return Err(VerifyError::Malformed {
                file: MANIFEST.into(),
                detail: format!("it lists `{name}`"),
            });
        }
        if !bundle.files.contains_key(name) {
            return Err(VerifyError::MissingFile(name.clone()));
        }
    }
    for name in bundle.files.keys() {
        if name != MANIFEST && name != SIGNATURE && !manifest.files.contains_key(name) {
            return Err(VerifyError::ExtraFile(name.clone()));
        }
    }
    for (name, expected) in &manifest.files {
        let actual = writ_base::sha256_hex(&bundle.files[name]);
        if &actual != expected {
            return Err(VerifyError::HashMismatch {
                file: name.clone(),
                expected: expected.clone(),
                actual,
            });
        }
    }
    let bad_time = |field: &str, v: &str| VerifyError::Malformed {
        file: MANIFEST.into(),
        detail: format!("its {field} `{v}` is not an RFC 3339 time"),
    };
    let created = OffsetDateTime::parse(&manifest.created, &Rfc3339)
        .map_err(|_| bad_time("created", &manifest.created))?;
    if created > at {
        return Err(VerifyError::NotYetValid {
            created: manifest.created.clone(),
            at: format_time(at),
        });
    }
    if let Some(e) = &manifest.expires {
        let expires = OffsetDateTime::parse(e, &Rfc3339).map_err(|_| bad_time("expires", e))?;
        if expires <= at {
            return Err(VerifyError::Expired {
                expires: e.clone(),
                at: format_time(at),
            });
        }
    }
    Ok(Verified {
        digest: bundle.digest(),
        manifest,
        key_id,
    })
}

/// What a deployment expects of a bundle's release channel: its name and
/// the lowest sequence it still accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelExpectation {
    /// The channel the bundle must belong to.
    pub channel: String,
    /// The lowest acceptable sequence (`None`: any).
    pub min_sequence: Option<u64>,
}

/// Checks a verified manifest against a channel expectation: format
/// [`FORMAT`] or later, the same channel, a sequence, at least
/// `min_sequence`. This is what refuses a rolled-back bundle.
pub fn check_channel(m: &Manifest, want: &ChannelExpectation) -> Result<(), VerifyError> {
    if m.format < 2 {
        return Err(VerifyError::Channel {
            expected: want.channel.clone(),
            detail: format!(
                "it is a format {} bundle, which has no channel or sequence; export it again in channel `{}`",
                m.format, want.channel
            ),
        });
    }
    match &m.channel {
        Some(c) if *c == want.channel => {}
        Some(c) => {
            return Err(VerifyError::Channel {
                expected: want.channel.clone(),
                detail: format!("it belongs to channel `{c}`"),
            })
        }
        None => {
            return Err(VerifyError::Channel {
                expected: want.channel.clone(),
                detail: "it names no channel".into(),
            })
        }
    }
    let Some(seq) = m.sequence else {
        return Err(VerifyError::Channel {
            expected: want.channel.clone(),
            detail: "it carries no sequence number".into(),
        });
    };
    if let Some(min) = want.min_sequence {
        if seq < min {
            return Err(VerifyError::Rollback {
                channel: want.channel.clone(),
                sequence: seq,
                detail: format!("the lowest accepted sequence is {min}"),
            });
        }
    }
    Ok(())
}

/// Reads the trusted public keys from SPKI PEM files.
pub fn read_trusted(paths: &[PathBuf]) -> Result<Vec<TrustedKey>, BundleError> {
    paths
        .iter()
        .map(|p| keys::read_public(p).map(TrustedKey::new))
        .collect()
}
