//! `writ serve` over a bundle of a Cedar-native project (entities.json,
//! templates, links.json, no inventory): the bundle carries the links,
//! signed, and the server decides every request as replay does, links
//! named as the determining policies.

use crate::common::*;
use serde_json::{json, Value};

fn native_records() -> Vec<Value> {
    std::fs::read_to_string(root().join("sample-policies/cedar-native/requests/trace.jsonl"))
        .expect("trace")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

#[test]
fn a_bundle_with_links_is_signed_and_serve_decides_with_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = dir.path().join("native");
    fresh_bundle("cedar-native", &b);

    // links.json is in the bundle and in the signed manifest.
    let bundle = writ_bundle::bundle::read(&b).expect("reads");
    let verified =
        writ_bundle::bundle::verify(&bundle, &trusted(), time::OffsetDateTime::now_utc())
            .expect("verifies");
    assert!(verified.manifest.files.contains_key("links.json"));
    let links: Value = serde_json::from_slice(&bundle.files["links.json"]).expect("json");
    assert_eq!(links.as_array().map(Vec::len), Some(5));
    let entities: Value = serde_json::from_slice(&bundle.files["entities.json"]).expect("json");
    assert!(entities
        .as_array()
        .expect("array")
        .iter()
        .any(|e| e["uid"]["id"] == "budget" && e["tags"]["legal-hold"].is_string()));
    let policies = String::from_utf8(bundle.files["policies.cedar"].clone()).expect("utf8");
    assert!(policies.contains("?principal"), "templates are carried");

    // A changed links.json no longer verifies.
    let mut tampered = bundle.clone();
    tampered.files.insert(
        "links.json".into(),
        br#"[{"template_id":"editor","link_id":"x","args":{"?principal":"User::\"bob\"","?resource":"Folder::\"finance\""}}]"#.to_vec(),
    );
    assert!(
        writ_bundle::bundle::verify(&tampered, &trusted(), time::OffsetDateTime::now_utc())
            .is_err()
    );

    // Serve decides as the project's evaluator (Cedar, see writ-core's
    // entities_templates test) does.
    let project = project("cedar-native");
    let ev = writ_core::evaluate::Evaluator::from_project("native", &project);
    let server = start(config(&b)).expect("starts");
    let http = client();
    let mut by_link = 0;
    for (i, rec) in native_records().iter().enumerate() {
        let record = writ_core::trace::parse_record(i + 1, &rec.to_string()).expect("record");
        let want = ev.decide_reference(&record);
        let req = json!({
            "principal": rec["agent"],
            "action": format!("Action::{}", rec["action"]),
            "resource": format!("Document::{}", rec["resource"]["id"]),
            "context": rec["context"],
        });
        let (status, v) = post(&http, &server.url("/v1/is_authorized"), &req);
        assert_eq!(status, 200, "line {}: {v}", i + 1);
        let reasons: Vec<String> = v["diagnostics"]["reason"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| r.as_str().expect("id").to_string())
            .collect();
        let want_reasons: Vec<String> = want.reasons.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            (v["decision"].as_str().expect("decision"), &reasons),
            (
                if want.decision == writ_core::trace::Decision::Allow {
                    "Allow"
                } else {
                    "Deny"
                },
                &want_reasons
            ),
            "line {}: {req}",
            i + 1
        );
        assert_eq!(v["verdict"].as_str(), Some(want.verdict.as_str()));
        by_link += usize::from(reasons.iter().any(|r| project.policies.link(r).is_some()));
    }
    assert!(by_link > 0, "some decisions are determined by links");
    server.stop().expect("stops");
}
