//! TLS for the decision point (rustls with the ring provider): the server
//! certificate, and optional client certificate authentication (mTLS)
//! against a set of CA certificates (a PEM file, or the X.509 part of a
//! SPIFFE trust bundle). A client certificate's URI SAN that is a SPIFFE
//! ID names the calling workload.

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How to serve TLS.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// The server's certificate chain (PEM, leaf first).
    pub cert: PathBuf,
    /// The server's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// CA certificates (DER) client certificates must chain to; empty:
    /// no client certificate is asked for.
    pub client_roots: Vec<Vec<u8>>,
}

/// Why TLS cannot be set up.
#[derive(Debug, thiserror::Error)]
#[error("TLS: {0}")]
pub struct TlsError(pub String);

/// Reads every certificate of a PEM file (DER), naming the file on error.
pub fn read_pem_certs(path: &Path) -> Result<Vec<Vec<u8>>, TlsError> {
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| TlsError(format!("cannot read {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for c in iter {
        let c =
            c.map_err(|e| TlsError(format!("{}: not PEM certificates: {e}", path.display())))?;
        out.push(c.as_ref().to_vec());
    }
    if out.is_empty() {
        return Err(TlsError(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(out)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the TLS acceptor. With client roots, every connection must
/// present a client certificate that chains to one of them (TLS 1.2 or 1.3).
pub fn acceptor(cfg: &TlsConfig) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
    let chain: Vec<CertificateDer<'static>> = read_pem_certs(&cfg.cert)?
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let key = PrivateKeyDer::from_pem_file(&cfg.key).map_err(|e| {
        TlsError(format!(
            "{}: no usable PEM private key: {e}",
            cfg.key.display()
        ))
    })?;
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?;
    let builder = if cfg.client_roots.is_empty() {
        builder.with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for der in &cfg.client_roots {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| TlsError(format!("a client CA certificate is not usable: {e}")))?;
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider(),
        )
        .build()
        .map_err(|e| TlsError(format!("client certificate verifier: {e}")))?;
        builder.with_client_cert_verifier(verifier)
    };
    let mut server = builder
        .with_single_cert(chain, key)
        .map_err(|e| TlsError(format!("{}: {e}", cfg.cert.display())))?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server)))
}

/// The SPIFFE ID a (verified) certificate names: its URI SAN, when it has
/// exactly one URI SAN and that is a valid SPIFFE ID.
pub fn spiffe_id(cert_der: &[u8]) -> Option<String> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    let san = cert.subject_alternative_name().ok()??;
    let uris: Vec<&str> = san
        .value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::URI(u) => Some(*u),
            _ => None,
        })
        .collect();
    match uris.as_slice() {
        [one] if writ_core::inventory::spiffe_problem(one).is_none() => Some(one.to_string()),
        _ => None,
    }
}
