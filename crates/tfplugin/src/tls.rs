//! go-plugin's automatic mutual TLS: Terraform passes its client certificate in
//! `PLUGIN_CLIENT_CERT`; we generate a self-signed server certificate (sent to Terraform in the
//! handshake line) and accept only connections that present exactly Terraform's certificate and
//! prove they hold its key. go-plugin's keys are ECDSA P-521, which ring cannot verify, so that
//! one signature scheme is checked with the `p521` crate; everything else goes through ring.

use p521::ecdsa::signature::Verifier;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, Error, ServerConfig, SignatureScheme};
use std::sync::Arc;
use x509_cert::der::Decode;

#[derive(Debug)]
pub enum TlsSetupError {
    ClientCert(String),
    ServerCert(String),
}

impl std::fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsSetupError::ClientCert(why) => write!(f, "PLUGIN_CLIENT_CERT is not usable: {why}"),
            TlsSetupError::ServerCert(why) => {
                write!(f, "could not create the server certificate: {why}")
            }
        }
    }
}

impl std::error::Error for TlsSetupError {}

/// The server side of go-plugin auto-mTLS.
pub struct AutoMtls {
    pub config: Arc<ServerConfig>,
    /// The server certificate (DER), for the handshake line.
    pub server_cert_der: Vec<u8>,
}

impl AutoMtls {
    pub fn new(client_cert_pem: &str) -> Result<Self, TlsSetupError> {
        let client_cert = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
            .map_err(|e| TlsSetupError::ClientCert(e.to_string()))?;
        let verifier = PinnedClientCert::new(client_cert)?;

        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "HashiCorp");
        // Terraform trusts exactly this certificate as its root, so it must be a CA.
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyAgreement,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?;
        let server_cert_der = cert.der().to_vec();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(
                vec![CertificateDer::from(server_cert_der.clone())],
                PrivateKeyDer::try_from(key.serialize_der())
                    .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?,
            )
            .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(AutoMtls {
            config: Arc::new(config),
            server_cert_der,
        })
    }
}

/// Accepts only the one client certificate Terraform announced, and checks the handshake
/// signature against its public key.
struct PinnedClientCert {
    expected_der: Vec<u8>,
    /// SEC1 public key of the pinned certificate when it is P-521 (go-plugin's choice).
    p521_key: Option<p521::ecdsa::VerifyingKey>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl std::fmt::Debug for PinnedClientCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnedClientCert")
            .field("p521", &self.p521_key.is_some())
            .finish_non_exhaustive()
    }
}

impl PinnedClientCert {
    fn new(cert: CertificateDer<'static>) -> Result<Self, TlsSetupError> {
        let parsed = x509_cert::Certificate::from_der(cert.as_ref())
            .map_err(|e| TlsSetupError::ClientCert(e.to_string()))?;
        let spki = &parsed.tbs_certificate.subject_public_key_info;
        // Only a P-521 point parses here; other key types are left to ring.
        let p521_key = spki
            .subject_public_key
            .as_bytes()
            .and_then(|sec1| p521::ecdsa::VerifyingKey::from_sec1_bytes(sec1).ok());
        Ok(PinnedClientCert {
            expected_der: cert.as_ref().to_vec(),
            p521_key,
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        })
    }

    fn verify_p521(
        &self,
        message: &[u8],
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let key = self.p521_key.as_ref().ok_or(Error::PeerMisbehaved(
            rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
        ))?;
        let signature = p521::ecdsa::Signature::from_der(dss.signature())
            .map_err(|_| Error::InvalidCertificate(rustls::CertificateError::BadSignature))?;
        key.verify(message, &signature)
            .map(|_| HandshakeSignatureValid::assertion())
            .map_err(|_| Error::InvalidCertificate(rustls::CertificateError::BadSignature))
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        if end_entity.as_ref() == self.expected_der.as_slice() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        if dss.scheme == SignatureScheme::ECDSA_NISTP521_SHA512 {
            return self.verify_p521(message, dss);
        }
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        if dss.scheme == SignatureScheme::ECDSA_NISTP521_SHA512 {
            return self.verify_p521(message, dss);
        }
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self.algorithms.supported_schemes();
        if self.p521_key.is_some() {
            schemes.push(SignatureScheme::ECDSA_NISTP521_SHA512);
        }
        schemes
    }
}
