//! Replays the fuzz corpus of `writ serve`'s readers (`fuzz/corpus/decide`,
//! `jwt`, `jwks`) under plain `cargo test`: every file goes through the
//! same entry function as its fuzz target (`writ_pdp::fuzz_entry`) and must
//! not panic. `regenerate_seeds` (ignored) writes the generated seeds.

use serde_json::{json, Value};
use writ_bundle::fuzz_entry::verify_at;
use writ_pdp::api::{self, AuthorizeRequest};
use writ_pdp::fuzz_entry::{self, Decider, AUDIENCE, ISSUER};
use writ_pdp::identity::{IdentityConfig, Presented};
use writ_testkit::fuzz::{corpus, replay};
use writ_testkit::root;

fn decider() -> Decider {
    Decider::new(&root().join("sample-policies/v1")).expect("a bundle of v1 loads")
}

#[test]
fn decide_jwt_and_jwks_corpora_replay_without_panics() {
    let d = decider();
    replay("decide", &|data| d.decide(data));
    replay("jwt", &|data| d.token(data));
    replay("jwks", &fuzz_entry::jwks);
}

fn claims(sub: &str) -> Value {
    json!({
        "iss": ISSUER, "sub": sub, "aud": AUDIENCE,
        "exp": verify_at().unix_timestamp() + 600, "iat": verify_at().unix_timestamp()
    })
}

#[test]
fn a_token_signed_by_the_entry_point_verifies_against_its_jwks() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, fuzz_entry::jwks_text()).expect("write");
    let cfg = IdentityConfig::from_jwks_file(&path, vec![AUDIENCE.into()], Some(ISSUER.into()))
        .expect("jwks loads");
    let token = fuzz_entry::sign_claims(claims("bot").to_string().as_bytes());
    let id = cfg
        .identify(
            Presented {
                principal: None,
                token: Some(&token),
                peer: None,
            },
            verify_at(),
        )
        .expect("verifies");
    assert_eq!(id.agent, format!("oidc:{ISSUER}|bot"));
    // One changed claim byte breaks the signature.
    let mut forged = token.into_bytes();
    let dot = forged.iter().position(|&b| b == b'.').expect("dot") + 3;
    forged[dot] = if forged[dot] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).expect("ascii");
    assert!(cfg
        .identify(
            Presented {
                principal: None,
                token: Some(&forged),
                peer: None,
            },
            verify_at(),
        )
        .is_err());
}

/// Requests for the generated seeds: every sample action, with and without
/// resources, principals of each kind, and some malformed ones.
fn requests() -> Vec<Value> {
    let token = fuzz_entry::sign_claims(claims("data-analyst-agent").to_string().as_bytes());
    let recorded = std::fs::read_to_string(root().join("scenarios/traces/recorded.jsonl"))
        .expect("sample trace");
    let first: Value =
        serde_json::from_str(recorded.lines().next().expect("a line")).expect("json");
    vec![
        json!({"principal": "Agent::\"support-bot\"", "action": "Action::\"read_ticket\"",
               "resource": "Ticket::\"T-1\"", "context": {"intent": "triage", "risk_score": 3}}),
        json!({"principal": "support-bot", "action": "read_ticket", "context": {}}),
        json!({"principal": "spiffe://acme.example/agents/support-bot", "action": "refund",
               "resource": "Order::\"O-9\"", "on_behalf_of": "alice@acme.example",
               "context": {"amount": 12.5, "now": "2020-01-01T00:00:00Z"}, "time": "2026-11-02T09:15:03Z"}),
        json!({"principal": "Agent::\"data-analyst-agent\"", "action": first["action"],
               "resource": format!("{}::{}", first["resource"]["type"].as_str().unwrap_or_default(),
                                   first["resource"]["id"]),
               "on_behalf_of": first["on_behalf_of"], "context": first["context"], "time": first["ts"]}),
        json!({"principal": "Agent::\"x\"", "action": "", "resource": "T-1", "time": "yesterday"}),
        json!({"token": token, "action": "create_dashboard", "resource": "Table::\"orders\"",
               "context": {"intent": "analytics", "environment": "production", "risk_score": 15,
                           "credential_kind": "short_lived", "credential_ttl_secs": 1800}}),
        json!({"requests": [
            {"principal": "support-bot", "action": "read_ticket"},
            {"principal": 7},
            {"principal": "oidc:https://login.acme.example|data-analyst-agent", "action": "query_table",
             "resource": "Table::\"orders\"", "context": {"rows": 18446744073709551615u64, "nested": {"a": [1, {"b": null}]}}}
        ]}),
    ]
}

fn recorded_allow() -> bool {
    let recorded = std::fs::read_to_string(root().join("scenarios/traces/recorded.jsonl"))
        .expect("sample trace");
    let first: Value =
        serde_json::from_str(recorded.lines().next().expect("a line")).expect("json");
    first["recorded_decision"] == "allow"
}

#[test]
fn generated_requests_decide_and_log_as_the_server_would() {
    // The seeds reach the policies: the first recorded action of the
    // sample trace (its agent named by uid) is allowed as it was recorded
    // (`recorded_decision`), and a malformed request
    // is a deny before the policies.
    let d = decider();
    let reqs = requests();
    let parse = |v: &Value| serde_json::from_value::<AuthorizeRequest>(v.clone()).expect("parses");
    let allowed = d.decided(&parse(&reqs[3]), false, true);
    assert_eq!(allowed.response.decision, "Allow", "{:?}", allowed.response);
    assert!(
        recorded_allow(),
        "the sample's first action was recorded as allowed"
    );
    assert_eq!(allowed.entry.agent, "Agent::\"data-analyst-agent\"");
    let refused = d.decided(&parse(&reqs[4]), false, true);
    assert_eq!(refused.response.decision, "Deny");
    assert_eq!(refused.response.verdict, api::DENIED_BEFORE_POLICIES);
    // A token naming an agent the inventory does not know is decided as
    // a shadow agent, not refused: the JWKS accepts the entry point's key.
    let shadow = d.decided(&parse(&reqs[5]), true, false);
    assert_eq!(
        shadow.entry.agent,
        format!("oidc:{ISSUER}|data-analyst-agent")
    );
}

/// Writes the generated seeds: `cargo test -p writ-pdp --test tests
/// -- --ignored fuzz_corpus::regenerate_seeds`.
#[test]
#[ignore = "writes fuzz/corpus seeds; run by hand"]
fn regenerate_seeds() {
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = corpus(target);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(name), bytes).expect("write seed");
    };
    for (i, r) in requests().iter().enumerate() {
        write(
            "decide",
            &format!("gen-request-{i}.json"),
            r.to_string().as_bytes(),
        );
    }
    // Tokens: raw (mode byte 0) and claims to be signed (mode byte 1).
    let mut raw = vec![0u8];
    raw.extend_from_slice(fuzz_entry::sign_claims(claims("bot").to_string().as_bytes()).as_bytes());
    write("jwt", "gen-signed-token.bin", &raw);
    let mut c = vec![1u8];
    c.extend_from_slice(claims("data-analyst-agent").to_string().as_bytes());
    write("jwt", "gen-claims.bin", &c);
    let mut c = vec![1u8];
    c.extend_from_slice(
        json!({"iss": ISSUER, "sub": "bot", "aud": [AUDIENCE, "other"], "exp": 1.5e12, "nbf": "x"})
            .to_string()
            .as_bytes(),
    );
    write("jwt", "gen-odd-claims.bin", &c);
    write(
        "jwks",
        "gen-ed25519.json",
        fuzz_entry::jwks_text().as_bytes(),
    );
    // Decision log lines, as `writ serve` writes them.
    let d = decider();
    let mut log = String::new();
    for r in requests() {
        if let Ok(req) = serde_json::from_value::<AuthorizeRequest>(r) {
            let decided = d.decided(&req, true, true);
            log.push_str(&serde_json::to_string(&decided.entry).expect("json"));
            log.push('\n');
        }
    }
    write("trace_decision_log", "gen-decisions.jsonl", log.as_bytes());
}
