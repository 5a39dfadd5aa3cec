//! Workload identity: JWTs signed with real, freshly generated keys and
//! checked against a JWKS file, SPIFFE IDs and uids.
//!
//! Ed25519 keys are generated in Rust; RSA, EC P-256 (and a second
//! Ed25519) keys with `openssl genpkey`. Without openssl those cases are
//! skipped with a message, and fail under `CI=true`.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use time::macros::datetime;
use time::OffsetDateTime;
use writ_pdp::identity::{IdentityConfig, IdentityError, IdentityVia, Presented};

const ISS: &str = "https://idp.acme.example";
const AUD: &str = "writ-pdp";
const NOW: OffsetDateTime = datetime!(2026-11-30 10:00:00 UTC);

/// A signing key and its public JWK.
struct Key {
    kid: String,
    alg: Algorithm,
    enc: EncodingKey,
    jwk: Value,
    /// The public key as the bytes an attacker would use as an HMAC secret.
    public_bytes: Vec<u8>,
}

fn now_s() -> i64 {
    NOW.unix_timestamp()
}

fn jwk_for(enc: &EncodingKey, alg: Algorithm, kid: &str) -> Value {
    let mut jwk = Jwk::from_encoding_key(enc, alg).expect("public jwk");
    jwk.common.key_id = Some(kid.to_string());
    // Public keys only: the algorithm comes from the key type and curve.
    jwk.common.key_algorithm = None;
    serde_json::to_value(&jwk).expect("jwk json")
}

/// A fresh Ed25519 key, generated in Rust.
fn ed25519(kid: &str) -> Key {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("random");
    // PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410).
    let mut der = hex("302e020100300506032b657004220420");
    der.extend_from_slice(&seed);
    let enc = EncodingKey::from_ed_der(&der);
    let jwk = jwk_for(&enc, Algorithm::EdDSA, kid);
    let x = jwk["x"].as_str().expect("x").as_bytes().to_vec();
    Key {
        kid: kid.into(),
        alg: Algorithm::EdDSA,
        enc,
        jwk,
        public_bytes: x,
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Whether openssl can be used; fails under CI when it is missing.
fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is required under CI=true to generate RSA and EC test keys (apt-get install openssl)"
        );
        eprintln!("skipped: openssl is not installed, so RSA and EC keys cannot be generated");
    }
    ok
}

/// A fresh key made with `openssl genpkey` (PKCS#8 PEM).
fn openssl_key(dir: &Path, kind: &str, kid: &str) -> Key {
    let pem = dir.join(format!("{kid}.pem"));
    let mut cmd = Command::new("openssl");
    cmd.arg("genpkey");
    match kind {
        "rsa" => cmd.args(["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
        "ec" => cmd.args(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
        _ => cmd.args(["-algorithm", "ed25519"]),
    };
    let out = cmd.arg("-out").arg(&pem).output().expect("run openssl");
    assert!(
        out.status.success(),
        "openssl genpkey: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read(&pem).expect("read pem");
    let (alg, enc) = match kind {
        "rsa" => (
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(&text).expect("rsa pem"),
        ),
        "ec" => (
            Algorithm::ES256,
            EncodingKey::from_ec_pem(&text).expect("ec pem"),
        ),
        _ => (
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(&text).expect("ed pem"),
        ),
    };
    let public = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&pem)
        .output()
        .expect("openssl pkey");
    assert!(public.status.success());
    Key {
        kid: kid.into(),
        alg,
        jwk: jwk_for(&enc, alg, kid),
        enc,
        public_bytes: public.stdout,
    }
}

fn write_jwks(dir: &Path, keys: &[&Key]) -> PathBuf {
    let path = dir.join("jwks.json");
    let set = json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() });
    std::fs::write(&path, serde_json::to_string_pretty(&set).expect("json")).expect("write");
    path
}

fn config(path: &Path, issuer: Option<&str>) -> IdentityConfig {
    IdentityConfig::from_jwks_file(path, vec![AUD.into()], issuer.map(str::to_string))
        .expect("jwks loads")
}

fn claims(sub: &str) -> Value {
    json!({ "iss": ISS, "sub": sub, "aud": AUD, "exp": now_s() + 600, "iat": now_s() })
}

fn sign_with(key: &Key, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    encode(&header, claims, &key.enc).expect("sign")
}

fn sign(key: &Key, claims: &Value) -> String {
    sign_with(key, key.alg, Some(&key.kid), claims)
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn with_token(cfg: &IdentityConfig, token: &str) -> Result<String, IdentityError> {
    cfg.identify(
        Presented {
            principal: None,
            token: Some(token),
            peer: None,
        },
        NOW,
    )
    .map(|i| {
        assert_eq!(i.via, IdentityVia::Jwt);
        i.agent
    })
}

#[test]
fn a_valid_ed25519_token_names_the_oidc_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = ed25519("ed-1");
    let cfg = config(&write_jwks(dir.path(), &[&key]), Some(ISS));
    assert_eq!(cfg.key_ids(), ["ed-1"]);
    let token = sign(&key, &claims("agents/support-bot"));
    assert_eq!(
        with_token(&cfg, &token).expect("accepted"),
        format!("oidc:{ISS}|agents/support-bot")
    );
    assert_eq!(
        with_token(&cfg, &format!("Bearer {token}")).expect("bearer prefix ignored"),
        format!("oidc:{ISS}|agents/support-bot")
    );
    // The only key is used when the token names none.
    let no_kid = sign_with(&key, Algorithm::EdDSA, None, &claims("bot"));
    assert_eq!(
        with_token(&cfg, &no_kid).expect("accepted"),
        format!("oidc:{ISS}|bot")
    );
    // `aud` as a list, one of which is accepted; fractional times.
    let mut c = claims("bot");
    c["aud"] = json!(["other", AUD]);
    c["exp"] = json!(now_s() as f64 + 0.5 + 60.0);
    c["nbf"] = json!(now_s() - 5);
    assert!(with_token(&cfg, &sign(&key, &c)).is_ok());
    // No issuer configured: any issuer, still bound into the identity.
    let open = config(&write_jwks(dir.path(), &[&key]), None);
    let mut c = claims("bot");
    c["iss"] = json!("https://other-idp.example");
    assert_eq!(
        with_token(&open, &sign(&key, &c)).expect("accepted"),
        "oidc:https://other-idp.example|bot"
    );
}

#[test]
fn every_bad_token_is_refused_with_its_own_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = ed25519("ed-1");
    let second = ed25519("ed-2");
    let stranger = ed25519("ed-1"); // same kid, not in the JWKS
    let cfg = config(&write_jwks(dir.path(), &[&key, &second]), Some(ISS));
    let mut reasons: Vec<(&str, IdentityError)> = Vec::new();
    let mut refuse = |case: &'static str, token: String| {
        let err = with_token(&cfg, &token).expect_err(case);
        reasons.push((case, err));
    };

    let mut c = claims("bot");
    c["exp"] = json!(now_s() - 120);
    refuse("expired", sign(&key, &c));
    let mut c = claims("bot");
    c["nbf"] = json!(now_s() + 300);
    refuse("not yet valid", sign(&key, &c));
    let mut c = claims("bot");
    c["aud"] = json!("someone-else");
    refuse("wrong audience", sign(&key, &c));
    let mut c = claims("bot");
    c["iss"] = json!("https://evil.example");
    refuse("wrong issuer", sign(&key, &c));
    refuse(
        "unknown kid",
        sign_with(&key, Algorithm::EdDSA, Some("nope"), &claims("bot")),
    );
    refuse(
        "no kid, several keys",
        sign_with(&key, Algorithm::EdDSA, None, &claims("bot")),
    );
    // Tampered: the claims are changed after signing.
    let good = sign(&key, &claims("bot"));
    let parts: Vec<&str> = good.split('.').collect();
    let forged_claims = b64(serde_json::to_string(&claims("admin-bot"))
        .expect("json")
        .as_bytes());
    refuse(
        "tampered claims",
        format!("{}.{forged_claims}.{}", parts[0], parts[2]),
    );
    refuse("signed by another key", sign(&stranger, &claims("bot")));
    // alg none: no signature at all.
    let none_header = b64(br#"{"alg":"none","typ":"JWT","kid":"ed-1"}"#);
    let payload = b64(serde_json::to_string(&claims("bot"))
        .expect("json")
        .as_bytes());
    refuse("alg none", format!("{none_header}.{payload}."));
    // The confusion attack: HS256 keyed with the public key.
    let hs = EncodingKey::from_secret(&key.public_bytes).expect("secret");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("ed-1".into());
    refuse(
        "HS256 with the public key",
        encode(&header, &claims("bot"), &hs).expect("hs256"),
    );
    let mut c = claims("bot");
    c.as_object_mut().expect("object").remove("exp");
    refuse("no exp", sign(&key, &c));
    let mut c = claims("bot");
    c.as_object_mut().expect("object").remove("sub");
    refuse("no sub", sign(&key, &c));
    refuse("not a JWT", "not-a-token".into());

    let expect = [
        ("expired", "token expired at 2026-11-30T09:58:00Z"),
        ("not yet valid", "token not valid before 2026-11-30T10:05:00Z"),
        (
            "wrong audience",
            "token audience `someone-else` not accepted (expected `writ-pdp`)",
        ),
        (
            "wrong issuer",
            "token issuer `https://evil.example` not accepted (expected `https://idp.acme.example`)",
        ),
        ("unknown kid", "token signed by unknown key id `nope` (the JWKS holds `ed-1` or `ed-2`)"),
        ("no kid, several keys", "token has no key id (`kid`) and the JWKS holds 2 keys"),
        ("tampered claims", "token signature does not verify against key `ed-1`"),
        ("signed by another key", "token signature does not verify against key `ed-1`"),
        ("alg none", "token algorithm `none` is not accepted"),
        ("HS256 with the public key", "token algorithm `HS256` is not accepted"),
        ("no exp", "token has no `exp` claim"),
        ("no sub", "token has no `sub` claim"),
        ("not a JWT", "token is malformed"),
    ];
    assert_eq!(reasons.len(), expect.len());
    for ((case, err), (want_case, want)) in reasons.iter().zip(expect) {
        assert_eq!(*case, want_case);
        assert!(
            err.to_string().starts_with(want),
            "{case}: `{err}` should start with `{want}`"
        );
    }
    // Distinct causes give distinct reasons (the two bad signatures share one).
    let distinct: BTreeSet<String> = reasons.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(distinct.len(), reasons.len() - 1);
}

#[test]
fn the_leeway_forgives_small_clock_skew_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = ed25519("ed-1");
    let path = write_jwks(dir.path(), &[&key]);
    let mut c = claims("bot");
    c["exp"] = json!(now_s() - 10);
    let token = sign(&key, &c);
    assert!(with_token(&config(&path, Some(ISS)), &token).is_ok());
    let strict = config(&path, Some(ISS)).with_leeway(std::time::Duration::from_secs(5));
    let err = with_token(&strict, &token).expect_err("past the leeway");
    assert!(
        matches!(err, IdentityError::Expired { leeway_s: 5, .. }),
        "{err}"
    );
    let mut c = claims("bot");
    c["nbf"] = json!(now_s() + 20);
    assert!(with_token(&config(&path, Some(ISS)), &sign(&key, &c)).is_ok());
    assert!(with_token(&strict, &sign(&key, &c)).is_err());
}

#[test]
fn a_remembered_token_still_expires_and_a_forged_one_is_still_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = ed25519("ed-1");
    let cfg = config(&write_jwks(dir.path(), &[&key]), Some(ISS));
    let mut c = claims("bot");
    c["nbf"] = json!(now_s() - 60);
    let token = sign(&key, &c);
    assert!(with_token(&cfg, &token).is_ok());
    // Same token again (now remembered), and through a clone of the config.
    assert!(with_token(&cfg.clone(), &token).is_ok());
    let later = NOW + time::Duration::hours(1);
    let err = cfg
        .identify(
            Presented {
                principal: None,
                token: Some(&token),
                peer: None,
            },
            later,
        )
        .expect_err("expired later");
    assert!(matches!(err, IdentityError::Expired { .. }), "{err}");
    let earlier = NOW - time::Duration::hours(1);
    let err = cfg
        .identify(
            Presented {
                principal: None,
                token: Some(&token),
                peer: None,
            },
            earlier,
        )
        .expect_err("not yet valid earlier");
    assert!(matches!(err, IdentityError::NotYetValid { .. }), "{err}");
    // A forgery of the remembered token is still checked in full.
    let parts: Vec<&str> = token.split('.').collect();
    let forged = b64(serde_json::to_string(&claims("admin"))
        .expect("json")
        .as_bytes());
    let err = with_token(&cfg, &format!("{}.{forged}.{}", parts[0], parts[2])).expect_err("forged");
    assert!(matches!(err, IdentityError::BadSignature(_)), "{err}");
}

#[test]
fn no_jwks_refuses_tokens_and_principals_must_match_tokens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = ed25519("ed-1");
    let token = sign(&key, &claims("bot"));
    let err = with_token(&IdentityConfig::none(), &token).expect_err("asserted mode");
    assert_eq!(err, IdentityError::TokenInAssertedMode);

    let cfg = config(&write_jwks(dir.path(), &[&key]), Some(ISS));
    let both = |principal: &str| {
        cfg.identify(
            Presented {
                principal: Some(principal),
                token: Some(&token),
                peer: None,
            },
            NOW,
        )
    };
    let oidc = format!("oidc:{ISS}|bot");
    assert_eq!(both(&oidc).expect("same identity").agent, oidc);
    let err = both("spiffe://acme.example/agents/other").expect_err("mismatch");
    assert_eq!(
        err.to_string(),
        format!("principal `spiffe://acme.example/agents/other` does not name the agent the token identifies (`{oidc}`)")
    );
    assert!(matches!(
        both("Agent::\"bot\""),
        Err(IdentityError::Mismatch { .. })
    ));
    // With the inventory's view both name agent `bot`.
    let inventory = |s: &str| match s {
        "Agent::\"bot\"" => Some("bot".to_string()),
        s if s == oidc => Some("bot".to_string()),
        _ => None,
    };
    let same = cfg
        .identify_with(
            Presented {
                principal: Some("Agent::\"bot\""),
                token: Some(&token),
                peer: None,
            },
            NOW,
            &inventory,
        )
        .expect("same agent through the inventory");
    assert_eq!(
        (same.agent.as_str(), same.via),
        (oidc.as_str(), IdentityVia::Jwt)
    );
    assert!(cfg
        .identify_with(
            Presented {
                principal: Some("Agent::\"other\""),
                token: Some(&token),
                peer: None,
            },
            NOW,
            &inventory,
        )
        .is_err());
    // A bad token is refused even next to a good principal.
    let mut c = claims("bot");
    c["exp"] = json!(now_s() - 3600);
    assert!(matches!(
        cfg.identify(
            Presented {
                principal: Some("Agent::\"bot\""),
                token: Some(&sign(&key, &c)),
                peer: None,
            },
            NOW
        ),
        Err(IdentityError::Expired { .. })
    ));
}

#[test]
fn spiffe_ids_and_uids_pass_through() {
    let cfg = IdentityConfig::none();
    let id = |p: &str| {
        cfg.identify(
            Presented {
                principal: Some(p),
                token: None,
                peer: None,
            },
            NOW,
        )
    };
    let s = id("spiffe://acme.example/agents/support-bot").expect("valid");
    assert_eq!(
        (s.agent.as_str(), s.via),
        (
            "spiffe://acme.example/agents/support-bot",
            IdentityVia::Spiffe
        )
    );
    for (bad, problem) in [
        ("spiffe://acme.example/agents/bot/", "trailing slash"),
        ("spiffe:///agents/bot", "trust domain is empty"),
        ("spiffe://ACME.example/bot", "lower-case"),
        ("spiffe://acme.example/a//b", "path segments"),
        ("spiffe://acme.example/bot?x=1", "query"),
    ] {
        let err = id(bad).expect_err(bad).to_string();
        assert!(err.starts_with(&format!("SPIFFE ID `{bad}`: ")), "{err}");
        assert!(err.contains(problem), "{bad}: {err}");
    }
    let u = id("Agent::\"support-bot\"").expect("uid");
    assert_eq!(
        (u.agent.as_str(), u.via),
        ("Agent::\"support-bot\"", IdentityVia::Uid)
    );
    let ns = id("Acme::Agent::\"x\\\"y\"").expect("namespaced uid");
    assert_eq!(ns.agent, "Acme::Agent::\"x\\\"y\"");
    let inv = id("support-bot").expect("inventory id");
    assert_eq!(
        (inv.agent.as_str(), inv.via),
        ("support-bot", IdentityVia::InventoryId)
    );
}

#[test]
fn openssl_rsa_ec_and_ed25519_keys_verify_and_the_confusion_attack_fails() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rsa = openssl_key(dir.path(), "rsa", "rsa-1");
    let ec = openssl_key(dir.path(), "ec", "ec-1");
    let ed = openssl_key(dir.path(), "ed25519", "ed-ossl");
    let cfg = config(&write_jwks(dir.path(), &[&rsa, &ec, &ed]), Some(ISS));
    assert_eq!(cfg.key_ids(), ["rsa-1", "ec-1", "ed-ossl"]);
    for key in [&rsa, &ec, &ed] {
        let token = sign(key, &claims(&format!("sub-{}", key.kid)));
        assert_eq!(
            with_token(&cfg, &token).unwrap_or_else(|e| panic!("{}: {e}", key.kid)),
            format!("oidc:{ISS}|sub-{}", key.kid)
        );
    }
    // RSA-PSS and RS512 with the same RSA key.
    for alg in [Algorithm::PS256, Algorithm::RS512] {
        let token = sign_with(&rsa, alg, Some("rsa-1"), &claims("pss"));
        assert!(with_token(&cfg, &token).is_ok(), "{alg:?}");
    }
    // The classic confusion: HS256 keyed with the RSA public key PEM.
    let hs = EncodingKey::from_secret(&rsa.public_bytes).expect("secret");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    let forged = encode(&header, &claims("admin"), &hs).expect("hs256");
    let err = with_token(&cfg, &forged).expect_err("confusion");
    assert!(
        matches!(err, IdentityError::AlgorithmRefused(ref a) if a == "HS256"),
        "{err}"
    );
    // An EC token presented under the RSA key's id: the key decides the algorithm.
    let cross = sign_with(&ec, Algorithm::ES256, Some("rsa-1"), &claims("bot"));
    let err = with_token(&cfg, &cross).expect_err("cross");
    assert!(
        err.to_string()
            .starts_with("token algorithm `ES256` does not match key `rsa-1`"),
        "{err}"
    );
    // A tampered RSA signature.
    let good = sign(&rsa, &claims("bot"));
    let (head, sig) = good.rsplit_once('.').expect("parts");
    let mut sig = sig.as_bytes().to_vec();
    sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
    let bad = format!("{head}.{}", String::from_utf8(sig).expect("utf8"));
    assert!(matches!(
        with_token(&cfg, &bad),
        Err(IdentityError::BadSignature(ref k)) if k == "rsa-1"
    ));
}

#[test]
fn bad_jwks_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = ed25519("ed-1");
    let path = dir.path().join("keys.json");
    let load = |text: &str| {
        std::fs::write(&path, text).expect("write");
        IdentityConfig::from_jwks_file(&path, vec![AUD.into()], None)
            .expect_err(text)
            .to_string()
    };
    let shown = path.display().to_string();
    let mut ed_short = key.jwk.clone();
    ed_short["x"] = json!(b64(&[1u8; 16]));
    let mut private = key.jwk.clone();
    private["d"] = json!(b64(&[1u8; 32]));
    let weak_rsa = json!({"kty":"RSA","kid":"weak","n": b64(&[0xc3u8; 128]),"e":"AQAB"});
    let oct = json!({"kty":"oct","kid":"h","k": b64(b"secret")});
    let mut no_kid = key.jwk.clone();
    no_kid.as_object_mut().expect("object").remove("kid");
    let cases = [
        ("{\"keys\": [\n  {]", "line 2, column 4: not JSON"),
        ("[]", "not a JWK Set"),
        ("{\"keys\": []}", "holds no signature keys"),
        (
            &json!({"keys":[ed_short]}).to_string(),
            "key 1 (kid `ed-1`) has an Ed25519 public key `x` of 16 bytes",
        ),
        (
            &json!({"keys":[private]}).to_string(),
            "holds secret key material (`d`)",
        ),
        (
            &json!({"keys":[weak_rsa]}).to_string(),
            "is a 1024-bit RSA key",
        ),
        (
            &json!({"keys":[oct]}).to_string(),
            "is a symmetric (`oct`) key",
        ),
        (
            &json!({"keys":[key.jwk, key.jwk]}).to_string(),
            "the key id `ed-1` is used twice",
        ),
        (
            &json!({"keys":[key.jwk, no_kid]}).to_string(),
            "some have no `kid`",
        ),
    ];
    for (text, want) in cases {
        let err = load(text);
        assert!(err.starts_with(&format!("JWKS file {shown}: ")), "{err}");
        assert!(err.contains(want), "`{err}` should say `{want}`");
    }
    let missing = dir.path().join("absent.json");
    let err = IdentityConfig::from_jwks_file(&missing, vec![AUD.into()], None)
        .expect_err("missing")
        .to_string();
    assert!(
        err.starts_with(&format!("cannot read JWKS file {}", missing.display())),
        "{err}"
    );
    std::fs::write(&path, json!({"keys":[key.jwk]}).to_string()).expect("write");
    let err = IdentityConfig::from_jwks_file(&path, vec![], None)
        .expect_err("no audience")
        .to_string();
    assert!(err.contains("no token audience is configured"), "{err}");
    // Encryption keys are skipped, not used for signatures.
    let mut enc = ed25519("enc-1").jwk;
    enc["use"] = json!("enc");
    std::fs::write(&path, json!({"keys":[key.jwk, enc]}).to_string()).expect("write");
    let cfg = IdentityConfig::from_jwks_file(&path, vec![AUD.into()], None).expect("loads");
    assert_eq!(cfg.key_ids(), ["ed-1"]);
    assert_eq!(cfg.jwks_path(), Some(path.as_path()));
}
