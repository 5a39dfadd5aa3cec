//! mTLS with the real `writ serve` on 127.0.0.1: certificates made in the
//! test (rcgen), a client certificate whose URI SAN is a SPIFFE ID names
//! the agent in verified mode; no certificate, or one from another CA, gets
//! no answer at all.

use crate::common;
use crate::common::{ok, s};
use crate::pdp::*;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use serde_json::{json, Value};
use std::io::{Read as _, Write as _};
use std::sync::Arc;

struct Ca {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    der: CertificateDer<'static>,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("self-signed");
    Ca {
        der: cert.der().clone(),
        pem: cert.pem(),
        issuer: rcgen::Issuer::new(params, key),
    }
}

/// A leaf certificate signed by `ca`: (chain PEM, key PEM, DER, key DER).
fn leaf(
    ca: &Ca,
    sans: Vec<rcgen::SanType>,
    client: bool,
) -> (String, String, CertificateDer<'static>, Vec<u8>) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.subject_alt_names = sans;
    params.extended_key_usages = vec![if client {
        rcgen::ExtendedKeyUsagePurpose::ClientAuth
    } else {
        rcgen::ExtendedKeyUsagePurpose::ServerAuth
    }];
    let cert = params.signed_by(&key, &ca.issuer).expect("signs");
    (
        cert.pem(),
        key.serialize_pem(),
        cert.der().clone(),
        key.serialize_der(),
    )
}

/// POSTs over TLS (optionally with a client certificate); `Err` when the
/// handshake is refused or no HTTP answer comes.
fn post_tls(
    addr: &str,
    root: &CertificateDer<'static>,
    client: Option<(CertificateDer<'static>, Vec<u8>)>,
    body: &Value,
) -> Result<(u16, Value), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).map_err(|e| e.to_string())?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let cfg = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![cert],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
            )
            .map_err(|e| e.to_string())?,
        None => builder.with_no_client_auth(),
    };
    let conn = rustls::ClientConnection::new(
        Arc::new(cfg),
        ServerName::try_from("localhost").expect("name"),
    )
    .map_err(|e| e.to_string())?;
    let sock = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, sock);
    let text = body.to_string();
    write!(
        tls,
        "POST /v1/is_authorized HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let read = tls.read_to_end(&mut out);
    let answer = String::from_utf8_lossy(&out).to_string();
    let Some((head, body)) = answer.split_once("\r\n\r\n") else {
        return Err(format!("no HTTP answer ({read:?})"));
    };
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line in {head}"))?;
    let v = serde_json::from_str(body).map_err(|e| format!("{e}: {body}"))?;
    Ok((status, v))
}

#[test]
fn a_client_certificate_spiffe_id_names_the_agent_and_nothing_else_gets_in() {
    let ws = approved_and_exported();
    // A SPIFFE agent's action that v1 allows.
    let trace = common::root().join("scenarios/traces/recorded.jsonl");
    let replayed: Vec<Value> = ok(ws.by(
        "alice",
        &[
            "replay",
            "--project",
            &format!("@{}", ws.v1),
            "--traces",
            s(&trace),
            "--format",
            "jsonl",
        ],
    ))
    .lines()
    .map(|l| serde_json::from_str(l).expect("jsonl"))
    .collect();
    let records = records();
    let i = (0..records.len())
        .find(|&i| {
            replayed[i]["decision"] == "allow"
                && records[i]["agent"]
                    .as_str()
                    .unwrap()
                    .starts_with("spiffe://")
        })
        .expect("an allowed SPIFFE action");
    let spiffe = records[i]["agent"].as_str().unwrap().to_string();
    let mut req = asserted_request_for(&records[i]);
    req.as_object_mut().unwrap().remove("principal");

    let root = ca("writ test CA");
    let (server_pem, server_key, _, _) = leaf(
        &root,
        vec![
            rcgen::SanType::DnsName("localhost".try_into().unwrap()),
            rcgen::SanType::IpAddress([127, 0, 0, 1].into()),
        ],
        false,
    );
    let uri = |u: &str| rcgen::SanType::URI(u.try_into().unwrap());
    let (_, _, agent_der, agent_key) = leaf(&root, vec![uri(&spiffe)], true);
    let (_, _, other_der, other_key) = leaf(
        &root,
        vec![uri("spiffe://acme.example/agents/nobody")],
        true,
    );
    let stranger = ca("another CA");
    let (_, _, strange_der, strange_key) = leaf(&stranger, vec![uri(&spiffe)], true);
    std::fs::write(ws.path("server.pem"), server_pem).unwrap();
    std::fs::write(ws.path("server.key"), server_key).unwrap();
    std::fs::write(ws.path("clients-ca.pem"), &root.pem).unwrap();

    let server = serve(
        ws.dir.path(),
        &[
            "--bundle",
            "b1",
            "--trust",
            "release.pub.pem",
            "--trust-request-time",
            "--tls-cert",
            "server.pem",
            "--tls-key",
            "server.key",
            "--tls-client-ca",
            "clients-ca.pem",
        ],
    )
    .unwrap_or_else(|(c, e)| panic!("{c:?}: {e}"));
    let addr = server
        .base
        .strip_prefix("https://")
        .expect("https")
        .to_string();

    // The certificate's SPIFFE ID is the agent: replay's decision.
    let (status, a) = post_tls(
        &addr,
        &root.der,
        Some((agent_der.clone(), agent_key.clone())),
        &req,
    )
    .expect("answers");
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["decision"], "Allow", "{a}");
    // Another agent's certificate does not get that decision, and cannot
    // claim the first agent by principal.
    let (_, a) = post_tls(
        &addr,
        &root.der,
        Some((other_der.clone(), other_key.clone())),
        &req,
    )
    .expect("answers");
    assert_eq!(a["decision"], "Deny", "{a}");
    let mut claim = req.clone();
    claim["principal"] = json!(spiffe);
    let (_, a) = post_tls(&addr, &root.der, Some((other_der, other_key)), &claim).expect("answers");
    assert_eq!(a["decision"], "Deny", "{a}");
    assert!(
        a["denied_because"]
            .as_str()
            .unwrap()
            .contains("does not name"),
        "{a}"
    );
    // No certificate, or one from another CA: no answer.
    assert!(post_tls(&addr, &root.der, None, &claim).is_err());
    assert!(post_tls(&addr, &root.der, Some((strange_der, strange_key)), &claim).is_err());
    let (code, err) = server.terminate();
    assert_eq!(code, Some(0), "{err}");
}
