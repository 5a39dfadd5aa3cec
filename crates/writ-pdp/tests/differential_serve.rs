//! The serve engine in the differential harness (issue 12, section 3):
//! each generated Cedar project (writ-cedargen: namespaces, odd ids, every
//! value form, templates and links, repeated requests) is signed into a
//! bundle, verified and loaded as `writ serve` loads it
//! (`engine::ActiveBundle`, with its decision cache), and every request of
//! the stream is decided by it and compared with Cedar itself (the same
//! reference as `crates/writ-core/tests/differential`).

// The reference is shared with writ-core's harness; not every helper of it
// is used here.
#[path = "../../writ-core/tests/differential/reference.rs"]
#[allow(dead_code)]
mod reference;

use crate::common::{key, trusted};
use reference::{Answer, Reference};
use time::OffsetDateTime;
use writ_bundle::bundle::{self, BundleInputs};
use writ_cedargen::{generate, Case, GenOptions};
use writ_core::evaluate::{Outcome, Verdict};
use writ_core::trace::parse_record;
use writ_pdp::engine::ActiveBundle;

/// Generated projects per run (each with a stream of repeated requests).
const CASES: u64 = 8;

/// The case as a signed bundle, loaded as `writ serve` loads one.
fn loaded(case: &Case, dir: &std::path::Path) -> Result<ActiveBundle, String> {
    let now = OffsetDateTime::now_utc();
    let inputs = BundleInputs {
        policy_version: format!("{:064x}", case.seed),
        policies: case.policies_text(),
        schema: case.schema_text.clone(),
        entities: case.entities.to_string(),
        links: (!case.links.is_empty()).then(|| case.links_json().to_string()),
        identities: None,
        approvals: Vec::new(),
        signed_review: Vec::new(),
        created: bundle::format_time(now - time::Duration::hours(1)),
        expires: Some(bundle::format_time(now + time::Duration::days(1))),
        channel: Some("prod".into()),
        sequence: Some(1),
        audit: None,
    };
    let b = bundle::build(&inputs, &key()).map_err(|e| e.to_string())?;
    let verified = bundle::verify(&b, &trusted(), now).map_err(|e| e.to_string())?;
    ActiveBundle::build(dir, &b, verified, now).map_err(|e| e.to_string())
}

/// Whether the engine's outcome is Cedar's answer.
fn agrees(want: &Answer, got: &Outcome) -> bool {
    match want {
        Answer::RequestError(_) => got.request_error.is_some() && got.verdict == Verdict::Error,
        Answer::Decided {
            decision,
            reasons,
            errors,
        } => {
            let got_reasons: Vec<String> = got.reasons.iter().map(|r| r.to_string()).collect();
            let mut got_errors: Vec<String> =
                got.errors.iter().map(|e| e.policy.to_string()).collect();
            got_errors.sort();
            got.request_error.is_none()
                && got.decision == *decision
                && &got_reasons == reasons
                && &got_errors == errors
        }
    }
}

#[test]
fn the_serve_engine_decides_as_cedar_on_generated_cases() {
    let mut compared = 0usize;
    let mut mismatches = Vec::new();
    for seed in 0..CASES {
        let case = generate(seed, &GenOptions::full());
        let reference = Reference::new(&case)
            .unwrap_or_else(|e| panic!("seed {seed}: Cedar refuses the generated case: {e}"));
        let dir = tempfile::tempdir().expect("tmp");
        let active = loaded(&case, dir.path())
            .unwrap_or_else(|e| panic!("seed {seed}: the bundle does not load: {e}"));
        for (n, &i) in case.stream.iter().enumerate() {
            let req = &case.pool[i];
            let line = req.trace_line("2026-01-01T00:00:00Z");
            let record = parse_record(n + 1, &line).expect("generated lines parse");
            let (_, got) = active.decide(&record);
            let want = reference.answer(&case, req, 0);
            compared += 1;
            if !agrees(&want, &got) {
                mismatches.push(format!(
                    "seed {seed}, request {n}: {line}\n  Cedar: {want:?}\n  serve engine: {got:?}"
                ));
            }
        }
    }
    println!("serve engine: {compared} requests of {CASES} generated projects compared with Cedar");
    assert!(compared > 0);
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first:\n{}",
        mismatches.len(),
        mismatches[0]
    );
}
