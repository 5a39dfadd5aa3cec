//! The Cedar-native sample (`sample-policies/cedar-native`: a schema,
//! entities.json, templates and links.json, no inventory) through the
//! `writ` binary: check lists templates and links, test runs a Cedar
//! run-tests file with --entities and --links, replay names links as the
//! determining policies, and `writ export avp --apply-ids` fills the
//! template ids of the linked bodies.

use crate::common::{exits, fails, ok, root, s, writ, writ_in};
use serde_json::Value;

fn native() -> std::path::PathBuf {
    root().join("sample-policies/cedar-native")
}

#[test]
fn check_lists_templates_and_links() {
    let out = ok(writ(&["check", s(&native())]));
    assert!(out.contains(": ok (3 policies, 0 agents, 0 tools"), "{out}");
    assert!(
        out.contains("template  viewer  permit ?principal ?resource  (1 link(s))"),
        "{out}"
    );
    assert!(
        out.contains("link      bob-views-roadmap -> viewer"),
        "{out}"
    );
    assert!(out.contains("entities  "), "{out}");
}

#[test]
fn a_cedar_run_tests_file_passes_with_entities_and_links() {
    let dir = native();
    let args = |links: bool| {
        let mut a = vec![
            "test".to_string(),
            s(&dir.join("requests/tests.json")).to_string(),
            "--policies".into(),
            s(&dir.join("policies")).to_string(),
            "--schema".into(),
            s(&dir.join("schema.cedarschema")).to_string(),
            "--entities".into(),
            s(&dir.join("entities.json")).to_string(),
        ];
        if links {
            a.push("--links".into());
            a.push(s(&dir.join("links.json")).to_string());
        }
        a
    };
    let with: Vec<String> = args(true);
    let out = ok(writ(&with.iter().map(String::as_str).collect::<Vec<_>>()));
    assert!(out.contains("8 passed, 0 failed"), "{out}");
    let without: Vec<String> = args(false);
    let (out, _) = fails(writ(
        &without.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert!(
        out.contains("FAIL  bob views the roadmap through his link"),
        "{out}"
    );
}

#[test]
fn replay_names_links_as_determining_policies() {
    let dir = native();
    let out = ok(writ(&[
        "replay",
        "--project",
        s(&dir),
        "--traces",
        s(&dir.join("requests/trace.jsonl")),
        "--format",
        "jsonl",
    ]));
    let rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect();
    assert_eq!(rows.len(), 42);
    assert_eq!(rows[0]["decision"], "allow", "{}", rows[0]);
    assert_eq!(rows[0]["reasons"], serde_json::json!(["bob-views-roadmap"]));
    // dave's edit in finance without a second factor waits for approval:
    // the @step_up of the template applies to its link.
    let dave = rows
        .iter()
        .find(|r| r["reasons"] == serde_json::json!(["lock-finance"]))
        .expect("a lock-finance denial");
    assert_eq!(dave["verdict"], "needs_step_up", "{dave}");
}

#[test]
fn export_avp_fills_template_ids_from_apply_ids() {
    use ed25519_dalek::pkcs8::EncodePublicKey as _;
    let tmp = tempfile::tempdir().expect("tmp");
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let public = key
        .verifying_key()
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .expect("pem");
    std::fs::write(tmp.path().join("release.pub.pem"), public).expect("write");
    let project = writ_core::project::check_project(&native(), writ_core::project::today_utc())
        .project
        .expect("checks");
    let inputs = writ_bundle::bundle::inputs_from_project(
        &"c".repeat(64),
        &project,
        vec![],
        "2026-11-30T10:00:00Z",
        None,
    );
    writ_bundle::bundle::build(&inputs, &key)
        .expect("builds")
        .write_dir(&tmp.path().join("b"))
        .expect("writes");
    let out = ok(writ_in(
        tmp.path(),
        &["bundle", "verify", "b", "--trust", "release.pub.pem"],
    ));
    assert!(!out.is_empty());

    // First export: placeholders.
    let out = ok(writ_in(
        tmp.path(),
        &[
            "export",
            "avp",
            "--bundle",
            "b",
            "--trust",
            "release.pub.pem",
            "--out",
            "avp1",
        ],
    ));
    assert!(out.contains("4 CreatePolicyTemplate bodies"), "{out}");
    let body = std::fs::read_to_string(tmp.path().join("avp1/policies/bob-views-roadmap.json"))
        .expect("linked body");
    assert!(body.contains("{{template:viewer}}"), "{body}");

    // With the ids AVP assigned.
    std::fs::write(
        tmp.path().join("ids.json"),
        r#"{"viewer": "T1", "editor": "T2", "team-reviewer": "T3", "edits-need-approval": "T4"}"#,
    )
    .expect("write");
    ok(writ_in(
        tmp.path(),
        &[
            "export",
            "avp",
            "--bundle",
            "b",
            "--trust",
            "release.pub.pem",
            "--out",
            "avp2",
            "--apply-ids",
            "ids.json",
        ],
    ));
    let body: Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("avp2/policies/bob-views-roadmap.json"))
            .expect("linked body"),
    )
    .expect("json");
    assert_eq!(
        body["definition"]["templateLinked"]["policyTemplateId"],
        "T1"
    );

    // An id missing: nothing written, the template named.
    std::fs::write(tmp.path().join("some.json"), r#"{"viewer": "T1"}"#).expect("write");
    let out = exits(
        writ_in(
            tmp.path(),
            &[
                "export",
                "avp",
                "--bundle",
                "b",
                "--trust",
                "release.pub.pem",
                "--out",
                "avp3",
                "--apply-ids",
                "some.json",
            ],
        ),
        1,
    );
    assert!(out.contains("editor"), "{out}");
    assert!(!tmp.path().join("avp3").exists());
}

#[test]
fn entities_lists_and_searches_the_entity_data() {
    let dir = native();
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("entities.json")).unwrap()).unwrap();
    let written = written.as_array().unwrap().len();
    let all: Value =
        serde_json::from_str(&ok(writ(&["entities", s(&dir), "--format", "json"]))).expect("JSON");
    assert_eq!(all["total"].as_u64(), Some(written as u64));
    assert_eq!(all["matched"], all["total"]);
    let eng: Value = serde_json::from_str(&ok(writ(&[
        "entities",
        s(&dir),
        "--search",
        "type:USER parent:eng",
        "--format",
        "json",
    ])))
    .expect("JSON");
    let uids: Vec<&str> = eng["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, vec!["User::\"alice\"", "User::\"bob\""]);
    assert_eq!(eng["rows"][0]["source"]["file"], "entities.json");
    let table = ok(writ(&[
        "entities",
        s(&dir),
        "--search",
        "tag:\"case 2026\"",
    ]));
    assert!(table.contains("legal-hold: \"case 2026-17\""), "{table}");
    assert!(
        table
            .trim_end()
            .ends_with(&format!("1 of {written} entities")),
        "{table}"
    );
    // A project with errors is refused, as by every command.
    let (_, err) = fails(writ(&["entities", s(&dir.join("policies"))]));
    assert!(err.contains("error"), "{err}");
}
