//! The bundled sample workspace: the ACME organisation's two policy
//! versions, its recorded trace and its scenario suites, embedded in the
//! binary so `writ init --sample` and the desktop app's first start need
//! no other files.

use crate::error::{Result, StoreError};
use crate::workspace::Workspace;
use std::path::{Path, PathBuf};
use writ_core::project::{ProjectFile, ProjectFiles};

macro_rules! sample_file {
    ($version:literal, $path:literal) => {
        (
            $path,
            include_str!(concat!("../../../sample-policies/", $version, "/", $path)),
        )
    };
}

const V1: &[(&str, &str)] = &[
    sample_file!("v1", "schema.cedarschema"),
    sample_file!("v1", "inventory.toml"),
    sample_file!("v1", "policies/baseline.cedar"),
    sample_file!("v1", "policies/data.cedar"),
    sample_file!("v1", "policies/risk.cedar"),
    sample_file!("v1", "policies/teams.cedar"),
];

const V2: &[(&str, &str)] = &[
    sample_file!("v2", "schema.cedarschema"),
    sample_file!("v2", "inventory.toml"),
    sample_file!("v2", "policies/baseline.cedar"),
    sample_file!("v2", "policies/data.cedar"),
    sample_file!("v2", "policies/finance.cedar"),
    sample_file!("v2", "policies/risk.cedar"),
    sample_file!("v2", "policies/teams.cedar"),
];

/// The recorded trace of the sample organisation.
pub const RECORDED_TRACE: &str = include_str!("../../../scenarios/traces/recorded.jsonl");

/// The sample's scenario suites: (name, index of the version they are
/// bound to in [`sample_projects`], text). All are bound to the recorded set.
pub const SUITES: &[(&str, usize, &str)] = &[
    (
        "v1-baseline",
        0,
        include_str!("../../../scenarios/v1-baseline.toml"),
    ),
    (
        "v2-guardrails",
        1,
        include_str!("../../../scenarios/v2-guardrails.toml"),
    ),
    (
        "v2-step-up",
        1,
        include_str!("../../../scenarios/v2-step-up.toml"),
    ),
];

fn project(name: &str, files: &[(&str, &str)]) -> ProjectFiles {
    let mut p = ProjectFiles::default();
    for (path, text) in files {
        let f = ProjectFile {
            relative: path.to_string(),
            shown: PathBuf::from(format!("sample/{name}/{path}")),
            text: text.to_string(),
        };
        p.place(f);
    }
    p
}

/// The sample's project versions, `v1` then `v2`.
pub fn sample_projects() -> [(&'static str, ProjectFiles); 2] {
    [("v1", project("v1", V1)), ("v2", project("v2", V2))]
}

/// What [`create_sample`] made.
#[derive(Debug, Clone)]
pub struct SampleWorkspace {
    /// The version ids of v1 and v2.
    pub versions: [String; 2],
    /// The trace set id.
    pub set: i64,
    /// The run ids of v1 and v2 over the trace.
    pub runs: [i64; 2],
    /// The names of the scenario suites stored.
    pub suites: Vec<String>,
    /// The demo approver keys written beside the workspace, registered in it.
    pub keys: Vec<DemoKey>,
}

/// A demo approver key of the sample's people.
#[derive(Debug, Clone)]
pub struct DemoKey {
    /// The person (`alice`, `bob`, `carol`).
    pub name: String,
    /// The private key file (PKCS#8 PEM, mode 0600).
    pub private: PathBuf,
    /// The public key file (SPKI PEM).
    pub public: PathBuf,
    /// The key id.
    pub key_id: String,
}

/// The sample's people, who get demo approver keys.
pub const DEMO_PEOPLE: [&str; 3] = ["alice", "bob", "carol"];

/// Where [`create_sample`] writes the demo keys of the workspace at
/// `path`: the folder `PATH.keys` beside it.
pub fn demo_keys_dir(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".keys");
    PathBuf::from(p)
}

/// Writes a key pair for each of [`DEMO_PEOPLE`] into the new folder `dir`
/// and registers them as approvers of `ws` (alice first, vouching for
/// herself as the first key, then for bob and carol).
fn write_demo_keys(ws: &mut Workspace, dir: &Path) -> Result<Vec<DemoKey>> {
    std::fs::create_dir(dir).map_err(|source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out: Vec<DemoKey> = Vec::new();
    let mut first: Option<ed25519_dalek::SigningKey> = None;
    for name in DEMO_PEOPLE {
        let files = writ_bundle::keys::generate_files(&dir.join(name))
            .map_err(|e| StoreError::Damaged(format!("cannot write demo key {name}: {e}")))?;
        let key = &files.key;
        let by = first.get_or_insert_with(|| key.clone()).clone();
        ws.register_approver(name, &key.verifying_key(), &by)?;
        out.push(DemoKey {
            name: name.to_string(),
            private: files.private,
            public: files.public,
            key_id: files.key_id,
        });
    }
    Ok(out)
}

/// Creates a workspace at `path` holding the sample: demo approver keys
/// for alice, bob and carol written to [`demo_keys_dir`] and registered,
/// both versions committed, the recorded trace imported, a run of each version, and
/// the scenario suites of `scenarios/` bound to their version and the trace.
/// On any failure the half-made file is removed.
pub fn create_sample(path: &Path, actor: &str) -> Result<SampleWorkspace> {
    if path.exists() {
        return Err(StoreError::PathExists {
            path: path.to_path_buf(),
            what: "sample workspace",
        });
    }
    let keys_dir = demo_keys_dir(path);
    if keys_dir.symlink_metadata().is_ok() {
        return Err(StoreError::PathExists {
            path: keys_dir,
            what: "demo key folder",
        });
    }
    let result = (|| {
        let mut ws = Workspace::create(path)?;
        let keys = write_demo_keys(&mut ws, &keys_dir)?;
        let mut versions = Vec::new();
        for (name, files) in sample_projects() {
            let id = ws.commit_version(
                &files,
                actor,
                &format!("sample organisation, policy version {name}"),
            )?;
            versions.push(id.id().to_string());
        }
        let set = ws
            .import_trace_reader(
                RECORDED_TRACE.as_bytes(),
                &writ_base::sha256_hex(RECORDED_TRACE.as_bytes()),
                "sample: scenarios/traces/recorded.jsonl",
                "recorded",
                actor,
                &|_| {},
            )?
            .set
            .id;
        let r1 = ws.store_run(&versions[0], &set.to_string(), actor, &|_| {})?;
        let r2 = ws.store_run(&versions[1], &set.to_string(), actor, &|_| {})?;
        for (name, version, text) in SUITES {
            let source = format!("sample: scenarios/{name}.toml");
            ws.add_suite(
                &crate::suites::NewSuite {
                    name,
                    text,
                    source: &source,
                    version: Some(&versions[*version]),
                    traces: Some(&set.to_string()),
                },
                actor,
            )?;
        }
        Ok(SampleWorkspace {
            versions: [versions[0].clone(), versions[1].clone()],
            set,
            runs: [r1.id, r2.id],
            suites: SUITES.iter().map(|(name, _, _)| name.to_string()).collect(),
            keys,
        })
    })();
    if result.is_err() {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
        let _ = std::fs::remove_dir_all(&keys_dir);
    }
    result
}
