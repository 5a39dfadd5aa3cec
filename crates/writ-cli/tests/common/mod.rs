//! Helpers shared by the end-to-end tests of the `writ` binary (the
//! modules of `tests/tests.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where `sample-policies/` and `scenarios/` are).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path as `&str`, for command arguments.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs `writ` in the repository root with no workspace from the
/// environment (`WRIT_WORKSPACE` and `WRIT_USER` removed; `USER` is kept).
pub fn writ(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(args)
        .current_dir(root())
        .env_remove("WRIT_WORKSPACE")
        .env_remove("WRIT_USER")
        .env_remove("WRIT_KEY")
        .output()
        .expect("writ runs")
}

/// Runs `writ` in `dir` with no workspace, user or approver key from the
/// environment (`WRIT_WORKSPACE`, `WRIT_USER`, `USER` and `WRIT_KEY`
/// removed), so that a command without `--as` has nobody acting.
pub fn writ_in(dir: &Path, args: &[&str]) -> Output {
    writ_in_with_key(dir, args, None)
}

/// [`writ_in`] with `$WRIT_KEY` set to `key` when given.
pub fn writ_in_with_key(dir: &Path, args: &[&str], key: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("WRIT_WORKSPACE")
        .env_remove("WRIT_USER")
        .env_remove("USER")
        .env_remove("WRIT_KEY");
    if let Some(k) = key {
        cmd.env("WRIT_KEY", k);
    }
    cmd.output().expect("writ runs")
}

/// Runs `writ` in the repository root with the environment untouched (for
/// the commands that read no workspace and need no user).
pub fn writ_keeping_env(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("writ runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Both streams, labelled, for assertion messages.
pub fn both(o: &Output) -> String {
    format!("--- stdout\n{}--- stderr\n{}", stdout(o), stderr(o))
}

/// Asserts success; returns stdout.
pub fn ok(o: Output) -> String {
    assert!(o.status.success(), "expected success:\n{}", both(&o));
    stdout(&o)
}

/// Asserts exit code 1; returns stdout and stderr.
pub fn fails(o: Output) -> (String, String) {
    assert_eq!(o.status.code(), Some(1), "expected exit 1:\n{}", both(&o));
    (stdout(&o), stderr(&o))
}

/// Asserts the exit code; returns stderr.
pub fn exits(o: Output, code: i32) -> String {
    assert_eq!(
        o.status.code(),
        Some(code),
        "expected exit {code}:\n{}",
        both(&o)
    );
    stderr(&o)
}

/// Asserts success; returns stdout parsed as JSON.
pub fn json(o: Output) -> serde_json::Value {
    let text = ok(o);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"))
}

/// A temporary folder and the path `name` in it (nothing is made there).
pub fn in_temp_dir(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    (dir, path)
}

/// The sample workspace `s.writ`, made by `alice` in a temporary folder,
/// with the ids of its two versions. A test module may add methods of its
/// own (`impl SampleWorkspace` there) for the commands it runs on it; all
/// modules share one crate, so their method names must differ.
pub struct SampleWorkspace {
    pub dir: tempfile::TempDir,
    /// The workspace file, `s.writ` in `dir`.
    pub file: PathBuf,
    pub v1: String,
    pub v2: String,
}

impl SampleWorkspace {
    /// Runs `writ init --sample s.writ --as alice` in a new temporary folder
    /// (with no workspace or user from the environment) and reads the
    /// version ids from `writ version list`.
    pub fn sample() -> SampleWorkspace {
        let dir = tempfile::tempdir().expect("tempdir");
        ok(writ_in(
            dir.path(),
            &["init", "--sample", "s.writ", "--as", "alice"],
        ));
        let list = ok(writ_in(
            dir.path(),
            &["--workspace", "s.writ", "version", "list"],
        ));
        // Newest first: v2 then v1.
        let ids = version_ids(&list);
        assert_eq!(ids.len(), 2, "{list}");
        SampleWorkspace {
            file: dir.path().join("s.writ"),
            v1: ids[1].clone(),
            v2: ids[0].clone(),
            dir,
        }
    }

    /// `p` in the workspace's temporary folder.
    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// `writ --workspace s.writ --as WHO ARGS`, run in the workspace's
    /// temporary folder (so relative paths in `args` are under it), with
    /// WHO's demo approver key as `$WRIT_KEY` when the sample has one (a
    /// person signs their review steps with their own key).
    pub fn by(&self, who: &str, args: &[&str]) -> Output {
        let mut all = vec!["--workspace", "s.writ", "--as", who];
        all.extend_from_slice(args);
        let key = self.demo_key(who);
        writ_in_with_key(self.dir.path(), &all, key.exists().then_some(key.as_path()))
    }

    /// The demo approver private key `writ init --sample` wrote for `who`.
    pub fn demo_key(&self, who: &str) -> PathBuf {
        self.path(&format!("s.writ.keys/{who}.pem"))
    }
}

/// The version ids in the output of `writ version list`, newest first.
pub fn version_ids(list: &str) -> Vec<String> {
    list.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Copies the folder `from` to `to`, with everything under it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}
