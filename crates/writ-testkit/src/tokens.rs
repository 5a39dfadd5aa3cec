//! Agent tokens for the decision point's tests: an OIDC issuer's JWKS and
//! a SPIFFE trust bundle written beside each other, and tokens signed with
//! their Ed25519 keys (fixed seeds, so runs are reproducible).

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use ed25519_dalek::SigningKey;
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The audience every test token carries.
pub const AUDIENCE: &str = "writ-pdp";

/// The JWKS's key id.
pub const JWKS_KID: &str = "test-1";

/// The SPIFFE trust bundle's JWT-SVID key id.
pub const SVID_KID: &str = "svid-1";

/// Signs agent tokens; `jwks` and `spiffe_bundle` hold the public keys.
pub struct Tokens {
    key: jsonwebtoken::EncodingKey,
    svid_key: jsonwebtoken::EncodingKey,
    cache: HashMap<String, String>,
    /// The JWKS (`dir/jwks.json`, key [`JWKS_KID`]).
    pub jwks: PathBuf,
    /// The SPIFFE trust bundle (`dir/spiffe-bundle.json`, JWT-SVID key
    /// [`SVID_KID`] of another key pair).
    pub spiffe_bundle: PathBuf,
}

fn x(key: &SigningKey) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())
}

fn encoding_key(key: &SigningKey) -> jsonwebtoken::EncodingKey {
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("pem");
    jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).expect("ed key")
}

impl Tokens {
    /// Writes `dir/jwks.json` and `dir/spiffe-bundle.json`; returns the
    /// signer.
    pub fn new(dir: &Path) -> Tokens {
        let sk = SigningKey::from_bytes(&[7; 32]);
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x(&sk), "kid": JWKS_KID, "alg": "EdDSA", "use": "sig"}]});
        let jwks_path = dir.join("jwks.json");
        std::fs::write(&jwks_path, serde_json::to_vec_pretty(&jwks).expect("json"))
            .expect("write jwks");
        let svid = SigningKey::from_bytes(&[8; 32]);
        let bundle = json!({"spiffe_sequence": 1, "keys": [{"kty": "OKP", "crv": "Ed25519", "x": x(&svid), "kid": SVID_KID, "use": "jwt-svid"}]});
        let spiffe_bundle = dir.join("spiffe-bundle.json");
        std::fs::write(
            &spiffe_bundle,
            serde_json::to_vec_pretty(&bundle).expect("json"),
        )
        .expect("write bundle");
        Tokens {
            key: encoding_key(&sk),
            svid_key: encoding_key(&svid),
            cache: HashMap::new(),
            jwks: jwks_path,
            spiffe_bundle,
        }
    }

    /// A JWT-SVID for the SPIFFE ID `agent`, valid for an hour.
    pub fn svid(&mut self, agent: &str) -> String {
        if let Some(t) = self.cache.get(agent) {
            return t.clone();
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({"sub": agent, "aud": [AUDIENCE], "exp": now + 3600, "iat": now});
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(SVID_KID.into());
        header.typ = Some("JWT".into());
        let t = jsonwebtoken::encode(&header, &claims, &self.svid_key).expect("signs");
        self.cache.insert(agent.to_string(), t.clone());
        t
    }

    /// A token for `oidc:<iss>|<sub>`, valid for an hour.
    pub fn token(&mut self, agent: &str) -> String {
        if let Some(t) = self.cache.get(agent) {
            return t.clone();
        }
        let (iss, sub) = agent
            .strip_prefix("oidc:")
            .and_then(|s| s.split_once('|'))
            .expect("an oidc agent");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims =
            json!({"iss": iss, "sub": sub, "aud": AUDIENCE, "exp": now + 3600, "iat": now});
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(JWKS_KID.into());
        let t = jsonwebtoken::encode(&header, &claims, &self.key).expect("signs");
        self.cache.insert(agent.to_string(), t.clone());
        t
    }
}
