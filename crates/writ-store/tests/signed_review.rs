//! Review steps signed by approver keys: a workspace created by this build
//! requires them; the sample's demo keys are registered; names are refused;
//! self-approval is refused by key; revoked and unregistered keys sign
//! nothing; key registration and revocation need another approver; a key
//! has one role; the signed statements travel in the exported bundle and
//! verify offline against the approvers' public keys; a legacy workspace
//! can be made to require signatures.

use crate::common;
use crate::common::quiet;
use ed25519_dalek::SigningKey;
use writ_bundle::approval::ApprovalDecision;
use writ_bundle::bundle::TrustedKey;
use writ_store::approvals::{ReviewError, ReviewOptions, ReviewState};
use writ_store::approvers::{ApproverError, SignatureMode};
use writ_store::sample::{create_sample, demo_keys_dir, SampleWorkspace};
use writ_store::{StoreError, Workspace};

struct People {
    alice: SigningKey,
    bob: SigningKey,
    carol: SigningKey,
}

fn sample_ws(dir: &std::path::Path) -> (Workspace, SampleWorkspace, People) {
    let path = dir.join("s.writ");
    let made = create_sample(&path, "ann").expect("sample");
    let key = |n: &str| {
        writ_bundle::keys::read_private(&demo_keys_dir(&path).join(format!("{n}.pem")))
            .expect("demo key")
    };
    let people = People {
        alice: key("alice"),
        bob: key("bob"),
        carol: key("carol"),
    };
    (Workspace::open(&path).expect("open"), made, people)
}

fn approver_err(e: StoreError) -> ApproverError {
    match e {
        StoreError::Approver(a) => a,
        other => panic!("expected an approver error, got {other:?}"),
    }
}

fn submit(ws: &mut Workspace, v: &str, key: &SigningKey) {
    ws.review(v, ReviewOptions::default(), key, &quiet)
        .expect("submit");
}

#[test]
fn the_sample_requires_signatures_and_registers_its_people() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, made, people) = sample_ws(dir.path());
    assert_eq!(ws.signature_mode().unwrap(), SignatureMode::Required);
    let names: Vec<String> = ws
        .approvers()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    let ids: Vec<&str> = made.keys.iter().map(|k| k.key_id.as_str()).collect();
    assert_eq!(
        ids,
        [&people.alice, &people.bob, &people.carol]
            .map(|k| writ_bundle::keys::key_id(&k.verifying_key()))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&made.keys[0].private)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Alice's is the first key (self-registered); she vouched for the others.
    let all = ws.approvers().unwrap();
    assert_eq!(all[0].registered_by, all[0].key_id);
    assert!(all[1..].iter().all(|a| a.registered_by == all[0].key_id));
}

#[test]
fn typed_names_are_refused_where_signatures_are_required() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made, people) = sample_ws(dir.path());
    let v1 = made.versions[0].as_str();
    let e = ws
        .review(v1, ReviewOptions::default(), "ann", &quiet)
        .unwrap_err();
    assert!(matches!(approver_err(e), ApproverError::SignatureRequired));
    submit(&mut ws, v1, &people.alice);
    let e = ws.approve_version(v1, "bob", None).unwrap_err();
    assert!(matches!(approver_err(e), ApproverError::SignatureRequired));
    let e = ws.reject_version(v1, "bob", "no").unwrap_err();
    assert!(matches!(approver_err(e), ApproverError::SignatureRequired));
    assert_eq!(ws.version_status(v1).unwrap().state, ReviewState::InReview);
}

#[test]
fn the_submitting_key_cannot_approve_and_names_come_from_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made, people) = sample_ws(dir.path());
    let v1 = made.versions[0].as_str();
    // Alice is not v1's author (ann is), so only her key stops her.
    submit(&mut ws, v1, &people.alice);
    let round = ws.review_history(v1).unwrap().pop().unwrap();
    assert_eq!(round.submitted_by, "alice");
    let e = ws.approve_version(v1, &people.alice, None).unwrap_err();
    match e {
        StoreError::Review(ReviewError::SelfApprovalByKey { approver, .. }) => {
            assert_eq!(approver, "alice")
        }
        other => panic!("{other:?}"),
    }
    let st = ws.approve_version(v1, &people.bob, Some("ok")).unwrap();
    assert_eq!(st.state, ReviewState::Approved);
    assert_eq!(st.approvals[0].approver, "bob");
    assert_eq!(
        st.approvals[0].key_id.as_deref(),
        Some(writ_bundle::keys::key_id(&people.bob.verifying_key()).as_str())
    );
}

#[test]
fn a_revoked_or_unregistered_key_signs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made, people) = sample_ws(dir.path());
    let v1 = made.versions[0].as_str();
    submit(&mut ws, v1, &people.alice);
    let carol_id = writ_bundle::keys::key_id(&people.carol.verifying_key());
    // Carol cannot revoke herself; bob can.
    assert!(matches!(
        approver_err(ws.revoke_approver(&carol_id, &people.carol).unwrap_err()),
        ApproverError::SelfSigned
    ));
    let revoked = ws.revoke_approver(&carol_id, &people.bob).unwrap();
    assert!(!revoked.active());
    assert!(matches!(
        approver_err(ws.approve_version(v1, &people.carol, None).unwrap_err()),
        ApproverError::Revoked { .. }
    ));
    let stranger = SigningKey::from_bytes(&[7; 32]);
    assert!(matches!(
        approver_err(ws.approve_version(v1, &stranger, None).unwrap_err()),
        ApproverError::NotAnApprover { .. }
    ));
    // A revoked key vouches for no one either.
    let dan = SigningKey::from_bytes(&[8; 32]);
    assert!(matches!(
        approver_err(
            ws.register_approver("dan", &dan.verifying_key(), &people.carol)
                .unwrap_err()
        ),
        ApproverError::Revoked { .. }
    ));
    let kinds: Vec<String> = ws
        .audit_events()
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("approver."))
        .collect();
    assert_eq!(
        kinds,
        [
            "approver.register",
            "approver.register",
            "approver.register",
            "approver.revoke"
        ]
    );
}

#[test]
fn registration_needs_another_approver_and_a_key_has_one_role() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _, people) = sample_ws(dir.path());
    let dan = SigningKey::from_bytes(&[8; 32]);
    assert!(matches!(
        approver_err(
            ws.register_approver("dan", &dan.verifying_key(), &dan)
                .unwrap_err()
        ),
        ApproverError::SelfSigned
    ));
    assert!(matches!(
        approver_err(
            ws.register_approver("bob again", &people.bob.verifying_key(), &people.alice)
                .unwrap_err()
        ),
        ApproverError::AlreadyRegistered { .. }
    ));
    assert!(matches!(
        approver_err(
            ws.register_approver("  ", &dan.verifying_key(), &people.alice)
                .unwrap_err()
        ),
        ApproverError::BadName { .. }
    ));
    // A bundle-signing key never becomes an approver key, nor the reverse.
    let signer = SigningKey::from_bytes(&[9; 32]);
    let signer_id = writ_bundle::keys::key_id(&signer.verifying_key());
    let pem = writ_bundle::keys::public_pem(&signer.verifying_key());
    assert!(ws.register_key(&signer_id, &pem, "signer", "ann").unwrap());
    assert!(matches!(
        approver_err(
            ws.register_approver("signer", &signer.verifying_key(), &people.alice)
                .unwrap_err()
        ),
        ApproverError::OtherRole { .. }
    ));
    let bob_id = writ_bundle::keys::key_id(&people.bob.verifying_key());
    let bob_pem = writ_bundle::keys::public_pem(&people.bob.verifying_key());
    assert!(matches!(
        approver_err(
            ws.register_key(&bob_id, &bob_pem, "bob", "ann")
                .unwrap_err()
        ),
        ApproverError::OtherRole { .. }
    ));
    let added = ws
        .register_approver("dan", &dan.verifying_key(), &people.bob)
        .unwrap();
    assert_eq!(added.registered_by, bob_id);
}

#[test]
fn the_exported_bundle_carries_statements_that_verify_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, made, people) = sample_ws(dir.path());
    let (v1, v2) = (made.versions[0].as_str(), made.versions[1].as_str());
    submit(&mut ws, v1, &people.alice);
    ws.approve_version(v1, &people.bob, None).unwrap();
    submit(&mut ws, v2, &people.alice);
    ws.approve_version(v2, &people.bob, Some("diff read"))
        .unwrap();
    ws.approve_version(v2, &people.carol, None).unwrap();
    let signed = ws.signed_review(v2).unwrap();
    assert_eq!(signed.len(), 3);
    let key_path = dir.path().join("signing");
    writ_bundle::keys::generate_files(&key_path).unwrap();
    let out = dir.path().join("bundle");
    let (_, b) = writ_store::export::export_version(
        &mut ws,
        v2,
        &dir.path().join("signing.pem"),
        &out,
        &Default::default(),
        "ann",
    )
    .unwrap();
    let signer = writ_bundle::keys::read_public(&dir.path().join("signing.pub.pem")).unwrap();
    let manifest = writ_bundle::bundle::verify(
        &b,
        &[TrustedKey::new(signer)],
        time::OffsetDateTime::now_utc(),
    )
    .unwrap()
    .manifest;
    assert_eq!(manifest.signed_review, signed);
    let approvers: Vec<TrustedKey> = [&people.alice, &people.bob, &people.carol]
        .iter()
        .map(|k| TrustedKey::new(k.verifying_key()))
        .collect();
    let checked = writ_bundle::bundle_review::check(&manifest, &approvers, 2).unwrap();
    let names: Vec<&str> = checked
        .approvals
        .iter()
        .map(|a| a.approver.as_str())
        .collect();
    assert_eq!(names, ["bob", "carol"]);
    assert_eq!(checked.submitted_by.as_deref(), Some("alice"));
    // Each statement binds the payload digest of exactly this bundle.
    for e in &signed {
        let v = writ_bundle::approval::verify(e, &approvers).unwrap();
        assert_eq!(
            v.statement.payload_digest,
            manifest.payload_digest().unwrap()
        );
        assert_eq!(v.statement.version, v2);
    }
    let first = writ_bundle::approval::verify(&signed[0], &approvers).unwrap();
    assert_eq!(first.statement.decision, ApprovalDecision::Submit);
}

#[test]
fn a_legacy_workspace_can_be_made_to_require_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.writ");
    let made = create_sample(&path, "ann").unwrap();
    common::make_legacy(&path);
    let mut ws = Workspace::open(&path).unwrap();
    let bob = writ_bundle::keys::read_private(&made.keys[1].private).unwrap();
    assert_eq!(ws.signature_mode().unwrap(), SignatureMode::Legacy);
    let v1 = made.versions[0].as_str();
    ws.review(v1, ReviewOptions::default(), "ann", &quiet)
        .unwrap();
    assert!(ws.require_signatures(&bob).unwrap());
    assert!(!ws.require_signatures(&bob).unwrap());
    assert_eq!(ws.signature_mode().unwrap(), SignatureMode::Required);
    assert!(matches!(
        approver_err(ws.approve_version(v1, "bob", None).unwrap_err()),
        ApproverError::SignatureRequired
    ));
    // The unsigned submission stays; a signed approval of it is recorded.
    let st = ws.approve_version(v1, &bob, None).unwrap();
    assert_eq!(st.state, ReviewState::Approved);
    assert!(ws
        .audit_events()
        .unwrap()
        .iter()
        .any(|e| e.kind == "review.require_signatures" && e.actor == "bob"));
}
