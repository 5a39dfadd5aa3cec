//! Conformance: every request of Cedar's hand-written integration tests
//! (`../shared/conformance/cedar-integration-tests/tests/**/*.json`), run
//! through Writ's own path — Writ policy ids, the project schema loader, a
//! native trace and the streaming replay with decision reuse — must give the
//! decision, reasons and errors Cedar's own harness expects. Every request
//! is also decided with [`Evaluator::decide_reference`], which must agree.
//!
//! When the shared folder is missing the test says so on stderr
//! (`skipped: ../shared/conformance not found`) and returns without asserting.

use cedar_policy::{Entities, Validator};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use writ_core::evaluate::{Evaluator, Outcome};
use writ_core::policies::{parse_policy_files, PolicySource};
use writ_core::replay::{replay, Collect, ReplayOptions};
use writ_core::resolve::Resolver;
use writ_core::schema::ProjectSchema;
use writ_core::trace::{parse_record, Decision};

/// Where Cedar's integration tests are expected (next to the repository).
fn suite_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/cedar-integration-tests")
}

/// Every `*.json` test file under `dir`, sorted.
fn test_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read test directory")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            test_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

/// A uid literal such as `User::"alice"` from Cedar's `{"type", "id"}` form
/// (also accepting the `{"__entity": ...}` escape).
fn uid_literal(v: &Value) -> String {
    let v = v.get("__entity").unwrap_or(v);
    let ty = v["type"].as_str().expect("uid type");
    let id = v["id"].as_str().expect("uid id");
    // Built through Cedar's API and printed as Cedar prints it (Cedar's
    // escapes, not JSON's).
    cedar_policy::EntityUid::from_type_name_and_id(
        ty.parse().expect("entity type name"),
        cedar_policy::EntityId::new(id),
    )
    .to_string()
}

/// The policy ids of an expected `errors` list (plain ids, or objects with
/// a `policyId`).
fn expected_error_ids(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .map(|e| match e {
                    Value::String(s) => s.clone(),
                    other => other["policyId"]
                        .as_str()
                        .expect("error entry with a policyId")
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The parts of an outcome that must agree between paths.
fn essence(o: &Outcome) -> (Decision, Vec<String>, Vec<String>, bool) {
    (
        o.decision,
        o.reasons.iter().map(|r| r.to_string()).collect(),
        o.errors.iter().map(|e| e.policy.to_string()).collect(),
        o.request_error.is_some(),
    )
}

#[test]
fn cedar_conformance_suite() {
    let root = suite_root();
    if !root.join("tests").is_dir() {
        eprintln!(
            "cedar_conformance_suite: skipped: ../shared/conformance not found (looked in {})",
            root.display()
        );
        return;
    }
    let mut files = Vec::new();
    test_files(&root.join("tests"), &mut files);
    assert!(!files.is_empty(), "no test files under {}", root.display());

    let mut checked = 0usize;
    let mut request_count = 0usize;
    let mut failures: Vec<String> = Vec::new();
    for file in &files {
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        let test: Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("read test file"))
                .expect("test file is JSON");
        let read = |key: &str| {
            let rel = test[key].as_str().expect("path in test file");
            (
                root.join(rel),
                std::fs::read_to_string(root.join(rel)).expect("read file"),
            )
        };

        // Policies, with Writ ids; Cedar's `policyN` is the N-th policy.
        let (policy_path, policy_text) = read("policies");
        let (catalog, diags) = parse_policy_files(&[PolicySource {
            path: &policy_path,
            text: &policy_text,
        }]);
        assert!(
            !diags.iter().any(|d| d.is_error()),
            "{shown}: policies do not parse: {diags:?}"
        );
        let cedar_to_writ: BTreeMap<String, String> = catalog
            .policies
            .iter()
            .enumerate()
            .map(|(n, p)| (format!("policy{n}"), p.id.clone()))
            .collect();
        let to_writ = |ids: Vec<String>| -> Vec<String> {
            let mut out: Vec<String> = ids
                .into_iter()
                .map(|id| cedar_to_writ.get(&id).cloned().unwrap_or(id))
                .collect();
            out.sort();
            out
        };

        let (schema_path, schema_text) = read("schema");
        let (schema, _warnings) = ProjectSchema::load(&schema_path, &schema_text)
            .unwrap_or_else(|d| panic!("{shown}: schema does not load: {d:?}"));
        let (_, entities_text) = read("entities");
        let entities = Entities::from_json_value(
            serde_json::from_str(&entities_text).expect("entities are JSON"),
            Some(&schema.schema),
        )
        .unwrap_or_else(|e| panic!("{shown}: entities do not parse: {e}"));

        // Cedar's harness also checks whether the policies validate.
        if let Some(should) = test["shouldValidate"].as_bool() {
            let valid = Validator::new(schema.schema.clone())
                .validate(&catalog.set, cedar_policy::ValidationMode::Strict)
                .validation_passed();
            if valid != should {
                failures.push(format!(
                    "{shown}: policies validate = {valid}, expected {should}"
                ));
            }
        }

        // Requests grouped by `validateRequest` (Cedar's default is true).
        // Requests that Cedar validates are also replayed without request
        // validation: being valid, they must decide the same way (this runs
        // Writ's unvalidated path, where the context is still converted with
        // the schema's declared types, as Cedar's harness does).
        let requests = test["requests"].as_array().expect("requests");
        request_count += requests.len();
        let mut groups: BTreeMap<bool, Vec<&Value>> = BTreeMap::new();
        for r in requests {
            let validate = r["validateRequest"].as_bool().unwrap_or(true);
            groups.entry(validate).or_default().push(r);
            if validate {
                groups.entry(false).or_default().push(r);
            }
        }
        for (validate, reqs) in groups {
            let mut ev = Evaluator::new(
                shown.clone(),
                catalog.clone(),
                Some(schema.clone()),
                entities.clone(),
                Resolver::default(),
            );
            ev.set_validate_requests(validate);
            let trace: String = reqs
                .iter()
                .map(|r| {
                    let mut line = json!({
                        "ts": "2026-01-01T00:00:00Z",
                        "agent": uid_literal(&r["principal"]),
                        "action": uid_literal(&r["action"]),
                        "resource": {
                            "type": r["resource"]["type"],
                            "id": r["resource"]["id"],
                        },
                        "outcome": "executed",
                    });
                    if let Some(ctx) = r.get("context").filter(|c| !c.is_null()) {
                        line["context"] = ctx.clone();
                    }
                    format!("{line}\n")
                })
                .collect();
            let mut sink = Collect::default();
            let stats = replay(
                trace.as_bytes(),
                &[&ev],
                &ReplayOptions::default(),
                &mut sink,
                &|_| {},
            )
            .unwrap_or_else(|e| panic!("{shown}: replay failed: {e}"));
            assert!(
                sink.bad_lines.is_empty(),
                "{shown}: generated lines rejected: {:?}",
                sink.bad_lines
            );
            assert_eq!(stats.actions as usize, reqs.len(), "{shown}: action count");

            for (r, result) in reqs.iter().zip(&sink.results) {
                checked += 1;
                let what = format!(
                    "{shown} (validateRequest {validate}): {}",
                    r["description"].as_str().unwrap_or("?")
                );
                let got = &result.evaluations[0].outcome;
                let want_decision = match r["decision"].as_str() {
                    Some("allow") => Decision::Allow,
                    Some("deny") => Decision::Deny,
                    other => panic!("{what}: unknown decision {other:?}"),
                };
                let want_reasons = to_writ(
                    r["reason"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|x| x.as_str().expect("reason id").to_string())
                                .collect()
                        })
                        .unwrap_or_default(),
                );
                let want_errors = to_writ(expected_error_ids(&r["errors"]));
                let (decision, reasons, errors, request_error) = essence(got);
                if request_error {
                    failures.push(format!(
                        "{what}: request error {:?}",
                        got.request_error.as_deref().unwrap_or_default()
                    ));
                    continue;
                }
                if (decision, &reasons, &errors) != (want_decision, &want_reasons, &want_errors) {
                    failures.push(format!(
                        "{what}: got {decision:?} {reasons:?} errors {errors:?}, expected {want_decision:?} {want_reasons:?} errors {want_errors:?}"
                    ));
                }
                // The plain path must agree with the fast path.
                let record = parse_record(result.line, &trace_line(&trace, result.line))
                    .expect("generated line parses");
                let reference = ev.decide_reference(&record);
                if essence(&reference) != essence(got) || reference.verdict != got.verdict {
                    failures.push(format!(
                        "{what}: decide_reference gives {reference:?}, replay gives {got:?}"
                    ));
                }
            }
        }
    }
    eprintln!(
        "cedar_conformance_suite: {request_count} requests from {} test files, {checked} checks (validated and unvalidated)",
        files.len()
    );
    assert!(checked > 0, "no requests were checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} conformance checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Line `n` (1-based) of `text`.
fn trace_line(text: &str, n: usize) -> String {
    text.lines().nth(n - 1).expect("line exists").to_string()
}
