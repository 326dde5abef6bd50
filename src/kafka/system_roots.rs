//! The system's trusted CA certificates, for the provider's own TLS clients (the OAuth token
//! endpoint, the TLS failure probe) when no `ca_cert` is given.
//!
//! Linux and Windows: the platform's store, through `rustls-native-certs` (which also honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`). macOS: the PEM bundle the OS ships and updates at
//! `/etc/ssl/cert.pem` (or `SSL_CERT_FILE`), not the Keychain: reading the Keychain needs the
//! Security and CoreFoundation frameworks at link time, which a macOS SDK provides and the
//! release's cross build has no licence to ship. A CA trusted only in the Keychain is given
//! with `ca_cert`, as librdkafka needs for the brokers anyway.

use rustls::pki_types::CertificateDer;

/// Every system CA certificate that can be read; unreadable ones are left out.
#[cfg(not(target_os = "macos"))]
pub fn system_roots() -> Vec<CertificateDer<'static>> {
    rustls_native_certs::load_native_certs().certs
}

/// Every system CA certificate that can be read; unreadable ones are left out.
#[cfg(target_os = "macos")]
pub fn system_roots() -> Vec<CertificateDer<'static>> {
    let path = std::env::var_os("SSL_CERT_FILE").unwrap_or_else(|| "/etc/ssl/cert.pem".into());
    std::fs::read(path)
        .map(|pem| pem_certificates(&pem))
        .unwrap_or_default()
}

/// The certificates of a PEM bundle, skipping blocks that do not parse.
#[cfg(any(target_os = "macos", test))]
fn pem_certificates(pem: &[u8]) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_bundle_gives_its_certificates() {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["ca.test".to_string()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let bundle = format!("junk before\n{}\n{}", cert.pem(), cert.pem());
        let certs = pem_certificates(bundle.as_bytes());
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].as_ref(), cert.der().as_ref());
        assert!(pem_certificates(b"no certificates here").is_empty());
    }
}
