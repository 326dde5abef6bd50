//! The principal Kafka's defaults give a connection, for the self-lockout guard: SASL
//! PLAIN/SCRAM names `User:<username>`; mutual TLS names `User:` + the client certificate's
//! subject DN in RFC 2253 form (`DefaultKafkaPrincipalBuilder` with the `DEFAULT`
//! `ssl.principal.mapping.rules`, which keep `X500Principal.getName()`), e.g.
//! `User:CN=terraform,OU=platform`; no SASL and no client certificate is `User:ANONYMOUS`.
//! OAUTHBEARER's `User:<sub>` is known only once a token is fetched.

use super::config::ClusterConnection;
use x509_cert::der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
use x509_cert::der::{Decode, Encode, Tag, Tagged};

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
    let cert = x509_cert::Certificate::from_der(&der).ok()?;
    Some(rfc2253(&cert.tbs_certificate.subject))
}

/// The keywords RFC 2253 section 2.3 (and Java's `X500Principal.RFC2253`) use; other types
/// are written as dotted OIDs with a `#`-hex DER value.
const KEYWORDS: [(&str, &str); 9] = [
    ("2.5.4.3", "CN"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.6", "C"),
    ("2.5.4.9", "STREET"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("0.9.2342.19200300.100.1.1", "UID"),
];

/// RDNs in reverse of their encoded order, `,` between RDNs, `+` within one, special
/// characters escaped with `\` (RFC 2253 sections 2.1 to 2.4).
fn rfc2253(name: &x509_cert::name::Name) -> String {
    let mut out = String::new();
    for (i, rdn) in name.0.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.0.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = atv.oid.to_string();
            let keyword = KEYWORDS.iter().find(|(o, _)| *o == oid).map(|(_, k)| *k);
            match (keyword, string_value(&atv.value)) {
                (Some(keyword), Some(value)) => {
                    out.push_str(keyword);
                    out.push('=');
                    escape_into(&mut out, value);
                }
                _ => {
                    out.push_str(&oid);
                    out.push_str("=#");
                    for byte in atv.value.to_der().unwrap_or_default() {
                        out.push_str(&format!("{byte:02X}"));
                    }
                }
            }
        }
    }
    out
}

fn string_value(value: &x509_cert::der::Any) -> Option<&str> {
    match value.tag() {
        Tag::PrintableString => PrintableStringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::Utf8String => Utf8StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::Ia5String => Ia5StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::TeletexString => TeletexStringRef::try_from(value).ok().map(|s| s.as_str()),
        _ => None,
    }
}

fn escape_into(out: &mut String, value: &str) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            _ => out.push(c),
        }
    }
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
