//! The Cedar request shown for a record (`Evaluator::request_json`) is the
//! request Writ decides: rebuilt by Cedar from that JSON alone, every action
//! of the recorded sample trace gets the decision and determining policies
//! the plain path gives.

use cedar_policy::{Authorizer, Context, Decision, EntityUid, Request};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use writ_core::evaluate::Evaluator;
use writ_core::project::{check_project, today_utc, Project};
use writ_core::trace::parse_record;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample(version: &str) -> Project {
    let dir = repo_root().join("sample-policies").join(version);
    check_project(&dir, today_utc())
        .project
        .unwrap_or_else(|| panic!("{} does not check", dir.display()))
}

/// Cedar's own request from the JSON form, validated against the schema.
fn cedar_request(project: &Project, json: &serde_json::Value) -> Request {
    let uid = |k: &str| EntityUid::from_json(json[k].clone()).expect(k);
    let action = uid("action");
    let context = Context::from_json_value(
        json["context"].clone(),
        Some((&project.schema.schema, &action)),
    )
    .expect("context");
    Request::new(
        uid("principal"),
        action,
        uid("resource"),
        context,
        Some(&project.schema.schema),
    )
    .expect("request")
}

#[test]
fn the_shown_request_is_the_decided_request() {
    let text = std::fs::read_to_string(repo_root().join("scenarios/traces/recorded.jsonl"))
        .expect("the recorded trace");
    for version in ["v1", "v2"] {
        let project = sample(version);
        let evaluator = Evaluator::from_project(version, &project);
        let authorizer = Authorizer::new();
        let mut checked = 0;
        for (i, line) in text.lines().enumerate() {
            let record = parse_record(i + 1, line).expect("a valid line");
            let expected = evaluator.decide_reference(&record);
            let json = evaluator.request_json(&record).expect("request json");
            let response = authorizer.is_authorized(
                &cedar_request(&project, &json),
                &project.policies.set,
                &project.entities,
            );
            let decision = match response.decision() {
                Decision::Allow => "allow",
                Decision::Deny => "deny",
            };
            assert_eq!(decision, expected.decision.as_str(), "line {}", i + 1);
            let reasons: BTreeSet<String> = response
                .diagnostics()
                .reason()
                .map(|id| {
                    project
                        .policies
                        .set
                        .policy(id)
                        .and_then(|p| p.annotation("id").map(str::to_string))
                        .unwrap_or_else(|| id.to_string())
                })
                .collect();
            let expected_reasons: BTreeSet<String> =
                expected.reasons.iter().map(|r| r.to_string()).collect();
            assert_eq!(reasons, expected_reasons, "line {}", i + 1);
            checked += 1;
        }
        assert_eq!(checked, 2400);
    }
}

#[test]
fn the_shown_request_names_the_inventory_agent_and_injected_time() {
    let project = sample("v2");
    let evaluator = Evaluator::from_project("v2", &project);
    let line = r#"{"ts":"2026-11-02T06:22:03Z","agent":"spiffe://acme.example/agents/support-bot","on_behalf_of":"bob@acme.example","action":"read_ticket","resource":{"type":"Ticket","id":"T-1047"},"context":{"intent":"answer_tickets","environment":"production","risk_score":10,"credential_kind":"short_lived","credential_ttl_secs":600},"outcome":"executed"}"#;
    let json = evaluator
        .request_json(&parse_record(1, line).expect("record"))
        .expect("request json");
    assert_eq!(json["principal"]["type"], "Agent");
    assert_eq!(json["principal"]["id"], "support-bot");
    assert_eq!(json["action"]["id"], "read_ticket");
    assert_eq!(json["resource"]["id"], "T-1047");
    assert_eq!(json["context"]["environment"], "production");
    // Injected from the record: `now` from `ts`, `on_behalf_of` as a User.
    let now = json["context"]["now"].to_string();
    assert!(
        now.contains("datetime") && now.contains("2026-11-02T06:22:03"),
        "{json:#}"
    );
    let on_behalf_of = json["context"]["on_behalf_of"].to_string();
    assert!(on_behalf_of.contains("bob@acme.example"), "{json:#}");
    assert_eq!(
        json["principal_entity"]["attrs"]["risk_tier"], "low",
        "{json:#}"
    );
    let shadow = line.replace("agents/support-bot", "agents/nobody");
    let json = evaluator
        .request_json(&parse_record(1, &shadow).expect("record"))
        .expect("request json");
    assert!(json["principal_entity"].is_null(), "{json:#}");
}
