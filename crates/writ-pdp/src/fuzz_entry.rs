//! Entry points for fuzzing: each takes arbitrary bytes, runs them through
//! one reader of untrusted input of `writ serve` (the decision request
//! body, a JWT, a JWK Set file), and must never panic, whatever the bytes.
//! The fuzz targets in `fuzz/` call these, and so does
//! `tests/fuzz_corpus.rs`, which replays the checked-in corpus under plain
//! `cargo test`. Nothing here is used by Writ itself.

use crate::api::{self, AuthorizeRequest, DecideContext};
use crate::engine::ActiveBundle;
use crate::identity::{IdentityConfig, Presented};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use writ_bundle::bundle;
use writ_bundle::fuzz_entry::{fixed_key, trusted, verify_at};

/// The audience tokens must carry.
pub const AUDIENCE: &str = "writ-fuzz";
/// The issuer tokens must come from.
pub const ISSUER: &str = "https://issuer.fuzz.example";
/// The key id of the JWKS key.
pub const KEY_ID: &str = "fuzz-key";

/// The JWK Set of the entry points: one Ed25519 key, the public half of
/// [`writ_bundle::fuzz_entry::fixed_key`].
pub fn jwks_text() -> String {
    let x = URL_SAFE_NO_PAD.encode(fixed_key().verifying_key().to_bytes());
    serde_json::json!({
        "keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": KEY_ID, "use": "sig"}]
    })
    .to_string()
}

/// Signs `claims` (any bytes, used as the JWT's claims part as they are)
/// with the JWKS key, under a header naming it: a token whose signature
/// holds, so only the claims decide.
pub fn sign_claims(claims: &[u8]) -> String {
    let header = serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": KEY_ID}).to_string();
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let sig = writ_bundle::fuzz_entry::sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// A path for a temporary file no other call uses.
fn temp_path(what: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "writ-fuzz-{what}-{}-{}.json",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Reads a JWK Set file holding `text` as `writ serve --jwks` does.
fn jwks_config(text: &[u8]) -> Result<IdentityConfig, crate::identity::IdentityError> {
    let path = temp_path("jwks");
    if std::fs::write(&path, text).is_err() {
        return Err(crate::identity::IdentityError::Missing);
    }
    let cfg = IdentityConfig::from_jwks_file(&path, vec![AUDIENCE.into()], Some(ISSUER.into()));
    let _ = std::fs::remove_file(&path);
    cfg
}

/// Decides requests against a bundle of the sample project: build it once
/// with [`Decider::new`], then call its entry points.
#[derive(Debug)]
pub struct Decider {
    bundle: Arc<ActiveBundle>,
    principals_only: IdentityConfig,
    with_jwks: IdentityConfig,
}

impl Decider {
    /// Builds, signs with the fixed key, verifies and loads a bundle of
    /// the project at `project` (e.g. `sample-policies/v1`), as `writ
    /// serve` loads one; `None` when the project does not check or the
    /// bundle does not load.
    pub fn new(project: &Path) -> Option<Decider> {
        let report = writ_core::project::check_project(project, writ_core::fuzz_entry::today());
        let project = report.project?;
        let inputs = bundle::inputs_from_project(
            &"f".repeat(64),
            &project,
            Vec::new(),
            "2026-01-01T00:00:00Z",
            Some("2027-01-01T00:00:00Z".into()),
        );
        let b = bundle::build(&inputs, &fixed_key()).ok()?;
        let verified = bundle::verify(&b, &trusted(), verify_at()).ok()?;
        let active = ActiveBundle::build(Path::new("<fuzz>"), &b, verified, verify_at()).ok()?;
        let with_jwks = jwks_config(jwks_text().as_bytes()).ok()?;
        Some(Decider {
            bundle: Arc::new(active),
            principals_only: IdentityConfig::none(),
            with_jwks,
        })
    }

    /// Decides one request against the bundle, as `writ serve` would with
    /// the JWKS configured (`with_jwks`) or not, and with trusted request
    /// times or not: the answer and the log entry, 400 denies included.
    pub fn decided(
        &self,
        req: &AuthorizeRequest,
        with_jwks: bool,
        trust_request_time: bool,
    ) -> api::Decided {
        let cx = DecideContext {
            bundle: Some(&self.bundle),
            identity: if with_jwks {
                &self.with_jwks
            } else {
                &self.principals_only
            },
            trust_request_time,
            now: verify_at(),
            peer: None,
        };
        match api::decide(req, &cx) {
            Ok(d) => d,
            Err(d) => *d,
        }
    }

    fn decide_parsed(&self, req: &AuthorizeRequest) {
        for with_jwks in [false, true] {
            for trust_request_time in [false, true] {
                let decided = self.decided(req, with_jwks, trust_request_time);
                if let Ok(line) = serde_json::to_string(&decided.entry) {
                    if let Ok(entry) = writ_core::decision_log::parse_entry(1, &line) {
                        let _ = entry.to_trace_record(1);
                    }
                }
                let _ = serde_json::to_string(&decided.response);
            }
        }
    }

    /// Parses `data` as the body of `POST /v1/is_authorized` and decides
    /// it (with and without a JWKS, with and without trusted request
    /// times); also as a batch body (`{"requests": [...]}`) of
    /// `POST /v1/is_authorized_batch`, each request decided.
    pub fn decide(&self, data: &[u8]) {
        if let Ok(req) = serde_json::from_slice::<AuthorizeRequest>(data) {
            self.decide_parsed(&req);
        }
        #[derive(serde::Deserialize)]
        struct Batch {
            requests: Vec<serde_json::Value>,
        }
        if let Ok(batch) = serde_json::from_slice::<Batch>(data) {
            for v in batch.requests.into_iter().take(100) {
                if let Ok(req) = serde_json::from_value::<AuthorizeRequest>(v) {
                    self.decide_parsed(&req);
                }
            }
        }
    }

    /// Checks a token against the JWKS. The first byte chooses how the rest
    /// is used: even, as the token text itself; odd, as the claims of a
    /// token signed with the JWKS key ([`sign_claims`]), so that the claim
    /// checks are reached. Each token is presented alone, with a matching
    /// principal and with another one, and decided once in a request.
    pub fn token(&self, data: &[u8]) {
        let Some((&mode, rest)) = data.split_first() else {
            return;
        };
        let token = if mode.is_multiple_of(2) {
            String::from_utf8_lossy(rest).into_owned()
        } else {
            sign_claims(rest)
        };
        let resolve = |agent: &str| self.bundle.resolve_agent(agent);
        for principal in [None, Some("support-bot"), Some("Agent::\"x\"")] {
            let presented = Presented {
                principal,
                token: Some(&token),
                peer: None,
            };
            match self
                .with_jwks
                .identify_with(presented, verify_at(), &resolve)
            {
                Ok(id) => {
                    let _ = id.via.as_str();
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
            let _ = self.principals_only.identify(presented, verify_at());
        }
        self.decide_parsed(&AuthorizeRequest {
            action: Some("read_ticket".into()),
            token: Some(token),
            ..AuthorizeRequest::default()
        });
    }
}

/// Reads `data` as a JWK Set file (`writ serve --jwks`); when it loads,
/// lists its key ids and checks a token signed with the fixed key.
pub fn jwks(data: &[u8]) {
    match jwks_config(data) {
        Ok(cfg) => {
            let _ = cfg.key_ids();
            let token = sign_claims(
                format!(
                    r#"{{"iss":"{ISSUER}","sub":"bot","aud":"{AUDIENCE}","exp":{}}}"#,
                    verify_at().unix_timestamp() + 600
                )
                .as_bytes(),
            );
            let _ = cfg.identify(
                Presented {
                    principal: None,
                    token: Some(&token),
                    peer: None,
                },
                verify_at(),
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
