//! From a team's own recording to a meaningful replay (issue 16's
//! done-when): an OTLP export of a made-up organisation is imported,
//! re-mapped with a per-tool profile after the file is gone, drafted into a
//! project, committed, and replayed — no shadow agents, every executed call
//! allowed (or, for the tools drafted behind a step-up, needing one), and a
//! widened draft shows the grants nobody used, with a narrowing that keeps
//! every allow.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use writ_core::draft::Limits;
use writ_store::traces::{ActionFilter, ImportOptions, RemapOptions};
use writ_store::Workspace;

fn kv(k: &str, v: &str) -> Value {
    json!({"key": k, "value": {"stringValue": v}})
}

/// Larkspur Health's agents and what each did: (name, tool, arguments, failed).
fn larkspur() -> String {
    let calls: &[(&str, &str, Value, bool)] = &[
        (
            "intake",
            "lookup_patient",
            json!({"patient_id": "p-1"}),
            false,
        ),
        (
            "intake",
            "lookup_patient",
            json!({"patient_id": "p-2"}),
            false,
        ),
        ("intake", "list_slots", json!({"clinic": "north"}), false),
        ("scheduler", "list_slots", json!({"clinic": "north"}), false),
        ("scheduler", "list_slots", json!({"clinic": "south"}), false),
        (
            "scheduler",
            "book_appointment",
            json!({"patient_id": "p-1", "slot": 9}),
            false,
        ),
        ("reminders", "list_slots", json!({"clinic": "south"}), false),
        (
            "reminders",
            "send_reminder",
            json!({"patient_id": "p-2"}),
            false,
        ),
        (
            "reminders",
            "send_reminder",
            json!({"patient_id": "p-3"}),
            true,
        ),
        (
            "billing",
            "lookup_patient",
            json!({"patient_id": "p-9"}),
            false,
        ),
    ];
    let mut resources: Vec<Value> = Vec::new();
    for agent in ["intake", "scheduler", "reminders", "billing"] {
        let spans: Vec<Value> = calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.0 == agent)
            .map(|(i, (_, tool, args, failed))| {
                let mut span = json!({
                    "traceId": format!("{:032x}", i + 1),
                    "spanId": format!("{:016x}", i + 1),
                    "name": format!("execute_tool {tool}"),
                    "startTimeUnixNano": format!("17775550556320{:05}", i),
                    "attributes": [
                        kv("gen_ai.operation.name", "execute_tool"),
                        kv("gen_ai.tool.name", tool),
                        kv("gen_ai.tool.call.arguments", &args.to_string()),
                    ],
                    "status": {}
                });
                if *failed {
                    span["status"] = json!({"code": 2, "message": "smtp timeout"});
                }
                span
            })
            .collect();
        resources.push(json!({
            "resource": {"attributes": [
                kv("service.name", agent),
                kv("gen_ai.agent.id", &format!("spiffe://larkspur.example/agents/{agent}")),
            ]},
            "scopeSpans": [{"scope": {"name": "larkspur"}, "spans": spans}]
        }));
    }
    json!({"resourceSpans": resources}).to_string()
}

const PROFILE: &str = r#"
name = "larkspur"
[tools.lookup_patient]
action = "read_patient"
resource = { type = "Patient", id = "{arg.patient_id}" }
[tools.send_reminder]
resource = { type = "Patient", id = "{arg.patient_id}" }
"#;

fn actions_of(ws: &Workspace, set: i64) -> Vec<(String, Value)> {
    ws.list_actions(set, &ActionFilter::default(), 0, 100)
        .expect("actions")
        .iter()
        .map(|a| {
            let v: Value = serde_json::from_str(&a.record).expect("json");
            (
                v["action"].as_str().unwrap_or("").to_string(),
                v["resource"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_recording_becomes_a_drafted_project_that_replays_meaningfully() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ws = Workspace::create(&dir.path().join("w.writ")).expect("create");
    let file = dir.path().join("larkspur-otlp.json");
    std::fs::write(&file, larkspur()).expect("write");
    let never = AtomicBool::new(false);
    let first = ws
        .import_traces_opts(
            &file,
            Some("larkspur"),
            "tester",
            &ImportOptions::default(),
            &|_| {},
            &never,
        )
        .expect("import");
    assert_eq!(first.set.actions, 10);
    std::fs::remove_file(&file).expect("the file is gone before the re-map");

    // Re-mapped with a per-tool profile: actions and resources change.
    let profile_file = dir.path().join("larkspur.toml");
    std::fs::write(&profile_file, PROFILE).expect("profile");
    let profile = writ_core::ingest::profile::Profile::load(&profile_file).expect("profile");
    let opts = RemapOptions {
        mapping: std::sync::Arc::new(profile.clone()),
        user_attributes: vec![],
    };
    // Previewed first: the first calls as the profile maps them, nothing stored.
    let sets_before = ws.list_trace_sets().expect("sets").len();
    let preview = ws
        .preview_remap("larkspur", &opts, None, 3)
        .expect("preview");
    assert_eq!(preview.len(), 3);
    let mapped = preview[0].record.as_ref().expect("a record");
    assert_eq!(mapped.action, "read_patient");
    assert_eq!(
        mapped.resource.as_ref().map(|r| r.ty.as_str()),
        Some("Patient")
    );
    assert!(
        preview.iter().all(|p| p.problems.is_empty()),
        "{preview:#?}"
    );
    assert_eq!(ws.list_trace_sets().expect("sets").len(), sets_before);
    let remapped = ws
        .remap_trace_set(
            "larkspur",
            None,
            "tester",
            &RemapOptions {
                mapping: std::sync::Arc::new(profile),
                user_attributes: vec![],
            },
        )
        .expect("remap");
    let before: BTreeSet<String> = actions_of(&ws, first.set.id)
        .into_iter()
        .map(|a| a.0)
        .collect();
    let after = actions_of(&ws, remapped.set.id);
    let after_names: BTreeSet<String> = after.iter().map(|a| a.0.clone()).collect();
    assert!(before.contains("lookup_patient") && !before.contains("read_patient"));
    assert!(after_names.contains("read_patient") && !after_names.contains("lookup_patient"));
    assert!(after
        .iter()
        .any(|(a, r)| a == "read_patient" && r["type"] == "Patient" && r["id"] == "p-9"));

    // Drafted: one agent per identity, every executed call granted; the
    // booking and the reminders are behind a step-up.
    let set = remapped.set.name.clone();
    let d = ws
        .draft_from_set(&set, &Limits::default(), &|_| {})
        .expect("draft");
    assert!(d.check.holds(), "{:#?}", d.check);
    assert_eq!(d.check.actions, 10);
    assert_eq!(
        d.check.shadow_actions, 0,
        "every identity is an inventory agent"
    );
    let agents = d
        .draft
        .report
        .identities
        .iter()
        .filter(|i| i.is_agent())
        .count();
    assert_eq!(agents, 4);
    let stepped: BTreeSet<&str> = d
        .draft
        .report
        .step_ups
        .iter()
        .flat_map(|s| s.tools.iter().map(String::as_str))
        .collect();
    assert_eq!(
        stepped,
        BTreeSet::from(["book_appointment", "send_reminder"])
    );
    // 9 executed (one reminder failed): 7 plain, 2 behind the step-up.
    assert_eq!((d.check.granted_calls, d.check.granted_allowed), (7, 7));
    assert_eq!(d.check.needs_step_up, 2);
    assert_eq!(d.check.allowed, 7);
    // The reminder that failed (patient p-3) is not granted; the one that ran is.
    let reminder = d
        .draft
        .report
        .grants
        .iter()
        .find(|g| g.tool == "send_reminder")
        .expect("grant");
    assert_eq!(
        reminder.resources,
        writ_core::draft::Resources::Listed {
            entity_type: "Patient".into(),
            ids: vec!["p-2".into()]
        }
    );

    // Cleared by the analyst, every executed call is allowed.
    let plain = Limits {
        plain: ["book_appointment".to_string(), "send_reminder".to_string()].into(),
        ..Limits::default()
    };
    let d = ws.draft_from_set(&set, &plain, &|_| {}).expect("draft");
    assert!(d.check.holds());
    assert_eq!((d.check.granted_calls, d.check.allowed), (9, 9));

    // Widened on principals: list_slots opens to every agent; billing
    // never listed slots, so that grant is unused, and the narrowing keeps
    // every allow.
    let wide = Limits {
        max_principals: 2,
        ..plain
    };
    let d = ws.draft_from_set(&set, &wide, &|_| {}).expect("draft");
    assert!(d.check.holds(), "{:#?}", d.check);
    let root = dir.path().join("draft");
    let committed = ws
        .commit_version(&d.draft.files(&root), "tester", "drafted from larkspur")
        .expect("commit");
    let version = ws.check_version(committed.id()).expect("check version");
    let project = version.report.project.expect("the committed draft checks");
    let (_, review) = ws.grant_review(&project, &set, &|_| {}).expect("review");
    let unused: Vec<(String, String)> = review
        .unused
        .iter()
        .map(|u| (u.agent.clone(), u.action.clone()))
        .collect();
    assert_eq!(
        unused,
        vec![("billing".to_string(), "Action::\"list_slots\"".to_string())]
    );
    let check = review.check.expect("the narrowing checks");
    assert!(check.holds(), "{check:#?}");
    assert_eq!(check.allowed_before, 9);
}
