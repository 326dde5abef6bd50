//! The TLS side of the listener: a rustls server configuration from PEM files and the
//! principal of a client certificate.
//!
//! Kafka's SSL listener with `ssl.client.auth=required` names a connection by its client
//! certificate: `DefaultKafkaPrincipalBuilder` applies `ssl.principal.mapping.rules`, whose
//! `DEFAULT` rule keeps `X500Principal.getName()`, the subject DN in RFC 2253 form (most
//! specific RDN first, e.g. `CN=terraform,OU=platform`); the principal is `User:` + that DN
//! (apache/kafka `clients/.../security/ssl/SslPrincipalMapper.java`,
//! `DefaultKafkaPrincipalBuilder.java`).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::io;
use std::sync::Arc;

/// TLS for the listener. PEM text, not paths; `Debug` hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsListener {
    /// The broker's certificate chain (leaf first).
    pub cert_pem: String,
    pub key_pem: String,
    /// `Some`: a client certificate signed by one of these CAs is required
    /// (`ssl.client.auth=required`) and names the connection's principal unless SASL does.
    pub client_ca_pem: Option<String>,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("client_auth", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn certificates(pem: &str, what: &str) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("{what}: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(format!("{what}: no PEM certificate")));
    }
    Ok(certs)
}

/// The rustls configuration of a TLS listener.
pub(crate) fn server_config(tls: &TlsListener) -> io::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = certificates(&tls.cert_pem, "TLS certificate")?;
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes())
        .map_err(|e| invalid(format!("TLS key: {e}")))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?;
    let builder = match &tls.client_ca_pem {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in certificates(ca, "TLS client CA")? {
                roots
                    .add(cert)
                    .map_err(|e| invalid(format!("TLS client CA: {e}")))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| invalid(format!("TLS client CA: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| invalid(format!("TLS certificate and key: {e}")))?;
    // No TLS 1.3 session tickets: with client authentication they arrive after the client's
    // handshake is done, as unsolicited bytes that kafka-python treats as a protocol error.
    // Kafka clients do not resume sessions, so nothing is lost.
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// `User:` + the subject DN of a client certificate in RFC 2253 form, or `None` when the
/// certificate cannot be parsed.
pub(crate) fn principal_of(cert: &[u8]) -> Option<String> {
    rfc2253::subject_of_der(cert).map(|dn| format!("User:{dn}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(dn: rcgen::DistinguishedName) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn;
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn principal_is_the_subject_in_rfc2253_order_with_escapes() {
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::OrganizationName, "Acme, Inc");
        dn.push(rcgen::DnType::OrganizationalUnitName, "platform");
        dn.push(rcgen::DnType::CommonName, "terraform");
        assert_eq!(
            principal_of(&cert_with(dn)).as_deref(),
            Some("User:CN=terraform,OU=platform,O=Acme\\, Inc")
        );
    }
}
