//! Signed approval statements (`writ_bundle::approval`): a round trip, and
//! every way a statement must be refused: forged, moved to another version,
//! signed by an unregistered key, of another payload type, not canonical,
//! not a statement. OpenSSL checks a signature independently.

use writ_bundle::approval::{
    self, ApprovalDecision, ApprovalError, ApprovalStatement, APPROVAL_PAYLOAD_TYPE,
};
use writ_bundle::bundle::TrustedKey;
use writ_bundle::checkpoint::{self, Checkpoint, AUDIT_PAYLOAD_TYPE};
use writ_bundle::dsse::{self, Envelope};
use writ_bundle::keys;

fn key(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

fn trust(k: &ed25519_dalek::SigningKey) -> Vec<TrustedKey> {
    vec![TrustedKey::new(k.verifying_key())]
}

fn statement(version: &str) -> ApprovalStatement {
    ApprovalStatement {
        version: version.to_string(),
        payload_digest: "ab".repeat(32),
        evidence_digest: "cd".repeat(32),
        decision: ApprovalDecision::Approve,
        approver: "bob".into(),
        comment: Some("diff reviewed; \"v2\" ok ✓".into()),
        at: "2026-12-03T10:00:00.000Z".into(),
    }
}

/// `envelope` with its payload replaced by `body` (the signature kept).
fn with_payload(envelope: &Envelope, body: &[u8]) -> Envelope {
    use base64::Engine as _;
    Envelope {
        payload: base64::engine::general_purpose::STANDARD.encode(body),
        ..envelope.clone()
    }
}

#[test]
fn a_signed_statement_verifies_with_its_key_and_says_which() {
    let bob = key(2);
    let st = statement(&"1".repeat(64));
    let env = approval::sign(&st, &bob).unwrap();
    assert_eq!(env.payload_type, APPROVAL_PAYLOAD_TYPE);
    let mut trusted = trust(&key(1));
    trusted.extend(trust(&bob));
    let v = approval::verify(&env, &trusted).unwrap();
    assert_eq!(v.statement, st);
    assert_eq!(v.key_id, keys::key_id(&bob.verifying_key()));
}

#[test]
fn the_payload_is_canonical_json() {
    let st = statement("v");
    let body = approval::canonical_payload(&st).unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    // Keys in code-point order, no white space outside strings, non-ASCII
    // kept as UTF-8, quotes escaped.
    assert!(text.starts_with(r#"{"approver":"bob","at":"2026-12-03T10:00:00.000Z","comment":"diff reviewed; \"v2\" ok ✓","decision":"approve","evidence_digest":""#), "{text}");
    assert!(!text.contains('\n') && !text.contains(": "), "{text}");
    // The same statement always gives the same bytes, whatever the order
    // its JSON came in.
    let shuffled: ApprovalStatement = serde_json::from_str(&format!(
        r#"{{ "at": "{}", "version": "v", "decision": "approve", "approver": "bob",
             "comment": {}, "payload_digest": "{}", "evidence_digest": "{}" }}"#,
        st.at,
        serde_json::to_string(&st.comment).unwrap(),
        st.payload_digest,
        st.evidence_digest
    ))
    .unwrap();
    assert_eq!(approval::canonical_payload(&shuffled).unwrap(), body);
}

#[test]
fn forged_and_moved_statements_are_refused() {
    let bob = key(2);
    let env = approval::sign(&statement(&"1".repeat(64)), &bob).unwrap();
    // The same signature over another version (a replay), another
    // decision, another evidence digest: none verifies.
    let mut other_version = statement(&"2".repeat(64));
    let mut rejected = statement(&"1".repeat(64));
    rejected.decision = ApprovalDecision::Reject;
    let mut other_evidence = statement(&"1".repeat(64));
    other_evidence.evidence_digest = "ef".repeat(32);
    other_version.comment = None;
    for forged in [other_version, rejected, other_evidence] {
        let body = approval::canonical_payload(&forged).unwrap();
        let e = approval::verify(&with_payload(&env, &body), &trust(&bob)).unwrap_err();
        assert!(matches!(e, ApprovalError::Untrusted { .. }), "{e}");
    }
}

#[test]
fn a_key_that_is_not_registered_is_refused_by_id() {
    let mallory = key(9);
    let env = approval::sign(&statement("v"), &mallory).unwrap();
    let e = approval::verify(&env, &trust(&key(2))).unwrap_err();
    let id = keys::key_id(&mallory.verifying_key());
    assert_eq!(
        e,
        ApprovalError::Untrusted {
            signers: id.clone()
        }
    );
    assert!(e.to_string().contains(&id), "{e}");
    let unsigned = Envelope {
        signatures: Vec::new(),
        ..env
    };
    assert_eq!(
        approval::verify(&unsigned, &trust(&mallory)).unwrap_err(),
        ApprovalError::Untrusted {
            signers: "no key".into()
        }
    );
}

#[test]
fn a_signature_for_one_role_is_never_accepted_for_another() {
    let k = key(3);
    // A checkpoint signed with the same key is not an approval ...
    let cp = checkpoint::sign(
        AUDIT_PAYLOAD_TYPE,
        &Checkpoint {
            head: "00".repeat(32),
            count: 3,
            created: "2026-12-03T10:00:00.000Z".into(),
        },
        &k,
    );
    assert!(matches!(
        approval::verify(&cp, &trust(&k)),
        Err(ApprovalError::WrongType { .. })
    ));
    // ... nor is an approval's payload under the checkpoint's or the
    // bundle manifest's type, even when relabelled: the type is signed.
    let env = approval::sign(&statement("v"), &k).unwrap();
    let body = env.payload_bytes().unwrap();
    for other in [AUDIT_PAYLOAD_TYPE, dsse::PAYLOAD_TYPE] {
        assert!(!dsse::verify_signature(
            other,
            &body,
            &env.signatures[0].sig,
            &k.verifying_key()
        ));
        let relabelled = Envelope {
            payload_type: other.to_string(),
            ..env.clone()
        };
        assert!(matches!(
            approval::verify(&relabelled, &trust(&k)),
            Err(ApprovalError::WrongType { .. })
        ));
    }
}

#[test]
fn payloads_not_written_by_the_signer_are_refused() {
    let k = key(4);
    let st = statement("v");
    // Signed correctly, but pretty-printed: not the canonical bytes.
    let pretty = serde_json::to_vec_pretty(&st).unwrap();
    let env = dsse::sign_as(APPROVAL_PAYLOAD_TYPE, &pretty, &k);
    assert_eq!(
        approval::verify(&env, &trust(&k)).unwrap_err(),
        ApprovalError::NotCanonical
    );
    // A statement with a field the format does not have.
    let mut extra = serde_json::to_value(&st).unwrap();
    extra["role"] = "admin".into();
    let body = serde_jcs::to_vec(&extra).unwrap();
    let env = dsse::sign_as(APPROVAL_PAYLOAD_TYPE, &body, &k);
    assert!(matches!(
        approval::verify(&env, &trust(&k)),
        Err(ApprovalError::NotAStatement(_))
    ));
    // A payload that is not base64.
    let env = Envelope {
        payload: "not base64!".into(),
        ..approval::sign(&st, &k).unwrap()
    };
    assert_eq!(
        approval::verify(&env, &trust(&k)).unwrap_err(),
        ApprovalError::NotBase64
    );
}

#[test]
fn openssl_verifies_an_approval_signature() {
    if !crate::bundle::has_openssl() {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = keys::generate_files(&dir.path().join("bob")).unwrap();
    let bob = keys::read_private(&files.private).unwrap();
    let env = approval::sign(&statement(&"1".repeat(64)), &bob).unwrap();
    use base64::Engine as _;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&env.signatures[0].sig)
        .unwrap();
    let pae = dsse::pae(APPROVAL_PAYLOAD_TYPE, &env.payload_bytes().unwrap());
    let (ok, said) = crate::bundle::openssl_verifies(dir.path(), &files.public, &pae, &sig);
    assert!(ok, "openssl: {said}");
    let mut other = pae.clone();
    let last = other.len() - 2;
    other[last] ^= 1;
    assert!(!crate::bundle::openssl_verifies(dir.path(), &files.public, &other, &sig).0);
}
