//! End-to-end tests of the workspace commands of the `writ` binary: `init`,
//! `version`, `traces`, `replay --version`, `runs`, `diff --runs`, `audit`,
//! stored versions wherever a project is accepted (`@VERSION`), and files
//! that are not workspaces.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{both, copy_dir, exits, in_temp_dir, json, ok, root, s, stderr, stdout, writ};

const TRACE: &str = "scenarios/traces/recorded.jsonl";
const V1: &str = "sample-policies/v1";
const V2: &str = "sample-policies/v2";

/// Asserts exit code 1; returns stderr.
fn fails(o: Output) -> String {
    exits(o, 1)
}

/// A workspace path in its own temporary folder (not created yet).
struct Ws {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Ws {
    fn new() -> Ws {
        let (dir, path) = in_temp_dir("test.writ");
        Ws { dir, path }
    }

    /// An empty workspace.
    fn init() -> Ws {
        let ws = Ws::new();
        let out = ok(writ(&["init", s(&ws.path)]));
        assert!(out.contains("created workspace"), "{out}");
        ws
    }

    /// The sample workspace; returns it with the v1 and v2 short ids.
    fn sample() -> (Ws, String, String) {
        let ws = Ws::new();
        let out = ok(writ(&["--as", "alice", "init", s(&ws.path), "--sample"]));
        let hex = |word: &str| -> String {
            after_word(&out, word)
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .collect()
        };
        let (v1, v2) = (hex("v1"), hex("v2"));
        assert_eq!(v1.len(), 12, "{out}");
        assert_eq!(v2.len(), 12, "{out}");
        (ws, v1, v2)
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--workspace", s(&self.path), "--as", "tester"];
        all.extend_from_slice(args);
        writ(&all)
    }

    fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).expect("open workspace with rusqlite")
    }

    fn audit_kinds(&self) -> Vec<String> {
        ok(self.run(&["audit", "list"]))
            .lines()
            .map(|l| {
                l.split_whitespace()
                    .nth(3)
                    .expect("kind column")
                    .to_string()
            })
            .collect()
    }
}

/// The text after the first whitespace-separated `word` in `text`.
fn after_word<'a>(text: &'a str, word: &str) -> &'a str {
    let pat = format!(" {word} ");
    let at = text
        .find(&pat)
        .unwrap_or_else(|| panic!("`{word}` in {text}"));
    &text[at + pat.len()..]
}

/// The full id `writ version show` prints on its first line.
fn shown_id(out: &str) -> String {
    let id = out
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("version "))
        .unwrap_or_else(|| panic!("`version <id>` first: {out}"))
        .trim()
        .to_string();
    assert_eq!(id.len(), 64, "{out}");
    id
}

/// The 64-hex version id in "committed version <id>" or "... version <id>;".
fn version_id_in(out: &str) -> String {
    let id: String = after_word(out, "version")
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert_eq!(id.len(), 64, "a full version id in {out}");
    id
}

/// Every file under `dir`, by '/'-separated relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("under base");
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn sample_workspace_lists_versions_trace_set_runs_and_audit_trail() {
    let (ws, v1, v2) = Ws::sample();

    let versions = ok(ws.run(&["version", "list"]));
    let rows: Vec<&str> = versions.lines().collect();
    assert_eq!(rows.len(), 2, "{versions}");
    assert!(rows[0].starts_with(&v2), "newest first: {versions}");
    assert!(rows[0].contains("alice") && rows[0].contains("policy version v2"));
    assert!(rows[1].starts_with(&v1), "{versions}");
    assert!(rows[1].contains("policy version v1"), "{versions}");

    let show = ok(ws.run(&["version", "show", &v2]));
    let v1_full = shown_id(&ok(ws.run(&["version", "show", &v1])));
    assert!(show.contains(&format!("parent   {v1_full}")), "{show}");
    assert!(show.contains("  policies/finance.cedar"), "{show}");
    let files = show.lines().skip_while(|l| *l != "files").skip(1).count();
    assert_eq!(files, 7, "v2 has 7 files: {show}");

    let sets = ok(ws.run(&["traces", "list"]));
    let rows: Vec<Vec<&str>> = sets
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 1, "{sets}");
    assert_eq!(
        &rows[0][..6],
        ["1", "recorded", "2400", "actions", "0", "bad"]
    );

    let runs = ok(ws.run(&["runs", "list"]));
    let rows: Vec<&str> = runs.lines().collect();
    assert_eq!(rows.len(), 2, "{runs}");
    for (row, (n, v)) in rows.iter().zip([("1", &v1), ("2", &v2)]) {
        let words: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(words[0], n, "{runs}");
        assert_eq!(words[2], v.as_str(), "{runs}");
        assert!(row.contains("set   1"), "{runs}");
        assert!(row.contains("2400 action(s)  by alice"), "{runs}");
    }

    assert_eq!(
        ws.audit_kinds(),
        [
            "approver.register",
            "approver.register",
            "approver.register",
            "version.commit",
            "version.commit",
            "traces.import",
            "run.store",
            "run.store",
            "suite.add",
            "suite.add",
            "suite.add"
        ]
    );
    let verify = ok(ws.run(&["audit", "verify"]));
    assert!(
        verify.contains("audit trail intact: 11 event(s)"),
        "{verify}"
    );

    // The bundled sample is the sample on disk: committing it changes nothing.
    let again = ok(ws.run(&["version", "commit", V1, "-m", "again"]));
    assert!(again.starts_with("unchanged: "), "{again}");
    assert!(version_id_in(&again).starts_with(&v1), "{again}");
    assert_eq!(ws.audit_kinds().len(), 11);
}

#[test]
fn commit_prints_the_id_then_unchanged_and_checkout_is_byte_for_byte() {
    let ws = Ws::init();
    let first = ok(ws.run(&["version", "commit", V1, "-m", "first"]));
    assert!(first.starts_with("committed version "), "{first}");
    let id = version_id_in(&first);
    let again = ok(ws.run(&["version", "commit", V1, "-m", "second"]));
    assert!(
        again.starts_with(&format!("unchanged: the content is version {id}")),
        "{again}"
    );
    let list = ok(ws.run(&["version", "list"]));
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains("tester") && list.contains("first"), "{list}");
    assert_eq!(ws.audit_kinds(), ["version.commit"]);

    let out = ws.dir.path().join("out");
    let said = ok(ws.run(&["version", "checkout", &id[..8], s(&out)]));
    assert!(said.contains(&id), "{said}");
    let original = tree(&root().join(V1));
    assert_eq!(original.len(), 6);
    assert_eq!(tree(&out), original, "checkout equals the committed folder");

    // Into a folder that is not empty: refused, the folder untouched.
    let busy = ws.dir.path().join("busy");
    std::fs::create_dir(&busy).expect("mkdir");
    std::fs::write(busy.join("keep.txt"), b"mine").expect("write");
    let err = fails(ws.run(&["version", "checkout", &id, s(&busy)]));
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(
        tree(&busy),
        BTreeMap::from([("keep.txt".to_string(), b"mine".to_vec())])
    );

    // Unusual bytes survive too: CRLF line ends, no final newline,
    // non-ASCII text, tabs and trailing spaces.
    let proj = ws.dir.path().join("crlf");
    copy_dir(&root().join(V1), &proj);
    let file = proj.join("policies/baseline.cedar");
    let text = std::fs::read_to_string(&file).expect("read");
    let odd = format!(
        "{}\r\n// café — ünïcode\t  ",
        text.replace('\n', "\r\n").trim_end()
    );
    std::fs::write(&file, odd.as_bytes()).expect("write");
    let out = ok(ws.run(&["version", "commit", s(&proj), "-m", "crlf"]));
    let id2 = version_id_in(&out);
    assert_ne!(id2, id);
    let back = ws.dir.path().join("back");
    ok(ws.run(&["version", "checkout", &id2, s(&back)]));
    assert_eq!(tree(&back), tree(&proj));
    let listed = ok(ws.run(&["version", "show", &id2]));
    assert!(listed.contains(&format!("parent   {id}")), "{listed}");
}

#[test]
fn a_project_with_errors_is_committed_only_with_allow_errors() {
    let ws = Ws::init();
    let proj = ws.dir.path().join("broken");
    copy_dir(&root().join(V1), &proj);
    let file = proj.join("policies/baseline.cedar");
    let src = std::fs::read_to_string(&file).expect("read");
    let broken = src.replacen("(principal,", "(principal ==,", 1);
    assert_ne!(src, broken, "the sample has a policy head to break");
    std::fs::write(&file, &broken).expect("write");

    let err = fails(ws.run(&["version", "commit", s(&proj), "-m", "draft"]));
    assert!(err.contains("nothing was committed"), "{err}");
    assert!(err.contains("--allow-errors"), "{err}");
    assert!(
        err.contains("baseline.cedar"),
        "the error is located: {err}"
    );
    assert_eq!(ok(ws.run(&["version", "list"])), "");
    assert!(ws.audit_kinds().is_empty());

    let out = ok(ws.run(&[
        "version",
        "commit",
        s(&proj),
        "-m",
        "draft",
        "--allow-errors",
    ]));
    let id = version_id_in(&out);
    assert_eq!(ok(ws.run(&["version", "list"])).lines().count(), 1);
    assert_eq!(ws.audit_kinds(), ["version.commit"]);
    // The stored draft still has its errors.
    let check = ws.run(&["check", &format!("@{}", &id[..10])]);
    assert_eq!(check.status.code(), Some(1), "{}", both(&check));
    assert!(
        stderr(&check).contains("baseline.cedar"),
        "{}",
        both(&check)
    );
}

/// A copy of the first `n` lines of the recorded trace with the given lines
/// (1-based) replaced.
fn trace_with(dir: &Path, name: &str, n: usize, replace: &[(usize, &str)]) -> PathBuf {
    let text = std::fs::read_to_string(root().join(TRACE)).expect("read trace");
    let mut lines: Vec<String> = text.lines().take(n).map(str::to_string).collect();
    for (at, with) in replace {
        lines[at - 1] = with.to_string();
    }
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write trace");
    path
}

/// `(line, column)` of the `--> FILE:LINE:COL` locations in `stderr`.
fn located(stderr: &str, file: &Path) -> Vec<(usize, usize)> {
    let prefix = format!("--> {}:", file.display());
    stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix(&prefix))
        .map(|rest| {
            let (line, col) = rest.split_once(':').expect("line:col");
            (line.parse().expect("line"), col.parse().expect("col"))
        })
        .collect()
}

#[test]
fn import_keeps_good_lines_reports_bad_ones_and_refuses_the_same_file_twice() {
    let ws = Ws::init();
    let file = trace_with(
        ws.dir.path(),
        "partial.jsonl",
        200,
        &[
            (17, r#"{"ts": "2026-11-02T06:20:17Z", "agent": }"#),
            (120, "not json at all"),
        ],
    );
    let o = ws.run(&["traces", "import", s(&file)]);
    let out = ok(o.clone());
    assert!(
        out.contains("imported trace set 1 `partial`: 198 action(s), 2 malformed line(s)"),
        "{out}"
    );
    let at = located(&stderr(&o), &file);
    assert_eq!(
        at.iter().map(|a| a.0).collect::<Vec<_>>(),
        [17, 120],
        "{}",
        both(&o)
    );
    assert!(at.iter().all(|a| a.1 >= 1), "{at:?}");

    let show = ok(ws.run(&["traces", "show", "partial", "--errors", "--limit", "1000"]));
    let listed: Vec<(usize, usize)> = show
        .lines()
        .filter_map(|l| l.strip_prefix("line "))
        .map(|rest| {
            let mut parts = rest.splitn(3, ':');
            let line = parts.next().expect("line").parse().expect("line number");
            let col = parts.next().expect("col").parse().expect("col number");
            (line, col)
        })
        .collect();
    assert_eq!(listed, at, "the stored errors are those reported: {show}");
    let rows: Vec<usize> = show
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(rows.len(), 198, "{show}");
    assert!(!rows.contains(&17) && !rows.contains(&120), "{show}");

    let sets = ok(ws.run(&["traces", "list"]));
    let words: Vec<&str> = sets.split_whitespace().collect();
    assert_eq!(&words[..6], ["1", "partial", "198", "actions", "2", "bad"]);

    // The same content again, under its own name or another: refused.
    for extra in [&[][..], &["--name", "again"][..]] {
        let mut args = vec!["traces", "import", s(&file)];
        args.extend_from_slice(extra);
        let o = ws.run(&args);
        assert!(!o.status.success(), "{}", both(&o));
        let err = stderr(&o);
        assert!(
            err.contains("imported before as trace set `partial` (id 1)"),
            "{err}"
        );
    }
    assert_eq!(ok(ws.run(&["traces", "list"])).lines().count(), 1);
    assert_eq!(ws.audit_kinds(), ["traces.import"]);
}

/// The JSON summary of a file-based replay of the sample trace.
fn file_summary(project: &str) -> serde_json::Value {
    let doc = json(writ(&[
        "replay",
        "--project",
        project,
        "--traces",
        TRACE,
        "--format",
        "json",
    ]));
    doc["summary"].clone()
}

#[test]
fn a_stored_run_has_the_counts_of_a_file_replay() {
    let ws = Ws::init();
    let id = version_id_in(&ok(ws.run(&["version", "commit", V1, "-m", "v1"])));
    ok(ws.run(&["traces", "import", TRACE]));
    let out = ok(ws.run(&["replay", "--version", &id[..8], "--traces", "recorded"]));
    assert!(out.contains("stored run 1 (version "), "{out}");
    assert!(out.contains("trace set 1 `recorded`"), "{out}");
    assert!(out.contains("Summary: 2400 action(s)"), "{out}");

    let expected = file_summary(V1);
    assert_eq!(expected["actions"], 2400);
    let conn = ws.sql();
    let stored: String = conn
        .query_row("SELECT summary FROM runs WHERE id = 1", [], |r| r.get(0))
        .expect("run 1");
    let stored: serde_json::Value = serde_json::from_str(&stored).expect("summary JSON");
    for key in [
        "actions",
        "verdicts",
        "decisions",
        "by_agent",
        "by_tool",
        "by_policy",
        "policy_errors",
        "request_errors",
        "shadow_agents",
        "mismatches",
    ] {
        assert_eq!(stored[key], expected[key], "summary field `{key}`");
    }
    // Every action has a stored result, and they add up to the summary.
    let mut stmt = conn
        .prepare("SELECT verdict, COUNT(*) FROM run_results WHERE run_id = 1 GROUP BY verdict")
        .expect("prepare");
    let by_verdict: BTreeMap<String, i64> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let expected_verdicts: BTreeMap<String, i64> =
        serde_json::from_value(expected["verdicts"]["verdicts"].clone()).expect("verdicts");
    assert_eq!(by_verdict, expected_verdicts);
    drop(stmt);
    drop(conn);

    // `runs show` prints the same summary as a file-based replay.
    let shown = ok(ws.run(&["runs", "show", "1"]));
    let table = ok(writ(&[
        "replay",
        "--project",
        V1,
        "--traces",
        TRACE,
        "--summary-only",
    ]));
    let shown_summary = &shown[shown.find("\nSummary:").expect("summary")..];
    assert_eq!(shown_summary, table, "runs show == replay --summary-only");
    assert_eq!(
        ws.audit_kinds(),
        ["version.commit", "traces.import", "run.store"]
    );

    // `--format json` on a stored replay: the new run as one document whose
    // summary is the file-based replay's.
    let doc = json(ws.run(&[
        "replay",
        "--version",
        &id[..8],
        "--traces",
        "recorded",
        "--format",
        "json",
    ]));
    assert_eq!(doc["run"], 2, "{doc:#}");
    assert_eq!(doc["version"], id.as_str());
    assert_eq!(doc["set"]["name"], "recorded");
    for key in ["actions", "verdicts", "by_agent", "by_policy"] {
        assert_eq!(doc["summary"][key], expected[key], "json summary `{key}`");
    }
}

#[test]
fn diff_of_stored_runs_equals_the_file_based_diff() {
    let (ws, v1, v2) = Ws::sample();
    let stored = json(ws.run(&["diff", "--runs", "1", "2", "--format", "json"]));
    let files = json(writ(&[
        "diff", "--from", V1, "--to", V2, "--traces", TRACE, "--format", "json",
    ]));
    let (a, b) = (&stored["decisions"], &files["decisions"]);
    assert_eq!(a["actions"], 2400);
    assert!(a["counts"]["total"].as_u64().expect("total") > 0);
    for key in [
        "actions",
        "unchanged",
        "counts",
        "by_agent",
        "by_tool",
        "responsible_from",
        "responsible_to",
        "changes",
    ] {
        assert_eq!(a[key], b[key], "decisions.{key}");
    }
    assert_eq!(stored["policies"], files["policies"]);
    assert_eq!(stored["inventory"], files["inventory"]);
    assert_eq!(stored["from"], format!("@{v1}"));
    assert_eq!(stored["to"], format!("@{v2}"));

    // Stored versions stand in for folders in the file-based diff too.
    let at = json(ws.run(&[
        "diff",
        "--from",
        &format!("@{v1}"),
        "--to",
        &format!("@{}", &v2[..6]),
        "--traces",
        TRACE,
        "--format",
        "json",
    ]));
    assert_eq!(at["decisions"], files["decisions"]);

    let same = json(ws.run(&["diff", "--runs", "2", "2", "--format", "json"]));
    assert_eq!(same["decisions"]["counts"]["total"], 0);
    assert_eq!(same["decisions"]["unchanged"], 2400);
}

#[test]
fn stored_versions_stand_in_for_project_folders() {
    let (ws, v1, _) = Ws::sample();
    let full = shown_id(&ok(ws.run(&["version", "show", &v1])));
    for prefix in [&full[..4], &full[..8], &full[..]] {
        let r = format!("@{prefix}");
        let out = ok(ws.run(&["check", &r]));
        assert!(out.starts_with(&format!("{r}: ok (23 policies")), "{out}");
    }
    for bad in ["@3a", "@zzzzzzzz", "@00000000"] {
        let o = ws.run(&["check", bad]);
        assert!(!o.status.success(), "{bad}: {}", both(&o));
        assert!(
            stderr(&o).contains("is not in the workspace"),
            "{bad}: {}",
            both(&o)
        );
    }

    let at = format!("@{}", &v1[..8]);
    let doc = json(ws.run(&[
        "replay",
        "--project",
        &at,
        "--traces",
        TRACE,
        "--format",
        "json",
    ]));
    let expected = file_summary(V1);
    for key in ["actions", "verdicts", "by_agent", "by_tool", "by_policy"] {
        assert_eq!(doc["summary"][key], expected[key], "{key}");
    }

    // Scenario files against a stored version: as against the folder.
    let tally = |o: Output| {
        let out = stdout(&o);
        out.lines()
            .find(|l| l.ends_with(" failed"))
            .unwrap_or_else(|| panic!("a tally: {}", both(&o)))
            .to_string()
    };
    let folder = tally(writ(&["test", "scenarios/", "--project", V1]));
    let stored = tally(ws.run(&["test", "scenarios/", "--project", &at]));
    assert_eq!(stored, folder);
    assert!(!stored.starts_with("0 passed"), "{stored}");
}

/// Pages through `traces show` with `--after`, returning every listed row.
fn page_all(ws: &Ws, set: &str, extra: &[&str], limit: usize) -> Vec<(i64, String)> {
    let mut rows = Vec::new();
    let mut after = 0i64;
    let limit_text = limit.to_string();
    for _ in 0..(2400 / limit + 3) {
        let after_text = after.to_string();
        let mut args = vec![
            "traces",
            "show",
            set,
            "--limit",
            &limit_text,
            "--after",
            &after_text,
        ];
        args.extend_from_slice(extra);
        let out = ok(ws.run(&args));
        let mut page = 0;
        for l in out.lines() {
            if let Some(next) = l.strip_prefix("(next page: --after ") {
                let next: i64 = next.trim_end_matches(')').parse().expect("next");
                assert_eq!(page, limit, "a full page before `next page`: {out}");
                assert_eq!(Some(next), rows.last().map(|r: &(i64, String)| r.0));
                after = next;
            } else if l == "(end)" {
                assert!(page < limit, "a short last page: {out}");
                return rows;
            } else {
                let line: i64 = l
                    .split_whitespace()
                    .next()
                    .expect("line")
                    .parse()
                    .expect("n");
                rows.push((line, l.to_string()));
                page += 1;
            }
        }
    }
    panic!("paging did not end within the bound");
}

#[test]
fn paging_with_after_visits_every_action_once() {
    let (ws, _, _) = Ws::sample();
    let rows = page_all(&ws, "recorded", &[], 137);
    let lines: Vec<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(lines, (1..=2400).collect::<Vec<i64>>());

    // Filters page the same way; the counts match the run's summary.
    let summary: serde_json::Value = {
        let conn = ws.sql();
        let text: String = conn
            .query_row("SELECT summary FROM runs WHERE id = 1", [], |r| r.get(0))
            .expect("run 1");
        serde_json::from_str(&text).expect("json")
    };
    // The recorded identity of the agent the inventory names hr-assistant.
    let hr = page_all(
        &ws,
        "1",
        &["--agent", "oidc:https://login.acme.example|hr-assistant"],
        10,
    );
    assert_eq!(
        hr.len() as u64,
        summary["by_agent"]["hr-assistant"]["total"]
    );
    assert!(hr.iter().all(|r| r.1.contains("hr-assistant")));
    assert!(hr.windows(2).all(|w| w[0].0 < w[1].0));

    let forbid = page_all(
        &ws,
        "recorded",
        &["--run", "1", "--verdict", "denied_by_forbid"],
        25,
    );
    assert_eq!(
        forbid.len() as u64,
        summary["verdicts"]["verdicts"]["denied_by_forbid"]
    );
    assert!(forbid.iter().all(|r| r.1.ends_with("denied_by_forbid")));

    let err = fails(ws.run(&["traces", "show", "recorded", "--verdict", "allowed"]));
    assert!(err.contains("--run"), "{err}");
}

/// A fresh sample workspace, tampered with by `sql`; returns what `audit
/// verify` said (it must exit 1).
fn tampered(sql: &str) -> String {
    let (ws, _, _) = Ws::sample();
    let out = ok(ws.run(&["audit", "verify"]));
    assert!(out.contains("intact: 11 event(s)"), "{out}");
    ws.sql().execute_batch(sql).expect("tamper");
    let o = ws.run(&["audit", "verify"]);
    assert!(!stdout(&o).contains("intact"), "{}", both(&o));
    fails(o)
}

#[test]
fn audit_verify_names_an_edited_event() {
    let err = tampered(
        "UPDATE audit_events SET details = replace(details, '\"actions\":2400', '\"actions\":2399') WHERE id = 6",
    );
    assert!(err.contains("audit trail broken at event 6"), "{err}");
    assert!(err.contains("edited"), "{err}");
}

#[test]
fn audit_verify_names_a_deleted_middle_event() {
    let err = tampered("DELETE FROM audit_events WHERE id = 6");
    assert!(err.contains("audit trail broken at event 6"), "{err}");
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn audit_verify_names_reordered_events() {
    // Events 5 and 6 swap places (each keeps its content, takes the other's id).
    let err = tampered(
        "UPDATE audit_events SET id = -2 WHERE id = 5;
         UPDATE audit_events SET id = 5 WHERE id = 6;
         UPDATE audit_events SET id = 6 WHERE id = -2;",
    );
    assert!(err.contains("audit trail broken at event 5"), "{err}");
}

#[test]
fn audit_verify_names_a_deleted_newest_event() {
    let err = tampered("DELETE FROM audit_events WHERE id = 11");
    assert!(err.contains("audit trail broken at event 11"), "{err}");
}

/// Files beside `path` that SQLite would create.
fn sidecars(path: &Path) -> Vec<PathBuf> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            PathBuf::from(p)
        })
        .filter(|p| p.exists())
        .collect()
}

#[test]
fn a_file_that_is_not_a_workspace_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("notes.writ");
    std::fs::write(&text, "shopping list\nmilk\neggs\n".repeat(20)).expect("write");
    let empty = dir.path().join("empty.writ");
    std::fs::write(&empty, b"").expect("write");
    let mut foreign = Vec::new();
    for mode in ["DELETE", "WAL"] {
        let path = dir.path().join(format!("other-app-{mode}.db"));
        let conn = rusqlite::Connection::open(&path).expect("create");
        conn.pragma_update(None, "journal_mode", mode)
            .expect("journal mode");
        conn.pragma_update(None, "application_id", 0x1234_5678)
            .expect("app id");
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
             INSERT INTO notes (body) VALUES ('keep me'), ('and me');",
        )
        .expect("fill");
        drop(conn);
        assert!(sidecars(&path).is_empty(), "{mode}: closed cleanly");
        foreign.push(path);
    }
    let mut files = vec![text, empty];
    files.extend(foreign);

    let v1 = root().join(V1);
    let trace = root().join(TRACE);
    for file in &files {
        let before = std::fs::read(file).expect("read");
        let f = s(file);
        let commands: Vec<Vec<&str>> = vec![
            vec!["--workspace", f, "traces", "list"],
            vec!["--workspace", f, "version", "list"],
            vec!["--workspace", f, "runs", "list"],
            vec!["--workspace", f, "audit", "verify"],
            vec!["--workspace", f, "traces", "import", s(&trace)],
            vec!["--workspace", f, "version", "commit", s(&v1), "-m", "x"],
            vec!["--workspace", f, "check", "@abcd"],
        ];
        for args in &commands {
            let o = writ(args);
            let err = fails(o);
            assert!(
                err.contains(&format!("{f} is not a Writ workspace")),
                "{args:?}: {err}"
            );
            assert!(err.contains("left untouched"), "{args:?}: {err}");
        }
        // The same through the environment variable.
        let o = Command::new(env!("CARGO_BIN_EXE_writ"))
            .args(["audit", "list"])
            .current_dir(root())
            .env("WRIT_WORKSPACE", file)
            .output()
            .expect("writ runs");
        assert!(fails(o).contains(&format!("{f} is not a Writ workspace")));
        // `init` does not overwrite it either.
        let err = fails(writ(&["init", f]));
        assert!(err.contains("exists already"), "{err}");
        let err = fails(writ(&["init", f, "--sample"]));
        assert!(err.contains("exists already"), "{err}");

        assert_eq!(
            std::fs::read(file).expect("read"),
            before,
            "{f} is unchanged"
        );
        assert_eq!(
            sidecars(file),
            Vec::<PathBuf>::new(),
            "{f}: nothing beside it"
        );
    }
    // The other application's data is still there.
    let conn = rusqlite::Connection::open(&files[2]).expect("open");
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 2);
}

#[test]
fn a_missing_workspace_says_how_to_create_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nothing-here.writ");
    let err = fails(writ(&["--workspace", s(&path), "traces", "list"]));
    assert!(err.contains("no workspace at"), "{err}");
    assert!(err.contains("writ init"), "{err}");
    assert!(!path.exists(), "nothing was created");
}
