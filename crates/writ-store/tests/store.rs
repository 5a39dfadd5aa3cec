//! API-level tests of writ-store: versions, trace sets, runs, and
//! all-or-nothing behaviour.

use crate::common::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use writ_core::diff::DecisionDiff;
use writ_core::evaluate::{Evaluator, Verdict};
use writ_core::project::{check_files, check_project, today_utc, ProjectFiles};
use writ_core::replay::{replay, ReplayOptions};
use writ_core::summary::ReplaySummary;
use writ_core::trace::parse_record;
use writ_store::traces::{ActionFilter, TimeBound};
use writ_store::versions::{content_hash, Committed};
use writ_store::{StoreError, Workspace};

fn files_of(p: &ProjectFiles) -> Vec<(String, Vec<u8>)> {
    p.all()
        .map(|f| (f.relative.clone(), f.text.clone().into_bytes()))
        .collect()
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// The recorded trace's records, by line (1-based).
fn recorded_records() -> Vec<(i64, writ_core::trace::TraceRecord, String)> {
    std::fs::read_to_string(recorded())
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let n = i + 1;
            (n as i64, parse_record(n, l).unwrap(), l.to_string())
        })
        .collect()
}

/// Every action of `set` matching `filter`, paged `page` at a time.
fn all_pages(
    ws: &Workspace,
    set: i64,
    filter: &ActionFilter,
    page: usize,
) -> Vec<writ_store::traces::StoredAction> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let rows = ws.list_actions(set, filter, after, page).unwrap();
        assert!(rows.len() <= page, "page of {} > limit {page}", rows.len());
        let Some(last) = rows.last() else { break };
        after = last.line;
        let short = rows.len() < page;
        out.extend(rows);
        if short {
            // A short page is the last: the next must be empty.
            assert!(ws
                .list_actions(set, filter, after, page)
                .unwrap()
                .is_empty());
            break;
        }
    }
    out
}

fn evaluator(root: &Path) -> Evaluator {
    let report = check_project(root, today_utc());
    assert_eq!(report.error_count(), 0, "{:?}", report.diagnostics);
    Evaluator::from_project(root.display().to_string(), report.project.as_ref().unwrap())
}

// ---------------------------------------------------------------- versions

#[test]
fn commit_is_content_addressed_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let v1 = project(&sample("v1"));
    let c = ws.commit_version(&v1, "ana", "first").unwrap();
    let Committed::New(id) = &c else {
        panic!("expected New, got {c:?}")
    };
    assert!(is_hex64(id), "{id}");
    assert_eq!(*id, content_hash(&files_of(&v1)));
    let info = ws.version(id).unwrap();
    assert_eq!(info.parent, None);
    assert_eq!(info.author, "ana");
    assert_eq!(info.message, "first");
    let mut paths: Vec<String> = v1.all().map(|f| f.relative.clone()).collect();
    paths.sort();
    assert_eq!(info.files, paths);
    let events = ws.audit_events().unwrap().len();
    assert_eq!(events, 1);

    // Same content again (even with another message): nothing stored.
    let again = ws.commit_version(&v1, "bo", "again").unwrap();
    assert_eq!(again, Committed::Unchanged(id.clone()));
    assert_eq!(ws.audit_events().unwrap().len(), events);
    assert_eq!(ws.list_versions().unwrap().len(), 1);
    assert_eq!(ws.version(id).unwrap().message, "first");

    // The hash ignores file order.
    let mut reversed = files_of(&v1);
    reversed.reverse();
    assert_eq!(content_hash(&reversed), *id);
}

#[test]
fn content_hash_separates_paths_and_bytes() {
    let a = content_hash(&[("ab".into(), b"c".to_vec())]);
    let b = content_hash(&[("a".into(), b"bc".to_vec())]);
    let c = content_hash(&[("ab".into(), b"c ".to_vec())]);
    assert_ne!(a, b);
    assert_ne!(a, c);
    assert!(is_hex64(&a));
}

#[test]
fn an_empty_project_is_not_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let err = ws
        .commit_version(&ProjectFiles::default(), "ana", "nothing")
        .unwrap_err();
    assert!(matches!(err, StoreError::NothingToCommit), "{err:?}");
    assert!(ws.list_versions().unwrap().is_empty());
    assert!(ws.audit_events().unwrap().is_empty());
}

#[test]
fn second_version_has_the_first_as_parent() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let v1 = ws
        .commit_version(&project(&sample("v1")), "ana", "v1")
        .unwrap();
    let v2 = ws
        .commit_version(&project(&sample("v2")), "ana", "v2")
        .unwrap();
    assert!(matches!(v2, Committed::New(_)));
    assert_ne!(v1.id(), v2.id());
    assert_eq!(
        ws.version(v2.id()).unwrap().parent.as_deref(),
        Some(v1.id())
    );
    let list = ws.list_versions().unwrap();
    let ids: Vec<&str> = list.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, [v2.id(), v1.id()], "newest first");
    // Recommitting v1 changes nothing: v1 is not re-parented or duplicated.
    assert_eq!(
        ws.commit_version(&project(&sample("v1")), "ana", "back")
            .unwrap(),
        Committed::Unchanged(v1.id().to_string())
    );
    assert_eq!(ws.version(v1.id()).unwrap().parent, None);
    let kinds: Vec<String> = ws
        .audit_events()
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["version.commit", "version.commit"]);
}

#[test]
fn resolve_version_by_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let v1 = ws
        .commit_version(&project(&sample("v1")), "ana", "v1")
        .unwrap();
    let id = v1.id().to_string();
    for prefix in [&id[..], &id[..12], &id[..4]] {
        assert_eq!(ws.resolve_version(prefix).unwrap(), id, "{prefix}");
    }
    assert_eq!(ws.resolve_version(&format!("@{}", &id[..8])).unwrap(), id);
    assert_eq!(
        ws.resolve_version(&id[..10].to_ascii_uppercase()).unwrap(),
        id
    );
    // Unknown, too short, or not hex.
    let unknown: String = id[..8]
        .chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect();
    for bad in [unknown.as_str(), &id[..3], "zzzzzz", ""] {
        let err = ws.resolve_version(bad).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "version",
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
    }
    // Longer than an id: no match.
    assert!(matches!(
        ws.resolve_version(&format!("{id}0")),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn resolve_version_reports_ambiguous_prefixes() {
    // Variants of v1 (a comment appended to the inventory) until two ids
    // share their first four hex digits; then commit both.
    let base = project(&sample("v1"));
    let variant = |n: usize| {
        let mut p = base.clone();
        let inv = p.inventory.as_mut().unwrap();
        inv.text.push_str(&format!("\n# variant {n}\n"));
        p
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let (a, b) = (0..100_000)
        .find_map(|n| {
            let id = content_hash(&files_of(&variant(n)));
            seen.insert(id[..4].to_string(), n).map(|m| (m, n))
        })
        .expect("a 4-digit collision among 100,000 hashes");
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let ia = ws.commit_version(&variant(a), "ana", "a").unwrap();
    let ib = ws.commit_version(&variant(b), "ana", "b").unwrap();
    assert_eq!(ia.id()[..4], ib.id()[..4]);
    let err = ws.resolve_version(&ia.id()[..4]).unwrap_err();
    match &err {
        StoreError::Ambiguous { prefix, matches } => {
            assert_eq!(prefix, &ia.id()[..4]);
            assert!(matches.contains(&ia.id()[..12]), "{matches}");
            assert!(matches.contains(&ib.id()[..12]), "{matches}");
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    // Enough characters tell them apart.
    let common = ia
        .id()
        .chars()
        .zip(ib.id().chars())
        .take_while(|(x, y)| x == y)
        .count();
    assert_eq!(ws.resolve_version(&ia.id()[..common + 1]).unwrap(), ia.id());
    assert_eq!(ws.resolve_version(&ib.id()[..common + 1]).unwrap(), ib.id());
    // Operations taking a prefix refuse the ambiguous one too.
    let target = dir.path().join("out");
    assert!(matches!(
        ws.checkout_version(&ia.id()[..4], &target),
        Err(StoreError::Ambiguous { .. })
    ));
    assert!(!target.exists());
}

#[test]
fn checkout_restores_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    for name in ["v1", "v2"] {
        let c = ws
            .commit_version(&project(&sample(name)), "ana", name)
            .unwrap();
        let target = dir.path().join(format!("out-{name}"));
        assert_eq!(ws.checkout_version(&c.id()[..10], &target).unwrap(), c.id());
        let (want, got) = (tree(&sample(name)), tree(&target));
        assert_eq!(
            want.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>()
        );
        for (path, bytes) in &want {
            assert!(got[path] == *bytes, "{name}/{path} differs");
        }
        // Nothing left over beside the target (no staging folder).
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("writ-checkout"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn entity_data_and_links_are_stored_and_checked_out_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let src = sample("cedar-native");
    let files = project(&src);
    assert!(files.entities.is_some() && files.links.is_some() && files.inventory.is_none());
    let c = ws.commit_version(&files, "ana", "cedar-native").unwrap();
    let (_, stored) = ws.version_files(c.id()).unwrap();
    assert_eq!(
        stored.entities.as_ref().map(|f| f.text.as_str()),
        files.entities.as_ref().map(|f| f.text.as_str())
    );
    assert_eq!(
        stored.links.as_ref().map(|f| f.text.as_str()),
        files.links.as_ref().map(|f| f.text.as_str())
    );
    let target = dir.path().join("out");
    ws.checkout_version(c.id(), &target).unwrap();
    let got = tree(&target);
    let want: Vec<&str> = vec![
        "entities.json",
        "links.json",
        "policies/base.cedar",
        "policies/sharing.cedar",
        "schema.cedarschema",
    ];
    assert_eq!(got.keys().map(String::as_str).collect::<Vec<_>>(), want);
    for rel in want {
        let original = std::fs::read(src.join(rel)).unwrap();
        assert!(got[rel] == original, "{rel} differs");
    }
    // The checked-out folder is the same project, links and all.
    let project = check_project(&target, today_utc()).project.expect("checks");
    assert_eq!(project.policies.links.len(), 5);
    // An edit of links.json goes through the same check as the rest.
    let broken = ws.commit_edits(
        c.id(),
        [(
            "links.json",
            "[{\"template_id\": \"nope\", \"link_id\": \"x\", \"args\": {}}]",
        )],
        "ana",
        "break",
    );
    assert!(
        matches!(broken, Err(StoreError::EditedProjectHasErrors { errors }) if errors > 0),
        "{broken:?}"
    );
}

#[test]
fn checkout_into_an_empty_folder_works_and_a_non_empty_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let c = ws
        .commit_version(&project(&sample("v1")), "ana", "v1")
        .unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    ws.checkout_version(c.id(), &empty).unwrap();
    assert_eq!(tree(&empty), tree(&sample("v1")));

    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("mine.txt"), b"do not touch").unwrap();
    let err = ws.checkout_version(c.id(), &busy).unwrap_err();
    assert!(matches!(err, StoreError::FolderNotEmpty { .. }), "{err:?}");
    let left = tree(&busy);
    assert_eq!(left.len(), 1);
    assert_eq!(left["mine.txt"], b"do not touch");

    // Checking out into the folder that was just filled is refused too.
    assert!(matches!(
        ws.checkout_version(c.id(), &empty),
        Err(StoreError::FolderNotEmpty { .. })
    ));
    // An unknown version writes nothing.
    let never = dir.path().join("never");
    assert!(matches!(
        ws.checkout_version("abcdef0123", &never),
        Err(StoreError::NotFound { .. })
    ));
    assert!(!never.exists());
}

#[test]
fn stored_version_files_check_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    for name in ["v1", "v2"] {
        let original = project(&sample(name));
        let c = ws.commit_version(&original, "ana", name).unwrap();
        let (id, files) = ws.version_files(c.id()).unwrap();
        assert_eq!(id, c.id());
        // Same files, same roles, same text.
        assert_eq!(
            files.schema.as_ref().map(|f| (&f.relative, &f.text)),
            original.schema.as_ref().map(|f| (&f.relative, &f.text))
        );
        assert_eq!(
            files.inventory.as_ref().map(|f| (&f.relative, &f.text)),
            original.inventory.as_ref().map(|f| (&f.relative, &f.text))
        );
        let pol = |p: &ProjectFiles| -> Vec<(String, String)> {
            p.policies
                .iter()
                .map(|f| (f.relative.clone(), f.text.clone()))
                .collect()
        };
        assert_eq!(pol(&files), pol(&original));
        assert_eq!(content_hash(&files_of(&files)), id);
        let report = check_files(Path::new("@x"), files, Vec::new(), today_utc());
        assert_eq!(report.error_count(), 0, "{:?}", report.diagnostics);
        assert!(report.project.is_some());
    }
}

// -------------------------------------------------------------- trace sets

#[test]
fn import_recorded_trace() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let progress = std::cell::Cell::new(0u64);
    let report = ws
        .import_traces(&recorded(), None, "ana", &|b| progress.set(b))
        .unwrap();
    assert_eq!(report.set.actions, 2400);
    assert_eq!(report.set.bad_lines, 0);
    assert!(report.errors.is_empty());
    assert_eq!(report.set.name, "recorded");
    assert!(is_hex64(&report.set.sha256));
    assert_eq!(
        progress.get(),
        std::fs::metadata(recorded()).unwrap().len(),
        "the last progress report is the whole file"
    );
    assert_eq!(ws.list_trace_sets().unwrap(), vec![report.set.clone()]);
    assert_eq!(ws.trace_set("recorded").unwrap(), report.set);
    assert_eq!(
        ws.trace_set(&report.set.id.to_string()).unwrap(),
        report.set
    );
    assert!(ws.trace_set_errors(report.set.id).unwrap().is_empty());
    // Every line stored as imported.
    let stored = all_pages(&ws, report.set.id, &ActionFilter::default(), 1000);
    let want = recorded_records();
    assert_eq!(stored.len(), want.len());
    for (s, (line, rec, text)) in stored.iter().zip(&want) {
        assert_eq!(s.line, *line);
        assert_eq!(&s.record, text);
        assert_eq!(s.agent, rec.agent);
        assert_eq!(s.action, rec.action);
        assert_eq!(s.ts, rec.ts);
        assert_eq!(s.verdict, None);
    }
}

const GOOD: &str = r#"{"ts":"2026-11-02T09:15:03Z","agent":"spiffe://a.example/x","action":"read_ticket","resource":{"type":"Ticket","id":"T-1"},"outcome":"executed"}"#;

#[test]
fn malformed_lines_are_reported_and_kept_with_the_set() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let file = dir.path().join("mixed.jsonl");
    let lines = [
        GOOD.to_string(),                                       // 1
        "{not json".to_string(),                                // 2
        GOOD.replace("T-1", "T-3"),                             // 3
        String::new(),                                          // 4 (blank: skipped)
        GOOD.replace(r#""agent":"spiffe://a.example/x","#, ""), // 5 (no agent)
        GOOD.replace("executed", "exploded"),                   // 6
        GOOD.replace("T-1", "T-7"),                             // 7
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let report = ws
        .import_traces(&file, Some("mixed"), "ana", &quiet)
        .unwrap();
    assert_eq!(report.set.actions, 3);
    assert_eq!(report.set.bad_lines, 3);
    let bad: Vec<usize> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(bad, [2, 5, 6]);
    assert!(
        report.errors[1].message.contains("agent"),
        "{:?}",
        report.errors[1]
    );
    assert!(
        report.errors[2].message.contains("exploded"),
        "{:?}",
        report.errors[2]
    );
    // Kept with the set, identical to the report.
    assert_eq!(ws.trace_set_errors(report.set.id).unwrap(), report.errors);
    // The good ones are stored under their own line numbers.
    let stored = all_pages(&ws, report.set.id, &ActionFilter::default(), 2);
    let got: Vec<(i64, &str)> = stored.iter().map(|a| (a.line, a.record.as_str())).collect();
    assert_eq!(
        got,
        [
            (1, lines[0].as_str()),
            (3, lines[2].as_str()),
            (7, lines[6].as_str())
        ]
    );
    let info = ws.trace_set("mixed").unwrap();
    assert_eq!((info.actions, info.bad_lines), (3, 3));
}

#[test]
fn crlf_lines_are_stored_without_the_cr() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let file = dir.path().join("crlf.jsonl");
    std::fs::write(&file, format!("{GOOD}\r\n{GOOD}\r\n")).unwrap();
    let r = ws.import_traces(&file, None, "ana", &quiet).unwrap();
    assert_eq!(r.set.actions, 2);
    let stored = ws
        .list_actions(r.set.id, &ActionFilter::default(), 0, 10)
        .unwrap();
    assert!(stored.iter().all(|a| a.record == GOOD));
}

#[test]
fn the_same_content_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let first = ws
        .import_traces(&recorded(), Some("monday"), "ana", &quiet)
        .unwrap();
    let events = ws.audit_events().unwrap().len();
    // Same bytes under another path and another name.
    let copy = dir.path().join("copy.jsonl");
    std::fs::copy(recorded(), &copy).unwrap();
    for (path, name) in [(recorded(), None), (copy.clone(), Some("tuesday"))] {
        let err = ws.import_traces(&path, name, "bo", &quiet).unwrap_err();
        match &err {
            StoreError::DuplicateTraceSet { name, id } => {
                assert_eq!(name, "monday");
                assert_eq!(*id, first.set.id);
            }
            other => panic!("expected DuplicateTraceSet, got {other:?}"),
        }
        assert!(err.to_string().contains("monday"), "{err}");
    }
    assert_eq!(ws.list_trace_sets().unwrap().len(), 1);
    assert_eq!(ws.audit_events().unwrap().len(), events);
    assert!(matches!(
        ws.trace_set("tuesday"),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_taken_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let a = head_of_recorded(&dir.path().join("a.jsonl"), 10);
    let b = head_of_recorded(&dir.path().join("b.jsonl"), 20);
    let first = ws.import_traces(&a, Some("week"), "ana", &quiet).unwrap();
    let events = ws.audit_events().unwrap().len();
    let err = ws
        .import_traces(&b, Some("week"), "ana", &quiet)
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NameTaken { what: "trace set", name } if name == "week"),
        "{err:?}"
    );
    assert_eq!(ws.list_trace_sets().unwrap(), vec![first.set.clone()]);
    assert_eq!(ws.audit_events().unwrap().len(), events);
    // The default name (the file stem) can be taken too.
    let c = head_of_recorded(&dir.path().join("week.jsonl"), 30);
    assert!(matches!(
        ws.import_traces(&c, None, "ana", &quiet),
        Err(StoreError::NameTaken { .. })
    ));
    // Under a free name the other content imports.
    let second = ws.import_traces(&b, Some("week2"), "ana", &quiet).unwrap();
    assert_eq!(second.set.actions, 20);
    assert_eq!(ws.list_trace_sets().unwrap().len(), 2);
}

#[test]
fn a_set_named_like_another_sets_id_is_found_by_id() {
    // Set 1 is named "2" (as an older Writ named a file `2.jsonl`; today's
    // default name is `traces-2`, and a digits-only name is refused);
    // importing set 2 must report set 2, and looking up "2" must not mix
    // the two up.
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, path) = new_workspace(dir.path());
    let a = head_of_recorded(&dir.path().join("2.jsonl"), 10);
    let b = head_of_recorded(&dir.path().join("b.jsonl"), 20);
    let first = ws.import_traces(&a, None, "ana", &quiet).unwrap();
    assert_eq!((first.set.id, first.set.name.as_str()), (1, "traces-2"));
    assert!(matches!(
        ws.import_traces(&b, Some("2"), "ana", &quiet),
        Err(StoreError::BadName(_))
    ));
    raw(&path)
        .execute("UPDATE trace_sets SET name = '2' WHERE id = 1", [])
        .unwrap();
    assert_eq!(ws.trace_set("1").unwrap().name, "2");
    let second = ws.import_traces(&b, None, "ana", &quiet).unwrap();
    assert_eq!(second.set.id, 2);
    assert_eq!(second.set.name, "b");
    assert_eq!(second.set.actions, 20);
    assert_eq!(ws.trace_set("2").unwrap().id, 2);
    assert_eq!(ws.trace_set("1").unwrap().id, 1);
    assert_eq!(ws.trace_set("b").unwrap().id, 2);
}

#[test]
fn unknown_trace_sets_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = new_workspace(dir.path());
    for s in ["1", "nope"] {
        assert!(matches!(
            ws.trace_set(s),
            Err(StoreError::NotFound {
                what: "trace set",
                ..
            })
        ));
    }
}

#[test]
fn list_actions_filters_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = new_workspace(dir.path());
    let set = ws
        .import_traces(&recorded(), None, "ana", &quiet)
        .unwrap()
        .set
        .id;
    let records = recorded_records();

    // All, 200 at a time: every action exactly once, in line order.
    let all = all_pages(&ws, set, &ActionFilter::default(), 200);
    let lines: Vec<i64> = all.iter().map(|a| a.line).collect();
    assert_eq!(lines, (1..=2400).collect::<Vec<i64>>());
    assert_eq!(
        lines.iter().collect::<BTreeSet<_>>().len(),
        2400,
        "no duplicates"
    );

    // Paging from the middle.
    let page = ws
        .list_actions(set, &ActionFilter::default(), 1234, 3)
        .unwrap();
    assert_eq!(
        page.iter().map(|a| a.line).collect::<Vec<_>>(),
        [1235, 1236, 1237]
    );
    assert!(ws
        .list_actions(set, &ActionFilter::default(), 2400, 200)
        .unwrap()
        .is_empty());

    let check = |filter: ActionFilter, keep: &dyn Fn(&writ_core::trace::TraceRecord) -> bool| {
        let want: Vec<i64> = records
            .iter()
            .filter(|(_, r, _)| keep(r))
            .map(|(n, _, _)| *n)
            .collect();
        assert!(
            !want.is_empty() && want.len() < 2400,
            "{filter:?} selects {}",
            want.len()
        );
        for page in [200, 37] {
            let got: Vec<i64> = all_pages(&ws, set, &filter, page)
                .iter()
                .map(|a| a.line)
                .collect();
            assert_eq!(got, want, "{filter:?}, pages of {page}");
        }
    };
    let agent = records[0].1.agent.clone();
    check(
        ActionFilter {
            agent: Some(agent.clone()),
            ..Default::default()
        },
        &|r| r.agent == agent,
    );
    let tool = "read_ticket".to_string();
    check(
        ActionFilter {
            tool: Some(tool.clone()),
            ..Default::default()
        },
        &|r| r.action == tool,
    );
    let (since, until) = (records[599].1.ts.clone(), records[1799].1.ts.clone());
    check(
        ActionFilter {
            since: Some(TimeBound::parse(&since).expect("a time")),
            ..Default::default()
        },
        &|r| r.ts >= since,
    );
    check(
        ActionFilter {
            until: Some(TimeBound::parse(&until).expect("a time")),
            ..Default::default()
        },
        &|r| r.ts < until,
    );
    let busy = "spiffe://acme.example/agents/support-bot".to_string();
    check(
        ActionFilter {
            agent: Some(busy.clone()),
            tool: Some(tool.clone()),
            since: Some(TimeBound::parse(&since).expect("a time")),
            until: Some(TimeBound::parse(&until).expect("a time")),
            ..Default::default()
        },
        &|r| r.agent == busy && r.action == tool && r.ts >= since && r.ts < until,
    );
    // Nothing matches an unknown agent.
    let none = ActionFilter {
        agent: Some("nobody".into()),
        ..Default::default()
    };
    assert!(ws.list_actions(set, &none, 0, 200).unwrap().is_empty());
    // A verdict needs a run.
    let err = ws
        .list_actions(
            set,
            &ActionFilter {
                verdict: Some(Verdict::Allowed),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::VerdictFilterNeedsRun), "{err:?}");
    // Another set's actions are not listed.
    assert!(ws
        .list_actions(set + 1, &ActionFilter::default(), 0, 10)
        .unwrap()
        .is_empty());
}

// -------------------------------------------------------------------- runs

/// A workspace with v1 and v2 committed and the recorded trace imported.
struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    ws: Workspace,
    v1: String,
    v2: String,
    set: i64,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, path) = new_workspace(dir.path());
    let v1 = ws
        .commit_version(&project(&sample("v1")), "ana", "v1")
        .unwrap()
        .id()
        .to_string();
    let v2 = ws
        .commit_version(&project(&sample("v2")), "ana", "v2")
        .unwrap()
        .id()
        .to_string();
    let set = ws
        .import_traces(&recorded(), None, "ana", &quiet)
        .unwrap()
        .set
        .id;
    Fixture {
        _dir: dir,
        path,
        ws,
        v1,
        v2,
        set,
    }
}

fn direct_summary(root: &Path) -> ReplaySummary {
    let ev = evaluator(root);
    let mut summary = ReplaySummary::default();
    let input = std::io::BufReader::new(std::fs::File::open(recorded()).unwrap());
    let stats = replay(
        input,
        &[&ev],
        &ReplayOptions::default(),
        &mut summary,
        &quiet,
    )
    .unwrap();
    assert_eq!(stats.actions, 2400);
    summary
}

#[test]
fn stored_runs_match_a_direct_replay_and_diff_matches_a_direct_diff() {
    let mut f = fixture();
    let set = f.set.to_string();
    let r1 = f.ws.store_run(&f.v1[..8], &set, "ana", &quiet).unwrap();
    assert_eq!(r1.version, f.v1);
    assert_eq!(r1.set, f.set);
    assert_eq!(r1.actor, "ana");
    assert_eq!(r1.summary.actions, 2400);
    assert_eq!(r1.stats.actions, 2400);
    assert!(r1.started_at <= r1.finished_at);
    // One result per action.
    let n: i64 = raw(&f.path)
        .query_row(
            "SELECT COUNT(*) FROM run_results WHERE run_id = ?1",
            [r1.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 2400);

    // The stored summary is the direct replay's summary.
    let direct1 = direct_summary(&sample("v1"));
    assert_eq!(
        serde_json::to_value(&r1.summary.verdicts).unwrap(),
        serde_json::to_value(&direct1.verdicts).unwrap()
    );
    assert_eq!(
        serde_json::to_value(&r1.summary).unwrap(),
        serde_json::to_value(&direct1).unwrap()
    );
    assert!(
        direct1.verdicts.verdicts.len() > 1,
        "the sample should mix verdicts"
    );

    // Verdict filter: per verdict, exactly the summary's count, all matching.
    let with_run = ActionFilter {
        run: Some(r1.id),
        ..Default::default()
    };
    let annotated = all_pages(&f.ws, f.set, &with_run, 500);
    assert_eq!(annotated.len(), 2400);
    let mut by_verdict: BTreeMap<Verdict, u64> = BTreeMap::new();
    for a in &annotated {
        *by_verdict.entry(a.verdict.expect("annotated")).or_default() += 1;
    }
    let want: BTreeMap<Verdict, u64> = direct1.verdicts.verdicts.clone();
    assert_eq!(by_verdict, want);
    for (verdict, count) in &want {
        let filter = ActionFilter {
            run: Some(r1.id),
            verdict: Some(*verdict),
            ..Default::default()
        };
        let rows = all_pages(&f.ws, f.set, &filter, 200);
        assert_eq!(rows.len() as u64, *count, "{verdict}");
        assert!(rows.iter().all(|a| a.verdict == Some(*verdict)));
        let lines: Vec<i64> = rows.iter().map(|a| a.line).collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]));
    }
    // Verdict and agent together.
    let agent = "spiffe://acme.example/agents/support-bot".to_string();
    let (verdict, _) = want.iter().next().unwrap();
    let both = ActionFilter {
        run: Some(r1.id),
        verdict: Some(*verdict),
        agent: Some(agent.clone()),
        ..Default::default()
    };
    let expected: Vec<i64> = annotated
        .iter()
        .filter(|a| a.agent == agent && a.verdict == Some(*verdict))
        .map(|a| a.line)
        .collect();
    let got: Vec<i64> = all_pages(&f.ws, f.set, &both, 50)
        .iter()
        .map(|a| a.line)
        .collect();
    assert_eq!(got, expected);

    // v2, then the stored diff against a direct two-version replay.
    let r2 = f.ws.store_run(&f.v2, "recorded", "bo", &quiet).unwrap();
    assert_eq!(
        serde_json::to_value(&r2.summary).unwrap(),
        serde_json::to_value(direct_summary(&sample("v2"))).unwrap()
    );
    let stored = f.ws.diff_runs(r1.id, r2.id).unwrap();
    let (e1, e2) = (evaluator(&sample("v1")), evaluator(&sample("v2")));
    let mut direct = DecisionDiff::new();
    let input = std::io::BufReader::new(std::fs::File::open(recorded()).unwrap());
    replay(
        input,
        &[&e1, &e2],
        &ReplayOptions::default(),
        &mut direct,
        &quiet,
    )
    .unwrap();
    assert_eq!(stored.actions, 2400);
    assert_eq!(stored.actions, direct.actions);
    assert_eq!(stored.unchanged, direct.unchanged);
    assert_eq!(stored.counts, direct.counts);
    assert!(
        direct.counts.total > 0,
        "v1 and v2 should differ on the sample"
    );
    assert_eq!(stored.by_agent, direct.by_agent);
    assert_eq!(stored.by_tool, direct.by_tool);
    assert_eq!(stored.responsible_from, direct.responsible_from);
    assert_eq!(stored.responsible_to, direct.responsible_to);
    assert_eq!(stored.changes, direct.changes);

    // One action's stored result agrees with the diff's sides.
    let first = &stored.changes[0];
    let before = f.ws.run_result(r1.id, first.line as i64).unwrap();
    let after = f.ws.run_result(r2.id, first.line as i64).unwrap();
    assert_eq!(before.verdict, first.from.verdict);
    assert_eq!(after.verdict, first.to.verdict);
    let reasons = |s: &writ_core::diff::Side| -> Vec<String> {
        s.reasons.iter().map(|r| r.to_string()).collect()
    };
    assert_eq!(before.reasons, reasons(&first.from));
    assert_eq!(after.reasons, reasons(&first.to));
    assert_eq!(after.decision, first.to.decision);
    assert!(matches!(
        f.ws.run_result(r1.id, 999_999),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        f.ws.run_result(999, 1),
        Err(StoreError::NotFound { what: "run", .. })
    ));

    // A run against itself: nothing changed.
    let same = f.ws.diff_runs(r2.id, r2.id).unwrap();
    assert_eq!(
        (same.actions, same.unchanged, same.counts.total),
        (2400, 2400, 0)
    );

    assert_eq!(
        f.ws.list_runs()
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        [r1.id, r2.id]
    );
    assert_eq!(
        serde_json::to_value(&f.ws.run(r1.id).unwrap().summary).unwrap(),
        serde_json::to_value(&r1.summary).unwrap()
    );
    assert_eq!(f.ws.verify_audit().unwrap(), None);
}

#[test]
fn runs_over_different_sets_are_not_compared() {
    let mut f = fixture();
    let small = head_of_recorded(&f._dir.path().join("small.jsonl"), 40);
    let other =
        f.ws.import_traces(&small, None, "ana", &quiet)
            .unwrap()
            .set
            .id;
    let ra = f.ws.store_run(&f.v1, "recorded", "ana", &quiet).unwrap();
    let rb = f.ws.store_run(&f.v2, "small", "ana", &quiet).unwrap();
    assert_eq!(rb.set, other);
    assert_eq!(rb.summary.actions, 40);
    let err = f.ws.diff_runs(ra.id, rb.id).unwrap_err();
    assert!(
        matches!(err, StoreError::RunsOfDifferentSets { a, b, .. } if a == ra.id && b == rb.id),
        "{err:?}"
    );
    assert!(matches!(
        f.ws.diff_runs(ra.id, 999),
        Err(StoreError::NotFound { what: "run", .. })
    ));
    // A run's verdicts do not annotate another set's actions.
    let cross = ActionFilter {
        run: Some(ra.id),
        ..Default::default()
    };
    assert!(matches!(
        f.ws.list_actions(other, &cross, 0, 10),
        Err(StoreError::RunOfAnotherSet { .. })
    ));
    let unknown = ActionFilter {
        run: Some(999),
        ..Default::default()
    };
    assert!(matches!(
        f.ws.list_actions(f.set, &unknown, 0, 10),
        Err(StoreError::NotFound { what: "run", .. })
    ));
}

#[test]
fn store_run_with_unknown_version_or_set_stores_nothing() {
    let mut f = fixture();
    let events = f.ws.audit_events().unwrap().len();
    assert!(matches!(
        f.ws.store_run("abcdef12", "recorded", "ana", &quiet),
        Err(StoreError::NotFound {
            what: "version",
            ..
        })
    ));
    assert!(matches!(
        f.ws.store_run(&f.v1, "nope", "ana", &quiet),
        Err(StoreError::NotFound {
            what: "trace set",
            ..
        })
    ));
    assert!(f.ws.list_runs().unwrap().is_empty());
    assert_eq!(f.ws.audit_events().unwrap().len(), events);
    assert_eq!(count(&f.path, "run_results"), 0);
}

// ---------------------------------------------------------- all or nothing

#[test]
fn an_unreadable_trace_file_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, path) = new_workspace(dir.path());
    let folder = dir.path().join("traces.jsonl");
    std::fs::create_dir(&folder).unwrap();
    let err = ws.import_traces(&folder, None, "ana", &quiet).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    let missing = dir.path().join("missing.jsonl");
    let err = ws.import_traces(&missing, None, "ana", &quiet).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    assert!(ws.list_trace_sets().unwrap().is_empty());
    assert!(ws.audit_events().unwrap().is_empty());
    drop(ws);
    for table in ["trace_sets", "actions", "trace_errors", "audit_events"] {
        assert_eq!(count(&path, table), 0, "{table}");
    }
}

#[test]
fn a_version_with_errors_is_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, path) = new_workspace(dir.path());
    let broken = dir.path().join("broken");
    copy_dir(&sample("v1"), &broken);
    let policy = broken.join("policies/baseline.cedar");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str("\npermit(principal, action, resource\n");
    std::fs::write(&policy, text).unwrap();
    let files = project(&broken);
    let c = ws.commit_version(&files, "ana", "broken").unwrap();
    assert!(matches!(c, Committed::New(_)));
    let small = head_of_recorded(&dir.path().join("small.jsonl"), 25);
    let set = ws
        .import_traces(&small, None, "ana", &quiet)
        .unwrap()
        .set
        .id;
    let events = ws.audit_events().unwrap();
    let err = ws
        .store_run(c.id(), &set.to_string(), "ana", &quiet)
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::VersionHasErrors { version, errors } if version == &c.id()[..12] && *errors > 0),
        "{err:?}"
    );
    assert!(ws.list_runs().unwrap().is_empty());
    assert_eq!(ws.audit_events().unwrap(), events);
    drop(ws);
    assert_eq!(count(&path, "runs"), 0);
    assert_eq!(count(&path, "run_results"), 0);
}
