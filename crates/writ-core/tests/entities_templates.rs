//! Projects made of Cedar's own material: `entities.json` beside or instead
//! of `inventory.toml`, templates in policy files and `links.json`.
//!
//! The decisions are compared with Cedar's `Authorizer` run directly on a
//! policy set built here independently (files parsed, renamed by `@id`,
//! templates linked from the links file with Cedar's API), the entities
//! parsed by Cedar from `entities.json` with the schema, and requests built
//! with `Request::new(..., Some(&schema))`.

use cedar_policy::{
    Authorizer, Context, Entities, EntityUid, PolicyId, PolicySet, Request, Schema, SlotId,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use writ_core::diagnostic::{line_column, Diagnostic};
use writ_core::evaluate::Evaluator;
use writ_core::project::{check_project, today_utc, CheckReport};
use writ_core::replay::{replay, Collect, ReplayOptions};
use writ_core::trace::{parse_record, Decision};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn native() -> PathBuf {
    repo_root().join("sample-policies/cedar-native")
}

/// Copies a project folder into a temporary one, so a test can change files.
fn copy_project(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for rel in [
        "schema.cedarschema",
        "entities.json",
        "links.json",
        "inventory.toml",
    ] {
        let src = from.join(rel);
        if src.is_file() {
            std::fs::copy(&src, dir.path().join(rel)).expect("copy");
        }
    }
    std::fs::create_dir(dir.path().join("policies")).expect("mkdir");
    for e in std::fs::read_dir(from.join("policies")).expect("policies") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), dir.path().join("policies").join(e.file_name())).expect("copy");
    }
    dir
}

fn errors(report: &CheckReport) -> Vec<&Diagnostic> {
    report.diagnostics.iter().filter(|d| d.is_error()).collect()
}

/// The error with `code`, insisting there is exactly one.
fn only_error<'a>(report: &'a CheckReport, code: &str) -> &'a Diagnostic {
    let errs = errors(report);
    let found: Vec<&&Diagnostic> = errs.iter().filter(|d| d.code == code).collect();
    assert_eq!(found.len(), 1, "one `{code}` error expected, got {errs:#?}");
    found[0]
}

/// `(line, column)` of a diagnostic's span in `text`.
fn at(text: &str, d: &Diagnostic) -> (usize, usize) {
    line_column(text, d.span.expect("located").start)
}

/// Cedar's own policy set for a project folder: each file parsed, every
/// policy and template renamed to its `@id`, templates linked from
/// `links.json` through Cedar's API.
fn cedar_policy_set(dir: &Path) -> PolicySet {
    let mut set = PolicySet::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("policies"))
        .expect("policies")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        let parsed =
            PolicySet::from_str(&std::fs::read_to_string(f).expect("read")).expect("parse");
        for p in parsed.policies() {
            let id = p.annotation("id").expect("@id");
            set.add(p.new_id(PolicyId::new(id))).expect("add");
        }
        for t in parsed.templates() {
            let id = t.annotation("id").expect("@id");
            set.add_template(t.new_id(PolicyId::new(id)))
                .expect("add template");
        }
    }
    let links: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("links.json")).expect("links"))
            .expect("json");
    for l in links.as_array().expect("array") {
        let mut vals = HashMap::new();
        for (k, v) in l["args"].as_object().expect("args") {
            let slot = if k == "?principal" {
                SlotId::principal()
            } else {
                SlotId::resource()
            };
            vals.insert(
                slot,
                EntityUid::from_str(v.as_str().expect("str")).expect("uid"),
            );
        }
        set.link(
            PolicyId::new(l["template_id"].as_str().expect("tid")),
            PolicyId::new(l["link_id"].as_str().expect("lid")),
            vals,
        )
        .expect("link");
    }
    set
}

#[test]
fn entities_only_project_checks_and_decides_as_cedar_does() {
    let dir = native();
    let report = check_project(&dir, today_utc());
    assert!(errors(&report).is_empty(), "{:#?}", errors(&report));
    let project = report.project.expect("checks");
    assert!(project.files.inventory.is_none());
    assert!(project.files.entities.is_some() && project.files.links.is_some());
    assert_eq!(project.policies.templates.len(), 4);
    assert_eq!(project.policies.links.len(), 5);
    let link = project.policies.link("lock-finance").expect("link");
    assert_eq!(link.template, "edits-need-approval");
    assert!(
        link.policy.step_up.is_some(),
        "@step_up of the template applies to its links"
    );

    // Cedar on its own.
    let schema_text = std::fs::read_to_string(dir.join("schema.cedarschema")).expect("schema");
    let (schema, _) = Schema::from_cedarschema_str(&schema_text).expect("schema parses");
    let entities = Entities::from_json_str(
        &std::fs::read_to_string(dir.join("entities.json")).expect("entities"),
        Some(&schema),
    )
    .expect("entities");
    let set = cedar_policy_set(&dir);
    let authorizer = Authorizer::new();

    let ev = Evaluator::from_project("native", &project);
    let trace = std::fs::read_to_string(dir.join("requests/trace.jsonl")).expect("trace");
    let mut expected = Vec::new();
    let mut allows = 0;
    let mut by_link = 0;
    for (i, line) in trace.lines().enumerate() {
        let rec = parse_record(i + 1, line).expect("record");
        let principal = EntityUid::from_str(&rec.agent).expect("uid");
        let action = EntityUid::from_str(&format!("Action::\"{}\"", rec.action)).expect("action");
        let res = rec.resource.as_ref().expect("resource");
        let resource = EntityUid::from_str(&format!("{}::\"{}\"", res.ty, res.id)).expect("res");
        let context = Context::from_json_value(
            serde_json::Value::Object(rec.context.clone()),
            Some((&schema, &action)),
        )
        .expect("context");
        let req = Request::new(principal, action, resource, context, Some(&schema)).expect("req");
        let resp = authorizer.is_authorized(&req, &set, &entities);
        let mut reasons: Vec<String> = resp
            .diagnostics()
            .reason()
            .map(ToString::to_string)
            .collect();
        reasons.sort();
        let decision = match resp.decision() {
            cedar_policy::Decision::Allow => Decision::Allow,
            cedar_policy::Decision::Deny => Decision::Deny,
        };
        allows += usize::from(decision == Decision::Allow);
        by_link += usize::from(reasons.iter().any(|r| project.policies.link(r).is_some()));
        let got = ev.decide_reference(&rec);
        let got_reasons: Vec<String> = got.reasons.iter().map(ToString::to_string).collect();
        assert_eq!(
            (got.decision, &got_reasons, got.errors.len()),
            (decision, &reasons, resp.diagnostics().errors().count()),
            "line {}: {line}",
            i + 1
        );
        let prepared = ev.prepare(&rec).expect("prepares");
        let fast = ev.decide(&prepared);
        assert_eq!(fast.decision, decision, "fast path, line {}", i + 1);
        expected.push((decision, reasons));
    }
    assert!(allows > 0 && allows < expected.len(), "a mix of decisions");
    assert!(by_link > 0, "some decisions are determined by links");

    // Replay (with reuse, without, one thread) decides the same.
    for reuse in [true, false] {
        let options = ReplayOptions {
            reuse,
            ..ReplayOptions::default()
        };
        let mut sink = Collect::default();
        replay(trace.as_bytes(), &[&ev], &options, &mut sink, &|_| {}).expect("replay");
        assert_eq!(sink.results.len(), expected.len());
        for (r, (decision, reasons)) in sink.results.iter().zip(&expected) {
            let o = &r.evaluations[0].outcome;
            let got: Vec<String> = o.reasons.iter().map(ToString::to_string).collect();
            assert_eq!((&o.decision, &got), (decision, reasons), "line {}", r.line);
        }
    }
}

#[test]
fn an_inventory_project_still_needs_inventory_or_entities() {
    let dir = copy_project(&native());
    std::fs::remove_file(dir.path().join("entities.json")).expect("rm");
    let report = check_project(dir.path(), today_utc());
    let d = only_error(&report, "project-no-inventory");
    assert!(d.message.contains("entities.json"), "{}", d.message);
    assert!(report.project.is_none());
}

#[test]
fn an_entity_in_both_files_is_located_in_both() {
    let root = repo_root().join("sample-policies/v1");
    let dir = copy_project(&root);
    let extra = r#"[
  {"uid": {"type": "User", "id": "someone"}, "attrs": {}, "parents": []},
  {
    "uid": {"type": "Team", "id": "platform"},
    "attrs": {"name": "Platform again"},
    "parents": []
  }
]"#;
    std::fs::write(dir.path().join("entities.json"), extra).expect("write");
    let report = check_project(dir.path(), today_utc());
    let d = only_error(&report, "entities-duplicate");
    assert!(d.message.contains("Team::\"platform\""), "{}", d.message);
    assert_eq!(d.file, dir.path().join("entities.json"));
    assert_eq!(at(extra, d), (3, 3));
    let rel = &d.related[0];
    assert_eq!(rel.file, dir.path().join("inventory.toml"));
    let inv = std::fs::read_to_string(dir.path().join("inventory.toml")).expect("inv");
    let span = rel.span.expect("located in the inventory");
    assert_eq!(&inv[span.start..span.end], "\"platform\"");

    // Without the duplicate, the inventory and the file merge.
    let merged = r#"[{"uid": {"type": "User", "id": "someone"}, "attrs": {}, "parents": []}]"#;
    std::fs::write(dir.path().join("entities.json"), merged).expect("write");
    let report = check_project(dir.path(), today_utc());
    let project = report.project.expect("merges");
    let someone = EntityUid::from_str("User::\"someone\"").expect("uid");
    let platform = EntityUid::from_str("Team::\"platform\"").expect("uid");
    assert!(project.entities.get(&someone).is_some());
    assert!(project.entities.get(&platform).is_some());
}

#[test]
fn an_entity_that_does_not_fit_the_schema_is_located() {
    let dir = copy_project(&native());
    let path = dir.path().join("entities.json");
    let text = std::fs::read_to_string(&path).expect("read");
    // bob's clearance becomes a string.
    let bad = text.replacen("\"clearance\": 1", "\"clearance\": \"one\"", 1);
    assert_ne!(bad, text);
    std::fs::write(&path, &bad).expect("write");
    let report = check_project(dir.path(), today_utc());
    let d = only_error(&report, "entities-schema");
    assert!(d.message.contains("User::\"bob\""), "{}", d.message);
    assert!(d.message.contains("clearance"), "{}", d.message);
    let line = bad
        .lines()
        .position(|l| l.contains("\"id\": \"bob\""))
        .expect("bob")
        + 1;
    // The entity's object starts on the line before its uid.
    assert_eq!(at(&bad, d), (line - 1, 3));
}

/// Writes `links` into a copy of the sample and returns the check report
/// and the text written.
fn with_links(links: &str) -> (CheckReport, String, tempfile::TempDir) {
    let dir = copy_project(&native());
    std::fs::write(dir.path().join("links.json"), links).expect("write");
    (
        check_project(dir.path(), today_utc()),
        links.to_string(),
        dir,
    )
}

#[test]
fn every_link_error_is_located() {
    let cases: [(&str, &str, &str, &str); 7] = [
        (
            r#"[{"template_id": "nope", "link_id": "x", "args": {}}]"#,
            "links-unknown-template",
            "\"nope\"",
            "no template `nope`",
        ),
        (
            r#"[{"template_id": "viewer", "link_id": "x",
  "args": {"?principal": "User::\"bob\""}}]"#,
            "links-missing-slot",
            "{\"?principal\": \"User::\\\"bob\\\"\"}",
            "?resource",
        ),
        (
            r#"[{"template_id": "edits-need-approval", "link_id": "x",
  "args": {"?resource": "Folder::\"specs\"", "?principal": "User::\"bob\""}}]"#,
            "links-extra-slot",
            "\"?principal\"",
            "no ?principal slot",
        ),
        (
            r#"[{"template_id": "viewer", "link_id": "owner-full-access",
  "args": {"?principal": "User::\"bob\"", "?resource": "Folder::\"specs\""}}]"#,
            "links-id-taken",
            "\"owner-full-access\"",
            "owner-full-access",
        ),
        (
            r#"[{"template_id": "viewer", "link_id": "x",
  "args": {"?principal": "Robot::\"r2\"", "?resource": "Folder::\"specs\""}}]"#,
            "links-value-type",
            "\"Robot::\\\"r2\\\"\"",
            "Robot",
        ),
        (
            r#"[{"template_id": "viewer", "link_id": "x",
  "args": {"?principal": "bob", "?resource": "Folder::\"specs\""}}]"#,
            "links-value",
            "\"bob\"",
            "not an entity uid",
        ),
        (
            r#"[{"template_id": "owner-full-access", "link_id": "x", "args": {}}]"#,
            "links-unknown-template",
            "\"owner-full-access\"",
            "static policy",
        ),
    ];
    for (links, code, marked, says) in cases {
        let (report, text, _dir) = with_links(links);
        let d = only_error(&report, code);
        let span = d.span.expect("located");
        assert_eq!(&text[span.start..span.end], marked, "{code}: {d:?}");
        assert!(d.message.contains(says), "{code}: {}", d.message);
        assert!(report.project.is_none());
    }

    // Two links with one id: the second is the error, the first related.
    let links = r#"[
 {"template_id": "viewer", "link_id": "dup", "args": {"?principal": "User::\"bob\"", "?resource": "Folder::\"specs\""}},
 {"template_id": "viewer", "link_id": "dup", "args": {"?principal": "User::\"carol\"", "?resource": "Folder::\"specs\""}}
]"#;
    let (report, text, _dir) = with_links(links);
    let d = only_error(&report, "links-id-duplicate");
    assert_eq!(line_column(&text, d.span.expect("at").start).0, 3);
    assert_eq!(
        line_column(&text, d.related[0].span.expect("first").start).0,
        2
    );

    // A value of a declared type the template's scope cannot take: the
    // validator refuses the linked policy, located at the link.
    let links = r#"[
 {"template_id": "viewer", "link_id": "team-views",
  "args": {"?principal": "Team::\"eng\"", "?resource": "Folder::\"specs\""}}
]"#;
    let (report, text, _dir) = with_links(links);
    let d = only_error(&report, "link-validation");
    assert!(d.message.contains("team-views"), "{}", d.message);
    assert_eq!(line_column(&text, d.span.expect("at").start), (2, 2));

    // Bad JSON is located by line and column.
    let (report, _, _dir) = with_links("[\n {\"template_id\": }\n]");
    let d = only_error(&report, "links-json");
    assert_eq!(d.position.map(|p| p.0), Some(2));
}

#[test]
fn templates_are_named_by_cedar_number_too() {
    // The Cedar CLI numbers policies and templates together across the
    // files in name order: base.cedar holds policy0..policy2, so the first
    // template of sharing.cedar is policy3.
    let links = r#"[{"template_id": "policy3", "link_id": "bob-views",
  "args": {"?principal": "User::\"bob\"", "?resource": "Folder::\"specs\""}}]"#;
    let (report, _, _dir) = with_links(links);
    let project = report.project.expect("links by number");
    assert_eq!(project.policies.links[0].template, "viewer");
    assert_eq!(
        project.policies.by_cedar_name("policy0"),
        Some("owner-full-access")
    );
}

#[test]
fn diff_compares_templates_by_id_and_links_by_link_id() {
    let from = check_project(&native(), today_utc())
        .project
        .expect("checks");
    let dir = copy_project(&native());
    let sharing = dir.path().join("policies/sharing.cedar");
    let text = std::fs::read_to_string(&sharing).expect("read");
    std::fs::write(
        &sharing,
        text.replacen(
            "  action == Action::\"view\",\n  resource in ?resource\n);",
            "  action == Action::\"view\",\n  resource in ?resource\n)\nwhen { context.mfa };",
            1,
        ),
    )
    .expect("write");
    let links_path = dir.path().join("links.json");
    let links = std::fs::read_to_string(&links_path).expect("read");
    let links = links
        .replacen("User::\\\"carol\\\"", "User::\\\"alice\\\"", 1)
        .replacen(
            "[\n",
            "[\n  {\"template_id\": \"viewer\", \"link_id\": \"carol-views-budget\", \"args\": {\"?principal\": \"User::\\\"carol\\\"\", \"?resource\": \"Document::\\\"budget\\\"\"}},\n",
            1,
        );
    std::fs::write(&links_path, links).expect("write");
    let report = check_project(dir.path(), today_utc());
    let to = report
        .project
        .unwrap_or_else(|| panic!("{:#?}", report.diagnostics));
    let entries = writ_core::diff::text_diff(&from, &to);
    let names: Vec<(&str, writ_core::diff::TextChange)> = entries
        .iter()
        .map(|e| (e.name.as_str(), e.change))
        .collect();
    use writ_core::diff::TextChange::*;
    assert_eq!(
        names,
        [
            ("template viewer", Changed),
            ("link carol-edits-specs", Changed),
            ("link carol-views-budget", Added),
        ]
    );
    let link = &entries[1].unified;
    assert!(
        link.contains("-?principal = User::\"carol\"")
            && link.contains("+?principal = User::\"alice\""),
        "{link}"
    );
}

#[test]
fn a_cedar_run_tests_file_runs_with_entities_and_links() {
    use writ_core::scenario::{run_cedar_tests_with, CedarTestInputs, TestRun};
    let dir = native();
    // The Cedar CLI takes one policy file: the project's, concatenated in
    // the order Writ reads them.
    let tmp = tempfile::tempdir().expect("tmp");
    let all = tmp.path().join("policies.cedar");
    let text = ["base.cedar", "sharing.cedar"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.join("policies").join(f)).expect("read"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&all, text).expect("write");
    let inputs = CedarTestInputs {
        policies: &all,
        schema: Some(&dir.join("schema.cedarschema")),
        entities: Some(&dir.join("entities.json")),
        links: Some(&dir.join("links.json")),
    };
    let mut run = TestRun::default();
    run_cedar_tests_with(&inputs, &dir.join("requests/tests.json"), &mut run).expect("runs");
    let failed: Vec<_> = run.cases.iter().filter(|c| !c.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(run.cases.len() >= 6);

    // Without the links, the cases that rely on a link fail.
    let inputs = CedarTestInputs {
        links: None,
        ..inputs
    };
    let mut run = TestRun::default();
    run_cedar_tests_with(&inputs, &dir.join("requests/tests.json"), &mut run).expect("runs");
    assert!(run.failed() > 0);
}

/// A scenario next to a copy of the cedar-native project: `extra` is put
/// between the header and the one case (bob edits `Document::"minutes"`).
fn scenario_with(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = copy_project(&native());
    let file = dir.path().join("what-if.toml");
    let text = format!(
        r#"name = "what if"
project = "."
{extra}
[[case]]
name = "bob edits the minutes"
expect = {{ decision = "allow", reasons = ["owner-full-access"] }}
[case.record]
ts = "2026-11-02T10:00:00Z"
agent = 'User::"bob"'
action = "edit"
resource = {{ type = "Document", id = "minutes" }}
context = {{ mfa = false }}
"#
    );
    std::fs::write(&file, text).expect("write scenario");
    (dir, file)
}

fn run_scenario(file: &Path) -> Result<writ_core::scenario::TestRun, String> {
    let mut run = writ_core::scenario::TestRun::default();
    let mut runner = writ_core::scenario::ScenarioRunner::new();
    runner
        .run_file(file, &mut run)
        .map(|()| run)
        .map_err(|e| e.to_string())
}

const MINUTES: &str = r#"[{"uid": {"type": "Document", "id": "minutes"},
  "attrs": {"owner": {"__entity": {"type": "User", "id": "bob"}},
            "classification": "internal",
            "created": {"__extn": {"fn": "datetime", "arg": "2026-11-01"}}},
  "parents": [{"type": "Folder", "id": "specs"}]}]"#;

#[test]
fn a_scenario_adds_entities_from_a_file_or_inline() {
    // Without the document, the owner rule cannot apply.
    let (_dir, file) = scenario_with("");
    let run = run_scenario(&file).expect("runs");
    assert_eq!(run.cases.len(), 1);
    assert!(!run.cases[0].passed, "{:?}", run.cases[0]);

    let (dir, file) = scenario_with(r#"entities = "minutes.json""#);
    std::fs::write(dir.path().join("minutes.json"), MINUTES).expect("write");
    let run = run_scenario(&file).expect("runs");
    assert!(run.cases[0].passed, "{:?}", run.cases[0]);

    let inline = r#"
[[entities]]
uid = { type = "Document", id = "minutes" }
parents = [{ type = "Folder", id = "specs" }]
[entities.attrs]
owner = { __entity = { type = "User", id = "bob" } }
classification = "internal"
created = { __extn = { fn = "datetime", arg = "2026-11-01" } }
"#;
    let (_dir, file) = scenario_with(inline);
    let run = run_scenario(&file).expect("runs");
    assert!(run.cases[0].passed, "{:?}", run.cases[0]);

    // The project's own entities are untouched by a scenario: the plain
    // scenario, run after one that added the document, still fails.
    let mut runner = writ_core::scenario::ScenarioRunner::new();
    let mut run = writ_core::scenario::TestRun::default();
    let (_d1, with) = scenario_with(inline);
    let (_d2, without) = scenario_with("");
    runner.run_file(&with, &mut run).expect("runs");
    runner.run_file(&without, &mut run).expect("runs");
    assert!(run.cases[0].passed && !run.cases[1].passed, "{run:?}");
}

#[test]
fn a_scenario_entity_the_project_defines_or_that_misfits_is_located() {
    // `User::"bob"` is the project's: redefining it is refused, located in
    // the scenario's entities file.
    let (dir, file) = scenario_with(r#"entities = "again.json""#);
    std::fs::write(
        dir.path().join("again.json"),
        "[\n  {\"uid\": {\"type\": \"User\", \"id\": \"bob\"}, \"attrs\": {\"clearance\": 9}, \"parents\": []}\n]",
    )
    .expect("write");
    let err = run_scenario(&file).expect_err("refused");
    assert!(
        err.contains("again.json:2:") && err.contains("already defined by the project"),
        "{err}"
    );

    // An inline entity that does not fit the schema names the scenario
    // line of `[[entities]]` and the attribute.
    let (_dir, file) = scenario_with(
        "\n[[entities]]\nuid = { type = \"User\", id = \"erin\" }\nattrs = { clearance = \"high\" }\nparents = []\n",
    );
    let err = run_scenario(&file).expect_err("refused");
    assert!(
        err.contains("what-if.toml:4:") && err.contains("clearance"),
        "{err}"
    );

    // A missing file is an I/O error naming it.
    let (_dir, file) = scenario_with(r#"entities = "nowhere.json""#);
    let err = run_scenario(&file).expect_err("refused");
    assert!(err.contains("nowhere.json"), "{err}");
}
