//! Telling which TLS failure stopped a connection. librdkafka (OpenSSL) reports a failed
//! certificate check with one message for an unknown CA and a host-name mismatch and names
//! its own settings (`ssl.ca.location`); once it reports a TLS failure, one handshake with
//! the same CA, client certificate and host name is made here with rustls, whose typed
//! errors say which check failed, so the diagnostic can name the provider's setting.

use super::config::TlsSettings;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{AlertDescription, CertificateError, Error as TlsError};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// How long the probe waits for a broker's alert after the handshake (TLS 1.3 servers
/// refuse a client certificate after the client thinks the handshake is done).
const ALERT_WAIT: Duration = Duration::from_millis(1500);

/// A definitive TLS failure, in the terms of the provider's `tls` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// The broker's certificate is not signed by a trusted CA.
    UnknownCa { ca_cert_set: bool },
    /// The broker's certificate is not valid for the host name dialled.
    HostNameMismatch { host: String },
    /// The broker's certificate has expired.
    Expired,
    /// The broker's certificate is not valid yet.
    NotYetValid,
    /// The broker requires a client certificate and none is configured.
    ClientCertificateRequired,
    /// The broker refused the configured client certificate.
    ClientCertificateRefused,
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsFailure::UnknownCa { ca_cert_set: true } => f.write_str(
                "the broker's certificate is not signed by a CA in tls.ca_cert (unknown CA)",
            ),
            TlsFailure::UnknownCa { ca_cert_set: false } => f.write_str(
                "the broker's certificate is not signed by a CA of the system trust store (unknown CA); set tls.ca_cert to the CA that signs the brokers' certificates",
            ),
            TlsFailure::HostNameMismatch { host } => write!(
                f,
                "the broker's certificate is not valid for host name {host:?} (host name mismatch); use the name the certificate was issued for in bootstrap_servers and the brokers' advertised listeners"
            ),
            TlsFailure::Expired => f.write_str("the broker's certificate has expired"),
            TlsFailure::NotYetValid => f.write_str("the broker's certificate is not valid yet"),
            TlsFailure::ClientCertificateRequired => f.write_str(
                "the broker requires a client certificate (mutual TLS); set tls.client_cert and tls.client_key",
            ),
            TlsFailure::ClientCertificateRefused => f.write_str(
                "the broker refused the client certificate in tls.client_cert (not signed by a CA the broker trusts, or expired)",
            ),
        }
    }
}

/// Which TLS check fails when connecting to `server` (`host:port`) with `tls`, or `None`
/// when the probe cannot tell (it connects, or fails in another way).
pub async fn diagnose(tls: &TlsSettings, server: &str, timeout: Duration) -> Option<TlsFailure> {
    let (host, port) = server.rsplit_once(':')?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port: u16 = port.parse().ok()?;
    let config = client_config(tls)?;
    let name = ServerName::try_from(host.clone()).ok()?;
    let probe = async {
        let tcp = TcpStream::connect((host.as_str(), port)).await.ok()?;
        let connector = tokio_rustls::TlsConnector::from(config);
        let mut stream = match connector.connect(name, tcp).await {
            Ok(stream) => stream,
            Err(error) => return classify(&error, tls, &host),
        };
        let mut byte = [0u8; 1];
        match tokio::time::timeout(ALERT_WAIT, stream.read(&mut byte)).await {
            Ok(Err(error)) => classify(&error, tls, &host),
            _ => None,
        }
    };
    tokio::time::timeout(timeout, probe).await.ok().flatten()
}

fn client_config(tls: &TlsSettings) -> Option<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    match &tls.ca_cert_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                roots.add(cert.ok()?).ok()?;
            }
        }
        None => {
            for cert in super::system_roots::system_roots() {
                // A system certificate rustls cannot use is skipped, as OpenSSL would.
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots);
    let config = match (&tls.client_cert_pem, &tls.client_key_pem) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .ok()?;
            let key = PrivateKeyDer::from_pem_slice(key.expose().as_bytes()).ok()?;
            builder.with_client_auth_cert(chain, key).ok()?
        }
        _ => builder.with_no_client_auth(),
    };
    Some(Arc::new(config))
}

/// The failure a rustls error names, if it is one of [`TlsFailure`]'s.
fn classify(error: &std::io::Error, tls: &TlsSettings, host: &str) -> Option<TlsFailure> {
    let error = error.get_ref()?.downcast_ref::<TlsError>()?;
    match error {
        TlsError::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                Some(TlsFailure::UnknownCa {
                    ca_cert_set: tls.ca_cert_pem.is_some(),
                })
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                Some(TlsFailure::HostNameMismatch {
                    host: host.to_string(),
                })
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                Some(TlsFailure::Expired)
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                Some(TlsFailure::NotYetValid)
            }
            _ => None,
        },
        TlsError::AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::HandshakeFailure,
        ) => Some(if tls.client_cert_pem.is_some() {
            TlsFailure::ClientCertificateRefused
        } else {
            TlsFailure::ClientCertificateRequired
        }),
        _ => None,
    }
}
