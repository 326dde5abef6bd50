//! The principal Kafka's defaults give a connection, for the self-lockout guard: SASL
//! PLAIN/SCRAM names `User:<username>`; mutual TLS names `User:` + the client certificate's
//! subject DN in RFC 2253 form (`DefaultKafkaPrincipalBuilder` with the `DEFAULT`
//! `ssl.principal.mapping.rules`, which keep `X500Principal.getName()`), e.g.
//! `User:CN=terraform,OU=platform`; no SASL and no client certificate is `User:ANONYMOUS`.
//! OAUTHBEARER's `User:<sub>` is known only once a token is fetched.

use super::config::ClusterConnection;

/// The principal the settings give, or `None` when they cannot tell (OAUTHBEARER before a
/// token, a client certificate that does not parse).
pub fn of_settings(connection: &ClusterConnection) -> Option<String> {
    if let Some(principal) = &connection.principal {
        return Some(principal.clone());
    }
    if connection.oauth.is_some() {
        return None;
    }
    if let Some(sasl) = &connection.sasl {
        return Some(format!("User:{}", sasl.username));
    }
    match connection
        .tls
        .as_ref()
        .and_then(|tls| tls.client_cert_pem.as_deref())
    {
        Some(pem) => client_certificate_dn(pem).map(|dn| format!("User:{dn}")),
        None => Some("User:ANONYMOUS".to_string()),
    }
}

/// The subject DN (RFC 2253) of the first certificate of a PEM chain.
pub fn client_certificate_dn(pem: &str) -> Option<String> {
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()?
        .ok()?;
    rfc2253::subject_of_der(&der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dn_is_written_most_specific_first_with_escapes() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Acme, Inc");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationalUnitName, "platform");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "terraform");
        let pem = params.self_signed(&key).unwrap().pem();
        assert_eq!(
            client_certificate_dn(&pem).as_deref(),
            Some("CN=terraform,OU=platform,O=Acme\\, Inc")
        );
        assert_eq!(client_certificate_dn("not a certificate"), None);
    }
}
