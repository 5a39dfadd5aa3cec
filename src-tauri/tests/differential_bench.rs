//! The desktop test bench in the differential harness (issue 12): each
//! generated Cedar project (writ-cedargen: namespaces, odd ids, every value
//! form, templates and links, invalid requests) is read as the app reads a
//! stored version (schema, policies, links.json, entities.json); every request of
//! its pool is composed as the Test bench form sends it (principal, action,
//! resource type and id, context, time) and decided by the function the
//! `bench_decide` command calls (`writ_core::bench::decide`), then compared
//! with Cedar itself (the reference of `crates/writ-core/tests/differential`).

// The reference is shared with writ-core's harness; not every helper of it
// is used here.
#[path = "../../crates/writ-core/tests/differential/reference.rs"]
#[allow(dead_code)]
mod reference;

use reference::{Answer, Reference};
use std::path::Path;
use writ_cedargen::{generate, Case, GenOptions, GenRequest};
use writ_core::bench::{self, BenchRequest, BenchResult};
use writ_core::entity_data::{merge, read_entities_file};
use writ_core::evaluate::Verdict;
use writ_core::inventory::Inventory;
use writ_core::links::link_templates;
use writ_core::policies::{parse_policy_files, PolicySource};
use writ_core::project::{Project, ProjectFiles};
use writ_core::schema::ProjectSchema;

/// Generated projects per run (fixed, so the test takes seconds; set
/// `WRIT_BENCH_DIFF_CASES` for a longer run).
const CASES: u64 = 12;

fn cases() -> u64 {
    std::env::var("WRIT_BENCH_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES)
}

/// The case as the project a stored version makes: its schema, policy
/// file, links and entities.json read and linked as `check_files` does,
/// without the strict validation (generated policies need not validate;
/// Cedar decides them all the same).
fn project(case: &Case) -> Result<Project, String> {
    let first_error = |diags: &[writ_core::diagnostic::Diagnostic]| {
        diags
            .iter()
            .find(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code, d.message))
    };
    let schema_path = Path::new("schema.cedarschema");
    let (schema, _) = ProjectSchema::load(schema_path, &case.schema_text).map_err(|d| {
        format!(
            "Writ refuses the schema: {}",
            first_error(&d).unwrap_or_default()
        )
    })?;
    let text = case.policies_text();
    let (mut policies, diags) = parse_policy_files(&[PolicySource {
        path: Path::new("policies/policies.cedar"),
        text: &text,
    }]);
    if let Some(e) = first_error(&diags) {
        return Err(format!("Writ refuses the policies: {e}"));
    }
    if !case.links.is_empty() {
        let links = case.links_json().to_string();
        let diags = link_templates(
            &mut policies,
            Path::new("links.json"),
            &links,
            Some(&schema.schema),
        );
        if let Some(e) = first_error(&diags) {
            return Err(format!("Writ refuses the links: {e}"));
        }
    }
    let entities_text = case.entities.to_string();
    let (entries, diags) = read_entities_file(Path::new("entities.json"), &entities_text);
    if let Some(e) = first_error(&diags) {
        return Err(format!("Writ refuses entities.json: {e}"));
    }
    let (entities, diags) = merge(None, &entries, &schema.schema);
    let entities = entities.ok_or_else(|| {
        format!(
            "Writ refuses entities.json: {}",
            first_error(&diags).unwrap_or_default()
        )
    })?;
    Ok(Project {
        root: "@generated".into(),
        files: ProjectFiles::default(),
        schema,
        policies,
        inventory: Inventory::default(),
        entities,
    })
}

/// The request as the Test bench form composes it.
fn composed(req: &GenRequest) -> BenchRequest {
    BenchRequest {
        ts: "2026-01-01T00:00:00Z".into(),
        agent: req.agent_text(),
        action: req.action_text(),
        resource_type: req.resource.0.clone(),
        resource_id: req.resource.1.clone(),
        on_behalf_of: None,
        context: req.context.clone(),
    }
}

/// Whether the bench's answer is Cedar's; `None` when it is.
fn disagrees(want: &Answer, got: &BenchResult) -> Option<String> {
    let ok = match want {
        Answer::RequestError(_) => got.request_error.is_some() && got.verdict == Verdict::Error,
        Answer::Decided {
            decision,
            reasons,
            errors,
        } => {
            let got_reasons: Vec<String> = got.policies.iter().map(|p| p.id.clone()).collect();
            let mut got_errors: Vec<String> =
                got.errors.iter().map(|e| e.policy.to_string()).collect();
            got_errors.sort();
            got.request_error.is_none()
                && got.decision == *decision
                && &got_reasons == reasons
                && &got_errors == errors
        }
    };
    (!ok).then(|| format!("{got:?}"))
}

#[test]
fn the_test_bench_decides_as_cedar_on_generated_projects() {
    let (mut compared, mut request_errors) = (0usize, 0usize);
    let mut mismatches = Vec::new();
    let cases = cases();
    for seed in 0..cases {
        let case = generate(seed, &GenOptions::full());
        let reference = Reference::new(&case)
            .unwrap_or_else(|e| panic!("seed {seed}: Cedar refuses the generated case: {e}"));
        let project = project(&case).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        for (n, req) in case.pool.iter().enumerate() {
            let want = reference.answer(&case, req, 0);
            let got = match bench::decide(&project, &composed(req)) {
                Ok(r) => r,
                Err(e) => {
                    mismatches.push(format!(
                        "seed {seed}, request {n}: {req:?}\n  Cedar: {want:?}\n  bench refused the form: {e}"
                    ));
                    continue;
                }
            };
            compared += 1;
            if matches!(want, Answer::RequestError(_)) {
                request_errors += 1;
            }
            if let Some(g) = disagrees(&want, &got) {
                mismatches.push(format!(
                    "seed {seed}, request {n}: {req:?}\n  Cedar: {want:?}\n  bench: {g}"
                ));
            }
        }
    }
    println!(
        "test bench: {compared} requests of {cases} generated projects compared with Cedar ({request_errors} request errors)"
    );
    assert!(compared > 100, "too few requests compared: {compared}");
    assert!(request_errors > 0, "no invalid request was composed");
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first:\n{}",
        mismatches.len(),
        mismatches[0]
    );
}
