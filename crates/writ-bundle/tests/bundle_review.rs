//! The signed approvals a bundle carries, checked offline
//! (`writ_bundle::bundle_review`): distinct trusted approvers count; the
//! author's own approval, a statement for another version or other
//! content, one on other evidence, a repeat, and a key the verifier does
//! not trust (a revoked one) do not; a trusted rejection refuses.

use writ_bundle::approval::{self, ApprovalDecision, ApprovalStatement};
use writ_bundle::bundle::{self, TrustedKey};
use writ_bundle::bundle_review::{self, ReviewCheckError};
use writ_bundle::dsse::Envelope;

const VERSION: &str = "8d7b576e00000000000000000000000000000000000000000000000000000000";

fn person(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

fn sample_inputs() -> bundle::BundleInputs {
    super::bundle::inputs(None)
}

fn statement(
    inputs: &bundle::BundleInputs,
    decision: ApprovalDecision,
    who: &str,
) -> ApprovalStatement {
    ApprovalStatement {
        version: VERSION.into(),
        payload_digest: inputs.payload_digest().unwrap(),
        evidence_digest: "e".repeat(64),
        decision,
        approver: who.into(),
        comment: None,
        at: "2026-12-03T10:00:00.000Z".into(),
    }
}

/// A manifest built and signed from the sample inputs carrying `review`.
fn manifest_with(review: Vec<Envelope>) -> bundle::Manifest {
    let mut inputs = sample_inputs();
    inputs.signed_review = review;
    let b = bundle::build(&inputs, &person(9)).unwrap();
    bundle::verify(
        &b,
        &[TrustedKey::new(person(9).verifying_key())],
        time::macros::datetime!(2026-12-04 00:00 UTC),
    )
    .unwrap()
    .manifest
}

fn signed(st: &ApprovalStatement, key: &ed25519_dalek::SigningKey) -> Envelope {
    approval::sign(st, key).unwrap()
}

fn trust(keys: &[&ed25519_dalek::SigningKey]) -> Vec<TrustedKey> {
    keys.iter()
        .map(|k| TrustedKey::new(k.verifying_key()))
        .collect()
}

#[test]
fn two_distinct_trusted_approvers_count_and_the_author_does_not() {
    let (alice, bob, carol) = (person(1), person(2), person(3));
    let i = sample_inputs();
    let m = manifest_with(vec![
        signed(&statement(&i, ApprovalDecision::Submit, "alice"), &alice),
        signed(&statement(&i, ApprovalDecision::Approve, "alice"), &alice),
        signed(&statement(&i, ApprovalDecision::Approve, "bob"), &bob),
        signed(&statement(&i, ApprovalDecision::Approve, "carol"), &carol),
        signed(&statement(&i, ApprovalDecision::Approve, "Bob "), &bob),
    ]);
    let all = trust(&[&alice, &bob, &carol]);
    let checked = bundle_review::check(&m, &all, 2).unwrap();
    let names: Vec<&str> = checked
        .approvals
        .iter()
        .map(|a| a.approver.as_str())
        .collect();
    assert_eq!(names, ["bob", "carol"]);
    assert_eq!(checked.submitted_by.as_deref(), Some("alice"));
    assert!(checked.not_counted[0].contains("(alice) is by the author"));
    assert!(checked.not_counted[1].contains("repeats an approver"));
    // Three are not there: the author's approval never counts.
    match bundle_review::check(&m, &all, 3) {
        Err(ReviewCheckError::TooFew {
            found: 2,
            needed: 3,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_approval_by_a_key_the_verifier_does_not_trust_does_not_count() {
    let (alice, bob, carol) = (person(1), person(2), person(3));
    let i = sample_inputs();
    let m = manifest_with(vec![
        signed(&statement(&i, ApprovalDecision::Submit, "alice"), &alice),
        signed(&statement(&i, ApprovalDecision::Approve, "bob"), &bob),
        signed(&statement(&i, ApprovalDecision::Approve, "carol"), &carol),
    ]);
    // Carol's key was revoked: the verifier no longer lists it.
    let err = bundle_review::check(&m, &trust(&[&alice, &bob]), 2).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("1 approval(s) by the given approver keys, 2 required"),
        "{text}"
    );
    assert!(
        text.contains("statement 3: no valid signature by a trusted approver key"),
        "{text}"
    );
}

#[test]
fn statements_for_another_version_other_content_or_evidence_do_not_count() {
    let (alice, bob, carol, dan) = (person(1), person(2), person(3), person(4));
    let i = sample_inputs();
    let mut other_version = statement(&i, ApprovalDecision::Approve, "bob");
    other_version.version = "1".repeat(64);
    let mut other_content = statement(&i, ApprovalDecision::Approve, "carol");
    other_content.payload_digest = "0".repeat(64);
    let mut other_evidence = statement(&i, ApprovalDecision::Approve, "dan");
    other_evidence.evidence_digest = "f".repeat(64);
    let m = manifest_with(vec![
        signed(&statement(&i, ApprovalDecision::Submit, "alice"), &alice),
        signed(&other_version, &bob),
        signed(&other_content, &carol),
        signed(&other_evidence, &dan),
    ]);
    let err = bundle_review::check(&m, &trust(&[&alice, &bob, &carol, &dan]), 1).unwrap_err();
    let ReviewCheckError::TooFew {
        found: 0,
        not_counted,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert!(
        not_counted[0].contains("is for version 1111"),
        "{not_counted:?}"
    );
    assert!(
        not_counted[1].contains("other bundle content"),
        "{not_counted:?}"
    );
    assert!(not_counted[2].contains("other evidence"), "{not_counted:?}");
}

#[test]
fn a_forged_approval_and_a_trusted_rejection_are_refused() {
    let (alice, bob, mallory) = (person(1), person(2), person(7));
    let i = sample_inputs();
    // Mallory signs a statement in bob's name and labels it with bob's key id.
    let mut forged = signed(&statement(&i, ApprovalDecision::Approve, "bob"), &mallory);
    forged.signatures[0].keyid = writ_bundle::keys::key_id(&bob.verifying_key());
    let m = manifest_with(vec![
        signed(&statement(&i, ApprovalDecision::Submit, "alice"), &alice),
        forged,
    ]);
    assert!(matches!(
        bundle_review::check(&m, &trust(&[&alice, &bob]), 1),
        Err(ReviewCheckError::TooFew { found: 0, .. })
    ));
    let mut reject = statement(&i, ApprovalDecision::Reject, "bob");
    reject.comment = Some("widens prod".into());
    let m = manifest_with(vec![
        signed(&statement(&i, ApprovalDecision::Approve, "bob"), &bob),
        signed(&reject, &bob),
    ]);
    let err = bundle_review::check(&m, &trust(&[&bob]), 1).unwrap_err();
    assert!(
        err.to_string()
            .contains("rejected this version: widens prod"),
        "{err}"
    );
}

#[test]
fn a_bundle_without_signed_review_has_no_approvals_to_count() {
    let m = manifest_with(Vec::new());
    assert!(matches!(
        bundle_review::check(&m, &trust(&[&person(2)]), 1),
        Err(ReviewCheckError::TooFew {
            found: 0,
            needed: 1,
            ..
        })
    ));
    // Format 2 manifests without the field read as before.
    let text = serde_json::to_string(&m).unwrap();
    assert!(!text.contains("signed_review"));
}
